//! A commander's mode override on a journal file shared by several cockpits (two people on one
//! bastion): the others follow it when the record appears, a cockpit started while it is in
//! force starts under it, and one started after it ended does not.

use flightdeck::actions::Role;
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::journal::RecordKind;
use flightdeck::journal_store::JournalFile;
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::LiveSession;
use flightdeck::slo::Mode;
use flightdeck::time::{SignedDuration, Timestamp};

fn cockpit(path: &std::path::Path, actor: &str, role: Role, at: Timestamp) -> LiveSession {
    LiveSession::new(
        CockpitConfig {
            actor: actor.into(),
            role,
            session: format!("{actor}-session"),
            ..CockpitConfig::default()
        },
        Vec::new(),
        KnowledgeBase::default(),
        at,
        Some(JournalFile::open(path).expect("the journal file opens")),
    )
}

#[test]
fn every_cockpit_on_the_journal_follows_the_override_while_it_is_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let t0: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let at = |mins: i64| t0 + SignedDuration::from_mins(mins);

    let mut lee = cockpit(&path, "lee", Role::Commander, at(0));
    let mut dana = cockpit(&path, "dana", Role::Oncall, at(0));
    lee.tick(at(0));
    dana.tick(at(0));
    assert_eq!(dana.cockpit().mode(), Mode::Adaptive);

    lee.command(
        UserCommand::OverrideMode {
            to: Some(Mode::Freeze),
            reason: "database migration in progress: nothing changes but by hand".into(),
            duration: SignedDuration::from_mins(60),
        },
        at(1),
    );
    assert_eq!(lee.cockpit().mode(), Mode::Freeze);
    // Dana's cockpit reads the record on its next tick and governs by it too.
    dana.tick(at(1));
    assert_eq!(
        dana.cockpit().mode(),
        Mode::Freeze,
        "{}",
        dana.cockpit().mode_reason()
    );
    assert_eq!(dana.cockpit().mode_override().unwrap().by, "lee");

    // Sam starts a cockpit half an hour later: the override is still in force.
    let sam = cockpit(&path, "sam", Role::Oncall, at(30));
    assert_eq!(
        sam.cockpit().mode(),
        Mode::Freeze,
        "{}",
        sam.cockpit().mode_reason()
    );
    assert_eq!(sam.cockpit().mode_override().unwrap().until, at(61));

    // After it ran out, everyone is back to the budgets' mode, and a new cockpit starts there.
    dana.tick(at(62));
    assert_eq!(dana.cockpit().mode(), Mode::Adaptive);
    let kim = cockpit(&path, "kim", Role::Oncall, at(62));
    assert_eq!(kim.cockpit().mode(), Mode::Adaptive);
    assert!(kim.cockpit().mode_override().is_none());

    // The file holds one override record and the cockpits' mode changes around it.
    let records = JournalFile::open(&path).unwrap().records().unwrap();
    assert_eq!(
        records
            .iter()
            .filter(|r| r.kind == RecordKind::Override)
            .count(),
        1
    );
    assert!(records.iter().any(|r| r.kind == RecordKind::ModeChange));
}

#[test]
fn an_ended_override_does_not_govern_a_cockpit_started_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let t0: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let at = |mins: i64| t0 + SignedDuration::from_mins(mins);
    let mut lee = cockpit(&path, "lee", Role::Commander, at(0));
    let set = |to| UserCommand::OverrideMode {
        to,
        reason: "freeze for the migration".into(),
        duration: SignedDuration::from_mins(60),
    };
    lee.command(set(Some(Mode::Freeze)), at(1));
    lee.command(set(None), at(5));
    assert_eq!(lee.cockpit().mode(), Mode::Adaptive);
    let dana = cockpit(&path, "dana", Role::Oncall, at(10));
    assert_eq!(dana.cockpit().mode(), Mode::Adaptive);
    assert!(dana.cockpit().mode_override().is_none());
}
