//! The mouse in a real terminal (issue 20.4): tmux runs the real binary; a click is written to
//! it as the terminal reports one (SGR mouse), it focuses the pane under the pointer; mouse
//! reporting is on while the cockpit runs and off once it ends; `[ui] mouse = false` leaves the
//! mouse to the terminal.

use std::time::Duration;

use crate::e2e_terminal::{assert_terminal_restored, start, start_demo};

/// A left click at the 0-based cell (`column`, `row`), as the terminal reports it (press and
/// release, SGR form: 1-based).
fn click(s: &crate::e2e_terminal::Session, column: usize, row: usize) {
    for end in ['M', 'm'] {
        let report = format!("\x1b[<0;{};{}{end}", column + 1, row + 1);
        s.keys(&["-l", &report]);
    }
}

#[test]
fn a_click_focuses_a_pane_and_quitting_turns_reporting_off() {
    let Some((s, _home)) = start_demo() else {
        return;
    };
    assert_eq!(s.mouse_reporting(), "1 1", "button presses, SGR form");
    let screen = s.capture();
    let (row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("4 Approvals"))
        .expect("the approvals pane");
    assert!(!line.contains("▶4 Approvals"), "not focused yet:\n{screen}");
    let column = line.chars().position(|c| c == '4').unwrap();
    click(&s, column, row + 1);
    s.wait_for("▶4 Approvals", Duration::from_secs(10));
    // Focus moved: the footer offers the approvals' keys.
    s.wait_for("a approve", Duration::from_secs(10));
    s.keys(&["q"]);
    assert_terminal_restored(&s, "exit=0");
}

#[test]
fn with_ui_mouse_false_the_mouse_stays_the_terminal_s() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[ui]\nmouse = false\n").unwrap();
    let Some((s, _home)) = start(&["--config", config.to_str().unwrap(), "replay"]) else {
        return;
    };
    assert_eq!(s.mouse_reporting(), "0 0");
    s.keys(&["q"]);
    assert_terminal_restored(&s, "exit=0");
}
