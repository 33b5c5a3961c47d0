//! Who may act as commander (issue 17 §13): with `[team] commanders` in the config, a decision
//! in the commander role from someone outside the roster is refused with a clear message, and a
//! cockpit on the roster does not take another cockpit's out-of-roster claim as a commander's.

use crate::common;
use flightdeck::actions::Role;
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::journal::RecordKind;
use flightdeck::journal_store::JournalFile;
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::LiveSession;
use flightdeck::slo::Mode;
use flightdeck::time::{SignedDuration, Timestamp};

fn roster() -> Option<Vec<String>> {
    Some(vec!["lee".to_string(), "maria".to_string()])
}

fn override_to(to: Mode) -> UserCommand {
    UserCommand::OverrideMode {
        to: Some(to),
        reason: "the SLI counts synthetic probes".into(),
        duration: SignedDuration::from_mins(30),
    }
}

#[test]
fn a_commander_claim_outside_the_roster_decides_nothing() {
    let as_commander = |actor: &str| {
        common::replay::session_with(
            common::replay::demo(),
            30,
            CockpitConfig {
                actor: actor.into(),
                role: Role::Commander,
                commanders: roster(),
                ..CockpitConfig::default()
            },
        )
    };
    let mut mallory = as_commander("mallory");
    let before = mallory.records().len();
    let id = mallory.cockpit().approval_queue()[0].id;
    for command in [
        override_to(Mode::Adaptive),
        UserCommand::Approve(id),
        UserCommand::AcknowledgeDrift,
    ] {
        let notices = mallory.command(command);
        assert!(
            notices.iter().any(|n| n.contains(
                "mallory is not on the team's commander roster ([team] commanders: lee, maria)"
            )),
            "{notices:?}"
        );
    }
    assert_eq!(mallory.records().len(), before, "nothing journaled");
    assert_ne!(mallory.cockpit().mode(), Mode::Adaptive);

    // On the roster, the same override is taken.
    let mut lee = as_commander("lee");
    assert!(lee.command(override_to(Mode::Adaptive)).is_empty());
    assert_eq!(lee.cockpit().mode(), Mode::Adaptive);

    // Without a roster, the claim is taken as given (as before rosters existed).
    let mut anyone = common::replay::session_with(
        common::replay::demo(),
        30,
        CockpitConfig {
            actor: "mallory".into(),
            role: Role::Commander,
            ..CockpitConfig::default()
        },
    );
    assert!(anyone.command(override_to(Mode::Adaptive)).is_empty());
}

/// Mallory runs a cockpit whose config has no roster and claims the commander role; lee's
/// cockpit, on the same journal with the team's roster, ignores her override.
#[test]
fn a_cockpit_with_the_roster_ignores_an_out_of_roster_override_on_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let t0: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let cockpit = |actor: &str, commanders: Option<Vec<String>>| {
        LiveSession::new(
            CockpitConfig {
                actor: actor.into(),
                role: Role::Commander,
                session: format!("{actor}-session"),
                commanders,
                ..CockpitConfig::default()
            },
            Vec::new(),
            KnowledgeBase::default(),
            t0,
            Some(JournalFile::open(&path).unwrap()),
        )
    };
    let mut lee = cockpit("lee", roster());
    let mut mallory = cockpit("mallory", None);
    mallory.command(
        override_to(Mode::Redesign),
        t0 + SignedDuration::from_secs(5),
    );
    assert_eq!(
        mallory.cockpit().mode(),
        Mode::Redesign,
        "her own cockpit took it"
    );
    lee.tick(t0 + SignedDuration::from_secs(6));
    assert_eq!(lee.cockpit().mode(), Mode::Adaptive, "lee's did not");
    let notices = lee.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("ignored mallory's mode override")),
        "{notices:?}"
    );
    let records = JournalFile::open(&path).unwrap().records().unwrap();
    assert!(records.iter().any(|r| r.kind == RecordKind::Override));
}

#[test]
fn the_roster_is_read_from_the_config_and_an_empty_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = common::live::load_config(
        dir.path(),
        "[team]\ncommanders = [\"lee\", \"maria\"]\n[webhook]\n",
    );
    assert_eq!(c.commanders, roster());
    assert_eq!(c.cockpit_config().commanders, roster());
    let path = dir.path().join("flightdeck.toml");
    std::fs::write(&path, "[team]\ncommanders = []\n[webhook]\n").unwrap();
    let e = flightdeck::config::Config::load(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:14: team.commanders: an empty roster"), "{e}");
}
