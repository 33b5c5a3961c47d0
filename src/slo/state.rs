//! Per-SLO budget state: ingests cumulative SLI counters and evaluates error ratios, burn rates,
//! remaining budget, time to exhaustion and the firing multiwindow conditions at a given `now`.

use serde::{Deserialize, Serialize};

use super::Mode;
use super::series::CounterSeries;
use super::spec::SloSpec;
use super::window::{BurnRule, BurnSeverity, WORKBOOK_RULES, Window, exceeds};
use crate::time::{SignedDuration, Timestamp};

/// Number of points in [`BudgetStatus::burn_history`].
pub const BURN_HISTORY_POINTS: usize = 36;
/// Spacing of [`BudgetStatus::burn_history`].
pub const BURN_HISTORY_STEP_SECS: i64 = 300;

/// Good, bad and total events counted in one window.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowCounts {
    pub good: f64,
    pub bad: f64,
    pub total: f64,
}

impl WindowCounts {
    /// `bad ÷ total`; `None` when there was no traffic (never 0, never NaN).
    pub fn error_ratio(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.bad / self.total)
    }
}

/// A multiwindow condition that holds: both windows burn faster than `threshold`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnAlert {
    pub severity: BurnSeverity,
    pub long: Window,
    pub short: Window,
    pub threshold: f64,
    pub long_burn: f64,
    pub short_burn: f64,
}

impl BurnAlert {
    /// `1h burn 18.2 > 14.4 and 5m 22.0 > 14.4`.
    pub fn describe(&self) -> String {
        format!(
            "{} burn {} > {} and {} {} > {}",
            self.long,
            fmt_burn(self.long_burn),
            fmt_threshold(self.threshold),
            self.short,
            fmt_burn(self.short_burn),
            fmt_threshold(self.threshold)
        )
    }

    /// How far over its threshold the weaker of the two windows is (≥ 1 when firing).
    pub fn severity_ratio(&self) -> f64 {
        self.long_burn.min(self.short_burn) / self.threshold
    }
}

/// A burn rate for humans: one decimal from 10 up, two below.
pub fn fmt_burn(x: f64) -> String {
    if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A threshold without trailing zeros: `14.4`, `6`, `13.44`.
pub fn fmt_threshold(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Everything the cockpit shows about one SLO at one instant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BudgetStatus {
    pub slo: String,
    pub service: String,
    pub objective: f64,
    /// Fraction of the budget left over the SLO window (`1 − burn rate over the window`); may be
    /// negative; `None` when the window saw no traffic.
    pub budget_remaining: Option<f64>,
    /// Every window including `Slo`, in [`Window::ALL`] order; `None` = no traffic.
    pub error_ratio: Vec<(Window, Option<f64>)>,
    /// Error ratio ÷ budget, same order and `None`s as `error_ratio`.
    pub burn_rates: Vec<(Window, Option<f64>)>,
    /// The multiwindow conditions that hold now (pages first).
    pub conditions: Vec<BurnAlert>,
    /// Remaining budget ÷ the 1h burn rate, in time; zero when exhausted; `None` when the 1h
    /// window does not burn or has no data.
    pub time_to_exhaustion: Option<SignedDuration>,
    /// 5m burn rate at each of the last 36 five-minute boundaries (at or before `now`), oldest
    /// first.
    pub burn_history: Vec<Option<f64>>,
}

impl BudgetStatus {
    /// The error ratio over `w`.
    pub fn error_ratio(&self, w: Window) -> Option<f64> {
        self.error_ratio
            .iter()
            .find(|(x, _)| *x == w)
            .and_then(|(_, v)| *v)
    }

    /// The burn rate over `w`.
    pub fn burn_rate(&self, w: Window) -> Option<f64> {
        self.burn_rates
            .iter()
            .find(|(x, _)| *x == w)
            .and_then(|(_, v)| *v)
    }

    /// True when the budget over the SLO window is used up (`≤ 0` left).
    pub fn exhausted(&self) -> bool {
        self.budget_remaining.is_some_and(|r| r <= 0.0)
    }

    /// The page-level conditions that hold.
    pub fn pages(&self) -> impl Iterator<Item = &BurnAlert> {
        self.conditions
            .iter()
            .filter(|c| c.severity == BurnSeverity::Page)
    }

    /// The mode this SLO alone asks for (no hysteresis): Redesign when exhausted, Freeze when a
    /// page condition holds, else Adaptive.
    pub fn mode(&self) -> Mode {
        if self.exhausted() {
            Mode::Redesign
        } else if self.pages().next().is_some() {
            Mode::Freeze
        } else {
            Mode::Adaptive
        }
    }

    /// Is `(severity, long, short)` among the firing conditions? (for highlighting)
    pub fn is_firing(&self, w: Window) -> bool {
        self.conditions.iter().any(|c| c.long == w || c.short == w)
    }
}

/// Snap values within 1e-9 of zero to zero (an exactly consumed budget is exhausted, not
/// `1.1e-16` left).
fn snap_zero(x: f64) -> f64 {
    if x.abs() < 1e-9 { 0.0 } else { x }
}

/// One SLO: its spec and the bounded counter history it is evaluated from.
#[derive(Clone, Debug)]
pub struct SloState {
    spec: SloSpec,
    budget: f64,
    series: CounterSeries,
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

impl SloState {
    /// A state for `spec`. An objective of 1 or more (no budget; [`SloSpec::validate`] refuses
    /// it) is treated as a budget of 1e-12, so burn rates stay finite and never NaN.
    pub fn new(spec: SloSpec) -> Self {
        let budget = spec.budget();
        let budget = if budget.is_finite() && budget >= 1e-12 {
            budget
        } else {
            1e-12
        };
        let horizon = spec.window.as_millis().clamp(0, i64::MAX as i128) as i64;
        SloState {
            spec,
            budget,
            series: CounterSeries::new(horizon),
        }
    }

    pub fn spec(&self) -> &SloSpec {
        &self.spec
    }

    /// The error budget `1 − objective`.
    pub fn budget(&self) -> f64 {
        self.budget
    }

    /// Cumulative counters at `at` (like Prometheus counters; a drop is a reset, handled like
    /// `increase()`). Samples must arrive in time order: duplicates and older samples are
    /// ignored, as are negative or non-finite values.
    pub fn ingest(&mut self, at: Timestamp, good: f64, total: f64) {
        self.series.push(ms(at), good, total);
    }

    /// Like [`ingest`](Self::ingest), reporting whether the sample was accepted.
    pub fn try_ingest(&mut self, at: Timestamp, good: f64, total: f64) -> bool {
        self.series.push(ms(at), good, total)
    }

    /// Events in the window `w` ending at `at`: the increase between the latest sample at or
    /// before `at − w` and the latest at or before `at`. `None` when no sample is at or before
    /// `at`. A history shorter than the window counts from its first sample.
    pub fn window_counts(&self, w: Window, at: Timestamp) -> Option<WindowCounts> {
        let end = ms(at);
        let len = w.duration(self.spec.window).as_millis() as i64;
        let (good, total) = self.series.increase(end.saturating_sub(len), end)?;
        let total = total.max(0.0);
        let bad = (total - good).clamp(0.0, total);
        Some(WindowCounts {
            good: total - bad,
            bad,
            total,
        })
    }

    /// Error ratio over `w` ending at `at`; `None` without traffic.
    pub fn error_ratio_at(&self, w: Window, at: Timestamp) -> Option<f64> {
        self.window_counts(w, at)?.error_ratio()
    }

    /// Burn rate (error ratio ÷ budget) over `w` ending at `at`; `None` without traffic.
    pub fn burn_rate_at(&self, w: Window, at: Timestamp) -> Option<f64> {
        self.error_ratio_at(w, at).map(|r| r / self.budget)
    }

    /// The threshold of `rule` for this SLO's period.
    pub fn threshold(&self, rule: &BurnRule) -> f64 {
        rule.threshold(self.spec.window)
    }

    pub fn evaluate(&self, now: Timestamp) -> BudgetStatus {
        let mut error_ratio = Vec::with_capacity(Window::ALL.len());
        let mut burn_rates = Vec::with_capacity(Window::ALL.len());
        for w in Window::ALL {
            let r = self.error_ratio_at(w, now);
            error_ratio.push((w, r));
            burn_rates.push((w, r.map(|r| r / self.budget)));
        }
        let burn = |w: Window| burn_rates.iter().find(|(x, _)| *x == w).and_then(|x| x.1);

        let budget_remaining = burn(Window::Slo).map(|b| snap_zero(1.0 - b));

        let mut conditions = Vec::new();
        for rule in &WORKBOOK_RULES {
            let threshold = self.threshold(rule);
            if let (Some(long_burn), Some(short_burn)) = (burn(rule.long), burn(rule.short))
                && exceeds(long_burn, threshold)
                && exceeds(short_burn, threshold)
            {
                conditions.push(BurnAlert {
                    severity: rule.severity,
                    long: rule.long,
                    short: rule.short,
                    threshold,
                    long_burn,
                    short_burn,
                });
            }
        }

        let time_to_exhaustion = match (burn(Window::H1), budget_remaining) {
            (Some(b), Some(r)) if b > 0.0 => {
                if r <= 0.0 {
                    Some(SignedDuration::ZERO)
                } else {
                    SignedDuration::try_from_secs_f64(r * self.spec.window.as_secs_f64() / b).ok()
                }
            }
            _ => None,
        };

        let step = BURN_HISTORY_STEP_SECS * 1000;
        let last = ms(now).div_euclid(step) * step;
        let burn_history = (0..BURN_HISTORY_POINTS as i64)
            .rev()
            .map(|k| {
                let at = last - k * step;
                let (good, total) = self.series.increase(at - step, at)?;
                (total > 0.0).then(|| ((total - good).clamp(0.0, total) / total) / self.budget)
            })
            .collect();

        BudgetStatus {
            slo: self.spec.name.clone(),
            service: self.spec.service.clone(),
            objective: self.spec.objective,
            budget_remaining,
            error_ratio,
            burn_rates,
            conditions,
            time_to_exhaustion,
            burn_history,
        }
    }

    /// Budget burn-down over the current SLO window, for a chart: `points` evenly spaced times
    /// from `now − window` to `now`, each with the fraction of the window's budget left if the
    /// window had ended there (bad events since the window start ÷ the budget of the whole
    /// window's traffic). `None` values when the window has no traffic.
    pub fn budget_burndown(&self, now: Timestamp, points: usize) -> Vec<(Timestamp, Option<f64>)> {
        let end = ms(now);
        let len = self.spec.window.as_millis() as i64;
        let start = end - len;
        let whole = self.series.increase(start, end);
        let allowed = whole.map(|(_, total)| total * self.budget);
        let n = points.max(2);
        (0..n)
            .map(|i| {
                let t = start + (len as i128 * i as i128 / (n as i128 - 1)) as i64;
                let ts = Timestamp::from_millisecond(t).unwrap_or(now);
                let left = match (allowed, self.series.increase(start, t)) {
                    (Some(a), Some((good, total))) if a > 0.0 => {
                        let bad = (total - good).clamp(0.0, total.max(0.0));
                        Some(snap_zero(1.0 - bad / a))
                    }
                    _ => None,
                };
                (ts, left)
            })
            .collect()
    }

    /// Time of the newest accepted sample.
    pub fn last_sample_at(&self) -> Option<Timestamp> {
        self.series
            .last_time()
            .and_then(|t| Timestamp::from_millisecond(t).ok())
    }

    /// Samples retained per tier `(hourly, 5-minute, raw)`.
    pub fn retained_points(&self) -> (usize, usize, usize) {
        self.series.tier_lens()
    }

    /// Heap bytes of the retained history (by capacity).
    pub fn heap_bytes(&self) -> usize {
        self.series.heap_bytes()
    }

    /// Counter resets seen.
    pub fn resets(&self) -> u64 {
        self.series.resets()
    }
}
