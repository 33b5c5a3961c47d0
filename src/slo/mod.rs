//! Service level objectives: specs, budget math over burn windows, and the governor that turns
//! budget state into the automation mode. Pure: no I/O, no wall clock.

pub mod mode;

pub use mode::Mode;
