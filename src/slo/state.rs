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
    /// Events (total) over the SLO window; `None` without data.
    #[serde(default)]
    pub events: Option<f64>,
    /// Fewest events over the SLO window before this SLO moves the mode.
    #[serde(default)]
    pub min_events: u64,
    /// Time of the newest data (sample or window measurement) the status was computed from.
    #[serde(default)]
    pub last_sample: Option<Timestamp>,
    /// Set when the data is stale (no sample for longer than the SLO's stale limit): how old the
    /// newest data is. The numbers are then those at `last_sample`, frozen.
    #[serde(default)]
    pub stale_age: Option<SignedDuration>,
    /// When the fixed windows were measured by Prometheus itself (rate SLIs: each window's
    /// ratio as Sloth's recording rules compute it); `None` when they come from the counters.
    #[serde(default)]
    pub measured_at: Option<Timestamp>,
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

    /// Fewer events over the SLO window than `min_events`: the numbers are shown, but neither
    /// the budget nor any burn condition moves the mode.
    pub fn insufficient_data(&self) -> bool {
        self.events.is_some_and(|n| n < self.min_events as f64)
    }

    /// The data is stale (see [`stale_age`](Self::stale_age)).
    pub fn is_stale(&self) -> bool {
        self.stale_age.is_some()
    }

    /// `insufficient data (48 of 1000 events)`, or `None` when there are enough.
    pub fn insufficient_text(&self) -> Option<String> {
        self.insufficient_data().then(|| {
            format!(
                "insufficient data ({} of {} events)",
                fmt_events(self.events.unwrap_or(0.0)),
                self.min_events
            )
        })
    }

    /// The mode this SLO alone asks for (no hysteresis): Adaptive with insufficient data;
    /// Redesign when exhausted, Freeze when a page condition holds, else Adaptive.
    pub fn mode(&self) -> Mode {
        if self.insufficient_data() {
            Mode::Adaptive
        } else if self.exhausted() {
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

/// An event count for humans: whole numbers as integers (`48`), others with one decimal.
pub fn fmt_events(n: f64) -> String {
    if (n - n.round()).abs() < 1e-6 {
        format!("{}", n.round() as i64)
    } else {
        format!("{n:.1}")
    }
}

/// Data older than this many sample spacings is stale (see [`SloState::stale_after`]).
pub const STALE_SPACINGS: i64 = 3;
/// Data is never stale sooner than this after its newest sample.
pub const STALE_FLOOR: SignedDuration = SignedDuration::from_secs(30);

/// The fixed windows of a rate SLI as Prometheus measured them at one instant (issue 17 §4):
/// each window's events from `rate(…[W]) × W`, so each ratio is exactly Sloth's
/// `sum(rate(errors[W])) / sum(rate(total[W]))`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowMeasurement {
    pub at: Timestamp,
    pub windows: Vec<(Window, WindowCounts)>,
}

/// The 5m error ratios of a rate SLI over time, time-weighted, in 5-minute buckets: the SLO
/// window's ratio is their mean (Sloth's `ratio_rate30d` = `sum_over_time(ratio_rate5m[30d]) /
/// count_over_time(ratio_rate5m[30d])`, i.e. the mean of the 5m ratios at even spacing).
#[derive(Clone, Debug, Default)]
struct RatioHistory {
    /// `(bucket end ms, Σ ratio × weight, Σ weight)`, oldest first.
    buckets: std::collections::VecDeque<(i64, f64, f64)>,
    last_t: Option<i64>,
}

/// A point of the 5m ratio stands for at most this long (a longer gap is missing data, as in
/// Prometheus, where no rule evaluation recorded anything).
const RATIO_POINT_MAX_MS: i64 = 300_000;

impl RatioHistory {
    fn push(&mut self, t: i64, ratio: f64, spacing_hint_ms: Option<i64>, horizon_ms: i64) {
        if self.last_t.is_some_and(|l| t <= l) || !ratio.is_finite() {
            return;
        }
        let weight = match (self.last_t, spacing_hint_ms) {
            (_, Some(h)) => h,
            (Some(l), None) => t - l,
            (None, None) => 60_000,
        }
        .clamp(1, RATIO_POINT_MAX_MS) as f64;
        self.last_t = Some(t);
        let b = bucket_end(t);
        match self.buckets.back_mut() {
            Some(last) if last.0 == b => {
                last.1 += ratio * weight;
                last.2 += weight;
            }
            _ => self.buckets.push_back((b, ratio * weight, weight)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|f| f.0 <= t - horizon_ms - RATIO_POINT_MAX_MS)
        {
            self.buckets.pop_front();
        }
    }

    /// The mean ratio of the points in `(end − len, end]` (to the bucket), `None` without any.
    fn mean(&self, end: i64, len: i64) -> Option<f64> {
        let start = end - len;
        let (mut sum, mut weight) = (0.0, 0.0);
        for &(b, s, w) in self.buckets.iter().rev() {
            if b - RATIO_POINT_MAX_MS >= end {
                continue;
            }
            if b <= start {
                break;
            }
            sum += s;
            weight += w;
        }
        (weight > 0.0).then(|| sum / weight)
    }
}

fn bucket_end(t: i64) -> i64 {
    ((t - 1).div_euclid(RATIO_POINT_MAX_MS) + 1) * RATIO_POINT_MAX_MS
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
    /// Spacing between the two newest samples (ms): the cadence staleness is judged by.
    spacing_ms: Option<i64>,
    /// The newest window measurement (rate SLIs).
    measured: Option<WindowMeasurement>,
    /// The 5m ratios measured so far (rate SLIs), for the SLO window.
    ratios: RatioHistory,
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
            spacing_ms: None,
            measured: None,
            ratios: RatioHistory::default(),
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
        self.try_ingest(at, good, total);
    }

    /// Like [`ingest`](Self::ingest), reporting whether the sample was accepted.
    pub fn try_ingest(&mut self, at: Timestamp, good: f64, total: f64) -> bool {
        let before = self.series.last_time();
        let ok = self.series.push(ms(at), good, total);
        if ok && let Some(b) = before {
            self.spacing_ms = Some(ms(at) - b);
        }
        ok
    }

    /// Windows of a rate SLI as Prometheus measured them at `at` (see [`WindowMeasurement`]).
    /// The newest measurement rules the fixed windows it holds; each 5m ratio also joins the
    /// history the SLO window's ratio is the mean of. `spacing` is how long the 5m point
    /// stands for (the back-fill's step); `None` = since the previous point. Older
    /// measurements than the newest are ignored.
    pub fn ingest_windows(
        &mut self,
        at: Timestamp,
        windows: Vec<(Window, WindowCounts)>,
        spacing: Option<SignedDuration>,
    ) {
        if self.measured.as_ref().is_some_and(|m| m.at >= at) {
            return;
        }
        let horizon = self.spec.window.as_millis().clamp(0, i64::MAX as i128) as i64;
        if let Some(r) = windows
            .iter()
            .find(|(w, _)| *w == Window::M5)
            .and_then(|(_, c)| c.error_ratio())
        {
            let hint = spacing.map(|d| d.as_millis() as i64);
            self.ratios.push(ms(at), r, hint, horizon);
        }
        let before = self.last_data_ms();
        if let Some(b) = before {
            self.spacing_ms = Some(ms(at) - b);
        }
        self.measured = Some(WindowMeasurement {
            at,
            windows: windows
                .into_iter()
                .filter(|(w, _)| *w != Window::Slo)
                .collect(),
        });
    }

    /// The newest data, sample or measurement (ms).
    fn last_data_ms(&self) -> Option<i64> {
        let m = self.measured.as_ref().map(|m| ms(m.at));
        match (self.series.last_time(), m) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// How long after its newest data this SLO counts as stale: [`STALE_SPACINGS`] times the
    /// spacing of its two newest samples, and at least [`STALE_FLOOR`]. The cadence is learnt
    /// from the data, so it holds for a 1-second live poll and a 5-minute scenario alike.
    pub fn stale_after(&self) -> SignedDuration {
        let by_cadence = self
            .spacing_ms
            .map(|s| SignedDuration::from_millis(s.saturating_mul(STALE_SPACINGS)))
            .unwrap_or(STALE_FLOOR);
        by_cadence.max(STALE_FLOOR)
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

    /// Error ratio over `w` ending at `at`; `None` without traffic. For a rate SLI with
    /// window measurements, the fixed windows are Prometheus's own ratios (the newest measurement
    /// at or before `at`) and the SLO window is the mean of the measured 5m ratios, as Sloth
    /// computes them; otherwise both come from the counters.
    pub fn error_ratio_at(&self, w: Window, at: Timestamp) -> Option<f64> {
        if let Some(m) = self.measured.as_ref().filter(|m| m.at <= at) {
            if w == Window::Slo {
                let len = self.spec.window.as_millis() as i64;
                if let Some(r) = self.ratios.mean(ms(at), len) {
                    return Some(r);
                }
            } else if let Some((_, c)) = m.windows.iter().find(|(x, _)| *x == w) {
                return c.error_ratio();
            }
        }
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

    /// The status at `now`. When the newest data is older than [`stale_after`](Self::stale_after)
    /// the status is the one at that data's time, marked stale with its age: missing samples
    /// are not "no traffic", and the numbers do not drift while nothing new arrives.
    pub fn evaluate(&self, now: Timestamp) -> BudgetStatus {
        let last = self
            .last_data_ms()
            .and_then(|t| Timestamp::from_millisecond(t).ok());
        let stale_age = last
            .map(|l| now.duration_since(l))
            .filter(|age| *age > self.stale_after());
        let at = match (stale_age, last) {
            (Some(_), Some(l)) => l,
            _ => now,
        };
        let mut status = self.evaluate_at(at);
        status.stale_age = stale_age;
        status.last_sample = last;
        status
    }

    fn evaluate_at(&self, now: Timestamp) -> BudgetStatus {
        let mut error_ratio = Vec::with_capacity(Window::ALL.len());
        let mut burn_rates = Vec::with_capacity(Window::ALL.len());
        for w in Window::ALL {
            let r = self.error_ratio_at(w, now);
            error_ratio.push((w, r));
            burn_rates.push((w, r.map(|r| r / self.budget)));
        }
        let burn = |w: Window| burn_rates.iter().find(|(x, _)| *x == w).and_then(|x| x.1);

        let budget_remaining = burn(Window::Slo).map(|b| snap_zero(1.0 - b));
        let events = self.window_counts(Window::Slo, now).map(|c| c.total);
        let min_events = self.spec.min_events();
        let insufficient = events.is_some_and(|n| n < min_events as f64);

        let mut conditions = Vec::new();
        for rule in &WORKBOOK_RULES {
            let threshold = self.threshold(rule);
            if let (Some(long_burn), Some(short_burn)) = (burn(rule.long), burn(rule.short))
                && !insufficient
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
            _ if insufficient => None,
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
            events,
            min_events,
            last_sample: None,
            stale_age: None,
            measured_at: self.measured.as_ref().filter(|m| m.at <= now).map(|m| m.at),
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

    /// Time of the newest accepted sample or window measurement.
    pub fn last_sample_at(&self) -> Option<Timestamp> {
        self.last_data_ms()
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
