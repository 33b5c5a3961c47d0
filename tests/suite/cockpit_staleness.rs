//! Runbook staleness in the cockpit: a step whose last real execution says the runbook no longer
//! works as written — it could not run (not found, not executable, timed out), or it was a
//! mitigation and failed — flags its runbook (read from the journal, whichever cockpit ran it)
//! until a later run succeeds. A diagnostic that ran and exited non-zero reported the outage it
//! looks at (curl to an exporter that is down): that is a symptom, not a stale runbook.

use std::time::Duration;

use crate::common;
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event, ExecFailure, ExecOutcome};
use flightdeck::exec::{ExecConfig, Invocation, run};
use flightdeck::journal::{Chain, JournalEntry, JournalRecord, RecordKind};
use flightdeck::load;
use flightdeck::time::Timestamp;
use serde_json::json;
use std::collections::BTreeMap;

/// An execution record of `step` with `exec` as its outcome, written by another cockpit.
/// `with_definition: false` writes it as journals did before records carried the step.
fn execution_record(
    chain: &mut Chain,
    cockpit: &Cockpit,
    step: &str,
    exec: &ExecOutcome,
    with_definition: bool,
    at: Timestamp,
) -> JournalRecord {
    let (runbook, id) = step.split_once('/').unwrap();
    let definition = cockpit
        .knowledge()
        .runbooks
        .iter()
        .find(|r| r.id == runbook)
        .and_then(|r| r.steps.iter().find(|s| s.id == id))
        .cloned()
        .filter(|_| with_definition);
    chain.seal(
        JournalEntry {
            actor: "dana".into(),
            role: flightdeck::actions::Role::Oncall.into(),
            kind: RecordKind::Execution,
            summary: format!("ran {step}"),
            body: json!({
                "step": step,
                "argv": ["kubectl", "exec", "pgbouncer"],
                "argv_hash": "x",
                "mode": "adaptive",
                "session": "another-cockpit",
                "definition": definition,
                "exec": exec,
            }),
        },
        at,
    )
}

fn execution(
    chain: &mut Chain,
    step: &str,
    ok: bool,
    dry_run: bool,
    at: Timestamp,
) -> JournalRecord {
    let exec = ExecOutcome {
        ok,
        failure: (!ok).then_some(ExecFailure::Exit),
        exit_code: Some(if ok { 0 } else { 1 }),
        summary: if ok {
            "exit 0 in 0.4s".into()
        } else {
            "exit 1 in 0.4s: ERROR: no such database".into()
        },
        duration_ms: 400,
        dry_run,
        output: None,
    };
    chain.seal(
        JournalEntry {
            actor: "dana".into(),
            role: flightdeck::actions::Role::Oncall.into(),
            kind: RecordKind::Execution,
            summary: format!("ran {step}"),
            body: json!({
                "step": step,
                "argv": ["kubectl", "exec", "pgbouncer"],
                "argv_hash": "x",
                "mode": "adaptive",
                "session": "another-cockpit",
                "exec": exec,
            }),
        },
        at,
    )
}

fn demo_cockpit(at: Timestamp) -> (Cockpit, usize) {
    let demo = load::demo().unwrap();
    let cockpit = Cockpit::new(CockpitConfig::default(), Vec::new(), demo.knowledge, at);
    let pool = cockpit
        .knowledge()
        .runbooks
        .iter()
        .position(|r| r.id == "postgres-connection-pool")
        .unwrap();
    (cockpit, pool)
}

fn codes(c: &Cockpit, runbook: usize) -> Vec<String> {
    c.runbook_staleness(runbook)
        .into_iter()
        .map(|f| f.code)
        .collect()
}

/// What running `argv` for real gives the cockpit (the executor's outcome, or the outcome of
/// a step that could not be started), with a short timeout.
async fn really_run(argv: &[&str]) -> ExecOutcome {
    let cfg = ExecConfig {
        timeout: Duration::from_millis(300),
        grace: Duration::from_millis(100),
        dry_run: false,
        ..ExecConfig::default()
    };
    let inv = Invocation::argv(argv.iter().map(|s| s.to_string()).collect());
    match run(&inv, &cfg).await {
        Ok(r) => r.outcome(),
        Err(e) => e.outcome(),
    }
}

#[test]
fn a_failed_mitigation_marks_its_runbook_until_it_runs_again() {
    let at: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let (mut cockpit, pool) = demo_cockpit(at);
    assert!(
        codes(&cockpit, pool).is_empty(),
        "reviewed 2026-01-15: fresh on 2026-03-01"
    );

    let mut chain = Chain::resume(0, String::new());
    let step = "postgres-connection-pool/terminate-idle-in-transaction";
    // A dry run says nothing about the runbook.
    cockpit.apply(
        Event::Journaled(execution(&mut chain, step, false, true, at)),
        at,
    );
    assert!(codes(&cockpit, pool).is_empty());
    cockpit.apply(
        Event::Journaled(execution(&mut chain, step, false, false, at)),
        at,
    );
    assert_eq!(codes(&cockpit, pool), ["step-failed"]);
    let message = &cockpit.runbook_staleness(pool)[0].message;
    assert!(
        message.contains("terminate-idle-in-transaction failed when last executed"),
        "{message}"
    );
    assert!(message.contains("no such database"), "{message}");

    cockpit.apply(
        Event::Journaled(execution(&mut chain, step, true, false, at)),
        at,
    );
    assert!(
        codes(&cockpit, pool).is_empty(),
        "a later success clears it"
    );

    // Reviewed too long ago: stale by age (180 days by default).
    let late: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
    cockpit.apply(Event::Tick, late);
    assert_eq!(codes(&cockpit, pool), ["stale"]);
}

/// Real processes: a diagnostic that exits non-zero because the outage is real leaves its
/// runbook fresh; one that cannot run — its program is not there, a shell cannot find its
/// command, it hangs past its timeout — marks it, until it runs again (whatever it then finds).
#[tokio::test]
async fn a_diagnostic_marks_its_runbook_only_when_it_could_not_run() {
    let at: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let (mut cockpit, pool) = demo_cockpit(at);
    let mut chain = Chain::resume(0, String::new());
    let step = "postgres-connection-pool/show-pools";

    // `curl` to an exporter that is down: exit 7, "Failed to connect".
    let symptom = really_run(&["sh", "-c", "echo 'curl: (7) Failed to connect' >&2; exit 7"]).await;
    assert!(!symptom.ok && !symptom.could_not_run(), "{symptom:?}");
    assert_eq!(symptom.failure, Some(ExecFailure::Exit));
    let not_there = really_run(&["/nonexistent/flightdeck-no-such-curl"]).await;
    assert_eq!(not_there.failure, Some(ExecFailure::Spawn));
    let not_found = really_run(&["sh", "-c", "flightdeck-no-such-psql -c 'SHOW POOLS'"]).await;
    assert_eq!(not_found.exit_code, Some(127));
    let hangs = really_run(&["sleep", "5"]).await;
    assert_eq!(hangs.failure, Some(ExecFailure::Timeout));

    for with_definition in [true, false] {
        let mut journal = |c: &mut Cockpit, exec: &ExecOutcome| {
            let r = execution_record(&mut chain, c, step, exec, with_definition, at);
            c.apply(Event::Journaled(r), at);
        };
        journal(&mut cockpit, &symptom);
        assert!(
            codes(&cockpit, pool).is_empty(),
            "a diagnostic reporting the outage: {:?}",
            cockpit.runbook_staleness(pool)
        );
        for broken in [&not_there, &not_found, &hangs] {
            journal(&mut cockpit, broken);
            assert_eq!(codes(&cockpit, pool), ["step-failed"], "{broken:?}");
            let message = &cockpit.runbook_staleness(pool)[0].message;
            assert!(
                message.contains("show-pools failed when last executed")
                    && (message.contains("did not run") || message.contains("could not run")),
                "{message}"
            );
            // It ran again and found the outage: it works as written.
            journal(&mut cockpit, &symptom);
            assert!(codes(&cockpit, pool).is_empty(), "after {broken:?}");
        }
    }
}

/// Journals written before execution records said how a run failed are judged by their exit
/// code and summary: still readable, and a diagnostic's exit 1 is still no staleness.
#[test]
fn old_execution_records_without_a_failure_kind_are_judged_by_their_exit() {
    let at: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let (mut cockpit, pool) = demo_cockpit(at);
    let mut chain = Chain::resume(0, String::new());
    let old = |exit_code: Option<i32>, summary: &str| json!({"ok": false, "exit_code": exit_code, "summary": summary, "duration_ms": 5, "dry_run": false});
    let cases = [
        (
            "postgres-connection-pool/show-pools",
            old(Some(1), "exit 1 in 0.0s"),
            false,
        ),
        (
            "postgres-connection-pool/show-pools",
            old(Some(127), "exit 127 in 0.0s"),
            true,
        ),
        (
            "postgres-connection-pool/show-databases",
            old(
                None,
                "did not run: cannot start \"psql\": No such file or directory (os error 2)",
            ),
            true,
        ),
        (
            "postgres-connection-pool/show-activity",
            old(None, "timed out after 30.0s (SIGTERM)"),
            true,
        ),
        (
            "postgres-connection-pool/restart-postgres",
            old(Some(1), "exit 1 in 2.0s"),
            true,
        ),
    ];
    for (step, exec, stale) in cases {
        let parsed: ExecOutcome =
            serde_json::from_value(exec.clone()).expect("an old outcome reads");
        assert_eq!(parsed.failure, None);
        let r = chain.seal(
            JournalEntry {
                actor: "dana".into(),
                role: flightdeck::actions::Role::Oncall.into(),
                kind: RecordKind::Execution,
                summary: format!("ran {step}"),
                body: json!({"step": step, "argv": ["x"], "argv_hash": "x", "mode": "adaptive",
                             "session": "old", "exec": exec}),
            },
            at,
        );
        cockpit.apply(Event::Journaled(r), at);
        let marked = cockpit
            .runbook_staleness(pool)
            .iter()
            .any(|f| f.message.contains(step.split('/').nth(1).unwrap()));
        assert_eq!(marked, stale, "{step} {exec}");
    }
}

/// A cockpit that has seen `BatchJobSlow` fire six times, three hours apart, with nobody acting
/// on it; its labels; the time after the last firing.
fn a_batch_job_nobody_acts_on() -> (Cockpit, BTreeMap<String, String>, Timestamp) {
    use flightdeck::alerts::{Alert, AlertState};

    let start: Timestamp = "2026-11-20T00:00:00Z".parse().unwrap();
    let mut cockpit = Cockpit::new(
        CockpitConfig::default(),
        Vec::new(),
        flightdeck::knowledge::KnowledgeBase::default(),
        start,
    );
    let labels = common::alerts::labels(&[
        ("alertname", "BatchJobSlow"),
        ("service", "reports"),
        ("severity", "warning"),
    ]);
    let mut last = start;
    // Six firings, three hours apart, each resolved after ten minutes.
    for i in 0..6 {
        let fired = start + flightdeck::time::SignedDuration::from_hours(3 * i);
        let resolved = fired + flightdeck::time::SignedDuration::from_mins(10);
        let alert = |state, ends_at| Alert {
            labels: labels.clone(),
            annotations: BTreeMap::new(),
            starts_at: fired,
            ends_at,
            state,
            generator_url: None,
            detail: Default::default(),
        };
        cockpit.apply(Event::Alert(alert(AlertState::Firing, None)), fired);
        cockpit.apply(Event::Tick, fired);
        cockpit.apply(
            Event::Alert(alert(AlertState::Resolved, Some(resolved))),
            resolved,
        );
        last = resolved;
    }
    let later = last + flightdeck::time::SignedDuration::from_mins(5);
    cockpit.apply(Event::Tick, later);
    assert!(never_acted_on(&cockpit), "{:?}", cockpit.stale_candidates());
    assert!(cockpit.stale_candidate_count() > 0);
    (cockpit, labels, later)
}

fn never_acted_on(c: &Cockpit) -> bool {
    use flightdeck::alerts::NoiseMark;
    c.stale_candidates().iter().any(|s| {
        s.noise
            .iter()
            .any(|m| matches!(m, NoiseMark::NeverActedOn { .. }))
    })
}

/// An alert that fires again and again with nobody acting on it is noise a team could retire;
/// a decision journaled about its incident (here another cockpit's rejection) clears the mark.
#[test]
fn an_alert_nobody_acts_on_is_noise_until_somebody_does() {
    let (mut cockpit, labels, later) = a_batch_job_nobody_acts_on();
    let fp = flightdeck::alerts::fingerprint(&labels);
    let mut chain = Chain::resume(0, String::new());
    let rejection = chain.seal(
        JournalEntry {
            actor: "dana".into(),
            role: flightdeck::actions::Role::Oncall.into(),
            kind: RecordKind::Rejection,
            summary: "rejected restart: the job is just slow on Mondays".into(),
            body: json!({
                "step": "reports/restart",
                "argv": ["systemctl", "restart", "reports"],
                "argv_hash": "x",
                "mode": "adaptive",
                "session": "another-cockpit",
                "source": fp.to_string(),
                "reason": "the job is just slow on Mondays",
            }),
        },
        later,
    );
    cockpit.apply(Event::Journaled(rejection), later);
    assert!(
        !never_acted_on(&cockpit),
        "somebody acted: {:?}",
        cockpit.stale_candidates()
    );
}

/// A hypothesis written about the incident is acting on it; a plain note is not. Both go the
/// whole way: the command, the entry the cockpit asks to journal, the sealed record back.
#[test]
fn a_hypothesis_about_the_incident_counts_as_acting_on_it_a_note_does_not() {
    use flightdeck::cockpit::{Effect, UserCommand};

    let (mut cockpit, _, later) = a_batch_job_nobody_acts_on();
    let cluster = cockpit
        .clusters()
        .iter()
        .find(|c| c.alertnames.contains("BatchJobSlow"))
        .map(|c| c.id)
        .expect("the batch job's cluster");
    let mut chain = Chain::resume(0, String::new());
    let mut write = |cockpit: &mut Cockpit, hypothesis: bool, text: &str| {
        let effects = cockpit.apply(
            Event::User(UserCommand::Note {
                text: text.into(),
                kind: if hypothesis {
                    flightdeck::cockpit::NoteKind::Hypothesis
                } else {
                    flightdeck::cockpit::NoteKind::Note
                },
                about: Some(cluster),
            }),
            later,
        );
        let [Effect::Journal(entry)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(entry.body["alertnames"], json!(["BatchJobSlow"]));
        assert_eq!(entry.body["cluster"], cockpit.cluster_name(cluster));
        let record = chain.seal(entry.clone(), later);
        cockpit.apply(Event::Journaled(record), later);
    };
    write(&mut cockpit, false, "it fires every Monday");
    assert!(never_acted_on(&cockpit), "a note is not acting on it");
    write(
        &mut cockpit,
        true,
        "the Monday report query scans the whole table",
    );
    assert!(
        !never_acted_on(&cockpit),
        "a hypothesis is: {:?}",
        cockpit.stale_candidates()
    );
}
