//! What the responders did, from the scenario's reference decisions.

use super::*;

/// What the responders did, from the scenario's reference decisions.
pub(super) struct Reference {
    /// Steps they approved or executed, with the first time.
    pub(super) used: BTreeMap<StepRef, Timestamp>,
    /// Steps they rejected: who and why.
    pub(super) rejected: BTreeMap<StepRef, (String, String)>,
    pub(super) first_diag: Option<Milestone>,
    pub(super) hypotheses: Vec<TimedText>,
    /// The right answer: the mitigations they executed (else approved).
    pub(super) expected: Vec<StepRef>,
    /// Their first approval of a right mitigation, and its execution.
    pub(super) approved: Option<Milestone>,
    pub(super) executed: Option<Milestone>,
    /// The exact argv they approved or ran, by step, where the scenario records it.
    pub(super) argv: BTreeMap<StepRef, Vec<Vec<String>>>,
    /// The incident commander's first approval of each step.
    pub(super) commander: BTreeMap<StepRef, Timestamp>,
}

impl Reference {
    pub(super) fn of(scenario: &Scenario, knowledge: &KnowledgeBase) -> Reference {
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
    pub(super) fn best_runbooks(&self) -> BTreeSet<&str> {
        self.expected.iter().map(|s| s.runbook()).collect()
    }

    pub(super) fn used_runbooks(&self) -> BTreeSet<&str> {
        self.used.keys().map(|s| s.runbook()).collect()
    }

    /// Why `argv` is not what the responders ran for `step`, when the scenario records what
    /// they ran and it differs: the elements that differ.
    pub(super) fn other_target(&self, step: &str, argv: &[String]) -> Option<String> {
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

pub(super) fn milestone(
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

pub(super) fn finding(start: Timestamp, step: &str, at: Timestamp, reason: String) -> Finding {
    Finding {
        step: step.to_string(),
        at,
        offset_s: offset(start, at),
        reason,
    }
}
