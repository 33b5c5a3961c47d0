//! Attention (issue 20.7) through the one writer of the App: a frame after the governor's mode
//! changed asks the runtime for the bell once and flashes the header; `[ui] bell = false` only
//! flashes.

use crate::common;
use common::replay::demo_at;
use common::tui::{replay_app, screen};
use flightdeck::tui::{self, Command, Msg};

#[test]
fn a_mode_change_between_frames_rings_once_and_flashes_the_badge() {
    let before = demo_at(5);
    let after = demo_at(40);
    assert_ne!(
        before.cockpit().mode(),
        after.cockpit().mode(),
        "the demo changes mode between these points"
    );
    for bell in [true, false] {
        let mut app = replay_app(&before, (100, 30), 60.0);
        app.attention = tui::attention::Attention::new(bell);
        let first = tui::handle(&mut app, Msg::Render, before.cockpit());
        assert_eq!(first, vec![Command::Draw], "start-up rings nothing");
        assert!(!app.attention.flashing());
        let changed = tui::handle(&mut app, Msg::Render, after.cockpit());
        let rang = changed.contains(&Command::Bell);
        assert_eq!(rang, bell, "bell = {bell}: {changed:?}");
        assert!(changed.contains(&Command::Draw));
        assert!(app.attention.flashing(), "the header flashes either way");
        let again = tui::handle(&mut app, Msg::Render, after.cockpit());
        assert_eq!(again, vec![Command::Draw], "no change, no bell");
        // The flash is a different style on the mode badge, and it ends.
        let flashing = style_of_badge(&app, &after);
        for _ in 0..tui::attention::FLASH_FRAMES {
            tui::handle(&mut app, Msg::Render, after.cockpit());
        }
        assert!(!app.attention.flashing());
        assert_ne!(flashing, style_of_badge(&app, &after));
        screen(&app, &after);
    }
}

/// The style of the header's first cell (the mode badge).
fn style_of_badge(
    app: &tui::App,
    session: &flightdeck::replay::ReplaySession,
) -> ratatui::style::Style {
    let (w, h) = app.size;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| tui::render(app, session.cockpit(), f))
        .unwrap();
    terminal.backend().buffer()[(1, 0)].style()
}
