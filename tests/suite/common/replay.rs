//! The bundled demo replayed on the virtual clock, and trainee drills.

use flightdeck::cockpit::CockpitConfig;
use flightdeck::load::{self, LoadedScenario};
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::training::{
    DrillRun, DrillScript, Scenario, run_drill, trainee_config, training_session,
};

/// The bundled demo scenario and knowledge.
pub fn demo() -> LoadedScenario {
    load::demo().expect("the bundled demo loads")
}

/// A session on `loaded` with the default config, advanced `minutes` past its start.
pub fn session_at(loaded: LoadedScenario, minutes: i64) -> ReplaySession {
    session_with(loaded, minutes, CockpitConfig::default())
}

/// A session on `loaded` with `config`, advanced `minutes` past its start.
pub fn session_with(loaded: LoadedScenario, minutes: i64, config: CockpitConfig) -> ReplaySession {
    let mut session = ReplaySession::new(loaded.scenario, loaded.knowledge, config);
    let to = session.scenario().start + SignedDuration::from_mins(minutes);
    session.advance_to(to);
    session
}

/// A session on the bundled demo, advanced `minutes` past its start.
pub fn demo_at(minutes: i64) -> ReplaySession {
    session_at(demo(), minutes)
}

/// The bundled demo replayed to its end with the default config: its scenario and the session.
pub fn demo_to_end() -> (Scenario, ReplaySession) {
    let loaded = demo();
    let mut s = ReplaySession::new(
        loaded.scenario.clone(),
        loaded.knowledge,
        CockpitConfig::default(),
    );
    s.advance_to(loaded.scenario.end());
    (loaded.scenario, s)
}

/// The drill script `tests/fixtures/training/drills/<name>`.
pub fn drill_script(name: &str) -> DrillScript {
    let text = super::fixture(&format!("training/drills/{name}"));
    DrillScript::parse(name, &text).unwrap()
}

/// Plays `script` as trainee `actor` into a training session of `loaded`, up to the scenario's
/// end: the run and the session.
pub fn drill_run(
    loaded: &LoadedScenario,
    actor: &str,
    script: &DrillScript,
) -> (DrillRun, ReplaySession) {
    let mut session = training_session(
        &loaded.scenario,
        loaded.knowledge.clone(),
        trainee_config(actor),
    );
    let run = run_drill(&mut session, script, loaded.scenario.end());
    (run, session)
}
