//! The hash chain: `hash = BLAKE3(prev || canonical record)`.
//!
//! Canonical bytes are the compact JSON of the record without its `hash` field, fields in
//! declaration order and object keys sorted (serde_json's default map is ordered), so the
//! same record always hashes the same on every machine.

use serde::Serialize;

use super::record::{JournalEntry, JournalRecord, RecordKind, RecordRole};
use crate::time::Timestamp;

/// The `prev` of the first record.
pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Serialize)]
struct Unsealed<'a> {
    seq: u64,
    ts: Timestamp,
    actor: &'a str,
    role: &'a RecordRole,
    kind: RecordKind,
    summary: &'a str,
    body: &'a serde_json::Value,
    prev: &'a str,
}

fn digest(record: &Unsealed<'_>) -> String {
    let canonical = serde_json::to_vec(record).expect("journal records always serialize");
    digest_canonical(record.prev, &canonical)
}

fn digest_canonical(prev: &str, canonical: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(prev.as_bytes());
    hasher.update(canonical);
    hasher.finalize().to_hex().to_string()
}

fn unsealed(r: &JournalRecord) -> Unsealed<'_> {
    Unsealed {
        seq: r.seq,
        ts: r.ts,
        actor: &r.actor,
        role: &r.role,
        kind: r.kind,
        summary: &r.summary,
        body: &r.body,
        prev: &r.prev,
    }
}

fn hash_of(r: &JournalRecord) -> String {
    digest(&unsealed(r))
}

/// The canonical bytes of `r` (compact JSON without `hash`) and the hash they give after
/// `r.prev`. The journal line of a sealed record is these bytes with `,"hash":"…"` inserted
/// before the closing brace (see [`super::codec`]).
pub fn canonical_and_hash(r: &JournalRecord) -> (Vec<u8>, String) {
    let canonical = serde_json::to_vec(&unsealed(r)).expect("journal records always serialize");
    let hash = digest_canonical(&r.prev, &canonical);
    (canonical, hash)
}

/// The head of a chain: the next sequence number and the last hash.
#[derive(Debug, Clone)]
pub struct Chain {
    next_seq: u64,
    head: String,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            next_seq: 0,
            head: ZERO_HASH.to_string(),
        }
    }
}

impl Chain {
    /// Continues a chain after `last` (e.g. one read from a journal file).
    pub fn after(last: &JournalRecord) -> Self {
        Chain {
            next_seq: last.seq + 1,
            head: last.hash.clone(),
        }
    }

    /// Continues a chain whose next record is `next_seq` and whose head hash is `head`.
    pub fn resume(next_seq: u64, head: String) -> Self {
        Chain { next_seq, head }
    }

    pub fn len(&self) -> u64 {
        self.next_seq
    }

    pub fn is_empty(&self) -> bool {
        self.next_seq == 0
    }

    pub fn head(&self) -> &str {
        &self.head
    }

    /// Seals `entry` at `ts` as the next record and advances the head.
    pub fn seal(&mut self, entry: JournalEntry, ts: Timestamp) -> JournalRecord {
        let mut record = JournalRecord {
            seq: self.next_seq,
            ts,
            actor: entry.actor,
            role: entry.role,
            kind: entry.kind,
            summary: entry.summary,
            body: entry.body,
            prev: self.head.clone(),
            hash: String::new(),
        };
        record.hash = hash_of(&record);
        self.next_seq += 1;
        self.head = record.hash.clone();
        record
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainError {
    #[error("record {index}: seq is {found}, expected {expected}")]
    Sequence {
        index: usize,
        found: u64,
        expected: u64,
    },
    #[error("record seq {seq}: prev does not match the previous record's hash")]
    Link { seq: u64 },
    #[error("record seq {seq}: hash does not match its contents (edited after sealing?)")]
    Hash { seq: u64 },
}

/// Checks seq continuity, links and hashes; returns the first break.
pub fn verify(records: &[JournalRecord]) -> Result<(), ChainError> {
    let mut prev = ZERO_HASH.to_string();
    let first = records.first().map(|r| r.seq).unwrap_or(0);
    for (index, r) in records.iter().enumerate() {
        let expected = first + index as u64;
        if r.seq != expected {
            return Err(ChainError::Sequence {
                index,
                found: r.seq,
                expected,
            });
        }
        // A verified slice may start mid-journal (after a checkpoint); its first link is
        // then checked against the checkpoint by the caller.
        if (index > 0 || first == 0) && r.prev != prev {
            return Err(ChainError::Link { seq: r.seq });
        }
        if hash_of(r) != r.hash {
            return Err(ChainError::Hash { seq: r.seq });
        }
        prev = r.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(summary: &str) -> JournalEntry {
        JournalEntry {
            actor: "dana".into(),
            role: crate::actions::Role::Oncall.into(),
            kind: RecordKind::Note,
            summary: summary.into(),
            body: serde_json::json!({"text": summary}),
        }
    }

    fn chain_of(n: usize) -> Vec<JournalRecord> {
        let mut chain = Chain::default();
        let t0: Timestamp = "2026-03-12T14:00:00Z".parse().unwrap();
        (0..n)
            .map(|i| chain.seal(entry(&format!("note {i}")), t0))
            .collect()
    }

    #[test]
    fn sealed_chain_verifies() {
        let records = chain_of(10);
        assert_eq!(records[0].prev, ZERO_HASH);
        assert_eq!(records[3].prev, records[2].hash);
        assert_eq!(verify(&records), Ok(()));
    }

    #[test]
    fn edits_deletions_and_reorders_are_detected() {
        let records = chain_of(10);
        let mut edited = records.clone();
        edited[4].summary = "note 4 (quietly changed)".into();
        assert_eq!(verify(&edited), Err(ChainError::Hash { seq: 4 }));

        let mut deleted = records.clone();
        deleted.remove(5);
        assert!(verify(&deleted).is_err());

        let mut reordered = records.clone();
        reordered.swap(2, 3);
        assert!(verify(&reordered).is_err());
    }
}
