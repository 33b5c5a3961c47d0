//! Zoom (issue 20.1): `z` shows the focused pane full screen, header and footer kept; `z` again
//! or Esc returns to the layout. Checked at 80×24 and 200×60 on the bundled demo.

use crate::common;
use common::replay::demo_at;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::tui::{self, Pane};
use ratatui::layout::Rect;

/// Rows of the screen that start a step of the approvals pane (`S13 C7f2a DIAG …`).
fn step_rows(s: &str) -> usize {
    s.lines()
        .filter(|l| {
            l.split_whitespace().any(|w| {
                w.len() > 1 && w.starts_with('S') && w[1..].bytes().all(|b| b.is_ascii_digit())
            }) && (l.contains(" DIAG ") || l.contains(" MITIGATE "))
        })
        .count()
}

#[test]
fn zoom_gives_the_focused_pane_the_whole_body_and_returns() {
    let session = demo_at(40);
    for size in [(80u16, 24u16), (200, 60)] {
        for pane in Pane::ALL {
            let mut app = replay_app(&session, size, 60.0);
            press(
                &mut app,
                &session,
                KeyCode::Char(char::from(b'0' + pane.number() as u8)),
            );
            assert_eq!(app.focus, pane);
            let screen_rect = Rect::new(0, 0, size.0, size.1);
            let before = tui::render::layout(&app, session.cockpit(), screen_rect);
            press(&mut app, &session, KeyCode::Char('z'));
            assert!(app.zoomed, "{size:?} {pane:?}");
            let zoomed = tui::render::layout(&app, session.cockpit(), screen_rect);
            let area = |a: &tui::render::Areas, p: Pane| match p {
                Pane::Clusters => a.clusters,
                Pane::Detail => a.detail,
                Pane::Knowledge => a.knowledge,
                Pane::Approvals => a.approvals,
                Pane::Journal => a.journal,
            };
            // The whole body: from under the header to above the footer, every column.
            let body = Rect::new(
                0,
                zoomed.header.bottom(),
                size.0,
                zoomed.status.y - zoomed.header.bottom(),
            );
            assert_eq!(area(&zoomed, pane), body, "{size:?} {pane:?}");
            assert!(
                area(&before, pane).area() < body.area(),
                "{size:?} {pane:?}"
            );
            for other in Pane::ALL.into_iter().filter(|p| *p != pane) {
                assert_eq!(area(&zoomed, other).area(), 0, "{size:?} {other:?} drawn");
            }
            let s = screen(&app, &session);
            let title = format!("{} {}", pane.number(), pane.title());
            assert!(s.contains(&title), "{size:?}: no {title}\n{s}");
            for other in Pane::ALL.into_iter().filter(|p| *p != pane) {
                let title = format!("{} {}", other.number(), other.title());
                assert!(!s.contains(&title), "{size:?}: {title} still shown\n{s}");
            }
            assert!(s.contains("zoomed: z to return"), "{size:?}: footer\n{s}");
            let mode = session.cockpit().mode().label();
            assert!(s.contains(mode), "{size:?}: the header stays\n{s}");
            // Again returns; so does Esc.
            press(&mut app, &session, KeyCode::Char('z'));
            assert!(!app.zoomed);
            assert_eq!(
                tui::render::layout(&app, session.cockpit(), screen_rect),
                before
            );
            press(&mut app, &session, KeyCode::Char('z'));
            press(&mut app, &session, KeyCode::Esc);
            assert!(!app.zoomed, "Esc returns");
            assert_eq!(app.focus, pane, "Esc only unzooms");
            assert!(!screen(&app, &session).contains("zoomed:"));
        }
    }
}

#[test]
fn zoomed_approvals_show_more_steps_and_whole_step_ids() {
    let session = demo_at(40);
    for size in [(80u16, 24u16), (200, 60)] {
        let mut app = replay_app(&session, size, 60.0);
        press(&mut app, &session, KeyCode::Char('4'));
        let laid_out = screen(&app, &session);
        press(&mut app, &session, KeyCode::Char('z'));
        let zoomed = screen(&app, &session);
        assert!(
            step_rows(&zoomed) > step_rows(&laid_out),
            "{size:?}: no more rows zoomed\n{laid_out}\n{zoomed}"
        );
        if size.0 >= 200 {
            // The longest step id is whole laid out (the pane is as wide as it needs) and
            // zoomed.
            let id = "postgres-connection-pool/terminate-idle-in-transaction";
            assert!(laid_out.contains(id), "{laid_out}");
            assert!(zoomed.contains(id), "{zoomed}");
        }
    }
}
