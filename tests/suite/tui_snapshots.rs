//! Screen snapshots: the demo scenario driven by scripted keys on the virtual clock, rendered
//! to ratatui's TestBackend. No sleeps, no terminal: the same session the TUI runs.

use crate::common;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::replay::ReplaySession;
use flightdeck::tui::App;

/// A session on the bundled demo, `minutes` in; asserts its documents all load.
fn demo_at(minutes: i64) -> ReplaySession {
    let loaded = common::replay::demo();
    assert!(
        loaded.doc_errors.is_empty(),
        "demo documents: {:?}",
        loaded.doc_errors
    );
    common::replay::session_at(loaded, minutes)
}

/// The app at `size`, replaying at 10×.
fn app_for(session: &ReplaySession, size: (u16, u16)) -> App {
    replay_app(session, size, 10.0)
}

#[test]
fn initial_screen() {
    let session = demo_at(0);
    let app = app_for(&session, (100, 30));
    let s = screen(&app, &session);
    assert!(s.contains("ADAPTIVE"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn ten_minutes_into_the_demo() {
    let session = demo_at(10);
    let app = app_for(&session, (100, 30));
    insta::assert_snapshot!(screen(&app, &session));
}

#[test]
fn forty_minutes_at_200_by_60() {
    let session = demo_at(40);
    let app = app_for(&session, (200, 60));
    insta::assert_snapshot!(screen(&app, &session));
}

#[test]
fn help_overlay() {
    let session = demo_at(10);
    let mut app = app_for(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char('?'));
    let s = screen(&app, &session);
    assert!(s.contains("quit"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn filter_in_use() {
    let session = demo_at(20);
    let mut app = app_for(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char('/'));
    for c in "postgres".chars() {
        press(&mut app, &session, KeyCode::Char(c));
    }
    press(&mut app, &session, KeyCode::Enter);
    let s = screen(&app, &session);
    assert!(s.contains("postgres"), "{s}");
    insta::assert_snapshot!(s);
}
