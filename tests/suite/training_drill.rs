//! Trainee drills on the bundled demo: a script of decisions is played into a training session
//! (the responders' decisions are not replayed), and the debrief scores it against them.

use crate::common;
use common::replay::{demo_recorded_as_offered as demo, drill_run, drill_script};
use flightdeck::journal::{JournalRecord, RecordKind};
use flightdeck::load::{self, LoadedScenario};
use flightdeck::replay::ReplaySession;
use flightdeck::training::{AttemptResult, Debrief, DrillRun, DrillScript, debrief};

/// Plays `script` as trainee `actor` on `loaded` to its end: the debrief, the run, the session.
fn play(
    loaded: &LoadedScenario,
    actor: &str,
    script: &DrillScript,
) -> (Debrief, DrillRun, ReplaySession) {
    let (run, session) = drill_run(loaded, actor, script);
    let d = debrief(
        &loaded.scenario,
        &loaded.knowledge,
        session.records(),
        &run.attempts,
        loaded.scenario.end(),
    );
    (d, run, session)
}

/// Tess plays the drill script `script` on the bundled demo to its end.
fn drill(script: &str) -> (Debrief, DrillRun, Vec<JournalRecord>) {
    let (d, run, session) = play(&demo(), "tess", &drill_script(script));
    assert!(session.finished());
    (d, run, session.records().to_vec())
}

#[test]
fn a_training_session_replays_none_of_the_responders_decisions() {
    let (_, _, records) = drill("demo-sharp.yaml");
    for r in &records {
        assert!(
            !r.body
                .get("replayed")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            "a reference decision was replayed into the training journal: {r:?}"
        );
        assert!(
            matches!(r.actor.as_str(), "tess" | "governor" | "flightdeck"),
            "{r:?}"
        );
    }
    // The trainee's records carry the trainee role and the training session.
    let mine: Vec<&JournalRecord> = records.iter().filter(|r| r.actor == "tess").collect();
    assert!(mine.len() >= 5, "{mine:?}");
    assert!(
        mine.iter()
            .all(|r| r.role == flightdeck::actions::Role::Trainee.into())
    );
    for r in mine.iter().filter(|r| r.kind == RecordKind::Approval) {
        assert_eq!(r.body["session"], "training", "{r:?}");
    }
    // Approvals by a trainee never count: nothing ran, not even as a dry run.
    assert!(!records.iter().any(|r| r.kind == RecordKind::Execution));
}

#[test]
fn a_sharp_trainee_scores_high() {
    let (d, run, _) = drill("demo-sharp.yaml");
    let text = d.to_text();
    assert!(d.score >= 80, "{text}");
    // First useful diagnostic: show-pools at +12m, before the responders (+15m).
    let diag = d.diagnostic.trainee.as_ref().expect(&text);
    assert_eq!(diag.step, "postgres-connection-pool/show-pools");
    assert_eq!(diag.offset_s, 12 * 60);
    assert_eq!(d.diagnostic.delta_s, Some(-3 * 60));
    assert_eq!(d.diagnostic.points, 20);
    // The right mitigation, 8 minutes after the responders' first approval (+33m).
    assert!(d.mitigation.right, "{text}");
    assert_eq!(
        d.mitigation.expected,
        vec!["checkout-high-error-rate/rollback"]
    );
    assert_eq!(d.mitigation.delta_s, Some(8 * 60));
    assert_eq!(d.mitigation.points, 30);
    assert!(d.mitigation.verdict.contains("two approvals"), "{text}");
    // Agreed with the responders' rejection of the Postgres restart.
    assert!(
        d.safety.refused.is_empty() && d.safety.unnecessary.is_empty(),
        "{text}"
    );
    assert_eq!(d.safety.rejections.len(), 1);
    assert!(d.safety.rejections[0].reason.contains("agreed"), "{text}");
    // The checkout runbook matches the cluster well from early on, so its steps are on offer
    // at +20m: every scripted decision found its step.
    assert!(d.safety.not_offered.is_empty(), "{text}");
    assert!(
        !run.attempts
            .iter()
            .any(|a| a.result == AttemptResult::NotOffered)
    );
    // Mitigating later than the responders burned (a little) more budget, estimated.
    for slo in &d.budget.slos {
        assert!(slo.estimated, "{slo:?}");
        assert!(slo.trainee_burned.unwrap() >= slo.reference_burned.unwrap());
    }
    assert_eq!(d.hypotheses.before_mitigation, 1);
    assert_eq!(d.hypotheses.reference.len(), 3);
}

#[test]
fn a_trainee_led_astray_is_told_why() {
    let (d, run, _) = drill("demo-astray.yaml");
    let text = d.to_text();
    assert!(d.score < 50, "{text}");
    assert!(d.diagnostic.trainee.is_none(), "{text}");
    assert_eq!(d.diagnostic.points, 0);
    // The rollback came 23 minutes after the responders, and a restart before it.
    assert!(d.mitigation.right);
    assert_eq!(d.mitigation.delta_s, Some(23 * 60));
    let wrong: Vec<&str> = d.mitigation.wrong.iter().map(|w| w.step.as_str()).collect();
    assert_eq!(
        wrong,
        vec![
            "postgres-connection-pool/restart-postgres",
            "payments-upstream-timeouts/failover-psp"
        ]
    );
    // Refused by the policy in FREEZE: an unaudited mitigation.
    assert_eq!(d.safety.refused.len(), 1, "{text}");
    assert_eq!(
        d.safety.refused[0].step,
        "postgres-connection-pool/terminate-idle-in-transaction"
    );
    assert!(d.safety.refused[0].reason.contains("not pre-audited"));
    // Unneeded: the noise's runbook, and the restart the responders rejected (with their reason).
    let unneeded: Vec<&str> = d
        .safety
        .unnecessary
        .iter()
        .map(|f| f.step.as_str())
        .collect();
    assert_eq!(
        unneeded,
        vec![
            "certificate-expiry/show-certificates",
            "postgres-connection-pool/restart-postgres",
            "payments-upstream-timeouts/failover-psp"
        ]
    );
    assert!(d.safety.unnecessary[1].reason.contains("PM-2025-031"));
    // The PSP failover is on offer (the payments runbook matches the cluster well) but the
    // responders did not need it.
    assert!(d.safety.not_offered.is_empty(), "{text}");
    // A hypothesis only after reaching for a mitigation: half marks.
    assert_eq!(d.hypotheses.before_mitigation, 0);
    assert_eq!(d.hypotheses.points, 5);
    // Decisions after the end of the drill are skipped, not applied.
    assert_eq!(run.attempts.last().unwrap().result, AttemptResult::Skipped);
    // The sharp trainee burned less budget than this one.
    let (sharp, _, _) = drill("demo-sharp.yaml");
    let burned = |d: &Debrief| {
        d.budget
            .slos
            .iter()
            .filter_map(|s| s.trainee_burned)
            .sum::<f64>()
    };
    assert!(burned(&sharp) < burned(&d));
    assert!(sharp.budget.points > d.budget.points);
}

#[test]
fn the_debrief_json_has_the_documented_fields() {
    let (d, _, _) = drill("demo-sharp.yaml");
    let v = serde_json::to_value(&d).unwrap();
    for key in [
        "scenario",
        "title",
        "trainee",
        "start",
        "until",
        "score",
        "grade",
        "diagnostic",
        "mitigation",
        "safety",
        "budget",
        "hypotheses",
        "at_end",
        "decisions",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for (section, keys) in [
        (
            "diagnostic",
            &["trainee", "reference", "delta_s", "approved", "points"][..],
        ),
        (
            "mitigation",
            &[
                "expected",
                "reference",
                "reference_executed",
                "trainee",
                "right",
                "wrong",
                "delta_s",
                "verdict",
                "points",
            ][..],
        ),
        (
            "safety",
            &[
                "refused",
                "unnecessary",
                "not_offered",
                "unknown",
                "rejections",
                "points",
            ][..],
        ),
        (
            "budget",
            &[
                "trainee_at",
                "trainee_mitigated",
                "trainee_held",
                "reference_at",
                "slos",
                "points",
            ][..],
        ),
        (
            "hypotheses",
            &["trainee", "reference", "before_mitigation", "points"][..],
        ),
    ] {
        for k in keys {
            assert!(v[section].get(*k).is_some(), "missing {section}.{k}");
        }
    }
    let slo = &v["budget"]["slos"][0];
    for k in [
        "slo",
        "at_start",
        "trainee_remaining",
        "trainee_burned",
        "reference_remaining",
        "reference_burned",
        "estimated",
        "at_until",
    ] {
        assert!(slo.get(k).is_some(), "missing budget.slos[].{k}");
    }
    let m = &v["diagnostic"]["trainee"];
    for k in ["step", "at", "offset_s", "by", "why"] {
        assert!(m.get(k).is_some(), "missing milestone.{k}");
    }
}

#[test]
fn an_empty_drill_scores_nothing_but_the_budget_says_what_it_cost() {
    let loaded = demo();
    let end = loaded.scenario.end();
    let (d, _, _) = play(&loaded, "", &DrillScript::default());
    assert_eq!(d.trainee, None);
    assert!(!d.mitigation.right);
    assert!(!d.budget.trainee_mitigated);
    assert_eq!(d.budget.trainee_at, end);
    assert_eq!(d.score, d.safety.points + d.budget.points);
    assert!(d.to_text().contains("no mitigation chosen"));
}

/// Tess plays the drill script `script` on the scenario file `scenario_path` to its end.
fn drill_on(scenario_path: &str, script: &str) -> (Debrief, DrillRun) {
    let loaded = load::scenario_file(&common::root().join(scenario_path)).unwrap();
    let (d, run, _) = play(&loaded, "tess", &drill_script(script));
    (d, run)
}

#[test]
fn in_the_storm_a_fast_trainee_beats_the_responders_and_burns_less() {
    let (d, run) = drill_on(
        "assets/scenarios/noisy-storm/scenario.yaml",
        "storm-fast.yaml",
    );
    let text = d.to_text();
    assert!(
        run.attempts
            .iter()
            .all(|a| matches!(a.result, AttemptResult::Journaled { .. })),
        "{run:?}"
    );
    assert_eq!(
        d.mitigation.expected,
        vec!["search-heap-pressure/stop-reindex"]
    );
    assert!(d.mitigation.right);
    assert_eq!(d.mitigation.delta_s, Some(-7 * 60), "{text}");
    assert!(
        d.mitigation.verdict.contains("before the responders"),
        "{text}"
    );
    assert_eq!(
        d.diagnostic.trainee.as_ref().unwrap().step,
        "search-heap-pressure/running-tasks"
    );
    assert_eq!(d.diagnostic.delta_s, Some(-60));
    // Mitigated before the responders: measured, not estimated, and less budget burned.
    for slo in &d.budget.slos {
        assert!(!slo.estimated);
        assert!(
            slo.trainee_burned.unwrap() < slo.reference_burned.unwrap(),
            "{text}"
        );
    }
    assert_eq!(d.score, 100, "{text}");
}

#[test]
fn in_a_novel_incident_the_right_call_is_no_automated_mitigation() {
    let (d, run) = drill_on(
        "assets/scenarios/novel-clock-step/scenario.yaml",
        "novel-by-hand.yaml",
    );
    let text = d.to_text();
    assert!(d.mitigation.expected.is_empty(), "{text}");
    assert!(d.mitigation.verdict.contains("human judgment"), "{text}");
    // The disk alert resolved at +19m: its runbook's mitigation is still offered, but it was
    // not needed.
    assert_eq!(d.mitigation.points, 0, "{text}");
    assert_eq!(d.mitigation.wrong.len(), 1);
    assert!(matches!(
        run.attempts[2].result,
        AttemptResult::Journaled { .. }
    ));
    assert_eq!(d.hypotheses.before_mitigation, 1);
    assert!(d.diagnostic.reference.is_none());
}

#[test]
fn run_training_is_the_headless_drill_in_one_call() {
    let loaded = demo();
    let script = drill_script("demo-sharp.yaml");
    let t = flightdeck::training::run_training(
        &loaded.scenario,
        loaded.knowledge.clone(),
        "tess",
        &script,
        loaded.scenario.end(),
    );
    let (d, _, _) = drill("demo-sharp.yaml");
    assert_eq!(t.debrief.score, d.score);
    assert!(t.session.finished());
    // A guided drill pauses where the responders decided: 16 decisions, each at its own moment.
    let pauses = flightdeck::training::decision_times(&loaded.scenario);
    assert_eq!(pauses.len(), 16);
    assert!(pauses.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(t.run.attempts.len(), script.steps.len());
    // Until is where the drill stops: a debrief at +30m has not seen the rollback yet.
    let early = flightdeck::training::run_training(
        &loaded.scenario,
        loaded.knowledge,
        "tess",
        &script,
        loaded.scenario.start + flightdeck::time::SignedDuration::from_mins(30),
    );
    assert!(!early.debrief.mitigation.right);
    assert!(
        early
            .run
            .attempts
            .iter()
            .any(|a| a.result == AttemptResult::Skipped)
    );
}

/// In Freeze the policy refuses an unaudited mitigation and says to do it by hand and record
/// it: a trainee who does exactly that is scored on the step chosen, nothing runs, and the
/// journal keeps what they wrote.
#[test]
fn a_trainee_records_a_refused_step_as_done_by_hand() {
    let script = DrillScript::parse(
        "by-hand.yaml",
        "- {at: 30m, by_hand: postgres-connection-pool/terminate-idle-in-transaction, what: \"terminated 3 idle-in-tx sessions from the bastion\"}\n\
         - {at: 41m, by_hand: checkout-high-error-rate/rollback, what: \"rolled back from the deploy pipeline\"}\n",
    )
    .unwrap();
    let (d, run, session) = play(&demo(), "tess", &script);
    let text = d.to_text();
    assert_eq!(run.attempts.len(), 2, "{:?}", run.attempts);
    assert!(
        run.attempts[0]
            .verdict
            .as_deref()
            .is_some_and(|v| v.contains("refused")),
        "{:?}",
        run.attempts[0]
    );
    let manual: Vec<&JournalRecord> = session
        .records()
        .iter()
        .filter(|r| r.kind == RecordKind::Manual && r.actor == "tess")
        .collect();
    assert_eq!(manual.len(), 2, "{:?}", session.records());
    assert_eq!(
        manual[0].body["outcome"],
        "terminated 3 idle-in-tx sessions from the bastion"
    );
    assert!(
        !session
            .records()
            .iter()
            .any(|r| r.kind == RecordKind::Execution),
        "nothing ran"
    );
    // Choosing the mitigation that fixed it, by hand, is the right mitigation; the other one
    // was not needed. Doing by hand what the policy refused is not a refusal.
    assert!(d.mitigation.right, "{text}");
    assert!(d.safety.refused.is_empty(), "{text}");
    let wrong: Vec<&str> = d.mitigation.wrong.iter().map(|w| w.step.as_str()).collect();
    assert_eq!(
        wrong,
        ["postgres-connection-pool/terminate-idle-in-transaction"],
        "{text}"
    );
}

#[test]
fn a_by_hand_drill_step_needs_what_was_done() {
    let e = DrillScript::parse("d.yaml", "- {at: 1m, by_hand: a/b}\n").unwrap_err();
    assert!(e.to_string().contains("needs `what`"), "{e}");
    let e = DrillScript::parse("d.yaml", "- {at: 1m, note: x, what: y}\n").unwrap_err();
    assert!(e.to_string().contains("`what` goes with `by_hand`"), "{e}");
}
