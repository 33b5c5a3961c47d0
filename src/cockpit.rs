//! The domain state of one incident cockpit and its only mutator, `Cockpit::apply`.
//!
//! Pure: every input arrives as an `Event` with the time it happened; everything that must
//! happen outside (journal appends, executions) leaves as an `Effect`. The same code runs live,
//! in replay, headless and in tests. It never reads a clock, a file or the network.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use crate::actions::{
    Approval, Overlays, Role, Step, StepClass, StepKind, Verdict, policy, render_argv,
};
use crate::alerts::{
    Alert, Cluster, ClusterConfig, ClusterId, Correlator, Fingerprint, TrackedAlert,
};
use crate::journal::{JournalEntry, JournalRecord, RecordKind};
use crate::knowledge::{DocRef, KnowledgeBase, KnowledgeMatch, MatchQuery};
use crate::slo::{BudgetStatus, Governor, Mode, ModeChange, SloSpec, SloState};
use crate::time::{SignedDuration, Timestamp};
use crate::training::{DecisionKind, ReferenceDecision};

/// How many journal records the cockpit keeps for the journal pane.
const JOURNAL_TAIL: usize = 200;
/// How many member alerts feed the text of a knowledge query.
const QUERY_MEMBERS: usize = 20;

/// Settings of the core; the edge fills them from config and flags.
#[derive(Debug, Clone)]
pub struct CockpitConfig {
    pub clustering: ClusterConfig,
    /// Hysteresis hold before the governor loosens the mode.
    pub mode_hold: SignedDuration,
    /// Executions are dry runs (replay, training).
    pub dry_run: bool,
}

impl Default for CockpitConfig {
    fn default() -> Self {
        CockpitConfig {
            clustering: ClusterConfig::default(),
            mode_hold: SignedDuration::from_mins(10),
            dry_run: true,
        }
    }
}

/// Something that happened, delivered to the core with the time it happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// Cumulative SLI counters of one SLO.
    Sample { slo: String, good: f64, total: f64 },
    /// An alert fired, was re-sent, suppressed or resolved.
    Alert(Alert),
    /// A recorded decision of the real responders (replay).
    Reference(ReferenceDecision),
    /// Time passed: re-evaluate budgets, the governor and verdicts.
    Tick,
    /// The journal sealed (and stored) a record the core asked for.
    Journaled(JournalRecord),
    /// A source reported its health.
    Source(SourceHealth),
}

/// Work for the edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Seal and store this entry, then deliver it back as `Event::Journaled`.
    Journal(JournalEntry),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    Ok,
    Stale,
    Down,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHealth {
    pub name: String,
    pub state: SourceState,
    pub last_ok: Option<Timestamp>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SuggestionId(pub u32);

impl std::fmt::Display for SuggestionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SuggestionStatus {
    Pending,
    Rejected {
        by: String,
        reason: String,
    },
    Executed {
        by: String,
        outcome: Option<String>,
        dry_run: bool,
    },
}

/// A runbook step offered for the focused incident, waiting for a human decision.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: SuggestionId,
    /// The alert whose labels filled the placeholders; its cluster is the suggestion's cluster.
    #[serde(serialize_with = "ser_display")]
    pub source: Fingerprint,
    pub runbook: String,
    pub step: Step,
    /// `runbook-id/step-id`.
    pub step_ref: String,
    /// The exact argv that would run, or why it cannot be built.
    pub argv: Result<Vec<String>, String>,
    pub approvals: Vec<Approval>,
    pub verdict: Verdict,
    pub status: SuggestionStatus,
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The cockpit: budgets, governor, clusters, knowledge matches, suggestions, journal tail.
pub struct Cockpit {
    config: CockpitConfig,
    now: Timestamp,
    slos: Vec<SloState>,
    budgets: Vec<BudgetStatus>,
    governor: Governor,
    correlator: Correlator,
    knowledge: KnowledgeBase,
    matches: BTreeMap<ClusterId, Vec<KnowledgeMatch>>,
    /// Clusters whose knowledge matches must be recomputed.
    dirty: BTreeSet<Fingerprint>,
    suggestions: Vec<Suggestion>,
    journal_tail: VecDeque<JournalRecord>,
    journal_len: u64,
    sources: Vec<SourceHealth>,
}

impl Cockpit {
    pub fn new(
        config: CockpitConfig,
        slos: Vec<SloSpec>,
        knowledge: KnowledgeBase,
        start: Timestamp,
    ) -> Self {
        let correlator = Correlator::new(config.clustering.clone());
        let governor = Governor::new(config.mode_hold);
        Cockpit {
            now: start,
            slos: slos.into_iter().map(SloState::new).collect(),
            budgets: Vec::new(),
            governor,
            correlator,
            knowledge,
            matches: BTreeMap::new(),
            dirty: BTreeSet::new(),
            suggestions: Vec::new(),
            journal_tail: VecDeque::new(),
            journal_len: 0,
            sources: Vec::new(),
            config,
        }
    }

    /// Applies one event that happened at `now`; returns the effects for the edge.
    pub fn apply(&mut self, event: Event, now: Timestamp) -> Vec<Effect> {
        self.now = self.now.max(now);
        let mut effects = Vec::new();
        match event {
            Event::Sample { slo, good, total } => {
                if let Some(s) = self.slos.iter_mut().find(|s| s.spec().name == slo) {
                    s.ingest(now, good, total);
                }
            }
            Event::Alert(alert) => {
                let fp = alert.fingerprint();
                self.correlator.observe(alert, now);
                self.dirty.insert(fp);
                self.refresh_knowledge();
            }
            Event::Reference(decision) => self.replay_decision(decision, &mut effects),
            Event::Tick => self.evaluate(&mut effects),
            Event::Journaled(record) => {
                self.journal_len = self.journal_len.max(record.seq + 1);
                self.journal_tail.push_back(record);
                while self.journal_tail.len() > JOURNAL_TAIL {
                    self.journal_tail.pop_front();
                }
            }
            Event::Source(health) => {
                match self.sources.iter_mut().find(|s| s.name == health.name) {
                    Some(s) => *s = health,
                    None => self.sources.push(health),
                }
            }
        }
        effects
    }

    // ---- reading the state (the UI and the headless printer) --------------------------------

    pub fn now(&self) -> Timestamp {
        self.now
    }
    pub fn budgets(&self) -> &[BudgetStatus] {
        &self.budgets
    }
    pub fn slo_specs(&self) -> impl Iterator<Item = &SloSpec> {
        self.slos.iter().map(|s| s.spec())
    }
    pub fn mode(&self) -> Mode {
        self.governor.mode()
    }
    pub fn mode_reason(&self) -> &str {
        self.governor.reason()
    }
    pub fn deciding_slo(&self) -> Option<&str> {
        self.governor.deciding_slo()
    }
    pub fn clusters(&self) -> &[Cluster] {
        self.correlator.clusters()
    }
    pub fn cluster(&self, id: ClusterId) -> Option<&Cluster> {
        self.correlator.cluster(id)
    }
    pub fn alert(&self, fp: Fingerprint) -> Option<&TrackedAlert> {
        self.correlator.alert(fp)
    }
    pub fn alert_count(&self) -> usize {
        self.correlator.len()
    }
    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.knowledge
    }
    /// Ranked knowledge for a cluster, best first.
    pub fn matches(&self, id: ClusterId) -> &[KnowledgeMatch] {
        self.matches.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The best runbook for a cluster, if it is a good match.
    pub fn top_runbook(&self, id: ClusterId) -> Option<&crate::knowledge::Runbook> {
        self.matches(id).iter().find_map(|m| match m.doc {
            DocRef::Runbook(i) if m.good => self.knowledge.runbooks.get(i),
            _ => None,
        })
    }
    /// A cluster no runbook or past incident matches well: human judgment, no automation.
    pub fn is_novel(&self, id: ClusterId) -> bool {
        !self.matches(id).iter().any(|m| m.good)
    }
    pub fn suggestions(&self) -> &[Suggestion] {
        &self.suggestions
    }
    /// What waits for a decision: pending suggestions of clusters that still fire, in the
    /// order of the clusters list (most urgent incident first), then in the runbook's order.
    pub fn approval_queue(&self) -> Vec<&Suggestion> {
        let rank: BTreeMap<ClusterId, usize> = self
            .correlator
            .clusters()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.firing > 0)
            .map(|(i, c)| (c.id, i))
            .collect();
        let mut queue: Vec<(usize, &Suggestion)> = self
            .suggestions
            .iter()
            .filter(|s| s.status == SuggestionStatus::Pending)
            .filter_map(|s| {
                let cluster = self.suggestion_cluster(s)?;
                rank.get(&cluster).map(|r| (*r, s))
            })
            .collect();
        queue.sort_by_key(|(rank, s)| (*rank, s.id));
        queue.into_iter().map(|(_, s)| s).collect()
    }
    /// The cluster a suggestion belongs to now (clusters merge as alerts arrive).
    pub fn suggestion_cluster(&self, s: &Suggestion) -> Option<ClusterId> {
        self.correlator.alert(s.source).map(|a| a.cluster)
    }
    pub fn journal_tail(
        &self,
    ) -> impl DoubleEndedIterator<Item = &JournalRecord> + ExactSizeIterator {
        self.journal_tail.iter()
    }
    pub fn journal_len(&self) -> u64 {
        self.journal_len
    }
    pub fn sources(&self) -> &[SourceHealth] {
        &self.sources
    }

    // ---- internals ----------------------------------------------------------------------------

    fn evaluate(&mut self, effects: &mut Vec<Effect>) {
        let now = self.now;
        self.budgets = self.slos.iter().map(|s| s.evaluate(now)).collect();
        if let Some(change) = self.governor.update(now, &self.budgets) {
            effects.push(Effect::Journal(mode_change_entry(&change)));
        }
        self.refresh_knowledge();
        self.refresh_verdicts();
    }

    /// Recomputes knowledge matches for clusters that changed, and offers the steps of a
    /// cluster's best runbook as suggestions.
    fn refresh_knowledge(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let changed: BTreeSet<ClusterId> = std::mem::take(&mut self.dirty)
            .into_iter()
            .filter_map(|fp| self.correlator.alert(fp).map(|a| a.cluster))
            .collect();
        // Clusters that merged away leave stale entries behind.
        let live: BTreeSet<ClusterId> = self.correlator.clusters().iter().map(|c| c.id).collect();
        self.matches.retain(|id, _| live.contains(id));
        for id in changed {
            let Some(cluster) = self.correlator.cluster(id) else {
                continue;
            };
            let query = self.query_for(cluster);
            let ranked = self.knowledge.match_alerts(&query);
            self.matches.insert(id, ranked);
            self.offer_steps(id);
        }
        self.refresh_verdicts();
    }

    fn query_for(&self, cluster: &Cluster) -> MatchQuery {
        let mut q = MatchQuery {
            alertnames: cluster.alertnames.iter().cloned().collect(),
            services: cluster.services.iter().cloned().collect(),
            texts: Vec::new(),
            labels: cluster
                .common_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            runbook_urls: Vec::new(),
        };
        let mut seen_names = BTreeSet::new();
        for fp in cluster.members.iter().take(QUERY_MEMBERS * 4) {
            let Some(t) = self.correlator.alert(*fp) else {
                continue;
            };
            // One alert per alertname is enough text; pods of one alert repeat themselves.
            if !seen_names.insert(t.alert.name().to_string()) || q.texts.len() >= QUERY_MEMBERS * 2
            {
                continue;
            }
            for key in ["summary", "description"] {
                if let Some(v) = t.alert.annotation(key) {
                    q.texts.push(v.to_string());
                }
            }
            if let Some(url) = t.alert.annotation("runbook_url")
                && !q.runbook_urls.iter().any(|u| u == url)
            {
                q.runbook_urls.push(url.to_string());
            }
        }
        q
    }

    /// The member alert whose labels best fill a runbook's placeholders.
    fn source_alert(
        &self,
        cluster: &Cluster,
        runbook: &crate::knowledge::Runbook,
    ) -> Option<Fingerprint> {
        let members = || {
            cluster
                .members
                .iter()
                .filter_map(|fp| self.correlator.alert(*fp))
        };
        members()
            .find(|t| runbook.alerts.iter().any(|a| a == t.alert.name()))
            .or_else(|| {
                members().find(|t| {
                    t.alert
                        .service()
                        .is_some_and(|s| runbook.services.iter().any(|r| r == s))
                })
            })
            .or_else(|| {
                cluster
                    .origin
                    .as_ref()
                    .and_then(|o| self.correlator.alert(o.fingerprint))
            })
            .or_else(|| members().next())
            .map(|t| t.fingerprint)
    }

    fn offer_steps(&mut self, id: ClusterId) {
        let Some(cluster) = self.correlator.cluster(id) else {
            return;
        };
        let Some(runbook) = self.top_runbook(id) else {
            return;
        };
        let Some(source) = self.source_alert(cluster, runbook) else {
            return;
        };
        let runbook_id = runbook.id.clone();
        let steps = runbook.steps.clone();
        for step in steps {
            let step_ref = format!("{runbook_id}/{}", step.id);
            let already = self
                .suggestions
                .iter()
                .any(|s| s.step_ref == step_ref && self.suggestion_cluster(s) == Some(id));
            if !already {
                self.push_suggestion(source, &runbook_id, step);
            }
        }
    }

    fn push_suggestion(&mut self, source: Fingerprint, runbook: &str, step: Step) -> usize {
        let argv = match self.correlator.alert(source) {
            Some(t) => render_argv(&step.argv, &t.alert.labels, &t.alert.annotations)
                .map_err(|e| e.to_string()),
            None => Err("the alert that filled this step is gone".to_string()),
        };
        let id = SuggestionId(self.suggestions.len() as u32 + 1);
        self.suggestions.push(Suggestion {
            id,
            source,
            runbook: runbook.to_string(),
            step_ref: format!("{runbook}/{}", step.id),
            step,
            argv,
            approvals: Vec::new(),
            verdict: Verdict::NeedsApproval {
                missing: String::new(),
            },
            status: SuggestionStatus::Pending,
        });
        self.suggestions.len() - 1
    }

    /// The policy verdict of every suggestion at this moment (mode and overlays may have
    /// tightened since an approval was given).
    fn refresh_verdicts(&mut self) {
        let mode = self.governor.mode();
        for i in 0..self.suggestions.len() {
            let novel = match self.suggestion_cluster(&self.suggestions[i]) {
                Some(c) => self.is_novel(c),
                None => true,
            };
            let s = &mut self.suggestions[i];
            let overlays = Overlays {
                novel,
                drift: false,
            };
            s.verdict = policy(mode, overlays, &StepClass::from(&s.step), &s.approvals);
        }
    }

    /// Finds (or, for a step that was never offered, creates) the suggestion a reference
    /// decision is about.
    fn suggestion_for(&mut self, step_ref: &str) -> Option<usize> {
        if let Some(i) = self
            .suggestions
            .iter()
            .position(|s| s.step_ref == step_ref && s.status == SuggestionStatus::Pending)
            .or_else(|| self.suggestions.iter().position(|s| s.step_ref == step_ref))
        {
            return Some(i);
        }
        let (runbook_id, step_id) = step_ref.split_once('/')?;
        let runbook = self.knowledge.runbook(runbook_id)?;
        let step = runbook.steps.iter().find(|s| s.id == step_id)?.clone();
        // Fill it from the firing cluster this runbook serves best.
        let source = self
            .correlator
            .clusters()
            .iter()
            .filter(|c| c.firing > 0)
            .find_map(|c| self.source_alert(c, runbook))?;
        let runbook_id = runbook_id.to_string();
        Some(self.push_suggestion(source, &runbook_id, step))
    }

    fn replay_decision(&mut self, d: ReferenceDecision, effects: &mut Vec<Effect>) {
        let mode = self.governor.mode();
        let role = role_name(d.role).to_string();
        let entry = |kind, summary: String, body| JournalEntry {
            actor: d.actor.clone(),
            role: role.clone(),
            kind,
            summary,
            body,
        };
        match d.kind {
            DecisionKind::Hypothesis | DecisionKind::Note => {
                let text = d.text.clone().unwrap_or_default();
                let kind = if d.kind == DecisionKind::Hypothesis {
                    RecordKind::Hypothesis
                } else {
                    RecordKind::Note
                };
                effects.push(Effect::Journal(entry(
                    kind,
                    text.clone(),
                    serde_json::json!({"text": text, "mode": mode, "replayed": true}),
                )));
            }
            DecisionKind::Approve | DecisionKind::Reject | DecisionKind::Execute => {
                let step_ref = d.step.clone().unwrap_or_default();
                let Some(i) = self.suggestion_for(&step_ref) else {
                    effects.push(Effect::Journal(entry(
                        RecordKind::Note,
                        format!(
                            "{:?} on {step_ref}, a step this cockpit does not know",
                            d.kind
                        ),
                        serde_json::json!({"step": step_ref, "decision": d.kind, "replayed": true}),
                    )));
                    return;
                };
                self.refresh_verdicts();
                let dry_run = self.config.dry_run;
                let s = &mut self.suggestions[i];
                let argv = s.argv.clone().unwrap_or_default();
                match d.kind {
                    DecisionKind::Approve => {
                        s.approvals.push(Approval {
                            by: d.actor.clone(),
                            role: d.role,
                            mode,
                        });
                        effects.push(Effect::Journal(entry(
                            RecordKind::Approval,
                            format!("approved {} {}", s.id, s.step_ref),
                            serde_json::json!({"suggestion": s.id, "step": s.step_ref, "argv": argv, "mode": mode, "replayed": true}),
                        )));
                    }
                    DecisionKind::Reject => {
                        let reason = d.text.clone().unwrap_or_default();
                        s.status = SuggestionStatus::Rejected {
                            by: d.actor.clone(),
                            reason: reason.clone(),
                        };
                        effects.push(Effect::Journal(entry(
                            RecordKind::Rejection,
                            format!("rejected {} {}: {reason}", s.id, s.step_ref),
                            serde_json::json!({"suggestion": s.id, "step": s.step_ref, "argv": argv, "reason": reason, "mode": mode, "replayed": true}),
                        )));
                    }
                    _ => {
                        // What the responders ran is history; the record says whether today's
                        // policy would have allowed it.
                        let verdict = s.verdict.clone();
                        s.status = SuggestionStatus::Executed {
                            by: d.actor.clone(),
                            outcome: d.outcome.clone(),
                            dry_run,
                        };
                        effects.push(Effect::Journal(entry(
                            RecordKind::Execution,
                            format!(
                                "ran {} {}{}",
                                s.id,
                                s.step_ref,
                                d.outcome.as_deref().map(|o| format!(" → {o}")).unwrap_or_default()
                            ),
                            serde_json::json!({"suggestion": s.id, "step": s.step_ref, "argv": argv, "outcome": d.outcome, "policy": verdict, "dry_run": dry_run, "mode": mode, "replayed": true}),
                        )));
                    }
                }
                self.refresh_verdicts();
            }
        }
    }

    /// The state as JSON for `--headless --json`.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            time: self.now,
            mode: ModeSnapshot {
                mode: self.mode(),
                reason: self.mode_reason().to_string(),
                slo: self.deciding_slo().map(str::to_string),
            },
            slos: self
                .budgets
                .iter()
                .map(|b| SloSnapshot {
                    name: b.slo.clone(),
                    objective: b.objective,
                    budget_remaining: b.budget_remaining,
                    burn_rates: b
                        .burn_rates
                        .iter()
                        .map(|(w, r)| (w.label().to_string(), *r))
                        .collect(),
                    conditions: b
                        .conditions
                        .iter()
                        .map(|c| format!("{:?}", c.severity).to_lowercase())
                        .collect(),
                })
                .collect(),
            clusters: self
                .clusters()
                .iter()
                .map(|c| ClusterSnapshot {
                    id: c.id.to_string(),
                    size: c.members.len(),
                    firing: c.firing,
                    alertnames: c.alertnames.iter().cloned().collect(),
                    services: c.services.iter().cloned().collect(),
                    origin: c.origin.as_ref().map(|o| o.service.clone()),
                    top_runbook: self.top_runbook(c.id).map(|r| r.id.clone()),
                    novel: self.is_novel(c.id),
                })
                .collect(),
            approvals: self
                .approval_queue()
                .into_iter()
                .map(|s| ApprovalSnapshot {
                    id: s.id.to_string(),
                    cluster: self.suggestion_cluster(s).map(|c| c.to_string()),
                    step: s.step_ref.clone(),
                    kind: s.step.kind,
                    argv: s.argv.clone().ok(),
                    approvals: s.approvals.iter().map(|a| a.by.clone()).collect(),
                    verdict: verdict_text(&s.verdict),
                })
                .collect(),
            journal_len: self.journal_len,
            alerts: self.alert_count(),
            sources: self.sources.clone(),
        }
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Oncall => "oncall",
        Role::Commander => "commander",
        Role::Trainee => "trainee",
    }
}

pub fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Allowed => "allowed".to_string(),
        Verdict::NeedsApproval { missing } => format!("needs {missing}"),
        Verdict::Refused { reason } => format!("refused: {reason}"),
    }
}

fn mode_change_entry(change: &ModeChange) -> JournalEntry {
    JournalEntry {
        actor: "governor".into(),
        role: "system".into(),
        kind: RecordKind::ModeChange,
        summary: format!(
            "{} → {}: {}",
            change.from.label(),
            change.to.label(),
            change.reason
        ),
        body: serde_json::to_value(change).unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub time: Timestamp,
    pub mode: ModeSnapshot,
    pub slos: Vec<SloSnapshot>,
    pub clusters: Vec<ClusterSnapshot>,
    pub approvals: Vec<ApprovalSnapshot>,
    pub journal_len: u64,
    pub alerts: usize,
    pub sources: Vec<SourceHealth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModeSnapshot {
    pub mode: Mode,
    pub reason: String,
    pub slo: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SloSnapshot {
    pub name: String,
    pub objective: f64,
    pub budget_remaining: Option<f64>,
    pub burn_rates: BTreeMap<String, Option<f64>>,
    pub conditions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterSnapshot {
    pub id: String,
    pub size: usize,
    pub firing: usize,
    pub alertnames: Vec<String>,
    pub services: Vec<String>,
    pub origin: Option<String>,
    pub top_runbook: Option<String>,
    pub novel: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalSnapshot {
    pub id: String,
    pub cluster: Option<String>,
    pub step: String,
    pub kind: StepKind,
    pub argv: Option<Vec<String>>,
    pub approvals: Vec<String>,
    pub verdict: String,
}
