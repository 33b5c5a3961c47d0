//! Noise marks: flapping (many fire/resolve transitions in the last hour), chronic (firing most of
//! the last day) and suppressed (silenced or inhibited in Alertmanager), and the per-alert history
//! they are computed from. Everything is computed from timestamps passed in, never the clock.

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

/// Why an alert (or a cluster) is probably noise.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoiseMark {
    /// Fire/resolve transitions seen in the last hour.
    Flapping { transitions_per_hour: f64 },
    /// Share (0–1) of the last 24 hours the alert was active (firing or suppressed).
    Chronic { firing_share: f64 },
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
            NoiseMark::Suppressed => f.write_str("suppressed"),
        }
    }
}

pub(crate) const HOUR: i64 = 3_600_000_000_000;
pub(crate) const DAY: i64 = 24 * HOUR;

/// Activity history of one alert, in nanoseconds since the epoch.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    /// Times of fire/resolve transitions in the last hour.
    flips: VecDeque<i64>,
    /// Start of the current active period, if active.
    active_since: Option<i64>,
    /// Closed active periods that end within the last day.
    closed: VecDeque<(i64, i64)>,
}

impl History {
    pub(crate) fn flip(&mut self, now: i64) {
        self.flips.push_back(now);
    }

    pub(crate) fn start(&mut self, at: i64) {
        if self.active_since.is_none() {
            self.active_since = Some(at);
        }
    }

    pub(crate) fn stop(&mut self, at: i64) {
        if let Some(s) = self.active_since.take() {
            self.closed.push_back((s, at.max(s)));
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
        while self.flips.front().is_some_and(|&t| t <= now - HOUR) {
            self.flips.pop_front();
        }
        while self.closed.front().is_some_and(|&(_, e)| e <= now - DAY) {
            self.closed.pop_front();
        }
        let mut marks = Vec::new();
        let flips = self.flips.iter().filter(|&&t| t <= now).count();
        if flap_min > 0 && flips >= flap_min as usize {
            marks.push(NoiseMark::Flapping {
                transitions_per_hour: flips as f64,
            });
        }
        let from = now - DAY;
        let overlap = |s: i64, e: i64| (e.min(now) - s.max(from)).max(0);
        let mut active: i64 = self.closed.iter().map(|&(s, e)| overlap(s, e)).sum();
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flapping_needs_enough_recent_flips() {
        let mut h = History::default();
        let t0 = 100 * DAY;
        for i in 0..4 {
            h.flip(t0 + i * 60_000_000_000);
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
