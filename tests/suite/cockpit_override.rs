//! The incident commander's override of the governor's mode: with a written reason, for a
//! bounded time, journaled; the policy follows it at once and the budgets rule again when it
//! ends.

use crate::common;
use flightdeck::actions::{Role, Verdict};
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::journal::RecordKind;
use flightdeck::replay::ReplaySession;
use flightdeck::slo::Mode;
use flightdeck::time::SignedDuration;

fn as_role(role: Role, actor: &str, minutes: i64) -> ReplaySession {
    common::replay::session_with(
        common::replay::demo(),
        minutes,
        CockpitConfig {
            role,
            actor: actor.into(),
            ..CockpitConfig::default()
        },
    )
}

fn override_to(to: Option<Mode>, reason: &str, minutes: i64) -> UserCommand {
    UserCommand::OverrideMode {
        to,
        reason: reason.into(),
        duration: SignedDuration::from_mins(minutes),
    }
}

const WHY: &str = "the 5xx SLI counts the synthetic probes we broke at 14:20; real traffic is fine";

#[test]
fn only_the_commander_overrides_and_always_says_why() {
    let mut oncall = as_role(Role::Oncall, "dana", 30);
    let records = oncall.records().len();
    let notices = oncall.command(override_to(Some(Mode::Adaptive), WHY, 30));
    assert!(
        notices
            .iter()
            .any(|n| n.contains("only the incident commander")),
        "{notices:?}"
    );
    assert_eq!(oncall.records().len(), records, "nothing journaled");

    let mut lee = as_role(Role::Commander, "lee", 30);
    let records = lee.records().len();
    for (command, expect) in [
        (override_to(Some(Mode::Adaptive), "  ", 30), "reason"),
        (
            override_to(Some(Mode::Adaptive), WHY, 0),
            "from a minute to 4h",
        ),
        (
            override_to(Some(Mode::Adaptive), WHY, 5 * 60),
            "from a minute to 4h",
        ),
        (override_to(None, WHY, 30), "no override is in force"),
    ] {
        let notices = lee.command(command);
        assert!(
            notices.iter().any(|n| n.contains(expect)),
            "{expect}: {notices:?}"
        );
    }
    assert_eq!(lee.records().len(), records, "nothing journaled");
}

#[test]
fn an_override_governs_the_policy_until_it_ends() {
    let mut lee = as_role(Role::Commander, "lee", 30);
    assert_eq!(
        lee.cockpit().mode(),
        Mode::Freeze,
        "the demo burns fast at +30m"
    );
    let refused_before = lee
        .cockpit()
        .approval_queue()
        .iter()
        .filter(|s| s.verdict.is_refused())
        .count();
    assert!(refused_before > 0, "Freeze refuses unaudited mitigations");

    let before = lee.records().len();
    let notices = lee.command(override_to(Some(Mode::Adaptive), WHY, 10));
    assert!(notices.is_empty(), "{notices:?}");
    let kinds: Vec<RecordKind> = lee.records()[before..].iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RecordKind::Override, RecordKind::ModeChange]);
    let record = &lee.records()[before];
    assert_eq!(
        (record.actor.as_str(), record.role.as_str()),
        ("lee", "commander")
    );
    assert_eq!(record.body["to"], "adaptive");
    assert_eq!(record.body["mode"], "freeze");
    assert_eq!(record.body["reason"], WHY);
    let change = &lee.records()[before + 1];
    assert!(
        change.summary.contains("OVERRIDE to ADAPTIVE by lee"),
        "{}",
        change.summary
    );

    assert_eq!(lee.cockpit().mode(), Mode::Adaptive);
    assert!(lee.cockpit().mode_reason().contains(WHY));
    let o = lee.cockpit().mode_override().expect("in force");
    assert_eq!(o.until, record.ts + SignedDuration::from_mins(10));
    // Scripts see it too (`replay --headless --json` prints this snapshot).
    let snapshot = serde_json::to_value(lee.cockpit().snapshot()).unwrap();
    assert_eq!(
        snapshot["mode"]["override"]["by"], "lee",
        "{}",
        snapshot["mode"]
    );
    assert_eq!(snapshot["mode"]["override"]["mode"], "adaptive");
    // The policy follows at once: Adaptive refuses nothing that is not novel.
    let queue = lee.cockpit().approval_queue();
    assert!(
        queue
            .iter()
            .filter(|s| !s.step.is_novel())
            .all(|s| !s.verdict.is_refused()),
        "{:?}",
        queue.iter().map(|s| &s.verdict).collect::<Vec<_>>()
    );
    assert!(
        queue
            .iter()
            .any(|s| matches!(s.verdict, Verdict::NeedsApproval { .. }))
    );

    // Ten minutes on, the override has run out and the budgets rule again.
    lee.advance_to(record.ts + SignedDuration::from_mins(11));
    assert!(lee.cockpit().mode_override().is_none());
    assert_ne!(
        lee.cockpit().mode(),
        Mode::Adaptive,
        "{}",
        lee.cockpit().mode_reason()
    );
    assert!(
        lee.records()
            .iter()
            .any(|r| r.kind == RecordKind::ModeChange && r.summary.contains("ended")),
        "the end is journaled with the mode change"
    );
}

#[test]
fn the_commander_ends_an_override_early_and_the_timeline_keeps_both() {
    let mut lee = as_role(Role::Commander, "lee", 12);
    lee.command(override_to(
        Some(Mode::Redesign),
        "migration window: humans only",
        60,
    ));
    assert_eq!(lee.cockpit().mode(), Mode::Redesign);
    lee.advance_to(lee.cockpit().now() + SignedDuration::from_mins(2));
    let notices = lee.command(override_to(None, "migration done", 60));
    assert!(notices.is_empty(), "{notices:?}");
    assert!(lee.cockpit().mode_override().is_none());
    assert_ne!(lee.cockpit().mode(), Mode::Redesign);

    let md = flightdeck::journal::timeline_markdown(lee.records(), None, None);
    assert!(
        md.contains("**override** — lee (commander): mode REDESIGN until"),
        "{md}"
    );
    assert!(
        md.contains("**override ended** — lee (commander): migration done"),
        "{md}"
    );
    let export = flightdeck::journal::export_jsonl(lee.records());
    let overrides: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "override")
        .collect();
    assert_eq!(overrides.len(), 2);
    assert_eq!(overrides[0]["decision"]["to"], "redesign");
    assert!(overrides[0]["decision"]["until"].is_string());
    assert!(overrides[1]["decision"]["to"].is_null());
}
