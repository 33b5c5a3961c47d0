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

mod choices;
mod reference;
mod score;
mod text;

use choices::*;
use reference::*;
use score::*;
pub use text::NOTHING_TO_SCORE;

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
            ) && !r.role.is_system()
                && !r.read_body().replayed
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
