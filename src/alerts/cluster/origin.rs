//! Where a cluster probably started: the deepest alerting dependency, else the first to fire.
//! Alerting dependencies and dependents are counted on the topology's bit rows (see
//! `Topology::counts_in`): a row of bit words an alerting service, not every pair.

use std::cmp::Reverse;

use super::ids::ClusterId;
use super::outputs::Origin;
use super::{Correlator, from_ns};
use crate::alerts::model::{Alert, Fingerprint};

/// The subject an origin names: service (or app), else node, instance, namespace, job,
/// alertname.
pub(super) fn subject(a: &Alert) -> String {
    ["service", "app", "node", "instance", "namespace", "job"]
        .iter()
        .find_map(|k| a.label(k).filter(|v| !v.is_empty()))
        .unwrap_or(a.name())
        .to_string()
}

impl Correlator {
    pub(super) fn compute_origin(&self, id: ClusterId) -> Option<Origin> {
        let agg = self.agg(id);
        if agg.topo_first.len() > 1 {
            // Each alerting service's alerting dependencies and dependents, counted on bit sets:
            // linear in the services (a row of bits each), never pair by pair.
            let (_, set) = self.alerting_services(agg);
            let topo = &self.topo;
            let mut best: Option<(usize, usize, (i64, u64))> = None; // (deps, dependents) rank
            let mut best_svc = 0u32;
            for (&s, &first) in &agg.topo_first {
                let (deps, dependents) = topo.counts_in(s, &set);
                // Fewest alerting dependencies, most alerting dependents, earliest.
                let better = match best {
                    None => true,
                    Some((bd, bn, bf)) => {
                        (deps, Reverse(dependents), first) < (bd, Reverse(bn), bf)
                    }
                };
                if better {
                    best = Some((deps, dependents, first));
                    best_svc = s;
                }
            }
            if let Some((_, dependents, (_, fp))) = best
                && dependents > 0
            {
                let name = &self.topo.names[best_svc as usize];
                let on: Vec<&str> = topo
                    .dependents_in(best_svc, &set)
                    .map(|r| self.topo.names[r as usize].as_str())
                    .collect();
                let verb = if on.len() == 1 { "depends" } else { "depend" };
                return Some(Origin {
                    service: name.clone(),
                    fingerprint: Fingerprint(fp),
                    why: format!(
                        "deepest alerting dependency: {} {verb} on {name}",
                        on.join(", ")
                    ),
                });
            }
        }
        let (t, fp, slot) = agg.first?;
        Some(Origin {
            service: subject(&self.tracked[slot as usize].alert),
            fingerprint: Fingerprint(fp),
            why: format!("first to fire, at {}", crate::time::clock_hms(from_ns(t))),
        })
    }
}
