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
use crate::actions::{StepKind, StepRef};
use crate::journal::{JournalRecord, KindBody, RecordBody, RecordKind};
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
    /// The drill reached the scenario's end (before it, [`Debrief::to_text_in_progress`] keeps
    /// the responders' decisions hidden).
    pub at_end: bool,
    /// 0–100: diagnostics 20, mitigation 40, safety 20, budget 10, hypotheses 10
    /// (docs/TRAINING.md explains each).
    pub score: u8,
    /// `excellent` (≥ 85), `good` (≥ 65), `needs practice` (≥ 40), `review with a mentor`.
    pub grade: String,
    /// The trainee's decisions in time order (approvals, rejections, work by hand, notes,
    /// hypotheses), each as one line of text.
    pub decisions: Vec<TimedText>,
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
    pub expected: Vec<StepRef>,
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
    /// Steps named in the script that no runbook of the scenario has (a typo in the script).
    pub unknown: Vec<Finding>,
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
    /// Budget remaining at the end of the drill.
    pub at_until: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BudgetScore {
    /// When the trainee's mitigation could take effect (else the end of the drill): at their
    /// approval when it needed no one else, else once the commander approved it (as in the
    /// reference), else never.
    pub trainee_at: Timestamp,
    pub trainee_mitigated: bool,
    /// What the trainee's right mitigation still needed when they approved it ("needed the
    /// commander …"), when it could not run at that moment.
    pub trainee_held: Option<String>,
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
    step: &StepRef,
    body: Option<&RecordBody>,
) -> Option<StepKind> {
    let from_kb = knowledge.step(step).map(|s| s.kind);
    from_kb.or_else(|| body?.step()?.definition_kind)
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
                && !r.read_body().replayed
        })
        .collect()
}

/// What the responders did, from the scenario's reference decisions.
struct Reference {
    /// Steps they approved or executed, with the first time.
    used: BTreeMap<StepRef, Timestamp>,
    /// Steps they rejected: who and why.
    rejected: BTreeMap<StepRef, (String, String)>,
    first_diag: Option<Milestone>,
    hypotheses: Vec<TimedText>,
    /// The right answer: the mitigations they executed (else approved).
    expected: Vec<StepRef>,
    /// Their first approval of a right mitigation, and its execution.
    approved: Option<Milestone>,
    executed: Option<Milestone>,
    /// The exact argv they approved or ran, by step, where the scenario records it.
    argv: BTreeMap<StepRef, Vec<Vec<String>>>,
    /// The incident commander's first approval of each step.
    commander: BTreeMap<StepRef, Timestamp>,
}

impl Reference {
    fn of(scenario: &Scenario, knowledge: &KnowledgeBase) -> Reference {
        let start = scenario.start;
        let mut r = Reference {
            used: BTreeMap::new(),
            rejected: BTreeMap::new(),
            first_diag: None,
            hypotheses: Vec::new(),
            expected: Vec::new(),
            approved: None,
            executed: None,
            argv: BTreeMap::new(),
            commander: BTreeMap::new(),
        };
        let mut executed: Vec<(Timestamp, StepRef, String)> = Vec::new();
        let mut approved: Vec<(Timestamp, StepRef, String)> = Vec::new();
        for (at, d) in scenario.reference_decisions() {
            let step = StepRef::from(d.step.clone().unwrap_or_default());
            let kind = step_kind(knowledge, &step, None);
            match d.kind {
                DecisionKind::Hypothesis => r.hypotheses.push(TimedText {
                    at,
                    offset_s: offset(start, at),
                    by: d.actor.clone(),
                    text: d.text.clone().unwrap_or_default(),
                }),
                DecisionKind::Note => {}
                DecisionKind::Reject => {
                    r.rejected
                        .entry(step)
                        .or_insert((d.actor.clone(), d.text.clone().unwrap_or_default()));
                }
                DecisionKind::Approve | DecisionKind::Execute => {
                    r.used.entry(step.clone()).or_insert(at);
                    if let Some(argv) = &d.argv {
                        let known = r.argv.entry(step.clone()).or_default();
                        if !known.contains(argv) {
                            known.push(argv.clone());
                        }
                    }
                    if d.kind == DecisionKind::Approve && d.role == crate::actions::Role::Commander
                    {
                        r.commander.entry(step.clone()).or_insert(at);
                    }
                    if kind == Some(StepKind::Diagnostic) && r.first_diag.is_none() {
                        r.first_diag = Some(milestone(start, &step, at, &d.actor, None));
                    }
                    if kind == Some(StepKind::Mitigation) {
                        let v = if d.kind == DecisionKind::Execute {
                            &mut executed
                        } else {
                            &mut approved
                        };
                        v.push((at, step, d.actor.clone()));
                    }
                }
            }
        }
        let source = if executed.is_empty() {
            &approved
        } else {
            &executed
        };
        for (_, s, _) in source {
            if !r.expected.contains(s) {
                r.expected.push(s.clone());
            }
        }
        r.approved = approved
            .iter()
            .chain(executed.iter())
            .filter(|(_, s, _)| r.expected.contains(s))
            .min_by_key(|(at, _, _)| *at)
            .map(|(at, s, by)| milestone(start, s, *at, by, None));
        r.executed = executed
            .first()
            .map(|(at, s, by)| milestone(start, s, *at, by, None));
        r
    }

    /// The runbooks of the mitigations that fixed it (the best match, in hindsight).
    fn best_runbooks(&self) -> BTreeSet<&str> {
        self.expected.iter().map(|s| s.runbook()).collect()
    }

    fn used_runbooks(&self) -> BTreeSet<&str> {
        self.used.keys().map(|s| s.runbook()).collect()
    }

    /// Why `argv` is not what the responders ran for `step`, when the scenario records what
    /// they ran and it differs: the elements that differ.
    fn other_target(&self, step: &str, argv: &[String]) -> Option<String> {
        let theirs = self.argv.get(step)?;
        if argv.is_empty() || theirs.iter().any(|a| a.as_slice() == argv) {
            return None;
        }
        let theirs = &theirs[0];
        let differ: Vec<String> = argv
            .iter()
            .zip(theirs.iter())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("{a} instead of {b}"))
            .collect();
        let what = if differ.is_empty() || argv.len() != theirs.len() {
            "another command".to_string()
        } else {
            differ.join(", ")
        };
        Some(format!(
            "on another target ({what}): `{}`, where the responders ran `{}`",
            crate::actions::shell_display(argv),
            crate::actions::shell_display(theirs)
        ))
    }
}

fn milestone(
    start: Timestamp,
    step: &str,
    at: Timestamp,
    by: &str,
    why: Option<String>,
) -> Milestone {
    Milestone {
        step: step.to_string(),
        at,
        offset_s: offset(start, at),
        by: by.to_string(),
        why,
    }
}

fn finding(start: Timestamp, step: &str, at: Timestamp, reason: String) -> Finding {
    Finding {
        step: step.to_string(),
        at,
        offset_s: offset(start, at),
        reason,
    }
}

/// What the trainee decided, judged against the reference.
#[derive(Default)]
struct Choices {
    name: Option<String>,
    decisions: Vec<TimedText>,
    first_useful: Option<Milestone>,
    diagnostics: usize,
    /// The first right mitigation, when it could have run (`None`: never), and what held it.
    right: Option<Milestone>,
    runs_at: Option<Timestamp>,
    held: Option<String>,
    wrong: Vec<Milestone>,
    unnecessary: Vec<Finding>,
    rejections: Vec<Finding>,
    hypotheses: Vec<TimedText>,
    refused: Vec<Finding>,
    not_offered: Vec<Finding>,
    unknown: Vec<Finding>,
}

/// When a trainee's choice of a mitigation could have run. The trainee stands in for the
/// on-call engineer: their approval runs the step at once when the policy of that moment (the
/// record's mode and step) needed no more than one on-call approval; otherwise it waited for
/// the incident commander, who approved it (in the reference) at the returned time, or never.
fn could_run(
    r: &JournalRecord,
    step: &StepRef,
    knowledge: &KnowledgeBase,
    reference: &Reference,
) -> (Option<Timestamp>, Option<String>) {
    if r.kind == RecordKind::Manual {
        return (Some(r.ts), None);
    }
    let body = r.read_body();
    let definition = body
        .step()
        .and_then(|b| b.definition.clone())
        .or_else(|| knowledge.step(step).cloned());
    let mode = body.mode;
    let (Some(definition), Some(mode)) = (definition, mode) else {
        return (Some(r.ts), None);
    };
    let class = crate::actions::StepClass::from(&definition);
    let as_oncall = [crate::actions::Approval {
        by: r.actor.clone(),
        role: crate::actions::Role::Oncall,
        mode,
    }];
    let verdict = crate::actions::policy(
        mode,
        crate::actions::Overlays::default(),
        &class,
        &as_oncall,
    );
    if verdict.is_allowed() {
        return (Some(r.ts), None);
    }
    match reference.commander.get(step) {
        Some(&t) => (
            Some(t.max(r.ts)),
            Some(format!(
                "needed the commander ({verdict} in {}): it could run once the commander \
                 approved it, {}",
                mode.label(),
                clock_hms(t.max(r.ts))
            )),
        ),
        None => (
            None,
            Some(format!(
                "needed the commander ({verdict} in {}), who never approved it: it did not run",
                mode.label()
            )),
        ),
    }
}

impl Choices {
    fn of(
        start: Timestamp,
        reference: &Reference,
        knowledge: &KnowledgeBase,
        records: &[JournalRecord],
        attempts: &[Attempt],
    ) -> Choices {
        let mine = trainee_records(records);
        let mut c = Choices {
            name: mine.first().map(|r| r.actor.clone()).or_else(|| {
                attempts
                    .iter()
                    .any(|a| !matches!(a.result, AttemptResult::Skipped))
                    .then(|| "trainee".to_string())
            }),
            ..Choices::default()
        };
        for r in &mine {
            c.take(start, reference, knowledge, r);
        }
        for a in attempts {
            let step = a.step.clone().unwrap_or_default();
            match &a.result {
                AttemptResult::Refused { reason } => {
                    c.refused.push(finding(start, &step, a.at, reason.clone()));
                }
                AttemptResult::NotOffered => c.not_offered.push(finding(
                    start,
                    &step,
                    a.at,
                    "no suggestion for this step was on offer at that moment".into(),
                )),
                AttemptResult::UnknownStep => c.unknown.push(finding(
                    start,
                    &step,
                    a.at,
                    "unknown step: no runbook of this scenario has it (check the script)".into(),
                )),
                _ => {}
            }
        }
        c
    }

    /// One record of the trainee's.
    fn take(
        &mut self,
        start: Timestamp,
        reference: &Reference,
        knowledge: &KnowledgeBase,
        r: &JournalRecord,
    ) {
        let body = r.read_body();
        let (step, note_text, reason, outcome) = match &body.of_kind {
            KindBody::Step(b) => (
                b.step.clone().unwrap_or_default(),
                None,
                b.reason.clone(),
                b.outcome.clone(),
            ),
            KindBody::Note(n) => (
                n.step.clone().map(StepRef::from).unwrap_or_default(),
                n.text.clone(),
                n.reason.clone(),
                n.outcome.clone(),
            ),
            _ => Default::default(),
        };
        let text = |x: &Option<String>| x.clone().unwrap_or_else(|| r.summary.clone());
        let logged = match r.kind {
            RecordKind::Hypothesis => format!("hypothesis: {}", text(&note_text)),
            RecordKind::Note => format!("note: {}", text(&note_text)),
            RecordKind::Approval => format!("approved {step}"),
            RecordKind::Rejection => format!("rejected {step}: {}", text(&reason)),
            RecordKind::Manual => format!("did {step} by hand: {}", text(&outcome)),
            _ => r.summary.clone(),
        };
        self.decisions.push(TimedText {
            at: r.ts,
            offset_s: offset(start, r.ts),
            by: r.actor.clone(),
            text: logged,
        });
        match r.kind {
            RecordKind::Hypothesis => self.hypotheses.push(TimedText {
                at: r.ts,
                offset_s: offset(start, r.ts),
                by: r.actor.clone(),
                text: text(&note_text),
            }),
            // Choosing a step: approving it, or doing it by hand where the policy refused it.
            RecordKind::Approval | RecordKind::Manual => {
                self.chose(start, reference, knowledge, r, &body, &step)
            }
            RecordKind::Rejection => {
                let reason = reason.clone().unwrap_or_default();
                let verdict = if reference.rejected.contains_key(&step) {
                    "agreed: the responders rejected it too"
                } else if reference.expected.contains(&step) {
                    "the responders ran this mitigation: it fixed the incident"
                } else if reference.used.contains_key(&step) {
                    "the responders ran it"
                } else {
                    "the responders did not use it either"
                };
                self.rejections
                    .push(finding(start, &step, r.ts, format!("{reason} — {verdict}")));
            }
            _ => {}
        }
    }

    fn chose(
        &mut self,
        start: Timestamp,
        reference: &Reference,
        knowledge: &KnowledgeBase,
        r: &JournalRecord,
        body: &RecordBody,
        step: &StepRef,
    ) {
        let kind = step_kind(knowledge, step, Some(body));
        if let Some((by, reason)) = reference.rejected.get(step) {
            self.unnecessary.push(finding(
                start,
                step,
                r.ts,
                format!("the responders rejected it ({by}: {reason})"),
            ));
            if kind == Some(StepKind::Mitigation) {
                self.wrong
                    .push(milestone(start, step, r.ts, &r.actor, None));
            }
            return;
        }
        match kind {
            Some(StepKind::Diagnostic) => {
                self.diagnostics += 1;
                let why = if reference.used.contains_key(step) {
                    Some("the responders ran it too".to_string())
                } else if reference.best_runbooks().contains(step.runbook()) {
                    Some(format!(
                        "from {}, the runbook of the mitigation that fixed it",
                        step.runbook()
                    ))
                } else {
                    None
                };
                match why {
                    Some(why) if self.first_useful.is_none() => {
                        self.first_useful = Some(milestone(start, step, r.ts, &r.actor, Some(why)));
                    }
                    Some(_) => {}
                    None if !reference.used_runbooks().contains(step.runbook()) => {
                        self.unnecessary.push(finding(
                            start,
                            step,
                            r.ts,
                            format!(
                                "a diagnostic from {}, a runbook the responders did not need",
                                step.runbook()
                            ),
                        ));
                    }
                    None => {}
                }
            }
            Some(StepKind::Mitigation) => {
                let argv = body.step().and_then(|b| b.argv.clone()).unwrap_or_default();
                let elsewhere = reference.other_target(step, &argv);
                if reference.expected.iter().any(|e| e == step) && elsewhere.is_none() {
                    if self.right.is_none() {
                        // What the policy still wanted when the trainee approved it.
                        let needs = body
                            .step()
                            .and_then(|b| b.verdict())
                            .filter(|_| r.kind == RecordKind::Approval)
                            .map(|v| format!("policy at that moment: {v}"));
                        self.right = Some(milestone(start, step, r.ts, &r.actor, needs));
                        (self.runs_at, self.held) = could_run(r, step, knowledge, reference);
                    }
                } else {
                    let reason = match &elsewhere {
                        Some(e) => format!("a mitigation {e}"),
                        None => "a mitigation the responders did not need".to_string(),
                    };
                    self.wrong
                        .push(milestone(start, step, r.ts, &r.actor, elsewhere.clone()));
                    self.unnecessary.push(finding(start, step, r.ts, reason));
                }
            }
            Some(StepKind::Experiment) => self.unnecessary.push(finding(
                start,
                step,
                r.ts,
                "a chaos experiment during an incident: it spends budget on purpose".to_string(),
            )),
            None => {}
        }
    }
}

fn delta(a: &Option<Milestone>, b: &Option<Milestone>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.offset_s - b.offset_s),
        _ => None,
    }
}

/// Full points within [`ON_TIME`] of the responders, `mid` within [`LATE`], else `low`.
fn timing_points(d: Option<i64>, full: u8, mid: u8, low: u8) -> u8 {
    match d {
        Some(d) if d <= ON_TIME.as_secs() => full,
        Some(d) if d <= LATE.as_secs() => mid,
        Some(_) => low,
        None => full,
    }
}

fn diagnostic_score(reference: &Reference, c: &Choices) -> DiagnosticScore {
    let delta_s = delta(&c.first_useful, &reference.first_diag);
    // Nothing to match when the responders ran no runbook diagnostic (a novel incident).
    let points = if reference.first_diag.is_none() {
        20
    } else if c.first_useful.is_some() {
        timing_points(delta_s, 20, 15, 10)
    } else {
        0
    };
    DiagnosticScore {
        trainee: c.first_useful.clone(),
        reference: reference.first_diag.clone(),
        delta_s,
        approved: c.diagnostics,
        points,
    }
}

fn mitigation_score(reference: &Reference, c: &Choices) -> MitigationScore {
    let expected = &reference.expected;
    let wrong = &c.wrong;
    let delta_s = delta(&c.right, &reference.approved);
    let wrong_list = || {
        wrong
            .iter()
            .map(|w| match &w.why {
                Some(why) => format!("{} {why}", w.step),
                None => w.step.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (points, verdict) = if expected.is_empty() {
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
    } else if let Some(m) = &c.right {
        let p = timing_points(delta_s, 40, 30, 20);
        let when = match delta_s {
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
                wrong_list(),
                expected.join(", ")
            ),
        )
    };
    MitigationScore {
        expected: expected.clone(),
        reference: reference.approved.clone(),
        reference_executed: reference.executed.clone(),
        trainee: c.right.clone(),
        right: c.right.is_some(),
        wrong: wrong.clone(),
        delta_s,
        verdict,
        points,
    }
}

fn safety_score(c: &Choices) -> SafetyScore {
    let rejected_needed = c
        .rejections
        .iter()
        .filter(|f| f.reason.contains("fixed the incident"))
        .count();
    let penalty: usize = c.refused.len() * 5
        + c.unnecessary
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
    SafetyScore {
        refused: c.refused.clone(),
        unnecessary: c.unnecessary.clone(),
        not_offered: c.not_offered.clone(),
        unknown: c.unknown.clone(),
        rejections: c.rejections.clone(),
        points: 20usize.saturating_sub(penalty) as u8,
    }
}

/// Budget: burned by the time the trainee's mitigation could run (else the end of the drill)
/// against the responders'.
fn budget_score(
    scenario: &Scenario,
    reference: &Reference,
    c: &Choices,
    until: Timestamp,
) -> BudgetScore {
    let start = scenario.start;
    let ref_at = reference
        .executed
        .as_ref()
        .or(reference.approved.as_ref())
        .map_or(scenario.end(), |m| m.at);
    let trainee_at = c.runs_at.filter(|_| c.right.is_some()).unwrap_or(until);
    let b = budgets_at(scenario, &[start, trainee_at, ref_at, until]);
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
            let (at_until, _) = b[3].get(name).copied().unwrap_or((None, None));
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
                at_until,
            }
        })
        .collect();
    let total = |f: fn(&SloBurn) -> Option<f64>| slos.iter().filter_map(f).sum::<f64>();
    let (t_burn, r_burn) = (total(|s| s.trainee_burned), total(|s| s.reference_burned));
    let points = if t_burn <= r_burn + 1e-9 || t_burn <= 0.0 {
        10
    } else {
        (10.0 * r_burn / t_burn).round().clamp(0.0, 10.0) as u8
    };
    BudgetScore {
        trainee_at,
        trainee_mitigated: c.right.is_some() && c.runs_at.is_some(),
        trainee_held: c.held.clone().filter(|_| c.right.is_some()),
        reference_at: ref_at,
        slos,
        points,
    }
}

/// Hypotheses count when noted before the first mitigation the trainee reached for.
fn hypothesis_score(reference: &Reference, c: &Choices, until: Timestamp) -> HypothesisScore {
    let mitigation_time = c
        .right
        .iter()
        .chain(c.wrong.iter())
        .map(|m| m.at)
        .min()
        .unwrap_or(until);
    let before = c
        .hypotheses
        .iter()
        .filter(|h| h.at <= mitigation_time)
        .count();
    let points = if before > 0 {
        10
    } else if !c.hypotheses.is_empty() {
        5
    } else {
        0
    };
    HypothesisScore {
        trainee: c.hypotheses.clone(),
        reference: reference.hypotheses.clone(),
        before_mitigation: before,
        points,
    }
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
    let reference = Reference::of(scenario, knowledge);
    let choices = Choices::of(start, &reference, knowledge, records, attempts);
    let diagnostic = diagnostic_score(&reference, &choices);
    let mitigation = mitigation_score(&reference, &choices);
    let safety = safety_score(&choices);
    let budget = budget_score(scenario, &reference, &choices, until);
    let hypotheses = hypothesis_score(&reference, &choices, until);
    let score =
        diagnostic.points + mitigation.points + safety.points + budget.points + hypotheses.points;
    let grade = match score {
        85.. => "excellent",
        65..=84 => "good",
        40..=64 => "needs practice",
        _ => "review with a mentor",
    };
    Debrief {
        scenario: scenario.id.clone(),
        title: scenario.title.clone(),
        trainee: choices.name.clone(),
        start,
        until,
        at_end: until >= scenario.end(),
        score,
        grade: grade.to_string(),
        decisions: choices.decisions,
        diagnostic,
        mitigation,
        safety,
        budget,
        hypotheses,
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

/// What the debrief says when there is nothing of the person's to score.
pub const NOTHING_TO_SCORE: &str = "nothing to score: no decisions of yours in this replay yet \
     (approve, reject, note or write a hypothesis; the debrief compares them with the responders')";

impl Debrief {
    /// Whether the person decided anything the debrief can score.
    pub fn has_decisions(&self) -> bool {
        self.trainee.is_some()
    }

    /// The debrief in the middle of a drill: the trainee's own decisions, what the policy made
    /// of them and the budgets so far, and nothing of the responders' (no score either: it is
    /// a comparison with them). [`Debrief::to_text`] is the full scorecard.
    pub fn to_text_in_progress(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "Debrief so far — {} ({})", self.title, self.scenario);
        let _ = writeln!(
            o,
            "trainee {}   drill {}–{} (in progress)",
            self.trainee.as_deref().unwrap_or("(no decisions)"),
            clock_hms(self.start),
            clock_hms(self.until),
        );
        let _ = writeln!(
            o,
            "  The responders' decisions and your score stay hidden until the end of the drill."
        );
        let _ = writeln!(o, "\nYour decisions");
        if self.decisions.is_empty() {
            let _ = writeln!(o, "  none yet");
        }
        for d in &self.decisions {
            let _ = writeln!(o, "  {} {}", plus(d.offset_s), d.text);
        }
        let s = &self.safety;
        if !(s.refused.is_empty() && s.not_offered.is_empty() && s.unknown.is_empty()) {
            let _ = writeln!(o, "\nWhat the cockpit did not take");
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
        for f in &s.not_offered {
            let _ = writeln!(o, "  not offered {} {}", plus(f.offset_s), f.step);
        }
        for f in &s.unknown {
            let _ = writeln!(
                o,
                "  unknown step {} {}: {}",
                plus(f.offset_s),
                f.step,
                f.reason
            );
        }
        let _ = writeln!(o, "\nError budget so far");
        for slo in &self.budget.slos {
            let _ = writeln!(
                o,
                "  {:<28} start {:>7}   now {:>7}",
                slo.slo,
                pct(slo.at_start),
                pct(slo.at_until)
            );
        }
        o
    }

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
            let why = w
                .why
                .as_deref()
                .map(|w| format!(" {w}"))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "  you also approved {} {}{why}",
                w.step,
                plus(w.offset_s)
            );
        }

        let s = &self.safety;
        let _ = writeln!(o, "\nSafety                    {:>2}/20", s.points);
        if s.refused.is_empty()
            && s.unnecessary.is_empty()
            && s.not_offered.is_empty()
            && s.unknown.is_empty()
        {
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
        for f in &s.unknown {
            let _ = writeln!(
                o,
                "  unknown step {} {}: {}",
                plus(f.offset_s),
                f.step,
                f.reason
            );
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
            match (b.trainee_mitigated, &b.trainee_held) {
                (true, None) => "your mitigation",
                (true, Some(_)) => "your mitigation, once the commander approved it",
                (false, Some(_)) => "end of drill: your mitigation never ran",
                (false, None) => "end of drill, not mitigated",
            },
            clock_hms(b.reference_at)
        );
        if let Some(held) = &b.trainee_held {
            let _ = writeln!(o, "  your mitigation {held}");
        }
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
