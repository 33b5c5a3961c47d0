//! The debrief: a scorecard comparing a trainee's decisions (the records of a training journal)
//! with the decisions the real responders took (the scenario's reference decisions).
//!
//! What it measures (docs/TRAINING.md, "The debrief"):
//! - time to the first *useful* diagnostic: a diagnostic the responders also ran, or one from the
//!   runbook of the mitigation that fixed the incident (the best-matching runbook, in hindsight);
//! - whether the right mitigation was chosen (one the responders executed) and when, against the
//!   responders' first approval of it;
//! - steps the policy refused, steps that were not needed (mitigations the responders did not
//!   run, steps the responders rejected, diagnostics of runbooks they never used);
//! - the error budget burned by the time of the mitigation, the trainee's against the
//!   responders' (computed from the scenario's SLI samples; see [`SloBurn`]);
//! - the hypotheses noted, next to the responders'.
//!
//! Pure: the scenario, the knowledge and the records come in, a value comes out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use super::drill::{Attempt, AttemptResult};
use super::scenario::{DecisionKind, Scenario, ScenarioEvent};
use crate::actions::StepKind;
use crate::journal::{JournalRecord, RecordKind};
use crate::knowledge::KnowledgeBase;
use crate::slo::{SloState, Window};
use crate::time::{SignedDuration, Timestamp, clock_hms, format_duration};

/// Within this of the responders counts as "as fast as the responders".
const ON_TIME: SignedDuration = SignedDuration::from_mins(5);
/// Within this of the responders counts as "somewhat slower".
const LATE: SignedDuration = SignedDuration::from_mins(15);

/// The scorecard. Field names are a stable interface (`replay --headless --json`): add fields,
/// never rename them.
#[derive(Debug, Clone, Serialize)]
pub struct Debrief {
    pub scenario: String,
    pub title: String,
    /// The trainee's actor name (from the records), if they decided anything.
    pub trainee: Option<String>,
    pub start: Timestamp,
    /// Where the drill ended.
    pub until: Timestamp,
    /// 0–100: diagnostics 20, mitigation 40, safety 20, budget 10, hypotheses 10
    /// (docs/TRAINING.md explains each).
    pub score: u8,
    /// `excellent` (≥ 85), `good` (≥ 65), `needs practice` (≥ 40), `review with a mentor`.
    pub grade: String,
    pub diagnostic: DiagnosticScore,
    pub mitigation: MitigationScore,
    pub safety: SafetyScore,
    pub budget: BudgetScore,
    pub hypotheses: HypothesisScore,
}

/// A step decided at some moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Milestone {
    /// `runbook-id/step-id`.
    pub step: String,
    pub at: Timestamp,
    /// Seconds from the scenario start.
    pub offset_s: i64,
    pub by: String,
    /// Why it counts (a useful diagnostic), or what the policy still needed (a mitigation).
    pub why: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticScore {
    pub trainee: Option<Milestone>,
    /// The responders' first diagnostic.
    pub reference: Option<Milestone>,
    /// Trainee minus responders, in seconds (negative: faster).
    pub delta_s: Option<i64>,
    /// Every diagnostic the trainee approved, useful or not.
    pub approved: usize,
    pub points: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct MitigationScore {
    /// The mitigations the responders executed (the right answer); empty when they fixed it by
    /// hand or with a step no runbook has (human judgment).
    pub expected: Vec<String>,
    /// The responders' first approval of it.
    pub reference: Option<Milestone>,
    /// When the responders executed it.
    pub reference_executed: Option<Milestone>,
    /// The trainee's first approval of a right mitigation.
    pub trainee: Option<Milestone>,
    pub right: bool,
    /// Mitigations the trainee approved that the responders did not need.
    pub wrong: Vec<Milestone>,
    /// Trainee minus responders (first approvals), in seconds.
    pub delta_s: Option<i64>,
    pub verdict: String,
    pub points: u8,
}

/// A decision that cost safety points, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub step: String,
    pub at: Timestamp,
    pub offset_s: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SafetyScore {
    /// Approvals the policy refused in the mode of the moment.
    pub refused: Vec<Finding>,
    /// Steps approved that were not needed (or that the responders rejected).
    pub unnecessary: Vec<Finding>,
    /// Steps named in the script that were not on offer at that moment.
    pub not_offered: Vec<Finding>,
    /// The trainee's rejections, each compared with what the responders did with that step.
    pub rejections: Vec<Finding>,
    pub points: u8,
}

/// Budget of one SLO burned by the time of the mitigation.
///
/// `*_burned` is the fraction of the SLO window's error budget consumed between the drill start
/// and the mitigation (0.05 = 5 percentage points of budget). When the trainee mitigates later
/// than the responders did, the scenario's data after the responders' fix shows the recovery, so
/// the trainee's extra time is charged at the 5m burn rate the responders' mitigation stopped
/// (`estimated: true`).
#[derive(Debug, Clone, Serialize)]
pub struct SloBurn {
    pub slo: String,
    pub at_start: Option<f64>,
    pub trainee_remaining: Option<f64>,
    pub trainee_burned: Option<f64>,
    pub reference_remaining: Option<f64>,
    pub reference_burned: Option<f64>,
    pub estimated: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BudgetScore {
    /// When the trainee's mitigation took effect (else the end of the drill).
    pub trainee_at: Timestamp,
    pub trainee_mitigated: bool,
    /// When the responders' mitigation ran (else the end of the scenario).
    pub reference_at: Timestamp,
    pub slos: Vec<SloBurn>,
    pub points: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimedText {
    pub at: Timestamp,
    pub offset_s: i64,
    pub by: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HypothesisScore {
    pub trainee: Vec<TimedText>,
    pub reference: Vec<TimedText>,
    /// Trainee hypotheses noted before their mitigation (or before the end without one).
    pub before_mitigation: usize,
    pub points: u8,
}

/// The kind of `runbook-id/step-id`, from the knowledge (else from a record's step definition).
fn step_kind(
    knowledge: &KnowledgeBase,
    step_ref: &str,
    body: Option<&serde_json::Value>,
) -> Option<StepKind> {
    let from_kb = step_ref.split_once('/').and_then(|(rb, id)| {
        knowledge
            .runbook(rb)
            .and_then(|r| r.steps.iter().find(|s| s.id == id))
            .map(|s| s.kind)
    });
    from_kb.or_else(|| {
        body.and_then(|b| b.get("definition"))
            .and_then(|d| d.get("kind"))
            .and_then(|k| serde_json::from_value(k.clone()).ok())
    })
}

fn runbook_of(step_ref: &str) -> &str {
    step_ref.split('/').next().unwrap_or(step_ref)
}

fn offset(start: Timestamp, at: Timestamp) -> i64 {
    at.duration_since(start).as_secs()
}

/// Budget remaining and 5m burn rate of each SLO (by name) at one moment.
pub type BudgetsAt = BTreeMap<String, (Option<f64>, Option<f64>)>;

/// Budget remaining and 5m burn rate of every SLO at each of `times` (any order), from the
/// scenario's SLI samples alone (the trainee's decisions do not change recorded data).
pub fn budgets_at(scenario: &Scenario, times: &[Timestamp]) -> Vec<BudgetsAt> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| times[i]);
    let mut states: Vec<SloState> = scenario.slos.iter().cloned().map(SloState::new).collect();
    let mut out = vec![BTreeMap::new(); times.len()];
    let mut cursor = 0;
    for i in order {
        let t = times[i];
        while let Some(e) = scenario.events.get(cursor).filter(|e| e.at <= t) {
            if let ScenarioEvent::Sample { slo, good, total } = &e.event
                && let Some(s) = states.iter_mut().find(|s| s.spec().name == *slo)
            {
                s.ingest(e.at, *good, *total);
            }
            cursor += 1;
        }
        for s in &states {
            let b = s.evaluate(t);
            out[i].insert(
                s.spec().name.clone(),
                (b.budget_remaining, b.burn_rate(Window::M5)),
            );
        }
    }
    out
}

/// The decision records that are not replayed reference decisions nor the system's.
fn trainee_records(records: &[JournalRecord]) -> Vec<&JournalRecord> {
    records
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RecordKind::Hypothesis
                    | RecordKind::Note
                    | RecordKind::Approval
                    | RecordKind::Rejection
                    | RecordKind::Edit
                    | RecordKind::Proposal
                    | RecordKind::Manual
            ) && r.role != "system"
                && !r
                    .body
                    .get("replayed")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false)
        })
        .collect()
}

/// The scorecard of a drill. `records` is the training session's journal; `attempts` are the
/// scripted decisions and what became of them (empty for an interactive session, whose refusals
/// the journal does not keep); `until` is where the drill ended.
pub fn debrief(
    scenario: &Scenario,
    knowledge: &KnowledgeBase,
    records: &[JournalRecord],
    attempts: &[Attempt],
    until: Timestamp,
) -> Debrief {
    let start = scenario.start;
    let until = until.clamp(start, scenario.end());
    let ms = |step: &str, at: Timestamp, by: &str, why: Option<String>| Milestone {
        step: step.to_string(),
        at,
        offset_s: offset(start, at),
        by: by.to_string(),
        why,
    };

    // ---- the reference ---------------------------------------------------------------------
    let mut ref_used: BTreeMap<String, Timestamp> = BTreeMap::new(); // approved or executed
    let mut ref_rejected: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut ref_executed_mitigations: Vec<(Timestamp, String, String)> = Vec::new();
    let mut ref_approved_mitigations: Vec<(Timestamp, String, String)> = Vec::new();
    let mut ref_first_diag: Option<Milestone> = None;
    let mut ref_hypotheses = Vec::new();
    for (at, d) in scenario.reference_decisions() {
        let step = d.step.clone().unwrap_or_default();
        let kind = step_kind(knowledge, &step, None);
        match d.kind {
            DecisionKind::Hypothesis => ref_hypotheses.push(TimedText {
                at,
                offset_s: offset(start, at),
                by: d.actor.clone(),
                text: d.text.clone().unwrap_or_default(),
            }),
            DecisionKind::Note => {}
            DecisionKind::Reject => {
                ref_rejected
                    .entry(step)
                    .or_insert((d.actor.clone(), d.text.clone().unwrap_or_default()));
            }
            DecisionKind::Approve | DecisionKind::Execute => {
                ref_used.entry(step.clone()).or_insert(at);
                if kind == Some(StepKind::Diagnostic) && ref_first_diag.is_none() {
                    ref_first_diag = Some(ms(&step, at, &d.actor, None));
                }
                if kind == Some(StepKind::Mitigation) {
                    let v = if d.kind == DecisionKind::Execute {
                        &mut ref_executed_mitigations
                    } else {
                        &mut ref_approved_mitigations
                    };
                    v.push((at, step, d.actor.clone()));
                }
            }
        }
    }
    // The right answer: what the responders executed (else what they approved).
    let expected_src = if ref_executed_mitigations.is_empty() {
        &ref_approved_mitigations
    } else {
        &ref_executed_mitigations
    };
    let mut expected: Vec<String> = Vec::new();
    for (_, s, _) in expected_src {
        if !expected.contains(s) {
            expected.push(s.clone());
        }
    }
    let ref_mitigation_approved = ref_approved_mitigations
        .iter()
        .chain(ref_executed_mitigations.iter())
        .filter(|(_, s, _)| expected.contains(s))
        .min_by_key(|(at, _, _)| *at)
        .map(|(at, s, by)| ms(s, *at, by, None));
    let ref_mitigation_executed = ref_executed_mitigations
        .first()
        .map(|(at, s, by)| ms(s, *at, by, None));
    let best_runbooks: BTreeSet<&str> = expected.iter().map(|s| runbook_of(s)).collect();
    let used_runbooks: BTreeSet<&str> = ref_used.keys().map(|s| runbook_of(s)).collect();

    // ---- the trainee -----------------------------------------------------------------------
    let mine = trainee_records(records);
    let trainee = mine.first().map(|r| r.actor.clone()).or_else(|| {
        attempts
            .iter()
            .any(|a| !matches!(a.result, AttemptResult::Skipped))
            .then(|| "trainee".to_string())
    });
    let mut first_useful: Option<Milestone> = None;
    let mut diagnostics = 0;
    let mut right: Option<Milestone> = None;
    let mut wrong = Vec::new();
    let mut unnecessary = Vec::new();
    let mut rejections = Vec::new();
    let mut hypotheses = Vec::new();
    let finding = |step: &str, at: Timestamp, reason: String| Finding {
        step: step.to_string(),
        at,
        offset_s: offset(start, at),
        reason,
    };
    for r in &mine {
        let step = r
            .body
            .get("step")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        match r.kind {
            RecordKind::Hypothesis => hypotheses.push(TimedText {
                at: r.ts,
                offset_s: offset(start, r.ts),
                by: r.actor.clone(),
                text: r
                    .body
                    .get("text")
                    .and_then(|v| v.as_str())
                    .unwrap_or(&r.summary)
                    .to_string(),
            }),
            // Choosing a step: approving it, or doing it by hand where the policy refused it.
            RecordKind::Approval | RecordKind::Manual => {
                let kind = step_kind(knowledge, &step, Some(&r.body));
                if let Some((by, reason)) = ref_rejected.get(&step) {
                    unnecessary.push(finding(
                        &step,
                        r.ts,
                        format!("the responders rejected it ({by}: {reason})"),
                    ));
                    if kind == Some(StepKind::Mitigation) {
                        wrong.push(ms(&step, r.ts, &r.actor, None));
                    }
                    continue;
                }
                match kind {
                    Some(StepKind::Diagnostic) => {
                        diagnostics += 1;
                        let why = if ref_used.contains_key(&step) {
                            Some("the responders ran it too".to_string())
                        } else if best_runbooks.contains(runbook_of(&step)) {
                            Some(format!(
                                "from {}, the runbook of the mitigation that fixed it",
                                runbook_of(&step)
                            ))
                        } else {
                            None
                        };
                        match why {
                            Some(why) if first_useful.is_none() => {
                                first_useful = Some(ms(&step, r.ts, &r.actor, Some(why)));
                            }
                            Some(_) => {}
                            None if !used_runbooks.contains(runbook_of(&step)) => {
                                unnecessary.push(finding(
                                    &step,
                                    r.ts,
                                    format!(
                                        "a diagnostic from {}, a runbook the responders did not need",
                                        runbook_of(&step)
                                    ),
                                ));
                            }
                            None => {}
                        }
                    }
                    Some(StepKind::Mitigation) => {
                        if expected.contains(&step) {
                            if right.is_none() {
                                // What the policy still wanted when the trainee approved it.
                                let needs = r
                                    .body
                                    .get("policy")
                                    .and_then(|p| {
                                        serde_json::from_value::<crate::actions::Verdict>(p.clone())
                                            .ok()
                                    })
                                    .map(|v| format!("policy at that moment: {v}"));
                                right = Some(ms(&step, r.ts, &r.actor, needs));
                            }
                        } else {
                            wrong.push(ms(&step, r.ts, &r.actor, None));
                            unnecessary.push(finding(
                                &step,
                                r.ts,
                                "a mitigation the responders did not need".to_string(),
                            ));
                        }
                    }
                    Some(StepKind::Experiment) => unnecessary.push(finding(
                        &step,
                        r.ts,
                        "a chaos experiment during an incident: it spends budget on purpose"
                            .to_string(),
                    )),
                    None => {}
                }
            }
            RecordKind::Rejection => {
                let reason = r
                    .body
                    .get("reason")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let verdict = if ref_rejected.contains_key(&step) {
                    "agreed: the responders rejected it too".to_string()
                } else if expected.contains(&step) {
                    "the responders ran this mitigation: it fixed the incident".to_string()
                } else if ref_used.contains_key(&step) {
                    "the responders ran it".to_string()
                } else {
                    "the responders did not use it either".to_string()
                };
                rejections.push(finding(&step, r.ts, format!("{reason} — {verdict}")));
            }
            _ => {}
        }
    }
    let mut refused = Vec::new();
    let mut not_offered = Vec::new();
    for a in attempts {
        let step = a.step.clone().unwrap_or_default();
        match &a.result {
            AttemptResult::Refused { reason } => {
                refused.push(finding(&step, a.at, reason.clone()));
            }
            AttemptResult::NotOffered => not_offered.push(finding(
                &step,
                a.at,
                "no suggestion for this step was on offer at that moment".into(),
            )),
            _ => {}
        }
    }

    // ---- scores ----------------------------------------------------------------------------
    let delta = |a: &Option<Milestone>, b: &Option<Milestone>| match (a, b) {
        (Some(a), Some(b)) => Some(a.offset_s - b.offset_s),
        _ => None,
    };
    let timing_points = |d: Option<i64>, full: u8, mid: u8, low: u8| match d {
        Some(d) if d <= ON_TIME.as_secs() => full,
        Some(d) if d <= LATE.as_secs() => mid,
        Some(_) => low,
        None => full,
    };
    let diag_delta = delta(&first_useful, &ref_first_diag);
    // Nothing to match when the responders ran no runbook diagnostic (a novel incident).
    let diag_points = if ref_first_diag.is_none() {
        20
    } else if first_useful.is_some() {
        timing_points(diag_delta, 20, 15, 10)
    } else {
        0
    };

    let mit_delta = delta(&right, &ref_mitigation_approved);
    let (mit_points, verdict) = if expected.is_empty() {
        if wrong.is_empty() {
            (
                40,
                "the responders ran no runbook mitigation (human judgment) and neither did you"
                    .to_string(),
            )
        } else {
            (
                0,
                "the responders ran no runbook mitigation (human judgment); you approved one"
                    .to_string(),
            )
        }
    } else if let Some(m) = &right {
        let p = timing_points(mit_delta, 40, 30, 20);
        let when = match mit_delta {
            Some(d) if d < 0 => format!(
                "{} before the responders",
                format_duration(SignedDuration::from_secs(-d))
            ),
            Some(0) => "at the same time as the responders".to_string(),
            Some(d) => format!(
                "{} after the responders",
                format_duration(SignedDuration::from_secs(d))
            ),
            None => String::new(),
        };
        let extra = if wrong.is_empty() {
            String::new()
        } else {
            format!(" ({} other mitigation(s) approved too)", wrong.len())
        };
        let needs = m
            .why
            .as_deref()
            .map(|w| format!("; {w}"))
            .unwrap_or_default();
        (
            p.saturating_sub(5 * wrong.len().min(4) as u8),
            format!(
                "right mitigation {} at +{}, {when}{extra}{needs}",
                m.step,
                format_duration(SignedDuration::from_secs(m.offset_s))
            ),
        )
    } else if wrong.is_empty() {
        (
            0,
            format!(
                "no mitigation chosen; the responders ran {}",
                expected.join(", ")
            ),
        )
    } else {
        (
            0,
            format!(
                "wrong mitigation: you approved {}; the responders ran {}",
                wrong
                    .iter()
                    .map(|w| w.step.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                expected.join(", ")
            ),
        )
    };

    let rejected_needed = rejections
        .iter()
        .filter(|f| f.reason.contains("fixed the incident"))
        .count();
    let penalty: usize = refused.len() * 5
        + unnecessary
            .iter()
            .map(|f| {
                if f.reason.starts_with("the responders rejected") {
                    10
                } else if f.reason.starts_with("a mitigation") {
                    5
                } else {
                    2
                }
            })
            .sum::<usize>()
        + rejected_needed * 5;
    let safety_points = 20usize.saturating_sub(penalty) as u8;

    // Budget: at the trainee's mitigation (or the end of the drill) vs the responders'.
    let ref_at = ref_mitigation_executed
        .as_ref()
        .or(ref_mitigation_approved.as_ref())
        .map_or(scenario.end(), |m| m.at);
    let trainee_at = right.as_ref().map_or(until, |m| m.at);
    let b = budgets_at(scenario, &[start, trainee_at, ref_at]);
    let window_of = |slo: &str| {
        scenario
            .slos
            .iter()
            .find(|s| s.name == slo)
            .map(|s| s.window)
            .unwrap_or(SignedDuration::from_hours(24 * 30))
    };
    let slos: Vec<SloBurn> = scenario
        .slos
        .iter()
        .map(|spec| {
            let name = &spec.name;
            let (s0, _) = b[0].get(name).copied().unwrap_or((None, None));
            let (tr, _) = b[1].get(name).copied().unwrap_or((None, None));
            let (rr, rburn) = b[2].get(name).copied().unwrap_or((None, None));
            let burned = |x: Option<f64>| s0.zip(x).map(|(a, b)| (a - b).max(0.0));
            let reference_burned = burned(rr);
            let (trainee_burned, estimated) = if trainee_at > ref_at {
                let extra = rburn.map(|r| {
                    r * trainee_at.duration_since(ref_at).as_secs_f64()
                        / window_of(name).as_secs_f64()
                });
                (reference_burned.zip(extra).map(|(a, e)| a + e), true)
            } else {
                (burned(tr), false)
            };
            SloBurn {
                slo: name.clone(),
                at_start: s0,
                trainee_remaining: if estimated {
                    s0.zip(trainee_burned).map(|(a, b)| a - b)
                } else {
                    tr
                },
                trainee_burned,
                reference_remaining: rr,
                reference_burned,
                estimated,
            }
        })
        .collect();
    let total = |f: fn(&SloBurn) -> Option<f64>| slos.iter().filter_map(f).sum::<f64>();
    let (t_burn, r_burn) = (total(|s| s.trainee_burned), total(|s| s.reference_burned));
    let budget_points = if t_burn <= r_burn + 1e-9 || t_burn <= 0.0 {
        10
    } else {
        (10.0 * r_burn / t_burn).round().clamp(0.0, 10.0) as u8
    };

    // Hypotheses count when noted before the first mitigation the trainee reached for.
    let mitigation_time = right
        .iter()
        .chain(wrong.iter())
        .map(|m| m.at)
        .min()
        .unwrap_or(until);
    let before = hypotheses
        .iter()
        .filter(|h| h.at <= mitigation_time)
        .count();
    let hyp_points = if before > 0 {
        10
    } else if !hypotheses.is_empty() {
        5
    } else {
        0
    };

    let score = diag_points + mit_points + safety_points + budget_points + hyp_points;
    let grade = match score {
        85.. => "excellent",
        65..=84 => "good",
        40..=64 => "needs practice",
        _ => "review with a mentor",
    };

    Debrief {
        scenario: scenario.id.clone(),
        title: scenario.title.clone(),
        trainee,
        start,
        until,
        score,
        grade: grade.to_string(),
        diagnostic: DiagnosticScore {
            trainee: first_useful,
            reference: ref_first_diag,
            delta_s: diag_delta,
            approved: diagnostics,
            points: diag_points,
        },
        mitigation: MitigationScore {
            expected,
            reference: ref_mitigation_approved,
            reference_executed: ref_mitigation_executed,
            trainee: right.clone(),
            right: right.is_some(),
            wrong,
            delta_s: mit_delta,
            verdict,
            points: mit_points,
        },
        safety: SafetyScore {
            refused,
            unnecessary,
            not_offered,
            rejections,
            points: safety_points,
        },
        budget: BudgetScore {
            trainee_at,
            trainee_mitigated: right.is_some(),
            reference_at: ref_at,
            slos,
            points: budget_points,
        },
        hypotheses: HypothesisScore {
            trainee: hypotheses,
            reference: ref_hypotheses,
            before_mitigation: before,
            points: hyp_points,
        },
    }
}

fn plus(offset_s: i64) -> String {
    format!("+{}", format_duration(SignedDuration::from_secs(offset_s)))
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn pp(x: Option<f64>) -> String {
    x.map_or("–".to_string(), |v| format!("{:.1} pp", v * 100.0))
}

impl Debrief {
    /// The human scorecard (TUI overlay and `replay --headless`).
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "Debrief — {} ({})", self.title, self.scenario);
        let _ = writeln!(
            o,
            "trainee {}   drill {}–{}   score {}/100 ({})",
            self.trainee.as_deref().unwrap_or("(no decisions)"),
            clock_hms(self.start),
            clock_hms(self.until),
            self.score,
            self.grade
        );

        let d = &self.diagnostic;
        let _ = writeln!(o, "\nFirst useful diagnostic   {:>2}/20", d.points);
        match &d.trainee {
            Some(m) => {
                let _ = writeln!(
                    o,
                    "  you        {} {} ({})",
                    plus(m.offset_s),
                    m.step,
                    m.why.as_deref().unwrap_or("")
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "  you        none ({} diagnostic(s) approved, none the responders needed)",
                    d.approved
                );
            }
        }
        match &d.reference {
            Some(m) => {
                let _ = writeln!(o, "  responders {} {} ({})", plus(m.offset_s), m.step, m.by);
            }
            None => {
                let _ = writeln!(
                    o,
                    "  responders ran no runbook diagnostic: nothing to match"
                );
            }
        }

        let m = &self.mitigation;
        let _ = writeln!(o, "\nMitigation                {:>2}/40", m.points);
        let _ = writeln!(o, "  {}", m.verdict);
        if let Some(r) = &m.reference {
            let exec = m
                .reference_executed
                .as_ref()
                .map(|e| format!(", ran {} by {}", plus(e.offset_s), e.by))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  responders approved {} {} ({}){exec}",
                r.step,
                plus(r.offset_s),
                r.by
            );
        }
        for w in &m.wrong {
            let _ = writeln!(o, "  you also approved {} {}", w.step, plus(w.offset_s));
        }

        let s = &self.safety;
        let _ = writeln!(o, "\nSafety                    {:>2}/20", s.points);
        if s.refused.is_empty() && s.unnecessary.is_empty() && s.not_offered.is_empty() {
            let _ = writeln!(o, "  no refused or unnecessary steps");
        }
        for f in &s.refused {
            let _ = writeln!(
                o,
                "  refused     {} {}: {}",
                plus(f.offset_s),
                f.step,
                f.reason
            );
        }
        for f in &s.unnecessary {
            let _ = writeln!(
                o,
                "  unneeded    {} {}: {}",
                plus(f.offset_s),
                f.step,
                f.reason
            );
        }
        for f in &s.not_offered {
            let _ = writeln!(o, "  not offered {} {}", plus(f.offset_s), f.step);
        }
        for f in &s.rejections {
            let _ = writeln!(
                o,
                "  rejected    {} {}: {}",
                plus(f.offset_s),
                f.step,
                f.reason
            );
        }

        let b = &self.budget;
        let _ = writeln!(o, "\nError budget burned       {:>2}/10", b.points);
        let _ = writeln!(
            o,
            "  you: until {} ({})   responders: until {}",
            clock_hms(b.trainee_at),
            if b.trainee_mitigated {
                "your mitigation"
            } else {
                "end of drill, not mitigated"
            },
            clock_hms(b.reference_at)
        );
        for slo in &b.slos {
            let _ = writeln!(
                o,
                "  {:<28} start {:>7}   you {:>9}{}   responders {:>9}",
                slo.slo,
                pct(slo.at_start),
                pp(slo.trainee_burned),
                if slo.estimated { "*" } else { " " },
                pp(slo.reference_burned)
            );
        }
        if b.slos.iter().any(|s| s.estimated) {
            let _ = writeln!(
                o,
                "  * estimated: your extra time charged at the burn rate the responders' fix stopped"
            );
        }

        let h = &self.hypotheses;
        let _ = writeln!(o, "\nHypotheses                {:>2}/10", h.points);
        if h.trainee.is_empty() {
            let _ = writeln!(o, "  you noted none");
        }
        for t in &h.trainee {
            let _ = writeln!(o, "  you        {} {}", plus(t.offset_s), t.text);
        }
        for t in &h.reference {
            let _ = writeln!(o, "  {:<10} {} {}", t.by, plus(t.offset_s), t.text);
        }
        o
    }
}
