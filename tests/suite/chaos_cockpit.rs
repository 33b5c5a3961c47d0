//! A chaos experiment started from the live cockpit (issue 21): the real binary in tmux at
//! 100×30 on a real Prometheus (scraping itself, its query API the SLO), `x` opens the
//! experiments view, `r` and `y` start the run — `flightdeck experiment run` as a child process
//! of the cockpit, which journals its start before its first action —, the view shows it
//! running with its guard (read from the journal the child writes, the Prometheus probes read by
//! the cockpit itself against their tolerance), `H` and `y` journal a halt,
//! the child's guard halts it and its rollback runs, the journal holds the whole story and
//! verifies, and the cockpit says how the child ended.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::chaos_live::{Site, experiment};
use crate::e2e_terminal::launch;
use crate::live_servers::{PROMETHEUS, need};

fn experiment_records(journal: &Path) -> Vec<flightdeck::journal::JournalRecord> {
    flightdeck::journal_store::read_records(journal)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.kind == flightdeck::journal::RecordKind::Experiment)
        .collect()
}

fn wait_journal(
    journal: &Path,
    what: &str,
    done: impl Fn(&[flightdeck::journal::JournalRecord]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let records = experiment_records(journal);
        if done(&records) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; records: {:#?}",
            records.iter().map(|r| &r.summary).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_run_started_from_the_cockpit_shows_its_guard_and_h_halts_it() {
    if !need(&[PROMETHEUS]) || !Path::new("/usr/bin/curl").exists() {
        return;
    }
    let site = Site::start();
    let (dir, prom) = (&site.dir, &site.prom);
    let config = site.configure("[experiments]\ndir = \"experiments\"\n");
    let marker = dir.path().join("rolled-back");
    std::fs::create_dir(dir.path().join("experiments")).unwrap();
    // Good queries only: nothing spends the budget, so only the halt stops it.
    let text = experiment(&prom.url(), &marker).replace("query=sum(x)[1-40]", "query=up");
    std::fs::write(dir.path().join("experiments/harmless.json"), text).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let Some((s, _home)) = launch(
        &[
            "--config",
            config.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        "",
        "echo \"exit=$?\"; sleep 60",
    ) else {
        return;
    };
    s.keys(&["x"]);
    // The gate opens once the cockpit has budget data for the SLO of the blast radius.
    s.wait_for("may start now", Duration::from_secs(60));
    // The Prometheus probe, read by the cockpit off the render path, against its tolerance;
    // the gate counts it (nothing left unchecked).
    let probed = s.wait_until(
        "the Prometheus probe read",
        Duration::from_secs(30),
        |screen| {
            screen.contains("steady state prometheus up (Prometheus, read here): 1.000 (tolerance")
                && screen.contains("2 probe(s) within tolerance")
        },
    );
    assert!(!probed.contains("not checked here"), "{probed}");
    s.keys(&["r"]);
    s.wait_for("start this experiment now", Duration::from_secs(10));
    assert!(
        experiment_records(&journal).is_empty(),
        "nothing is journaled before y"
    );
    s.keys(&["y"]);
    s.wait_for("started experiment", Duration::from_secs(10));
    // The child's start record comes before its first action.
    wait_journal(&journal, "the method's first step", |rs| {
        rs.iter()
            .any(|r| r.body["phase"] == "step" && r.body["section"] == "method")
    });
    let rs = experiment_records(&journal);
    let start = rs.iter().position(|r| r.body["phase"] == "start");
    let step = rs.iter().position(|r| r.body["phase"] == "step");
    assert!(start.is_some() && start < step, "{rs:#?}");
    // The view shows it running with its guard, from the journal the child writes.
    // The guard's lines come from more than one record (the start, then the child's watches):
    // wait for all of them on one screen rather than read them at the first frame that says
    // RUNNING (a loaded machine drew that frame before the first watch).
    s.wait_until("the run and its guard", Duration::from_secs(90), |screen| {
        screen.contains("RUNNING since")
            && screen.contains("H halts it")
            && screen.contains("budget prom-queries: spent")
            && screen.contains("left of 3m")
            && screen.contains("steady state prometheus up: 1.000 (tolerance")
    });
    s.keys(&["H"]);
    s.wait_for("halt this run", Duration::from_secs(10));
    s.keys(&["y"]);
    wait_journal(&journal, "the run's end", |rs| {
        rs.iter().any(|r| r.body["phase"] == "end")
    });
    assert!(marker.exists(), "the rollback ran");
    let rs = experiment_records(&journal);
    let phases: Vec<&str> = rs.iter().filter_map(|r| r.body["phase"].as_str()).collect();
    assert_eq!(phases.first(), Some(&"start"), "{phases:?}");
    assert!(phases.contains(&"halt"), "{phases:?}");
    let abort = rs.iter().find(|r| r.body["phase"] == "abort").unwrap();
    assert_eq!(abort.body["breach"]["kind"], "stopped", "{}", abort.summary);
    assert_eq!(phases.last(), Some(&"end"), "{phases:?}");
    assert!(flightdeck::journal_store::verify_file(&journal, None).is_ok());
    // The cockpit says how the child ended, and the view shows the run halted.
    let ended = s.wait_for("halted by its guard", Duration::from_secs(20));
    assert!(ended.contains("halted"), "{ended}");
    s.keys(&["q"]);
    s.wait_for("exit=0", Duration::from_secs(10));
    // The child's output is beside the journal.
    let logs: Vec<_> = std::fs::read_dir(dir.path().join("journal.jsonl.d/experiments"))
        .unwrap()
        .collect();
    assert_eq!(logs.len(), 1);
}

/// In a replay `r` starts nothing real: the real binary replays a copy of the demo with the
/// bundled experiment in an `experiments/` directory beside it (no scenario-run of its own),
/// `r`, `y` start a dry run on the replay's clock; the view shows it running; `H`, `y` halt it
/// (the abort's evidence "halted by <person>").
#[test]
fn in_a_replay_r_starts_a_dry_run_on_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let copy = std::process::Command::new("cp")
        .args(["-r", "assets/demo", demo.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(copy.success());
    std::fs::create_dir(demo.join("experiments")).unwrap();
    std::fs::copy(
        "assets/scenarios/chaos-halt/experiment.yaml",
        demo.join("experiments/pod-loss.yaml"),
    )
    .unwrap();
    let scenario = demo.join("scenario.yaml");
    let Some((s, _home)) = launch(
        &["replay", scenario.to_str().unwrap(), "--speed", "30"],
        "",
        "echo \"exit=$?\"; sleep 60",
    ) else {
        return;
    };
    s.keys(&["x"]);
    s.wait_for("may start now", Duration::from_secs(20));
    s.keys(&["r"]);
    s.wait_for(
        "start a dry run on the replay's clock",
        Duration::from_secs(10),
    );
    s.keys(&["y"]);
    let running = s.wait_for("RUNNING (dry run) since", Duration::from_secs(20));
    assert!(
        running.contains("budget checkout-availability: spent"),
        "{running}"
    );
    // H, then y: the run is halted in the replay (its rollbacks dry-run), before the
    // governor's move to FREEZE (about 10 virtual minutes in) would have.
    s.keys(&["H"]);
    s.keys(&["y"]);
    s.wait_for("halted by", Duration::from_secs(20));
    s.wait_for("halted · blocked", Duration::from_secs(30));
    s.keys(&["q"]);
    s.wait_for("exit=0", Duration::from_secs(10));
}

/// A run the cockpit starts (`r`) that ends before its gate decides — here the file it names
/// no longer parses — journaled nothing of its own: the cockpit journals its failed start (who,
/// which experiment, the exit status, the log's last lines) and `experiment report` lists it.
/// A run that reached its gate (its `refused` record names the launch) gets no such record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_ends_before_its_gate_is_journaled_by_the_cockpit() {
    use flightdeck::commands::experiment::RunEnded;
    use flightdeck::journal::{JournalEntry, RecordKind};

    let dir = tempfile::tempdir().unwrap();
    let cfg = crate::common::live::load_config(
        dir.path(),
        &format!(
            "[webhook]\nlisten = \"127.0.0.1:{}\"\n",
            crate::common::live::free_port()
        ),
    );
    let journal = dir.path().join("journal.jsonl");
    let opts = flightdeck::live::LiveOptions {
        user: Some("dana".into()),
        journal: Some(journal.clone()),
        ..flightdeck::live::LiveOptions::default()
    };
    let mut live = flightdeck::live::Live::start(&cfg, &opts).await.unwrap();
    live.launcher_mut().program = env!("CARGO_BIN_EXE_flightdeck").into();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "title: [never closed\n").unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let said = live
        .launcher_mut()
        .launch(
            broken.to_str().unwrap(),
            "Broken pods",
            Some("d1".into()),
            tx,
        )
        .unwrap();
    assert!(
        said.contains("started experiment \"Broken pods\""),
        "{said}"
    );
    let ended = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the run exits")
        .unwrap();
    assert!(!ended.ran);
    // An error exits 2 (a refusal by the gate, 1).
    assert_eq!(ended.failed.exit_code, Some(2));
    assert_eq!(ended.failed.status, "exit 2");
    assert!(
        ended
            .failed
            .last_lines
            .iter()
            .any(|l| l.contains("broken.yaml")),
        "the log names the file: {:?}",
        ended.failed.last_lines
    );
    live.run_ended(ended.clone());
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Experiment && r.body["phase"] == "failed_start")
        .collect();
    assert_eq!(failed.len(), 1, "{records:#?}");
    let f = failed[0];
    assert_eq!(f.actor, "dana");
    assert_eq!(f.body["title"], "Broken pods");
    assert_eq!(f.body["digest"], "d1");
    assert_eq!(f.body["exit_code"], 2);
    assert_eq!(f.body["status"], "exit 2");
    assert_eq!(f.body["launch"], ended.failed.launch.as_str());
    assert!(
        f.body["last_lines"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    assert!(f.summary.contains("did not start"), "{}", f.summary);
    let out = crate::common::cli::flightdeck(&[
        "experiment",
        "report",
        "--journal",
        journal.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 ended before their gate"), "{text}");
    assert!(text.contains("did not start #"), "{text}");
    assert!(text.contains("started by dana from the cockpit"), "{text}");
    let out = crate::common::cli::flightdeck(&[
        "journal",
        "export",
        "--journal",
        journal.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"experiment_failed_start\""), "{text}");

    // A run that reached its gate: its refused record (another writer's) names the launch.
    let mut other = flightdeck::journal_store::JournalFile::open(&journal).unwrap();
    other
        .append(
            JournalEntry {
                actor: "dana".into(),
                role: flightdeck::actions::Role::Oncall.into(),
                kind: RecordKind::Experiment,
                summary: "experiment \"Broken pods\" may not start: mode".into(),
                body: serde_json::json!({"phase": "refused", "title": "Broken pods", "launch": "L2"}),
            },
            flightdeck::time::Timestamp::now(),
        )
        .unwrap();
    let mut refused = ended.clone();
    refused.failed.launch = "L2".into();
    live.run_ended(RunEnded { ..refused });
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    assert_eq!(
        records
            .iter()
            .filter(|r| r.body["phase"] == "failed_start")
            .count(),
        1,
        "no failed start for a run that reached its gate"
    );
}
