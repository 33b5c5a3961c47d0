//! Search across all knowledge: the TUI's `/`.
//!
//! Two rankings merged into one list. Fuzzy matching of titles and ids with `nucleo-matcher`
//! (the engine behind helix's pickers: smart case, Unicode normalisation, abbreviations such as
//! `pgbnc` for "PgBouncer"), which finds a document while its name is still half typed; and the
//! BM25F content ranking of [`KnowledgeBase::search`], which finds a word that only occurs in
//! the body. A document found both ways adds both scores.
//!
//! It runs synchronously on every key press, so the fuzzy pass avoids calling the matcher where
//! it can: titles are scanned from one contiguous string, a title lacking a letter of the query
//! is skipped by a bit mask, and a title whose best possible score (from where the query's
//! letters start words in it) cannot reach the `limit` best found so far is skipped too — an
//! exact bound, so the result is the same as matching every title (both are tested). On 10,000
//! documents a key stroke costs about 0.2 ms at the median and under 1 ms at p99
//! (`benches/knowledge.rs`).

use std::collections::HashMap;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use serde::Serialize;

use super::titles::{TitleEntry, Titles, char_mask, pair_bit};
use super::{DocRef, KnowledgeBase, KnowledgeMatch, MAX_MATCHES, text_query};

/// One result of [`KnowledgeBase::search_all`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchHit {
    pub doc: DocRef,
    /// The fuzzy title part (up to [`FUZZY_WEIGHT`]) plus the content score of
    /// [`KnowledgeBase::search`] (explicit links 1.0 each, normalised BM25F in [0, 1]).
    pub score: f64,
    /// Why it matched: `title ~ 'pgbnc'`, `content: pool, exhausted (body, headings)`, links.
    pub why: Vec<String>,
    /// Char indices (not byte offsets) of the title that the fuzzy match hit, ascending, for
    /// highlighting; empty when the title did not match.
    pub title_positions: Vec<u32>,
}

/// What a perfect fuzzy title match (the query itself as a word of the title) adds to the
/// score: as much as an explicit link, so a title typed out ranks with the best content match.
pub const FUZZY_WEIGHT: f64 = 1.0;

/// What a title that begins with the query as typed adds (below any real difference in fuzzy
/// quality: it only orders titles that match equally well).
const PREFIX_BONUS: f64 = 0.02;

/// `title` begins with `query`, compared case-insensitively.
fn starts_with_ignoring_case(title: &str, query: &str) -> bool {
    let mut t = title.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| t.next() == Some(q))
}

/// At most this many content matches take part in one search (deeper ranks are noise).
const MAX_CONTENT: usize = 200;

/// A fuzzy match of the query on one document.
#[derive(Clone, Copy, Debug)]
struct Fuzzy {
    /// Quality relative to a perfect match, in [`MIN_FUZZY`, 1].
    norm: f64,
    /// The title matched (else only the id did).
    title: bool,
}

/// What `nucleo` scores for every matched char before bonuses (word starts, consecutive chars)
/// and gap penalties (its `SCORE_MATCH`).
const NUCLEO_SCORE_PER_CHAR: f64 = 16.0;

/// `nucleo`'s largest bonus for a matched char (at a word start after a space); the first char
/// of a needle gets its bonus twice.
const NUCLEO_MAX_BONUS: f64 = 10.0;

/// Fuzzy matches of lower quality than this are left out: letters scattered over unrelated
/// words (`etcd` in "Elasticsearch cluster health RED") are noise next to content matches.
const MIN_FUZZY: f64 = 0.2;

/// The query as a `nucleo` pattern: each whitespace-separated word must match, fuzzily.
///
/// The quality of a match is the part of its score above what any match of that many chars
/// gets, relative to that part for a perfect match (the query matched against itself, a word
/// of its own): 1 for the query as a word of the title, about 0.95 for `kubepodcrash` on "Kube
/// Pod Crash Looping", 0.67 for `pgbnc` on "PgBouncer pool exhausted", 0 for scattered letters.
struct FuzzyQuery {
    pattern: Pattern,
    /// [`char_mask`] of the query's ASCII letters and digits: a title must have them all.
    need: u64,
    /// What every match scores whatever its quality.
    base: f64,
    /// What a perfect match scores above `base`.
    perfect: f64,
    /// What [`FuzzyQuery::bound`] needs of each word of the query.
    bounds: Vec<AtomBound>,
    matcher: Matcher,
    buf: Vec<char>,
}

impl FuzzyQuery {
    fn new(query: &str) -> FuzzyQuery {
        let pattern = Pattern::new(
            query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let mut matcher = Matcher::new(Config::DEFAULT);
        let base = pattern
            .atoms
            .iter()
            .map(|a| a.needle_text().len() as f64 * NUCLEO_SCORE_PER_CHAR)
            .sum::<f64>();
        let perfect = pattern
            .atoms
            .iter()
            .map(|a| a.score(a.needle_text(), &mut matcher).unwrap_or(0) as f64)
            .sum::<f64>();
        let need = char_mask(&query.replace(|c: char| !c.is_ascii(), ""));
        let bounds = pattern
            .atoms
            .iter()
            .map(|a| AtomBound::new(&a.needle_text().chars().collect::<Vec<char>>()))
            .collect();
        FuzzyQuery {
            pattern,
            need,
            base,
            perfect: (perfect - base).max(1.0),
            bounds,
            matcher,
            buf: Vec::new(),
        }
    }

    /// The quality of the match in [`MIN_FUZZY`, 1], `None` below.
    fn score(&mut self, text: &str) -> Option<f64> {
        let s = self
            .pattern
            .score(haystack(text, &mut self.buf), &mut self.matcher)?;
        let q = ((s as f64 - self.base) / self.perfect).min(1.0);
        (q >= MIN_FUZZY).then_some(q)
    }

    /// An upper bound of the quality of a match on a text with these [`start_mask`] and
    /// [`pair_mask`] bits, without matching (checked against `nucleo` by a test).
    ///
    /// Above the base score, `nucleo` gives a matched char at most [`NUCLEO_MAX_BONUS`] (twice
    /// that for the first char of a word of the query), and gives it anything only where it
    /// starts a word in the text or, but for the first char, follows the previous char of the
    /// query directly; a char elsewhere pays a gap penalty instead. So `pgb` can score well on
    /// "PgBouncer", not on "upgrade", and `err` not on "Etcd leader".
    fn bound(&self, starts: u64, pairs: u64) -> f64 {
        let best: f64 = self.bounds.iter().map(|a| a.best(starts, pairs)).sum();
        (best / self.perfect).min(1.0)
    }

    /// [`FuzzyQuery::bound`] for a document (its title or its id), `None` when neither has all
    /// the letters of the query.
    fn entry_bound(&self, e: &TitleEntry) -> Option<f64> {
        let t = (e.title_mask & self.need == self.need)
            .then(|| self.bound(e.title_starts, e.title_pairs));
        let i = (e.id.0 != e.id.1 && e.id_mask & self.need == self.need)
            .then(|| self.bound(e.id_starts, e.id_pairs));
        match (t, i) {
            (Some(t), Some(i)) => Some(t.max(i)),
            (t, i) => t.or(i),
        }
    }

    /// The better of the title and the id match (the title when equal).
    fn best(&mut self, titles: &Titles, e: &TitleEntry) -> Option<Fuzzy> {
        let t = if e.title_mask & self.need == self.need {
            self.score(titles.get(e.title))
        } else {
            None
        };
        let i = if e.id.0 != e.id.1 && e.id_mask & self.need == self.need {
            self.score(titles.get(e.id))
        } else {
            None
        };
        match (t, i) {
            (Some(t), Some(i)) if i > t => Some(Fuzzy {
                norm: i,
                title: true,
            }),
            (Some(t), _) => Some(Fuzzy {
                norm: t,
                title: true,
            }),
            (None, Some(i)) => Some(Fuzzy {
                norm: i,
                title: false,
            }),
            (None, None) => None,
        }
    }

    /// Char indices of the title hit by the match, ascending, without repeats.
    fn positions(&mut self, title: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let _ = self
            .pattern
            .indices(haystack(title, &mut self.buf), &mut self.matcher, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One word of the query, for [`FuzzyQuery::bound`]: for each char, the [`char_mask`] bit it
/// has when it starts a word (`None` for a char that may score anywhere: not an ASCII letter or
/// digit) and, but for the first, the [`pair_bit`] of it and the char before.
struct AtomBound {
    chars: Vec<(Option<u64>, Option<u64>)>,
}

impl AtomBound {
    fn new(needle: &[char]) -> AtomBound {
        let chars = needle
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let start = c
                    .is_ascii_alphanumeric()
                    .then(|| char_mask(c.encode_utf8(&mut [0; 4])));
                let pair = (i > 0 && c.is_ascii() && needle[i - 1].is_ascii())
                    .then(|| pair_bit(needle[i - 1] as u8, c as u8));
                // A non-ASCII char after the first: no pair to check, it may always score.
                let pair = if i > 0 && pair.is_none() {
                    Some(u64::MAX)
                } else {
                    pair
                };
                (start, pair)
            })
            .collect();
        AtomBound { chars }
    }

    /// The most this word can score above the base on a text with these bits.
    fn best(&self, starts: u64, pairs: u64) -> f64 {
        self.chars
            .iter()
            .enumerate()
            .map(|(i, &(start, pair))| {
                let at_start = start.is_none_or(|b| starts & b != 0);
                let after_previous = pair.is_some_and(|b| pairs & b != 0);
                match (i, at_start || after_previous) {
                    (0, true) => 2.0 * NUCLEO_MAX_BONUS,
                    (_, true) => NUCLEO_MAX_BONUS,
                    (_, false) => 0.0,
                }
            })
            .sum()
    }
}

/// `text` as `nucleo` sees it, one element per `char` (so match indices are char indices).
fn haystack<'a>(text: &'a str, buf: &'a mut Vec<char>) -> Utf32Str<'a> {
    if text.is_ascii() {
        Utf32Str::Ascii(text.as_bytes())
    } else {
        buf.clear();
        buf.extend(text.chars());
        Utf32Str::Unicode(buf)
    }
}

/// A candidate while merging: its fuzzy match and its content match (an index into the
/// content results).
struct Candidate {
    doc: DocRef,
    score: f64,
    fuzzy: Option<Fuzzy>,
    content: Option<usize>,
}

impl KnowledgeBase {
    /// The number of a document: runbooks first, then postmortems (as in the index).
    fn doc_number(&self, doc: DocRef) -> usize {
        match doc {
            DocRef::Runbook(i) => i,
            DocRef::Postmortem(i) => self.runbooks.len() + i,
        }
    }

    /// Searches all runbooks and postmortems for the `/` overlay, best first, at most `limit`.
    ///
    /// Fuzzy title/id matching (smart case: a query with a capital respects case) and the
    /// content ranking of [`KnowledgeBase::search`] merged; ties go to runbooks, then to the
    /// lower index, so the order is deterministic. An empty (or blank) query lists every
    /// document, runbooks then postmortems, each by title (pass `usize::MAX` to get them all).
    pub fn search_all(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        self.search_all_with(query, limit, true)
    }

    /// [`KnowledgeBase::search_all`]; `prune: false` matches every title (for the test that
    /// pruning changes nothing).
    fn search_all_with(&self, query: &str, limit: usize, prune: bool) -> Vec<SearchHit> {
        let query = query.trim();
        if query.is_empty() {
            return self.list_all(limit);
        }
        if limit == 0 {
            return Vec::new();
        }
        let mut fuzzy = FuzzyQuery::new(query);
        let content: Vec<KnowledgeMatch> = if fuzzy.pattern.atoms.is_empty() {
            Vec::new()
        } else {
            self.rank(&text_query(query), limit.clamp(MAX_MATCHES, MAX_CONTENT))
        };
        let mut merge = Merge::new(self, query, &content);
        // Titles that can match perfectly are matched first; the others only when their bound
        // (plus their content score) can still reach the `limit` best found so far, which for
        // a short query is seldom: most of the matcher's work is saved, the result is the same.
        let mut deferred: Vec<(usize, f64)> = Vec::new();
        for (i, e) in self.titles.entries.iter().enumerate() {
            match fuzzy.entry_bound(e) {
                None => {}
                Some(b) if prune && b < MIN_FUZZY => {}
                Some(b) if prune && b < 1.0 => deferred.push((i, b)),
                Some(_) => {
                    if let Some(f) = fuzzy.best(&self.titles, e) {
                        merge.add(i, Some(f));
                    }
                }
            }
        }
        for m in &content {
            merge.add(self.doc_number(m.doc), None);
        }
        if !deferred.is_empty() {
            let threshold = merge.kth_best(limit);
            for (i, b) in deferred {
                let reach = FUZZY_WEIGHT * b + PREFIX_BONUS + merge.content_score(i);
                // A margin for rounding: a document is only passed over when it is clearly
                // below (a tie could still rank it in by position).
                if reach < threshold - 1e-9 {
                    continue;
                }
                if let Some(f) = fuzzy.best(&self.titles, &self.titles.entries[i]) {
                    merge.add(i, Some(f));
                }
            }
        }

        let mut candidates = merge.candidates;
        let cmp =
            |a: &Candidate, b: &Candidate| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
        if candidates.len() > limit {
            candidates.select_nth_unstable_by(limit - 1, cmp);
            candidates.truncate(limit);
        }
        candidates.sort_unstable_by(cmp);
        candidates
            .into_iter()
            .map(|c| self.search_hit(c, &content, &mut fuzzy, query))
            .collect()
    }

    /// Every document, runbooks then postmortems, each by title (the empty query).
    fn list_all(&self, limit: usize) -> Vec<SearchHit> {
        self.titles
            .by_title
            .iter()
            .take(limit)
            .map(|&doc| SearchHit {
                doc,
                score: 0.0,
                why: Vec::new(),
                title_positions: Vec::new(),
            })
            .collect()
    }

    /// A ranked candidate as a hit: where the title matched, and why.
    fn search_hit(
        &self,
        c: Candidate,
        content: &[KnowledgeMatch],
        fuzzy: &mut FuzzyQuery,
        query: &str,
    ) -> SearchHit {
        let mut why = Vec::new();
        let mut title_positions = Vec::new();
        if let Some(f) = c.fuzzy {
            if f.title {
                title_positions = fuzzy.positions(self.doc_path_title(c.doc).1);
            }
            let on = if title_positions.is_empty() {
                "id"
            } else {
                "title"
            };
            why.push(format!("{on} ~ '{query}'"));
        }
        if let Some(ci) = c.content {
            why.extend(
                content[ci]
                    .why
                    .iter()
                    .map(|w| match w.strip_prefix("terms: ") {
                        Some(rest) => format!("content: {rest}"),
                        None => w.clone(),
                    }),
            );
        }
        SearchHit {
            doc: c.doc,
            score: c.score,
            why,
            title_positions,
        }
    }
}

/// The `/` search's candidates as they are found: fuzzy title matches and content matches,
/// one candidate per document.
struct Merge<'a> {
    kb: &'a KnowledgeBase,
    query: &'a str,
    content: &'a [KnowledgeMatch],
    /// Document number → its content match.
    content_of: HashMap<usize, usize>,
    /// Document number → its candidate, for documents with a content match.
    slot: HashMap<usize, usize>,
    candidates: Vec<Candidate>,
}

impl<'a> Merge<'a> {
    fn new(kb: &'a KnowledgeBase, query: &'a str, content: &'a [KnowledgeMatch]) -> Self {
        let content_of = content
            .iter()
            .enumerate()
            .map(|(ci, m)| (kb.doc_number(m.doc), ci))
            .collect();
        Merge {
            kb,
            query,
            content,
            content_of,
            slot: HashMap::new(),
            candidates: Vec::new(),
        }
    }

    /// The content score of document number `i` (0 without a content match).
    fn content_score(&self, i: usize) -> f64 {
        self.content_of
            .get(&i)
            .map_or(0.0, |&ci| self.content[ci].score)
    }

    /// The `limit`-th best score so far (minus infinity while there are fewer candidates).
    fn kth_best(&self, limit: usize) -> f64 {
        if self.candidates.len() < limit {
            return f64::NEG_INFINITY;
        }
        let mut scores: Vec<f64> = self.candidates.iter().map(|c| c.score).collect();
        *scores
            .select_nth_unstable_by(limit - 1, |a, b| b.total_cmp(a))
            .1
    }

    /// Adds document number `i`: its fuzzy title match (`None` when it comes from the content
    /// ranking), merged with its content match if it has one.
    fn add(&mut self, i: usize, f: Option<Fuzzy>) {
        let titles = &self.kb.titles;
        let fuzzy_score = f.map_or(0.0, |f| {
            // Typed as the title begins ("Kube D" for "Kube Deployment …", not "Kube API
            // Down"): the tie-break between equally good fuzzy matches.
            let prefix = f.title
                && starts_with_ignoring_case(titles.get(titles.entries[i].title), self.query);
            FUZZY_WEIGHT * f.norm + if prefix { PREFIX_BONUS } else { 0.0 }
        });
        let candidates = &mut self.candidates;
        match self.content_of.get(&i) {
            Some(&ci) => match self.slot.get(&i) {
                Some(&at) => {
                    if f.is_some() {
                        candidates[at].score += fuzzy_score;
                        candidates[at].fuzzy = f;
                    }
                }
                None => {
                    self.slot.insert(i, candidates.len());
                    candidates.push(Candidate {
                        doc: self.content[ci].doc,
                        score: fuzzy_score + self.content[ci].score,
                        fuzzy: f,
                        content: Some(ci),
                    });
                }
            },
            None => {
                if f.is_some() {
                    candidates.push(Candidate {
                        doc: self.kb.doc_ref(i),
                        score: fuzzy_score,
                        fuzzy: f,
                        content: None,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::titles::{pair_mask, start_mask};
    use super::*;
    use crate::knowledge::DocKind;
    use fastrand::Rng;

    fn kb() -> KnowledgeBase {
        let docs = vec![
            (
                DocKind::Runbook,
                "db/pgbouncer.md".to_string(),
                "---\nid: pgbouncer-pool\ntitle: PgBouncer pool exhausted\nalerts: [PgbouncerPoolExhausted]\nservices: [postgres]\n---\n# PgBouncer pool exhausted\n## Meaning\nAll server connections of the pool are in use; clients wait.\n".to_string(),
            ),
            (
                DocKind::Runbook,
                "kubernetes/KubePodCrashLooping.md".to_string(),
                "# KubePodCrashLooping\n## Meaning\nA container restarts repeatedly (CrashLoopBackOff).\n## Diagnosis\nLook for OOMKilled in the last state.\n".to_string(),
            ),
            (
                DocKind::Runbook,
                "node/NodeFilesystemSpaceFillingUp.md".to_string(),
                "# Node filesystem space filling up\n## Meaning\nA filesystem on a node is predicted to run out of disk space.\n".to_string(),
            ),
            (
                DocKind::Runbook,
                "dns/coredns.md".to_string(),
                "# CoreDNS résolution lente\nLookups time out; check the upstream resolvers.\n".to_string(),
            ),
            (
                DocKind::Postmortem,
                "pm/2025-09-03-orders.md".to_string(),
                "---\ntitle: Orders outage after pgbouncer change\nalerts: [PgbouncerPoolExhausted]\n---\n# Orders outage\n## Summary\nThe pool was exhausted after a config push.\n".to_string(),
            ),
        ];
        let (kb, errors) = KnowledgeBase::from_documents(docs);
        assert!(errors.is_empty(), "{errors:?}");
        kb
    }

    #[test]
    fn abbreviation_finds_the_title() {
        let kb = kb();
        let hits = kb.search_all("pgbnc", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(0), "{hits:?}");
        assert_eq!(hits[0].why, vec!["title ~ 'pgbnc'".to_string()]);
        // P g B o u n c: "PgBouncer pool exhausted".
        assert_eq!(hits[0].title_positions, vec![0, 1, 2, 5, 6]);
        // The postmortem's title has "pgbouncer" too.
        assert!(hits.iter().any(|h| h.doc == DocRef::Postmortem(0)));
    }

    #[test]
    fn a_typo_still_finds_the_title() {
        let kb = kb();
        // Letters left out and a half-typed word.
        let hits = kb.search_all("filesystm spce", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(2), "{hits:?}");
        assert!(hits[0].why[0].starts_with("title ~"), "{hits:?}");
        let hits = kb.search_all("kubepodcrash", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(1), "{hits:?}");
    }

    #[test]
    fn a_word_only_in_the_body_is_found_through_content() {
        let kb = kb();
        let hits = kb.search_all("OOMKilled", 10);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].doc, DocRef::Runbook(1));
        assert!(hits[0].title_positions.is_empty());
        assert_eq!(hits[0].why, vec!["content: oom, killed (body)".to_string()]);
        let hits = kb.search_all("resolvers", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(3), "{hits:?}");
        assert!(hits[0].why[0].starts_with("content: "), "{hits:?}");
    }

    #[test]
    fn both_ways_add_up_and_links_are_kept() {
        let kb = kb();
        let hits = kb.search_all("PgbouncerPoolExhausted", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(0), "{hits:?}");
        assert!(
            hits[0].why.iter().any(|w| w.contains("listed in alerts:")),
            "{hits:?}"
        );
        let hits = kb.search_all("pool exhausted", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(0), "{hits:?}");
        assert_eq!(hits[0].why[0], "title ~ 'pool exhausted'");
        assert!(hits[0].why[1].starts_with("content: "), "{hits:?}");
        assert!(hits.iter().any(|h| h.doc == DocRef::Postmortem(0)));
    }

    #[test]
    fn ids_match_and_non_ascii_positions_are_char_indices() {
        let kb = kb();
        let hits = kb.search_all("pgbouncer-pool", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(0), "{hits:?}");
        // Normalisation: `resolution` finds `résolution`; positions count chars, not bytes.
        let hits = kb.search_all("resolution", 10);
        assert_eq!(hits[0].doc, DocRef::Runbook(3), "{hits:?}");
        let title: Vec<char> = kb.runbooks[3].title.chars().collect();
        let hit: String = hits[0]
            .title_positions
            .iter()
            .map(|&i| title[i as usize])
            .collect();
        assert_eq!(hit, "résolution");
    }

    #[test]
    fn smart_case() {
        let kb = kb();
        assert!(!kb.search_all("pgb", 10).is_empty());
        // A capital asks for that case: "PGB" is not in any title as written.
        assert!(
            kb.search_all("PGB", 10)
                .iter()
                .all(|h| h.why.iter().all(|w| !w.starts_with("title"))),
        );
    }

    const WORDS: &[&str] = &[
        "Kube",
        "pod",
        "CrashLooping",
        "PgBouncer",
        "pool",
        "exhausted",
        "node",
        "disk",
        "full",
        "etcd",
        "HighFsync",
        "k8s",
        "5xx",
        "errors",
        "api-server",
        "tls/cert",
        "Redis",
        "OOM",
        "upgrade",
        "envoy",
        "latency",
        "p99",
        "queue_lag",
        "en",
        "ne",
        "e",
        "x",
    ];

    fn title(rng: &mut Rng) -> String {
        let n = 1 + rng.u64(..) % 5;
        let sep = [" ", " ", "-", "_", "", ": "];
        let mut t = String::new();
        for i in 0..n {
            if i > 0 {
                t.push_str(sep[rng.usize(..sep.len())]);
            }
            t.push_str(WORDS[rng.usize(..WORDS.len())]);
        }
        t
    }

    fn query(rng: &mut Rng) -> String {
        // Prefixes, abbreviations and whole words, sometimes two of them, sometimes with a capital.
        let mut words = Vec::new();
        for _ in 0..1 + rng.u64(..) % 2 {
            let w = WORDS[rng.usize(..WORDS.len())];
            let w: String = match rng.u64(..) % 3 {
                0 => w.chars().take(1 + (rng.u64(..) % 3) as usize).collect(),
                1 => w.chars().step_by(2).collect(),
                _ => w.to_string(),
            };
            words.push(if rng.u64(..).is_multiple_of(4) {
                w
            } else {
                w.to_lowercase()
            });
        }
        words.join(" ")
    }

    #[test]
    fn the_bound_holds_for_nucleo() {
        // The pruning is only exact while no match scores above `FuzzyQuery::bound`.
        let mut rng = Rng::with_seed(0x0dd_ba11);
        let mut checked = 0;
        for _ in 0..3_000 {
            let q = query(&mut rng);
            let mut f = FuzzyQuery::new(&q);
            for _ in 0..20 {
                let t = title(&mut rng);
                let Some(s) = f
                    .pattern
                    .score(haystack(&t, &mut Vec::new()), &mut f.matcher)
                else {
                    continue;
                };
                let quality = (s as f64 - f.base) / f.perfect;
                let bound = f.bound(start_mask(&t), pair_mask(&t));
                assert!(
                    quality <= bound + 1e-12,
                    "{q:?} on {t:?}: {quality} > {bound}"
                );
                checked += 1;
            }
        }
        assert!(checked > 5_000, "{checked}");
    }

    #[test]
    fn pruning_changes_nothing() {
        let mut rng = Rng::with_seed(0xfee1_900d);
        let docs: Vec<(DocKind, String, String)> = (0..400)
            .map(|i| {
                let kind = if i % 5 == 4 {
                    DocKind::Postmortem
                } else {
                    DocKind::Runbook
                };
                let body = (0..8)
                    .map(|_| title(&mut rng))
                    .collect::<Vec<_>>()
                    .join(". ");
                (
                    kind,
                    format!("d/{i}.md"),
                    format!("# {}\n\n{body}\n", title(&mut rng)),
                )
            })
            .collect();
        let (kb, errors) = KnowledgeBase::from_documents(docs);
        assert!(errors.is_empty(), "{errors:?}");
        for round in 0..400 {
            let q = query(&mut rng);
            let limit = [1, 5, 20, 50][round % 4];
            assert_eq!(
                kb.search_all_with(&q, limit, true),
                kb.search_all_with(&q, limit, false),
                "{q:?} limit {limit}"
            );
        }
    }

    #[test]
    fn empty_query_lists_everything_by_kind_then_title() {
        let kb = kb();
        let all = kb.search_all("  ", usize::MAX);
        let docs: Vec<DocRef> = all.iter().map(|h| h.doc).collect();
        assert_eq!(
            docs,
            vec![
                DocRef::Runbook(3),
                DocRef::Runbook(1),
                DocRef::Runbook(2),
                DocRef::Runbook(0),
                DocRef::Postmortem(0),
            ]
        );
        assert_eq!(kb.search_all("", 2).len(), 2);
        assert!(kb.search_all("pool", 0).is_empty());
    }

    #[test]
    fn ranking_is_deterministic() {
        let kb = kb();
        for q in ["p", "pool", "node disk", "o", "pgbnc"] {
            let a = kb.search_all(q, 50);
            for _ in 0..3 {
                assert_eq!(kb.search_all(q, 50), a, "{q}");
            }
            for w in a.windows(2) {
                assert!(
                    w[0].score > w[1].score || (w[0].score == w[1].score && w[0].doc < w[1].doc),
                    "{q}: {a:?}"
                );
            }
            // A smaller limit gives a prefix of the same order.
            assert_eq!(kb.search_all(q, 2)[..], a[..a.len().min(2)], "{q}");
        }
        // Equal scores: the same title twice ranks by position.
        let docs = (0..3).map(|i| {
            (
                DocKind::Runbook,
                format!("r{i}.md"),
                "# Disk full\nfree space\n".to_string(),
            )
        });
        let (kb, _) = KnowledgeBase::from_documents(docs);
        let hits = kb.search_all("disk", 10);
        let docs: Vec<DocRef> = hits.iter().map(|h| h.doc).collect();
        assert_eq!(
            docs,
            vec![DocRef::Runbook(0), DocRef::Runbook(1), DocRef::Runbook(2)]
        );
    }
}
