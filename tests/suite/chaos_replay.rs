//! Chaos experiments in replay (issue 21 §5, issue 17 §14): the bundled experiment is halted by
//! the governor in the demo incident, its rollback is dry-run, and the journal file holds the
//! whole story (and verifies); a commander's override to ADAPTIVE during REDESIGN does not let
//! an experiment start.

use std::collections::BTreeMap;

use crate::common;
use common::cli::flightdeck;
use flightdeck::actions::{Approval, Role};
use flightdeck::chaos::{Experiment, GateConfig, GateInput, gate};
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::commands::experiment::observe_cockpit;
use flightdeck::slo::Mode;
use flightdeck::time::SignedDuration;

const BUNDLED: &str = "assets/scenarios/chaos-halt/experiment.yaml";

fn lines(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_bundled_experiment_is_halted_by_the_governor_in_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let j = journal.to_str().unwrap();
    let out = flightdeck(&[
        "experiment",
        "run",
        BUNDLED,
        "--replay",
        "demo",
        "--journal",
        j,
    ]);
    let text = lines(&out);
    assert_eq!(out.status.code(), Some(3), "halted exits 3: {text}");
    assert!(text.contains("may start"), "{text}");
    assert!(
        text.contains("the governor tightened from ADAPTIVE to FREEZE"),
        "{text}"
    );

    // The whole story, in order, in a journal that verifies.
    let out = flightdeck(&["journal", "verify", "--journal", j]);
    assert!(out.status.success(), "{}", lines(&out));
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    let phases: Vec<String> = records
        .iter()
        .filter(|r| r.kind == flightdeck::journal::RecordKind::Experiment)
        .map(|r| {
            let phase = r.body["phase"].as_str().unwrap().to_string();
            match r.body["section"].as_str() {
                Some(s) => format!("{phase}:{s}"),
                None => phase,
            }
        })
        .collect();
    assert_eq!(
        phases,
        ["start", "step:method", "abort", "step:rollback", "end"],
        "{phases:?}"
    );
    let abort = records.iter().find(|r| r.body["phase"] == "abort").unwrap();
    assert_eq!(abort.body["breach"]["kind"], "mode_tightened");
    assert_eq!(
        abort.body["evidence"]["observation"]["budget_mode"],
        "freeze"
    );
    // Everything was a dry run: nothing executed.
    for r in records.iter().filter(|r| r.body["phase"] == "step") {
        assert_eq!(r.body["exec"]["dry_run"], true, "{}", r.summary);
        assert_eq!(r.body["replayed"], true);
    }
    let end = records.iter().find(|r| r.body["phase"] == "end").unwrap();
    let spent = end.body["spent"]["checkout-availability"].as_f64().unwrap();
    let limit = end.body["limits"]["checkout-availability"]
        .as_f64()
        .unwrap();
    assert!(spent > 0.0 && spent < limit, "spent {spent} of {limit}");
    assert!(!end.body["boundary"].as_array().unwrap().is_empty());

    // The report and the export show it.
    let out = flightdeck(&["experiment", "report", "--journal", j]);
    let report = lines(&out);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("1 halted by the guard"), "{report}");
    assert!(report.contains("boundary:"), "{report}");
    let out = flightdeck(&["journal", "export", "--journal", j]);
    let export = String::from_utf8_lossy(&out.stdout).to_string();
    for kind in [
        "experiment_start",
        "experiment_step",
        "experiment_abort",
        "experiment_end",
    ] {
        assert!(
            export.contains(&format!("\"kind\":\"{kind}\"")),
            "{kind}: {export}"
        );
    }
    let out = flightdeck(&["journal", "timeline", "--journal", j]);
    assert!(
        lines(&out).contains("chaos experiment abort"),
        "{}",
        lines(&out)
    );

    // A postmortem draft and a runbook draft from the finished run.
    let out = flightdeck(&["experiment", "draft", "--journal", j]);
    let md = lines(&out);
    assert!(
        md.contains("## Boundary reached (what almost broke)"),
        "{md}"
    );
    assert!(md.contains("mode_tightened"), "{md}");
    let rb = dir.path().join("runbook.md");
    let out = flightdeck(&[
        "experiment",
        "draft",
        "--journal",
        j,
        "--as",
        "runbook",
        "-o",
        rb.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", lines(&out));
    let text = std::fs::read_to_string(&rb).unwrap();
    let rbk = flightdeck::knowledge::parse_runbook(rb.to_str().unwrap(), &text)
        .unwrap_or_else(|e| panic!("the runbook draft loads as a runbook: {e}\n{text}"));
    assert_eq!(rbk.steps.len(), 1, "its rollback is its step");
    assert!(rbk.steps[0].audited.is_none(), "not audited until reviewed");
    let pm = flightdeck::knowledge::parse_postmortem("pm.md", &md);
    assert!(pm.is_ok(), "the postmortem draft loads: {pm:?}\n{md}");
}

fn approvals(mode: Mode) -> Vec<Approval> {
    vec![
        Approval {
            by: "lee".into(),
            role: Role::Commander,
            mode,
        },
        Approval {
            by: "dana".into(),
            role: Role::Oncall,
            mode,
        },
    ]
}

/// Issue 17 §14: the override changes who must approve; it is not headroom.
#[test]
fn an_override_to_adaptive_during_redesign_does_not_start_an_experiment() {
    let text = std::fs::read_to_string(common::root().join(BUNDLED))
        .unwrap()
        .replace(
            "labels: {namespace: shop, pod: checkout-7c5d9b8f4-5ktll}",
            "labels: {service: search}",
        )
        .replace(
            "slos: [checkout-availability]",
            "slos: [payments-availability]",
        )
        .replace(
            "slo: checkout-availability, window: 1h",
            "slo: payments-availability, window: 1h",
        );
    let e = Experiment::parse("e.yaml", &text).unwrap();
    let mut lee = common::replay::session_with(
        common::replay::demo(),
        45,
        CockpitConfig {
            role: Role::Commander,
            actor: "lee".into(),
            ..CockpitConfig::default()
        },
    );
    assert_eq!(
        lee.cockpit().mode(),
        Mode::Redesign,
        "the demo's budget is spent at +45m"
    );
    let notices = lee.command(UserCommand::OverrideMode {
        to: Some(Mode::Adaptive),
        reason: "the latency SLI counts the load test; real traffic is fine".into(),
        duration: SignedDuration::from_mins(30),
    });
    assert_eq!(lee.cockpit().mode(), Mode::Adaptive, "{notices:?}");
    // (The Prometheus probe is not read in replay.)
    let observe = |c: &flightdeck::cockpit::Cockpit, at| {
        let mut seen = observe_cockpit(c, &e, at);
        seen.probes.push(flightdeck::chaos::ProbeReading {
            name: "checkout 5xx ratio".into(),
            value: Err("not read in replay".into()),
            skipped: true,
        });
        seen
    };
    let seen = observe(lee.cockpit(), lee.position());
    assert_eq!(seen.mode, Mode::Adaptive);
    assert_eq!(seen.budget_mode, Mode::Redesign);
    let ap = approvals(Mode::Adaptive);
    let decide = |seen: &flightdeck::chaos::Observation, override_by: Option<String>| {
        gate(&GateInput {
            experiment: &e,
            mode: seen.mode,
            budget_mode: seen.budget_mode,
            override_by,
            drift: seen.drift,
            budgets: &seen.budgets,
            firing: &seen.firing,
            probes: &seen.probes,
            approvals: &ap,
            spent: &BTreeMap::new(),
            config: GateConfig::default(),
            alerts_unknown: None,
        })
    };
    let d = decide(&seen, Some("lee".into()));
    assert!(!d.may_start, "{}", d.text());
    let failed: Vec<&str> = d
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, ["mode", "approvals"], "{}", d.text());
    assert!(d.text().contains("not headroom"), "{}", d.text());

    // The same experiment before the incident, with real headroom: it may start.
    let early = common::replay::demo_at(0);
    let seen = observe(early.cockpit(), early.position());
    let d = decide(&seen, None);
    assert!(d.may_start, "{}", d.text());
}

/// Issue 17 §14 in the cockpit: a runbook step of kind `experiment` stays refused under a
/// commander's override to ADAPTIVE while the budgets say REDESIGN, whoever approves; the same
/// override lets the runbook's mitigations through (it changes who must approve).
#[test]
fn the_cockpit_refuses_experiment_steps_under_an_override_without_headroom() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::root().join("assets/demo"), dir.path());
    let rb = dir.path().join("runbooks/checkout-high-error-rate.md");
    let text = std::fs::read_to_string(&rb).unwrap();
    std::fs::write(&rb, text.replace("kind: mitigation", "kind: experiment")).unwrap();
    let loaded = flightdeck::load::scenario_file(&dir.path().join("scenario.yaml")).unwrap();
    let mut lee = common::replay::session_with(
        loaded,
        45,
        CockpitConfig {
            role: Role::Commander,
            actor: "lee".into(),
            ..CockpitConfig::default()
        },
    );
    assert_eq!(lee.cockpit().mode(), Mode::Redesign);
    lee.command(UserCommand::OverrideMode {
        to: Some(Mode::Adaptive),
        reason: "the latency SLI counts the load test; real traffic is fine".into(),
        duration: SignedDuration::from_mins(30),
    });
    assert_eq!(lee.cockpit().mode(), Mode::Adaptive);
    let queue = lee.cockpit().approval_queue();
    let experiments: Vec<_> = queue
        .iter()
        .filter(|s| s.step.kind == flightdeck::actions::StepKind::Experiment)
        .collect();
    assert!(
        !experiments.is_empty(),
        "the edited runbook offers experiment steps: {:?}",
        queue.iter().map(|s| &s.step.id).collect::<Vec<_>>()
    );
    for s in experiments {
        match &s.verdict {
            flightdeck::actions::Verdict::Refused { reason } => {
                assert!(reason.contains("not headroom"), "{reason}")
            }
            other => panic!("{}: {other:?}", s.step.id),
        }
    }
    assert!(
        queue
            .iter()
            .filter(|s| s.step.kind != flightdeck::actions::StepKind::Experiment)
            .any(|s| !s.verdict.is_refused()),
        "the override still governs everything else"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
