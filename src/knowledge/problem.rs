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
        "responding",
        "unresponsive",
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
        "load",
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

/// Symptom classes that are one family: saturation is work the resource cannot service yet,
/// often queued (the USE method), so a queue piling up and a pool exhausted are one problem
/// seen from two sides. Pairs of class bits; a class is always of its own family.
const FAMILIES: &[(u32, u32)] = &[(1 << 3, 1 << 4)];

/// Resources something can run out of: each list is one resource. A runbook named after one
/// resource is about another problem than an alert about another ("Redis memory near
/// maxmemory" for "Redis too many connections").
const RESOURCES: &[&[&str]] = &[
    &[
        "memory",
        "ram",
        "heap",
        "maxmemory",
        "swap",
        "oom",
        "oomkilled",
    ],
    &["cpu", "processor"],
    &[
        "disk",
        "disks",
        "filesystem",
        "filesystems",
        "inode",
        "inodes",
        "space",
        "storage",
    ],
    &[
        "connection",
        "connections",
        "conntrack",
        "socket",
        "sockets",
    ],
    &["descriptor", "descriptors", "fd", "fds"],
];

/// Words that qualify a problem in an alert's name and name no component (`HostHighCpuLoad`,
/// `etcdHighNumberOfLeaderChanges`): the name's subject ends before them.
const QUALIFIERS: &[&str] = &[
    "high",
    "low",
    "large",
    "small",
    "number",
    "rate",
    "ratio",
    "count",
    "total",
    "increase",
    "increased",
    "increasing",
    "decrease",
    "decreased",
    "frequent",
    "critical",
    "warning",
    "bad",
    "possible",
    "predicted",
    "unusual",
    "abnormal",
    "getting",
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

/// Whether a normalised term is one of [`QUALIFIERS`].
fn qualifier(term: &str) -> bool {
    static TERMS: OnceLock<Vec<String>> = OnceLock::new();
    TERMS
        .get_or_init(|| {
            QUALIFIERS
                .iter()
                .flat_map(|w| tokenize::tokens(w))
                .collect()
        })
        .iter()
        .any(|t| t == term)
}

/// Symptom, kind and resource bits of one normalised term.
#[derive(Clone, Copy, Debug, Default)]
struct Bits {
    symptoms: u32,
    kinds: u32,
    resources: u32,
}

/// The vocabulary by normalised term (as [`tokenize::tokens`] gives it).
fn vocabulary() -> &'static HashMap<String, Bits> {
    static VOCABULARY: OnceLock<HashMap<String, Bits>> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut map: HashMap<String, Bits> = HashMap::new();
        let mut add = |classes: &[&[&str]], field: fn(&mut Bits) -> &mut u32| {
            for (i, class) in classes.iter().enumerate() {
                for w in *class {
                    for t in tokenize::tokens(w) {
                        *field(map.entry(t).or_default()) |= 1 << i;
                    }
                }
            }
        };
        add(SYMPTOMS, |b| &mut b.symptoms);
        add(KINDS, |b| &mut b.kinds);
        add(RESOURCES, |b| &mut b.resources);
        map
    })
}

/// Words of a runbook's name that name no component: a runbook named only with them (`Service
/// returns too many 5xx errors`, `Request latency too high`, `Target Down`, `Rolling back a bad
/// deploy`) is about a problem of any component.
const GENERIC: &[&str] = &[
    "service",
    "services",
    "request",
    "requests",
    "response",
    "responses",
    "target",
    "targets",
    "return",
    "returns",
    "run",
    "running",
    "roll",
    "rolling",
    "back",
    "deploy",
    "deploys",
    "application",
    "app",
    "cluster",
    "instance",
    "endpoint",
    "traffic",
    "user",
    "users",
];

/// The words that open a name after a prefix naming a kind of object or Kubernetes itself
/// (`Kube`, `Node`, `Host`, `Pod`), up to its first symptom, kind, resource or qualifier word:
/// what the name is named after (`PostgresqlDown` → postgres, `KubeAPIErrorBudgetBurn` → api).
fn name_run(name: &str) -> Vec<String> {
    let vocabulary = vocabulary();
    let tokens = tokenize::tokens(name);
    let prefix =
        |t: &String| t == "kube" || vocabulary.get(t.as_str()).is_some_and(|b| b.kinds != 0);
    let start = tokens
        .iter()
        .position(|t| !prefix(t))
        .unwrap_or(tokens.len());
    tokens[start..]
        .iter()
        .take_while(|t| !vocabulary.contains_key(t.as_str()) && !qualifier(t))
        .cloned()
        .collect()
}

/// The component an alert's name is named after: the first of the words that open it
/// ([`name_run`]) that is not a chart or exporter word (`PostgresqlDown` → postgres,
/// `HAProxyBackendDown` → haproxy, `PrometheusRuleFailures` → rule; alert names put the
/// component first). `None` when the name opens with its problem (`HostHighCpuLoad`).
pub fn name_subject(alertname: &str) -> Option<String> {
    name_run(alertname)
        .into_iter()
        .find(|t| !t.chars().any(|c| c.is_ascii_digit()) && !not_a_component(t))
}

/// The component a runbook's title or alert name is named after: the first word that opens
/// it ([`name_run`]) other than a [`GENERIC`] one (`Kube Scheduler Down` → scheduler,
/// `Prometheus Bad Config` → prometheus, `varnish backend sick` → varnish; none for `Service
/// returns too many 5xx errors`).
pub fn name_component(name: &str) -> Option<String> {
    static TERMS: OnceLock<Vec<String>> = OnceLock::new();
    let generic = TERMS.get_or_init(|| GENERIC.iter().flat_map(|w| tokenize::tokens(w)).collect());
    name_run(name)
        .into_iter()
        .find(|t| !generic.contains(t) && !t.chars().any(|c| c.is_ascii_digit()))
}

/// Symptoms and kinds of a text or a set of terms, as bit sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct About {
    pub symptoms: u32,
    pub kinds: u32,
    pub resources: u32,
}

impl About {
    /// Adds one normalised term.
    pub fn add_term(&mut self, term: &str) {
        if let Some(b) = vocabulary().get(term) {
            self.symptoms |= b.symptoms;
            self.kinds |= b.kinds;
            self.resources |= b.resources;
        }
    }

    /// What a text names (a runbook's title, an alert name).
    pub fn add_text(&mut self, text: &str) {
        tokenize::for_each_token(text, |t| self.add_term(t));
    }

    /// Both name symptoms and share none, nor one of a family ([`FAMILIES`]): a runbook named
    /// after another problem.
    pub fn other_symptom(&self, doc: &About) -> bool {
        self.symptoms != 0 && doc.symptoms != 0 && family(self.symptoms) & doc.symptoms == 0
    }

    /// Both name resources and share none (a memory runbook for a connections alert).
    pub fn other_resource(&self, doc: &About) -> bool {
        self.resources != 0 && doc.resources != 0 && self.resources & doc.resources == 0
    }

    pub fn resource_names(&self) -> String {
        names(RESOURCES, self.resources)
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

/// The symptom classes of `bits` and of their families.
fn family(bits: u32) -> u32 {
    FAMILIES.iter().fold(bits, |acc, &(a, b)| {
        if bits & a != 0 {
            acc | b
        } else if bits & b != 0 {
            acc | a
        } else {
            acc
        }
    })
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
    fn saturation_and_backlog_are_one_family_resources_are_not() {
        // A queue growing is the saturation of what serves it.
        assert!(!about("PhpFpmListenQueueGrowing").other_symptom(&about("PHP-FPM pool exhausted")));
        assert!(!about("HostHighCpuLoad").other_symptom(&about("Node Disk IO Saturation")));
        assert!(about("HostHighCpuLoad").other_symptom(&about("CPU Throttling High")));
        let connections = about("RedisTooManyConnections");
        assert!(connections.other_resource(&about("Redis memory near maxmemory")));
        assert!(!connections.other_resource(&about("Postgres connection pool exhausted")));
        assert!(
            !about("HostOutOfInodes").other_resource(&about("Node Filesystem Space Filling Up"))
        );
        // Without a resource word either side, never another resource.
        assert!(!connections.other_resource(&about("Kube Pod Crash Looping")));
        assert_eq!(
            about("Redis memory near maxmemory").resource_names(),
            "memory"
        );
    }

    #[test]
    fn what_names_are_named_after() {
        assert_eq!(name_subject("PostgresqlDown").as_deref(), Some("postgr"));
        assert_eq!(
            name_subject("HAProxyBackendDown").as_deref(),
            Some("haproxy")
        );
        assert_eq!(
            name_subject("KubeSchedulerDown").as_deref(),
            Some("scheduler")
        );
        // Chart and exporter words are skipped; Prometheus's alerts name their part next.
        assert_eq!(
            name_subject("PrometheusRuleFailures").as_deref(),
            Some("rule")
        );
        // A name that opens with its problem names no component.
        assert_eq!(name_subject("HostHighCpuLoad"), None);
        assert_eq!(
            name_subject("KubeletNotResponding").as_deref(),
            Some("kubelet")
        );
        assert_eq!(
            name_component("Kube Scheduler Down").as_deref(),
            Some("scheduler")
        );
        assert_eq!(
            name_component("varnish backend sick").as_deref(),
            Some("varnish")
        );
        assert_eq!(
            name_component("Prometheus Bad Config").as_deref(),
            Some("prometheus")
        );
        // Runbooks about a problem of any component.
        assert_eq!(name_component("Service returns too many 5xx errors"), None);
        assert_eq!(name_component("Request latency too high"), None);
        assert_eq!(name_component("Target Down"), None);
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
