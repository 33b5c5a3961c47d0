//! A trainee's drill in the TUI (issue 20.13): the briefing over the paused clock (the story so
//! far, the role, what is scored), closed by a key that starts the clock; and the recorded
//! output of a diagnostic the trainee approves, from the scenario. Snapshots of the briefing at
//! 80×24, 100×30 and 200×60.

use crate::common;
use common::replay::demo;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::training::{briefing, trainee_config, training_session};
use flightdeck::tui::{self, App, Command, Msg, Overlay, Pane};

/// A trainee's drill on the demo, `minutes` in, and the app as the runtime starts it: paused,
/// the scenario's recorded outputs at hand.
fn drill_at(
    minutes: i64,
    size: (u16, u16),
) -> (ReplaySession, App, flightdeck::training::Scenario) {
    let loaded = demo();
    let scenario = loaded.scenario.clone();
    let mut session = training_session(&loaded.scenario, loaded.knowledge, trainee_config("sam"));
    session.advance_to(scenario.start + SignedDuration::from_mins(minutes));
    let mut app = replay_app(&session, size, 60.0);
    if let Some(r) = app.replay.as_mut() {
        r.paused = true;
    }
    app.recorded = scenario.outputs.clone();
    (session, app, scenario)
}

#[test]
fn the_briefing_waits_over_the_paused_clock_and_a_key_starts_it() {
    for key in [KeyCode::Enter, KeyCode::Esc, KeyCode::Char(' ')] {
        let (session, mut app, scenario) = drill_at(0, (100, 30));
        tui::handle(
            &mut app,
            Msg::Briefing(briefing(&scenario, "sam")),
            session.cockpit(),
        );
        assert!(matches!(app.overlay, Overlay::Report { .. }));
        let s = screen(&app, &session);
        assert!(s.contains("Briefing"), "{s}");
        assert!(s.contains("The story so far"), "{s}");
        // Other keys leave it open and the clock waiting.
        assert!(press(&mut app, &session, KeyCode::Char('j')).is_empty());
        assert!(matches!(app.overlay, Overlay::Report { .. }));
        let commands = press(&mut app, &session, key);
        assert_eq!(commands, vec![Command::TogglePause], "{key:?}");
        assert_eq!(app.overlay, Overlay::None);
        assert!(!app.replay.unwrap().paused);
    }
}

#[test]
fn the_briefing_at_three_sizes() {
    for (size, name) in [
        ((80u16, 24u16), "briefing_80x24"),
        ((100, 30), "briefing_100x30"),
        ((200, 60), "briefing_200x60"),
    ] {
        let (session, mut app, scenario) = drill_at(0, size);
        tui::handle(
            &mut app,
            Msg::Briefing(briefing(&scenario, "sam")),
            session.cockpit(),
        );
        insta::assert_snapshot!(name, screen(&app, &session));
    }
}

#[test]
fn a_diagnostic_the_trainee_approves_shows_its_recorded_output() {
    let (session, mut app, scenario) = drill_at(20, (100, 30));
    let view = session.cockpit();
    let step = "postgres-connection-pool/show-pools";
    let recorded = scenario
        .outputs
        .get(step)
        .expect("the demo records show-pools");
    let id = view
        .approval_queue()
        .into_iter()
        .find(|s| s.step_ref.as_str() == step)
        .expect("show-pools on offer at 20 minutes")
        .id;
    press(&mut app, &session, KeyCode::Char('4'));
    app.approvals.selected = Some(id);
    assert_eq!(app.focus, Pane::Approvals);
    press(&mut app, &session, KeyCode::Char('a'));
    let commands = press(&mut app, &session, KeyCode::Char('y'));
    assert!(
        matches!(&commands[..], [Command::Decide(_)]),
        "{commands:?}"
    );
    let s = screen(&app, &session);
    assert!(s.contains(&format!("Recorded output of {id}")), "{s}");
    // As printed: the columns keep their spaces.
    let head = &recorded.lines().next().unwrap()[..40];
    assert!(s.contains(head), "{head:?}\n{s}");
    assert!(s.contains("| checkout |       160 |        214 |"), "{s}");
    // A mitigation shows nothing of the kind.
    let (session, mut app, _) = drill_at(20, (100, 30));
    let view = session.cockpit();
    let mitigation = view
        .approval_queue()
        .into_iter()
        .find(|s| s.step.kind == flightdeck::actions::StepKind::Mitigation)
        .unwrap()
        .id;
    press(&mut app, &session, KeyCode::Char('4'));
    app.approvals.selected = Some(mitigation);
    press(&mut app, &session, KeyCode::Char('a'));
    press(&mut app, &session, KeyCode::Char('y'));
    assert_eq!(app.overlay, Overlay::None);
}
