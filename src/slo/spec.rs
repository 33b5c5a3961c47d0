//! The SLO specification as the budget engine sees it: objective and rolling window, independent
//! of the file format it came from (OpenSLO, Sloth). Owns `SloSpec` and the budget arithmetic that
//! depends only on the spec (budget = 1 − objective, Workbook burn thresholds).

use serde::{Deserialize, Serialize};

use crate::time::SignedDuration;

/// One service level objective: `objective` of events good over a rolling `window`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloSpec {
    /// Unique name (OpenSLO `metadata.name`, Sloth `<service>-<name>`); samples refer to it.
    pub name: String,
    pub service: String,
    /// Fraction of events that must be good, in `[0, 1)`, e.g. `0.999`.
    pub objective: f64,
    /// Rolling SLO period, e.g. 30 days.
    pub window: SignedDuration,
    pub description: String,
    /// Fewest events over the SLO window for its burn conditions and budget to move the mode
    /// (issue 17): below it the SLO shows "insufficient data (N events)". `None` = the default,
    /// [`default_min_events`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_events: Option<u64>,
}

impl SloSpec {
    /// A spec with an empty description.
    pub fn new(
        name: impl Into<String>,
        service: impl Into<String>,
        objective: f64,
        window: SignedDuration,
    ) -> Self {
        SloSpec {
            name: name.into(),
            service: service.into(),
            objective,
            window,
            description: String::new(),
            min_events: None,
        }
    }

    /// The same spec with `min_events` set.
    pub fn with_min_events(mut self, n: u64) -> Self {
        self.min_events = Some(n);
        self
    }

    /// Fewest events over the SLO window before the SLO may move the mode: the spec's
    /// `min_events`, else [`default_min_events`] of its objective.
    pub fn min_events(&self) -> u64 {
        self.min_events
            .unwrap_or_else(|| default_min_events(self.objective))
    }

    /// The error budget `1 − objective`, rounded to 12 decimals so that `1 − 0.999` is exactly
    /// the `f64` nearest to `0.001` (objectives are decimal numbers with few digits; without the
    /// rounding a burn of exactly 14.4 would compute as 14.399999999999984).
    pub fn budget(&self) -> f64 {
        budget_of(self.objective)
    }

    /// Checks the invariants the engine relies on: objective in `[0, 1)`, window positive.
    pub fn validate(&self) -> Result<(), InvalidSlo> {
        if !(self.objective.is_finite() && (0.0..1.0).contains(&self.objective)) {
            return Err(InvalidSlo::Objective(self.objective));
        }
        if self.window.as_secs() <= 0 {
            return Err(InvalidSlo::Window);
        }
        if self.name.trim().is_empty() {
            return Err(InvalidSlo::Name);
        }
        Ok(())
    }
}

/// An SLO the engine cannot evaluate ([`SloSpec::validate`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidSlo {
    #[error("objective must be in [0, 1) (e.g. 0.999), got {0}")]
    Objective(f64),
    #[error("window must be positive")]
    Window,
    #[error("name must not be empty")]
    Name,
}

/// `1 − objective` rounded to 12 decimal places (see [`SloSpec::budget`]).
pub fn budget_of(objective: f64) -> f64 {
    let raw = 1.0 - objective;
    let rounded = (raw * 1e12).round() / 1e12;
    if rounded > 0.0 { rounded } else { raw }
}

/// The documented default of `min_events`: enough events that one bad event cannot use up the
/// whole budget — `⌈1 ÷ (1 − objective)⌉` — and never fewer than 100. 99.9% → 1,000 events,
/// 99% → 100, 99.99% → 10,000.
pub fn default_min_events(objective: f64) -> u64 {
    let budget = budget_of(objective);
    if !(budget.is_finite() && budget > 0.0) {
        return 100;
    }
    // Rounded to 6 decimals first: 1 ÷ 0.001 is 1000.0000000000001 in f64, not 1,001 events.
    let need = ((1.0 / budget) * 1e6).round() / 1e6;
    (need.ceil().min(1e12) as u64).max(100)
}
