//! The normal layout gives width and rows where they are needed (issue 20.1): at 200 columns
//! the approvals pane is as wide as its step ids; at 80×24 it lists more than one step and
//! the footer keeps the `?` hint. Snapshots at 80×24, 100×30 and 200×60.

use crate::common;
use common::replay::demo_at;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;

/// Rows of the screen that start a step of the approvals pane (`S13 C3   DIAG …`).
fn step_rows(s: &str) -> usize {
    s.lines()
        .filter(|l| {
            l.split_whitespace().any(|w| {
                w.len() > 1 && w.starts_with('S') && w[1..].bytes().all(|b| b.is_ascii_digit())
            }) && (l.contains(" DIAG ") || l.contains(" MITIGATE "))
        })
        .count()
}

const LONG_ID: &str = "postgres-connection-pool/terminate-idle-in-transaction";

#[test]
fn at_200_columns_no_step_id_is_cut_whatever_has_focus() {
    let session = demo_at(40);
    for key in ['1', '2', '3', '4', '5'] {
        let mut app = replay_app(&session, (200, 60), 60.0);
        press(&mut app, &session, KeyCode::Char(key));
        let s = screen(&app, &session);
        assert!(s.contains(LONG_ID), "focus {key}:\n{s}");
        // Every step id the pane lists is whole (no cut mark after the verdict).
        for line in s.lines() {
            for verdict in [" NEEDS ", " REFUSED ", " ALLOWED ", " BLOCKED "] {
                if let Some((_, rest)) = line.split_once(verdict) {
                    let id = rest.split_whitespace().next().unwrap_or("");
                    assert!(!id.contains('…'), "focus {key}: {id} cut\n{s}");
                }
            }
        }
        assert!(step_rows(&s) >= 6, "focus {key}: six steps at least\n{s}");
    }
}

#[test]
fn at_80_by_24_more_than_one_step_shows_and_the_footer_keeps_help() {
    let session = demo_at(40);
    for key in ['1', '2', '3', '4', '5'] {
        let mut app = replay_app(&session, (80, 24), 60.0);
        press(&mut app, &session, KeyCode::Char(key));
        let s = screen(&app, &session);
        assert!(
            step_rows(&s) >= 2,
            "focus {key}: {} step(s)\n{s}",
            step_rows(&s)
        );
        let footer = s.lines().last().unwrap();
        assert!(footer.contains("? help"), "focus {key}: footer {footer}");
    }
}

#[test]
fn approvals_focused_at_80_by_24() {
    let session = demo_at(40);
    let mut app = replay_app(&session, (80, 24), 60.0);
    press(&mut app, &session, KeyCode::Char('4'));
    press(&mut app, &session, KeyCode::Char('j'));
    insta::assert_snapshot!(screen(&app, &session));
}

#[test]
fn forty_minutes_at_80_by_24() {
    let session = demo_at(40);
    let app = replay_app(&session, (80, 24), 60.0);
    insta::assert_snapshot!(screen(&app, &session));
}

#[test]
fn approvals_focused_at_100_by_30() {
    let session = demo_at(40);
    let mut app = replay_app(&session, (100, 30), 60.0);
    press(&mut app, &session, KeyCode::Char('4'));
    let s = screen(&app, &session);
    assert!(step_rows(&s) >= 3, "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn approvals_focused_at_200_by_60() {
    let session = demo_at(40);
    let mut app = replay_app(&session, (200, 60), 60.0);
    press(&mut app, &session, KeyCode::Char('4'));
    let s = screen(&app, &session);
    assert!(s.contains(LONG_ID), "{s}");
    insta::assert_snapshot!(s);
}
