//! Copy and open in a real terminal (issue 20.5): tmux runs the real binary. `y` puts the
//! step's command line on tmux's clipboard through OSC 52; `o` hands the runbook URL to the
//! opener as one argv element; with no opener the URL is shown and copied.

use std::time::Duration;

use crate::e2e_terminal::{assert_terminal_restored, launch};

const AFTER: &str =
    "echo \"exit=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$'; sleep 60";

/// tmux's newest paste buffer.
fn buffer(s: &crate::e2e_terminal::Session) -> String {
    String::from_utf8_lossy(&s.cmd(&["show-buffer"]).stdout).into_owned()
}

#[test]
fn y_copies_the_command_line_through_osc_52() {
    let Some((s, _home)) = launch(
        &[],
        "unset DISPLAY WAYLAND_DISPLAY FLIGHTDECK_OPENER;",
        AFTER,
    ) else {
        return;
    };
    // tmux takes the clipboard from the program inside it.
    s.cmd(&["set-option", "-g", "set-clipboard", "on"]);
    // Wait for the first step, then copy it.
    s.keys(&["4"]);
    s.wait_for("› S", Duration::from_secs(30));
    s.keys(&["y"]);
    let screen = s.wait_for("copied S", Duration::from_secs(10));
    assert!(screen.contains("command line"), "{screen}");
    let copied = buffer(&s);
    assert!(
        copied.starts_with("kubectl ") || copied.starts_with("curl "),
        "the command line on the clipboard: {copied:?}"
    );
    assert!(!copied.contains('\n'), "{copied:?}");
    // With no display the runbook's URL is shown and copied.
    s.keys(&["2"]);
    s.wait_for("▶2 Detail", Duration::from_secs(10));
    s.keys(&["o"]);
    let screen = s.wait_for("no display", Duration::from_secs(10));
    assert!(screen.contains("https://runbooks"), "{screen}");
    assert!(buffer(&s).starts_with("https://runbooks.internal.example/"));
    s.keys(&["q"]);
    assert_terminal_restored(&s, "exit=0");
}

#[test]
fn o_hands_the_url_to_the_opener_as_one_argument() {
    let dir = tempfile::tempdir().unwrap();
    let opener = dir.path().join("opener");
    let log = dir.path().join("opened");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > {}\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = format!("FLIGHTDECK_OPENER={}", opener.display());
    let Some((s, _home)) = launch(&[], &before, AFTER) else {
        return;
    };
    s.keys(&["2"]);
    s.wait_for("▶2 Detail", Duration::from_secs(10));
    // The first alert of a cluster arrives with the replay; wait for one with a runbook.
    s.wait_for("FIRING", Duration::from_secs(30));
    s.keys(&["o"]);
    s.wait_for("opening", Duration::from_secs(10));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let opened = loop {
        if let Ok(text) = std::fs::read_to_string(&log)
            && text.lines().count() >= 2
        {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "the opener never ran");
        std::thread::sleep(Duration::from_millis(50));
    };
    let lines: Vec<&str> = opened.lines().collect();
    assert_eq!(lines[0], "1", "one argument: {opened:?}");
    assert!(
        lines[1].starts_with("https://runbooks.internal.example/"),
        "{opened:?}"
    );
    s.keys(&["q"]);
    assert_terminal_restored(&s, "exit=0");
}
