//! End to end in a real terminal: tmux runs the real binary at 100×30, we wait for the header,
//! open help, quit, and check that the terminal came back in cooked mode on the main screen.

use std::process::Command;
use std::time::{Duration, Instant};

fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux runs")
}

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Session {
    name: String,
    socket: String,
}

impl Session {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["-L", self.socket.as_str()];
        all.extend_from_slice(args);
        tmux(&all)
    }
    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", &self.name]).stdout)
            .into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }
    fn wait_for(&self, what: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{what:?}"), timeout, |screen| {
            screen.contains(what)
        })
    }
    /// Waits until `what` has left the screen (an overlay closed).
    fn wait_gone(&self, what: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{what:?} to go"), timeout, |screen| {
            !screen.contains(what)
        })
    }
    /// Polls the screen until `done` holds (the poll interval is not a wait on time passing:
    /// the test moves on as soon as the condition is seen).
    fn wait_until(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

/// Starts the demo in a fresh tmux server at 100×30 and waits for the header. After flightdeck
/// exits, the pane prints its exit status and the terminal modes, then idles.
fn start_demo() -> Option<(Session, tempfile::TempDir)> {
    start(&[])
}

/// Like [`start_demo`], with arguments for the binary.
fn start(args: &[&str]) -> Option<(Session, tempfile::TempDir)> {
    if !have_tmux() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required under CI (.ci/run installs it)"
        );
        eprintln!(
            "SKIPPED: install tmux (apt-get install tmux) to run the end-to-end terminal test"
        );
        return None;
    }
    let bin = env!("CARGO_BIN_EXE_flightdeck");
    let home = tempfile::tempdir().unwrap();
    let s = Session {
        name: "fd".into(),
        socket: format!(
            "flightdeck-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ),
    };
    let script = format!(
        "FLIGHTDECK_HOME={} {bin} {}; echo \"exit=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$'; sleep 60",
        home.path().display(),
        args.join(" ")
    );
    let out = s.cmd(&[
        "new-session",
        "-d",
        "-s",
        &s.name,
        "-x",
        "100",
        "-y",
        "30",
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        out.status.success(),
        "tmux new-session failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The header: the mode badge and the SLOs.
    let screen = s.wait_for("ADAPTIVE", Duration::from_secs(20));
    assert!(
        screen.contains("checkout-availability"),
        "header shows the SLOs:\n{screen}"
    );
    Some((s, home))
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// After flightdeck exited: cooked mode with echo, and the main screen back.
fn assert_terminal_restored(s: &Session, expect_exit: &str) {
    let after = s.wait_for("exit=", Duration::from_secs(10));
    assert!(
        after.contains(expect_exit),
        "expected {expect_exit}:\n{after}"
    );
    let after = s.wait_for("echo", Duration::from_secs(5));
    let modes: Vec<&str> = after.lines().map(str::trim).collect();
    assert!(
        modes.contains(&"icanon"),
        "canonical mode restored:\n{after}"
    );
    assert!(modes.contains(&"echo"), "echo restored:\n{after}");
    let alt = s.cmd(&["display-message", "-p", "-t", &s.name, "#{alternate_on}"]);
    assert_eq!(
        String::from_utf8_lossy(&alt.stdout).trim(),
        "0",
        "left the alternate screen"
    );
}

#[test]
fn demo_starts_shows_help_quits_and_restores_the_terminal() {
    let Some((s, _home)) = start_demo() else {
        return;
    };
    s.keys(&["?"]);
    let help = s.wait_for("Help", Duration::from_secs(5));
    assert!(help.contains("quit"), "help lists the quit key:\n{help}");
    s.keys(&["Escape"]);
    s.wait_gone("Help", Duration::from_secs(5));
    s.keys(&["q"]);
    assert_terminal_restored(&s, "exit=0");
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    let Some((s, _home)) = start_demo() else {
        return;
    };
    s.keys(&["C-c"]);
    assert_terminal_restored(&s, "exit=0");
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    let Some((s, _home)) = start_demo() else {
        return;
    };
    let pane = s.cmd(&["display-message", "-p", "-t", &s.name, "#{pane_pid}"]);
    let shell = String::from_utf8_lossy(&pane.stdout).trim().to_string();
    let child = Command::new("pgrep").args(["-P", &shell]).output().unwrap();
    let pid = String::from_utf8_lossy(&child.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    assert!(
        !pid.is_empty(),
        "found flightdeck under the pane's shell {shell}"
    );
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    assert_terminal_restored(&s, "exit=0");
}

/// A trainee's drill at 600×: at the end the debrief opens by itself in the cockpit; after
/// quitting, the training journal is written and the debrief printed for the record.
#[test]
fn a_trainee_drill_ends_with_the_debrief_on_screen() {
    let Some((s, home)) = start(&["replay", "--role", "trainee", "--speed", "600"]) else {
        return;
    };
    s.keys(&["3", "/"]);
    let search = s.wait_for("Search knowledge", Duration::from_secs(5));
    assert!(search.contains("11 of 11 documents"), "{search}");
    s.keys(&["Escape"]);
    let debrief = s.wait_for("Debrief at 15:10:00", Duration::from_secs(30));
    for needle in ["First useful diagnostic", "Mitigation", "score"] {
        assert!(
            debrief.contains(needle),
            "debrief lacks {needle:?}:\n{debrief}"
        );
    }
    s.keys(&["Escape"]);
    s.wait_gone("Debrief at", Duration::from_secs(5));
    s.keys(&["q"]);
    s.wait_for("exit=0", Duration::from_secs(10));
    let journals: Vec<_> = walk(home.path())
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("training"))
        .collect();
    assert!(
        !journals.is_empty(),
        "a training journal under FLIGHTDECK_HOME"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
