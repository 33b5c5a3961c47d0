//! Novelty: how far a cluster is from every known pattern. Until the knowledge module supplies
//! runbooks and past incidents, a pattern is a known alertname; a cluster whose alertnames are all
//! unknown and unlike any known one (by words, CamelCase split) scores near 1.

use std::collections::BTreeSet;

use super::cluster::Cluster;
use super::text;

/// Novelty at or above this is shown as "human judgment".
pub const NOVEL_THRESHOLD: f64 = 0.7;

/// Known alertnames, prepared once for many [`KnownPatterns::novelty`] calls.
#[derive(Clone, Debug, Default)]
pub struct KnownPatterns {
    names: BTreeSet<String>,
    words: Vec<Vec<String>>,
}

impl KnownPatterns {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let names: BTreeSet<String> = names.into_iter().map(str::to_string).collect();
        let words = names
            .iter()
            .map(|n| text::words(n))
            .filter(|w| !w.is_empty())
            .collect();
        KnownPatterns { names, words }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// 0 when one of the cluster's alertnames is known, else 1 − the best word overlap (Jaccard)
    /// between any of its alertnames and any known one; 1 when nothing is known.
    pub fn novelty(&self, cluster: &Cluster) -> f64 {
        let mut best: f64 = 0.0;
        for name in cluster.alertnames.iter().filter(|n| !n.is_empty()) {
            if self.names.contains(name) {
                return 0.0;
            }
            let w = text::words(name);
            if w.is_empty() {
                continue;
            }
            for k in &self.words {
                best = best.max(text::jaccard(&w, k));
            }
        }
        1.0 - best
    }
}

/// Novelty of a cluster against known alertnames (see [`KnownPatterns::novelty`]).
pub fn novelty(cluster: &Cluster, known_alertnames: &BTreeSet<String>) -> f64 {
    KnownPatterns::new(known_alertnames.iter().map(String::as_str)).novelty(cluster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Alert, AlertState, ClusterConfig, Correlator};
    use std::collections::BTreeMap;

    fn cluster_of(name: &str) -> Cluster {
        let mut c = Correlator::new(ClusterConfig::default());
        let t = "2026-01-01T00:00:00Z".parse().unwrap();
        c.observe(
            Alert {
                labels: BTreeMap::from([("alertname".to_string(), name.to_string())]),
                annotations: BTreeMap::new(),
                starts_at: t,
                ends_at: None,
                state: AlertState::Firing,
                generator_url: None,
                detail: Default::default(),
            },
            t,
        );
        c.clusters()[0].clone()
    }

    #[test]
    fn known_is_zero_unknown_is_one_similar_is_between() {
        let known: BTreeSet<String> = ["PostgresDown", "KubePodCrashLooping"]
            .map(String::from)
            .into();
        assert_eq!(novelty(&cluster_of("PostgresDown"), &known), 0.0);
        assert_eq!(novelty(&cluster_of("QuantumFluxInverted"), &known), 1.0);
        let similar = novelty(&cluster_of("KubePodNotReady"), &known);
        assert!(similar > 0.0 && similar < 1.0, "{similar}");
        assert_eq!(novelty(&cluster_of("PostgresDown"), &BTreeSet::new()), 1.0);
    }
}
