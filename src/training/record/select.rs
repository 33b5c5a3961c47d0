//! What of the inputs goes into a recording: the samples up to the end (those before the start
//! are the budget's history), the alert events of the window (with the start of episodes still
//! open when the history begins), the reference decisions of the window.

use std::collections::{HashMap, HashSet};

use super::decision::{Decision, decision_of};
use super::{RecordInput, RecordStats, TimedAlert};
use crate::alerts::{Alert, AlertState, Fingerprint};
use crate::slo::SampleRecord;
use crate::time::Timestamp;

/// An alert fired or resolved in the recording.
pub(super) struct AlertEvent<'b> {
    pub(super) at: Timestamp,
    pub(super) resolve: bool,
    pub(super) alert: &'b Alert,
}

/// Samples of known SLOs up to `until` with sane counters, in time order.
pub(super) fn samples<'a>(
    input: &RecordInput<'a>,
    stats: &mut RecordStats,
) -> Vec<&'a SampleRecord> {
    let until = input.until;
    let mut samples: Vec<&SampleRecord> = input
        .samples
        .iter()
        .filter(|s| s.ts <= until)
        .filter(|s| {
            let known = input.slos.iter().any(|x| x.name == s.slo);
            if !known {
                stats.samples_unknown_slo += 1;
            }
            known
        })
        .filter(|s| s.good.is_finite() && s.total.is_finite() && s.good >= 0.0 && s.good <= s.total)
        .collect();
    samples.sort_by_key(|s| s.ts);
    samples
}

/// Alert events in `[since - history, until]`, plus the start of episodes open at the cutoff;
/// a resolve of an alert the recording never saw firing is dropped.
pub(super) fn alert_events<'a>(input: &RecordInput<'a>) -> Vec<AlertEvent<'a>> {
    let cutoff = input.since - input.alert_history.abs();
    let mut alerts: Vec<&TimedAlert> = input
        .alerts
        .iter()
        .filter(|a| a.at <= input.until)
        .collect();
    alerts.sort_by_key(|a| a.at);
    // Which episodes are open at the cutoff (fingerprint → index of their first fire).
    let mut open: HashMap<Fingerprint, usize> = HashMap::new();
    let mut keep = vec![false; alerts.len()];
    for (i, a) in alerts.iter().enumerate() {
        let fp = a.alert.fingerprint();
        if a.at >= cutoff {
            keep[i] = true;
            continue;
        }
        match a.alert.state {
            AlertState::Resolved => {
                open.remove(&fp);
            }
            _ => {
                open.entry(fp).or_insert(i);
            }
        }
    }
    for i in open.values() {
        keep[*i] = true;
    }
    let mut alert_events = Vec::new();
    let mut firing: HashSet<Fingerprint> = HashSet::new();
    for (i, a) in alerts.iter().enumerate() {
        if !keep[i] || !a.alert.labels.contains_key("alertname") {
            continue;
        }
        let fp = a.alert.fingerprint();
        let resolve = a.alert.state == AlertState::Resolved;
        if resolve && !firing.remove(&fp) {
            continue; // resolves an alert the recording never saw firing
        }
        if !resolve {
            firing.insert(fp);
        }
        alert_events.push(AlertEvent {
            at: a.at,
            resolve,
            alert: &a.alert,
        });
    }
    alert_events
}

/// The reference decisions of the journal's records in `[since, until]`.
pub(super) fn decisions(
    input: &RecordInput<'_>,
    stats: &mut RecordStats,
) -> Vec<(Timestamp, Decision)> {
    input
        .journal
        .iter()
        .filter(|r| r.ts >= input.since && r.ts <= input.until)
        .filter_map(|r| decision_of(r, stats).map(|d| (r.ts, d)))
        .collect()
}
