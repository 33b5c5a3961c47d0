//! Replayed outcomes belong to the argv they were recorded with (issue 13, item 3): a
//! responders' decision whose recorded argv differs from the argv the cockpit offers for that
//! step is journaled as a mismatch, never as that step's outcome.

use crate::common;

use flightdeck::cockpit::{CockpitConfig, SuggestionStatus};
use flightdeck::journal::RecordKind;
use flightdeck::load::LoadedScenario;
use flightdeck::replay::ReplaySession;
use flightdeck::training::{DecisionKind, ScenarioEvent};

fn replay_to_end(loaded: &LoadedScenario) -> ReplaySession {
    let mut s = ReplaySession::new(
        loaded.scenario.clone(),
        loaded.knowledge.clone(),
        CockpitConfig::default(),
    );
    s.advance_to(loaded.scenario.end());
    s
}

/// Sets the recorded argv of every decision about `step` to `argv(old)`.
fn with_argv(loaded: &mut LoadedScenario, step: &str, argv: impl Fn(&[String]) -> Vec<String>) {
    for e in &mut loaded.scenario.events {
        if let ScenarioEvent::Decision(d) = &mut e.event
            && d.step.as_deref() == Some(step)
        {
            let old = d
                .argv
                .clone()
                .expect("the demo records the responders' argv");
            d.argv = Some(argv(&old));
        }
    }
}

/// Whatever the cockpit offers: every replayed step record carries exactly the argv the
/// scenario recorded, and every recorded argv it does not offer is a mismatch note.
#[test]
fn replayed_step_records_carry_the_recorded_argv_or_say_mismatch() {
    let loaded = common::replay::demo();
    let s = replay_to_end(&loaded);
    let decisions: Vec<_> = loaded
        .scenario
        .reference_decisions()
        .filter(|(_, d)| d.argv.is_some())
        .collect();
    assert!(
        decisions.len() >= 9,
        "the demo records its responders' argv"
    );
    for (at, d) in decisions {
        let step = d.step.as_deref().unwrap();
        let recorded = d.argv.as_ref().unwrap();
        let r = s
            .records()
            .iter()
            .find(|r| {
                r.ts == at
                    && r.actor == d.actor
                    && r.body.get("step").and_then(|v| v.as_str()) == Some(step)
            })
            .unwrap_or_else(|| panic!("no record of {step} at {at}"));
        let argv: Vec<String> = serde_json::from_value(r.body["argv"].clone()).unwrap();
        assert_eq!(&argv, recorded, "{}", r.summary);
        if r.kind == RecordKind::Note {
            assert_eq!(r.body["mismatch"], true, "{}", r.summary);
            let offered: Option<Vec<String>> =
                serde_json::from_value(r.body["offered"]["argv"].clone()).unwrap();
            assert_ne!(offered.as_ref(), Some(recorded), "{}", r.summary);
            assert!(r.summary.starts_with("MISMATCH"), "{}", r.summary);
        } else {
            let kind = match d.kind {
                DecisionKind::Approve => RecordKind::Approval,
                DecisionKind::Reject => RecordKind::Rejection,
                _ => RecordKind::Execution,
            };
            assert_eq!(r.kind, kind, "{}", r.summary);
        }
    }
}

/// The rollback recorded against another deployment: never shown as the offered step's outcome.
#[test]
fn an_outcome_recorded_for_another_argv_is_a_mismatch() {
    let mut loaded = common::replay::demo();
    with_argv(&mut loaded, "checkout-high-error-rate/rollback", |old| {
        let mut a = old.to_vec();
        a[2] = "elsewhere".into();
        a
    });
    let s = replay_to_end(&loaded);
    let rollback = s
        .cockpit()
        .suggestions()
        .iter()
        .filter(|x| x.step_ref == "checkout-high-error-rate/rollback")
        .collect::<Vec<_>>();
    assert!(!rollback.is_empty());
    for x in &rollback {
        assert!(
            !matches!(x.status, SuggestionStatus::Executed { .. }),
            "{} {:?}",
            x.id,
            x.status
        );
        assert!(x.approvals.is_empty(), "{:?}", x.approvals);
    }
    assert!(!s.records().iter().any(|r| {
        r.kind == RecordKind::Execution && r.body["step"] == "checkout-high-error-rate/rollback"
    }));
    let notes: Vec<_> = s
        .records()
        .iter()
        .filter(|r| {
            r.body["mismatch"] == true && r.body["step"] == "checkout-high-error-rate/rollback"
        })
        .collect();
    assert_eq!(notes.len(), 3, "two approvals and the execution");
    assert!(
        notes[2].summary.contains("rolled back"),
        "{}",
        notes[2].summary
    );
    assert!(notes[2].summary.contains("not this step's outcome"));
}

/// Recorded with the argv the cockpit offers: the outcome is that step's.
#[test]
fn an_outcome_recorded_for_the_offered_argv_is_the_steps() {
    let mut loaded = common::replay::demo();
    let step = "checkout-high-error-rate/rollback";
    // What this cockpit offers for the step, whatever it is filled from.
    let offered = {
        let mut s = ReplaySession::new(
            flightdeck::training::without_reference(&loaded.scenario),
            loaded.knowledge.clone(),
            CockpitConfig::default(),
        );
        s.advance_to(loaded.scenario.start + flightdeck::time::SignedDuration::from_mins(33));
        s.cockpit()
            .suggestions()
            .iter()
            .find(|x| x.step_ref == step)
            .and_then(|x| x.argv.clone().ok())
            .expect("the rollback is offered by +33m")
    };
    with_argv(&mut loaded, step, |_| offered.clone());
    let s = replay_to_end(&loaded);
    let ran = s
        .cockpit()
        .suggestions()
        .iter()
        .find(|x| x.step_ref == step && x.argv.as_ref().ok() == Some(&offered))
        .expect("the offered rollback");
    match &ran.status {
        SuggestionStatus::Executed { outcome, .. } => {
            assert!(
                outcome.as_deref().unwrap_or("").contains("rolled back"),
                "{outcome:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}
