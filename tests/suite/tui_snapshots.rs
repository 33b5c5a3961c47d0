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

/// A novel cluster: the knowledge pane says why matching abstained — the best value, the floor
/// it missed and the nearest document — in full at 100×30, wrapped under the NOVEL badge
/// instead of cut at the pane's edge, with the matches still listed below it.
#[test]
fn a_novel_cluster_says_why_at_100_by_30() {
    let path = common::root().join("assets/scenarios/novel-clock-step/scenario.yaml");
    let loaded = flightdeck::load::scenario_file(&path).unwrap();
    let session = common::replay::session_at(loaded, 35);
    let mut app = app_for(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char('3'));
    let s = screen(&app, &session);
    assert!(s.contains("NOVEL  human judgment"), "{s}");
    // The explanation, word-wrapped: every part of it is on screen.
    let pane: String = s
        .lines()
        .filter_map(|l| l.split('┃').nth(1))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    for part in ["no good match", "below the 0.60 floor", "nearest:"] {
        assert!(pane.contains(part), "{part:?} missing:\n{s}");
    }
    assert!(
        pane.contains("low"),
        "the matches are listed below it:\n{s}"
    );
    insta::assert_snapshot!(s);
}
