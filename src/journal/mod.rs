//! The audit journal's records and their hash chain.
//!
//! This module is pure: it seals entries into records (`seq`, `prev`, `hash`) and verifies a
//! chain. Durable storage (append with fsync, file locks) belongs to the edge, never here.

pub mod chain;
pub mod record;

pub use chain::{Chain, ChainError, verify};
pub use record::{JournalEntry, JournalRecord, RecordKind};
