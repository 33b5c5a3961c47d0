//! A small in-memory BM25F index over five fields: title, alert names, headings, tags (with
//! services) and body.
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
}

pub const FIELDS: usize = 5;

impl Field {
    pub const ALL: [Field; FIELDS] = [
        Field::Title,
        Field::Alerts,
        Field::Headings,
        Field::Tags,
        Field::Body,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Alerts => "alerts",
            Field::Headings => "headings",
            Field::Tags => "tags",
            Field::Body => "body",
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
            //        title alerts headings tags body
            weight: [3.0, 3.0, 2.0, 2.0, 1.0],
            b: [0.4, 0.3, 0.5, 0.3, 0.75],
            k1: 1.2,
        }
    }
}

/// The text of one document, field by field.
#[derive(Clone, Debug, Default)]
pub struct FieldTexts<'a> {
    pub fields: [Vec<&'a str>; FIELDS],
}

#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    tf: [u16; FIELDS],
}

/// The inverted index.
#[derive(Clone, Debug, Default)]
pub struct Index {
    params: Bm25fParams,
    terms: HashMap<String, u32>,
    postings: Vec<Vec<Posting>>,
    lengths: Vec<[u32; FIELDS]>,
    avg: [f64; FIELDS],
}

/// One query term with its weight (alert names weigh more than label values).
#[derive(Clone, Debug, PartialEq)]
pub struct QueryTerm {
    pub term: String,
    /// As the user wrote it, for the `why` line.
    pub surface: String,
    pub weight: f64,
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
        let mut index = Index {
            params,
            ..Index::default()
        };
        let mut counts: HashMap<u32, [u16; FIELDS]> = HashMap::new();
        for (doc, texts) in docs.into_iter().enumerate() {
            counts.clear();
            let mut lengths = [0u32; FIELDS];
            for (f, parts) in texts.fields.iter().enumerate() {
                for part in parts {
                    tokenize::for_each_token(part, |t| {
                        let next = index.terms.len() as u32;
                        let id = *index.terms.entry(t).or_insert(next);
                        if id == next {
                            index.postings.push(Vec::new());
                        }
                        let c = counts.entry(id).or_insert([0; FIELDS]);
                        c[f] = c[f].saturating_add(1);
                        lengths[f] += 1;
                    });
                }
            }
            for (&term, &tf) in &counts {
                index.postings[term as usize].push(Posting {
                    doc: doc as u32,
                    tf,
                });
            }
            index.lengths.push(lengths);
        }
        let n = index.lengths.len().max(1) as f64;
        for f in 0..FIELDS {
            let total: u64 = index.lengths.iter().map(|l| l[f] as u64).sum();
            index.avg[f] = (total as f64 / n).max(1.0);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
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
        let n = self.len() as f64;
        let df = self.df(term) as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    fn pseudo_tf(&self, p: &Posting) -> f64 {
        let len = &self.lengths[p.doc as usize];
        let mut tf = 0.0;
        for (f, &count) in p.tf.iter().enumerate() {
            if count > 0 {
                let norm = 1.0 - self.params.b[f] + self.params.b[f] * len[f] as f64 / self.avg[f];
                tf += self.params.weight[f] * count as f64 / norm;
            }
        }
        tf
    }

    /// Scores every document matching at least one term, best first, at most `limit` hits.
    ///
    /// `denominator_extra` adds to the normalising maximum (for query terms that count against
    /// a match although no document has them).
    pub fn search(&self, query: &[QueryTerm], limit: usize, denominator_extra: f64) -> Vec<Hit> {
        let mut scores = vec![0.0f64; self.len()];
        let mut covered = vec![0.0f64; self.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut max = denominator_extra;
        for q in query {
            let Some(&id) = self.terms.get(&q.term) else {
                continue;
            };
            let idf = self.idf(&q.term);
            max += q.weight * idf;
            for p in &self.postings[id as usize] {
                let tf = self.pseudo_tf(p);
                let s = &mut scores[p.doc as usize];
                if *s == 0.0 {
                    touched.push(p.doc);
                }
                *s += q.weight * idf * tf / (self.params.k1 + tf);
                covered[p.doc as usize] += q.weight * idf;
            }
        }
        let mut hits: Vec<Hit> = touched
            .into_iter()
            .map(|d| {
                let score = scores[d as usize];
                Hit {
                    doc: d as usize,
                    score,
                    norm: if max > 0.0 { score / max } else { 0.0 },
                    coverage: if max > 0.0 {
                        covered[d as usize] / max
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        let cmp = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit, cmp);
            hits.truncate(limit);
        }
        hits.sort_by(cmp);
        hits
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
                    .filter(|f| p.tf[*f as usize] > 0)
                    .collect();
                let tf = self.pseudo_tf(p);
                out.push((
                    qi,
                    fields,
                    q.weight * self.idf(&q.term) * tf / (self.params.k1 + tf),
                ));
            }
        }
        out
    }
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
            })
            .collect()
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
