//! [`LiveSession`]: what arrives from the sources applied to the pure core on the wall clock
//! (redelivered alerts dropped, journal effects sealed, source health aged into stale).

use super::*;

/// Alerts admitted from the messages of one batch, not applied yet.
#[derive(Default)]
struct Batch {
    news: Vec<(Timestamp, Event)>,
    /// When the last of `news` happened.
    last: Option<Timestamp>,
    /// The messages' queue permits (released once their alerts are applied).
    permits: Vec<tokio::sync::OwnedSemaphorePermit>,
    /// Whether a message of events is in it (its source's health is reported after it).
    health: bool,
}

/// Where sealed records go: the journal file (durable, shared with other cockpits on the same
/// file), or an in-memory chain.
enum JournalSink {
    Memory(Chain),
    File(Box<JournalBackend>),
}

/// The cockpit fed by live sources. Apart from the journal file it is pure: every time value
/// is a parameter, executions leave as requests ([`LiveSession::take_exec_requests`]).
pub struct LiveSession {
    cockpit: Cockpit,
    journal: JournalSink,
    /// What every alert applied was (a digest), to drop redeliveries and stale episodes, and
    /// the byte budget of tracked alerts.
    known: Episodes,
    /// New alerts refused for the budget since the last notice about it.
    over_budget: u64,
    last_budget_sync: Timestamp,
    health: BTreeMap<String, Health>,
    reported: BTreeMap<String, SourceHealth>,
    dropped_duplicates: u64,
    last_prune: Timestamp,
    exec_queue: Vec<ExecRequest>,
    notices: Vec<String>,
}

impl LiveSession {
    /// A session writing to `journal` (a file) or, with `None`, to an in-memory chain.
    pub fn new(
        config: CockpitConfig,
        slos: Vec<SloSpec>,
        knowledge: KnowledgeBase,
        start: Timestamp,
        journal: Option<JournalFile>,
    ) -> Self {
        Self::with_journal(
            config,
            slos,
            knowledge,
            start,
            journal.map(JournalBackend::File),
        )
    }

    /// A session writing to `journal` (a file or a PostgreSQL database) or, with `None`, to an
    /// in-memory chain.
    pub fn with_journal(
        config: CockpitConfig,
        slos: Vec<SloSpec>,
        knowledge: KnowledgeBase,
        start: Timestamp,
        journal: Option<JournalBackend>,
    ) -> Self {
        let (actor, role, readonly, session) = (
            config.actor.clone(),
            config.role,
            config.readonly,
            config.session.clone(),
        );
        let mut s = LiveSession {
            cockpit: Cockpit::new(config, slos, knowledge, start),
            journal: match journal {
                Some(f) => JournalSink::File(Box::new(f)),
                None => JournalSink::Memory(Chain::default()),
            },
            known: Episodes::default(),
            over_budget: 0,
            last_budget_sync: start,
            health: BTreeMap::new(),
            reported: BTreeMap::new(),
            dropped_duplicates: 0,
            last_prune: start,
            exec_queue: Vec::new(),
            notices: Vec::new(),
        };
        s.resume_override(start);
        let (kind, summary) = match s.journal {
            JournalSink::Memory(_) => (
                RecordKind::Genesis,
                format!("live session of {actor} ({role}), journal in memory"),
            ),
            JournalSink::File(_) => (
                RecordKind::Note,
                format!("live session of {actor} ({role}) started"),
            ),
        };
        let entry = JournalEntry {
            actor: actor.clone(),
            role: role.into(),
            kind,
            summary,
            body: session_start_body(kind, &session, readonly),
        };
        s.run_effects(vec![Effect::Journal(entry)], start);
        s
    }

    /// State is a fold of the journal. On start the cockpit reads what the journal already
    /// holds: a commander's mode override still in force governs it too; the journal's last
    /// mode record tells it what the journal already says the mode is (so a start in the mode
    /// another cockpit just recorded adds no record of its own); and the decisions on
    /// incidents it can still see (proposals, approvals, rejections, edits, steps done by
    /// hand, executions and hypotheses of the clustering retention window) are folded in, so
    /// a silence proposed or a first approval given before this cockpit started waits in its
    /// queue under the same step name, ready for the second approval. Records of other
    /// sessions never run anything here.
    fn resume_override(&mut self, start: Timestamp) {
        let JournalSink::File(file) = &self.journal else {
            return;
        };
        let records = match file.records() {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!("journal: could not read what was decided before this start: {e}");
                return;
            }
        };
        self.resume_from(&records, start);
    }

    /// The state `records` (a journal this session reads) leave in force at `start` (see
    /// `resume_override`); an observer (`Live::start_observer`) folds them in the same way.
    pub fn resume_from(&mut self, records: &[crate::journal::JournalRecord], start: Timestamp) {
        let retention = self.cockpit.config().clustering.retention;
        let since = start.checked_sub(retention).unwrap_or(start);
        let last_of = |kind| records.iter().rev().find(|r| r.kind == kind).cloned();
        let mut state: Vec<crate::journal::JournalRecord> =
            last_of(RecordKind::ModeChange).into_iter().collect();
        if let Some(o) = last_of(RecordKind::Override)
            && crate::cockpit::override_of(&o).is_some_and(|o| o.until > start)
        {
            state.push(o);
        }
        // The mode records of the window too: an approval voided by a stricter mode the team
        // passed through stays void here as in the cockpits that saw it happen.
        state.extend(
            records
                .iter()
                .filter(|r| {
                    r.ts >= since
                        && matches!(
                            r.kind,
                            RecordKind::ModeChange
                                | RecordKind::Proposal
                                | RecordKind::Approval
                                | RecordKind::Rejection
                                | RecordKind::Edit
                                | RecordKind::Manual
                                | RecordKind::Execution
                                | RecordKind::Hypothesis
                        )
                })
                .cloned(),
        );
        state.sort_by_key(|r| r.seq);
        state.dedup_by_key(|r| r.seq);
        for r in state {
            let effects = self.cockpit.apply(Event::Journaled(r), start);
            self.run_effects(effects, start);
        }
    }

    pub fn cockpit(&self) -> &Cockpit {
        &self.cockpit
    }

    /// Alerts dropped as redeliveries of what the cockpit already had.
    pub fn dropped_duplicates(&self) -> u64 {
        self.dropped_duplicates
    }

    /// Approved steps to run; the caller runs them and reports with [`LiveSession::executed`].
    pub fn take_exec_requests(&mut self) -> Vec<ExecRequest> {
        std::mem::take(&mut self.exec_queue)
    }

    /// Messages for the person at the cockpit (refusals, journal failures).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Carries out the core's effects: journal entries are sealed (and, with a journal file,
    /// fsynced) before they come back as `Event::Journaled`; executions are queued.
    fn run_effects(&mut self, effects: Vec<Effect>, at: Timestamp) {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            match effect {
                Effect::Journal(entry) => {
                    let sealed = match &mut self.journal {
                        JournalSink::Memory(chain) => Ok(vec![chain.seal(entry, at)]),
                        JournalSink::File(file) => file.append(entry, at).map(|r| {
                            // Records other cockpits wrote meanwhile come first.
                            let mut all = file.refresh().unwrap_or_default();
                            all.push(r);
                            all
                        }),
                    };
                    match sealed {
                        Ok(records) => {
                            for r in records {
                                queue.extend(self.cockpit.apply(Event::Journaled(r), at));
                            }
                        }
                        Err(e) => {
                            tracing::error!("journal append failed: {e}");
                            self.notices
                                .push(format!("journal write failed, decision not taken: {e}"));
                        }
                    }
                }
                Effect::Execute(request) => self.exec_queue.push(request),
                Effect::Notice(text) => self.notices.push(text),
            }
        }
    }

    fn apply(&mut self, event: Event, at: Timestamp) {
        let effects = self.cockpit.apply(event, at);
        self.run_effects(effects, at);
    }

    /// A record the edge wrote (a run this cockpit started that failed before its gate),
    /// sealed and applied like any other.
    pub fn journal(&mut self, entry: crate::journal::JournalEntry, now: Timestamp) {
        self.run_effects(vec![Effect::Journal(entry)], now);
    }

    /// A decision of the person at this cockpit.
    pub fn command(&mut self, command: UserCommand, now: Timestamp) {
        self.apply(Event::User(command), now);
    }

    /// Runbooks or postmortems changed on disk: the cockpit matches every cluster again; the
    /// person at the cockpit hears what changed and what could not be read.
    pub fn reload_knowledge(&mut self, reloaded: Reloaded, now: Timestamp) {
        let notice = reloaded.summary();
        for e in &reloaded.errors {
            tracing::warn!("knowledge reload skipped {e}");
        }
        tracing::info!("{notice}");
        self.notices.push(notice);
        self.apply(Event::Knowledge(Box::new(reloaded.knowledge)), now);
    }

    /// The executor finished a step.
    pub fn executed(&mut self, suggestion: SuggestionId, outcome: ExecOutcome, now: Timestamp) {
        self.apply(
            Event::Executed {
                suggestion,
                outcome,
            },
            now,
        );
    }

    /// The byte budget for tracked alerts (`[clustering] memory_budget`).
    pub fn set_alert_budget(&mut self, bytes: usize) {
        self.known.set_budget(bytes);
    }

    /// Bytes counted for the tracked alerts, and new alerts refused for the budget so far.
    pub fn alert_memory(&self) -> (usize, u64) {
        (self.known.used(), self.known.refused())
    }

    /// Is this alert news? Identical re-sends, repeated resolutions, deliveries about an older
    /// episode than the one known (a late resolve never ends a newer firing), and a webhook
    /// redelivery of a firing notification after its resolution are not (`alerts::episode`).
    /// `pending`: alerts admitted but not yet applied (still to be remembered).
    fn is_news(
        &mut self,
        origin: Origin,
        alert: &Alert,
        now: Timestamp,
        pending: &[(Timestamp, Event)],
    ) -> bool {
        let delivery = match origin {
            Origin::Webhook => Delivery::Notification,
            _ => Delivery::Snapshot,
        };
        let mut verdict = self.known.admit(alert, delivery);
        if verdict == Admit::OverBudget
            && now.duration_since(self.last_budget_sync) >= SignedDuration::from_secs(1)
        {
            // The correlator may have let go of alerts since the last prune.
            self.last_budget_sync = now;
            let cockpit = &self.cockpit;
            let pending: std::collections::HashSet<_> = pending
                .iter()
                .filter_map(|(_, e)| match e {
                    Event::Alert(a) => Some(a.fingerprint()),
                    _ => None,
                })
                .collect();
            self.known.prune(now, FORGET_RESOLVED, |fp| {
                cockpit.alert(fp).is_some() || pending.contains(&fp)
            });
            verdict = self.known.admit(alert, delivery);
        }
        match verdict {
            Admit::News => true,
            Admit::Duplicate | Admit::Stale => {
                self.dropped_duplicates += 1;
                false
            }
            Admit::OverBudget => {
                if self.over_budget == 0 {
                    let text = format!(
                        "alert memory budget of {} MiB full: new alerts are refused (first: {}); \
                         raise [clustering] memory_budget",
                        self.known.budget() >> 20,
                        alert.name()
                    );
                    tracing::warn!("{text}");
                    self.notices.push(text);
                }
                self.over_budget += 1;
                false
            }
        }
    }

    /// Lets the intake forget alerts the correlator no longer holds.
    fn forget_untracked(&mut self, now: Timestamp) {
        let cockpit = &self.cockpit;
        self.known
            .prune(now, FORGET_RESOLVED, |fp| cockpit.alert(fp).is_some());
    }

    /// Applies what a source sent; `now` is the wall clock at receipt.
    pub fn handle(&mut self, msg: SourceMsg, now: Timestamp) {
        self.handle_all([msg], now);
    }

    /// Applies what the sources sent, received at `now`, as one batch: the alerts of every
    /// message are admitted in order and applied together (`Cockpit::apply_batch`), so
    /// knowledge and verdicts are brought up to date once for all of them however small the
    /// notifications were (Alertmanager sends one a group); a source's health message ends
    /// the batch before it, as if each message had been handled alone. The messages' queue
    /// permits are released once their alerts are applied.
    pub fn handle_all(&mut self, msgs: impl IntoIterator<Item = SourceMsg>, now: Timestamp) {
        let mut batch = Batch::default();
        for msg in msgs {
            match msg {
                SourceMsg::Events {
                    origin,
                    events,
                    permit,
                } => {
                    let alerts = events
                        .iter()
                        .filter(|(_, e)| matches!(e, Event::Alert(_)))
                        .count() as u64;
                    batch.news.reserve(events.len());
                    for (at, event) in events {
                        if let Event::Alert(a) = &event
                            && !self.is_news(origin, a, at, &batch.news)
                        {
                            continue;
                        }
                        batch.last = Some(at);
                        batch.news.push((at, event));
                    }
                    batch.permits.extend(permit);
                    let h = self
                        .health
                        .entry(origin.name().to_string())
                        .or_insert_with(|| Health::new(origin.name(), None));
                    if origin == Origin::Webhook {
                        h.received(now, alerts);
                    } else {
                        h.counts.alerts += alerts;
                    }
                    batch.health = true;
                }
                SourceMsg::Health(mut h) => {
                    self.apply_news(std::mem::take(&mut batch), now);
                    // A poller sends its health once a poll; the counts are kept here.
                    if let Some(old) = self.health.get(&h.name) {
                        h.counts = old.counts;
                    }
                    h.polled();
                    self.health.insert(h.name.clone(), h);
                    self.report_health(now);
                }
            }
        }
        self.apply_news(batch, now);
    }

    /// Applies the news of a batch of messages, releases their queue permits and reports the
    /// sources' health as it now stands.
    fn apply_news(&mut self, batch: Batch, now: Timestamp) {
        let Batch {
            news,
            last,
            permits,
            health,
        } = batch;
        if !health {
            return;
        }
        let effects = self.cockpit.apply_batch(news);
        self.run_effects(effects, last.unwrap_or(now));
        drop(permits);
        self.report_health(now);
    }

    /// Sets a source's health (e.g. at start-up).
    pub fn set_health(&mut self, h: Health, now: Timestamp) {
        self.health.insert(h.name.clone(), h);
        self.report_health(now);
    }

    /// Passes changed source states to the core (a quiet source turns stale here).
    fn report_health(&mut self, now: Timestamp) {
        let changed: Vec<SourceHealth> = self
            .health
            .values()
            .map(|h| h.report(now))
            .filter(|r| self.reported.get(&r.name) != Some(r))
            .collect();
        for r in changed {
            self.reported.insert(r.name.clone(), r.clone());
            self.apply(Event::Source(r), now);
        }
    }

    /// Applies the records other writers journaled since the last look (other cockpits, the
    /// runs this cockpit started).
    pub fn catch_up(&mut self, now: Timestamp) {
        if let JournalSink::File(file) = &mut self.journal {
            match file.refresh() {
                Ok(records) => {
                    for r in records {
                        let effects = self.cockpit.apply(Event::Journaled(r), now);
                        self.run_effects(effects, now);
                    }
                }
                Err(e) => self.notices.push(format!("journal: {e}")),
            }
        }
    }

    /// Time passed: records other cockpits journaled, source health, then budgets, the
    /// governor and verdicts.
    pub fn tick(&mut self, now: Timestamp) {
        self.catch_up(now);
        self.report_health(now);
        self.apply(Event::Tick, now);
        if now.duration_since(self.last_prune) > SignedDuration::from_mins(10) {
            self.last_prune = now;
            self.forget_untracked(now);
            if self.over_budget > 0 {
                tracing::warn!(
                    "alert memory budget: {} new alerts refused in the last 10 minutes",
                    self.over_budget
                );
                self.over_budget = 0;
            }
        }
    }
}

/// The body of the record a live session starts with (a genesis record of its in-memory
/// journal, or a note on a journal file): `live:SESSION`, the session, whether read-only.
fn session_start_body(kind: RecordKind, session: &str, readonly: bool) -> serde_json::Value {
    let journal_id = Some(format!("live:{session}"));
    let of_kind = if kind == RecordKind::Genesis {
        KindBody::Genesis(GenesisBody {
            journal_id,
            readonly: Some(readonly),
            ..GenesisBody::default()
        })
    } else {
        KindBody::Note(NoteBody {
            journal_id,
            readonly: Some(readonly),
            ..NoteBody::default()
        })
    };
    RecordBody::of(of_kind).with_session(session).to_value()
}
