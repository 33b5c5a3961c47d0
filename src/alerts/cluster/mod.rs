//! Incremental alert correlation: the [`Correlator`] turns a stream of alerts into clusters that
//! are probably one incident each, with the reasons for every merge and a probable origin.
//!
//! # What links two alerts
//! Alerts are linked when they start within `window` of each other, are in the same partition
//! (same values of `partition_by`, e.g. the same Kubernetes cluster), and
//! - have the same values of the `group_by` labels (at least one of them set), or
//! - have the same value of any one `link_by` label (e.g. the same `node`), or
//! - are on the same service of the topology, or on services one of which depends on the other
//!   (transitively), or
//! - have similar text (MinHash bands over alertname, summary and description words).
//!
//! Clusters are the connected components of that relation, so they do not depend on the order in
//! which alerts arrive (until a chain of links reaches `max_span`: see below). Each alert's activations (each `startsAt` it fired with) are kept in
//! time-sorted lists per key; a new activation only needs to link with its nearest neighbour on
//! each side in each list, since neighbours within the window are already joined. That keeps an
//! insertion at O(log n) plus the cost of the merge (smaller cluster into larger).
//!
//! # Bounded in time: `max_span`
//! Links chain: in a storm, alert after alert starts within the window of the last, and a day
//! becomes one cluster. So a cluster spans at most `max_span` (default 2 hours) from its
//! earliest to its latest activation: an activation joins a neighbour's cluster only if the two
//! (and its own cluster) would still span no more. With alerts arriving in start order (ties in
//! any order) that is: each alert joins every cluster it links to that began at most `max_span`
//! before it; clusters that began earlier no longer take anything. (Arriving out of order, an
//! alert is judged against the clusters as they are then.) A cluster's span never shrinks, so
//! clusters kept apart stay apart. Where a chain of links reaches `max_span` in the middle of a
//! burst, the burst is cut there: what comes later is a new cluster. So where the cut falls,
//! and the clusters after it, depend on the order in which the alerts around it arrived: a
//! storm POSTed over several connections (notifications out of start order) may end with other
//! clusters than the same storm in start order (`tests/suite/live_arrival_order.rs`). Batch
//! cuts, ties and the receipt time (`now`) change nothing, nor does the order below `max_span`.
//!
//! An alert that fires again (a new `startsAt`) when its cluster began more than `max_span`
//! before, or when all its cluster's other alerts have been resolved for longer than the window,
//! is a new incident: it leaves its old cluster (which keeps its history) for a new one.
//!
//! Reasons are kept as the multiset of explanations of neighbouring pairs within one cluster, so
//! they too are the same whatever the arrival order. Topology reasons are made from the set of
//! the cluster's alerting services (every two of them one of which depends on the other), so
//! they too are the same whatever the order, and cost what that set and its edges cost, not
//! every pair of alerts.
//!
//! Suppressed alerts never link anything. A new suppressed alert is shown in the cluster of the
//! earliest non-suppressed alert with the same group key in its window (or alone). An alert that
//! drove a cluster and is silenced later stays where it is.
//!
//! # Forgetting
//! [`Correlator::prune`] drops clusters resolved for longer than `retention` (default 6 hours),
//! with their alerts; cluster ids are never reused. What each alertname did (its firing episodes
//! over the last week, and the last action on it, from [`Correlator::note_action`]) is kept
//! apart, for the "never acted on" noise mark.

mod aggregates;
mod config;
mod ids;
mod keys;
mod lists;
mod membership;
mod names;
mod noise;
#[cfg(test)]
mod noise_tests;
mod observe;
mod origin;
mod outputs;
mod prune;
mod reasons;
mod satellites;
#[cfg(test)]
mod slip_tests;
#[cfg(test)]
mod tests;
mod topology;
#[cfg(test)]
mod topology_tests;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::Arc;

use aggregates::{Aggs, rank};
use config::LabelHashes;
use ids::{IdMap, Strings};
use keys::TextSig;
use lists::{Entry, Scratch};
use names::Naming;
use noise::NameStats;
use observe::Inner;
use reasons::ReasonKey;
use topology::Topology;

pub use config::ClusterConfig;
pub use ids::ClusterId;
pub use names::ClusterName;
pub use outputs::{Cluster, Origin, StaleCandidate, TrackedAlert};
pub use reasons::MAX_REASONS;

use super::model::{Alert, Fingerprint};
use super::text;
use crate::time::Timestamp;

/// Correlates alerts into clusters, incrementally. Pure: `now` is always passed in.
pub struct Correlator {
    cfg: ClusterConfig,
    window: i64,
    max_span: i64,
    topo: Topology,
    tracked: Vec<TrackedAlert>,
    inner: Vec<Inner>,
    by_fp: IdMap<Fingerprint, u32>,
    lists: IdMap<u64, Vec<Entry>>,
    sats: IdMap<u64, Vec<Entry>>,
    clusters: Vec<Cluster>,
    aggs: Aggs,
    texts: IdMap<u64, Arc<TextSig>>,
    /// `text::words_key` of an alert's text (alertname and annotations) → its signature: most
    /// alerts repeat a text seen before (but for identifiers and values), and splitting it into
    /// words is the dearest part of placing an alert.
    raw_texts: IdMap<u64, Option<Arc<TextSig>>>,
    /// List key → the id of the reason its neighbours share (grouping labels, shared label, same
    /// service: the text depends on the list only).
    reason_texts: IdMap<u64, u64>,
    /// (first, second) text signature hashes → the id of their "similar text: …" reason.
    pair_texts: IdMap<u64, u64>,
    /// Reason id → (order, text).
    reason_by_id: IdMap<u64, ReasonKey>,
    touched: Vec<ClusterId>,
    /// Clusters `settle_loading` brought partly up to date (see there).
    settled: Vec<ClusterId>,
    deferred: bool,
    scratch: Scratch,
    /// Buffers `text_sig` reuses.
    words: text::Words,
    label_hashes: LabelHashes,
    /// Alertname (hashed) → its firing episodes and actions.
    names: IdMap<u64, NameStats>,
    strings: Strings,
    /// Tracked alerts with a noise mark other than `Suppressed` (stale candidates).
    noisy_alerts: usize,
    /// (wake, fingerprint): when an alert's noise marks may change with time alone (see
    /// `refresh_noise`). An entry whose time is not its alert's `Inner::wake` any more is stale.
    wakes: BinaryHeap<Reverse<(i64, Fingerprint)>>,
    /// The clusters' names (see `names`).
    naming: Naming,
    /// Clusters that went away (merged into another, emptied, pruned) since
    /// [`Correlator::take_gone`] was last called; `None` unless [`Correlator::track_gone`].
    gone: Option<Vec<ClusterId>>,
}

fn ns(t: Timestamp) -> i64 {
    t.as_nanosecond().clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn from_ns(n: i64) -> Timestamp {
    Timestamp::from_nanosecond(n as i128).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Correlator {
    pub fn new(cfg: ClusterConfig) -> Self {
        let window = cfg.window.as_nanos().clamp(0, i64::MAX as i128) as i64;
        let max_span = cfg.max_span.as_nanos().clamp(0, i64::MAX as i128) as i64;
        let topo = Topology::new(&cfg.topology);
        let label_hashes = LabelHashes::new(&cfg);
        Correlator {
            cfg,
            window,
            max_span,
            topo,
            tracked: Vec::new(),
            inner: Vec::new(),
            by_fp: IdMap::default(),
            lists: IdMap::default(),
            sats: IdMap::default(),
            clusters: Vec::new(),
            aggs: Aggs::default(),
            texts: IdMap::default(),
            raw_texts: IdMap::default(),
            reason_texts: IdMap::default(),
            pair_texts: IdMap::default(),
            reason_by_id: IdMap::default(),
            touched: Vec::new(),
            settled: Vec::new(),
            deferred: false,
            scratch: Scratch::default(),
            words: text::Words::default(),
            label_hashes,
            names: IdMap::default(),
            strings: Strings::default(),
            noisy_alerts: 0,
            wakes: BinaryHeap::new(),
            naming: Naming::default(),
            gone: None,
        }
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.cfg
    }

    /// Inserts or updates an alert (by fingerprint). Delivering an identical alert again changes
    /// nothing; a changed `endsAt`/annotations without a state change is stored silently.
    pub fn observe(&mut self, alert: Alert, now: Timestamp) {
        self.observe_one(alert, now);
        self.settle();
    }

    /// Observes many alerts, each with its own `now`, sorting clusters once at the end. Same
    /// result as calling [`Correlator::observe`] for each in turn, faster.
    pub fn observe_many(&mut self, alerts: impl IntoIterator<Item = (Alert, Timestamp)>) {
        let alerts = alerts.into_iter();
        let more = alerts.size_hint().0;
        self.tracked.reserve(more);
        self.inner.reserve(more);
        self.by_fp.reserve(more);
        for (i, c) in self.clusters.iter().enumerate() {
            if let Some(a) = self.aggs.get_mut(c.id) {
                a.pos = i;
            }
        }
        self.deferred = true;
        for (alert, now) in alerts {
            self.observe_one(alert, now);
            if self.touched.len() > 64 {
                self.settle_loading();
            }
        }
        self.touched.append(&mut self.settled);
        self.settle();
        self.deferred = false;
        let aggs = &self.aggs;
        self.clusters.sort_by_cached_key(|c| rank(c, aggs));
        for c in &self.clusters {
            let key = rank(c, &self.aggs);
            if let Some(a) = self.aggs.get_mut(c.id) {
                a.key = key;
            }
        }
    }

    /// Clusters, sorted: with firing alerts first, then severity (highest first), then most
    /// recent activity first.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// What cluster `id` is called (see [`ClusterName`]); `None` when it is gone.
    pub fn name(&self, id: ClusterId) -> Option<ClusterName> {
        self.aggs.get(id)?;
        self.naming.name(id)
    }

    pub fn cluster(&self, id: ClusterId) -> Option<&Cluster> {
        self.aggs.get(id)?;
        self.clusters.get(self.position(id)?)
    }

    /// The tracked members of a cluster, in the order of `Cluster::members`.
    pub fn members(&self, id: ClusterId) -> impl Iterator<Item = &TrackedAlert> + '_ {
        let slots: &[u32] = self.aggs.get(id).map_or(&[], |a| &a.slots);
        slots.iter().map(|&s| &self.tracked[s as usize])
    }

    pub fn alert(&self, fp: Fingerprint) -> Option<&TrackedAlert> {
        self.by_fp.get(&fp).map(|&s| &self.tracked[s as usize])
    }

    /// All tracked alerts, in the order first seen.
    pub fn alerts(&self) -> &[TrackedAlert] {
        &self.tracked
    }

    /// Number of tracked alerts.
    pub fn len(&self) -> usize {
        self.tracked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.is_empty()
    }

    /// Counts the changes of cluster `id`'s alertnames, services and common labels: while it
    /// stands still, so do they (what a knowledge query is built from). `None` once it is gone.
    pub fn labels_revision(&self, id: ClusterId) -> Option<u64> {
        self.aggs.get(id).map(|a| a.labels_rev)
    }

    /// From now on, remember the clusters that go away, for [`Correlator::take_gone`].
    pub fn track_gone(&mut self) {
        self.gone.get_or_insert_with(Vec::new);
    }

    /// The clusters that went away (merged into another, emptied or pruned) since the last
    /// call, so that whoever keeps something per cluster drops it without a scan of its own.
    /// Empty unless [`Correlator::track_gone`] was called.
    pub fn take_gone(&mut self) -> Vec<ClusterId> {
        self.gone.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Notes that cluster `id` went away (see [`Correlator::take_gone`]).
    fn went(&mut self, id: ClusterId) {
        if let Some(gone) = &mut self.gone {
            gone.push(id);
        }
    }

    /// Bookkeeping slips met and repaired since this correlator was made (an id naming no live
    /// cluster, a cluster missing from the sorted list): 0 unless there is a bug. A slip is
    /// repaired or costs a wrong answer, never a panic; the edge may log this when it grows.
    pub fn slips(&self) -> u32 {
        self.aggs.slips()
    }
}

impl fmt::Debug for Correlator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Correlator")
            .field("alerts", &self.tracked.len())
            .field("clusters", &self.clusters.len())
            .finish()
    }
}
