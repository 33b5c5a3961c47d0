//! Drift detection on hourly burn rates, end to end: counters → SloState → BurnDriftMonitor →
//! Governor.

use flightdeck::slo::{
    BurnDriftMonitor, CusumDetector, DriftConfig, DriftDirection, Governor, Mode, SloSpec, SloState,
};
use flightdeck::time::{SignedDuration, Timestamp};

const T0: i64 = 1_767_225_600;

fn ts(min: i64) -> Timestamp {
    Timestamp::from_second(T0 + min * 60).unwrap()
}

/// Error ratio at minute `m`: burn ≈ 0.4 (varying by hour) before `shift_min`, ≈ 2.0 after.
fn ratio(m: i64, shift_min: i64) -> f64 {
    let wobble = 0.1 * ((m / 60) as f64 * 1.7).sin();
    if m >= shift_min {
        0.001 * (2.0 + wobble)
    } else {
        0.001 * (0.4 + wobble)
    }
}

#[test]
fn sustained_rise_in_hourly_burn_signals_and_tightens_the_governor() {
    let spec = SloSpec::new(
        "checkout",
        "checkout",
        0.999,
        SignedDuration::from_hours(720),
    );
    let mut st = SloState::new(spec);
    let mut mon = BurnDriftMonitor::new(DriftConfig::HOURLY_BURN);
    let mut gov = Governor::default();
    let shift = 50 * 60; // the regime changes at hour 50
    let (mut good, mut total) = (0.0, 0.0);
    st.ingest(ts(0), 0.0, 0.0);
    let mut signals = Vec::new();
    for m in 1..=60 * 60 {
        total += 1000.0;
        good += 1000.0 * (1.0 - ratio(m, shift));
        st.ingest(ts(m), good, total);
        if m >= 30 * 60 {
            // Live from hour 30: the first call back-fills from history.
            for s in mon.observe(ts(m), std::slice::from_ref(&st)) {
                let change = gov.set_drift(ts(m), s.clone());
                signals.push((m, s, change));
            }
            gov.update(ts(m), &[st.evaluate(ts(m))]);
        }
    }
    assert_eq!(signals.len(), 1, "{signals:#?}");
    let (m, s, change) = &signals[0];
    // Hours 51, 52, 53 carry the new burn in full (hour 50's 1h window ends at the shift).
    assert_eq!(*m, 53 * 60, "{}", s.explain());
    // The change point is where the shift began: hour 51's observation covers hour 50 to 51.
    assert_eq!(s.since, ts(50 * 60));
    assert_eq!(s.direction, DriftDirection::Up);
    assert_eq!(s.slo.as_deref(), Some("checkout"));
    assert!((s.baseline_mean - 0.4).abs() < 0.1, "{}", s.explain());
    assert!((s.recent_mean - 2.0).abs() < 0.15, "{}", s.explain());
    assert!(
        s.explain()
            .starts_with("checkout 1h burn rate rose from 0."),
        "{}",
        s.explain()
    );
    let change = change.as_ref().expect("governor got stricter");
    assert_eq!(
        (change.from, change.to),
        (Some(Mode::Adaptive), Mode::Freeze)
    );
    assert_eq!(gov.mode(), Mode::Freeze);
    assert!(gov.drift().is_some());
    let back = gov.acknowledge_drift(ts(60 * 60), "ic-bob").unwrap();
    assert_eq!(back.to, Mode::Adaptive);
}

#[test]
fn the_first_call_backfills_a_baseline() {
    let spec = SloSpec::new("a", "a", 0.999, SignedDuration::from_hours(720));
    let mut st = SloState::new(spec);
    let (mut good, mut total) = (0.0, 0.0);
    st.ingest(ts(0), 0.0, 0.0);
    for m in 1..=48 * 60 {
        total += 100.0;
        good += 100.0 * (1.0 - ratio(m, i64::MAX));
        st.ingest(ts(m), good, total);
    }
    let mut mon = BurnDriftMonitor::new(DriftConfig::HOURLY_BURN);
    assert!(
        mon.observe(ts(48 * 60), std::slice::from_ref(&st))
            .is_empty()
    );
    let (mean, sd) = mon.detector("a").unwrap().baseline().unwrap();
    assert!((mean - 0.4).abs() < 0.1 && sd >= 0.25);
    // Calling again within the same hour observes nothing new.
    assert!(
        mon.observe(ts(48 * 60 + 30), std::slice::from_ref(&st))
            .is_empty()
    );
}

#[test]
fn downward_shifts_only_when_asked() {
    let at = |h: i64| ts(h * 60);
    let cfg = DriftConfig {
        detect_down: true,
        ..DriftConfig::SHARE
    };
    let mut share = CusumDetector::new("novel cluster share", None, cfg);
    let mut up_only = CusumDetector::new("novel cluster share", None, DriftConfig::SHARE);
    let mut got = None;
    for h in 0..60 {
        let x = if h < 30 { 0.30 } else { 0.05 };
        assert!(up_only.observe(at(h), x).is_none());
        if let Some(s) = share.observe(at(h), x) {
            got.get_or_insert(s);
        }
    }
    let s = got.expect("a drop is detected");
    assert_eq!(s.direction, DriftDirection::Down);
    assert!(
        s.explain()
            .starts_with("novel cluster share fell from 0.30"),
        "{}",
        s.explain()
    );
}
