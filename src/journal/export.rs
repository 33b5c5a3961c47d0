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

use super::record::{JournalRecord, RecordKind, body_field};
use crate::cockpit::Cockpit;
use crate::slo::Mode;
use crate::time::Timestamp;

/// The schema identifier written on every exported line.
pub const EXPORT_SCHEMA: &str = "flightdeck.decision.v1";

/// How many clusters a context keeps (the most urgent first).
pub const CONTEXT_CLUSTERS: usize = 12;
/// How many options (suggestions waiting for a decision) a context keeps.
pub const CONTEXT_OPTIONS: usize = 24;

/// What the person deciding saw: the symptoms and the options. Captured from the cockpit just
/// before a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionContext {
    pub mode: Mode,
    pub mode_reason: String,
    /// The SLO that set the mode, if any.
    pub mode_slo: Option<String>,
    pub budgets: Vec<BudgetContext>,
    pub alerts: AlertCounts,
    /// Clusters with at least one firing alert, most urgent first (at most [`CONTEXT_CLUSTERS`]).
    pub clusters: Vec<ClusterContext>,
    /// The approval queue: suggestions waiting for a decision (at most [`CONTEXT_OPTIONS`]).
    pub options: Vec<OptionContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetContext {
    pub slo: String,
    /// Fraction of the error budget left over the SLO window (may be negative).
    pub budget_remaining: Option<f64>,
    pub burn_5m: Option<f64>,
    pub burn_1h: Option<f64>,
    pub burn_6h: Option<f64>,
    /// Multiwindow conditions that hold: `page` / `ticket`.
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCounts {
    pub total: usize,
    pub firing: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterContext {
    pub id: String,
    pub size: usize,
    pub firing: usize,
    pub alertnames: Vec<String>,
    pub services: Vec<String>,
    pub origin: Option<String>,
    pub top_runbook: Option<String>,
    /// No good knowledge match: human judgment.
    pub novel: bool,
    /// Flapping, chronic or suppressed.
    pub noise: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionContext {
    /// `S12`.
    pub id: String,
    /// `runbook-id/step-id`.
    pub step: String,
    /// `diagnostic` / `mitigation`.
    pub kind: String,
    pub cluster: Option<String>,
    /// The policy verdict at that moment, as shown.
    pub verdict: String,
}

impl DecisionContext {
    /// What the cockpit shows now.
    pub fn from_cockpit(cockpit: &Cockpit) -> DecisionContext {
        let snap = cockpit.snapshot();
        let burn = |rates: &BTreeMap<String, Option<f64>>, w: &str| rates.get(w).copied().flatten();
        let noisy: std::collections::BTreeSet<String> = cockpit
            .clusters()
            .iter()
            .filter(|c| !c.noise.is_empty())
            .map(|c| c.id.to_string())
            .collect();
        let firing_alerts = cockpit.clusters().iter().map(|c| c.firing).sum();
        DecisionContext {
            mode: snap.mode.mode,
            mode_reason: snap.mode.reason,
            mode_slo: snap.mode.slo,
            budgets: snap
                .slos
                .iter()
                .map(|s| BudgetContext {
                    slo: s.name.clone(),
                    budget_remaining: s.budget_remaining,
                    burn_5m: burn(&s.burn_rates, "5m"),
                    burn_1h: burn(&s.burn_rates, "1h"),
                    burn_6h: burn(&s.burn_rates, "6h"),
                    conditions: s.conditions.clone(),
                })
                .collect(),
            alerts: AlertCounts {
                total: snap.alerts,
                firing: firing_alerts,
            },
            clusters: snap
                .clusters
                .into_iter()
                .filter(|c| c.firing > 0)
                .take(CONTEXT_CLUSTERS)
                .map(|c| ClusterContext {
                    noise: noisy.contains(&c.id),
                    id: c.id,
                    size: c.size,
                    firing: c.firing,
                    alertnames: c.alertnames,
                    services: c.services,
                    origin: c.origin,
                    top_runbook: c.top_runbook,
                    novel: c.novel,
                })
                .collect(),
            options: snap
                .approvals
                .into_iter()
                .take(CONTEXT_OPTIONS)
                .map(|a| OptionContext {
                    id: a.id,
                    step: a.step,
                    kind: serde_json::to_value(a.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    cluster: a.cluster,
                    verdict: a.verdict,
                })
                .collect(),
        }
    }
}

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
    pub role: String,
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
    pub clusters: Vec<ClusterContext>,
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

fn kind_name(kind: RecordKind) -> Option<&'static str> {
    Some(match kind {
        RecordKind::Hypothesis => "hypothesis",
        RecordKind::Note => "note",
        RecordKind::Approval => "approve",
        RecordKind::Rejection => "reject",
        RecordKind::Edit => "edit",
        RecordKind::Proposal => "propose",
        RecordKind::Execution => "execute",
        RecordKind::Manual => "manual",
        RecordKind::Override => "override",
        RecordKind::ModeChange => "mode_change",
        RecordKind::Experiment => "experiment",
        RecordKind::Genesis | RecordKind::Checkpoint | RecordKind::Unknown(_) => return None,
    })
}

fn str_field(body: &serde_json::Value, key: &str) -> Option<String> {
    body.get(key).and_then(|v| v.as_str()).map(str::to_string)
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
        let body = &r.body;
        if r.kind == RecordKind::ModeChange
            && let Some(to) = body_field::<Mode>(body, "to")
        {
            mode = to;
        }
        let Some(mut kind) = kind_name(r.kind) else {
            continue;
        };
        // A step flightdeck found obsolete (its incident resolved) is nobody's decision.
        if body.get("obsolete").and_then(|v| v.as_bool()) == Some(true) {
            continue;
        }
        // A chaos experiment's phase names the decision point (docs/FORMATS.md).
        if r.kind == RecordKind::Experiment {
            kind = match body.get("phase").and_then(|v| v.as_str()) {
                Some("approve") => "experiment_approve",
                Some("refused") => "experiment_refused",
                Some("start") => "experiment_start",
                Some("step") => "experiment_step",
                Some("abort") => "experiment_abort",
                Some("end") => "experiment_end",
                _ => "experiment",
            };
        }
        // `from: null`: the mode a cockpit found when it started — a state, not a change.
        if r.kind == RecordKind::ModeChange && body_field::<Mode>(body, "from").is_none() {
            kind = "mode_state";
        }
        let record_mode = if r.kind == RecordKind::ModeChange {
            mode
        } else {
            body_field::<Mode>(body, "mode").unwrap_or(mode)
        };
        let context: Option<DecisionContext> = body
            .get("shown")
            .or_else(|| body.get("context"))
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .or_else(|| contexts.get(&r.seq).cloned());
        let mut decision = Decision {
            summary: r.summary.clone(),
            ..Decision::default()
        };
        let mut outcome = None;
        match r.kind {
            RecordKind::Hypothesis | RecordKind::Note => {
                decision.text = str_field(body, "text").or_else(|| Some(r.summary.clone()));
                decision.step = str_field(body, "step");
                decision.cluster = str_field(body, "cluster");
                decision.alertnames = body_field(body, "alertnames");
            }
            RecordKind::Override => {
                // `to: null` ends the override in force.
                decision.from = body_field::<Mode>(body, "mode");
                decision.to = body_field::<Mode>(body, "to");
                decision.reason = str_field(body, "reason");
                decision.until = body_field(body, "until");
            }
            RecordKind::Experiment => {
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
            RecordKind::ModeChange => {
                decision.from = body_field::<Mode>(body, "from");
                decision.to = body_field::<Mode>(body, "to");
                decision.reason = str_field(body, "reason");
                decision.slo = str_field(body, "slo");
                decision.evidence = body.get("evidence").cloned();
            }
            _ => {
                decision.step = str_field(body, "step");
                decision.argv = body
                    .get("argv")
                    .and_then(|v| serde_json::from_value(v.clone()).ok());
                decision.argv_hash = str_field(body, "argv_hash");
                decision.reason = str_field(body, "reason");
                decision.policy = body.get("policy").filter(|v| !v.is_null()).cloned();
                if r.kind == RecordKind::Manual {
                    // Done outside flightdeck: what the person wrote is the outcome.
                    outcome = Some(Outcome {
                        summary: str_field(body, "outcome"),
                        dry_run: Some(false),
                        ..Outcome::default()
                    });
                }
                if r.kind == RecordKind::Execution {
                    let exec = body.get("exec").filter(|v| !v.is_null());
                    outcome = Some(Outcome {
                        summary: str_field(body, "outcome")
                            .or_else(|| exec.and_then(|e| str_field(e, "summary"))),
                        ok: exec.and_then(|e| e.get("ok")).and_then(|v| v.as_bool()),
                        dry_run: exec
                            .and_then(|e| e.get("dry_run"))
                            .and_then(|v| v.as_bool()),
                        exit_code: exec
                            .and_then(|e| e.get("exit_code"))
                            .and_then(|v| v.as_i64()),
                        duration_ms: exec
                            .and_then(|e| e.get("duration_ms"))
                            .and_then(|v| v.as_u64()),
                    });
                }
            }
        }
        out.push(DecisionPoint {
            schema: EXPORT_SCHEMA.to_string(),
            seq: r.seq,
            ts: r.ts,
            hash: r.hash.clone(),
            kind: kind.to_string(),
            actor: r.actor.clone(),
            role: r.role.clone(),
            replayed: body
                .get("replayed")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            session: str_field(body, "session"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Chain, JournalEntry};

    fn seal(chain: &mut Chain, kind: RecordKind, body: serde_json::Value) -> JournalRecord {
        let at: Timestamp = "2026-03-12T14:00:00Z".parse().unwrap();
        chain.seal(
            JournalEntry {
                actor: "dana".into(),
                role: "oncall".into(),
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
