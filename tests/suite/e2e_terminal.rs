//! End to end in a real terminal: tmux runs the real binary at 100×30, we wait for the header,
//! open help, quit, and check that the terminal came back in cooked mode on the main screen.

use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(args).output().expect("tmux runs")
}

pub(crate) fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub(crate) struct Session {
    name: String,
    socket: String,
}

impl Session {
    pub(crate) fn cmd(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["-L", self.socket.as_str()];
        all.extend_from_slice(args);
        tmux(&all)
    }
    pub(crate) fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", &self.name]).stdout)
            .into_owned()
    }
    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }
    pub(crate) fn wait_for(&self, what: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{what:?}"), timeout, |screen| {
            screen.contains(what)
        })
    }
    /// Waits until `what` has left the screen (an overlay closed).
    pub(crate) fn wait_gone(&self, what: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{what:?} to go"), timeout, |screen| {
            !screen.contains(what)
        })
    }
    /// Polls the screen until `done` holds (the poll interval is not a wait on time passing:
    /// the test moves on as soon as the condition is seen). The screen returned is a settled
    /// one where it can be: the same in two captures a moment apart, so a caller asserting more
    /// than `done` does not read a frame tmux had only half received (a whole frame, the first
    /// one or an overlay opening, reaches the pane in pieces). A screen that keeps changing (a
    /// clock running at 600×) is returned after half a second of trying, `done` still holding.
    pub(crate) fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let mut screen = self.capture();
            if done(&screen) {
                for _ in 0..12 {
                    std::thread::sleep(Duration::from_millis(40));
                    let again = self.capture();
                    if !done(&again) {
                        break;
                    }
                    let settled = again == screen;
                    screen = again;
                    if settled {
                        break;
                    }
                }
                if done(&screen) {
                    return screen;
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Session {
    /// The pane's mouse reporting as tmux sees it: `button sgr`, each 1 (on) or 0 (off).
    pub(crate) fn mouse_reporting(&self) -> String {
        let out = self.cmd(&[
            "display-message",
            "-p",
            "-t",
            &self.name,
            "#{mouse_standard_flag} #{mouse_sgr_flag}",
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

/// Starts the demo in a fresh tmux server at 100×30 and waits for the header. After flightdeck
/// exits, the pane prints its exit status and the terminal modes, then idles.
pub(crate) fn start_demo() -> Option<(Session, tempfile::TempDir)> {
    start(&[])
}

/// Like [`start_demo`], with arguments for the binary.
pub(crate) fn start(args: &[&str]) -> Option<(Session, tempfile::TempDir)> {
    launch(
        args,
        "",
        "echo \"exit=$?\"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$'; sleep 60",
    )
}

/// Runs `before; flightdeck ARGS; after` in a fresh tmux server at 100×30 and waits for the
/// header.
pub(crate) fn launch(
    args: &[&str],
    before: &str,
    after: &str,
) -> Option<(Session, tempfile::TempDir)> {
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
        "{before} FLIGHTDECK_HOME={} {bin} {}; {after}",
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
    // The header: the mode badge and (replaying the demo) the SLOs. Both are waited for: a
    // capture can land between two frames, with the badge drawn and the SLO row not yet.
    let live = args.contains(&"--config");
    s.wait_until(
        "the header with the mode badge and the SLOs",
        Duration::from_secs(20),
        |screen| screen.contains("ADAPTIVE") && (live || screen.contains("checkout-availability")),
    );
    Some((s, home))
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// After flightdeck exited: cooked mode with echo, and the main screen back.
pub(crate) fn assert_terminal_restored(s: &Session, expect_exit: &str) {
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
    assert_eq!(s.mouse_reporting(), "0 0", "mouse reporting off again");
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

/// The pid of flightdeck, the child of the pane's shell.
fn flightdeck_pid(s: &Session) -> String {
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
    pid
}

fn kill(signal: &str, pid: &str) {
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), pid])
        .status()
        .unwrap();
    assert!(killed.success());
}

/// Writes a note into the replay's journal from the keyboard and waits until the journal
/// pane shows it (so it is sealed and kept on disk).
fn write_note(s: &Session, text: &str) {
    s.keys(&["n"]);
    s.wait_for("note", Duration::from_secs(5));
    s.keys(&["-l", text]);
    s.keys(&["C-s"]);
    s.wait_for(text, Duration::from_secs(10));
}

/// The replay journals under `home`, each verified by `flightdeck journal verify`; returns
/// their text.
fn verified_replay_journals(home: &std::path::Path) -> String {
    let journals: Vec<_> = walk(home)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains("replays") && p.extension().is_some_and(|e| e == "jsonl")
        })
        .collect();
    assert!(!journals.is_empty(), "a replay journal under {home:?}");
    let mut text = String::new();
    for j in &journals {
        let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .env("FLIGHTDECK_HOME", home)
            .args(["journal", "verify", "--journal"])
            .arg(j)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "journal verify {j:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        text.push_str(&std::fs::read_to_string(j).unwrap());
    }
    text
}

#[test]
fn sigterm_quits_and_restores_the_terminal() {
    let Some((s, _home)) = start_demo() else {
        return;
    };
    kill("TERM", &flightdeck_pid(&s));
    assert_terminal_restored(&s, "exit=0");
}

/// SIGHUP (the terminal says it hung up) and SIGQUIT end the cockpit like SIGTERM: the
/// terminal restored, exit 0, and the journal — with a decision written just before — kept
/// and verifying.
#[test]
fn sighup_and_sigquit_restore_the_terminal_and_keep_the_journal() {
    for signal in ["HUP", "QUIT"] {
        let Some((s, home)) = start_demo() else {
            return;
        };
        let note = format!("before SIG{signal}");
        write_note(&s, &note);
        kill(signal, &flightdeck_pid(&s));
        assert_terminal_restored(&s, "exit=0");
        let journal = verified_replay_journals(home.path());
        assert!(journal.contains(&note), "the note is in the journal");
    }
}

/// Closing the terminal window: tmux hangs the pane's terminal up under the running cockpit.
/// It exits 0 (no panic writing to a terminal that is gone) and its journal verifies.
#[test]
fn closing_the_window_ends_the_cockpit_cleanly() {
    let status = tempfile::tempdir().unwrap();
    let status_file = status.path().join("status");
    // The shell outlives the hangup (it traps it) to write down how flightdeck ended.
    let Some((s, home)) = launch(
        &[],
        "trap : HUP;",
        &format!("echo \"exit=$?\" > {}", status_file.display()),
    ) else {
        return;
    };
    write_note(&s, "before the window closed");
    let pid = flightdeck_pid(&s);
    s.cmd(&["kill-session", "-t", &s.name]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let ended = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && text.contains("exit=")
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "flightdeck ({pid}) did not end after its window closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(ended.trim(), "exit=0", "how flightdeck ended");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "flightdeck {pid} is gone"
    );
    let journal = verified_replay_journals(home.path());
    assert!(journal.contains("before the window closed"));
}

/// A trainee's drill at 600×: at the end the debrief opens by itself in the cockpit; after
/// quitting, the training journal is written and the debrief printed for the record.
#[test]
fn a_trainee_drill_ends_with_the_debrief_on_screen() {
    let Some((s, home)) = start(&["replay", "--role", "trainee", "--speed", "600"]) else {
        return;
    };
    // The briefing first, over a clock that waits for it (600×: ten minutes a second).
    let briefing = s.wait_for("What the debrief scores", Duration::from_secs(10));
    assert!(briefing.contains("The story so far"), "{briefing}");
    std::thread::sleep(Duration::from_millis(500));
    let still = s.capture();
    assert!(still.contains("13:55:00"), "the clock waits:\n{still}");
    s.keys(&["Enter"]);
    s.wait_gone("What the debrief scores", Duration::from_secs(5));
    s.keys(&["3", "/"]);
    let search = s.wait_for("Search knowledge", Duration::from_secs(5));
    assert!(search.contains("11 of 11 documents"), "{search}");
    s.keys(&["Escape"]);
    // The whole overlay, not a frame half written when the title appeared.
    let needles = [
        "Debrief at 15:10:00",
        "First useful diagnostic",
        "Mitigation",
        "score",
    ];
    s.wait_until("the debrief", Duration::from_secs(30), |screen| {
        needles.iter().all(|n| screen.contains(n))
    });
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

/// Ctrl-Z in an interactive shell: the cockpit stops with the terminal restored (main screen),
/// `fg` brings it back drawn in full, and it still quits cleanly.
#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    if !have_tmux() {
        eprintln!("SKIPPED: install tmux to run the end-to-end terminal test");
        return;
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
    let out = s.cmd(&[
        "new-session",
        "-d",
        "-s",
        &s.name,
        "-x",
        "100",
        "-y",
        "30",
        "env",
        "PS1=$ ",
        "bash",
        "--norc",
        "--noprofile",
        "-i",
    ]);
    assert!(out.status.success());
    s.wait_for("$", Duration::from_secs(10));
    s.keys(&[
        "-l",
        &format!("FLIGHTDECK_HOME={} {bin}", home.path().display()),
    ]);
    s.keys(&["Enter"]);
    s.wait_for("ADAPTIVE", Duration::from_secs(20));
    let alternate = || {
        let alt = s.cmd(&["display-message", "-p", "-t", &s.name, "#{alternate_on}"]);
        String::from_utf8_lossy(&alt.stdout).trim().to_string()
    };
    assert_eq!(alternate(), "1");
    assert_eq!(s.mouse_reporting(), "1 1", "the cockpit takes the mouse");
    s.keys(&["C-z"]);
    let stopped = s.wait_for("Stopped", Duration::from_secs(10));
    assert_eq!(
        alternate(),
        "0",
        "the main screen while stopped:\n{stopped}"
    );
    assert_eq!(s.mouse_reporting(), "0 0", "the shell gets the mouse back");
    s.keys(&["-l", "fg"]);
    s.keys(&["Enter"]);
    s.wait_until("the cockpit back", Duration::from_secs(10), |screen| {
        screen.contains("ADAPTIVE") && screen.contains("Clusters")
    });
    assert_eq!(
        alternate(),
        "1",
        "the cockpit is on the alternate screen again"
    );
    assert_eq!(s.mouse_reporting(), "1 1", "and takes the mouse again");
    s.keys(&["q"]);
    s.wait_for("replay journal:", Duration::from_secs(10));
    // `fg`'s status is the cockpit's.
    s.keys(&["-l", "echo \"status=$?\""]);
    s.keys(&["Enter"]);
    s.wait_for("status=0", Duration::from_secs(10));
    assert_eq!(alternate(), "0");
}

/// The live cockpit in a real terminal: its help lists no replay controls, and SIGHUP (the
/// window closing) restores the terminal, exits 0 and leaves a journal that verifies.
#[test]
fn live_help_has_no_replay_keys_and_sighup_keeps_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("live.toml");
    let journal = dir.path().join("journal.jsonl");
    std::fs::write(
        &cfg,
        format!(
            "[journal]\npath = \"{}\"\n[webhook]\nlisten = \"127.0.0.1:{}\"\n",
            journal.display(),
            crate::common::live::free_port()
        ),
    )
    .unwrap();
    let Some((s, home)) = start(&["--config", cfg.to_str().unwrap()]) else {
        return;
    };
    s.keys(&["?"]);
    let help = s.wait_for("Help", Duration::from_secs(5));
    assert!(help.contains("keys in force, live"), "{help}");
    assert!(
        !help.contains("replay:"),
        "live help lists replay keys:\n{help}"
    );
    s.keys(&["Escape"]);
    s.wait_gone("Help", Duration::from_secs(5));
    kill("HUP", &flightdeck_pid(&s));
    assert_terminal_restored(&s, "exit=0");
    let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .env("FLIGHTDECK_HOME", home.path())
        .args(["journal", "verify", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "journal verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("live session of"), "{text}");
}
