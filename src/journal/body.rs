//! A record's body, read by its kind: the fields each kind carries, typed, in one place.
//!
//! The body stays on the record exactly as it was written ([`JournalRecord::body`]), so the
//! canonical bytes and the hash chain of every journal are unchanged; this module is the one
//! reader of it. Reading is lenient, as it always was: a field that is absent or of another
//! shape reads as `None` (records written by other versions of flightdeck still read), and a
//! kind this version does not know reads as [`KindBody::Unknown`] — kept, never acted on.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::record::{JournalRecord, RecordKind};
use crate::actions::{Step, StepKind, StepRef, Verdict};
use crate::slo::{Mode, ModeChange};
use crate::time::Timestamp;

/// The field `key` of a record body read as a `T`; `None` when it is absent or of another shape.
pub fn body_field<T: DeserializeOwned>(body: &Value, key: &str) -> Option<T> {
    body.get(key).and_then(|v| T::deserialize(v).ok())
}

/// A record's body: the fields every kind may carry, and those of its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordBody {
    /// The effective mode when the record was written (decisions, notes, overrides: the mode
    /// the override replaced).
    pub mode: Option<Mode>,
    /// Written by replaying a scenario's reference decisions.
    pub replayed: bool,
    /// flightdeck's own `rejection` of a step whose incident resolved: nobody's decision.
    pub obsolete: bool,
    /// The cockpit session that wrote it.
    pub session: Option<String>,
    /// What the cockpit showed when the decision was taken (`shown`, or `context` in records
    /// written before it was renamed).
    pub shown: Option<Value>,
    pub of_kind: KindBody,
}

/// The fields of one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum KindBody {
    Genesis(GenesisBody),
    ModeChange(ModeChangeBody),
    /// A hypothesis or a note.
    Note(NoteBody),
    /// An approval, rejection, edit, proposal, execution or manual record.
    Step(Box<StepBody>),
    Checkpoint(CheckpointBody),
    Override(OverrideBody),
    /// A chaos experiment's phase record (approve, refused, start, step, abort, end), read as
    /// written: `src/chaos` owns its shape (docs/FORMATS.md, "Experiments").
    Experiment(Value),
    /// A kind this version does not know.
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenesisBody {
    pub journal_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointBody {
    pub size: Option<u64>,
    pub head: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModeChangeBody {
    /// `None`: the mode a cockpit found when it started (a state, not a change).
    pub from: Option<Mode>,
    pub to: Option<Mode>,
    /// When the governor changed mode (the record may be written later).
    pub at: Option<Timestamp>,
    pub reason: Option<String>,
    pub slo: Option<String>,
    /// The governor's evidence, as written (`null` included).
    pub evidence: Option<Value>,
    /// The deciding SLO's budget left (a fraction), when the record carries it.
    pub budget_remaining: Option<f64>,
    /// The drift overlay as data (baseline, σ used and measured, recent mean, since, CUSUM and
    /// its threshold); `None` when absent or `null`.
    pub drift: Option<Value>,
    /// The whole change as the governor wrote it, when the body is one.
    pub change: Option<ModeChange>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverrideBody {
    /// `None`: the override in force ended.
    pub to: Option<Mode>,
    pub until: Option<Timestamp>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoteBody {
    pub text: Option<String>,
    pub cluster: Option<String>,
    pub alertnames: Option<Vec<String>>,
    /// `Some("drift")`: the note acknowledges the governor's drift warning.
    pub acknowledge: Option<String>,
    /// The body has an `acknowledge` field at all (whatever its shape).
    pub acknowledges: bool,
    /// A replayed reference decision about a step the cockpit did not know, kept as a note:
    /// its kind (`approve`, `reject`, `execute`), step, argv, outcome and reason.
    pub decision: Option<String>,
    pub step: Option<String>,
    pub argv: Option<Vec<String>>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepBody {
    pub step: Option<StepRef>,
    pub argv: Option<Vec<String>>,
    pub argv_hash: Option<String>,
    /// The alert whose labels filled the step.
    pub source: Option<String>,
    /// The full step as offered or edited.
    pub definition: Option<Step>,
    /// The kind of that step, even when the rest of it does not read.
    pub definition_kind: Option<StepKind>,
    pub reason: Option<String>,
    /// A manual record's account of what happened, or an execution's one-line outcome.
    pub outcome: Option<String>,
    /// The policy's verdict when the record was written, as written (never `null`).
    pub policy: Option<Value>,
    /// An execution's run (never `null`).
    pub exec: Option<ExecBody>,
}

impl StepBody {
    /// The policy's verdict when the record was written, typed.
    pub fn verdict(&self) -> Option<Verdict> {
        self.policy
            .as_ref()
            .and_then(|v| Verdict::deserialize(v).ok())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecBody {
    pub summary: Option<String>,
    pub ok: Option<bool>,
    pub dry_run: Option<bool>,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<u64>,
    /// Where the captured output is kept, as written.
    pub output: Option<Value>,
}

impl RecordBody {
    /// Reads `body` as the body of a `kind` record.
    pub fn read(kind: RecordKind, body: &Value) -> RecordBody {
        let of_kind = match kind {
            RecordKind::Genesis => KindBody::Genesis(GenesisBody {
                journal_id: body_field(body, "journal_id"),
            }),
            RecordKind::Checkpoint => KindBody::Checkpoint(CheckpointBody {
                size: body_field(body, "size"),
                head: body_field(body, "head"),
            }),
            RecordKind::ModeChange => KindBody::ModeChange(ModeChangeBody {
                from: body_field(body, "from"),
                to: body_field(body, "to"),
                at: body_field(body, "at"),
                reason: body_field(body, "reason"),
                slo: body_field(body, "slo"),
                evidence: body.get("evidence").cloned(),
                budget_remaining: body_field(body, "budget_remaining"),
                drift: body.get("drift").filter(|v| !v.is_null()).cloned(),
                change: ModeChange::deserialize(body).ok(),
            }),
            RecordKind::Override => KindBody::Override(OverrideBody {
                to: body_field(body, "to"),
                until: body_field(body, "until"),
                reason: body_field(body, "reason"),
            }),
            RecordKind::Hypothesis | RecordKind::Note => KindBody::Note(NoteBody {
                text: body_field(body, "text"),
                cluster: body_field(body, "cluster"),
                alertnames: body_field(body, "alertnames"),
                acknowledge: body_field(body, "acknowledge"),
                acknowledges: body.get("acknowledge").is_some(),
                decision: body_field(body, "decision"),
                step: body_field(body, "step"),
                argv: body_field(body, "argv"),
                outcome: body_field(body, "outcome"),
                reason: body_field(body, "reason"),
            }),
            RecordKind::Approval
            | RecordKind::Rejection
            | RecordKind::Edit
            | RecordKind::Proposal
            | RecordKind::Execution
            | RecordKind::Manual => KindBody::Step(Box::new(StepBody {
                step: body_field(body, "step"),
                argv: body_field(body, "argv"),
                argv_hash: body_field(body, "argv_hash"),
                source: body_field(body, "source"),
                definition: body_field(body, "definition"),
                definition_kind: body.get("definition").and_then(|d| body_field(d, "kind")),
                reason: body_field(body, "reason"),
                outcome: body_field(body, "outcome"),
                policy: body.get("policy").filter(|v| !v.is_null()).cloned(),
                exec: body.get("exec").filter(|v| !v.is_null()).map(|e| ExecBody {
                    summary: body_field(e, "summary"),
                    ok: body_field(e, "ok"),
                    dry_run: body_field(e, "dry_run"),
                    exit_code: body_field(e, "exit_code"),
                    duration_ms: body_field(e, "duration_ms"),
                    output: e.get("output").cloned(),
                }),
            })),
            RecordKind::Experiment => KindBody::Experiment(body.clone()),
            RecordKind::Unknown(_) => KindBody::Unknown,
        };
        RecordBody {
            mode: body_field(body, "mode"),
            replayed: body_field(body, "replayed").unwrap_or(false),
            obsolete: body_field(body, "obsolete").unwrap_or(false),
            session: body_field(body, "session"),
            shown: body.get("shown").or_else(|| body.get("context")).cloned(),
            of_kind,
        }
    }

    pub fn genesis(&self) -> Option<&GenesisBody> {
        match &self.of_kind {
            KindBody::Genesis(b) => Some(b),
            _ => None,
        }
    }

    pub fn checkpoint(&self) -> Option<&CheckpointBody> {
        match &self.of_kind {
            KindBody::Checkpoint(b) => Some(b),
            _ => None,
        }
    }

    pub fn mode_change(&self) -> Option<&ModeChangeBody> {
        match &self.of_kind {
            KindBody::ModeChange(b) => Some(b),
            _ => None,
        }
    }

    pub fn override_(&self) -> Option<&OverrideBody> {
        match &self.of_kind {
            KindBody::Override(b) => Some(b),
            _ => None,
        }
    }

    pub fn note(&self) -> Option<&NoteBody> {
        match &self.of_kind {
            KindBody::Note(b) => Some(b),
            _ => None,
        }
    }

    pub fn step(&self) -> Option<&StepBody> {
        match &self.of_kind {
            KindBody::Step(b) => Some(&**b),
            _ => None,
        }
    }
}

impl JournalRecord {
    /// This record's body, read by its kind.
    pub fn read_body(&self) -> RecordBody {
        RecordBody::read(self.kind, &self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_of_another_shape_read_as_absent_and_unknown_kinds_as_unknown() {
        let b = RecordBody::read(
            RecordKind::Execution,
            &json!({"step": "rb/s", "argv": "not a list", "mode": "freeze", "exec": null,
                    "policy": null, "obsolete": "yes"}),
        );
        let step = b.step().unwrap();
        assert_eq!(step.step.as_ref().map(|s| s.as_str()), Some("rb/s"));
        assert_eq!(step.argv, None);
        assert_eq!(step.exec, None);
        assert_eq!(step.policy, None);
        assert_eq!(b.mode, Some(Mode::Freeze));
        assert!(!b.obsolete);
        let future = RecordKind::from_name("from_the_future").unwrap();
        assert_eq!(
            RecordBody::read(future, &json!({"x": 1})).of_kind,
            KindBody::Unknown
        );
        let shown = RecordBody::read(RecordKind::Approval, &json!({"context": {"a": 1}}));
        assert_eq!(shown.shown, Some(json!({"a": 1})));
    }

    #[test]
    fn every_known_kind_reads_as_its_own_body() {
        for kind in RecordKind::known() {
            let b = RecordBody::read(kind, &json!({}));
            let ok = match kind {
                RecordKind::Genesis => b.genesis().is_some(),
                RecordKind::Checkpoint => b.checkpoint().is_some(),
                RecordKind::ModeChange => b.mode_change().is_some(),
                RecordKind::Override => b.override_().is_some(),
                RecordKind::Hypothesis | RecordKind::Note => b.note().is_some(),
                RecordKind::Experiment => matches!(b.of_kind, KindBody::Experiment(_)),
                RecordKind::Unknown(_) => false,
                _ => b.step().is_some(),
            };
            assert!(ok, "{kind:?}");
        }
    }
}
