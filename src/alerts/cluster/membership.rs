//! Cluster membership: a new cluster, a member in or out, and two clusters merged.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use super::Correlator;
use super::aggregates::{Agg, Dirty, count_labels, rank, stored_rank};
use super::ids::{ClusterId, IdMap};
use super::noise::{NoiseMax, is_noisy};
use super::outputs::{Cluster, state_index};
use crate::alerts::model::{AlertState, Severity};
use crate::time::Timestamp;

impl Correlator {
    pub(super) fn new_cluster(&mut self, slot: u32) -> ClusterId {
        let id = self.aggs.next_id();
        self.tracked[slot as usize].cluster = id;
        self.name_joined(id, slot);
        let t = &self.tracked[slot as usize];
        let a = &t.alert;
        let noisy = is_noisy(&t.noise);
        let mut noise_max = NoiseMax::default();
        noise_max.fold(&t.noise);
        let i = &self.inner[slot as usize];
        let name = self.strings.get(i.name_id).to_string();
        let service = i.service_id.map(|s| self.strings.get(s).to_string());
        let mut sev = [[0; 4]; 3];
        sev[state_index(a.state)][usize::from(self.inner[slot as usize].sev)] = 1;
        let cluster = Cluster {
            id,
            name: self.naming.name(id).unwrap_or_default(),
            members: vec![t.fingerprint],
            firing: usize::from(a.state == AlertState::Firing),
            suppressed: usize::from(a.state == AlertState::Suppressed),
            alertnames: BTreeSet::from([name]),
            services: service.into_iter().collect(),
            origin: None,
            reasons: Vec::new(),
            severity: Severity::None,
            started: a.starts_at,
            last_change: t.last_change,
            common_labels: a.labels.clone(),
            noise: Vec::new(),
            counts: sev,
        };
        self.aggs.push(Agg {
            pos: self.clusters.len(),
            key: (
                Reverse(false),
                Reverse(Severity::None),
                Reverse(Timestamp::UNIX_EPOCH),
                Reverse(Timestamp::UNIX_EPOCH),
                0,
                id,
            ),
            slots: vec![slot],
            alertnames: IdMap::from_iter([(self.inner[slot as usize].name_id, 1)]),
            labels: None,
            services: IdMap::from_iter(self.inner[slot as usize].service_id.map(|s| (s, 1))),
            sev,
            reason_counts: IdMap::default(),
            reasons: BTreeSet::new(),
            topo_first: BTreeMap::new(),
            first: None,
            last: i64::MIN,
            lo: i64::MAX,
            last_end: i64::MIN,
            labels_rev: 0,
            min_fp: t.fingerprint.0,
            noisy: if noisy {
                BTreeSet::from([slot])
            } else {
                BTreeSet::new()
            },
            noise_max,
            dirty: Dirty::ORIGIN | Dirty::NOISE,
        });
        let key = rank(&cluster, &self.aggs);
        self.agg_mut(id).key = key;
        if self.deferred {
            self.clusters.push(cluster);
        } else {
            let aggs = &self.aggs;
            let i = self
                .clusters
                .partition_point(|c| stored_rank(c, aggs) < key);
            self.clusters.insert(i, cluster);
        }
        self.apply_names();
        self.touched.push(id);
        id
    }

    pub(super) fn add_member(&mut self, id: ClusterId, slot: u32) {
        self.tracked[slot as usize].cluster = id;
        self.name_joined(id, slot);
        let t = &self.tracked[slot as usize];
        let a = &t.alert;
        let noisy = is_noisy(&t.noise);
        let (fp, last_change) = (t.fingerprint, t.last_change);
        let i = &self.inner[slot as usize];
        let (state, sev) = (a.state, usize::from(i.sev));
        let (name_id, service_id) = (i.name_id, i.service_id);
        self.apply_names();
        let agg = self.aggs.live_mut(id);
        agg.slots.push(slot);
        if let Some(counts) = &mut agg.labels {
            count_labels(counts, &self.tracked[slot as usize].alert.labels, true);
        }
        // Names and services are mostly known already: allocate only for new ones.
        let count = |m: &mut IdMap<u32, u32>, k: u32| -> bool {
            let n = m.entry(k).or_default();
            *n += 1;
            *n == 1
        };
        let new_name = count(&mut agg.alertnames, name_id).then_some(name_id);
        let new_service = service_id.filter(|&svc| count(&mut agg.services, svc));
        agg.sev[state_index(state)][sev] += 1;
        agg.min_fp = agg.min_fp.min(fp.0);
        if noisy {
            agg.noisy.insert(slot);
            agg.noise_max.fold(&self.tracked[slot as usize].noise);
            agg.dirty.mark(Dirty::NOISE);
        }
        let Some(pos) = self.position(id) else {
            return;
        };
        if !self.clusters[pos].noise.is_empty() || state == AlertState::Suppressed {
            self.agg_mut(id).dirty.mark(Dirty::NOISE);
        }
        let c = &mut self.clusters[pos];
        let a = &self.tracked[slot as usize].alert;
        c.members.push(fp);
        match state {
            AlertState::Firing => c.firing += 1,
            AlertState::Suppressed => c.suppressed += 1,
            AlertState::Resolved => {}
        }
        if let Some(name) = new_name {
            c.alertnames.insert(self.strings.get(name).to_string());
        }
        if let Some(svc) = new_service {
            c.services.insert(self.strings.get(svc).to_string());
        }
        let common = c.common_labels.len();
        if c.members.len() > 1 {
            c.common_labels
                .retain(|k, v| a.labels.get(k).is_some_and(|x| x == v));
        }
        // Common labels only shrink as a member joins.
        let relabelled =
            new_name.is_some() || new_service.is_some() || c.common_labels.len() != common;
        c.started = c.started.min(a.starts_at);
        c.last_change = c.last_change.max(last_change);
        if relabelled {
            self.agg_mut(id).labels_rev += 1;
        }
        self.touched.push(id);
    }

    /// Removes a satellite, or an alert out of the lists (see `detach`), from a cluster
    /// (deleting the cluster if it empties).
    pub(super) fn remove_member(&mut self, id: ClusterId, slot: u32) {
        let t = &self.tracked[slot as usize];
        let (fp, state, sev) = (
            t.fingerprint,
            t.alert.state,
            usize::from(self.inner[slot as usize].sev),
        );
        let (name, service) = (
            self.inner[slot as usize].name_id,
            self.inner[slot as usize].service_id,
        );
        let agg = self.aggs.live_mut(id);
        if let Some(i) = agg.slots.iter().position(|&x| x == slot) {
            agg.slots.remove(i);
        }
        if agg.slots.is_empty() {
            self.delete_cluster(id);
            return;
        }
        match &mut agg.labels {
            Some(counts) => count_labels(counts, &self.tracked[slot as usize].alert.labels, false),
            None => {
                let mut counts = IdMap::default();
                for &s in &agg.slots {
                    count_labels(&mut counts, &self.tracked[s as usize].alert.labels, true);
                }
                agg.labels = Some(counts);
            }
        }
        let dec = |m: &mut IdMap<u32, u32>, k: u32| -> bool {
            if let Some(n) = m.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&k);
                    return true;
                }
            }
            false
        };
        let name_gone = dec(&mut agg.alertnames, name);
        let service_gone = service.is_some_and(|s| dec(&mut agg.services, s));
        agg.sev[state_index(state)][sev] -= 1;
        if agg.noisy.remove(&slot) {
            agg.dirty.mark(Dirty::NOISE_SCAN);
        }
        agg.dirty.mark(Dirty::NOISE | Dirty::RESCAN);
        let Some(pos) = self.position(id) else {
            return;
        };
        let c = &mut self.clusters[pos];
        if let Some(i) = c.members.iter().position(|&x| x == fp) {
            c.members.remove(i);
        }
        match state {
            AlertState::Firing => c.firing -= 1,
            AlertState::Suppressed => c.suppressed -= 1,
            AlertState::Resolved => {}
        }
        if name_gone {
            c.alertnames.remove(self.strings.get(name));
        }
        if let Some(svc) = service.filter(|_| service_gone) {
            c.services.remove(self.strings.get(svc));
        }
        if name_gone || service_gone {
            self.agg_mut(id).labels_rev += 1;
        }
        self.touched.push(id);
    }

    pub(super) fn delete_cluster(&mut self, id: ClusterId) {
        if self.aggs.get(id).is_some() {
            self.naming.remove(id);
            self.take_cluster(id);
            // A name freed may go back to a cluster a collision displaced.
            self.apply_names();
        }
    }

    /// Merges two clusters; the larger (else the older) survives. Returns the survivor.
    pub(super) fn merge(&mut self, a: ClusterId, b: ClusterId) -> ClusterId {
        if a == b {
            return a;
        }
        let (la, lb) = (self.agg(a).slots.len(), self.agg(b).slots.len());
        let (big, small) = if la > lb || (la == lb && a < b) {
            (a, b)
        } else {
            (b, a)
        };
        self.naming.absorb(big, small);
        let Some((scluster, sagg)) = self.take_cluster(small) else {
            self.apply_names();
            return big;
        };
        self.apply_names();
        for &slot in &sagg.slots {
            self.tracked[slot as usize].cluster = big;
        }
        let bagg = self.aggs.live_mut(big);
        bagg.slots.extend_from_slice(&sagg.slots);
        if let Some(counts) = &mut bagg.labels {
            match sagg.labels {
                Some(small) => {
                    for (k, n) in small {
                        *counts.entry(k).or_default() += n;
                    }
                }
                None => {
                    for &s in &sagg.slots {
                        count_labels(counts, &self.tracked[s as usize].alert.labels, true);
                    }
                }
            }
        }
        for (k, n) in sagg.alertnames {
            *bagg.alertnames.entry(k).or_default() += n;
        }
        for (k, n) in sagg.services {
            *bagg.services.entry(k).or_default() += n;
        }
        for s in 0..3 {
            for v in 0..4 {
                bagg.sev[s][v] += sagg.sev[s][v];
            }
        }
        for (k, n) in sagg.reason_counts {
            *bagg.reason_counts.entry(k).or_default() += n;
        }
        let before = bagg.reasons.len();
        bagg.reasons.extend(sagg.reasons);
        bagg.dirty
            .mark_if(Dirty::REASONS, bagg.reasons.len() != before);
        for (k, v) in sagg.topo_first {
            match bagg.topo_first.get_mut(&k) {
                None => {
                    bagg.topo_first.insert(k, v);
                    bagg.dirty.mark(Dirty::ORIGIN | Dirty::REASONS);
                }
                Some(e) if v < *e => {
                    *e = v;
                    bagg.dirty.mark(Dirty::ORIGIN);
                }
                Some(_) => {}
            }
        }
        bagg.last = bagg.last.max(sagg.last);
        bagg.lo = bagg.lo.min(sagg.lo);
        bagg.last_end = bagg.last_end.max(sagg.last_end);
        if let Some(f) = sagg.first
            && bagg.first.is_none_or(|b| (f.0, f.1) < (b.0, b.1))
        {
            bagg.first = Some(f);
            bagg.dirty.mark(Dirty::ORIGIN);
        }
        bagg.min_fp = bagg.min_fp.min(sagg.min_fp);
        // The small cluster's common labels and start may be out of date (a member left it):
        // then the survivor's are too once intersected with them.
        bagg.dirty
            .mark_if(Dirty::RESCAN, sagg.dirty.has(Dirty::RESCAN));
        if !sagg.noisy.is_empty() {
            bagg.noisy.extend(sagg.noisy);
            bagg.noise_max.merge(&sagg.noise_max);
            bagg.dirty
                .mark_if(Dirty::NOISE_SCAN, sagg.dirty.has(Dirty::NOISE_SCAN));
            bagg.dirty.mark(Dirty::NOISE);
        }
        let Some(pos) = self.position(big) else {
            return big;
        };
        if !scluster.noise.is_empty() || !self.clusters[pos].noise.is_empty() {
            self.agg_mut(big).dirty.mark(Dirty::NOISE);
        }
        let c = &mut self.clusters[pos];
        c.members.extend(scluster.members);
        c.firing += scluster.firing;
        c.suppressed += scluster.suppressed;
        c.alertnames.extend(scluster.alertnames);
        c.services.extend(scluster.services);
        let other = scluster.common_labels;
        c.common_labels
            .retain(|k, v| other.get(k).is_some_and(|x| x == v));
        c.started = c.started.min(scluster.started);
        c.last_change = c.last_change.max(scluster.last_change);
        self.agg_mut(big).labels_rev += 1;
        self.touched.push(big);
        big
    }
}
