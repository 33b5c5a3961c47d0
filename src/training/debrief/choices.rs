//! What the trainee decided, judged against the reference.

use super::*;

/// What the trainee decided, judged against the reference.
#[derive(Default)]
pub(super) struct Choices {
    pub(super) name: Option<String>,
    pub(super) decisions: Vec<TimedText>,
    pub(super) first_useful: Option<Milestone>,
    pub(super) diagnostics: usize,
    /// The first right mitigation, when it could have run (`None`: never), and what held it.
    pub(super) right: Option<Milestone>,
    pub(super) runs_at: Option<Timestamp>,
    pub(super) held: Option<String>,
    pub(super) wrong: Vec<Milestone>,
    pub(super) unnecessary: Vec<Finding>,
    pub(super) rejections: Vec<Finding>,
    pub(super) hypotheses: Vec<TimedText>,
    pub(super) refused: Vec<Finding>,
    pub(super) not_offered: Vec<Finding>,
    pub(super) unknown: Vec<Finding>,
}

/// When a trainee's choice of a mitigation could have run. The trainee stands in for the
/// on-call engineer: their approval runs the step at once when the policy of that moment (the
/// record's mode and step) needed no more than one on-call approval; otherwise it waited for
/// the incident commander, who approved it (in the reference) at the returned time, or never.
pub(super) fn could_run(
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
    pub(super) fn of(
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
    pub(super) fn take(
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

    pub(super) fn chose(
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
