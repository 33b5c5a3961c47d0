//! Forgetting: clusters resolved for longer than the retention go, with their alerts.

use super::Correlator;
use super::ids::ClusterId;
use super::lists::Entry;
use super::noise::is_noisy;
use super::ns;
use super::observe::Role;
use crate::time::Timestamp;

impl Correlator {
    /// Drops the clusters whose members have all been resolved for longer than `retention`
    /// (none firing or silenced, no change since), with their alerts, so that a live correlator
    /// does not grow forever. Returns the ids dropped; ids are never used again.
    ///
    /// What stays: each alertname's firing episodes and actions (the "never acted on" mark
    /// survives; an alertname whose alerts are all gone is still a stale candidate). What goes:
    /// the dropped alerts' own histories, so an alert that fires again later starts afresh
    /// (transitions, first seen, flapping and chronic history). Flapping looks at the last hour
    /// and a chronic alert cannot have been quiet for `retention` (with the defaults, six of the
    /// last 24 hours resolved is at most 75% active, under the 80% that makes it chronic), so
    /// with a retention of an hour or more and the defaults no mark is lost.
    ///
    /// O(alerts + list entries) when something is dropped, O(clusters) otherwise: call it now
    /// and then (e.g. with `refresh_noise`).
    pub fn prune(&mut self, now: Timestamp) -> Vec<ClusterId> {
        self.settle();
        let retention = self.cfg.retention.as_nanos().clamp(0, i64::MAX as i128) as i64;
        let before = ns(now).saturating_sub(retention);
        let gone: Vec<ClusterId> = self
            .clusters
            .iter()
            .filter(|c| {
                let agg = self.agg(c.id);
                c.firing == 0
                    && c.suppressed == 0
                    && ns(c.last_change) <= before
                    && agg.last_end <= before
            })
            .map(|c| c.id)
            .collect();
        if gone.is_empty() {
            return gone;
        }
        let n = self.tracked.len();
        let mut dead = vec![false; n];
        for &id in &gone {
            for &slot in &self.agg(id).slots {
                dead[slot as usize] = true;
            }
        }
        // The lists lose the dropped activations. Where that makes two kept alerts neighbours,
        // their pair counts for their cluster (reasons are the multiset of neighbouring pairs).
        let w = self.window;
        let mut joined: Vec<(u32, u32, u64)> = Vec::new();
        self.lists.retain(|&key, list| {
            if !list.iter().any(|e| dead[e.slot as usize]) {
                return true;
            }
            let mut prev: Option<Entry> = None;
            let mut gap = false;
            list.retain(|e| {
                if dead[e.slot as usize] {
                    gap = true;
                    return false;
                }
                if let Some(p) = prev
                    && gap
                    && e.t - p.t <= w
                {
                    joined.push((p.slot, e.slot, key));
                }
                prev = Some(*e);
                gap = false;
                true
            });
            !list.is_empty()
        });
        self.sats.retain(|_, list| {
            list.retain(|e| !dead[e.slot as usize]);
            !list.is_empty()
        });
        for &id in &gone {
            self.aggs.take(id);
            self.naming.remove(id);
            self.went(id);
        }
        self.clusters.retain(|c| self.aggs.get(c.id).is_some());
        self.aggs.trim();
        self.apply_names();
        // Renumber the kept alerts.
        let mut map = vec![u32::MAX; n];
        let mut next = 0u32;
        for (old, slot) in map.iter_mut().enumerate() {
            if !dead[old] {
                *slot = next;
                next += 1;
            }
        }
        for old in (0..n).filter(|&i| dead[i]) {
            let t = &self.tracked[old];
            self.noisy_alerts -= usize::from(is_noisy(&t.noise));
            if let Some(stats) = self.names.get_mut(&self.inner[old].name) {
                stats.tracked -= 1;
                if stats.last.as_ref().is_none_or(|l| l.2 <= t.first_seen) {
                    let service = t.alert.service().map(str::to_string);
                    stats.last = Some((t.fingerprint, service, t.first_seen));
                }
            }
        }
        let mut i = 0;
        self.tracked.retain(|_| {
            i += 1;
            !dead[i - 1]
        });
        let mut i = 0;
        self.inner.retain(|_| {
            i += 1;
            !dead[i - 1]
        });
        let remap = |s: u32| map[s as usize];
        for inner in &mut self.inner {
            if let Role::Satellite { anchor, .. } = &mut inner.role {
                // An anchor is in its satellite's cluster: kept together, dropped together.
                *anchor = anchor.map(remap).filter(|&a| a != u32::MAX);
            }
        }
        self.by_fp.clear();
        for (slot, t) in self.tracked.iter().enumerate() {
            self.by_fp.insert(t.fingerprint, slot as u32);
        }
        for list in self.lists.values_mut().chain(self.sats.values_mut()) {
            for e in list {
                e.slot = remap(e.slot);
            }
        }
        for agg in self.aggs.v.iter_mut().flatten() {
            for s in &mut agg.slots {
                *s = remap(*s);
            }
            agg.noisy = agg.noisy.iter().map(|&s| remap(s)).collect();
            if let Some(f) = &mut agg.first {
                f.2 = remap(f.2);
            }
        }
        for (a, b, key) in joined {
            let (a, b) = (remap(a), remap(b));
            let (mut id, other) = (
                self.tracked[a as usize].cluster,
                self.tracked[b as usize].cluster,
            );
            if id != other {
                // Neighbours within the window are one cluster unless `max_span` keeps them
                // apart (see `insert_entries`); these only just became neighbours.
                let lo = self.agg(id).lo;
                if !self.may_join(Some(id), other, lo) {
                    continue;
                }
                id = self.merge(id, other);
            }
            let mut keys = Vec::new();
            self.keys_into(a, &mut keys);
            let Some(&(_, kind)) = keys.iter().find(|k| k.0 == key) else {
                continue;
            };
            if let Some(r) = self.pair_reason(a, b, kind, key) {
                self.reason_add(id, r);
            }
        }
        self.forget_caches();
        self.settle();
        gone
    }

    /// The text and reason caches only speed things up: once they hold far more than the
    /// alerts need, start them afresh (keeping the reasons clusters count).
    pub(super) fn forget_caches(&mut self) {
        let limit = 4 * self.tracked.len() + 4096;
        if self.raw_texts.len() + self.pair_texts.len() + self.reason_by_id.len() <= limit {
            return;
        }
        self.raw_texts.clear();
        self.texts.clear();
        self.pair_texts.clear();
        self.reason_texts.clear();
        let used: std::collections::HashSet<u64> = self
            .aggs
            .v
            .iter()
            .flatten()
            .flat_map(|a| a.reason_counts.keys().copied())
            .collect();
        self.reason_by_id.retain(|id, _| used.contains(id));
    }
}
