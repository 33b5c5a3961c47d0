//! Sealed records coming back (this cockpit's or another's on the same journal) change the
//! state they describe; the responders' reference decisions of a replay are journaled as theirs.

use super::decision::*;
use super::outcome::{ExecOutcome, ExecRequest};

use super::reference::{DecisionKind, ReferenceDecision};
use super::suggestion::{Fill, SuggestionId, SuggestionStatus};
use super::{Cockpit, Effect};
use crate::actions::{Approval, Role, StepKind, StepRef, Verdict};
use crate::alerts::Fingerprint;
use crate::journal::{
    JournalEntry, JournalRecord, KindBody, NoteBody, OfferedStep, RecordBody, RecordKind,
};

impl Cockpit {
    /// A recorded decision of the real responders, replayed: journaled as theirs, never
    /// executed (their execution is history, recorded with its outcome).
    pub(super) fn reference_decision(&mut self, d: ReferenceDecision, effects: &mut Vec<Effect>) {
        let mode = self.governor.mode();
        let entry = |kind, summary: String, body: serde_json::Value| JournalEntry {
            actor: d.actor.clone(),
            role: d.role.into(),
            kind,
            summary,
            body,
        };
        let kind = match d.kind {
            DecisionKind::Hypothesis => RecordKind::Hypothesis,
            DecisionKind::Note => RecordKind::Note,
            DecisionKind::Approve => RecordKind::Approval,
            DecisionKind::Reject => RecordKind::Rejection,
            DecisionKind::Execute => RecordKind::Execution,
        };
        if matches!(d.kind, DecisionKind::Hypothesis | DecisionKind::Note) {
            let text = d.text.clone().unwrap_or_default();
            let note = NoteBody {
                text: Some(text.clone()),
                ..NoteBody::default()
            };
            let body = RecordBody::of(KindBody::Note(note))
                .with_mode(mode)
                .replayed();
            effects.push(Effect::Journal(entry(kind, text, body.to_value())));
            return;
        }
        let step_ref = StepRef::from(d.step.clone().unwrap_or_default());
        // With the argv the responders decided about on record: the suggestion with exactly
        // that argv, else the step as this cockpit offers it (which may differ: a mismatch).
        let recorded = d.argv.as_deref();
        let found = self.reference_suggestion(&step_ref, recorded);
        if let (Some(argv), Some(i)) = (recorded, found)
            && self.suggestions[i].argv.as_deref().ok() != Some(argv)
        {
            let offered = &self.suggestions[i];
            effects.push(Effect::Journal(entry(
                RecordKind::Note,
                reference_mismatch_summary(&d, offered),
                reference_mismatch_body(&d, &step_ref, argv, offered)
                    .with_mode(mode)
                    .replayed()
                    .to_value(),
            )));
            return;
        }
        let Some(i) = found else {
            let body = RecordBody::of(KindBody::Note(NoteBody {
                step: Some(step_ref.to_string()),
                decision: Some(d.kind.as_str().into()),
                ..NoteBody::default()
            }))
            .replayed()
            .to_value();
            let summary = format!(
                "{} {step_ref} (a step this cockpit does not know)",
                kind.label()
            );
            effects.push(Effect::Journal(entry(RecordKind::Note, summary, body)));
            return;
        };
        let Some(mut body) = self.step_record(i) else {
            return;
        };
        body.session = "reference".into();
        body.replayed = true;
        body.reason = d.text.clone().filter(|_| d.kind == DecisionKind::Reject);
        body.outcome = d.outcome.clone();
        let summary = reference_step_summary(&d, &self.suggestions[i]);
        effects.push(Effect::Journal(entry(kind, summary, to_value(&body))));
    }

    /// The suggestion a responders' decision is about: with the argv they decided about on
    /// record, the suggestion with exactly that argv, else the step as this cockpit offers it
    /// (which may differ: a mismatch).
    fn reference_suggestion(
        &mut self,
        step_ref: &StepRef,
        recorded: Option<&[String]>,
    ) -> Option<usize> {
        let exact = recorded.is_some_and(|a| {
            self.suggestions
                .iter()
                .any(|s| &s.step_ref == step_ref && s.argv.as_deref().ok() == Some(a))
        });
        if exact {
            self.find_or_offer(step_ref, recorded)
        } else {
            self.find_or_offer(step_ref, None)
        }
    }

    /// The executor finished (or dry-ran) a step: journal the execution.
    pub(super) fn executed(
        &mut self,
        id: SuggestionId,
        outcome: ExecOutcome,
        effects: &mut Vec<Effect>,
    ) {
        let Some(i) = self.index_of(id) else {
            return;
        };
        let Some(mut body) = self.step_record(i) else {
            return;
        };
        body.approvals = self.counted_records(i);
        let s = &self.suggestions[i];
        body.void_approvals = s.void_records.clone();
        body.outcome = Some(outcome.summary.clone());
        let summary = format!(
            "{} {} {}: {}",
            if outcome.dry_run { "dry-ran" } else { "ran" },
            s.id,
            s.step_ref,
            outcome.summary
        );
        body.exec = Some(outcome);
        let e = self.entry(RecordKind::Execution, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }

    /// What a real run says against its runbook, if anything: a step that could not run (not
    /// found, no permission, timed out), or a mitigation (or experiment) that failed. A
    /// diagnostic that ran and exited non-zero reported a symptom, not a broken runbook — and,
    /// having run, it clears an earlier mark like a success does.
    pub(super) fn staleness_of_run(&self, body: &StepRecord, exec: &ExecOutcome) -> Option<String> {
        if exec.ok {
            return None;
        }
        if exec.could_not_run() {
            return Some(if exec.summary.starts_with("did not run") {
                exec.summary.clone()
            } else {
                format!("could not run: {}", exec.summary)
            });
        }
        // The kind from the step the record carries, else from the runbook as loaded.
        let kind = body
            .definition
            .as_ref()
            .map(|d| d.kind)
            .or_else(|| self.knowledge.step(&body.step).map(|s| s.kind));
        match kind {
            Some(StepKind::Mitigation | StepKind::Experiment) => Some(exec.summary.clone()),
            Some(StepKind::Diagnostic) | None => None,
        }
    }

    /// Whether this cockpit session wrote `record` (its body names the session).
    pub(super) fn written_here(&self, record: &JournalRecord) -> bool {
        record.read_body().session.as_deref() == Some(self.config.session.as_str())
    }

    fn exec_request(&self, i: usize, argv: Vec<String>, approval: String) -> ExecRequest {
        let s = &self.suggestions[i];
        let (labels, annotations) = self
            .correlator
            .alert(s.source)
            .map(|t| (t.alert.labels.clone(), t.alert.annotations.clone()))
            .unwrap_or_default();
        ExecRequest {
            suggestion: s.id,
            step: s.step.clone(),
            argv,
            labels,
            annotations,
            dry_run: self.config.dry_run,
            approval,
        }
    }

    /// A pending step that the policy now allows on the approvals it already has (the mode
    /// loosened until they suffice) is started by the cockpit that journaled its latest
    /// approval, as if that approval had just completed it; the others leave it be.
    pub(super) fn start_allowed(&mut self, effects: &mut Vec<Effect>) {
        // Only a step approved here may start here: the others are not looked at.
        self.approved_here
            .retain(|&i| self.suggestions[i].approved_here.is_some());
        for i in self.approved_here.iter().copied().collect::<Vec<_>>() {
            let s = &self.suggestions[i];
            if s.status != SuggestionStatus::Pending || s.verdict != Verdict::Allowed {
                continue;
            }
            let (Some(approval), Ok(argv)) = (s.approved_here.clone(), s.argv.clone()) else {
                continue;
            };
            if !s.approval_records.contains(&approval)
                || !self
                    .suggestion_cluster(s)
                    .is_some_and(|c| self.cluster_active(c))
            {
                continue;
            }
            effects.push(Effect::Notice(format!(
                "{} runs: the mode is {} now and its approvals suffice",
                s.id,
                self.governor.mode()
            )));
            effects.push(Effect::Execute(self.exec_request(i, argv, approval)));
            self.suggestions[i].status = SuggestionStatus::Running;
        }
    }

    /// A sealed record (ours or another cockpit's) changes the state it describes.
    pub(super) fn journaled(&mut self, record: &JournalRecord, effects: &mut Vec<Effect>) {
        self.name_from_record(record);
        if record.kind == RecordKind::Note
            && record
                .read_body()
                .note()
                .and_then(|n| n.acknowledge.as_deref())
                == Some("drift")
        {
            return self.drift_acknowledged(record, effects);
        }
        match record.kind {
            RecordKind::Override => self.override_journaled(record, effects),
            RecordKind::Hypothesis => self.hypothesis_journaled(record),
            RecordKind::Approval
            | RecordKind::Rejection
            | RecordKind::Execution
            | RecordKind::Edit
            | RecordKind::Proposal
            | RecordKind::Manual => self.step_journaled(record, effects),
            _ => {}
        }
    }

    /// The commander acknowledged the drift signal: the governor leaves the drift overlay.
    fn drift_acknowledged(&mut self, record: &JournalRecord, effects: &mut Vec<Effect>) {
        if let Some(change) = self.governor.acknowledge_drift(record.ts, &record.actor) {
            let ours = self.written_here(record);
            self.mode_changed_by_record(change, ours, effects);
        }
        self.refresh_verdicts();
    }

    /// A mode override set or ended (ignored from someone off the commander roster).
    fn override_journaled(&mut self, record: &JournalRecord, effects: &mut Vec<Effect>) {
        if !self.config.may_command(&record.actor) {
            effects.push(Effect::Notice(format!(
                "ignored {}'s mode override: not on the team's commander roster",
                record.actor
            )));
            return;
        }
        let change = match override_of(record) {
            Some(o) => self.governor.set_override(record.ts, o),
            None => self.governor.end_override(record.ts, &record.actor),
        };
        if let Some(change) = change {
            let ours = self.written_here(record);
            self.mode_changed_by_record(change, ours, effects);
        }
        self.refresh_verdicts();
        self.start_allowed(effects);
    }

    /// A hypothesis about an incident is acting on its alerts (a plain note is not).
    fn hypothesis_journaled(&mut self, record: &JournalRecord) {
        let body = record.read_body();
        let names = body
            .note()
            .and_then(|n| n.alertnames.clone())
            .unwrap_or_default();
        for name in names {
            self.correlator.note_action(&name, record.ts);
        }
    }

    /// A decision about a step (approved, rejected, run, edited, proposed, done by hand): its
    /// incident was acted on, a real run says whether the runbook works, the step's state.
    fn step_journaled(&mut self, record: &JournalRecord, effects: &mut Vec<Effect>) {
        let Ok(body) = serde_json::from_value::<StepRecord>(record.body.clone()) else {
            return;
        };
        // flightdeck's record of a step gone obsolete: every cockpit derives that from the
        // alerts itself, and nobody acted on the incident.
        if body.obsolete {
            return;
        }
        self.acted_on(&body, record);
        // The last real run of a step says whether its runbook still works, whether or not
        // this cockpit still offers the step.
        if record.kind == RecordKind::Execution
            && let Some(exec) = body.exec.as_ref().filter(|e| !e.dry_run)
        {
            match self.staleness_of_run(&body, exec) {
                Some(what) => {
                    self.staleness
                        .failed_steps
                        .insert(body.step.to_string(), what);
                }
                None => {
                    self.staleness.failed_steps.remove(body.step.as_str());
                }
            }
        }
        let Some(i) = self.suggestion_of(&body) else {
            return;
        };
        let mut role: Role = record.role.person().unwrap_or(Role::Trainee);
        if role == Role::Commander && !self.config.may_command(&record.actor) {
            // Another cockpit's claim outside the roster: not a commander's approval here.
            role = Role::Oncall;
        }
        match record.kind {
            // find_or_offer (or the definition) created the edited or proposed step.
            RecordKind::Edit | RecordKind::Proposal => {}
            RecordKind::Approval => self.approval_journaled(i, record, &body, role, effects),
            RecordKind::Rejection => {
                self.suggestions[i].status = SuggestionStatus::Rejected {
                    by: record.actor.clone(),
                    reason: body.reason.unwrap_or_default(),
                };
            }
            RecordKind::Manual => {
                self.suggestions[i].status = SuggestionStatus::DoneByHand {
                    by: record.actor.clone(),
                    what: body.outcome.unwrap_or_default(),
                };
            }
            RecordKind::Execution => {
                let (ok, dry_run) = body
                    .exec
                    .as_ref()
                    .map_or((true, self.config.dry_run), |e| (e.ok, e.dry_run));
                self.suggestions[i].status = SuggestionStatus::Executed {
                    by: record.actor.clone(),
                    outcome: body.outcome,
                    dry_run,
                    ok,
                    record: record.seq,
                    output: body.exec.and_then(|e| e.output),
                };
            }
            _ => {}
        }
    }

    /// Somebody acted on the incident of the step `body` names: its alerts are not "never
    /// acted on" noise.
    fn acted_on(&mut self, body: &StepRecord, record: &JournalRecord) {
        if let Some(cluster) = body
            .source
            .as_deref()
            .and_then(|s| s.parse::<Fingerprint>().ok())
            .and_then(|fp| self.correlator.alert(fp))
            .and_then(|t| self.correlator.cluster(t.cluster))
        {
            let names: Vec<String> = cluster.alertnames.iter().cloned().collect();
            for name in names {
                self.correlator.note_action(&name, record.ts);
            }
        }
    }

    /// The suggestion a step record is about: offered here, or (an edited step from another
    /// cockpit) rebuilt from its definition; `None` when neither.
    fn suggestion_of(&mut self, body: &StepRecord) -> Option<usize> {
        if let Some(i) = self.find_or_offer(&body.step, Some(&body.argv)) {
            return Some(i);
        }
        // An edited step from another cockpit: rebuild it from its definition.
        let (Some(step), Some(source)) = (
            body.definition.clone(),
            body.source
                .as_deref()
                .and_then(|s| s.parse::<Fingerprint>().ok()),
        ) else {
            return None;
        };
        let runbook = body.step.runbook().to_string();
        Some(self.push_suggestion(source, &runbook, step, Fill::Given(body.argv.clone())))
    }

    /// An approval of suggestion `i`: counted (once per person); the approving cockpit runs
    /// the step when it is complete and allowed, or says why it did not run.
    fn approval_journaled(
        &mut self,
        i: usize,
        record: &JournalRecord,
        body: &StepRecord,
        role: Role,
        effects: &mut Vec<Effect>,
    ) {
        let ours = body.session == self.config.session;
        let s = &mut self.suggestions[i];
        if !s.approvals.iter().any(|a| a.by == record.actor) {
            s.approvals.push(Approval {
                by: record.actor.clone(),
                role,
                mode: body.mode,
            });
            s.approval_records.push(record.hash.clone());
        }
        // Every cockpit sees the approvals in the same order: only the latest
        // approver's cockpit may start the step later (`start_allowed`).
        s.approved_here = ours.then(|| record.hash.clone());
        if ours {
            self.approved_here.insert(i);
        }
        self.recheck_silence(i, effects);
        self.refresh_verdict(i);
        let s = &self.suggestions[i];
        // Checked again right before it would run: its incident still going on, the
        // policy still allowing it.
        let active = self
            .suggestion_cluster(s)
            .is_some_and(|c| self.cluster_active(c));
        if ours {
            let why = match (&s.status, &s.verdict) {
                (SuggestionStatus::Obsolete { reason }, _) => Some(format!("obsolete: {reason}")),
                (SuggestionStatus::Pending, _) if !active => {
                    Some("its cluster is no longer firing".to_string())
                }
                (SuggestionStatus::Pending, Verdict::Refused { reason }) => {
                    Some(format!("refused by policy: {reason}"))
                }
                _ => None,
            };
            if let Some(why) = why {
                effects.push(Effect::Notice(format!("{} did not run: {why}", s.id)));
            }
        }
        if ours && active && s.status == SuggestionStatus::Pending && s.verdict == Verdict::Allowed
        {
            effects.push(Effect::Execute(self.exec_request(
                i,
                body.argv.clone(),
                record.hash.clone(),
            )));
            self.suggestions[i].status = SuggestionStatus::Running;
        }
    }
}

/// The journal line of a responders' decision whose recorded argv is not the argv this cockpit
/// offers for the step: a mismatch, never that step's outcome.
pub(super) fn reference_mismatch_summary(
    d: &ReferenceDecision,
    offered: &super::Suggestion,
) -> String {
    let recorded = d
        .argv
        .as_deref()
        .map(crate::actions::shell_display)
        .unwrap_or_default();
    let shown = offered
        .argv
        .as_deref()
        .map(crate::actions::shell_display)
        .unwrap_or_else(|why| format!("no argv ({why})"));
    let verb = match d.kind {
        DecisionKind::Approve => "approved",
        DecisionKind::Reject => "rejected",
        _ => "ran",
    };
    let outcome = d
        .outcome
        .as_deref()
        .map(|o| format!(" → {o}"))
        .unwrap_or_default();
    format!(
        "MISMATCH: the responders {verb} {} as `{recorded}`{outcome} — but this cockpit \
         offers {} as `{shown}`: not this step's outcome",
        d.step.as_deref().unwrap_or_default(),
        offered.id
    )
}

/// The note a responders' decision about an argv other than the one offered leaves: the step,
/// the decision, both argvs, the outcome or reason on record.
fn reference_mismatch_body(
    d: &ReferenceDecision,
    step_ref: &StepRef,
    argv: &[String],
    offered: &super::Suggestion,
) -> RecordBody {
    RecordBody::of(KindBody::Note(NoteBody {
        step: Some(step_ref.to_string()),
        decision: Some(d.kind.as_str().into()),
        mismatch: true,
        argv: Some(argv.to_vec()),
        offered: Some(OfferedStep {
            suggestion: offered.id.to_string(),
            argv: offered.argv.as_ref().ok().cloned(),
        }),
        outcome: d.outcome.clone(),
        reason: d.text.clone().filter(|_| d.kind == DecisionKind::Reject),
        ..NoteBody::default()
    }))
}

/// The journal line of a responders' decision about suggestion `s`: approved, rejected (with
/// the reason), ran (with the outcome).
fn reference_step_summary(d: &ReferenceDecision, s: &super::Suggestion) -> String {
    match d.kind {
        DecisionKind::Approve => format!("approved {} {}", s.id, s.step_ref),
        DecisionKind::Reject => format!(
            "rejected {} {}: {}",
            s.id,
            s.step_ref,
            d.text.as_deref().unwrap_or("")
        ),
        _ => format!(
            "ran {} {}{}",
            s.id,
            s.step_ref,
            d.outcome
                .as_deref()
                .map(|o| format!(" → {o}"))
                .unwrap_or_default()
        ),
    }
}

/// The override an `override` record sets; `None` when it ends the one in force (`to: null`).
pub fn override_of(record: &JournalRecord) -> Option<crate::slo::ModeOverride> {
    let body = record.read_body();
    let o = body.override_()?;
    Some(crate::slo::ModeOverride {
        mode: o.to?,
        until: o.until?,
        by: record.actor.clone(),
        reason: o.reason.clone().unwrap_or_default(),
    })
}
