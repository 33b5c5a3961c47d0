//! The coverage index of suggested actions: which alerts each runbook covers, kept as alerts
//! arrive, leave and are pruned, so that offering a step never scans a cluster's members.
//! Part of `cockpit::suggestion`.

use std::collections::{HashMap, HashSet};

use super::SuggestionStatus;
use crate::actions::StepRef;
use crate::alerts::{AlertState, ClusterId, Fingerprint};
use crate::cockpit::Cockpit;

/// What fills steps only from alerts their runbooks cover, kept as alerts arrive so that
/// offering steps never scans a cluster's members.
#[derive(Debug, Default)]
pub(in crate::cockpit) struct Targets {
    /// Runbook (index) → the alerts it covers, in arrival order.
    pub(in crate::cockpit) covered: HashMap<usize, Vec<Fingerprint>>,
    /// (alert, runbook) pairs whose values have been offered in the alert's cluster.
    pub(in crate::cockpit) filled: HashSet<(Fingerprint, usize)>,
    /// `runbook-id/step-id` → indices of its suggestions.
    pub(in crate::cockpit) by_step: HashMap<StepRef, Vec<usize>>,
    /// Alert → the runbooks that cover it (the reverse of `covered`).
    pub(in crate::cockpit) covering: HashMap<Fingerprint, Vec<usize>>,
    /// Alert → the suggestions it is (or was) the source of; a suggestion whose source moved
    /// on stays listed under the old one too (check `source`).
    pub(in crate::cockpit) by_source: HashMap<Fingerprint, Vec<usize>>,
}

impl Cockpit {
    /// The active alerts of cluster `id` that runbook `r` covers, in arrival order: O(what `r`
    /// covers), never a scan of the cluster.
    pub(in crate::cockpit) fn covered_in(
        &self,
        id: ClusterId,
        r: usize,
    ) -> impl Iterator<Item = Fingerprint> + '_ {
        self.targets
            .covered
            .get(&r)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(move |fp| {
                self.correlator
                    .alert(*fp)
                    .is_some_and(|t| t.cluster == id && t.alert.state != AlertState::Resolved)
            })
    }

    /// Notes which runbooks cover a newly seen alert (an entry per covering runbook).
    pub(in crate::cockpit) fn track_coverage(&mut self, fp: Fingerprint, runbooks: Vec<usize>) {
        for &r in &runbooks {
            self.targets.covered.entry(r).or_default().push(fp);
        }
        if !runbooks.is_empty() {
            self.targets.covering.insert(fp, runbooks);
        }
    }

    /// The waiting, targeted suggestions alert `fp` filled, each with its runbook; `fp` fills
    /// steps again when it fires again. O(the steps of the runbooks covering `fp`).
    pub(in crate::cockpit) fn filled_from(&mut self, fp: Fingerprint) -> Vec<(usize, usize)> {
        let runbooks = self.targets.covering.get(&fp).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for r in runbooks {
            self.targets.filled.remove(&(fp, r));
            let Some(rb) = self.knowledge.runbooks.get(r) else {
                continue;
            };
            for step in &rb.steps {
                let step_ref = StepRef::new(&rb.id, &step.id);
                for &i in self
                    .targets
                    .by_step
                    .get(&step_ref)
                    .map_or(&[][..], Vec::as_slice)
                {
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
        self.targets.covered.clear();
        self.targets.covering.clear();
        self.targets.filled.clear();
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
        for list in self.targets.covered.values_mut() {
            list.retain(|fp| correlator.alert(*fp).is_some());
        }
        self.targets
            .covering
            .retain(|fp, _| correlator.alert(*fp).is_some());
        self.targets
            .filled
            .retain(|(fp, _)| correlator.alert(*fp).is_some());
    }
}
