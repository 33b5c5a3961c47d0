//! Observing alerts: a new alert is placed, a known one changes state or fires again (maybe as
//! a new incident, in a new cluster).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::aggregates::Dirty;
use super::ids::ClusterId;
use super::ids::NO_CLUSTER;
use super::keys::TextSig;
use super::noise::NameStats;
use super::outputs::{TrackedAlert, sev_index, state_index};
use super::{Correlator, ns};
use crate::alerts::model::{Alert, AlertState, Fingerprint};
use crate::alerts::noise::History;
use crate::alerts::text;
use crate::time::Timestamp;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// Its activations are in the lists and link others.
    Driver,
    /// Drove once, suppressed now: stays in its cluster, links nothing.
    Member,
    /// Suppressed since first seen: shown with its anchor's cluster, or alone.
    Satellite { anchor: Option<u32>, t: i64 },
}

/// The starts of an alert's activations, in the order seen: mostly one, kept without allocating.
#[derive(Clone, Debug, Default)]
pub(super) enum Starts {
    #[default]
    None,
    One(i64),
    Many(Vec<i64>),
}

impl Starts {
    pub(super) fn push(&mut self, t: i64) {
        match self {
            Starts::None => *self = Starts::One(t),
            Starts::One(a) => *self = Starts::Many(vec![*a, t]),
            Starts::Many(v) => v.push(t),
        }
    }

    pub(super) fn clear(&mut self) {
        *self = Starts::None;
    }
}

impl std::ops::Deref for Starts {
    type Target = [i64];

    fn deref(&self) -> &[i64] {
        match self {
            Starts::None => &[],
            Starts::One(t) => std::slice::from_ref(t),
            Starts::Many(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a Starts {
    type Item = &'a i64;
    type IntoIter = std::slice::Iter<'a, i64>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

pub(super) struct Inner {
    pub(super) role: Role,
    pub(super) starts: Starts,
    pub(super) partition: u64,
    pub(super) group: Option<u64>,
    pub(super) topo: Option<u32>,
    pub(super) text: Option<Arc<TextSig>>,
    /// `sev_index` of the alert's severity (parsing the label allocates).
    pub(super) sev: u8,
    /// Hash of the alertname: the key of `Correlator::names`.
    pub(super) name: u64,
    /// Ids of the alertname and the service in `Correlator::strings`.
    pub(super) name_id: u32,
    pub(super) service_id: Option<u32>,
    pub(super) history: History,
    /// When its noise marks may change next with nothing new observed (`i64::MAX`: never);
    /// `Correlator::wakes` holds it (see `refresh_noise`).
    pub(super) wake: i64,
}

impl Correlator {
    pub(super) fn observe_one(&mut self, alert: Alert, now: Timestamp) {
        let fp = alert.fingerprint();
        match self.by_fp.get(&fp) {
            Some(&slot) => self.update(slot, alert, now),
            None => self.insert(fp, alert, now),
        }
    }

    pub(super) fn insert(&mut self, fp: Fingerprint, alert: Alert, now: Timestamp) {
        let slot = self.tracked.len() as u32;
        let now_ns = ns(now);
        let partition = self.partition_key(&alert);
        let group = self.group_key(&alert, partition);
        let name = text::hash_str(alert.name());
        let name_id = self.strings.id(alert.name(), name, &self.topo);
        let service_id = alert
            .service()
            .map(|s| self.strings.id(s, text::hash_str(s), &self.topo));
        let topo = service_id.and_then(|id| self.strings.topo[id as usize]);
        let text = if self.cfg.text_similarity {
            self.text_sig(&alert)
        } else {
            None
        };
        let start = ns(alert.starts_at);
        let severity = alert.severity();
        let sev = sev_index(severity) as u8;
        let stats = self.names.entry(name).or_insert_with(|| NameStats {
            name: alert.name().to_string(),
            ..NameStats::default()
        });
        stats.tracked += 1;
        if alert.state != AlertState::Suppressed {
            stats.history.fired(start);
        }
        let mut history = History::default();
        match alert.state {
            AlertState::Resolved => {
                history.start(start);
                history.stop(alert.ends_at.map_or(now_ns, ns));
            }
            _ => history.start(start),
        }
        let state = alert.state;
        self.by_fp.insert(fp, slot);
        self.tracked.push(TrackedAlert {
            alert,
            fingerprint: fp,
            first_seen: now,
            last_change: now,
            cluster: NO_CLUSTER,
            transitions: 0,
            noise: Vec::new(),
            severity,
        });
        self.inner.push(Inner {
            role: Role::Driver,
            starts: Starts::None,
            partition,
            group,
            topo,
            text,
            sev,
            name,
            name_id,
            service_id,
            history,
            wake: i64::MAX,
        });
        if state == AlertState::Suppressed {
            self.inner[slot as usize].role = Role::Satellite {
                anchor: None,
                t: start,
            };
            self.satellite_in(slot);
        } else {
            self.activate(slot, start);
        }
        if state == AlertState::Resolved {
            let end = self.tracked[slot as usize].alert.ends_at.map_or(now_ns, ns);
            let id = self.tracked[slot as usize].cluster;
            let agg = self.agg_mut(id);
            agg.last_end = agg.last_end.max(end);
        }
        self.update_noise(slot, now_ns);
    }

    /// Would an alert of this cluster that fires again at `t` start a new incident? When the
    /// cluster began more than `max_span` before, or all its other members have been resolved
    /// for longer than the window.
    pub(super) fn closed_for_refire(&self, slot: u32, t: i64) -> bool {
        let s = slot as usize;
        let agg = self.agg(self.tracked[s].cluster);
        if t.saturating_sub(agg.lo) > self.max_span {
            return true;
        }
        let active: u32 = agg.sev[0].iter().chain(&agg.sev[2]).sum();
        let own = u32::from(self.tracked[s].alert.state != AlertState::Resolved);
        active == own && agg.last_end != i64::MIN && t.saturating_sub(agg.last_end) > self.window
    }

    /// Takes an alert that fires again out of its old cluster (which keeps the history) into a
    /// new one of its own; an alert alone in its cluster keeps it, starting afresh.
    pub(super) fn detach(&mut self, slot: u32) {
        let s = slot as usize;
        let id = self.tracked[s].cluster;
        if self.inner[s].role == Role::Driver {
            self.deactivate(slot);
        }
        self.inner[s].starts.clear();
        if self.agg(id).slots.len() > 1 {
            self.remove_member(id, slot);
            self.rescan_span(id);
            let new = self.new_cluster(slot);
            // Its start is still the old one here.
            self.agg_mut(new).dirty.mark(Dirty::RESCAN);
        } else {
            // Nothing of it is left in the lists: it may start its span afresh.
            self.rescan_span(id);
            let agg = self.agg_mut(id);
            (agg.lo, agg.last) = (i64::MAX, i64::MIN);
            agg.last_end = i64::MIN;
            agg.dirty.mark(Dirty::REASONS | Dirty::RESCAN);
            self.touched.push(id);
        }
    }

    /// Recomputes the earliest driving member (the origin) of a cluster that lost one. Its span
    /// (`lo`, `last`) stays: it never shrinks, so that clusters kept apart by `max_span` stay
    /// apart (their neighbouring pairs were not counted as reasons).
    pub(super) fn rescan_span(&mut self, id: ClusterId) {
        let mut first: Option<(i64, u64, u32)> = None;
        let mut topo_first: BTreeMap<u32, (i64, u64)> = BTreeMap::new();
        for &slot in &self.agg(id).slots {
            let i = &self.inner[slot as usize];
            let fp = self.tracked[slot as usize].fingerprint.0;
            for &t in &i.starts {
                if first.is_none_or(|f| (t, fp) < (f.0, f.1)) {
                    first = Some((t, fp, slot));
                }
                if let Some(tp) = i.topo {
                    let e = topo_first.entry(tp).or_insert((t, fp));
                    *e = (*e).min((t, fp));
                }
            }
        }
        let agg = self.agg_mut(id);
        agg.first = first;
        agg.topo_first = topo_first;
        agg.dirty.mark(Dirty::ORIGIN | Dirty::REASONS);
        self.touched.push(id);
    }

    /// May the activation at `t` (of an alert in cluster `a`, or of a new alert when `a` is
    /// `None`) join cluster `b`? Only if all of it would span at most `max_span`.
    pub(super) fn may_join(&self, a: Option<ClusterId>, b: ClusterId, t: i64) -> bool {
        let (mut lo, mut hi) = (t, t);
        for id in a.into_iter().chain([b]) {
            let agg = self.agg(id);
            lo = lo.min(agg.lo);
            hi = hi.max(agg.last);
        }
        hi.saturating_sub(lo) <= self.max_span
    }

    pub(super) fn update(&mut self, slot: u32, alert: Alert, now: Timestamp) {
        let s = slot as usize;
        if self.tracked[s].alert == alert {
            return;
        }
        self.rehome(slot);
        let now_ns = ns(now);
        let old_state = self.tracked[s].alert.state;
        let new_state = alert.state;
        let new_start = alert.starts_at != self.tracked[s].alert.starts_at;
        let start = ns(alert.starts_at);
        let end = alert.ends_at.map_or(now_ns, ns);
        let was_active = old_state != AlertState::Resolved;
        let is_active = new_state != AlertState::Resolved;
        if new_start && new_state != AlertState::Suppressed {
            let name = self.inner[s].name;
            if let Some(n) = self.names.get_mut(&name) {
                n.history.fired(start);
            }
        }
        // Firing again, long after its cluster began or after the cluster went quiet: a new
        // incident, so a new cluster (the alert still has its old state here).
        if new_start
            && new_state == AlertState::Firing
            && matches!(self.inner[s].role, Role::Driver | Role::Member)
            && self.closed_for_refire(slot, start)
        {
            self.detach(slot);
        }
        let id = self.tracked[s].cluster;
        // The severity is a label: it cannot change under one fingerprint.
        let sev = usize::from(self.inner[s].sev);
        let mut changed = old_state != new_state;
        let in_incident = self.in_incident(slot);
        {
            let h = &mut self.inner[s].history;
            let t = &mut self.tracked[s];
            if was_active != is_active {
                t.transitions += 1;
                h.flip(now_ns, in_incident);
                if is_active {
                    h.start(start);
                } else {
                    h.stop(end);
                }
            } else if new_start && is_active {
                // A new activation without the resolve in between: we missed it.
                t.transitions += 2;
                h.flip(now_ns, in_incident);
                h.flip(now_ns, in_incident);
                h.stop(start);
                h.start(start);
                changed = true;
            }
            t.alert = alert;
            if changed {
                t.last_change = now;
            }
        }
        if old_state != new_state {
            let agg = self.agg_mut(id);
            agg.dirty.mark_if(
                Dirty::NOISE,
                old_state == AlertState::Suppressed || new_state == AlertState::Suppressed,
            );
            agg.sev[state_index(old_state)][sev] -= 1;
            agg.sev[state_index(new_state)][sev] += 1;
            if new_state == AlertState::Resolved {
                agg.last_end = agg.last_end.max(end);
            }
            if let Some(c) = self.cluster_mut(id) {
                match old_state {
                    AlertState::Firing => c.firing -= 1,
                    AlertState::Suppressed => c.suppressed -= 1,
                    AlertState::Resolved => {}
                }
                match new_state {
                    AlertState::Firing => c.firing += 1,
                    AlertState::Suppressed => c.suppressed += 1,
                    AlertState::Resolved => {}
                }
            }
        }
        if changed {
            if let Some(c) = self.cluster_mut(id)
                && now > c.last_change
            {
                c.last_change = now;
            }
            self.touched.push(id);
        }
        let role = self.inner[s].role;
        match (role, new_state) {
            (Role::Driver, AlertState::Suppressed) => {
                if new_start && !self.inner[s].starts.contains(&start) {
                    self.inner[s].starts.push(start);
                }
                self.deactivate(slot);
                self.inner[s].role = Role::Member;
            }
            (Role::Driver, _) if new_start => self.activate(slot, start),
            (Role::Member, AlertState::Suppressed)
                if new_start && !self.inner[s].starts.contains(&start) =>
            {
                self.inner[s].starts.push(start);
            }
            (Role::Member, AlertState::Suppressed) => {}
            (Role::Member, _) => {
                self.inner[s].role = Role::Driver;
                let starts = std::mem::take(&mut self.inner[s].starts);
                for &t in &starts {
                    self.insert_entries(slot, t);
                }
                self.inner[s].starts = starts;
                self.activate(slot, start);
            }
            (Role::Satellite { .. }, AlertState::Suppressed) => {}
            (Role::Satellite { t, .. }, _) => {
                self.satellite_out(slot, t);
                self.inner[s].role = Role::Driver;
                let id = self.tracked[s].cluster;
                if self.agg(id).slots.len() > 1 {
                    self.remove_member(id, slot);
                    self.new_cluster(slot);
                }
                self.activate(slot, start);
            }
            _ => {}
        }
        if new_start {
            // An earlier activation than any before (a late delivery) claims the cluster's
            // name as a joining alert would: the name does not depend on arrival order.
            self.name_joined(self.tracked[s].cluster, slot);
            self.apply_names();
        }
        self.update_noise(slot, now_ns);
    }
}
