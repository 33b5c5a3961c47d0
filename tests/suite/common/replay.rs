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

/// The bundled demo replayed to its end with its responders' recorded argv left out, so each
/// reference decision lands on the step as this cockpit offers it, whatever it is filled from:
/// for tests of the journal's shape (export, timeline). Whether the recorded argv matches is
/// `replay_reference_argv`'s subject (issue 13, items 1 and 3).
pub fn demo_to_end_offered_argv() -> (Scenario, ReplaySession) {
    let mut loaded = demo();
    for e in &mut loaded.scenario.events {
        if let flightdeck::training::ScenarioEvent::Decision(d) = &mut e.event {
            d.argv = None;
        }
    }
    let mut s = ReplaySession::new(
        loaded.scenario.clone(),
        loaded.knowledge,
        CockpitConfig::default(),
    );
    s.advance_to(loaded.scenario.end());
    (loaded.scenario, s)
}

/// The bundled demo with each responders' recorded argv replaced by the argv this cockpit
/// offers for that step at that moment (in a replay without reference decisions): the scoring
/// tests judge choices of steps, whatever the steps are filled from (issue 13 item 1 changes
/// that); the argv rules have tests of their own (`training_debrief_judges`,
/// `replay_reference_argv`).
pub fn demo_recorded_as_offered() -> LoadedScenario {
    let mut loaded = demo();
    let mut s = ReplaySession::new(
        flightdeck::training::without_reference(&loaded.scenario),
        loaded.knowledge.clone(),
        CockpitConfig::default(),
    );
    for e in &mut loaded.scenario.events {
        let flightdeck::training::ScenarioEvent::Decision(d) = &mut e.event else {
            continue;
        };
        let Some(step) = d.step.clone().filter(|_| d.argv.is_some()) else {
            continue;
        };
        s.advance_to(e.at);
        d.argv = s
            .cockpit()
            .suggestions()
            .iter()
            .find(|x| x.step_ref == step)
            .and_then(|x| x.argv.clone().ok());
    }
    loaded
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
