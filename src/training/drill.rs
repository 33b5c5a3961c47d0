//! Trainee drills: a script of a trainee's decisions (for tests and instructors), played into a
//! replay session at their virtual times.
//!
//! A drill script is YAML, a list of timed decisions (docs/TRAINING.md):
//!
//! ```yaml
//! - {at: 6m, hypothesis: "pool exhausted since the deploy?"}
//! - {at: 8m, approve: postgres-connection-pool/show-pools}
//! - {at: 12m, reject: postgres-connection-pool/restart-postgres, reason: "drops every connection"}
//! - {at: 20m, note: "PSP is healthy"}
//! ```
//!
//! `at` is an offset from the scenario start (`12m`, `1h5m`) or an RFC 3339 timestamp. A step is
//! named `runbook-id/step-id` and resolves to the suggestion offered for it at that moment.
//!
//! A training session must not replay the responders' decisions (they are the reference the
//! debrief compares with): build it with [`training_session`], which plays the scenario
//! [`without_reference`] decisions in a cockpit whose person is a trainee.
//!
//! Pure: text in, values out; the session is advanced on its virtual clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use super::scenario::{Scenario, ScenarioEvent};
use crate::actions::Verdict;
use crate::actions::{Role, StepRef};
use crate::cockpit::{CockpitConfig, NoteKind, SuggestionId, SuggestionStatus, UserCommand};
use crate::journal::RecordKind;
use crate::journal::export::DecisionContext;
use crate::knowledge::KnowledgeBase;
use crate::replay::ReplaySession;
use crate::time::{SignedDuration, Timestamp, parse_duration};

/// The actor name of a trainee when none is given.
pub const DEFAULT_TRAINEE: &str = "trainee";
/// The cockpit session name of a training run (never the team's live session).
pub const TRAINING_SESSION: &str = "training";

/// A trainee's decisions in time order (stable for equal times).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DrillScript {
    pub steps: Vec<DrillStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillStep {
    pub at: DrillTime,
    pub action: DrillAction,
    /// The line of the script it was written on (for messages).
    pub line: Option<u64>,
}

/// When a scripted decision is taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillTime {
    /// From the scenario start.
    Offset(#[serde(with = "offset_text")] SignedDuration),
    At(Timestamp),
}

mod offset_text {
    pub fn serialize<S: serde::Serializer>(
        d: &crate::time::SignedDuration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(&crate::time::format_duration(*d))
    }
}

impl DrillTime {
    pub fn resolve(self, start: Timestamp) -> Timestamp {
        match self {
            // Saturating: an offset past what a timestamp holds is past any scenario's end.
            DrillTime::Offset(d) => crate::time::saturating_offset(start, d),
            DrillTime::At(t) => t,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DrillAction {
    Approve {
        step: String,
    },
    Reject {
        step: String,
        reason: String,
    },
    Note {
        text: String,
    },
    Hypothesis {
        text: String,
    },
    /// Done by hand outside flightdeck (what the policy asks for a step it refuses).
    ByHand {
        step: String,
        what: String,
    },
}

impl DrillAction {
    pub fn label(&self) -> &'static str {
        match self {
            DrillAction::Approve { .. } => "approve",
            DrillAction::Reject { .. } => "reject",
            DrillAction::Note { .. } => "note",
            DrillAction::Hypothesis { .. } => "hypothesis",
            DrillAction::ByHand { .. } => "by_hand",
        }
    }

    pub fn step(&self) -> Option<&str> {
        match self {
            DrillAction::Approve { step }
            | DrillAction::Reject { step, .. }
            | DrillAction::ByHand { step, .. } => Some(step),
            _ => None,
        }
    }
}

/// A problem in a drill script: where, which field, what is wrong.
pub type DrillError = crate::diagnostic::Diagnostic;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Spanned<String>,
    #[serde(default)]
    approve: Option<String>,
    #[serde(default)]
    reject: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    hypothesis: Option<String>,
    #[serde(default)]
    by_hand: Option<String>,
    #[serde(default)]
    what: Option<String>,
}

impl DrillScript {
    /// Parses a drill script; `path` is only used in messages.
    pub fn parse(path: &str, text: &str) -> Result<DrillScript, DrillError> {
        let err = |line: Option<u64>, field: String, message: String| DrillError {
            path: path.to_string(),
            line,
            column: None,
            field,
            message,
            fix: String::new(),
        };
        if text.trim().is_empty() {
            return Ok(DrillScript::default());
        }
        let raw: Vec<RawStep> = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            let message = e.to_string().lines().next().unwrap_or_default().to_string();
            err(line, String::new(), message)
        })?;
        let mut steps = Vec::with_capacity(raw.len());
        for (i, r) in raw.into_iter().enumerate() {
            let line = Some(r.at.referenced.line());
            let field = |f: &str| format!("[{i}].{f}");
            let v = r.at.value.trim();
            let at = if v.contains('T') {
                DrillTime::At(
                    crate::time::parse_timestamp(v)
                        .map_err(|m| err(line, field("at"), m.into()))?,
                )
            } else {
                DrillTime::Offset(parse_duration(v).map_err(|m| err(line, field("at"), m.into()))?)
            };
            let count = [&r.approve, &r.reject, &r.note, &r.hypothesis, &r.by_hand]
                .iter()
                .filter(|x| x.is_some())
                .count();
            if count != 1 {
                return Err(err(
                    line,
                    format!("[{i}]"),
                    "each decision needs exactly one of `approve`, `reject`, `by_hand`, `note` or `hypothesis`"
                        .into(),
                ));
            }
            if r.what.is_some() && r.by_hand.is_none() {
                return Err(err(
                    line,
                    field("what"),
                    "`what` goes with `by_hand`".into(),
                ));
            }
            if r.reason.is_some() && r.reject.is_none() {
                return Err(err(
                    line,
                    field("reason"),
                    "`reason` goes with `reject`".into(),
                ));
            }
            let check_step = |s: &str, f: &str| -> Result<String, DrillError> {
                match StepRef::parse(s) {
                    Some(step) => Ok(step.to_string()),
                    None => Err(err(
                        line,
                        field(f),
                        format!("{:?} is not a step: write runbook-id/step-id", s.trim()),
                    )),
                }
            };
            let non_empty = |s: &str, f: &str| -> Result<String, DrillError> {
                let s = s.trim();
                if s.is_empty() {
                    Err(err(line, field(f), "must not be empty".into()))
                } else {
                    Ok(s.to_string())
                }
            };
            let action = if let Some(s) = &r.approve {
                DrillAction::Approve {
                    step: check_step(s, "approve")?,
                }
            } else if let Some(s) = &r.reject {
                let reason = r.reason.as_deref().unwrap_or("");
                DrillAction::Reject {
                    step: check_step(s, "reject")?,
                    reason: non_empty(reason, "reason").map_err(|e| DrillError {
                        message: "a rejection needs a `reason`".into(),
                        ..e
                    })?,
                }
            } else if let Some(s) = &r.by_hand {
                DrillAction::ByHand {
                    step: check_step(s, "by_hand")?,
                    what: non_empty(r.what.as_deref().unwrap_or(""), "what").map_err(|e| {
                        DrillError {
                            message:
                                "work done by hand needs `what` (what was done, what happened)"
                                    .into(),
                            ..e
                        }
                    })?,
                }
            } else if let Some(t) = &r.note {
                DrillAction::Note {
                    text: non_empty(t, "note")?,
                }
            } else if let Some(t) = &r.hypothesis {
                DrillAction::Hypothesis {
                    text: non_empty(t, "hypothesis")?,
                }
            } else {
                unreachable!("count checked above")
            };
            steps.push(DrillStep { at, action, line });
        }
        Ok(DrillScript { steps })
    }

    /// The steps with their times resolved against `start`, in time order (stable).
    pub fn timed(&self, start: Timestamp) -> Vec<(Timestamp, &DrillStep)> {
        let mut v: Vec<(Timestamp, &DrillStep)> = self
            .steps
            .iter()
            .map(|s| (s.at.resolve(start), s))
            .collect();
        v.sort_by_key(|(t, _)| *t);
        v
    }
}

/// The cockpit settings of a trainee: role trainee, its own session, dry runs only.
pub fn trainee_config(actor: &str) -> CockpitConfig {
    CockpitConfig {
        actor: if actor.trim().is_empty() {
            DEFAULT_TRAINEE.to_string()
        } else {
            actor.trim().to_string()
        },
        role: Role::Trainee,
        session: TRAINING_SESSION.to_string(),
        dry_run: true,
        readonly: false,
        ..CockpitConfig::default()
    }
}

/// The scenario without the responders' decisions: what a trainee plays (the decisions stay
/// in the original scenario, the reference of the debrief).
pub fn without_reference(scenario: &Scenario) -> Scenario {
    let mut s = scenario.clone();
    s.events
        .retain(|e| !matches!(e.event, ScenarioEvent::Decision(_)));
    s
}

/// A replay session for a trainee: the scenario without reference decisions, a trainee's
/// cockpit (`config` is usually [`trainee_config`]).
pub fn training_session(
    scenario: &Scenario,
    knowledge: KnowledgeBase,
    config: CockpitConfig,
) -> ReplaySession {
    ReplaySession::new(without_reference(scenario), knowledge, config)
}

/// [`training_session`] whose genesis record names `journal_id` (the edge gives each training
/// journal it keeps on disk an id of its own).
pub fn training_session_with_id(
    scenario: &Scenario,
    knowledge: KnowledgeBase,
    config: CockpitConfig,
    journal_id: String,
) -> ReplaySession {
    ReplaySession::with_journal_id(without_reference(scenario), knowledge, config, journal_id)
}

/// The moments a guided drill pauses at: the distinct times at which the responders decided
/// something (from the reference decisions, in order). The TUI's "pause at each decision point"
/// stops the virtual clock at each of these.
pub fn decision_times(scenario: &Scenario) -> Vec<Timestamp> {
    let mut v: Vec<Timestamp> = scenario.reference_decisions().map(|(at, _)| at).collect();
    v.dedup();
    v
}

/// A whole headless drill: the training session at `until`, what became of each scripted
/// decision, and the debrief.
pub struct TrainingRun {
    pub session: ReplaySession,
    pub run: DrillRun,
    pub debrief: super::debrief::Debrief,
}

/// Runs `script` as `actor` in a training session of `scenario` up to `until` (capped at the
/// scenario's end) and debriefs it: what `replay --role trainee --script FILE --headless` does.
pub fn run_training(
    scenario: &Scenario,
    knowledge: KnowledgeBase,
    actor: &str,
    script: &DrillScript,
    until: Timestamp,
) -> TrainingRun {
    let session = training_session(scenario, knowledge.clone(), trainee_config(actor));
    run_training_in(session, scenario, knowledge, script, until)
}

/// [`run_training`] in a session built by the caller (e.g. [`training_session_with_id`] with
/// the trainee's config).
pub fn run_training_in(
    mut session: ReplaySession,
    scenario: &Scenario,
    knowledge: KnowledgeBase,
    script: &DrillScript,
    until: Timestamp,
) -> TrainingRun {
    let until = until.min(scenario.end());
    let run = run_drill(&mut session, script, until);
    let debrief = super::debrief::debrief(
        scenario,
        &knowledge,
        session.records(),
        &run.attempts,
        until,
    );
    TrainingRun {
        session,
        run,
        debrief,
    }
}

/// What became of one scripted decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    pub at: Timestamp,
    pub action: String,
    pub step: Option<String>,
    /// Note / hypothesis text, or the rejection reason.
    pub text: Option<String>,
    /// The suggestion the step resolved to (`S12`).
    pub suggestion: Option<String>,
    /// The suggestion's policy verdict just before the decision.
    pub verdict: Option<String>,
    pub result: AttemptResult,
    /// What the cockpit said (refusals, reasons).
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum AttemptResult {
    /// The decision went to the training journal as record `seq`.
    Journaled { seq: u64 },
    /// The policy refuses the step in this mode: no approval can make it run.
    Refused { reason: String },
    /// No suggestion for that step was on offer at that moment.
    NotOffered,
    /// No runbook of the scenario's knowledge has that step (a typo in the script, or a
    /// runbook that changed): it can never be offered.
    UnknownStep,
    /// The cockpit did not take it (already decided, already approved, ...).
    Ignored,
    /// Scheduled after the end of the drill.
    Skipped,
}

/// A finished drill: every scripted decision and what became of it, and what the trainee saw
/// at each journaled decision (by record `seq`, for the decision-data export).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DrillRun {
    pub attempts: Vec<Attempt>,
    #[serde(skip)]
    pub contexts: BTreeMap<u64, DecisionContext>,
}

/// The suggestion a `runbook/step` names now: a pending one of a firing incident first, then
/// any pending one, then any.
pub fn resolve_step(session: &ReplaySession, step: &str) -> Option<SuggestionId> {
    let cockpit = session.cockpit();
    if let Some(s) = cockpit
        .approval_queue()
        .into_iter()
        .find(|s| s.step_ref == step)
    {
        return Some(s.id);
    }
    let all = cockpit.suggestions();
    all.iter()
        .find(|s| s.step_ref == step && s.status == SuggestionStatus::Pending)
        .or_else(|| all.iter().rev().find(|s| s.step_ref == step))
        .map(|s| s.id)
}

/// Whether `runbook/step` names a step the session could ever offer: one of a runbook in its
/// knowledge, or one it has offered (a proposed silence).
fn known_step(session: &ReplaySession, step: &str) -> bool {
    let cockpit = session.cockpit();
    let in_runbook = cockpit.knowledge().step(&StepRef::from(step)).is_some();
    in_runbook || cockpit.suggestions().iter().any(|s| s.step_ref == step)
}

/// Plays `script` into `session` up to `until`: advances the virtual clock to each decision,
/// applies it as the session's person, then advances to `until`. Decisions scheduled after
/// `until` are reported as skipped; decisions before the session's position are taken at once.
pub fn run_drill(session: &mut ReplaySession, script: &DrillScript, until: Timestamp) -> DrillRun {
    let start = session.scenario().start;
    let until = until.min(session.scenario().end());
    let mut run = DrillRun::default();
    for (at, item) in script.timed(start) {
        let text = match &item.action {
            DrillAction::Reject { reason, .. } => Some(reason.clone()),
            DrillAction::ByHand { what, .. } => Some(what.clone()),
            DrillAction::Note { text } | DrillAction::Hypothesis { text } => Some(text.clone()),
            DrillAction::Approve { .. } => None,
        };
        let mut attempt = Attempt {
            at,
            action: item.action.label().to_string(),
            step: item.action.step().map(str::to_string),
            text,
            suggestion: None,
            verdict: None,
            result: AttemptResult::Skipped,
            notices: Vec::new(),
        };
        if at > until {
            run.attempts.push(attempt);
            continue;
        }
        session.advance_to(at);
        attempt.at = session.position();
        let context = session.cockpit().decision_context();
        let command = match &item.action {
            DrillAction::Note { text } => Some(UserCommand::Note {
                about: None,
                text: text.clone(),
                kind: NoteKind::Note,
            }),
            DrillAction::Hypothesis { text } => Some(UserCommand::Note {
                about: None,
                text: text.clone(),
                kind: NoteKind::Hypothesis,
            }),
            DrillAction::Approve { step }
            | DrillAction::Reject { step, .. }
            | DrillAction::ByHand { step, .. } => match resolve_step(session, step) {
                None => None,
                Some(id) => {
                    attempt.suggestion = Some(id.to_string());
                    let verdict = session.cockpit().suggestion(id).map(|s| s.verdict.clone());
                    attempt.verdict = verdict.as_ref().map(ToString::to_string);
                    if let (DrillAction::Approve { .. }, Some(Verdict::Refused { reason })) =
                        (&item.action, &verdict)
                    {
                        attempt.result = AttemptResult::Refused {
                            reason: reason.clone(),
                        };
                    }
                    Some(match &item.action {
                        DrillAction::Reject { reason, .. } => UserCommand::Reject {
                            id,
                            reason: reason.clone(),
                        },
                        DrillAction::ByHand { what, .. } => UserCommand::RecordManual {
                            id,
                            what: what.clone(),
                        },
                        _ => UserCommand::Approve(id),
                    })
                }
            },
        };
        let Some(command) = command else {
            attempt.result = match attempt.step.as_deref() {
                Some(step) if !known_step(session, step) => AttemptResult::UnknownStep,
                _ => AttemptResult::NotOffered,
            };
            run.attempts.push(attempt);
            continue;
        };
        let before = session.records().len();
        attempt.notices = session.command(command);
        let actor = session.cockpit().config().actor.clone();
        let mine = session.records()[before..].iter().find(|r| {
            r.actor == actor
                && matches!(
                    r.kind,
                    RecordKind::Approval
                        | RecordKind::Rejection
                        | RecordKind::Manual
                        | RecordKind::Note
                        | RecordKind::Hypothesis
                )
        });
        match mine {
            Some(r) => {
                attempt.result = AttemptResult::Journaled { seq: r.seq };
                run.contexts.insert(r.seq, context);
            }
            None if matches!(attempt.result, AttemptResult::Refused { .. }) => {}
            None => attempt.result = AttemptResult::Ignored,
        }
        run.attempts.push(attempt);
    }
    session.advance_to(until);
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_script_and_names_bad_lines() {
        let s = DrillScript::parse(
            "d.yaml",
            "- {at: 8m, approve: a/b}\n- {at: 2m, hypothesis: \"deploy?\"}\n- {at: 9m, reject: a/c, reason: no}\n- {at: 2026-03-12T14:00:00Z, note: hi}\n",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 4);
        let start: Timestamp = "2026-03-12T13:55:00Z".parse().unwrap();
        let timed = s.timed(start);
        assert_eq!(timed[0].1.action.label(), "hypothesis");
        assert_eq!(timed[1].1.action.label(), "note");

        let e = DrillScript::parse(
            "d.yaml",
            "- {at: 1m, approve: a/b}\n- {at: 2m, reject: a/b}\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().contains("reason"), "{e}");
        let e = DrillScript::parse("d.yaml", "- {at: 1x, note: a}\n").unwrap_err();
        assert!(e.to_string().starts_with("d.yaml:1: [0].at"), "{e}");
        let e = DrillScript::parse("d.yaml", "- {at: 1m, approve: nostep}\n").unwrap_err();
        assert!(e.to_string().contains("runbook-id/step-id"), "{e}");
        let e = DrillScript::parse("d.yaml", "- {at: 1m, note: a, hypothesis: b}\n").unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
    }
}
