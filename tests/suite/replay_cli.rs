//! The real binary, headless: the demo replays on the virtual clock and prints the state; a
//! broken scenario gets a message naming file, line and field, not a panic.

use crate::common;
/// `flightdeck ARGS` with a fresh, empty home.
fn flightdeck(args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    common::cli::flightdeck_at_home(home.path(), args)
}

fn json_at(until: &str) -> serde_json::Value {
    common::cli::json(&flightdeck(&[
        "replay",
        "--headless",
        "--until",
        until,
        "--json",
    ]))
}

#[test]
fn headless_json_has_the_documented_fields() {
    let v = json_at("30m");
    assert_eq!(v["time"], "2026-03-12T14:25:00Z");
    for key in ["mode", "slos", "clusters", "approvals", "journal_len"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert!(v["mode"]["mode"].is_string() && v["mode"]["reason"].is_string());
    let slos = v["slos"].as_array().unwrap();
    assert_eq!(slos.len(), 3);
    for s in slos {
        assert!(s["name"].is_string());
        assert!(s["budget_remaining"].is_number(), "{s}");
        assert!(s["burn_rates"]["1h"].is_number(), "{s}");
    }
    let clusters = v["clusters"].as_array().unwrap();
    assert!(!clusters.is_empty());
    for c in clusters {
        for key in ["id", "size", "alertnames", "origin", "top_runbook"] {
            assert!(c.get(key).is_some(), "cluster lacks {key}: {c}");
        }
    }
    assert!(v["journal_len"].as_u64().unwrap() > 1);
}

#[test]
fn the_demo_incident_unfolds() {
    // Before the deploy: healthy.
    let before = json_at("5m");
    assert_eq!(before["mode"]["mode"], "adaptive", "{}", before["mode"]);

    // Twenty minutes in: checkout burns fast, the governor froze automation, and the pool
    // exhaustion is one cluster whose origin is postgres with its runbook matched.
    let during = json_at("20m");
    assert_ne!(during["mode"]["mode"], "adaptive", "{}", during["mode"]);
    let clusters = during["clusters"].as_array().unwrap();
    let db = clusters
        .iter()
        .find(|c| {
            c["alertnames"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "PostgresConnectionPoolExhausted")
        })
        .expect("a cluster holds the pool exhaustion");
    assert_eq!(db["origin"], "postgres", "{db}");
    assert!(
        db["size"].as_u64().unwrap() > 10,
        "the cascade joined one cluster: {db}"
    );
    assert!(db["top_runbook"].is_string(), "{db}");
    assert!(!during["approvals"].as_array().unwrap().is_empty());

    // At the end: the latency budget is spent.
    let end = json_at("75m");
    assert_eq!(end["mode"]["mode"], "redesign", "{}", end["mode"]);
}

#[test]
fn headless_text_is_readable() {
    let out = flightdeck(&["replay", "--headless", "--until", "20m"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("checkout-availability"), "{text}");
    assert!(text.contains("Clusters"), "{text}");
}

#[test]
fn a_broken_scenario_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        "version: 1\nid: x\ntitle: x\nstart: 2026-03-12T13:55:00Z\nduration: 10m\nslos: []\ntimeline:\n  - at: 12x\n    fire:\n      labels: {alertname: A}\n",
    )
    .unwrap();
    let out = flightdeck(&["replay", path.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:8"), "{err}");
    assert!(err.contains("timeline[0].at"), "{err}");
    assert!(err.contains("not a duration"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_yaml_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "version: 1\nid: [unclosed\n").unwrap();
    let out = flightdeck(&["replay", path.to_str().unwrap(), "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
