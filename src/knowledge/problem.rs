//! What an alert, and what a runbook's name, are about beyond their words: the *symptom* they
//! name (down, errors, slow, full, lagging, restarting, …) and the *kind of object* (pod,
//! deployment, statefulset, node, volume, …).
//!
//! A small closed vocabulary of operations language, each word put in one class, so that
//! different words for one symptom meet ("slow" and "latency", "errors" and "failures",
//! "piling up" and "backlog") and different symptoms of one component do not ("Redis rejected
//! connections" is not "Redis memory near maxmemory"; "Kafka under-replicated partitions" is not
//! "Kafka consumer lag"). Matching uses it as a structure: a runbook named after symptoms or
//! kinds of which the alert names none is about another problem, and its content score is cut
//! ([`super::MatchParams::symptom_cut`], [`super::MatchParams::kind_cut`]).
//!
//! The classes are written from operations vocabulary (the golden signals, Kubernetes object
//! kinds, the words of the kubernetes-mixin and node-exporter rule names), not from the cases
//! of the evaluation set.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::tokenize;

/// Symptom classes: each list is one class (bit `i` for list `i`).
const SYMPTOMS: &[&[&str]] = &[
    // Not there.
    &[
        "down",
        "unreachable",
        "unavailable",
        "absent",
        "disappeared",
        "dead",
        "offline",
        "ready",
        "disconnected",
    ],
    // Errors and failures.
    &[
        "error",
        "errors",
        "errs",
        "fail",
        "failed",
        "failing",
        "failure",
        "failures",
        "servfail",
        "5xx",
        "rejected",
        "refused",
        "exception",
        "exceptions",
        "panic",
    ],
    // Slow.
    &[
        "slow",
        "latency",
        "duration",
        "durations",
        "delay",
        "delayed",
    ],
    // Saturation: something near or past its limit.
    &[
        "full",
        "filling",
        "exhausted",
        "exhaustion",
        "pressure",
        "saturated",
        "saturation",
        "maxed",
        "almost",
        "near",
        "usage",
        "utilization",
        "utilisation",
        "overcommit",
        "overcommitted",
        "limit",
        "exceeded",
        "exceeding",
        "many",
    ],
    // Work piling up (a queue "filling up" is a backlog too).
    &[
        "backlog", "lag", "lagging", "behind", "piling", "growing", "pending", "stuck", "filling",
    ],
    // Restarting.
    &[
        "crash",
        "crashing",
        "crashloop",
        "looping",
        "restart",
        "restarting",
        "restarts",
        "oom",
        "oomkilled",
        "killed",
        "evicted",
    ],
    &["throttling", "throttled"],
    &[
        "mismatch",
        "mismatched",
        "matched",
        "drift",
        "inconsistent",
        "different",
    ],
    &[
        "expiring",
        "expire",
        "expires",
        "expiration",
        "expiry",
        "expired",
        "renewal",
    ],
    &["leader", "election", "quorum"],
    &["replication", "replicated"],
    &[
        "synchronising",
        "synchronizing",
        "synchronised",
        "synchronized",
        "sync",
        "skew",
        "clock",
    ],
];

/// Kinds of object: each list is one kind.
const KINDS: &[&[&str]] = &[
    &["pod", "pods", "container", "containers"],
    &["deployment", "deployments"],
    &["statefulset", "stateful"],
    &["daemonset", "daemon"],
    &["job", "jobs", "cronjob"],
    &["volume", "volumes", "pvc", "persistentvolumeclaim"],
    &["hpa", "autoscaler"],
    &["node", "nodes", "host", "hosts"],
    &["namespace", "namespaces", "quota", "resourcequota"],
    &["version", "versions"],
];

/// Words of scrape job and service names that name no component (`payments-exporter`,
/// `kube-prometheus-stack-grafana`, `kube-rbac-proxy-main`): never the alert's subject.
pub const NOT_A_COMPONENT: &[&str] = &[
    "exporter",
    "exporters",
    "metrics",
    "stack",
    "operator",
    "agent",
    "proxy",
    "rbac",
    "main",
    "server",
    "service",
    "controller",
    "kube",
    "prometheus",
    "monitoring",
    "system",
    // kube-state-metrics: the state of Kubernetes objects, whatever they are.
    "state",
];

/// Whether a normalised term is one of [`NOT_A_COMPONENT`].
pub fn not_a_component(term: &str) -> bool {
    static TERMS: OnceLock<Vec<String>> = OnceLock::new();
    TERMS
        .get_or_init(|| {
            NOT_A_COMPONENT
                .iter()
                .flat_map(|w| tokenize::tokens(w))
                .collect()
        })
        .iter()
        .any(|t| t == term)
}

/// The symptom and kind bits of one normalised term (as [`tokenize::tokens`] gives it).
fn vocabulary() -> &'static HashMap<String, (u32, u32)> {
    static VOCABULARY: OnceLock<HashMap<String, (u32, u32)>> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut map: HashMap<String, (u32, u32)> = HashMap::new();
        for (i, class) in SYMPTOMS.iter().enumerate() {
            for w in *class {
                for t in tokenize::tokens(w) {
                    map.entry(t).or_default().0 |= 1 << i;
                }
            }
        }
        for (i, kind) in KINDS.iter().enumerate() {
            for w in *kind {
                for t in tokenize::tokens(w) {
                    map.entry(t).or_default().1 |= 1 << i;
                }
            }
        }
        map
    })
}

/// Symptoms and kinds of a text or a set of terms, as bit sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct About {
    pub symptoms: u32,
    pub kinds: u32,
}

impl About {
    /// Adds one normalised term.
    pub fn add_term(&mut self, term: &str) {
        if let Some(&(s, k)) = vocabulary().get(term) {
            self.symptoms |= s;
            self.kinds |= k;
        }
    }

    /// What a text names (a runbook's title, an alert name).
    pub fn add_text(&mut self, text: &str) {
        tokenize::for_each_token(text, |t| self.add_term(t));
    }

    /// Both name symptoms and share none: a runbook named after another problem.
    pub fn other_symptom(&self, doc: &About) -> bool {
        self.symptoms != 0 && doc.symptoms != 0 && self.symptoms & doc.symptoms == 0
    }

    /// Both name kinds of object and share none (a StatefulSet's alert, a Deployment's runbook).
    pub fn other_kind(&self, doc: &About) -> bool {
        self.kinds != 0 && doc.kinds != 0 && self.kinds & doc.kinds == 0
    }

    /// The words of the classes set in `symptoms`, for explanations (`down/unreachable/…`).
    pub fn symptom_names(&self) -> String {
        names(SYMPTOMS, self.symptoms)
    }

    pub fn kind_names(&self) -> String {
        names(KINDS, self.kinds)
    }
}

fn names(classes: &[&[&str]], bits: u32) -> String {
    classes
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, c)| c[0])
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(text: &str) -> About {
        let mut a = About::default();
        a.add_text(text);
        a
    }

    #[test]
    fn one_symptom_in_other_words_meets_other_symptoms_do_not() {
        let slow = about("IngressSlowResponses");
        assert!(!slow.other_symptom(&about("Request latency too high")));
        assert!(!about("Messages are piling up").other_symptom(&about("RabbitMQ queue backlog")));
        assert!(!about("CoreDNSErrorsHigh").other_symptom(&about("DNS resolution failures")));
        assert!(
            about("RedisRejectedConnections").other_symptom(&about("Redis memory near maxmemory"))
        );
        assert!(
            about("KafkaUnderReplicatedPartitions")
                .other_symptom(&about("Kafka consumer group lag"))
        );
        // A name without a symptom word never counts as another problem.
        assert!(!about("Host running out of memory").other_symptom(&slow));
        assert!(!slow.other_symptom(&about("Host running out of memory")));
    }

    #[test]
    fn kinds_of_object() {
        let sts = about("KubeStatefulSetReplicasMismatch");
        assert!(sts.other_kind(&about("Kube Deployment Replicas Mismatch")));
        assert!(!sts.other_kind(&about("KubeStatefulSetGenerationMismatch")));
        assert!(
            !about("NodeMemoryHighUtilization").other_kind(&about("Host running out of memory"))
        );
        assert!(
            !about("KubePodCrashLooping")
                .other_kind(&about("Containers killed for exceeding their memory limit"))
        );
        assert_eq!(about("Kube Job Failed").symptom_names(), "error");
        assert_eq!(about("Kube Job Failed").kind_names(), "job");
    }
}
