//! What the correlator is told: [`ClusterConfig`], and the hashes of its label names.

use std::collections::BTreeMap;

use super::ids::mix;
use crate::alerts::text;
use crate::time::SignedDuration;

/// How the correlator links alerts and marks noise.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// Labels whose equal values put alerts in one cluster (missing = empty; an alert without any
    /// of them forms no such link). Default: `namespace`, `service`.
    pub group_by: Vec<String>,
    /// Labels any one of which, set to the same value, links two alerts. Default: `node`.
    pub link_by: Vec<String>,
    /// Labels that must be equal for any link at all. Default: `cluster`.
    pub partition_by: Vec<String>,
    /// Alerts link only when their starts are at most this far apart. Default: 10 minutes.
    pub window: SignedDuration,
    /// service → the services it depends on.
    pub topology: BTreeMap<String, Vec<String>>,
    /// Link alerts by similar text. Default: on.
    pub text_similarity: bool,
    /// Fire/resolve transitions in the last hour that make an alert flapping (0 = off). Default 4.
    pub flap_transitions: u32,
    /// Share of the last 24 hours active that makes an alert chronic (0 = off). Default 0.8.
    pub chronic_share: f64,
    /// The longest a cluster may span, from its earliest to its latest activation: an alert
    /// joins a cluster (by any link: labels, topology, text) only if the cluster with it would
    /// still span at most this, and an alert that fires again later than that after its cluster
    /// began starts a new cluster. A storm lasting a day is several incidents. Default: 2 hours.
    pub max_span: SignedDuration,
    /// A cluster whose members have all been resolved for longer than this is dropped (with its
    /// alerts) by [`Correlator::prune`]. Default: 6 hours.
    pub retention: SignedDuration,
    /// Firing episodes of one alertname within the last 7 days, with no action on it, that mark
    /// it "never acted on" (0 = off). Default 5.
    pub never_acted_firings: u32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            group_by: vec!["namespace".into(), "service".into()],
            link_by: vec!["node".into()],
            partition_by: vec!["cluster".into()],
            window: SignedDuration::from_mins(10),
            topology: BTreeMap::new(),
            text_similarity: true,
            flap_transitions: 4,
            chronic_share: 0.8,
            max_span: SignedDuration::from_hours(2),
            retention: SignedDuration::from_hours(6),
            never_acted_firings: 5,
        }
    }
}

/// Hashes of the configured label names, made once.
pub(super) struct LabelHashes {
    pub(super) partition: Vec<u64>,
    pub(super) group: Vec<u64>,
    /// Already mixed as `keys_into` uses them.
    pub(super) link: Vec<u64>,
}

impl LabelHashes {
    pub(super) fn new(cfg: &ClusterConfig) -> Self {
        let hashes = |v: &[String]| v.iter().map(|l| text::hash_str(l)).collect();
        LabelHashes {
            partition: hashes(&cfg.partition_by),
            group: hashes(&cfg.group_by),
            link: cfg
                .link_by
                .iter()
                .map(|l| mix(text::hash_str(l) ^ 0x6c61_6265))
                .collect(),
        }
    }
}
