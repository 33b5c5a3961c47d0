//! Budget math against the SRE Workbook's worked numbers ("Alerting on SLOs").

use flightdeck::slo::{BurnSeverity, SloSpec, SloState, WORKBOOK_RULES, Window};
use flightdeck::time::{SignedDuration, Timestamp};

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(T0 + secs).unwrap()
}

fn spec(objective: f64, days: i64) -> SloSpec {
    SloSpec::new(
        "checkout-availability",
        "checkout",
        objective,
        SignedDuration::from_hours(24 * days),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// Feeds one sample a minute for `minutes` minutes starting at `start` (seconds after T0), with
/// `per_min` requests and an error ratio given by `ratio(minute)`. Returns the end counters.
fn feed(
    st: &mut SloState,
    start: i64,
    minutes: i64,
    per_min: f64,
    counters: (f64, f64),
    ratio: impl Fn(i64) -> f64,
) -> (f64, f64) {
    let (mut good, mut total) = counters;
    if start == 0 && total == 0.0 {
        st.ingest(ts(0), 0.0, 0.0);
    }
    for m in 1..=minutes {
        total += per_min;
        good += per_min * (1.0 - ratio(m));
        st.ingest(ts(start + m * 60), good, total);
    }
    (good, total)
}

#[test]
fn one_error_in_a_thousand_at_three_nines_is_burn_one() {
    let mut st = SloState::new(spec(0.999, 30));
    st.ingest(ts(0), 0.0, 0.0);
    st.ingest(ts(300), 999.0, 1000.0);
    let s = st.evaluate(ts(300));
    assert!(close(s.error_ratio(Window::M5).unwrap(), 0.001));
    assert!(close(s.burn_rate(Window::M5).unwrap(), 1.0));
    // The whole (short) history is the SLO window: a burn of 1 uses 1/1 of … the budget of the
    // traffic seen, so nothing is left.
    assert!(close(s.burn_rate(Window::Slo).unwrap(), 1.0));
    assert_eq!(s.budget_remaining, Some(0.0));
    assert!(s.exhausted());
}

#[test]
fn thresholds_follow_budget_fractions() {
    let d30 = SignedDuration::from_hours(720);
    let t: Vec<f64> = WORKBOOK_RULES.iter().map(|r| r.threshold(d30)).collect();
    assert!(close(t[0], 14.4) && close(t[1], 6.0) && close(t[2], 3.0) && close(t[3], 1.0));
    // 5% of a 30-day budget in one hour is 36.
    let r = flightdeck::slo::BurnRule {
        budget_fraction: 0.05,
        ..WORKBOOK_RULES[0]
    };
    assert!(close(r.threshold(d30), 36.0));
    // 28 days: 2% in 1h is 13.44.
    assert!(close(
        WORKBOOK_RULES[0].threshold(SignedDuration::from_hours(672)),
        13.44
    ));
}

#[test]
fn burn_14_4_for_one_hour_consumes_two_percent() {
    // 30 days of steady traffic; errors only in the last hour, at burn 14.4.
    let mut st = SloState::new(spec(0.999, 30));
    let minutes = 30 * 24 * 60;
    feed(&mut st, 0, minutes, 1000.0, (0.0, 0.0), |m| {
        if m > minutes - 60 { 0.0144 } else { 0.0 }
    });
    let now = ts(minutes * 60);
    let s = st.evaluate(now);
    assert!(close(s.burn_rate(Window::H1).unwrap(), 14.4));
    assert!(
        close(s.budget_remaining.unwrap(), 0.98),
        "{:?}",
        s.budget_remaining
    );
    // Exactly at the threshold: strict `>` does not fire.
    assert!(s.pages().next().is_none(), "{:?}", s.conditions);
    // Time to exhaustion at 14.4: 98% of 30 days / 14.4 = 49 hours.
    let tte = s.time_to_exhaustion.unwrap().as_secs_f64();
    assert!((tte - 0.98 * 720.0 * 3600.0 / 14.4).abs() < 1.0, "{tte}");
}

#[test]
fn time_to_exhaustion_table() {
    // Workbook: at burn rate 1 the budget lasts the period, at 2 half of it, at 10 a tenth,
    // at 1000 (100% errors at 99.9%) 43 minutes.
    for (burn, expect_secs) in [
        (1.0, 30.0 * 86_400.0),
        (2.0, 15.0 * 86_400.0),
        (10.0, 3.0 * 86_400.0),
        (1000.0, 2_592.0),
    ] {
        let mut st = SloState::new(spec(0.999, 30));
        // A fresh SLO: only one hour of history, all at `burn`; the remaining budget is then
        // 1 − burn, so scale: use a long good history first.
        let minutes = 30 * 24 * 60;
        feed(&mut st, 0, minutes, 1_000_000.0, (0.0, 0.0), |m| {
            if m > minutes - 1 { burn * 0.001 } else { 0.0 }
        });
        // One minute of errors at `burn` among 30 days: burn over the hour is burn/60.
        let s = st.evaluate(ts(minutes * 60));
        let b1h = s.burn_rate(Window::H1).unwrap();
        assert!(close(b1h, burn / 60.0), "{b1h}");
        let left = s.budget_remaining.unwrap();
        let tte = s.time_to_exhaustion.unwrap().as_secs_f64();
        let expect = left * 30.0 * 86_400.0 / b1h;
        assert!((tte - expect).abs() < 1.0, "burn {burn}: {tte} vs {expect}");
        // From a full budget the table's figure holds.
        assert!((30.0 * 86_400.0 / burn - expect_secs).abs() < 1.0);
    }
}

#[test]
fn total_outage_pages_after_52_seconds() {
    // Workbook: at 100% errors, the 2%/1h alert fires after 0.001/1 × 1h × 14.4 = 51.84 s.
    let mut st = SloState::new(spec(0.999, 30));
    let (mut good, mut total) = (0.0, 0.0);
    st.ingest(ts(0), 0.0, 0.0);
    // Two hours of clean traffic at 10 req/s, sampled every second.
    for s in 1..=7_200 {
        good += 10.0;
        total += 10.0;
        st.ingest(ts(s), good, total);
    }
    let mut fired = None;
    for s in 1..=120 {
        total += 10.0;
        st.ingest(ts(7_200 + s), good, total);
        let status = st.evaluate(ts(7_200 + s));
        if status
            .pages()
            .any(|c| c.long == Window::H1 && c.short == Window::M5)
        {
            fired = Some(s);
            break;
        }
    }
    assert_eq!(fired, Some(52));
}

#[test]
fn zero_traffic_is_no_data() {
    let mut st = SloState::new(spec(0.999, 30));
    for m in 0..120 {
        st.ingest(ts(m * 60), 500.0, 500.0);
    }
    let s = st.evaluate(ts(120 * 60));
    assert!(s.error_ratio.iter().all(|(_, r)| r.is_none()));
    assert!(s.burn_rates.iter().all(|(_, r)| r.is_none()));
    assert_eq!(s.error_ratio.len(), 8);
    assert_eq!(s.budget_remaining, None);
    assert_eq!(s.time_to_exhaustion, None);
    assert!(s.conditions.is_empty());
    assert_eq!(s.burn_history.len(), 36);
    assert!(s.burn_history.iter().all(Option::is_none));
    // No samples at all.
    let empty = SloState::new(spec(0.999, 30)).evaluate(ts(0));
    assert_eq!(empty.budget_remaining, None);
}

#[test]
fn counter_reset_counts_like_increase() {
    let mut st = SloState::new(spec(0.99, 30));
    st.ingest(ts(0), 900.0, 1000.0);
    st.ingest(ts(60), 990.0, 1100.0); // +90 good, +100 total
    st.ingest(ts(120), 45.0, 50.0); // reset: +45 good, +50 total
    st.ingest(ts(180), 95.0, 100.0); // +50, +50
    let s = st.evaluate(ts(180));
    // bad = 10 + 5 + 0 = 15 of 200.
    assert!(close(s.error_ratio(Window::M5).unwrap(), 15.0 / 200.0));
    assert_eq!(st.resets(), 1);
}

#[test]
fn duplicates_and_older_samples_are_ignored() {
    let mut st = SloState::new(spec(0.99, 30));
    st.ingest(ts(0), 0.0, 0.0);
    st.ingest(ts(60), 90.0, 100.0);
    st.ingest(ts(60), 0.0, 100.0); // duplicate time
    st.ingest(ts(30), 0.0, 0.0); // older
    let s = st.evaluate(ts(60));
    assert!(close(s.error_ratio(Window::M5).unwrap(), 0.1));
}

#[test]
fn window_uses_latest_sample_at_or_before_boundary() {
    let mut st = SloState::new(spec(0.99, 30));
    st.ingest(ts(0), 0.0, 0.0);
    st.ingest(ts(100), 100.0, 100.0);
    st.ingest(ts(200), 100.0, 200.0); // 100 bad
    st.ingest(ts(400), 200.0, 300.0);
    // 5m window at t=450: boundary 150 → sample at 100; end → 400: 100 bad of 200.
    assert!(close(st.error_ratio_at(Window::M5, ts(450)).unwrap(), 0.5));
    // At t=500 the boundary 200 is itself a sample: only 100 good of 100.
    assert!(close(st.error_ratio_at(Window::M5, ts(500)).unwrap(), 0.0));
}

#[test]
fn page_and_ticket_conditions_fire_strictly_above() {
    let mut st = SloState::new(spec(0.999, 30));
    let minutes = 4 * 24 * 60;
    feed(&mut st, 0, minutes, 1000.0, (0.0, 0.0), |m| {
        if m > minutes - 60 { 0.0145 } else { 0.0 }
    });
    let s = st.evaluate(ts(minutes * 60));
    let pages: Vec<_> = s.pages().collect();
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].long, pages[0].short), (Window::H1, Window::M5));
    assert!(close(pages[0].long_burn, 14.5));
    assert!(close(pages[0].threshold, 14.4));
    assert!(s.is_firing(Window::H1));
    // 1h at 14.5 is 14.5/24 over 1d (< 3) and 14.5/6 over 6h (< 6): no other condition.
    assert!(
        s.conditions
            .iter()
            .all(|c| c.severity == BurnSeverity::Page)
    );
    assert_eq!(
        pages[0].describe(),
        "1h burn 14.5 > 14.4 and 5m 14.5 > 14.4"
    );
}

#[test]
fn burn_history_holds_36_five_minute_points_oldest_first() {
    let mut st = SloState::new(spec(0.999, 30));
    let minutes = 4 * 60;
    // Error ratio grows with the 5-minute block index.
    feed(&mut st, 0, minutes, 1000.0, (0.0, 0.0), |m| {
        ((m - 1) / 5) as f64 * 0.0001
    });
    let now = ts(minutes * 60 + 130); // not on a boundary
    let s = st.evaluate(now);
    assert_eq!(s.burn_history.len(), 36);
    let last = s.burn_history[35].unwrap();
    let first = s.burn_history[0].unwrap();
    assert!(close(last, 4.7), "{last}"); // block 47: ratio 0.0047
    assert!(close(first, 1.2), "{first}"); // block 12
}

#[test]
fn memory_stays_bounded_over_long_histories() {
    let mut st = SloState::new(spec(0.999, 28));
    feed(&mut st, 0, 35 * 24 * 60, 100.0, (0.0, 0.0), |_| 0.0005);
    let (hourly, mid, raw) = st.retained_points();
    assert!(hourly + mid + raw < 2_000, "{hourly} {mid} {raw}");
    let s = st.evaluate(ts(35 * 24 * 60 * 60));
    // Summing 99.95 fifty thousand times in f64 leaves ~1e-9 of noise.
    assert!((s.burn_rate(Window::Slo).unwrap() - 0.5).abs() < 1e-6);
    assert!((s.budget_remaining.unwrap() - 0.5).abs() < 1e-6);
}

#[test]
fn budget_burndown_spans_the_window() {
    let mut st = SloState::new(spec(0.999, 30));
    let minutes = 30 * 24 * 60;
    feed(&mut st, 0, minutes, 1000.0, (0.0, 0.0), |m| {
        if m > minutes / 2 { 0.001 } else { 0.0 }
    });
    let pts = st.budget_burndown(ts(minutes * 60), 31);
    assert_eq!(pts.len(), 31);
    assert!(close(pts[0].1.unwrap(), 1.0));
    assert!(close(pts[15].1.unwrap(), 1.0));
    assert!(close(pts[30].1.unwrap(), 0.5), "{:?}", pts[30]);
}

#[test]
fn workbook_budget_consumed_table() {
    // Workbook table "Recommended starting values" for 99.9% over 30 days: burning at the
    // threshold for the long window consumes the stated fraction of the budget.
    for rule in WORKBOOK_RULES {
        let mut st = SloState::new(spec(0.999, 30));
        let minutes = 30 * 24 * 60;
        let threshold = rule.threshold(SignedDuration::from_hours(720));
        let long_min = rule.long.fixed_secs().unwrap() / 60;
        feed(&mut st, 0, minutes, 1000.0, (0.0, 0.0), |m| {
            if m > minutes - long_min {
                threshold * 0.001
            } else {
                0.0
            }
        });
        let s = st.evaluate(ts(minutes * 60));
        let consumed = 1.0 - s.budget_remaining.unwrap();
        assert!(
            (consumed - rule.budget_fraction).abs() < 1e-9,
            "{}/{}: consumed {consumed}",
            rule.long,
            rule.short
        );
        assert!(close(s.burn_rate(rule.long).unwrap(), threshold));
        // At exactly the threshold the strict comparison does not fire this rule.
        assert!(
            !s.conditions
                .iter()
                .any(|c| c.long == rule.long && c.short == rule.short),
            "{:?}",
            s.conditions
        );
    }
}
