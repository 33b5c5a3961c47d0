//! The app driven by keys and drawn on ratatui's TestBackend.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::replay::ReplaySession;
use flightdeck::tui::{self, App, Command, ReplayStatus};
use ratatui::{Terminal, backend::TestBackend};

/// The app at `size` replaying `session` at `speed`× (not paused).
pub fn replay_app(session: &ReplaySession, size: (u16, u16), speed: f64) -> App {
    App {
        size,
        replay: Some(ReplayStatus {
            speed,
            paused: false,
            ends_at: session.scenario().end(),
            finished: session.finished(),
            at: session.position(),
        }),
        ..App::default()
    }
}

/// Presses `code` (no modifiers): the action it maps to, applied; the commands that produced.
pub fn press(app: &mut App, session: &ReplaySession, code: KeyCode) -> Vec<Command> {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    tui::handle_key(app, key)
        .map(|action| tui::update(app, action, session.cockpit()))
        .unwrap_or_default()
}

/// The screen as text, drawn at the app's size; printed too when `SHOW_SCREENS` is set.
pub fn screen(app: &App, session: &ReplaySession) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| tui::render(app, session.cockpit(), f))
        .unwrap();
    let text = format!("{}", terminal.backend());
    if std::env::var_os("SHOW_SCREENS").is_some() {
        println!("{text}");
    }
    text
}
