//! The coverage index of suggested actions: which alerts each runbook covers, kept as alerts
//! arrive, fire, resolve, fill steps and are pruned, so that offering a step never scans a
//! cluster's members, nor the alerts a runbook covered long ago.
//! Part of `cockpit::suggestion`.
//!
//! Per runbook, two lanes of the alerts it covers (in coverage order: the order the alerts
//! arrived in, as the cockpit first saw them): the *active* ones (tracked and not resolved)
//! and, among them, the *open* ones (whose values were not offered yet). A changed cluster
//! asks its runbooks' open alerts only: what changed, not every alert a runbook ever covered
//! (a day-long replay covers tens of thousands, nearly all resolved or filled).
//!
//! A lane is an append-only vector sorted by place with lazy deletion: an alert that leaves
//! it is only flagged dead (found by binary search) and skipped when read; the lane is
//! compacted when more than half its entries are dead (amortised O(1) a removal). An alert
//! covered by many runbooks costs a vector push per runbook and lane, not a tree insert.

use std::collections::{HashMap, HashSet};

use super::{Suggestion, SuggestionStatus};
use crate::actions::StepRef;
use crate::alerts::{AlertState, ClusterId, Fingerprint};
use crate::cockpit::Cockpit;
use crate::knowledge::KnowledgeBase;

/// One alert in a lane: its place in coverage order, and whether it is still in the lane.
#[derive(Debug, Clone, Copy)]
struct Entry {
    place: u64,
    fp: Fingerprint,
    live: bool,
}

/// Alerts in coverage order (sorted by place), with lazy deletion: entries that left are
/// flagged dead and dropped once they are more than half the lane.
#[derive(Debug, Default)]
struct Lane {
    entries: Vec<Entry>,
    /// How many entries are flagged dead.
    dead: usize,
}

impl Lane {
    /// Puts the alert at `place` in the lane (`live`) or takes it out (flags it dead).
    fn set(&mut self, place: u64, fp: Fingerprint, live: bool) {
        if live && self.entries.last().is_none_or(|e| e.place < place) {
            self.entries.push(Entry { place, fp, live });
            return;
        }
        match self.entries.binary_search_by_key(&place, |e| e.place) {
            Ok(i) => {
                let e = &mut self.entries[i];
                if e.live == live {
                    return;
                }
                e.live = live;
                if live {
                    self.dead -= 1;
                } else {
                    self.dead += 1;
                    if self.dead * 2 > self.entries.len() {
                        self.entries.retain(|e| e.live);
                        self.dead = 0;
                    }
                }
            }
            Err(i) if live => self.entries.insert(i, Entry { place, fp, live }),
            Err(_) => {}
        }
    }

    /// The alerts in the lane, in coverage order.
    fn iter(&self) -> impl Iterator<Item = Fingerprint> + '_ {
        self.entries.iter().filter(|e| e.live).map(|e| e.fp)
    }

    /// Drops every entry (dead or alive) whose alert `keep` refuses.
    fn retain(&mut self, keep: impl Fn(Fingerprint) -> bool) {
        self.entries.retain(|e| e.live && keep(e.fp));
        self.dead = 0;
    }
}

/// The lane of runbook `r` (made when first needed).
fn lane(lanes: &mut Vec<Lane>, r: usize) -> &mut Lane {
    if r >= lanes.len() {
        lanes.resize_with(r + 1, Lane::default);
    }
    &mut lanes[r]
}

/// A covered alert: its place in coverage order, the runbooks that cover it, and whether it
/// is active (in its runbooks' active lanes).
#[derive(Debug)]
struct Cover {
    place: u64,
    runbooks: Vec<usize>,
    active: bool,
}

/// What fills steps only from alerts their runbooks cover, kept as alerts arrive so that
/// offering steps never scans a cluster's members.
#[derive(Debug, Default)]
pub(in crate::cockpit) struct Targets {
    /// Runbook (index) → the active alerts it covers (tracked, not resolved).
    active: Vec<Lane>,
    /// Runbook (index) → the active alerts it covers whose values it has not offered yet
    /// (`active` minus `filled`): what [`Cockpit::open_in`] reads.
    open: Vec<Lane>,
    /// (alert, runbook) pairs whose values have been offered in the alert's cluster.
    filled: HashSet<(Fingerprint, usize)>,
    /// `runbook-id/step-id` → indices of its suggestions.
    pub(in crate::cockpit) by_step: HashMap<StepRef, Vec<usize>>,
    /// `runbook-id/step-id` → its suggestions that may still count, in the order offered:
    /// every one that is not obsolete, and some that are until [`Targets::live_of`] next
    /// drops them. A day of incidents leaves thousands of obsolete suggestions of one step
    /// behind; what is offered next asks only these.
    live_by_step: HashMap<StepRef, Vec<usize>>,
    /// Runbook (index) → the references of its steps, in its order (made once a knowledge).
    step_refs: Vec<Vec<StepRef>>,
    /// Alert → its place in coverage order, the runbooks that cover it, whether active.
    covering: HashMap<Fingerprint, Cover>,
    /// The next place in coverage order.
    next: u64,
    /// Alert → the suggestions it is (or was) the source of; a suggestion whose source moved
    /// on stays listed under the old one too (check `source`).
    pub(in crate::cockpit) by_source: HashMap<Fingerprint, Vec<usize>>,
}

impl Targets {
    /// An empty index for `knowledge`'s runbooks.
    pub(in crate::cockpit) fn new(knowledge: &KnowledgeBase) -> Self {
        Targets {
            step_refs: step_refs(knowledge),
            ..Targets::default()
        }
    }

    /// The references of runbook `r`'s steps, in its order.
    pub(in crate::cockpit) fn step_refs(&self, r: usize) -> &[StepRef] {
        self.step_refs.get(r).map_or(&[], Vec::as_slice)
    }

    /// Indexes a new suggestion (index `i`) of step `step_ref`.
    pub(in crate::cockpit) fn add_suggestion(&mut self, step_ref: &StepRef, i: usize) {
        self.by_step.entry(step_ref.clone()).or_default().push(i);
        self.live_by_step
            .entry(step_ref.clone())
            .or_default()
            .push(i);
    }

    /// The suggestions of `step_ref` that may still count (every one not obsolete), in the
    /// order offered; the obsolete ones found are dropped from the list.
    pub(in crate::cockpit) fn live_of(
        &mut self,
        step_ref: &StepRef,
        suggestions: &[Suggestion],
    ) -> &[usize] {
        match self.live_by_step.get_mut(step_ref) {
            Some(list) => {
                list.retain(|&i| !is_obsolete(&suggestions[i]));
                list
            }
            None => &[],
        }
    }

    /// The suggestions of `step_ref` that may still count, as last looked at (a superset of
    /// those not obsolete).
    pub(in crate::cockpit) fn live(&self, step_ref: &StepRef) -> &[usize] {
        self.live_by_step.get(step_ref).map_or(&[], Vec::as_slice)
    }

    /// Suggestion `i` of `step_ref` may count again (a decision was journaled about it, which
    /// may take it out of obsolete): back in the list, in its place.
    pub(in crate::cockpit) fn revive(&mut self, step_ref: &StepRef, i: usize) {
        let list = self.live_by_step.entry(step_ref.clone()).or_default();
        if let Err(at) = list.binary_search(&i) {
            list.insert(at, i);
        }
    }

    /// Has `fp`'s runbook `r` offered its values?
    #[cfg(test)]
    pub(in crate::cockpit) fn is_filled(&self, fp: Fingerprint, r: usize) -> bool {
        self.filled.contains(&(fp, r))
    }

    /// Runbook `r` offered `fp`'s values: no longer open.
    pub(in crate::cockpit) fn fill(&mut self, fp: Fingerprint, r: usize) {
        if self.filled.insert((fp, r))
            && let Some(c) = self.covering.get(&fp)
            && let Some(open) = self.open.get_mut(r)
        {
            open.set(c.place, fp, false);
        }
    }

    /// `fp` fills `r`'s steps again (when active): open again, in its place.
    pub(in crate::cockpit) fn unfill(&mut self, fp: Fingerprint, r: usize) {
        if self.filled.remove(&(fp, r))
            && let Some(c) = self.covering.get(&fp)
            && c.active
        {
            lane(&mut self.open, r).set(c.place, fp, true);
        }
    }

    /// Puts `fp` in (or takes it out of) its runbooks' active and open sets, as `active` says.
    /// Only a change of state touches the lanes.
    fn set_active(&mut self, fp: Fingerprint, active: bool) {
        let Some(c) = self.covering.get_mut(&fp) else {
            return;
        };
        if c.active == active {
            return;
        }
        c.active = active;
        for &r in &c.runbooks {
            lane(&mut self.active, r).set(c.place, fp, active);
            let open = active && !self.filled.contains(&(fp, r));
            lane(&mut self.open, r).set(c.place, fp, open);
        }
    }

    fn clear_coverage(&mut self) {
        self.active.clear();
        self.open.clear();
        self.filled.clear();
        self.covering.clear();
        self.next = 0;
    }
}

fn is_obsolete(s: &Suggestion) -> bool {
    matches!(s.status, SuggestionStatus::Obsolete { .. })
}

/// Each runbook's step references, in order.
fn step_refs(knowledge: &KnowledgeBase) -> Vec<Vec<StepRef>> {
    knowledge
        .runbooks
        .iter()
        .map(|rb| {
            rb.steps
                .iter()
                .map(|st| StepRef::new(&rb.id, &st.id))
                .collect()
        })
        .collect()
}

impl Cockpit {
    /// The active alerts of cluster `id` that runbook `r` covers, in coverage order: O(the
    /// active alerts `r` covers), never a scan of the cluster nor of resolved alerts.
    pub(in crate::cockpit) fn covered_in(
        &self,
        id: ClusterId,
        r: usize,
    ) -> impl Iterator<Item = Fingerprint> + '_ {
        self.in_cluster(self.targets.active.get(r), id)
    }

    /// The active alerts of cluster `id` that runbook `r` covers and has not offered the
    /// values of yet, in coverage order: what a changed cluster asks of `r`.
    pub(in crate::cockpit) fn open_in(
        &self,
        id: ClusterId,
        r: usize,
    ) -> impl Iterator<Item = Fingerprint> + '_ {
        self.in_cluster(self.targets.open.get(r), id)
    }

    fn in_cluster<'a>(
        &'a self,
        lane: Option<&'a Lane>,
        id: ClusterId,
    ) -> impl Iterator<Item = Fingerprint> + 'a {
        lane.into_iter()
            .flat_map(Lane::iter)
            .filter(move |fp| self.correlator.alert(*fp).is_some_and(|t| t.cluster == id))
    }

    /// Notes which runbooks cover a newly seen alert (after the correlator took it).
    pub(in crate::cockpit) fn track_coverage(&mut self, fp: Fingerprint, runbooks: Vec<usize>) {
        if runbooks.is_empty() {
            return;
        }
        let place = self.targets.next;
        self.targets.next += 1;
        let cover = Cover {
            place,
            runbooks,
            active: false,
        };
        self.targets.covering.insert(fp, cover);
        self.coverage_moved(fp);
    }

    /// The correlator observed `fp` (it may have resolved or fired again): its place in the
    /// active and open sets follows.
    pub(in crate::cockpit) fn coverage_moved(&mut self, fp: Fingerprint) {
        let active = self
            .correlator
            .alert(fp)
            .is_some_and(|t| t.alert.state != AlertState::Resolved);
        self.targets.set_active(fp, active);
    }

    /// The alerts of a cluster that stopped firing fill steps again when they fire again.
    pub(in crate::cockpit) fn unfill_all(&mut self, members: &[Fingerprint]) {
        for fp in members {
            let runbooks = match self.targets.covering.get(fp) {
                Some(c) => c.runbooks.clone(),
                None => continue,
            };
            for r in runbooks {
                self.targets.unfill(*fp, r);
            }
        }
    }

    /// The waiting, targeted suggestions alert `fp` filled, each with its runbook; `fp` fills
    /// steps again when it fires again. O(the steps of the runbooks covering `fp`).
    pub(in crate::cockpit) fn filled_from(&mut self, fp: Fingerprint) -> Vec<(usize, usize)> {
        let runbooks = self
            .targets
            .covering
            .get(&fp)
            .map(|c| c.runbooks.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        // Most alerts filled no waiting step: `by_source` (a superset) says so without a look
        // at every live suggestion of the runbooks' steps.
        let fills = self.suggestions_from(fp).any(|i| {
            let s = &self.suggestions[i];
            s.targeted && s.source == fp && s.status == SuggestionStatus::Pending
        });
        for r in runbooks {
            self.targets.unfill(fp, r);
            if !fills {
                continue;
            }
            for k in 0..self.targets.step_refs(r).len() {
                let step_ref = self.targets.step_refs[r][k].clone();
                // A pending suggestion is never obsolete: the live ones are enough.
                for &i in self.targets.live_of(&step_ref, &self.suggestions) {
                    let s = &self.suggestions[i];
                    if s.targeted && s.source == fp && s.status == SuggestionStatus::Pending {
                        out.push((i, r));
                    }
                }
            }
        }
        out
    }

    /// Indexes coverage again from every tracked alert (the runbooks changed).
    pub(in crate::cockpit) fn rebuild_coverage(&mut self) {
        self.targets.clear_coverage();
        self.targets.step_refs = step_refs(&self.knowledge);
        let pairs: Vec<(Fingerprint, Vec<usize>)> = self
            .correlator
            .alerts()
            .iter()
            .map(|t| (t.fingerprint, self.knowledge.runbooks_covering(&t.alert)))
            .collect();
        for (fp, runbooks) in pairs {
            self.track_coverage(fp, runbooks);
        }
    }

    /// Drops alerts the correlator no longer tracks (pruned) from the coverage index.
    pub(in crate::cockpit) fn forget_pruned_coverage(&mut self) {
        let correlator = &self.correlator;
        let targets = &mut self.targets;
        for lane in targets.active.iter_mut().chain(targets.open.iter_mut()) {
            lane.retain(|fp| correlator.alert(fp).is_some());
        }
        targets
            .covering
            .retain(|fp, _| correlator.alert(*fp).is_some());
        targets
            .filled
            .retain(|(fp, _)| correlator.alert(*fp).is_some());
    }
}

#[cfg(test)]
#[path = "coverage_tests.rs"]
mod tests;
