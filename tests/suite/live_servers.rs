//! flightdeck against the real servers: Debian's `prometheus` (2.42, with `promtool`) and
//! `prometheus-alertmanager` (0.25), started here on free loopback ports with temporary configs
//! and data directories, 1-second scrape and poll intervals. The tests run in parallel, each
//! with its own servers.
//!
//! Without the binaries the tests are skipped with a message saying what to install; under
//! `CI=true` they fail instead.

use crate::common;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::alerts::labels;
use common::live::{free_port, load_config, options, source_state};
use flightdeck::actions::{SilenceRequest, StepOrigin};
use flightdeck::alerts::{AlertState, fingerprint};
use flightdeck::cockpit::{Cockpit, SourceState, SuggestionStatus, UserCommand};
use flightdeck::config::Config;
use flightdeck::live::Live;
use flightdeck::slo::Mode;
use flightdeck::time::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tokio::time::Instant;

pub(crate) const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";
pub(crate) const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";

/// The binaries, or `None` (skip) — or a failure under CI.
pub(crate) fn need(bins: &[&str]) -> bool {
    let missing: Vec<&str> = bins
        .iter()
        .copied()
        .filter(|b| !Path::new(b).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{} not found: install the Debian packages with `apt-get install prometheus \
         prometheus-alertmanager` to run the live-server tests",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: the live-server tests must run)");
    }
    eprintln!("SKIPPED: {msg}");
    false
}

/// A server process we started; killed (by its pid) when dropped.
pub(crate) struct Server {
    name: &'static str,
    args: Vec<String>,
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Server {
    pub(crate) fn spawn(name: &'static str, args: Vec<String>, port: u16, dir: &Path) -> Server {
        let mut s = Server {
            name,
            args,
            port,
            dir: dir.to_path_buf(),
            child: None,
        };
        s.start();
        s
    }

    pub(crate) fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(format!("{}.log", self.name)))
            .unwrap();
        let child = Command::new(&self.args[0])
            .args(&self.args[1..])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.args[0]));
        self.child = Some(child);
        self.wait_ready();
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ok = std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok_and(|mut s| {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let req = format!(
                    "GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
                    self.port
                );
                let mut out = String::new();
                s.write_all(req.as_bytes()).is_ok()
                    && s.read_to_string(&mut out).is_ok()
                    && out.starts_with("HTTP/1.0 200")
            });
            if ok {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} did not become ready; log:\n{}",
                self.name,
                std::fs::read_to_string(self.dir.join(format!("{}.log", self.name)))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Request counters a test controls, exposed at `/metrics` for Prometheus to scrape. A
/// background task adds `good_rate`/`bad_rate` events per second, in tenths.
#[derive(Default)]
pub(crate) struct Traffic {
    pub(crate) good: AtomicU64,
    pub(crate) bad: AtomicU64,
    pub(crate) good_rate: AtomicU64,
    pub(crate) bad_rate: AtomicU64,
}

impl Traffic {
    fn exposition(&self) -> String {
        let mut out = String::from("# TYPE http_requests_total counter\n");
        out.push_str(&format!(
            "http_requests_total{{code=\"200\"}} {}\n",
            self.good.load(Ordering::Relaxed)
        ));
        let bad = self.bad.load(Ordering::Relaxed);
        // Like client libraries: the error series exists from its first error on.
        if bad > 0 {
            out.push_str(&format!("http_requests_total{{code=\"500\"}} {bad}\n"));
        }
        out
    }
}

pub(crate) async fn serve_traffic(traffic: Arc<Traffic>) -> SocketAddr {
    let t = traffic.clone();
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let t = t.clone();
            async move { t.exposition() }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            traffic.good.fetch_add(
                traffic.good_rate.load(Ordering::Relaxed) / 10,
                Ordering::Relaxed,
            );
            traffic.bad.fetch_add(
                traffic.bad_rate.load(Ordering::Relaxed) / 10,
                Ordering::Relaxed,
            );
        }
    });
    addr
}

/// Prometheus scraping `target` every second, its TSDB pre-filled with `history` (OpenMetrics
/// text for `promtool tsdb create-blocks-from openmetrics`) if given.
pub(crate) fn start_prometheus(dir: &Path, target: SocketAddr, history: Option<&str>) -> Server {
    let data = dir.join("prom-data");
    std::fs::create_dir_all(&data).unwrap();
    if let Some(h) = history {
        let file = dir.join("history.om");
        std::fs::write(&file, h).unwrap();
        let out = Command::new(PROMTOOL)
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&file)
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cfg = dir.join("prom.yml");
    std::fs::write(
        &cfg,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             scrape_configs:\n  - job_name: checkout\n    static_configs: [{{targets: ['{target}']}}]\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let args = vec![
        PROMETHEUS.to_string(),
        format!("--config.file={}", cfg.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    Server::spawn("prometheus", args, port, dir)
}

pub(crate) fn start_alertmanager(dir: &Path, port: u16, webhook: Option<SocketAddr>) -> Server {
    let receiver = match webhook {
        Some(addr) => format!(
            "receivers:\n  - name: flightdeck\n    webhook_configs:\n      - url: 'http://{addr}/webhook'\n        send_resolved: true\n"
        ),
        None => "receivers:\n  - name: flightdeck\n".to_string(),
    };
    let cfg = dir.join("am.yml");
    std::fs::write(
        &cfg,
        format!(
            "route:\n  receiver: flightdeck\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n{receiver}"
        ),
    )
    .unwrap();
    let data = dir.join("am-data");
    std::fs::create_dir_all(&data).unwrap();
    let args = vec![
        ALERTMANAGER.to_string(),
        format!("--config.file={}", cfg.display()),
        format!("--storage.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--cluster.listen-address=".to_string(),
    ];
    Server::spawn("alertmanager", args, port, dir)
}

pub(crate) const CHECKOUT_SLO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator:
    metadata: {name: checkout-non-5xx}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(http_requests_total{job="checkout",code!~"5.."})'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(http_requests_total{job="checkout"})'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
"#;

pub(crate) fn write_config(dir: &Path, text: &str) -> Config {
    std::fs::write(dir.join("slo.yaml"), CHECKOUT_SLO).unwrap();
    load_config(dir, text)
}

pub(crate) fn burn(c: &Cockpit, window: &str) -> Option<f64> {
    c.budgets()
        .first()
        .and_then(|b| b.burn_rates.iter().find(|(w, _)| w.label() == window))
        .and_then(|(_, r)| *r)
}

pub(crate) fn budget(c: &Cockpit) -> Option<f64> {
    c.budgets().first().and_then(|b| b.budget_remaining)
}

pub(crate) async fn wait(
    live: &mut Live,
    secs: u64,
    what: &str,
    cond: impl FnMut(&Cockpit) -> bool,
) {
    let ok = live
        .run_until(Instant::now() + Duration::from_secs(secs), cond)
        .await;
    assert!(
        ok,
        "timed out waiting for {what}; state:\n{}",
        serde_json::to_string_pretty(&live.snapshot()).unwrap()
    );
}

/// Three days of history: 10 requests a second, no errors, up to 20 minutes ago.
fn history(now: i64) -> String {
    let mut out = String::from("# HELP http_requests Requests.\n# TYPE http_requests counter\n");
    let (start, end) = (now - 3 * 86_400, now - 20 * 60);
    let mut v = 0u64;
    let mut t = start;
    while t <= end {
        out.push_str(&format!(
            "http_requests_total{{job=\"checkout\",instance=\"history\",code=\"200\"}} {v} {t}\n"
        ));
        v += 600;
        t += 60;
    }
    out.push_str("# EOF\n");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_burn_rates_and_mode_follow_the_error_rate() {
    if !need(&[PROMETHEUS, PROMTOOL]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let traffic = Arc::new(Traffic::default());
    traffic.good_rate.store(100, Ordering::Relaxed);
    let target = serve_traffic(traffic.clone()).await;
    let now = Timestamp::now().as_second();
    let prom = start_prometheus(dir.path(), target, Some(&history(now)));
    let cfg = write_config(
        dir.path(),
        &format!(
            "[slo]\nfiles = [\"slo.yaml\"]\n[prometheus]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"2s\"\n",
            prom.url()
        ),
    );
    let journal_path = dir.path().join("journal.jsonl");
    let mut live = Live::start(&cfg, &file_journal(&journal_path))
        .await
        .unwrap();

    // Healthy: the back-filled history and the live counters, no errors.
    wait(&mut live, 20, "a healthy budget", |c| {
        source_state(c, "prometheus") == Some(SourceState::Ok)
            && burn(c, "5m").is_some()
            && traffic.good.load(Ordering::Relaxed) > 300
    })
    .await;
    let c = live.cockpit();
    assert!(budget(c).unwrap() > 0.999, "{:?}", budget(c));
    assert_eq!(burn(c, "5m"), Some(0.0));
    assert_eq!(burn(c, "3d"), Some(0.0));
    assert_eq!(c.mode(), Mode::Adaptive);

    // 2,000 errors: against three days of history (2.6M requests, a 30-day budget of about
    // 2,600 errors) the budget is dented, not gone; the 5m and 1h burn rates page: Freeze.
    // Without the back-fill the same errors would have exhausted the budget.
    traffic.bad.fetch_add(2000, Ordering::Relaxed);
    // (At least Freeze: should the test straddle an hour boundary, the drift overlay may
    // tighten it one more step.)
    wait(&mut live, 20, "a page condition", |c| {
        c.mode() >= Mode::Freeze
            && c.budgets()
                .first()
                .is_some_and(|b| b.pages().next().is_some())
    })
    .await;
    let c = live.cockpit();
    assert!(
        c.mode_reason().to_lowercase().contains("burn") || c.mode() == Mode::Redesign,
        "{}",
        c.mode_reason()
    );
    let left = budget(c).unwrap();
    assert!((0.05..0.5).contains(&left), "budget left {left}");
    assert!(burn(c, "5m").unwrap() > 14.4 && burn(c, "1h").unwrap() > 14.4);

    // A sustained error rate burns the rest: Redesign.
    traffic.bad_rate.store(2000, Ordering::Relaxed);
    wait(&mut live, 20, "Redesign", |c| c.mode() == Mode::Redesign).await;
    assert!(budget(live.cockpit()).unwrap() <= 0.0);
    let journal: Vec<String> = live
        .cockpit()
        .journal_tail()
        .map(|r| r.summary.clone())
        .collect();
    assert!(
        journal
            .iter()
            .any(|s| s.contains("Redesign") || s.contains("REDESIGN")),
        "{journal:?}"
    );
    // The mode history: the start as a state (ADAPTIVE on the healthy back-filled budget, not
    // a change), then each real change from the mode before it.
    let modes: Vec<flightdeck::slo::ModeChange> = live
        .cockpit()
        .journal_tail()
        .filter(|r| r.kind == flightdeck::journal::RecordKind::ModeChange)
        .map(|r| serde_json::from_value(r.body.clone()).unwrap())
        .collect();
    assert!(
        modes[0].is_state() && modes[0].to == Mode::Adaptive,
        "{journal:?}"
    );
    for pair in modes.windows(2) {
        assert_eq!(pair[1].from, Some(pair[0].to), "{journal:?}");
    }
    // Every mode record the cockpit sealed is on disk, and the file reads back through every
    // command that consumes a journal.
    let on_disk = journal_reads_back(&journal_path);
    let disk_modes = on_disk
        .iter()
        .filter(|r| r.kind == flightdeck::journal::RecordKind::ModeChange)
        .count();
    assert_eq!(disk_modes, modes.len(), "every mode record is durable");
    drop(prom);
}

/// Live options journaling to the file `path` (durable, fdatasync'ed), as a real cockpit does.
fn file_journal(path: &Path) -> flightdeck::live::LiveOptions {
    flightdeck::live::LiveOptions {
        journal: Some(path.to_path_buf()),
        memory_journal: false,
        ..options()
    }
}

/// `journal verify`, `show`, `timeline` and `export` accept the journal a live session wrote;
/// returns its records.
fn journal_reads_back(path: &Path) -> Vec<flightdeck::journal::JournalRecord> {
    let report = flightdeck::journal_store::verify_file(path, None)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let p = path.to_str().unwrap();
    for args in [
        vec!["journal", "verify", "--journal", p],
        vec!["journal", "show", "--journal", p],
        vec![
            "journal",
            "timeline",
            "--journal",
            p,
            "--format",
            "markdown",
        ],
        vec!["journal", "export", "--journal", p, "--format", "jsonl"],
    ] {
        let out = common::cli::flightdeck(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let records = flightdeck::journal_store::read_records(path).unwrap();
    assert_eq!(records.len() as u64, report.records);
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_nan_and_failing_queries_on_the_real_server_are_no_data() {
    if !need(&[PROMETHEUS]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let traffic = Arc::new(Traffic::default());
    traffic.good_rate.store(100, Ordering::Relaxed);
    let target = serve_traffic(traffic.clone()).await;
    let prom = start_prometheus(dir.path(), target, None);
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"[slo]
files = ["slo.yaml"]
[slo.queries.checkout-availability]
good = 'http_requests_total{{job="checkout",code!~"5.."}}'
total = 'ghost_requests_total{{job="checkout"}}'
[prometheus]
url = "{}"
interval = "1s"
timeout = "2s"
"#,
            prom.url()
        ),
    );
    let mut live = Live::start(&cfg, &options()).await.unwrap();
    wait(&mut live, 15, "the empty total reported", |c| {
        c.sources().iter().any(|s| {
            s.name == "prometheus"
                && s.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("total query returned no series"))
        })
    })
    .await;
    live.run_for(Duration::from_secs(2)).await;
    let s = live.snapshot();
    assert_eq!(s.slos[0].budget_remaining, None);
    let p = s.sources.iter().find(|x| x.name == "prometheus").unwrap();
    assert_eq!(p.state, SourceState::Stale, "{p:?}");
    drop(live);

    // What the real server says to NaN and to a broken query, read by the client.
    let client = flightdeck::sources::PrometheusClient::new(
        prom.url().parse().unwrap(),
        Duration::from_secs(2),
    )
    .unwrap();
    let t = Timestamp::now().as_millisecond();
    let nan = client.query("vector(0) / vector(0)", t).await.unwrap();
    assert!(nan[0].value.is_nan());
    let inf = client.query("vector(1) / vector(0)", t).await.unwrap();
    assert!(inf[0].value.is_infinite());
    let err = client.query("sum(rate(x[5m]", t).await.unwrap_err();
    assert!(!err.is_down());
    assert!(
        err.to_string().starts_with("query failed (bad_data)"),
        "{err}"
    );
    let empty = client.query("ghost_requests_total", t).await.unwrap();
    assert!(empty.is_empty());
    let range = client
        .query_range("vector(1)", t - 4 * 3_600_000, t, 1)
        .await
        .unwrap_err();
    assert!(
        range.to_string().contains("11,000") || range.to_string().contains("11000"),
        "{range}"
    );
}

pub(crate) fn am_alert(
    labels: &[(&str, &str)],
    starts: Timestamp,
    ends: Option<Timestamp>,
) -> Value {
    let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
    let mut a = json!({"labels": labels, "annotations": {"summary": "test alert"},
                       "startsAt": starts.to_string()});
    if let Some(e) = ends {
        a["endsAt"] = json!(e.to_string());
    }
    a
}

pub(crate) async fn post_alerts(am: &str, alerts: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{am}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_become_clusters_notifications_arrive_and_silences_apply() {
    if !need(&[ALERTMANAGER]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let am_port = free_port();
    let path = dir.path().join("flightdeck.toml");
    // A runbook for the disk alert, so its cluster is known (not novel) and a silence for it
    // is something the policy can allow.
    std::fs::create_dir(dir.path().join("runbooks")).unwrap();
    std::fs::write(
        dir.path().join("runbooks/disk.md"),
        "---\nid: disk-filling\ntitle: Node filesystem filling up\nalerts: [NodeFilesystemSpaceFillingUp]\n---\n\
         # Node filesystem filling up\n\nFind what grows, clean up, extend the volume.\n",
    )
    .unwrap();
    std::fs::write(
        &path,
        format!(
            "[alertmanager]\nurl = \"http://127.0.0.1:{am_port}\"\ninterval = \"1s\"\ntimeout = \"2s\"\nmax_backoff = \"2s\"\n\
             [webhook]\nlisten = \"127.0.0.1:0\"\n[knowledge]\nrunbooks = [\"runbooks\"]\n"
        ),
    )
    .unwrap();
    let cfg = Config::load(&path).unwrap();
    let journal_path = dir.path().join("journal.jsonl");
    let mut live = Live::start(&cfg, &file_journal(&journal_path))
        .await
        .unwrap();
    let webhook = live.sources().webhook_addr().unwrap();
    let am = start_alertmanager(dir.path(), am_port, Some(webhook));

    let five_xx = [
        ("alertname", "CheckoutHigh5xxRate"),
        ("service", "checkout"),
        ("namespace", "shop"),
        ("severity", "page"),
    ];
    let latency = [
        ("alertname", "CheckoutHighLatencyP99"),
        ("service", "checkout"),
        ("namespace", "shop"),
        ("severity", "warning"),
    ];
    let disk = [
        ("alertname", "NodeFilesystemSpaceFillingUp"),
        ("node", "node-7"),
        ("severity", "warning"),
    ];
    let t0 = Timestamp::now() - SignedDuration::from_mins(1);
    post_alerts(
        &am.url(),
        json!([
            am_alert(&five_xx, t0, None),
            am_alert(&latency, t0, None),
            am_alert(&disk, t0, None)
        ]),
    )
    .await;
    wait(&mut live, 20, "three alerts in two clusters", |c| {
        c.alert_count() == 3 && c.clusters().len() == 2
    })
    .await;
    let checkout = live
        .cockpit()
        .clusters()
        .iter()
        .find(|c| c.services.contains("checkout"))
        .expect("a checkout cluster");
    assert_eq!(checkout.members.len(), 2);

    // Alertmanager's own notifications reach the receiver (group_wait 1s).
    let stats = |live: &Live| live.sources().webhook_stats().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while stats(&live).alerts < 3 {
        assert!(
            Instant::now() < deadline,
            "no notifications: {:?}",
            stats(&live)
        );
        live.run_for(Duration::from_millis(200)).await;
    }
    assert!(stats(&live).notifications >= 3, "{:?}", stats(&live));

    // A silence proposed in flightdeck for the disk cluster, approved like a step, is created
    // in Alertmanager from the approved argv and suppresses the alert.
    let client = live.sources().alertmanager().unwrap().clone();
    let disk_fp = fingerprint(&labels(&disk));
    let disk_cluster = live.cockpit().alert(disk_fp).unwrap().cluster;
    let form: Vec<String> = [
        "alertname=NodeFilesystemSpaceFillingUp",
        "node=node-7",
        "--duration=1h",
        "--comment=known noise: disk cleanup scheduled",
    ]
    .map(String::from)
    .to_vec();
    let silence = SilenceRequest::from_form(&form, "tester").unwrap();
    let notices = live.command(UserCommand::ProposeSilence {
        cluster: disk_cluster,
        silence,
    });
    assert!(notices.is_empty(), "{notices:?}");
    let proposed = live
        .cockpit()
        .suggestions()
        .iter()
        .find(|s| s.step.origin == StepOrigin::Silence)
        .expect("the silence waits in the approvals queue")
        .clone();
    assert_eq!(
        proposed.argv.as_ref().unwrap()[..3],
        ["amtool", "silence", "add"]
    );
    assert!(
        proposed.step.is_pre_audited(),
        "mutes only its cluster: {:?}",
        proposed.step.audited
    );
    let notices = live.command(UserCommand::Approve(proposed.id));
    assert!(notices.is_empty(), "{notices:?}");
    let id = proposed.id;
    wait(&mut live, 15, "the silence created", |c| {
        matches!(
            c.suggestion(id).map(|s| &s.status),
            Some(SuggestionStatus::Executed { .. })
        )
    })
    .await;
    let SuggestionStatus::Executed {
        ok,
        outcome,
        dry_run,
        ..
    } = live.cockpit().suggestion(id).unwrap().status.clone()
    else {
        unreachable!()
    };
    let outcome = outcome.unwrap_or_default();
    assert!(ok && !dry_run, "{outcome}");
    let silence_id = outcome
        .strip_prefix("silence ")
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no silence id in {outcome:?}"))
        .to_string();
    let silence = client.silence(&silence_id).await.unwrap();
    assert_eq!(silence["status"]["state"], "active", "{silence}");
    assert_eq!(silence["createdBy"], "tester");
    assert_eq!(silence["comment"], "known noise: disk cleanup scheduled");
    assert_eq!(
        silence["matchers"].as_array().unwrap().len(),
        2,
        "{silence}"
    );
    let id = silence_id;
    wait(&mut live, 15, "the silenced alert suppressed", |c| {
        c.alert(disk_fp)
            .is_some_and(|t| t.alert.state == AlertState::Suppressed)
    })
    .await;

    // Resolved in Alertmanager: gone from its active alerts, so resolved by absence (and by
    // the resolved notification).
    post_alerts(
        &am.url(),
        json!([am_alert(
            &latency,
            t0,
            Some(Timestamp::now() - SignedDuration::from_secs(1))
        )]),
    )
    .await;
    let latency_fp = fingerprint(&labels(&latency));
    wait(&mut live, 15, "the latency alert resolved", |c| {
        c.alert(latency_fp)
            .is_some_and(|t| t.alert.state == AlertState::Resolved)
    })
    .await;
    let five_fp = fingerprint(&labels(&five_xx));
    assert_eq!(
        live.cockpit().alert(five_fp).unwrap().alert.state,
        AlertState::Firing
    );
    assert_eq!(live.cockpit().alert_count(), 3);
    let health = live.snapshot().sources;
    assert!(
        health.iter().all(|s| s.state == SourceState::Ok),
        "{health:?}"
    );
    client.expire_silence(&id).await.unwrap();
    // The silence's proposal, approvals and execution are on disk and read back.
    let on_disk = journal_reads_back(&journal_path);
    for kind in ["proposal", "approval", "execution"] {
        assert!(
            on_disk.iter().any(|r| r.kind.name() == kind),
            "no {kind} record on disk: {:?}",
            on_disk.iter().map(|r| r.kind.name()).collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_servers_show_down_then_recover_when_restarted() {
    if !need(&[PROMETHEUS, ALERTMANAGER]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let traffic = Arc::new(Traffic::default());
    traffic.good_rate.store(100, Ordering::Relaxed);
    let target = serve_traffic(traffic.clone()).await;
    let mut prom = start_prometheus(dir.path(), target, None);
    let mut am = start_alertmanager(dir.path(), free_port(), None);
    let cfg = write_config(
        dir.path(),
        &format!(
            "[slo]\nfiles = [\"slo.yaml\"]\n\
             [prometheus]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nmax_backoff = \"2s\"\n\
             [alertmanager]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nmax_backoff = \"2s\"\n",
            prom.url(),
            am.url()
        ),
    );
    let mut live = Live::start(&cfg, &options()).await.unwrap();
    let both = |want: SourceState| {
        move |c: &Cockpit| {
            source_state(c, "prometheus") == Some(want)
                && source_state(c, "alertmanager") == Some(want)
        }
    };
    wait(&mut live, 20, "both ok, with a budget", |c| {
        both(SourceState::Ok)(c) && budget(c).is_some()
    })
    .await;

    prom.kill();
    am.kill();
    wait(&mut live, 10, "both down", both(SourceState::Down)).await;
    let s = live.snapshot();
    for src in &s.sources {
        let e = src.last_error.as_deref().unwrap_or_default();
        // Refused, or cut mid-request when the kill lands during a poll: both are transport
        // errors, never a data error.
        assert!(
            e.contains("cannot connect") || e.contains("error sending request"),
            "{}: {e}",
            src.name
        );
        assert!(src.last_ok.is_some(), "the last success stays known");
    }
    // The budget keeps its last value, marked by the source state, never reset to zero.
    assert!(s.slos[0].budget_remaining.is_some());

    prom.start();
    am.start();
    wait(&mut live, 20, "both ok again", both(SourceState::Ok)).await;
    assert!(budget(live.cockpit()).is_some());
}
