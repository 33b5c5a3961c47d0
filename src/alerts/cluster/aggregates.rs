//! Per-cluster bookkeeping ([`Agg`], kept by id in [`Aggs`]), the sorted place of each cluster,
//! and bringing touched clusters' derived fields up to date.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};

use super::Correlator;
use super::ids::{ClusterId, IdMap, NO_CLUSTER, mix};
use super::noise::NoiseMax;
use super::outputs::{Cluster, SEVERITIES};
use super::reasons::ReasonKey;
use crate::alerts::model::Severity;
use crate::alerts::text::hash_str;
use crate::time::Timestamp;

pub(super) struct Agg {
    /// Position in `clusters`; kept only while loading in bulk (`deferred`).
    pub(super) pos: usize,
    /// The rank the cluster is sorted by in `clusters` (outside bulk loading).
    pub(super) key: Rank,
    pub(super) slots: Vec<u32>,
    /// Members by alertname and by service (ids in `Correlator::strings`).
    pub(super) alertnames: IdMap<u32, u32>,
    /// Label pair ([`pair_key`]) → how many members have it: the common labels after a member
    /// left are the pairs every remaining member has, found from one member's labels instead of
    /// intersecting all of them. Made the first time a member leaves (`None` before: most
    /// clusters never lose one), then kept as members join, leave and merge.
    pub(super) labels: Option<IdMap<u64, u32>>,
    pub(super) services: IdMap<u32, u32>,
    /// [state][severity] member counts.
    pub(super) sev: [[u32; 4]; 3],
    /// Reason id → how many neighbouring pairs of members it explains.
    pub(super) reason_counts: IdMap<u64, u32>,
    /// The reasons with a count, in display order.
    pub(super) reasons: BTreeSet<ReasonKey>,
    /// Topology services of driving members → earliest (start, fp): the topology reasons and
    /// the origin are made from these (see `compute_reasons`, `compute_origin`).
    pub(super) topo_first: BTreeMap<u32, (i64, u64)>,
    /// Earliest driving member (start, fp, slot).
    pub(super) first: Option<(i64, u64, u32)>,
    /// Earliest and latest activation of a driving member ever (`i64::MAX`, `i64::MIN` when
    /// none): the span `max_span` bounds. It never shrinks (see `rescan_span`).
    pub(super) lo: i64,
    pub(super) last: i64,
    /// Latest time a member resolved (`i64::MIN` when none did).
    pub(super) last_end: i64,
    pub(super) min_fp: u64,
    pub(super) noisy: BTreeSet<u32>,
    /// The highest marks of the noisy members (`Dirty::NOISE_SCAN`: to be found again).
    pub(super) noise_max: NoiseMax,
    /// What `refresh` has to bring up to date.
    pub(super) dirty: Dirty,
    /// Counts the changes of the cluster's alertnames, services and common labels
    /// ([`Correlator::labels_revision`]).
    pub(super) labels_rev: u64,
}

impl Default for Agg {
    /// The bookkeeping of no cluster: no members, no span, nothing to refresh.
    fn default() -> Self {
        Agg {
            pos: 0,
            key: (
                Reverse(false),
                Reverse(Severity::None),
                Reverse(Timestamp::UNIX_EPOCH),
                Reverse(Timestamp::UNIX_EPOCH),
                u64::MAX,
                NO_CLUSTER,
            ),
            slots: Vec::new(),
            alertnames: IdMap::default(),
            labels: None,
            services: IdMap::default(),
            sev: [[0; 4]; 3],
            reason_counts: IdMap::default(),
            reasons: BTreeSet::new(),
            topo_first: BTreeMap::new(),
            first: None,
            lo: i64::MAX,
            last: i64::MIN,
            last_end: i64::MIN,
            labels_rev: 0,
            min_fp: u64::MAX,
            noisy: BTreeSet::new(),
            noise_max: NoiseMax::default(),
            dirty: Dirty::default(),
        }
    }
}

/// What of a cluster is out of date: a small set of flags (bits of one byte), brought up to
/// date by `Correlator::refresh`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Dirty(u8);

impl Dirty {
    /// The highest noise marks of the members are to be found again (a noisy member changed or
    /// left): `Agg::noise_max` may be too high.
    pub(super) const NOISE_SCAN: Dirty = Dirty(1);
    /// The origin.
    pub(super) const ORIGIN: Dirty = Dirty(1 << 1);
    /// The reasons shown.
    pub(super) const REASONS: Dirty = Dirty(1 << 2);
    /// The cluster's noise marks.
    pub(super) const NOISE: Dirty = Dirty(1 << 3);
    /// Common labels, start and smallest fingerprint (a member left, or its start changed).
    pub(super) const RESCAN: Dirty = Dirty(1 << 4);

    pub(super) fn mark(&mut self, what: Dirty) {
        self.0 |= what.0;
    }

    /// Marks `what` when `cond` holds (the `|=` of a boolean).
    pub(super) fn mark_if(&mut self, what: Dirty, cond: bool) {
        if cond {
            self.mark(what);
        }
    }

    pub(super) fn clear(&mut self, what: Dirty) {
        self.0 &= !what.0;
    }

    /// Is any of `what` marked?
    pub(super) fn has(self, what: Dirty) -> bool {
        self.0 & what.0 != 0
    }
}

impl std::ops::BitOr for Dirty {
    type Output = Dirty;

    fn bitor(self, other: Dirty) -> Dirty {
        Dirty(self.0 | other.0)
    }
}

/// Cluster bookkeeping by cluster id. Ids count up and are never reused; the entries of the
/// oldest ids, once gone, are trimmed away (`base` is the id of the first entry).
#[derive(Default)]
pub(super) struct Aggs {
    pub(super) base: u32,
    pub(super) v: Vec<Option<Agg>>,
    /// What `live` shows for an id that names no live cluster: empty, never written.
    void: Agg,
    /// Where `live_mut` lets writes for such an id go (emptied each time).
    sink: Agg,
    /// Bookkeeping slips met (see [`Correlator::slips`]). Atomic so that reading paths
    /// (`&self`) count too, and the correlator stays `Sync`.
    slips: AtomicU32,
}

impl Aggs {
    pub(super) fn index(&self, id: ClusterId) -> Option<usize> {
        let i = id.0.checked_sub(self.base)? as usize;
        (i < self.v.len()).then_some(i)
    }

    pub(super) fn get(&self, id: ClusterId) -> Option<&Agg> {
        self.v[self.index(id)?].as_ref()
    }

    pub(super) fn get_mut(&mut self, id: ClusterId) -> Option<&mut Agg> {
        let i = self.index(id)?;
        self.v[i].as_mut()
    }

    pub(super) fn take(&mut self, id: ClusterId) -> Option<Agg> {
        let i = self.index(id)?;
        self.v[i].take()
    }

    pub(super) fn next_id(&self) -> ClusterId {
        ClusterId(self.base + self.v.len() as u32)
    }

    pub(super) fn push(&mut self, agg: Agg) {
        self.v.push(Some(agg));
    }

    /// The bookkeeping of a live cluster. For an id that names none (a bookkeeping slip: it is
    /// counted) an empty one, so that a slip costs a wrong answer, not the cockpit.
    pub(super) fn live(&self, id: ClusterId) -> &Agg {
        match self.get(id) {
            Some(agg) => agg,
            None => {
                self.slipped();
                &self.void
            }
        }
    }

    /// [`Aggs::live`] to write: for an id that names no live cluster (counted), an empty one
    /// whose changes go nowhere.
    pub(super) fn live_mut(&mut self, id: ClusterId) -> &mut Agg {
        match self.index(id).filter(|&i| self.v[i].is_some()) {
            Some(i) => self.v[i].as_mut().unwrap_or(&mut self.sink),
            None => {
                self.slipped();
                self.sink = Agg::default();
                &mut self.sink
            }
        }
    }

    /// The live cluster that lists `slot` among its members (a scan: for repairs only).
    pub(super) fn holding(&self, slot: u32) -> Option<ClusterId> {
        let i = self
            .v
            .iter()
            .position(|a| a.as_ref().is_some_and(|a| a.slots.contains(&slot)))?;
        Some(ClusterId(self.base + i as u32))
    }

    /// Counts a bookkeeping slip.
    pub(super) fn slipped(&self) {
        self.slips.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn slips(&self) -> u32 {
        self.slips.load(Ordering::Relaxed)
    }

    /// Drops the leading entries of clusters that are gone.
    pub(super) fn trim(&mut self) {
        let gone = self.v.iter().take_while(|a| a.is_none()).count();
        self.v.drain(..gone);
        self.base += gone as u32;
    }
}

/// The key of a label pair in [`Agg::labels`]: a 64-bit hash of name and value (two pairs of
/// one cluster sharing a key would need a 64-bit collision).
pub(super) fn pair_key(name: &str, value: &str) -> u64 {
    mix(hash_str(name).rotate_left(29) ^ hash_str(value))
}

/// Counts (`add`) or uncounts one member's labels in a cluster's label-pair counts.
pub(super) fn count_labels(
    counts: &mut IdMap<u64, u32>,
    labels: &BTreeMap<String, String>,
    add: bool,
) {
    for (k, v) in labels {
        let key = pair_key(k, v);
        if add {
            *counts.entry(key).or_default() += 1;
        } else if let Some(n) = counts.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&key);
            }
        }
    }
}

/// Sort key of a cluster: firing first, severity desc, recent activity first, later start first,
/// then the smallest member fingerprint (an order-independent tie-break). The id last keeps
/// ranks unique even while a moved member's fingerprint is still counted by its old cluster.
pub(super) type Rank = (
    Reverse<bool>,
    Reverse<Severity>,
    Reverse<Timestamp>,
    Reverse<Timestamp>,
    u64,
    ClusterId,
);

pub(super) fn stored_rank(c: &Cluster, aggs: &Aggs) -> Rank {
    aggs.live(c.id).key
}

pub(super) fn rank(c: &Cluster, aggs: &Aggs) -> Rank {
    let min_fp = aggs.get(c.id).map_or(0, |a| a.min_fp);
    (
        Reverse(c.firing > 0),
        Reverse(c.severity),
        Reverse(c.last_change),
        Reverse(c.started),
        min_fp,
        c.id,
    )
}

impl Correlator {
    /// A cluster's bookkeeping (an empty one after a slip: see [`Aggs::live`]).
    pub(super) fn agg(&self, id: ClusterId) -> &Agg {
        self.aggs.live(id)
    }

    pub(super) fn agg_mut(&mut self, id: ClusterId) -> &mut Agg {
        self.aggs.live_mut(id)
    }

    /// The cluster `id` in `clusters`; `None` (a slip, counted) when it is not there.
    pub(super) fn cluster_mut(&mut self, id: ClusterId) -> Option<&mut Cluster> {
        let pos = self.position(id)?;
        Some(&mut self.clusters[pos])
    }

    /// Where a live cluster is in `clusters`: a binary search by its stored rank (the vector is
    /// sorted by stored ranks), so moving one cluster never renumbers the others. After a
    /// bookkeeping slip (the search misses: counted) a scan, and `None` when it is not there.
    pub(super) fn position(&self, id: ClusterId) -> Option<usize> {
        let agg = self.agg(id);
        let i = if self.deferred {
            agg.pos
        } else {
            let key = agg.key;
            let aggs = &self.aggs;
            self.clusters
                .partition_point(|c| stored_rank(c, aggs) < key)
        };
        if self.clusters.get(i).is_some_and(|c| c.id == id) {
            return Some(i);
        }
        self.aggs.slipped();
        self.clusters.iter().position(|c| c.id == id)
    }

    /// An alert whose cluster id names no live cluster (a bookkeeping slip) is put back: in the
    /// live cluster that lists it, else in a new one of its own. The slip is counted; the alert
    /// is shown again and what follows finds a live cluster.
    pub(super) fn rehome(&mut self, slot: u32) {
        let s = slot as usize;
        if self.aggs.get(self.tracked[s].cluster).is_some() {
            return;
        }
        self.aggs.slipped();
        match self.aggs.holding(slot) {
            Some(id) => self.tracked[s].cluster = id,
            None => {
                self.new_cluster(slot);
            }
        }
    }

    /// Removes a cluster from `clusters` and returns it with its bookkeeping (`None`, after a
    /// slip, when either is missing).
    pub(super) fn take_cluster(&mut self, id: ClusterId) -> Option<(Cluster, Agg)> {
        let pos = self.position(id)?;
        let Some(agg) = self.aggs.take(id) else {
            self.aggs.slipped();
            return None;
        };
        self.went(id);
        let cluster = if self.deferred {
            let c = self.clusters.swap_remove(pos);
            if let Some(moved) = self.clusters.get(pos)
                && let Some(a) = self.aggs.get_mut(moved.id)
            {
                a.pos = pos;
            }
            c
        } else {
            self.clusters.remove(pos)
        };
        Some((cluster, agg))
    }

    /// Brings touched clusters' derived fields up to date and moves them to their sorted place.
    pub(super) fn settle(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.iter().copied() {
            if self.aggs.get(id).is_none() {
                continue;
            }
            self.refresh(id, true);
            if !self.deferred {
                self.reposition(id);
            }
        }
        touched.clear();
        self.touched = touched;
    }

    /// While loading in bulk: brings up to date, as [`Correlator::settle`] would, what placing
    /// the next alerts reads (common labels, start, smallest fingerprint, highest noise marks),
    /// and leaves what only the caller reads (origin, reasons, noise: made from the state, their
    /// dirty marks stay set) to the `settle` at the end, for the clusters listed in `settled`.
    pub(super) fn settle_loading(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.iter().copied() {
            if self.aggs.get(id).is_some() {
                self.refresh(id, false);
            }
        }
        self.settled.append(&mut touched);
        self.touched = touched;
    }

    /// `outputs`: also the origin, reasons and noise (else they stay dirty).
    pub(super) fn refresh(&mut self, id: ClusterId, outputs: bool) {
        if self.agg(id).dirty.has(Dirty::RESCAN) {
            // A member left or started afresh: the name's claim too.
            self.name_again(id);
        }
        let agg = self.agg(id);
        let sev = |row: &[u32; 4]| (0..4).rev().find(|&i| row[i] > 0).map(|i| SEVERITIES[i]);
        let severity = sev(&agg.sev[0])
            .or_else(|| sev(&agg.sev[1]))
            .or_else(|| sev(&agg.sev[2]))
            .unwrap_or(Severity::None);
        let dirty = agg.dirty;
        let origin = (outputs && dirty.has(Dirty::ORIGIN)).then(|| self.compute_origin(id));
        let reasons = (outputs && dirty.has(Dirty::REASONS)).then(|| self.compute_reasons(agg));
        let max = dirty.has(Dirty::NOISE_SCAN).then(|| self.scan_noise(id));
        let noise = (outputs && (dirty.has(Dirty::NOISE) || max.is_some()))
            .then(|| self.compute_noise(id, max));
        let rescan = dirty.has(Dirty::RESCAN).then(|| {
            let mut slots = agg.slots.iter().map(|&s| &self.tracked[s as usize]);
            // A live cluster has members (`remove_member` deletes it when it empties).
            let first = slots.next()?;
            let mut started = first.alert.starts_at;
            let mut min_fp = first.fingerprint.0;
            for t in slots.clone() {
                started = started.min(t.alert.starts_at);
                min_fp = min_fp.min(t.fingerprint.0);
            }
            let common = match &agg.labels {
                // The pairs of one member that every member has.
                Some(counts) => {
                    let n = agg.slots.len() as u32;
                    first
                        .alert
                        .labels
                        .iter()
                        .filter(|(k, v)| counts.get(&pair_key(k, v)) == Some(&n))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                }
                None => {
                    let mut common = first.alert.labels.clone();
                    for t in slots {
                        common.retain(|k, v| t.alert.labels.get(k).is_some_and(|x| x == v));
                    }
                    common
                }
            };
            Some((common, started, min_fp))
        });
        let rescan = rescan.flatten();
        let agg = self.agg_mut(id);
        if outputs {
            agg.dirty
                .clear(Dirty::ORIGIN | Dirty::REASONS | Dirty::NOISE);
        } else {
            // The noise is made from the highest marks found here.
            agg.dirty.mark_if(Dirty::NOISE, max.is_some());
        }
        agg.dirty.clear(Dirty::RESCAN);
        if let Some(max) = max {
            agg.noise_max = max;
            agg.dirty.clear(Dirty::NOISE_SCAN);
        }
        if let Some((_, _, min_fp)) = &rescan {
            agg.min_fp = *min_fp;
        }
        let counts = self.agg(id).sev;
        let Some(c) = self.cluster_mut(id) else {
            return;
        };
        c.severity = severity;
        c.counts = counts;
        if let Some(o) = origin {
            c.origin = o;
        }
        if let Some(r) = reasons {
            c.reasons = r;
        }
        if let Some(n) = noise {
            c.noise = n;
        }
        let mut relabelled = false;
        if let Some((common, started, _)) = rescan {
            relabelled = c.common_labels != common;
            c.common_labels = common;
            c.started = started;
        }
        if relabelled {
            self.agg_mut(id).labels_rev += 1;
        }
    }

    pub(super) fn reposition(&mut self, id: ClusterId) {
        let Some(p) = self.position(id) else {
            return;
        };
        let old = self.agg(id).key;
        let new = rank(&self.clusters[p], &self.aggs);
        if new == old {
            return;
        }
        let aggs = &self.aggs;
        // Elements are sorted by stored rank; this one still has its old rank stored.
        let t = self
            .clusters
            .partition_point(|c| stored_rank(c, aggs) < new);
        // (Ranges checked: a slip may have broken the order.)
        if old < new {
            if let Some(moved) = self.clusters.get_mut(p..t) {
                moved.rotate_left(1);
            }
        } else if let Some(moved) = self.clusters.get_mut(t..=p) {
            moved.rotate_right(1);
        }
        self.agg_mut(id).key = new;
    }
}
