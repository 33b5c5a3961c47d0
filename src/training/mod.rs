//! Recorded incidents: the scenario format, and the player that releases a scenario's events
//! in virtual time; trainee drills, their debrief, and recording a real incident as a scenario.
//! Pure: the scenario arrives as text, the time as a parameter.

pub mod briefing;
pub mod debrief;
pub mod drill;
pub mod guide;
pub mod player;
pub mod record;
pub mod replay;
pub mod scenario;

pub use briefing::briefing;
pub use debrief::{Debrief, debrief};
pub use drill::{
    Attempt, AttemptResult, DrillRun, DrillScript, TrainingRun, decision_times, run_drill,
    run_training, trainee_config, training_session, without_reference,
};
pub use guide::{Guide, Step};
pub use player::Player;
pub use record::{
    EVENTS_FILE_ABOVE, RecordError, RecordInput, RecordStats, Recorded, TimedAlert,
    parse_alert_history, record_scenario, record_scenario_parts, record_scenario_with_stats,
    timed_from_alerts,
};
pub use scenario::{
    DecisionKind, ReferenceDecision, Scenario, ScenarioError, ScenarioEvent, TimedEvent,
};
