//! Identities: [`ClusterId`] (a handle; names are in `names`), the hasher for keys that are hashes already, and the small ids of
//! alertnames and services.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::topology::Topology;

/// A cluster's handle in this correlator: stable while the cluster lives (when two clusters
/// merge the larger keeps its handle), never reused. It counts creations, so another cockpit
/// numbers the same incident differently: never shown — a cluster is shown by its
/// [`ClusterName`](super::ClusterName).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(pub u32);

/// Placeholder while a new alert is being placed.
pub(super) const NO_CLUSTER: ClusterId = ClusterId(u32::MAX);

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
pub(super) struct IdHasher(pub(super) u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub(super) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

pub(super) fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Alertnames and services by a small id, so that clusters count their members' names and
/// services without comparing strings. Ids are never reused: the table holds each distinct
/// alertname and service seen (few, in practice).
#[derive(Default)]
pub(super) struct Strings {
    pub(super) ids: IdMap<u64, u32>,
    pub(super) strings: Vec<String>,
    /// For each string: its service in the topology, if it names one.
    pub(super) topo: Vec<Option<u32>>,
}

impl Strings {
    /// The id of `s`, whose `text::hash_str` is `h`.
    pub(super) fn id(&mut self, s: &str, mut h: u64, topo: &Topology) -> u32 {
        loop {
            match self.ids.get(&h) {
                Some(&id) if self.strings[id as usize] == s => return id,
                // Another string with this hash: look further.
                Some(_) => h = mix(h ^ 0x6e65_7874),
                None => {
                    let id = self.strings.len() as u32;
                    self.ids.insert(h, id);
                    self.strings.push(s.to_string());
                    self.topo.push(topo.index.get(s).copied());
                    return id;
                }
            }
        }
    }

    pub(super) fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}
