//! Alert correlation under a 50,000-alert storm (issue 4 §9): full clustering (goal ≤ 200 ms),
//! incremental add of one alert (goal ≤ 20 µs median) and memory (goal ≤ 200 MB, printed once).
//!
//! The storm: 24 hours, 30 incidents of ~1,500 alerts each (database cascades through a
//! topology, node failures across namespaces, one alertname firing everywhere) and 5,000
//! background alerts, with the default config plus a 120-service topology.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flightdeck::alerts::{Alert, AlertState, ClusterConfig, Correlator};
use flightdeck::time::{SignedDuration, Timestamp};

/// Counts live heap bytes, to report the memory the loaded correlator holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SERVICES: usize = 120;
const NAMESPACES: usize = 40;

/// xorshift: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

const AREAS: [&str; 12] = [
    "cart", "pay", "search", "auth", "media", "mail", "feed", "recs", "ads", "stock", "ship",
    "notify",
];
const ROLES: [&str; 10] = [
    "api", "worker", "db", "cache", "gateway", "indexer", "ingest", "cron", "proxy", "store",
];

fn service_name(i: usize) -> String {
    format!(
        "{}-{}",
        AREAS[i % AREAS.len()],
        ROLES[i / AREAS.len() % ROLES.len()]
    )
}

/// Four layers of 30 services; each depends on two services of the layer below.
fn config() -> ClusterConfig {
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

struct Gen {
    rng: Rng,
    n: u64,
}

impl Gen {
    fn alert(
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
        }
    }
}

/// 50,000 alerts in start order.
fn storm() -> (Vec<Alert>, Gen) {
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

fn load(alerts: &[Alert]) -> Correlator {
    let mut c = Correlator::new(config());
    c.observe_many(alerts.iter().map(|a| (a.clone(), a.starts_at)));
    c
}

/// CPU time this thread has run, in ns (Linux): wall time lies on a shared, loaded machine.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn bench(c: &mut Criterion) {
    let (alerts, mut g) = storm();
    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let cpu = cpu_ns();
    let loaded = load(&alerts);
    let took = t.elapsed();
    let cpu_took = cpu.zip(cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e6);
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    let big = loaded
        .clusters()
        .iter()
        .map(|c| c.size())
        .max()
        .unwrap_or(0);
    eprintln!(
        "size of Cluster: {} bytes",
        std::mem::size_of::<flightdeck::alerts::Cluster>()
    );
    eprintln!(
        "storm: {} alerts → {} clusters (largest {big}); first load {took:?} wall, {cpu_took:?} ms CPU; correlator holds {:.1} MB",
        loaded.len(),
        loaded.clusters().len(),
        bytes as f64 / 1e6
    );
    {
        // Incremental adds, CPU time: 20,000 alerts joining the last incident.
        let mut c2 = load(&alerts);
        let end = alerts.last().unwrap().starts_at;
        let fresh: Vec<Alert> = (0..20_000i64)
            .map(|i| {
                let at = end + SignedDuration::from_millis(i * 10);
                g.alert(at, 29 + (i as usize % 3), 3, Some(229))
            })
            .collect();
        let cpu = cpu_ns();
        for a in fresh {
            let now = a.starts_at;
            c2.observe(a, now);
        }
        if let Some((a, b)) = cpu.zip(cpu_ns()) {
            eprintln!(
                "incremental add (joins an incident): {:.1} µs CPU mean over 20,000",
                (b - a) as f64 / 20_000.0 / 1e3
            );
        }
    }

    let mut group = c.benchmark_group("cluster");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("full clustering, 50k alerts (observe_many)", |b| {
        b.iter_batched(
            || {
                alerts
                    .iter()
                    .map(|a| (a.clone(), a.starts_at))
                    .collect::<Vec<_>>()
            },
            |batch| {
                let mut c = Correlator::new(config());
                c.observe_many(batch);
                c // dropped outside the measurement
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("full clustering, 50k alerts (observe one by one)", |b| {
        b.iter_batched(
            || alerts.clone(),
            |batch| {
                let mut c = Correlator::new(config());
                for a in batch {
                    let now = a.starts_at;
                    c.observe(a, now);
                }
                c
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("cluster incremental");
    group.sample_size(100);
    let end = alerts.last().unwrap().starts_at;
    let mut live = loaded;
    // New alerts keep arriving in time order, as they do live.
    let mut clock = 0i64;
    group.bench_function("add one alert to the 50k storm (joins an incident)", |b| {
        b.iter_custom(|iters| {
            let fresh: Vec<Alert> = (0..iters)
                .map(|i| {
                    clock += 1;
                    let at = end + SignedDuration::from_millis(clock * 10);
                    g.alert(at, 29 + (i as usize % 3), 3, Some(229))
                })
                .collect();
            let t = Instant::now();
            for a in fresh {
                let now = a.starts_at;
                live.observe(a, now);
            }
            t.elapsed()
        })
    });
    group.bench_function("add one alert to the 50k storm (new lone cluster)", |b| {
        b.iter_custom(|iters| {
            let fresh: Vec<Alert> = (0..iters)
                .map(|i| {
                    // Far in time from each other: each one starts a cluster of its own.
                    clock += 3_600_000;
                    let at = end + SignedDuration::from_millis(clock);
                    g.alert(at, i as usize % SERVICES, 6, None)
                })
                .collect();
            let t = Instant::now();
            for a in fresh {
                let now = a.starts_at;
                live.observe(a, now);
            }
            t.elapsed()
        })
    });
    group.bench_function("re-delivery of a known alert (duplicate)", |b| {
        let known = alerts[alerts.len() / 2].clone();
        b.iter(|| live.observe(black_box(known.clone()), end))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
