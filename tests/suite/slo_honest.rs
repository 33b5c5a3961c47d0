//! An honest governor (issue 17 §1–2): too few events never move the mode, and stale data
//! neither drifts nor loosens the mode. The budget engine and the governor directly, and a
//! replayed scenario with a 30-minute gap in its samples during a fast burn
//! (`tests/fixtures/slo/replay/gap-during-fast-burn.yaml`).

use crate::common;

use flightdeck::cockpit::CockpitConfig;
use flightdeck::journal::RecordKind;
use flightdeck::replay::ReplaySession;
use flightdeck::slo::spec::default_min_events;
use flightdeck::slo::{Governor, Mode, ModeChange, SloSpec, SloState, Window};
use flightdeck::time::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn t0() -> Timestamp {
    "2026-03-12T14:00:00Z".parse().unwrap()
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// A brand-new 99.9% SLO that saw `total` events, `bad` of them bad, within 90 seconds.
fn fresh(min_events: Option<u64>, total: f64, bad: f64) -> SloState {
    let mut spec = SloSpec::new(
        "checkout",
        "checkout",
        0.999,
        SignedDuration::from_hours(720),
    );
    spec.min_events = min_events;
    let mut s = SloState::new(spec);
    s.ingest(t0(), 0.0, 0.0);
    s.ingest(t0() + SignedDuration::from_secs(90), total - bad, total);
    s
}

#[test]
fn the_default_min_events_is_documented_and_follows_the_objective() {
    // One bad event must not be able to use up the whole budget: ⌈1 ÷ (1 − objective)⌉,
    // at least 100.
    assert_eq!(default_min_events(0.999), 1000);
    assert_eq!(default_min_events(0.99), 100);
    assert_eq!(default_min_events(0.9), 100);
    assert_eq!(default_min_events(0.9995), 2000);
    assert_eq!(default_min_events(0.9999), 10_000);
    let spec = SloSpec::new("a", "a", 0.999, mins(60 * 24 * 30));
    assert_eq!(spec.min_events(), 1000);
    assert_eq!(spec.with_min_events(48).min_events(), 48);
}

#[test]
fn one_bad_request_in_48_is_insufficient_data_not_redesign() {
    // The case: 90 s after Prometheus started, 1 bad request out of 48.
    let s = fresh(None, 48.0, 1.0);
    let now = t0() + SignedDuration::from_secs(90);
    let st = s.evaluate(now);
    // The arithmetic is still shown …
    assert!(st.exhausted(), "{:?}", st.budget_remaining);
    assert!(st.burn_rate(Window::M5).unwrap() > 14.4);
    // … but it does not decide anything.
    assert!(st.insufficient_data());
    assert_eq!(st.events, Some(48.0));
    assert_eq!(
        st.insufficient_text().as_deref(),
        Some("insufficient data (48 of 1000 events)")
    );
    assert!(st.conditions.is_empty(), "{:?}", st.conditions);
    assert_eq!(st.time_to_exhaustion, None);
    assert_eq!(st.mode(), Mode::Adaptive);

    let mut g = Governor::default();
    let change = g.update(now, &[st]).expect("the start state");
    assert_eq!(change.to, Mode::Adaptive);
    assert_eq!(g.mode(), Mode::Adaptive);
    assert!(
        g.reason()
            .contains("checkout: insufficient data (48 of 1000 events)"),
        "{}",
        g.reason()
    );
}

#[test]
fn min_events_boundary() {
    // min_events − 1 events: nothing moves; exactly min_events: the same arithmetic decides.
    for (min, expect) in [(49, Mode::Adaptive), (48, Mode::Redesign)] {
        let s = fresh(Some(min), 48.0, 1.0);
        let now = t0() + SignedDuration::from_secs(90);
        let st = s.evaluate(now);
        assert_eq!(st.mode(), expect, "min_events {min}");
        let mut g = Governor::default();
        g.update(now, &[st]);
        assert_eq!(g.mode(), expect, "min_events {min}: {}", g.reason());
    }
    // Freeze too: an hour of 2% errors (burn 20 over 1h and 5m) after a clean history, with
    // budget left over the SLO window.
    let mut spec = SloSpec::new("c", "c", 0.999, SignedDuration::from_hours(720));
    spec.min_events = Some(3000);
    for (total, expect) in [(2999.0, Mode::Adaptive), (3000.0, Mode::Freeze)] {
        let mut s = SloState::new(spec.clone());
        s.ingest(t0(), 0.0, 0.0);
        let clean = total - 100.0;
        s.ingest(t0() + mins(60), clean, clean);
        s.ingest(t0() + mins(120), clean + 98.0, total);
        let st = s.evaluate(t0() + mins(120));
        assert!(!st.exhausted(), "{:?}", st.budget_remaining);
        assert_eq!(st.mode(), expect, "{total} events: {:?}", st.conditions);
        let mut g = Governor::default();
        g.update(t0() + mins(120), &[st]);
        assert_eq!(g.mode(), expect, "{}", g.reason());
    }
}

proptest! {
    /// Below min_events no condition is reported and the SLO asks for Adaptive, whatever the
    /// error ratio; at or above it the conditions are those of the plain arithmetic.
    #[test]
    fn too_few_events_never_move_the_mode(
        min in 1u64..5000,
        total in 1u64..5000,
        bad_pct in 0u32..=100,
    ) {
        let total = total as f64;
        let bad = (total * f64::from(bad_pct) / 100.0).floor();
        let with = fresh(Some(min), total, bad).evaluate(t0() + SignedDuration::from_secs(90));
        let plain = fresh(Some(0), total, bad).evaluate(t0() + SignedDuration::from_secs(90));
        if total < min as f64 {
            prop_assert!(with.insufficient_data());
            prop_assert!(with.conditions.is_empty());
            prop_assert_eq!(with.mode(), Mode::Adaptive);
        } else {
            prop_assert!(!with.insufficient_data());
            prop_assert_eq!(&with.conditions, &plain.conditions);
            prop_assert_eq!(with.mode(), plain.mode());
        }
        // The numbers themselves are never hidden.
        prop_assert_eq!(with.budget_remaining, plain.budget_remaining);
    }
}

#[test]
fn stale_numbers_do_not_drift_and_recover_when_data_returns() {
    let mut s = SloState::new(SloSpec::new(
        "c",
        "c",
        0.999,
        SignedDuration::from_hours(720),
    ));
    // A sample a minute, 5% errors, for an hour.
    for m in 0..=60 {
        let total = 6000.0 * m as f64;
        s.ingest(t0() + mins(m), total * 0.95, total);
    }
    assert_eq!(s.stale_after(), mins(3));
    let last = t0() + mins(60);
    let fresh = s.evaluate(last + mins(3));
    assert!(!fresh.is_stale(), "3 spacings is not stale yet");
    let at_stop = s.evaluate(last);
    for age in [4, 10, 30, 90] {
        let st = s.evaluate(last + mins(age));
        assert_eq!(st.stale_age, Some(mins(age)), "age {age}m");
        assert_eq!(st.last_sample, Some(last));
        // Frozen: the numbers are those at the last sample, not "no traffic since".
        assert_eq!(st.burn_rates, at_stop.burn_rates, "age {age}m");
        assert_eq!(st.conditions, at_stop.conditions, "age {age}m");
        assert_eq!(st.budget_remaining, at_stop.budget_remaining);
    }
    // Data returns: fresh again.
    s.ingest(last + mins(40), 6000.0 * 100.0 * 0.95, 6000.0 * 100.0);
    let back = s.evaluate(last + mins(40));
    assert!(!back.is_stale());
    assert!(back.burn_rate(Window::M5).is_some());
}

/// The gap scenario, replayed minute by minute: the mode and the SLO row at each minute.
fn replay_gap() -> (ReplaySession, Vec<(i64, Mode, bool)>) {
    let loaded = flightdeck::load::scenario_file(&common::fixture_path(
        "slo/replay/gap-during-fast-burn.yaml",
    ))
    .unwrap();
    let mut session =
        ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let start = session.scenario().start;
    let mut seen = Vec::new();
    for m in 0..=90 {
        session.advance_to(start + mins(m));
        let c = session.cockpit();
        let stale = c.budgets().first().is_some_and(|b| b.is_stale());
        seen.push((m, c.mode(), stale));
    }
    (session, seen)
}

#[test]
fn a_gap_in_samples_during_a_fast_burn_never_loosens_the_mode() {
    let (session, seen) = replay_gap();
    // Freeze from the start (1h and 5m burn 50 > 14.4) …
    assert_eq!(seen[0].1, Mode::Freeze, "{seen:?}");
    // … through the whole gap (samples stop after +10m, return at +40m) …
    for &(m, mode, _) in &seen[..=40] {
        assert_eq!(mode, Mode::Freeze, "+{m}m: {seen:?}");
    }
    // … marked stale once three sample spacings have passed without one.
    for &(m, _, stale) in &seen[..=40] {
        assert_eq!(stale, (14..40).contains(&m), "+{m}m stale: {seen:?}");
    }
    // After the data returns (errors stopped at +20m) the page clears and, after the hold, the
    // mode loosens: recovery works.
    let adaptive_at = seen
        .iter()
        .find(|(_, mode, _)| *mode == Mode::Adaptive)
        .map(|(m, ..)| *m)
        .expect("ADAPTIVE after the data returned");
    // At +40m the 5m window holds the gap's 30 minutes (10 of them at 5%: burn 16.7), the 1h
    // burn is 33; from +45m the 5m window is clean: ADAPTIVE after the 10-minute hold, at +55m.
    // (Without the staleness rule the empty 5m window cleared the page at +15m: ADAPTIVE at
    // +25m, in the middle of the burn; the 6h burn, 4.2, never pages.)
    assert_eq!(adaptive_at, 55, "{seen:?}");
    // The journal says it the same way: FREEZE at the start, one change to ADAPTIVE after the
    // data came back, nothing in between.
    let modes: Vec<ModeChange> = session
        .records()
        .iter()
        .filter(|r| r.kind == RecordKind::ModeChange)
        .map(|r| serde_json::from_value(r.body.clone()).unwrap())
        .collect();
    let path: Vec<(Option<Mode>, Mode)> = modes.iter().map(|c| (c.from, c.to)).collect();
    assert_eq!(
        path,
        vec![(None, Mode::Freeze), (Some(Mode::Freeze), Mode::Adaptive)],
        "{modes:#?}"
    );
}

#[test]
fn stale_rows_hold_the_mode_and_say_so_in_reason_and_json() {
    let loaded = flightdeck::load::scenario_file(&common::fixture_path(
        "slo/replay/gap-during-fast-burn.yaml",
    ))
    .unwrap();
    let (session, snap) =
        flightdeck::headless::replay(loaded, Some(mins(30)), CockpitConfig::default());
    let c = session.cockpit();
    assert_eq!(c.mode(), Mode::Freeze);
    let b = &c.budgets()[0];
    // The last sample was at +10m: 20 minutes old, the numbers those of +10m.
    assert_eq!(b.stale_age, Some(mins(20)));
    assert!(b.burn_rate(Window::H1).unwrap() > 14.4);
    assert!(b.pages().next().is_some());
    assert!(
        c.mode_reason()
            .contains("SLO data stale (checkout-availability 20m old)"),
        "{}",
        c.mode_reason()
    );
    let json = serde_json::to_value(&snap).unwrap();
    let slo = &json["slos"][0];
    assert_eq!(slo["stale"], true, "{slo}");
    assert_eq!(slo["age_s"], 1200.0, "{slo}");
    assert_eq!(slo["insufficient_data"], false, "{slo}");
    let text = flightdeck::headless::text(&session, &snap);
    assert!(text.contains("STALE 20m old"), "{text}");
}

#[test]
fn the_header_says_stale_with_the_age_and_recovers() {
    let loaded = flightdeck::load::scenario_file(&common::fixture_path(
        "slo/replay/gap-during-fast-burn.yaml",
    ))
    .unwrap();
    let mut session =
        ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let start = session.scenario().start;
    session.advance_to(start + mins(30));
    let app = common::tui::replay_app(&session, (200, 40), 1.0);
    let screen = common::tui::screen(&app, &session);
    assert!(screen.contains("SLO DATA STALE 20m"), "{screen}");
    assert!(screen.contains("STALE 20m"), "{screen}");
    session.advance_to(start + mins(41));
    let app = common::tui::replay_app(&session, (200, 40), 1.0);
    let screen = common::tui::screen(&app, &session);
    assert!(!screen.contains("STALE"), "{screen}");
}

#[test]
fn the_header_says_insufficient_data() {
    use flightdeck::knowledge::KnowledgeBase;
    use flightdeck::training::Scenario;
    let text = "version: 1\nid: young\ntitle: young SLO\nstart: 2026-03-12T14:00:00Z\n\
                duration: 10m\nslos:\n  - {name: checkout, service: checkout, objective: 0.999, \
                window: 30d}\nsamples:\n  - {at: 0s, slo: checkout, good: 0, total: 0}\n  \
                - {at: 90s, slo: checkout, good: 47, total: 48}\n";
    let scenario = Scenario::parse("young.yaml", text).unwrap();
    let mut session =
        ReplaySession::new(scenario, KnowledgeBase::default(), CockpitConfig::default());
    let start = session.scenario().start;
    session.advance_to(start + SignedDuration::from_secs(100));
    assert_eq!(session.cockpit().mode(), Mode::Adaptive);
    let app = common::tui::replay_app(&session, (200, 40), 1.0);
    let screen = common::tui::screen(&app, &session);
    assert!(screen.contains("insufficient data (48 events)"), "{screen}");
    assert!(
        screen.contains("checkout: insufficient data (48 of 1000 events)"),
        "{screen}"
    );
}
