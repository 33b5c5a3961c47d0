//! The keys in force follow the cockpit's mode: live has no replay controls (help, palette,
//! key hints), a replay has them, a trainee's drill names them as the drill's.

use crate::common;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::tui::{App, CockpitMode};

/// Replay controls, by what help says about them.
const REPLAY_KEYS: [&str; 6] = [
    "replay: pause or resume",
    "replay: faster",
    "replay: slower",
    "replay: back 5 minutes",
    "replay: forward 5 minutes",
    "replay: debrief",
];

/// Help opened on a tall screen (every line of it shown).
fn help_screen(app: &mut App, session: &flightdeck::replay::ReplaySession) -> String {
    app.size = (100, 90);
    press(app, session, KeyCode::Char('?'));
    screen(app, session)
}

#[test]
fn live_help_lists_no_replay_keys() {
    let session = common::replay::demo_at(10);
    // Live: the runtime reports no replay clock.
    let mut app = App::default();
    assert_eq!(CockpitMode::of(&app, session.cockpit()), CockpitMode::Live);
    let s = help_screen(&mut app, &session);
    assert!(s.contains("keys in force, live"), "{s}");
    assert!(s.contains("quit") && s.contains("approve"), "{s}");
    for key in REPLAY_KEYS {
        assert!(!s.contains(key), "live help lists {key:?}:\n{s}");
    }
    assert!(!s.contains("│Replay"), "no Replay heading live:\n{s}");
    // Nor the key hints under the panes.
    app.overlay = flightdeck::tui::Overlay::None;
    let s = screen(&app, &session);
    assert!(!s.contains("pause") && !s.contains("seek"), "{s}");
    insta::assert_snapshot!(help_screen(&mut app, &session));
}

#[test]
fn replay_help_lists_the_replay_keys() {
    let session = common::replay::demo_at(10);
    let mut app = replay_app(&session, (100, 30), 10.0);
    assert_eq!(
        CockpitMode::of(&app, session.cockpit()),
        CockpitMode::Replay
    );
    let s = help_screen(&mut app, &session);
    assert!(s.contains("keys in force, replay"), "{s}");
    for key in REPLAY_KEYS {
        assert!(s.contains(key), "replay help lacks {key:?}:\n{s}");
    }
    assert!(s.contains("│Replay"), "{s}");
}

#[test]
fn a_trainee_s_help_names_the_drill() {
    let session = common::replay::session_with(
        common::replay::demo(),
        10,
        flightdeck::training::trainee_config("ana"),
    );
    let mut app = replay_app(&session, (100, 30), 10.0);
    assert_eq!(CockpitMode::of(&app, session.cockpit()), CockpitMode::Drill);
    let s = help_screen(&mut app, &session);
    assert!(s.contains("keys in force, drill (trainee)"), "{s}");
    assert!(s.contains("│Drill (replayed; R scores you)"), "{s}");
    for key in REPLAY_KEYS {
        assert!(s.contains(key), "drill help lacks {key:?}:\n{s}");
    }
}

#[test]
fn the_live_palette_offers_no_replay_control() {
    let session = common::replay::demo_at(10);
    let mut app = App {
        size: (100, 40),
        ..App::default()
    };
    press(&mut app, &session, KeyCode::Char(':'));
    for c in "replay".chars() {
        press(&mut app, &session, KeyCode::Char(c));
    }
    let s = screen(&app, &session);
    assert!(!s.contains("replay: pause"), "{s}");
    let mut app = replay_app(&session, (100, 40), 10.0);
    press(&mut app, &session, KeyCode::Char(':'));
    for c in "replay".chars() {
        press(&mut app, &session, KeyCode::Char(c));
    }
    let s = screen(&app, &session);
    assert!(s.contains("replay: pause"), "{s}");
}
