//! A small in-memory BM25F index over six fields: title, alert names, headings, tags (with
//! services), body, and the runbook's lead (its opening paragraph and its Meaning / Impact /
//! Summary sections, which say what the document is about; also part of the body).
//!
//! BM25F (Robertson & Zaragoza, "The Probabilistic Relevance Framework") combines the
//! length-normalised term frequencies of the fields with per-field weights *before* the
//! saturation, so a term found in the title and the body is not counted as two independent
//! pieces of evidence. Scores are also reported normalised by the query's maximum attainable
//! score (every query term saturated), which is what the "good match" threshold uses: unlike raw
//! BM25 scores, that fraction is comparable across queries.

use std::collections::HashMap;

use super::tokenize;

/// The indexed fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Title = 0,
    Alerts = 1,
    Headings = 2,
    Tags = 3,
    Body = 4,
    Lead = 5,
}

pub const FIELDS: usize = 6;

/// The fields that say what a document is about (not what it mentions on the way): a query
/// word found in one of them counts towards [`Index::focus`].
const FOCUS_FIELDS: u8 = (1 << Field::Title as u8)
    | (1 << Field::Alerts as u8)
    | (1 << Field::Headings as u8)
    | (1 << Field::Tags as u8)
    | (1 << Field::Lead as u8);

/// The fields that say what a document is about, for its problem words ([`Index::about`]).
const ABOUT_FIELDS: u8 = (1 << Field::Title as u8)
    | (1 << Field::Alerts as u8)
    | (1 << Field::Tags as u8)
    | (1 << Field::Lead as u8);

impl Field {
    pub const ALL: [Field; FIELDS] = [
        Field::Title,
        Field::Alerts,
        Field::Headings,
        Field::Tags,
        Field::Body,
        Field::Lead,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Alerts => "alerts",
            Field::Headings => "headings",
            Field::Tags => "tags",
            Field::Body => "body",
            Field::Lead => "lead",
        }
    }
}

/// Field weights and length normalisation (`b`) per field, and the saturation `k1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bm25fParams {
    pub weight: [f64; FIELDS],
    pub b: [f64; FIELDS],
    pub k1: f64,
}

impl Default for Bm25fParams {
    fn default() -> Self {
        Bm25fParams {
            //        title alerts headings tags body lead
            weight: [3.0, 3.0, 2.0, 2.0, 1.0, 1.0],
            b: [0.4, 0.3, 0.5, 0.3, 0.75, 0.5],
            k1: 1.2,
        }
    }
}

/// The text of one document, field by field.
#[derive(Clone, Debug, Default)]
pub struct FieldTexts<'a> {
    pub fields: [Vec<&'a str>; FIELDS],
}

/// One document's entry for a term: its saturated BM25F term frequency (query-independent, so
/// computed once at build time) and the fields the term occurs in.
#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    /// `tf~ / (k1 + tf~)` with `tf~` the field-weighted, length-normalised frequency.
    sat: f32,
    /// Bit `f` set when the term occurs in field `f`.
    fields: u8,
}

/// FNV-1a, much faster than SipHash for short terms; the keys are our own tokens, not input
/// that could be chosen to collide.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// The inverted index.
#[derive(Clone, Debug, Default)]
pub struct Index {
    params: Bm25fParams,
    terms: FnvMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    docs: usize,
    /// Per document, the terms of its title and alert names (what it is named after).
    heads: Vec<Vec<u32>>,
}

/// One query term with its weight (alert names weigh more than label values).
#[derive(Clone, Debug, PartialEq)]
pub struct QueryTerm {
    pub term: String,
    /// As the user wrote it, for the `why` line.
    pub surface: String,
    pub weight: f64,
    /// The term describes the problem (alert name, summary/description, service, subject), so
    /// whether a document has it where it says what it is about counts ([`Index::focus`]).
    pub focus: bool,
    /// The term says what is wrong rather than with what: an alert-name or summary/description
    /// word that names no component and no scrape target (`down`, `lag`, `expiring`, `full`),
    /// weighed against where a document says what it is about ([`Index::about`]).
    pub problem: bool,
}

/// A scored document.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub doc: usize,
    /// Raw BM25F score.
    pub score: f64,
    /// `score` divided by the query's maximum attainable score, in [0, 1].
    pub norm: f64,
    /// Share of the query's weight (weight × idf) whose terms occur in the document at all.
    pub coverage: f64,
}

impl Index {
    /// Builds the index; document `i` of the iterator gets id `i`.
    pub fn build<'a>(docs: impl IntoIterator<Item = FieldTexts<'a>>, params: Bm25fParams) -> Index {
        let mut terms: FnvMap<String, u32> = FnvMap::default();
        // Pass 1: per document, its distinct terms with per-field counts, and field lengths.
        let mut entries: Vec<(u32, [u16; FIELDS])> = Vec::new();
        let mut doc_ranges: Vec<(usize, usize)> = Vec::new();
        let mut lengths: Vec<[u32; FIELDS]> = Vec::new();
        // `slot[term]` = (document number + 1, position in `entries`) of its latest occurrence.
        let mut slot: Vec<(u32, u32)> = Vec::new();
        for (doc, texts) in docs.into_iter().enumerate() {
            let first = entries.len();
            let mut len = [0u32; FIELDS];
            for (f, parts) in texts.fields.iter().enumerate() {
                for part in parts {
                    tokenize::for_each_token(part, |t| {
                        let id = match terms.get(t) {
                            Some(&id) => id,
                            None => {
                                let id = terms.len() as u32;
                                terms.insert(t.to_string(), id);
                                slot.push((0, 0));
                                id
                            }
                        };
                        let s = &mut slot[id as usize];
                        if s.0 != doc as u32 + 1 {
                            *s = (doc as u32 + 1, entries.len() as u32);
                            entries.push((id, [0; FIELDS]));
                        }
                        let e = &mut entries[s.1 as usize].1[f];
                        *e = e.saturating_add(1);
                        len[f] += 1;
                    });
                }
            }
            doc_ranges.push((first, entries.len()));
            lengths.push(len);
        }
        let n = lengths.len();
        let mut avg = [1.0f64; FIELDS];
        for (f, a) in avg.iter_mut().enumerate() {
            let total: u64 = lengths.iter().map(|l| l[f] as u64).sum();
            *a = (total as f64 / n.max(1) as f64).max(1.0);
        }
        // Pass 2: postings with the saturated BM25F frequency.
        let mut df = vec![0u32; terms.len()];
        for (id, _) in &entries {
            df[*id as usize] += 1;
        }
        let mut postings: Vec<Vec<Posting>> =
            df.iter().map(|&d| Vec::with_capacity(d as usize)).collect();
        let head_fields = [Field::Title as usize, Field::Alerts as usize];
        let heads = doc_ranges
            .iter()
            .map(|&(from, to)| {
                entries[from..to]
                    .iter()
                    .filter(|(_, tf)| head_fields.iter().any(|&f| tf[f] > 0))
                    .map(|(id, _)| *id)
                    .collect()
            })
            .collect();
        for (doc, &(from, to)) in doc_ranges.iter().enumerate() {
            let len = &lengths[doc];
            let mut norm = [0.0f64; FIELDS];
            for f in 0..FIELDS {
                norm[f] =
                    params.weight[f] / (1.0 - params.b[f] + params.b[f] * len[f] as f64 / avg[f]);
            }
            for (id, tf) in &entries[from..to] {
                let mut pseudo = 0.0;
                let mut fields = 0u8;
                for f in 0..FIELDS {
                    if tf[f] > 0 {
                        pseudo += tf[f] as f64 * norm[f];
                        fields |= 1 << f;
                    }
                }
                postings[*id as usize].push(Posting {
                    doc: doc as u32,
                    sat: (pseudo / (params.k1 + pseudo)) as f32,
                    fields,
                });
            }
        }
        Index {
            params,
            terms,
            postings,
            docs: n,
            heads,
        }
    }

    pub fn len(&self) -> usize {
        self.docs
    }

    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    pub fn params(&self) -> &Bm25fParams {
        &self.params
    }

    /// Number of documents containing `term` (already tokenized).
    pub fn df(&self, term: &str) -> usize {
        self.terms
            .get(term)
            .map_or(0, |&id| self.postings[id as usize].len())
    }

    pub fn contains_term(&self, term: &str) -> bool {
        self.terms.contains_key(term)
    }

    /// The inverse document frequency (BM25's, never negative). Unknown terms get the largest.
    pub fn idf(&self, term: &str) -> f64 {
        self.idf_df(self.df(term))
    }

    /// Scores every document matching at least one term, best first (ties: lower document
    /// first), at most `limit` hits.
    ///
    /// `denominator_extra` adds to the normalising maximum (for query terms that count against
    /// a match although no document has them).
    ///
    /// Term at a time into one accumulator array (score and covered weight side by side, so a
    /// posting touches one cache line); the best `limit` are kept in a small heap as they are
    /// met, so only those become [`Hit`]s and get sorted.
    pub fn search(&self, query: &[QueryTerm], limit: usize, denominator_extra: f64) -> Vec<Hit> {
        // (score, covered weight) per document; covered > 0 once the document was touched.
        let mut acc = vec![(0.0f32, 0.0f32); self.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut max = denominator_extra;
        for q in query {
            let Some(&id) = self.terms.get(&q.term) else {
                continue;
            };
            let postings = &self.postings[id as usize];
            let idf = self.idf_df(postings.len());
            // A term without weight adds nothing (and must not mark documents as touched).
            if q.weight.is_nan() || q.weight <= 0.0 {
                continue;
            }
            max += q.weight * idf;
            let w = (q.weight * idf) as f32;
            for p in postings {
                let a = &mut acc[p.doc as usize];
                if a.1 == 0.0 {
                    touched.push(p.doc);
                }
                a.0 += w * p.sat;
                a.1 += w;
            }
        }
        let best = top_k(&touched, &acc, limit);
        best.into_iter()
            .map(|d| {
                let (score, cov) = acc[d as usize];
                let (score, cov) = (score as f64, cov as f64);
                Hit {
                    doc: d as usize,
                    score,
                    norm: if max > 0.0 { score / max } else { 0.0 },
                    coverage: if max > 0.0 { cov / max } else { 0.0 },
                }
            })
            .collect()
    }

    /// Share of the weight (weight × idf) of the query's problem terms (those marked `focus`,
    /// plus `focus_extra` for problem terms no document has) that occur in document `doc`
    /// where it says what it is about: title, alert names, headings, tags, lead. Worked out
    /// only for the few documents a match returns (a binary search per term), so the search
    /// itself does not pay for it.
    pub fn focus(&self, doc: usize, query: &[QueryTerm], focus_extra: f64) -> f64 {
        self.share_in(doc, query, focus_extra, FOCUS_FIELDS, |q| q.focus)
    }

    /// Share of the weight (weight × idf) of the query's problem terms (those marked
    /// `problem`, plus `extra` for problem terms no document has) that occur in document `doc`
    /// where it says what it is about: its title, alert names, tags or lead (not its headings:
    /// a "If the primary is down" section of a replication-lag runbook is not what it is about).
    /// Like [`Index::focus`], worked out only for the documents a match returns.
    pub fn about(&self, doc: usize, query: &[QueryTerm], extra: f64) -> f64 {
        self.share_in(doc, query, extra, ABOUT_FIELDS, |q| q.problem)
    }

    fn share_in(
        &self,
        doc: usize,
        query: &[QueryTerm],
        extra: f64,
        fields: u8,
        pick: impl Fn(&QueryTerm) -> bool,
    ) -> f64 {
        let (mut have, mut max) = (0.0, extra);
        for q in query {
            if !pick(q) || q.weight.is_nan() || q.weight <= 0.0 {
                continue;
            }
            let Some(&id) = self.terms.get(&q.term) else {
                continue;
            };
            let postings = &self.postings[id as usize];
            let w = q.weight * self.idf_df(postings.len());
            max += w;
            if let Ok(i) = postings.binary_search_by_key(&(doc as u32), |p| p.doc)
                && postings[i].fields & fields != 0
            {
                have += w;
            }
        }
        if max > 0.0 { have / max } else { 0.0 }
    }

    /// Share of the idf of document `doc`'s title and alert-name terms that the query has
    /// (`query_ids`: the ids of its weighted terms, sorted): a runbook named after
    /// "KubeDeploymentReplicasMismatch" is only partly the answer to a StatefulSet's replicas
    /// mismatch. 1 for a document without a title.
    pub fn head_coverage(&self, doc: usize, query_ids: &[u32]) -> f64 {
        let (mut have, mut all) = (0.0, 0.0);
        for &id in &self.heads[doc] {
            let idf = self.idf_df(self.postings[id as usize].len());
            all += idf;
            if query_ids.binary_search(&id).is_ok() {
                have += idf;
            }
        }
        if all > 0.0 { have / all } else { 1.0 }
    }

    /// Whether document `doc` has `term` (already tokenized) in any field.
    pub fn has_term(&self, doc: usize, term: &str) -> bool {
        self.terms.get(term).is_some_and(|&id| {
            self.postings[id as usize]
                .binary_search_by_key(&(doc as u32), |p| p.doc)
                .is_ok()
        })
    }

    /// The sorted ids of the query's terms that carry weight (for [`Index::head_coverage`]).
    pub fn query_ids(&self, query: &[QueryTerm]) -> Vec<u32> {
        let mut ids: Vec<u32> = query
            .iter()
            .filter(|q| q.weight > 0.0)
            .filter_map(|q| self.terms.get(&q.term).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// BM25's idf from a document frequency.
    fn idf_df(&self, df: usize) -> f64 {
        let n = self.len() as f64;
        let df = df as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Which query terms match document `doc`, in which fields, with their share of the score.
    pub fn explain(&self, doc: usize, query: &[QueryTerm]) -> Vec<(usize, Vec<Field>, f64)> {
        let mut out = Vec::new();
        for (qi, q) in query.iter().enumerate() {
            let Some(&id) = self.terms.get(&q.term) else {
                continue;
            };
            let postings = &self.postings[id as usize];
            if let Ok(i) = postings.binary_search_by_key(&(doc as u32), |p| p.doc) {
                let p = &postings[i];
                let fields = Field::ALL
                    .into_iter()
                    .filter(|f| p.fields & (1 << *f as u8) != 0)
                    .collect();
                let idf = self.idf_df(postings.len());
                out.push((qi, fields, q.weight * idf * p.sat as f64));
            }
        }
        out
    }
}

/// The `k` best of the touched documents by score, then by lower document number, best first.
///
/// Scores are sums of non-negative terms, so the bits of the `f32` order like its value; with
/// the inverted document number below them, one `u64` orders a document exactly as
/// `(score desc, doc asc)`. A min-heap of the `k` best keys so far rejects most documents with
/// one comparison.
fn top_k(touched: &[u32], acc: &[(f32, f32)], k: usize) -> Vec<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    if k == 0 {
        return Vec::new();
    }
    let key = |d: u32| ((acc[d as usize].0.to_bits() as u64) << 32) | (u32::MAX - d) as u64;
    let mut heap: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(k.min(touched.len()) + 1);
    for &d in touched {
        let kd = key(d);
        if heap.len() < k {
            heap.push(Reverse(kd));
        } else if let Some(mut worst) = heap.peek_mut()
            && kd > worst.0
        {
            *worst = Reverse(kd);
        }
    }
    let mut keys: Vec<u64> = heap.into_iter().map(|Reverse(k)| k).collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    keys.into_iter()
        .map(|k| u32::MAX - (k & 0xffff_ffff) as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(title: &'a str, body: &'a str) -> FieldTexts<'a> {
        let mut t = FieldTexts::default();
        t.fields[Field::Title as usize].push(title);
        t.fields[Field::Body as usize].push(body);
        t
    }

    fn q(words: &str) -> Vec<QueryTerm> {
        tokenize::tokens_with_surface(words)
            .into_iter()
            .map(|(term, surface)| QueryTerm {
                term,
                surface,
                weight: 1.0,
                focus: true,
                problem: true,
            })
            .collect()
    }

    /// The search as it was first written (score every touched document, sort them all): the
    /// reference the faster one must match exactly.
    fn reference(idx: &Index, query: &[QueryTerm], limit: usize, extra: f64) -> Vec<Hit> {
        let mut scores = vec![0.0f32; idx.len()];
        let mut covered = vec![0.0f32; idx.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut max = extra;
        for q in query {
            let Some(&id) = idx.terms.get(&q.term) else {
                continue;
            };
            let idf = idx.idf(&q.term);
            max += q.weight * idf;
            let w = (q.weight * idf) as f32;
            for p in &idx.postings[id as usize] {
                let d = p.doc as usize;
                if covered[d] == 0.0 {
                    touched.push(p.doc);
                }
                scores[d] += w * p.sat;
                covered[d] += w;
            }
        }
        let mut hits: Vec<Hit> = touched
            .into_iter()
            .map(|d| {
                let score = scores[d as usize] as f64;
                let cov = covered[d as usize] as f64;
                Hit {
                    doc: d as usize,
                    score,
                    norm: if max > 0.0 { score / max } else { 0.0 },
                    coverage: if max > 0.0 { cov / max } else { 0.0 },
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits.truncate(limit);
        hits
    }

    /// [`Index::focus`] by scanning every posting of every term.
    fn reference_focus(idx: &Index, doc: usize, query: &[QueryTerm], extra: f64) -> f64 {
        let (mut have, mut max) = (0.0, extra);
        for q in query.iter().filter(|q| q.focus) {
            let Some(&id) = idx.terms.get(&q.term) else {
                continue;
            };
            let w = q.weight * idx.idf(&q.term);
            max += w;
            // Title, alerts, headings, tags, lead.
            if idx.postings[id as usize]
                .iter()
                .any(|p| p.doc as usize == doc && p.fields & 0b10_1111 != 0)
            {
                have += w;
            }
        }
        if max > 0.0 { have / max } else { 0.0 }
    }

    #[test]
    fn same_results_as_scoring_everything() {
        // A small vocabulary, so that many documents tie and many share terms.
        let words = [
            "disk",
            "full",
            "pod",
            "crash",
            "loop",
            "node",
            "memory",
            "pool",
            "connection",
            "latency",
            "error",
            "queue",
            "lag",
            "cert",
            "expire",
            "dns",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let texts: Vec<(String, String)> = (0..600)
            .map(|_| {
                let mut pick = |n: u64| -> String {
                    (0..1 + next() % n)
                        .map(|_| words[(next() % words.len() as u64) as usize])
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                (pick(3), pick(12))
            })
            .collect();
        let idx = Index::build(texts.iter().map(|(t, b)| doc(t, b)), Bm25fParams::default());
        for round in 0..300 {
            let query: Vec<QueryTerm> = (0..1 + next() % 6)
                .map(|_| {
                    let w = words[(next() % words.len() as u64) as usize];
                    QueryTerm {
                        term: w.into(),
                        surface: w.into(),
                        weight: [1.0, 0.6, 0.3, 0.15][(next() % 4) as usize],
                        focus: next() % 2 == 0,
                        problem: next() % 2 == 0,
                    }
                })
                .collect();
            let limit = [1, 5, 25, 1000][round % 4];
            let extra = if round % 3 == 0 { 1.5 } else { 0.0 };
            let hits = idx.search(&query, limit, extra);
            assert_eq!(
                hits,
                reference(&idx, &query, limit, extra),
                "{query:?} limit {limit}"
            );
            let focus_extra = if round % 5 == 0 { 0.7 } else { 0.0 };
            for h in &hits {
                let f = idx.focus(h.doc, &query, focus_extra);
                let r = reference_focus(&idx, h.doc, &query, focus_extra);
                assert!((f - r).abs() < 1e-12 && (0.0..=1.0).contains(&f), "{f} {r}");
            }
        }
    }

    #[test]
    fn title_beats_body_and_rare_beats_common() {
        let idx = Index::build(
            [
                doc("Disk full", "the node disk is full, free space"),
                doc("Pod crash looping", "the pod restarts; check disk"),
                doc("Something else", "nothing relevant here pod"),
            ],
            Bm25fParams::default(),
        );
        let hits = idx.search(&q("disk"), 10, 0.0);
        assert_eq!(hits[0].doc, 0);
        assert_eq!(hits.len(), 2);
        let hits = idx.search(&q("crash looping pod"), 10, 0.0);
        assert_eq!(hits[0].doc, 1);
        assert!(hits[0].norm > 0.5 && hits[0].norm <= 1.0, "{hits:?}");
        let ex = idx.explain(1, &q("crash pod"));
        assert_eq!(ex.len(), 2);
        assert!(ex[0].1.contains(&Field::Title));
    }
}
