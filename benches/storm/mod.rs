//! The 50,000-alert storm the cluster and render benchmarks share (include it with
//! `#[path = "storm/mod.rs"] mod storm;`).
//!
//! 24 hours, 30 incidents of 1,500 alerts each, 45 minutes apart (database cascades through a
//! topology, node failures across namespaces, one alertname firing everywhere) and 5,000
//! background alerts, with the default config plus a 120-service topology. Deterministic.

use std::collections::BTreeMap;

use flightdeck::alerts::{Alert, AlertState, ClusterConfig};
use flightdeck::time::{SignedDuration, Timestamp};

pub const SERVICES: usize = 120;
pub const NAMESPACES: usize = 40;

/// xorshift: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

const AREAS: [&str; 12] = [
    "cart", "pay", "search", "auth", "media", "mail", "feed", "recs", "ads", "stock", "ship",
    "notify",
];
const ROLES: [&str; 10] = [
    "api", "worker", "db", "cache", "gateway", "indexer", "ingest", "cron", "proxy", "store",
];

pub fn service_name(i: usize) -> String {
    format!(
        "{}-{}",
        AREAS[i % AREAS.len()],
        ROLES[i / AREAS.len() % ROLES.len()]
    )
}

/// Four layers of 30 services; each depends on two services of the layer below.
pub fn config() -> ClusterConfig {
    let mut rng = Rng(0x5eed);
    let mut topology = BTreeMap::new();
    for s in 0..SERVICES - 30 {
        let below = (s / 30 + 1) * 30;
        let deps = (0..2)
            .map(|_| service_name(below + rng.below(30)))
            .collect::<Vec<_>>();
        topology.insert(service_name(s), deps);
    }
    ClusterConfig {
        topology,
        ..ClusterConfig::default()
    }
}

const TEMPLATES: [(&str, &str); 16] = [
    ("HighErrorRate", "error ratio above 5% for {s}"),
    ("LatencyHigh", "p99 latency of {s} above 2s"),
    ("KubePodCrashLooping", "Pod {ns}/{pod} is crash looping"),
    (
        "KubePodNotReady",
        "Pod {ns}/{pod} has been in a non-ready state for 15 minutes",
    ),
    (
        "ConnectionPoolExhausted",
        "connection pool of {s} exhausted",
    ),
    ("QueueBacklogGrowing", "queue backlog of {s} keeps growing"),
    (
        "CertificateExpiringSoon",
        "certificate for {s} expires soon",
    ),
    ("DiskAlmostFull", "disk of {pod} is almost full"),
    ("CacheHitRatioLow", "cache hit ratio of {s} dropped"),
    ("ReplicationLag", "replica of {s} lags behind the primary"),
    ("JobDurationLong", "batch job of {s} runs longer than usual"),
    ("TLSHandshakeErrors", "handshake failures on {s}"),
    (
        "GCPausesLong",
        "garbage collection pauses of {s} exceed 500ms",
    ),
    ("ThreadPoolSaturated", "worker threads of {s} saturated"),
    ("DNSLookupFailures", "name resolution failing from {pod}"),
    ("OOMKilled", "container of {pod} was killed for memory"),
];

pub struct Gen {
    pub rng: Rng,
    pub n: u64,
}

impl Gen {
    pub fn alert(
        &mut self,
        at: Timestamp,
        service: usize,
        template: usize,
        node: Option<usize>,
    ) -> Alert {
        self.n += 1;
        let (name, text) = TEMPLATES[template];
        let ns = format!("ns-{}", service % NAMESPACES);
        let s = service_name(service);
        let pod = format!("{s}-{:x}-{}", self.rng.next() % 0xfffff, self.n);
        let mut labels = BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("namespace".to_string(), ns.clone()),
            ("service".to_string(), s.clone()),
            ("pod".to_string(), pod.clone()),
            ("cluster".to_string(), "prod".to_string()),
            (
                "severity".to_string(),
                ["critical", "warning", "info"][self.rng.below(3)].to_string(),
            ),
        ]);
        if let Some(n) = node {
            labels.insert("node".to_string(), format!("worker-{n}"));
        }
        let summary = text
            .replace("{s}", &s)
            .replace("{ns}", &ns)
            .replace("{pod}", &pod);
        Alert {
            labels,
            annotations: BTreeMap::from([("summary".to_string(), summary)]),
            starts_at: at,
            ends_at: None,
            state: if self.rng.below(20) == 0 {
                AlertState::Suppressed
            } else {
                AlertState::Firing
            },
            generator_url: None,
            detail: Default::default(),
        }
    }
}

/// 50,000 alerts in start order.
pub fn storm() -> (Vec<Alert>, Gen) {
    let mut g = Gen {
        rng: Rng(0x0dd_ba11),
        n: 0,
    };
    let mut alerts = Vec::with_capacity(50_000);
    for k in 0..30 {
        let start = t0() + SignedDuration::from_mins(45 * k);
        let root = g.rng.below(SERVICES);
        let node = 200 + k as usize;
        for i in 0..1_500 {
            let at = start + SignedDuration::from_millis(g.rng.below(15 * 60_000) as i64);
            let a = match k % 3 {
                // cascade: the root and services near it
                0 => {
                    let svc = if i % 5 == 0 {
                        root
                    } else {
                        (root + g.rng.below(6)) % SERVICES
                    };
                    let tpl = g.rng.below(6);
                    g.alert(at, svc, tpl, None)
                }
                // node failure: pods of every kind on one node
                1 => {
                    let svc = g.rng.below(SERVICES);
                    g.alert(at, svc, 3, Some(node))
                }
                // one alertname everywhere
                _ => {
                    let svc = g.rng.below(SERVICES);
                    g.alert(at, svc, 5, None)
                }
            };
            alerts.push(a);
        }
    }
    for _ in 0..5_000 {
        let at = t0() + SignedDuration::from_secs(g.rng.below(24 * 3600) as i64);
        let svc = g.rng.below(SERVICES);
        let tpl = g.rng.below(TEMPLATES.len());
        let node = (g.rng.below(4) == 0).then(|| g.rng.below(200));
        alerts.push(g.alert(at, svc, tpl, node));
    }
    alerts.sort_by_key(|a| a.starts_at);
    (alerts, g)
}
