//! Properties of correlation: the result does not depend on the order in which alerts of the
//! same instant arrive, and a duplicate delivery changes nothing.

use crate::common;
use std::collections::{BTreeMap, BTreeSet};

use flightdeck::alerts::{Alert, AlertState, Cluster, ClusterConfig, Correlator, Fingerprint};
use flightdeck::time::{SignedDuration, Timestamp};
use proptest::prelude::*;

const NAMESPACES: [&str; 4] = ["", "shop", "pay", "db"];
const SERVICES: [&str; 7] = [
    "", "checkout", "payments", "postgres", "search", "elastic", "web",
];
const NAMES: [&str; 6] = [
    "HighErrorRate",
    "KubePodCrashLooping",
    "PostgresConnectionPoolExhausted",
    "LatencyHigh",
    "NodeFilesystemAlmostFull",
    "KubePodNotReady",
];
const SUMMARIES: [&str; 5] = [
    "error rate above threshold",
    "connection pool exhausted",
    "pod is crash looping",
    "filesystem almost full",
    "pod has been in a non-ready state",
];
const SEVERITIES: [&str; 4] = ["critical", "warning", "info", "page"];

fn t0() -> Timestamp {
    "2026-11-25T23:00:00Z".parse().unwrap()
}

fn cfg() -> ClusterConfig {
    common::alerts::topology(&[
        ("checkout", &["payments", "postgres"]),
        ("payments", &["postgres"]),
        ("search", &["elastic"]),
    ])
}

fn arb_alert() -> impl Strategy<Value = Alert> {
    (
        (
            0..NAMESPACES.len(),
            0..SERVICES.len(),
            0..NAMES.len(),
            0..SUMMARIES.len(),
        ),
        (0i64..50, 0u8..6, 0u32..30, 0..5usize, 0..SEVERITIES.len()),
    )
        .prop_map(|((ns, svc, name, sum), (start, state, pod, node, sev))| {
            let mut labels = BTreeMap::from([
                ("alertname".to_string(), NAMES[name].to_string()),
                ("pod".to_string(), format!("pod-{pod}")),
                ("severity".to_string(), SEVERITIES[sev].to_string()),
            ]);
            for (k, v) in [("namespace", NAMESPACES[ns]), ("service", SERVICES[svc])] {
                if !v.is_empty() {
                    labels.insert(k.into(), v.into());
                }
            }
            if node < 2 {
                labels.insert("node".into(), format!("worker-{node}"));
            }
            let state = match state {
                0..=2 => AlertState::Firing,
                3 | 4 => AlertState::Resolved,
                _ => AlertState::Suppressed,
            };
            let starts_at = t0() + SignedDuration::from_mins(start);
            Alert {
                labels,
                annotations: BTreeMap::from([("summary".into(), SUMMARIES[sum].into())]),
                starts_at,
                ends_at: (state == AlertState::Resolved)
                    .then(|| starts_at + SignedDuration::from_mins(3)),
                state,
                generator_url: None,
                detail: Default::default(),
            }
        })
}

/// Distinct alerts (by fingerprint) and a permutation of them.
fn batch_and_permutation() -> impl Strategy<Value = (Vec<Alert>, Vec<Alert>)> {
    prop::collection::vec(arb_alert(), 1..80).prop_flat_map(|alerts| {
        let mut seen = std::collections::BTreeSet::new();
        let alerts: Vec<Alert> = alerts
            .into_iter()
            .filter(|a| seen.insert(a.fingerprint()))
            .collect();
        let shuffled = Just(alerts.clone()).prop_shuffle();
        (Just(alerts), shuffled)
    })
}

/// What every cockpit shows: each cluster by its name, with its members.
fn named(c: &Correlator) -> BTreeMap<String, BTreeSet<Fingerprint>> {
    let named: BTreeMap<_, _> = c
        .clusters()
        .iter()
        .map(|cl| (cl.name.to_string(), cl.members.iter().copied().collect()))
        .collect();
    assert_eq!(named.len(), c.clusters().len(), "two clusters share a name");
    named
}

/// Everything about a cluster except its id (which counts creations) and its member order.
fn canonical(clusters: &[Cluster]) -> Vec<Cluster> {
    clusters
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.id = flightdeck::alerts::ClusterId(0);
            c.members.sort();
            c
        })
        .collect()
}

fn run(alerts: &[Alert], now: Timestamp) -> Correlator {
    let mut c = Correlator::new(cfg());
    for a in alerts {
        c.observe(a.clone(), now);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arrival_order_of_one_instant_is_irrelevant((alerts, shuffled) in batch_and_permutation()) {
        let now = t0() + SignedDuration::from_mins(60);
        let a = run(&alerts, now);
        let b = run(&shuffled, now);
        prop_assert_eq!(canonical(a.clusters()), canonical(b.clusters()));
        // Batch loading gives the same result.
        let mut d = Correlator::new(cfg());
        d.observe_many(shuffled.iter().map(|x| (x.clone(), now)));
        prop_assert_eq!(canonical(a.clusters()), canonical(d.clusters()));
        for x in &alerts {
            let (ta, tb) = (a.alert(x.fingerprint()).unwrap(), b.alert(x.fingerprint()).unwrap());
            prop_assert_eq!(&ta.noise, &tb.noise);
            prop_assert_eq!(ta.transitions, tb.transitions);
        }
    }

    #[test]
    fn duplicate_delivery_changes_nothing(
        (alerts, shuffled) in batch_and_permutation(),
        later in 0i64..120,
    ) {
        let now = t0() + SignedDuration::from_mins(60);
        let mut c = run(&alerts, now);
        let clusters = c.clusters().to_vec();
        let tracked: Vec<_> = alerts.iter().map(|x| c.alert(x.fingerprint()).unwrap().clone()).collect();
        let again = now + SignedDuration::from_mins(later);
        for x in &shuffled {
            c.observe(x.clone(), again);
        }
        prop_assert_eq!(c.clusters(), &clusters[..]);
        let after: Vec<_> = alerts.iter().map(|x| c.alert(x.fingerprint()).unwrap().clone()).collect();
        prop_assert_eq!(after, tracked);
        prop_assert_eq!(c.len(), alerts.len());
    }

    #[test]
    fn duplicates_within_a_batch_change_nothing((alerts, shuffled) in batch_and_permutation()) {
        let now = t0() + SignedDuration::from_mins(60);
        let once = run(&alerts, now);
        let mut twice: Vec<Alert> = alerts.iter().chain(shuffled.iter()).cloned().collect();
        twice.rotate_left(alerts.len() / 2);
        let twice = run(&twice, now);
        prop_assert_eq!(canonical(once.clusters()), canonical(twice.clusters()));
    }

    /// Issue 18.2: a cluster's name is made from its content, so the same alerts give the
    /// same names in any arrival order, one at a time or in batches of any size.
    #[test]
    fn names_do_not_depend_on_arrival_order_or_batches(
        (alerts, shuffled) in batch_and_permutation(),
        cuts in prop::collection::vec(1usize..24, 1..8),
    ) {
        let now = t0() + SignedDuration::from_mins(60);
        let a = named(&run(&alerts, now));
        prop_assert_eq!(&a, &named(&run(&shuffled, now)));
        let mut d = Correlator::new(cfg());
        let mut rest = &shuffled[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at((*cut).min(rest.len()));
            d.observe_many(head.iter().map(|x| (x.clone(), now)));
            rest = tail;
        }
        prop_assert_eq!(&a, &named(&d));
        // Arriving in start order, each when it starts (as live), gives the same names too.
        let mut by_start = alerts.clone();
        by_start.sort_by_key(|x| (x.starts_at, x.fingerprint()));
        let mut e = Correlator::new(cfg());
        for x in &by_start {
            e.observe(x.clone(), x.starts_at.max(t0()));
        }
        let _ = named(&e);
    }
}
