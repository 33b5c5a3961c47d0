//! `flightdeck alerts cluster` and `flightdeck kb …` through the real binary, on the bundled
//! demo knowledge and the alert fixtures.

use crate::common;
use common::cli::{flightdeck, json};

#[test]
fn alerts_cluster_prints_the_documented_json() {
    let v = json(&flightdeck(&[
        "alerts",
        "cluster",
        "tests/fixtures/alerts/database-cascade.jsonl",
        "--json",
    ]));
    let clusters = v["clusters"].as_array().unwrap();
    assert!(!clusters.is_empty());
    for c in clusters {
        for key in [
            "id", "size", "origin", "members", "reasons", "novelty", "noise",
        ] {
            assert!(c.get(key).is_some(), "cluster lacks {key}: {c}");
        }
    }
    assert!(v["rejected"].is_array());
}

#[test]
fn kb_match_finds_the_pool_runbook_for_a_pool_alert() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.json");
    std::fs::write(
        &alerts,
        r#"[{"labels": {"alertname": "PostgresConnectionPoolExhausted", "service": "postgres", "namespace": "db"},
             "annotations": {"summary": "PgBouncer pool shop/checkout exhausted"},
             "startsAt": "2026-03-12T14:04:10.123456789Z", "endsAt": "0001-01-01T00:00:00Z",
             "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}}]"#,
    )
    .unwrap();
    let v = json(&flightdeck(&[
        "kb",
        "match",
        "--alerts",
        alerts.to_str().unwrap(),
        "--kb",
        "assets/demo/runbooks",
        "--kb",
        "assets/demo/postmortems",
        "--top",
        "3",
        "--json",
    ]));
    let r = &v["results"][0];
    assert_eq!(r["no_good_match"], false, "{r}");
    assert_eq!(
        r["matches"][0]["path"], "postgres-connection-pool.md",
        "{r}"
    );
    assert!(!r["matches"][0]["why"].as_array().unwrap().is_empty());
}

#[test]
fn kb_search_and_lint_run_on_the_demo_knowledge() {
    let v = json(&flightdeck(&[
        "kb",
        "search",
        "connection pool exhausted",
        "--kb",
        "assets/demo/runbooks",
        "--json",
    ]));
    assert!(!v["results"].as_array().unwrap().is_empty());

    let out = flightdeck(&[
        "kb",
        "lint",
        "--kb",
        "assets/demo/runbooks",
        "--kb",
        "assets/demo/postmortems",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The demo keeps one deliberately weak postmortem and one stale runbook.
    assert!(
        v["summary"]["stale_runbooks"].as_u64().unwrap() >= 1,
        "{}",
        v["summary"]
    );
    assert!(v["summary"]["postmortems"].as_u64().unwrap() >= 3);
}
