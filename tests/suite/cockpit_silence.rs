//! A proposed silence is pre-audited only while it mutes nothing outside its cluster; the check
//! is made again when an approval comes in, so an alert that arrived since cannot be muted by an
//! approval given for something narrower.

use crate::common;
use flightdeck::actions::{SilenceRequest, StepOrigin, Verdict};
use flightdeck::alerts::Alert;
use flightdeck::cockpit::{Cockpit, CockpitConfig, Effect, Event, UserCommand};
use flightdeck::journal::Chain;
use flightdeck::knowledge::DocKind;
use flightdeck::time::{SignedDuration, Timestamp};

fn alert(node: &str, at: Timestamp) -> Alert {
    let service = format!("storage-{node}");
    common::alerts::alert(
        &[
            ("alertname", "NodeDiskFull"),
            ("node", node),
            ("service", &service),
            ("severity", "warning"),
        ],
        None,
        at,
        None,
    )
}

/// Carries out effects as an edge would: journal entries come back sealed; the rest is returned.
fn run(c: &mut Cockpit, chain: &mut Chain, effects: Vec<Effect>, at: Timestamp) -> Vec<Effect> {
    let mut out = Vec::new();
    let mut queue: std::collections::VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        match e {
            Effect::Journal(entry) => {
                let record = chain.seal(entry, at);
                queue.extend(c.apply(Event::Journaled(record), at));
            }
            other => out.push(other),
        }
    }
    out
}

#[test]
fn a_silence_that_would_now_mute_more_loses_its_pre_audit_before_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("disk.md"),
        "---\nid: disk\ntitle: Node disk full\nalerts: [NodeDiskFull]\n---\n# Node disk full\n",
    )
    .unwrap();
    let (kb, _) = flightdeck::load::knowledge_dirs(&[(DocKind::Runbook, dir.path().into())]);
    let t0: Timestamp = "2026-11-26T01:00:00Z".parse().unwrap();
    let mut c = Cockpit::new(CockpitConfig::default(), Vec::new(), kb, t0);
    let mut chain = Chain::resume(0, String::new());
    c.apply(Event::Alert(alert("n1", t0)), t0);
    let cluster = c.clusters()[0].id;

    let form: Vec<String> = [
        "alertname=NodeDiskFull",
        "--duration=1h",
        "--comment=known, cleaning up",
    ]
    .map(String::from)
    .to_vec();
    let silence = SilenceRequest::from_form(&form, "you").unwrap();
    let effects = c.apply(
        Event::User(UserCommand::ProposeSilence { cluster, silence }),
        t0,
    );
    assert!(run(&mut c, &mut chain, effects, t0).is_empty());
    let s = c
        .suggestions()
        .iter()
        .find(|s| s.step.origin == StepOrigin::Silence)
        .unwrap()
        .clone();
    assert!(s.step.is_pre_audited(), "mutes only its cluster so far");
    assert!(matches!(s.verdict, Verdict::NeedsApproval { .. }));

    // Three hours later the same alert name fires on another node: another incident.
    let t1 = t0 + SignedDuration::from_hours(3);
    c.apply(Event::Alert(alert("n2", t1)), t1);
    assert_eq!(c.clusters().len(), 2);

    let effects = c.apply(Event::User(UserCommand::Approve(s.id)), t1);
    let rest = run(&mut c, &mut chain, effects, t1);
    assert!(
        rest.iter()
            .any(|e| matches!(e, Effect::Notice(n) if n.contains("no longer pre-audited"))),
        "{rest:?}"
    );
    assert!(
        !rest.iter().any(|e| matches!(e, Effect::Execute(_))),
        "an on-call approval is not enough for an unaudited mitigation: {rest:?}"
    );
    let s = c.suggestion(s.id).unwrap();
    assert!(!s.step.is_pre_audited());
    assert!(
        matches!(&s.verdict, Verdict::NeedsApproval { missing } if missing.contains("commander")),
        "{:?}",
        s.verdict
    );
}
