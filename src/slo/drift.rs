//! Drift detection: an explainable two-sided tabular CUSUM that flags when a metric (the hourly
//! burn rate of an SLO, the share of novel alert clusters, …) leaves the baseline its own history
//! established. A signal says what moved, from what to what, since when, and by how much the
//! statistic exceeded its threshold; the governor then acts one mode stricter until a commander
//! acknowledges it.
//!
//! Method (Page 1954; Montgomery, *Statistical Quality Control*, §9.1): the first `warmup`
//! observations set the baseline mean μ and standard deviation σ (floored at `min_sd`). Each
//! observation is winsorised to `μ ± clip·σ`, then `S⁺ = max(0, S⁺ + x − μ − kσ)` (and, when
//! `detect_down`, `S⁻ = max(0, S⁻ + μ − kσ − x)`); a signal fires when one exceeds `hσ`. The
//! clipping makes a single outlier hour (an incident, which the burn-rate alerts already handle)
//! unable to signal on its own: with the defaults a shift of 3σ must last 3 hours, one of 1.5σ
//! 6 hours. The change point is where the cumulative sum last left zero. After a signal the
//! detector re-baselines on the observations since the change point, so one shift signals once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::SloState;
use super::window::Window;
use crate::time::{Timestamp, clock_hms};

/// Tuning of a [`CusumDetector`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftConfig {
    /// Observations that form the baseline before detection starts.
    pub warmup: usize,
    /// Allowance, in baseline standard deviations (0.5 detects a 1σ shift fastest).
    pub k: f64,
    /// Decision threshold, in baseline standard deviations.
    pub h: f64,
    /// Floor of σ in the metric's unit, so a flat baseline does not make noise a signal.
    pub min_sd: f64,
    /// Observations are clipped to `μ ± clip·σ` before they enter the sums.
    pub clip: f64,
    /// Also signal downward shifts (for burn rates a drop is good news: off by default).
    pub detect_down: bool,
}

impl DriftConfig {
    /// For hourly burn rates: a day of baseline, k = 0.5σ, h = 5σ, σ ≥ 0.25 (burn units),
    /// clipped at 3σ, upward shifts only.
    pub const HOURLY_BURN: DriftConfig = DriftConfig {
        warmup: 24,
        k: 0.5,
        h: 5.0,
        min_sd: 0.25,
        clip: 3.0,
        detect_down: false,
    };
    /// For a share in [0, 1] (e.g. novel clusters): σ ≥ 0.05.
    pub const SHARE: DriftConfig = DriftConfig {
        warmup: 24,
        k: 0.5,
        h: 5.0,
        min_sd: 0.05,
        clip: 3.0,
        detect_down: false,
    };
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig::HOURLY_BURN
    }
}

/// Which way the metric moved.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftDirection {
    Up,
    Down,
}

/// A detected shift, with everything needed to explain it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftSignal {
    pub at: Timestamp,
    /// What was watched, e.g. `1h burn rate`.
    pub metric: String,
    /// The SLO it belongs to, if any.
    pub slo: Option<String>,
    pub direction: DriftDirection,
    pub baseline_mean: f64,
    /// The σ the detector used: the measured one, or `min_sd` when that was larger.
    pub baseline_sd: f64,
    /// The σ measured over the baseline (`None` in signals recorded before it was kept). Shown
    /// beside the floor when the floor was used, so a flat baseline is not read as noisy.
    #[serde(default)]
    pub measured_sd: Option<f64>,
    /// Mean of the observations since the change point.
    pub recent_mean: f64,
    /// Estimated change point: the start of the span the first observation of the run that
    /// crossed the threshold covers (an hourly burn observed at 10:00 covers 09:00–10:00).
    pub since: Timestamp,
    /// Observations since the change point.
    pub observations: usize,
    /// The CUSUM statistic and its threshold (`h × σ`).
    pub statistic: f64,
    pub threshold: f64,
}

impl DriftSignal {
    /// `checkout-availability 1h burn rate rose from 0.40 (σ 0.25) to 2.10 on average since
    /// 09:00:00 (5 observations); CUSUM 8.50 > 1.25`.
    pub fn explain(&self) -> String {
        let who = match &self.slo {
            Some(s) => format!("{s} {}", self.metric),
            None => self.metric.clone(),
        };
        format!(
            "{who} {} from {:.2} ({}) to {:.2} on average since {} ({} observations); CUSUM {:.2} > {:.2}",
            match self.direction {
                DriftDirection::Up => "rose",
                DriftDirection::Down => "fell",
            },
            self.baseline_mean,
            self.sigma_text(),
            self.recent_mean,
            clock_hms(self.since),
            self.observations,
            self.statistic,
            self.threshold
        )
    }
}

impl DriftSignal {
    /// `σ 0.31`, or `σ 0.03 measured, floor 0.25 used` when the floor stood in for it.
    pub fn sigma_text(&self) -> String {
        match self.measured_sd {
            Some(m) if m < self.baseline_sd => {
                format!("σ {m:.2} measured, floor {:.2} used", self.baseline_sd)
            }
            Some(m) => format!("σ {m:.2}"),
            None => format!("σ {:.2}", self.baseline_sd),
        }
    }
}

/// One side of the CUSUM.
#[derive(Clone, Debug, Default)]
struct Side {
    s: f64,
    since: Option<Timestamp>,
    n: usize,
    sum: f64,
}

impl Side {
    fn step(&mut self, at: Timestamp, x: f64, increment: f64) {
        let s = self.s + increment;
        if s <= 0.0 {
            *self = Side::default();
        } else {
            if self.since.is_none() {
                self.since = Some(at);
            }
            self.s = s;
            self.n += 1;
            self.sum += x;
        }
    }
}

/// Two-sided tabular CUSUM over one metric (see the module documentation).
#[derive(Clone, Debug)]
pub struct CusumDetector {
    metric: String,
    slo: Option<String>,
    cfg: DriftConfig,
    warm: Vec<f64>,
    /// `(mean, σ used, σ measured)`.
    baseline: Option<(f64, f64, f64)>,
    /// The span each observation covers (an hourly burn: the hour before it), so the change
    /// point is the start of the first observation's span, not its end.
    covers: crate::time::SignedDuration,
    hi: Side,
    lo: Side,
    /// Observations since the last re-baseline (for the next baseline).
    recent: Vec<(Timestamp, f64)>,
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

impl CusumDetector {
    pub fn new(metric: impl Into<String>, slo: Option<String>, cfg: DriftConfig) -> Self {
        CusumDetector {
            metric: metric.into(),
            slo,
            cfg,
            warm: Vec::new(),
            baseline: None,
            covers: crate::time::SignedDuration::ZERO,
            hi: Side::default(),
            lo: Side::default(),
            recent: Vec::new(),
        }
    }

    /// Each observation covers `span` before its time (see [`DriftSignal::since`]).
    pub fn covering(mut self, span: crate::time::SignedDuration) -> Self {
        self.covers = span;
        self
    }

    /// `(mean, σ)` once the warm-up is complete (σ as used: at least `min_sd`).
    pub fn baseline(&self) -> Option<(f64, f64)> {
        self.baseline.map(|(m, s, _)| (m, s))
    }

    fn set_baseline(&mut self) {
        let (m, s) = mean_sd(&self.warm);
        self.baseline = Some((m, s.max(self.cfg.min_sd), s));
        self.warm.clear();
    }

    /// Current `(S⁺, S⁻)`.
    pub fn statistics(&self) -> (f64, f64) {
        (self.hi.s, self.lo.s)
    }

    /// Feeds one observation; non-finite values are skipped. Returns a signal when a shift is
    /// detected (then re-baselines from the change point).
    pub fn observe(&mut self, at: Timestamp, x: f64) -> Option<DriftSignal> {
        if !x.is_finite() {
            return None;
        }
        let Some((mean, sd, measured)) = self.baseline else {
            self.warm.push(x);
            if self.warm.len() >= self.cfg.warmup.max(2) {
                self.set_baseline();
            }
            return None;
        };
        let allowance = self.cfg.k * sd;
        let c = self.cfg.clip * sd;
        let xc = x.clamp(mean - c, mean + c);
        self.hi.step(at, x, xc - mean - allowance);
        if self.cfg.detect_down {
            self.lo.step(at, x, mean - allowance - xc);
        }
        let threshold = self.cfg.h * sd;
        let (side, direction) = if self.hi.s > threshold {
            (&self.hi, DriftDirection::Up)
        } else if self.lo.s > threshold {
            (&self.lo, DriftDirection::Down)
        } else {
            self.recent.push((at, x));
            if self.recent.len() > 4 * self.cfg.warmup.max(2) {
                self.recent.drain(..self.cfg.warmup);
            }
            return None;
        };
        let since = side.since.unwrap_or(at);
        let signal = DriftSignal {
            at,
            metric: self.metric.clone(),
            slo: self.slo.clone(),
            direction,
            baseline_mean: mean,
            baseline_sd: sd,
            measured_sd: Some(measured),
            recent_mean: side.sum / side.n.max(1) as f64,
            since: crate::time::saturating_offset(since, -self.covers),
            observations: side.n,
            statistic: side.s,
            threshold,
        };
        // Re-baseline on the new regime: the observations since the change point.
        self.recent.push((at, x));
        self.warm = self
            .recent
            .iter()
            .filter(|(t, _)| *t >= since)
            .map(|(_, v)| *v)
            .collect();
        self.recent.clear();
        self.baseline = None;
        self.hi = Side::default();
        self.lo = Side::default();
        if self.warm.len() >= self.cfg.warmup.max(2) {
            self.set_baseline();
        }
        Some(signal)
    }
}

const HOUR_MS: i64 = 3_600_000;
/// At most this many hour boundaries are evaluated per call (a replay seek across weeks does not
/// stall the loop; the skipped hours are simply not observed).
const MAX_CATCH_UP_HOURS: i64 = 72;

/// Watches the 1h burn rate of every SLO at each hour boundary with one [`CusumDetector`] each.
#[derive(Clone, Debug, Default)]
pub struct BurnDriftMonitor {
    cfg: DriftConfig,
    detectors: BTreeMap<String, CusumDetector>,
    /// Last hour boundary observed (ms).
    last_hour: Option<i64>,
}

impl BurnDriftMonitor {
    pub fn new(cfg: DriftConfig) -> Self {
        BurnDriftMonitor {
            cfg,
            detectors: BTreeMap::new(),
            last_hour: None,
        }
    }

    /// The detector of one SLO, for display (baseline, statistics).
    pub fn detector(&self, slo: &str) -> Option<&CusumDetector> {
        self.detectors.get(slo)
    }

    /// Observes the 1h burn rate at every hour boundary in `(last observed, now]`. On the first
    /// call it back-fills `2 × warmup` hours from the states' retained history (a baseline, then
    /// as many hours of detection), so detection starts at once. Hours without traffic are
    /// skipped. Returns the signals raised.
    pub fn observe(&mut self, now: Timestamp, states: &[SloState]) -> Vec<DriftSignal> {
        let current = now.as_millisecond().div_euclid(HOUR_MS) * HOUR_MS;
        let first = match self.last_hour {
            Some(last) if last >= current => return Vec::new(),
            Some(last) => (last + HOUR_MS).max(current - (MAX_CATCH_UP_HOURS - 1) * HOUR_MS),
            None => current - 2 * (self.cfg.warmup as i64) * HOUR_MS,
        };
        self.last_hour = Some(current);
        let mut signals = Vec::new();
        let mut h = first;
        while h <= current {
            let Ok(at) = Timestamp::from_millisecond(h) else {
                h += HOUR_MS;
                continue;
            };
            for st in states {
                let name = &st.spec().name;
                let Some(burn) = st.burn_rate_at(Window::H1, at) else {
                    continue;
                };
                let det = self.detectors.entry(name.clone()).or_insert_with(|| {
                    CusumDetector::new("1h burn rate", Some(name.clone()), self.cfg)
                        .covering(crate::time::SignedDuration::from_hours(1))
                });
                if let Some(sig) = det.observe(at, burn) {
                    signals.push(sig);
                }
            }
            h += HOUR_MS;
        }
        signals
    }
}
