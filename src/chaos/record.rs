//! How a run is journaled (`experiment` records, one per phase: `refused`, `start`, `step`,
//! `abort`, `end`), read back into run summaries (`experiment report`), and turned into a
//! runbook or postmortem draft (`experiment draft`). Pure: entries are built here and sealed by
//! the edge.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::experiment::{Action, Experiment};
use super::gate::{GateDecision, pct};
use super::guard::{Boundary, Breach, Guard, Observation};
use crate::actions::Approval;
use crate::journal::{JournalEntry, JournalRecord, RecordKind, body_field};
use crate::time::{SignedDuration, Timestamp, format_duration};

/// The id of one run: the experiment's digest and the second it started.
pub fn run_id(e: &Experiment, start: Timestamp) -> String {
    format!("{}-{}", e.digest(), start.as_second())
}

/// Who writes the records.
#[derive(Clone, Debug)]
pub struct Author {
    pub actor: String,
    pub role: crate::journal::RecordRole,
}

/// What one action did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub ok: bool,
    pub exit_code: Option<i64>,
    pub summary: String,
    pub duration_ms: u64,
    pub dry_run: bool,
}

/// Whether the steady-state hypothesis held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hypothesis {
    /// Within tolerance before, during and after.
    Held,
    /// A probe left its tolerance.
    Deviated,
    /// The run stopped for another boundary before the method finished.
    Undecided,
}

fn entry(a: &Author, summary: String, body: Value) -> JournalEntry {
    JournalEntry {
        actor: a.actor.clone(),
        role: a.role.clone(),
        kind: RecordKind::Experiment,
        summary,
        body,
    }
}

/// The gate refused to start the experiment.
pub fn refused_entry(
    a: &Author,
    e: &Experiment,
    gate: &GateDecision,
    dry_run: bool,
) -> JournalEntry {
    let reasons = gate.reasons();
    entry(
        a,
        format!(
            "experiment \"{}\" may not start: {}",
            e.title,
            reasons.join("; ")
        ),
        json!({
            "phase": "refused",
            "title": e.title,
            "digest": e.digest(),
            "hypothesis": e.hypothesis,
            "dry_run": dry_run,
            "reason": reasons.join("; "),
            "gate": gate,
        }),
    )
}

/// The run started: the experiment as approved (method and rollbacks together), the gate's
/// checks and allowance, the approvals, the state it started from.
pub fn start_entry(
    a: &Author,
    run: &str,
    e: &Experiment,
    gate: &GateDecision,
    approvals: &[Approval],
    start: &Observation,
    dry_run: bool,
) -> JournalEntry {
    entry(
        a,
        format!(
            "experiment \"{}\" started{}: {}",
            e.title,
            if dry_run { " (dry run)" } else { "" },
            e.hypothesis
        ),
        json!({
            "phase": "start",
            "run": run,
            "title": e.title,
            "digest": e.digest(),
            "hypothesis": e.hypothesis,
            "dry_run": dry_run,
            "experiment": e,
            "gate": gate,
            "limits": gate.limits(),
            "approvals": approvals,
            "observation": start,
        }),
    )
}

/// One action of the method or of the rollbacks ran (or was dry-run).
#[allow(clippy::too_many_arguments)]
pub fn step_entry(
    a: &Author,
    run: &str,
    e: &Experiment,
    section: &str,
    index: usize,
    action: &Action,
    result: &StepResult,
    dry_run: bool,
) -> JournalEntry {
    entry(
        a,
        format!(
            "experiment \"{}\" {section} {}: {} — {}",
            e.title,
            index + 1,
            action.name,
            result.summary
        ),
        json!({
            "phase": "step",
            "run": run,
            "title": e.title,
            "digest": e.digest(),
            "dry_run": dry_run,
            "section": section,
            "index": index,
            "name": action.name,
            "argv": action.argv,
            "exec": result,
        }),
    )
}

/// The guard halted the run: the breach and the observation it saw (its evidence).
pub fn abort_entry(
    a: &Author,
    run: &str,
    e: &Experiment,
    breach: &Breach,
    seen: &Observation,
    guard: &Guard,
    dry_run: bool,
) -> JournalEntry {
    entry(
        a,
        format!(
            "experiment \"{}\" halted by the guard: {}; running the rollbacks",
            e.title,
            breach.describe()
        ),
        json!({
            "phase": "abort",
            "run": run,
            "title": e.title,
            "digest": e.digest(),
            "dry_run": dry_run,
            "reason": breach.describe(),
            "breach": breach,
            "evidence": {"breach": breach, "observation": seen},
            "spent": guard.spent(),
            "limits": guard.limits(),
            "boundary": guard.boundaries(),
        }),
    )
}

/// The run ended (after its rollbacks): outcome, hypothesis, budget spent, boundary reached.
#[allow(clippy::too_many_arguments)]
pub fn end_entry(
    a: &Author,
    run: &str,
    e: &Experiment,
    guard: &Guard,
    hypothesis: Hypothesis,
    rollbacks_ok: bool,
    ended: Timestamp,
    dry_run: bool,
) -> JournalEntry {
    let halted = guard.halted();
    let outcome = match halted {
        Some(b) => format!("halted: {}", b.describe()),
        None => "completed".to_string(),
    };
    let spent: Vec<String> = guard
        .spent()
        .iter()
        .map(|(s, x)| format!("{s} {}", pct(*x)))
        .collect();
    let closest = guard
        .boundaries()
        .first()
        .map(|b| format!("; closest boundary: {} at {:.0}%", b.what, b.used * 100.0))
        .unwrap_or_default();
    entry(
        a,
        format!(
            "experiment \"{}\" {outcome}; hypothesis {}; spent {}{closest}",
            e.title,
            match hypothesis {
                Hypothesis::Held => "held",
                Hypothesis::Deviated => "deviated",
                Hypothesis::Undecided => "undecided",
            },
            if spent.is_empty() {
                "nothing measured".to_string()
            } else {
                spent.join(", ")
            }
        ),
        json!({
            "phase": "end",
            "run": run,
            "title": e.title,
            "digest": e.digest(),
            "hypothesis": e.hypothesis,
            "dry_run": dry_run,
            "outcome": outcome,
            "halted": halted.is_some(),
            "breach": halted,
            "reason": halted.map(Breach::describe),
            "hypothesis_result": hypothesis,
            "rollbacks_ok": rollbacks_ok,
            "spent": guard.spent(),
            "limits": guard.limits(),
            "boundary": guard.boundaries(),
            "duration": format_duration(ended.duration_since(guard.started())),
        }),
    )
}

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

/// A refusal by the gate, read back from the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub seq: u64,
    pub at: Timestamp,
    pub title: String,
    pub reason: String,
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

/// `experiment report` as text.
pub fn report_text(runs: &[RunSummary], refused: &[Refusal]) -> String {
    let mut o = String::new();
    if runs.is_empty() && refused.is_empty() {
        o.push_str("no experiment runs in this journal\n");
        return o;
    }
    let halted = runs.iter().filter(|r| r.halted).count();
    let _ = writeln!(
        o,
        "{} run(s): {} completed, {} halted by the guard, {} without an end; {} refused by the gate",
        runs.len(),
        runs.iter()
            .filter(|r| r.ended.is_some() && !r.halted)
            .count(),
        halted,
        runs.iter().filter(|r| r.ended.is_none()).count(),
        refused.len()
    );
    for r in runs {
        let _ = writeln!(
            o,
            "\n{} {}{}\n  run {} (records #{})",
            r.started,
            r.title,
            if r.dry_run { " [dry run]" } else { "" },
            r.run,
            r.seqs
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", #")
        );
        let _ = writeln!(o, "  hypothesis: {}", r.hypothesis);
        let _ = writeln!(
            o,
            "  outcome:    {}; hypothesis {}",
            r.outcome,
            match r.hypothesis_result {
                Some(Hypothesis::Held) => "held",
                Some(Hypothesis::Deviated) => "deviated",
                Some(Hypothesis::Undecided) => "undecided",
                None => "unknown",
            }
        );
        for (slo, x) in &r.spent {
            let _ = writeln!(
                o,
                "  spent:      {slo} {} of a limit of {}",
                pct(*x),
                r.limits.get(slo).map_or("?".to_string(), |l| pct(*l))
            );
        }
        for b in r.boundary.iter().take(3) {
            let _ = writeln!(
                o,
                "  boundary:   {} at {:.0}% ({})",
                b.what,
                b.used.min(9.99) * 100.0,
                b.detail
            );
        }
        let method = r.steps.iter().filter(|s| s.section == "method").count();
        let rollbacks = r.steps.iter().filter(|s| s.section == "rollback").count();
        let _ = writeln!(
            o,
            "  actions:    {method} method, {rollbacks} rollback{}",
            match r.rollbacks_ok {
                Some(true) => " (all succeeded)",
                Some(false) => " (NOT all succeeded)",
                None => "",
            }
        );
    }
    for f in refused {
        let _ = writeln!(o, "\nrefused #{} {} {}: {}", f.seq, f.at, f.title, f.reason);
    }
    o
}

/// The kind of draft `experiment draft` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftKind {
    Postmortem,
    Runbook,
}

/// A Markdown draft of what a finished run taught: a postmortem (with front matter the
/// knowledge base reads) or a runbook whose steps are the experiment's rollbacks (unaudited,
/// so the policy treats them as such until someone reviews them).
pub fn draft_markdown(r: &RunSummary, kind: DraftKind) -> String {
    let mut o = String::new();
    let date = r.started.strftime("%Y-%m-%d").to_string();
    let slug: String = r
        .title
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let services: Vec<String> = r
        .experiment
        .as_ref()
        .map(|e| e.blast_radius.labels.values().flatten().cloned().collect())
        .unwrap_or_default();
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match kind {
        DraftKind::Postmortem => {
            let _ = writeln!(o, "---");
            let _ = writeln!(o, "id: chaos-{slug}-{date}");
            let _ = writeln!(o, "title: {}", q(&format!("Chaos experiment: {}", r.title)));
            let _ = writeln!(o, "date: {date}");
            let _ = writeln!(
                o,
                "services: [{}]",
                services.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
            );
            let _ = writeln!(o, "---\n");
            let _ = writeln!(o, "# Chaos experiment: {}\n", r.title);
        }
        DraftKind::Runbook => {
            let _ = writeln!(o, "---");
            let _ = writeln!(o, "id: {slug}");
            let _ = writeln!(o, "title: {}", q(&format!("Recover from: {}", r.title)));
            let _ = writeln!(
                o,
                "services: [{}]",
                services.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
            );
            let rollbacks: Vec<&Action> = r
                .experiment
                .iter()
                .flat_map(|e| e.rollbacks.iter())
                .collect();
            if !rollbacks.is_empty() {
                let _ = writeln!(o, "steps:");
                for (i, a) in rollbacks.iter().enumerate() {
                    let _ = writeln!(o, "  - id: rollback-{}", i + 1);
                    let _ = writeln!(o, "    title: {}", q(&a.name));
                    let _ = writeln!(o, "    kind: mitigation");
                    let _ = writeln!(
                        o,
                        "    argv: [{}]",
                        a.argv.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
                    );
                }
            }
            let _ = writeln!(o, "---\n");
            let _ = writeln!(o, "# Recover from: {}\n", r.title);
            let _ = writeln!(
                o,
                "Drafted from chaos experiment run `{}`; the steps are its rollbacks, not yet \
                 audited — review them and add `audited:` before they count as pre-audited.\n",
                r.run
            );
        }
    }
    let _ = writeln!(o, "## Hypothesis\n\n{}\n", r.hypothesis);
    let _ = writeln!(
        o,
        "## What happened\n\n- Started {} (run `{}`){}.\n- Outcome: {}.",
        r.started,
        r.run,
        if r.dry_run { ", as a dry run" } else { "" },
        r.outcome
    );
    if let Some(h) = r.hypothesis_result {
        let _ = writeln!(
            o,
            "- The hypothesis {}.",
            match h {
                Hypothesis::Held => "held",
                Hypothesis::Deviated => "did not hold: the steady state deviated",
                Hypothesis::Undecided =>
                    "was not decided: the run stopped before the method finished",
            }
        );
    }
    for (slo, x) in &r.spent {
        let _ = writeln!(
            o,
            "- Budget spent on {slo}: {} (limit {}).",
            pct(*x),
            r.limits.get(slo).map_or("?".into(), |l| pct(*l))
        );
    }
    let _ = writeln!(o, "\n## Timeline\n");
    for s in &r.steps {
        let _ = writeln!(
            o,
            "- {} `{}` — {}",
            s.section,
            crate::actions::shell_display(&s.argv),
            s.result
                .as_ref()
                .map_or("no result".to_string(), |x| x.summary.clone())
        );
    }
    let _ = writeln!(o, "\n## Boundary reached (what almost broke)\n");
    for b in &r.boundary {
        let _ = writeln!(
            o,
            "- {}: {:.0}% of its limit ({})",
            b.what,
            b.used.min(9.99) * 100.0,
            b.detail
        );
    }
    if let Some(b) = &r.breach {
        let _ = writeln!(
            o,
            "\n## Why the guard halted it\n\n```json\n{}\n```",
            serde_json::to_string_pretty(b).unwrap_or_default()
        );
    }
    let _ = writeln!(
        o,
        "\n## What we learned\n\n- (Write what the run showed about the system, and what to \
         change.)\n\n## Action items\n\n- [ ] (owner) …"
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::experiment::tests::YAML;
    use crate::chaos::gate::{GateConfig, GateInput, ProbeReading, SloHeadroom, gate};
    use crate::journal::Chain;
    use crate::slo::Mode;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn obs(at: Timestamp, remaining: f64) -> Observation {
        Observation {
            at,
            mode: Mode::Adaptive,
            budget_mode: Mode::Adaptive,
            drift: false,
            budgets: vec![SloHeadroom {
                slo: "prom-queries".into(),
                remaining: Some(remaining),
                stale: false,
                burn: vec![],
            }],
            probes: vec![
                ProbeReading {
                    name: "prometheus is up".into(),
                    value: Ok(1.0),
                    skipped: false,
                },
                ProbeReading {
                    name: "query burn".into(),
                    value: Ok(0.0),
                    skipped: false,
                },
            ],
            firing: vec![],
            alerts_unknown: None,
        }
    }

    /// Seals one run (start, a method step, an abort at the budget limit, a rollback, the end).
    fn one_run(chain: &mut Chain, start: i64, dry_run: bool) -> Vec<JournalRecord> {
        let e = Experiment::parse("e.yaml", YAML).unwrap();
        let a = Author {
            actor: "dana".into(),
            role: crate::actions::Role::Oncall.into(),
        };
        let s0 = obs(t(start), 0.9);
        let d = gate(&GateInput {
            experiment: &e,
            mode: Mode::Adaptive,
            budget_mode: Mode::Adaptive,
            override_by: None,
            drift: false,
            budgets: &s0.budgets,
            firing: &[],
            probes: &s0.probes,
            approvals: &[crate::actions::Approval {
                by: "lee".into(),
                role: crate::actions::Role::Commander,
                mode: Mode::Adaptive,
            }],
            spent: &BTreeMap::new(),
            config: GateConfig::default(),
            alerts_unknown: None,
        });
        assert!(d.may_start, "{}", d.text());
        let run = run_id(&e, t(start));
        let mut g = Guard::new(&e, &s0, d.limits());
        let ok = StepResult {
            ok: true,
            exit_code: Some(0),
            summary: "exit 0".into(),
            duration_ms: 5,
            dry_run,
        };
        let mut out = vec![
            chain.seal(start_entry(&a, &run, &e, &d, &[], &s0, dry_run), t(start)),
            chain.seal(
                step_entry(&a, &run, &e, "method", 0, &e.method[0], &ok, dry_run),
                t(start + 1),
            ),
        ];
        let seen = obs(t(start + 10), 0.8);
        let b = g.observe(&e, &seen).expect("0.1 spent ≥ the 0.045 limit");
        out.push(chain.seal(
            abort_entry(&a, &run, &e, &b, &seen, &g, dry_run),
            t(start + 10),
        ));
        out.push(chain.seal(
            step_entry(&a, &run, &e, "rollback", 0, &e.rollbacks[0], &ok, dry_run),
            t(start + 11),
        ));
        out.push(chain.seal(
            end_entry(
                &a,
                &run,
                &e,
                &g,
                Hypothesis::Undecided,
                true,
                t(start + 12),
                dry_run,
            ),
            t(start + 12),
        ));
        out
    }

    #[test]
    fn runs_read_back_and_count_against_the_allowance() {
        let mut chain = Chain::default();
        let mut records = one_run(&mut chain, 0, false);
        records.extend(one_run(&mut chain, 100, true));
        crate::journal::verify(&records).unwrap();
        let (runs, refused) = runs(&records);
        assert!(refused.is_empty());
        assert_eq!(runs.len(), 2);
        let r = &runs[0];
        assert!(r.halted && r.ended.is_some());
        assert_eq!(r.steps.len(), 2);
        assert_eq!(r.rollbacks_ok, Some(true));
        assert!((r.spent["prom-queries"] - 0.1).abs() < 1e-9);
        assert_eq!(r.breach.as_ref().unwrap()["kind"], "budget_limit");
        // Dry runs spend nothing; runs outside the window do not count.
        let week = SignedDuration::from_hours(24 * 7);
        let spent = spent_in_window(&records, t(200), week);
        assert!((spent["prom-queries"] - 0.1).abs() < 1e-9, "{spent:?}");
        let later = t(200).checked_add(week).unwrap();
        assert!(spent_in_window(&records, later, week).is_empty());
        // The report and the drafts say what happened.
        let text = report_text(&runs, &refused);
        assert!(text.contains("2 run(s): 0 completed, 2 halted"), "{text}");
        let md = draft_markdown(r, DraftKind::Postmortem);
        assert!(
            md.contains("budget_limit") && md.contains("## What we learned"),
            "{md}"
        );
        let rb = draft_markdown(r, DraftKind::Runbook);
        let parsed = crate::knowledge::parse_runbook("rb.md", &rb).unwrap();
        assert_eq!(parsed.steps.len(), 1);
    }
}
