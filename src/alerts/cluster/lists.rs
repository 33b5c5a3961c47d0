//! Time-sorted lists of activations per key: placing an activation links it with its nearest
//! neighbours, and taking one out (a silenced alert) unlinks it.

use super::Correlator;
use super::aggregates::Dirty;
use super::ids::NO_CLUSTER;
use super::keys::Kind;
use super::observe::Role;
use super::outputs::TrackedAlert;
use crate::alerts::model::Fingerprint;

/// One activation of an alert in a time-sorted list. Lists are sorted by (start, fingerprint):
/// an entry holds the high half of the fingerprint, and the whole is looked up by slot on a tie
/// (rare), so that the lists (some ten entries an alert) take 16 bytes an entry, not 24.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) t: i64,
    pub(super) fp_hi: u32,
    pub(super) slot: u32,
}

impl Entry {
    pub(super) fn new(t: i64, fp: Fingerprint, slot: u32) -> Entry {
        Entry {
            t,
            fp_hi: (fp.0 >> 32) as u32,
            slot,
        }
    }

    /// Does `self` come before `other`, by (start, fingerprint)? `tracked` gives the
    /// fingerprints by slot. (One alert has one slot: equal starts and fingerprints are one
    /// entry.)
    pub(super) fn before(self, other: Entry, tracked: &[TrackedAlert]) -> bool {
        match (self.t, self.fp_hi).cmp(&(other.t, other.fp_hi)) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => {
                let fp = |e: Entry| tracked[e.slot as usize].fingerprint;
                fp(self) < fp(other)
            }
        }
    }
}

/// Buffers `insert_entries` reuses, so that placing an alert allocates nothing in the common case.
#[derive(Default)]
pub(super) struct Scratch {
    pub(super) keys: Vec<(u64, Kind)>,
    pub(super) removed: Vec<(u32, u32, Kind, u64)>,
    pub(super) added: Vec<(u32, u32, Kind, u64)>,
    pub(super) links: Vec<u32>,
}

/// Inserts `e` in order; its neighbours then, or `None` when it was there already.
/// (`tracked` gives the fingerprints by slot: see [`Entry::before`].)
pub(super) fn list_insert(
    list: &mut Vec<Entry>,
    e: Entry,
    tracked: &[TrackedAlert],
) -> Option<(Option<Entry>, Option<Entry>)> {
    // Alerts mostly arrive in time order: appending is the common case.
    let last = list.last().copied();
    if last.is_none_or(|l| l.before(e, tracked)) {
        list.push(e);
        return Some((last, None));
    }
    let i = list.partition_point(|x| x.before(e, tracked));
    if list.get(i) == Some(&e) {
        return None;
    }
    list.insert(i, e);
    Some((i.checked_sub(1).map(|j| list[j]), list.get(i + 1).copied()))
}

pub(super) fn neighbours(
    list: &[Entry],
    e: Entry,
    tracked: &[TrackedAlert],
) -> (Option<Entry>, Option<Entry>) {
    if let Some(&l) = list.last()
        && l.before(e, tracked)
    {
        return (Some(l), None);
    }
    let i = list.partition_point(|x| x.before(e, tracked));
    let succ = if list.get(i) == Some(&e) {
        list.get(i + 1)
    } else {
        list.get(i)
    };
    (i.checked_sub(1).map(|j| list[j]), succ.copied())
}

impl Correlator {
    pub(super) fn activate(&mut self, slot: u32, t: i64) {
        let s = slot as usize;
        if self.inner[s].starts.contains(&t) {
            return;
        }
        self.inner[s].starts.push(t);
        self.insert_entries(slot, t);
        let fp = self.tracked[s].fingerprint.0;
        let id = self.tracked[s].cluster;
        let topo = self.inner[s].topo;
        let agg = self.agg_mut(id);
        if agg.first.is_none_or(|f| (t, fp) < (f.0, f.1)) {
            agg.first = Some((t, fp, slot));
            agg.dirty.mark(Dirty::ORIGIN);
        }
        if let Some(tp) = topo {
            match agg.topo_first.get_mut(&tp) {
                None => {
                    agg.topo_first.insert(tp, (t, fp));
                    agg.dirty.mark(Dirty::ORIGIN | Dirty::REASONS);
                }
                Some(e) if (t, fp) < *e => {
                    *e = (t, fp);
                    agg.dirty.mark(Dirty::ORIGIN);
                }
                Some(_) => {}
            }
        }
        self.touched.push(id);
    }

    pub(super) fn insert_entries(&mut self, slot: u32, t: i64) {
        let s = slot as usize;
        let e = Entry::new(t, self.tracked[s].fingerprint, slot);
        let w = self.window;
        let mut sc = std::mem::take(&mut self.scratch);
        self.keys_into(slot, &mut sc.keys);
        let Scratch {
            keys,
            removed,
            added,
            links,
        } = &mut sc;
        for &(key, kind) in keys.iter() {
            let list = self.lists.entry(key).or_default();
            let Some((p, n)) = list_insert(list, e, &self.tracked) else {
                continue;
            };
            if let (Some(p), Some(n)) = (p, n)
                && n.t - p.t <= w
            {
                removed.push((p.slot, n.slot, kind, key));
            }
            if let Some(p) = p
                && t - p.t <= w
            {
                links.push(p.slot);
                added.push((p.slot, slot, kind, key));
            }
            if let Some(n) = n
                && n.t - t <= w
            {
                links.push(n.slot);
                added.push((slot, n.slot, kind, key));
            }
        }
        // Alerts on related services link (their reasons come from the cluster's alerting
        // services: see `compute_reasons`).
        if let Some(tp) = self.inner[s].topo {
            let partition = self.inner[s].partition;
            for other in self.topo.related(tp) {
                let Some(list) = self.lists.get(&Self::service_key(partition, other)) else {
                    continue;
                };
                let (p, n) = neighbours(list, e, &self.tracked);
                for x in [p, n].into_iter().flatten() {
                    if (x.t - t).abs() <= w {
                        links.push(x.slot);
                    }
                }
            }
        }
        // A pair's reason counts while both are in one cluster (a pair kept apart by
        // `max_span` never comes together later: clusters only grow).
        for &(a, b, kind, key) in removed.iter() {
            let id = self.tracked[a as usize].cluster;
            if id == self.tracked[b as usize].cluster
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_remove(id, r);
            }
        }
        // A new alert has no cluster yet: it joins what it links to (within `max_span`), or
        // starts its own.
        let mut id = Some(self.tracked[s].cluster).filter(|c| *c != NO_CLUSTER);
        for &other in links.iter() {
            let oid = self.tracked[other as usize].cluster;
            if id == Some(oid) || !self.may_join(id, oid, t) {
                continue;
            }
            id = Some(match id {
                None => oid,
                Some(i) => self.merge(i, oid),
            });
        }
        let id = match id {
            Some(i) if self.tracked[s].cluster == i => i,
            Some(i) => {
                self.add_member(i, slot);
                i
            }
            None => self.new_cluster(slot),
        };
        // Every activation in the lists counts for the span, old ones put back included.
        let agg = self.agg_mut(id);
        agg.lo = agg.lo.min(t);
        agg.last = agg.last.max(t);
        for &(a, b, kind, key) in added.iter() {
            let (ca, cb) = (
                self.tracked[a as usize].cluster,
                self.tracked[b as usize].cluster,
            );
            if ca == id
                && cb == id
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_add(id, r);
            }
        }
        removed.clear();
        added.clear();
        links.clear();
        self.scratch = sc;
        if let Some(g) = self.inner[s].group {
            self.reanchor_after_insert(g, e);
        }
    }

    /// Takes a driving alert out of every list (it was silenced).
    pub(super) fn deactivate(&mut self, slot: u32) {
        let s = slot as usize;
        let w = self.window;
        let fp = self.tracked[s].fingerprint;
        let keys = self.keys(slot);
        let mut removed: Vec<(u32, u32, Kind, u64)> = Vec::new();
        let mut added: Vec<(u32, u32, Kind, u64)> = Vec::new();
        for &t in &self.inner[s].starts {
            let e = Entry::new(t, fp, slot);
            for &(key, kind) in &keys {
                let Some(list) = self.lists.get_mut(&key) else {
                    continue;
                };
                let i = list.partition_point(|x| x.before(e, &self.tracked));
                if list.get(i) != Some(&e) {
                    continue;
                }
                list.remove(i);
                let p = i.checked_sub(1).map(|j| list[j]);
                let n = list.get(i).copied();
                if let Some(p) = p
                    && t - p.t <= w
                {
                    removed.push((p.slot, slot, kind, key));
                }
                if let Some(n) = n
                    && n.t - t <= w
                {
                    removed.push((slot, n.slot, kind, key));
                }
                if let (Some(p), Some(n)) = (p, n)
                    && n.t - p.t <= w
                {
                    added.push((p.slot, n.slot, kind, key));
                }
                if list.is_empty() {
                    self.lists.remove(&key);
                }
            }
        }
        // Pairs count while both ends are in one cluster (see `insert_entries`).
        for (a, b, kind, key) in removed {
            let id = self.tracked[a as usize].cluster;
            if id == self.tracked[b as usize].cluster
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_remove(id, r);
            }
        }
        for (a, b, kind, key) in added {
            let id = self.tracked[a as usize].cluster;
            if id == self.tracked[b as usize].cluster
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_add(id, r);
            }
        }
        // Satellites that hung on this alert look for another anchor.
        if let Some(g) = self.inner[s].group {
            let starts = self.inner[s].starts.clone();
            for &t in starts.iter() {
                let sats: Vec<u32> = self
                    .sats
                    .get(&g)
                    .map(|l| {
                        let lo = l.partition_point(|x| x.t < t - w);
                        l[lo..]
                            .iter()
                            .take_while(|x| x.t <= t + w)
                            .map(|x| x.slot)
                            .collect()
                    })
                    .unwrap_or_default();
                for sat in sats {
                    if let Role::Satellite {
                        anchor: Some(a),
                        t: st,
                    } = self.inner[sat as usize].role
                        && a == slot
                    {
                        let anchor = self.anchor_for(g, st);
                        self.move_satellite(sat, anchor);
                    }
                }
            }
        }
    }
}
