//! The domain state of one incident cockpit and its only mutator, `Cockpit::apply`.
//!
//! Pure: every input arrives as an `Event` with the time it happened; everything that must
//! happen outside (journal appends, executions, messages) leaves as an `Effect`. The same code
//! runs live, in replay, headless and in tests. It never reads a clock, a file or the network.
//!
//! - `cluster_query`: each cluster's knowledge query, rebuilt and ranked only when its inputs moved;
//! - `suggestion`: runbook steps offered for a cluster, with the policy verdict of the moment;
//! - `decision`: human decisions, which take effect only once journaled;
//! - `journaled`: sealed records (ours or another cockpit's) and replayed reference decisions;
//! - `silences`: silences proposed for a cluster;
//! - `outcome`: what became of a step that ran;
//! - `reference`: what the real responders did (a scenario's reference decisions);
//! - `snapshot`: the state as JSON, and a decision's context.
//!
//! Size: about 810 lines, over the ~600 guide on purpose — the `Cockpit` struct, `apply` and the
//! read accessors every pane uses are one concept; the parts that can stand alone are the
//! submodules above.

mod cluster_query;
mod decision;
mod journaled;
mod naming;
mod outcome;
mod reference;
mod silences;
mod snapshot;
mod suggestion;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

pub use decision::{
    DEFAULT_OVERRIDE, MAX_OVERRIDE, NoteKind, SilencePreview, StepRecord, UserCommand,
};
pub use snapshot::{
    ApprovalSnapshot, ClusterSnapshot, ModeSnapshot, SloSnapshot, Snapshot, StatusCounts,
};
pub use suggestion::{Suggestion, SuggestionId, SuggestionStatus, argv_hash};

use crate::actions::{Role, Verdict};
use crate::alerts::{
    Alert, Cluster, ClusterConfig, ClusterId, Correlator, Fingerprint, TrackedAlert,
};
use crate::journal::{JournalEntry, JournalRecord, RecordKind};
use crate::knowledge::{DocRef, KnowledgeBase, KnowledgeMatch};
use crate::slo::{
    BudgetStatus, BurnDriftMonitor, DriftConfig, Governor, Mode, ModeChange, SloSpec, SloState,
};
use crate::time::{SignedDuration, Timestamp};
pub use journaled::override_of;
pub use outcome::{ExecFailure, ExecOutcome, ExecRequest, OutputObject, StepOutput};
pub use reference::{DecisionKind, ReferenceDecision};

/// How many journal records the cockpit keeps for the journal pane.
const JOURNAL_TAIL: usize = 200;
/// How often noise marks (flapping, chronic) are recomputed.
const NOISE_REFRESH: SignedDuration = SignedDuration::from_secs(60);
/// A mode record at most this old (or the governor's hold, if longer) still says what the
/// mode is: a cockpit that finds the journal already saying its new mode does not say it again.
const MODE_RECORD_FRESH: SignedDuration = SignedDuration::from_mins(1);
/// How long a cockpit waits for the record of a mode change that another cockpit's record (an
/// override, a drift acknowledgement) caused, before it journals the change itself.
const MODE_RECORD_WAIT: SignedDuration = SignedDuration::from_secs(3);
/// How many recent mode records a cockpit remembers to recognise a change already journaled.
const MODE_RECORDS_KEPT: usize = 16;

/// What a `mode` record says: the change (or, `from: None`, the state at a start) and when.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ModeRecord {
    from: Option<Mode>,
    to: Mode,
    at: Timestamp,
    /// The drift signal in force after it (its time), if any: tells overlay records apart.
    drift_at: Option<Timestamp>,
}

impl ModeRecord {
    fn of(change: &ModeChange) -> Self {
        ModeRecord {
            from: change.from,
            to: change.to,
            at: change.at,
            drift_at: change.drift.as_ref().map(|d| d.at),
        }
    }
}

/// Settings of the core; the edge fills them from config and flags.
#[derive(Debug, Clone)]
pub struct CockpitConfig {
    pub clustering: ClusterConfig,
    /// Hysteresis hold before the governor loosens the mode.
    pub mode_hold: SignedDuration,
    /// Executions are dry runs (replay, training).
    pub dry_run: bool,
    /// Approvals, rejections and edits are disabled.
    pub readonly: bool,
    /// Who sits at this cockpit.
    pub actor: String,
    pub role: Role,
    /// Distinguishes this cockpit from others writing the same journal.
    pub session: String,
    /// The team's commander roster (`[team] commanders` in the config): who may act as
    /// incident commander. `None`: no roster, the `--role` claim is taken as given.
    pub commanders: Option<Vec<String>>,
}

impl CockpitConfig {
    /// May `actor` act as commander? (Anyone, without a roster.)
    pub fn may_command(&self, actor: &str) -> bool {
        self.commanders
            .as_ref()
            .is_none_or(|c| c.iter().any(|n| n == actor))
    }

    /// Why this cockpit's commander claim is refused, if it is.
    pub fn commander_refusal(&self) -> Option<String> {
        if self.role != Role::Commander || self.may_command(&self.actor) {
            return None;
        }
        let roster = self.commanders.as_deref().unwrap_or_default().join(", ");
        Some(format!(
            "{} is not on the team's commander roster ([team] commanders: {roster}): decisions              in the commander role are refused; ask a commander, or work as --role oncall",
            self.actor
        ))
    }
}

impl Default for CockpitConfig {
    fn default() -> Self {
        CockpitConfig {
            clustering: ClusterConfig::default(),
            mode_hold: SignedDuration::from_mins(10),
            dry_run: true,
            readonly: false,
            actor: "you".into(),
            role: Role::Oncall,
            session: "local".into(),
            commanders: None,
        }
    }
}

/// Something that happened, delivered to the core with the time it happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// Cumulative SLI counters of one SLO.
    Sample { slo: String, good: f64, total: f64 },
    /// A rate SLI's windows as Prometheus measured them (each window's own `rate()` ratio, as
    /// Sloth's recording rules compute it); `spacing` is how long its 5m ratio stands for (a
    /// back-fill step), `None` = since the previous measurement.
    SliWindows {
        slo: String,
        windows: Vec<(crate::slo::Window, crate::slo::WindowCounts)>,
        spacing: Option<SignedDuration>,
    },
    /// An alert fired, was re-sent, suppressed or resolved.
    Alert(Alert),
    /// A recorded decision of the real responders (replay).
    Reference(ReferenceDecision),
    /// A decision of the person at this cockpit.
    User(UserCommand),
    /// Time passed: re-evaluate budgets, the governor and verdicts.
    Tick,
    /// The journal sealed and stored a record (this cockpit's or another's on the same file).
    Journaled(JournalRecord),
    /// The executor finished an approved step.
    Executed {
        suggestion: SuggestionId,
        outcome: ExecOutcome,
    },
    /// A source reported its health.
    Source(SourceHealth),
    /// The runbooks and postmortems changed on disk and were loaded again: every cluster is
    /// matched afresh (steps already offered stay, with their decisions).
    Knowledge(Box<KnowledgeBase>),
}

/// Work for the edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Seal and store this entry durably, then deliver it back as `Event::Journaled`.
    Journal(JournalEntry),
    /// Run (or dry-run) an approved step, then deliver `Event::Executed`.
    Execute(ExecRequest),
    /// Tell the person at the cockpit something (a refusal, a reason).
    Notice(String),
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
    /// Time of the newest data the source delivered (`None`: nothing yet — a webhook that
    /// is listening but has received nothing has none).
    pub last_ok: Option<Timestamp>,
    pub last_error: Option<String>,
    /// What the source has delivered since the start (headless JSON tells from these whether
    /// anything arrived at all).
    pub counts: SourceCounts,
}

/// Deliveries and polls of one source since the cockpit started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceCounts {
    /// Webhook notifications (POSTs) accepted.
    pub notifications: u64,
    /// Alerts received (in notifications, or in Alertmanager's answers that changed something).
    pub alerts: u64,
    /// Polls answered with data.
    pub polls_ok: u64,
    /// Polls that reached nothing, timed out, or got an unusable answer.
    pub polls_failed: u64,
}

/// The cockpit: budgets, governor, clusters, knowledge matches, suggestions, journal tail.
pub struct Cockpit {
    config: CockpitConfig,
    now: Timestamp,
    slos: Vec<SloState>,
    budgets: Vec<BudgetStatus>,
    governor: Governor,
    drift: BurnDriftMonitor,
    correlator: Correlator,
    knowledge: KnowledgeBase,
    matches: BTreeMap<ClusterId, Vec<KnowledgeMatch>>,
    /// The query each cluster's matches were ranked for and what it was built from (valid
    /// while its `matches` entry is).
    queries: std::collections::HashMap<ClusterId, cluster_query::ClusterQuery>,
    /// Alerts whose clusters need their knowledge matches recomputed.
    dirty: BTreeSet<Fingerprint>,
    suggestions: Vec<Suggestion>,
    /// Which alerts each runbook covers, for filling its steps ([`suggestion::Targets`]).
    targets: suggestion::Targets,
    journal_tail: VecDeque<JournalRecord>,
    journal_len: u64,
    sources: Vec<SourceHealth>,
    noise_refreshed: Option<Timestamp>,
    /// What runbook staleness is judged by; its `failed_steps` (`runbook-id/step-id` → outcome
    /// of the last real run, any cockpit's, from the journal, when it could not run or was a
    /// failed mitigation) is kept up to date here.
    staleness: crate::knowledge::lint::StalenessInputs,
    /// Counts applied events: a view that derived something from the state (the silence form's
    /// preview) knows to make it again when this moved.
    revision: u64,
    /// The latest mode records on the journal (any cockpit's), oldest first: what the journal
    /// says the mode is, so a change is journaled once however many cockpits observe it.
    mode_records: VecDeque<ModeRecord>,
    /// Mode changes another cockpit's record caused here; that cockpit journals them, this one
    /// only if no record of the change arrives within [`MODE_RECORD_WAIT`].
    pending_modes: Vec<ModeChange>,
    /// Inside [`Cockpit::apply_batch`]: alerts leave their clusters dirty, knowledge is
    /// refreshed once at the end.
    batching: bool,
    /// [`Cockpit::verdict_inputs`] when every verdict was last refreshed.
    verdicts_key: Option<(Mode, bool)>,
    /// The suggestions this cockpit's approval may start (`Suggestion::approved_here` set; a
    /// superset): what [`Cockpit::start_allowed`] looks at on a tick, instead of every one.
    approved_here: BTreeSet<usize>,
}

impl Cockpit {
    pub fn new(
        config: CockpitConfig,
        slos: Vec<SloSpec>,
        knowledge: KnowledgeBase,
        start: Timestamp,
    ) -> Self {
        let mut correlator = Correlator::new(config.clustering.clone());
        // `refresh_knowledge` drops what it keeps per cluster as clusters go.
        correlator.track_gone();
        let governor = Governor::new(config.mode_hold);
        let targets = suggestion::Targets::new(&knowledge);
        Cockpit {
            now: start,
            slos: slos.into_iter().map(SloState::new).collect(),
            budgets: Vec::new(),
            governor,
            drift: BurnDriftMonitor::new(DriftConfig::HOURLY_BURN),
            correlator,
            knowledge,
            matches: BTreeMap::new(),
            queries: Default::default(),
            dirty: BTreeSet::new(),
            suggestions: Vec::new(),
            targets,
            journal_tail: VecDeque::new(),
            journal_len: 0,
            sources: Vec::new(),
            noise_refreshed: None,
            staleness: Default::default(),
            revision: 0,
            mode_records: VecDeque::new(),
            pending_modes: Vec::new(),
            batching: false,
            verdicts_key: None,
            approved_here: BTreeSet::new(),
            config,
        }
    }

    /// Applies events that arrived together (a webhook notification, a poll, the alerts of a
    /// replay between two ticks), each at its own time: the same as applying them one by one,
    /// but knowledge matching, the steps on offer and their verdicts are brought up to date once,
    /// at the end, for the clusters that changed.
    pub fn apply_batch(
        &mut self,
        events: impl IntoIterator<Item = (Timestamp, Event)>,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        self.batching = true;
        for (at, event) in events {
            effects.extend(self.apply(event, at));
        }
        self.batching = false;
        self.refresh_knowledge(&mut effects);
        effects
    }

    /// Applies one event that happened at `now`; returns the effects for the edge.
    pub fn apply(&mut self, event: Event, now: Timestamp) -> Vec<Effect> {
        self.now = self.now.max(now);
        self.revision += 1;
        let mut effects = Vec::new();
        match event {
            Event::Sample { slo, good, total } => {
                if let Some(s) = self.slos.iter_mut().find(|s| s.spec().name == slo) {
                    s.ingest(now, good, total);
                }
            }
            Event::SliWindows {
                slo,
                windows,
                spacing,
            } => {
                if let Some(s) = self.slos.iter_mut().find(|s| s.spec().name == slo) {
                    s.ingest_windows(now, windows, spacing);
                }
            }
            Event::Alert(alert) => {
                let fp = alert.fingerprint();
                let before = self.correlator.alert(fp).map(|t| t.cluster);
                let covering = before
                    .is_none()
                    .then(|| self.knowledge.runbooks_covering(&alert));
                let was_active = before.is_some_and(|c| self.cluster_active(c));
                let was_resolved = self
                    .correlator
                    .alert(fp)
                    .is_none_or(|t| t.alert.state == crate::alerts::AlertState::Resolved);
                self.correlator.observe(alert, now);
                match covering {
                    Some(runbooks) => self.track_coverage(fp, runbooks),
                    None => self.coverage_moved(fp),
                }
                self.dirty.insert(fp);
                // The incident is over: what waited for a decision about it is obsolete.
                if was_active
                    && let Some(cluster) = self.correlator.alert(fp).map(|t| t.cluster)
                    && !self.cluster_active(cluster)
                {
                    self.obsolete_steps(cluster, &mut effects);
                } else if !was_resolved
                    && self
                        .correlator
                        .alert(fp)
                        .is_some_and(|t| t.alert.state == crate::alerts::AlertState::Resolved)
                {
                    // One target of a still firing incident recovered.
                    self.target_resolved(fp, &mut effects);
                }
                // After what the alert ended: a step that lost its target waits for another.
                if !self.batching {
                    self.refresh_knowledge(&mut effects);
                }
            }
            Event::Reference(decision) => self.reference_decision(decision, &mut effects),
            Event::User(command) => self.user_command(command, &mut effects),
            Event::Tick => self.evaluate(&mut effects),
            Event::Journaled(record) => {
                if record.kind == RecordKind::ModeChange {
                    self.mode_record_seen(&record);
                    if let Some(to) = crate::journal::body_field::<Mode>(&record.body, "to") {
                        self.void_below(to);
                    }
                }
                self.journaled(&record, &mut effects);
                self.journal_len = self.journal_len.max(record.seq + 1);
                self.journal_tail.push_back(record);
                while self.journal_tail.len() > JOURNAL_TAIL {
                    self.journal_tail.pop_front();
                }
            }
            Event::Executed {
                suggestion,
                outcome,
            } => self.executed(suggestion, outcome, &mut effects),
            Event::Knowledge(knowledge) => self.replace_knowledge(*knowledge, &mut effects),
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
    /// How many events the cockpit has applied: changes whenever its state may have.
    pub fn revision(&self) -> u64 {
        self.revision
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
    /// The commander's override of the mode, if one is in force.
    pub fn mode_override(&self) -> Option<&crate::slo::ModeOverride> {
        self.governor.mode_override()
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
    /// What cluster `id` is called (`C7f2a`: the same in every cockpit), `C?` once it is gone.
    pub fn cluster_name(&self, id: ClusterId) -> String {
        self.correlator
            .name(id)
            .map_or_else(|| "C?".to_string(), |n| n.to_string())
    }
    pub fn alert(&self, fp: Fingerprint) -> Option<&TrackedAlert> {
        self.correlator.alert(fp)
    }
    pub fn alert_count(&self) -> usize {
        self.correlator.len()
    }
    /// How many stale alert candidates there are (cheap: fine every frame).
    pub fn stale_candidate_count(&self) -> usize {
        self.correlator.stale_candidate_count()
    }
    /// Alerts that are probably noise a team could fix or retire, noisiest first.
    pub fn stale_candidates(&self) -> Vec<crate::alerts::StaleCandidate> {
        self.correlator.stale_candidates()
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
    /// Why a runbook may no longer be trusted as written: reviewed too long ago, or a step that
    /// failed when it last ran (from the journal). Empty when it looks fresh.
    pub fn runbook_staleness(&self, i: usize) -> Vec<crate::knowledge::lint::Finding> {
        let Some(rb) = self.knowledge.runbooks.get(i) else {
            return Vec::new();
        };
        let today = self.now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        crate::knowledge::lint::runbook_staleness(rb, today, &self.staleness)
            .into_iter()
            .filter(|f| f.level != crate::knowledge::lint::Level::Info)
            .collect()
    }
    /// Some member of the cluster still fires or is silenced (not all resolved).
    pub fn cluster_active(&self, id: ClusterId) -> bool {
        self.correlator
            .cluster(id)
            .is_some_and(|c| c.firing + c.suppressed > 0)
    }
    /// A cluster no runbook or past incident matches well: human judgment, no automation.
    pub fn is_novel(&self, id: ClusterId) -> bool {
        crate::alerts::novelty::novel_by_knowledge(self.matches(id))
    }
    /// Remaining budget (fraction, may be negative) of one SLO at `points` instants spread over
    /// its window up to now: the data of the budget chart.
    pub fn budget_burndown(&self, slo: &str, points: usize) -> Vec<(Timestamp, Option<f64>)> {
        self.slos
            .iter()
            .find(|s| s.spec().name == slo)
            .map(|s| s.budget_burndown(self.now, points))
            .unwrap_or_default()
    }
    pub fn config(&self) -> &CockpitConfig {
        &self.config
    }
    pub fn governor(&self) -> &Governor {
        &self.governor
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

    fn replace_knowledge(&mut self, mut knowledge: KnowledgeBase, effects: &mut Vec<Effect>) {
        // Matching settings come from the config, not from the documents.
        knowledge.set_match_params(self.knowledge.match_params().clone());
        self.knowledge = knowledge;
        // Document indices changed: every cluster is matched again.
        self.matches.clear();
        self.rebuild_coverage();
        let firsts: Vec<Fingerprint> = self
            .correlator
            .clusters()
            .iter()
            .filter_map(|c| c.members.first().copied())
            .collect();
        self.dirty.extend(firsts);
        self.refresh_knowledge(effects);
    }

    fn evaluate(&mut self, effects: &mut Vec<Effect>) {
        let now = self.now;
        self.budgets = self.slos.iter().map(|s| s.evaluate(now)).collect();
        self.flush_pending_modes(false, effects);
        if let Some(change) = self.governor.update(now, &self.budgets) {
            self.journal_mode(change, effects);
        }
        // A shift in hourly burn that history does not explain: one mode stricter until the
        // commander acknowledges it.
        for signal in self.drift.observe(now, &self.slos) {
            if self.governor.drift().is_none()
                && let Some(change) = self.governor.set_drift(now, signal)
            {
                self.journal_mode(change, effects);
            }
        }
        // Flapping and chronic marks age with time, not only with new alerts.
        if self
            .noise_refreshed
            .is_none_or(|t| now.duration_since(t) >= NOISE_REFRESH)
        {
            self.correlator.refresh_noise(now);
            // Incidents long resolved leave the list (and memory); their matches go with them
            // in `refresh_knowledge`.
            let pruned = self.correlator.prune(now);
            for id in &pruned {
                self.matches.remove(id);
            }
            if !pruned.is_empty() {
                self.forget_pruned_coverage();
                // Suggestions of pruned clusters have no cluster (novel) now.
                self.verdicts_key = None;
            }
            self.noise_refreshed = Some(now);
        }
        self.refresh_knowledge(effects);
        // Every verdict again only when what all of them depend on moved (the mode, drift);
        // the rest was refreshed where it changed.
        if self.verdicts_key != Some(self.verdict_inputs()) {
            self.refresh_verdicts();
        }
        self.start_allowed(effects);
    }

    /// What every suggestion's verdict depends on besides its own cluster and approvals.
    pub(super) fn verdict_inputs(&self) -> (Mode, bool) {
        (self.governor.base_mode(), self.governor.drift().is_some())
    }

    // ---- the mode history ----------------------------------------------------------------------

    /// Journals a change of the effective mode (or the state a cockpit started in) — unless
    /// the journal already says so: its latest mode record, from any cockpit on the journal and
    /// fresh, names the same mode. Changes waiting for another cockpit's record go first.
    fn journal_mode(&mut self, change: ModeChange, effects: &mut Vec<Effect>) {
        self.flush_pending_modes(true, effects);
        self.journal_mode_now(change, effects);
    }

    fn journal_mode_now(&mut self, change: ModeChange, effects: &mut Vec<Effect>) {
        if self.mode_on_record(&change) {
            return;
        }
        // Known at once, not only when the sealed record comes back: a second change in the
        // same step compares with this one.
        self.remember_mode_record(ModeRecord::of(&change));
        effects.push(Effect::Journal(mode_change_entry(&change)));
    }

    /// A mode change caused by a journaled record (an override, a drift acknowledgement). Ours:
    /// journaled now. Another cockpit's: that cockpit journals it; this one waits for its record.
    pub(super) fn mode_changed_by_record(
        &mut self,
        change: ModeChange,
        ours: bool,
        effects: &mut Vec<Effect>,
    ) {
        if ours {
            self.journal_mode(change, effects);
        } else {
            self.pending_modes.push(change);
        }
    }

    /// Drops the waiting changes the journal now records; journals those waited for long enough
    /// (all of them with `all`: a newer change is about to be journaled after them).
    fn flush_pending_modes(&mut self, all: bool, effects: &mut Vec<Effect>) {
        if self.pending_modes.is_empty() {
            return;
        }
        let now = self.now;
        let pending = std::mem::take(&mut self.pending_modes);
        for change in pending {
            // The very change, journaled by the cockpit whose record caused it.
            let recorded = self
                .mode_records
                .iter()
                .any(|r| r.from == change.from && r.to == change.to && r.at == change.at);
            if recorded {
                continue;
            }
            if all || now.duration_since(change.at) >= MODE_RECORD_WAIT {
                self.journal_mode_now(change, effects);
            } else {
                self.pending_modes.push(change);
            }
        }
    }

    /// Does the journal already say the mode is `change.to` (its latest mode record, fresh)?
    fn mode_on_record(&self, change: &ModeChange) -> bool {
        let fresh = self.governor.hold().max(MODE_RECORD_FRESH);
        if change.is_overlay() {
            // An overlay change (drift raised or acknowledged, the mode staying): on record if
            // the latest record is that very overlay change (another cockpit saw it first).
            let drift_at = change.drift.as_ref().map(|d| d.at);
            return self.mode_records.back().is_some_and(|r| {
                r.from == Some(r.to)
                    && r.to == change.to
                    && r.drift_at == drift_at
                    && change.at.duration_since(r.at) <= fresh
            });
        }
        self.mode_records
            .back()
            .is_some_and(|r| r.to == change.to && change.at.duration_since(r.at) <= fresh)
    }

    /// A mode record arrived (this cockpit's or another's).
    fn mode_record_seen(&mut self, record: &JournalRecord) {
        let body = record.read_body();
        let Some(change) = body.mode_change() else {
            return;
        };
        let Some(to) = change.to else {
            return;
        };
        self.remember_mode_record(ModeRecord {
            at: change.at.unwrap_or(record.ts),
            from: change.from,
            to,
            drift_at: record
                .body
                .get("drift")
                .and_then(|d| crate::journal::body_field(d, "at")),
        });
    }

    fn remember_mode_record(&mut self, record: ModeRecord) {
        if self.mode_records.back() == Some(&record) {
            return;
        }
        self.mode_records.push_back(record);
        while self.mode_records.len() > MODE_RECORDS_KEPT {
            self.mode_records.pop_front();
        }
    }

    /// Recomputes knowledge matches for clusters that changed, and offers the steps of a
    /// cluster's best runbook as suggestions.
    fn refresh_knowledge(&mut self, effects: &mut Vec<Effect>) {
        if self.dirty.is_empty() {
            return;
        }
        let moved = std::mem::take(&mut self.dirty);
        let changed: BTreeSet<ClusterId> = moved
            .iter()
            .filter_map(|fp| self.correlator.alert(*fp).map(|a| a.cluster))
            .collect();
        // Clusters that merged away leave stale entries behind; their members' suggestions
        // now belong to a changed cluster, with its novelty.
        let mut gone_novel = [false; 2];
        // A cluster that merged away and was offered steps (a runbook matched it well) may
        // leave them twice in its survivor (see `retire_stale`).
        let mut merged = false;
        for id in self.correlator.take_gone() {
            if let Some(m) = self.matches.remove(&id) {
                gone_novel[usize::from(crate::alerts::novelty::novel_by_knowledge(&m))] = true;
                merged |= m
                    .iter()
                    .any(|x| x.good && matches!(x.doc, DocRef::Runbook(_)));
            }
            self.queries.remove(&id);
        }
        if self.knowledge.runbooks.is_empty() && self.knowledge.postmortems.is_empty() {
            // Nothing to match: every cluster is novel and stays so, no steps are offered.
            // Only the suggestions of alerts that moved (silences) need their verdicts again.
            let mut stale: Vec<usize> = Vec::new();
            for fp in moved {
                stale.extend(self.suggestions_from(fp));
            }
            stale.sort_unstable();
            stale.dedup();
            for i in stale {
                self.refresh_verdict(i);
            }
            return;
        }
        let novel_before: BTreeMap<ClusterId, bool> = changed
            .iter()
            .filter(|id| self.matches.contains_key(id))
            .map(|&id| (id, self.is_novel(id)))
            .collect();
        // Clusters one of whose speakers was delivered again: its texts may have changed.
        let spoke: BTreeSet<ClusterId> = moved
            .iter()
            .filter_map(|fp| {
                let t = self.correlator.alert(*fp)?;
                let q = self.queries.get(&t.cluster)?;
                q.speaks(t.alert.name(), *fp).then_some(t.cluster)
            })
            .collect();
        for &id in &changed {
            let Some(cluster) = self.correlator.cluster(id) else {
                continue;
            };
            // The same query gives the same matches: most alerts joining a big incident add
            // nothing its first members did not already say.
            let query = self.queries.entry(id).or_default();
            let mut offered_moved = false;
            if query.update(&self.correlator, cluster, spoke.contains(&id))
                || !self.matches.contains_key(&id)
            {
                let ranked = self.knowledge.match_alerts(query.query());
                let before = self
                    .matches
                    .contains_key(&id)
                    .then(|| self.offered_runbooks(id));
                self.matches.insert(id, ranked);
                offered_moved = before.is_some_and(|b| b != self.offered_runbooks(id));
            }
            self.offer_steps(id);
            if merged || offered_moved {
                self.retire_stale(id, effects);
            }
        }
        // A verdict depends on its cluster's novelty: it changes where the novelty of a changed
        // cluster did, where a cluster of another novelty merged into one, and for the
        // suggestions of alerts that moved. The other verdicts stand.
        let mut stale: Vec<usize> = Vec::new();
        for fp in moved {
            stale.extend(self.suggestions_from(fp));
        }
        for &id in &changed {
            let novel = self.is_novel(id);
            if novel_before.get(&id) == Some(&novel) && !gone_novel[usize::from(!novel)] {
                continue;
            }
            let Some(cluster) = self.correlator.cluster(id) else {
                continue;
            };
            for fp in &cluster.members {
                stale.extend(self.suggestions_from(*fp));
            }
        }
        stale.sort_unstable();
        stale.dedup();
        for i in stale {
            self.refresh_verdict(i);
        }
    }
}

/// [`Role::as_str`]; kept so code written against the old name still builds.
pub fn role_name(role: Role) -> &'static str {
    role.as_str()
}

pub fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Allowed => "allowed".to_string(),
        Verdict::NeedsApproval { missing } => format!("needs {missing}"),
        Verdict::Refused { reason } => format!("refused: {reason}"),
    }
}

/// The `mode` record of a change, or of the state a cockpit started in (`from: null`).
pub(crate) fn mode_change_entry(change: &ModeChange) -> JournalEntry {
    JournalEntry {
        actor: "governor".into(),
        role: crate::journal::RecordRole::System,
        kind: RecordKind::ModeChange,
        summary: change.describe(),
        body: serde_json::to_value(change).unwrap_or_default(),
    }
}
