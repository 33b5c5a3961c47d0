//! The decision-data export: one JSON line per decision point, in the documented schema
//! (docs/TRAINING.md), with the governor's mode on every line and, where known, the symptoms
//! and the options that were on screen.

use crate::common;
use common::replay::{demo, demo_to_end_offered_argv, drill_run, drill_script};
use flightdeck::journal::export::{EXPORT_SCHEMA, decision_points};
use flightdeck::journal::{export_jsonl, export_jsonl_with};

const LINE_KEYS: &[&str] = &[
    "schema", "seq", "ts", "hash", "kind", "actor", "role", "replayed", "session", "mode",
    "symptoms", "options", "decision", "outcome",
];
const DECISION_KEYS: &[&str] = &[
    "summary",
    "text",
    "step",
    "argv",
    "argv_hash",
    "reason",
    "policy",
    "from",
    "to",
    "slo",
    "evidence",
];

#[test]
fn every_line_of_the_demo_export_has_the_schema_and_the_mode() {
    let (_, s) = demo_to_end_offered_argv();
    let text = export_jsonl(s.records());
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every record but the genesis is a decision point (reference decisions and mode changes),
    // except flightdeck's records of steps gone obsolete: nobody decided those.
    let obsolete = s
        .records()
        .iter()
        .filter(|r| r.body.get("obsolete").and_then(|v| v.as_bool()) == Some(true))
        .count();
    assert!(obsolete > 0, "the demo has steps that go obsolete");
    assert_eq!(lines.len(), s.records().len() - 1 - obsolete);
    assert!(
        lines
            .iter()
            .all(|v| v["role"] != "system" || v["kind"] != "reject")
    );
    for v in &lines {
        for k in LINE_KEYS {
            assert!(v.get(*k).is_some(), "missing {k}: {v}");
        }
        for k in DECISION_KEYS {
            assert!(v["decision"].get(*k).is_some(), "missing decision.{k}: {v}");
        }
        assert_eq!(v["schema"], EXPORT_SCHEMA);
        assert!(
            ["adaptive", "freeze", "redesign"].contains(&v["mode"].as_str().unwrap()),
            "{v}"
        );
    }
    let kinds: Vec<&str> = lines.iter().map(|v| v["kind"].as_str().unwrap()).collect();
    for k in [
        "hypothesis",
        "note",
        "approve",
        "reject",
        "execute",
        "mode_change",
    ] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    // The rejection keeps its reason and the mode it was taken in; the rollback its approvals'
    // policy verdicts; the execution its outcome.
    let reject = lines.iter().find(|v| v["kind"] == "reject").unwrap();
    assert_eq!(reject["mode"], "freeze");
    assert!(
        reject["decision"]["reason"]
            .as_str()
            .unwrap()
            .contains("PM-2025-031")
    );
    assert_eq!(reject["actor"], "lee");
    assert_eq!(reject["role"], "commander");
    assert_eq!(reject["replayed"], true);
    let rollback: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|v| v["decision"]["step"] == "checkout-high-error-rate/rollback")
        .collect();
    assert_eq!(rollback.len(), 3);
    assert!(rollback.iter().all(|v| v["mode"] == "redesign"));
    assert_eq!(
        rollback[0]["decision"]["policy"]["verdict"],
        "needs_approval"
    );
    assert!(
        rollback[2]["outcome"]["summary"]
            .as_str()
            .unwrap()
            .contains("revision 86")
    );
    let change = lines.iter().find(|v| v["kind"] == "mode_change").unwrap();
    assert_eq!(change["decision"]["from"], "adaptive");
    assert_eq!(change["decision"]["to"], "freeze");
    assert!(
        change["decision"]["evidence"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    // Step decisions carry what the cockpit showed when they were taken; records that have no
    // such context (notes, mode changes) say null, never an invented one.
    for v in &lines {
        let step_decision =
            ["approval", "rejection", "execution"].contains(&v["kind"].as_str().unwrap_or(""));
        if step_decision {
            assert!(!v["symptoms"].is_null(), "{v}");
        } else if v["kind"] == "mode_change" || v["kind"] == "note" {
            assert!(v["symptoms"].is_null(), "{v}");
        }
    }
}

#[test]
fn a_drill_export_carries_what_the_trainee_saw() {
    let (run, session) = drill_run(&demo(), "tess", &drill_script("demo-sharp.yaml"));
    let points = decision_points(session.records(), &run.contexts);
    let mine: Vec<_> = points.iter().filter(|p| p.actor == "tess").collect();
    assert!(mine.len() >= 5);
    for p in &mine {
        let symptoms = p.symptoms.as_ref().expect("the drill captured the context");
        assert!(symptoms.alerts.total > 0);
        assert!(!symptoms.budgets.is_empty());
        assert!(p.options.is_some());
        assert_eq!(p.role, flightdeck::actions::Role::Trainee.into());
    }
    // At +12m the trainee saw the pool-exhaustion cluster with its runbook, and chose from it.
    let show_pools = mine
        .iter()
        .find(|p| p.decision.step.as_deref() == Some("postgres-connection-pool/show-pools"))
        .unwrap();
    let s = show_pools.symptoms.as_ref().unwrap();
    assert!(s.clusters.iter().any(|c| {
        c.origin.as_deref() == Some("postgres")
            && c.top_runbook.as_deref() == Some("postgres-connection-pool")
            && !c.novel
    }));
    let options = show_pools.options.as_ref().unwrap();
    assert!(
        options
            .iter()
            .any(|o| o.step == "postgres-connection-pool/show-pools")
    );
    assert!(
        options
            .iter()
            .all(|o| o.kind == "diagnostic" || o.kind == "mitigation")
    );
    // The export text has the same lines.
    let text = export_jsonl_with(session.records(), &run.contexts);
    assert_eq!(text.lines().count(), points.len());
    let v: serde_json::Value = serde_json::from_str(
        text.lines()
            .find(|l| l.contains("\"actor\":\"tess\""))
            .unwrap(),
    )
    .unwrap();
    for k in ["mode_reason", "mode_slo", "alerts", "clusters", "budgets"] {
        assert!(v["symptoms"].get(k).is_some(), "missing symptoms.{k}");
    }
    for k in [
        "id",
        "size",
        "firing",
        "alertnames",
        "services",
        "origin",
        "top_runbook",
        "novel",
        "noise",
    ] {
        assert!(
            v["symptoms"]["clusters"][0].get(k).is_some(),
            "missing cluster.{k}: {v}"
        );
    }
    for k in [
        "slo",
        "budget_remaining",
        "burn_5m",
        "burn_1h",
        "burn_6h",
        "conditions",
    ] {
        assert!(
            v["symptoms"]["budgets"][0].get(k).is_some(),
            "missing budget.{k}"
        );
    }
}
