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
//! medium (content at least its floor), low otherwise, read off a calibrated 0–1 value
//! ([`confidence::calibrate`]). Low is "no good match": no steps are offered from it, a
//! cluster with only low matches is novel, and [`KnowledgeBase::abstention`] says why ("best
//! 0.37 below the 0.60 floor (score 0.098, floor 0.16); nearest: …").
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
//! (which now minimises the shortfall below the 90% goals first, then the mean):
//! [`MatchParams::problem_weight`] (the alert's problem words — alert-name and summary words
//! naming no component, scrape target or instance — in the runbook's title, alert names, tags
//! or lead), [`MatchParams::head_weight`] (the words a runbook is named after in the alert),
//! and [`MatchParams::w_instance`] 0 (pod, container, namespace, deployment, mountpoint …
//! values, and summary words repeating them, weigh nothing). The floor moved 0.34 → 0.22 with
//! them. A margin rule (a best match far ahead of the second is good below the floor; a
//! cluster of near-equal matches is not good above it) was tried on the grid and did not
//! improve the tuning part, so it is not in.
//!
//! Round 4 (issue 19, third stop) adds a structure of what an alert and a runbook's *name*
//! are about ([`problem`]): the symptom (down, errors, slow, full, backlog, restarting,
//! throttling, mismatch, expiry, leader, replication, clock) and the kind of object (pod,
//! deployment, statefulset, daemonset, job, volume, hpa, node, namespace), from a closed
//! vocabulary of operations words. A content score is cut when the runbook's title and alert
//! names name symptoms of which the alert (name, summary, description) names none
//! ([`MatchParams::symptom_cut`] 0.5: "Redis memory near maxmemory" for "Redis rejected
//! connections"), kinds of which it names none ([`MatchParams::kind_cut`] 0.3: the
//! Deployment runbook for a StatefulSet), or when the alert's name names a distinctive
//! component (one at most a fifth of the documents mention, not a chart or exporter word)
//! that the document never mentions ([`MatchParams::subject_cut`] 0.5: `coredns`, `grafana`).
//! Each cut is said in the match's reasons. With the cuts, the floor moved 0.22 → 0.16 (the
//! grid on the tuning part only; the held-out part was measured once, after). Before → after
//! round 4:
//!
//! | | tune, names known | held-out, names known | tune, names hidden | held-out, names hidden |
//! |---|---|---|---|---|
//! | right runbook first | 94% → 94% (32/34) | 91% → 97% (31/32) | 85% → 91% (31/34) | 91% → 94% (30/32) |
//! | in the top 3 | 100% → 100% | 100% → 100% | 97% → 100% | 100% → 100% |
//! | uncovered alerts abstain | 90% → 90% (27/30) | 73% → 77% (23/30) | 90% → 100% (30/30) | 77% → 87% (26/30) |
//! | name known and linked: right runbook first | 100% (25/25) | 100% (12/12) | – | – |
//!
//! The older team-style set: dev 95% → 92% top-1 (35/38; top-3 100%, abstain 100%), held-out
//! 65% → 76% top-1 (13/17; top-3 94%, abstain 62%). Issue 19's abstention goal (≥ 90%) is
//! still not met on the held-out part (77% names known, 87% hidden). What still fails there
//! with names known (7 uncovered alerts, 1 covered): a runbook named after another symptom
//! whose score stays above the floor after the cut (Redis rejected connections vs Redis memory
//! 0.16, etcd member communication slow vs etcd members down 0.18 and vs the fsync-duration
//! runbook, which is "slow" too, node CPU high vs CPU throttling 0.18); uncovered alerts whose
//! name has no symptom word of the vocabulary (MySQL too many connections vs MySQL server
//! unreachable, Prometheus not connected to Alertmanagers vs Alertmanager failed to send
//! alerts) or the same one (API error budget burn vs the service error-rate runbook, a
//! Kubernetes version mismatch vs the Deployment replicas mismatch); and one covered alert
//! (CoreDNS errors) whose right runbook is first at 0.14, below the floor. Runbooks whose title
//! names no symptom word ("Host running out of memory") are never cut by symptom. A match
//! below the floor never offers steps
//! (`knowledge_eval::abstained_cases_never_offer_steps` runs every case through a cockpit).
//! [`MatchParams::focus_weight`] is in place but 0: it did not improve the tuning part.
//! Speed (`cargo bench --bench knowledge -- --figures`, 10,000 documents, 2 cores at load
//! 10-14, on-CPU time of the thread; before → after this round): `match_alerts` p50 0.36 →
//! 0.36 ms, p99 0.60 → 0.55 ms (goal p99 ≤ 2 ms; a first version that summed the focus in the
//! search loop cost +49% at p99, so [`index::Index::focus`] is worked out afterwards for the
//! returned documents only, and only when `focus_weight` > 0); `/` search p99 1.15 → 1.11 ms;
//! index build of 10,000 documents 0.42 → 0.55 s (the lead field; goal ≤ 1 s); start-up of
//! 1,000 documents 77 → 89 ms (goal ≤ 100 ms).
//!
//! Round 5 (issue 19, fourth stop). A fresh held-out part (queries-fresh-holdout.yaml, 28
//! covered / 23 uncovered, with 10 new runbooks in two house styles, 4-space-indented code and
//! two "moved to" stubs) was written and committed first and measured once before tuning; from
//! this round queries-rules-holdout.yaml (read in three stops) is tuned on. Two changes: a
//! match named after another problem or another kind of object (the symptom and kind cuts)
//! needs [`MatchParams::cut_good_match`] 0.24 to be good instead of the 0.16 floor (the grid
//! on the tuning parts; the abstention says which floor applied), and `state` (of
//! kube-state-metrics) is no longer taken for the alert's subject. The vocabulary gained
//! `many` (saturation), `disconnected` (down) and a `version` kind. Before → after on the
//! tuning parts: rules tune, names known, abstain 90% → 93% (top-1 94% kept), names hidden
//! top-1 85% → 88% (abstain 100%); the former held-out rules, names known, abstain 77% → 87%
//! (top-1 97% kept), names hidden abstain 93% → 97% (top-1 94%); dev top-1 92% → 89%. The
//! fresh held-out part, before → after: names known top-1 96% → 93% (27 → 26 of 28; the PHP-FPM
//! listen-queue alert against the "pool exhausted" runbook, now under the cut floor), top-3
//! 100%, abstain 100% (23/23) both; names hidden top-1 89% → 93% (25 → 26), top-3 100%,
//! abstain 100%. Speed (release, 10,000 documents, load average 14 on 2 cores, on-CPU time,
//! measured once this stop): `match_alerts` p50 0.64 ms, p99 1.27 ms; index build 0.62 s;
//! start-up of 1,000 documents 106 ms (181–195 ms at the last stop under like load).
//!
//! Round 6 (issue 19, fifth stop), studied case by case on the tuning parts only (dev,
//! queries-rules-tune.yaml, queries-rules-holdout.yaml and, for the first time, the team-style
//! queries-holdout.yaml, names known and hidden); the fresh part was measured at the end. Five
//! general rules, each a class of the failures seen:
//! - a third dimension of [`problem`], the *resource* (memory, CPU, disk, connections,
//!   descriptors): a runbook named after another resource is cut like one named after another
//!   symptom ([`MatchParams::resource_cut`] 0.5, cut floor: Redis memory for Redis too many
//!   connections); "load" is saturation and "not responding" is down;
//! - saturation and backlog are one symptom family (a queue growing is the saturation of what
//!   serves it: the PHP-FPM listen-queue alert and the "pool exhausted" runbook meet again);
//! - what a name is named after ([`problem::name_subject`], [`problem::name_component`]): the
//!   component an alert's name opens with (`PostgresqlDown` → postgres, after `Kube`, kind
//!   and chart words) and the one a runbook's title or alert name opens with, or the services it
//!   lists. A runbook named after a component the alert never names, that never mentions the
//!   one the alert is named after, is about another component ([`MatchParams::component_cut`]
//!   0.5, cut floor: Kube Scheduler Down for PostgresqlDown, varnish for HAProxy, the checkout
//!   error-rate runbook for the API server's error budget); runbooks named only after a problem
//!   (`Service returns too many 5xx errors`, `Target Down`) are never cut for it;
//! - a place (mount point, device, fstype, instance, node label) repeated in the description
//!   weighs nothing even when unknown to every document, and names no kind or symptom.
//!
//! Before → after (cases: covered / uncovered):
//!
//! | part | top-1 | abstain on uncovered |
//! |---|---|---|
//! | dev, names known (38 / 8) | 89% → 89% (34/38; CoreDNS errors now right, Nginx 5xx now under the floor) | 100% → 100% |
//! | team-style held-out, names known (17 / 8) | 76% → 76% (13/17) | 50% → 100% (8/8) |
//! | rules tune, names known (34 / 30) | 94% → 94% | 93% → 93% (28/30) |
//! | rules tune, names hidden | 88% → 91% (31/34) | 100% → 100% |
//! | former held-out rules, names known (32 / 30) | 97% → 97% | 87% → 90% (27/30) |
//! | former held-out rules, names hidden | 94% → 97% (31/32) | 97% → 97% |
//! | fresh held-out, names known (28 / 23) | 93% → 96% (27/28) | 100% → 100% |
//! | fresh held-out, names hidden | 93% → 96% (27/28) | 100% → 100% |
//!
//! Top-3 stays 100% in every rules and fresh part. Still failing on the tuning parts: covered
//! alerts whose right runbook stays under the floor (conntrack 0.135, Kube…Down-style alerts
//! of a team service, ingress slow responses against the generic latency runbook cut for never
//! mentioning the ingress); uncovered alerts whose nearest runbook is about the same component
//! and symptom (etcd leader changes and member communication vs the fsync-duration runbook,
//! the aggregated API vs the API server, Prometheus not connected to Alertmanagers vs
//! Alertmanager failing to send, the config-reloader sidecar vs Prometheus's bad config). The
//! fresh part's remaining misses: the Prometheus config-reload alert (the rule-failures runbook
//! first, both good) and, names hidden, an operator TargetDown whose job names a component no
//! runbook mentions. Every match now also carries a calibrated 0–1 confidence
//! ([`confidence`]: the good floor is 0.60, the strong line 0.85). Speed (release, 10,000
//! documents, on-CPU time of the thread, load average 8–11 on 2 cores with other builds
//! running, measured once at 33af028): `match_alerts` p50 0.58 ms, p99 1.00 ms (last stop
//! 0.64 / 1.27; goal p99 ≤ 2 ms); `/` search p99 1.13 ms; index build of 10,000 documents
//! 0.62 s (goal ≤ 1 s); start-up of 1,000 documents 95 ms (last stop 106; goal ≤ 100 ms).
//! Wall-clock figures at that load are several times higher (p99 8.8 ms, start-up 453 ms).
//!
//! [`lint`] holds runbook staleness and the postmortem linter; [`report`] the pure functions
//! behind `kb search`, `kb match` and `kb lint`; [`search`] the TUI's `/` search across all
//! knowledge (fuzzy titles with `nucleo-matcher`, merged with the content ranking). Reloading
//! when a document changes on disk is edge code: `crate::knowledge_watch`.

pub mod confidence;
pub mod doc;
mod fields;
pub mod index;
mod links;
pub mod lint;
pub mod markdown;
mod params;
pub mod postmortem;
pub mod problem;
mod query;
mod rank;
pub mod report;
mod runbook_steps;
pub mod search;
mod titles;
pub mod tokenize;

use std::collections::{BTreeSet, HashMap};

pub use confidence::Confidence;
pub use doc::{DocError, DocKind, Postmortem, Runbook, parse_postmortem, parse_runbook};
use fields::{postmortem_fields, runbook_fields};
use index::{Bm25fParams, Index};
use links::LinkIndex;
pub use params::MatchParams;
pub use query::MatchQuery;
use query::text_query;
pub use rank::{DocRef, KnowledgeMatch};
pub use search::SearchHit;

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
    titles: titles::Titles,
    /// Per document (runbooks, then postmortems), the symptoms and kinds its title and alert
    /// names name.
    abouts: Vec<problem::About>,
    /// Per document, the components its title and alert names are named after
    /// ([`problem::name_component`]).
    components: Vec<Vec<String>>,
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
                                errors.push(doc::doc_error(
                                    path.clone(),
                                    None,
                                    format!(
                                        "runbook id {:?} is already used by {}",
                                        rb.id, runbooks[rb_ids[&rb.id]].path
                                    ),
                                ));
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
        let titles = titles::Titles::build(&runbooks, &postmortems);
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
        let components = runbooks
            .iter()
            .map(|r| (&r.title, &r.alerts, &r.services))
            .chain(
                postmortems
                    .iter()
                    .map(|p| (&p.title, &p.alerts, &p.services)),
            )
            .map(|(title, alerts, services)| {
                let mut words: Vec<String> = Vec::new();
                let named = std::iter::once(title)
                    .chain(alerts)
                    .filter_map(|name| problem::name_component(name));
                // The services a document says it is for are what it is about too.
                let services = services.iter().flat_map(|s| tokenize::tokens(s));
                for w in named.chain(services) {
                    if !words.contains(&w) {
                        words.push(w);
                    }
                }
                words
            })
            .collect();
        KnowledgeBase {
            runbooks,
            postmortems,
            index,
            params: MatchParams::default(),
            links,
            titles,
            abouts,
            components,
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
}

/// `kubernetes/KubePodCrashLooping.md` → `kubernetes/KubePodCrashLooping`.
fn path_id(path: &str) -> String {
    let p = path.trim_start_matches("./");
    match p.rfind('.') {
        Some(i) if i > p.rfind('/').map_or(0, |s| s + 1) => p[..i].to_string(),
        _ => p.to_string(),
    }
}

#[cfg(test)]
mod tests;
