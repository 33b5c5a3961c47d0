//! Delivery order (issue 16, item 1): Alertmanager delivers notifications at least once, retries
//! after a 5xx, and each peer of an HA pair sends its own. Whatever the order and duplication of
//! the deliveries, the live session must end with the alert in the state of its newest episode:
//! a late "resolved" of an older episode never ends a newer firing.

use flightdeck::alerts::{Alert, AlertState};
use flightdeck::cockpit::{CockpitConfig, Event};
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::LiveSession;
use flightdeck::sources::{Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn t0() -> Timestamp {
    "2026-11-26T03:00:00Z".parse().unwrap()
}

fn session() -> LiveSession {
    LiveSession::new(
        CockpitConfig::default(),
        Vec::new(),
        KnowledgeBase::default(),
        t0(),
        None,
    )
}

/// Episode `i` starts at 03:00 + 20 min × i; its resolve (peer `peer`'s end time) comes ten
/// minutes later (a peer's clock may differ by a second).
fn delivery(episode: usize, resolved: bool, peer: usize) -> Alert {
    let start = t0() + SignedDuration::from_mins(20 * episode as i64);
    Alert {
        labels: [
            ("alertname".to_string(), "CheckoutDown".to_string()),
            ("service".to_string(), "checkout".to_string()),
        ]
        .into(),
        annotations: [("summary".to_string(), "checkout is down".to_string())].into(),
        starts_at: start,
        ends_at: resolved.then(|| {
            start + SignedDuration::from_mins(10) + SignedDuration::from_secs(peer as i64)
        }),
        state: if resolved {
            AlertState::Resolved
        } else {
            AlertState::Firing
        },
        generator_url: None,
        detail: Default::default(),
    }
}

fn send(s: &mut LiveSession, origin: Origin, alert: Alert, at: Timestamp) {
    s.handle(
        SourceMsg::Events {
            origin,
            events: vec![(at, Event::Alert(alert))],
            permit: None,
        },
        at,
    );
}

fn state_of(s: &LiveSession, like: &Alert) -> (AlertState, Timestamp) {
    let t = s
        .cockpit()
        .alert(like.fingerprint())
        .expect("the alert is tracked");
    (t.alert.state, t.alert.starts_at)
}

#[test]
fn a_late_resolve_of_an_older_episode_never_hides_a_firing_alert() {
    let mut s = session();
    let at = |m: i64| t0() + SignedDuration::from_mins(m);
    send(&mut s, Origin::Webhook, delivery(0, false, 0), at(0));
    send(&mut s, Origin::Webhook, delivery(0, true, 0), at(10));
    send(&mut s, Origin::Webhook, delivery(1, false, 0), at(20));
    // The first resolve again, late (a retry after a 503, or the other peer).
    send(&mut s, Origin::Webhook, delivery(0, true, 1), at(21));
    send(&mut s, Origin::Webhook, delivery(0, false, 1), at(22));
    let fp = delivery(1, false, 0);
    assert_eq!(state_of(&s, &fp), (AlertState::Firing, at(20)));
    assert!(s.dropped_duplicates() >= 2);
    // The poller reads the current state: a late webhook resolve does not override it either.
    let mut s = session();
    send(&mut s, Origin::Alertmanager, delivery(1, false, 0), at(20));
    send(&mut s, Origin::Webhook, delivery(0, true, 0), at(21));
    assert_eq!(state_of(&s, &fp), (AlertState::Firing, at(20)));
}

/// One notification of the history: episode, firing or resolved, from which peer.
#[derive(Clone, Debug)]
struct Sent {
    episode: usize,
    resolved: bool,
    peer: usize,
}

/// A history of 1–3 episodes (all but the last resolved), every notification sent by one or
/// both peers, each delivered 1–3 times, in any order.
fn deliveries() -> impl Strategy<Value = (usize, bool, Vec<Sent>)> {
    (1usize..=3, any::<bool>())
        .prop_flat_map(|(episodes, last_resolved)| {
            let mut notes = Vec::new();
            for e in 0..episodes {
                notes.push((e, false));
                if e + 1 < episodes || last_resolved {
                    notes.push((e, true));
                }
            }
            let n = notes.len();
            (
                Just((episodes, last_resolved, notes)),
                // Which peers send each notification (1, 2 or both), and how often each arrives.
                proptest::collection::vec((1u8..=3, 1usize..=3, 1usize..=3), n),
            )
        })
        .prop_flat_map(|((episodes, last_resolved, notes), how)| {
            let mut all = Vec::new();
            for ((episode, resolved), (peers, dup0, dup1)) in notes.into_iter().zip(how) {
                for (peer, dups) in [(0, dup0), (1, dup1)] {
                    if peers & (1 << peer) != 0 {
                        for _ in 0..dups {
                            all.push(Sent {
                                episode,
                                resolved,
                                peer,
                            });
                        }
                    }
                }
            }
            (Just((episodes, last_resolved)), Just(all).prop_shuffle())
        })
        .prop_map(|((episodes, last_resolved), all)| (episodes, last_resolved, all))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_order_of_two_peers_deliveries_ends_in_the_newest_episode(
        (episodes, last_resolved, sent) in deliveries()
    ) {
        let mut s = session();
        let mut at = t0() + SignedDuration::from_mins(60);
        for d in &sent {
            send(&mut s, Origin::Webhook, delivery(d.episode, d.resolved, d.peer), at);
            at += SignedDuration::from_secs(1);
        }
        let newest = delivery(episodes - 1, false, 0);
        let (state, start) = state_of(&s, &newest);
        let want = if last_resolved { AlertState::Resolved } else { AlertState::Firing };
        prop_assert_eq!(start, newest.starts_at, "{:?}", sent);
        prop_assert_eq!(state, want, "{:?}", sent);
        let cluster = s.cockpit().cluster(s.cockpit().alert(newest.fingerprint()).unwrap().cluster).unwrap();
        prop_assert_eq!(cluster.firing, usize::from(!last_resolved), "{:?}", sent);
    }
}
