//! Knowledge at response time: runbooks and postmortems, a ranked full-text index, and the
//! matcher that ties an alert cluster to the documents that may help.
//!
//! Pure: documents come in as `(kind, path, text)` (the caller reads the files), nothing here
//! touches the clock, the network or the disk.
//!
//! Matching works in two layers. Explicit links first: a runbook whose `alerts:` list (or, for
//! plain Markdown runbooks, whose file name or headings) names the alert, a file name that
//! spells the alert name differently (`kube-pod-crash-looping.md`), an alert whose `runbook_url`
//! annotation names the document's file, its path, or an anchor of one of its headings. Then
//! content: a BM25F score ([`index`]) over title, alert names, headings, tags, body and lead
//! (the opening paragraph and the Meaning / Impact / Summary sections), with the
//! cluster's alert names, summaries, descriptions and labels as the query (alert-name words
//! weigh most; alert-name, summary/description and service words no document contains count
//! against every match). Labels that only name the scrape target (`job`, `container`,
//! `endpoint`, `namespace`, a `service` that is the job's own) weigh nothing: real values like
//! `kube-rbac-proxy-main` or `job=rook-ceph-mgr` must not outweigh a short summary
//! ([`MatchQuery::split_targets`]). But a word the job or service names and the alert's name or
//! summary repeats is the alert's subject (`grafana` in `job=kube-prometheus-stack-grafana` and
//! "Grafana is down."): it weighs [`MatchParams::w_subject`], and a subject no document mentions
//! counts against every match — the generic "disappeared from target discovery" words then no
//! longer carry a Kube…Down runbook. Each match says why it matched and carries a
//! [`Confidence`]: high (an explicit link, or content at least [`MatchParams::high_match`]),
//! medium (content at least [`MatchParams::good_match`]), low otherwise. Low is "no good
//! match": no steps are offered from it, a cluster with only low matches is novel, and
//! [`KnowledgeBase::abstention`] says why ("best 0.27 below the 0.34 floor; nearest: …").
//!
//! Evaluation (tests/fixtures/knowledge/eval, `cargo test --test suite knowledge_eval:: -- --nocapture`):
//! 37 runbooks in three styles. Parameters are tuned (`knowledge_eval::tune`, a grid search)
//! on queries-dev.yaml and queries-rules-tune.yaml only (names known and hidden); the held-out
//! files are only reported. Issue 19's rounds 2 and 3 added 16 + 16 cases to the tuning part
//! and 16 + 17 to the held-out part (kube-prometheus/node/etcd-style rules, exporter alerts,
//! uncovered components next to covered ones, and in round 3 uncovered alerts about a
//! *different problem* of a covered component: Redis down vs Redis memory, StatefulSet vs
//! Deployment replicas, MySQL replication lag vs Postgres's), each written and committed
//! before any tuning. Round 3 added three factors on a content score, each chosen by the grid
//! (which now minimises the shortfall below the issue's 90% goals first, then the mean):
//! [`MatchParams::problem_weight`] (the alert's problem words — alert-name and summary words
//! naming no component, scrape target or instance — in the runbook's title, alert names, tags
//! or lead), [`MatchParams::head_weight`] (the words a runbook is named after in the alert),
//! and [`MatchParams::w_instance`] 0 (pod, container, namespace, deployment, mountpoint …
//! values, and summary words repeating them, weigh nothing). The floor moved 0.34 → 0.22 with
//! them. A margin rule (a best match far ahead of the second is good below the floor; a
//! cluster of near-equal matches is not good above it) was tried on the grid and did not
//! improve the tuning part, so it is not in. On the rule sets (queries-rules-*.yaml), before →
//! after round 3's changes (both on the set extended by round 3):
//!
//! | | tune, names known | held-out, names known | tune, names hidden | held-out, names hidden |
//! |---|---|---|---|---|
//! | right runbook first | 91% → 94% (32/34) | 97% → 91% (29/32) | 82% → 85% (29/34) | 88% → 91% (29/32) |
//! | in the top 3 | 100% → 100% | 100% → 100% | 97% → 97% | 100% → 100% |
//! | uncovered alerts abstain | 80% → 90% (27/30) | 60% → 73% (22/30) | 83% → 90% (27/30) | 77% → 77% (23/30) |
//! | name known and linked: right runbook first | 100% (25/25) | 100% (12/12) | – | – |
//!
//! The older team-style set: dev 95% / 100% / 100% (top-1 / top-3 / abstain), held-out 65% /
//! 94% / 62% (unchanged). The goals of issue 19 (abstain ≥ 90%, names-hidden top-1 ≥ 90%) are
//! met on the held-out part only for names-hidden top-1; abstention there is 73% / 77%. What
//! still fails on the tuning part: an alert whose component is a word of the alert name that
//! no runbook has (StatefulSet vs the Deployment runbook, PersistentVolume errors vs filling
//! up), and names-hidden alerts whose right runbook is first but below the floor. A match below
//! the floor never offers steps (`knowledge_eval::abstained_cases_never_offer_steps` runs
//! every case through a cockpit). [`MatchParams::focus_weight`] is in place but 0: it did not
//! improve the tuning part.
//! Speed (`cargo bench --bench knowledge -- --figures`, 10,000 documents, 2 cores at load
//! 10-14, on-CPU time of the thread; before → after this round): `match_alerts` p50 0.36 →
//! 0.36 ms, p99 0.60 → 0.55 ms (goal p99 ≤ 2 ms; a first version that summed the focus in the
//! search loop cost +49% at p99, so [`index::Index::focus`] is worked out afterwards for the
//! returned documents only, and only when `focus_weight` > 0); `/` search p99 1.15 → 1.11 ms;
//! index build of 10,000 documents 0.42 → 0.55 s (the lead field; goal ≤ 1 s); start-up of
//! 1,000 documents 77 → 89 ms (goal ≤ 100 ms).
//!
//! [`lint`] holds runbook staleness and the postmortem linter; [`report`] the pure functions
//! behind `kb search`, `kb match` and `kb lint`; [`search`] the TUI's `/` search across all
//! knowledge (fuzzy titles with `nucleo-matcher`, merged with the content ranking). Reloading
//! when a document changes on disk is edge code: `crate::knowledge_watch`.

pub mod doc;
pub mod index;
pub mod lint;
pub mod markdown;
pub mod problem;
pub mod report;
pub mod search;
pub mod tokenize;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

pub use doc::{DocError, DocKind, Postmortem, Runbook, parse_postmortem, parse_runbook};
use index::{Bm25fParams, Field, FieldTexts, Index, QueryTerm};
pub use search::SearchHit;

/// How a cluster becomes a query and when a content match counts as good.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchParams {
    /// Normalised content score from which a match without an explicit link is "good"
    /// (confidence medium): below it, matching abstains ("no good match").
    pub good_match: f64,
    /// Normalised content score from which a content-only match has high confidence.
    pub high_match: f64,
    /// Query term weights by where the term came from.
    pub w_alertname: f64,
    pub w_service: f64,
    pub w_text: f64,
    pub w_label_value: f64,
    pub w_label_name: f64,
    /// Weight of words that only name the scrape target (`job`, `container`, `endpoint`,
    /// `namespace`, a `service` that is the job's): they say where the metric came from, not
    /// what is wrong, and must not outweigh a short summary.
    pub w_target: f64,
    /// How much of its weight an alert-name word, or a summary/description word, that no
    /// document contains counts against every match (it is evidence of a topic nobody wrote
    /// about).
    pub unknown_alertname_share: f64,
    pub unknown_text_share: f64,
    /// The same for the words of a service no document mentions (`vault`, `harbor`).
    pub unknown_service_share: f64,
    /// Scrape-target words no document mentions (`harbor-exporter`, `rook-ceph-mgr`), as a
    /// share of `w_text`: the target does not describe the problem, but a component nobody
    /// wrote about is evidence that nothing here covers it.
    pub unknown_target_share: f64,
    /// Weight of the alert's subject: a word naming a component (service or scrape target)
    /// that the alert's name or summary/description repeats (`etcd`, `grafana`).
    pub w_subject: f64,
    /// How much of `w_subject` a subject no document mentions counts against every match.
    pub unknown_subject_share: f64,
    /// How much it matters where a document has the query's problem words: a content score
    /// is multiplied by `(1 - focus_weight) + focus_weight × focus`, with `focus` the share of
    /// those words (by weight and rarity) found in its title, alert names, headings, tags or
    /// lead (opening paragraph, Meaning / Impact / Summary sections).
    pub focus_weight: f64,
    /// How much it matters that a document says it is about the alert's *problem*: a content
    /// score is multiplied by `(1 - problem_weight) + problem_weight × about`, with `about` the
    /// share of the problem words (alert-name and summary/description words that name no
    /// component and no scrape target: `down`, `lag`, `expiring`) found in the document's
    /// title, alert names, tags or lead. A runbook about "Postgres replication lag" then no
    /// longer matches "Postgres down" on the component's words alone.
    pub problem_weight: f64,
    /// The `about` share from which a document counts as fully about the problem (shares
    /// are scaled by it and capped at 1): a verbose description brings many words no
    /// document's lead has, so a right runbook rarely has all of them.
    pub problem_full: f64,
    /// Weight of the values of labels that name one instance of a thing (`pod`, `container`,
    /// `namespace`, `deployment`, `mountpoint`, …), and of summary/description words that only
    /// repeat such a value ("Pod batch/worker-6f8c9 (worker) is restarting"): `worker` and
    /// `batch` say where, not what is wrong. Words of the alert's name or of a component keep
    /// their weight.
    pub w_instance: f64,
    /// How much it matters that the alert has the words a document is named after (its title
    /// and alert names, by idf): a content score is multiplied by `(1 - head_weight) +
    /// head_weight × coverage`.
    pub head_weight: f64,
    /// What is left of a content score when the runbook is named after symptoms of which the
    /// alert names none ([`problem`]: "Redis memory near maxmemory" for "Redis rejected
    /// connections"). 1 turns the rule off.
    pub symptom_cut: f64,
    /// The same when the runbook is named after kinds of object of which the alert names none
    /// (a Deployment's runbook for a StatefulSet's alert).
    pub kind_cut: f64,
    /// The same when the alert's name names a distinctive component (one at most
    /// `subject_df` of the documents mention; `coredns`, `grafana`) that the document never
    /// mentions.
    pub subject_cut: f64,
    pub subject_df: f64,
}

impl Default for MatchParams {
    fn default() -> Self {
        MatchParams {
            good_match: 0.16,
            high_match: 0.6,
            w_alertname: 1.0,
            w_service: 0.6,
            w_text: 0.3,
            w_label_value: 0.3,
            w_label_name: 0.15,
            w_target: 0.0,
            unknown_alertname_share: 0.75,
            unknown_text_share: 0.5,
            unknown_service_share: 0.5,
            unknown_target_share: 0.0,
            w_subject: 0.3,
            unknown_subject_share: 1.0,
            focus_weight: 0.0,
            problem_weight: 0.5,
            problem_full: 0.2,
            w_instance: 0.0,
            head_weight: 0.6,
            symptom_cut: 0.5,
            kind_cut: 0.3,
            subject_cut: 0.5,
            subject_df: 0.2,
        }
    }
}

/// Extra score for an explicit link (an alert named in `alerts:`, a `runbook_url` naming the
/// file), so that links rank above content-only matches.
const LINK_BONUS: f64 = 1.0;

/// How many matches [`KnowledgeBase::match_alerts`] returns at most.
pub const MAX_MATCHES: usize = 25;

/// All loaded documents and their index.
#[derive(Clone, Debug, Default)]
pub struct KnowledgeBase {
    pub runbooks: Vec<Runbook>,
    pub postmortems: Vec<Postmortem>,
    index: Index,
    params: MatchParams,
    links: LinkIndex,
    /// Titles and ids laid out for the `/` search.
    titles: search::Titles,
    /// Per document (runbooks, then postmortems), the symptoms and kinds its title and alert
    /// names name.
    abouts: Vec<problem::About>,
}

/// Lookups for explicit links, so matching does not scan every document.
#[derive(Clone, Debug, Default)]
struct LinkIndex {
    /// Alert name → documents naming it (runbooks, then postmortems at `runbooks.len() + i`).
    by_alert: HashMap<String, Vec<usize>>,
    /// `squash(file stem)` → runbooks (`kube-pod-crash-looping.md` ~ `KubePodCrashLooping`).
    by_squashed_stem: HashMap<String, Vec<usize>>,
    /// Lower-case file stem and lower-case id → runbooks (for `runbook_url`s).
    by_lower_key: HashMap<String, Vec<usize>>,
    /// Lower-case alert name → runbooks (for `runbook_url` anchors).
    by_lower_alert: HashMap<String, Vec<usize>>,
    /// Service → runbooks listing it in `services:` (what a runbook covers).
    by_service: HashMap<String, Vec<usize>>,
}

impl LinkIndex {
    fn build(runbooks: &[Runbook], postmortems: &[Postmortem]) -> LinkIndex {
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

/// What a cluster of alerts says about itself: the query for [`KnowledgeBase::match_alerts`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchQuery {
    pub alertnames: Vec<String>,
    pub services: Vec<String>,
    /// Summaries and descriptions.
    pub texts: Vec<String>,
    /// Label pairs (the alertname and service labels may be repeated here; they are deduplicated).
    pub labels: Vec<(String, String)>,
    /// Label values that name the scrape target rather than the problem (`job`, `container`,
    /// `endpoint`, `namespace`, `service` when it is the job's service).
    #[serde(default)]
    pub targets: Vec<String>,
    pub runbook_urls: Vec<String>,
}

impl MatchQuery {
    /// The query for one alert from its labels and annotations: `alertname`, `service` (also
    /// `app`, `job`, `app_kubernetes_io_name`), `summary`/`description`/`message`, `runbook_url`.
    pub fn from_alert(
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> MatchQuery {
        let mut q = MatchQuery::default();
        q.add_alert(labels, annotations);
        q
    }

    /// Adds one more alert of the cluster.
    pub fn add_alert(
        &mut self,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) {
        fn push(v: &mut Vec<String>, s: &str) {
            if !s.is_empty() && !v.iter().any(|x| x == s) {
                v.push(s.to_string());
            }
        }
        for (k, v) in labels {
            match k.as_str() {
                "alertname" => push(&mut self.alertnames, v),
                "service" | "app" | "app_kubernetes_io_name" | "k8s_app" | "component" => {
                    push(&mut self.services, v)
                }
                _ => {}
            }
            let pair = (k.clone(), v.clone());
            if !self.labels.contains(&pair) {
                self.labels.push(pair);
            }
        }
        for (k, v) in annotations {
            match k.as_str() {
                "summary" | "description" | "message" | "title" => push(&mut self.texts, v),
                "runbook_url" | "runbook" => push(&mut self.runbook_urls, v),
                _ => {}
            }
        }
        self.split_targets();
    }

    /// Moves what names the scrape target out of the problem's description into `targets`:
    /// the values of `job`, `container`, `endpoint`, `namespace` labels, and a service that is
    /// the scrape job's own (kube-prometheus: `service=kube-prometheus-stack-kube-state-metrics`
    /// with `job=kube-state-metrics`; `service=node-exporter` with `job=node-exporter`).
    /// Idempotent; call it after building a query by hand.
    pub fn split_targets(&mut self) {
        let jobs: Vec<&str> = self
            .labels
            .iter()
            .filter(|(k, v)| k == "job" && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect();
        // `vault-active` for job `vault`, `kube-prometheus-stack-kubelet` for `kubelet`,
        // `distributor` for `loki/distributor`.
        let scrape_service = |s: &str| jobs.iter().any(|j| s.contains(j) || j.contains(s));
        let mut targets = std::mem::take(&mut self.targets);
        self.services.retain(|s| {
            if scrape_service(s) {
                if !targets.contains(s) {
                    targets.push(s.clone());
                }
                false
            } else {
                true
            }
        });
        for (k, v) in &self.labels {
            if is_target_label(k) && k != "service" && !v.is_empty() && !targets.contains(v) {
                targets.push(v.clone());
            }
        }
        self.targets = targets;
    }
}

/// Which document a match refers to: an index into `runbooks` or `postmortems`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum DocRef {
    Runbook(usize),
    Postmortem(usize),
}

/// How far a match can be trusted. Low is "no good match": matching abstains, no steps are
/// offered from it, and a cluster whose matches are all low is novel (human judgment).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    #[default]
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
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
    /// How far to trust the match: an explicit link or a content score of at least
    /// [`MatchParams::high_match`] is high, at least [`MatchParams::good_match`] medium, else low.
    pub confidence: Confidence,
    /// The content part of `score`: normalised BM25F in [0, 1] (0 without shared terms).
    pub content: f64,
    /// Share of the query (weighted by rarity) that occurs in the document at all, in [0, 1].
    pub coverage: f64,
}

impl KnowledgeBase {
    /// Parses documents; broken ones become [`DocError`]s and are skipped, the rest load.
    /// Runbook ids that collide get their path (without extension) as id instead.
    pub fn from_documents(
        docs: impl IntoIterator<Item = (DocKind, String, String)>,
    ) -> (KnowledgeBase, Vec<DocError>) {
        let mut runbooks: Vec<Runbook> = Vec::new();
        let mut postmortems: Vec<Postmortem> = Vec::new();
        let mut errors = Vec::new();
        let mut rb_ids: HashMap<String, usize> = HashMap::new();
        let mut pm_ids: HashMap<String, usize> = HashMap::new();
        for (kind, path, text) in docs {
            match kind {
                DocKind::Runbook => match parse_runbook(&path, &text) {
                    Ok(mut rb) => {
                        if rb_ids.contains_key(&rb.id) {
                            let alt = path_id(&path);
                            if rb_ids.contains_key(&alt) {
                                errors.push(DocError {
                                    path: path.clone(),
                                    line: None,
                                    message: format!(
                                        "runbook id {:?} is already used by {}",
                                        rb.id, runbooks[rb_ids[&rb.id]].path
                                    ),
                                });
                                continue;
                            }
                            rb.id = alt;
                        }
                        rb_ids.insert(rb.id.clone(), runbooks.len());
                        runbooks.push(rb);
                    }
                    Err(e) => errors.push(e),
                },
                DocKind::Postmortem => match parse_postmortem(&path, &text) {
                    Ok(mut pm) => {
                        if pm_ids.contains_key(&pm.id) {
                            pm.id = path_id(&path);
                        }
                        pm_ids.insert(pm.id.clone(), postmortems.len());
                        postmortems.push(pm);
                    }
                    Err(e) => errors.push(e),
                },
            }
        }
        (KnowledgeBase::new(runbooks, postmortems), errors)
    }

    /// Builds the index over already parsed documents.
    pub fn new(runbooks: Vec<Runbook>, postmortems: Vec<Postmortem>) -> KnowledgeBase {
        Self::with_params(runbooks, postmortems, Bm25fParams::default())
    }

    /// Like [`KnowledgeBase::new`] with other BM25F parameters (for tuning and evaluation).
    pub fn with_params(
        runbooks: Vec<Runbook>,
        postmortems: Vec<Postmortem>,
        params: Bm25fParams,
    ) -> KnowledgeBase {
        let texts = runbooks
            .iter()
            .map(runbook_fields)
            .chain(postmortems.iter().map(postmortem_fields))
            .collect::<Vec<_>>();
        let index = Index::build(texts, params);
        let links = LinkIndex::build(&runbooks, &postmortems);
        let titles = search::Titles::build(&runbooks, &postmortems);
        let named = |title: &str, alerts: &[String]| {
            let mut a = problem::About::default();
            a.add_text(title);
            alerts.iter().for_each(|x| a.add_text(x));
            a
        };
        let abouts = runbooks
            .iter()
            .map(|r| named(&r.title, &r.alerts))
            .chain(postmortems.iter().map(|p| named(&p.title, &p.alerts)))
            .collect();
        KnowledgeBase {
            runbooks,
            postmortems,
            index,
            params: MatchParams::default(),
            links,
            titles,
            abouts,
        }
    }

    /// Changes how queries are built and judged (no re-indexing needed).
    pub fn set_match_params(&mut self, params: MatchParams) {
        self.params = params;
    }

    pub fn match_params(&self) -> &MatchParams {
        &self.params
    }

    /// Rebuilds the index after `runbooks` or `postmortems` were changed in place.
    pub fn reindex(&mut self) {
        let runbooks = std::mem::take(&mut self.runbooks);
        let postmortems = std::mem::take(&mut self.postmortems);
        let params = self.params.clone();
        *self = KnowledgeBase::new(runbooks, postmortems);
        self.params = params;
    }

    pub fn runbook(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// The step `runbook-id/step-id` names, if a runbook here has it.
    pub fn step(&self, step: &crate::actions::StepRef) -> Option<&crate::actions::Step> {
        let (rb, id) = step.parts()?;
        self.runbook(rb)?.steps.iter().find(|s| s.id == id)
    }

    /// The runbooks that cover an alert, by index: its name is in their `alerts:`, its service
    /// (`service`, else `app`, else `job` label) in their `services:`, or its `runbook_url`
    /// (or `runbook`) annotation points at them. Only these may fill a step's placeholders
    /// from the alert: matching by content decides what is offered, never whom it acts on.
    pub fn runbooks_covering(&self, alert: &crate::alerts::Alert) -> Vec<usize> {
        let none: &[usize] = &[];
        let base = self.runbooks.len();
        let mut out: Vec<usize> = Vec::new();
        out.extend(
            self.links
                .by_alert
                .get(alert.name())
                .map_or(none, Vec::as_slice)
                .iter()
                .filter(|&&i| i < base),
        );
        if let Some(service) = alert.service() {
            out.extend(
                self.links
                    .by_service
                    .get(service)
                    .map_or(none, Vec::as_slice),
            );
        }
        for url in ["runbook_url", "runbook"]
            .iter()
            .filter_map(|k| alert.annotation(k))
        {
            out.extend(self.runbooks_named_by_url(url).into_iter().map(|(i, _)| i));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The runbooks a `runbook_url` points at, each with why.
    fn runbooks_named_by_url(&self, url: &str) -> Vec<(usize, String)> {
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

    pub fn postmortem(&self, id: &str) -> Option<&Postmortem> {
        self.postmortems.iter().find(|p| p.id == id)
    }

    /// The path and title of a matched document.
    pub fn doc_path_title(&self, doc: DocRef) -> (&str, &str) {
        match doc {
            DocRef::Runbook(i) => (&self.runbooks[i].path, &self.runbooks[i].title),
            DocRef::Postmortem(i) => (&self.postmortems[i].path, &self.postmortems[i].title),
        }
    }

    /// Every alert name a runbook or postmortem names.
    pub fn known_alertnames(&self) -> BTreeSet<String> {
        self.runbooks
            .iter()
            .flat_map(|r| r.alerts.iter())
            .chain(self.postmortems.iter().flat_map(|p| p.alerts.iter()))
            .cloned()
            .collect()
    }

    fn doc_ref(&self, i: usize) -> DocRef {
        if i < self.runbooks.len() {
            DocRef::Runbook(i)
        } else {
            DocRef::Postmortem(i - self.runbooks.len())
        }
    }

    /// Ranks runbooks and postmortems for a cluster, best first (at most [`MAX_MATCHES`]).
    pub fn match_alerts(&self, q: &MatchQuery) -> Vec<KnowledgeMatch> {
        self.rank(q, MAX_MATCHES)
    }

    /// [`KnowledgeBase::match_alerts`] with the number of matches as a parameter: the `k` best
    /// by content and the explicitly linked documents, merged, best first, at most `k`.
    fn rank(&self, q: &MatchQuery, k: usize) -> Vec<KnowledgeMatch> {
        let Terms {
            terms,
            missing,
            problem_missing,
            about,
            subjects,
        } = query_terms(q, &self.index, &self.params);
        let hits = self.index.search(&terms, k, missing);
        #[derive(Default)]
        struct Found {
            links: f64,
            why: Vec<String>,
            content: f64,
            coverage: f64,
            /// Why the content score was cut.
            cut: Vec<String>,
        }
        let mut found: BTreeMap<usize, Found> = BTreeMap::new();
        for (i, (bonus, why)) in self.docs_with_links(q) {
            let e = found.entry(i).or_default();
            e.links += bonus;
            e.why.extend(why);
        }
        let fw = self.params.focus_weight.clamp(0.0, 1.0);
        let pw = self.params.problem_weight.clamp(0.0, 1.0);
        let has_problem = problem_missing > 0.0 || terms.iter().any(|t| t.problem);
        let hw = self.params.head_weight.clamp(0.0, 1.0);
        let query_ids = if hw > 0.0 {
            self.index.query_ids(&terms)
        } else {
            Vec::new()
        };
        for hit in &hits {
            let e = found.entry(hit.doc).or_default();
            // What the document says it is about weighs in: the same words only mentioned on
            // the way (a Diagnosis command, a related alert) make a weaker match.
            e.content = if fw > 0.0 {
                let focus = self.index.focus(hit.doc, &terms, missing);
                hit.norm * ((1.0 - fw) + fw * focus)
            } else {
                hit.norm
            };
            // And whether it is about the alert's problem, not only its component.
            if pw > 0.0 && has_problem {
                let about = self.index.about(hit.doc, &terms, problem_missing);
                let about = (about / self.params.problem_full.max(1e-9)).min(1.0);
                e.content *= (1.0 - pw) + pw * about;
            }
            if hw > 0.0 {
                let head = self.index.head_coverage(hit.doc, &query_ids);
                e.content *= (1.0 - hw) + hw * head;
            }
            // Named after another problem, another kind of object, or never mentioning the
            // component the alert is named after.
            let theirs = &self.abouts[hit.doc];
            if about.other_symptom(theirs) && self.params.symptom_cut < 1.0 {
                e.content *= self.params.symptom_cut.max(0.0);
                e.cut.push(format!(
                    "named after another problem ({}; the alert: {})",
                    theirs.symptom_names(),
                    about.symptom_names()
                ));
            }
            if about.other_kind(theirs) && self.params.kind_cut < 1.0 {
                e.content *= self.params.kind_cut.max(0.0);
                e.cut.push(format!(
                    "about another kind of object ({}; the alert: {})",
                    theirs.kind_names(),
                    about.kind_names()
                ));
            }
            if !subjects.is_empty()
                && self.params.subject_cut < 1.0
                && !subjects.iter().any(|t| self.index.has_term(hit.doc, t))
            {
                e.content *= self.params.subject_cut.max(0.0);
                e.cut
                    .push(format!("never mentions {}", subjects.join(", ")));
            }
            e.coverage = hit.coverage;
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
            .map(|(i, mut f)| {
                if f.content > 0.0
                    && let Some(line) = self.explain_terms(i, &terms)
                {
                    f.why.push(line);
                }
                let doc = self.doc_ref(i);
                if let Some(services) = self.shared_services(doc, &q.services) {
                    f.why.push(services);
                }
                f.why.append(&mut f.cut);
                let confidence = if f.links > 0.0 || f.content >= self.params.high_match {
                    Confidence::High
                } else if f.content >= self.params.good_match {
                    Confidence::Medium
                } else {
                    Confidence::Low
                };
                KnowledgeMatch {
                    doc,
                    score: f.links + f.content,
                    why: f.why,
                    good: confidence > Confidence::Low,
                    confidence,
                    content: f.content,
                    coverage: f.coverage,
                }
            })
            .collect()
    }

    /// Why matching abstains, when it does (no match is good): `best 0.27 below the 0.45
    /// floor; nearest: Kubelet Down (terms: …)`. `None` when some match is good.
    pub fn abstention(&self, matches: &[KnowledgeMatch]) -> Option<String> {
        if matches.iter().any(|m| m.good) {
            return None;
        }
        let floor = self.params.good_match;
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
                    "no good match: best {:.2} below the {floor:.2} floor; nearest: {title}{terms}",
                    m.content
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

    /// Docs explicitly linked to the query, with bonus and reasons.
    fn docs_with_links(&self, q: &MatchQuery) -> Vec<(usize, (f64, Vec<String>))> {
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

/// Free text as a query: an alert name typed as the query links like an alert would.
fn text_query(text: &str) -> MatchQuery {
    let mut q = MatchQuery::default();
    for word in text.split_whitespace() {
        if doc::looks_like_alertname(word) {
            q.alertnames.push(word.to_string());
        } else {
            q.texts.push(word.to_string());
        }
    }
    q
}

/// `kubernetes/KubePodCrashLooping.md` → `kubernetes/KubePodCrashLooping`.
fn path_id(path: &str) -> String {
    let p = path.trim_start_matches("./");
    match p.rfind('.') {
        Some(i) if i > p.rfind('/').map_or(0, |s| s + 1) => p[..i].to_string(),
        _ => p.to_string(),
    }
}

/// Lower-case letters and digits only: `kube-pod-crash-looping` == `KubePodCrashLooping`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn runbook_fields(rb: &Runbook) -> FieldTexts<'_> {
    let mut t = FieldTexts::default();
    t.fields[Field::Title as usize].push(&rb.title);
    t.fields[Field::Alerts as usize].extend(rb.alerts.iter().map(String::as_str));
    t.fields[Field::Headings as usize].extend(rb.headings.iter().map(String::as_str));
    t.fields[Field::Tags as usize].extend(rb.tags.iter().map(String::as_str));
    t.fields[Field::Tags as usize].extend(rb.services.iter().map(String::as_str));
    t.fields[Field::Body as usize].push(&rb.body);
    t.fields[Field::Lead as usize].extend(lead_sections(&rb.body));
    for s in &rb.steps {
        if s.origin == crate::actions::StepOrigin::Structured {
            t.fields[Field::Body as usize].push(&s.title);
        }
    }
    t
}

/// Headings (lower case, without `#`) of the sections that say what a runbook is about: the
/// Meaning / Impact sections of alert runbooks, the summary of team runbooks.
const LEAD_HEADINGS: &[&str] = &[
    "meaning",
    "impact",
    "summary",
    "description",
    "overview",
    "symptoms",
    "what it means",
    "what this alert means",
    "why it matters",
    "problem",
    "context",
];

/// The parts of a runbook's body that say what it is about: the text before its second
/// heading (the opening paragraph under the title) and the sections under
/// [`LEAD_HEADINGS`], as slices of `body`. Lines inside fenced code blocks are not headings.
fn lead_sections(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fence = false;
    let mut headings = 0;
    // Start of the section being read, when it is a lead section.
    let mut from: Option<usize> = Some(0);
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        } else if !fence && t.starts_with('#') {
            let name = t.trim_start_matches('#').trim().to_lowercase();
            headings += 1;
            // The title heading itself keeps the opening part going.
            if headings > 1 || !line.starts_with("# ") {
                if let Some(f) = from.take()
                    && f < at
                {
                    out.push(&body[f..at]);
                }
                if LEAD_HEADINGS.contains(&name.trim_end_matches(':')) {
                    from = Some(at + line.len());
                }
            }
        }
        at += line.len();
    }
    if let Some(f) = from
        && f < body.len()
    {
        out.push(&body[f..]);
    }
    out
}

fn postmortem_fields(pm: &Postmortem) -> FieldTexts<'_> {
    let mut t = FieldTexts::default();
    t.fields[Field::Title as usize].push(&pm.title);
    t.fields[Field::Alerts as usize].extend(pm.alerts.iter().map(String::as_str));
    t.fields[Field::Headings as usize].extend(pm.headings.iter().map(String::as_str));
    t.fields[Field::Tags as usize].extend(pm.services.iter().map(String::as_str));
    t.fields[Field::Body as usize].push(&pm.body);
    t
}

/// Labels that name the scrape target (where the metric came from) rather than the problem.
fn is_target_label(name: &str) -> bool {
    matches!(
        name,
        "job" | "container" | "endpoint" | "namespace" | "metrics_path" | "service"
    )
}

/// Labels whose values name one instance of a thing (a pod, a deployment, a mount point):
/// where the problem is, not what it is.
fn is_instance_label(name: &str) -> bool {
    matches!(
        name,
        "container"
            | "pod"
            | "namespace"
            | "node"
            | "instance"
            | "device"
            | "mountpoint"
            | "job_name"
            | "exported_namespace"
            | "exported_pod"
            | "persistentvolumeclaim"
            | "persistentvolume"
            | "deployment"
            | "statefulset"
            | "daemonset"
            | "horizontalpodautoscaler"
            | "cronjob"
            | "consumergroup"
            | "volume"
            | "pvc"
            | "resourcequota"
            | "uid"
    )
}

/// Labels that identify an instance rather than describe the problem.
fn is_identity_label(name: &str) -> bool {
    matches!(
        name,
        "alertname"
            | "severity"
            | "instance"
            | "pod"
            | "pod_name"
            | "container_id"
            | "uid"
            | "endpoint"
            | "prometheus"
            | "prometheus_replica"
            | "receiver"
            | "cluster"
            | "region"
            | "zone"
            | "env"
            | "environment"
            | "team"
            | "owner"
            | "priority"
            | "ip"
            | "host"
            | "hostname"
            | "node"
            | "id"
            | "le"
            | "quantile"
    )
}

/// Where a query word came from, as bits of a mask.
const FROM_NAME: u8 = 1;
const FROM_TEXT: u8 = 2;
const FROM_COMPONENT: u8 = 4;
const FROM_TARGET: u8 = 8;
const FROM_INSTANCE: u8 = 16;

/// Builds weighted query terms (one per distinct term, highest weight wins) and the weight of
/// meaningful query terms no document has (alert name and text words), which count against
/// every match's normalised score.
///
/// A word that both names a component (a service, or the scrape target's job or service) and
/// occurs in the alert's name or its summary/description is the alert's subject (`grafana` in
/// `job=kube-prometheus-stack-grafana` and "Grafana is down."; `etcd` in `job=kube-etcd` and
/// "etcd cluster members are down"): it weighs [`MatchParams::w_subject`], and when no
/// document has it, it counts against every match with that weight times
/// [`MatchParams::unknown_subject_share`] — nothing here is written about that component.
///
/// Also returns the weight of the problem words no document has (see
/// [`QueryTerm::problem`]), which counts against every document's [`Index::about`] share.
fn query_terms(q: &MatchQuery, index: &Index, p: &MatchParams) -> Terms {
    // (term, surface, where from, weight, unknown weight) in query order.
    let mut words: Vec<(String, String, u8, f64, f64)> = Vec::new();
    let mut collect = |text: &str, from: u8, weight: f64, unknown_weight: f64| {
        for (term, surface) in tokenize::tokens_with_surface(text) {
            words.push((term, surface, from, weight, unknown_weight));
        }
    };
    for a in &q.alertnames {
        collect(
            a,
            FROM_NAME,
            p.w_alertname,
            p.w_alertname * p.unknown_alertname_share,
        );
    }
    for s in &q.services {
        collect(
            s,
            FROM_COMPONENT,
            p.w_service,
            p.w_service * p.unknown_service_share,
        );
    }
    for t in &q.texts {
        collect(t, FROM_TEXT, p.w_text, p.w_text * p.unknown_text_share);
    }
    // Of the scrape target, the job and the service name a component (`kube-etcd`,
    // `kube-prometheus-stack-grafana`); container and namespace names are instances (a
    // description repeating `worker` or `shop` says nothing about what is wrong).
    let component = |t: &str| {
        q.labels
            .iter()
            .any(|(k, v)| (k == "job" || k == "service") && v == t)
    };
    for t in &q.targets {
        collect(
            t,
            FROM_TARGET | if component(t) { FROM_COMPONENT } else { 0 },
            p.w_target,
            p.w_text * p.unknown_target_share,
        );
    }
    for (k, v) in &q.labels {
        if is_instance_label(k) {
            collect(v, FROM_INSTANCE, p.w_instance, 0.0);
        }
        if k == "alertname" || is_identity_label(k) || is_target_label(k) {
            continue;
        }
        collect(k, 0, p.w_label_name, 0.0);
        if !is_instance_label(k) {
            collect(v, 0, p.w_label_value, 0.0);
        }
    }
    let mut from: HashMap<&str, u8> = HashMap::with_capacity(words.len());
    for (term, _, f, _, _) in &words {
        *from.entry(term.as_str()).or_default() |= f;
    }
    // A summary/description word that only repeats an instance's name.
    let instance = |term: &str| {
        let f = from.get(term).copied().unwrap_or(0);
        f & FROM_INSTANCE != 0 && f & (FROM_NAME | FROM_COMPONENT) == 0
    };
    let subject = |term: &str| {
        let f = from.get(term).copied().unwrap_or(0);
        f & FROM_COMPONENT != 0 && f & (FROM_NAME | FROM_TEXT) != 0
    };

    let mut terms: Vec<QueryTerm> = Vec::new();
    let mut pos: HashMap<&str, usize> = HashMap::new();
    // `unknown`: the weight with which a term no document has counts against matches.
    let mut unknown: HashMap<&str, f64> = HashMap::new();
    let mut unknown_problem: HashMap<&str, f64> = HashMap::new();
    for (term, surface, source, weight, unknown_weight) in &words {
        let (mut weight, mut unknown_weight) = (*weight, *unknown_weight);
        // Label values other than services and targets say nothing about the problem.
        let focus = *source & !(FROM_TARGET | FROM_INSTANCE) != 0;
        let problem = {
            let f = from.get(term.as_str()).copied().unwrap_or(0);
            f & (FROM_NAME | FROM_TEXT) != 0
                && f & (FROM_COMPONENT | FROM_TARGET) == 0
                && !instance(term)
        };
        // Its weight only: a name no document has (`zookeeper` in `container=zookeeper` and
        // "Zookeeper is down") is still evidence that nothing here covers the alert.
        if instance(term) {
            weight = weight.min(p.w_instance);
        }
        if subject(term) {
            weight = weight.max(p.w_subject);
            unknown_weight = unknown_weight.max(p.w_subject * p.unknown_subject_share);
        }
        if !index.contains_term(term) {
            // Words with digits in them (pod hashes, hosts) say nothing when unknown.
            if unknown_weight > 0.0 && !term.chars().any(|c| c.is_ascii_digit()) {
                let w = unknown.entry(term.as_str()).or_insert(0.0);
                *w = w.max(unknown_weight);
                if problem {
                    let w = unknown_problem.entry(term.as_str()).or_insert(0.0);
                    *w = w.max(unknown_weight);
                }
            }
            continue;
        }
        match pos.get(term.as_str()) {
            Some(&i) => {
                terms[i].focus |= focus;
                if terms[i].weight < weight {
                    terms[i].weight = weight;
                    terms[i].surface = surface.clone();
                }
            }
            None => {
                pos.insert(term.as_str(), terms.len());
                terms.push(QueryTerm {
                    term: term.clone(),
                    surface: surface.clone(),
                    weight,
                    focus,
                    problem,
                });
            }
        }
    }
    let max_idf = index.idf("\u{0}never a term\u{0}");
    let missing = unknown.values().map(|w| w * max_idf).sum();
    let problem_missing = unknown_problem.values().map(|w| w * max_idf).sum();
    // What the alert is about (its name and summary/description words), and the distinctive
    // components its name names (the summary's, when the name is hidden).
    let mut about = problem::About::default();
    let named = if q.alertnames.is_empty() {
        FROM_TEXT
    } else {
        FROM_NAME
    };
    let mut subjects: Vec<&str> = Vec::new();
    let most = p.subject_df * index.len() as f64;
    for (term, _, source, _, _) in &words {
        if source & (FROM_NAME | FROM_TEXT) != 0 {
            about.add_term(term);
        }
        let f = from.get(term.as_str()).copied().unwrap_or(0);
        if f & FROM_COMPONENT != 0
            && f & named != 0
            && !term.chars().any(|c| c.is_ascii_digit())
            && !problem::not_a_component(term)
            && index.df(term) as f64 <= most
            && !subjects.contains(&term.as_str())
        {
            subjects.push(term);
        }
    }
    Terms {
        subjects: subjects.into_iter().map(str::to_string).collect(),
        terms,
        missing,
        problem_missing,
        about,
    }
}

/// A cluster's query as [`query_terms`] builds it.
struct Terms {
    terms: Vec<QueryTerm>,
    /// Weight of meaningful words no document has (against every match).
    missing: f64,
    /// Weight of problem words no document has (against every [`Index::about`] share).
    problem_missing: f64,
    /// The symptoms and kinds the alert names.
    about: problem::About,
    /// Distinctive components the alert's name names (a document mentioning none of them is
    /// not about this alert).
    subjects: Vec<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        let docs = vec![
            (
                DocKind::Runbook,
                "db/postgres-connection-pool.md".to_string(),
                "---\nid: postgres-connection-pool\ntitle: Postgres connection pool exhausted\nalerts: [PostgresConnectionPoolExhausted]\nservices: [postgres]\n---\n# Postgres connection pool exhausted\n## Meaning\nAll server connections of the PgBouncer pool are in use; clients wait.\n".to_string(),
            ),
            (
                DocKind::Runbook,
                "kubernetes/KubePodCrashLooping.md".to_string(),
                "# KubePodCrashLooping\n## Meaning\nA container restarts repeatedly (CrashLoopBackOff).\n## Diagnosis\n```bash\nkubectl -n $NAMESPACE describe pod $POD\n```\n".to_string(),
            ),
            (
                DocKind::Runbook,
                "node/NodeFilesystemSpaceFillingUp.md".to_string(),
                "# NodeFilesystemSpaceFillingUp\n## Meaning\nA filesystem on a node is predicted to run out of disk space.\n".to_string(),
            ),
            (DocKind::Runbook, "broken.md".to_string(), "---\ntitle: [x\n---\n".to_string()),
            (
                DocKind::Postmortem,
                "pm/2025-09-03-orders.md".to_string(),
                "---\ntitle: Orders outage after pgbouncer change\nalerts: [PostgresConnectionPoolExhausted]\n---\n# Orders outage\n## Summary\nThe pool was exhausted.\n".to_string(),
            ),
        ];
        let (kb, errors) = KnowledgeBase::from_documents(docs);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "broken.md");
        kb
    }

    #[test]
    fn explicit_links_come_first() {
        let kb = kb();
        let q = MatchQuery {
            alertnames: vec!["PostgresConnectionPoolExhausted".into()],
            ..MatchQuery::default()
        };
        let m = kb.match_alerts(&q);
        assert_eq!(m[0].doc, DocRef::Runbook(0));
        assert!(m[0].good);
        assert!(m[0].why[0].contains("listed in alerts:"), "{:?}", m[0].why);
        assert!(m.iter().any(|x| x.doc == DocRef::Postmortem(0) && x.good));
    }

    #[test]
    fn runbook_url_by_file_name() {
        let kb = kb();
        let q = MatchQuery {
            alertnames: vec!["SomethingElse".into()],
            runbook_urls: vec![
                "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping/"
                    .into(),
            ],
            ..MatchQuery::default()
        };
        let m = kb.match_alerts(&q);
        assert_eq!(m[0].doc, DocRef::Runbook(1));
        assert!(
            m[0].why
                .iter()
                .any(|w| w.contains("runbook_url names this file"))
        );
    }

    #[test]
    fn content_match_without_a_name() {
        let kb = kb();
        let q = MatchQuery {
            alertnames: vec!["DiskWillFillUp".into()],
            texts: vec![
                "Filesystem on node worker-3 will run out of disk space within 4 hours".into(),
            ],
            ..MatchQuery::default()
        };
        let m = kb.match_alerts(&q);
        assert_eq!(m[0].doc, DocRef::Runbook(2), "{m:?}");
        assert!(m[0].good, "{m:?}");
        assert!(m[0].why.iter().any(|w| w.starts_with("terms:")));
    }

    #[test]
    fn unrelated_alert_is_no_good_match() {
        let kb = kb();
        let q = MatchQuery {
            alertnames: vec!["KafkaConsumerGroupLagHigh".into()],
            texts: vec!["Consumer group billing lags behind by 50000 messages".into()],
            ..MatchQuery::default()
        };
        assert!(kb.match_alerts(&q).iter().all(|m| !m.good));
    }

    #[test]
    fn confidence_levels_and_an_explained_abstention() {
        let kb = kb();
        let linked = kb.match_alerts(&MatchQuery {
            alertnames: vec!["PostgresConnectionPoolExhausted".into()],
            ..MatchQuery::default()
        });
        assert_eq!(linked[0].confidence, Confidence::High);
        assert_eq!(kb.abstention(&linked), None);
        let unrelated = kb.match_alerts(&MatchQuery {
            alertnames: vec!["KafkaConsumerGroupLagHigh".into()],
            texts: vec!["Consumer group billing lags behind the pool by 50000 messages".into()],
            ..MatchQuery::default()
        });
        assert!(
            unrelated
                .iter()
                .all(|m| m.confidence == Confidence::Low && !m.good)
        );
        let why = kb.abstention(&unrelated).unwrap();
        assert!(
            why.starts_with("no good match: best ")
                && why.contains(&format!("below the {:.2} floor", kb.params.good_match)),
            "{why}"
        );
        if let Some(m) = unrelated.first() {
            let (_, title) = kb.doc_path_title(m.doc);
            assert!(why.contains(&format!("nearest: {title}")), "{why}");
        }
        assert!(kb.abstention(&[]).unwrap().contains("shares a word"));
    }

    #[test]
    fn good_is_exactly_confidence_above_low() {
        let kb = kb();
        for text in [
            "filesystem disk space",
            "pod restarts repeatedly",
            "connection pool",
            "orders outage",
            "nothing at all here",
        ] {
            for m in kb.search(text, 25) {
                assert_eq!(m.good, m.confidence > Confidence::Low, "{m:?}");
                let content = m.content;
                let expected = if m.score > m.content || content >= kb.params.high_match {
                    Confidence::High
                } else if content >= kb.params.good_match {
                    Confidence::Medium
                } else {
                    Confidence::Low
                };
                assert_eq!(m.confidence, expected, "{m:?}");
            }
        }
    }

    #[test]
    fn scrape_target_labels_do_not_outweigh_the_summary() {
        let kb = kb();
        let labels: BTreeMap<String, String> = [
            ("container", "kube-rbac-proxy-main"),
            ("endpoint", "https-main"),
            ("job", "kube-state-metrics"),
            ("namespace", "kube-system"),
            ("service", "kube-prometheus-stack-kube-state-metrics"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let annotations = BTreeMap::from([(
            "summary".to_string(),
            "Filesystem is predicted to run out of space".to_string(),
        )]);
        let q = MatchQuery::from_alert(&labels, &annotations);
        assert!(
            q.services.is_empty(),
            "the job's own service is a target: {q:?}"
        );
        assert!(q.targets.contains(&"kube-rbac-proxy-main".to_string()));
        let m = kb.match_alerts(&q);
        assert_eq!(m[0].doc, DocRef::Runbook(2), "{m:?}");
        // A service label that is not the scrape job's is the service in trouble.
        let mut own = labels.clone();
        own.insert("service".into(), "postgres".into());
        let q = MatchQuery::from_alert(&own, &annotations);
        assert_eq!(q.services, ["postgres"]);
    }

    #[test]
    fn lead_sections_are_the_opening_and_the_meaning() {
        let body = "# NodeClockSkew\n\nThe clock drifts.\n\n## Meaning\nNTP lost its peers.\n\n                    ## Diagnosis\n```bash\n# not a heading\nchronyc sources\n```\n## Impact\n\
                    TLS fails.\n";
        let lead = lead_sections(body);
        assert_eq!(
            lead,
            [
                "# NodeClockSkew\n\nThe clock drifts.\n\n",
                "NTP lost its peers.\n\n",
                "TLS fails.\n"
            ]
        );
        // No title heading: the lead ends at the first heading.
        assert_eq!(
            lead_sections("Intro.\n## Steps\nrun it\n## Summary:\nS.\n"),
            ["Intro.\n", "S.\n"]
        );
        // A `#` inside a fenced block does not start a section; no heading at all: all of it.
        assert_eq!(lead_sections("just text\n"), ["just text\n"]);
        assert!(lead_sections("").is_empty());
    }

    #[test]
    fn a_component_nobody_wrote_about_is_the_subject_and_abstains() {
        let kb = kb();
        // "down" and "node" match the filesystem runbook's words, but the alert is about a
        // component (`zookeeper`: the scrape job and the summary agree) no document mentions.
        let labels: BTreeMap<String, String> = [("job", "zookeeper"), ("service", "zookeeper")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let annotations = BTreeMap::from([(
            "summary".to_string(),
            "Zookeeper node filesystem space down".to_string(),
        )]);
        let q = MatchQuery::from_alert(&labels, &annotations);
        let Terms { terms, missing, .. } = query_terms(&q, &kb.index, &kb.params);
        assert!(terms.iter().all(|t| t.focus), "{terms:?}");
        // Without the scrape job agreeing, the same word is only a summary word.
        let q2 = MatchQuery::from_alert(&BTreeMap::new(), &annotations);
        let missing2 = query_terms(&q2, &kb.index, &kb.params).missing;
        let p = &kb.params;
        let max_idf = kb.index.idf("\u{0}never a term\u{0}");
        let expected =
            (p.w_subject * p.unknown_subject_share - p.w_text * p.unknown_text_share) * max_idf;
        assert!(expected > 0.0);
        assert!(
            (missing - missing2 - expected).abs() < 1e-9,
            "the unknown subject counts against matches with its own weight: {missing} {missing2}"
        );
        // A container (or namespace) the description repeats is an instance, not the subject.
        let container = BTreeMap::from([("container".to_string(), "zookeeper".to_string())]);
        let q3 = MatchQuery::from_alert(&container, &annotations);
        let missing3 = query_terms(&q3, &kb.index, &kb.params).missing;
        assert!((missing3 - missing2).abs() < 1e-9, "{missing3} {missing2}");
        let with = kb.match_alerts(&q);
        let without = kb.match_alerts(&q2);
        assert!(with[0].content < without[0].content, "{with:?} {without:?}");
        // Label values other than services and targets are not problem words.
        let mut labels = BTreeMap::new();
        labels.insert("mountpoint".to_string(), "filesystem".to_string());
        let terms = query_terms(
            &MatchQuery::from_alert(&labels, &BTreeMap::new()),
            &kb.index,
            &kb.params,
        )
        .terms;
        assert!(terms.iter().all(|t| !t.focus), "{terms:?}");
    }

    #[test]
    fn known_alertnames_and_lookup() {
        let kb = kb();
        let names = kb.known_alertnames();
        assert!(names.contains("KubePodCrashLooping"));
        assert!(kb.runbook("postgres-connection-pool").is_some());
    }
}
