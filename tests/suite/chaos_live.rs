//! A chaos experiment against the real Prometheus (issue 21 §6): Prometheus scrapes itself, an
//! SLO on its own query API (`prometheus_http_requests_total`, 2xx of all) is the budget the
//! experiment may spend, the method sends malformed queries (real HTTP 400s, counted by
//! Prometheus itself), the guard halts the run at its small budget limit — killing the method
//! step still running —, the rollback (a real process) runs, and the journal file holds the
//! whole story and verifies.

use std::path::Path;
use std::time::Duration;

use crate::common;
use crate::live_servers::{PROMETHEUS, Server, need};
use common::live::free_port;
use flightdeck::journal::RecordKind;

pub(crate) const SLO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: prom-queries
spec:
  service: prometheus
  indicator:
    metadata: {name: prom-query-2xx}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'prometheus_http_requests_total{job="prometheus",handler="/api/v1/query",code=~"2.."}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'prometheus_http_requests_total{job="prometheus",handler="/api/v1/query"}'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"#;

/// Prometheus on a free loopback port, scraping itself every second.
pub(crate) fn start_self_scraping_prometheus(dir: &Path) -> Server {
    let port = free_port();
    let data = dir.join("prom-data");
    std::fs::create_dir_all(&data).unwrap();
    let cfg = dir.join("prom.yml");
    std::fs::write(
        &cfg,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             scrape_configs:\n  - job_name: prometheus\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        ),
    )
    .unwrap();
    let args = vec![
        PROMETHEUS.to_string(),
        format!("--config.file={}", cfg.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    Server::spawn("prometheus", args, port, dir)
}

/// What every live chaos test starts from: a temp dir with a real Prometheus scraping itself
/// and the SLO on its query API (`slo.yaml`); [`Site::configure`] writes `flightdeck.toml` on
/// them.
pub(crate) struct Site {
    pub prom: Server,
    /// Last: removed once Prometheus has stopped.
    pub dir: tempfile::TempDir,
}

impl Site {
    pub(crate) fn start() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let prom = start_self_scraping_prometheus(dir.path());
        std::fs::write(dir.path().join("slo.yaml"), SLO).unwrap();
        Site { prom, dir }
    }

    /// Writes `flightdeck.toml`: the SLO, this Prometheus polled every second, then `extra`
    /// sections; returns its path.
    pub(crate) fn configure(&self, extra: &str) -> std::path::PathBuf {
        let config = self.dir.path().join("flightdeck.toml");
        std::fs::write(
            &config,
            format!(
                "[slo]\nfiles = [\"slo.yaml\"]\n[prometheus]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\n{extra}",
                self.prom.url()
            ),
        )
        .unwrap();
        config
    }
}

pub(crate) fn experiment(prom: &str, marker: &Path) -> String {
    format!(
        r#"{{
  "version": "1.0.0",
  "title": "Prometheus rides out a burst of malformed queries",
  "description": "Send malformed PromQL to the query API; the share of 2xx answers is the SLO.",
  "steady-state-hypothesis": {{
    "title": "Prometheus stays up and its query SLO stays within budget",
    "probes": [
      {{"type": "probe", "name": "prometheus up",
        "provider": {{"type": "python", "module": "chaosprometheus.probes", "func": "query",
                     "arguments": {{"query": "up{{job=\"prometheus\"}}"}}}},
        "tolerance": 1}},
      {{"type": "probe", "name": "query SLO burn (5m)",
        "provider": {{"type": "slo", "slo": "prom-queries", "window": "5m"}},
        "tolerance": {{"type": "range", "range": [0, 100000]}}}}
    ]
  }},
  "method": [
    {{"type": "action", "name": "send 40 malformed queries",
      "provider": {{"type": "process", "path": "curl",
                   "arguments": ["-s", "--max-time", "10", "{prom}/api/v1/query?query=sum(x)[1-40]"]}}}},
    {{"type": "action", "name": "hold the fault",
      "provider": {{"type": "process", "path": "sleep", "arguments": ["120"]}},
      "timeout": 150}}
  ],
  "rollbacks": [
    {{"type": "action", "name": "mark rolled back",
      "provider": {{"type": "process", "path": "touch", "arguments": ["{marker}"]}}}}
  ],
  "extensions": [
    {{"name": "flightdeck",
      "blast_radius": {{"slos": ["prom-queries"], "labels": {{"job": "prometheus"}}}},
      "budget_limit": 0.05,
      "max_duration": "3m",
      "audited": {{"by": "lee", "on": "2026-03-01"}}}}
  ]
}}
"#,
        marker = marker.display()
    )
}

#[test]
fn malformed_queries_spend_the_budget_and_the_guard_halts_and_rolls_back() {
    if !need(&[PROMETHEUS]) {
        return;
    }
    if !Path::new("/usr/bin/curl").exists() {
        eprintln!("SKIPPED: curl not found (apt-get install curl)");
        return;
    }
    let site = Site::start();
    let (dir, prom) = (&site.dir, &site.prom);
    let config = site.configure("");
    let marker = dir.path().join("rolled-back");
    let file = dir.path().join("malformed-queries.json");
    std::fs::write(&file, experiment(&prom.url(), &marker)).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let home = dir.path().join("home");

    let check =
        common::cli::flightdeck_at_home(&home, &["experiment", "check", file.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let started = std::time::Instant::now();
    let out = common::cli::flightdeck_at_home(
        &home,
        &[
            "experiment",
            "run",
            file.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "--warmup",
            "30s",
        ],
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(3), "halted by the guard: {text}");
    assert!(text.contains("may start"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(110),
        "the guard halted the 120 s hold early: {:?}\n{text}",
        started.elapsed()
    );
    assert!(marker.exists(), "the rollback ran: {text}");

    // The journal (a real file) verifies and holds the whole story.
    let verify = common::cli::flightdeck_at_home(
        &home,
        &["journal", "verify", "--journal", journal.to_str().unwrap()],
    );
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    let story: Vec<(&str, Option<&str>)> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Experiment)
        .map(|r| {
            (
                r.body["phase"].as_str().unwrap(),
                r.body["section"].as_str(),
            )
        })
        .collect();
    assert_eq!(story.first(), Some(&("start", None)), "{story:?}");
    assert_eq!(story.last(), Some(&("end", None)), "{story:?}");
    let abort = records
        .iter()
        .find(|r| r.body["phase"] == "abort")
        .unwrap_or_else(|| panic!("an abort record: {story:?}"));
    let kind = abort.body["breach"]["kind"].as_str().unwrap();
    assert!(
        kind == "budget_limit" || kind == "mode_tightened",
        "halted for the budget: {}",
        abort.summary
    );
    // Its evidence: what the guard saw, with the budget it measured.
    let seen = &abort.body["evidence"]["observation"];
    let remaining = seen["budgets"][0]["remaining"].as_f64().unwrap();
    let start = records.iter().find(|r| r.body["phase"] == "start").unwrap();
    let at_start = start.body["observation"]["budgets"][0]["remaining"]
        .as_f64()
        .unwrap();
    let limit = start.body["limits"]["prom-queries"].as_f64().unwrap();
    assert!(
        at_start - remaining >= limit,
        "spent {} of a limit of {limit}",
        at_start - remaining
    );
    // The method's first step ran for real; the rollback ran after the abort.
    let seq_of = |phase: &str, section: Option<&str>| {
        records
            .iter()
            .find(|r| {
                r.kind == RecordKind::Experiment
                    && r.body["phase"] == phase
                    && r.body["section"].as_str() == section
            })
            .map(|r| r.seq)
            .unwrap_or_else(|| panic!("{phase} {section:?}: {story:?}"))
    };
    let first = records
        .iter()
        .find(|r| {
            r.body["phase"] == "step" && r.body["index"] == 0 && r.body["section"] == "method"
        })
        .unwrap();
    assert_eq!(first.body["exec"]["ok"], true, "{}", first.summary);
    assert_eq!(first.body["exec"]["dry_run"], false);
    assert!(seq_of("abort", None) < seq_of("step", Some("rollback")));
    let rollback = records
        .iter()
        .find(|r| r.body["section"] == "rollback")
        .unwrap();
    assert_eq!(rollback.body["exec"]["ok"], true, "{}", rollback.summary);
    let end = records.iter().find(|r| r.body["phase"] == "end").unwrap();
    assert_eq!(end.body["halted"], true);
    assert_eq!(end.body["rollbacks_ok"], true);

    // Prometheus itself counted the errors the experiment made.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = flightdeck::sources::PrometheusClient::new(
        prom.url().parse().unwrap(),
        Duration::from_secs(2),
    )
    .unwrap();
    let bad = rt
        .block_on(client.query(
            r#"sum(prometheus_http_requests_total{handler="/api/v1/query",code=~"4.."})"#,
            flightdeck::time::Timestamp::now().as_millisecond(),
        ))
        .unwrap();
    assert!(bad[0].value >= 1.0, "{bad:?}");

    // The report shows the run.
    let report = common::cli::flightdeck_at_home(
        &home,
        &[
            "experiment",
            "report",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    let report = String::from_utf8_lossy(&report.stdout).to_string();
    assert!(report.contains("1 halted by the guard"), "{report}");
}

/// Stopping `experiment run` (SIGINT, as Ctrl-C does) halts the method like a breach: the
/// running step is killed, the rollback still runs, and the journal says who stopped it.
#[test]
fn an_interrupted_run_still_rolls_back() {
    if !need(&[PROMETHEUS]) || !Path::new("/usr/bin/curl").exists() {
        return;
    }
    let site = Site::start();
    let (dir, prom) = (&site.dir, &site.prom);
    let config = site.configure("");
    let marker = dir.path().join("rolled-back");
    let file = dir.path().join("harmless.json");
    // Good queries only: nothing spends the budget, so only the interrupt stops it.
    let text = experiment(&prom.url(), &marker).replace("query=sum(x)[1-40]", "query=up");
    std::fs::write(&file, text).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "experiment",
            "run",
            file.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ])
        .env("FLIGHTDECK_HOME", dir.path().join("home"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the hold step runs (the first method step is journaled).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let records = flightdeck::journal_store::read_records(&journal).unwrap_or_default();
        if records
            .iter()
            .any(|r| r.body["phase"] == "step" && r.body["section"] == "method")
        {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "exited early ({status}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(1));
    // SAFETY: a signal to the child process we started, by its pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{text}");
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(marker.exists(), "the rollback ran: {text}");
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    let abort = records
        .iter()
        .find(|r| r.body["phase"] == "abort")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(abort.body["breach"]["kind"], "stopped", "{}", abort.summary);
    assert!(abort.summary.contains("SIGINT"), "{}", abort.summary);
    let hold = records
        .iter()
        .find(|r| r.body["phase"] == "step" && r.body["index"] == 1)
        .unwrap();
    assert!(
        hold.body["exec"]["summary"]
            .as_str()
            .unwrap()
            .contains("halted by the guard"),
        "{}",
        hold.summary
    );
    assert!(
        records.last().unwrap().body["phase"] == "end",
        "the end is journaled"
    );
    assert!(flightdeck::journal_store::verify_file(&journal, None).is_ok());
}

/// The gate on the real servers: a critical alert firing in Alertmanager inside the blast
/// radius keeps the experiment from starting; the same alert outside the radius does not.
#[test]
fn a_firing_alert_inside_the_blast_radius_keeps_it_from_starting() {
    use crate::live_servers::{ALERTMANAGER, post_alerts, start_alertmanager};
    if !need(&[PROMETHEUS, ALERTMANAGER]) || !Path::new("/usr/bin/curl").exists() {
        return;
    }
    let site = Site::start();
    let (dir, prom) = (&site.dir, &site.prom);
    let am_port = free_port();
    let am = start_alertmanager(dir.path(), am_port, None);
    let config = site.configure(&format!(
        "[alertmanager]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\n",
        am.url()
    ));
    let marker = dir.path().join("rolled-back");
    let file = dir.path().join("e.json");
    std::fs::write(&file, experiment(&prom.url(), &marker)).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let alert = |job: &str| {
        serde_json::json!([{
            "labels": {"alertname": "PrometheusQueryErrors", "job": job, "severity": "critical"},
            "annotations": {"summary": "queries fail"},
            "startsAt": flightdeck::time::Timestamp::now().to_string(),
        }])
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gate = || {
        let out = common::cli::flightdeck_at_home(
            &dir.path().join("home"),
            &[
                "experiment",
                "run",
                file.to_str().unwrap(),
                "--config",
                config.to_str().unwrap(),
                "--journal",
                journal.to_str().unwrap(),
                "--gate-only",
            ],
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    rt.block_on(post_alerts(&am.url(), alert("checkout")));
    let (code, text) = gate();
    assert_eq!(code, Some(0), "outside the blast radius: {text}");
    assert!(text.contains("[ok] incidents"), "{text}");
    rt.block_on(post_alerts(&am.url(), alert("prometheus")));
    let (code, text) = gate();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[no] incidents    firing inside the blast radius: PrometheusQueryErrors"),
        "{text}"
    );
    // --gate-only journals nothing.
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    assert!(records.iter().all(|r| r.kind != RecordKind::Experiment));
}

/// A halt asked from a cockpit (`x`, then `H`, then `y`): the cockpit's experiments view sees
/// the run under way from the journal, the decision is journaled (a `halt` record), and the
/// run's own guard — `experiment run`, another process on the same journal — sees it there and
/// halts like on a breach: the running step is killed and the rollback runs.
#[test]
fn a_halt_journaled_from_the_cockpit_halts_the_run_and_it_rolls_back() {
    use flightdeck::cockpit::{Cockpit, CockpitConfig, Effect, Event};
    use flightdeck::tui::{Action, App, Command};
    if !need(&[PROMETHEUS]) || !Path::new("/usr/bin/curl").exists() {
        return;
    }
    let site = Site::start();
    let (dir, prom) = (&site.dir, &site.prom);
    let config = site.configure("[experiments]\ndir = \"experiments\"\n");
    let marker = dir.path().join("rolled-back");
    std::fs::create_dir(dir.path().join("experiments")).unwrap();
    let file = dir.path().join("experiments/harmless.json");
    // Good queries only: nothing spends the budget, so only the halt stops it.
    let text = experiment(&prom.url(), &marker).replace("query=sum(x)[1-40]", "query=up");
    std::fs::write(&file, text).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args([
            "experiment",
            "run",
            file.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ])
        .env("FLIGHTDECK_HOME", dir.path().join("home"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !flightdeck::journal_store::read_records(&journal)
        .unwrap_or_default()
        .iter()
        .any(|r| r.body["phase"] == "step" && r.body["section"] == "method")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The cockpit: its experiments view from the config and the journal, as `flightdeck`
    // live builds it.
    let cfg = flightdeck::config::Config::load(&config).unwrap();
    let mut app = App {
        experiments: flightdeck::commands::experiment::catalog_live(&cfg, Some(&journal)),
        ..App::default()
    };
    assert_eq!(
        app.experiments.files.len(),
        1,
        "{:?}",
        app.experiments.files
    );
    let now = flightdeck::time::Timestamp::now();
    let mut view = Cockpit::new(
        CockpitConfig {
            actor: "maria".into(),
            ..CockpitConfig::default()
        },
        Vec::new(),
        flightdeck::knowledge::KnowledgeBase::default(),
        now,
    );
    flightdeck::tui::update(&mut app, Action::Experiments, &view);
    let screen = {
        let backend = ratatui::backend::TestBackend::new(100, 30);
        let mut t = ratatui::Terminal::new(backend).unwrap();
        t.draw(|f| flightdeck::tui::render(&app, &view, f)).unwrap();
        format!("{:?}", t.backend().buffer())
    };
    assert!(screen.contains("RUNNING"), "{screen}");
    assert!(flightdeck::tui::update(&mut app, Action::HaltExperiment, &view).is_empty());
    let commands = flightdeck::tui::update(&mut app, Action::Confirm, &view);
    let [Command::Decide(cmd)] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    let effects = view.apply(Event::User(cmd.clone()), now);
    let entry = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::Journal(entry) => Some(entry),
            _ => None,
        })
        .expect("the halt is journaled");
    let asked = std::time::Instant::now();
    flightdeck::journal_store::JournalFile::open(&journal)
        .unwrap()
        .append(entry, flightdeck::time::Timestamp::now())
        .unwrap();

    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(asked.elapsed() < Duration::from_secs(30), "{text}");
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(marker.exists(), "the rollback ran: {text}");
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    let abort = records
        .iter()
        .find(|r| r.body["phase"] == "abort")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(abort.body["breach"]["kind"], "stopped", "{}", abort.summary);
    assert!(abort.summary.contains("maria"), "{}", abort.summary);
    assert_eq!(records.last().unwrap().body["phase"], "end");
    assert!(flightdeck::journal_store::verify_file(&journal, None).is_ok());
    // And the view shows the run halted, with its evidence.
    app.experiments.absorb(&records);
    let last = flightdeck::chaos::observe::status(
        &view,
        app.experiments.files[0].experiment.as_ref().unwrap(),
        &app.experiments.records,
        app.experiments.gate,
    )
    .last
    .expect("the last run");
    assert!(last.halted, "{last:?}");
}
