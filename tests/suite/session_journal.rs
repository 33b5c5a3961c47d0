//! Replay and drill journals kept on disk as they happen (src/session_journal.rs): names that
//! never collide, the same chain as the session's, nothing lost across a seek back, and the real
//! binary's drills read back through `journal verify`, `timeline`, `export` and
//! `scenario record`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::cli::flightdeck_at_home;
use common::replay::demo;
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::journal::{JournalRecord, RecordKind, encode_line};
use flightdeck::journal_store::{JournalFile, verify_file};
use flightdeck::replay::ReplaySession;
use flightdeck::session_journal::{SessionJournal, SessionKind};
use flightdeck::time::SignedDuration;
use proptest::prelude::*;

/// `tests/fixtures/training/drills/<name>`, absolute.
fn drill_script(name: &str) -> String {
    common::fixture_path(&format!("training/drills/{name}"))
        .display()
        .to_string()
}

/// The journal paths a run reported on stderr (`flightdeck: KIND journal: PATH`).
fn reported_journals(out: &Output, kind: &str) -> Vec<PathBuf> {
    let prefix = format!("flightdeck: {kind} journal: ");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix).map(PathBuf::from))
        .collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn lines_of(path: &Path) -> Vec<JournalRecord> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Several trainees start the same drill in the same instant (real processes, one data
/// directory): each keeps a journal of its own, which `journal verify` accepts and which holds
/// that trainee's decisions. (Named by the second, they once wrote one interleaved file.)
#[test]
fn drills_started_at_once_keep_a_journal_each() {
    const DRILLS: usize = 4;
    let home = tempfile::tempdir().unwrap();
    let script = drill_script("demo-sharp.yaml");
    let children: Vec<_> = (0..DRILLS)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_flightdeck"))
                .args([
                    "replay",
                    "--role",
                    "trainee",
                    "--headless",
                    "--json",
                    "--script",
                    &script,
                ])
                .env("FLIGHTDECK_HOME", home.path())
                .env("USER", format!("trainee{i}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("flightdeck starts")
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut reported = Vec::new();
    for (i, out) in outs.iter().enumerate() {
        ok(out, &format!("drill {i}"));
        let paths = reported_journals(out, "training");
        assert_eq!(
            paths.len(),
            1,
            "drill {i} names its journal once:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        reported.push((i, paths[0].clone()));
    }
    let on_disk = files_in(&home.path().join("data/training"));
    assert_eq!(
        on_disk.len(),
        DRILLS,
        "one journal a drill, nothing else: {on_disk:?}"
    );
    for (i, path) in &reported {
        assert!(on_disk.contains(path), "{} is in training/", path.display());
        let out = flightdeck_at_home(
            home.path(),
            &[
                "journal",
                "verify",
                "--journal",
                &path.display().to_string(),
            ],
        );
        ok(&out, &format!("journal verify of drill {i}'s journal"));
        let records = lines_of(path);
        let actors: std::collections::BTreeSet<&str> = records
            .iter()
            .filter(|r| r.role == flightdeck::actions::Role::Trainee.into())
            .map(|r| r.actor.as_str())
            .collect();
        assert_eq!(
            actors,
            [format!("trainee{i}").as_str()].into(),
            "{} holds trainee{i}'s decisions and no one else's",
            path.display()
        );
        assert!(
            records.iter().any(|r| r.kind == RecordKind::Approval),
            "the approvals are kept"
        );
    }
}

/// The whole "record → debrief → timeline → export → drill again" path on what a drill wrote.
#[test]
fn a_drill_journal_verifies_and_renders_through_timeline_export_and_record() {
    let home = tempfile::tempdir().unwrap();
    let script = drill_script("demo-sharp.yaml");
    let out = flightdeck_at_home(
        home.path(),
        &[
            "replay",
            "--role",
            "trainee",
            "--headless",
            "--script",
            &script,
        ],
    );
    ok(&out, "the drill");
    let paths = reported_journals(&out, "training");
    assert_eq!(paths.len(), 1);
    let p = paths[0].display().to_string();
    let records = lines_of(&paths[0]);
    assert!(
        records.iter().any(|r| r.kind == RecordKind::ModeChange),
        "a drill of the demo journals a mode change (numbers in its evidence)"
    );
    let verify = ok(
        &flightdeck_at_home(
            home.path(),
            &["journal", "verify", "--journal", &p, "--json"],
        ),
        "journal verify",
    );
    let verified: serde_json::Value = serde_json::from_str(&verify).unwrap();
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["report"]["records"], records.len());
    let id = verified["report"]["journal_id"].as_str().unwrap();
    let name = paths[0].file_stem().unwrap().to_string_lossy().into_owned();
    assert!(
        id.starts_with("training:checkout-pool-exhaustion:")
            && name.ends_with(id.rsplit(':').next().unwrap()),
        "the journal id {id} and the file name {name} share their unique part"
    );

    let md = ok(
        &flightdeck_at_home(
            home.path(),
            &[
                "journal",
                "timeline",
                "--journal",
                &p,
                "--format",
                "markdown",
            ],
        ),
        "journal timeline",
    );
    assert!(
        md.contains("show-pools"),
        "the approved step is in the timeline:\n{md}"
    );
    assert!(
        md.contains("restart drops every connection"),
        "the rejection's reason is in the timeline:\n{md}"
    );

    let jsonl = ok(
        &flightdeck_at_home(
            home.path(),
            &["journal", "export", "--journal", &p, "--format", "jsonl"],
        ),
        "journal export",
    );
    let decisions: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("each export line is JSON"))
        .collect();
    assert!(
        decisions.len() >= 5,
        "the drill's decisions are exported: {jsonl}"
    );

    let first = records.first().unwrap().ts.to_string();
    let last = records.last().unwrap().ts.to_string();
    let recorded = home.path().join("recorded.yaml");
    let said = ok(
        &flightdeck_at_home(
            home.path(),
            &[
                "scenario",
                "record",
                "--journal",
                &p,
                "--since",
                &first,
                "--until",
                &last,
                "-o",
                &recorded.display().to_string(),
            ],
        ),
        "scenario record",
    );
    assert!(said.contains("decisions"), "{said}");
    let text = std::fs::read_to_string(&recorded).unwrap();
    let scenario = flightdeck::training::Scenario::parse("recorded.yaml", &text).unwrap();
    assert!(
        scenario.reference_decisions().count() >= 5,
        "the trainee's decisions became the recording's reference decisions:\n{text}"
    );
    ok(
        &flightdeck_at_home(
            home.path(),
            &[
                "replay",
                &recorded.display().to_string(),
                "--headless",
                "--json",
            ],
        ),
        "replaying the recording",
    );
}

/// A name that is taken is never written to: the next random suffix is tried, and the file
/// that was there keeps its bytes.
#[test]
fn a_taken_name_is_left_alone_and_another_is_tried() {
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("demo-a.jsonl");
    std::fs::write(&taken, b"someone else's journal\n").unwrap();
    let mut names = ["a", "a", "b"].into_iter();
    let mut keep = SessionJournal::new(dir.path(), SessionKind::Replay, "demo")
        .with_suffixes(move || names.next().unwrap_or("z").to_string());
    let loaded = demo();
    let session = ReplaySession::with_journal_id(
        loaded.scenario,
        loaded.knowledge,
        CockpitConfig::default(),
        keep.journal_id().to_string(),
    );
    let n = keep.sync(session.records()).unwrap();
    assert_eq!(n, session.records().len());
    assert_eq!(keep.paths(), [dir.path().join("demo-b.jsonl")]);
    assert_eq!(
        std::fs::read(&taken).unwrap(),
        b"someone else's journal\n",
        "the taken file is untouched"
    );
    verify_file(&keep.paths()[0], None).unwrap();
    assert_eq!(
        keep.sync(session.records()).unwrap(),
        0,
        "a second sync writes nothing new"
    );
}

/// A journal created from a sealed genesis is continued only by the records that follow it
/// in the same chain: a record out of order or from another chain is refused, nothing written.
#[test]
fn sealed_records_must_continue_the_files_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let loaded = demo();
    let mut session = ReplaySession::new(
        loaded.scenario.clone(),
        loaded.knowledge.clone(),
        CockpitConfig::default(),
    );
    session.advance_to(session.scenario().start + SignedDuration::from_mins(30));
    let records = session.records();
    assert!(
        records.len() > 3,
        "the demo journals something in 30 minutes"
    );
    let mut file = JournalFile::create_new(&path, &records[0]).unwrap();
    assert_eq!(
        JournalFile::create_new(&path, &records[0])
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::AlreadyExists
    );
    let before = std::fs::read(&path).unwrap();
    assert!(file.append_sealed(&records[2..3]).is_err(), "a gap");
    let mut other = ReplaySession::with_journal_id(
        loaded.scenario,
        loaded.knowledge,
        CockpitConfig::default(),
        "another".into(),
    );
    other.advance_to(other.scenario().start + SignedDuration::from_mins(30));
    assert!(
        file.append_sealed(&other.records()[1..2]).is_err(),
        "another chain"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
    file.append_sealed(&records[1..]).unwrap();
    let bytes: Vec<u8> = records.iter().flat_map(encode_line).collect();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is the session's chain, byte for byte"
    );
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report.records, records.len() as u64);
}

#[derive(Debug, Clone)]
enum Op {
    Advance(i64),
    Note(u8),
    SeekBack(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..12).prop_map(Op::Advance),
        any::<u8>().prop_map(Op::Note),
        (1i64..20).prop_map(Op::SeekBack),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever a person does in a replay — advance, write notes, seek back and take another
    /// course — synced after each step: every file verifies; a file only ever grows (what was
    /// written stays byte for byte); the session's chain is always a prefix of the current
    /// file; and every note the session ever held is in some file.
    #[test]
    fn a_replay_journal_keeps_everything_across_seeks(ops in proptest::collection::vec(op(), 1..14)) {
        let dir = tempfile::tempdir().unwrap();
        let mut keep = SessionJournal::new(dir.path(), SessionKind::Replay, "demo");
        let loaded = demo();
        let mut session = ReplaySession::with_journal_id(
            loaded.scenario,
            loaded.knowledge,
            CockpitConfig::default(),
            keep.journal_id().to_string(),
        );
        let mut notes: Vec<String> = Vec::new();
        let mut seen: std::collections::BTreeMap<PathBuf, Vec<u8>> = Default::default();
        keep.sync(session.records()).unwrap();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Advance(m) => session.advance_to(session.position() + SignedDuration::from_mins(m)),
                Op::Note(n) => {
                    let text = format!("note {i}: {n}");
                    session.command(UserCommand::Note { text: text.clone(), kind: flightdeck::cockpit::NoteKind::Note, about: None });
                    notes.push(text);
                }
                Op::SeekBack(m) => session.seek(session.position() - SignedDuration::from_mins(m)),
            }
            keep.sync(session.records()).unwrap();
            let current = keep.paths().last().unwrap().clone();
            let now = std::fs::read(&current).unwrap();
            let chain: Vec<u8> = session.records().iter().flat_map(encode_line).collect();
            prop_assert!(now.starts_with(&chain), "the session's chain is a prefix of {}", current.display());
            for p in keep.paths() {
                let bytes = std::fs::read(p).unwrap();
                if let Some(before) = seen.get(p) {
                    prop_assert!(bytes.starts_with(before), "{} only grows", p.display());
                }
                seen.insert(p.clone(), bytes);
            }
        }
        let on_disk = files_in(dir.path());
        prop_assert_eq!(on_disk.len(), keep.paths().len());
        let mut kept_notes = Vec::new();
        for p in keep.paths() {
            verify_file(p, None).unwrap();
            kept_notes.extend(
                lines_of(p)
                    .into_iter()
                    .filter(|r| r.kind == RecordKind::Note)
                    .map(|r| r.summary),
            );
        }
        for n in &notes {
            prop_assert!(kept_notes.iter().any(|k| k.contains(n.as_str())), "{n:?} is kept");
        }
    }
}

/// tmux, for the TUI test.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "fd"]).stdout).into_owned()
    }
    fn wait_for(&self, what: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what:?}; screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

/// In the TUI, a note is on disk as soon as it is taken (not when the replay ends), Ctrl-C
/// loses nothing, and the journal's path is printed once the terminal is back.
#[test]
fn a_tui_replay_keeps_its_decisions_on_disk_as_they_happen() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required under CI"
        );
        eprintln!("SKIPPED: install tmux to run the TUI replay journal test");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let t = Tmux {
        socket: format!("flightdeck-replay-journal-{}", std::process::id()),
    };
    let script = format!(
        "FLIGHTDECK_HOME={} {} replay; echo \"exit=$?\"; sleep 60",
        home.path().display(),
        env!("CARGO_BIN_EXE_flightdeck")
    );
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "fd",
        "-x",
        "200",
        "-y",
        "30",
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.wait_for("ADAPTIVE");
    let replays = home.path().join("data/replays");
    let files = files_in(&replays);
    assert_eq!(files.len(), 1, "the replay's journal exists from the start");
    let path = files[0].clone();
    verify_file(&path, None).unwrap();

    let text = "kept on disk while the replay runs";
    t.cmd(&["send-keys", "-t", "fd", "n"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.cmd(&["send-keys", "-t", "fd", "-l", text]);
    t.cmd(&["send-keys", "-t", "fd", "C-s"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !lines_of(&path).iter().any(|r| r.summary.contains(text)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the note reached {} while the replay runs; screen:\n{}",
            path.display(),
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    t.cmd(&["send-keys", "-t", "fd", "C-c"]);
    let after = t.wait_for("exit=0");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        after.contains("replay journal:") && after.contains(&name),
        "the path is printed on exit:\n{after}"
    );
    assert_eq!(
        files_in(&replays),
        std::slice::from_ref(&path),
        "one journal, no other file"
    );
    let out = flightdeck_at_home(
        home.path(),
        &["journal", "show", "--journal", &path.display().to_string()],
    );
    assert!(ok(&out, "journal show").contains(text));
}
