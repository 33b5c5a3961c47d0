//! Issue 18.1: state is a fold of the journal. Two cockpits on one journal file — one started
//! after decisions were already taken, both fed the same alerts — show the same queue: the
//! same steps under the same names, the same approvals, statuses and verdicts, whatever was
//! decided, in whichever order, and whenever the second cockpit started.

use flightdeck::actions::Role;
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event, ExecOutcome, UserCommand};
use flightdeck::journal_store::JournalFile;
use flightdeck::live::LiveSession;
use flightdeck::sources::{Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::training::ScenarioEvent;
use proptest::prelude::*;

/// One decision, on the n-th waiting step (modulo the queue's length).
#[derive(Debug, Clone)]
enum Op {
    Approve(usize),
    Reject(usize),
    Edit(usize),
    ByHand(usize),
    /// The second cockpit starts now (only the first such op counts).
    StartSecond,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..40).prop_map(Op::Approve),
        2 => (0usize..40).prop_map(Op::Reject),
        1 => (0usize..40).prop_map(Op::Edit),
        1 => (0usize..40).prop_map(Op::ByHand),
        1 => Just(Op::StartSecond),
    ]
}

fn session(
    path: &std::path::Path,
    actor: &str,
    role: Role,
    knowledge: flightdeck::knowledge::KnowledgeBase,
    at: Timestamp,
) -> LiveSession {
    LiveSession::new(
        CockpitConfig {
            actor: actor.into(),
            role,
            session: format!("{actor}-session"),
            ..CockpitConfig::default()
        },
        Vec::new(),
        knowledge,
        at,
        Some(JournalFile::open(path).unwrap()),
    )
}

/// What a person compares across two screens: each waiting or decided step by its name
/// (runbook step + argv hash), who approved it, its status and the policy's verdict.
fn queue(c: &Cockpit) -> Vec<String> {
    let mut q: Vec<String> = c
        .suggestions()
        .iter()
        // Obsolete steps are not the queue: each cockpit derives them from the alert flaps it
        // saw itself (one started later saw fewer), and nobody decides on them.
        .filter(|s| {
            s.targeted
                && !matches!(
                    s.status,
                    flightdeck::cockpit::SuggestionStatus::Obsolete { .. }
                )
        })
        .map(|s| {
            let mut by: Vec<&str> = s.approvals.iter().map(|a| a.by.as_str()).collect();
            by.sort();
            let status = match &s.status {
                flightdeck::cockpit::SuggestionStatus::Executed { by, ok, .. } => {
                    format!("executed by {by} ok={ok}")
                }
                other => format!("{other:?}"),
            };
            format!("{:?} {by:?} {status} {:?}", s.key(), s.verdict)
        })
        .collect();
    q.sort();
    q.dedup();
    q
}

/// Runs what the first cockpit's approvals handed to its executor (a dry run), so its
/// execution records reach the journal as they would live.
fn run_executor(s: &mut LiveSession, at: Timestamp) {
    for r in s.take_exec_requests() {
        s.executed(
            r.suggestion,
            ExecOutcome {
                ok: true,
                failure: None,
                exit_code: Some(0),
                summary: "dry run".into(),
                duration_ms: 0,
                dry_run: true,
                output: None,
            },
            at,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn two_cockpits_that_read_the_same_records_show_the_same_queue(
        ops in prop::collection::vec(op(), 1..14)
    ) {
        let loaded = flightdeck::load::demo().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let start = loaded.scenario.start;
        let until = start + SignedDuration::from_mins(25);
        let alerts: Vec<(Timestamp, Event)> = loaded
            .scenario
            .events
            .iter()
            .filter(|e| e.at <= until)
            .filter_map(|e| match &e.event {
                ScenarioEvent::Alert(a) => Some((e.at, Event::Alert(a.clone()))),
                _ => None,
            })
            .collect();
        let feed = |s: &mut LiveSession| {
            s.handle(
                SourceMsg::Events { origin: Origin::Alertmanager, events: alerts.clone(), permit: None },
                until,
            );
        };
        let mut first = session(&path, "dana", Role::Commander, loaded.knowledge.clone(), start);
        feed(&mut first);
        first.tick(until);
        let mut second: Option<LiveSession> = None;
        let mut t = until;
        for op in ops {
            t += SignedDuration::from_secs(7);
            let waiting: Vec<_> = first
                .cockpit()
                .approval_queue()
                .into_iter()
                .filter(|s| s.argv.is_ok())
                .map(|s| (s.id, s.argv.clone().unwrap()))
                .collect();
            let pick = |n: usize| waiting.get(n % waiting.len().max(1)).cloned();
            let command = match op {
                Op::StartSecond => {
                    if second.is_none() {
                        let mut s = session(&path, "lee", Role::Commander, loaded.knowledge.clone(), t);
                        feed(&mut s);
                        s.tick(t);
                        second = Some(s);
                    }
                    None
                }
                Op::Approve(n) => pick(n).map(|(id, _)| UserCommand::Approve(id)),
                Op::Reject(n) => pick(n).map(|(id, _)| UserCommand::Reject { id, reason: "not now".into() }),
                Op::Edit(n) => pick(n).map(|(id, mut argv)| {
                    argv.push("--dry-run=client".into());
                    UserCommand::Edit { id, argv }
                }),
                Op::ByHand(n) => pick(n).map(|(id, _)| UserCommand::RecordManual { id, what: "from the bastion".into() }),
            };
            if let Some(command) = command {
                first.command(command, t);
                run_executor(&mut first, t);
            }
            if let Some(s) = second.as_mut() {
                s.tick(t);
            }
        }
        let mut second = second.unwrap_or_else(|| {
            let mut s = session(&path, "lee", Role::Commander, loaded.knowledge.clone(), t);
            feed(&mut s);
            s
        });
        t += SignedDuration::from_secs(1);
        first.tick(t);
        second.tick(t);
        let (a, b) = (queue(first.cockpit()), queue(second.cockpit()));
        let only_first: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
        let only_second: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
        prop_assert!(
            only_first.is_empty() && only_second.is_empty(),
            "only on the first cockpit: {only_first:#?}\nonly on the second: {only_second:#?}"
        );
    }
}
