//! What the correlator shows: tracked alerts, clusters, origins and stale candidates.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::ids::ClusterId;
use super::names::ClusterName;
use crate::alerts::model::{Alert, AlertState, Fingerprint, Severity};
use crate::alerts::noise::NoiseMark;
use crate::time::Timestamp;

/// One alert as the correlator knows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackedAlert {
    pub alert: Alert,
    pub fingerprint: Fingerprint,
    pub first_seen: Timestamp,
    /// Last state change (or new activation) seen.
    pub last_change: Timestamp,
    /// The cluster's handle (see [`ClusterId`]: the name is the cluster's).
    #[serde(skip)]
    pub cluster: ClusterId,
    /// Fire↔resolve transitions seen since first seen.
    pub transitions: u32,
    pub noise: Vec<NoiseMark>,
    /// `alert.severity()`, parsed once (the label cannot change under one fingerprint).
    #[serde(skip)]
    pub severity: Severity,
}

/// Where a cluster probably started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Origin {
    /// The service (else node, instance, namespace, job or alertname) of the origin alert.
    pub service: String,
    pub fingerprint: Fingerprint,
    pub why: String,
}

/// A group of alerts that are probably one incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    /// What it is called, on screen and in the journal (`C7f2a`: the same in every cockpit).
    #[serde(rename = "id")]
    pub name: ClusterName,
    /// This correlator's handle (counts creations: never shown).
    #[serde(skip)]
    pub id: ClusterId,
    /// In the order they joined.
    pub members: Vec<Fingerprint>,
    pub firing: usize,
    pub suppressed: usize,
    pub alertnames: BTreeSet<String>,
    pub services: BTreeSet<String>,
    pub origin: Option<Origin>,
    /// Why the members are together, e.g. "checkout depends on postgres".
    pub reasons: Vec<String>,
    /// Highest severity among firing members (else among the others).
    pub severity: Severity,
    /// Earliest `startsAt` of the members.
    pub started: Timestamp,
    pub last_change: Timestamp,
    /// Labels all members share with the same value.
    pub common_labels: BTreeMap<String, String>,
    /// Flapping / chronic when any member is; suppressed when all are.
    pub noise: Vec<NoiseMark>,
    /// Members by [state][severity] (see [`Cluster::count`]).
    #[serde(skip)]
    pub(super) counts: [[u32; 4]; 3],
}

impl Cluster {
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// How many members are in `state` with `severity`: lets a list order members by state and
    /// severity without looking at each.
    pub fn count(&self, state: AlertState, severity: Severity) -> usize {
        self.counts[state_index(state)][sev_index(severity)] as usize
    }
}

/// An alert that is probably noise a team could retire, with the evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaleCandidate {
    pub fingerprint: Fingerprint,
    pub alertname: String,
    pub service: Option<String>,
    pub noise: Vec<NoiseMark>,
    /// Fire↔resolve transitions since first seen.
    pub transitions: u32,
    pub first_seen: Timestamp,
    /// e.g. "flapping 6/h; 14 transitions since 23:00:00".
    pub evidence: String,
}

pub(super) fn sev_index(s: Severity) -> usize {
    match s {
        Severity::None => 0,
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Critical => 3,
    }
}

pub(super) const SEVERITIES: [Severity; 4] = [
    Severity::None,
    Severity::Info,
    Severity::Warning,
    Severity::Critical,
];

pub(super) fn state_index(s: AlertState) -> usize {
    match s {
        AlertState::Firing => 0,
        AlertState::Resolved => 1,
        AlertState::Suppressed => 2,
    }
}
