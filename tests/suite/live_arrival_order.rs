//! Arrival order, the live loop's batches and its wall clock (the 50k storm POSTed over 4
//! connections ended with 26–31 clusters from run to run, 28 by direct ingest). A storm-shaped
//! set of alerts (benches/storm's generator and topology, smaller) is handled through
//! `LiveSession::handle_all` as the webhook delivers it live: notifications of 100 alerts in
//! start order, dealt round-robin to 4 connections whose POSTs interleave at random, drained
//! in batches of a few messages, each at a wall clock days after the storm, a few ms apart.
//!
//! What holds, and is checked here against direct ingest (each notification handled alone when
//! its last alert starts): clusters (their members) and their names do not depend on batch cuts
//! nor on the wall clock; and they do not depend on the arrival order either as long as no
//! cluster reaches `max_span`. Where chained links reach `max_span`, the correlator cuts the
//! chain greedily in arrival order (`alerts::cluster` module docs: "arriving out of order, an
//! alert is judged against the clusters as they are then"), so the cut, and the clusters after
//! it, depend on the order in which the alerts of the cut's neighbourhood arrive: that is the
//! run-to-run difference of the HTTP storm. The order-independent cut is the ignored test at
//! the end (it fails today).

use std::collections::{BTreeSet, VecDeque};

use flightdeck::alerts::{Alert, AlertState};
use flightdeck::cockpit::{CockpitConfig, Event};
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::LiveSession;
use flightdeck::sources::{Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};
use proptest::prelude::*;

#[allow(dead_code)]
#[path = "../../benches/storm/mod.rs"]
mod storm;

use storm::{Gen, Rng, SERVICES};

/// The storm's shape, smaller: `incidents` bursts of `per` alerts 45 minutes apart (cascade,
/// node failure, one alertname everywhere) and `background` alerts over the span, sent as a
/// webhook says them (silenced alerts as firing).
fn small_storm(incidents: usize, per: usize, background: usize, seed: u64) -> Vec<Alert> {
    let mut g = Gen {
        rng: Rng(seed),
        n: 0,
    };
    let t0 = storm::t0();
    let mut alerts = Vec::new();
    for k in 0..incidents {
        let start = t0 + SignedDuration::from_mins(45 * k as i64);
        let root = g.rng.below(SERVICES);
        for i in 0..per {
            let at = start + SignedDuration::from_millis(g.rng.below(15 * 60_000) as i64);
            let a = match k % 3 {
                0 => {
                    let svc = if i % 5 == 0 {
                        root
                    } else {
                        (root + g.rng.below(6)) % SERVICES
                    };
                    let tpl = g.rng.below(6);
                    g.alert(at, svc, tpl, None)
                }
                1 => {
                    let svc = g.rng.below(SERVICES);
                    g.alert(at, svc, 3, Some(200 + k))
                }
                _ => {
                    let svc = g.rng.below(SERVICES);
                    g.alert(at, svc, 5, None)
                }
            };
            alerts.push(a);
        }
    }
    let span = (incidents as i64 * 45 + 15) * 60;
    for _ in 0..background {
        let at = t0 + SignedDuration::from_secs(g.rng.below(span as usize) as i64);
        let svc = g.rng.below(SERVICES);
        let tpl = g.rng.below(16);
        let node = (g.rng.below(4) == 0).then(|| g.rng.below(200));
        alerts.push(g.alert(at, svc, tpl, node));
    }
    for a in &mut alerts {
        if a.state == AlertState::Suppressed {
            a.state = AlertState::Firing;
        }
    }
    alerts.sort_by_key(|a| a.starts_at);
    alerts
}

/// The correlator's settings of the storm, with `max_span` out of reach when `wide`.
fn session(wide: bool) -> LiveSession {
    let mut clustering = storm::config();
    if wide {
        clustering.max_span = SignedDuration::from_hours(48);
    }
    let config = CockpitConfig {
        clustering,
        ..CockpitConfig::default()
    };
    LiveSession::new(
        config,
        Vec::new(),
        KnowledgeBase::default(),
        storm::t0(),
        None,
    )
}

/// The notifications (100 alerts each, in start order) in the order 4 connections deliver
/// them: notification `i` on connection `i % 4`, each connection in order, the connections
/// interleaved at random by `seed`.
fn interleaved(alerts: &[Alert], seed: u64) -> Vec<Vec<Alert>> {
    let mut queues: Vec<VecDeque<Vec<Alert>>> = vec![VecDeque::new(); 4];
    for (i, b) in alerts.chunks(100).enumerate() {
        queues[i % 4].push_back(b.to_vec());
    }
    let mut rng = Rng(seed | 1);
    let mut out = Vec::new();
    loop {
        let open: Vec<usize> = (0..4).filter(|&c| !queues[c].is_empty()).collect();
        if open.is_empty() {
            return out;
        }
        let c = open[rng.below(open.len())];
        out.push(queues[c].pop_front().unwrap());
    }
}

/// The clusters a session ends with: each one's name and members (by pod, unique per alert).
type Clusters = BTreeSet<(String, BTreeSet<String>)>;

fn clusters(s: &LiveSession) -> Clusters {
    let c = s.cockpit();
    c.clusters()
        .iter()
        .map(|cl| {
            let members = cl
                .members
                .iter()
                .map(|fp| c.alert(*fp).unwrap().alert.labels["pod"].clone())
                .collect();
            (cl.name.to_string(), members)
        })
        .collect()
}

fn message(alerts: Vec<Alert>, at: Timestamp) -> SourceMsg {
    SourceMsg::Events {
        origin: Origin::Webhook,
        events: alerts.into_iter().map(|a| (at, Event::Alert(a))).collect(),
        permit: None,
    }
}

/// Direct ingest: the notifications in start order, each handled alone when its last alert
/// starts (as `alerts cluster` and the speed bench's `ingest` part see them).
fn direct(alerts: &[Alert], wide: bool) -> Clusters {
    let mut s = session(wide);
    for c in alerts.chunks(100) {
        let at = c.last().unwrap().starts_at;
        s.handle(message(c.to_vec(), at), at);
    }
    clusters(&s)
}

/// Live: `notes` drained in batches of 1 to `batch` messages (chosen by `seed`), the first at
/// `now`, each `step` after the last.
fn live(
    notes: Vec<Vec<Alert>>,
    wide: bool,
    batch: usize,
    now: Timestamp,
    step: SignedDuration,
    seed: u64,
) -> Clusters {
    let mut s = session(wide);
    let mut rng = Rng(seed | 1);
    let mut notes = notes.into_iter().peekable();
    let mut now = now;
    while notes.peek().is_some() {
        let n = 1 + rng.below(batch);
        let msgs: Vec<SourceMsg> = notes.by_ref().take(n).map(|a| message(a, now)).collect();
        s.handle_all(msgs, now);
        now += step;
    }
    clusters(&s)
}

/// The wall clock of the HTTP runs: 13 days after the storm began.
fn late() -> Timestamp {
    storm::t0() + SignedDuration::from_hours(13 * 24)
}

/// The storm of these tests: 6 incidents of 200 alerts and 600 background alerts, over 4¾ hours.
fn the_storm(seed: u64) -> Vec<Alert> {
    small_storm(6, 200, 600, seed)
}

/// The premise of the properties below: in this storm, chained links reach `max_span` (so the
/// ordered properties cut chains), and some clusters are big.
#[test]
fn the_storm_reaches_max_span() {
    let alerts = the_storm(0x0dd_ba11);
    let cut = direct(&alerts, false);
    let whole = direct(&alerts, true);
    assert!(
        cut.len() > whole.len(),
        "max_span cuts nothing: {} clusters either way",
        cut.len()
    );
    assert!(
        cut.iter().any(|c| c.1.len() >= 200),
        "no incident-sized cluster"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Arriving in start order, batch cuts and the wall clock (days after the storm, moving a
    /// few ms a batch) change neither the clusters nor their names, cuts by `max_span`
    /// included.
    #[test]
    fn batches_and_the_wall_clock_change_nothing(
        storm in 1u64..1_000_000,
        batch in 1usize..8,
        step in 0i64..20,
        seed in any::<u64>(),
    ) {
        let alerts = the_storm(storm);
        let notes: Vec<Vec<Alert>> = alerts.chunks(100).map(<[Alert]>::to_vec).collect();
        let step = SignedDuration::from_millis(step);
        prop_assert_eq!(
            direct(&alerts, false),
            live(notes, false, batch, late(), step, seed)
        );
    }

    /// Below `max_span`, any interleaving of the 4 connections, with any batch cuts and any
    /// wall clock, gives the clusters and names of direct ingest.
    #[test]
    fn interleavings_change_nothing_below_max_span(
        storm in 1u64..1_000_000,
        order in any::<u64>(),
        batch in 1usize..8,
        step in 0i64..20,
        seed in any::<u64>(),
    ) {
        let alerts = the_storm(storm);
        let step = SignedDuration::from_millis(step);
        prop_assert_eq!(
            direct(&alerts, true),
            live(interleaved(&alerts, order), true, batch, late(), step, seed)
        );
    }
}

/// The invariant the live cockpit does not keep today: where chained links reach `max_span`,
/// the cut depends on the arrival order (see the module docs). Run it with `--ignored`.
#[test]
#[ignore = "known: the max_span cut is made greedily in arrival order"]
fn interleavings_change_nothing_at_max_span() {
    let alerts = the_storm(0x0dd_ba11);
    let reference = direct(&alerts, false);
    for order in 1..6 {
        let got = live(
            interleaved(&alerts, order),
            false,
            4,
            late(),
            SignedDuration::from_millis(3),
            order,
        );
        assert_eq!(
            reference.len(),
            got.len(),
            "interleaving {order}: {} clusters, direct ingest {}",
            got.len(),
            reference.len()
        );
        assert!(reference == got, "interleaving {order}: other clusters");
    }
}

/// Arriving in start order with ties in any order (the module docs' promise, cuts included):
/// the storm's starts rounded down to 30 s, each run of equal starts shuffled.
#[test]
fn ties_in_any_order_change_nothing() {
    let mut alerts = the_storm(0x5eed);
    for a in &mut alerts {
        let s = a.starts_at.as_second();
        a.starts_at = Timestamp::from_second(s - s % 30).unwrap();
    }
    alerts.sort_by_key(|a| (a.starts_at, a.fingerprint()));
    let reference = direct(&alerts, false);
    for seed in 1..4u64 {
        let mut rng = Rng(seed);
        let mut shuffled = alerts.clone();
        let mut i = 0;
        while i < shuffled.len() {
            let j = i + shuffled[i..]
                .iter()
                .take_while(|a| a.starts_at == shuffled[i].starts_at)
                .count();
            for k in (i + 1..j).rev() {
                shuffled.swap(k, i + rng.below(k - i + 1));
            }
            i = j;
        }
        assert!(shuffled != alerts, "nothing shuffled");
        assert!(
            reference == direct(&shuffled, false),
            "ties in order {seed}"
        );
    }
}
