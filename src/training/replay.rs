//! A replay session: a scenario, its player, the cockpit it drives and the in-memory journal of
//! the replay. Pure and deterministic: the same scenario advanced to the same virtual time gives
//! the same state, whether the TUI or the headless printer drives it.

use crate::cockpit::{
    Cockpit, CockpitConfig, Effect, Event, ExecOutcome, SourceHealth, SourceState, UserCommand,
};
use crate::journal::{
    Chain, GenesisBody, JournalEntry, JournalRecord, KindBody, RecordBody, RecordKind,
};
use crate::knowledge::KnowledgeBase;
use crate::time::Timestamp;
use crate::training::player::Played;
use crate::training::{Player, Scenario, ScenarioEvent};

pub struct ReplaySession {
    scenario: Scenario,
    knowledge: KnowledgeBase,
    config: CockpitConfig,
    cockpit: Cockpit,
    player: Player,
    chain: Chain,
    records: Vec<JournalRecord>,
    /// The id the genesis record names (kept across a seek back, which rebuilds the session:
    /// the rebuilt chain is the same as the old one up to the first decision it lacks).
    journal_id: String,
    /// Records computed ahead and sealed when the clock reaches them (a replay's experiment
    /// run, started with `r`), by tag, in time order. A seek back drops them with the rest of
    /// the course the replay took.
    scheduled: Vec<Scheduled>,
}

/// A record computed ahead of the clock: sealed into the journal when the replay reaches `at`.
#[derive(Clone, Debug)]
pub struct Scheduled {
    /// Who scheduled it (an experiment's run id): what [`ReplaySession::unschedule`] drops.
    pub tag: String,
    pub at: Timestamp,
    pub entry: JournalEntry,
}

impl ReplaySession {
    /// A session positioned at the scenario's start (its history already applied). Its journal
    /// id is `replay:SCENARIO`.
    pub fn new(scenario: Scenario, knowledge: KnowledgeBase, config: CockpitConfig) -> Self {
        let journal_id = format!("replay:{}", scenario.id);
        Self::with_journal_id(scenario, knowledge, config, journal_id)
    }

    /// Like [`ReplaySession::new`], with the journal id its genesis record names (the edge
    /// gives each journal it keeps on disk an id of its own).
    pub fn with_journal_id(
        scenario: Scenario,
        knowledge: KnowledgeBase,
        mut config: CockpitConfig,
        journal_id: String,
    ) -> Self {
        if let Some(g) = &scenario.group_by {
            config.clustering.group_by = g.clone();
        }
        if !scenario.topology.is_empty() {
            config.clustering.topology = scenario.topology.clone();
        }
        let cockpit = Cockpit::new(
            config.clone(),
            scenario.slos.clone(),
            knowledge.clone(),
            scenario.start,
        );
        let player = Player::new(&scenario);
        let mut session = ReplaySession {
            scenario,
            knowledge,
            config,
            cockpit,
            player,
            chain: Chain::default(),
            records: Vec::new(),
            journal_id,
            scheduled: Vec::new(),
        };
        session.genesis();
        let health = SourceHealth {
            name: "replay".into(),
            state: SourceState::Ok,
            last_ok: Some(session.scenario.start),
            last_error: None,
            counts: Default::default(),
        };
        let _ = session
            .cockpit
            .apply(Event::Source(health), session.scenario.start);
        let start = session.scenario.start;
        session.advance_to(start);
        session
    }

    fn genesis(&mut self) {
        let entry = JournalEntry {
            actor: "flightdeck".into(),
            role: crate::journal::RecordRole::System,
            kind: RecordKind::Genesis,
            summary: format!("replay of {}", self.scenario.id),
            body: RecordBody::of(KindBody::Genesis(GenesisBody {
                journal_id: Some(self.journal_id.clone()),
                scenario: Some(self.scenario.id.clone()),
                title: Some(self.scenario.title.clone()),
                readonly: None,
            }))
            .to_value(),
        };
        let at = self.scenario.start;
        self.seal(entry, at);
    }

    fn seal(&mut self, entry: JournalEntry, at: Timestamp) {
        self.run_effects(vec![Effect::Journal(entry)], at);
    }

    /// Plays everything due up to `to` (capped at the scenario's end).
    ///
    /// Alerts of one instant are applied as one batch (`Cockpit::apply_batch`): an instant is
    /// never split between two calls, so the TUI (which advances frame by frame) and
    /// `--headless` (in one go) reach the same state.
    ///
    /// Records scheduled ahead ([`ReplaySession::schedule`]) are sealed at their time, after
    /// what the scenario plays at that instant.
    pub fn advance_to(&mut self, to: Timestamp) {
        let to = to.min(self.scenario.end());
        while let Some(at) = self.scheduled.first().map(|s| s.at).filter(|at| *at <= to) {
            self.play_to(at);
            let due = self.scheduled.iter().take_while(|s| s.at <= at).count();
            for s in self.scheduled.drain(..due).collect::<Vec<_>>() {
                self.seal(s.entry, at.max(self.player.position()));
            }
        }
        self.play_to(to);
    }

    /// Records to seal when the clock reaches each one's time (one already due is sealed at
    /// once, at the current time). Kept in time order; records of one instant in the order
    /// given.
    pub fn schedule(&mut self, records: impl IntoIterator<Item = Scheduled>) {
        self.scheduled.extend(records);
        self.scheduled.sort_by_key(|s| s.at);
        let now = self.player.position();
        self.advance_to(now);
    }

    /// Drops the records scheduled under `tag` that are not sealed yet; returns how many.
    pub fn unschedule(&mut self, tag: &str) -> usize {
        let before = self.scheduled.len();
        self.scheduled.retain(|s| s.tag != tag);
        before - self.scheduled.len()
    }

    /// The records scheduled under `tag` and not sealed yet.
    pub fn scheduled(&self, tag: &str) -> impl Iterator<Item = &Scheduled> {
        self.scheduled.iter().filter(move |s| s.tag == tag)
    }

    fn play_to(&mut self, to: Timestamp) {
        let mut batch: Vec<(Timestamp, Event)> = Vec::new();
        while let Some((at, played)) = self.player.next_due(&self.scenario, to) {
            let event = match played {
                Played::Tick => Event::Tick,
                Played::Event(ScenarioEvent::Sample { slo, good, total }) => {
                    Event::Sample { slo, good, total }
                }
                Played::Event(ScenarioEvent::Alert(a)) => Event::Alert(a),
                Played::Event(ScenarioEvent::Decision(d)) => Event::Reference(d),
            };
            if batch.first().is_some_and(|(t, _)| *t != at) {
                self.apply_alerts(&mut batch);
            }
            if matches!(event, Event::Alert(_)) {
                batch.push((at, event));
                continue;
            }
            self.apply_alerts(&mut batch);
            let effects = self.cockpit.apply(event, at);
            self.run_effects(effects, at);
        }
        self.apply_alerts(&mut batch);
    }

    fn apply_alerts(&mut self, batch: &mut Vec<(Timestamp, Event)>) {
        let Some(&(at, _)) = batch.first() else {
            return;
        };
        let effects = self.cockpit.apply_batch(std::mem::take(batch));
        self.run_effects(effects, at);
    }

    /// A decision of the person at the cockpit, at the current virtual time. Returns the
    /// notices for the status line.
    pub fn command(&mut self, command: UserCommand) -> Vec<String> {
        let at = self.player.position();
        let effects = self.cockpit.apply(Event::User(command), at);
        self.run_effects(effects, at)
    }

    /// Carries out the core's effects in replay: the journal is this session's in-memory chain,
    /// and executions are dry runs whose result comes back at once.
    fn run_effects(&mut self, effects: Vec<Effect>, at: Timestamp) -> Vec<String> {
        let mut notices = Vec::new();
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            let more = match effect {
                Effect::Journal(entry) => {
                    let record = self.chain.seal(entry, at);
                    self.records.push(record.clone());
                    self.cockpit.apply(Event::Journaled(record), at)
                }
                Effect::Execute(request) => {
                    let summary = if request.step.origin == crate::actions::StepOrigin::Silence {
                        crate::actions::silence::dry_run_text(&request.argv, "replay")
                    } else {
                        let recorded =
                            self.cockpit
                                .suggestion(request.suggestion)
                                .is_some_and(|s| {
                                    self.scenario.outputs.contains_key(s.step_ref.as_str())
                                });
                        format!(
                            "dry run (replay): would run {}{}",
                            crate::actions::shell_display(&request.argv),
                            if recorded {
                                "; the scenario recorded what it printed (Enter on the step)"
                            } else {
                                ""
                            }
                        )
                    };
                    let outcome = ExecOutcome {
                        ok: true,
                        failure: None,
                        exit_code: None,
                        summary,
                        duration_ms: 0,
                        dry_run: true,
                        output: None,
                    };
                    self.cockpit.apply(
                        Event::Executed {
                            suggestion: request.suggestion,
                            outcome,
                        },
                        at,
                    )
                }
                Effect::Notice(text) => {
                    notices.push(text);
                    Vec::new()
                }
            };
            queue.extend(more);
        }
        notices
    }

    /// The runbooks and postmortems changed on disk: the cockpit matches again, and a seek back
    /// rebuilds with the new ones.
    pub fn replace_knowledge(&mut self, knowledge: KnowledgeBase) -> Vec<String> {
        self.knowledge = knowledge.clone();
        let at = self.player.position();
        let effects = self
            .cockpit
            .apply(Event::Knowledge(Box::new(knowledge)), at);
        self.run_effects(effects, at)
    }

    /// Moves to `to`; going back rebuilds the session from the start (replay is deterministic).
    pub fn seek(&mut self, to: Timestamp) {
        let to = to.clamp(self.scenario.start, self.scenario.end());
        if to < self.player.position() {
            *self = ReplaySession::with_journal_id(
                self.scenario.clone(),
                self.knowledge.clone(),
                self.config.clone(),
                self.journal_id.clone(),
            );
        }
        self.advance_to(to);
    }

    pub fn cockpit(&self) -> &Cockpit {
        &self.cockpit
    }
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn position(&self) -> Timestamp {
        self.player.position()
    }
    pub fn finished(&self) -> bool {
        self.player.finished(&self.scenario)
    }
    /// The replay's journal, every record since genesis.
    pub fn records(&self) -> &[JournalRecord] {
        &self.records
    }
    /// The id its genesis record names.
    pub fn journal_id(&self) -> &str {
        &self.journal_id
    }
}
