//! Decision-data export: one JSON line per decision point of a journal, in a stable schema
//! (`docs/TRAINING.md`, "Decision-data export").
//!
//! A decision point is a record in which someone (or the governor) decided something: a
//! hypothesis, a note, an approval, a rejection, an edit, an execution, a mode change. Every
//! line carries the governor's mode at that moment, so the data says under which risk posture
//! it was produced. The symptoms (clusters, alerts, budgets, mode reason) and the options shown
//! come from a [`DecisionContext`]: the one a record body carries under `"context"`, else one
//! given by the caller (captured by a drill, or rebuilt from a replay), else `null`.
//!
//! Pure: records in, text out. Field names are a stable interface: add fields, never rename.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::body::{KindBody, RecordBody};
pub use super::context::*;
use super::record::{JournalRecord, RecordKind, RecordRole};
use crate::slo::Mode;
use crate::time::Timestamp;

/// The schema identifier written on every exported line.
pub const EXPORT_SCHEMA: &str = "flightdeck.decision.v1";

/// One exported line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionPoint {
    /// Always [`EXPORT_SCHEMA`].
    pub schema: String,
    pub seq: u64,
    pub ts: Timestamp,
    /// The record's chain hash: ties the line to the verified journal.
    pub hash: String,
    /// `hypothesis | note | approve | reject | edit | execute | mode_change | mode_state` (the
    /// mode a cockpit found when it started, not a change).
    pub kind: String,
    pub actor: String,
    /// `oncall | commander | trainee | system`.
    pub role: RecordRole,
    /// Written by replaying a scenario's reference decisions (not a live decision).
    pub replayed: bool,
    /// The cockpit session that wrote it, when the record says.
    pub session: Option<String>,
    /// The governor's effective mode when the decision was taken.
    pub mode: Mode,
    /// The symptoms at the decision: `null` when the journal does not carry them.
    pub symptoms: Option<Symptoms>,
    /// The suggestions that waited for a decision: `null` when unknown.
    pub options: Option<Vec<OptionContext>>,
    pub decision: Decision,
    /// What came of it (executions), `null` otherwise.
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Symptoms {
    pub mode_reason: String,
    pub mode_slo: Option<String>,
    pub alerts: AlertCounts,
    pub clusters: Vec<ClusterSnapshot>,
    pub budgets: Vec<BudgetContext>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The record's one-line summary.
    pub summary: String,
    /// Hypothesis / note text.
    pub text: Option<String>,
    /// `runbook-id/step-id` (approve, reject, edit, execute).
    pub step: Option<String>,
    pub argv: Option<Vec<String>>,
    pub argv_hash: Option<String>,
    /// The reason of a rejection.
    pub reason: Option<String>,
    /// The policy verdict of the step when it was decided (before this decision counted).
    pub policy: Option<serde_json::Value>,
    /// Mode changes: the transition and its evidence (burn-rate conditions); `from` is `null`
    /// for `mode_state`.
    pub from: Option<Mode>,
    pub to: Option<Mode>,
    pub slo: Option<String>,
    pub evidence: Option<serde_json::Value>,
    /// Mode changes: the deciding SLO's budget left (a fraction) and the drift overlay as data
    /// (baseline mean, σ used and measured, recent mean, since, CUSUM and its threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_remaining: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<serde_json::Value>,
    /// Hypotheses and notes: the cluster they were written about (the cockpit's own id) and
    /// its alert names, which identify the incident across cockpits.
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub alertnames: Option<Vec<String>>,
    /// Overrides: when the commander's override of the mode ends (`to: null` ended one).
    #[serde(default)]
    pub until: Option<Timestamp>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub summary: Option<String>,
    pub ok: Option<bool>,
    pub dry_run: Option<bool>,
    pub exit_code: Option<i64>,
    pub duration_ms: Option<u64>,
}

/// The decision points of `records`, in journal order. `contexts` (by record `seq`) fills the
/// symptoms and options of records whose body carries no `"context"`.
pub fn decision_points(
    records: &[JournalRecord],
    contexts: &BTreeMap<u64, DecisionContext>,
) -> Vec<DecisionPoint> {
    let mut mode = Mode::Adaptive;
    let mut out = Vec::new();
    for r in records {
        let body = r.read_body();
        let change = body.mode_change();
        if let Some(to) = change.and_then(|c| c.to) {
            mode = to;
        }
        let Some(mut kind) = r.kind.decision_name() else {
            continue;
        };
        // A step flightdeck found obsolete (its incident resolved) is nobody's decision.
        if body.obsolete {
            continue;
        }
        // A chaos experiment's phase names the decision point (docs/FORMATS.md).
        if r.kind == RecordKind::Experiment {
            kind = match r.body.get("phase").and_then(|v| v.as_str()) {
                Some("approve") => "experiment_approve",
                Some("refused") => "experiment_refused",
                Some("start") => "experiment_start",
                Some("step") => "experiment_step",
                Some("abort") => "experiment_abort",
                Some("halt") => "experiment_halt",
                Some("end") => "experiment_end",
                Some("failed_start") => "experiment_failed_start",
                _ => "experiment",
            };
        }
        // `from: null`: the mode a cockpit found when it started — a state, not a change.
        if change.is_some_and(|c| c.from.is_none()) {
            kind = "mode_state";
        }
        let record_mode = if change.is_some() {
            mode
        } else {
            body.mode.unwrap_or(mode)
        };
        let context: Option<DecisionContext> = body
            .shown
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .or_else(|| contexts.get(&r.seq).cloned());
        let (decision, outcome) = decision_of(r, &body);
        out.push(DecisionPoint {
            schema: EXPORT_SCHEMA.to_string(),
            seq: r.seq,
            ts: r.ts,
            hash: r.hash.clone(),
            kind: kind.to_string(),
            actor: r.actor.clone(),
            role: r.role.clone(),
            replayed: body.replayed,
            session: body.session.clone(),
            mode: record_mode,
            symptoms: context.as_ref().map(|c| Symptoms {
                mode_reason: c.mode_reason.clone(),
                mode_slo: c.mode_slo.clone(),
                alerts: c.alerts,
                clusters: c.clusters.clone(),
                budgets: c.budgets.clone(),
            }),
            options: context.map(|c| c.options),
            decision,
            outcome,
        });
    }
    out
}

/// What a record decided, and what came of it (executions and work done by hand).
fn decision_of(r: &JournalRecord, body: &RecordBody) -> (Decision, Option<Outcome>) {
    let mut decision = Decision {
        summary: r.summary.clone(),
        ..Decision::default()
    };
    let mut outcome = None;
    match &body.of_kind {
        KindBody::Note(n) => {
            decision.text = n.text.clone().or_else(|| Some(r.summary.clone()));
            decision.step = n.step.clone();
            decision.cluster = n.cluster.clone();
            decision.alertnames = n.alertnames.clone();
        }
        KindBody::Override(o) => {
            // `to: null` ends the override in force.
            decision.from = body.mode;
            decision.to = o.to;
            decision.reason = o.reason.clone();
            decision.until = o.until;
        }
        KindBody::ModeChange(c) => {
            decision.from = c.from;
            decision.to = c.to;
            decision.reason = c.reason.clone();
            decision.slo = c.slo.clone();
            decision.evidence = c.evidence.clone();
            decision.budget_remaining = c.budget_remaining;
            decision.drift = c.drift.clone();
        }
        KindBody::Step(b) => {
            decision.step = b.step.as_ref().map(|s| s.to_string());
            decision.argv = b.argv.clone();
            decision.argv_hash = b.argv_hash.clone();
            decision.reason = b.reason.clone();
            decision.policy = b.policy.clone();
            if r.kind == RecordKind::Manual {
                // Done outside flightdeck: what the person wrote is the outcome.
                outcome = Some(Outcome {
                    summary: b.outcome.clone(),
                    dry_run: Some(false),
                    ..Outcome::default()
                });
            }
            if r.kind == RecordKind::Execution {
                let exec = b.exec.as_ref();
                outcome = Some(Outcome {
                    summary: b
                        .outcome
                        .clone()
                        .or_else(|| exec.and_then(|e| e.summary.clone())),
                    ok: exec.and_then(|e| e.ok),
                    dry_run: exec.and_then(|e| e.dry_run),
                    exit_code: exec.and_then(|e| e.exit_code),
                    duration_ms: exec.and_then(|e| e.duration_ms),
                });
            }
        }
        KindBody::Experiment(body) => {
            decision.text = str_field(body, "hypothesis");
            decision.step = str_field(body, "run");
            decision.argv = body
                .get("argv")
                .and_then(|v| serde_json::from_value(v.clone()).ok());
            decision.reason = str_field(body, "reason");
            decision.evidence = body.get("evidence").filter(|v| !v.is_null()).cloned();
            decision.policy = body.get("gate").filter(|v| !v.is_null()).cloned();
            if let Some(exec) = body.get("exec").filter(|v| !v.is_null()) {
                outcome = Some(Outcome {
                    summary: str_field(exec, "summary"),
                    ok: exec.get("ok").and_then(|v| v.as_bool()),
                    dry_run: exec.get("dry_run").and_then(|v| v.as_bool()),
                    exit_code: exec.get("exit_code").and_then(|v| v.as_i64()),
                    duration_ms: exec.get("duration_ms").and_then(|v| v.as_u64()),
                });
            } else if let Some(o) = str_field(body, "outcome") {
                outcome = Some(Outcome {
                    summary: Some(o),
                    dry_run: body.get("dry_run").and_then(|v| v.as_bool()),
                    ..Outcome::default()
                });
            }
        }
        KindBody::Genesis(_) | KindBody::Checkpoint(_) | KindBody::Unknown => {}
    }
    (decision, outcome)
}

/// The decision points of a journal as JSON Lines (one object a line, `\n`-terminated), from
/// what the records carry.
pub fn export_jsonl(records: &[JournalRecord]) -> String {
    export_jsonl_with(records, &BTreeMap::new())
}

/// Like [`export_jsonl`], with contexts (by record `seq`) for records that carry none.
pub fn export_jsonl_with(
    records: &[JournalRecord],
    contexts: &BTreeMap<u64, DecisionContext>,
) -> String {
    let mut out = String::new();
    for p in decision_points(records, contexts) {
        if let Ok(line) = serde_json::to_string(&p) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn str_field(body: &serde_json::Value, key: &str) -> Option<String> {
    body.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Chain, JournalEntry};

    fn seal(chain: &mut Chain, kind: RecordKind, body: serde_json::Value) -> JournalRecord {
        let at: Timestamp = "2026-03-12T14:00:00Z".parse().unwrap();
        chain.seal(
            JournalEntry {
                actor: "dana".into(),
                role: crate::actions::Role::Oncall.into(),
                kind,
                summary: "s".into(),
                body,
            },
            at,
        )
    }

    #[test]
    fn hypotheses_name_their_incident_and_work_done_by_hand_is_an_outcome() {
        let mut chain = Chain::default();
        let records = vec![
            seal(&mut chain, RecordKind::Genesis, serde_json::json!({})),
            seal(
                &mut chain,
                RecordKind::Hypothesis,
                serde_json::json!({"text": "a deploy leaks connections", "cluster": "C3",
                    "alertnames": ["PostgresConnectionPoolExhausted"], "mode": "freeze"}),
            ),
            seal(
                &mut chain,
                RecordKind::Manual,
                serde_json::json!({"step": "pool/raise-limit", "argv": ["kubectl", "scale"],
                    "argv_hash": "h", "mode": "freeze", "outcome": "scaled by hand; waits dropped",
                    "policy": {"verdict": "refused", "reason": "Freeze: not pre-audited"}}),
            ),
        ];
        let points = decision_points(&records, &BTreeMap::new());
        assert_eq!(points[0].decision.cluster.as_deref(), Some("C3"));
        assert_eq!(
            points[0].decision.alertnames.as_deref(),
            Some(&["PostgresConnectionPoolExhausted".to_string()][..])
        );
        assert_eq!(points[1].kind, "manual");
        assert_eq!(points[1].decision.step.as_deref(), Some("pool/raise-limit"));
        assert_eq!(
            points[1].decision.policy.as_ref().unwrap()["verdict"],
            "refused"
        );
        let outcome = points[1].outcome.as_ref().unwrap();
        assert_eq!(
            outcome.summary.as_deref(),
            Some("scaled by hand; waits dropped")
        );
        assert_eq!(outcome.dry_run, Some(false));
    }

    #[test]
    fn every_line_carries_the_mode_in_force() {
        let mut chain = Chain::default();
        let records = vec![
            seal(&mut chain, RecordKind::Genesis, serde_json::json!({})),
            seal(
                &mut chain,
                RecordKind::Hypothesis,
                serde_json::json!({"text": "deploy?"}),
            ),
            seal(
                &mut chain,
                RecordKind::ModeChange,
                serde_json::json!({"from": "adaptive", "to": "freeze", "reason": "burn", "evidence": []}),
            ),
            seal(
                &mut chain,
                RecordKind::Note,
                serde_json::json!({"text": "IC here"}),
            ),
        ];
        let points = decision_points(&records, &BTreeMap::new());
        let modes: Vec<(String, Mode)> = points.iter().map(|p| (p.kind.clone(), p.mode)).collect();
        assert_eq!(
            modes,
            vec![
                ("hypothesis".into(), Mode::Adaptive),
                ("mode_change".into(), Mode::Freeze),
                ("note".into(), Mode::Freeze),
            ]
        );
        assert!(points.iter().all(|p| p.symptoms.is_none()));
        assert_eq!(points[0].decision.cluster, None);
        let text = export_jsonl(&records);
        assert_eq!(text.lines().count(), 3);
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["schema"], EXPORT_SCHEMA);
            assert!(v["symptoms"].is_null() && v["options"].is_null());
        }
    }
}
