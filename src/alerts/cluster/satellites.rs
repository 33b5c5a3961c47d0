//! Suppressed alerts: shown in the cluster of the earliest driving alert of their group in their
//! window (their anchor), or alone; they link nothing.

use super::Correlator;
use super::lists::{Entry, list_insert, neighbours};
use super::observe::Role;

impl Correlator {
    /// The earliest driving alert with group key `g` whose start is within the window of `t`.
    pub(super) fn anchor_for(&self, g: u64, t: i64) -> Option<u32> {
        let list = self.lists.get(&g)?;
        let i = list.partition_point(|x| x.t < t.saturating_sub(self.window));
        list.get(i)
            .filter(|x| x.t <= t.saturating_add(self.window))
            .map(|x| x.slot)
    }

    pub(super) fn satellite_in(&mut self, slot: u32) {
        let s = slot as usize;
        let Role::Satellite { t, .. } = self.inner[s].role else {
            return;
        };
        let anchor = match self.inner[s].group {
            Some(g) => {
                let e = Entry::new(t, self.tracked[s].fingerprint, slot);
                let _ = list_insert(self.sats.entry(g).or_default(), e, &self.tracked);
                self.anchor_for(g, t)
            }
            None => None,
        };
        self.inner[s].role = Role::Satellite { anchor, t };
        match anchor {
            Some(a) => {
                let id = self.tracked[a as usize].cluster;
                self.add_member(id, slot);
            }
            None => {
                self.new_cluster(slot);
            }
        }
    }

    pub(super) fn satellite_out(&mut self, slot: u32, t: i64) {
        let s = slot as usize;
        if let Some(g) = self.inner[s].group {
            let e = Entry::new(t, self.tracked[s].fingerprint, slot);
            if let Some(list) = self.sats.get_mut(&g) {
                let i = list.partition_point(|x| x.before(e, &self.tracked));
                if list.get(i) == Some(&e) {
                    list.remove(i);
                }
                if list.is_empty() {
                    self.sats.remove(&g);
                }
            }
        }
    }

    pub(super) fn reanchor_after_insert(&mut self, g: u64, e: Entry) {
        let w = self.window;
        let Some(sats) = self.sats.get(&g) else {
            return;
        };
        // Mostly no satellite is near: say so before looking at the list.
        let near = sats.partition_point(|x| x.t < e.t.saturating_sub(w));
        if sats.get(near).is_none_or(|x| x.t > e.t.saturating_add(w)) {
            return;
        }
        let pred = self
            .lists
            .get(&g)
            .and_then(|l| neighbours(l, e, &self.tracked).0);
        let mut lo = e.t.saturating_sub(w);
        if let Some(p) = pred {
            lo = lo.max(p.t.saturating_add(w).saturating_add(1));
        }
        let hi = e.t.saturating_add(w);
        let start = sats.partition_point(|x| x.t < lo);
        let candidates: Vec<(u32, i64)> = sats[start..]
            .iter()
            .take_while(|x| x.t <= hi)
            .map(|x| (x.slot, x.t))
            .collect();
        for (sat, t) in candidates {
            let anchor = self.anchor_for(g, t);
            if let Role::Satellite { anchor: old, .. } = self.inner[sat as usize].role
                && old != anchor
            {
                self.move_satellite(sat, anchor);
            }
        }
    }

    pub(super) fn move_satellite(&mut self, sat: u32, anchor: Option<u32>) {
        let s = sat as usize;
        let Role::Satellite { t, .. } = self.inner[s].role else {
            return;
        };
        self.inner[s].role = Role::Satellite { anchor, t };
        let old = self.tracked[s].cluster;
        let target = anchor.map(|a| self.tracked[a as usize].cluster);
        if target == Some(old) {
            return;
        }
        if target.is_none() && self.agg(old).slots.len() == 1 {
            return;
        }
        self.remove_member(old, sat);
        match target {
            Some(id) => self.add_member(id, sat),
            None => {
                self.new_cluster(sat);
            }
        }
    }
}
