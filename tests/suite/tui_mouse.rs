//! The mouse (issue 20.4) on the bundled demo: a click focuses the pane under the pointer and
//! selects the row it is on (the row as the screen showed it); the wheel scrolls the list
//! under the pointer without moving the focus, and with an overlay open scrolls the overlay
//! (a document, the debrief). Through `tui::handle`, as the loop delivers it.

use crate::common;
use common::replay::{demo, session_at};
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::replay::ReplaySession;
use flightdeck::tui::mouse::{Mouse, MouseKind};
use flightdeck::tui::{self, App, Msg, Overlay, Pane};
use ratatui::layout::Rect;

fn areas(app: &App, session: &ReplaySession) -> tui::render::Areas {
    tui::render::layout(
        app,
        session.cockpit(),
        Rect::new(0, 0, app.size.0, app.size.1),
    )
}

fn mouse(app: &mut App, session: &ReplaySession, kind: MouseKind, column: u16, row: u16) {
    let commands = tui::handle(
        app,
        Msg::Mouse(Mouse { kind, column, row }),
        session.cockpit(),
    );
    assert!(commands.is_empty(), "{commands:?}");
}

/// The screen row `row` inside `area` (0: under the top border), as text of that pane.
fn row_text(s: &str, area: Rect, row: u16) -> String {
    let line = s.lines().nth(usize::from(area.y + 1 + row)).unwrap();
    let line = line.trim_matches('"');
    line.chars()
        .skip(usize::from(area.x + 1))
        .take(usize::from(area.width - 2))
        .collect()
}

/// The first word of `text` that starts with `prefix` and goes on with digits or lowercase
/// letters (a step `S12`, a cluster `Ch5qp`).
fn token(text: &str, prefix: char) -> String {
    text.split_whitespace()
        .find(|w| {
            w.len() > 1
                && w.starts_with(prefix)
                && w[1..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        })
        .unwrap_or_else(|| panic!("no {prefix}… in {text:?}"))
        .to_string()
}

#[test]
fn a_click_focuses_the_pane_and_selects_the_row_it_is_on() {
    let session = session_at(demo(), 40);
    let view = session.cockpit();
    for size in [(80u16, 24u16), (100, 30), (200, 60)] {
        // Approvals: the step on the clicked row (its third row) is the one decisions are about.
        let mut app = replay_app(&session, size, 60.0);
        let area = areas(&app, &session).approvals;
        let before = screen(&app, &session);
        let row = (0..area.height - 2)
            .rev()
            .find(|r| row_text(&before, area, *r).trim_start().starts_with('S'))
            .unwrap();
        let id = token(&row_text(&before, area, row), 'S');
        mouse(
            &mut app,
            &session,
            MouseKind::Click,
            area.x + 3,
            area.y + 1 + row,
        );
        assert_eq!(app.focus, Pane::Approvals, "{size:?}");
        let target = tui::panes::approvals::target(&app, view).unwrap();
        assert_eq!(
            target.to_string(),
            id,
            "{size:?}: the clicked step\n{before}"
        );
        let after = screen(&app, &session);
        assert!(
            after.lines().any(|l| l.contains(&format!("› {id} "))),
            "{size:?}: marked as selected\n{after}"
        );

        // Clusters: the second cluster's rows select it.
        let mut app = replay_app(&session, size, 60.0);
        press(&mut app, &session, KeyCode::Char('5'));
        let area = areas(&app, &session).clusters;
        let before = screen(&app, &session);
        let id = token(&row_text(&before, area, 2), 'C');
        mouse(
            &mut app,
            &session,
            MouseKind::Click,
            area.x + 2,
            area.y + 1 + 3,
        );
        assert_eq!(app.focus, Pane::Clusters);
        assert_eq!(
            tui::panes::clusters::focused(&app, view)
                .unwrap()
                .name
                .to_string(),
            id,
            "{size:?}"
        );

        // Journal: the clicked record is the one Enter opens.
        let mut app = replay_app(&session, size, 60.0);
        let area = areas(&app, &session).journal;
        let before = screen(&app, &session);
        let seq = token(&row_text(&before, area, 0), '#');
        mouse(&mut app, &session, MouseKind::Click, area.x + 5, area.y + 1);
        assert_eq!(app.focus, Pane::Journal);
        assert_eq!(
            tui::panes::journal::selected(&app, view).map(|s| format!("#{s}")),
            Some(seq),
            "{size:?}"
        );
        press(&mut app, &session, KeyCode::Enter);
        assert!(matches!(app.overlay, Overlay::Read { .. }), "{size:?}");

        // Knowledge: the second document (rows 2 and 3), where two fit.
        let mut app = replay_app(&session, size, 60.0);
        let area = areas(&app, &session).knowledge;
        let row = if area.height >= 6 { 3 } else { 0 };
        mouse(
            &mut app,
            &session,
            MouseKind::Click,
            area.x + 4,
            area.y + 1 + row,
        );
        assert_eq!(app.focus, Pane::Knowledge);
        let expected = if area.height >= 6 { 1 } else { 0 };
        assert_eq!(app.knowledge.cursor, expected, "{size:?}");

        // Detail: the last row of the pane is a member alert.
        let mut app = replay_app(&session, size, 60.0);
        let area = areas(&app, &session).detail;
        let cluster = tui::panes::clusters::focused(&app, view).unwrap();
        let rows = area.height - 2;
        mouse(
            &mut app,
            &session,
            MouseKind::Click,
            area.x + 4,
            area.y + rows,
        );
        assert_eq!(app.focus, Pane::Detail);
        assert!(
            app.detail.cursor > 0 && app.detail.cursor < cluster.size(),
            "{size:?}"
        );
        let before = screen(&app, &session);
        assert!(
            before.contains("FIRING"),
            "{size:?}: the selected member shows\n{before}"
        );
    }
}

#[test]
fn clicks_on_the_header_and_footer_and_under_a_question_change_nothing() {
    let session = session_at(demo(), 40);
    let mut app = replay_app(&session, (100, 30), 60.0);
    mouse(&mut app, &session, MouseKind::Click, 50, 0);
    mouse(&mut app, &session, MouseKind::Click, 50, 29);
    assert_eq!(app.focus, Pane::Clusters);
    // An overlay is not clicked through.
    press(&mut app, &session, KeyCode::Char('?'));
    let journal = areas(&app, &session).journal;
    mouse(
        &mut app,
        &session,
        MouseKind::Click,
        journal.x + 3,
        journal.y + 1,
    );
    assert_eq!(app.focus, Pane::Clusters);
    assert!(matches!(app.overlay, Overlay::Help { .. }));
}

#[test]
fn the_wheel_scrolls_the_list_under_the_pointer_and_leaves_the_focus() {
    let session = session_at(demo(), 40);
    let view = session.cockpit();
    let mut app = replay_app(&session, (100, 30), 60.0);
    let a = areas(&app, &session);
    // The journal follows the newest record; three notches of the wheel up: nine back.
    let newest = tui::panes::journal::selected(&app, view).unwrap();
    for _ in 0..3 {
        mouse(
            &mut app,
            &session,
            MouseKind::WheelUp,
            a.journal.x + 3,
            a.journal.y + 2,
        );
    }
    assert_eq!(app.focus, Pane::Clusters, "the focus stays");
    let scrolled = tui::panes::journal::selected(&app, view).unwrap();
    assert!(scrolled < newest, "{scrolled} < {newest}");
    let s = screen(&app, &session);
    assert!(s.contains("scrolled (G: newest)"), "{s}");
    // The approvals' cursor moves three steps a notch.
    let first = tui::panes::approvals::target(&app, view).unwrap();
    mouse(
        &mut app,
        &session,
        MouseKind::WheelDown,
        a.approvals.x + 3,
        a.approvals.y + 2,
    );
    assert_eq!(app.approvals.cursor, 3);
    assert_ne!(tui::panes::approvals::target(&app, view).unwrap(), first);
    mouse(
        &mut app,
        &session,
        MouseKind::WheelUp,
        a.approvals.x + 3,
        a.approvals.y + 2,
    );
    assert_eq!(app.approvals.cursor, 0);
    assert_eq!(app.focus, Pane::Clusters);
}

#[test]
fn the_wheel_scrolls_a_document_and_the_debrief() {
    let loaded = demo();
    let (scenario, knowledge) = (loaded.scenario.clone(), loaded.knowledge.clone());
    let session = session_at(loaded, 40);
    let mut app = replay_app(&session, (100, 30), 60.0);
    press(&mut app, &session, KeyCode::Char('3'));
    press(&mut app, &session, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::Read { scroll: 0, .. }));
    mouse(&mut app, &session, MouseKind::WheelDown, 50, 15);
    assert!(
        matches!(app.overlay, Overlay::Read { scroll: 3, .. }),
        "{:?}",
        app.overlay
    );
    mouse(&mut app, &session, MouseKind::WheelUp, 50, 15);
    assert!(matches!(app.overlay, Overlay::Read { scroll: 0, .. }));
    // The debrief at a drill's end, as it opens by itself.
    press(&mut app, &session, KeyCode::Esc);
    let mut drill = flightdeck::training::training_session(
        &scenario,
        knowledge.clone(),
        flightdeck::training::trainee_config("sam"),
    );
    drill.advance_to(scenario.end());
    let msg = flightdeck::runtime::debrief_msg(&scenario, &knowledge, &drill);
    tui::handle(&mut app, msg, drill.cockpit());
    assert!(
        matches!(app.overlay, Overlay::Report { scroll: 0, .. }),
        "{:?}",
        app.overlay
    );
    mouse(&mut app, &session, MouseKind::WheelDown, 50, 15);
    assert!(
        matches!(app.overlay, Overlay::Report { scroll: 3, .. }),
        "{:?}",
        app.overlay
    );
}
