//! What became of a step that ran: its outcome as the executor reports it and the journal
//! keeps it, and the request the cockpit hands the executor.

use serde::{Deserialize, Serialize};

use super::suggestion::SuggestionId;
use crate::actions::Step;

/// The outcome of running (or dry-running) an approved step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecOutcome {
    pub ok: bool,
    /// How a run that was not ok failed; `None` when it was ok (and in records written before
    /// flightdeck kept it: [`ExecOutcome::could_not_run`] then judges by the exit and summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ExecFailure>,
    pub exit_code: Option<i32>,
    /// One line: "exit 0 in 1.2s", "killed after timeout 30s", "dry run".
    pub summary: String,
    pub duration_ms: u64,
    pub dry_run: bool,
    /// Where the captured stdout and stderr are kept (content-addressed beside the journal,
    /// named by their BLAKE3 hash, so the output is as tamper-evident as this record). `None`
    /// for dry runs, silences, and runs journaled before flightdeck kept output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<StepOutput>,
}

/// The captured output of a run: one object per stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutput {
    pub stdout: OutputObject,
    pub stderr: OutputObject,
}

/// One stream's kept bytes, named by their BLAKE3 hash (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputObject {
    pub blake3: String,
    /// Bytes kept (at most the executor's cap).
    pub bytes: u64,
    /// Bytes beyond the cap: read, counted and dropped.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
}

pub(super) fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How a run failed: whether the step ran at all tells a runbook that no longer works from an
/// outage a diagnostic rightly reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecFailure {
    /// The program could not be started (not found, permission denied, …).
    Spawn,
    /// It ran past its timeout and was killed.
    Timeout,
    /// It ran and exited non-zero (`exit_code`; 126 and 127 are a shell's "cannot execute" and
    /// "not found").
    Exit,
    /// It ran and was ended by a signal (not the timeout's).
    Signal,
    /// The API that carries the step out (Alertmanager, for a silence) failed or refused it.
    Api,
}

impl ExecOutcome {
    /// The step could not run as written: it was not started (not found, no permission), a
    /// shell or wrapper could not execute its command (exit 127, 126), or it was killed at its
    /// timeout. A run that exited non-zero otherwise did run — a diagnostic that fails because
    /// the outage is real (`curl` to an exporter that is down) says nothing about its runbook.
    /// Records from before `failure` was kept are judged by their exit code and summary.
    pub fn could_not_run(&self) -> bool {
        if self.ok || self.dry_run {
            return false;
        }
        let not_executable = matches!(self.exit_code, Some(126 | 127));
        match self.failure {
            Some(ExecFailure::Spawn | ExecFailure::Timeout) => true,
            Some(ExecFailure::Exit) => not_executable,
            Some(ExecFailure::Signal | ExecFailure::Api) => false,
            None => match self.exit_code {
                Some(_) => not_executable,
                None => {
                    self.summary.starts_with("did not run") || self.summary.starts_with("timed out")
                }
            },
        }
    }
}

/// An approved step for the executor.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRequest {
    pub suggestion: SuggestionId,
    pub step: Step,
    pub argv: Vec<String>,
    /// Label values, for steps that declare `shell: true` (environment variables, never text).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Annotation values of the same alert (`FD_ANNOTATION_*` of a shell step).
    pub annotations: std::collections::BTreeMap<String, String>,
    pub dry_run: bool,
    /// Hash of the approval record that completed the approvals.
    pub approval: String,
}
