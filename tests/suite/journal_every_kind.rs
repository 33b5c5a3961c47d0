//! Every record kind the cockpit writes — mode changes with their evidence, approvals with the
//! budgets shown, rejections, edits, notes and hypotheses, silences proposed, overrides, work
//! done by hand, executions — written through the real file store and read back by every
//! command that consumes a journal: `journal verify`, `show`, `show --json`, `timeline` and
//! `export`. The seam where the float defect hid: the tests wrote notes without numbers and
//! never read back what a session wrote.

use crate::common;
use std::collections::BTreeSet;

use common::cli::flightdeck_at_home;
use flightdeck::actions::{Role, SilenceRequest};
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::journal::{JournalEntry, RecordKind, encode_line};
use flightdeck::journal_store::{JournalFile, verify_file};
use flightdeck::replay::ReplaySession;
use flightdeck::slo::Mode;
use flightdeck::time::SignedDuration;

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The demo as a commander works it: every kind of decision, then replayed to its end.
fn worked_demo() -> ReplaySession {
    let loaded = flightdeck::load::demo().unwrap();
    let config = CockpitConfig {
        actor: "dana".into(),
        role: Role::Commander,
        ..CockpitConfig::default()
    };
    let mut s = ReplaySession::new(loaded.scenario.clone(), loaded.knowledge, config);
    let start = loaded.scenario.start;
    s.advance_to(start + SignedDuration::from_mins(20));

    let queue: Vec<_> = s
        .cockpit()
        .approval_queue()
        .into_iter()
        .filter(|q| q.argv.is_ok())
        .map(|q| q.id)
        .collect();
    assert!(queue.len() >= 4, "the demo offers steps by +20m: {queue:?}");
    let cluster = s.cockpit().clusters()[0].id;
    let mut notices = Vec::new();
    notices.extend(s.command(UserCommand::Note {
        text: "p99 at 2.1 s, 0.37 of requests failing — \"é\" 😀".into(),
        kind: flightdeck::cockpit::NoteKind::Note,
        about: Some(cluster),
    }));
    notices.extend(s.command(UserCommand::Note {
        text: "the pool is exhausted (max 100)".into(),
        kind: flightdeck::cockpit::NoteKind::Hypothesis,
        about: Some(cluster),
    }));
    notices.extend(s.command(UserCommand::Approve(queue[0])));
    notices.extend(s.command(UserCommand::Reject {
        id: queue[1],
        reason: "not before the rollback".into(),
    }));
    notices.extend(s.command(UserCommand::Edit {
        id: queue[2],
        argv: vec!["kubectl".into(), "get".into(), "pods".into(), "-A".into()],
    }));
    notices.extend(s.command(UserCommand::RecordManual {
        id: queue[3],
        what: "ran it from the bastion: 3 pods restarted".into(),
    }));
    let disk = s
        .cockpit()
        .clusters()
        .iter()
        .find(|c| c.alertnames.contains("NodeFilesystemSpaceFillingUp"))
        .expect("the demo's disk alert has fired by +20m")
        .id;
    let silence = SilenceRequest::from_form(
        &[
            "alertname=NodeFilesystemSpaceFillingUp".to_string(),
            "--duration=1h".to_string(),
            "--comment=known noise: 97.5% full, cleanup at 16:00".to_string(),
        ],
        "dana",
    )
    .unwrap();
    notices.extend(s.command(UserCommand::ProposeSilence {
        cluster: disk,
        silence,
    }));
    notices.extend(s.command(UserCommand::OverrideMode {
        to: Some(Mode::Redesign),
        reason: "stricter while we roll back".into(),
        duration: SignedDuration::from_mins(30),
    }));
    s.advance_to(start + SignedDuration::from_mins(25));
    notices.extend(s.command(UserCommand::OverrideMode {
        to: None,
        reason: "rollback done".into(),
        duration: SignedDuration::from_mins(30),
    }));
    s.advance_to(loaded.scenario.end());
    eprintln!("notices: {notices:?}");
    s
}

#[test]
fn every_record_kind_survives_the_store_and_every_reader() {
    let session = worked_demo();
    let records = session.records();
    let kinds: BTreeSet<&str> = records.iter().map(|r| r.kind.name()).collect();
    for kind in [
        "genesis",
        "mode_change",
        "note",
        "hypothesis",
        "approval",
        "rejection",
        "edit",
        "manual",
        "proposal",
        "override",
        "execution",
    ] {
        assert!(
            kinds.contains(kind),
            "the session wrote no {kind}: {kinds:?}"
        );
    }
    assert!(
        records
            .iter()
            .any(|r| r.kind == RecordKind::ModeChange && r.body.to_string().contains('.')),
        "mode changes carry fractional evidence"
    );

    let home = tempfile::tempdir().unwrap();
    // 1. The session's own chain, byte for byte, as a file.
    let as_written = home.path().join("session.jsonl");
    let bytes: Vec<u8> = records.iter().flat_map(encode_line).collect();
    std::fs::write(&as_written, &bytes).unwrap();
    // 2. The same entries appended one by one through the durable store (its self-check).
    let through_store = home.path().join("journal.jsonl");
    let mut j = JournalFile::open(&through_store).unwrap();
    for r in &records[1..] {
        j.append(
            JournalEntry {
                actor: r.actor.clone(),
                role: r.role.clone(),
                kind: r.kind,
                summary: r.summary.clone(),
                body: r.body.clone(),
            },
            r.ts,
        )
        .unwrap_or_else(|e| panic!("seq {} ({}) refused: {e}", r.seq, r.kind.name()));
    }
    drop(j);

    for path in [&as_written, &through_store] {
        let p = path.to_str().unwrap();
        let report = verify_file(path, None).unwrap();
        assert_eq!(report.records, records.len() as u64);
        let out = stdout(&flightdeck_at_home(
            home.path(),
            &["journal", "verify", "--journal", p],
        ));
        assert!(out.contains("intact"), "{out}");

        let show = stdout(&flightdeck_at_home(
            home.path(),
            &["journal", "show", "--journal", p],
        ));
        for label in [
            "mode", "approve", "reject", "edit", "by hand", "propose", "override",
        ] {
            assert!(show.contains(label), "show lists {label}:\n{show}");
        }
        assert!(show.contains("0.37 of requests failing"), "{show}");

        let json = stdout(&flightdeck_at_home(
            home.path(),
            &["journal", "show", "--journal", p, "--json"],
        ));
        let shown: Vec<serde_json::Value> = json
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(shown.len(), records.len());
        for (a, b) in shown.iter().zip(records).skip(1) {
            assert_eq!(a["body"], b.body, "show --json keeps every body exactly");
        }

        let timeline = stdout(&flightdeck_at_home(
            home.path(),
            &[
                "journal",
                "timeline",
                "--journal",
                p,
                "--format",
                "markdown",
            ],
        ));
        for word in [
            "**mode**",
            "**approved**",
            "**rejected**",
            "**done by hand**",
            "override",
        ] {
            assert!(timeline.contains(word), "timeline has {word}:\n{timeline}");
        }

        let export = stdout(&flightdeck_at_home(
            home.path(),
            &["journal", "export", "--journal", p, "--format", "jsonl"],
        ));
        let exported: Vec<serde_json::Value> = export
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let exported_kinds: BTreeSet<String> = exported
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_string))
            .collect();
        for kind in ["approve", "reject", "manual", "mode_change", "override"] {
            assert!(
                exported_kinds.contains(kind),
                "export has {kind}: {exported_kinds:?}"
            );
        }
    }
}
