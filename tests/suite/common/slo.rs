//! Budget statuses and drift signals for the governor tests.

use flightdeck::slo::{BudgetStatus, BurnAlert, BurnSeverity, DriftDirection, DriftSignal, Window};
use flightdeck::time::Timestamp;

/// A firing 1h/5m page (threshold 14.4) with these burn rates.
pub fn page(long_burn: f64, short_burn: f64) -> BurnAlert {
    BurnAlert {
        severity: BurnSeverity::Page,
        long: Window::H1,
        short: Window::M5,
        threshold: 14.4,
        long_burn,
        short_burn,
    }
}

/// The status of a 99.9% SLO with `left` budget (None: no traffic), `per_window` as every
/// window's error ratio and burn rate, and, if `paging` is Some((1h burn, 5m burn)), a firing
/// 1h/5m page.
pub fn budget_status(
    slo: &str,
    service: &str,
    left: Option<f64>,
    paging: Option<(f64, f64)>,
    per_window: Option<f64>,
) -> BudgetStatus {
    BudgetStatus {
        slo: slo.to_string(),
        service: service.to_string(),
        objective: 0.999,
        budget_remaining: left,
        error_ratio: Window::ALL.iter().map(|w| (*w, per_window)).collect(),
        burn_rates: Window::ALL.iter().map(|w| (*w, per_window)).collect(),
        conditions: paging
            .map(|(long_burn, short_burn)| page(long_burn, short_burn))
            .into_iter()
            .collect(),
        time_to_exhaustion: None,
        burn_history: vec![None; 36],
        // Plenty of events, fresh data: the governor tests judge the numbers alone.
        events: left.map(|_| 1e9),
        min_events: 1000,
        last_sample: None,
        stale_age: None,
        measured_at: None,
    }
}

/// An upward drift of `slo`'s 1h burn rate (baseline 0.4 ± 0.25, recent 1.6 over 3
/// observations) signalled at `at`, since `at`.
pub fn drift_up(slo: &str, at: Timestamp) -> DriftSignal {
    DriftSignal {
        at,
        metric: "1h burn rate".to_string(),
        slo: Some(slo.to_string()),
        direction: DriftDirection::Up,
        baseline_mean: 0.4,
        baseline_sd: 0.25,
        measured_sd: None,
        recent_mean: 1.6,
        since: at,
        observations: 3,
        statistic: 1.9,
        threshold: 1.25,
    }
}
