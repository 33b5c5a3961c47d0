//! Noise marks: flapping (many fire/resolve transitions in the last hour), chronic (firing most of
//! the last day), never acted on (an alertname that fired again and again over the last week and
//! nobody did anything about it) and suppressed (silenced or inhibited in Alertmanager), and the
//! histories they are computed from. Everything is computed from timestamps passed in, never the
//! clock.
//!
//! Noise marks come from behaviour outside incidents: a transition made while the alert's
//! cluster is an active incident (another member of a different alertname firing, see
//! `Correlator::in_incident`) is a symptom of that incident (pods flap while the database is
//! down), not evidence that the alert is noisy, so it never counts towards flapping.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use serde::Serialize;

/// Why an alert (or a cluster) is probably noise.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoiseMark {
    /// Fire/resolve transitions seen in the last hour, outside incidents.
    Flapping { transitions_per_hour: f64 },
    /// Share (0–1) of the last 24 hours the alert was active (firing or suppressed).
    Chronic { firing_share: f64 },
    /// Firing episodes of its alertname in the last 7 days ([`ACTION_HISTORY`]), none of which
    /// anybody acted on (approved, rejected or ran a step, or wrote a hypothesis).
    NeverActedOn { firings: u32 },
    /// Silenced or inhibited in Alertmanager.
    Suppressed,
}

impl fmt::Display for NoiseMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoiseMark::Flapping {
                transitions_per_hour,
            } => write!(f, "flapping {transitions_per_hour:.0}/h"),
            NoiseMark::Chronic { firing_share } => {
                write!(f, "chronic {:.0}% of 24h", firing_share * 100.0)
            }
            NoiseMark::NeverActedOn { firings } => {
                write!(f, "fired {firings}× in 7d, never acted on")
            }
            NoiseMark::Suppressed => f.write_str("suppressed"),
        }
    }
}

pub(crate) const HOUR: i64 = 3_600_000_000_000;
pub(crate) const DAY: i64 = 24 * HOUR;
/// How far back firing episodes and actions count for [`NoiseMark::NeverActedOn`].
pub const ACTION_HISTORY: i64 = 7 * DAY;
/// Activations of one alertname starting within this of the previous one are one episode (a
/// storm of a thousand pods, or an alert flapping, fires once).
pub const EPISODE_GAP: i64 = HOUR;

/// Firing episodes and actions of one alertname, in nanoseconds since the epoch.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameHistory {
    /// Episodes within [`ACTION_HISTORY`]: first start → last start, disjoint, in order.
    episodes: BTreeMap<i64, i64>,
    /// The latest action on an alert of this name.
    last_action: Option<i64>,
}

impl NameHistory {
    /// An alert of this name fired (an activation starting at `t`).
    pub(crate) fn fired(&mut self, t: i64) {
        let (mut first, mut last) = (t, t);
        if let Some((&f, &l)) = self.episodes.range(..=t).next_back()
            && t <= l.saturating_add(EPISODE_GAP)
        {
            first = f;
            last = l.max(t);
        }
        // An activation out of order may bridge the gap to the episodes after it.
        while let Some((&f, &l)) = self.episodes.range(first.saturating_add(1)..).next() {
            if f > last.saturating_add(EPISODE_GAP) {
                break;
            }
            self.episodes.remove(&f);
            last = last.max(l);
        }
        self.episodes.insert(first, last);
    }

    /// Somebody acted on an alert of this name at `at`.
    pub(crate) fn acted(&mut self, at: i64) {
        self.last_action = Some(self.last_action.map_or(at, |a| a.max(at)));
    }

    /// Forgets episodes that ended before the history; true when nothing is left to remember.
    pub(crate) fn forget_before(&mut self, now: i64) -> bool {
        let from = now.saturating_sub(ACTION_HISTORY);
        while let Some(e) = self.episodes.first_entry() {
            if *e.get() >= from {
                break;
            }
            e.remove();
        }
        self.episodes.is_empty() && self.last_action.is_none_or(|a| a < from)
    }

    /// The mark at `now`: at least `min` episodes in the history and no action in it.
    pub(crate) fn mark(&self, now: i64, min: u32) -> Option<NoiseMark> {
        let from = now.saturating_sub(ACTION_HISTORY);
        if min == 0 || self.last_action.is_some_and(|a| a >= from) {
            return None;
        }
        let firings = self.episodes.values().filter(|&&l| l >= from).count() as u32;
        (firings >= min).then_some(NoiseMark::NeverActedOn { firings })
    }
}

/// Activity history of one alert, in nanoseconds since the epoch.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    /// Start of the current active period, if active.
    active_since: Option<i64>,
    /// Transitions and closed periods, which most alerts never have: kept apart, so that an
    /// alert's history is small.
    past: Option<Box<Past>>,
}

#[derive(Clone, Debug, Default)]
struct Past {
    /// Times of fire/resolve transitions in the last hour, made outside incidents.
    flips: VecDeque<i64>,
    /// Closed active periods that end within the last day.
    closed: VecDeque<(i64, i64)>,
}

impl History {
    fn past(&mut self) -> &mut Past {
        self.past.get_or_insert_with(Box::default)
    }

    /// A fire/resolve transition at `now`. `in_incident`: the alert's cluster was an active
    /// incident apart from the alert itself; such a transition is not evidence of noise and is
    /// not counted (the alert's `transitions` still count it).
    pub(crate) fn flip(&mut self, now: i64, in_incident: bool) {
        if !in_incident {
            self.past().flips.push_back(now);
        }
    }

    pub(crate) fn start(&mut self, at: i64) {
        if self.active_since.is_none() {
            self.active_since = Some(at);
        }
    }

    pub(crate) fn stop(&mut self, at: i64) {
        if let Some(s) = self.active_since.take() {
            self.past().closed.push_back((s, at.max(s)));
        }
    }

    /// Marks for the moment `now`; prunes what no longer matters.
    pub(crate) fn marks(
        &mut self,
        now: i64,
        suppressed: bool,
        flap_min: u32,
        chronic_min: f64,
    ) -> Vec<NoiseMark> {
        let from = now - DAY;
        let overlap = |s: i64, e: i64| (e.min(now) - s.max(from)).max(0);
        let (mut flips, mut active) = (0, 0);
        if let Some(p) = &mut self.past {
            while p.flips.front().is_some_and(|&t| t <= now - HOUR) {
                p.flips.pop_front();
            }
            while p.closed.front().is_some_and(|&(_, e)| e <= now - DAY) {
                p.closed.pop_front();
            }
            flips = p.flips.iter().filter(|&&t| t <= now).count();
            active = p.closed.iter().map(|&(s, e)| overlap(s, e)).sum();
        }
        let mut marks = Vec::new();
        if flap_min > 0 && flips >= flap_min as usize {
            marks.push(NoiseMark::Flapping {
                transitions_per_hour: flips as f64,
            });
        }
        if let Some(s) = self.active_since {
            active += overlap(s, now);
        }
        let share = (active as f64 / DAY as f64).min(1.0);
        if chronic_min > 0.0 && share >= chronic_min {
            marks.push(NoiseMark::Chronic {
                firing_share: share,
            });
        }
        if suppressed {
            marks.push(NoiseMark::Suppressed);
        }
        marks
    }

    /// The earliest moment after `now` at which [`History::marks`] might give something else
    /// than at `now` with nothing new observed (`None`: never). Conservative: it may name a
    /// moment when nothing changes, never one after a change. Call it right after `marks(now)`
    /// (which pruned what no longer counts).
    ///
    /// - Flapping counts the flips of the last hour: it changes when a flip leaves the hour
    ///   (or one stamped after `now` enters it), and only matters with enough flips at all.
    /// - Chronic: while marked its share moves with time (unless active for the whole last day
    ///   and still active: 100% stays); unmarked, the share grows at most at the rate of the
    ///   periods still open, so it cannot reach the threshold before `need / open`.
    pub(crate) fn next_change(&self, now: i64, flap_min: u32, chronic_min: f64) -> Option<i64> {
        let mut next: Option<i64> = None;
        let mut at = |t: i64| next = Some(next.map_or(t, |n| n.min(t)));
        let past = self.past.as_deref();
        if flap_min > 0
            && let Some(p) = past
            && p.flips.len() >= flap_min as usize
        {
            for &t in &p.flips {
                at(if t > now { t } else { t.saturating_add(HOUR) });
            }
        }
        if chronic_min > 0.0 && chronic_min <= 1.0 {
            let from = now - DAY;
            let overlap = |s: i64, e: i64| (e.min(now) - s.max(from)).max(0);
            let (mut active, mut open) = (0i64, 0i64);
            if let Some(p) = past {
                for &(s, e) in &p.closed {
                    active += overlap(s, e);
                    open += i64::from(e > now);
                }
            }
            if let Some(s) = self.active_since {
                active += overlap(s, now);
                open += 1;
            }
            let threshold = (chronic_min * DAY as f64).floor() as i64;
            let soon = now.saturating_add(1);
            if active as f64 / DAY as f64 >= chronic_min {
                // Marked: the share moves, unless the open period covers the whole day.
                if self.active_since.is_none_or(|s| s > from) {
                    at(soon);
                }
            } else if open > 0 {
                // At most `open` nanoseconds of activity a nanosecond.
                let need = threshold - 2 - active;
                at(if need <= 0 {
                    soon
                } else {
                    now.saturating_add((need / open).max(1))
                });
            }
        }
        // (A flip behind a later one in the list leaves it only with that one.)
        next.map(|t| t.max(now.saturating_add(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flapping_needs_enough_recent_flips() {
        let mut h = History::default();
        let t0 = 100 * DAY;
        for i in 0..4 {
            h.flip(t0 + i * 60_000_000_000, false);
        }
        let m = h.marks(t0 + 5 * 60_000_000_000, false, 4, 0.8);
        assert_eq!(
            m,
            vec![NoiseMark::Flapping {
                transitions_per_hour: 4.0
            }]
        );
        assert!(h.marks(t0 + 2 * HOUR, false, 4, 0.8).is_empty());
        assert_eq!(m[0].to_string(), "flapping 4/h");
    }

    #[test]
    fn flips_inside_an_incident_are_not_flapping() {
        let mut h = History::default();
        let t0 = 100 * DAY;
        for i in 0..10 {
            h.flip(t0 + i * 60_000_000_000, true);
        }
        assert!(h.marks(t0 + 11 * 60_000_000_000, false, 4, 0.8).is_empty());
        // Outside the incident it flaps on: only those transitions count.
        for i in 11..14 {
            h.flip(t0 + i * 60_000_000_000, false);
        }
        assert!(h.marks(t0 + 14 * 60_000_000_000, false, 4, 0.8).is_empty());
        h.flip(t0 + 14 * 60_000_000_000, false);
        assert_eq!(
            h.marks(t0 + 15 * 60_000_000_000, false, 4, 0.8),
            vec![NoiseMark::Flapping {
                transitions_per_hour: 4.0
            }]
        );
    }

    #[test]
    fn episodes_merge_within_the_gap_and_actions_clear_the_mark() {
        let mut h = NameHistory::default();
        let t0 = 100 * DAY;
        // A storm of pods and a flapping re-fire are one episode each.
        for i in 0..50 {
            h.fired(t0 + i * 1_000_000_000);
        }
        h.fired(t0 + 40 * 60_000_000_000);
        assert_eq!(
            h.mark(t0 + HOUR, 1),
            Some(NoiseMark::NeverActedOn { firings: 1 })
        );
        // Four more, a day apart; one arrives late and out of order.
        for d in [1, 2, 4] {
            h.fired(t0 + d * DAY);
        }
        assert_eq!(h.mark(t0 + 4 * DAY, 5), None);
        h.fired(t0 + 3 * DAY);
        let m = h.mark(t0 + 4 * DAY, 5);
        assert_eq!(m, Some(NoiseMark::NeverActedOn { firings: 5 }));
        assert_eq!(m.unwrap().to_string(), "fired 5× in 7d, never acted on");
        // Bridging two episodes makes them one.
        let mut b = NameHistory::default();
        b.fired(t0);
        b.fired(t0 + 2 * HOUR);
        b.fired(t0 + HOUR);
        assert_eq!(
            b.mark(t0 + 3 * HOUR, 1),
            Some(NoiseMark::NeverActedOn { firings: 1 })
        );
        // An action within the week clears it; a week later it counts no more.
        h.acted(t0 + 4 * DAY);
        assert_eq!(h.mark(t0 + 4 * DAY, 5), None);
        assert_eq!(h.mark(t0 + 11 * DAY + 1, 1), None);
        // Episodes age out of the week.
        assert!(!h.forget_before(t0 + 9 * DAY));
        assert_eq!(h.episodes.len(), 3);
        assert!(h.forget_before(t0 + 12 * DAY));
        assert_eq!(b.mark(t0, 0), None, "0 = off");
    }

    #[test]
    fn chronic_counts_the_last_day() {
        let mut h = History::default();
        let t0 = 100 * DAY;
        h.start(t0 - 3 * DAY);
        let m = h.marks(t0, false, 4, 0.8);
        assert_eq!(m, vec![NoiseMark::Chronic { firing_share: 1.0 }]);
        h.stop(t0);
        // Twelve hours later: active half of the last day.
        assert!(h.marks(t0 + 12 * HOUR, false, 4, 0.8).is_empty());
        assert_eq!(
            NoiseMark::Chronic { firing_share: 0.92 }.to_string(),
            "chronic 92% of 24h"
        );
    }
}
