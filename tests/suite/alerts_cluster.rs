//! Correlation scenarios: a database outage cascading through its dependents, an unrelated alert,
//! duplicate delivery, flapping, suppressed alerts.

use crate::common;
use common::alerts::topology;
use flightdeck::alerts::{
    Alert, AlertState, ClusterConfig, Correlator, NoiseMark, Severity, fingerprint,
};
use flightdeck::time::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    "2026-11-25T23:00:00Z".parse().unwrap()
}

fn at(mins: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(mins)
}

/// Started `start_min` minutes in, in `state`, with no end.
fn alert(labels: &[(&str, &str)], summary: &str, start_min: i64, state: AlertState) -> Alert {
    Alert {
        state,
        ..common::alerts::alert(labels, Some(summary), at(start_min), None)
    }
}

fn shop_topology() -> ClusterConfig {
    topology(&[
        ("checkout", &["payments", "postgres"]),
        ("payments", &["postgres"]),
    ])
}

fn cascade() -> Vec<Alert> {
    use AlertState::Firing;
    vec![
        alert(
            &[
                ("alertname", "PostgresConnectionPoolExhausted"),
                ("service", "postgres"),
                ("namespace", "db"),
                ("severity", "critical"),
            ],
            "connection pool exhausted on postgres-0",
            0,
            Firing,
        ),
        alert(
            &[
                ("alertname", "PaymentsHighLatency"),
                ("service", "payments"),
                ("namespace", "pay"),
                ("severity", "warning"),
            ],
            "p99 latency above 2s",
            1,
            Firing,
        ),
        alert(
            &[
                ("alertname", "CheckoutHighErrorRate"),
                ("service", "checkout"),
                ("namespace", "shop"),
                ("severity", "page"),
            ],
            "5xx ratio above 5%",
            2,
            Firing,
        ),
        alert(
            &[
                ("alertname", "CheckoutSlowRequests"),
                ("service", "checkout"),
                ("namespace", "shop"),
                ("severity", "warning"),
            ],
            "requests are slow",
            3,
            Firing,
        ),
    ]
}

fn unrelated() -> Alert {
    alert(
        &[
            ("alertname", "NodeFilesystemAlmostFull"),
            ("instance", "worker-9:9100"),
            ("job", "node-exporter"),
            ("severity", "warning"),
        ],
        "filesystem on /var is 91% full",
        2,
        AlertState::Firing,
    )
}

#[test]
fn database_cascade_is_one_cluster_with_origin_postgres() {
    let mut c = Correlator::new(shop_topology());
    // Arrives out of order: the symptom first.
    let mut alerts = cascade();
    alerts.reverse();
    for a in alerts {
        c.observe(a, at(4));
    }
    c.observe(unrelated(), at(4));
    assert_eq!(c.len(), 5);
    let clusters = c.clusters();
    assert_eq!(clusters.len(), 2, "{clusters:#?}");
    let db = &clusters[0];
    assert_eq!(db.size(), 4);
    assert_eq!(db.firing, 4);
    assert_eq!(db.severity, Severity::Critical);
    let origin = db.origin.as_ref().unwrap();
    assert_eq!(origin.service, "postgres");
    assert_eq!(origin.fingerprint, cascade()[0].fingerprint());
    assert!(origin.why.contains("on postgres"), "{}", origin.why);
    assert!(
        db.reasons
            .iter()
            .any(|r| r == "checkout depends on postgres"),
        "{:?}",
        db.reasons
    );
    assert!(
        db.reasons
            .iter()
            .any(|r| r == "same namespace+service: shop/checkout"),
        "{:?}",
        db.reasons
    );
    assert_eq!(db.services.len(), 3);
    let alone = &clusters[1];
    assert_eq!(alone.members, vec![unrelated().fingerprint()]);
    assert!(alone.reasons.is_empty());
    assert_eq!(
        c.alert(unrelated().fingerprint()).unwrap().cluster,
        alone.id
    );
    assert_eq!(c.cluster(db.id).unwrap().id, db.id);
}

#[test]
fn alerts_outside_the_window_stay_apart() {
    let mut c = Correlator::new(shop_topology());
    let mut a = cascade();
    a[2].starts_at = at(45);
    a.truncate(3);
    for x in a {
        c.observe(x, at(50));
    }
    assert_eq!(c.clusters().len(), 2);
}

#[test]
fn duplicate_delivery_changes_nothing() {
    let mut c = Correlator::new(shop_topology());
    for a in cascade() {
        c.observe(a, at(4));
    }
    let before = c.clusters().to_vec();
    let tracked: Vec<_> = cascade()
        .iter()
        .map(|a| c.alert(a.fingerprint()).unwrap().clone())
        .collect();
    for a in cascade() {
        c.observe(a, at(9));
    }
    assert_eq!(c.clusters(), &before[..]);
    let after: Vec<_> = cascade()
        .iter()
        .map(|a| c.alert(a.fingerprint()).unwrap().clone())
        .collect();
    assert_eq!(after, tracked);
}

#[test]
fn flapping_alert_is_marked() {
    let mut c = Correlator::new(ClusterConfig::default());
    let base = alert(
        &[("alertname", "QueueDepthHigh"), ("service", "worker")],
        "queue depth high",
        0,
        AlertState::Firing,
    );
    for i in 0..5 {
        let mut a = base.clone();
        a.starts_at = at(i * 10);
        c.observe(a.clone(), at(i * 10));
        a.state = AlertState::Resolved;
        a.ends_at = Some(at(i * 10 + 5));
        c.observe(a, at(i * 10 + 5));
    }
    let t = c.alert(base.fingerprint()).unwrap();
    // The first delivery is not a transition; nine after it.
    assert_eq!(t.transitions, 9);
    assert!(
        matches!(t.noise.as_slice(), [NoiseMark::Flapping { transitions_per_hour }] if *transitions_per_hour >= 4.0),
        "{:?}",
        t.noise
    );
    let cl = c.cluster(t.cluster).unwrap();
    assert!(matches!(cl.noise.first(), Some(NoiseMark::Flapping { .. })));
    assert_eq!(cl.firing, 0);
    assert_eq!(c.clusters().len(), 1);
}

#[test]
fn suppressed_alerts_do_not_merge_clusters() {
    // search and billing both depend on elastic, not on each other: a silenced elastic alert
    // would join them if it drove clustering.
    let cfg = topology(&[("search", &["elastic"]), ("billing", &["elastic"])]);
    let mut c = Correlator::new(cfg);
    let search = alert(
        &[("alertname", "SearchErrors"), ("service", "search")],
        "errors",
        0,
        AlertState::Firing,
    );
    let billing = alert(
        &[("alertname", "BillingLag"), ("service", "billing")],
        "lag",
        1,
        AlertState::Firing,
    );
    let elastic = alert(
        &[("alertname", "ElasticRed"), ("service", "elastic")],
        "cluster red",
        0,
        AlertState::Suppressed,
    );
    c.observe(search.clone(), at(2));
    c.observe(elastic.clone(), at(2));
    c.observe(billing.clone(), at(2));
    assert_eq!(c.clusters().len(), 3, "{:#?}", c.clusters());
    let e = c.alert(elastic.fingerprint()).unwrap();
    assert_eq!(e.noise, vec![NoiseMark::Suppressed]);
    let ec = c.cluster(e.cluster).unwrap();
    assert_eq!(ec.suppressed, 1);
    // Sorted last: no firing alert.
    assert_eq!(c.clusters().last().unwrap().id, ec.id);
    // Silence expires: now it drives, and all three join.
    let mut un = elastic.clone();
    un.state = AlertState::Firing;
    c.observe(un, at(3));
    assert_eq!(c.clusters().len(), 1);
    let all = &c.clusters()[0];
    assert_eq!(all.origin.as_ref().unwrap().service, "elastic");
}

#[test]
fn suppressed_alert_is_shown_with_its_group() {
    let mut c = Correlator::new(ClusterConfig::default());
    let a = alert(
        &[
            ("alertname", "A"),
            ("namespace", "shop"),
            ("service", "cart"),
        ],
        "x",
        0,
        AlertState::Firing,
    );
    let s = alert(
        &[
            ("alertname", "B"),
            ("namespace", "shop"),
            ("service", "cart"),
        ],
        "y",
        1,
        AlertState::Suppressed,
    );
    c.observe(s.clone(), at(1));
    assert_eq!(c.clusters().len(), 1);
    c.observe(a.clone(), at(1));
    assert_eq!(c.clusters().len(), 1);
    let cl = &c.clusters()[0];
    assert_eq!(cl.size(), 2);
    assert_eq!(cl.suppressed, 1);
    assert_eq!(cl.firing, 1);
    assert!(cl.noise.is_empty());
    assert_eq!(cl.origin.as_ref().unwrap().fingerprint, a.fingerprint());
}

#[test]
fn resolved_alerts_stay_and_their_cluster_sorts_last() {
    let mut c = Correlator::new(shop_topology());
    for a in cascade() {
        c.observe(a, at(4));
    }
    c.observe(unrelated(), at(4));
    let db_id = c.alert(cascade()[0].fingerprint()).unwrap().cluster;
    for mut a in cascade() {
        a.state = AlertState::Resolved;
        a.ends_at = Some(at(20));
        c.observe(a, at(20));
    }
    let clusters = c.clusters();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[1].id, db_id);
    assert_eq!(clusters[1].size(), 4);
    assert_eq!(clusters[1].firing, 0);
    assert_eq!(clusters[1].origin.as_ref().unwrap().service, "postgres");
}

#[test]
fn fingerprints_are_alertmanagers() {
    let a = &cascade()[0];
    assert_eq!(a.fingerprint(), fingerprint(&a.labels));
}
