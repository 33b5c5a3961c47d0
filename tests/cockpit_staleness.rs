//! Runbook staleness in the cockpit: a step whose last real execution failed (read from the
//! journal, whichever cockpit ran it) flags its runbook until a later run succeeds.

mod common;

use flightdeck::cockpit::{Cockpit, CockpitConfig, Event, ExecOutcome};
use flightdeck::journal::{Chain, JournalEntry, JournalRecord, RecordKind};
use flightdeck::load;
use flightdeck::time::Timestamp;
use serde_json::json;
use std::collections::BTreeMap;

fn execution(
    chain: &mut Chain,
    step: &str,
    ok: bool,
    dry_run: bool,
    at: Timestamp,
) -> JournalRecord {
    let exec = ExecOutcome {
        ok,
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
            role: "oncall".into(),
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

#[test]
fn a_failed_step_marks_its_runbook_until_it_runs_again() {
    let demo = load::demo().unwrap();
    let at: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let mut cockpit = Cockpit::new(CockpitConfig::default(), Vec::new(), demo.knowledge, at);
    let pool = cockpit
        .knowledge()
        .runbooks
        .iter()
        .position(|r| r.id == "postgres-connection-pool")
        .unwrap();
    let codes = |c: &Cockpit| -> Vec<String> {
        c.runbook_staleness(pool)
            .into_iter()
            .map(|f| f.code)
            .collect()
    };
    assert!(
        codes(&cockpit).is_empty(),
        "reviewed 2026-01-15: fresh on 2026-03-01"
    );

    let mut chain = Chain::resume(0, String::new());
    let step = "postgres-connection-pool/show-pools";
    // A dry run says nothing about the runbook.
    cockpit.apply(
        Event::Journaled(execution(&mut chain, step, false, true, at)),
        at,
    );
    assert!(codes(&cockpit).is_empty());
    cockpit.apply(
        Event::Journaled(execution(&mut chain, step, false, false, at)),
        at,
    );
    assert_eq!(codes(&cockpit), ["step-failed"]);
    let message = &cockpit.runbook_staleness(pool)[0].message;
    assert!(
        message.contains("show-pools failed when last executed"),
        "{message}"
    );
    assert!(message.contains("no such database"), "{message}");

    cockpit.apply(
        Event::Journaled(execution(&mut chain, step, true, false, at)),
        at,
    );
    assert!(codes(&cockpit).is_empty(), "a later success clears it");

    // Reviewed too long ago: stale by age (180 days by default).
    let late: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
    cockpit.apply(Event::Tick, late);
    assert_eq!(codes(&cockpit), ["stale"]);
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
            role: "oncall".into(),
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
                hypothesis,
                about: Some(cluster),
            }),
            later,
        );
        let [Effect::Journal(entry)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_eq!(entry.body["alertnames"], json!(["BatchJobSlow"]));
        assert_eq!(entry.body["cluster"], cluster.to_string());
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
