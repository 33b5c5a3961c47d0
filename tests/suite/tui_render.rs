//! The screen at the sizes the cockpit promises (100×30 usable, 200×60 used well), drawn from
//! the bundled demo on ratatui's TestBackend: every pane and the header must say what they show.

use crate::common;
use common::replay::demo_at;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::replay::ReplaySession;
use flightdeck::tui::{self, App, Command};

/// The app at `size`, replaying at 60×.
fn app(session: &ReplaySession, size: (u16, u16)) -> App {
    replay_app(session, size, 60.0)
}

#[test]
fn every_pane_is_on_screen_at_100_by_30_and_200_by_60() {
    let session = demo_at(25);
    for size in [(100, 30), (200, 60)] {
        let s = screen(&app(&session, size), &session);
        for title in [
            "1 Clusters",
            "2 Detail",
            "3 Knowledge",
            "4 Approvals",
            "5 Journal",
        ] {
            assert!(s.contains(title), "{size:?}: no {title}\n{s}");
        }
        for word in ["5m", "1h", "6h", "3d", "▶ 60×", "? help"] {
            assert!(s.contains(word), "{size:?}: no {word:?}\n{s}");
        }
        let mode = session.cockpit().mode().label();
        assert!(s.contains(mode), "{size:?}: no mode badge {mode}\n{s}");
    }
}

#[test]
fn tiny_terminals_get_a_message_not_a_panic() {
    let session = demo_at(5);
    for size in [(20, 5), (59, 30), (100, 15), (1, 1)] {
        let s = screen(&app(&session, size), &session);
        assert!(s.contains("flightdeck") || size.0 < 20, "{size:?}\n{s}");
    }
}

#[test]
fn every_size_between_renders() {
    let session = demo_at(30);
    for w in (60..=220).step_by(7) {
        for h in (16..=70).step_by(9) {
            screen(&app(&session, (w, h)), &session);
        }
    }
}

#[test]
fn walking_every_pane_and_overlay_keeps_rendering() {
    let session = demo_at(40);
    let mut app = app(&session, (100, 30));
    let keys = [
        KeyCode::Char('j'),
        KeyCode::Char('j'),
        KeyCode::Enter,
        KeyCode::Char('G'),
        KeyCode::Tab,
        KeyCode::Char('j'),
        KeyCode::Tab,
        KeyCode::PageDown,
        KeyCode::Tab,
        KeyCode::Char('k'),
        KeyCode::Char('g'),
        KeyCode::BackTab,
        KeyCode::Char('?'),
        KeyCode::Char('G'),
        KeyCode::Esc,
        KeyCode::Char(':'),
        KeyCode::Char('j'),
        KeyCode::Esc,
        KeyCode::Char('/'),
        KeyCode::Char('z'),
    ];
    for key in keys {
        assert!(!press(&mut app, &session, key).contains(&Command::Quit));
        screen(&app, &session);
    }
}

#[test]
fn the_palette_runs_the_chosen_action() {
    let session = demo_at(10);
    let mut app = app(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char(':'));
    for c in "faster".chars() {
        press(&mut app, &session, KeyCode::Char(c));
    }
    let s = screen(&app, &session);
    assert!(s.contains("replay: faster"), "{s}");
    assert_eq!(
        press(&mut app, &session, KeyCode::Enter),
        vec![Command::SetSpeed(120.0)]
    );
    assert_eq!(app.overlay, tui::Overlay::None);
}

#[test]
fn overlays_draw_over_the_panes() {
    let session = demo_at(20);
    let mut app = app(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char('?'));
    let s = screen(&app, &session);
    assert!(s.contains("Help") && s.contains("Ctrl-C"), "{s}");
    press(&mut app, &session, KeyCode::Esc);
    press(&mut app, &session, KeyCode::Char(':'));
    press(&mut app, &session, KeyCode::Char('f'));
    press(&mut app, &session, KeyCode::Char('o'));
    let s = screen(&app, &session);
    assert!(s.contains("focus the journal"), "{s}");
}
