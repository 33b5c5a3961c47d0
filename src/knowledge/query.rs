//! A cluster of alerts as a query: [`MatchQuery`] (what the alerts say about themselves: names,
//! services, summaries and descriptions, labels, the scrape target) and the weighted terms,
//! subjects, symptoms and kinds built from it ([`query_terms`]).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::index::{Index, QueryTerm};
use super::{MatchParams, doc, problem, tokenize};

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

/// Free text as a query: an alert name typed as the query links like an alert would.
pub(super) fn text_query(text: &str) -> MatchQuery {
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
            | "fstype"
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

/// Instance labels whose values name a place (a mount point, a device, a host), never a
/// component: unknown to every document, they are still no evidence that nothing covers the
/// alert (a container or namespace nobody wrote about may be).
fn is_place_label(name: &str) -> bool {
    matches!(
        name,
        "device" | "fstype" | "mountpoint" | "instance" | "node"
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
const FROM_PLACE: u8 = 32;

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
pub(super) fn query_terms(q: &MatchQuery, index: &Index, p: &MatchParams) -> Terms {
    let words = words(q, p);
    let mut sources: HashMap<&str, u8> = HashMap::with_capacity(words.len());
    for w in &words {
        *sources.entry(w.term.as_str()).or_default() |= w.from;
    }
    let sources = Sources(sources);
    let (terms, missing, problem_missing) = weigh(&words, &sources, index, p);
    let (about, subjects) = about_and_subjects(&words, &sources, q, index, p);
    // The component each alert name is named after, when distinctive.
    let most = p.subject_df * index.len() as f64;
    let mut named: Vec<Subject> = Vec::new();
    for name in &q.alertnames {
        if let Some(s) = problem::name_subject(name)
            && index.df(&s) as f64 <= most
            && !named.iter().any(|n| n.term == s)
        {
            named.push(Subject {
                said: tokenize::as_written(&s, [name.as_str()]),
                term: s,
            });
        }
    }
    // Every word the alert says, only needed to judge a runbook named after a component.
    let mut said: Vec<String> = Vec::new();
    if !named.is_empty() {
        said = words.iter().map(|w| w.term.clone()).collect();
        said.sort_unstable();
        said.dedup();
    }
    Terms {
        subjects,
        named,
        said,
        terms,
        missing,
        problem_missing,
        about,
    }
}

/// One word of the query, in query order.
struct Word {
    term: String,
    surface: String,
    /// Where it came from (`FROM_…` bits).
    from: u8,
    weight: f64,
    /// The weight with which it counts against every match when no document has it.
    unknown: f64,
}

/// The query's words with their sources and weights: alert names, services, summaries and
/// descriptions, the scrape target, and the other labels' names and values.
fn words(q: &MatchQuery, p: &MatchParams) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut collect = |text: &str, from: u8, weight: f64, unknown: f64| {
        for (term, surface) in tokenize::tokens_with_surface(text) {
            words.push(Word {
                term,
                surface,
                from,
                weight,
                unknown,
            });
        }
    };
    for a in &q.alertnames {
        let w = p.w_alertname;
        collect(a, FROM_NAME, w, w * p.unknown_alertname_share);
    }
    for s in &q.services {
        let w = p.w_service;
        collect(s, FROM_COMPONENT, w, w * p.unknown_service_share);
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
        let from = FROM_TARGET | if component(t) { FROM_COMPONENT } else { 0 };
        collect(t, from, p.w_target, p.w_text * p.unknown_target_share);
    }
    for (k, v) in &q.labels {
        if is_instance_label(k) {
            let place = if is_place_label(k) { FROM_PLACE } else { 0 };
            collect(v, FROM_INSTANCE | place, p.w_instance, 0.0);
        }
        if k == "alertname" || is_identity_label(k) || is_target_label(k) {
            continue;
        }
        collect(k, 0, p.w_label_name, 0.0);
        if !is_instance_label(k) {
            collect(v, 0, p.w_label_value, 0.0);
        }
    }
    words
}

/// Every source of each term of the query (the `FROM_…` bits of all its occurrences).
struct Sources<'a>(HashMap<&'a str, u8>);

impl Sources<'_> {
    fn of(&self, term: &str) -> u8 {
        self.0.get(term).copied().unwrap_or(0)
    }

    /// A summary/description word that only repeats an instance's name.
    fn instance(&self, term: &str) -> bool {
        let f = self.of(term);
        f & FROM_INSTANCE != 0 && f & (FROM_NAME | FROM_COMPONENT) == 0
    }

    /// ... and one that names a place (a mount point, a device, a host).
    fn place(&self, term: &str) -> bool {
        let f = self.of(term);
        f & FROM_PLACE != 0 && f & (FROM_NAME | FROM_COMPONENT) == 0
    }

    /// A component's name the alert's name or summary/description repeats.
    fn subject(&self, term: &str) -> bool {
        let f = self.of(term);
        f & FROM_COMPONENT != 0 && f & (FROM_NAME | FROM_TEXT) != 0
    }

    /// A word of the alert's name or text that names no component, target or instance.
    fn problem(&self, term: &str) -> bool {
        let f = self.of(term);
        f & (FROM_NAME | FROM_TEXT) != 0
            && f & (FROM_COMPONENT | FROM_TARGET) == 0
            && !self.instance(term)
    }
}

/// The weighted query terms (one per distinct term known to the index, highest weight wins),
/// and the weights of the meaningful words and of the problem words no document has.
fn weigh(
    words: &[Word],
    sources: &Sources,
    index: &Index,
    p: &MatchParams,
) -> (Vec<QueryTerm>, f64, f64) {
    let mut terms: Vec<QueryTerm> = Vec::new();
    let mut pos: HashMap<&str, usize> = HashMap::new();
    // The weight with which a term no document has counts against matches.
    let mut unknown: HashMap<&str, f64> = HashMap::new();
    let mut unknown_problem: HashMap<&str, f64> = HashMap::new();
    for word in words {
        let term = word.term.as_str();
        let (mut weight, mut unknown_weight) = (word.weight, word.unknown);
        // Label values other than services and targets say nothing about the problem.
        let focus = word.from & !(FROM_TARGET | FROM_INSTANCE | FROM_PLACE) != 0;
        let problem = sources.problem(term);
        // Its weight only: a name no document has (`zookeeper` in `container=zookeeper` and
        // "Zookeeper is down") is still evidence that nothing here covers the alert.
        if sources.instance(term) {
            weight = weight.min(p.w_instance);
        }
        if sources.place(term) {
            // Where the problem is, whether or not a document knows the place.
            unknown_weight = 0.0;
        }
        if sources.subject(term) {
            weight = weight.max(p.w_subject);
            unknown_weight = unknown_weight.max(p.w_subject * p.unknown_subject_share);
        }
        if !index.contains_term(term) {
            // Words with digits in them (pod hashes, hosts) say nothing when unknown.
            if unknown_weight > 0.0 && !term.chars().any(|c| c.is_ascii_digit()) {
                let w = unknown.entry(term).or_insert(0.0);
                *w = w.max(unknown_weight);
                if problem {
                    let w = unknown_problem.entry(term).or_insert(0.0);
                    *w = w.max(unknown_weight);
                }
            }
            continue;
        }
        match pos.get(term) {
            Some(&i) => {
                terms[i].focus |= focus;
                if terms[i].weight < weight {
                    terms[i].weight = weight;
                    terms[i].surface = word.surface.clone();
                }
            }
            None => {
                pos.insert(term, terms.len());
                terms.push(QueryTerm {
                    term: word.term.clone(),
                    surface: word.surface.clone(),
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
    (terms, missing, problem_missing)
}

/// What the alert is about (the symptoms, kinds and resources of its name and
/// summary/description words), and the distinctive components its name names (the
/// summary's, when the name is hidden).
fn about_and_subjects(
    words: &[Word],
    sources: &Sources,
    q: &MatchQuery,
    index: &Index,
    p: &MatchParams,
) -> (problem::About, Vec<Subject>) {
    let mut about = problem::About::default();
    let named = if q.alertnames.is_empty() {
        FROM_TEXT
    } else {
        FROM_NAME
    };
    let mut subjects: Vec<Subject> = Vec::new();
    let most = p.subject_df * index.len() as f64;
    for word in words {
        let term = word.term.as_str();
        // What the alert is about, not where: an instance's name repeated in the
        // description (`/srv/pod`) names no kind or symptom.
        if word.from & (FROM_NAME | FROM_TEXT) != 0 && !sources.instance(term) {
            about.add_term(term);
        }
        let f = sources.of(term);
        if f & FROM_COMPONENT != 0
            && f & named != 0
            && !term.chars().any(|c| c.is_ascii_digit())
            && !problem::not_a_component(term)
            && index.df(term) as f64 <= most
            && !subjects.iter().any(|s| s.term == term)
        {
            subjects.push(Subject {
                term: word.term.clone(),
                said: word.surface.clone(),
            });
        }
    }
    (about, subjects)
}

/// A distinctive component the alert names: its term (what documents are searched for) and
/// the word as the alert wrote it (what the reasons say: `keepalived`, never `keepaliv`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Subject {
    pub(super) term: String,
    pub(super) said: String,
}

/// A cluster's query as [`query_terms`] builds it.
pub(super) struct Terms {
    pub(super) terms: Vec<QueryTerm>,
    /// Weight of meaningful words no document has (against every match).
    pub(super) missing: f64,
    /// Weight of problem words no document has (against every [`Index::about`] share).
    pub(super) problem_missing: f64,
    /// The symptoms and kinds the alert names.
    pub(super) about: problem::About,
    /// Distinctive components the alert's name names (a document mentioning none of them is
    /// not about this alert).
    pub(super) subjects: Vec<Subject>,
    /// The distinctive components the alert names are named after
    /// ([`problem::name_subject`]): a runbook named after a component the alert never names,
    /// that never mentions them, is about another component.
    pub(super) named: Vec<Subject>,
    /// Every term of the alert (name, summary/description, labels), sorted.
    pub(super) said: Vec<String>,
}
