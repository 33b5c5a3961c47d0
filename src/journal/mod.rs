//! The audit journal's records and their hash chain.
//!
//! This module is pure: it seals entries into records (`seq`, `prev`, `hash`), encodes them as
//! canonical JSON lines and verifies a chain or a journal's bytes. Durable storage (append with
//! fsync, file locks, torn-tail repair) belongs to the edge: `crate::journal_store`.

pub mod body;
pub mod chain;
pub mod codec;
pub mod context;
pub mod export;
pub mod record;
pub mod seal;
pub mod timeline;

pub use body::{
    CheckpointBody, ExecBody, GenesisBody, KindBody, ModeChangeBody, NoteBody, OfferedStep,
    OverrideBody, RecordBody, StepBody, body_field,
};
pub use chain::{Chain, ChainError, verify};
pub use codec::{
    CheckpointRefError, Problem, Tail, Verifier, VerifyError, VerifyReport, encode_line,
    format_checkpoint, parse_checkpoint, verify_bytes,
};
pub use context::{ClusterSnapshot, DecisionContext, StatusCounts};
pub use export::{export_jsonl, export_jsonl_with};
pub use record::{
    JournalEntry, JournalRecord, KindName, MAX_BODY_DEPTH, RecordKind, RecordRole, body_depth,
};
pub use seal::{SealError, Sealed, Sealer, checkpoint_entry};
pub use timeline::timeline_markdown;
