//! Where `now` comes from: wall time live, a virtual clock in replay.
//!
//! This is the only module that reads the time; the core receives it as a parameter. The
//! virtual clock runs on tokio's `Instant`, so runtime tests can pause and advance time.

use tokio::time::Instant;

use crate::time::{SignedDuration, Timestamp};

/// Replay speeds offered by `+` / `-`.
pub const SPEEDS: [f64; 9] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// Virtual time: `anchor_virtual + (real elapsed since anchor_real) × speed`, unless paused.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    anchor_virtual: Timestamp,
    anchor_real: Instant,
    speed: f64,
    paused: bool,
}

impl VirtualClock {
    pub fn new(start: Timestamp, speed: f64) -> Self {
        VirtualClock {
            anchor_virtual: start,
            anchor_real: Instant::now(),
            speed: speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]),
            paused: false,
        }
    }

    pub fn now(&self) -> Timestamp {
        if self.paused {
            return self.anchor_virtual;
        }
        let real = self.anchor_real.elapsed();
        let nanos = (real.as_nanos() as f64 * self.speed) as i64;
        self.anchor_virtual + SignedDuration::from_nanos(nanos)
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    fn reanchor(&mut self) {
        self.anchor_virtual = self.now();
        self.anchor_real = Instant::now();
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.reanchor();
        self.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
    }

    pub fn set_paused(&mut self, paused: bool) {
        self.reanchor();
        self.paused = paused;
    }

    /// Jumps to `to`; the caller replays or rebuilds state up to it.
    pub fn seek(&mut self, to: Timestamp) {
        self.anchor_virtual = to;
        self.anchor_real = Instant::now();
    }
}

/// The clock of a running cockpit.
#[derive(Debug, Clone)]
pub enum Clock {
    Wall,
    Virtual(VirtualClock),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::Wall => Timestamp::now(),
            Clock::Virtual(v) => v.now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn virtual_time_runs_at_speed_and_stops_when_paused() {
        let t0: Timestamp = "2026-03-12T13:55:00Z".parse().unwrap();
        let mut c = VirtualClock::new(t0, 60.0);
        tokio::time::advance(std::time::Duration::from_secs(2)).await;
        assert_eq!(c.now(), t0 + SignedDuration::from_secs(120));
        c.set_paused(true);
        tokio::time::advance(std::time::Duration::from_secs(5)).await;
        assert_eq!(c.now(), t0 + SignedDuration::from_secs(120));
        c.set_paused(false);
        c.set_speed(600.0);
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        assert_eq!(c.now(), t0 + SignedDuration::from_secs(720));
    }
}
