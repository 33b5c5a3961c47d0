//! `max_span`: links that chain alert after alert (each within the window of the last) must not
//! glue a whole day into one cluster; a real incident still stays one cluster. And an alert that
//! fires again after its incident went quiet starts a new cluster.

use crate::common;
use std::collections::BTreeSet;

use common::alerts::shop;
use flightdeck::alerts::{Alert, AlertState, ClusterConfig, ClusterId, Correlator, Fingerprint};
use flightdeck::time::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

fn at(mins: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(mins)
}

/// Started `start` minutes in; resolved `end` minutes in if given, firing otherwise.
fn alert(labels: &[(&str, &str)], summary: &str, start: i64, end: Option<i64>) -> Alert {
    common::alerts::alert(labels, Some(summary), at(start), end.map(at))
}

/// A database outage cascading through its dependents over 20 minutes, starting `t` minutes in.
/// The database, pool and service alerts carry the same labels every time (they are the same
/// Alertmanager alerts firing again); the crash-looping pods are new pods each time.
fn cascade(t: i64, n: usize) -> Vec<(Alert, i64)> {
    let resolved = |m: i64| Some(t + 35 + m);
    let mut out = vec![
        alert(
            &[
                ("alertname", "PostgresConnectionPoolExhausted"),
                ("service", "postgres"),
                ("namespace", "db"),
                ("severity", "critical"),
            ],
            "connection pool exhausted on postgres-0",
            t,
            resolved(5),
        ),
        alert(
            &[
                ("alertname", "PgbouncerClientsWaiting"),
                ("service", "pgbouncer"),
                ("namespace", "db"),
                ("severity", "warning"),
            ],
            "clients waiting for a server connection",
            t + 2,
            resolved(4),
        ),
        alert(
            &[
                ("alertname", "PaymentsHighLatency"),
                ("service", "payments"),
                ("namespace", "pay"),
                ("severity", "warning"),
            ],
            "p99 latency of payments above 2s",
            t + 5,
            resolved(3),
        ),
        alert(
            &[
                ("alertname", "CheckoutHighErrorRate"),
                ("service", "checkout"),
                ("namespace", "shop"),
                ("severity", "critical"),
            ],
            "5xx ratio of checkout above 5%",
            t + 7,
            resolved(2),
        ),
        alert(
            &[
                ("alertname", "FrontendHighErrorRate"),
                ("service", "frontend"),
                ("namespace", "web"),
                ("severity", "critical"),
            ],
            "5xx ratio of the storefront above 2%",
            t + 14,
            resolved(1),
        ),
    ];
    for p in 0..3 {
        let pod = format!("checkout-7d9f8b6c5-n{n}p{p}");
        out.push(alert(
            &[
                ("alertname", "KubePodCrashLooping"),
                ("service", "checkout"),
                ("namespace", "shop"),
                ("pod", &pod),
                ("severity", "warning"),
            ],
            &format!("Pod shop/{pod} is crash looping"),
            t + 9 + p,
            resolved(0),
        ));
    }
    out.push(alert(
        &[
            ("alertname", "FrontendLatencyHigh"),
            ("service", "frontend"),
            ("namespace", "web"),
            ("severity", "warning"),
        ],
        "p99 latency of the storefront above 1s",
        t + 20,
        resolved(0),
    ));
    // Each alert is delivered when it fires and again when it resolves.
    let mut deliveries = Vec::new();
    for a in out {
        let mut firing = a.clone();
        firing.state = AlertState::Firing;
        firing.ends_at = None;
        let start = a.starts_at.duration_since(t0()).as_mins();
        let end = a.ends_at.unwrap().duration_since(t0()).as_mins();
        deliveries.push((firing, start));
        deliveries.push((a, end));
    }
    deliveries
}

/// Background noise all day: slow requests on a random storefront route every 8 minutes (they
/// link to each other and to the storefront alerts of every incident) and failed report jobs
/// every 6 minutes, each resolving within minutes.
fn background(n: usize) -> Vec<(Alert, i64)> {
    let mut out = Vec::new();
    for i in 0..(24 * 60 / 8) {
        let t = 3 + i * 8;
        let route = format!(
            "/{}",
            ["cart", "search", "account", "product", "home"][i as usize % 5]
        );
        let id = format!("{n}-{i}");
        let a = alert(
            &[
                ("alertname", "FrontendSlowRequests"),
                ("service", "frontend"),
                ("namespace", "web"),
                ("route", &route),
                ("request_id", &id),
                ("severity", "info"),
            ],
            &format!("slow requests on route {route}"),
            t,
            Some(t + 3),
        );
        let mut firing = a.clone();
        firing.state = AlertState::Firing;
        firing.ends_at = None;
        out.push((firing, t));
        out.push((a, t + 3));
    }
    for i in 0..(24 * 60 / 6) {
        let t = 1 + i * 6;
        let job = format!("report-{i}");
        let a = alert(
            &[
                ("alertname", "KubeJobFailed"),
                ("service", "reports"),
                ("namespace", "batch"),
                ("job_name", &job),
                ("severity", "warning"),
            ],
            &format!("Job batch/{job} failed to complete"),
            t,
            Some(t + 2),
        );
        let mut firing = a.clone();
        firing.state = AlertState::Firing;
        firing.ends_at = None;
        out.push((firing, t));
        out.push((a, t + 2));
    }
    out
}

/// Where one alert of a cascade was while the cascade happened: (cluster, when that cluster
/// began, when the alert started).
type Seen = Vec<(ClusterId, Timestamp, Timestamp)>;

/// Eight database cascades, one every three hours, in a day of background noise, delivered in
/// time order. Returns the correlator and where each cascade's alerts were when it was over (the
/// live view then: later, its alerts that fire again move on to the next incident).
fn day(cfg: ClusterConfig) -> (Correlator, Vec<Seen>) {
    let mut deliveries = background(0);
    let mut cascades = Vec::new();
    for k in 0..8 {
        let start = 60 + 180 * k;
        let c = cascade(start, k as usize);
        let fps: BTreeSet<Fingerprint> = c.iter().map(|(a, _)| a.fingerprint()).collect();
        cascades.push((start + 30, fps));
        deliveries.extend(c);
    }
    deliveries.sort_by_key(|(_, t)| *t);
    let mut c = Correlator::new(cfg);
    let mut seen = Vec::new();
    let snapshot = |c: &Correlator, fps: &BTreeSet<Fingerprint>| -> Seen {
        fps.iter()
            .map(|fp| {
                let t = c.alert(*fp).unwrap();
                (
                    t.cluster,
                    c.cluster(t.cluster).unwrap().started,
                    t.alert.starts_at,
                )
            })
            .collect()
    };
    for (a, t) in deliveries {
        while let Some((when, fps)) = cascades.get(seen.len())
            && t > *when
        {
            seen.push(snapshot(&c, fps));
        }
        c.observe(a, at(t));
    }
    for (_, fps) in &cascades[seen.len()..] {
        seen.push(snapshot(&c, fps));
    }
    (c, seen)
}

fn ids(seen: &Seen) -> BTreeSet<ClusterId> {
    seen.iter().map(|s| s.0).collect()
}

fn clusters_of(c: &Correlator, fps: &BTreeSet<Fingerprint>) -> BTreeSet<ClusterId> {
    fps.iter().map(|fp| c.alert(*fp).unwrap().cluster).collect()
}

#[test]
fn without_a_span_cap_the_day_chains_into_one_cluster() {
    // What max_span prevents: every link is real (same service, a dependency, similar text),
    // each within ten minutes of the last, and they chain from midnight to midnight.
    let (c, cascades) = day(ClusterConfig {
        max_span: SignedDuration::from_hours(48),
        ..shop()
    });
    let all: BTreeSet<ClusterId> = cascades.iter().flat_map(ids).collect();
    assert_eq!(all.len(), 1, "every cascade in one cluster");
    let big = c.cluster(*all.first().unwrap()).unwrap();
    assert!(
        big.services.contains("frontend") && big.services.contains("postgres"),
        "{:?}",
        big.services
    );
}

#[test]
fn a_day_of_recurring_incidents_is_several_clusters() {
    let cfg = shop();
    let max_span = cfg.max_span;
    let (c, cascades) = day(cfg);
    // Not one cluster: the cascades are spread over several.
    let all: BTreeSet<ClusterId> = cascades.iter().flat_map(ids).collect();
    assert!(all.len() >= 8, "{} clusters hold the cascades", all.len());
    let largest = c.clusters().iter().map(|cl| cl.size()).max().unwrap();
    assert!(largest * 5 < c.len(), "largest {largest} of {}", c.len());
    // No cluster spans more than max_span between its members' activations.
    for cl in c.clusters() {
        let starts: Vec<Timestamp> = c.members(cl.id).map(|t| t.alert.starts_at).collect();
        let span = starts
            .iter()
            .max()
            .unwrap()
            .duration_since(*starts.iter().min().unwrap());
        assert!(span <= max_span, "{} spans {span:?}", cl.name);
    }
    // While it happens, a cascade is one cluster, unless it began in a cluster that reached
    // max_span during it (the background had chained into it for almost two hours): then what
    // came after that point is a second cluster. The database and its direct dependents are
    // always together.
    let mut whole = 0;
    for (k, seen) in cascades.iter().enumerate() {
        let clusters = ids(seen);
        assert!(clusters.len() <= 2, "cascade {k}: {seen:?}");
        let (_, began, first_start) = *seen.iter().min_by_key(|s| s.2).unwrap();
        for &(_, _, start) in seen.iter().filter(|s| s.1 != began) {
            assert!(
                start.duration_since(began) > max_span,
                "cascade {k} split before its cluster reached max_span: {seen:?}"
            );
        }
        let core: BTreeSet<ClusterId> = seen
            .iter()
            .filter(|s| s.2.duration_since(first_start) <= SignedDuration::from_mins(11))
            .map(|s| s.0)
            .collect();
        assert_eq!(core.len(), 1, "cascade {k}: {seen:?}");
        whole += usize::from(clusters.len() == 1);
    }
    assert!(whole >= 6, "only {whole} of 8 cascades whole");
}

#[test]
fn a_twenty_minute_database_cascade_stays_one_cluster() {
    // The cascade in the middle of the busy day: an hour and a half of background before it.
    let mut deliveries: Vec<(Alert, i64)> = background(1)
        .into_iter()
        .filter(|(_, t)| *t < 150)
        .collect();
    let cascade = cascade(90, 0);
    let fps: BTreeSet<Fingerprint> = cascade.iter().map(|(a, _)| a.fingerprint()).collect();
    deliveries.extend(cascade);
    deliveries.sort_by_key(|(_, t)| *t);
    let mut c = Correlator::new(shop());
    for (a, t) in deliveries {
        c.observe(a, at(t));
    }
    let ids = clusters_of(&c, &fps);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let cl = c.cluster(*ids.first().unwrap()).unwrap();
    let origin = cl.origin.as_ref().unwrap();
    assert_eq!(origin.service, "postgres", "{origin:?}");
    for reason in [
        "frontend depends on checkout",
        "pgbouncer depends on postgres",
    ] {
        assert!(cl.reasons.iter().any(|r| r == reason), "{:?}", cl.reasons);
    }
    // The unrelated report jobs are not in it.
    assert!(!cl.alertnames.contains("KubeJobFailed"));
}

fn svc(name: &str, service: &str) -> Vec<(&'static str, String)> {
    vec![
        ("alertname", name.to_string()),
        ("service", service.to_string()),
        ("namespace", "shop".to_string()),
    ]
}

fn make(labels: &[(&str, String)], start: i64, end: Option<i64>) -> Alert {
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    alert(&labels, "something is wrong", start, end)
}

#[test]
fn firing_again_after_the_incident_went_quiet_is_a_new_cluster() {
    let mut c = Correlator::new(ClusterConfig::default());
    let a = svc("CheckoutHighErrorRate", "checkout");
    let b = svc("CheckoutLatencyHigh", "checkout");
    c.observe(make(&a, 0, None), at(0));
    c.observe(make(&b, 1, None), at(1));
    let first = c.alert(make(&a, 0, None).fingerprint()).unwrap().cluster;
    assert_eq!(c.clusters().len(), 1);
    c.observe(make(&a, 0, Some(5)), at(5));
    c.observe(make(&b, 1, Some(6)), at(6));
    // Back within the window of the last resolution: the same incident.
    c.observe(make(&a, 12, None), at(12));
    assert_eq!(
        c.alert(make(&a, 0, None).fingerprint()).unwrap().cluster,
        first
    );
    c.observe(make(&a, 12, Some(14)), at(14));
    // Back after half an hour of quiet: a new incident, a new cluster; the old one keeps the
    // other alert.
    c.observe(make(&a, 45, None), at(45));
    let again = c.alert(make(&a, 0, None).fingerprint()).unwrap().clone();
    assert_ne!(again.cluster, first);
    let new = c.cluster(again.cluster).unwrap();
    assert_eq!((new.size(), new.firing), (1, 1));
    assert_eq!(new.started, at(45));
    let old = c.cluster(first).unwrap();
    assert_eq!((old.size(), old.firing), (1, 0));
    assert_eq!(old.started, at(1));
    // A new alert of the same service now joins the new incident, not the old one.
    let d = svc("CheckoutPodsRestarting", "checkout");
    c.observe(make(&d, 47, None), at(47));
    assert_eq!(
        c.alert(make(&d, 47, None).fingerprint()).unwrap().cluster,
        again.cluster
    );
    assert_eq!(c.clusters().len(), 2);
    // Ids are never reused.
    assert!(again.cluster > first);
}

#[test]
fn firing_again_past_max_span_is_a_new_cluster_even_beside_a_chronic_alert() {
    let mut c = Correlator::new(ClusterConfig::default());
    let chronic = svc("CheckoutSaturation", "checkout");
    let a = svc("CheckoutHighErrorRate", "checkout");
    c.observe(make(&chronic, 0, None), at(0));
    c.observe(make(&a, 3, None), at(3));
    let first = c.alert(make(&a, 3, None).fingerprint()).unwrap().cluster;
    c.observe(make(&a, 3, Some(10)), at(10));
    // The chronic alert keeps the cluster active; two and a half hours later it is not the
    // same incident any more.
    c.observe(make(&a, 150, None), at(150));
    let again = c.alert(make(&a, 3, None).fingerprint()).unwrap().cluster;
    assert_ne!(again, first);
    assert_eq!(c.cluster(first).unwrap().size(), 1);
    assert_eq!(c.cluster(again).unwrap().size(), 1);
}
