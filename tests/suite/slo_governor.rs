//! The governor: strictest SLO wins, hysteresis (enter at once, leave after the hold), drift.

use crate::common;
use common::slo::{budget_status, drift_up};
use flightdeck::slo::{BudgetStatus, DriftSignal, Governor, Mode};
use flightdeck::time::{SignedDuration, Timestamp};

const T0: i64 = 1_767_225_600;

fn ts(mins: i64) -> Timestamp {
    Timestamp::from_second(T0 + mins * 60).unwrap()
}

/// A status with `left` budget and, if `page` is Some((long, short)), a firing 1h/5m page.
fn status(name: &str, left: Option<f64>, page: Option<(f64, f64)>) -> BudgetStatus {
    budget_status(name, "svc", left, page, Some(0.0))
}

fn calm(name: &str) -> BudgetStatus {
    status(name, Some(0.8), None)
}

#[test]
fn enters_at_once_and_leaves_after_the_hold() {
    let mut g = Governor::new(SignedDuration::from_mins(10));
    assert_eq!(g.mode(), Mode::Adaptive);
    let start = g
        .update(ts(0), &[calm("a")])
        .expect("the state it starts in");
    assert!(start.is_state());
    assert_eq!((start.from, start.to), (None, Mode::Adaptive));

    let change = g
        .update(ts(1), &[status("a", Some(0.7), Some((18.2, 22.0)))])
        .expect("enters freeze at once");
    assert_eq!(
        (change.from, change.to),
        (Some(Mode::Adaptive), Mode::Freeze)
    );
    assert_eq!(change.slo.as_deref(), Some("a"));
    assert_eq!(change.evidence.len(), 1);
    assert_eq!(g.reason(), "a: 1h burn 18.2 > 14.4 and 5m 22.0 > 14.4");

    // Condition clears at minute 2; still Freeze until minute 12.
    for m in 2..12 {
        assert!(g.update(ts(m), &[calm("a")]).is_none(), "minute {m}");
        assert_eq!(g.mode(), Mode::Freeze);
        assert!(g.reason().starts_with("holding FREEZE"), "{}", g.reason());
        assert_eq!(g.deciding_slo(), Some("a"));
    }
    let change = g.update(ts(12), &[calm("a")]).expect("leaves after hold");
    assert_eq!(
        (change.from, change.to),
        (Some(Mode::Freeze), Mode::Adaptive)
    );
    assert_eq!(g.deciding_slo(), None);
}

#[test]
fn a_relapse_during_the_hold_restarts_it() {
    let mut g = Governor::default();
    let burning = [status("a", Some(0.7), Some((20.0, 20.0)))];
    g.update(ts(0), &burning);
    g.update(ts(5), &[calm("a")]);
    assert!(g.update(ts(9), &burning).is_none()); // relapse, still Freeze
    for m in 10..19 {
        assert!(g.update(ts(m), &[calm("a")]).is_none());
    }
    assert_eq!(g.mode(), Mode::Freeze);
    assert_eq!(g.update(ts(20), &[calm("a")]).unwrap().to, Mode::Adaptive);
}

#[test]
fn redesign_steps_down_through_freeze() {
    let mut g = Governor::new(SignedDuration::from_mins(10));
    let c = g
        .update(ts(0), &[status("a", Some(-0.1), Some((30.0, 30.0)))])
        .unwrap();
    // It starts in REDESIGN: a state, never "ADAPTIVE → REDESIGN".
    assert_eq!((c.from, c.to), (None, Mode::Redesign));
    assert!(
        g.reason().contains("error budget exhausted"),
        "{}",
        g.reason()
    );
    // Budget back above zero (window rolled), page still firing until minute 5.
    for m in 1..=5 {
        g.update(ts(m), &[status("a", Some(0.01), Some((30.0, 30.0)))]);
    }
    for m in 6..11 {
        g.update(ts(m), &[calm("a")]);
        assert_eq!(g.mode(), Mode::Redesign, "minute {m}");
    }
    // Redesign clear since minute 1 → leaves at 11 to Freeze (page clear only since 6).
    assert_eq!(g.update(ts(11), &[calm("a")]).unwrap().to, Mode::Freeze);
    assert_eq!(g.update(ts(16), &[calm("a")]).unwrap().to, Mode::Adaptive);
}

#[test]
fn strictest_slo_wins_and_is_named() {
    let mut g = Governor::default();
    let statuses = [
        calm("search"),
        status("checkout", Some(0.5), Some((20.0, 25.0))),
        status("login", Some(-0.05), None),
        status("cart", Some(0.4), Some((50.0, 60.0))),
    ];
    let c = g.update(ts(0), &statuses).unwrap();
    assert_eq!(c.to, Mode::Redesign);
    assert_eq!(g.deciding_slo(), Some("login"));
    // Without the exhausted one, the page furthest over its threshold decides.
    let mut g = Governor::default();
    g.update(ts(0), &statuses[..2]);
    g.update(
        ts(0),
        &[
            statuses[0].clone(),
            statuses[1].clone(),
            statuses[3].clone(),
        ],
    );
    assert_eq!(g.mode(), Mode::Freeze);
    assert_eq!(g.deciding_slo(), Some("cart"));
}

#[test]
fn no_traffic_never_means_exhausted() {
    let mut g = Governor::default();
    assert!(g.update(ts(0), &[status("a", None, None)]).is_none());
    assert_eq!(g.mode(), Mode::Adaptive);
    assert_eq!(g.reason(), "no SLO data yet");
}

fn drift_signal() -> DriftSignal {
    DriftSignal {
        recent_mean: 2.1,
        since: ts(0),
        observations: 5,
        statistic: 8.5,
        ..drift_up("a", ts(60))
    }
}

#[test]
fn drift_makes_it_one_mode_stricter_until_acknowledged() {
    let mut g = Governor::default();
    g.update(ts(0), &[calm("a")]);
    let c = g.set_drift(ts(60), drift_signal()).unwrap();
    assert_eq!((c.from, c.to), (Some(Mode::Adaptive), Mode::Freeze));
    assert!(
        c.reason.contains("drift: a 1h burn rate rose from 0.40"),
        "{}",
        c.reason
    );
    // Updates keep the overlay.
    assert!(g.update(ts(61), &[calm("a")]).is_none());
    assert_eq!(g.mode(), Mode::Freeze);
    // A page on top: base Freeze → Redesign.
    let c = g
        .update(ts(62), &[status("a", Some(0.5), Some((20.0, 20.0)))])
        .unwrap();
    assert_eq!(c.to, Mode::Redesign);
    assert!(c.reason.starts_with("a: 1h burn 20.0"), "{}", c.reason);
    let c = g.acknowledge_drift(ts(63), "ic-alice").unwrap();
    assert_eq!((c.from, c.to), (Some(Mode::Redesign), Mode::Freeze));
    assert!(
        c.reason.contains("acknowledged by ic-alice"),
        "{}",
        c.reason
    );
    assert!(g.acknowledge_drift(ts(64), "ic-alice").is_none());
}

fn override_to(mode: Mode, until: i64) -> flightdeck::slo::ModeOverride {
    flightdeck::slo::ModeOverride {
        mode,
        by: "lee".into(),
        reason: "the 5xx SLI counts health-check probes; the burn is not real".into(),
        until: ts(until),
    }
}

/// The commander's override replaces the budgets' mode, loosening or tightening, for a bounded
/// time; the header says who, why, until when, and what the budgets say meanwhile.
#[test]
fn an_override_holds_until_it_ends_then_the_budgets_rule_again() {
    let mut g = Governor::new(SignedDuration::from_mins(10));
    let burning = [status("a", Some(0.7), Some((18.2, 22.0)))];
    g.update(ts(0), &burning);
    assert_eq!(g.mode(), Mode::Freeze);

    let change = g
        .set_override(ts(1), override_to(Mode::Adaptive, 61))
        .expect("the override loosens the mode at once");
    assert_eq!(
        (change.from, change.to),
        (Some(Mode::Freeze), Mode::Adaptive)
    );
    assert!(
        change.reason.contains("OVERRIDE to ADAPTIVE by lee"),
        "{}",
        change.reason
    );
    assert!(g.reason().contains("health-check probes"), "{}", g.reason());
    assert!(g.reason().contains("budgets say FREEZE"), "{}", g.reason());
    assert_eq!(
        g.base_mode(),
        Mode::Adaptive,
        "the policy starts from the override"
    );
    assert_eq!(g.budget_mode(), Mode::Freeze);

    // The budgets keep burning: the override holds until minute 61, not a moment longer.
    for m in 2..61 {
        assert!(g.update(ts(m), &burning).is_none(), "minute {m}");
        assert_eq!(g.mode(), Mode::Adaptive);
    }
    let change = g.update(ts(61), &burning).expect("the override ran out");
    assert_eq!(
        (change.from, change.to),
        (Some(Mode::Adaptive), Mode::Freeze)
    );
    assert!(change.reason.contains("ended"), "{}", change.reason);
    assert!(g.mode_override().is_none());
}

#[test]
fn an_override_can_tighten_and_be_ended_early() {
    let mut g = Governor::default();
    g.update(ts(0), &[calm("a")]);
    let change = g
        .set_override(ts(1), override_to(Mode::Redesign, 120))
        .unwrap();
    assert_eq!(change.to, Mode::Redesign);
    assert!(g.update(ts(5), &[calm("a")]).is_none());
    let change = g
        .end_override(ts(6), "lee")
        .expect("ended by the commander");
    assert_eq!(
        (change.from, change.to),
        (Some(Mode::Redesign), Mode::Adaptive)
    );
    assert!(g.reason().contains("ended by lee"), "{}", g.reason());
    assert!(
        g.end_override(ts(7), "lee").is_none(),
        "nothing left to end"
    );
    // An override that is already over changes nothing.
    assert!(
        g.set_override(ts(200), override_to(Mode::Freeze, 150))
            .is_none()
    );
    assert!(g.mode_override().is_none());
}

/// Drift is an overlay: it tightens whatever governs, the override included.
#[test]
fn drift_still_tightens_an_override() {
    let mut g = Governor::default();
    g.update(ts(0), &[calm("a")]);
    g.set_override(ts(1), override_to(Mode::Adaptive, 60));
    let change = g.set_drift(ts(2), drift_up("a", ts(2))).unwrap();
    assert_eq!(change.to, Mode::Freeze);
    assert!(
        g.reason().contains("OVERRIDE") && g.reason().contains("drift"),
        "{}",
        g.reason()
    );
    assert_eq!(g.update(ts(3), &[calm("a")]).map(|c| c.to), None);
    assert_eq!(g.mode(), Mode::Freeze);
    let change = g.acknowledge_drift(ts(4), "lee").unwrap();
    assert_eq!(change.to, Mode::Adaptive);
    assert!(g.reason().contains("OVERRIDE"), "{}", g.reason());
}

/// The mode a governor starts in is reported once, as a state with its evidence, at the first
/// evaluation with data; what happens before (no data, an override resumed at start) is no
/// transition. Whatever the order of inputs, every change after the state chains from it.
#[test]
fn the_mode_at_start_is_a_state_never_a_transition() {
    let exhausted = [status("a", Some(-0.2), Some((30.0, 30.0)))];
    let mut g = Governor::default();
    // An override in force at start governs at once, silently.
    assert!(
        g.set_override(ts(0), override_to(Mode::Freeze, 60))
            .is_none()
    );
    assert_eq!(g.mode(), Mode::Freeze);
    assert!(g.update(ts(0), &[status("a", None, None)]).is_none());
    let start = g
        .update(ts(0), &exhausted)
        .expect("data: the state at start");
    assert!(start.is_state());
    assert_eq!(
        start.to,
        Mode::Freeze,
        "the override governs: {}",
        start.reason
    );
    assert_eq!(
        start.describe().split(':').next(),
        Some("started in FREEZE")
    );
    assert!(!start.evidence.is_empty(), "the evidence of the budgets");
    // From here on, changes are transitions, each from the mode before.
    let end = g.end_override(ts(1), "lee").unwrap();
    assert_eq!((end.from, end.to), (Some(Mode::Freeze), Mode::Redesign));
    assert!(g.update(ts(2), &exhausted).is_none(), "no second state");
}

/// Property: over random inputs, a governor reports at most one state, first; every later
/// change is a real change of `mode()` from the mode before, or an overlay change (drift raised
/// or acknowledged) that leaves the mode where it is.
#[test]
fn every_reported_change_is_a_real_change_of_the_mode() {
    let mut rng = fastrand::Rng::with_seed(12);
    for _ in 0..300 {
        let mut g = Governor::new(SignedDuration::from_mins(rng.i64(0..5)));
        let mut reported: Vec<flightdeck::slo::ModeChange> = Vec::new();
        for m in 0..60 {
            let left = match rng.u8(0..4) {
                0 => None,
                1 => Some(-0.1),
                _ => Some(rng.f64()),
            };
            let page = rng.bool().then_some((20.0, 20.0));
            let mut changes = Vec::new();
            match rng.u8(0..10) {
                0 => changes.extend(g.set_override(
                    ts(m),
                    override_to(Mode::ALL[rng.usize(0..3)], m + rng.i64(1..20)),
                )),
                1 => changes.extend(g.end_override(ts(m), "lee")),
                2 => changes.extend(g.set_drift(ts(m), drift_up("a", ts(m)))),
                3 => changes.extend(g.acknowledge_drift(ts(m), "lee")),
                _ => {}
            }
            changes.extend(g.update(ts(m), &[status("a", left, page)]));
            for c in changes {
                match c.from {
                    None => assert!(reported.is_empty(), "a state after {reported:?}"),
                    Some(from) => {
                        assert!(!reported.is_empty(), "a transition before the state: {c:?}");
                        assert_eq!(from, reported.last().unwrap().to, "{c:?}");
                        if c.is_overlay() {
                            assert!(
                                c.reason.contains("drift"),
                                "only the drift overlay changes without the mode: {c:?}"
                            );
                        } else {
                            assert_ne!(from, c.to, "{c:?}");
                        }
                    }
                }
                reported.push(c);
            }
            if let Some(c) = reported.last() {
                assert_eq!(c.to, g.mode(), "minute {m}");
            }
        }
    }
}
