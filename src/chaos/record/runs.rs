//! The runs read back from the journal's `experiment` records (`experiment report`, the
//! gate's spent-in-window, the experiments view).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Hypothesis, StepResult};
use crate::chaos::experiment::Experiment;
use crate::chaos::guard::Boundary;
use crate::journal::{JournalRecord, RecordKind, body_field};
use crate::time::{SignedDuration, Timestamp};

/// One action as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLine {
    pub section: String,
    pub name: String,
    pub argv: Vec<String>,
    pub result: Option<StepResult>,
}

/// One run, read back from the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run: String,
    pub title: String,
    pub digest: String,
    pub hypothesis: String,
    pub dry_run: bool,
    pub started: Timestamp,
    pub ended: Option<Timestamp>,
    /// `completed`, `halted: …`, or `running or interrupted` when no end record exists.
    pub outcome: String,
    pub halted: bool,
    pub breach: Option<Value>,
    pub hypothesis_result: Option<Hypothesis>,
    pub rollbacks_ok: Option<bool>,
    pub spent: BTreeMap<String, f64>,
    pub limits: BTreeMap<String, f64>,
    pub boundary: Vec<Boundary>,
    pub steps: Vec<StepLine>,
    /// The observation the guard halted on.
    pub evidence: Option<Value>,
    pub experiment: Option<Experiment>,
    /// Record seqs of the run, in order.
    pub seqs: Vec<u64>,
}

/// A run that did not start, read back from the journal: refused by its gate, or (a run a
/// cockpit started with `r`) ended before its gate decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub seq: u64,
    pub at: Timestamp,
    pub title: String,
    pub reason: String,
    /// It ended before its gate (a `failed_start` record the cockpit journaled), not refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed_start: bool,
}

/// Every run and refusal in `records`, in journal order.
pub fn runs(records: &[JournalRecord]) -> (Vec<RunSummary>, Vec<Refusal>) {
    let mut out: Vec<RunSummary> = Vec::new();
    let mut refused = Vec::new();
    for r in records.iter().filter(|r| r.kind == RecordKind::Experiment) {
        let b = &r.body;
        let phase = b.get("phase").and_then(Value::as_str).unwrap_or("");
        if phase == "refused" {
            refused.push(Refusal {
                seq: r.seq,
                at: r.ts,
                title: body_field(b, "title").unwrap_or_default(),
                reason: body_field(b, "reason").unwrap_or_default(),
                failed_start: false,
            });
            continue;
        }
        if phase == "failed_start" {
            let last: Vec<String> = body_field(b, "last_lines").unwrap_or_default();
            refused.push(Refusal {
                seq: r.seq,
                at: r.ts,
                title: body_field(b, "title").unwrap_or_default(),
                reason: format!(
                    "started by {} from the cockpit, ended before its gate ({}){}",
                    r.actor,
                    body_field::<String>(b, "status").unwrap_or_default(),
                    last.last().map(|l| format!(": {l}")).unwrap_or_default()
                ),
                failed_start: true,
            });
            continue;
        }
        let Some(run) = body_field::<String>(b, "run") else {
            continue;
        };
        if phase == "start" {
            out.push(RunSummary {
                run: run.clone(),
                title: body_field(b, "title").unwrap_or_default(),
                digest: body_field(b, "digest").unwrap_or_default(),
                hypothesis: body_field(b, "hypothesis").unwrap_or_default(),
                dry_run: body_field(b, "dry_run").unwrap_or(false),
                started: r.ts,
                ended: None,
                outcome: "running or interrupted (no end record)".into(),
                halted: false,
                breach: None,
                hypothesis_result: None,
                rollbacks_ok: None,
                spent: BTreeMap::new(),
                limits: body_field(b, "limits").unwrap_or_default(),
                boundary: Vec::new(),
                steps: Vec::new(),
                evidence: None,
                experiment: body_field(b, "experiment"),
                seqs: vec![r.seq],
            });
            continue;
        }
        let Some(s) = out.iter_mut().rev().find(|s| s.run == run) else {
            continue;
        };
        s.seqs.push(r.seq);
        match phase {
            "step" => s.steps.push(StepLine {
                section: body_field(b, "section").unwrap_or_default(),
                name: body_field(b, "name").unwrap_or_default(),
                argv: body_field(b, "argv").unwrap_or_default(),
                result: body_field(b, "exec"),
            }),
            "abort" => {
                s.halted = true;
                s.breach = b.get("breach").cloned();
                s.evidence = b.get("evidence").cloned();
            }
            "end" => {
                s.ended = Some(r.ts);
                s.outcome = body_field(b, "outcome").unwrap_or_default();
                s.halted = body_field(b, "halted").unwrap_or(s.halted);
                if s.breach.is_none() {
                    s.breach = b.get("breach").filter(|v| !v.is_null()).cloned();
                }
                s.hypothesis_result = body_field(b, "hypothesis_result");
                s.rollbacks_ok = body_field(b, "rollbacks_ok");
                s.spent = body_field(b, "spent").unwrap_or_default();
                s.limits = body_field(b, "limits").unwrap_or(std::mem::take(&mut s.limits));
                s.boundary = body_field(b, "boundary").unwrap_or_default();
            }
            _ => {}
        }
    }
    (out, refused)
}

/// Budget that experiment runs (not dry runs) spent, by SLO, among runs that ended within
/// `window` before `now`: what the gate subtracts from the allowance.
pub fn spent_in_window(
    records: &[JournalRecord],
    now: Timestamp,
    window: SignedDuration,
) -> BTreeMap<String, f64> {
    let since = now.checked_sub(window).unwrap_or(now);
    let mut out = BTreeMap::new();
    for s in runs(records).0 {
        if s.dry_run || s.ended.is_none_or(|t| t < since) {
            continue;
        }
        for (slo, x) in s.spent {
            *out.entry(slo).or_insert(0.0) += x.max(0.0);
        }
    }
    out
}
