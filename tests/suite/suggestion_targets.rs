//! Suggested steps act only on what their runbook covers, only while it matters (issue 13):
//!
//! - every placeholder value of every offered argv is a label or annotation of an alert, in
//!   the step's cluster, that the step's runbook covers (its `alerts:`, `services:`, a
//!   `runbook_url` pointing at it) — over the demo at many moments, both bundled training
//!   scenarios, and generated alerts;
//! - steps whose incident (or target) resolved are obsolete, not approvable, journaled once;
//! - the approvals cursor stays on its step while steps arrive above it.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::tui::{press, replay_app};
use crossterm::event::KeyCode;
use flightdeck::actions::StepOrigin;
use flightdeck::alerts::{Alert, AlertState, ClusterConfig};
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event, SuggestionStatus, UserCommand};
use flightdeck::journal::RecordKind;
use flightdeck::knowledge::{KnowledgeBase, doc::parse_runbook};
use flightdeck::load::{self, LoadedScenario};
use flightdeck::replay::ReplaySession;
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::tui::{self, App, Pane};
use proptest::prelude::*;
use ratatui::{Terminal, backend::TestBackend, layout::Rect};

/// What must hold of the suggestions at any moment; `at` names the moment in failures.
fn check_targets(cockpit: &Cockpit, at: &str) {
    let kb = cockpit.knowledge();
    // (cluster, step, values) of every step waiting or running.
    let mut live: BTreeSet<(String, String, String)> = BTreeSet::new();
    for s in cockpit.suggestions() {
        // People's argv (edits) and silences are theirs, not filled from alerts.
        if matches!(s.step.origin, StepOrigin::Edited | StepOrigin::Silence) {
            continue;
        }
        let waiting = matches!(
            s.status,
            SuggestionStatus::Pending | SuggestionStatus::Running
        );
        let cluster = cockpit.suggestion_cluster(s);
        if !s.targeted {
            let why = s
                .argv
                .as_ref()
                .expect_err("a step without a target has no argv");
            assert!(
                why.starts_with("no target yet"),
                "{at}: {} {}: {why}",
                s.id,
                s.step_ref
            );
            continue;
        }
        let t = cockpit.alert(s.source).unwrap_or_else(|| {
            panic!("{at}: {} {} filled from an unknown alert", s.id, s.step_ref)
        });
        assert_eq!(
            Some(t.cluster),
            cluster,
            "{at}: {} outside its cluster",
            s.id
        );
        let r = kb
            .runbooks
            .iter()
            .position(|rb| rb.id == s.runbook)
            .unwrap_or_else(|| panic!("{at}: {} names unknown runbook {}", s.id, s.runbook));
        assert!(
            kb.runbooks_covering(&t.alert).contains(&r),
            "{at}: {} {} filled from {} (service {:?}, namespace {:?}), which {} does not cover: argv {:?}",
            s.id,
            s.step_ref,
            t.alert.name(),
            t.alert.service(),
            t.alert.label("namespace"),
            s.runbook,
            s.argv
        );
        // Every value in the argv is the covered alert's.
        for (placeholder, value) in &s.values {
            let (ns, name) = placeholder.split_once('.').unwrap();
            let theirs = if ns == "labels" {
                t.alert.label(name)
            } else {
                t.alert.annotation(name)
            };
            assert_eq!(theirs, Some(value.as_str()), "{at}: {} {placeholder}", s.id);
        }
        let filled = s
            .step
            .fill(&t.alert.labels, &t.alert.annotations)
            .unwrap_or_else(|e| panic!("{at}: {} cannot be filled from its source: {e}", s.id));
        assert_eq!(
            s.argv.as_ref().ok(),
            Some(&filled.argv),
            "{at}: {} {}: the argv is not exactly the covered alert's values",
            s.id,
            s.step_ref
        );
        assert_eq!(s.values, filled.values, "{at}: {}", s.id);
        if waiting {
            // No silent pick, and no duplicate either: one suggestion per distinct value set.
            let key = (
                format!("{cluster:?}"),
                s.step_ref.to_string(),
                format!("{:?}", s.values),
            );
            assert!(
                live.insert(key),
                "{at}: {} {} offered twice for {:?}",
                s.id,
                s.step_ref,
                s.values
            );
        }
        if s.status == SuggestionStatus::Pending {
            assert_ne!(
                t.alert.state,
                AlertState::Resolved,
                "{at}: {} {} still waits though its target resolved",
                s.id,
                s.step_ref
            );
        }
    }
    for s in cockpit.suggestions() {
        if s.status == SuggestionStatus::Pending
            && let Some(c) = cockpit.suggestion_cluster(s)
        {
            assert!(
                cockpit.cluster_active(c),
                "{at}: {} {} waits in {c:?}, which no longer fires",
                s.id,
                s.step_ref
            );
        }
    }
}

/// Obsolete steps are journaled once each, by flightdeck as the system.
fn check_obsolete_journaled(session: &ReplaySession, at: &str) {
    let obsolete: Vec<_> = session
        .cockpit()
        .suggestions()
        .iter()
        .filter(|s| matches!(s.status, SuggestionStatus::Obsolete { .. }))
        .collect();
    let records: Vec<_> = session
        .records()
        .iter()
        .filter(|r| r.kind == RecordKind::Rejection && r.body["obsolete"] == true)
        .collect();
    assert_eq!(
        obsolete.len(),
        records.len(),
        "{at}: one record per obsolete step"
    );
    for r in &records {
        assert_eq!(
            (r.actor.as_str(), r.role.as_str()),
            ("flightdeck", "system")
        );
        let reason = r.body["reason"].as_str().unwrap();
        assert!(reason.starts_with("obsolete: "), "{at}: {reason}");
    }
}

/// Replays `loaded` to its end, checking every `every` of virtual time.
fn replay_checking(name: &str, loaded: LoadedScenario, every: SignedDuration) -> ReplaySession {
    let mut session =
        ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let start = session.scenario().start;
    let end = session.scenario().end();
    let mut at = start;
    let mut points = 0;
    while at < end {
        at = (at + every).min(end);
        session.advance_to(at);
        let label = format!(
            "{name} +{}",
            flightdeck::time::format_duration(at.duration_since(start))
        );
        check_targets(session.cockpit(), &label);
        check_obsolete_journaled(&session, &label);
        points += 1;
    }
    assert!(points >= 20, "{name}: checked at {points} moments only");
    session
}

#[test]
fn the_demo_offers_only_covered_targets_at_every_moment() {
    let session = replay_checking(
        "demo",
        common::replay::demo(),
        SignedDuration::from_secs(20),
    );
    // The bug of issue 13: the checkout runbook acting on postgres in namespace db.
    for s in session.cockpit().suggestions() {
        if s.runbook == "checkout-high-error-rate"
            && let Ok(argv) = &s.argv
        {
            let text = argv.join(" ");
            assert!(
                !text.contains("deployment/postgres") && !text.contains("-n db "),
                "{} {}: {text}",
                s.id,
                s.step_ref
            );
        }
    }
}

#[test]
fn the_training_scenarios_offer_only_covered_targets() {
    for name in ["noisy-storm", "novel-clock-step"] {
        let path = common::root().join(format!("assets/scenarios/{name}/scenario.yaml"));
        let loaded = load::scenario_file(&path).unwrap();
        replay_checking(name, loaded, SignedDuration::from_secs(30));
    }
}

#[test]
fn the_demo_checkout_rollback_targets_checkout_in_shop() {
    let session = common::replay::demo_at(40);
    let rollbacks: Vec<Vec<String>> = session
        .cockpit()
        .suggestions()
        .iter()
        .filter(|s| s.step_ref == "checkout-high-error-rate/rollback")
        .filter_map(|s| s.argv.clone().ok())
        .collect();
    let checkout: Vec<String> = [
        "kubectl",
        "-n",
        "shop",
        "rollout",
        "undo",
        "deployment/checkout",
    ]
    .map(String::from)
    .to_vec();
    assert!(rollbacks.contains(&checkout), "{rollbacks:?}");
}

#[test]
fn steps_of_recovered_targets_are_obsolete_by_the_end_of_the_demo() {
    let (_, session) = common::replay::demo_to_end();
    let cockpit = session.cockpit();
    // Postgres in namespace db recovered: terminating its idle sessions is no longer on offer.
    let terminate: Vec<_> = cockpit
        .suggestions()
        .iter()
        .filter(|s| {
            s.step_ref == "postgres-connection-pool/terminate-idle-in-transaction"
                && s.values.get("labels.namespace").map(String::as_str) == Some("db")
        })
        .collect();
    assert!(!terminate.is_empty(), "terminate-idle was offered for db");
    for s in &terminate {
        let SuggestionStatus::Obsolete { reason } = &s.status else {
            panic!("{} {} is {:?} after recovery", s.id, s.step_ref, s.status);
        };
        assert!(reason.contains("resolved at"), "{reason}");
    }
    // No waiting step acts on a pod whose alerts all resolved.
    for s in cockpit.approval_queue() {
        if let Some(pod) = s.values.get("labels.pod") {
            let firing = cockpit.alert(s.source).is_some_and(|t| {
                t.alert.state != AlertState::Resolved && t.alert.label("pod") == Some(pod)
            });
            assert!(firing, "{} {} still waits for pod {pod}", s.id, s.step_ref);
        }
    }
}

#[test]
fn an_obsolete_step_cannot_be_approved_and_says_why() {
    let (_, mut session) = common::replay::demo_to_end();
    let (id, reason) = session
        .cockpit()
        .suggestions()
        .iter()
        .find_map(|s| match &s.status {
            SuggestionStatus::Obsolete { reason } => Some((s.id, reason.clone())),
            _ => None,
        })
        .expect("some step went obsolete in the demo");
    let before = session.records().len();
    let notices = session.command(UserCommand::Approve(id));
    assert_eq!(notices, vec![format!("{id} is obsolete: {reason}")]);
    assert_eq!(session.records().len(), before, "nothing journaled");
}

// ---- generated alerts ----------------------------------------------------------------------

const API: &str = "---
id: api-errors
title: API errors
alerts: [ApiErrors]
services: [api]
steps:
  - id: describe-pod
    title: Describe the pod
    kind: diagnostic
    argv: [kubectl, -n, \"{{labels.namespace}}\", describe, pod, \"{{labels.pod}}\"]
    audited: {by: ana, on: 2026-01-01}
  - id: rollback
    title: Roll back the service
    kind: mitigation
    argv: [kubectl, -n, \"{{labels.namespace}}\", rollout, undo, \"deployment/{{labels.service}}\"]
    audited: {by: ana, on: 2026-01-01}
---
# API errors

The api answers with errors: roll back the api deployment.
";

const DB: &str = "---
id: db-pool
title: Database pool exhausted
alerts: [DbPoolExhausted]
services: [db]
steps:
  - id: show-pools
    title: Show the pools
    kind: diagnostic
    argv: [kubectl, -n, \"{{labels.namespace}}\", exec, deploy/pgbouncer, --, psql, -c, SHOW POOLS;]
  - id: notify
    title: Tell the owners
    kind: diagnostic
    argv: [notify, \"{{annotations.owner}}\"]
---
# Database pool exhausted

Connections to the database pool are exhausted; api errors follow.
";

fn generated_kb() -> KnowledgeBase {
    KnowledgeBase::new(
        vec![
            parse_runbook("api-errors.md", API).unwrap(),
            parse_runbook("db-pool.md", DB).unwrap(),
        ],
        Vec::new(),
    )
}

/// One generated alert: name, service, namespace, pod (maybe), owner annotation (maybe; a
/// function of the labels, as annotations templated from labels are: one fingerprint, one
/// set of annotations).
fn alert_strategy() -> impl Strategy<Value = (usize, usize, usize, Option<usize>, bool)> {
    (
        0..4usize,
        0..3usize,
        0..2usize,
        proptest::option::of(0..3usize),
        any::<bool>(),
    )
}

fn make_alert(
    (name, service, ns, pod, _): (usize, usize, usize, Option<usize>, bool),
    firing: bool,
    at: Timestamp,
) -> Alert {
    let mut labels = BTreeMap::from([
        (
            "alertname".to_string(),
            ["ApiErrors", "DbPoolExhausted", "DiskFull", "PodNotReady"][name].to_string(),
        ),
        (
            "service".to_string(),
            ["api", "db", "web"][service].to_string(),
        ),
        ("namespace".to_string(), ["shop", "db"][ns].to_string()),
        ("severity".to_string(), "critical".to_string()),
    ]);
    if let Some(p) = pod {
        labels.insert("pod".into(), format!("pod-{p}"));
    }
    let mut annotations = BTreeMap::from([(
        "summary".to_string(),
        "api errors: database pool exhausted".to_string(),
    )]);
    if pod.is_some() {
        annotations.insert(
            "owner".into(),
            format!("team-{}", ["api", "db", "web"][service]),
        );
    }
    Alert {
        labels,
        annotations,
        starts_at: at,
        ends_at: (!firing).then_some(at),
        state: if firing {
            AlertState::Firing
        } else {
            AlertState::Resolved
        },
        generator_url: None,
        detail: Default::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any alerts, firing and resolving in any order, in clusters the correlator makes of them:
    /// every offered argv is filled from a covered alert of its cluster, once per value set,
    /// and nothing waits for an incident or target that resolved.
    #[test]
    fn offered_argv_come_only_from_covered_alerts(
        events in proptest::collection::vec((alert_strategy(), any::<bool>(), 0..3i64), 1..40)
    ) {
        let start: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let config = CockpitConfig {
            clustering: ClusterConfig {
                group_by: vec!["namespace".into()],
                ..ClusterConfig::default()
            },
            ..CockpitConfig::default()
        };
        let mut cockpit = Cockpit::new(config, Vec::new(), generated_kb(), start);
        let mut at = start;
        for (i, (a, firing, gap)) in events.into_iter().enumerate() {
            at += SignedDuration::from_mins(gap);
            cockpit.apply(Event::Alert(make_alert(a, firing, at)), at);
            cockpit.apply(Event::Tick, at);
            check_targets(&cockpit, &format!("event {i}"));
        }
    }
}

// ---- the approvals pane ----------------------------------------------------------------------

/// The approvals pane alone, focused, at `minutes` into the demo (120×24).
fn approvals_pane_at(minutes: i64) -> String {
    let session = common::replay::demo_at(minutes);
    let mut app = replay_app(&session, (120, 24), 10.0);
    app.focus = Pane::Approvals;
    tui::refresh(&mut app, session.cockpit());
    let mut terminal = Terminal::new(TestBackend::new(120, 24)).unwrap();
    terminal
        .draw(|f| {
            tui::panes::approvals::render(&app, session.cockpit(), f, Rect::new(0, 0, 120, 24))
        })
        .unwrap();
    format!("{}", terminal.backend())
}

#[test]
fn approvals_pane_at_12_minutes() {
    insta::assert_snapshot!(approvals_pane_at(12));
}

#[test]
fn approvals_pane_at_30_minutes() {
    insta::assert_snapshot!(approvals_pane_at(30));
}

#[test]
fn approvals_pane_at_60_minutes() {
    insta::assert_snapshot!(approvals_pane_at(60));
}

// ---- the cursor follows its step ---------------------------------------------------------------

#[test]
fn the_approvals_cursor_stays_on_its_step_while_steps_arrive_above_it() {
    let mut session = common::replay::demo_at(10);
    let mut app: App = replay_app(&session, (120, 40), 10.0);
    let start = session.scenario().start;
    press(&mut app, &session, KeyCode::Char('4'));
    assert_eq!(app.focus, Pane::Approvals);
    // Find a moment when a step arrives above the selected one.
    let mut moved = false;
    for minute in 10..40 {
        tui::refresh(&mut app, session.cockpit());
        // The last waiting step (decided steps are listed below the waiting ones).
        press(&mut app, &session, KeyCode::Char('g'));
        let waiting = session.cockpit().approval_queue().len();
        for _ in 1..waiting {
            press(&mut app, &session, KeyCode::Char('j'));
        }
        tui::refresh(&mut app, session.cockpit());
        let Some(chosen) = tui::panes::approvals::target(&app, session.cockpit()) else {
            session.advance_to(start + SignedDuration::from_mins(minute + 1));
            continue;
        };
        let row = |session: &ReplaySession| {
            session
                .cockpit()
                .approval_queue()
                .iter()
                .position(|s| s.id == chosen)
        };
        let before = row(&session);
        session.advance_to(start + SignedDuration::from_mins(minute + 1));
        let after = row(&session);
        if after.is_none() {
            continue; // it left the queue (obsolete): nothing to follow
        }
        // The key acts on what the screen showed: both before and after the next frame.
        assert_eq!(
            tui::panes::approvals::target(&app, session.cockpit()),
            Some(chosen),
            "+{minute}m: the cursor left {chosen} (row {before:?} → {after:?})"
        );
        tui::refresh(&mut app, session.cockpit());
        assert_eq!(
            tui::panes::approvals::target(&app, session.cockpit()),
            Some(chosen)
        );
        if after > before {
            moved = true;
            // `a` asks to approve that very step.
            press(&mut app, &session, KeyCode::Char('a'));
            if let flightdeck::tui::Overlay::Confirm { what, .. } = &app.overlay {
                assert_eq!(*what, flightdeck::tui::Confirm::Approve(chosen));
            }
            break;
        }
    }
    assert!(moved, "no step arrived above the selected one in the demo");
}
