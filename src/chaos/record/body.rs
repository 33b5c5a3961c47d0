//! The bodies of the `experiment` records a run writes, typed: one variant a phase, serialized
//! with its `phase` tag. Field by field the bytes the `json!` writers wrote before them (the
//! tests compare the two), so records already journaled and records written now read alike.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Hypothesis, StepResult};
use crate::actions::Approval;
use crate::chaos::experiment::Experiment;
use crate::chaos::gate::GateDecision;
use crate::chaos::guard::{Boundary, Breach, Observation};

/// One `experiment` record's body as a run writes it.
#[derive(Debug, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub(super) enum Body<'a> {
    /// The gate refused to start it.
    Refused {
        #[serde(flatten)]
        about: About<'a>,
        hypothesis: &'a str,
        reason: String,
        gate: &'a GateDecision,
        /// The cockpit's launch this run answers (`experiment run` started by `r`).
        #[serde(skip_serializing_if = "Option::is_none")]
        launch: Option<&'a str>,
    },
    /// It started: the experiment as approved, the gate, the approvals, the state at the start.
    Start {
        #[serde(flatten)]
        about: About<'a>,
        run: &'a str,
        hypothesis: &'a str,
        experiment: &'a Experiment,
        gate: &'a GateDecision,
        limits: BTreeMap<String, f64>,
        approvals: &'a [Approval],
        observation: &'a Observation,
        #[serde(skip_serializing_if = "Option::is_none")]
        launch: Option<&'a str>,
    },
    /// One action of the method or of the rollbacks.
    Step {
        #[serde(flatten)]
        about: About<'a>,
        run: &'a str,
        section: &'a str,
        index: usize,
        name: &'a str,
        argv: &'a [String],
        exec: &'a StepResult,
    },
    /// The guard halted it.
    Abort {
        #[serde(flatten)]
        about: About<'a>,
        run: &'a str,
        reason: String,
        breach: &'a Breach,
        evidence: Evidence<'a>,
        spent: &'a BTreeMap<String, f64>,
        limits: &'a BTreeMap<String, f64>,
        boundary: Vec<Boundary>,
    },
    /// It ended, after its rollbacks.
    End {
        #[serde(flatten)]
        about: About<'a>,
        run: &'a str,
        hypothesis: &'a str,
        outcome: String,
        halted: bool,
        breach: Option<&'a Breach>,
        reason: Option<String>,
        hypothesis_result: Hypothesis,
        rollbacks_ok: bool,
        spent: &'a BTreeMap<String, f64>,
        limits: &'a BTreeMap<String, f64>,
        boundary: Vec<Boundary>,
        duration: String,
    },
    /// A run the cockpit started (`r`) ended before its gate decided: no `start` or `refused`
    /// record of its own; the cockpit journals what it knows.
    FailedStart {
        title: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        digest: Option<String>,
        path: &'a str,
        launch: &'a str,
        /// The exit status as the cockpit saw it (`exit 1`, `killed by signal 9`, …).
        status: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        log: &'a str,
        /// The log's last lines, oldest first.
        last_lines: &'a [String],
    },
}

/// What every record of a run names.
#[derive(Debug, Serialize)]
pub(super) struct About<'a> {
    pub title: &'a str,
    pub digest: String,
    pub dry_run: bool,
}

/// What the guard saw when it halted the run.
#[derive(Debug, Serialize)]
pub(super) struct Evidence<'a> {
    pub breach: &'a Breach,
    pub observation: &'a Observation,
}

impl Body<'_> {
    /// The body as the journal stores it.
    pub(super) fn to_value(&self) -> Value {
        // Only string-keyed maps and plain values: serializing cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
