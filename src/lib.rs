//! flightdeck: a terminal on-call cockpit.
//!
//! The pure core (`time`, `slo`, `alerts`, `knowledge`, `actions`, `journal`, `training`,
//! `cockpit`, `replay`) never touches the terminal, the network, the wall clock or tokio; the
//! edge (`clock`, `load`, `paths`, `runtime`, `headless`, `tui` rendering, `cli`) drives it.
//! See docs/ARCHITECTURE.md.

// Pure core.
pub mod actions;
pub mod alerts;
pub mod chaos;
pub mod cockpit;
pub mod diagnostic;
pub mod journal;
pub mod knowledge;
pub mod slo;
pub mod time;
pub mod training;
/// A replay session lives with the scenarios it plays (`training::replay`); the path
/// `crate::replay` stays.
pub use training::replay;

// Edge.
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod exec;
pub mod fuzz;
pub mod headless;
pub mod journal_pg;
pub mod journal_sign;
pub mod journal_store;
pub mod knowledge_watch;
pub mod live;
pub mod load;
pub mod outputs;
pub mod paths;
pub mod runtime;
pub mod sanitize;
pub mod session_journal;
pub mod silencer;
pub mod sources;
pub mod terminal;
pub mod tui;
pub mod whoami;
