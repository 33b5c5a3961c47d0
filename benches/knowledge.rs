//! Knowledge benchmark (issue 5 §9): 10,000 generated runbooks and postmortems — index build
//! (goal ≤ 1 s), query latency p50/p99 (goal p99 ≤ 2 ms), start-up cost (parse + index) of 1,000
//! documents (goal ≤ 100 ms), and the `/` search (`search_all`) per key stroke. The percentiles
//! are measured directly and printed before criterion's own timings: every call is timed on its
//! own, in wall time and in on-CPU time of the thread (`CLOCK_THREAD_CPUTIME_ID`, which does not
//! count the time the thread was preempted, so the tail it shows is the code's and not the
//! machine's); the load average is printed alongside.
//!
//! `cargo bench --bench knowledge -- --figures` prints the figures only.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use fastrand::Rng;
use flightdeck::knowledge::{DocKind, KnowledgeBase, MatchQuery};

const COMPONENTS: &[&str] = &[
    "Kube",
    "Node",
    "Postgres",
    "Mysql",
    "Redis",
    "Kafka",
    "Rabbitmq",
    "Etcd",
    "Elasticsearch",
    "Nginx",
    "Envoy",
    "Coredns",
    "Prometheus",
    "Alertmanager",
    "Checkout",
    "Payments",
    "Search",
    "Cart",
    "Orders",
    "Gateway",
    "Kubelet",
    "Ingress",
    "Vault",
    "Consul",
    "Cassandra",
    "Memcached",
];
const OBJECTS: &[&str] = &[
    "Pod",
    "Deployment",
    "Disk",
    "Memory",
    "Cpu",
    "Connection",
    "Pool",
    "Replica",
    "Queue",
    "Consumer",
    "Certificate",
    "Filesystem",
    "Network",
    "Request",
    "Latency",
    "Error",
    "Job",
    "Volume",
    "Cluster",
    "Leader",
    "Shard",
    "Index",
    "Cache",
    "Thread",
    "Socket",
    "Clock",
];
const CONDITIONS: &[&str] = &[
    "Down",
    "High",
    "Exhausted",
    "FillingUp",
    "CrashLooping",
    "NotReady",
    "Lagging",
    "Expiring",
    "Saturated",
    "Flapping",
    "Missing",
    "Failing",
    "TooMany",
    "Slow",
    "Stuck",
    "Degraded",
];
const WORDS: &[&str] = &[
    "check",
    "the",
    "pods",
    "logs",
    "restart",
    "deploy",
    "rollback",
    "connections",
    "database",
    "replica",
    "primary",
    "latency",
    "errors",
    "requests",
    "timeout",
    "memory",
    "limit",
    "usage",
    "disk",
    "space",
    "inode",
    "volume",
    "node",
    "kernel",
    "network",
    "packet",
    "drop",
    "dns",
    "resolve",
    "upstream",
    "certificate",
    "expire",
    "renew",
    "queue",
    "consumer",
    "lag",
    "offset",
    "partition",
    "broker",
    "leader",
    "election",
    "quorum",
    "member",
    "shard",
    "index",
    "cluster",
    "health",
    "status",
    "probe",
    "readiness",
    "liveness",
    "scheduler",
    "evict",
    "pressure",
    "throttle",
    "quota",
    "capacity",
    "scale",
    "autoscaler",
    "replicas",
    "traffic",
    "burn",
    "budget",
    "slo",
    "alert",
    "page",
    "owner",
    "team",
    "escalate",
    "mitigate",
    "diagnose",
    "impact",
    "customers",
    "checkout",
    "payment",
    "search",
    "cache",
    "hit",
    "ratio",
    "eviction",
    "garbage",
    "collection",
    "heap",
    "thread",
    "pool",
    "socket",
    "file",
    "descriptor",
    "limit",
    "config",
    "secret",
    "token",
    "expired",
    "rotate",
    "migration",
    "schema",
    "lock",
    "deadlock",
    "vacuum",
    "wal",
    "fsync",
    "io",
    "throughput",
    "saturation",
    "backlog",
    "retry",
    "storm",
];

/// Prose vocabulary: the operations words above, then a long tail of made-up words, drawn with
/// a Zipf-like (log-uniform) distribution, as in real text.
struct Vocab(Vec<String>);

impl Vocab {
    fn new() -> Vocab {
        const SYL: &[&str] = &[
            "ka", "lo", "mi", "ne", "tor", "sa", "ri", "ven", "ul", "pa", "dex", "fi", "gor", "ha",
            "bu", "zel", "quo", "ny", "wes", "tri",
        ];
        let mut words: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
        for a in SYL {
            for b in SYL {
                for c in ["", "n", "ment", "er"] {
                    words.push(format!("{a}{b}{c}"));
                }
            }
        }
        Vocab(words)
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let u = (rng.u64(..) % 1_000_000) as f64 / 1_000_000.0;
        let i = (self.0.len() as f64).powf(u) as usize - 1;
        &self.0[i.min(self.0.len() - 1)]
    }
}

fn camel(rng: &mut Rng) -> String {
    format!(
        "{}{}{}",
        COMPONENTS[rng.usize(..COMPONENTS.len())],
        OBJECTS[rng.usize(..OBJECTS.len())],
        CONDITIONS[rng.usize(..CONDITIONS.len())]
    )
}

fn sentence(rng: &mut Rng, n: usize) -> String {
    thread_local!(static VOCAB: Vocab = Vocab::new());
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        VOCAB.with(|v| s.push_str(v.word(rng)));
    }
    s.push('.');
    s
}

/// A runbook of about 2–3 KB: front matter for a third of them, sections, shell blocks.
fn runbook(rng: &mut Rng, i: usize) -> (DocKind, String, String) {
    let alert = camel(rng);
    let mut text = String::new();
    if i.is_multiple_of(3) {
        text.push_str(&format!(
            "---\nid: rb-{i}\ntitle: {alert} runbook\nalerts: [{alert}]\nservices: [{}]\ntags: [{}, {}]\nlast_reviewed: 2025-06-01\nsteps:\n  - id: look\n    kind: diagnostic\n    argv: [kubectl, -n, \"{{{{labels.namespace}}}}\", get, pods]\n---\n",
            WORDS[rng.usize(..WORDS.len())],
            WORDS[rng.usize(..WORDS.len())],
            WORDS[rng.usize(..WORDS.len())]
        ));
    }
    text.push_str(&format!("# {alert}\n\n"));
    for section in ["Meaning", "Impact", "Diagnosis", "Mitigation"] {
        text.push_str(&format!("## {section}\n\n"));
        for _ in 0..3 {
            let n = 12 + (rng.u64(..) % 12) as usize;
            text.push_str(&sentence(rng, n));
            text.push(' ');
        }
        text.push_str("\n\n```bash\n");
        text.push_str(&format!(
            "kubectl -n $NAMESPACE {} {}\n",
            ["get", "describe", "logs", "rollout"][rng.usize(..4)],
            WORDS[rng.usize(..WORDS.len())]
        ));
        text.push_str("```\n\n");
    }
    (DocKind::Runbook, format!("generated/{alert}-{i}.md"), text)
}

fn postmortem(rng: &mut Rng, i: usize) -> (DocKind, String, String) {
    let alert = camel(rng);
    let mut text = format!(
        "---\nid: PM-{i}\ntitle: {} outage\ndate: 2025-0{}-1{}\nalerts: [{alert}]\nseverity: SEV2\n---\n# Outage {i}\n",
        WORDS[rng.usize(..WORDS.len())],
        1 + i % 9,
        i % 10
    );
    for section in [
        "Summary",
        "Timeline",
        "What we tried",
        "Contributing factors",
        "Action items",
    ] {
        text.push_str(&format!("## {section}\n\n"));
        for _ in 0..3 {
            text.push_str(&format!("- {}\n", sentence(rng, 10)));
        }
        text.push('\n');
    }
    (DocKind::Postmortem, format!("pm/{i}.md"), text)
}

fn corpus(n: usize) -> Vec<(DocKind, String, String)> {
    let mut rng = Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            if i % 5 == 4 {
                postmortem(&mut rng, i)
            } else {
                runbook(&mut rng, i)
            }
        })
        .collect()
}

fn queries(n: usize) -> Vec<MatchQuery> {
    let mut rng = Rng::with_seed(0x1234_5678_9abc_def1);
    (0..n)
        .map(|_| {
            let name = camel(&mut rng);
            let mut labels = BTreeMap::new();
            labels.insert("alertname".to_string(), name.clone());
            labels.insert(
                "namespace".to_string(),
                WORDS[rng.usize(..WORDS.len())].to_string(),
            );
            labels.insert(
                "service".to_string(),
                WORDS[rng.usize(..WORDS.len())].to_string(),
            );
            labels.insert(
                "pod".to_string(),
                format!("{}-7d9f8b-x2kq", WORDS[rng.usize(..WORDS.len())]),
            );
            let mut annotations = BTreeMap::new();
            annotations.insert("summary".to_string(), sentence(&mut rng, 8));
            annotations.insert("description".to_string(), sentence(&mut rng, 16));
            annotations.insert(
                "runbook_url".to_string(),
                format!("https://runbooks.example.com/{}", name.to_lowercase()),
            );
            MatchQuery::from_alert(&labels, &annotations)
        })
        .collect()
}

/// On-CPU time of this thread (Linux `/proc/thread-self/schedstat`), to report figures that do
/// not depend on how busy the machine is; `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall time and on-CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let c0 = cpu_time();
    let t = Instant::now();
    let out = f();
    let wall = t.elapsed();
    let cpu = cpu_time().zip(c0).map(|(b, a)| b.saturating_sub(a));
    (out, wall, cpu)
}

/// On-CPU time of this thread so far (cheap enough to read around every call).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Per-call latencies: every call timed on its own, wall and on-CPU.
struct Latencies {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Latencies {
    /// Runs `f` on every input once to warm up, then `rounds` times over all of them.
    fn measure<Q>(inputs: &[Q], rounds: usize, mut f: impl FnMut(&Q)) -> Latencies {
        for q in inputs {
            f(q);
        }
        let mut wall = Vec::with_capacity(inputs.len() * rounds);
        let mut cpu = Vec::with_capacity(inputs.len() * rounds);
        for _ in 0..rounds {
            for q in inputs {
                let c = thread_cpu();
                let t = Instant::now();
                f(q);
                wall.push(t.elapsed());
                cpu.push(thread_cpu().saturating_sub(c));
            }
        }
        wall.sort();
        cpu.sort();
        Latencies { wall, cpu }
    }

    fn line(&self, what: &str) -> String {
        let f = |v: &[Duration]| {
            format!(
                "p50 {:.3} p90 {:.3} p99 {:.3} p99.9 {:.3} max {:.3} ms",
                percentile(v, 0.5).as_secs_f64() * 1e3,
                percentile(v, 0.9).as_secs_f64() * 1e3,
                percentile(v, 0.99).as_secs_f64() * 1e3,
                percentile(v, 0.999).as_secs_f64() * 1e3,
                v.last().unwrap().as_secs_f64() * 1e3,
            )
        };
        format!(
            "knowledge: {what} ({} calls)\n    cpu  {}\n    wall {}",
            self.wall.len(),
            f(&self.cpu),
            f(&self.wall)
        )
    }
}

/// What a user types into the `/` overlay, one entry per key stroke: titles and alert names
/// typed out (lower case, with and without spaces), abbreviations, and prose words.
fn keystrokes(n: usize) -> Vec<String> {
    let mut rng = Rng::with_seed(0x5eed_0fc0_ffee);
    let mut out = Vec::new();
    for i in 0..n {
        let typed = match i % 4 {
            // "postgres pool exhausted"
            0 => format!(
                "{} {} {}",
                COMPONENTS[rng.usize(..COMPONENTS.len())],
                OBJECTS[rng.usize(..OBJECTS.len())],
                CONDITIONS[rng.usize(..CONDITIONS.len())]
            )
            .to_lowercase(),
            // "redisqueuestuck"
            1 => camel(&mut rng).to_lowercase(),
            // "pgbnc"-like: the first letters and a consonant or two of each part.
            2 => {
                let parts = [
                    COMPONENTS[rng.usize(..COMPONENTS.len())],
                    OBJECTS[rng.usize(..OBJECTS.len())],
                ];
                parts
                    .iter()
                    .flat_map(|p| p.chars().step_by(2).take(3))
                    .collect::<String>()
                    .to_lowercase()
            }
            // Prose: two words of the bodies.
            _ => {
                let s = sentence(&mut rng, 2);
                s.trim_end_matches('.').to_string()
            }
        };
        let chars: Vec<char> = typed.chars().collect();
        for k in 1..=chars.len() {
            out.push(chars[..k].iter().collect());
        }
    }
    out
}

/// The free-text queries of `kb search`: one to three words of the bodies or an alert name.
fn text_queries(n: usize) -> Vec<String> {
    let mut rng = Rng::with_seed(0xfeed_beef_1234);
    (0..n)
        .map(|i| match i % 3 {
            0 => camel(&mut rng),
            1 => sentence(&mut rng, 1).trim_end_matches('.').to_string(),
            _ => sentence(&mut rng, 3).trim_end_matches('.').to_string(),
        })
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn cpu_ms(d: Option<Duration>) -> String {
    d.map_or("n/a".into(), ms)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// The figures issue 5 asks for, measured directly (wall time, and on-CPU time where the
/// machine is shared).
fn figures(docs: &[(DocKind, String, String)]) {
    let bytes: usize = docs.iter().map(|d| d.2.len()).sum();
    let ((kb, errors), parse_wall, parse_cpu) =
        timed(|| KnowledgeBase::from_documents(docs.iter().cloned()));
    assert!(errors.is_empty(), "{errors:?}");
    let runbooks = kb.runbooks.clone();
    let postmortems = kb.postmortems.clone();
    let (kb2, index_wall, index_cpu) = timed(|| KnowledgeBase::new(runbooks, postmortems));
    black_box(&kb2);

    let start_docs: Vec<_> = docs.iter().take(1_000).cloned().collect();
    let mut startup = Vec::new();
    let mut startup_cpu = Vec::new();
    for _ in 0..10 {
        let (_, wall, cpu) =
            timed(|| black_box(KnowledgeBase::from_documents(start_docs.iter().cloned())));
        startup.push(wall);
        startup_cpu.extend(cpu);
    }
    startup.sort();
    startup_cpu.sort();

    let qs = queries(2_000);
    let matching = Latencies::measure(&qs, 5, |q| {
        black_box(kb.match_alerts(q));
    });
    let texts = text_queries(1_000);
    let searching = Latencies::measure(&texts, 5, |q| {
        black_box(kb.search(q, 10));
    });
    let keys = keystrokes(400);
    let searching_all = Latencies::measure(&keys, 3, |q| {
        black_box(kb.search_all(q, 50));
    });
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "knowledge: {} documents ({:.1} MB); load average {}",
        docs.len(),
        bytes as f64 / 1e6,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "knowledge: parse + index 10,000: wall {}, cpu {}; index build alone: wall {}, cpu {}",
        ms(parse_wall),
        cpu_ms(parse_cpu),
        ms(index_wall),
        cpu_ms(index_cpu)
    );
    println!(
        "knowledge: start-up of 1,000 documents (parse + index): median wall {}, cpu {}",
        ms(percentile(&startup, 0.5)),
        cpu_ms(startup_cpu.get(startup_cpu.len() / 2).copied())
    );
    println!(
        "{}",
        matching.line("match_alerts over 10,000 documents, 2,000 alerts × 5")
    );
    println!(
        "{}",
        searching.line("search (kb search, 1-3 words or an alert name), 1,000 queries × 5")
    );
    println!(
        "{}",
        searching_all.line(&format!(
            "search_all (the / overlay, limit 50), every key stroke of 400 typed queries: {} × 3",
            keys.len()
        ))
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "knowledge: load average after: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn main() {
    let docs = corpus(10_000);
    figures(&docs);
    if std::env::args().any(|a| a == "--figures") {
        return;
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let (kb, _) = KnowledgeBase::from_documents(docs.iter().cloned());
    let parsed = (kb.runbooks.clone(), kb.postmortems.clone());
    c.bench_function("knowledge/index_build_10k", |b| {
        b.iter(|| KnowledgeBase::new(parsed.0.clone(), parsed.1.clone()))
    });
    let first_1k: Vec<_> = docs.iter().take(1_000).cloned().collect();
    c.bench_function("knowledge/startup_parse_index_1k", |b| {
        b.iter(|| KnowledgeBase::from_documents(first_1k.iter().cloned()))
    });
    let qs = queries(64);
    let mut i = 0;
    c.bench_function("knowledge/match_alerts_10k", |b| {
        b.iter(|| {
            i = (i + 1) % qs.len();
            kb.match_alerts(&qs[i])
        })
    });
    let keys = keystrokes(64);
    let mut i = 0;
    c.bench_function("knowledge/search_all_keystroke_10k", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            kb.search_all(&keys[i], 50)
        })
    });
    // The phases under a start-up: tokenising and parsing the 10k corpus's Markdown (what the
    // former ignored `knowledge_perf` test printed), per document.
    let texts: Vec<&str> = docs.iter().map(|d| d.2.as_str()).collect();
    let mut i = 0;
    c.bench_function("knowledge/tokenize_one_doc", |b| {
        b.iter(|| {
            i = (i + 1) % texts.len();
            let mut n = 0usize;
            flightdeck::knowledge::tokenize::for_each_token(texts[i], |_| n += 1);
            n
        })
    });
    let runbooks: Vec<&(DocKind, String, String)> =
        docs.iter().filter(|d| d.0 == DocKind::Runbook).collect();
    let mut i = 0;
    c.bench_function("knowledge/parse_one_runbook", |b| {
        b.iter(|| {
            i = (i + 1) % runbooks.len();
            flightdeck::knowledge::parse_runbook(&runbooks[i].1, &runbooks[i].2)
        })
    });
    c.final_summary();
}
