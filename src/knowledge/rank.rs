//! Ranking and judging matches: the content score (BM25F, then the factors for what a document
//! says it is about, the words it is named after, and the cuts for another symptom, another
//! kind of object or a component it never mentions), explicit links on top, the confidence of
//! each match and why matching abstains.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::confidence::{self, Confidence};
use super::index::{Field, Hit, QueryTerm};
use super::query::{Terms, query_terms, text_query};
use super::{KnowledgeBase, MAX_MATCHES, MatchQuery};

/// Which document a match refers to: an index into `runbooks` or `postmortems`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum DocRef {
    Runbook(usize),
    Postmortem(usize),
}

/// One ranked match with its reasons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KnowledgeMatch {
    pub doc: DocRef,
    /// Explicit links count 1.0 each; the content part is the normalised BM25F score in [0, 1].
    pub score: f64,
    pub why: Vec<String>,
    /// Explicitly linked, or content score at least [`MatchParams::good_match`]
    /// (`confidence` is not [`Confidence::Low`]). Only good matches offer steps.
    pub good: bool,
    /// How far to trust the match: the level of `calibrated` (an explicit link or a content
    /// score of at least [`MatchParams::high_match`] is high, at least `floor` medium, else low).
    pub confidence: Confidence,
    /// The calibrated 0–1 confidence ([`confidence::calibrate`]): 1 when linked, else the
    /// content score mapped so that `floor` is 0.60 and [`MatchParams::high_match`] 0.85.
    pub calibrated: f64,
    /// The content part of `score`: normalised BM25F in [0, 1] (0 without shared terms).
    pub content: f64,
    /// Share of the query (weighted by rarity) that occurs in the document at all, in [0, 1].
    pub coverage: f64,
    /// The content score this match needed to be good: [`MatchParams::good_match`], or
    /// [`MatchParams::cut_good_match`] when it is named after another problem or kind of object.
    pub floor: f64,
}

impl KnowledgeMatch {
    /// The level and the calibrated value it is read from, as every view shows them
    /// (`high 0.91`); the level is padded to `width` for a column.
    pub fn confidence_label(&self, width: usize) -> String {
        format!("{:<width$} {:.2}", self.confidence.name(), self.calibrated)
    }
}

/// A document on its way to becoming a match.
#[derive(Default)]
struct Found {
    links: f64,
    why: Vec<String>,
    content: f64,
    coverage: f64,
    /// Why the content score was cut.
    cut: Vec<String>,
    /// Cut for being named after another problem, kind, resource or component (raises the
    /// floor to [`MatchParams::cut_good_match`]).
    other: bool,
}

impl Found {
    /// Multiplies the content score by `factor` (1 or more turns the cut off), saying why.
    fn cut_by(&mut self, factor: f64, other: bool, why: String) {
        if factor < 1.0 {
            self.content *= factor.max(0.0);
            self.other |= other;
            self.cut.push(why);
        }
    }
}

impl KnowledgeBase {
    /// Ranks runbooks and postmortems for a cluster, best first (at most [`MAX_MATCHES`]).
    pub fn match_alerts(&self, q: &MatchQuery) -> Vec<KnowledgeMatch> {
        self.rank(q, MAX_MATCHES)
    }

    /// [`KnowledgeBase::match_alerts`] with the number of matches as a parameter: the `k` best
    /// by content and the explicitly linked documents, merged, best first, at most `k`.
    pub(super) fn rank(&self, q: &MatchQuery, k: usize) -> Vec<KnowledgeMatch> {
        let t = query_terms(q, &self.index, &self.params);
        let hits = self.index.search(&t.terms, k, t.missing);
        let mut found: BTreeMap<usize, Found> = BTreeMap::new();
        for (i, (bonus, why)) in self.docs_with_links(q) {
            let e = found.entry(i).or_default();
            e.links += bonus;
            e.why.extend(why);
        }
        let query_ids = if self.params.head_weight > 0.0 {
            self.index.query_ids(&t.terms)
        } else {
            Vec::new()
        };
        for hit in &hits {
            let e = found.entry(hit.doc).or_default();
            e.content = self.content_score(hit, &t, &query_ids);
            e.coverage = hit.coverage;
            self.cut(hit.doc, &t, e);
        }
        let mut ranked: Vec<(usize, Found)> = found.into_iter().collect();
        ranked.sort_by(|(ia, a), (ib, b)| {
            (b.links + b.content)
                .total_cmp(&(a.links + a.content))
                .then(ia.cmp(ib))
        });
        ranked.truncate(k);
        // The reasons are only worked out for what is returned.
        ranked
            .into_iter()
            .map(|(i, f)| self.judge(i, f, &t.terms, q))
            .collect()
    }

    /// A hit's content score: the normalised BM25F score times the factors for what the
    /// document says it is about (its focus), whether it is about the alert's problem, and
    /// whether the alert has the words the document is named after.
    fn content_score(&self, hit: &Hit, t: &Terms, query_ids: &[u32]) -> f64 {
        let p = &self.params;
        let (fw, pw, hw) = (
            p.focus_weight.clamp(0.0, 1.0),
            p.problem_weight.clamp(0.0, 1.0),
            p.head_weight.clamp(0.0, 1.0),
        );
        // What the document says it is about weighs in: the same words only mentioned on the
        // way (a Diagnosis command, a related alert) make a weaker match.
        let mut content = if fw > 0.0 {
            let focus = self.index.focus(hit.doc, &t.terms, t.missing);
            hit.norm * ((1.0 - fw) + fw * focus)
        } else {
            hit.norm
        };
        // And whether it is about the alert's problem, not only its component.
        let has_problem = t.problem_missing > 0.0 || t.terms.iter().any(|t| t.problem);
        if pw > 0.0 && has_problem {
            let about = self.index.about(hit.doc, &t.terms, t.problem_missing);
            let about = (about / p.problem_full.max(1e-9)).min(1.0);
            content *= (1.0 - pw) + pw * about;
        }
        if hw > 0.0 {
            let head = self.index.head_coverage(hit.doc, query_ids);
            content *= (1.0 - hw) + hw * head;
        }
        content
    }

    /// The cuts of a content score: the document is named after another problem, another kind
    /// of object, another resource or another component, or never mentions the alert's
    /// subject. Each is said in the match's reasons; all but the last raise its floor.
    fn cut(&self, doc: usize, t: &Terms, e: &mut Found) {
        let p = &self.params;
        let (about, theirs) = (&t.about, &self.abouts[doc]);
        if about.other_symptom(theirs) {
            let why = format!(
                "named after another problem ({}; the alert: {})",
                theirs.symptom_names(),
                about.symptom_names()
            );
            e.cut_by(p.symptom_cut, true, why);
        }
        if about.other_kind(theirs) {
            let why = format!(
                "about another kind of object ({}; the alert: {})",
                theirs.kind_names(),
                about.kind_names()
            );
            e.cut_by(p.kind_cut, true, why);
        }
        if about.other_resource(theirs) {
            let why = format!(
                "about another resource ({}; the alert: {})",
                theirs.resource_names(),
                about.resource_names()
            );
            e.cut_by(p.resource_cut, true, why);
        }
        if !t.subjects.is_empty() && !t.subjects.iter().any(|s| self.index.has_term(doc, &s.term)) {
            let said: Vec<&str> = t.subjects.iter().map(|s| s.said.as_str()).collect();
            let why = format!("never mentions {}", said.join(", "));
            e.cut_by(p.subject_cut, false, why);
        }
        let components = &self.components[doc];
        if !t.named.is_empty()
            && !components.is_empty()
            && !components.iter().any(|c| t.said.binary_search(c).is_ok())
            && !t.named.iter().any(|s| self.index.has_term(doc, &s.term))
        {
            // Where the components came from: the title, the alert names, the services.
            let (title, alerts, services) = match self.doc_ref(doc) {
                DocRef::Runbook(i) => {
                    let r = &self.runbooks[i];
                    (&r.title, &r.alerts, &r.services)
                }
                DocRef::Postmortem(i) => {
                    let p = &self.postmortems[i];
                    (&p.title, &p.alerts, &p.services)
                }
            };
            let texts = || {
                std::iter::once(title.as_str())
                    .chain(alerts.iter().map(String::as_str))
                    .chain(services.iter().map(String::as_str))
            };
            let theirs: Vec<String> = components
                .iter()
                .map(|c| super::tokenize::as_written(c, texts()))
                .collect();
            let named: Vec<&str> = t.named.iter().map(|s| s.said.as_str()).collect();
            let why = format!(
                "named after another component ({}; the alert: {})",
                theirs.join(", "),
                named.join(", ")
            );
            e.cut_by(p.component_cut, true, why);
        }
    }

    /// A ranked document as a match: its reasons, floor, calibrated confidence and level.
    fn judge(&self, i: usize, mut f: Found, terms: &[QueryTerm], q: &MatchQuery) -> KnowledgeMatch {
        if f.content > 0.0
            && let Some(line) = self.explain_terms(i, terms)
        {
            f.why.push(line);
        }
        let doc = self.doc_ref(i);
        if let Some(services) = self.shared_services(doc, &q.services) {
            f.why.push(services);
        }
        let floor = if !f.other {
            self.params.good_match
        } else {
            self.params.cut_good_match.max(self.params.good_match)
        };
        f.why.append(&mut f.cut);
        let calibrated =
            confidence::calibrate(f.content, f.links > 0.0, floor, self.params.high_match);
        let confidence = Confidence::of(calibrated);
        KnowledgeMatch {
            doc,
            score: f.links + f.content,
            why: f.why,
            good: confidence > Confidence::Low,
            confidence,
            calibrated,
            content: f.content,
            coverage: f.coverage,
            floor,
        }
    }

    /// Why matching abstains, when it does (no match is good), in calibrated terms and raw:
    /// `no good match: best 0.37 below the 0.60 floor (score 0.098, floor 0.16); nearest:
    /// Kubelet Down (terms: …)`. `None` when some match is good.
    pub fn abstention(&self, matches: &[KnowledgeMatch]) -> Option<String> {
        if matches.iter().any(|m| m.good) {
            return None;
        }
        Some(match matches.first() {
            None => "no good match: nothing known shares a word with these alerts".to_string(),
            Some(m) => {
                let (_, title) = self.doc_path_title(m.doc);
                let terms = m
                    .why
                    .iter()
                    .find(|w| w.starts_with("terms:"))
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                format!(
                    "no good match: best {:.2} below the {:.2} floor (score {:.3}, floor {:.2}); \
                     nearest: {title}{terms}",
                    m.calibrated,
                    confidence::MEDIUM_FROM,
                    m.content,
                    m.floor
                )
            }
        })
    }

    /// Free-text search over the content of all knowledge (`kb search`; the `/` search adds
    /// fuzzy title matching to it: [`KnowledgeBase::search_all`]), best first, at most
    /// `limit.min(MAX_MATCHES)`.
    pub fn search(&self, text: &str, limit: usize) -> Vec<KnowledgeMatch> {
        let mut out = self.match_alerts(&text_query(text));
        out.truncate(limit);
        out
    }

    fn shared_services(&self, doc: DocRef, services: &[String]) -> Option<String> {
        let theirs = match doc {
            DocRef::Runbook(i) => &self.runbooks[i].services,
            DocRef::Postmortem(i) => &self.postmortems[i].services,
        };
        let shared: Vec<&str> = services
            .iter()
            .filter(|s| theirs.contains(s))
            .map(String::as_str)
            .collect();
        (!shared.is_empty()).then(|| format!("service {}", shared.join(", ")))
    }

    /// `terms: connection, pool, exhausted (title, alerts, body)`.
    fn explain_terms(&self, doc: usize, terms: &[QueryTerm]) -> Option<String> {
        let mut parts = self.index.explain(doc, terms);
        if parts.is_empty() {
            return None;
        }
        parts.sort_by(|a, b| b.2.total_cmp(&a.2));
        let mut fields: BTreeSet<Field> = BTreeSet::new();
        let mut words: Vec<&str> = Vec::new();
        for (qi, f, _) in parts.iter().take(8) {
            let w = terms[*qi].surface.as_str();
            if !words.contains(&w) {
                words.push(w);
            }
            fields.extend(f.iter().copied());
        }
        let fields: Vec<&str> = fields.into_iter().map(Field::name).collect();
        Some(format!(
            "terms: {} ({})",
            words.join(", "),
            fields.join(", ")
        ))
    }
}
