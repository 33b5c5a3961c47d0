//! `flightdeck check` says ok only when it is (issue 17 §5–7): PromQL syntax offline,
//! `--online` asks each server what it is (against the real Prometheus and Alertmanager, a
//! node-exporter-like server, and a port where nothing listens), runs each SLO query once;
//! `init DIR`; messages that name the field.

use crate::common;
use crate::live_servers::{
    ALERTMANAGER, CHECKOUT_SLO, PROMETHEUS, Traffic, need, serve_traffic, start_alertmanager,
    start_prometheus,
};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::live::free_port;
use serde_json::Value;

fn flightdeck(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .env("FLIGHTDECK_HOME", home)
        .env_remove("FLIGHTDECK_LOG")
        .output()
        .expect("the flightdeck binary runs")
}

fn shown(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// An SLO whose queries name a metric nobody exports: Prometheus answers no series.
const GHOST_SLO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: ghost-availability
spec:
  service: ghost
  indicator:
    metadata: {name: ghost-non-5xx}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'sum(ghost_requests_total{code!~"5.."})'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'sum(ghost_requests_total)'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
"#;

/// A Sloth SLO whose error query has an unclosed brace (line 9 of the file).
const BROKEN_SLOTH: &str = r#"version: prometheus/v1
service: search
slos:
  - name: latency
    objective: 99.0
    sli:
      events:
        total_query: sum(rate(http_requests_total{job="search"}[{{.window}}]))
        error_query: sum(rate(http_requests_total{job="search",code=~"5.."[{{.window}}]))
"#;

/// Something that serves `/metrics` like a node exporter and 404s every other path, as Go's
/// `http.ServeMux` does.
async fn serve_node_exporter() -> SocketAddr {
    let app = Router::new()
        .route(
            "/metrics",
            get(|| async { "# TYPE node_load1 gauge\nnode_load1 0.5\n" }),
        )
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "404 page not found\n") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[test]
fn an_unclosed_brace_fails_check_and_slo_check_at_the_query_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("search.sloth.yaml"), BROKEN_SLOTH).unwrap();
    let cfg = dir.path().join("flightdeck.toml");
    std::fs::write(
        &cfg,
        "[slo]\nfiles = [\"search.sloth.yaml\"]\n[prometheus]\nurl = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let out = flightdeck(dir.path(), &["check", "--config", cfg.to_str().unwrap()]);
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("search.sloth.yaml:9"),
        "the query's line: {text}"
    );
    assert!(text.contains("bad query"), "which query: {text}");
    assert!(text.contains("not valid PromQL"), "{text}");
    assert!(text.contains("FAILED"), "{text}");

    let slo_file = dir.path().join("search.sloth.yaml");
    let out = flightdeck(dir.path(), &["slo", "check", slo_file.to_str().unwrap()]);
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("search.sloth.yaml:9: bad query"), "{text}");

    // Fixed, both pass.
    std::fs::write(
        &slo_file,
        BROKEN_SLOTH.replace(r#""5.."[{{"#, r#""5.."}[{{"#),
    )
    .unwrap();
    let out = flightdeck(dir.path(), &["slo", "check", slo_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", shown(&out));
    let out = flightdeck(dir.path(), &["check", "--config", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", shown(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_check_fails_when_nothing_listens_or_the_server_is_something_else() {
    let exporter = serve_node_exporter().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("flightdeck.toml");
    std::fs::write(
        &cfg,
        format!(
            "[prometheus]\nurl = \"http://127.0.0.1:{}\"\ntimeout = \"2s\"\n\
             [alertmanager]\nurl = \"http://{exporter}\"\ntimeout = \"2s\"\n",
            free_port()
        ),
    )
    .unwrap();
    let home = dir.path().to_path_buf();
    let cfg_s = cfg.to_str().unwrap().to_string();
    // Offline, the URLs are well formed: ok. That is all an offline check can say.
    let offline = flightdeck(&home, &["check", "--config", &cfg_s]);
    assert!(offline.status.success(), "{}", shown(&offline));

    let out = tokio::task::spawn_blocking(move || {
        flightdeck(&home, &["check", "--online", "--json", "--config", &cfg_s])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let servers = v["servers"].as_array().unwrap();
    let prom = servers.iter().find(|s| s["name"] == "prometheus").unwrap();
    assert_eq!(prom["ok"], false);
    assert!(
        prom["message"]
            .as_str()
            .unwrap()
            .contains("nothing answers"),
        "{prom}"
    );
    let am = servers
        .iter()
        .find(|s| s["name"] == "alertmanager")
        .unwrap();
    assert_eq!(am["ok"], false);
    let msg = am["message"].as_str().unwrap();
    assert!(
        msg.contains("not as Alertmanager") && msg.contains("404"),
        "{am}"
    );
    let fields: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["prometheus.url", "alertmanager.url"], "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_check_against_the_real_servers_names_versions_and_empty_queries() {
    if !need(&[PROMETHEUS, ALERTMANAGER]) {
        return;
    }
    let traffic = Arc::new(Traffic::default());
    traffic.good_rate.store(100, Ordering::Relaxed);
    let target = serve_traffic(traffic.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let prom = start_prometheus(dir.path(), target, None);
    let am = start_alertmanager(dir.path(), free_port(), None);
    std::fs::write(
        dir.path().join("slo.yaml"),
        format!("{CHECKOUT_SLO}---\n{GHOST_SLO}"),
    )
    .unwrap();
    let cfg = dir.path().join("flightdeck.toml");
    let write = |prom_url: &str, am_url: &str| {
        std::fs::write(
            &cfg,
            format!(
                "[slo]\nfiles = [\"slo.yaml\"]\n\
                 [prometheus]\nurl = \"{prom_url}\"\ntimeout = \"5s\"\n\
                 [alertmanager]\nurl = \"{am_url}\"\ntimeout = \"5s\"\n"
            ),
        )
        .unwrap();
    };
    let run = |dir: &Path, cfg: &Path| {
        flightdeck(
            dir,
            &[
                "check",
                "--online",
                "--json",
                "--config",
                cfg.to_str().unwrap(),
            ],
        )
    };
    write(&prom.url(), &am.url());
    // Until Prometheus has scraped the counters once, the checkout queries are empty too.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let v = loop {
        let (d, c) = (dir.path().to_path_buf(), cfg.clone());
        let out = tokio::task::spawn_blocking(move || run(&d, &c))
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let checkout_has_data = v["queries"].as_array().is_some_and(|q| {
            q.iter()
                .filter(|q| q["slo"] == "checkout-availability")
                .all(|q| q["series"].as_u64().unwrap_or(0) > 0)
        });
        if checkout_has_data {
            assert!(out.status.success(), "warnings only: {}", shown(&out));
            break v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "checkout never answered: {}",
            shown(&out)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(v["ok"], true, "{v}");
    let servers = v["servers"].as_array().unwrap();
    let version = |name: &str| {
        let s = servers.iter().find(|s| s["name"] == name).unwrap();
        assert_eq!(s["ok"], true, "{s}");
        s["version"].as_str().unwrap().to_string()
    };
    assert!(version("prometheus").starts_with("2."), "{v}");
    assert!(version("alertmanager").starts_with("0."), "{v}");
    let ghost: Vec<&Value> = v["queries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["slo"] == "ghost-availability")
        .collect();
    assert_eq!(ghost.len(), 2, "good and total, once each: {v}");
    assert!(ghost.iter().all(|q| q["series"] == 0), "{v}");
    let warned: Vec<&Value> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "warning" && p["message"].as_str().unwrap().contains("ghost"))
        .collect();
    assert_eq!(warned.len(), 2, "each empty answer is reported: {v}");
    assert!(
        warned[0]["path"].as_str().unwrap().ends_with("slo.yaml"),
        "at the SLO's file: {v}"
    );

    // The human form says the same.
    let out = flightdeck(
        dir.path(),
        &["check", "--online", "--config", cfg.to_str().unwrap()],
    );
    let text = shown(&out);
    assert!(text.contains("Prometheus 2."), "{text}");
    assert!(text.contains("Alertmanager 0."), "{text}");
    assert!(
        text.contains("ghost-availability total: no series"),
        "{text}"
    );

    // Swapped, each is recognised as not what the config says.
    write(&am.url(), &prom.url());
    let (d, c) = (dir.path().to_path_buf(), cfg.clone());
    let out = tokio::task::spawn_blocking(move || run(&d, &c))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (name, kind) in [
        ("prometheus", "Prometheus"),
        ("alertmanager", "Alertmanager"),
    ] {
        let s = v["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap();
        assert_eq!(s["ok"], false, "{s}");
        assert!(
            s["message"]
                .as_str()
                .unwrap()
                .contains(&format!("not as {kind}")),
            "{s}"
        );
    }
    assert!(
        v["queries"].is_null(),
        "no queries against a non-Prometheus: {v}"
    );
}

#[test]
fn init_dir_creates_the_directory_and_force_overwrites_inside_it() {
    let home = tempfile::tempdir().unwrap();
    let target = home.path().join("team/flightdeck");
    let out = flightdeck(home.path(), &["init", target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", shown(&out));
    assert!(target.is_dir(), "DIR is created as a directory");
    let cfg = target.join("flightdeck.toml");
    assert!(cfg.is_file(), "{}", shown(&out));
    for d in ["slos", "runbooks", "postmortems"] {
        assert!(target.join(d).is_dir(), "{d} beside the config, inside DIR");
        assert!(
            !home.path().join("team").join(d).exists(),
            "not in the parent"
        );
    }
    let out = flightdeck(home.path(), &["check", "--config", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", shown(&out));

    // An existing directory: refused without --force, overwritten inside with it.
    std::fs::write(&cfg, "# edited\n").unwrap();
    let out = flightdeck(home.path(), &["init", target.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(shown(&out).contains("--force"), "{}", shown(&out));
    let out = flightdeck(home.path(), &["init", target.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", shown(&out));
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("[prometheus]")
    );

    // A path ending in .toml is the file itself.
    let file = home.path().join("elsewhere/my.toml");
    let out = flightdeck(home.path(), &["init", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", shown(&out));
    assert!(file.is_file());

    let help = flightdeck(home.path(), &["init", "--help"]);
    let text = shown(&help);
    assert!(
        text.contains("directory") && text.contains(".toml"),
        "{text}"
    );
}

#[test]
fn messages_name_the_field_and_the_misspelling_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("flightdeck.toml");
    let check = |text: &str| {
        std::fs::write(&cfg, text).unwrap();
        flightdeck(dir.path(), &["check", "--config", cfg.to_str().unwrap()])
    };
    let out = check("[prometheus]\nurl = \"http://127.0.0.1:9090\"\nbackfill = \"yes\"\n");
    let text = shown(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains(":3:12: prometheus.backfill: "), "{text}");
    assert!(
        !text.contains("knowledge"),
        "no knowledge figures when the config was not read: {text}"
    );

    let out = check(
        "[alertmanager]\nurl = \"http://127.0.0.1:9093\"\ninterval = \"5s\"\ntimeout = \"5s\"\n",
    );
    let text = shown(&out);
    assert!(out.status.success(), "a warning only: {text}");
    assert!(
        text.contains(":4:11: warning: alertmanager.timeout"),
        "{text}"
    );

    let slo = CHECKOUT_SLO.replace("objectives:", "objectivs:");
    let line = slo.lines().position(|l| l.contains("objectivs")).unwrap() + 1;
    std::fs::write(dir.path().join("slo.yaml"), &slo).unwrap();
    let out = flightdeck(
        dir.path(),
        &[
            "slo",
            "check",
            dir.path().join("slo.yaml").to_str().unwrap(),
        ],
    );
    let text = shown(&out);
    assert!(
        text.contains(&format!("slo.yaml:{line}:3: spec.objectivs: unknown field `objectivs`, did you mean `objectives`?")),
        "{text}"
    );
}

/// `check --json` gives each problem's place as numbers where it is known and `null` where it
/// is not (it once printed `"line": 0, "column": 0` for "no line"); every problem has the same
/// keys either way.
#[test]
fn check_json_says_null_for_an_unknown_line_and_numbers_for_a_known_one() {
    let dir = tempfile::tempdir().unwrap();
    let keys = [
        "severity", "path", "line", "column", "field", "message", "fix",
    ];
    let problems = |toml: &str| -> Vec<Value> {
        let cfg = dir.path().join("flightdeck.toml");
        std::fs::write(&cfg, toml).unwrap();
        let out = flightdeck(
            dir.path(),
            &["check", "--config", cfg.to_str().unwrap(), "--json"],
        );
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", shown(&out)));
        let problems = v["problems"].as_array().unwrap().clone();
        for p in &problems {
            let obj = p.as_object().unwrap();
            let mut have: Vec<&str> = obj.keys().map(String::as_str).collect();
            have.sort_unstable();
            let mut want = keys.to_vec();
            want.sort_unstable();
            assert_eq!(have, want, "{p}");
        }
        problems
    };

    // No line to name: the journal's directory is missing (a warning, the config is usable).
    let found = problems(
        "[journal]\npath = \"no-such-dir/journal.jsonl\"\n\
         [prometheus]\nurl = \"http://127.0.0.1:9\"\n",
    );
    let missing = found
        .iter()
        .find(|p| p["field"] == "journal.path")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(missing["severity"], "warning");
    assert_eq!(missing["line"], Value::Null, "{missing}");
    assert_eq!(missing["column"], Value::Null, "{missing}");

    // A known place: the bad value's line and column, 1-based.
    let found = problems("[governor]\n\nmode_hold = \"soon\"\n");
    let bad = found
        .iter()
        .find(|p| p["field"] == "governor.mode_hold")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(bad["severity"], "error");
    assert_eq!(bad["line"], 3, "{bad}");
    assert!(bad["column"].as_u64().is_some_and(|c| c > 0), "{bad}");
}
