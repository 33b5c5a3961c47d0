//! The debrief judges what would have happened (issue 13, item 4): a mitigation on another
//! target than the responders' is not the right one; an approval that still needed the
//! commander did not run then; a script's unknown step says so; in the middle of a drill the
//! debrief keeps the responders' decisions hidden until asked; with no decisions there is
//! nothing to score; and the report scrolls to its last line at 80×24.

use crate::common;
use common::replay::{demo, demo_recorded_as_offered, drill_run};
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::load::LoadedScenario;
use flightdeck::time::SignedDuration;
use flightdeck::training::{AttemptResult, Debrief, DrillScript, ScenarioEvent, debrief};
use flightdeck::tui::app::Overlay;

const ROLLBACK: &str = "checkout-high-error-rate/rollback";

fn script(text: &str) -> DrillScript {
    DrillScript::parse("judges.yaml", text).unwrap()
}

fn play(loaded: &LoadedScenario, text: &str) -> (Debrief, flightdeck::training::DrillRun) {
    let (run, session) = drill_run(loaded, "tess", &script(text));
    let d = debrief(
        &loaded.scenario,
        &loaded.knowledge,
        session.records(),
        &run.attempts,
        loaded.scenario.end(),
    );
    (d, run)
}

const ROLLBACK_AT_41M: &str = "- {at: 20m, hypothesis: \"the deploy holds the connections\"}\n\
                               - {at: 41m, approve: checkout-high-error-rate/rollback}\n";

/// The rule itself, on the demo as it is: right exactly when the trainee's rollback argv is
/// the one the responders ran (whatever the cockpit fills the step from).
#[test]
fn the_right_mitigation_is_the_responders_step_on_their_target() {
    let loaded = demo();
    let recorded = loaded
        .scenario
        .reference_decisions()
        .find(|(_, d)| d.step.as_deref() == Some(ROLLBACK))
        .and_then(|(_, d)| d.argv.clone())
        .expect("the demo records the rollback's argv");
    let (run, session) = drill_run(&loaded, "tess", &script(ROLLBACK_AT_41M));
    let approved: Vec<String> = session
        .records()
        .iter()
        .find(|r| r.actor == "tess" && r.body["step"] == ROLLBACK)
        .map(|r| serde_json::from_value(r.body["argv"].clone()).unwrap())
        .expect("the trainee's approval");
    let d = debrief(
        &loaded.scenario,
        &loaded.knowledge,
        session.records(),
        &run.attempts,
        loaded.scenario.end(),
    );
    assert_eq!(d.mitigation.right, approved == recorded, "{}", d.to_text());
}

/// The rollback offered on one deployment, the responders' on another: not the right
/// mitigation, said with both argvs, and nothing mitigated in the budget.
#[test]
fn a_mitigation_on_another_target_is_not_the_right_one() {
    let mut loaded = demo_recorded_as_offered();
    for e in &mut loaded.scenario.events {
        if let ScenarioEvent::Decision(d) = &mut e.event
            && d.step.as_deref() == Some(ROLLBACK)
        {
            let a = d.argv.as_mut().unwrap();
            a[2] = "elsewhere".into();
        }
    }
    let (d, _) = play(&loaded, ROLLBACK_AT_41M);
    let text = d.to_text();
    assert!(!d.mitigation.right, "{text}");
    assert_eq!(d.mitigation.points, 0);
    assert_eq!(d.mitigation.wrong.len(), 1);
    let why = d.mitigation.wrong[0].why.as_deref().unwrap();
    assert!(why.contains("on another target"), "{why}");
    assert!(why.contains("instead of elsewhere"), "{why}");
    assert!(
        d.mitigation.verdict.starts_with("wrong mitigation"),
        "{text}"
    );
    assert!(!d.budget.trainee_mitigated);
    assert!(
        d.safety
            .unnecessary
            .iter()
            .any(|f| f.reason.starts_with("a mitigation on another target")),
        "{text}"
    );
    // The same script with the responders' own argv scores the mitigation.
    let (same, _) = play(&demo_recorded_as_offered(), ROLLBACK_AT_41M);
    assert!(same.mitigation.right, "{}", same.to_text());
    assert!(same.score > d.score);
}

/// In FREEZE at +20m the (pre-audited) rollback needs the commander: the trainee's approval
/// alone did not run it. The budget counts it from the commander's approval in the reference
/// (+34m), not from +20m; without that approval, not at all.
#[test]
fn an_approval_that_needed_the_commander_did_not_run_then() {
    let early = "- {at: 19m, hypothesis: \"the deploy holds the connections\"}\n\
                 - {at: 20m, approve: checkout-high-error-rate/rollback}\n";
    let loaded = demo_recorded_as_offered();
    let start = loaded.scenario.start;
    let (d, _) = play(&loaded, early);
    let text = d.to_text();
    assert!(d.mitigation.right, "{text}");
    assert_eq!(d.mitigation.trainee.as_ref().unwrap().offset_s, 20 * 60);
    let held = d.budget.trainee_held.as_deref().expect(&text);
    assert!(held.contains("needed the commander"), "{held}");
    assert!(d.budget.trainee_mitigated);
    assert_eq!(
        d.budget.trainee_at,
        start + SignedDuration::from_mins(34),
        "{text}"
    );
    assert!(text.contains("needed the commander"), "{text}");
    // Not credited as mitigated at +20m: more budget burned than a rollback that did run at
    // +20m (by hand).
    let (at_once, _) = play(
        &loaded,
        "- {at: 19m, hypothesis: \"the deploy holds the connections\"}\n\
         - {at: 20m, by_hand: checkout-high-error-rate/rollback, what: rolled back}\n",
    );
    assert_eq!(
        at_once.budget.trainee_at,
        start + SignedDuration::from_mins(20)
    );
    let burned = |d: &Debrief| {
        d.budget
            .slos
            .iter()
            .filter_map(|s| s.trainee_burned)
            .sum::<f64>()
    };
    assert!(burned(&d) > burned(&at_once), "{text}");
    // A reference in which the commander never approved it: it never ran.
    let mut never = demo_recorded_as_offered();
    never.scenario.events.retain(|e| {
        !matches!(&e.event, ScenarioEvent::Decision(d)
            if d.step.as_deref() == Some(ROLLBACK) && d.actor == "lee")
    });
    let (n, _) = play(&never, early);
    assert!(!n.budget.trainee_mitigated, "{}", n.to_text());
    assert_eq!(n.budget.trainee_at, never.scenario.end());
    assert!(
        n.budget
            .trainee_held
            .as_deref()
            .unwrap()
            .contains("never approved")
    );
    // A diagnostic-only approval in ADAPTIVE would have run at once: nothing held.
    let (ok, _) = play(
        &loaded,
        "- {at: 41m, by_hand: checkout-high-error-rate/rollback, what: rolled back by hand}\n",
    );
    assert!(ok.budget.trainee_held.is_none(), "{}", ok.to_text());
    assert_eq!(ok.budget.trainee_at, start + SignedDuration::from_mins(41));
}

#[test]
fn a_script_naming_an_unknown_step_says_so() {
    let (d, run) = play(
        &demo_recorded_as_offered(),
        "- {at: 20m, approve: checkout-high-error-rate/rolback}\n\
         - {at: 1m, approve: checkout-high-error-rate/rollback}\n",
    );
    let text = d.to_text();
    let unknown = run
        .attempts
        .iter()
        .find(|a| a.step.as_deref() == Some("checkout-high-error-rate/rolback"))
        .unwrap();
    assert_eq!(unknown.result, AttemptResult::UnknownStep);
    assert_eq!(d.safety.unknown.len(), 1, "{text}");
    assert!(text.contains("unknown step"), "{text}");
    assert!(!text.contains("not offered +20m"), "{text}");
    // A real step before it is on offer is still "not offered".
    let early = run
        .attempts
        .iter()
        .find(|a| a.step.as_deref() == Some(ROLLBACK))
        .unwrap();
    assert_eq!(early.result, AttemptResult::NotOffered, "{early:?}");
}

/// The responders' names, their steps' times and hypotheses: what a spoiler would show.
fn spoilers(d: &Debrief) -> Vec<String> {
    let mut v: Vec<String> = d
        .hypotheses
        .reference
        .iter()
        .map(|h| h.text.clone())
        .collect();
    v.extend([
        "dana".to_string(),
        "lee".to_string(),
        "responders ran".to_string(),
    ]);
    v
}

#[test]
fn mid_drill_the_debrief_hides_the_responders_until_asked() {
    let loaded = demo_recorded_as_offered();
    let mut session = flightdeck::training::training_session(
        &loaded.scenario,
        loaded.knowledge.clone(),
        flightdeck::training::trainee_config("ada"),
    );
    session.advance_to(loaded.scenario.start + SignedDuration::from_mins(20));
    let id =
        flightdeck::training::drill::resolve_step(&session, "postgres-connection-pool/show-pools")
            .unwrap();
    session.command(flightdeck::cockpit::UserCommand::Approve(id));
    let mut app = replay_app(&session, (80, 24), 10.0);
    flightdeck::runtime::show_debrief(&mut app, &loaded.scenario, &loaded.knowledge, &session);
    let Overlay::Report { report, .. } = &app.overlay else {
        panic!("no report: {:?}", app.status);
    };
    let hidden: String = report.lines.iter().map(|l| l.to_string() + "\n").collect();
    let d = debrief(
        &loaded.scenario,
        &loaded.knowledge,
        session.records(),
        &[],
        session.position(),
    );
    for s in spoilers(&d) {
        assert!(!hidden.contains(&s), "spoiler {s:?}\n{hidden}");
    }
    assert!(
        hidden.contains("approved postgres-connection-pool/show-pools"),
        "{hidden}"
    );
    let s = screen(&app, &session);
    assert!(s.contains("Enter reveals"), "{s}");
    // Enter: the full scorecard.
    press(&mut app, &session, KeyCode::Enter);
    let Overlay::Report { report, .. } = &app.overlay else {
        panic!("closed");
    };
    let full: String = report.lines.iter().map(|l| l.to_string() + "\n").collect();
    assert!(full.contains("responders"), "{full}");
    assert!(full.contains("score"), "{full}");
}

#[test]
fn with_no_decisions_there_is_nothing_to_score() {
    let loaded = demo();
    let session = common::replay::session_at(demo(), 40);
    let mut app = replay_app(&session, (80, 24), 10.0);
    flightdeck::runtime::show_debrief(&mut app, &loaded.scenario, &loaded.knowledge, &session);
    assert_eq!(app.overlay, Overlay::None);
    let s = screen(&app, &session);
    assert!(s.contains("nothing to score"), "{s}");
    assert!(!s.contains("/100"), "{s}");
}

/// At 80×24 the debrief's wrapped lines are counted: `G` shows its very last line.
#[test]
fn the_debrief_scrolls_to_its_last_line_at_80_by_24() {
    let loaded = demo_recorded_as_offered();
    let (_, session) = drill_run(
        &loaded,
        "tess",
        &common::replay::drill_script("demo-sharp.yaml"),
    );
    let mut app = replay_app(&session, (80, 24), 10.0);
    flightdeck::runtime::show_debrief(&mut app, &loaded.scenario, &loaded.knowledge, &session);
    let Overlay::Report { report, .. } = &app.overlay else {
        panic!("no report: {:?}", app.status);
    };
    let lines = report.screen_lines((80, 24));
    assert!(lines.len() > report.lines.len(), "long lines wrap");
    let tail = lines.last().unwrap().to_string().trim().to_string();
    assert!(!tail.is_empty());
    press(&mut app, &session, KeyCode::Char('G'));
    let s = screen(&app, &session);
    assert!(
        s.contains(&tail),
        "the last line's end {tail:?} is not on screen\n{s}"
    );
    assert!(s.contains("Esc closes") && !s.contains("more"), "{s}");
}

/// At the end of a trainee's drill the scorecard opens even without decisions: what doing
/// nothing cost, and what the responders did.
#[test]
fn a_drill_that_ends_without_decisions_still_shows_its_scorecard() {
    let loaded = demo();
    let mut session = flightdeck::training::training_session(
        &loaded.scenario,
        loaded.knowledge.clone(),
        flightdeck::training::trainee_config("ada"),
    );
    session.advance_to(loaded.scenario.end());
    let mut app = replay_app(&session, (80, 24), 10.0);
    flightdeck::runtime::show_debrief(&mut app, &loaded.scenario, &loaded.knowledge, &session);
    let Overlay::Report { report, .. } = &app.overlay else {
        panic!("no report: {:?}", app.status);
    };
    assert!(report.reveal.is_none());
    let text: String = report.lines.iter().map(|l| l.to_string() + "\n").collect();
    assert!(text.contains("no mitigation chosen"), "{text}");
}
