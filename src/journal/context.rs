//! What the person deciding saw: the symptoms and the options, captured from the cockpit
//! just before a decision (`Cockpit::decision_context`), carried by the record's body under
//! `"shown"` and exported with the decision ([`super::export`]).

use serde::{Deserialize, Serialize};

use crate::slo::Mode;

/// How many clusters a context keeps (the most urgent first).
pub const CONTEXT_CLUSTERS: usize = 12;
/// How many options (suggestions waiting for a decision) a context keeps.
pub const CONTEXT_OPTIONS: usize = 24;

/// What the person deciding saw: the symptoms and the options. Captured from the cockpit just
/// before a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionContext {
    pub mode: Mode,
    pub mode_reason: String,
    /// The SLO that set the mode, if any.
    pub mode_slo: Option<String>,
    pub budgets: Vec<BudgetContext>,
    pub alerts: AlertCounts,
    /// Clusters with at least one firing alert, most urgent first (at most [`CONTEXT_CLUSTERS`]).
    pub clusters: Vec<ClusterSnapshot>,
    /// The approval queue: suggestions waiting for a decision (at most [`CONTEXT_OPTIONS`]).
    pub options: Vec<OptionContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetContext {
    pub slo: String,
    /// Fraction of the error budget left over the SLO window (may be negative).
    pub budget_remaining: Option<f64>,
    pub burn_5m: Option<f64>,
    pub burn_1h: Option<f64>,
    pub burn_6h: Option<f64>,
    /// Multiwindow conditions that hold: `page` / `ticket`.
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCounts {
    pub total: usize,
    pub firing: usize,
}

/// A cluster as the cockpit shows it: in the `--headless --json` snapshot (with `states`) and
/// in a decision's context (with `noise`). One type for both; each leaves out the other's field,
/// so both JSON shapes are what they always were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSnapshot {
    pub id: String,
    pub size: usize,
    /// Firing and not suppressed (alerts the source lost count as unknown, not here).
    pub firing: usize,
    /// Every member by status: firing, silenced, inhibited, unknown, resolved (the snapshot's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub states: Option<StatusCounts>,
    pub alertnames: Vec<String>,
    pub services: Vec<String>,
    pub origin: Option<String>,
    pub top_runbook: Option<String>,
    /// No good knowledge match: human judgment.
    pub novel: bool,
    /// Flapping, chronic or suppressed (a decision context's; required there when read back).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "Option::<bool>::deserialize"
    )]
    pub noise: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionContext {
    /// `S12`.
    pub id: String,
    /// `runbook-id/step-id`.
    pub step: String,
    /// `diagnostic` / `mitigation`.
    pub kind: String,
    pub cluster: Option<String>,
    /// The policy verdict at that moment, as shown.
    pub verdict: String,
}

/// How many of a cluster's alerts are in each [`AlertStatus`](crate::alerts::AlertStatus).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub firing: usize,
    pub silenced: usize,
    pub inhibited: usize,
    /// The source lost them (Alertmanager restarted, not re-sent yet): neither firing nor
    /// resolved as far as anyone knows.
    pub unknown: usize,
    pub resolved: usize,
}

impl StatusCounts {
    /// Alerts not known to be resolved.
    pub fn open(&self) -> usize {
        self.firing + self.silenced + self.inhibited + self.unknown
    }
}
