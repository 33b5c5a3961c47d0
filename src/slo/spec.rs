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
        }
    }

    /// The error budget `1 − objective`, rounded to 12 decimals so that `1 − 0.999` is exactly
    /// the `f64` nearest to `0.001` (objectives are decimal numbers with few digits; without the
    /// rounding a burn of exactly 14.4 would compute as 14.399999999999984).
    pub fn budget(&self) -> f64 {
        budget_of(self.objective)
    }

    /// Checks the invariants the engine relies on: objective in `[0, 1)`, window positive.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.objective.is_finite() && (0.0..1.0).contains(&self.objective)) {
            return Err(format!(
                "objective must be in [0, 1) (e.g. 0.999), got {}",
                self.objective
            ));
        }
        if self.window.as_secs() <= 0 {
            return Err("window must be positive".to_string());
        }
        if self.name.trim().is_empty() {
            return Err("name must not be empty".to_string());
        }
        Ok(())
    }
}

/// `1 − objective` rounded to 12 decimal places (see [`SloSpec::budget`]).
pub fn budget_of(objective: f64) -> f64 {
    let raw = 1.0 - objective;
    let rounded = (raw * 1e12).round() / 1e12;
    if rounded > 0.0 { rounded } else { raw }
}
