//! One journal record: who did what, when, under which role, and the chain links.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// What a record is about. Serialized in `snake_case`; new kinds are only ever added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// The first record of a journal; its body names the journal id.
    Genesis,
    /// The governor changed mode; the body carries the evidence.
    ModeChange,
    /// A responder's hypothesis about the cause.
    Hypothesis,
    /// A free-form note.
    Note,
    /// A suggested step was approved (binds to the argv and the mode).
    Approval,
    /// A suggested step was rejected, with the reason.
    Rejection,
    /// A suggested step's argv was edited into a new (novel) step.
    Edit,
    /// A person proposed a new step for a cluster (an Alertmanager silence); it waits in the
    /// approvals queue like any other.
    Proposal,
    /// A step was executed (or dry-run) and its outcome.
    Execution,
    /// A person did a step by hand, outside flightdeck (typically one the policy refused), and
    /// wrote down what they did and what happened.
    Manual,
    /// A periodic or requested checkpoint (size, head hash).
    Checkpoint,
    /// The incident commander overrode the governor's mode (or ended an override), with a
    /// written reason and an end time.
    Override,
}

impl RecordKind {
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Genesis => "genesis",
            RecordKind::ModeChange => "mode",
            RecordKind::Hypothesis => "hypothesis",
            RecordKind::Note => "note",
            RecordKind::Approval => "approve",
            RecordKind::Rejection => "reject",
            RecordKind::Edit => "edit",
            RecordKind::Proposal => "propose",
            RecordKind::Execution => "execute",
            RecordKind::Manual => "by hand",
            RecordKind::Checkpoint => "checkpoint",
            RecordKind::Override => "override",
        }
    }
}

/// The field `key` of a record body read as a `T`; `None` when it is absent or of another shape.
pub fn body_field<T: serde::de::DeserializeOwned>(
    body: &serde_json::Value,
    key: &str,
) -> Option<T> {
    body.get(key).and_then(|v| T::deserialize(v).ok())
}

/// An entry as the core asks for it to be written; the chain turns it into a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub actor: String,
    pub role: String,
    pub kind: RecordKind,
    /// A one-line human summary, shown in the journal pane.
    pub summary: String,
    /// Structured detail (argv, evidence, reason, ...).
    pub body: serde_json::Value,
}

/// A sealed record, one JSON line in the journal file. Field order is the canonical order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalRecord {
    pub seq: u64,
    pub ts: Timestamp,
    pub actor: String,
    pub role: String,
    pub kind: RecordKind,
    pub summary: String,
    pub body: serde_json::Value,
    /// Hash of the previous record (64 hex digits; all zeros before the genesis record).
    pub prev: String,
    /// BLAKE3 over `prev` and the canonical bytes of this record without `hash`.
    pub hash: String,
}
