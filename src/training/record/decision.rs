//! The reference decisions of a recording: what each journal record a responder wrote stands
//! for in the scenario (approve, reject, execute, hypothesis, note), and the journal's id.

use super::RecordStats;
use crate::journal::{JournalRecord, KindBody, RecordKind};

pub(super) struct Decision {
    pub(super) actor: String,
    pub(super) role: crate::actions::Role,
    pub(super) kind: &'static str,
    pub(super) text: Option<String>,
    pub(super) step: Option<String>,
    pub(super) outcome: Option<String>,
    pub(super) argv: Option<Vec<String>>,
}

/// A field's text, when it has any.
fn text(x: &Option<String>) -> Option<String> {
    x.clone().filter(|s| !s.is_empty())
}

/// The reference decision a journal record stands for, if any.
pub(super) fn decision_of(r: &JournalRecord, stats: &mut RecordStats) -> Option<Decision> {
    let role = r.role.person()?;
    let body = r.read_body();
    let argv = match &body.of_kind {
        KindBody::Step(b) => b.argv.clone(),
        KindBody::Note(n) => n.argv.clone(),
        _ => None,
    };
    let mut d = Decision {
        actor: r.actor.clone(),
        role,
        kind: "note",
        text: None,
        step: None,
        outcome: None,
        argv: argv.filter(|a| !a.is_empty()),
    };
    match &body.of_kind {
        KindBody::Note(n) => {
            // A replayed decision about a step the cockpit did not know keeps its kind.
            match (n.decision.as_deref(), text(&n.step)) {
                (Some(k @ ("approve" | "reject" | "execute")), Some(step)) => {
                    d.kind = match k {
                        "approve" => "approve",
                        "reject" => "reject",
                        _ => "execute",
                    };
                    d.step = Some(step);
                    // A replayed execution whose argv did not match: its recorded outcome.
                    d.outcome = text(&n.outcome).filter(|_| k == "execute");
                    d.text = text(&n.reason).filter(|_| k == "reject");
                }
                _ => {
                    d.argv = None;
                    d.kind = if r.kind == RecordKind::Hypothesis {
                        "hypothesis"
                    } else {
                        "note"
                    };
                    if n.acknowledges {
                        stats.as_notes += 1;
                    }
                    d.text = Some(text(&n.text).unwrap_or_else(|| r.summary.clone()));
                }
            }
        }
        KindBody::Step(b) => {
            let step = text(&b.step.as_ref().map(|s| s.to_string()));
            match r.kind {
                RecordKind::Approval => {
                    d.kind = "approve";
                    d.step = step;
                }
                RecordKind::Rejection => {
                    d.kind = "reject";
                    d.step = step;
                    d.text = text(&b.reason);
                }
                RecordKind::Execution => {
                    d.kind = "execute";
                    d.step = step;
                    d.outcome =
                        text(&b.outcome).or_else(|| b.exec.as_ref().and_then(|e| text(&e.summary)));
                }
                RecordKind::Manual => {
                    // The responders did the step by hand: for a drill, that step was run.
                    d.kind = "execute";
                    d.step = step;
                    d.outcome = Some(format!(
                        "done by hand: {}",
                        text(&b.outcome).unwrap_or_default()
                    ));
                }
                // Edits and proposals: a scenario has none, keep what was done as a note.
                _ => as_note(&mut d, r, stats),
            }
        }
        // A scenario has no overrides: keep what was done as a note.
        KindBody::Override(_) => as_note(&mut d, r, stats),
        KindBody::Genesis(_)
        | KindBody::ModeChange(_)
        | KindBody::Checkpoint(_)
        | KindBody::Experiment(_)
        | KindBody::Unknown => return None,
    }
    if matches!(d.kind, "approve" | "reject" | "execute")
        && d.step.as_deref().is_none_or(|s| !s.contains('/'))
    {
        return None;
    }
    Some(d)
}

/// A record a scenario has no kind for, kept as a note of what was done.
fn as_note(d: &mut Decision, r: &JournalRecord, stats: &mut RecordStats) {
    d.argv = None;
    stats.as_notes += 1;
    d.kind = "note";
    d.text = Some(r.summary.clone());
}

/// The journal's id, from its genesis record.
pub(super) fn journal_id(journal: &[JournalRecord]) -> Option<String> {
    journal
        .iter()
        .find(|r| r.kind == RecordKind::Genesis)
        .and_then(|r| text(&r.read_body().genesis()?.journal_id))
}
