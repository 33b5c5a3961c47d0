//! Webhook ingest benchmark (issue 7 §8): Alertmanager version-4 notifications of 100 alerts
//! POSTed over loopback by 8 concurrent clients (goal ≥ 5,000 alerts/s sustained, memory
//! bounded by the receiver's queue). Three measurements:
//!
//! - `receiver`: HTTP + JSON + alert parsing + the bounded queue (the consumer only drops);
//! - `cockpit`: the same, with the live session applying every alert to the cockpit
//!   (duplicate filter, correlation, knowledge matching; an empty knowledge base). The alerts
//!   cycle through 5,000 label sets (40 services, 50 alert names), alternately firing (with a
//!   new start) and resolved, so every alert is a change and memory stays bounded;
//! - `alertmanager`: Alertmanager 0.25's own `POST /api/v2/alerts` with the same alerts on the
//!   same machine, when `/usr/bin/prometheus-alertmanager` is installed.
//!
//! Peak RSS is printed after each group.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flightdeck::cockpit::CockpitConfig;
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::LiveSession;
use flightdeck::sources::webhook::{self, WebhookSettings};
use flightdeck::sources::{SourceMsg, WebhookServer};
use flightdeck::time::Timestamp;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const PER_POST: usize = 100;
const CLIENTS: usize = 8;
const DISTINCT: usize = 5_000;
const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// Alert `n`: one of `DISTINCT` label sets; pass `n / DISTINCT` decides its state (even
/// passes firing, odd ones resolved) and its start (a new activation every other pass), so no
/// alert repeats the previous version of itself.
fn alert(n: usize, webhook: bool) -> Value {
    let i = n % DISTINCT;
    let pass = n / DISTINCT;
    let firing = pass.is_multiple_of(2);
    let starts = Timestamp::from_second(1_795_000_000 + (pass / 2) as i64 * 60).unwrap();
    let mut a = json!({
        "labels": {"alertname": format!("Storm{}", i % 50), "service": format!("svc-{}", i % 40),
                   "namespace": "bench", "pod": format!("pod-{i}"), "severity": "warning"},
        "annotations": {"summary": format!("pod-{i} is unhappy")},
        "startsAt": starts.to_string(),
    });
    if webhook {
        a["status"] = json!(if firing { "firing" } else { "resolved" });
        let ends = starts + flightdeck::time::SignedDuration::from_secs(30);
        a["endsAt"] = json!(if firing {
            "0001-01-01T00:00:00Z".to_string()
        } else {
            ends.to_string()
        });
        a["fingerprint"] = json!("0000000000000000");
    }
    a
}

/// Webhook notification `k`: alerts `k·100 … k·100+99`.
fn webhook_body(k: usize) -> String {
    let first = k * PER_POST;
    let alerts: Vec<Value> = (first..first + PER_POST).map(|n| alert(n, true)).collect();
    json!({"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
           "receiver": "bench", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
           "externalURL": "http://am", "alerts": alerts})
    .to_string()
}

/// `POST /api/v2/alerts` body `k` (the same alerts, all firing; Alertmanager dedups itself).
fn am_body(k: usize) -> String {
    let first = k * PER_POST;
    Value::Array(
        (first..first + PER_POST)
            .map(|n| alert(n % DISTINCT, false))
            .collect(),
    )
    .to_string()
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "?".into())
}

/// Posts bodies `*next … *next + posts − 1` to `url` with `CLIENTS` clients (each builds its
/// bodies); a 503 is retried after a short pause, as Alertmanager would.
async fn blast(url: &str, posts: usize, next: &mut usize, body: fn(usize) -> String) -> u64 {
    let start = *next;
    *next += posts;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut retries = 0u64;
            let mut k = start + c;
            while k < start + posts {
                let b = body(k);
                loop {
                    let r = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(b.clone())
                        .send()
                        .await
                        .expect("post");
                    if r.status().is_success() {
                        break;
                    }
                    assert_eq!(
                        r.status().as_u16(),
                        503,
                        "{}",
                        r.text().await.unwrap_or_default()
                    );
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                k += CLIENTS;
            }
            retries
        }));
    }
    let mut retries = 0;
    for t in tasks {
        retries += t.await.unwrap();
    }
    retries
}

/// The receiver with a consumer: `apply` true runs a live session on what arrives.
async fn receiver(apply: bool) -> (WebhookServer, Arc<AtomicU64>) {
    let (tx, mut rx) = mpsc::channel(flightdeck::sources::CHANNEL_CAPACITY);
    let server = webhook::bind(&WebhookSettings::new("127.0.0.1:0".parse().unwrap()), tx)
        .await
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let d = done.clone();
    tokio::spawn(async move {
        let mut session = apply.then(|| {
            LiveSession::new(
                CockpitConfig::default(),
                Vec::new(),
                KnowledgeBase::default(),
                Timestamp::now(),
                None,
            )
        });
        while let Some(msg) = rx.recv().await {
            let n = match &msg {
                SourceMsg::Events { events, .. } => events.len() as u64,
                SourceMsg::Health(_) => 0,
            };
            if let Some(s) = session.as_mut() {
                s.handle(msg, Timestamp::now());
            }
            d.fetch_add(n, Ordering::Relaxed);
        }
    });
    (server, done)
}

fn bench_receiver(c: &mut Criterion, rt: &tokio::runtime::Runtime, apply: bool) {
    let name = if apply { "cockpit" } else { "receiver" };
    let (server, done) = rt.block_on(receiver(apply));
    let url = format!("http://{}/webhook", server.addr());
    let mut next = 0usize;
    let mut retries = 0;
    let mut g = c.benchmark_group("webhook_ingest");
    g.throughput(Throughput::Elements(PER_POST as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let target = done.load(Ordering::Relaxed) + iters * PER_POST as u64;
                let t = Instant::now();
                retries += blast(&url, iters as usize, &mut next, webhook_body).await;
                while done.load(Ordering::Relaxed) < target {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                t.elapsed()
            })
        })
    });
    g.finish();
    eprintln!(
        "webhook_ingest/{name}: {} alerts, {retries} 503 retries (queue full), stats {:?}, peak RSS {}",
        done.load(Ordering::Relaxed),
        server.stats().snapshot(),
        peak_rss()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Am(Child);

impl Drop for Am {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bench_alertmanager(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    if !Path::new(ALERTMANAGER).exists() {
        eprintln!(
            "alertmanager: {ALERTMANAGER} not installed; skipped (apt-get install prometheus-alertmanager)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("am.yml");
    std::fs::write(
        &cfg,
        "route: {receiver: r, group_by: [alertname], group_wait: 30s, group_interval: 5m, repeat_interval: 4h}\nreceivers: [{name: r}]\n",
    )
    .unwrap();
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let child = Command::new(ALERTMANAGER)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.path={}", dir.path().display()))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _am = Am(child);
    let ready = rt.block_on(async {
        for _ in 0..200 {
            if reqwest::get(format!("http://{addr}/-/ready"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    });
    if !ready {
        eprintln!("alertmanager did not start; skipped");
        return;
    }
    let url = format!("http://{addr}/api/v2/alerts");
    let mut next = 0usize;
    let mut g = c.benchmark_group("webhook_ingest");
    g.throughput(Throughput::Elements(PER_POST as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("alertmanager_post_v2_alerts", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let t = Instant::now();
                blast(&url, iters as usize, &mut next, am_body).await;
                t.elapsed()
            })
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    bench_receiver(c, &rt, false);
    bench_receiver(c, &rt, true);
    bench_alertmanager(c, &rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);
