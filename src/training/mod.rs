//! Recorded incidents: the scenario format, and the player that releases a scenario's events
//! in virtual time. Pure: the scenario arrives as text, the time as a parameter.

pub mod player;
pub mod scenario;

pub use player::Player;
pub use scenario::{
    DecisionKind, ReferenceDecision, Scenario, ScenarioError, ScenarioEvent, TimedEvent,
};
