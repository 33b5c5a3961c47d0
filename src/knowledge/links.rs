//! Explicit links between alerts and documents: an alert named in a runbook's `alerts:` (or,
//! for plain Markdown runbooks, its file name or headings), a file name spelling the alert name
//! differently (`kube-pod-crash-looping.md`), and `runbook_url` annotations naming a file, its
//! path, or an anchor of one of its headings.

use std::collections::{BTreeMap, HashMap};

use super::{KnowledgeBase, MatchQuery, Postmortem, Runbook, doc, markdown};

/// Extra score for an explicit link (an alert named in `alerts:`, a `runbook_url` naming the
/// file), so that links rank above content-only matches.
pub(super) const LINK_BONUS: f64 = 1.0;

/// Lookups for explicit links, so matching does not scan every document.
#[derive(Clone, Debug, Default)]
pub(super) struct LinkIndex {
    /// Alert name → documents naming it (runbooks, then postmortems at `runbooks.len() + i`).
    pub(super) by_alert: HashMap<String, Vec<usize>>,
    /// `squash(file stem)` → runbooks (`kube-pod-crash-looping.md` ~ `KubePodCrashLooping`).
    pub(super) by_squashed_stem: HashMap<String, Vec<usize>>,
    /// Lower-case file stem and lower-case id → runbooks (for `runbook_url`s).
    pub(super) by_lower_key: HashMap<String, Vec<usize>>,
    /// Lower-case alert name → runbooks (for `runbook_url` anchors).
    pub(super) by_lower_alert: HashMap<String, Vec<usize>>,
    /// Service → runbooks listing it in `services:` (what a runbook covers).
    pub(super) by_service: HashMap<String, Vec<usize>>,
}

impl LinkIndex {
    pub(super) fn build(runbooks: &[Runbook], postmortems: &[Postmortem]) -> LinkIndex {
        let mut l = LinkIndex::default();
        fn push(map: &mut HashMap<String, Vec<usize>>, key: String, i: usize) {
            let v = map.entry(key).or_default();
            if v.last() != Some(&i) {
                v.push(i);
            }
        }
        for (i, rb) in runbooks.iter().enumerate() {
            for a in &rb.alerts {
                push(&mut l.by_alert, a.clone(), i);
                push(&mut l.by_lower_alert, a.to_lowercase(), i);
            }
            for service in &rb.services {
                push(&mut l.by_service, service.clone(), i);
            }
            let stem = doc::file_stem(&rb.path);
            push(&mut l.by_squashed_stem, squash(stem), i);
            push(&mut l.by_lower_key, stem.to_lowercase(), i);
            push(&mut l.by_lower_key, rb.id.to_lowercase(), i);
        }
        for (i, pm) in postmortems.iter().enumerate() {
            for a in &pm.alerts {
                push(&mut l.by_alert, a.clone(), runbooks.len() + i);
            }
        }
        l
    }
}

impl KnowledgeBase {
    /// The runbooks a `runbook_url` points at, each with why.
    pub(super) fn runbooks_named_by_url(&self, url: &str) -> Vec<(usize, String)> {
        let none: &[usize] = &[];
        let u = RunbookUrl::parse(url);
        let mut candidates: Vec<usize> = Vec::new();
        if let Some(last) = u.segments.last() {
            candidates.extend(
                self.links
                    .by_lower_key
                    .get(last)
                    .map_or(none, Vec::as_slice),
            );
        }
        if let Some(frag) = &u.fragment {
            // `#alert-name-kubepodcrashlooping`: try every `-`-separated suffix.
            let mut rest = frag.as_str();
            loop {
                candidates.extend(
                    self.links
                        .by_lower_alert
                        .get(rest)
                        .map_or(none, Vec::as_slice),
                );
                match rest.split_once('-') {
                    Some((_, r)) => rest = r,
                    None => break,
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|i| {
                let rb = &self.runbooks[i];
                u.names(&rb.path, &rb.id, &rb.headings, &rb.alerts)
                    .map(|why| (i, why))
            })
            .collect()
    }

    pub(super) fn docs_with_links(&self, q: &MatchQuery) -> Vec<(usize, (f64, Vec<String>))> {
        let mut out: BTreeMap<usize, (f64, Vec<String>)> = BTreeMap::new();
        let mut add = |i: usize, bonus: f64, why: String| {
            let e = out.entry(i).or_insert((0.0, Vec::new()));
            if !e.1.contains(&why) {
                e.0 += bonus;
                e.1.push(why);
            }
        };
        let base = self.runbooks.len();
        let none: &[usize] = &[];
        for a in &q.alertnames {
            for &i in self
                .links
                .by_alert
                .get(a.as_str())
                .map_or(none, Vec::as_slice)
            {
                if i < base {
                    let source = if self.runbooks[i].schema {
                        "alerts:"
                    } else {
                        "its file name or headings"
                    };
                    add(i, LINK_BONUS, format!("alert {a} listed in {source}"));
                } else {
                    add(
                        i,
                        LINK_BONUS,
                        format!("alert {a} listed in the postmortem's alerts:"),
                    );
                }
            }
            for &i in self
                .links
                .by_squashed_stem
                .get(&squash(a))
                .map_or(none, Vec::as_slice)
            {
                if !self.runbooks[i].alerts.contains(a) {
                    add(i, LINK_BONUS, format!("file name matches alert {a}"));
                }
            }
        }
        for url in &q.runbook_urls {
            for (i, why) in self.runbooks_named_by_url(url) {
                add(i, LINK_BONUS, why);
            }
        }
        out.into_iter().collect()
    }
}

/// Lower-case letters and digits only: `kube-pod-crash-looping` == `KubePodCrashLooping`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A `runbook_url` annotation taken apart.
struct RunbookUrl {
    /// Path segments, lower-case, the last without its extension.
    segments: Vec<String>,
    fragment: Option<String>,
}

impl RunbookUrl {
    fn parse(url: &str) -> RunbookUrl {
        let (rest, fragment) = match url.split_once('#') {
            Some((r, f)) => (r, Some(f.to_lowercase())),
            None => (url, None),
        };
        let rest = rest.split('?').next().unwrap_or(rest);
        let rest = match rest.split_once("://") {
            Some((_, after)) => after.split_once('/').map_or("", |(_, p)| p),
            None => rest,
        };
        let mut segments: Vec<String> = rest
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(|s| s.to_lowercase())
            .collect();
        if let Some(last) = segments.last_mut() {
            *last = strip_ext(last).to_string();
        }
        RunbookUrl {
            segments,
            fragment: fragment.filter(|f| !f.is_empty()),
        }
    }

    /// Why this URL names the document, if it does.
    fn names(
        &self,
        path: &str,
        id: &str,
        headings: &[String],
        alerts: &[String],
    ) -> Option<String> {
        let mut doc: Vec<String> = path
            .split(['/', '\\'])
            .filter(|s| !s.is_empty() && *s != ".")
            .map(|s| s.to_lowercase())
            .collect();
        if let Some(last) = doc.last_mut() {
            *last = strip_ext(last).to_string();
        }
        let last = self.segments.last()?;
        let generic = matches!(
            last.as_str(),
            "readme" | "index" | "runbook" | "runbooks" | "_index"
        );
        if !generic {
            if doc.len() >= 2 && self.segments.ends_with(&doc) {
                return Some("runbook_url names this file's path".into());
            }
            if doc.last() == Some(last) || *last == id.to_lowercase() {
                return Some("runbook_url names this file".into());
            }
        }
        let frag = self.fragment.as_ref()?;
        let heading = headings.iter().any(|h| markdown::slug(h) == *frag);
        let alert = alerts
            .iter()
            .any(|a| frag.ends_with(&a.to_lowercase()) && frag.len() >= a.len());
        let same_file = doc.last() == Some(last);
        if (heading && same_file) || alert {
            return Some(format!(
                "runbook_url anchor #{frag} names a section of this file"
            ));
        }
        None
    }
}

fn strip_ext(s: &str) -> &str {
    for ext in [".md", ".markdown", ".html", ".htm", ".txt", ".adoc", ".rst"] {
        if let Some(stripped) = s.strip_suffix(ext) {
            return stripped;
        }
    }
    s
}
