//! Incremental noise refresh (only alerts whose marks may have moved are looked at) against the
//! full one (every alert), over random histories of fires, resolves, silences, actions and
//! prunes: the same marks on every alert and cluster, the same stale candidates.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::{ClusterConfig, Correlator};
use crate::alerts::model::{Alert, AlertState};
use crate::time::{SignedDuration, Timestamp};

const NAMES: [&str; 3] = ["DiskFull", "LatencyHigh", "PodCrashLooping"];
const SERVICES: [&str; 2] = ["checkout", "search"];

fn t0() -> Timestamp {
    "2026-11-25T23:00:00Z".parse().unwrap()
}

/// Low thresholds, so that every mark comes and goes within a short history.
fn cfg() -> ClusterConfig {
    ClusterConfig {
        flap_transitions: 3,
        chronic_share: 0.25,
        never_acted_firings: 2,
        retention: SignedDuration::from_hours(3),
        ..ClusterConfig::default()
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Label set, state (0 firing, 1 resolved, 2 suppressed), a new start or the same.
    Alert(usize, u8, bool),
    Refresh,
    Act(usize),
    Prune,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..12usize, 0u8..3, any::<bool>()).prop_map(|(i, s, n)| Op::Alert(i, s, n)),
        3 => Just(Op::Refresh),
        1 => (0..NAMES.len()).prop_map(Op::Act),
        1 => Just(Op::Prune),
    ]
}

fn alert(i: usize, state: u8, start: Timestamp, now: Timestamp) -> Alert {
    let state = [
        AlertState::Firing,
        AlertState::Resolved,
        AlertState::Suppressed,
    ][state as usize];
    Alert {
        labels: BTreeMap::from([
            ("alertname".to_string(), NAMES[i % NAMES.len()].to_string()),
            ("service".to_string(), SERVICES[i % 2].to_string()),
            ("instance".to_string(), format!("i-{}", i / 6)),
        ]),
        annotations: BTreeMap::new(),
        starts_at: start,
        ends_at: (state == AlertState::Resolved).then_some(now),
        state,
        generator_url: None,
        detail: Default::default(),
    }
}

/// Every alert's marks, every cluster's, and the stale candidates.
fn marks(c: &Correlator) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut alerts: Vec<String> = c
        .alerts()
        .iter()
        .map(|t| format!("{} {:?}", t.fingerprint, t.noise))
        .collect();
    alerts.sort();
    let clusters = c
        .clusters()
        .iter()
        .map(|cl| format!("{} {:?}", cl.name, cl.noise))
        .collect();
    let stale = c
        .stale_candidates()
        .iter()
        .map(|s| format!("{} {:?} {}", s.fingerprint, s.noise, s.evidence))
        .collect();
    (alerts, clusters, stale)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incremental_noise_equals_the_full_recompute(
        ops in proptest::collection::vec((op(), 0i64..200), 1..120),
    ) {
        let (mut inc, mut full) = (Correlator::new(cfg()), Correlator::new(cfg()));
        let mut now = t0();
        let mut starts: BTreeMap<usize, Timestamp> = BTreeMap::new();
        let mut refreshes = 0;
        for (op, mins) in ops {
            now += SignedDuration::from_mins(mins);
            match op {
                Op::Alert(i, state, new) => {
                    let start = *starts
                        .entry(i)
                        .and_modify(|s| if new && state != 1 { *s = now })
                        .or_insert(now);
                    let a = alert(i, state, start, now);
                    inc.observe(a.clone(), now);
                    full.observe(a, now);
                }
                Op::Refresh => {
                    inc.refresh_noise(now);
                    full.refresh_noise_full(now);
                    refreshes += 1;
                    prop_assert_eq!(marks(&inc), marks(&full), "after refresh {} at {}", refreshes, now);
                }
                Op::Act(n) => {
                    inc.note_action(NAMES[n], now);
                    full.note_action(NAMES[n], now);
                }
                Op::Prune => {
                    prop_assert_eq!(inc.prune(now), full.prune(now));
                }
            }
        }
        inc.refresh_noise(now);
        full.refresh_noise_full(now);
        prop_assert_eq!(marks(&inc), marks(&full));
    }
}

/// A long-firing alert turns chronic at the right refresh, with nothing observed in between,
/// and its share keeps moving; a quiet one is not looked at again.
#[test]
fn chronic_and_flapping_marks_arrive_without_new_alerts() {
    let mut c = Correlator::new(ClusterConfig::default());
    let a = alert(0, 0, t0(), t0());
    c.observe(a, t0());
    let mut b = alert(1, 0, t0(), t0());
    c.observe(b.clone(), t0());
    // Five flips of b within the hour (stamped before the first refresh, so they count as
    // their times come): flapping, which fades an hour later; b ends resolved.
    for m in 1..=5 {
        let at = t0() + SignedDuration::from_mins(m);
        b.state = if m % 2 == 1 {
            AlertState::Resolved
        } else {
            AlertState::Firing
        };
        b.ends_at = (b.state == AlertState::Resolved).then_some(at);
        c.observe(b.clone(), at);
    }
    let mut t = t0();
    let mut seen = Vec::new();
    while t < t0() + SignedDuration::from_hours(21) {
        t += SignedDuration::from_mins(1);
        c.refresh_noise(t);
        let noise: Vec<String> = c
            .alerts()
            .iter()
            .map(|x| {
                x.noise
                    .iter()
                    .map(|m| m.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        if seen.last() != Some(&noise) {
            seen.push(noise);
        }
    }
    let first = |s: &str| {
        seen.iter()
            .position(|n| n[0].contains(s) || n[1].contains(s))
    };
    assert!(first("flapping 4/h").is_some(), "{seen:?}");
    assert!(
        seen.iter().any(|n| n[0] == "chronic 80% of 24h"),
        "{seen:?}"
    );
    assert!(seen.last().unwrap()[0].starts_with("chronic 8"), "{seen:?}");
    assert!(seen.last().unwrap()[1].is_empty(), "{seen:?}");
}
