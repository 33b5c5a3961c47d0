//! Realistic storms from tests/fixtures/alerts (see generate.py there): what an on-call engineer
//! should see after `flightdeck alerts cluster`.

use crate::common;
use std::collections::BTreeSet;

use common::alerts::shop;
use flightdeck::alerts::{
    ClusterConfig, ClusterReport, KnownPatterns, NoiseMark, Severity, cluster_report,
    cluster_report_with, parse_alerts,
};

/// The alert storm `tests/fixtures/alerts/<name>`.
fn fixture(name: &str) -> String {
    common::fixture(&format!("alerts/{name}"))
}

fn report(name: &str, cfg: &ClusterConfig) -> ClusterReport {
    let parsed = parse_alerts(&fixture(name));
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    let r = cluster_report(&parsed, cfg);
    if std::env::var_os("SHOW").is_some() {
        println!("{r}");
    }
    r
}

#[test]
fn database_cascade_is_one_incident_starting_at_postgres() {
    let r = report("database-cascade.jsonl", &shop());
    assert_eq!(r.alerts, 11);
    assert_eq!(r.clusters.len(), 3, "{r}");
    let db = r.clusters.iter().max_by_key(|c| c.size).unwrap();
    assert_eq!(db.size, 9);
    assert_eq!(db.origin_service.as_deref(), Some("postgres"));
    assert!(
        db.origin_why
            .as_deref()
            .unwrap()
            .contains("depend on postgres"),
        "{r}"
    );
    assert_eq!(db.severity, Severity::Critical);
    assert_eq!(db.firing, 0, "everything resolved by the end");
    for reason in [
        "frontend depends on checkout",
        "checkout depends on postgres",
        "pgbouncer depends on postgres",
        "same namespace+service: db/postgres",
    ] {
        assert!(
            db.reasons.iter().any(|r| r == reason),
            "{reason:?} missing: {r}"
        );
    }
    // The certificate and the status-page probe are not part of it; each stands alone.
    let alone: BTreeSet<usize> = r.clusters.iter().map(|c| c.size).collect();
    assert_eq!(alone, BTreeSet::from([1, 9]));
    // The still-firing certificate alert sorts first; the resolved ones after it.
    assert_eq!(r.clusters[0].firing, 1);
}

#[test]
fn node_failure_is_one_cluster_across_namespaces() {
    let r = report("node-failure.json", &ClusterConfig::default());
    let node = &r.clusters[0];
    assert!(node.size >= 70, "{r}");
    assert_eq!(node.origin_service.as_deref(), Some("worker-7"), "{r}");
    assert!(
        node.reasons.iter().any(|x| x == "same node: worker-7"),
        "{r}"
    );
    assert!(
        node.alertnames
            .contains(&"KubeDeploymentReplicasMismatch".to_string())
    );
    assert!(node.alertnames.contains(&"NodeExporterDown".to_string()));
    // The batch job failure carries its silenced crash-looping pods, dimmed.
    let batch = r
        .clusters
        .iter()
        .find(|c| c.alertnames.contains(&"KubeJobFailed".to_string()))
        .unwrap();
    assert_eq!((batch.size, batch.firing, batch.suppressed), (4, 1, 3));
    // Watchdog and the CPU overcommit fire all day: chronic, alone, stale candidates.
    for name in ["Watchdog", "KubeCPUOvercommit"] {
        let c = r
            .clusters
            .iter()
            .find(|c| c.alertnames == [name.to_string()])
            .unwrap_or_else(|| panic!("{name} alone: {r}"));
        assert!(
            matches!(c.noise.as_slice(), [NoiseMark::Chronic { firing_share }] if *firing_share > 0.99),
            "{name}: {:?}",
            c.noise
        );
        assert!(r.stale_candidates.iter().any(|s| s.alertname == name));
    }
    assert_eq!(r.clusters.len(), 4, "{r}");
}

#[test]
fn flapping_alert_is_flagged_and_real_alert_is_not() {
    let r = report("flapping.jsonl", &ClusterConfig::default());
    assert_eq!(r.clusters.len(), 2, "{r}");
    let flap = r
        .clusters
        .iter()
        .find(|c| c.alertnames.contains(&"QueueDepthHigh".to_string()))
        .unwrap();
    assert!(
        matches!(flap.noise.as_slice(), [NoiseMark::Flapping { transitions_per_hour }] if *transitions_per_hour >= 10.0),
        "{:?}",
        flap.noise
    );
    let real = r
        .clusters
        .iter()
        .find(|c| c.alertnames.contains(&"SearchIndexStale".to_string()))
        .unwrap();
    assert!(real.noise.is_empty());
    assert_eq!(
        r.clusters[0].alertnames,
        ["SearchIndexStale"],
        "firing sorts first"
    );
    assert_eq!(r.stale_candidates.len(), 1);
    assert_eq!(r.stale_candidates[0].alertname, "QueueDepthHigh");
    assert!(r.stale_candidates[0].evidence.contains("flapping"));
}

#[test]
fn report_json_has_the_documented_shape() {
    let parsed = parse_alerts(&(fixture("database-cascade.jsonl") + "{\"labels\": 3}\n"));
    assert_eq!(parsed.rejected.len(), 1);
    let known = KnownPatterns::new(["PostgresConnectionPoolExhausted"]);
    let r = cluster_report_with(&parsed, &shop(), &known);
    let v = serde_json::to_value(&r).unwrap();
    let c = &v["clusters"][0];
    for key in [
        "id", "size", "origin", "members", "reasons", "novelty", "noise",
    ] {
        assert!(c.get(key).is_some(), "cluster has no {key:?}: {c}");
    }
    assert!(c["id"].as_str().unwrap().starts_with('C'));
    let db = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["size"] == 9)
        .unwrap();
    assert_eq!(db["novelty"], 0.0);
    assert_eq!(db["origin"].as_str().unwrap().len(), 16);
    assert_eq!(db["members"].as_array().unwrap().len(), 9);
    let rej = &v["rejected"][0];
    assert!(rej["index"].as_u64().is_some());
    assert!(
        rej["error"]
            .as_str()
            .unwrap()
            .contains("\"labels\" must be an object")
    );
    // The human form names the origin and the reasons.
    let text = r.to_string();
    assert!(text.contains("origin: postgres"), "{text}");
    assert!(
        text.contains("because checkout depends on postgres"),
        "{text}"
    );
}
