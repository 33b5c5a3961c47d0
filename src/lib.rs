//! flightdeck: a terminal on-call cockpit.
//!
//! The pure core (`time`, `slo`, `alerts`, `knowledge`, `actions`, `journal`, `training`,
//! `cockpit`) never touches the terminal, the network, the wall clock or tokio; the edge
//! (`clock`, `sources`, `runtime`, `tui`, `cli`) drives it. See docs/ARCHITECTURE.md.

pub mod actions;
pub mod alerts;
pub mod knowledge;
pub mod slo;
pub mod time;
