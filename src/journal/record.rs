//! One journal record: who did what, when, under which role, and the chain links.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::actions::Role;
use crate::time::Timestamp;

/// The role a record was written in: a person's [`Role`], flightdeck's own records
/// (`system`: genesis, checkpoints, mode changes), or a name this version does not know, kept
/// as written so the record still re-encodes byte for byte and verifies. On the wire it is the
/// name (`oncall`, `commander`, `trainee`, `system`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordRole {
    Person(Role),
    System,
    Other(String),
}

impl RecordRole {
    /// The name as written in the journal.
    pub fn as_str(&self) -> &str {
        match self {
            RecordRole::Person(role) => role.as_str(),
            RecordRole::System => "system",
            RecordRole::Other(name) => name,
        }
    }

    /// The role a name stands for, exactly as the journal writes it.
    pub fn from_name(name: &str) -> RecordRole {
        match name {
            "system" => RecordRole::System,
            _ => Role::ALL
                .into_iter()
                .find(|r| r.as_str() == name)
                .map_or_else(|| RecordRole::Other(name.to_string()), RecordRole::Person),
        }
    }

    /// The person's role; a name written another way (`IC`, `on-call`) is read the way
    /// `--role` reads it. `None` for flightdeck's own records.
    pub fn person(&self) -> Option<Role> {
        match self {
            RecordRole::Person(role) => Some(*role),
            RecordRole::System => None,
            RecordRole::Other(name) => name.parse().ok(),
        }
    }

    pub fn is_system(&self) -> bool {
        *self == RecordRole::System
    }
}

impl From<Role> for RecordRole {
    fn from(role: Role) -> Self {
        RecordRole::Person(role)
    }
}

impl fmt::Display for RecordRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RecordRole {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RecordRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(RecordRole::from_name(&name))
    }
}

/// What a record is about. Serialized as its `snake_case` name; new kinds are only ever added.
///
/// A kind this version does not know (written by a newer flightdeck) is kept as
/// [`RecordKind::Unknown`] with its name: it still verifies, re-encodes byte for byte and is
/// shown by name, and nothing in the core acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// A chaos experiment run's step: refused by the gate, started, a method or rollback
    /// action, halted by the guard, ended (`body.phase`; docs/FORMATS.md).
    Experiment,
    /// A kind this version does not know, by name.
    Unknown(KindName),
}

/// Every kind this version knows, in one table: its wire name, the short label the panes and
/// listings show, and its name as a decision point in the decision-data export (`None`: not a
/// decision).
#[rustfmt::skip]
const KNOWN: [(RecordKind, &str, &str, Option<&str>); 13] = [
    (RecordKind::Genesis,    "genesis",     "genesis",    None),
    (RecordKind::ModeChange, "mode_change", "mode",       Some("mode_change")),
    (RecordKind::Hypothesis, "hypothesis",  "hypothesis", Some("hypothesis")),
    (RecordKind::Note,       "note",        "note",       Some("note")),
    (RecordKind::Approval,   "approval",    "approve",    Some("approve")),
    (RecordKind::Rejection,  "rejection",   "reject",     Some("reject")),
    (RecordKind::Edit,       "edit",        "edit",       Some("edit")),
    (RecordKind::Proposal,   "proposal",    "propose",    Some("propose")),
    (RecordKind::Execution,  "execution",   "execute",    Some("execute")),
    (RecordKind::Manual,     "manual",      "by hand",    Some("manual")),
    (RecordKind::Checkpoint, "checkpoint",  "checkpoint", None),
    (RecordKind::Override,   "override",    "override",   Some("override")),
    (RecordKind::Experiment, "experiment",  "chaos",      Some("experiment")),
];

/// The name of a record kind this version does not know: 1 to [`KindName::MAX`] bytes of
/// `[a-z0-9_]`, stored inline so that [`RecordKind`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindName {
    len: u8,
    bytes: [u8; KindName::MAX],
}

impl KindName {
    /// The longest kind name a journal may carry.
    pub const MAX: usize = 32;

    /// `name` if it is a well-formed kind name.
    pub fn new(name: &str) -> Option<KindName> {
        let ok = !name.is_empty()
            && name.len() <= Self::MAX
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return None;
        }
        let mut bytes = [0; Self::MAX];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Some(KindName {
            len: name.len() as u8,
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked in `new`).
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("unknown")
    }
}

impl std::fmt::Debug for KindName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl RecordKind {
    /// The kind named `name` on the wire: a known kind, or [`RecordKind::Unknown`] for a
    /// well-formed name this version does not know; `None` for a malformed name.
    pub fn from_name(name: &str) -> Option<RecordKind> {
        KNOWN
            .iter()
            .find(|(_, n, _, _)| *n == name)
            .map(|(k, _, _, _)| *k)
            .or_else(|| KindName::new(name).map(RecordKind::Unknown))
    }

    /// Every kind this version knows, in wire order.
    pub fn known() -> impl Iterator<Item = RecordKind> {
        KNOWN.iter().map(|(k, _, _, _)| *k)
    }

    /// The row of the table for a known kind.
    fn row(
        &self,
    ) -> Option<&'static (RecordKind, &'static str, &'static str, Option<&'static str>)> {
        KNOWN.iter().find(|(k, _, _, _)| k == self)
    }

    /// The wire name (`mode_change`, `approval`, ...).
    pub fn name(&self) -> &str {
        match self {
            RecordKind::Unknown(name) => name.as_str(),
            known => known.row().map_or("unknown", |(_, n, _, _)| n),
        }
    }

    /// The kind's name as a decision point of the decision-data export; `None` for records
    /// that are not decisions (genesis, checkpoints, kinds this version does not know).
    pub fn decision_name(&self) -> Option<&'static str> {
        self.row().and_then(|(_, _, _, d)| *d)
    }

    /// `true` for a kind this version does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, RecordKind::Unknown(_))
    }

    /// The short label the panes and listings show (an unknown kind shows its name).
    pub fn label(&self) -> &str {
        match self {
            RecordKind::Unknown(name) => name.as_str(),
            known => known.row().map_or("unknown", |(_, _, l, _)| l),
        }
    }
}

impl Serialize for RecordKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for RecordKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(d)?;
        RecordKind::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "record kind {name:?} is not a kind name (1 to {} characters of a-z, 0-9, _)",
                KindName::MAX
            ))
        })
    }
}

/// The deepest nesting of arrays and objects a record body may have (the body itself is level
/// 1). Deeper bodies are refused when written: the verifier's JSON parser stops at 128 levels,
/// and a record that could not be read back must never be acknowledged.
pub const MAX_BODY_DEPTH: usize = 100;

/// How deeply `body` nests arrays and objects (a scalar is 0, `[]` is 1, `[[1]]` is 2).
/// Iterative, so a hostile body cannot overflow the stack.
pub fn body_depth(body: &serde_json::Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(body, 1usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            serde_json::Value::Array(items) => {
                deepest = deepest.max(depth);
                stack.extend(items.iter().map(|v| (v, depth + 1)));
            }
            serde_json::Value::Object(map) => {
                deepest = deepest.max(depth);
                stack.extend(map.values().map(|v| (v, depth + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// An entry as the core asks for it to be written; the chain turns it into a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub actor: String,
    pub role: RecordRole,
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
    pub role: RecordRole,
    pub kind: RecordKind,
    pub summary: String,
    pub body: serde_json::Value,
    /// Hash of the previous record (64 hex digits; all zeros before the genesis record).
    pub prev: String,
    /// BLAKE3 over `prev` and the canonical bytes of this record without `hash`.
    pub hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_keep_their_written_name() {
        for (name, role) in [
            ("oncall", RecordRole::Person(Role::Oncall)),
            ("commander", RecordRole::Person(Role::Commander)),
            ("trainee", RecordRole::Person(Role::Trainee)),
            ("system", RecordRole::System),
            ("IC", RecordRole::Other("IC".into())),
        ] {
            let json = format!("\"{name}\"");
            let read: RecordRole = serde_json::from_str(&json).unwrap();
            assert_eq!(read, role);
            assert_eq!(serde_json::to_string(&read).unwrap(), json);
        }
        // A name written another way still names the person's role, as `--role` reads it.
        assert_eq!(RecordRole::from_name("IC").person(), Some(Role::Commander));
        assert_eq!(RecordRole::System.person(), None);
    }

    #[test]
    fn the_kind_table_round_trips_and_names_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for kind in RecordKind::known() {
            assert!(!kind.is_unknown());
            assert_eq!(RecordKind::from_name(kind.name()), Some(kind));
            assert!(
                names.insert(kind.name().to_string()),
                "{} twice",
                kind.name()
            );
            assert!(!kind.label().is_empty());
        }
        assert_eq!(names.len(), KNOWN.len());
        let unknown = RecordKind::from_name("from_the_future").unwrap();
        assert_eq!(unknown.name(), "from_the_future");
        assert_eq!(unknown.label(), "from_the_future");
        assert_eq!(unknown.decision_name(), None);
        assert_eq!(RecordKind::Manual.decision_name(), Some("manual"));
        assert_eq!(RecordKind::Checkpoint.decision_name(), None);
    }
}
