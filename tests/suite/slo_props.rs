//! Property tests of the budget math: burn rate is linear in the error ratio, remaining budget
//! is monotone in errors, resets do not change increases, and the downsampled history stays
//! within its documented bound.

use flightdeck::slo::{SloSpec, SloState, Window};
use flightdeck::time::{SignedDuration, Timestamp};
use proptest::prelude::*;

const T0: i64 = 1_767_225_600;

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(T0 + secs).unwrap()
}

fn state(objective: f64) -> SloState {
    SloState::new(SloSpec::new(
        "p",
        "p",
        objective,
        SignedDuration::from_hours(24 * 28),
    ))
}

/// Feeds per-minute `(total, bad)` increments; returns the state.
fn fed(objective: f64, minutes: &[(u32, u32)]) -> SloState {
    let mut st = state(objective);
    let (mut good, mut total) = (0.0, 0.0);
    st.ingest(ts(0), 0.0, 0.0);
    for (i, (t, b)) in minutes.iter().enumerate() {
        let b = (*b).min(*t);
        total += *t as f64;
        good += (*t - b) as f64;
        st.ingest(ts(60 * (i as i64 + 1)), good, total);
    }
    st
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn burn_rate_is_error_ratio_over_budget_and_linear(
        objective in prop::sample::select(vec![0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999]),
        total in 1u32..1_000_000,
        bad_permille in 0u32..=500,
        k in 1u32..=2,
    ) {
        let bad = (total as u64 * bad_permille as u64 / 1000) as u32;
        let one = fed(objective, &[(total, bad)]);
        let two = fed(objective, &[(total, bad * k)]);
        let b1 = one.evaluate(ts(60)).burn_rate(Window::M5).unwrap();
        let b2 = two.evaluate(ts(60)).burn_rate(Window::M5).unwrap();
        let ratio = bad as f64 / total as f64;
        let budget = 1.0 - objective;
        prop_assert!((b1 - ratio / budget).abs() <= 1e-9 * (ratio / budget).max(1.0));
        prop_assert!((b2 - k as f64 * b1).abs() <= 1e-9 * b2.abs().max(1.0));
    }

    #[test]
    fn remaining_budget_is_monotone_in_errors(
        minutes in prop::collection::vec((1u32..10_000, 0u32..50), 1..200),
        pick in any::<prop::sample::Index>(),
        extra in 1u32..1000,
    ) {
        let base = fed(0.999, &minutes);
        let mut worse = minutes.clone();
        let i = pick.index(worse.len());
        worse[i].1 = (worse[i].1 + extra).min(worse[i].0);
        let more = fed(0.999, &worse);
        let now = ts(60 * minutes.len() as i64);
        let a = base.evaluate(now).budget_remaining.unwrap();
        let b = more.evaluate(now).budget_remaining.unwrap();
        prop_assert!(b <= a + 1e-12, "{} > {}", b, a);
        prop_assert!(a <= 1.0 + 1e-12);
    }

    #[test]
    fn a_counter_reset_does_not_change_increases(
        minutes in prop::collection::vec((0u32..1_000, 0u32..100), 2..120),
        reset_at in any::<prop::sample::Index>(),
    ) {
        let plain = fed(0.99, &minutes);
        // Same increments, but the counters restart from zero at one sample.
        let r = reset_at.index(minutes.len() - 1) + 1;
        let mut st = state(0.99);
        let (mut good, mut total) = (0.0, 0.0);
        st.ingest(ts(0), 0.0, 0.0);
        for (i, (t, b)) in minutes.iter().enumerate() {
            let b = (*b).min(*t);
            if i + 1 == r {
                good = 0.0;
                total = 0.0;
            }
            total += *t as f64;
            good += (*t - b) as f64;
            st.ingest(ts(60 * (i as i64 + 1)), good, total);
        }
        // Increase() can only see a reset as a drop: when the first value after the reset is
        // below the one before it (for both counters), the increases are exactly the same.
        let before = |i: usize| {
            minutes[..i].iter().fold((0u64, 0u64), |(g, t), (tt, b)| {
                (g + (*tt - (*b).min(*tt)) as u64, t + *tt as u64)
            })
        };
        let (g_prev, t_prev) = before(r - 1);
        let (t_r, b_r) = minutes[r - 1];
        let g_r = (t_r - b_r.min(t_r)) as u64;
        let visible = g_r < g_prev && (t_r as u64) < t_prev;
        let now = ts(60 * minutes.len() as i64);
        for w in Window::ALL {
            let a = plain.window_counts(w, now).unwrap();
            let b = st.window_counts(w, now).unwrap();
            if visible {
                prop_assert_eq!(a, b, "{:?}", w);
            } else {
                prop_assert!(b.total <= a.total, "{:?}: a reset never adds traffic", w);
            }
        }
    }

    #[test]
    fn downsampled_windows_start_early_by_less_than_a_bucket(
        hours in 80i64..120,
        offset_min in 0i64..60,
        seed in any::<u64>(),
    ) {
        // Per-minute traffic varying pseudo-randomly; exact prefix sums for reference.
        let n = hours * 60;
        let mut st = state(0.999);
        let mut prefix = vec![(0.0f64, 0.0f64)];
        let mut x = seed | 1;
        st.ingest(ts(0), 0.0, 0.0);
        for m in 1..=n {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            let t = (x % 1000) as f64 + 1.0;
            let b = ((x >> 20) % 3) as f64;
            let (pg, pt) = *prefix.last().unwrap();
            prefix.push((pg + t - b, pt + t));
            st.ingest(ts(60 * m), pg + t - b, pt + t);
        }
        let now_min = n - offset_min;
        let now = ts(60 * now_min);
        let exact = |from_min: i64| {
            let from = from_min.max(0) as usize;
            prefix[now_min as usize].1 - prefix[from].1
        };
        // Raw samples reach 6h10m behind the newest: evaluating further in the past than 10
        // minutes moves the 6h start into the 5-minute tier.
        let h6_bucket = if offset_min <= 10 { 0 } else { 5 };
        for (w, bucket_min) in [
            (Window::M5, 0),
            (Window::H6, h6_bucket),
            (Window::D1, 5),
            (Window::D3, 5),
        ] {
            let len = w.fixed_secs().unwrap() / 60;
            let got = st.window_counts(w, now).unwrap().total;
            let lo = exact(now_min - len);
            let hi = exact(now_min - len - bucket_min);
            prop_assert!(got >= lo && got <= hi, "{:?}: {} not in [{}, {}]", w, got, lo, hi);
            if (now_min - len) % 5 == 0 {
                prop_assert_eq!(got, lo, "{:?} aligned start must be exact", w);
            }
        }
    }
}
