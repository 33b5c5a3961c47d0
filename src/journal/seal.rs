//! Sealing new records after a verified head: the one append path of both stores (the file
//! journal and PostgreSQL). Each entry's body depth is checked, the entry is sealed into the
//! chain, and its line is fed to a copy of the verifier, so that nothing is written that would
//! not verify when read back. The store writes the lines and adopts the verifier only once the
//! write succeeded.
//!
//! Pure: entries in, records, lines and the advanced verifier out.

use std::io;

use super::body::{CheckpointBody, KindBody, RecordBody};
use super::chain::Chain;
use super::codec::{Verifier, VerifyError, encode_line};
use super::record::{
    JournalEntry, JournalRecord, MAX_BODY_DEPTH, RecordKind, RecordRole, body_depth,
};
use crate::time::Timestamp;

/// An entry that cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Deeper than a reader could parse back.
    #[error(
        "a {kind} record's body nests {depth} levels deep; a journal record may nest at most \
         {MAX_BODY_DEPTH}"
    )]
    TooDeep { kind: String, depth: usize },
    /// The sealed line failed its own verification (a bug, never written).
    #[error(transparent)]
    Unverifiable(#[from] VerifyError),
}

impl SealError {
    /// As the stores report it: a refused entry names the journal (`place`); a line that does
    /// not verify is corruption (its `VerifyError` inside, as `journal_store::corruption`
    /// finds it).
    pub fn into_io(self, place: &str) -> io::Error {
        match self {
            SealError::TooDeep { .. } => {
                io::Error::new(io::ErrorKind::InvalidInput, format!("{place}: {self}"))
            }
            SealError::Unverifiable(e) => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

/// Records being sealed after a head.
#[derive(Debug, Clone)]
pub struct Sealer {
    chain: Chain,
    verifier: Verifier,
    records: Vec<JournalRecord>,
    lines: Vec<Vec<u8>>,
}

/// What a [`Sealer`] made: the records, their lines (each with its newline) and the verifier
/// advanced past them.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub records: Vec<JournalRecord>,
    pub lines: Vec<Vec<u8>>,
    pub verifier: Verifier,
}

impl Sealer {
    /// Seals after the head `verifier` has verified.
    pub fn after(verifier: &Verifier) -> Sealer {
        Sealer {
            chain: Chain::resume(verifier.next_seq(), verifier.head().to_string()),
            verifier: verifier.clone(),
            records: Vec::new(),
            lines: Vec::new(),
        }
    }

    /// Seals `entry` at `ts` as the next record.
    pub fn push(&mut self, entry: JournalEntry, ts: Timestamp) -> Result<(), SealError> {
        let depth = body_depth(&entry.body);
        if depth > MAX_BODY_DEPTH {
            return Err(SealError::TooDeep {
                kind: entry.kind.name().to_string(),
                depth,
            });
        }
        let record = self.chain.seal(entry, ts);
        let line = encode_line(&record);
        // Self-check: what is stored must verify like any record read back.
        self.verifier.feed(&line[..line.len() - 1])?;
        self.lines.push(line);
        self.records.push(record);
        Ok(())
    }

    /// The verifier as it stands after the records pushed so far.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub fn finish(self) -> Sealed {
        Sealed {
            records: self.records,
            lines: self.lines,
            verifier: self.verifier,
        }
    }
}

/// A checkpoint record's entry for the journal `v` has verified: `{size, head}` = the bytes
/// its records take as a file journal and the hash of its last record.
pub fn checkpoint_entry(actor: String, role: RecordRole, v: &Verifier) -> JournalEntry {
    let (size, head, seq) = (v.offset(), v.head(), v.next_seq());
    JournalEntry {
        actor,
        role,
        kind: RecordKind::Checkpoint,
        summary: format!(
            "checkpoint: {size} bytes, head {}:{}",
            seq.saturating_sub(1),
            &head[..head.len().min(12)]
        ),
        body: RecordBody::of(KindBody::Checkpoint(CheckpointBody {
            size: Some(size),
            head: Some(head.to_string()),
        }))
        .to_value(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genesis_verifier() -> Verifier {
        let genesis = JournalEntry {
            actor: "flightdeck".into(),
            role: RecordRole::System,
            kind: RecordKind::Genesis,
            summary: "journal created".into(),
            body: serde_json::json!({"journal_id": "test"}),
        };
        let record = Chain::default().seal(genesis, Timestamp::UNIX_EPOCH);
        let line = encode_line(&record);
        let mut v = Verifier::default();
        v.feed(&line[..line.len() - 1]).unwrap();
        v
    }

    fn note(body: serde_json::Value) -> JournalEntry {
        JournalEntry {
            actor: "dana".into(),
            role: RecordRole::System,
            kind: RecordKind::Note,
            summary: "n".into(),
            body,
        }
    }

    #[test]
    fn sealed_records_verify_and_a_too_deep_body_is_refused() {
        let v = genesis_verifier();
        let mut s = Sealer::after(&v);
        s.push(
            note(serde_json::json!({"text": "a"})),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        let mut deep = serde_json::json!(1);
        for _ in 0..=MAX_BODY_DEPTH {
            deep = serde_json::json!([deep]);
        }
        let e = s.push(note(deep), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(matches!(e, SealError::TooDeep { depth, .. } if depth == MAX_BODY_DEPTH + 1));
        let io = e.into_io("j.jsonl");
        assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
        assert!(
            io.to_string()
                .starts_with("j.jsonl: a note record's body nests"),
            "{io}"
        );
        let sealed = s.finish();
        assert_eq!(sealed.records.len(), 1, "the refused entry is not sealed");
        assert_eq!(sealed.verifier.next_seq(), v.next_seq() + 1);
        assert!(sealed.lines[0].ends_with(b"\n"));
    }
}
