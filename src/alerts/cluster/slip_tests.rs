//! Bookkeeping slips (an alert whose cluster id names no live cluster, a listed cluster whose
//! bookkeeping is gone) must not panic: they are repaired, or cost a wrong answer, and counted.
//! These tests hold in debug and release builds alike: no `debug_assert` is involved, and a
//! release build only drops checks a debug build makes.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::tests::{books_agree, cfg, dedup, spec_over, t0};
use super::{ClusterId, Correlator};
use crate::alerts::model::{Alert, AlertState};
use crate::time::SignedDuration;

fn pod_alert(pod: &str, mins: i64, state: AlertState) -> Alert {
    Alert {
        labels: BTreeMap::from([
            ("alertname".to_string(), "PodCrashLooping".to_string()),
            ("namespace".to_string(), "shop".to_string()),
            ("service".to_string(), "checkout".to_string()),
            ("pod".to_string(), pod.to_string()),
        ]),
        annotations: BTreeMap::from([("summary".into(), "pod is crash looping".into())]),
        starts_at: t0() + SignedDuration::from_mins(mins),
        ends_at: None,
        state,
        generator_url: None,
        detail: Default::default(),
    }
}

/// Every alert is in a live cluster that lists it, shown in `clusters()`, and each is listed once.
fn all_alerts_placed(c: &Correlator) {
    let mut listed = vec![0; c.len()];
    for cl in c.clusters() {
        for t in c.members(cl.id) {
            listed[c.by_fp[&t.fingerprint] as usize] += 1;
        }
    }
    for (slot, t) in c.alerts().iter().enumerate() {
        let agg = c.aggs.get(t.cluster);
        assert!(
            agg.is_some_and(|a| a.slots.contains(&(slot as u32))),
            "alert {slot} is not in its cluster {:?}",
            t.cluster
        );
        assert!(
            c.cluster(t.cluster).is_some(),
            "{:?} is not shown",
            t.cluster
        );
        assert_eq!(
            listed[slot], 1,
            "alert {slot} is listed {} times",
            listed[slot]
        );
    }
}

#[test]
fn a_member_whose_cluster_id_is_stale_is_put_back_without_a_panic() {
    let mut c = Correlator::new(cfg());
    for (i, pod) in ["a", "b", "c"].into_iter().enumerate() {
        c.observe(pod_alert(pod, i as i64, AlertState::Firing), t0());
    }
    assert_eq!(c.clusters().len(), 1);
    let id = c.clusters()[0].id;
    // The slip: a member's cluster id names no cluster (before, `expect("live cluster")`).
    c.tracked[1].cluster = ClusterId(id.0 + 1000);
    c.observe(
        pod_alert("b", 1, AlertState::Resolved),
        t0() + SignedDuration::from_mins(1),
    );
    assert!(c.slips() > 0);
    // Put back where its cluster lists it, before anything was counted: the books agree.
    assert_eq!(c.tracked[1].cluster, id);
    books_agree(&mut c);
    assert_eq!(c.cluster(id).map(|cl| (cl.firing, cl.size())), Some((2, 3)));
}

#[test]
fn a_new_alert_linking_to_a_stale_member_is_placed_and_the_member_repaired() {
    let mut c = Correlator::new(cfg());
    c.observe(pod_alert("a", 0, AlertState::Firing), t0());
    c.tracked[0].cluster = ClusterId(77);
    // Links to the slipped alert first thing (before it is repaired).
    c.observe(pod_alert("b", 1, AlertState::Firing), t0());
    c.observe(pod_alert("c", 2, AlertState::Suppressed), t0());
    c.note_action("PodCrashLooping", t0());
    c.refresh_noise(t0() + SignedDuration::from_mins(5));
    assert!(c.slips() > 0);
    all_alerts_placed(&c);
    let _ = c.stale_candidates();
    c.prune(t0() + SignedDuration::from_hours(30));
    all_alerts_placed(&c);
}

#[test]
fn a_listed_cluster_without_bookkeeping_takes_nothing_down() {
    let mut c = Correlator::new(cfg());
    for (i, pod) in ["a", "b", "c"].into_iter().enumerate() {
        c.observe(pod_alert(pod, i as i64, AlertState::Firing), t0());
    }
    let id = c.clusters()[0].id;
    // The slip: the cluster is listed, its bookkeeping is gone.
    c.aggs.take(id);
    c.observe(pod_alert("d", 3, AlertState::Firing), t0());
    c.observe(
        pod_alert("a", 0, AlertState::Resolved),
        t0() + SignedDuration::from_mins(4),
    );
    c.refresh_noise(t0() + SignedDuration::from_mins(5));
    assert!(c.slips() > 0);
    for t in c.alerts() {
        assert!(
            c.aggs.get(t.cluster).is_some(),
            "{:?} is not live",
            t.cluster
        );
    }
    let _ = (c.clusters(), c.stale_candidates(), c.cluster(id));
    c.prune(t0() + SignedDuration::from_hours(30));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Any slip, then anything the cockpit does: no panic, and once the noise is refreshed (it
    /// looks at every alert) every alert is back in a live cluster that lists it.
    #[test]
    fn no_slip_panics_and_a_refresh_puts_every_alert_back(
        alerts in prop::collection::vec(spec_over(240), 2..40).prop_map(dedup),
        drop_bookkeeping in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        changes in prop::collection::vec((0usize..40, 0u8..3, 0i64..6), 0..30),
        more in prop::collection::vec(spec_over(240), 0..10),
        prune_at in 0i64..30,
    ) {
        let mut c = Correlator::new(cfg());
        c.observe_many(alerts.iter().map(|a| (a.clone(), a.starts_at)));
        if drop_bookkeeping {
            let id = c.clusters()[pick.index(c.clusters().len())].id;
            c.aggs.take(id);
        } else {
            let slot = pick.index(c.len());
            let stale = ClusterId(c.aggs.next_id().0 + 1000);
            c.tracked[slot].cluster = stale;
        }
        for (i, (k, st, later)) in changes.into_iter().enumerate() {
            let mut a = alerts[k % alerts.len()].clone();
            a.state = [AlertState::Firing, AlertState::Resolved, AlertState::Suppressed][st as usize];
            a.starts_at += SignedDuration::from_mins(later * 35);
            c.observe(a, t0() + SignedDuration::from_mins(i as i64 * 5));
        }
        let later = t0() + SignedDuration::from_hours(6);
        c.observe_many(more.into_iter().map(|a| (a, later)));
        c.note_action(alerts[0].name(), later);
        c.refresh_noise(later);
        // (Whether a slip was met depends on what came after: a merge may mend a stale id.)
        for t in c.alerts() {
            prop_assert!(c.aggs.get(t.cluster).is_some_and(|a| a.slots.contains(&c.by_fp[&t.fingerprint])));
        }
        let _ = (c.stale_candidates(), c.stale_candidate_count());
        c.prune(t0() + SignedDuration::from_hours(prune_at));
        c.refresh_noise(later);
        for t in c.alerts() {
            prop_assert!(c.aggs.get(t.cluster).is_some());
        }
    }
}
