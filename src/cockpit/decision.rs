//! Human decisions and their journal records.
//!
//! A decision takes effect only once the journal has sealed (and stored) its record: a command
//! becomes an `Effect::Journal`, and the state changes when the record comes back as
//! `Event::Journaled`. Records written by another cockpit on the same journal arrive the same
//! way, so two people on one host see each other's approvals. A step executes only from the
//! cockpit whose approval completed it, and only if the policy allows it at that moment.

use serde::{Deserialize, Serialize};

use super::suggestion::{Fill, SuggestionId, SuggestionStatus, argv_hash};
use super::{Cockpit, Effect, role_name};
use crate::actions::silence::SilenceRequest;
use crate::actions::{Approval, Audit, Role, Step, StepKind, StepOrigin, Verdict};
use crate::alerts::{ClusterId, Fingerprint};
use crate::journal::{JournalEntry, JournalRecord, RecordKind};
use crate::training::{DecisionKind, ReferenceDecision};

/// What the person at this cockpit decided.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// Approve a suggestion (the UI has shown the exact argv and asked for confirmation).
    Approve(SuggestionId),
    Reject {
        id: SuggestionId,
        reason: String,
    },
    /// Replace a suggestion's argv; the result is a new, novel step.
    Edit {
        id: SuggestionId,
        argv: Vec<String>,
    },
    Note {
        text: String,
        hypothesis: bool,
        /// The cluster it is about (the focused one when it was written), if any.
        about: Option<ClusterId>,
    },
    /// The commander acknowledges a drift signal; the governor leaves the drift overlay.
    AcknowledgeDrift,
    /// The commander overrides the governor's mode (`to: None` ends the override in force),
    /// with a written reason, for `duration` (at most [`MAX_OVERRIDE`]).
    OverrideMode {
        to: Option<crate::slo::Mode>,
        reason: String,
        duration: crate::time::SignedDuration,
    },
    /// Record that a step was done by hand, outside flightdeck (what the policy tells people
    /// to do with a step it refuses): what was done and what happened. Nothing runs.
    RecordManual {
        id: SuggestionId,
        what: String,
    },
    /// Propose an Alertmanager silence for a cluster: once journaled it waits in the approvals
    /// queue and goes through the policy and the confirm flow like any step.
    ProposeSilence {
        cluster: ClusterId,
        silence: SilenceRequest,
    },
}

/// The longest a commander's mode override may last; it can be renewed, with a new reason.
pub const MAX_OVERRIDE: crate::time::SignedDuration = crate::time::SignedDuration::from_hours(4);

/// A mode override when none is asked for.
pub const DEFAULT_OVERRIDE: crate::time::SignedDuration =
    crate::time::SignedDuration::from_hours(1);

/// A silence proposal as the cockpit sees it: how many alerts it mutes in its cluster and
/// outside it, the step it becomes, and the policy's verdict before any approval.
#[derive(Debug, Clone, PartialEq)]
pub struct SilencePreview {
    pub inside: usize,
    pub outside: usize,
    pub step: Step,
    pub verdict: Verdict,
}

/// The outcome of running (or dry-running) an approved step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecOutcome {
    pub ok: bool,
    /// How a run that was not ok failed; `None` when it was ok (and in records written before
    /// flightdeck kept it: [`ExecOutcome::could_not_run`] then judges by the exit and summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ExecFailure>,
    pub exit_code: Option<i32>,
    /// One line: "exit 0 in 1.2s", "killed after timeout 30s", "dry run".
    pub summary: String,
    pub duration_ms: u64,
    pub dry_run: bool,
    /// Where the captured stdout and stderr are kept (content-addressed beside the journal,
    /// named by their BLAKE3 hash, so the output is as tamper-evident as this record). `None`
    /// for dry runs, silences, and runs journaled before flightdeck kept output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<StepOutput>,
}

/// The captured output of a run: one object per stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutput {
    pub stdout: OutputObject,
    pub stderr: OutputObject,
}

/// One stream's kept bytes, named by their BLAKE3 hash (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputObject {
    pub blake3: String,
    /// Bytes kept (at most the executor's cap).
    pub bytes: u64,
    /// Bytes beyond the cap: read, counted and dropped.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How a run failed: whether the step ran at all tells a runbook that no longer works from an
/// outage a diagnostic rightly reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecFailure {
    /// The program could not be started (not found, permission denied, …).
    Spawn,
    /// It ran past its timeout and was killed.
    Timeout,
    /// It ran and exited non-zero (`exit_code`; 126 and 127 are a shell's "cannot execute" and
    /// "not found").
    Exit,
    /// It ran and was ended by a signal (not the timeout's).
    Signal,
    /// The API that carries the step out (Alertmanager, for a silence) failed or refused it.
    Api,
}

impl ExecOutcome {
    /// The step could not run as written: it was not started (not found, no permission), a
    /// shell or wrapper could not execute its command (exit 127, 126), or it was killed at its
    /// timeout. A run that exited non-zero otherwise did run — a diagnostic that fails because
    /// the outage is real (`curl` to an exporter that is down) says nothing about its runbook.
    /// Records from before `failure` was kept are judged by their exit code and summary.
    pub fn could_not_run(&self) -> bool {
        if self.ok || self.dry_run {
            return false;
        }
        let not_executable = matches!(self.exit_code, Some(126 | 127));
        match self.failure {
            Some(ExecFailure::Spawn | ExecFailure::Timeout) => true,
            Some(ExecFailure::Exit) => not_executable,
            Some(ExecFailure::Signal | ExecFailure::Api) => false,
            None => match self.exit_code {
                Some(_) => not_executable,
                None => {
                    self.summary.starts_with("did not run") || self.summary.starts_with("timed out")
                }
            },
        }
    }
}

/// An approved step for the executor.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecRequest {
    pub suggestion: SuggestionId,
    pub step: Step,
    pub argv: Vec<String>,
    /// Label values, for steps that declare `shell: true` (environment variables, never text).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Annotation values of the same alert (`FD_ANNOTATION_*` of a shell step).
    pub annotations: std::collections::BTreeMap<String, String>,
    pub dry_run: bool,
    /// Hash of the approval record that completed the approvals.
    pub approval: String,
}

/// The body of approval, rejection, edit and execution records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    /// `runbook-id/step-id`.
    pub step: String,
    pub argv: Vec<String>,
    pub argv_hash: String,
    /// The effective mode when the record was written.
    pub mode: crate::slo::Mode,
    /// The cockpit session that wrote it (executions run only in the approving session).
    pub session: String,
    /// The alert whose labels filled the step.
    #[serde(default)]
    pub source: Option<String>,
    /// The full step, so another cockpit can rebuild an edited step it never saw.
    #[serde(default)]
    pub definition: Option<Step>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub exec: Option<ExecOutcome>,
    /// Hashes of the approval records an execution ran under.
    #[serde(default)]
    pub approvals: Vec<String>,
    #[serde(default)]
    pub policy: Option<Verdict>,
    /// Written by replaying a scenario's reference decisions.
    #[serde(default)]
    pub replayed: bool,
    /// A `rejection` written by flightdeck (role `system`), not a person: the step waited
    /// while its cluster stopped firing; `reason` says "obsolete: C3 resolved at 15:09".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub obsolete: bool,
    /// What the cockpit showed when the decision was taken (clusters, budgets, mode, options):
    /// the symptoms of the decision-data export.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "shown")]
    pub context: Option<serde_json::Value>,
}

impl Cockpit {
    fn entry(&self, kind: RecordKind, summary: String, body: serde_json::Value) -> JournalEntry {
        JournalEntry {
            actor: self.config.actor.clone(),
            role: role_name(self.config.role).to_string(),
            kind,
            summary,
            body,
        }
    }

    fn step_record(&self, i: usize) -> Option<StepRecord> {
        let s = &self.suggestions[i];
        let argv = s.argv.clone().ok()?;
        Some(StepRecord {
            step: s.step_ref.clone(),
            argv_hash: argv_hash(&argv),
            argv,
            mode: self.governor.mode(),
            session: self.config.session.clone(),
            source: Some(s.source.to_string()),
            definition: Some(s.step.clone()),
            reason: None,
            outcome: None,
            exec: None,
            approvals: Vec::new(),
            policy: Some(s.verdict.clone()),
            replayed: false,
            obsolete: false,
            context: serde_json::to_value(crate::journal::DecisionContext::from_cockpit(self)).ok(),
        })
    }

    /// The record of a step whether or not it has an argv (a step without a target yet has
    /// none: an empty one); without the cockpit's context when `lean`.
    fn step_record_any(&self, i: usize, lean: bool) -> StepRecord {
        let s = &self.suggestions[i];
        let argv = s.argv.clone().unwrap_or_default();
        StepRecord {
            step: s.step_ref.clone(),
            argv_hash: argv_hash(&argv),
            argv,
            mode: self.governor.mode(),
            session: self.config.session.clone(),
            source: Some(s.source.to_string()),
            definition: Some(s.step.clone()),
            reason: None,
            outcome: None,
            exec: None,
            approvals: Vec::new(),
            policy: Some(s.verdict.clone()),
            replayed: false,
            obsolete: false,
            context: if lean {
                None
            } else {
                serde_json::to_value(crate::journal::DecisionContext::from_cockpit(self)).ok()
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
        let reason = format!("{cluster} resolved at {}", &at[..5]);
        let members: std::collections::HashSet<Fingerprint> = self
            .correlator
            .cluster(cluster)
            .map(|c| c.members.iter().copied().collect())
            .unwrap_or_default();
        // Its alerts fill steps again when they fire again.
        self.targets.filled.retain(|(fp, _)| !members.contains(fp));
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

    /// Alert `fp` resolved while its cluster still fires: a waiting step it filled now acts on
    /// nothing that is wrong, unless another active alert its runbook covers gives it the same
    /// values (then that alert fills it). Otherwise it is obsolete, like the steps of a
    /// resolved cluster; it is offered again if its alert fires again.
    pub(super) fn target_resolved(&mut self, fp: Fingerprint, effects: &mut Vec<Effect>) {
        let Some(cluster) = self.correlator.alert(fp).map(|t| t.cluster) else {
            return;
        };
        let at = crate::time::clock_hms(self.now);
        for (i, r) in self.filled_from(fp) {
            let step = self.suggestions[i].step.clone();
            let values = self.suggestions[i].values.clone();
            let other = self.covered_in(cluster, r).find(|&other| {
                other != fp
                    && self.correlator.alert(other).is_some_and(|t| {
                        step.fill(&t.alert.labels, &t.alert.annotations)
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
                            "the alert that filled it resolved at {} ({cluster} still fires)",
                            &at[..5]
                        )
                    } else {
                        format!(
                            "its target {} resolved at {} ({cluster} still fires)",
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
    fn make_obsolete(&mut self, i: usize, reason: String, effects: &mut Vec<Effect>) {
        self.suggestions[i].status = SuggestionStatus::Obsolete {
            reason: reason.clone(),
        };
        let mut body = self.step_record_any(i, true);
        body.reason = Some(format!("obsolete: {reason}"));
        body.obsolete = true;
        let s = &self.suggestions[i];
        effects.push(Effect::Journal(JournalEntry {
            actor: "flightdeck".into(),
            role: "system".into(),
            kind: RecordKind::Rejection,
            summary: format!("{} {} obsolete: {reason}", s.id, s.step_ref),
            body: to_value(&body),
        }));
    }

    fn index_of(&self, id: SuggestionId) -> Option<usize> {
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
        );
        if decides && self.config.readonly {
            effects.push(Effect::Notice(
                "read-only cockpit: approvals, rejections, edits and records of work done by hand are disabled (--readonly)"
                    .into(),
            ));
            return;
        }
        match cmd {
            UserCommand::Note {
                text,
                hypothesis,
                about,
            } => {
                let text = text.trim().to_string();
                if text.is_empty() {
                    return;
                }
                let kind = if hypothesis {
                    RecordKind::Hypothesis
                } else {
                    RecordKind::Note
                };
                let mut body = serde_json::json!({"text": text, "mode": self.governor.mode()});
                let mut summary = text;
                // What it is about, in terms another cockpit on the journal can resolve: the
                // cluster's alert names and one member's fingerprint (cluster ids are local).
                if let Some(c) = about.and_then(|id| self.correlator.cluster(id))
                    && let Some(source) = c
                        .origin
                        .as_ref()
                        .map(|o| o.fingerprint)
                        .or_else(|| c.members.first().copied())
                {
                    body["cluster"] = serde_json::json!(c.id.to_string());
                    body["source"] = serde_json::json!(source.to_string());
                    body["alertnames"] = serde_json::json!(c.alertnames);
                    body["services"] = serde_json::json!(c.services);
                    summary = format!("{}: {summary}", c.id);
                }
                effects.push(Effect::Journal(self.entry(kind, summary, body)));
            }
            UserCommand::AcknowledgeDrift => {
                if self.config.role != Role::Commander {
                    effects.push(Effect::Notice(
                        "only the incident commander can acknowledge drift (--role commander)"
                            .into(),
                    ));
                    return;
                }
                if self.governor.drift().is_none() {
                    effects.push(Effect::Notice("no drift signal to acknowledge".into()));
                    return;
                }
                let body = serde_json::json!({
                    "acknowledge": "drift",
                    "mode": self.governor.mode(),
                    "session": self.config.session,
                });
                let e = self.entry(RecordKind::Note, "acknowledged drift".into(), body);
                effects.push(Effect::Journal(e));
            }
            UserCommand::ProposeSilence { cluster, silence } => {
                self.propose_silence(cluster, silence, effects)
            }
            UserCommand::OverrideMode {
                to,
                reason,
                duration,
            } => self.override_mode(to, reason, duration, effects),
            UserCommand::Approve(id)
            | UserCommand::Reject { id, .. }
            | UserCommand::Edit { id, .. }
            | UserCommand::RecordManual { id, .. }
                if self.index_of(id).is_none() =>
            {
                effects.push(Effect::Notice(format!("{id} no longer exists")));
            }
            UserCommand::Approve(id) => {
                let i = self.index_of(id).expect("checked above");
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
                if s.approvals.iter().any(|a| a.by == self.config.actor) {
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
            UserCommand::Reject { id, reason } => {
                let i = self.index_of(id).expect("checked above");
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
            UserCommand::RecordManual { id, what } => {
                let i = self.index_of(id).expect("checked above");
                let what = what.trim().to_string();
                if what.is_empty() {
                    effects.push(Effect::Notice(
                        "a record of work done by hand needs what was done and what happened"
                            .into(),
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
            UserCommand::Edit { id, argv } => {
                let i = self.index_of(id).expect("checked above");
                if argv.is_empty() || argv[0].trim().is_empty() {
                    effects.push(Effect::Notice("an edited step needs a command".into()));
                    return;
                }
                // A step without a target has no argv yet: the edited one is the person's own.
                let mut body = self.step_record_any(i, false);
                let mut step = self.suggestions[i].step.clone();
                step.origin = StepOrigin::Edited;
                step.audited = None;
                step.argv = argv.clone();
                step.id = format!("{}-edited", step.id.trim_end_matches("-edited"));
                body.step = format!("{}/{}", self.suggestions[i].runbook, step.id);
                body.argv_hash = argv_hash(&argv);
                body.argv = argv;
                body.definition = Some(step);
                let summary = format!("edited {} into {}", self.suggestions[i].step_ref, body.step);
                let e = self.entry(RecordKind::Edit, summary, to_value(&body));
                effects.push(Effect::Journal(e));
            }
        }
    }

    fn override_mode(
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
            None => serde_json::json!({
                "mode": self.governor.mode(),
                "to": null,
                "reason": reason,
                "session": self.config.session,
            }),
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
                serde_json::json!({
                    "mode": self.governor.mode(),
                    "to": mode,
                    "until": until,
                    "reason": reason,
                    "session": self.config.session,
                })
            }
        };
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

    /// What a proposed silence would mute besides its cluster: `(in the cluster, outside it)`,
    /// counting every alert the cockpit tracks.
    pub fn silence_reach(&self, cluster: ClusterId, silence: &SilenceRequest) -> (usize, usize) {
        let mut inside = 0;
        let mut outside = 0;
        for t in self.correlator.alerts() {
            if silence.matches(&t.alert.labels) {
                if t.cluster == cluster {
                    inside += 1;
                } else {
                    outside += 1;
                }
            }
        }
        (inside, outside)
    }

    /// What a silence proposal would become, with what it mutes and what the policy would say
    /// before anyone approves it: the form's preview, and the proposal itself.
    pub fn preview_silence(&self, cluster: ClusterId, silence: &SilenceRequest) -> SilencePreview {
        let (inside, outside) = self.silence_reach(cluster, silence);
        // Pre-audited when it mutes only alerts of its cluster (flightdeck checked that, and
        // says so); otherwise an unaudited mitigation, which the policy treats accordingly.
        let audited = (inside > 0 && outside == 0).then(|| Audit {
            by: format!("flightdeck: mutes only the {inside} alert(s) of {cluster}"),
            on: self.now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        });
        let argv = silence.to_argv();
        let step = Step {
            id: format!("silence-{}", &argv_hash(&argv)[..8]),
            title: format!("Silence {cluster}: {}", silence.describe()),
            kind: StepKind::Mitigation,
            argv,
            shell: false,
            script: None,
            timeout: None,
            audited,
            origin: StepOrigin::Silence,
        };
        let verdict = crate::actions::policy(
            self.governor.base_mode(),
            crate::actions::Overlays {
                novel: self.is_novel(cluster),
                drift: self.governor.drift().is_some(),
            },
            &crate::actions::StepClass::from(&step),
            &[],
        );
        SilencePreview {
            inside,
            outside,
            step,
            verdict,
        }
    }

    /// A silence was pre-audited because it muted only its cluster; alerts that arrived since
    /// may have changed that. Checked again when an approval comes in, before anything runs.
    fn recheck_silence(&mut self, i: usize, effects: &mut Vec<Effect>) {
        let s = &self.suggestions[i];
        if s.step.origin != StepOrigin::Silence || s.step.audited.is_none() {
            return;
        }
        let (Some(cluster), Some(silence)) = (
            self.suggestion_cluster(s),
            s.argv
                .as_ref()
                .ok()
                .and_then(|argv| SilenceRequest::from_argv(argv).ok()),
        ) else {
            return;
        };
        let (_, outside) = self.silence_reach(cluster, &silence);
        if outside > 0 {
            let id = s.id;
            self.suggestions[i].step.audited = None;
            effects.push(Effect::Notice(format!(
                "{id} would now also mute {outside} alert(s) outside {cluster}: it is no longer \
                 pre-audited, and the policy treats it so"
            )));
        }
    }

    fn propose_silence(
        &mut self,
        cluster: ClusterId,
        silence: SilenceRequest,
        effects: &mut Vec<Effect>,
    ) {
        let Some(c) = self.correlator.cluster(cluster) else {
            effects.push(Effect::Notice(format!("{cluster} no longer exists")));
            return;
        };
        let SilencePreview {
            inside,
            outside,
            step,
            ..
        } = self.preview_silence(cluster, &silence);
        if inside == 0 {
            effects.push(Effect::Notice(format!(
                "the silence would mute no alert of {cluster}: check the matchers"
            )));
            return;
        }
        // The alert the step is attached to: a member the silence mutes, firing if any.
        let members: Vec<&crate::alerts::TrackedAlert> = c
            .members
            .iter()
            .filter_map(|fp| self.correlator.alert(*fp))
            .filter(|t| silence.matches(&t.alert.labels))
            .collect();
        let Some(source) = members
            .iter()
            .find(|t| t.alert.state == crate::alerts::AlertState::Firing)
            .or(members.first())
            .map(|t| t.fingerprint)
        else {
            return;
        };
        let argv = step.argv.clone();
        let body = StepRecord {
            step: format!("silence/{}", step.id),
            argv_hash: argv_hash(&argv),
            argv,
            mode: self.governor.mode(),
            session: self.config.session.clone(),
            source: Some(source.to_string()),
            definition: Some(step),
            reason: Some(silence.comment.clone()),
            outcome: None,
            exec: None,
            approvals: Vec::new(),
            policy: None,
            replayed: false,
            obsolete: false,
            context: serde_json::to_value(crate::journal::DecisionContext::from_cockpit(self)).ok(),
        };
        let also = if outside > 0 {
            format!(" (also mutes {outside} alert(s) outside it)")
        } else {
            String::new()
        };
        let summary = format!(
            "proposed silence of {cluster}: {}{also} — {}",
            silence.describe(),
            silence.comment
        );
        let e = self.entry(RecordKind::Proposal, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }

    /// A recorded decision of the real responders, replayed: journaled as theirs, never
    /// executed (their execution is history, recorded with its outcome).
    pub(super) fn reference_decision(&mut self, d: ReferenceDecision, effects: &mut Vec<Effect>) {
        let mode = self.governor.mode();
        let entry = |kind, summary: String, body: serde_json::Value| JournalEntry {
            actor: d.actor.clone(),
            role: role_name(d.role).to_string(),
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
            let body = serde_json::json!({"text": text, "mode": mode, "replayed": true});
            effects.push(Effect::Journal(entry(kind, text, body)));
            return;
        }
        let step_ref = d.step.clone().unwrap_or_default();
        // With the argv the responders decided about on record: the suggestion with exactly
        // that argv, else the step as this cockpit offers it (which may differ: a mismatch).
        let recorded = d.argv.as_deref();
        let exact = recorded.is_some_and(|a| {
            self.suggestions
                .iter()
                .any(|s| s.step_ref == step_ref && s.argv.as_deref().ok() == Some(a))
        });
        let found = if exact {
            self.find_or_offer(&step_ref, recorded)
        } else {
            self.find_or_offer(&step_ref, None)
        };
        if let (Some(argv), Some(i)) = (recorded, found)
            && self.suggestions[i].argv.as_deref().ok() != Some(argv)
        {
            effects.push(Effect::Journal(entry(
                RecordKind::Note,
                reference_mismatch_summary(&d, &self.suggestions[i]),
                serde_json::json!({
                    "step": step_ref,
                    "decision": d.kind,
                    "replayed": true,
                    "mismatch": true,
                    "argv": argv,
                    "offered": {"suggestion": self.suggestions[i].id.to_string(), "argv": self.suggestions[i].argv.as_ref().ok()},
                    "outcome": d.outcome,
                    "reason": d.text.clone().filter(|_| d.kind == DecisionKind::Reject),
                    "mode": mode,
                }),
            )));
            return;
        }
        let Some(i) = found else {
            let body = serde_json::json!({"step": step_ref, "decision": d.kind, "replayed": true});
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
        let s = &self.suggestions[i];
        let summary = match d.kind {
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
        };
        effects.push(Effect::Journal(entry(kind, summary, to_value(&body))));
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
        let s = &self.suggestions[i];
        body.approvals = s.approval_records.clone();
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
    fn staleness_of_run(&self, body: &StepRecord, exec: &ExecOutcome) -> Option<String> {
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
        let kind = body.definition.as_ref().map(|d| d.kind).or_else(|| {
            let (runbook, step) = body.step.split_once('/')?;
            self.knowledge
                .runbooks
                .iter()
                .find(|r| r.id == runbook)?
                .steps
                .iter()
                .find(|s| s.id == step)
                .map(|s| s.kind)
        });
        match kind {
            Some(StepKind::Mitigation | StepKind::Experiment) => Some(exec.summary.clone()),
            Some(StepKind::Diagnostic) | None => None,
        }
    }

    /// Whether this cockpit session wrote `record` (its body names the session).
    fn written_here(&self, record: &JournalRecord) -> bool {
        record.body.get("session").and_then(|v| v.as_str()) == Some(self.config.session.as_str())
    }

    /// A sealed record (ours or another cockpit's) changes the state it describes.
    pub(super) fn journaled(&mut self, record: &JournalRecord, effects: &mut Vec<Effect>) {
        if record.kind == RecordKind::Note
            && record.body.get("acknowledge").and_then(|v| v.as_str()) == Some("drift")
        {
            if let Some(change) = self.governor.acknowledge_drift(record.ts, &record.actor) {
                let ours = self.written_here(record);
                self.mode_changed_by_record(change, ours, effects);
            }
            self.refresh_verdicts();
            return;
        }
        if record.kind == RecordKind::Override {
            let change = match override_of(record) {
                Some(o) => self.governor.set_override(record.ts, o),
                None => self.governor.end_override(record.ts, &record.actor),
            };
            if let Some(change) = change {
                let ours = self.written_here(record);
                self.mode_changed_by_record(change, ours, effects);
            }
            self.refresh_verdicts();
            return;
        }
        // A hypothesis about an incident is acting on its alerts (a plain note is not).
        if record.kind == RecordKind::Hypothesis {
            let names: Vec<String> =
                crate::journal::body_field(&record.body, "alertnames").unwrap_or_default();
            for name in names {
                self.correlator.note_action(&name, record.ts);
            }
            return;
        }
        let decision = matches!(
            record.kind,
            RecordKind::Approval
                | RecordKind::Rejection
                | RecordKind::Execution
                | RecordKind::Edit
                | RecordKind::Proposal
                | RecordKind::Manual
        );
        if !decision {
            return;
        }
        let Ok(body) = serde_json::from_value::<StepRecord>(record.body.clone()) else {
            return;
        };
        // flightdeck's record of a step gone obsolete: every cockpit derives that from the
        // alerts itself, and nobody acted on the incident.
        if body.obsolete {
            return;
        }
        // Somebody acted on this incident: its alerts are not "never acted on" noise.
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
        // The last real run of a step says whether its runbook still works, whether or not
        // this cockpit still offers the step.
        if record.kind == RecordKind::Execution
            && let Some(exec) = body.exec.as_ref().filter(|e| !e.dry_run)
        {
            match self.staleness_of_run(&body, exec) {
                Some(what) => {
                    self.staleness.failed_steps.insert(body.step.clone(), what);
                }
                None => {
                    self.staleness.failed_steps.remove(&body.step);
                }
            }
        }
        let i = match self.find_or_offer(&body.step, Some(&body.argv)) {
            Some(i) => i,
            None => {
                // An edited step from another cockpit: rebuild it from its definition.
                let (Some(step), Some(source)) = (
                    body.definition.clone(),
                    body.source
                        .as_deref()
                        .and_then(|s| s.parse::<Fingerprint>().ok()),
                ) else {
                    return;
                };
                let runbook = body.step.split('/').next().unwrap_or_default().to_string();
                self.push_suggestion(source, &runbook, step, Fill::Given(body.argv.clone()))
            }
        };
        let role: Role = record.role.parse().unwrap_or(Role::Trainee);
        match record.kind {
            // find_or_offer (or the definition) created the edited or proposed step.
            RecordKind::Edit | RecordKind::Proposal => {}
            RecordKind::Approval => {
                let s = &mut self.suggestions[i];
                if !s.approvals.iter().any(|a| a.by == record.actor) {
                    s.approvals.push(Approval {
                        by: record.actor.clone(),
                        role,
                        mode: body.mode,
                    });
                    s.approval_records.push(record.hash.clone());
                }
                self.recheck_silence(i, effects);
                self.refresh_verdict(i);
                let s = &self.suggestions[i];
                let ours = body.session == self.config.session;
                // Checked again right before it would run: its incident still going on, the
                // policy still allowing it.
                let active = self
                    .suggestion_cluster(s)
                    .is_some_and(|c| self.cluster_active(c));
                if ours {
                    let why = match (&s.status, &s.verdict) {
                        (SuggestionStatus::Obsolete { reason }, _) => {
                            Some(format!("obsolete: {reason}"))
                        }
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
                if ours
                    && active
                    && s.status == SuggestionStatus::Pending
                    && s.verdict == Verdict::Allowed
                {
                    let (labels, annotations) = self
                        .correlator
                        .alert(s.source)
                        .map(|t| (t.alert.labels.clone(), t.alert.annotations.clone()))
                        .unwrap_or_default();
                    effects.push(Effect::Execute(ExecRequest {
                        suggestion: s.id,
                        step: s.step.clone(),
                        argv: body.argv.clone(),
                        labels,
                        annotations,
                        dry_run: self.config.dry_run,
                        approval: record.hash.clone(),
                    }));
                    self.suggestions[i].status = SuggestionStatus::Running;
                }
            }
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
}

/// The journal line of a responders' decision whose recorded argv is not the argv this cockpit
/// offers for the step: a mismatch, never that step's outcome.
fn reference_mismatch_summary(d: &ReferenceDecision, offered: &super::Suggestion) -> String {
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

/// The override an `override` record sets; `None` when it ends the one in force (`to: null`).
pub fn override_of(record: &JournalRecord) -> Option<crate::slo::ModeOverride> {
    use crate::journal::body_field;
    Some(crate::slo::ModeOverride {
        mode: body_field(&record.body, "to")?,
        until: body_field(&record.body, "until")?,
        by: record.actor.clone(),
        reason: body_field(&record.body, "reason").unwrap_or_default(),
    })
}

fn to_value(body: &StepRecord) -> serde_json::Value {
    serde_json::to_value(body).unwrap_or_default()
}
