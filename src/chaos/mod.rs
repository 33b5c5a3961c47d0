//! The chaos loop under the governor (design brief §1, issue 21): experiments that spend error
//! budget on purpose while there is headroom, and stop themselves when there is not.
//!
//! Pure, like the rest of the core: no I/O, no clock (`tests/suite/purity.rs`).
//!
//! - [`experiment`]: the experiment file (Chaos Toolkit's format plus flightdeck's extension:
//!   blast radius, budget limit, maximum duration), parsed with located errors;
//! - [`gate`]: may it start now (mode from the budgets, budget floor, allowance, incidents in
//!   the blast radius, steady state, approvals), and how much may it spend;
//! - [`guard`]: the state machine that halts a running experiment on a breach and keeps how
//!   close it came to every boundary;
//! - [`observe`]: what a cockpit says about an experiment now (the observation, the approvals,
//!   the status its experiment view shows);
//! - [`record`]: the `experiment` journal records, run summaries, drafts.
//!
//! The edge (`commands::experiment`) gathers observations live (Prometheus, the governor) or in
//! replay, runs the actions, and seals the records.

pub mod experiment;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod gate;
pub mod guard;
pub mod observe;
mod parse;
pub mod record;

pub use experiment::{
    Action, BlastRadius, Experiment, ExperimentError, Probe, ProbeSource, Tolerance,
};
pub use gate::{
    Allowance, Check, FiringAlert, GateConfig, GateDecision, GateInput, ProbeReading, SloHeadroom,
    gate,
};
pub use guard::{Boundary, Breach, Guard, Observation};
pub use record::{Author, DraftKind, Hypothesis, RunSummary, StepResult};
