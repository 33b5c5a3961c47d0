//! Health of one live source (ok / stale / down, last success, last error) and the retry
//! back-off its poller uses. Edge code, but free of I/O: pollers fill a [`Health`], the live
//! loop re-reads its state as time passes, so a hung poller still turns stale on screen.

use std::time::Duration;

use crate::cockpit::{SourceCounts, SourceHealth, SourceState};
use crate::time::{SignedDuration, Timestamp};

/// What a source knows about itself; [`Health::report`] turns it into the cockpit's view.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub name: String,
    /// Polling interval; data older than two of them is stale. `None`: push source (webhook),
    /// never stale for lack of traffic.
    pub interval: Option<Duration>,
    /// Time of the newest data the source delivered (for Prometheus: the oldest of the SLOs'
    /// newest samples, so one SLO without data makes the source stale).
    pub last_ok: Option<Timestamp>,
    /// The last problem, prefixed with its time (kept after recovery, for the record).
    pub last_error: Option<String>,
    /// The last attempt failed to reach the server or got an unusable answer.
    pub down: bool,
    /// Deliveries and polls so far (kept by the live session, which sees every message).
    pub counts: SourceCounts,
}

impl Health {
    pub fn new(name: impl Into<String>, interval: Option<Duration>) -> Self {
        Health {
            name: name.into(),
            interval,
            last_ok: None,
            last_error: None,
            down: false,
            counts: SourceCounts::default(),
        }
    }

    /// A webhook notification with `alerts` alerts arrived at `at`.
    pub fn received(&mut self, at: Timestamp, alerts: u64) {
        self.counts.notifications += 1;
        self.counts.alerts += alerts;
        self.last_ok = Some(self.last_ok.map_or(at, |t| t.max(at)));
        self.down = false;
    }

    /// A poll ended, as this health says (down: it failed).
    pub fn polled(&mut self) {
        if self.down {
            self.counts.polls_failed += 1;
        } else {
            self.counts.polls_ok += 1;
        }
    }

    /// The server answered with current data at `at`.
    pub fn succeeded(&mut self, at: Timestamp) {
        self.last_ok = Some(self.last_ok.map_or(at, |t| t.max(at)));
        self.down = false;
    }

    /// The server could not be reached, timed out, or answered garbage.
    pub fn failed(&mut self, at: Timestamp, error: impl AsRef<str>) {
        self.down = true;
        self.note(at, error);
    }

    /// The server answered, but without usable data (empty vector, NaN, query error): the
    /// data ages into stale, it is never replaced by zeros.
    pub fn no_data(&mut self, at: Timestamp, error: impl AsRef<str>) {
        self.down = false;
        self.note(at, error);
    }

    /// Records a problem without changing the state (e.g. a few unreadable alerts).
    pub fn note(&mut self, at: Timestamp, error: impl AsRef<str>) {
        self.last_error = Some(format!("{} {}", crate::time::clock_hms(at), error.as_ref()));
    }

    /// Down if the last attempt failed; stale if no data arrived within two intervals (or
    /// none ever did); ok otherwise.
    pub fn state(&self, now: Timestamp) -> SourceState {
        if self.down {
            return SourceState::Down;
        }
        let Some(interval) = self.interval else {
            return SourceState::Ok;
        };
        let max_age = SignedDuration::try_from(interval * 2).unwrap_or(SignedDuration::MAX);
        match self.last_ok {
            Some(t) if now.duration_since(t) <= max_age => SourceState::Ok,
            _ => SourceState::Stale,
        }
    }

    pub fn report(&self, now: Timestamp) -> SourceHealth {
        SourceHealth {
            name: self.name.clone(),
            state: self.state(now),
            last_ok: self.last_ok,
            last_error: self.last_error.clone(),
            counts: self.counts,
        }
    }
}

/// Exponential back-off with jitter: after `n` consecutive failures the next try waits
/// `min(max, first × 2ⁿ⁻¹)`, of which a random half is jitter (so many flightdecks restarting
/// together do not hammer a recovering server in lockstep).
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff {
            first: first.max(Duration::from_millis(10)),
            max: max.max(first),
            failures: 0,
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns how long to wait before the next try.
    pub fn next_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let factor = 2u32.saturating_pow(self.failures.saturating_sub(1).min(20));
        let full = self.first.saturating_mul(factor).min(self.max);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn ok_then_stale_after_two_intervals_then_down() {
        let mut h = Health::new("prometheus", Some(Duration::from_secs(15)));
        assert_eq!(h.state(t(0)), SourceState::Stale, "no data yet");
        h.succeeded(t(0));
        assert_eq!(h.state(t(30)), SourceState::Ok);
        assert_eq!(h.state(t(31)), SourceState::Stale);
        h.no_data(t(31), "total query returned no series");
        assert_eq!(h.state(t(31)), SourceState::Stale);
        assert!(h.last_error.as_deref().unwrap().contains("no series"));
        h.failed(t(40), "connection refused");
        assert_eq!(h.state(t(40)), SourceState::Down);
        h.succeeded(t(50));
        assert_eq!(h.state(t(50)), SourceState::Ok);
        assert!(h.last_error.is_some(), "the last error stays on record");
    }

    #[test]
    fn push_sources_never_go_stale() {
        let mut h = Health::new("webhook", None);
        assert_eq!(h.state(t(0)), SourceState::Ok);
        h.succeeded(t(0));
        assert_eq!(h.state(t(100_000)), SourceState::Ok);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let d: Vec<Duration> = (0..6).map(|_| b.next_delay()).collect();
        let bounds = [1, 2, 4, 8, 8, 8];
        for (d, hi) in d.iter().zip(bounds) {
            let hi = Duration::from_secs(hi);
            assert!(
                *d >= hi / 2 && *d <= hi,
                "{d:?} not in [{:?}, {hi:?}]",
                hi / 2
            );
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
    }
}
