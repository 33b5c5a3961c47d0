//! Releases a scenario's events as virtual time advances, plus a tick on a fixed virtual grid
//! so budgets and the governor are evaluated at the same instants in the TUI and headless.

use crate::time::{SignedDuration, Timestamp};

use super::scenario::{Scenario, ScenarioEvent};

/// Evaluation grid of the replay.
pub const TICK: SignedDuration = SignedDuration::from_secs(10);

#[derive(Debug, Clone)]
pub enum Played {
    Event(ScenarioEvent),
    Tick,
}

#[derive(Debug, Clone)]
pub struct Player {
    cursor: usize,
    next_tick: Timestamp,
    position: Timestamp,
}

impl Player {
    pub fn new(scenario: &Scenario) -> Self {
        Player {
            cursor: 0,
            next_tick: scenario.start,
            position: scenario
                .events
                .first()
                .map_or(scenario.start, |e| e.at.min(scenario.start)),
        }
    }

    /// How far the player has released events.
    pub fn position(&self) -> Timestamp {
        self.position
    }

    pub fn finished(&self, scenario: &Scenario) -> bool {
        self.position >= scenario.end()
    }

    /// Everything due at or before `to` (capped at the scenario's end), in time order; a tick
    /// follows the events of its instant.
    pub fn advance_to(&mut self, scenario: &Scenario, to: Timestamp) -> Vec<(Timestamp, Played)> {
        let mut out = Vec::new();
        while let Some(played) = self.next_due(scenario, to) {
            out.push(played);
        }
        out
    }

    /// The next thing due at or before `to` (capped at the scenario's end), in the order of
    /// [`Player::advance_to`]; `None` once nothing is, and the position is then `to`. Plays a
    /// long stretch one event at a time instead of copying all of it first.
    pub fn next_due(&mut self, scenario: &Scenario, to: Timestamp) -> Option<(Timestamp, Played)> {
        let to = to.min(scenario.end());
        if to < self.position {
            return None;
        }
        let next_event = scenario
            .events
            .get(self.cursor)
            .map(|e| e.at)
            .filter(|at| *at <= to);
        let tick_due = (self.next_tick <= to).then_some(self.next_tick);
        match (next_event, tick_due) {
            (Some(e), Some(t)) if e <= t => Some(self.take_event(scenario)),
            (Some(_), None) => Some(self.take_event(scenario)),
            (_, Some(t)) => {
                self.next_tick = t + TICK;
                Some((t, Played::Tick))
            }
            (None, None) => {
                self.position = to;
                None
            }
        }
    }

    fn take_event(&mut self, scenario: &Scenario) -> (Timestamp, Played) {
        let e = &scenario.events[self.cursor];
        self.cursor += 1;
        (e.at, Played::Event(e.event.clone()))
    }
}
