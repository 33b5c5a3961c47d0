//! Human decisions and their journal records.
//!
//! A decision takes effect only once the journal has sealed (and stored) its record: a command
//! becomes an `Effect::Journal`, and the state changes when the record comes back as
//! `Event::Journaled`. Records written by another cockpit on the same journal arrive the same
//! way, so two people on one host see each other's approvals. A step executes only from the
//! cockpit whose approval completed it, and only if the policy allows it at that moment.

use super::suggestion::{SuggestionId, SuggestionStatus, argv_hash};
use super::{Cockpit, Effect};
use crate::actions::{Role, StepRef, Verdict};
use crate::alerts::{ClusterId, Fingerprint};
use crate::journal::{
    JournalEntry, KindBody, NoteBody, OverrideBody, RecordBody, RecordKind, RecordRole,
};

mod command;
pub use command::{
    DEFAULT_OVERRIDE, MAX_OVERRIDE, NoteKind, SilencePreview, StepRecord, UserCommand,
};

impl Cockpit {
    pub(super) fn entry(
        &self,
        kind: RecordKind,
        summary: String,
        body: serde_json::Value,
    ) -> JournalEntry {
        JournalEntry {
            actor: self.config.actor.clone(),
            role: self.config.role.into(),
            kind,
            summary,
            body,
        }
    }

    pub(super) fn step_record(&self, i: usize) -> Option<StepRecord> {
        let s = &self.suggestions[i];
        let argv = s.argv.clone().ok()?;
        Some(StepRecord {
            step: s.step_ref.clone(),
            argv_hash: argv_hash(&argv),
            argv,
            mode: self.governor.mode(),
            session: self.config.session.clone(),
            source: Some(s.source.to_string()),
            source_start: self.correlator.alert(s.source).map(|t| t.alert.starts_at),
            cluster: self.incident_name(s.source),
            definition: Some(s.step.clone()),
            reason: None,
            outcome: None,
            exec: None,
            approvals: Vec::new(),
            void_approvals: Vec::new(),
            policy: Some(s.verdict.clone()),
            replayed: false,
            obsolete: false,
            context: serde_json::to_value(self.decision_context()).ok(),
        })
    }

    /// The record of a step whether or not it has an argv (a step without a target yet has
    /// none: an empty one); without the cockpit's context when `lean`.
    pub(super) fn step_record_any(&self, i: usize, lean: bool) -> StepRecord {
        let s = &self.suggestions[i];
        let argv = s.argv.clone().unwrap_or_default();
        StepRecord {
            step: s.step_ref.clone(),
            argv_hash: argv_hash(&argv),
            argv,
            mode: self.governor.mode(),
            session: self.config.session.clone(),
            source: Some(s.source.to_string()),
            source_start: self.correlator.alert(s.source).map(|t| t.alert.starts_at),
            cluster: self.incident_name(s.source),
            definition: Some(s.step.clone()),
            reason: None,
            outcome: None,
            exec: None,
            approvals: Vec::new(),
            void_approvals: Vec::new(),
            policy: Some(s.verdict.clone()),
            replayed: false,
            obsolete: false,
            context: if lean {
                None
            } else {
                serde_json::to_value(self.decision_context()).ok()
            },
        }
    }

    /// Cluster `cluster` stopped firing (every member resolved): each step of it still waiting
    /// for a decision becomes obsolete, is no longer approvable, and is journaled once as a
    /// `rejection` by flightdeck (role `system`, `obsolete: true`). Steps already approved
    /// and running finish; decided ones stay decided. If the cluster fires again, its runbooks'
    /// steps are offered again as new suggestions.
    pub(super) fn obsolete_steps(&mut self, cluster: ClusterId, effects: &mut Vec<Effect>) {
        let at = crate::time::clock_hms(self.now);
        let reason = format!("{} resolved at {}", self.cluster_name(cluster), &at[..5]);
        let members: Vec<Fingerprint> = self
            .correlator
            .cluster(cluster)
            .map(|c| c.members.clone())
            .unwrap_or_default();
        // Its alerts fill steps again when they fire again.
        self.unfill_all(&members);
        // Its suggestions are those of its members (in the order they were offered).
        let mut of_cluster: Vec<usize> = members
            .iter()
            .flat_map(|fp| self.suggestions_from(*fp))
            .collect();
        of_cluster.sort_unstable();
        of_cluster.dedup();
        for i in of_cluster {
            let s = &self.suggestions[i];
            if s.status == SuggestionStatus::Pending && self.suggestion_cluster(s) == Some(cluster)
            {
                self.make_obsolete(i, reason.clone(), effects);
            }
        }
    }

    /// Cluster `cluster` is understood anew: clusters merged into it (what looked like two
    /// incidents is one), or the runbooks it is offered changed. A step still waiting for a
    /// decision, without approvals, becomes obsolete (journaled once, as flightdeck's
    /// rejection) when
    /// - its runbook is no longer one the cluster is offered (it matches no longer well);
    /// - it is a duplicate: two merged clusters each offered it for the same target, or one
    ///   offered it without a target and the other with one. The one that counts stays
    ///   (decided, or holding approvals, else the earlier offered).
    ///
    /// So what waits for a decision is what a cockpit that saw the incident whole from the
    /// start offers, however its alerts were cut into notifications.
    pub(super) fn retire_stale(&mut self, cluster: ClusterId, effects: &mut Vec<Effect>) {
        let Some(c) = self.correlator.cluster(cluster) else {
            return;
        };
        let offered: Vec<&str> = self
            .offered_runbooks(cluster)
            .into_iter()
            .map(|r| self.knowledge.runbooks[r].id.as_str())
            .collect();
        let mut of_cluster: Vec<usize> = c
            .members
            .iter()
            .flat_map(|fp| self.suggestions_from(*fp))
            .filter(|&i| {
                let s = &self.suggestions[i];
                !matches!(s.status, SuggestionStatus::Obsolete { .. })
                    && self.suggestion_cluster(s) == Some(cluster)
            })
            .collect();
        of_cluster.sort_unstable();
        of_cluster.dedup();
        if of_cluster.len() < 2 {
            return;
        }
        // Those that count first (decided or approved), then in the order offered.
        let open =
            |s: &super::Suggestion| s.status == SuggestionStatus::Pending && s.approvals.is_empty();
        // Targeted before untargeted: a step waiting for a target goes once one has it.
        of_cluster.sort_by_key(|&i| {
            let s = &self.suggestions[i];
            (open(s), !s.targeted, i)
        });
        let mut kept: Vec<usize> = Vec::new();
        let mut retire: Vec<(usize, Option<usize>)> = Vec::new();
        for i in of_cluster {
            let s = &self.suggestions[i];
            if open(s) && !offered.contains(&s.runbook.as_str()) {
                retire.push((i, None));
                continue;
            }
            let twin = kept.iter().copied().find(|&k| {
                let o = &self.suggestions[k];
                o.step_ref == s.step_ref
                    && (!s.targeted
                        || (o.targeted
                            && (o.values == s.values
                                || (o.argv.is_ok()
                                    && o.argv.as_ref().ok() == s.argv.as_ref().ok()))))
            });
            match twin {
                Some(k) if open(s) => retire.push((i, Some(k))),
                _ => kept.push(i),
            }
        }
        let name = self.cluster_name(cluster);
        for (i, k) in retire {
            let Some(k) = k else {
                // Its alert fills the step again if the runbook comes back.
                let s = &self.suggestions[i];
                if s.targeted
                    && let Some(r) = self
                        .knowledge
                        .runbooks
                        .iter()
                        .position(|b| b.id == s.runbook)
                {
                    self.targets.unfill(s.source, r);
                }
                let reason = format!(
                    "{} no longer matches {name} well enough to offer its steps",
                    self.suggestions[i].runbook
                );
                self.make_obsolete(i, reason, effects);
                continue;
            };
            let reason = if self.suggestions[i].targeted {
                format!(
                    "the same step for the same target is {} ({name} is one incident)",
                    self.suggestions[k].id
                )
            } else {
                format!(
                    "{} has a target for this step ({name} is one incident)",
                    self.suggestions[k].id
                )
            };
            self.make_obsolete(i, reason, effects);
        }
    }

    /// Alert `fp` resolved while its cluster still fires: a waiting step it filled now acts on
    /// nothing that is wrong, unless another active alert its runbook covers gives it the same
    /// values (then that alert fills it). Otherwise it is obsolete, like the steps of a
    /// resolved cluster; it is offered again if its alert fires again.
    pub(super) fn target_resolved(&mut self, fp: Fingerprint, effects: &mut Vec<Effect>) {
        let Some(cluster) = self.correlator.alert(fp).map(|t| t.cluster) else {
            return;
        };
        let filled = self.filled_from(fp);
        if filled.is_empty() {
            return;
        }
        let at = crate::time::clock_hms(self.now);
        let name = self.cluster_name(cluster);
        for (i, r) in filled {
            let step = self.suggestions[i].step.clone();
            let values = self.suggestions[i].values.clone();
            let other = self.covered_in(cluster, r).find(|&other| {
                other != fp
                    && self.correlator.alert(other).is_some_and(|t| {
                        // Filling is dear; an alert without the values cannot give them.
                        crate::actions::may_give_values(
                            &values,
                            &t.alert.labels,
                            &t.alert.annotations,
                        ) && step
                            .fill(&t.alert.labels, &t.alert.annotations)
                            .is_ok_and(|f| f.values == values)
                    })
            });
            match other {
                Some(other) => {
                    self.suggestions[i].source = other;
                    self.targets.by_source.entry(other).or_default().push(i);
                }
                None => {
                    let target: Vec<String> = values
                        .iter()
                        .map(|(k, v)| {
                            format!("{}={v}", k.split_once('.').map_or(k.as_str(), |(_, n)| n))
                        })
                        .collect();
                    let reason = if target.is_empty() {
                        format!(
                            "the alert that filled it resolved at {} ({name} still fires)",
                            &at[..5]
                        )
                    } else {
                        format!(
                            "its target {} resolved at {} ({name} still fires)",
                            target.join(" "),
                            &at[..5]
                        )
                    };
                    self.make_obsolete(i, reason, effects);
                }
            }
        }
    }

    /// Marks a waiting step obsolete and journals it once.
    pub(super) fn make_obsolete(&mut self, i: usize, reason: String, effects: &mut Vec<Effect>) {
        self.suggestions[i].status = SuggestionStatus::Obsolete {
            reason: reason.clone(),
        };
        let mut body = self.step_record_any(i, true);
        body.reason = Some(format!("obsolete: {reason}"));
        body.obsolete = true;
        let s = &self.suggestions[i];
        effects.push(Effect::Journal(JournalEntry {
            actor: "flightdeck".into(),
            role: RecordRole::System,
            kind: RecordKind::Rejection,
            summary: format!("{} {} obsolete: {reason}", s.id, s.step_ref),
            body: to_value(&body),
        }));
    }

    pub(super) fn index_of(&self, id: SuggestionId) -> Option<usize> {
        self.suggestions.iter().position(|s| s.id == id)
    }

    pub(super) fn user_command(&mut self, cmd: UserCommand, effects: &mut Vec<Effect>) {
        let decides = matches!(
            cmd,
            UserCommand::Approve(_)
                | UserCommand::Reject { .. }
                | UserCommand::Edit { .. }
                | UserCommand::ProposeSilence { .. }
                | UserCommand::RecordManual { .. }
                | UserCommand::OverrideMode { .. }
                | UserCommand::ApproveExperiment { .. }
        );
        // A claim of the commander role outside the team's roster decides nothing (notes and
        // hypotheses are not decisions).
        if (decides || matches!(cmd, UserCommand::AcknowledgeDrift))
            && let Some(why) = self.config.commander_refusal()
        {
            effects.push(Effect::Notice(why));
            return;
        }
        if decides && self.config.readonly {
            effects.push(Effect::Notice(
                "read-only cockpit: approvals, rejections, edits and records of work done by hand are disabled (--readonly)"
                    .into(),
            ));
            return;
        }
        match cmd {
            UserCommand::ApproveExperiment {
                title,
                digest,
                argv,
            } => self.approve_experiment(&title, &digest, &argv, effects),
            UserCommand::HaltExperiment { run, title } => {
                self.halt_experiment(&run, &title, effects)
            }
            UserCommand::Note { text, kind, about } => self.note(&text, kind, about, effects),
            UserCommand::AcknowledgeDrift => self.acknowledge_drift(effects),
            UserCommand::ProposeSilence { cluster, silence } => {
                self.propose_silence(cluster, silence, effects)
            }
            UserCommand::OverrideMode {
                to,
                reason,
                duration,
            } => self.override_mode(to, reason, duration, effects),
            UserCommand::Approve(id) => self.approve(id, effects),
            UserCommand::Reject { id, reason } => self.reject(id, &reason, effects),
            UserCommand::RecordManual { id, what } => self.record_manual(id, &what, effects),
            UserCommand::Edit { id, argv } => self.edit(id, argv, effects),
        }
    }

    /// The index of suggestion `id`; `None` (and a notice) when it no longer exists.
    fn suggestion_at(&self, id: SuggestionId, effects: &mut Vec<Effect>) -> Option<usize> {
        let i = self.index_of(id);
        if i.is_none() {
            effects.push(Effect::Notice(format!("{id} no longer exists")));
        }
        i
    }

    /// `a` in the experiments view, confirmed: the approval of the whole experiment (method
    /// and rollbacks) bound to its digest and the mode now.
    fn approve_experiment(
        &self,
        title: &str,
        digest: &str,
        argv: &[Vec<String>],
        effects: &mut Vec<Effect>,
    ) {
        let mode = self.governor.mode();
        let body = serde_json::json!({
            "phase": "approve",
            "title": title,
            "digest": digest,
            "mode": mode,
            "argv": argv,
        });
        let summary = format!("approved experiment \"{title}\" (method and rollbacks) in {mode}");
        effects.push(Effect::Journal(self.entry(
            RecordKind::Experiment,
            summary,
            body,
        )));
    }

    /// `H` in the experiments view, confirmed: the `halt` record the run's guard watches for.
    fn halt_experiment(&self, run: &str, title: &str, effects: &mut Vec<Effect>) {
        if self.config.readonly {
            effects.push(Effect::Notice(
                "read-only cockpit: halting an experiment is disabled (--readonly); stop it where it runs (Ctrl-C)".into(),
            ));
            return;
        }
        let body = serde_json::json!({"phase": "halt", "run": run, "title": title});
        let summary = format!("asked to halt experiment \"{title}\" (run {run})");
        effects.push(Effect::Journal(self.entry(
            RecordKind::Experiment,
            summary,
            body,
        )));
    }

    /// A note or hypothesis, about a cluster when `about` names one.
    fn note(
        &self,
        text: &str,
        kind: NoteKind,
        about: Option<ClusterId>,
        effects: &mut Vec<Effect>,
    ) {
        let text = text.trim().to_string();
        if text.is_empty() {
            return;
        }
        let kind = kind.record_kind();
        let mut note = NoteBody {
            text: Some(text.clone()),
            ..NoteBody::default()
        };
        let mut summary = text;
        // What it is about, in terms another cockpit on the journal can resolve: the
        // cluster's name, its alert names and one member (the origin if it still
        // fires, else a firing member: one a cockpit started later still sees).
        if let Some(c) = about.and_then(|id| self.correlator.cluster(id))
            && let Some(source) = self.note_source(c)
        {
            note.cluster = Some(c.name.to_string());
            note.source = Some(source.to_string());
            note.source_start = self.correlator.alert(source).map(|t| t.alert.starts_at);
            note.alertnames = Some(c.alertnames.iter().cloned().collect());
            note.services = Some(c.services.iter().cloned().collect());
            summary = format!("{}: {summary}", c.name);
        }
        let body = RecordBody::of(KindBody::Note(note)).with_mode(self.governor.mode());
        effects.push(Effect::Journal(self.entry(kind, summary, body.to_value())));
    }

    /// The commander acknowledges the drift signal.
    fn acknowledge_drift(&self, effects: &mut Vec<Effect>) {
        if self.config.role != Role::Commander {
            effects.push(Effect::Notice(
                "only the incident commander can acknowledge drift (--role commander)".into(),
            ));
            return;
        }
        if self.governor.drift().is_none() {
            effects.push(Effect::Notice("no drift signal to acknowledge".into()));
            return;
        }
        let body = RecordBody::of(KindBody::Note(NoteBody {
            acknowledge: Some("drift".into()),
            ..NoteBody::default()
        }))
        .with_mode(self.governor.mode())
        .with_session(self.config.session.clone());
        let summary = "acknowledged drift".into();
        let e = self.entry(RecordKind::Note, summary, body.to_value());
        effects.push(Effect::Journal(e));
    }

    /// An approval of suggestion `id`: refused when obsolete, untargeted, not pending, already
    /// approved by this person, or refused by the policy.
    fn approve(&self, id: SuggestionId, effects: &mut Vec<Effect>) {
        let Some(i) = self.suggestion_at(id, effects) else {
            return;
        };
        let s = &self.suggestions[i];
        if let SuggestionStatus::Obsolete { reason } = &s.status {
            effects.push(Effect::Notice(format!("{id} is obsolete: {reason}")));
            return;
        }
        if !s.targeted {
            let why = s.argv.as_ref().err().cloned().unwrap_or_default();
            effects.push(Effect::Notice(format!(
                "{id} cannot be approved: {why} (e edits it into a new step)"
            )));
            return;
        }
        if s.status != SuggestionStatus::Pending {
            effects.push(Effect::Notice(format!("{id} is not pending")));
            return;
        }
        // Approving again what the policy allows starts it (the approvals it has were
        // given before the mode loosened, or in a cockpit no longer there).
        if s.approvals.iter().any(|a| a.by == self.config.actor) && s.verdict != Verdict::Allowed {
            effects.push(Effect::Notice(format!(
                "you already approved {id}; it needs someone else"
            )));
            return;
        }
        if let Verdict::Refused { reason } = &s.verdict {
            effects.push(Effect::Notice(format!(
                "{id} is refused by policy: {reason}"
            )));
            return;
        }
        let Some(body) = self.step_record(i) else {
            effects.push(Effect::Notice(format!("{id} has no runnable argv")));
            return;
        };
        let summary = format!("approved {} {}", s.id, s.step_ref);
        let e = self.entry(RecordKind::Approval, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }

    /// A rejection of suggestion `id`, with its reason.
    fn reject(&self, id: SuggestionId, reason: &str, effects: &mut Vec<Effect>) {
        let Some(i) = self.suggestion_at(id, effects) else {
            return;
        };
        if let SuggestionStatus::Obsolete { reason } = &self.suggestions[i].status {
            effects.push(Effect::Notice(format!("{id} is obsolete: {reason}")));
            return;
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            effects.push(Effect::Notice("a rejection needs a reason".into()));
            return;
        }
        let Some(mut body) = self.step_record(i) else {
            return;
        };
        body.reason = Some(reason.clone());
        let s = &self.suggestions[i];
        let summary = format!("rejected {} {}: {reason}", s.id, s.step_ref);
        let e = self.entry(RecordKind::Rejection, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }

    /// A record of suggestion `id` done by hand: what was done and what happened.
    fn record_manual(&self, id: SuggestionId, what: &str, effects: &mut Vec<Effect>) {
        let Some(i) = self.suggestion_at(id, effects) else {
            return;
        };
        let what = what.trim().to_string();
        if what.is_empty() {
            effects.push(Effect::Notice(
                "a record of work done by hand needs what was done and what happened".into(),
            ));
            return;
        }
        let s = &self.suggestions[i];
        if !matches!(
            s.status,
            SuggestionStatus::Pending
                | SuggestionStatus::Rejected { .. }
                | SuggestionStatus::Obsolete { .. }
        ) {
            effects.push(Effect::Notice(format!(
                "{id} was run or recorded already; write a note (n) to add to it"
            )));
            return;
        }
        let Some(mut body) = self.step_record(i) else {
            effects.push(Effect::Notice(format!(
                "{id} has no argv to record against; write a note (n) instead"
            )));
            return;
        };
        body.outcome = Some(what.clone());
        let summary = format!("did {} {} by hand: {what}", s.id, s.step_ref);
        let e = self.entry(RecordKind::Manual, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }

    /// Suggestion `id` edited into a new step, the person's own `argv`.
    fn edit(&self, id: SuggestionId, argv: Vec<String>, effects: &mut Vec<Effect>) {
        let Some(i) = self.suggestion_at(id, effects) else {
            return;
        };
        if argv.is_empty() || argv[0].trim().is_empty() {
            effects.push(Effect::Notice("an edited step needs a command".into()));
            return;
        }
        // A step without a target has no argv yet: the edited one is the person's own.
        let mut body = self.step_record_any(i, false);
        let mut step = self.suggestions[i].step.edited(argv.clone());
        step.id = format!("{}-edited", step.id.trim_end_matches("-edited"));
        body.step = StepRef::new(&self.suggestions[i].runbook, &step.id);
        body.argv_hash = argv_hash(&argv);
        body.argv = argv;
        body.definition = Some(step);
        let summary = format!("edited {} into {}", self.suggestions[i].step_ref, body.step);
        let e = self.entry(RecordKind::Edit, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }

    pub(super) fn override_mode(
        &mut self,
        to: Option<crate::slo::Mode>,
        reason: String,
        duration: crate::time::SignedDuration,
        effects: &mut Vec<Effect>,
    ) {
        let notice = |effects: &mut Vec<Effect>, text: &str| {
            effects.push(Effect::Notice(text.to_string()));
        };
        if self.config.role != Role::Commander {
            return notice(
                effects,
                "only the incident commander can override the mode (--role commander)",
            );
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return notice(effects, "an override needs a written reason: say why");
        }
        let current = self.governor.mode_override().map(|o| o.mode);
        let body = match to {
            None if current.is_none() => {
                return notice(effects, "no override is in force: nothing to end");
            }
            None => OverrideBody {
                to: None,
                until: None,
                reason: Some(reason.clone()),
            },
            Some(_) if duration <= crate::time::SignedDuration::ZERO || duration > MAX_OVERRIDE => {
                return notice(
                    effects,
                    &format!(
                        "an override lasts from a minute to {} (renew it to go on)",
                        crate::time::format_duration(MAX_OVERRIDE)
                    ),
                );
            }
            Some(mode) => {
                let until = self.now.saturating_add(duration).unwrap_or(self.now);
                OverrideBody {
                    to: Some(mode),
                    until: Some(until),
                    reason: Some(reason.clone()),
                }
            }
        };
        let body = RecordBody::of(KindBody::Override(body))
            .with_mode(self.governor.mode())
            .with_session(self.config.session.clone())
            .to_value();
        let summary = match to {
            Some(mode) => format!(
                "override to {} for {}: {reason}",
                mode.label(),
                crate::time::format_duration(duration)
            ),
            None => format!("ended the mode override: {reason}"),
        };
        let e = self.entry(RecordKind::Override, summary, body);
        effects.push(Effect::Journal(e));
    }
}

pub(super) fn to_value(body: &StepRecord) -> serde_json::Value {
    serde_json::to_value(body).unwrap_or_default()
}
