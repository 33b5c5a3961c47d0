//! flightdeck: a terminal on-call cockpit. (Integration in progress: see /tmp/lib.rs.full.)

pub mod actions;
pub mod alerts;
pub mod journal;
pub mod knowledge;
pub mod slo;
pub mod time;
