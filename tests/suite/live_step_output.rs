//! A step approved in live mode, run as a real process: its shell script gets the alert's labels
//! and annotations in `FD_LABEL_*` / `FD_ANNOTATION_*`; what it printed is kept beside the
//! journal file, content-addressed, named by the execution record; `journal show --output`
//! prints it, `journal verify` checks it (and names the record of a missing or altered object),
//! and the TUI shows it from the executed step and from its journal record, escapes defused.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::cli::flightdeck;
use common::live::load_config;
use crossterm::event::KeyCode;
use flightdeck::cockpit::{Cockpit, SuggestionStatus, UserCommand};
use flightdeck::journal::RecordKind;
use flightdeck::journal_store::read_records;
use flightdeck::live::{Live, LiveOptions};
use flightdeck::outputs::{object_name, output_dir};
use flightdeck::tui::overlays::output::{OutputOf, wanted};
use flightdeck::tui::{self, App, Overlay, Page, Pane};
use ratatui::{Terminal, backend::TestBackend};
use serde_json::json;
use tokio::time::Instant;

const RUNBOOK: &str = r#"---
id: payments-down
title: Payments down
alerts: [PaymentsDown]
services: [payments]
steps:
  - id: describe
    title: Say what the alert says
    kind: diagnostic
    shell: true
    script: |
      printf 'summary=%s\n' "$FD_ANNOTATION_SUMMARY"
      printf 'runbook=%s\n' "$FD_ANNOTATION_RUNBOOK_URL"
      printf 'namespace=%s\n' "$FD_LABEL_NAMESPACE"
      printf '\033]0;owned\007\033[2Jtitle\n'
      echo "payments: connection refused" >&2
      exit 7
    timeout: 20s
    audited: {by: maria, on: 2026-01-15}
---
# Payments down

Check what the alert says.
"#;

const SUMMARY: &str = "payments 5xx at 40% — $(id) `id` ; rm -rf /";

fn expected_stdout() -> Vec<u8> {
    format!(
        "summary={SUMMARY}\nrunbook=https://runbooks.example/payments\nnamespace=shop\n\
         \x1b]0;owned\x07\x1b[2Jtitle\n"
    )
    .into_bytes()
}

fn setup(dir: &Path) -> flightdeck::config::Config {
    std::fs::create_dir(dir.join("runbooks")).unwrap();
    std::fs::write(dir.join("runbooks/payments-down.md"), RUNBOOK).unwrap();
    load_config(
        dir,
        "[webhook]\nlisten = \"127.0.0.1:0\"\n\n[journal]\npath = \"journal.jsonl\"\n\n\
         [knowledge]\nrunbooks = [\"runbooks\"]\n",
    )
}

async fn post_alert(live: &Live) {
    let addr = live.sources().webhook_addr().unwrap();
    let body = json!({"version": "4", "groupKey": "{}:{alertname=\"PaymentsDown\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "flightdeck", "groupLabels": {}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": [{"status": "firing",
            "labels": {"alertname": "PaymentsDown", "service": "payments", "namespace": "shop", "severity": "critical"},
            "annotations": {"summary": SUMMARY, "runbook_url": "https://runbooks.example/payments"},
            "startsAt": "2026-11-25T23:00:58.609463328Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "", "fingerprint": "0000000000000000"}]});
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/webhook"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

async fn wait(live: &mut Live, what: &str, cond: impl FnMut(&Cockpit) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    assert!(live.run_until(deadline, cond).await, "timed out: {what}");
}

/// The screen as text, with the output the viewer wants loaded first (as the live loop does).
fn screen(app: &mut App, live: &Live) -> String {
    for object in wanted(app, live.cockpit()) {
        let loaded = live.outputs().get(&object).map_err(|e| e.to_string());
        app.outputs.insert(&object, loaded);
    }
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| tui::render(app, live.cockpit(), f))
        .unwrap();
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content()
            .iter()
            .all(|c| !c.symbol().chars().any(|ch| ch.is_control())),
        "a control character reached the terminal"
    );
    format!("{}", terminal.backend())
}

fn press(app: &mut App, live: &Live, code: KeyCode) {
    let key = crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE);
    if let Some(action) = tui::handle_key(app, key) {
        let commands = tui::update(app, action, live.cockpit());
        assert!(commands.is_empty(), "{commands:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_shell_step_gets_the_annotations_and_its_output_is_kept_shown_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let opts = LiveOptions {
        user: Some("tester".into()),
        ..LiveOptions::default()
    };
    let mut live = Live::start(&config, &opts).await.unwrap();
    assert!(live.warnings.is_empty(), "{:?}", live.warnings);
    post_alert(&live).await;
    wait(&mut live, "the runbook's step on offer", |c| {
        !c.approval_queue().is_empty()
    })
    .await;
    let id = live.cockpit().approval_queue()[0].id;
    let notices = live.command(UserCommand::Approve(id));
    assert!(notices.is_empty(), "{notices:?}");
    wait(&mut live, "the step run", |c| {
        matches!(
            c.suggestion(id).map(|s| &s.status),
            Some(SuggestionStatus::Executed { .. })
        )
    })
    .await;
    let SuggestionStatus::Executed {
        ok,
        dry_run,
        outcome,
        record,
        output,
        ..
    } = live.cockpit().suggestion(id).unwrap().status.clone()
    else {
        unreachable!()
    };
    assert!(!ok && !dry_run);
    assert!(
        outcome.as_deref().unwrap().starts_with("exit 7 in"),
        "{outcome:?}"
    );
    let output = output.expect("the run's output is named");

    // The object holds exactly what the script printed: the annotations arrived.
    let journal = dir.path().join("journal.jsonl");
    let objects = output_dir(&journal);
    let stdout = std::fs::read(objects.join(&output.stdout.blake3)).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&expected_stdout())
    );
    assert_eq!(output.stdout.blake3, object_name(&expected_stdout()));
    assert_eq!(output.stdout.bytes, expected_stdout().len() as u64);
    let stderr = std::fs::read(objects.join(&output.stderr.blake3)).unwrap();
    assert_eq!(stderr, b"payments: connection refused\n");

    // The execution record names the objects, hash and size, in its hashed body.
    let records = read_records(&journal).unwrap();
    let exec = records
        .iter()
        .find(|r| r.kind == RecordKind::Execution)
        .expect("an execution record");
    assert_eq!(exec.seq, record);
    assert_eq!(
        exec.body["exec"]["output"]["stdout"]["blake3"],
        output.stdout.blake3.as_str()
    );
    assert_eq!(
        exec.body["exec"]["output"]["stderr"]["bytes"],
        stderr.len() as u64
    );
    let seq = exec.seq.to_string();
    let journal_arg = journal.to_str().unwrap();

    // The TUI: the step stays listed under `done`; Enter on it shows what it printed.
    let mut app = App {
        size: (120, 40),
        focus: Pane::Approvals,
        ..App::default()
    };
    let s = screen(&mut app, &live);
    assert!(s.contains("done (1)") && s.contains("FAILED"), "{s}");
    press(&mut app, &live, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Overlay::Read {
            page: Page::Output(OutputOf::Step(id)),
            scroll: 0
        }
    );
    let s = screen(&mut app, &live);
    for want in [
        "summary=payments 5xx at 40% — $(id) `id` ; rm -rf /",
        "namespace=shop",
        r"\u{001b}]0;owned\u{0007}\u{001b}[2Jtitle",
        "payments: connection refused",
        "exit 7 in",
    ] {
        assert!(s.contains(want), "{want:?} not on screen:\n{s}");
    }
    press(&mut app, &live, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);

    // From the journal: Enter opens the record, Enter again its output.
    app.focus = Pane::Journal;
    app.journal.selected = Some(exec.seq);
    press(&mut app, &live, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Overlay::Read {
            page: Page::Record(exec.seq),
            scroll: 0
        }
    );
    assert!(screen(&mut app, &live).contains("Enter output"));
    press(&mut app, &live, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Overlay::Read {
            page: Page::Output(OutputOf::Record(exec.seq)),
            scroll: 0
        }
    );
    let s = screen(&mut app, &live);
    assert!(
        s.contains("namespace=shop") && s.contains("payments: connection refused"),
        "{s}"
    );

    // The CLI prints it raw when not on a terminal: stdout to stdout, stderr to stderr.
    let out = flightdeck(&[
        "journal",
        "show",
        "--journal",
        journal_arg,
        "--output",
        &seq,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, expected_stdout());
    assert_eq!(out.stderr, b"payments: connection refused\n");
    let out = flightdeck(&["journal", "show", "--journal", journal_arg, "--output", "0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not an execution"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = flightdeck(&["journal", "verify", "--journal", journal_arg]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("outputs: 2 objects of 1 executions"),
        "{text}"
    );

    // An altered object: verify names the record and says what changed; show refuses it.
    let stdout_path = objects.join(&output.stdout.blake3);
    let mut altered = expected_stdout();
    altered[8] ^= 0x20;
    std::fs::write(&stdout_path, &altered).unwrap();
    let out = flightdeck(&["journal", "verify", "--journal", journal_arg]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("BROKEN: {journal_arg}: seq {seq}: stdout:"))
            && text.contains("altered"),
        "{text}"
    );
    let out = flightdeck(&[
        "journal",
        "show",
        "--journal",
        journal_arg,
        "--output",
        &seq,
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing altered is printed");
    // A missing one likewise, in JSON too.
    std::fs::remove_file(&stdout_path).unwrap();
    let out = flightdeck(&["journal", "verify", "--journal", journal_arg, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["seq"], exec.seq);
    assert_eq!(v["error"]["stream"], "stdout");
    assert!(v["message"].as_str().unwrap().contains("missing"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_that_cannot_be_kept_does_not_lose_the_execution_record() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    // Where the objects would go is a file: they cannot be written.
    std::fs::write(dir.path().join("journal.jsonl.d"), b"in the way").unwrap();
    let opts = LiveOptions {
        user: Some("tester".into()),
        ..LiveOptions::default()
    };
    let mut live = Live::start(&config, &opts).await.unwrap();
    post_alert(&live).await;
    wait(&mut live, "the step on offer", |c| {
        !c.approval_queue().is_empty()
    })
    .await;
    let id = live.cockpit().approval_queue()[0].id;
    live.command(UserCommand::Approve(id));
    wait(&mut live, "the step run", |c| {
        matches!(
            c.suggestion(id).map(|s| &s.status),
            Some(SuggestionStatus::Executed { .. })
        )
    })
    .await;
    let records = read_records(&dir.path().join("journal.jsonl")).unwrap();
    let exec = records
        .iter()
        .find(|r| r.kind == RecordKind::Execution)
        .expect("the run is journaled all the same");
    let summary = exec.body["exec"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("exit 7") && summary.contains("output not kept"),
        "{summary}"
    );
    assert!(exec.body["exec"].get("output").is_none());
}

/// What keeping a step's output costs before its execution record can be written: stdout of
/// a given size and 200 bytes of stderr, against the floor of writing and fsyncing two files.
#[test]
#[ignore = "prints figures: cargo test --release --test suite measure_keeping_output -- --ignored --nocapture"]
fn measure_keeping_output() {
    use flightdeck::outputs::OutputStore;
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let store = OutputStore::beside(&dir.path().join("journal.jsonl"));
    let runs = 50;
    let stderr = vec![b'e'; 200];
    for size in [100usize, 64 << 10, 1 << 20] {
        let started = std::time::Instant::now();
        for i in 0..runs {
            let mut stdout = vec![b'x'; size];
            stdout[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let mut stderr = stderr.clone();
            stderr[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let names = store.put_all(&[&stdout, &stderr]).unwrap();
            assert_eq!(names.len(), 2);
        }
        let keep = started.elapsed() / runs;
        let started = std::time::Instant::now();
        for i in 0..runs {
            for (n, len) in [(0, size), (1, 200)] {
                let path = dir.path().join(format!("raw-{size}-{i}-{n}"));
                let mut f = std::fs::File::create(path).unwrap();
                f.write_all(&vec![b'y'; len]).unwrap();
                f.sync_all().unwrap();
            }
        }
        let raw = started.elapsed() / runs;
        eprintln!(
            "stdout {size:>8} B + stderr 200 B: kept in {keep:?}; two raw write+fsync {raw:?}"
        );
    }
}
