//! Which delivery of an alert is news: episode order, redeliveries and a byte budget, decided
//! before an alert reaches the correlator.
//!
//! An alert (one fingerprint) lives through episodes: it fires at `startsAt`, may be re-sent or
//! silenced, and ends with a resolve that carries the same `startsAt` (Alertmanager's webhook
//! alert has no `updatedAt`: a "resolved" is about the episode that began at its `startsAt`).
//! Deliveries arrive at least once and out of order: Alertmanager retries after a 5xx, and each
//! peer of an HA pair sends its own notifications. [`Episodes`] keeps, per fingerprint, a small
//! summary of the last delivery it admitted and admits a new one only if it moves the alert
//! forward:
//!
//! - **an older episode never overrides a newer one**: a delivery whose `startsAt` is earlier
//!   than the episode already known is stale, so a late "resolved" of the 03:00 episode never
//!   ends the episode that began at 03:20, and a late "firing" of it never reopens it;
//! - **a resolve is final within its episode** for notifications: a "firing" redelivered after
//!   its own "resolved" (same `startsAt`) is stale. A [`Delivery::Snapshot`] (the API poller,
//!   which reports the current state rather than a notification from the past) may reopen it;
//! - an identical re-send (same labels, annotations, times and state) is a duplicate, and so is
//!   a second "resolved" of the same episode.
//!
//! Episodes are compared by `startsAt` in whole milliseconds: the webhook sends nanoseconds,
//! the API (`GET /api/v2/alerts`) the same time cut to milliseconds.
//!
//! For notifications the outcome does not depend on the order: whatever the permutation and
//! duplication of the deliveries, the alert ends in the state of its newest episode, resolved
//! if any of that episode's resolves arrived (tests/suite/live_episodes.rs checks this over
//! the deliveries of two Alertmanagers).
//!
//! **Memory.** A summary is a few dozen bytes (a 128-bit digest, not a copy of the alert). The
//! alerts themselves are held by the correlator; the intake counts their approximate size
//! ([`alert_bytes`]) against a byte budget and, when a new alert would exceed it, refuses the
//! alert ([`Admit::OverBudget`]) — updates of alerts already tracked (a resolve above all) are
//! always admitted. [`Episodes::prune`] forgets what the correlator no longer tracks.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::model::{Alert, AlertState, Fingerprint};
use crate::time::{SignedDuration, Timestamp};

/// The default byte budget for tracked alerts (`[clustering] memory_budget`): 256 MiB.
pub const DEFAULT_BUDGET: usize = 256 << 20;

/// What the structures around one tracked alert cost besides its text (the correlator's
/// record, indices, history, a text signature), approximately.
const ALERT_OVERHEAD: usize = 1024;
/// What one label or annotation costs besides its text (map node, two string headers).
const ENTRY_OVERHEAD: usize = 64;

/// How a delivery reached the cockpit.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A notification (the webhook): at least once, possibly late, possibly from another peer.
    Notification,
    /// The current state, read from Alertmanager's API by the poller.
    Snapshot,
}

/// What [`Episodes::admit`] decided.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Admit {
    /// New or changed: apply it.
    News,
    /// The same as what was admitted last (a redelivery, or a second resolve of one episode).
    Duplicate,
    /// About an older episode than the one known, or a firing redelivered after its resolve.
    Stale,
    /// A new alert that does not fit in the byte budget.
    OverBudget,
}

/// The last admitted delivery of one fingerprint.
#[derive(Clone, Debug)]
struct Seen {
    starts_at: Timestamp,
    ends_at: Option<Timestamp>,
    state: AlertState,
    digest: u128,
    /// Counted against the budget (0 once the correlator no longer holds the alert).
    bytes: usize,
}

/// The intake's memory of every alert admitted; see the module documentation.
#[derive(Clone, Debug)]
pub struct Episodes {
    seen: HashMap<Fingerprint, Seen>,
    budget: usize,
    used: usize,
    refused: u64,
}

impl Default for Episodes {
    fn default() -> Self {
        Episodes::new(DEFAULT_BUDGET)
    }
}

impl Episodes {
    /// An empty intake with a byte budget for the alerts it admits.
    pub fn new(budget: usize) -> Self {
        Episodes {
            seen: HashMap::new(),
            budget,
            used: 0,
            refused: 0,
        }
    }

    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Bytes counted for the alerts admitted and still held.
    pub fn used(&self) -> usize {
        self.used
    }

    /// New alerts refused for the budget so far.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// How many fingerprints are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Decides whether `alert` is news, and remembers it if so.
    pub fn admit(&mut self, alert: &Alert, delivery: Delivery) -> Admit {
        let fp = alert.fingerprint();
        let digest = digest(alert);
        let bytes = alert_bytes(alert);
        let Some(prev) = self.seen.get_mut(&fp) else {
            if self.used.saturating_add(bytes) > self.budget {
                self.refused += 1;
                return Admit::OverBudget;
            }
            self.used += bytes;
            self.seen.insert(
                fp,
                Seen {
                    starts_at: alert.starts_at,
                    ends_at: alert.ends_at,
                    state: alert.state,
                    digest,
                    bytes,
                },
            );
            return Admit::News;
        };
        if prev.digest == digest {
            return Admit::Duplicate;
        }
        let (start, known) = (episode(alert.starts_at), episode(prev.starts_at));
        if start < known {
            return Admit::Stale;
        }
        if start == known && prev.state == AlertState::Resolved {
            if alert.state == AlertState::Resolved {
                return Admit::Duplicate;
            }
            if delivery == Delivery::Notification {
                return Admit::Stale;
            }
        }
        // An update of an alert already tracked is always admitted: the correlator replaces
        // the old version (a resolve must never be refused).
        if prev.bytes > 0 {
            self.used = self.used - prev.bytes + bytes;
            prev.bytes = bytes;
        } else {
            // Forgotten by the correlator: it is new there again.
            if self.used.saturating_add(bytes) > self.budget {
                self.refused += 1;
                return Admit::OverBudget;
            }
            self.used += bytes;
            prev.bytes = bytes;
        }
        prev.starts_at = alert.starts_at;
        prev.ends_at = alert.ends_at;
        prev.state = alert.state;
        prev.digest = digest;
        Admit::News
    }

    /// Forgets what need not be remembered any more: alerts the correlator no longer holds
    /// (`held` says false) stop counting against the budget, and are forgotten altogether
    /// unless they resolved less than `keep_resolved` before `now` (a late redelivery of the
    /// resolve is still recognised then).
    pub fn prune(
        &mut self,
        now: Timestamp,
        keep_resolved: SignedDuration,
        held: impl Fn(Fingerprint) -> bool,
    ) {
        let mut used = 0usize;
        self.seen.retain(|fp, s| {
            if held(*fp) {
                used += s.bytes;
                return true;
            }
            s.bytes = 0;
            s.state == AlertState::Resolved
                && s.ends_at
                    .is_some_and(|e| now.duration_since(e) < keep_resolved)
        });
        self.used = used;
    }
}

/// Which episode a `startsAt` names: its whole milliseconds (see the module documentation).
fn episode(starts_at: Timestamp) -> i64 {
    starts_at.as_millisecond()
}

/// The approximate memory an alert takes once tracked: its text plus fixed overheads.
pub fn alert_bytes(alert: &Alert) -> usize {
    let entries = alert
        .labels
        .iter()
        .chain(alert.annotations.iter())
        .map(|(k, v)| k.len() + v.len() + ENTRY_OVERHEAD)
        .sum::<usize>();
    ALERT_OVERHEAD + entries + alert.generator_url.as_ref().map_or(0, String::len)
}

/// A 128-bit BLAKE3 digest of everything an alert says.
fn digest(alert: &Alert) -> u128 {
    struct B3(blake3::Hasher);
    impl Hasher for B3 {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut h = B3(blake3::Hasher::new());
    alert.labels.hash(&mut h);
    alert.annotations.hash(&mut h);
    alert.starts_at.hash(&mut h);
    alert.ends_at.hash(&mut h);
    alert.state.hash(&mut h);
    alert.generator_url.hash(&mut h);
    // Silenced by, inhibited by, lost by a restarted source: a change of those is news too.
    alert.detail.hash(&mut h);
    let out = h.0.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&out.as_bytes()[..16]);
    u128::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hm: &str) -> Timestamp {
        format!("2026-03-01T{hm}:00Z").parse().unwrap()
    }

    fn alert(start: &str, state: AlertState, end: Option<&str>) -> Alert {
        Alert {
            labels: [("alertname".to_string(), "Down".to_string())].into(),
            annotations: Default::default(),
            starts_at: at(start),
            ends_at: end.map(at),
            state,
            generator_url: None,
            detail: Default::default(),
        }
    }

    #[test]
    fn a_late_resolve_never_ends_a_newer_episode() {
        let mut e = Episodes::default();
        let n = Delivery::Notification;
        let fire1 = alert("03:00", AlertState::Firing, None);
        let res1 = alert("03:00", AlertState::Resolved, Some("03:10"));
        let fire2 = alert("03:20", AlertState::Firing, None);
        assert_eq!(e.admit(&fire1, n), Admit::News);
        assert_eq!(e.admit(&res1, n), Admit::News);
        assert_eq!(e.admit(&fire2, n), Admit::News);
        assert_eq!(e.admit(&res1, n), Admit::Stale);
        assert_eq!(e.admit(&fire1, n), Admit::Stale);
        assert_eq!(e.admit(&fire2, n), Admit::Duplicate);
        // Its own resolve ends it; a firing redelivered after that is stale, a second resolve
        // (another peer's end time) a duplicate; the poller may reopen it.
        let res2 = alert("03:20", AlertState::Resolved, Some("03:30"));
        assert_eq!(e.admit(&res2, n), Admit::News);
        assert_eq!(e.admit(&fire2, n), Admit::Stale);
        let res2b = alert("03:20", AlertState::Resolved, Some("03:31"));
        assert_eq!(e.admit(&res2b, n), Admit::Duplicate);
        assert_eq!(e.admit(&fire2, Delivery::Snapshot), Admit::News);
    }

    #[test]
    fn the_api_s_milliseconds_name_the_webhook_s_episode() {
        let mut e = Episodes::default();
        let mut hook = alert("03:00", AlertState::Firing, None);
        hook.starts_at += SignedDuration::from_nanos(609_463_328);
        let mut api = alert("03:00", AlertState::Suppressed, None);
        api.starts_at += SignedDuration::from_millis(609);
        assert_eq!(e.admit(&hook, Delivery::Notification), Admit::News);
        assert_eq!(e.admit(&api, Delivery::Snapshot), Admit::News);
        let mut resolved = hook.clone();
        resolved.state = AlertState::Resolved;
        resolved.ends_at = Some(at("03:10"));
        assert_eq!(e.admit(&resolved, Delivery::Notification), Admit::News);
        assert_eq!(e.admit(&hook, Delivery::Notification), Admit::Stale);
    }

    #[test]
    fn the_budget_refuses_new_alerts_never_updates() {
        let one = alert_bytes(&alert("03:00", AlertState::Firing, None));
        let mut e = Episodes::new(one * 2);
        let n = Delivery::Notification;
        let named = |name: &str, state, end| {
            let mut a = alert("03:00", state, end);
            a.labels.insert("alertname".into(), name.into());
            a
        };
        assert_eq!(
            e.admit(&named("Aaaa", AlertState::Firing, None), n),
            Admit::News
        );
        assert_eq!(
            e.admit(&named("Bbbb", AlertState::Firing, None), n),
            Admit::News
        );
        assert_eq!(
            e.admit(&named("Cccc", AlertState::Firing, None), n),
            Admit::OverBudget
        );
        assert_eq!(e.refused(), 1);
        let resolved = named("Aaaa", AlertState::Resolved, Some("03:05"));
        assert_eq!(e.admit(&resolved, n), Admit::News);
        assert_eq!(e.used(), 2 * one);
        // The correlator let go of A: its bytes are free, its resolve still recognised.
        let b = named("Bbbb", AlertState::Firing, None).fingerprint();
        e.prune(at("03:06"), SignedDuration::from_hours(24), |fp| fp == b);
        assert_eq!(e.used(), one);
        assert_eq!(e.admit(&resolved, n), Admit::Duplicate);
        assert_eq!(
            e.admit(&named("Cccc", AlertState::Firing, None), n),
            Admit::News
        );
        // A day later the resolve is forgotten.
        e.prune(
            at("03:06") + SignedDuration::from_hours(25),
            SignedDuration::from_hours(24),
            |_| true,
        );
        assert_eq!(e.len(), 3);
        e.prune(
            at("03:06") + SignedDuration::from_hours(25),
            SignedDuration::from_hours(24),
            |_| false,
        );
        assert!(e.is_empty());
        assert_eq!(e.used(), 0);
    }
}
