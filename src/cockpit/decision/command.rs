//! What a person decides at a cockpit (`UserCommand`) and the body of the step records it is
//! journaled as (`StepRecord`). Part of `cockpit::decision`.

use serde::{Deserialize, Serialize};

use crate::actions::silence::SilenceRequest;
use crate::actions::{Step, StepRef, Verdict};
use crate::alerts::ClusterId;
use crate::cockpit::outcome::ExecOutcome;
use crate::cockpit::suggestion::SuggestionId;
use crate::journal::RecordKind;

/// What the person at this cockpit decided.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// Approve a suggestion (the UI has shown the exact argv and asked for confirmation).
    Approve(SuggestionId),
    Reject {
        id: SuggestionId,
        reason: String,
    },
    /// Replace a suggestion's argv; the result is a new, novel step.
    Edit {
        id: SuggestionId,
        argv: Vec<String>,
    },
    Note {
        text: String,
        kind: NoteKind,
        /// The cluster it is about (the focused one when it was written), if any.
        about: Option<ClusterId>,
    },
    /// The commander acknowledges a drift signal; the governor leaves the drift overlay.
    AcknowledgeDrift,
    /// The commander overrides the governor's mode (`to: None` ends the override in force),
    /// with a written reason, for `duration` (at most [`MAX_OVERRIDE`]).
    OverrideMode {
        to: Option<crate::slo::Mode>,
        reason: String,
        duration: crate::time::SignedDuration,
    },
    /// Record that a step was done by hand, outside flightdeck (what the policy tells people
    /// to do with a step it refuses): what was done and what happened. Nothing runs.
    RecordManual {
        id: SuggestionId,
        what: String,
    },
    /// Propose an Alertmanager silence for a cluster: once journaled it waits in the approvals
    /// queue and goes through the policy and the confirm flow like any step.
    ProposeSilence {
        cluster: ClusterId,
        silence: SilenceRequest,
    },
    /// Approve a chaos experiment as a whole (method and rollbacks together), bound to its
    /// digest and to the mode in force when it is journaled: the record `experiment approve`
    /// writes, which the gate counts for an hour.
    ApproveExperiment {
        title: String,
        digest: String,
        argv: Vec<Vec<String>>,
    },
    /// Ask the guard of a running experiment to halt it: a `halt` record the run watches for
    /// (`experiment run` stops the method and runs the rollbacks).
    HaltExperiment {
        run: String,
        title: String,
    },
}

/// The longest a commander's mode override may last; it can be renewed, with a new reason.
pub const MAX_OVERRIDE: crate::time::SignedDuration = crate::time::SignedDuration::from_hours(4);

/// A mode override when none is asked for.
pub const DEFAULT_OVERRIDE: crate::time::SignedDuration =
    crate::time::SignedDuration::from_hours(1);

/// A silence proposal as the cockpit sees it: how many alerts it mutes in its cluster and
/// outside it, the step it becomes, and the policy's verdict before any approval.
#[derive(Debug, Clone, PartialEq)]
pub struct SilencePreview {
    pub inside: usize,
    pub outside: usize,
    pub step: Step,
    pub verdict: Verdict,
}

/// What a person writes down: a free-form note, or a hypothesis about the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    Note,
    Hypothesis,
}

impl NoteKind {
    pub fn toggled(self) -> NoteKind {
        match self {
            NoteKind::Note => NoteKind::Hypothesis,
            NoteKind::Hypothesis => NoteKind::Note,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Note => "note",
            NoteKind::Hypothesis => "hypothesis",
        }
    }

    /// The kind of record it is journaled as.
    pub fn record_kind(self) -> RecordKind {
        match self {
            NoteKind::Note => RecordKind::Note,
            NoteKind::Hypothesis => RecordKind::Hypothesis,
        }
    }
}

/// The body of approval, rejection, edit and execution records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: StepRef,
    pub argv: Vec<String>,
    pub argv_hash: String,
    /// The effective mode when the record was written.
    pub mode: crate::slo::Mode,
    /// The cockpit session that wrote it (executions run only in the approving session).
    pub session: String,
    /// The alert whose labels filled the step.
    #[serde(default)]
    pub source: Option<String>,
    /// The `startsAt` of that alert (which of its activations), and the name of its cluster
    /// when the record was written (`C7f2a`): the journal's name for the incident, which every
    /// cockpit reading the record shows it by (see [`crate::alerts::ClusterName`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_start: Option<crate::time::Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The full step, so another cockpit can rebuild an edited step it never saw.
    #[serde(default)]
    pub definition: Option<Step>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub exec: Option<ExecOutcome>,
    /// Hashes of the approval records an execution ran under (only those that counted).
    #[serde(default)]
    pub approvals: Vec<String>,
    /// Hashes of approvals given for the step that were void when it ran (given in a looser
    /// mode than one it passed through): on record, not credited.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub void_approvals: Vec<String>,
    #[serde(default)]
    pub policy: Option<Verdict>,
    /// Written by replaying a scenario's reference decisions.
    #[serde(default)]
    pub replayed: bool,
    /// A `rejection` written by flightdeck (role `system`), not a person: the step waited
    /// while its cluster stopped firing; `reason` says "obsolete: C3 resolved at 15:09".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub obsolete: bool,
    /// What the cockpit showed when the decision was taken (clusters, budgets, mode, options):
    /// the symptoms of the decision-data export.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "shown")]
    pub context: Option<serde_json::Value>,
}
