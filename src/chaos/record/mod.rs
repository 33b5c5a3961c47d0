//! How a run is journaled (`experiment` records, one per phase: `refused`, `start`, `step`,
//! `abort`, `end`), read back into run summaries (`experiment report`), and turned into a
//! runbook or postmortem draft (`experiment draft`). Pure: entries are built here and sealed by
//! the edge.

use serde::{Deserialize, Serialize};

use super::experiment::{Action, Experiment};
use super::gate::{GateDecision, pct};
use super::guard::{Breach, Guard, Observation};
use crate::actions::Approval;
use crate::journal::{JournalEntry, JournalRecord, RecordKind, body_field};
use crate::time::{Timestamp, format_duration};
use body::{About, Body, Evidence};

/// The id of one run: the experiment's digest and the second it started.
pub fn run_id(e: &Experiment, start: Timestamp) -> String {
    format!("{}-{}", e.digest(), start.as_second())
}

/// Who writes the records.
#[derive(Clone, Debug)]
pub struct Author {
    pub actor: String,
    pub role: crate::journal::RecordRole,
    /// The cockpit's launch this run answers (`experiment run` started with `r`: the
    /// `FLIGHTDECK_LAUNCH` it was given), named in its `start` or `refused` record so the
    /// cockpit knows the run got as far as its gate.
    pub launch: Option<String>,
}

/// One run as its records name it: who writes them, the run's id, the experiment and whether
/// it is a dry run (what every record of the run after the gate says: [`start_entry`],
/// [`step_entry`], [`abort_entry`], [`end_entry`]).
#[derive(Clone, Copy, Debug)]
pub struct RunRecords<'a> {
    pub author: &'a Author,
    pub run: &'a str,
    pub experiment: &'a Experiment,
    pub dry_run: bool,
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

impl Hypothesis {
    /// How summaries and the report say it.
    pub fn label(self) -> &'static str {
        match self {
            Hypothesis::Held => "held",
            Hypothesis::Deviated => "deviated",
            Hypothesis::Undecided => "undecided",
        }
    }
}

fn entry(a: &Author, summary: String, body: &Body<'_>) -> JournalEntry {
    JournalEntry {
        actor: a.actor.clone(),
        role: a.role.clone(),
        kind: RecordKind::Experiment,
        summary,
        body: body.to_value(),
    }
}

fn about(e: &Experiment, dry_run: bool) -> About<'_> {
    About {
        title: &e.title,
        digest: e.digest(),
        dry_run,
    }
}

/// The gate refused to start the experiment.
pub fn refused_entry(
    a: &Author,
    e: &Experiment,
    gate: &GateDecision,
    dry_run: bool,
) -> JournalEntry {
    let reasons = gate.reasons().join("; ");
    entry(
        a,
        format!("experiment \"{}\" may not start: {reasons}", e.title),
        &Body::Refused {
            about: about(e, dry_run),
            hypothesis: &e.hypothesis,
            reason: reasons.clone(),
            gate,
            launch: a.launch.as_deref(),
        },
    )
}

/// The run started: the experiment as approved (method and rollbacks together), the gate's
/// checks and allowance, the approvals, the state it started from.
pub fn start_entry(
    r: &RunRecords<'_>,
    gate: &GateDecision,
    approvals: &[Approval],
    start: &Observation,
) -> JournalEntry {
    let RunRecords {
        author: a,
        run,
        experiment: e,
        dry_run,
    } = *r;
    entry(
        a,
        format!(
            "experiment \"{}\" started{}: {}",
            e.title,
            if dry_run { " (dry run)" } else { "" },
            e.hypothesis
        ),
        &Body::Start {
            about: about(e, dry_run),
            run,
            hypothesis: &e.hypothesis,
            experiment: e,
            gate,
            limits: gate.limits(),
            approvals,
            observation: start,
            launch: a.launch.as_deref(),
        },
    )
}

/// One action of the method or of the rollbacks ran (or was dry-run).
pub fn step_entry(
    r: &RunRecords<'_>,
    section: &str,
    index: usize,
    action: &Action,
    result: &StepResult,
) -> JournalEntry {
    let RunRecords {
        author: a,
        run,
        experiment: e,
        dry_run,
    } = *r;
    entry(
        a,
        format!(
            "experiment \"{}\" {section} {}: {} — {}",
            e.title,
            index + 1,
            action.name,
            result.summary
        ),
        &Body::Step {
            about: about(e, dry_run),
            run,
            section,
            index,
            name: &action.name,
            argv: &action.argv,
            exec: result,
        },
    )
}

/// The guard halted the run: the breach and the observation it saw (its evidence).
pub fn abort_entry(
    r: &RunRecords<'_>,
    breach: &Breach,
    seen: &Observation,
    guard: &Guard,
) -> JournalEntry {
    let RunRecords {
        author: a,
        run,
        experiment: e,
        dry_run,
    } = *r;
    entry(
        a,
        format!(
            "experiment \"{}\" halted by the guard: {}; running the rollbacks",
            e.title,
            breach.describe()
        ),
        &Body::Abort {
            about: about(e, dry_run),
            run,
            reason: breach.describe(),
            breach,
            evidence: Evidence {
                breach,
                observation: seen,
            },
            spent: guard.spent(),
            limits: guard.limits(),
            boundary: guard.boundaries(),
        },
    )
}

/// The run ended (after its rollbacks): outcome, hypothesis, budget spent, and the boundary
/// reached — the guard's closest approach to each over the whole run, not where it stood at
/// the end.
pub fn end_entry(
    r: &RunRecords<'_>,
    guard: &Guard,
    hypothesis: Hypothesis,
    rollbacks_ok: bool,
    ended: Timestamp,
) -> JournalEntry {
    let RunRecords {
        author: a,
        run,
        experiment: e,
        dry_run,
    } = *r;
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
    let boundary = guard.boundaries();
    let closest = boundary
        .first()
        .map(|b| format!("; closest boundary: {} at {:.0}%", b.what, b.used * 100.0))
        .unwrap_or_default();
    entry(
        a,
        format!(
            "experiment \"{}\" {outcome}; hypothesis {}; spent {}{closest}",
            e.title,
            hypothesis.label(),
            if spent.is_empty() {
                "nothing measured".to_string()
            } else {
                spent.join(", ")
            }
        ),
        &Body::End {
            about: about(e, dry_run),
            run,
            hypothesis: &e.hypothesis,
            outcome: outcome.clone(),
            halted: halted.is_some(),
            breach: halted,
            reason: halted.map(Breach::describe),
            hypothesis_result: hypothesis,
            rollbacks_ok,
            spent: guard.spent(),
            limits: guard.limits(),
            boundary,
            duration: format_duration(ended.duration_since(guard.started())),
        },
    )
}

/// How a run the cockpit started (`r`) ended before its gate decided (a file that does not
/// parse, a config that does not load, a crash): what the cockpit knows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedStart {
    pub title: String,
    /// The digest of the experiment as the cockpit read it (`None`: it did not parse there).
    pub digest: Option<String>,
    pub path: String,
    /// The launch the run was given (`FLIGHTDECK_LAUNCH`).
    pub launch: String,
    /// How it exited, in words (`exit 1`, `killed by signal 9`).
    pub status: String,
    pub exit_code: Option<i32>,
    /// Where its output is.
    pub log: String,
    /// The output's last lines, oldest first.
    pub last_lines: Vec<String>,
}

/// The cockpit's record of a run it started that ended before its gate decided.
pub fn failed_start_entry(a: &Author, f: &FailedStart) -> JournalEntry {
    entry(
        a,
        format!(
            "experiment \"{}\" did not start: `experiment run` ended before its gate ({}){}",
            f.title,
            f.status,
            f.last_lines
                .last()
                .map(|l| format!(": {l}"))
                .unwrap_or_default()
        ),
        &Body::FailedStart {
            title: &f.title,
            digest: f.digest.clone(),
            path: &f.path,
            launch: &f.launch,
            status: &f.status,
            exit_code: f.exit_code,
            log: &f.log,
            last_lines: &f.last_lines,
        },
    )
}

/// Whether the run of launch `launch` journaled a `start` or `refused` record: it reached its
/// gate.
pub fn reached_gate<'a>(
    records: impl IntoIterator<Item = &'a JournalRecord>,
    launch: &str,
) -> bool {
    records.into_iter().any(|r| {
        r.kind == RecordKind::Experiment
            && body_field::<String>(&r.body, "launch").as_deref() == Some(launch)
            && matches!(
                body_field::<String>(&r.body, "phase").as_deref(),
                Some("start" | "refused")
            )
    })
}

mod body;
mod report;
mod runs;

pub use report::{DraftKind, draft_markdown, report_text};
pub use runs::{Refusal, RunSummary, StepLine, runs, spent_in_window};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::chaos::fixtures::{experiment, observation, probes, t};
    use crate::chaos::gate::{GateConfig, GateInput, gate};
    use crate::journal::Chain;
    use crate::slo::Mode;
    use crate::time::SignedDuration;
    use serde_json::{Value, json};

    fn obs(at: Timestamp, remaining: f64) -> Observation {
        Observation {
            probes: probes(0.0),
            ..observation(at, remaining)
        }
    }

    /// A run's setting: the example experiment, its author, the observation at its start
    /// (0.9 of the budget left) and the gate's decision with the commander's approval.
    struct Setup {
        e: Experiment,
        a: Author,
        s0: Observation,
        approvals: [crate::actions::Approval; 1],
        d: GateDecision,
    }

    fn setup(start: i64) -> Setup {
        let e = experiment();
        let a = Author {
            actor: "dana".into(),
            role: crate::actions::Role::Oncall.into(),
            launch: None,
        };
        let s0 = obs(t(start), 0.9);
        let approvals = [crate::actions::Approval {
            by: "lee".into(),
            role: crate::actions::Role::Commander,
            mode: Mode::Adaptive,
        }];
        let d = gate(&GateInput {
            experiment: &e,
            mode: Mode::Adaptive,
            budget_mode: Mode::Adaptive,
            override_by: None,
            drift: false,
            budgets: &s0.budgets,
            firing: &[],
            probes: &s0.probes,
            approvals: &approvals,
            spent: &BTreeMap::new(),
            config: GateConfig::default(),
            alerts_unknown: None,
        });
        Setup {
            e,
            a,
            s0,
            approvals,
            d,
        }
    }

    /// Seals one run (start, a method step, an abort at the budget limit, a rollback, the end).
    fn one_run(chain: &mut Chain, start: i64, dry_run: bool) -> Vec<JournalRecord> {
        let Setup { e, a, s0, d, .. } = setup(start);
        assert!(d.may_start, "{}", d.text());
        let run = run_id(&e, t(start));
        let rec = RunRecords {
            author: &a,
            run: &run,
            experiment: &e,
            dry_run,
        };
        let mut g = Guard::new(&e, &s0, d.limits());
        let ok = StepResult {
            ok: true,
            exit_code: Some(0),
            summary: "exit 0".into(),
            duration_ms: 5,
            dry_run,
        };
        let mut out = vec![
            chain.seal(start_entry(&rec, &d, &[], &s0), t(start)),
            chain.seal(
                step_entry(&rec, "method", 0, &e.method[0], &ok),
                t(start + 1),
            ),
        ];
        let seen = obs(t(start + 10), 0.8);
        let b = g.observe(&e, &seen).expect("0.1 spent ≥ the 0.045 limit");
        out.push(chain.seal(abort_entry(&rec, &b, &seen, &g), t(start + 10)));
        out.push(chain.seal(
            step_entry(&rec, "rollback", 0, &e.rollbacks[0], &ok),
            t(start + 11),
        ));
        out.push(chain.seal(
            end_entry(&rec, &g, Hypothesis::Undecided, true, t(start + 12)),
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

    fn bytes(v: &Value) -> String {
        serde_json::to_string(v).unwrap()
    }

    /// The typed writers write, byte for byte, what the `json!` writers they replaced wrote
    /// (the expressions below are those writers' bodies, as they were).
    #[test]
    fn typed_bodies_are_written_as_before() {
        let Setup {
            e,
            a,
            s0,
            approvals,
            d,
        } = setup(0);
        let run = run_id(&e, t(0));
        for dry_run in [false, true] {
            let rec = RunRecords {
                author: &a,
                run: &run,
                experiment: &e,
                dry_run,
            };
            // refused
            let reasons = d.reasons();
            assert_eq!(
                bytes(&refused_entry(&a, &e, &d, dry_run).body),
                bytes(&json!({
                    "phase": "refused",
                    "title": e.title,
                    "digest": e.digest(),
                    "hypothesis": e.hypothesis,
                    "dry_run": dry_run,
                    "reason": reasons.join("; "),
                    "gate": d,
                }))
            );
            // start
            assert_eq!(
                bytes(&start_entry(&rec, &d, &approvals, &s0).body),
                bytes(&json!({
                    "phase": "start",
                    "run": run,
                    "title": e.title,
                    "digest": e.digest(),
                    "hypothesis": e.hypothesis,
                    "dry_run": dry_run,
                    "experiment": e,
                    "gate": d,
                    "limits": d.limits(),
                    "approvals": approvals,
                    "observation": s0,
                }))
            );
            // step
            let result = StepResult {
                ok: false,
                exit_code: Some(2),
                summary: "exit 2".into(),
                duration_ms: 7,
                dry_run,
            };
            let action = &e.method[0];
            assert_eq!(
                bytes(&step_entry(&rec, "method", 0, action, &result).body),
                bytes(&json!({
                    "phase": "step",
                    "run": run,
                    "title": e.title,
                    "digest": e.digest(),
                    "dry_run": dry_run,
                    "section": "method",
                    "index": 0,
                    "name": action.name,
                    "argv": action.argv,
                    "exec": result,
                }))
            );
            // abort and end, halted and not
            let mut g = Guard::new(&e, &s0, d.limits());
            let calm = obs(t(5), 0.89);
            assert!(g.observe(&e, &calm).is_none());
            let calm_guard = g.clone();
            let completed = end_entry(&rec, &g, Hypothesis::Held, true, t(9));
            let seen = obs(t(10), 0.8);
            let breach = g.observe(&e, &seen).expect("over the limit");
            let halted = end_entry(&rec, &g, Hypothesis::Undecided, false, t(12));
            assert_eq!(
                bytes(&abort_entry(&rec, &breach, &seen, &g).body),
                bytes(&json!({
                    "phase": "abort",
                    "run": run,
                    "title": e.title,
                    "digest": e.digest(),
                    "dry_run": dry_run,
                    "reason": breach.describe(),
                    "breach": breach,
                    "evidence": {"breach": breach, "observation": seen},
                    "spent": g.spent(),
                    "limits": g.limits(),
                    "boundary": g.boundaries(),
                }))
            );
            for (written, g, (halt, hyp, ok, ended)) in [
                (
                    &completed,
                    &calm_guard,
                    (None, Hypothesis::Held, true, t(9)),
                ),
                (
                    &halted,
                    &g,
                    (Some(&breach), Hypothesis::Undecided, false, t(12)),
                ),
            ] {
                let outcome = match halt {
                    Some(b) => format!("halted: {}", b.describe()),
                    None => "completed".to_string(),
                };
                let before = json!({
                    "phase": "end",
                    "run": run,
                    "title": e.title,
                    "digest": e.digest(),
                    "hypothesis": e.hypothesis,
                    "dry_run": dry_run,
                    "outcome": outcome,
                    "halted": halt.is_some(),
                    "breach": halt,
                    "reason": halt.map(Breach::describe),
                    "hypothesis_result": hyp,
                    "rollbacks_ok": ok,
                    "spent": g.spent(),
                    "limits": g.limits(),
                    "boundary": g.boundaries(),
                    "duration": format_duration(ended.duration_since(g.started())),
                });
                assert_eq!(bytes(&written.body), bytes(&before));
            }
        }
        // A launched run names its launch in its start and refused records, nowhere else.
        let launched = Author {
            launch: Some("l-1".into()),
            ..a.clone()
        };
        let started = start_entry(
            &RunRecords {
                author: &launched,
                run: &run,
                experiment: &e,
                dry_run: false,
            },
            &d,
            &[],
            &s0,
        );
        assert_eq!(started.body["launch"], "l-1");
        assert_eq!(
            refused_entry(&launched, &e, &d, false).body["launch"],
            "l-1"
        );
        let step = step_entry(
            &RunRecords {
                author: &launched,
                run: &run,
                experiment: &e,
                dry_run: false,
            },
            "method",
            0,
            &e.method[0],
            &StepResult {
                ok: true,
                exit_code: Some(0),
                summary: "exit 0".into(),
                duration_ms: 1,
                dry_run: false,
            },
        );
        assert!(step.body.get("launch").is_none());
    }

    /// "Closest boundary" is the closest approach over the whole run: a burn that neared the
    /// limit and recovered is reported at its peak, in the end record, its summary, and the
    /// report read back from the journal.
    #[test]
    fn the_boundary_reached_is_the_peak_over_the_run_not_the_end() {
        let e = experiment();
        let a = Author {
            actor: "dana".into(),
            role: crate::actions::Role::Oncall.into(),
            launch: None,
        };
        let s0 = obs(t(0), 0.9);
        let limit = 0.05;
        let mut g = Guard::new(
            &e,
            &s0,
            BTreeMap::from([("prom-queries".to_string(), limit)]),
        );
        // The burn takes 90% of the limit, then the budget recovers to 10%.
        for (at, remaining) in [(5, 0.88), (10, 0.855), (15, 0.87), (20, 0.895)] {
            assert!(g.observe(&e, &obs(t(at), remaining)).is_none());
        }
        assert!(
            (g.spent()["prom-queries"] - 0.005).abs() < 1e-9,
            "spent now"
        );
        let budget = g
            .boundaries()
            .into_iter()
            .find(|b| b.what == "budget prom-queries")
            .unwrap();
        assert!((budget.used - 0.9).abs() < 1e-9, "{budget:?}");
        assert_eq!(g.boundaries()[0].what, "budget prom-queries");
        let end = end_entry(
            &RunRecords {
                author: &a,
                run: "r1",
                experiment: &e,
                dry_run: false,
            },
            &g,
            Hypothesis::Held,
            true,
            t(20),
        );
        assert!(
            end.summary
                .contains("closest boundary: budget prom-queries at 90%"),
            "{}",
            end.summary
        );
        let mut chain = Chain::default();
        let d = gate(&GateInput {
            experiment: &e,
            mode: Mode::Adaptive,
            budget_mode: Mode::Adaptive,
            override_by: None,
            drift: false,
            budgets: &s0.budgets,
            firing: &[],
            probes: &s0.probes,
            approvals: &[],
            spent: &BTreeMap::new(),
            config: GateConfig::default(),
            alerts_unknown: None,
        });
        let records = vec![
            chain.seal(
                start_entry(
                    &RunRecords {
                        author: &a,
                        run: "r1",
                        experiment: &e,
                        dry_run: false,
                    },
                    &d,
                    &[],
                    &s0,
                ),
                t(0),
            ),
            chain.seal(end, t(20)),
        ];
        let (runs, _) = runs(&records);
        assert!((runs[0].boundary[0].used - 0.9).abs() < 1e-9);
        let text = report_text(&runs, &[]);
        assert!(
            text.contains("boundary:   budget prom-queries at 90%"),
            "{text}"
        );
    }
}
