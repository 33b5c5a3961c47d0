//! Journal lines and their verification, as pure functions over bytes.
//!
//! A journal file is JSON Lines: one sealed [`JournalRecord`] a line, in its canonical form (the
//! exact bytes [`encode_line`] writes). [`Verifier`] checks a journal as a stream of lines — each
//! line must decode, be canonical byte for byte, carry the next `seq`, link to the previous hash
//! and hash correctly; the first record is the genesis record, checkpoint records must describe
//! the journal they sit in. Errors name the seq and the byte offset of the first bad record.
//!
//! The file store (locks, fsync, torn-tail repair) lives at the edge, in `crate::journal_store`;
//! it feeds this verifier with the bytes it reads.

use std::fmt;

use serde::Serialize;

use super::chain::{ZERO_HASH, canonical_and_hash};
use super::record::{JournalRecord, RecordKind};

/// The bytes of one journal line for `record`, newline included.
pub fn encode_line(record: &JournalRecord) -> Vec<u8> {
    let mut line = serde_json::to_vec(record).expect("journal records always serialize");
    line.push(b'\n');
    line
}

/// A checkpoint reference that is not `SEQ:HASH` (each message quotes the text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointRefError {
    #[error("checkpoint {0:?} is not SEQ:HASH")]
    Shape(String),
    #[error("checkpoint {text:?}: {seq:?} is not a sequence number")]
    Seq { text: String, seq: String },
    #[error("checkpoint {0:?}: the hash must be 64 hex digits")]
    Hash(String),
}

/// Parses `SEQ:HASH` (what a checkpoint prints for the user to copy elsewhere).
pub fn parse_checkpoint(text: &str) -> Result<(u64, String), CheckpointRefError> {
    let (seq, hash) = text
        .trim()
        .split_once(':')
        .ok_or_else(|| CheckpointRefError::Shape(text.to_string()))?;
    let seq_number: u64 = seq.parse().map_err(|_| CheckpointRefError::Seq {
        text: text.to_string(),
        seq: seq.to_string(),
    })?;
    let valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(CheckpointRefError::Hash(text.to_string()));
    }
    Ok((seq_number, hash.to_ascii_lowercase()))
}

/// Formats a checkpoint reference as `SEQ:HASH`.
pub fn format_checkpoint(record: &JournalRecord) -> String {
    format!("{}:{}", record.seq, record.hash)
}

/// Why a journal failed verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    #[error("the journal is empty (it has no genesis record)")]
    Empty,
    #[error(
        "the last record is incomplete ({bytes} bytes without a newline: a crash mid-write?); \
         opening the journal moves them to a .torn side file"
    )]
    Torn { bytes: u64 },
    #[error("not a journal record: {message}")]
    Unparsable { message: String },
    #[error("the record's bytes are not its canonical form (they were changed)")]
    NotCanonical,
    #[error("seq is {found}, expected this one (a record was removed, inserted or reordered)")]
    Sequence { found: u64 },
    #[error("prev does not match the previous record's hash (a record was removed or reordered)")]
    Link,
    #[error("hash does not match the record's contents (edited after sealing?)")]
    Hash,
    #[error("not a valid genesis record: {why}")]
    Genesis { why: String },
    #[error("checkpoint record does not describe this journal: {why}")]
    CheckpointBody { why: String },
    #[error("the record's hash is {found}, the checkpoint says {expected}")]
    CheckpointMismatch { found: String, expected: String },
    #[error(
        "the journal ends before checkpoint seq {checkpoint} (last seq: {}): records were cut off",
        last.map_or("none".to_string(), |s| s.to_string())
    )]
    Truncated { last: Option<u64>, checkpoint: u64 },
    #[error("the journal shrank from {was} to {now} bytes while open")]
    Shrunk { was: u64, now: u64 },
    #[error("cannot read the journal: {message}")]
    Io { message: String },
}

/// The first bad record of a journal: its (expected) seq, the byte offset of its line, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("seq {seq} at byte {offset}: {why}")]
pub struct VerifyError {
    pub seq: u64,
    pub offset: u64,
    pub why: Problem,
}

/// What an intact journal holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub journal_id: String,
    /// Number of records, genesis included.
    pub records: u64,
    pub bytes: u64,
    /// Seq and hash of the last record (`SEQ:HASH` is a checkpoint reference).
    pub head_seq: u64,
    pub head_hash: String,
    /// Checkpoint records found in the journal.
    pub checkpoints: u64,
    /// The external checkpoint the journal was checked against, if any.
    pub checked_against: Option<(u64, String)>,
}

/// The end of a buffer that is not a complete, valid record: a crash mid-write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// Byte offset where the tail starts.
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// Why it is not a record (always `Torn`: bytes without a newline).
    pub why: Problem,
}

/// A streaming verifier: feed it a journal's lines in order.
#[derive(Debug, Clone)]
pub struct Verifier {
    next_seq: u64,
    head: String,
    offset: u64,
    journal_id: Option<String>,
    checkpoints: u64,
    last_checkpoint: Option<u64>,
    expect: Option<(u64, String)>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    pub fn new() -> Self {
        Verifier {
            next_seq: 0,
            head: ZERO_HASH.to_string(),
            offset: 0,
            journal_id: None,
            checkpoints: 0,
            last_checkpoint: None,
            expect: None,
        }
    }

    /// Also checks that the record `seq` has hash `hash` (an external checkpoint reference).
    pub fn expect_checkpoint(&mut self, seq: u64, hash: String) {
        self.expect = Some((seq, hash));
    }

    /// Byte offset of the next line.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The seq the next record must carry (= the number of records so far).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The hash of the last record (zeros before the genesis record).
    pub fn head(&self) -> &str {
        &self.head
    }

    pub fn journal_id(&self) -> Option<&str> {
        self.journal_id.as_deref()
    }

    /// The seq of the last checkpoint record seen.
    pub fn last_checkpoint(&self) -> Option<u64> {
        self.last_checkpoint
    }

    fn fail(&self, why: Problem) -> VerifyError {
        VerifyError {
            seq: self.next_seq,
            offset: self.offset,
            why,
        }
    }

    /// Checks one line (without its newline) as the next record and advances past it.
    pub fn feed(&mut self, line: &[u8]) -> Result<JournalRecord, VerifyError> {
        let record: JournalRecord = serde_json::from_slice(line).map_err(|e| {
            self.fail(Problem::Unparsable {
                message: e.to_string(),
            })
        })?;
        let (canonical, hash) = canonical_and_hash(&record);
        if !is_canonical_line(line, &canonical, &record.hash) {
            return Err(self.fail(Problem::NotCanonical));
        }
        if record.seq != self.next_seq {
            return Err(self.fail(Problem::Sequence { found: record.seq }));
        }
        if record.prev != self.head {
            return Err(self.fail(Problem::Link));
        }
        if record.hash != hash {
            return Err(self.fail(Problem::Hash));
        }
        match (record.seq, record.kind) {
            (0, RecordKind::Genesis) => {
                let body = record.read_body();
                match body.genesis().and_then(|g| g.journal_id.as_deref()) {
                    Some(id) if !id.is_empty() => self.journal_id = Some(id.to_string()),
                    _ => {
                        return Err(self.fail(Problem::Genesis {
                            why: "its body has no journal_id".into(),
                        }));
                    }
                }
            }
            (0, kind) => {
                return Err(self.fail(Problem::Genesis {
                    why: format!("the first record is a {} record", kind.label()),
                }));
            }
            (_, RecordKind::Genesis) => {
                return Err(self.fail(Problem::Genesis {
                    why: "a second genesis record".into(),
                }));
            }
            (_, RecordKind::Checkpoint) => {
                self.check_checkpoint_body(&record)?;
                self.checkpoints += 1;
                self.last_checkpoint = Some(record.seq);
            }
            _ => {}
        }
        if let Some((seq, expected)) = &self.expect
            && *seq == record.seq
            && *expected != record.hash
        {
            return Err(self.fail(Problem::CheckpointMismatch {
                found: record.hash.clone(),
                expected: expected.clone(),
            }));
        }
        self.next_seq += 1;
        self.offset += line.len() as u64 + 1;
        self.head.clone_from(&record.hash);
        Ok(record)
    }

    fn check_checkpoint_body(&self, record: &JournalRecord) -> Result<(), VerifyError> {
        let body = record.read_body();
        let checkpoint = body.checkpoint();
        let size = checkpoint.and_then(|c| c.size);
        let head = checkpoint.and_then(|c| c.head.as_deref());
        let why = match (size, head) {
            (Some(size), Some(head)) if size == self.offset && head == self.head => return Ok(()),
            (Some(size), Some(_)) if size != self.offset => {
                format!("size {size}, but the record starts at byte {}", self.offset)
            }
            (Some(_), Some(_)) => "its head is not the previous record's hash".to_string(),
            _ => "its body needs size and head".to_string(),
        };
        Err(self.fail(Problem::CheckpointBody { why }))
    }

    /// Feeds every complete line of `buf` (which starts at this verifier's offset) and passes
    /// each record to `each`. Bytes after the last newline are returned as a [`Tail`] and not
    /// consumed: a crash mid-write leaves exactly that, because every record is written as one
    /// line ending in its newline. A newline-terminated line that is not a valid record —
    /// wherever it sits, the last line included — is corruption, an error naming its seq and
    /// offset: it may be an acknowledged record, so it is never treated as a torn tail.
    pub fn scan(
        &mut self,
        buf: &[u8],
        mut each: impl FnMut(JournalRecord),
    ) -> Result<Option<Tail>, VerifyError> {
        let mut rest = buf;
        while !rest.is_empty() {
            let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                return Ok(Some(Tail {
                    offset: self.offset,
                    bytes: rest.len() as u64,
                    why: Problem::Torn {
                        bytes: rest.len() as u64,
                    },
                }));
            };
            each(self.feed(&rest[..end])?);
            rest = &rest[end + 1..];
        }
        Ok(None)
    }

    /// The report for everything fed so far, after checking the external checkpoint (if any)
    /// was reached.
    pub fn finish(&self) -> Result<VerifyReport, VerifyError> {
        let Some(journal_id) = self.journal_id.clone() else {
            return Err(self.fail(Problem::Empty));
        };
        if let Some((seq, _)) = &self.expect
            && *seq >= self.next_seq
        {
            return Err(self.fail(Problem::Truncated {
                last: self.next_seq.checked_sub(1),
                checkpoint: *seq,
            }));
        }
        Ok(VerifyReport {
            journal_id,
            records: self.next_seq,
            bytes: self.offset,
            head_seq: self.next_seq.saturating_sub(1),
            head_hash: self.head.clone(),
            checkpoints: self.checkpoints,
            checked_against: self.expect.clone(),
        })
    }
}

/// `head`, `len`, `is_empty` and `size` of a journal handle that holds its verified chain in a
/// `verifier` field (the file journal and the PostgreSQL one): one definition for both.
macro_rules! held_chain_accessors {
    () => {
        /// Seq and hash of the last record this handle knows of.
        pub fn head(&self) -> (u64, &str) {
            (
                self.verifier.next_seq().saturating_sub(1),
                self.verifier.head(),
            )
        }

        /// Number of records this handle knows of (the next record's seq).
        pub fn len(&self) -> u64 {
            self.verifier.next_seq()
        }

        pub fn is_empty(&self) -> bool {
            self.verifier.next_seq() == 0
        }

        /// Bytes of verified journal this handle knows of (the records as a file journal's
        /// lines: what checkpoints count).
        pub fn size(&self) -> u64 {
            self.verifier.offset()
        }
    };
}
pub(crate) use held_chain_accessors;

impl VerifyError {
    /// An I/O error reading the journal, before its first record (seq 0, byte 0).
    pub fn io(message: impl fmt::Display) -> VerifyError {
        VerifyError::io_at(&Verifier::new(), message)
    }

    /// An I/O error reading the journal where `v` stands (the next record's seq and offset).
    pub fn io_at(v: &Verifier, message: impl fmt::Display) -> VerifyError {
        VerifyError {
            seq: v.next_seq(),
            offset: v.offset(),
            why: Problem::Io {
                message: message.to_string(),
            },
        }
    }
}

/// `line == canonical` with `,"hash":"HASH"` inserted before the closing brace.
fn is_canonical_line(line: &[u8], canonical: &[u8], hash: &str) -> bool {
    const KEY: &[u8] = b",\"hash\":\"";
    let Some((&b'}', body)) = canonical.split_last() else {
        return false;
    };
    line.len() == body.len() + KEY.len() + hash.len() + 2
        && line.starts_with(body)
        && line[body.len()..].starts_with(KEY)
        && &line[body.len() + KEY.len()..line.len() - 2] == hash.as_bytes()
        && line.ends_with(b"\"}")
}

/// Verifies a whole journal held in memory, strictly: any incomplete or bad record fails,
/// and an external checkpoint `(seq, hash)` must be present with that hash.
pub fn verify_bytes(
    buf: &[u8],
    checkpoint: Option<(u64, String)>,
) -> Result<VerifyReport, VerifyError> {
    let mut verifier = Verifier::new();
    if let Some((seq, hash)) = checkpoint {
        verifier.expect_checkpoint(seq, hash);
    }
    if let Some(tail) = verifier.scan(buf, |_| {})? {
        return Err(VerifyError {
            seq: verifier.next_seq(),
            offset: tail.offset,
            why: tail.why,
        });
    }
    verifier.finish()
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "journal {} intact: {} records, {} bytes, head {}:{}",
            self.journal_id, self.records, self.bytes, self.head_seq, self.head_hash
        )?;
        if let Some((seq, _)) = &self.checked_against {
            write!(f, " (checkpoint seq {seq} matches)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Chain, JournalEntry};
    use crate::time::Timestamp;

    fn journal(n: usize) -> (Vec<JournalRecord>, Vec<u8>) {
        let t0: Timestamp = "2026-03-12T14:00:00Z".parse().unwrap();
        let mut chain = Chain::default();
        let mut records = vec![chain.seal(
            JournalEntry {
                actor: "flightdeck".into(),
                role: crate::journal::RecordRole::System,
                kind: RecordKind::Genesis,
                summary: "journal created".into(),
                body: serde_json::json!({"journal_id": "test"}),
            },
            t0,
        )];
        for i in 1..n {
            records.push(chain.seal(
                JournalEntry {
                    actor: "dana".into(),
                    role: crate::actions::Role::Oncall.into(),
                    kind: RecordKind::Note,
                    summary: format!("note {i}"),
                    body: serde_json::json!({"text": format!("é \"{i}\"\n"), "n": i, "f": 0.1}),
                },
                t0,
            ));
        }
        let bytes = records.iter().flat_map(encode_line).collect();
        (records, bytes)
    }

    #[test]
    fn encoded_lines_are_canonical_and_verify() {
        let (records, bytes) = journal(5);
        for r in &records {
            let line = encode_line(r);
            let (canonical, hash) = canonical_and_hash(r);
            assert_eq!(hash, r.hash);
            assert!(is_canonical_line(
                &line[..line.len() - 1],
                &canonical,
                &r.hash
            ));
        }
        let report = verify_bytes(&bytes, None).unwrap();
        assert_eq!(report.records, 5);
        assert_eq!(report.bytes, bytes.len() as u64);
        assert_eq!(report.journal_id, "test");
        assert_eq!(report.head_hash, records[4].hash);
    }

    #[test]
    fn lenient_parses_are_not_canonical() {
        let (_, bytes) = journal(2);
        let text = String::from_utf8(bytes).unwrap();
        // jiff accepts a lower-case `z`; the record would hash the same, the bytes differ.
        let changed = text.replacen("00Z\"", "00z\"", 1);
        assert_ne!(changed, text);
        let err = verify_bytes(changed.as_bytes(), None).unwrap_err();
        assert_eq!((err.seq, err.offset), (0, 0));
        assert_eq!(err.why, Problem::NotCanonical);
    }

    #[test]
    fn torn_and_garbage_tails() {
        let (_, bytes) = journal(3);
        let cut = &bytes[..bytes.len() - 10];
        let mut v = Verifier::new();
        let tail = v.scan(cut, |_| {}).unwrap().unwrap();
        assert_eq!(v.next_seq(), 2);
        assert_eq!(tail.offset + tail.bytes, cut.len() as u64);
        assert!(matches!(tail.why, Problem::Torn { .. }));
        let err = verify_bytes(cut, None).unwrap_err();
        assert_eq!(err.seq, 2);

        // A complete (newline-terminated) last line that does not decode is corruption, never
        // a torn tail: it may be an acknowledged record.
        let mut garbage = bytes.clone();
        garbage.extend_from_slice(b"\0\0\0\n");
        let err = Verifier::new().scan(&garbage, |_| {}).unwrap_err();
        assert_eq!((err.seq, err.offset), (3, bytes.len() as u64));
        assert!(matches!(err.why, Problem::Unparsable { .. }));
    }

    #[test]
    fn checkpoints_parse_and_bind() {
        let (records, bytes) = journal(4);
        let text = format_checkpoint(&records[2]);
        let cp = parse_checkpoint(&text).unwrap();
        assert!(verify_bytes(&bytes, Some(cp.clone())).is_ok());
        let two: usize = records[..2].iter().map(|r| encode_line(r).len()).sum();
        let err = verify_bytes(&bytes[..two], Some(cp)).unwrap_err();
        assert_eq!(
            err.why,
            Problem::Truncated {
                last: Some(1),
                checkpoint: 2
            }
        );
        assert_eq!(
            parse_checkpoint("12").unwrap_err().to_string(),
            "checkpoint \"12\" is not SEQ:HASH"
        );
        assert_eq!(
            parse_checkpoint("x:00").unwrap_err().to_string(),
            "checkpoint \"x:00\": \"x\" is not a sequence number"
        );
        assert_eq!(
            parse_checkpoint("3:00").unwrap_err().to_string(),
            "checkpoint \"3:00\": the hash must be 64 hex digits"
        );
    }
}
