//! A record's body, read by its kind: the fields each kind carries, typed, in one place.
//!
//! The body stays on the record exactly as it was written ([`JournalRecord::body`]), so the
//! canonical bytes and the hash chain of every journal are unchanged; this module is the one
//! reader of it. Reading is lenient, as it always was: a field that is absent or of another
//! shape reads as `None` (records written by other versions of flightdeck still read), and a
//! kind this version does not know reads as [`KindBody::Unknown`] — kept, never acted on.
//!
//! It is also the one definition of what flightdeck writes: genesis, note, hypothesis,
//! checkpoint and override bodies are built as these structs and serialized
//! ([`RecordBody::to_value`]), field by field the bytes the `json!` writers wrote before them.
//! Two kinds are written from their own typed structs, which these bodies read: mode changes
//! from the governor's [`ModeChange`], step records from the cockpit's `StepRecord` (a
//! superset of [`StepBody`]; it needs the cockpit's execution outcome). Chaos records
//! (`experiment`) belong to `src/chaos`.

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::record::{JournalRecord, RecordKind};
use crate::actions::{Step, StepKind, StepRef, Verdict};
use crate::slo::{Mode, ModeChange};
use crate::time::Timestamp;

/// The field `key` of a record body read as a `T`; `None` when it is absent or of another shape.
pub fn body_field<T: DeserializeOwned>(body: &Value, key: &str) -> Option<T> {
    body.get(key).and_then(|v| T::deserialize(v).ok())
}

/// A record's body: the fields every kind may carry, and those of its kind. Written as one
/// JSON object (absent fields left out; the kind's fields beside the common ones).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordBody {
    /// The effective mode when the record was written (decisions, notes, overrides: the mode
    /// the override replaced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Written by replaying a scenario's reference decisions.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// flightdeck's own `rejection` of a step whose incident resolved: nobody's decision.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub obsolete: bool,
    /// The cockpit session that wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// What the cockpit showed when the decision was taken (`shown`, or `context` in records
    /// written before it was renamed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown: Option<Value>,
    #[serde(flatten)]
    pub of_kind: KindBody,
}

/// The fields of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GenesisBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_id: Option<String>,
    /// A replay's journal: the scenario's id and title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A live session's in-memory journal: whether the cockpit was read-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckpointBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
}

/// Written whole as the governor's [`ModeChange`] (`change`); the other fields are how it
/// reads, also from records whose body is not one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModeChangeBody {
    /// `None`: the mode a cockpit found when it started (a state, not a change).
    #[serde(skip)]
    pub from: Option<Mode>,
    #[serde(skip)]
    pub to: Option<Mode>,
    /// When the governor changed mode (the record may be written later).
    #[serde(skip)]
    pub at: Option<Timestamp>,
    #[serde(skip)]
    pub reason: Option<String>,
    #[serde(skip)]
    pub slo: Option<String>,
    /// The governor's evidence, as written (`null` included).
    #[serde(skip)]
    pub evidence: Option<Value>,
    /// The deciding SLO's budget left (a fraction), when the record carries it.
    #[serde(skip)]
    pub budget_remaining: Option<f64>,
    /// The drift overlay as data (baseline, σ used and measured, recent mean, since, CUSUM and
    /// its threshold); `None` when absent or `null`.
    #[serde(skip)]
    pub drift: Option<Value>,
    /// The whole change as the governor wrote it, when the body is one.
    #[serde(flatten)]
    pub change: Option<ModeChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OverrideBody {
    /// `None` (written as `null`): the override in force ended.
    pub to: Option<Mode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A note or hypothesis. Written by its own [`Serialize`]: absent fields are left out, except
/// that a mismatch note writes its `outcome` and `reason` even when they are `null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoteBody {
    pub text: Option<String>,
    /// `cli`: written by `flightdeck journal note`.
    pub via: Option<String>,
    /// What it is about: the cluster's name, one member (`source`, and its `source_start`),
    /// the cluster's alert names and services.
    pub cluster: Option<String>,
    pub source: Option<String>,
    pub source_start: Option<Timestamp>,
    pub alertnames: Option<Vec<String>>,
    pub services: Option<Vec<String>>,
    /// `Some("drift")`: the note acknowledges the governor's drift warning.
    pub acknowledge: Option<String>,
    /// The body has an `acknowledge` field at all (whatever its shape).
    pub acknowledges: bool,
    /// A replayed reference decision about a step the cockpit did not know, kept as a note:
    /// its kind (`approve`, `reject`, `execute`), step, argv, outcome and reason.
    pub decision: Option<String>,
    pub step: Option<String>,
    /// The reference decision's argv differs from the step this cockpit offers (`offered`).
    pub mismatch: bool,
    pub argv: Option<Vec<String>>,
    pub offered: Option<OfferedStep>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    /// A live session started on a journal file: its `live:SESSION` id and whether the
    /// cockpit was read-only.
    pub journal_id: Option<String>,
    pub readonly: Option<bool>,
}

/// The step a cockpit offered where a replayed reference decision was about another argv.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OfferedStep {
    pub suggestion: String,
    /// `null`: the offered step has no argv (its target is not filled).
    pub argv: Option<Vec<String>>,
}

impl Serialize for NoteBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn put<M: SerializeMap, T: Serialize>(
            m: &mut M,
            key: &str,
            v: &Option<T>,
            null_too: bool,
        ) -> Result<(), M::Error> {
            match v {
                Some(v) => m.serialize_entry(key, v),
                None if null_too => m.serialize_entry(key, &()),
                None => Ok(()),
            }
        }
        let mut m = s.serialize_map(None)?;
        put(&mut m, "text", &self.text, false)?;
        put(&mut m, "via", &self.via, false)?;
        put(&mut m, "cluster", &self.cluster, false)?;
        put(&mut m, "source", &self.source, false)?;
        put(&mut m, "source_start", &self.source_start, false)?;
        put(&mut m, "alertnames", &self.alertnames, false)?;
        put(&mut m, "services", &self.services, false)?;
        put(&mut m, "acknowledge", &self.acknowledge, false)?;
        put(&mut m, "decision", &self.decision, false)?;
        put(&mut m, "step", &self.step, false)?;
        if self.mismatch {
            m.serialize_entry("mismatch", &true)?;
        }
        put(&mut m, "argv", &self.argv, false)?;
        put(&mut m, "offered", &self.offered, false)?;
        put(&mut m, "outcome", &self.outcome, self.mismatch)?;
        put(&mut m, "reason", &self.reason, self.mismatch)?;
        put(&mut m, "journal_id", &self.journal_id, false)?;
        put(&mut m, "readonly", &self.readonly, false)?;
        m.end()
    }
}

/// Step records are written from the cockpit's `StepRecord` (these fields and more); this
/// serialization writes back what was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<StepRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argv_hash: Option<String>,
    /// The alert whose labels filled the step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The full step as offered or edited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<Step>,
    /// The kind of that step, even when the rest of it does not read.
    #[serde(skip)]
    pub definition_kind: Option<StepKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A manual record's account of what happened, or an execution's one-line outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The policy's verdict when the record was written, as written (never `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    /// An execution's run (never `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExecBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Where the captured output is kept, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
}

impl RecordBody {
    /// Reads `body` as the body of a `kind` record.
    pub fn read(kind: RecordKind, body: &Value) -> RecordBody {
        let of_kind = match kind {
            RecordKind::Genesis => KindBody::Genesis(GenesisBody {
                journal_id: body_field(body, "journal_id"),
                scenario: body_field(body, "scenario"),
                title: body_field(body, "title"),
                readonly: body_field(body, "readonly"),
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
                via: body_field(body, "via"),
                cluster: body_field(body, "cluster"),
                source: body_field(body, "source"),
                source_start: body_field(body, "source_start"),
                alertnames: body_field(body, "alertnames"),
                services: body_field(body, "services"),
                acknowledge: body_field(body, "acknowledge"),
                acknowledges: body.get("acknowledge").is_some(),
                decision: body_field(body, "decision"),
                step: body_field(body, "step"),
                mismatch: body_field(body, "mismatch").unwrap_or(false),
                argv: body_field(body, "argv"),
                offered: body_field(body, "offered"),
                outcome: body_field(body, "outcome"),
                reason: body_field(body, "reason"),
                journal_id: body_field(body, "journal_id"),
                readonly: body_field(body, "readonly"),
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

    /// A body to write: the fields of `of_kind`, none of the common ones yet.
    pub fn of(of_kind: KindBody) -> RecordBody {
        RecordBody {
            mode: None,
            replayed: false,
            obsolete: false,
            session: None,
            shown: None,
            of_kind,
        }
    }

    /// With the effective mode when it is written.
    pub fn with_mode(mut self, mode: Mode) -> RecordBody {
        self.mode = Some(mode);
        self
    }

    /// With the cockpit session that writes it.
    pub fn with_session(mut self, session: impl Into<String>) -> RecordBody {
        self.session = Some(session.into());
        self
    }

    /// Marked as written by replaying a scenario's reference decisions.
    pub fn replayed(mut self) -> RecordBody {
        self.replayed = true;
        self
    }

    /// The body as the journal stores it (one JSON object; its keys sorted, as every body).
    pub fn to_value(&self) -> Value {
        // Cannot fail: every field serializes to JSON with string keys (a NaN would be `null`).
        serde_json::to_value(self).unwrap_or_default()
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

    /// The bytes of a body as the journal stores them.
    fn bytes(v: &Value) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// `typed` (as written now) is byte for byte `before` (what the `json!` writer wrote), and
    /// reading it back and writing it again changes nothing.
    fn same(kind: RecordKind, typed: RecordBody, before: Value) {
        let written = typed.to_value();
        assert_eq!(bytes(&written), bytes(&before), "{kind:?}");
        let again = RecordBody::read(kind, &written).to_value();
        assert_eq!(
            bytes(&again),
            bytes(&before),
            "{kind:?} read and written again"
        );
    }

    fn ts() -> Timestamp {
        "2026-03-12T14:03:07.25Z".parse().unwrap()
    }

    #[test]
    fn genesis_bodies_are_written_as_before() {
        let id = "0f3a9c1d2e";
        same(
            RecordKind::Genesis,
            RecordBody::of(KindBody::Genesis(GenesisBody {
                journal_id: Some(id.into()),
                ..GenesisBody::default()
            })),
            json!({ "journal_id": id }),
        );
        assert_eq!(
            bytes(&crate::journal_store::genesis_body(id)),
            bytes(&json!({ "journal_id": id }))
        );
        // A replay's journal.
        same(
            RecordKind::Genesis,
            RecordBody::of(KindBody::Genesis(GenesisBody {
                journal_id: Some("replay:demo".into()),
                scenario: Some("demo".into()),
                title: Some("Checkout \"slow\" — é".into()),
                readonly: None,
            })),
            json!({"journal_id": "replay:demo", "scenario": "demo",
                   "title": "Checkout \"slow\" — é"}),
        );
        // A live session's in-memory journal, and its note on a journal file.
        let session = "s-7f2a";
        let before = json!({"journal_id": format!("live:{session}"), "session": session,
                            "readonly": false});
        same(
            RecordKind::Genesis,
            RecordBody::of(KindBody::Genesis(GenesisBody {
                journal_id: Some(format!("live:{session}")),
                readonly: Some(false),
                ..GenesisBody::default()
            }))
            .with_session(session),
            before.clone(),
        );
        same(
            RecordKind::Note,
            RecordBody::of(KindBody::Note(NoteBody {
                journal_id: Some(format!("live:{session}")),
                readonly: Some(false),
                ..NoteBody::default()
            }))
            .with_session(session),
            before,
        );
    }

    #[test]
    fn checkpoint_bodies_are_written_as_before() {
        let head = "ab".repeat(32);
        same(
            RecordKind::Checkpoint,
            RecordBody::of(KindBody::Checkpoint(CheckpointBody {
                size: Some(123_456_789_012),
                head: Some(head.clone()),
            })),
            json!({ "size": 123_456_789_012_u64, "head": head }),
        );
    }

    #[test]
    fn note_and_hypothesis_bodies_are_written_as_before() {
        let text = "p99 at 2.1 s, 0.37 failing — \"é\" 😀\nline two";
        // `flightdeck journal note`.
        same(
            RecordKind::Note,
            RecordBody::of(KindBody::Note(NoteBody {
                text: Some(text.into()),
                via: Some("cli".into()),
                ..NoteBody::default()
            })),
            json!({"text": text, "via": "cli"}),
        );
        // The cockpit's note, about nothing and about a cluster.
        same(
            RecordKind::Hypothesis,
            RecordBody::of(KindBody::Note(NoteBody {
                text: Some(text.into()),
                ..NoteBody::default()
            }))
            .with_mode(Mode::Freeze),
            json!({"text": text, "mode": Mode::Freeze}),
        );
        let alertnames: std::collections::BTreeSet<String> =
            ["HighLatency".to_string(), "DBPoolExhausted".to_string()].into();
        let services: std::collections::BTreeSet<String> =
            ["checkout".to_string(), "pgbouncer".to_string()].into();
        let mut before = json!({"text": text, "mode": Mode::Adaptive});
        before["cluster"] = json!("Ch5qp");
        before["source"] = json!("3f2a9c1d2e4b5a6c");
        before["source_start"] = json!(ts());
        before["alertnames"] = json!(alertnames);
        before["services"] = json!(services);
        same(
            RecordKind::Note,
            RecordBody::of(KindBody::Note(NoteBody {
                text: Some(text.into()),
                cluster: Some("Ch5qp".into()),
                source: Some("3f2a9c1d2e4b5a6c".into()),
                source_start: Some(ts()),
                alertnames: Some(alertnames.iter().cloned().collect()),
                services: Some(services.iter().cloned().collect()),
                ..NoteBody::default()
            }))
            .with_mode(Mode::Adaptive),
            before,
        );
        // The commander acknowledges drift.
        same(
            RecordKind::Note,
            RecordBody::of(KindBody::Note(NoteBody {
                acknowledge: Some("drift".into()),
                ..NoteBody::default()
            }))
            .with_mode(Mode::Redesign)
            .with_session("s-1"),
            json!({"acknowledge": "drift", "mode": Mode::Redesign, "session": "s-1"}),
        );
    }

    #[test]
    fn replayed_reference_notes_are_written_as_before() {
        // The decision's name as the cockpit's `DecisionKind` writes it (checked there): the
        // journal does not depend on the cockpit, not even in its tests.
        same(
            RecordKind::Hypothesis,
            RecordBody::of(KindBody::Note(NoteBody {
                text: Some("pool exhausted".into()),
                ..NoteBody::default()
            }))
            .with_mode(Mode::Adaptive)
            .replayed(),
            json!({"text": "pool exhausted", "mode": Mode::Adaptive, "replayed": true}),
        );
        // About a step this cockpit does not know.
        let step_ref = StepRef::from("pool/raise-limit".to_string());
        same(
            RecordKind::Note,
            RecordBody::of(KindBody::Note(NoteBody {
                step: Some(step_ref.to_string()),
                decision: Some("execute".into()),
                ..NoteBody::default()
            }))
            .replayed(),
            json!({"step": step_ref, "decision": "execute", "replayed": true}),
        );
        // About another argv than the one offered: `outcome` and `reason` written even when
        // `null`, and an offered step without an argv.
        let argv = ["kubectl".to_string(), "scale".into(), "--replicas=4".into()];
        for (offered, outcome, reason) in [
            (None, None, None),
            (
                Some(vec!["kubectl".to_string(), "get".into()]),
                Some("3 pods restarted".to_string()),
                Some("not now".to_string()),
            ),
        ] {
            let before = json!({
                "step": step_ref,
                "decision": "reject",
                "replayed": true,
                "mismatch": true,
                "argv": argv,
                "offered": {"suggestion": "S4", "argv": offered.as_ref()},
                "outcome": outcome,
                "reason": reason,
                "mode": Mode::Freeze,
            });
            same(
                RecordKind::Note,
                RecordBody::of(KindBody::Note(NoteBody {
                    step: Some(step_ref.to_string()),
                    decision: Some("reject".into()),
                    mismatch: true,
                    argv: Some(argv.to_vec()),
                    offered: Some(OfferedStep {
                        suggestion: "S4".into(),
                        argv: offered.clone(),
                    }),
                    outcome: outcome.clone(),
                    reason: reason.clone(),
                    ..NoteBody::default()
                }))
                .with_mode(Mode::Freeze)
                .replayed(),
                before,
            );
        }
    }

    #[test]
    fn override_bodies_are_written_as_before() {
        let reason = "stricter while we roll back";
        same(
            RecordKind::Override,
            RecordBody::of(KindBody::Override(OverrideBody {
                to: Some(Mode::Redesign),
                until: Some(ts()),
                reason: Some(reason.into()),
            }))
            .with_mode(Mode::Adaptive)
            .with_session("s-1"),
            json!({"mode": Mode::Adaptive, "to": Mode::Redesign, "until": ts(),
                   "reason": reason, "session": "s-1"}),
        );
        same(
            RecordKind::Override,
            RecordBody::of(KindBody::Override(OverrideBody {
                to: None,
                until: None,
                reason: Some("rollback done".into()),
            }))
            .with_mode(Mode::Redesign)
            .with_session("s-1"),
            json!({"mode": Mode::Redesign, "to": null, "reason": "rollback done",
                   "session": "s-1"}),
        );
    }

    #[test]
    fn mode_change_bodies_are_the_governors_change_written_whole() {
        let change = ModeChange {
            at: ts(),
            from: None,
            to: Mode::Freeze,
            reason: "burn 14.4× over 1h".into(),
            slo: Some("checkout-availability".into()),
            evidence: Vec::new(),
            budget_remaining: Some(0.123_456_789_012_345_6),
            drift: None,
        };
        let before = serde_json::to_value(&change).unwrap();
        let read = RecordBody::read(RecordKind::ModeChange, &before);
        assert_eq!(read.mode_change().unwrap().change.as_ref(), Some(&change));
        same(RecordKind::ModeChange, read, before);
    }
}
