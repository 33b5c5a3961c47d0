//! Screen snapshots: the demo scenario driven by scripted keys on the virtual clock, rendered
//! to ratatui's TestBackend. No sleeps, no terminal: the same session the TUI runs.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::cockpit::CockpitConfig;
use flightdeck::load;
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::tui::{self, App, ReplayStatus};
use ratatui::{Terminal, backend::TestBackend};

fn demo_at(minutes: i64) -> ReplaySession {
    let loaded = load::demo().expect("the bundled demo loads");
    assert!(
        loaded.doc_errors.is_empty(),
        "demo documents: {:?}",
        loaded.doc_errors
    );
    let mut session =
        ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let to = session.scenario().start + SignedDuration::from_mins(minutes);
    session.advance_to(to);
    session
}

fn app_for(session: &ReplaySession, size: (u16, u16)) -> App {
    App {
        size,
        replay: Some(ReplayStatus {
            speed: 10.0,
            paused: false,
            ends_at: session.scenario().end(),
            finished: session.finished(),
        }),
        ..App::default()
    }
}

fn press(app: &mut App, session: &ReplaySession, code: KeyCode) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(action) = tui::handle_key(app, key) {
        let _ = tui::update(app, action, session.cockpit());
    }
}

fn screen(app: &App, session: &ReplaySession) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| tui::render(app, session.cockpit(), f))
        .unwrap();
    format!("{}", terminal.backend())
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
