//! Incremental alert correlation: the [`Correlator`] turns a stream of alerts into clusters that
//! are probably one incident each, with the reasons for every merge and a probable origin.
//!
//! # What links two alerts
//! Alerts are linked when they start within `window` of each other, are in the same partition
//! (same values of `partition_by`, e.g. the same Kubernetes cluster), and
//! - have the same values of the `group_by` labels (at least one of them set), or
//! - have the same value of any one `link_by` label (e.g. the same `node`), or
//! - are on the same service of the topology, or on services one of which depends on the other
//!   (transitively), or
//! - have similar text (MinHash bands over alertname, summary and description words).
//!
//! Clusters are the connected components of that relation, so they do not depend on the order in
//! which alerts arrive. Each alert's activations (each `startsAt` it fired with) are kept in
//! time-sorted lists per key; a new activation only needs to link with its nearest neighbour on
//! each side in each list, since neighbours within the window are already joined. That keeps an
//! insertion at O(log n) plus the cost of the merge (smaller cluster into larger).
//!
//! # Bounded in time: `max_span`
//! Links chain: in a storm, alert after alert starts within the window of the last, and a day
//! becomes one cluster. So a cluster spans at most `max_span` (default 2 hours) from its
//! earliest to its latest activation: an activation joins a neighbour's cluster only if the two
//! (and its own cluster) would still span no more. With alerts arriving in start order (ties in
//! any order) that is: each alert joins every cluster it links to that began at most `max_span`
//! before it; clusters that began earlier no longer take anything. (Arriving out of order, an
//! alert is judged against the clusters as they are then.) A cluster's span never shrinks, so
//! clusters kept apart stay apart. Where a chain of links reaches `max_span` in the middle of a
//! burst, the burst is cut there: what comes later is a new cluster.
//!
//! An alert that fires again (a new `startsAt`) when its cluster began more than `max_span`
//! before, or when all its cluster's other alerts have been resolved for longer than the window,
//! is a new incident: it leaves its old cluster (which keeps its history) for a new one.
//!
//! Reasons are kept as the multiset of explanations of neighbouring pairs within one cluster, so
//! they too are the same whatever the arrival order. Topology reasons are added when a pair is
//! seen and kept.
//!
//! Suppressed alerts never link anything. A new suppressed alert is shown in the cluster of the
//! earliest non-suppressed alert with the same group key in its window (or alone). An alert that
//! drove a cluster and is silenced later stays where it is.
//!
//! # Forgetting
//! [`Correlator::prune`] drops clusters resolved for longer than `retention` (default 6 hours),
//! with their alerts; cluster ids are never reused. What each alertname did (its firing episodes
//! over the last week, and the last action on it, from [`Correlator::note_action`]) is kept
//! apart, for the "never acted on" noise mark.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::model::{Alert, AlertState, Fingerprint, Severity};
use super::noise::{ACTION_HISTORY, DAY, History, NameHistory, NoiseMark};
use super::text;
use crate::time::{SignedDuration, Timestamp};

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

/// A cluster's identity, shown as `C7`. Stable while the cluster lives; when two clusters merge
/// the larger keeps its id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(pub u32);

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{}", self.0)
    }
}

impl Serialize for ClusterId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One alert as the correlator knows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackedAlert {
    pub alert: Alert,
    pub fingerprint: Fingerprint,
    pub first_seen: Timestamp,
    /// Last state change (or new activation) seen.
    pub last_change: Timestamp,
    pub cluster: ClusterId,
    /// Fire↔resolve transitions seen since first seen.
    pub transitions: u32,
    pub noise: Vec<NoiseMark>,
    /// `alert.severity()`, parsed once (the label cannot change under one fingerprint).
    #[serde(skip)]
    pub severity: Severity,
}

/// Where a cluster probably started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Origin {
    /// The service (else node, instance, namespace, job or alertname) of the origin alert.
    pub service: String,
    pub fingerprint: Fingerprint,
    pub why: String,
}

/// A group of alerts that are probably one incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    pub id: ClusterId,
    /// In the order they joined.
    pub members: Vec<Fingerprint>,
    pub firing: usize,
    pub suppressed: usize,
    pub alertnames: BTreeSet<String>,
    pub services: BTreeSet<String>,
    pub origin: Option<Origin>,
    /// Why the members are together, e.g. "checkout depends on postgres".
    pub reasons: Vec<String>,
    /// Highest severity among firing members (else among the others).
    pub severity: Severity,
    /// Earliest `startsAt` of the members.
    pub started: Timestamp,
    pub last_change: Timestamp,
    /// Labels all members share with the same value.
    pub common_labels: BTreeMap<String, String>,
    /// Flapping / chronic when any member is; suppressed when all are.
    pub noise: Vec<NoiseMark>,
    /// Members by [state][severity] (see [`Cluster::count`]).
    #[serde(skip)]
    counts: [[u32; 4]; 3],
}

impl Cluster {
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// How many members are in `state` with `severity`: lets a list order members by state and
    /// severity without looking at each.
    pub fn count(&self, state: AlertState, severity: Severity) -> usize {
        self.counts[state_index(state)][sev_index(severity)] as usize
    }
}

/// An alert that is probably noise a team could retire, with the evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaleCandidate {
    pub fingerprint: Fingerprint,
    pub alertname: String,
    pub service: Option<String>,
    pub noise: Vec<NoiseMark>,
    /// Fire↔resolve transitions since first seen.
    pub transitions: u32,
    pub first_seen: Timestamp,
    /// e.g. "flapping 6/h; 14 transitions since 23:00:00".
    pub evidence: String,
}

// ---------------------------------------------------------------------------------------------

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
struct IdHasher(u64);

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

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// One activation of an alert in a time-sorted list. Lists are sorted by (start, fingerprint):
/// an entry holds the high half of the fingerprint, and the whole is looked up by slot on a tie
/// (rare), so that the lists (some ten entries an alert) take 16 bytes an entry, not 24.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Entry {
    t: i64,
    fp_hi: u32,
    slot: u32,
}

impl Entry {
    fn new(t: i64, fp: Fingerprint, slot: u32) -> Entry {
        Entry {
            t,
            fp_hi: (fp.0 >> 32) as u32,
            slot,
        }
    }

    /// Does `self` come before `other`, by (start, fingerprint)? `tracked` gives the
    /// fingerprints by slot. (One alert has one slot: equal starts and fingerprints are one
    /// entry.)
    fn before(self, other: Entry, tracked: &[TrackedAlert]) -> bool {
        match (self.t, self.fp_hi).cmp(&(other.t, other.fp_hi)) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            std::cmp::Ordering::Equal => {
                let fp = |e: Entry| tracked[e.slot as usize].fingerprint;
                fp(self) < fp(other)
            }
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Group,
    Label(u8),
    Service,
    /// MinHash band number.
    Text(u8),
}

/// (order, text) of a reason: 0 grouping labels, 1 shared label, 2 same service, 5 text.
type ReasonKey = (u8, Arc<str>);

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Role {
    /// Its activations are in the lists and link others.
    Driver,
    /// Drove once, suppressed now: stays in its cluster, links nothing.
    Member,
    /// Suppressed since first seen: shown with its anchor's cluster, or alone.
    Satellite { anchor: Option<u32>, t: i64 },
}

struct TextSig {
    /// Hash of `words`: identifies the word set.
    hash: u64,
    words: Vec<String>,
    /// `text::hash_str` of each word.
    word_hashes: Vec<u64>,
    bands: Vec<u64>,
}

/// Buffers `insert_entries` reuses, so that placing an alert allocates nothing in the common case.
#[derive(Default)]
struct Scratch {
    keys: Vec<(u64, Kind)>,
    removed: Vec<(u32, u32, Kind, u64)>,
    added: Vec<(u32, u32, Kind, u64)>,
    links: Vec<u32>,
    /// (topology reason, the alert on the related service).
    cross: Vec<(u32, u32)>,
}

/// The starts of an alert's activations, in the order seen: mostly one, kept without allocating.
#[derive(Clone, Debug, Default)]
enum Starts {
    #[default]
    None,
    One(i64),
    Many(Vec<i64>),
}

impl Starts {
    fn push(&mut self, t: i64) {
        match self {
            Starts::None => *self = Starts::One(t),
            Starts::One(a) => *self = Starts::Many(vec![*a, t]),
            Starts::Many(v) => v.push(t),
        }
    }

    fn clear(&mut self) {
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

struct Inner {
    role: Role,
    starts: Starts,
    partition: u64,
    group: Option<u64>,
    topo: Option<u32>,
    text: Option<Arc<TextSig>>,
    /// `sev_index` of the alert's severity (parsing the label allocates).
    sev: u8,
    /// Hash of the alertname: the key of `Correlator::names`.
    name: u64,
    /// Ids of the alertname and the service in `Correlator::strings`.
    name_id: u32,
    service_id: Option<u32>,
    history: History,
}

struct Agg {
    /// Position in `clusters`; kept only while loading in bulk (`deferred`).
    pos: usize,
    /// The rank the cluster is sorted by in `clusters` (outside bulk loading).
    key: Rank,
    slots: Vec<u32>,
    /// Members by alertname and by service (ids in `Correlator::strings`).
    alertnames: IdMap<u32, u32>,
    services: IdMap<u32, u32>,
    /// [state][severity] member counts.
    sev: [[u32; 4]; 3],
    /// Reason id → how many neighbouring pairs of members it explains.
    reason_counts: IdMap<u64, u32>,
    /// The reasons with a count, in display order.
    reasons: BTreeSet<ReasonKey>,
    /// Topology reasons seen (ids into `Topology::reasons`).
    topo_reasons: Bits,
    /// Topology services of driving members → earliest (start, fp).
    topo_first: BTreeMap<u32, (i64, u64)>,
    /// Earliest driving member (start, fp, slot).
    first: Option<(i64, u64, u32)>,
    /// Earliest and latest activation of a driving member ever (`i64::MAX`, `i64::MIN` when
    /// none): the span `max_span` bounds. It never shrinks (see `rescan_span`).
    lo: i64,
    last: i64,
    /// Latest time a member resolved (`i64::MIN` when none did).
    last_end: i64,
    min_fp: u64,
    noisy: BTreeSet<u32>,
    /// The highest marks of the noisy members (`dirty_noise_scan`: to be found again).
    noise_max: NoiseMax,
    dirty_noise_scan: bool,
    dirty_origin: bool,
    dirty_reasons: bool,
    dirty_noise: bool,
    dirty_rescan: bool,
}

/// The highest noise marks among some alerts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct NoiseMax {
    flap: Option<f64>,
    chronic: Option<f64>,
    never: Option<u32>,
}

impl NoiseMax {
    fn fold(&mut self, marks: &[NoiseMark]) {
        for m in marks {
            match *m {
                NoiseMark::Flapping {
                    transitions_per_hour: r,
                } => self.flap = Some(self.flap.map_or(r, |f| f.max(r))),
                NoiseMark::Chronic { firing_share: s } => {
                    self.chronic = Some(self.chronic.map_or(s, |c| c.max(s)))
                }
                NoiseMark::NeverActedOn { firings: n } => {
                    self.never = Some(self.never.map_or(n, |x| x.max(n)))
                }
                NoiseMark::Suppressed => {}
            }
        }
    }

    fn merge(&mut self, other: &NoiseMax) {
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        self.flap = max(self.flap, other.flap);
        self.chronic = max(self.chronic, other.chronic);
        self.never = self.never.max(other.never);
    }

    fn marks(&self) -> Vec<NoiseMark> {
        let mut out = Vec::new();
        if let Some(r) = self.flap {
            out.push(NoiseMark::Flapping {
                transitions_per_hour: r,
            });
        }
        if let Some(s) = self.chronic {
            out.push(NoiseMark::Chronic { firing_share: s });
        }
        if let Some(n) = self.never {
            out.push(NoiseMark::NeverActedOn { firings: n });
        }
        out
    }
}

/// Does an alert with these marks count as noise (suppressed alone does not)?
fn is_noisy(marks: &[NoiseMark]) -> bool {
    marks.iter().any(|m| !matches!(m, NoiseMark::Suppressed))
}

/// Cluster bookkeeping by cluster id. Ids count up and are never reused; the entries of the
/// oldest ids, once gone, are trimmed away (`base` is the id of the first entry).
#[derive(Default)]
struct Aggs {
    base: u32,
    v: Vec<Option<Agg>>,
}

impl Aggs {
    fn index(&self, id: ClusterId) -> Option<usize> {
        let i = id.0.checked_sub(self.base)? as usize;
        (i < self.v.len()).then_some(i)
    }

    fn get(&self, id: ClusterId) -> Option<&Agg> {
        self.v[self.index(id)?].as_ref()
    }

    fn get_mut(&mut self, id: ClusterId) -> Option<&mut Agg> {
        let i = self.index(id)?;
        self.v[i].as_mut()
    }

    fn take(&mut self, id: ClusterId) -> Option<Agg> {
        let i = self.index(id)?;
        self.v[i].take()
    }

    fn next_id(&self) -> ClusterId {
        ClusterId(self.base + self.v.len() as u32)
    }

    fn push(&mut self, agg: Agg) {
        self.v.push(Some(agg));
    }

    /// Drops the leading entries of clusters that are gone.
    fn trim(&mut self) {
        let gone = self.v.iter().take_while(|a| a.is_none()).count();
        self.v.drain(..gone);
        self.base += gone as u32;
    }
}

/// A set of small numbers (topology reason ids), in order.
#[derive(Clone, Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    /// Adds `n`; true when it was not there.
    fn insert(&mut self, n: u32) -> bool {
        let (w, b) = (n as usize / 64, n % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        let new = self.0[w] & (1 << b) == 0;
        self.0[w] |= 1 << b;
        new
    }

    /// Adds all of `other`; true when something was new.
    fn union_with(&mut self, other: &Bits) -> bool {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut new = false;
        for (a, &b) in self.0.iter_mut().zip(&other.0) {
            new |= b & !*a != 0;
            *a |= b;
        }
        new
    }

    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64u32)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w as u32 * 64 + b)
        })
    }
}

struct Topology {
    names: Vec<String>,
    index: HashMap<String, u32>,
    /// down[a][b]: a depends on b, transitively.
    down: Vec<Vec<bool>>,
    /// For each service: the related services and the id of the reason text.
    related: Vec<Vec<(u32, u32)>>,
    /// Reason texts ("checkout depends on postgres"), sorted: ids order like texts.
    reasons: Vec<String>,
    /// For each reason: the first hop of the dependency path when it is indirect.
    hops: Vec<Option<u32>>,
}

impl Topology {
    fn new(map: &BTreeMap<String, Vec<String>>) -> Topology {
        let mut names: Vec<String> = Vec::new();
        let mut index = HashMap::new();
        let mut id = |s: &str, names: &mut Vec<String>| -> u32 {
            *index.entry(s.to_string()).or_insert_with(|| {
                names.push(s.to_string());
                (names.len() - 1) as u32
            })
        };
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for (svc, deps) in map {
            let a = id(svc, &mut names);
            for d in deps {
                let b = id(d, &mut names);
                if a != b {
                    edges.push((a, b));
                }
            }
        }
        let n = names.len();
        let mut direct = vec![Vec::new(); n];
        for &(a, b) in &edges {
            direct[a as usize].push(b as usize);
        }
        // BFS from every service: reachability and the first hop of a shortest path.
        let mut down = vec![vec![false; n]; n];
        let mut via: Vec<Vec<Option<usize>>> = vec![vec![None; n]; n];
        for s in 0..n {
            let mut parent = vec![usize::MAX; n];
            let mut queue = std::collections::VecDeque::from([s]);
            parent[s] = s;
            while let Some(u) = queue.pop_front() {
                for &v in &direct[u] {
                    if parent[v] == usize::MAX {
                        parent[v] = u;
                        down[s][v] = true;
                        queue.push_back(v);
                    }
                }
            }
            for t in 0..n {
                if down[s][t] && parent[t] != s {
                    via[s][t] = Some(parent[t]);
                }
            }
        }
        let reason = |a: usize, b: usize| -> String {
            match via[a][b] {
                None => format!("{} depends on {}", names[a], names[b]),
                Some(v) => format!("{} depends on {} (via {})", names[a], names[b], names[v]),
            }
        };
        let mut pairs: Vec<(usize, usize, String, Option<u32>)> = Vec::new();
        for a in 0..n {
            for b in 0..n {
                if a == b {
                    continue;
                }
                let (text, hop) = match (down[a][b], down[b][a]) {
                    (true, true) => (
                        format!("{} and {} depend on each other", names[a], names[b]),
                        None,
                    ),
                    (true, false) => (reason(a, b), via[a][b]),
                    (false, true) => (reason(b, a), via[b][a]),
                    (false, false) => continue,
                };
                pairs.push((a, b, text, hop.map(|v| v as u32)));
            }
        }
        let mut texts: Vec<(String, Option<u32>)> =
            pairs.iter().map(|p| (p.2.clone(), p.3)).collect();
        texts.sort();
        texts.dedup();
        let mut related = vec![Vec::new(); n];
        for (a, b, text, _) in &pairs {
            let id = texts.partition_point(|t| t.0 < *text) as u32;
            related[*a].push((*b as u32, id));
        }
        Topology {
            index: names
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i as u32))
                .collect(),
            names,
            down,
            related,
            reasons: texts.iter().map(|t| t.0.clone()).collect(),
            hops: texts.iter().map(|t| t.1).collect(),
        }
    }

    fn linked(&self, a: u32, b: u32) -> bool {
        a == b || self.down[a as usize][b as usize] || self.down[b as usize][a as usize]
    }
}

fn ns(t: Timestamp) -> i64 {
    t.as_nanosecond().clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn from_ns(n: i64) -> Timestamp {
    Timestamp::from_nanosecond(n as i128).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The id of a reason: its order and the `text::hash_str` of its text.
fn reason_id(order: u8, text_hash: u64) -> u64 {
    mix(text_hash ^ (u64::from(order) << 56) ^ 0x7265_6173)
}

fn sev_index(s: Severity) -> usize {
    match s {
        Severity::None => 0,
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Critical => 3,
    }
}

const SEVERITIES: [Severity; 4] = [
    Severity::None,
    Severity::Info,
    Severity::Warning,
    Severity::Critical,
];

fn state_index(s: AlertState) -> usize {
    match s {
        AlertState::Firing => 0,
        AlertState::Resolved => 1,
        AlertState::Suppressed => 2,
    }
}

/// Placeholder while a new alert is being placed.
const NO_CLUSTER: ClusterId = ClusterId(u32::MAX);

/// At most this many reasons are listed per cluster (then "and N more").
pub const MAX_REASONS: usize = 24;

/// Sort key of a cluster: firing first, severity desc, recent activity first, later start first,
/// then the smallest member fingerprint (an order-independent tie-break). The id last keeps
/// ranks unique even while a moved member's fingerprint is still counted by its old cluster.
type Rank = (
    Reverse<bool>,
    Reverse<Severity>,
    Reverse<Timestamp>,
    Reverse<Timestamp>,
    u64,
    ClusterId,
);

fn stored_rank(c: &Cluster, aggs: &Aggs) -> Rank {
    aggs.get(c.id).expect("live cluster").key
}

fn rank(c: &Cluster, aggs: &Aggs) -> Rank {
    let min_fp = aggs.get(c.id).map_or(0, |a| a.min_fp);
    (
        Reverse(c.firing > 0),
        Reverse(c.severity),
        Reverse(c.last_change),
        Reverse(c.started),
        min_fp,
        c.id,
    )
}

/// The subject an origin names: service (or app), else node, instance, namespace, job,
/// alertname.
fn subject(a: &Alert) -> String {
    ["service", "app", "node", "instance", "namespace", "job"]
        .iter()
        .find_map(|k| a.label(k).filter(|v| !v.is_empty()))
        .unwrap_or(a.name())
        .to_string()
}

/// Inserts `e` in order; its neighbours then, or `None` when it was there already.
/// (`tracked` gives the fingerprints by slot: see [`Entry::before`].)
fn list_insert(
    list: &mut Vec<Entry>,
    e: Entry,
    tracked: &[TrackedAlert],
) -> Option<(Option<Entry>, Option<Entry>)> {
    // Alerts mostly arrive in time order: appending is the common case.
    let last = list.last().copied();
    if last.is_none_or(|l| l.before(e, tracked)) {
        list.push(e);
        return Some((last, None));
    }
    let i = list.partition_point(|x| x.before(e, tracked));
    if list.get(i) == Some(&e) {
        return None;
    }
    list.insert(i, e);
    Some((i.checked_sub(1).map(|j| list[j]), list.get(i + 1).copied()))
}

fn neighbours(
    list: &[Entry],
    e: Entry,
    tracked: &[TrackedAlert],
) -> (Option<Entry>, Option<Entry>) {
    if let Some(&l) = list.last()
        && l.before(e, tracked)
    {
        return (Some(l), None);
    }
    let i = list.partition_point(|x| x.before(e, tracked));
    let succ = if list.get(i) == Some(&e) {
        list.get(i + 1)
    } else {
        list.get(i)
    };
    (i.checked_sub(1).map(|j| list[j]), succ.copied())
}

/// Correlates alerts into clusters, incrementally. Pure: `now` is always passed in.
pub struct Correlator {
    cfg: ClusterConfig,
    window: i64,
    max_span: i64,
    topo: Topology,
    tracked: Vec<TrackedAlert>,
    inner: Vec<Inner>,
    by_fp: IdMap<Fingerprint, u32>,
    lists: IdMap<u64, Vec<Entry>>,
    sats: IdMap<u64, Vec<Entry>>,
    clusters: Vec<Cluster>,
    aggs: Aggs,
    texts: IdMap<u64, Arc<TextSig>>,
    /// `text::words_key` of an alert's text (alertname and annotations) → its signature: most
    /// alerts repeat a text seen before (but for identifiers and values), and splitting it into
    /// words is the dearest part of placing an alert.
    raw_texts: IdMap<u64, Option<Arc<TextSig>>>,
    /// List key → the id of the reason its neighbours share (grouping labels, shared label, same
    /// service: the text depends on the list only).
    reason_texts: IdMap<u64, u64>,
    /// (first, second) text signature hashes → the id of their "similar text: …" reason.
    pair_texts: IdMap<u64, u64>,
    /// Reason id → (order, text).
    reason_by_id: IdMap<u64, ReasonKey>,
    touched: Vec<ClusterId>,
    /// Clusters `settle_loading` brought partly up to date (see there).
    settled: Vec<ClusterId>,
    deferred: bool,
    scratch: Scratch,
    /// Buffers `text_sig` reuses.
    words: text::Words,
    label_hashes: LabelHashes,
    /// Alertname (hashed) → its firing episodes and actions.
    names: IdMap<u64, NameStats>,
    strings: Strings,
    /// Tracked alerts with a noise mark other than `Suppressed` (stale candidates).
    noisy_alerts: usize,
}

/// What the correlator remembers of one alertname, beyond its alerts.
#[derive(Default)]
struct NameStats {
    name: String,
    history: NameHistory,
    /// The "never acted on" mark as of the last `refresh_noise`: what its alerts carry.
    published: Option<NoiseMark>,
    /// Tracked alerts of this name.
    tracked: u32,
    /// The alert of this name first seen last among those pruned (fingerprint, service, when):
    /// a stale candidate once all its alerts are pruned.
    last: Option<(Fingerprint, Option<String>, Timestamp)>,
}

impl NameStats {
    /// Marked, with no alert of it tracked: a stale candidate of its own.
    fn name_only(&self) -> bool {
        self.published.is_some() && self.tracked == 0
    }
}

/// Hashes of the configured label names, made once.
struct LabelHashes {
    partition: Vec<u64>,
    group: Vec<u64>,
    /// Already mixed as `keys_into` uses them.
    link: Vec<u64>,
}

impl LabelHashes {
    fn new(cfg: &ClusterConfig) -> Self {
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

/// Alertnames and services by a small id, so that clusters count their members' names and
/// services without comparing strings. Ids are never reused: the table holds each distinct
/// alertname and service seen (few, in practice).
#[derive(Default)]
struct Strings {
    ids: IdMap<u64, u32>,
    strings: Vec<String>,
    /// For each string: its service in the topology, if it names one.
    topo: Vec<Option<u32>>,
}

impl Strings {
    /// The id of `s`, whose `text::hash_str` is `h`.
    fn id(&mut self, s: &str, mut h: u64, topo: &Topology) -> u32 {
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

    fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}

impl Correlator {
    pub fn new(cfg: ClusterConfig) -> Self {
        let window = cfg.window.as_nanos().clamp(0, i64::MAX as i128) as i64;
        let max_span = cfg.max_span.as_nanos().clamp(0, i64::MAX as i128) as i64;
        let topo = Topology::new(&cfg.topology);
        let label_hashes = LabelHashes::new(&cfg);
        Correlator {
            cfg,
            window,
            max_span,
            topo,
            tracked: Vec::new(),
            inner: Vec::new(),
            by_fp: IdMap::default(),
            lists: IdMap::default(),
            sats: IdMap::default(),
            clusters: Vec::new(),
            aggs: Aggs::default(),
            texts: IdMap::default(),
            raw_texts: IdMap::default(),
            reason_texts: IdMap::default(),
            pair_texts: IdMap::default(),
            reason_by_id: IdMap::default(),
            touched: Vec::new(),
            settled: Vec::new(),
            deferred: false,
            scratch: Scratch::default(),
            words: text::Words::default(),
            label_hashes,
            names: IdMap::default(),
            strings: Strings::default(),
            noisy_alerts: 0,
        }
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.cfg
    }

    /// Inserts or updates an alert (by fingerprint). Delivering an identical alert again changes
    /// nothing; a changed `endsAt`/annotations without a state change is stored silently.
    pub fn observe(&mut self, alert: Alert, now: Timestamp) {
        self.observe_one(alert, now);
        self.settle();
    }

    /// Observes many alerts, each with its own `now`, sorting clusters once at the end. Same
    /// result as calling [`Correlator::observe`] for each in turn, faster.
    pub fn observe_many(&mut self, alerts: impl IntoIterator<Item = (Alert, Timestamp)>) {
        let alerts = alerts.into_iter();
        let more = alerts.size_hint().0;
        self.tracked.reserve(more);
        self.inner.reserve(more);
        self.by_fp.reserve(more);
        for (i, c) in self.clusters.iter().enumerate() {
            if let Some(a) = self.aggs.get_mut(c.id) {
                a.pos = i;
            }
        }
        self.deferred = true;
        for (alert, now) in alerts {
            self.observe_one(alert, now);
            if self.touched.len() > 64 {
                self.settle_loading();
            }
        }
        self.touched.append(&mut self.settled);
        self.settle();
        self.deferred = false;
        let aggs = &self.aggs;
        self.clusters.sort_by_cached_key(|c| rank(c, aggs));
        for c in &self.clusters {
            let key = rank(c, &self.aggs);
            if let Some(a) = self.aggs.get_mut(c.id) {
                a.key = key;
            }
        }
    }

    /// Re-evaluates the time-based noise marks (flapping decays, chronic grows, firing
    /// episodes and actions age out of the week) of every alert at `now`. Call it now and then
    /// (e.g. once a minute); it is O(alerts). "Never acted on" marks change only here and in
    /// [`Correlator::note_action`], so between two calls all alerts of a name agree.
    pub fn refresh_noise(&mut self, now: Timestamp) {
        let now = ns(now);
        let min = self.cfg.never_acted_firings;
        self.names.retain(|_, n| {
            let forgotten = n.history.forget_before(now);
            n.published = n.history.mark(now, min);
            !(forgotten && n.tracked == 0)
        });
        for slot in 0..self.tracked.len() as u32 {
            self.update_noise(slot, now);
        }
        self.settle();
    }

    /// Somebody acted on an alert named `alertname` at `at`: approved, rejected or executed a
    /// step, or wrote a hypothesis about its cluster. An alertname acted on within the last 7
    /// days is not "never acted on"; its alerts lose the mark at once. The cockpit calls this for
    /// every alertname of the cluster the decision was about (it reads the journal; this does
    /// not).
    pub fn note_action(&mut self, alertname: &str, at: Timestamp) {
        let key = text::hash_str(alertname);
        let at = ns(at);
        let n = self.names.entry(key).or_insert_with(|| NameStats {
            name: alertname.to_string(),
            ..NameStats::default()
        });
        n.history.acted(at);
        if n.published.take().is_some() {
            for slot in 0..self.tracked.len() as u32 {
                if self.inner[slot as usize].name == key {
                    self.update_noise(slot, at);
                }
            }
            self.settle();
        }
    }

    /// How many entries [`Correlator::stale_candidates`] would list, without making them: cheap
    /// (a counter and one pass over the alertnames), fine to call every frame.
    pub fn stale_candidate_count(&self) -> usize {
        self.noisy_alerts + self.names.values().filter(|n| n.name_only()).count()
    }

    /// Clusters, sorted: with firing alerts first, then severity (highest first), then most
    /// recent activity first.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    pub fn cluster(&self, id: ClusterId) -> Option<&Cluster> {
        self.aggs.get(id)?;
        self.clusters.get(self.position(id))
    }

    /// The tracked members of a cluster, in the order of `Cluster::members`.
    pub fn members(&self, id: ClusterId) -> impl Iterator<Item = &TrackedAlert> + '_ {
        let slots: &[u32] = self.aggs.get(id).map_or(&[], |a| &a.slots);
        slots.iter().map(|&s| &self.tracked[s as usize])
    }

    pub fn alert(&self, fp: Fingerprint) -> Option<&TrackedAlert> {
        self.by_fp.get(&fp).map(|&s| &self.tracked[s as usize])
    }

    /// All tracked alerts, in the order first seen.
    pub fn alerts(&self) -> &[TrackedAlert] {
        &self.tracked
    }

    /// Flapping, chronic or never-acted-on alerts, noisiest first: candidates to fix or retire.
    /// An alertname marked "never acted on" whose alerts were all pruned is listed once, with
    /// the last alert of that name seen.
    pub fn stale_candidates(&self) -> Vec<StaleCandidate> {
        let score = |n: &[NoiseMark]| {
            n.iter()
                .map(|m| match m {
                    NoiseMark::Flapping {
                        transitions_per_hour,
                    } => *transitions_per_hour,
                    NoiseMark::Chronic { firing_share } => 2.0 * firing_share,
                    // Episodes a day.
                    NoiseMark::NeverActedOn { firings } => {
                        f64::from(*firings) * (DAY as f64 / ACTION_HISTORY as f64)
                    }
                    NoiseMark::Suppressed => 0.0,
                })
                .sum::<f64>()
        };
        let mut out: Vec<(f64, StaleCandidate)> = self
            .tracked
            .iter()
            .filter(|t| is_noisy(&t.noise))
            .map(|t| {
                let marks: Vec<String> = t.noise.iter().map(ToString::to_string).collect();
                let evidence = format!(
                    "{}; {} transitions since {}",
                    marks.join(", "),
                    t.transitions,
                    crate::time::clock_hms(t.first_seen)
                );
                (
                    score(&t.noise),
                    StaleCandidate {
                        fingerprint: t.fingerprint,
                        alertname: t.alert.name().to_string(),
                        service: t.alert.service().map(str::to_string),
                        noise: t.noise.clone(),
                        transitions: t.transitions,
                        first_seen: t.first_seen,
                        evidence,
                    },
                )
            })
            .collect();
        for n in self.names.values().filter(|n| n.name_only()) {
            let (Some(m), Some((fp, service, first_seen))) = (&n.published, &n.last) else {
                continue;
            };
            let noise = vec![m.clone()];
            out.push((
                score(&noise),
                StaleCandidate {
                    fingerprint: *fp,
                    alertname: n.name.clone(),
                    service: service.clone(),
                    evidence: format!(
                        "{m}; no alert of it tracked now (last {fp}, first seen {})",
                        crate::time::clock_hms(*first_seen)
                    ),
                    noise,
                    transitions: 0,
                    first_seen: *first_seen,
                },
            ));
        }
        out.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.fingerprint.cmp(&b.1.fingerprint))
        });
        out.into_iter().map(|(_, c)| c).collect()
    }

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
        }
        self.clusters.retain(|c| self.aggs.get(c.id).is_some());
        self.aggs.trim();
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
    fn forget_caches(&mut self) {
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

    /// Number of tracked alerts.
    pub fn len(&self) -> usize {
        self.tracked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.is_empty()
    }

    // -- observing ------------------------------------------------------------------------------

    fn observe_one(&mut self, alert: Alert, now: Timestamp) {
        let fp = alert.fingerprint();
        match self.by_fp.get(&fp) {
            Some(&slot) => self.update(slot, alert, now),
            None => self.insert(fp, alert, now),
        }
    }

    fn insert(&mut self, fp: Fingerprint, alert: Alert, now: Timestamp) {
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
    fn closed_for_refire(&self, slot: u32, t: i64) -> bool {
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
    fn detach(&mut self, slot: u32) {
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
            self.agg_mut(new).dirty_rescan = true;
        } else {
            // Nothing of it is left in the lists: it may start its span afresh.
            self.rescan_span(id);
            let agg = self.agg_mut(id);
            (agg.lo, agg.last) = (i64::MAX, i64::MIN);
            agg.last_end = i64::MIN;
            agg.topo_reasons = Bits::default();
            agg.dirty_reasons = true;
            agg.dirty_rescan = true;
            self.touched.push(id);
        }
    }

    /// Recomputes the earliest driving member (the origin) of a cluster that lost one. Its span
    /// (`lo`, `last`) stays: it never shrinks, so that clusters kept apart by `max_span` stay
    /// apart (their neighbouring pairs were not counted as reasons).
    fn rescan_span(&mut self, id: ClusterId) {
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
        agg.dirty_origin = true;
        agg.dirty_reasons = true;
        self.touched.push(id);
    }

    /// May the activation at `t` (of an alert in cluster `a`, or of a new alert when `a` is
    /// `None`) join cluster `b`? Only if all of it would span at most `max_span`.
    fn may_join(&self, a: Option<ClusterId>, b: ClusterId, t: i64) -> bool {
        let (mut lo, mut hi) = (t, t);
        for id in a.into_iter().chain([b]) {
            let agg = self.agg(id);
            lo = lo.min(agg.lo);
            hi = hi.max(agg.last);
        }
        hi.saturating_sub(lo) <= self.max_span
    }

    fn update(&mut self, slot: u32, alert: Alert, now: Timestamp) {
        let s = slot as usize;
        if self.tracked[s].alert == alert {
            return;
        }
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
        {
            let h = &mut self.inner[s].history;
            let t = &mut self.tracked[s];
            if was_active != is_active {
                t.transitions += 1;
                h.flip(now_ns);
                if is_active {
                    h.start(start);
                } else {
                    h.stop(end);
                }
            } else if new_start && is_active {
                // A new activation without the resolve in between: we missed it.
                t.transitions += 2;
                h.flip(now_ns);
                h.flip(now_ns);
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
            agg.dirty_noise |=
                old_state == AlertState::Suppressed || new_state == AlertState::Suppressed;
            agg.sev[state_index(old_state)][sev] -= 1;
            agg.sev[state_index(new_state)][sev] += 1;
            if new_state == AlertState::Resolved {
                agg.last_end = agg.last_end.max(end);
            }
            let c = self.cluster_mut(id);
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
        if changed {
            let c = self.cluster_mut(id);
            if now > c.last_change {
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
        self.update_noise(slot, now_ns);
    }

    fn update_noise(&mut self, slot: u32, now: i64) {
        let s = slot as usize;
        let suppressed = self.tracked[s].alert.state == AlertState::Suppressed;
        let mut marks = self.inner[s].history.marks(
            now,
            suppressed,
            self.cfg.flap_transitions,
            self.cfg.chronic_share,
        );
        if let Some(m) = self
            .names
            .get(&self.inner[s].name)
            .and_then(|n| n.published.clone())
        {
            // Before `Suppressed`, which comes last.
            let at = marks.len() - usize::from(suppressed);
            marks.insert(at, m);
        }
        if marks != self.tracked[s].noise {
            let id = self.tracked[s].cluster;
            let was_noisy = is_noisy(&self.tracked[s].noise);
            let noisy = is_noisy(&marks);
            self.noisy_alerts = self.noisy_alerts + usize::from(noisy) - usize::from(was_noisy);
            let agg = self.aggs.get_mut(id).expect("live cluster");
            if noisy {
                agg.noisy.insert(slot);
            } else {
                agg.noisy.remove(&slot);
            }
            if was_noisy {
                // Its marks may have been the highest: look again.
                agg.dirty_noise_scan = true;
            } else {
                agg.noise_max.fold(&marks);
            }
            agg.dirty_noise = true;
            self.tracked[s].noise = marks;
            self.touched.push(id);
        }
    }

    // -- keys -----------------------------------------------------------------------------------

    fn partition_key(&self, a: &Alert) -> u64 {
        let mut h = 0x7061_7274u64;
        for (l, &lh) in self
            .cfg
            .partition_by
            .iter()
            .zip(&self.label_hashes.partition)
        {
            h = mix(h ^ lh);
            h = mix(h ^ text::hash_str(a.label(l).unwrap_or("")));
        }
        h
    }

    fn group_key(&self, a: &Alert, partition: u64) -> Option<u64> {
        let mut h = mix(partition ^ 0x6772_6f75);
        let mut any = false;
        for (l, &lh) in self.cfg.group_by.iter().zip(&self.label_hashes.group) {
            let v = a.label(l).unwrap_or("");
            any |= !v.is_empty();
            h = mix(h ^ lh);
            h = mix(h ^ text::hash_str(v));
        }
        any.then_some(h)
    }

    fn group_desc(&self, a: &Alert) -> String {
        let set: Vec<(&str, &str)> = self
            .cfg
            .group_by
            .iter()
            .filter_map(|l| {
                a.label(l)
                    .filter(|v| !v.is_empty())
                    .map(|v| (l.as_str(), v))
            })
            .collect();
        let names: Vec<&str> = set.iter().map(|p| p.0).collect();
        let values: Vec<&str> = set.iter().map(|p| p.1).collect();
        format!("same {}: {}", names.join("+"), values.join("/"))
    }

    fn service_key(partition: u64, topo: u32) -> u64 {
        mix(partition ^ mix(0x7376_6300 ^ u64::from(topo)))
    }

    fn band_key(partition: u64, band: u64) -> u64 {
        mix(partition ^ band.rotate_left(17) ^ 0x7465_7874)
    }

    /// The words and MinHash bands of an alert's text.
    fn text_sig(&mut self, a: &Alert) -> Option<Arc<TextSig>> {
        // The words come from exactly what this key covers (see `text::words_key`).
        let raw = text::words_key(a);
        if let Some(sig) = self.raw_texts.get(&raw) {
            return sig.clone();
        }
        let words = &mut self.words;
        words.split_alert(a);
        let sig = if words.is_empty() {
            None
        } else {
            let mut h = 0u64;
            for &w in words.hashes() {
                h = mix(h ^ w);
            }
            // Most word sets are known: make the words only for a new one.
            let sig = self.texts.entry(h).or_insert_with(|| {
                let words_vec = words.to_vec();
                let bands = text::band_keys(&words_vec);
                Arc::new(TextSig {
                    hash: h,
                    words: words_vec,
                    word_hashes: words.hashes().to_vec(),
                    bands,
                })
            });
            Some(sig.clone())
        };
        self.raw_texts.insert(raw, sig.clone());
        sig
    }

    /// (key, kind) of every list a driving alert is in.
    fn keys(&self, slot: u32) -> Vec<(u64, Kind)> {
        let mut keys = Vec::with_capacity(2 + text::BANDS);
        self.keys_into(slot, &mut keys);
        keys
    }

    /// [`Correlator::keys`] into a buffer (cleared first).
    fn keys_into(&self, slot: u32, keys: &mut Vec<(u64, Kind)>) {
        keys.clear();
        let i = &self.inner[slot as usize];
        if let Some(g) = i.group {
            keys.push((g, Kind::Group));
        }
        let alert = &self.tracked[slot as usize].alert;
        let links = self.cfg.link_by.iter().zip(&self.label_hashes.link);
        for (n, (l, &lh)) in links.enumerate().take(256) {
            if let Some(v) = alert.label(l).filter(|v| !v.is_empty()) {
                let h = mix(i.partition ^ lh ^ text::hash_str(v));
                keys.push((h, Kind::Label(n as u8)));
            }
        }
        if let Some(t) = i.topo {
            keys.push((Self::service_key(i.partition, t), Kind::Service));
        }
        if let Some(sig) = &i.text {
            keys.extend(
                sig.bands
                    .iter()
                    .enumerate()
                    .map(|(n, &b)| (Self::band_key(i.partition, b), Kind::Text(n as u8))),
            );
        }
    }

    /// Why two neighbouring alerts are linked; `None` when a stronger reason covers the pair.
    /// `key` is the list both are neighbours in.
    fn pair_reason(&mut self, a: u32, b: u32, kind: Kind, key: u64) -> Option<u64> {
        if a == b {
            return None;
        }
        let (ia, ib) = (&self.inner[a as usize], &self.inner[b as usize]);
        let same_group = ia.group.is_some() && ia.group == ib.group;
        if same_group && kind != Kind::Group {
            return None;
        }
        let alert_a = &self.tracked[a as usize].alert;
        let order = match kind {
            Kind::Group => 0,
            Kind::Label(_) => 1,
            Kind::Service => 2,
            Kind::Text(_) => 5,
        };
        if !matches!(kind, Kind::Text(_)) {
            // The text depends on the list only: made once.
            if let Some(&id) = self.reason_texts.get(&key) {
                return Some(id);
            }
            let text = match kind {
                Kind::Label(n) => {
                    let l = &self.cfg.link_by[n as usize];
                    format!("same {l}: {}", alert_a.label(l).unwrap_or(""))
                }
                Kind::Service => {
                    format!("same service: {}", self.topo.names[ia.topo? as usize])
                }
                _ => self.group_desc(alert_a),
            };
            let id = self.intern_reason(order, text);
            self.reason_texts.insert(key, id);
            return Some(id);
        }
        match kind {
            Kind::Group | Kind::Label(_) | Kind::Service => None,
            Kind::Text(band) => {
                let topo_linked = match (ia.topo, ib.topo) {
                    (Some(x), Some(y)) => self.topo.linked(x, y),
                    _ => false,
                };
                if same_group || topo_linked {
                    return None;
                }
                let (ta, tb) = (ia.text.as_ref()?, ib.text.as_ref()?);
                // A pair sharing several bands is explained once: in the first band it shares.
                let first_shared = ta.bands.iter().zip(&tb.bands).position(|(x, y)| x == y);
                if first_shared != Some(band as usize) {
                    return None;
                }
                let fa = self.tracked[a as usize].fingerprint;
                let fb = self.tracked[b as usize].fingerprint;
                let (first, second) = if fa <= fb { (ta, tb) } else { (tb, ta) };
                // The text depends on the two word lists only: made once per pair of texts.
                let pair = mix(first.hash ^ mix(second.hash ^ 0x7061_6972));
                if let Some(&id) = self.pair_texts.get(&pair) {
                    return Some(id);
                }
                // "similar text: " and up to 4 shared words: the id of that text, made without
                // the text (most pairs of texts share the same words).
                const PREFIX: &str = "similar text: ";
                let mut shared = [""; 4];
                let mut n = 0;
                for (w, h) in first.words.iter().zip(&first.word_hashes) {
                    let mut both = second.word_hashes.iter().zip(&second.words);
                    if both.any(|(x, v)| x == h && v == w) {
                        shared[n] = w.as_str();
                        n += 1;
                        if n == shared.len() {
                            break;
                        }
                    }
                }
                let shared = &shared[..n];
                let mut fnv = text::Fnv::default();
                fnv.write(PREFIX);
                for (i, w) in shared.iter().enumerate() {
                    if i > 0 {
                        fnv.write(" ");
                    }
                    fnv.write(w);
                }
                let id = reason_id(5, fnv.finish());
                self.reason_by_id.entry(id).or_insert_with(|| {
                    let text = format!("{PREFIX}{}", shared.join(" "));
                    debug_assert_eq!(id, reason_id(5, text::hash_str(&text)));
                    (5, text.into())
                });
                self.pair_texts.insert(pair, id);
                Some(id)
            }
        }
    }

    // -- activations and links ------------------------------------------------------------------

    fn activate(&mut self, slot: u32, t: i64) {
        let s = slot as usize;
        if self.inner[s].starts.contains(&t) {
            return;
        }
        self.inner[s].starts.push(t);
        self.insert_entries(slot, t);
        let fp = self.tracked[s].fingerprint.0;
        let id = self.tracked[s].cluster;
        let topo = self.inner[s].topo;
        let agg = self.agg_mut(id);
        if agg.first.is_none_or(|f| (t, fp) < (f.0, f.1)) {
            agg.first = Some((t, fp, slot));
            agg.dirty_origin = true;
        }
        if let Some(tp) = topo {
            match agg.topo_first.get_mut(&tp) {
                None => {
                    agg.topo_first.insert(tp, (t, fp));
                    agg.dirty_origin = true;
                    agg.dirty_reasons = true;
                }
                Some(e) if (t, fp) < *e => {
                    *e = (t, fp);
                    agg.dirty_origin = true;
                }
                Some(_) => {}
            }
        }
        self.touched.push(id);
    }

    fn insert_entries(&mut self, slot: u32, t: i64) {
        let s = slot as usize;
        let e = Entry::new(t, self.tracked[s].fingerprint, slot);
        let w = self.window;
        let mut sc = std::mem::take(&mut self.scratch);
        self.keys_into(slot, &mut sc.keys);
        let Scratch {
            keys,
            removed,
            added,
            links,
            cross,
        } = &mut sc;
        for &(key, kind) in keys.iter() {
            let list = self.lists.entry(key).or_default();
            let Some((p, n)) = list_insert(list, e, &self.tracked) else {
                continue;
            };
            if let (Some(p), Some(n)) = (p, n)
                && n.t - p.t <= w
            {
                removed.push((p.slot, n.slot, kind, key));
            }
            if let Some(p) = p
                && t - p.t <= w
            {
                links.push(p.slot);
                added.push((p.slot, slot, kind, key));
            }
            if let Some(n) = n
                && n.t - t <= w
            {
                links.push(n.slot);
                added.push((slot, n.slot, kind, key));
            }
        }
        if let Some(tp) = self.inner[s].topo {
            let partition = self.inner[s].partition;
            for &(other, rid) in &self.topo.related[tp as usize] {
                let Some(list) = self.lists.get(&Self::service_key(partition, other)) else {
                    continue;
                };
                let (p, n) = neighbours(list, e, &self.tracked);
                for x in [p, n].into_iter().flatten() {
                    if (x.t - t).abs() <= w {
                        links.push(x.slot);
                        cross.push((rid, x.slot));
                    }
                }
            }
        }
        // A pair's reason counts while both are in one cluster (a pair kept apart by
        // `max_span` never comes together later: clusters only grow).
        for &(a, b, kind, key) in removed.iter() {
            let id = self.tracked[a as usize].cluster;
            if id == self.tracked[b as usize].cluster
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_remove(id, r);
            }
        }
        // A new alert has no cluster yet: it joins what it links to (within `max_span`), or
        // starts its own.
        let mut id = Some(self.tracked[s].cluster).filter(|c| *c != NO_CLUSTER);
        for &other in links.iter() {
            let oid = self.tracked[other as usize].cluster;
            if id == Some(oid) || !self.may_join(id, oid, t) {
                continue;
            }
            id = Some(match id {
                None => oid,
                Some(i) => self.merge(i, oid),
            });
        }
        let id = match id {
            Some(i) if self.tracked[s].cluster == i => i,
            Some(i) => {
                self.add_member(i, slot);
                i
            }
            None => self.new_cluster(slot),
        };
        // Every activation in the lists counts for the span, old ones put back included.
        let agg = self.agg_mut(id);
        agg.lo = agg.lo.min(t);
        agg.last = agg.last.max(t);
        for &(a, b, kind, key) in added.iter() {
            let (ca, cb) = (
                self.tracked[a as usize].cluster,
                self.tracked[b as usize].cluster,
            );
            if ca == id
                && cb == id
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_add(id, r);
            }
        }
        for &(rid, other) in cross.iter() {
            if self.tracked[other as usize].cluster != id {
                continue;
            }
            let agg = self.agg_mut(id);
            if agg.topo_reasons.insert(rid) {
                agg.dirty_reasons = true;
                self.touched.push(id);
            }
        }
        removed.clear();
        added.clear();
        links.clear();
        cross.clear();
        self.scratch = sc;
        if let Some(g) = self.inner[s].group {
            self.reanchor_after_insert(g, e);
        }
    }

    /// Takes a driving alert out of every list (it was silenced).
    fn deactivate(&mut self, slot: u32) {
        let s = slot as usize;
        let w = self.window;
        let fp = self.tracked[s].fingerprint;
        let keys = self.keys(slot);
        let mut removed: Vec<(u32, u32, Kind, u64)> = Vec::new();
        let mut added: Vec<(u32, u32, Kind, u64)> = Vec::new();
        for &t in &self.inner[s].starts {
            let e = Entry::new(t, fp, slot);
            for &(key, kind) in &keys {
                let Some(list) = self.lists.get_mut(&key) else {
                    continue;
                };
                let i = list.partition_point(|x| x.before(e, &self.tracked));
                if list.get(i) != Some(&e) {
                    continue;
                }
                list.remove(i);
                let p = i.checked_sub(1).map(|j| list[j]);
                let n = list.get(i).copied();
                if let Some(p) = p
                    && t - p.t <= w
                {
                    removed.push((p.slot, slot, kind, key));
                }
                if let Some(n) = n
                    && n.t - t <= w
                {
                    removed.push((slot, n.slot, kind, key));
                }
                if let (Some(p), Some(n)) = (p, n)
                    && n.t - p.t <= w
                {
                    added.push((p.slot, n.slot, kind, key));
                }
                if list.is_empty() {
                    self.lists.remove(&key);
                }
            }
        }
        // Pairs count while both ends are in one cluster (see `insert_entries`).
        for (a, b, kind, key) in removed {
            let id = self.tracked[a as usize].cluster;
            if id == self.tracked[b as usize].cluster
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_remove(id, r);
            }
        }
        for (a, b, kind, key) in added {
            let id = self.tracked[a as usize].cluster;
            if id == self.tracked[b as usize].cluster
                && let Some(r) = self.pair_reason(a, b, kind, key)
            {
                self.reason_add(id, r);
            }
        }
        // Satellites that hung on this alert look for another anchor.
        if let Some(g) = self.inner[s].group {
            let starts = self.inner[s].starts.clone();
            for &t in starts.iter() {
                let sats: Vec<u32> = self
                    .sats
                    .get(&g)
                    .map(|l| {
                        let lo = l.partition_point(|x| x.t < t - w);
                        l[lo..]
                            .iter()
                            .take_while(|x| x.t <= t + w)
                            .map(|x| x.slot)
                            .collect()
                    })
                    .unwrap_or_default();
                for sat in sats {
                    if let Role::Satellite {
                        anchor: Some(a),
                        t: st,
                    } = self.inner[sat as usize].role
                        && a == slot
                    {
                        let anchor = self.anchor_for(g, st);
                        self.move_satellite(sat, anchor);
                    }
                }
            }
        }
    }

    // -- satellites -----------------------------------------------------------------------------

    /// The earliest driving alert with group key `g` whose start is within the window of `t`.
    fn anchor_for(&self, g: u64, t: i64) -> Option<u32> {
        let list = self.lists.get(&g)?;
        let i = list.partition_point(|x| x.t < t.saturating_sub(self.window));
        list.get(i)
            .filter(|x| x.t <= t.saturating_add(self.window))
            .map(|x| x.slot)
    }

    fn satellite_in(&mut self, slot: u32) {
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

    fn satellite_out(&mut self, slot: u32, t: i64) {
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

    fn reanchor_after_insert(&mut self, g: u64, e: Entry) {
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

    fn move_satellite(&mut self, sat: u32, anchor: Option<u32>) {
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

    // -- cluster bookkeeping --------------------------------------------------------------------

    fn agg(&self, id: ClusterId) -> &Agg {
        self.aggs.get(id).expect("live cluster")
    }

    fn agg_mut(&mut self, id: ClusterId) -> &mut Agg {
        self.aggs.get_mut(id).expect("live cluster")
    }

    fn cluster_mut(&mut self, id: ClusterId) -> &mut Cluster {
        let pos = self.position(id);
        &mut self.clusters[pos]
    }

    /// Where a live cluster is in `clusters`: a binary search by its stored rank (the vector is
    /// sorted by stored ranks), so moving one cluster never renumbers the others.
    fn position(&self, id: ClusterId) -> usize {
        let agg = self.agg(id);
        if self.deferred {
            return agg.pos;
        }
        let key = agg.key;
        let aggs = &self.aggs;
        let i = self
            .clusters
            .partition_point(|c| stored_rank(c, aggs) < key);
        debug_assert_eq!(self.clusters[i].id, id);
        i
    }

    /// Removes a cluster from `clusters` and returns it with its bookkeeping.
    fn take_cluster(&mut self, id: ClusterId) -> (Cluster, Agg) {
        let pos = self.position(id);
        let agg = self.aggs.take(id).expect("live cluster");
        let cluster = if self.deferred {
            let c = self.clusters.swap_remove(pos);
            if let Some(moved) = self.clusters.get(pos)
                && let Some(a) = self.aggs.get_mut(moved.id)
            {
                a.pos = pos;
            }
            c
        } else {
            self.clusters.remove(pos)
        };
        (cluster, agg)
    }

    fn new_cluster(&mut self, slot: u32) -> ClusterId {
        let id = self.aggs.next_id();
        self.tracked[slot as usize].cluster = id;
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
            services: IdMap::from_iter(self.inner[slot as usize].service_id.map(|s| (s, 1))),
            sev,
            reason_counts: IdMap::default(),
            reasons: BTreeSet::new(),
            topo_reasons: Bits::default(),
            topo_first: BTreeMap::new(),
            first: None,
            last: i64::MIN,
            lo: i64::MAX,
            last_end: i64::MIN,
            min_fp: t.fingerprint.0,
            noisy: if noisy {
                BTreeSet::from([slot])
            } else {
                BTreeSet::new()
            },
            noise_max,
            dirty_noise_scan: false,
            dirty_origin: true,
            dirty_reasons: false,
            dirty_noise: true,
            dirty_rescan: false,
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
        self.touched.push(id);
        id
    }

    fn add_member(&mut self, id: ClusterId, slot: u32) {
        self.tracked[slot as usize].cluster = id;
        let t = &self.tracked[slot as usize];
        let a = &t.alert;
        let noisy = is_noisy(&t.noise);
        let (fp, last_change) = (t.fingerprint, t.last_change);
        let i = &self.inner[slot as usize];
        let (state, sev) = (a.state, usize::from(i.sev));
        let (name_id, service_id) = (i.name_id, i.service_id);
        let agg = self.aggs.get_mut(id).expect("live cluster");
        agg.slots.push(slot);
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
            agg.dirty_noise = true;
        }
        let pos = self.position(id);
        if !self.clusters[pos].noise.is_empty() || state == AlertState::Suppressed {
            self.agg_mut(id).dirty_noise = true;
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
        if c.members.len() > 1 {
            c.common_labels
                .retain(|k, v| a.labels.get(k).is_some_and(|x| x == v));
        }
        c.started = c.started.min(a.starts_at);
        c.last_change = c.last_change.max(last_change);
        self.touched.push(id);
    }

    /// Removes a satellite, or an alert out of the lists (see `detach`), from a cluster
    /// (deleting the cluster if it empties).
    fn remove_member(&mut self, id: ClusterId, slot: u32) {
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
        let agg = self.aggs.get_mut(id).expect("live cluster");
        if let Some(i) = agg.slots.iter().position(|&x| x == slot) {
            agg.slots.remove(i);
        }
        if agg.slots.is_empty() {
            self.delete_cluster(id);
            return;
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
            agg.dirty_noise_scan = true;
        }
        agg.dirty_noise = true;
        agg.dirty_rescan = true;
        let pos = self.position(id);
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
        self.touched.push(id);
    }

    fn delete_cluster(&mut self, id: ClusterId) {
        if self.aggs.get(id).is_some() {
            self.take_cluster(id);
        }
    }

    /// Merges two clusters; the larger (else the older) survives. Returns the survivor.
    fn merge(&mut self, a: ClusterId, b: ClusterId) -> ClusterId {
        if a == b {
            return a;
        }
        let (la, lb) = (self.agg(a).slots.len(), self.agg(b).slots.len());
        let (big, small) = if la > lb || (la == lb && a < b) {
            (a, b)
        } else {
            (b, a)
        };
        let (scluster, sagg) = self.take_cluster(small);
        for &slot in &sagg.slots {
            self.tracked[slot as usize].cluster = big;
        }
        let bagg = self.aggs.get_mut(big).expect("live cluster");
        bagg.slots.extend_from_slice(&sagg.slots);
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
        bagg.dirty_reasons |= bagg.reasons.len() != before;
        bagg.dirty_reasons |= bagg.topo_reasons.union_with(&sagg.topo_reasons);
        for (k, v) in sagg.topo_first {
            match bagg.topo_first.get_mut(&k) {
                None => {
                    bagg.topo_first.insert(k, v);
                    bagg.dirty_origin = true;
                    bagg.dirty_reasons = true;
                }
                Some(e) if v < *e => {
                    *e = v;
                    bagg.dirty_origin = true;
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
            bagg.dirty_origin = true;
        }
        bagg.min_fp = bagg.min_fp.min(sagg.min_fp);
        if !sagg.noisy.is_empty() {
            bagg.noisy.extend(sagg.noisy);
            bagg.noise_max.merge(&sagg.noise_max);
            bagg.dirty_noise_scan |= sagg.dirty_noise_scan;
            bagg.dirty_noise = true;
        }
        let pos = self.position(big);
        if !scluster.noise.is_empty() || !self.clusters[pos].noise.is_empty() {
            self.agg_mut(big).dirty_noise = true;
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
        self.touched.push(big);
        big
    }

    fn reason_add(&mut self, id: ClusterId, r: u64) {
        let agg = self.aggs.get_mut(id).expect("live cluster");
        let n = agg.reason_counts.entry(r).or_default();
        *n += 1;
        if *n == 1 {
            agg.reasons.insert(self.reason_by_id[&r].clone());
            agg.dirty_reasons = true;
            self.touched.push(id);
        }
    }

    fn reason_remove(&mut self, id: ClusterId, r: u64) {
        let agg = self.aggs.get_mut(id).expect("live cluster");
        if let Some(n) = agg.reason_counts.get_mut(&r) {
            *n -= 1;
            if *n == 0 {
                agg.reason_counts.remove(&r);
                agg.reasons.remove(&self.reason_by_id[&r]);
                agg.dirty_reasons = true;
                self.touched.push(id);
            }
        }
    }

    /// The id of a reason text, made once per distinct (order, text).
    fn intern_reason(&mut self, order: u8, text: String) -> u64 {
        let id = reason_id(order, text::hash_str(&text));
        self.reason_by_id
            .entry(id)
            .or_insert_with(|| (order, text.into()));
        id
    }

    /// Brings touched clusters' derived fields up to date and moves them to their sorted place.
    fn settle(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.iter().copied() {
            if self.aggs.get(id).is_none() {
                continue;
            }
            self.refresh(id, true);
            if !self.deferred {
                self.reposition(id);
            }
        }
        touched.clear();
        self.touched = touched;
    }

    /// While loading in bulk: brings up to date, as [`Correlator::settle`] would, what placing
    /// the next alerts reads (common labels, start, smallest fingerprint, highest noise marks),
    /// and leaves what only the caller reads (origin, reasons, noise: made from the state, their
    /// dirty marks stay set) to the `settle` at the end, for the clusters listed in `settled`.
    fn settle_loading(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.iter().copied() {
            if self.aggs.get(id).is_some() {
                self.refresh(id, false);
            }
        }
        self.settled.append(&mut touched);
        self.touched = touched;
    }

    /// `outputs`: also the origin, reasons and noise (else they stay dirty).
    fn refresh(&mut self, id: ClusterId, outputs: bool) {
        let agg = self.agg(id);
        let sev = |row: &[u32; 4]| (0..4).rev().find(|&i| row[i] > 0).map(|i| SEVERITIES[i]);
        let severity = sev(&agg.sev[0])
            .or_else(|| sev(&agg.sev[1]))
            .or_else(|| sev(&agg.sev[2]))
            .unwrap_or(Severity::None);
        let (dirty_origin, dirty_reasons, dirty_noise, dirty_rescan) = (
            agg.dirty_origin,
            agg.dirty_reasons,
            agg.dirty_noise,
            agg.dirty_rescan,
        );
        let origin = (outputs && dirty_origin).then(|| self.compute_origin(id));
        let reasons = (outputs && dirty_reasons).then(|| self.compute_reasons(agg));
        let max = agg.dirty_noise_scan.then(|| self.scan_noise(id));
        let noise =
            (outputs && (dirty_noise || max.is_some())).then(|| self.compute_noise(id, max));
        let rescan = dirty_rescan.then(|| {
            let mut slots = agg.slots.iter().map(|&s| &self.tracked[s as usize]);
            let first = slots.next().expect("non-empty cluster");
            let mut common = first.alert.labels.clone();
            let mut started = first.alert.starts_at;
            let mut min_fp = first.fingerprint.0;
            for t in slots {
                common.retain(|k, v| t.alert.labels.get(k).is_some_and(|x| x == v));
                started = started.min(t.alert.starts_at);
                min_fp = min_fp.min(t.fingerprint.0);
            }
            (common, started, min_fp)
        });
        let agg = self.agg_mut(id);
        if outputs {
            agg.dirty_origin = false;
            agg.dirty_reasons = false;
            agg.dirty_noise = false;
        } else {
            // The noise is made from the highest marks found here.
            agg.dirty_noise |= max.is_some();
        }
        agg.dirty_rescan = false;
        if let Some(max) = max {
            agg.noise_max = max;
            agg.dirty_noise_scan = false;
        }
        if let Some((_, _, min_fp)) = &rescan {
            agg.min_fp = *min_fp;
        }
        let counts = self.agg(id).sev;
        let c = self.cluster_mut(id);
        c.severity = severity;
        c.counts = counts;
        if let Some(o) = origin {
            c.origin = o;
        }
        if let Some(r) = reasons {
            c.reasons = r;
        }
        if let Some(n) = noise {
            c.noise = n;
        }
        if let Some((common, started, _)) = rescan {
            c.common_labels = common;
            c.started = started;
        }
    }

    /// Reasons in a fixed order: grouping labels, shared labels, same service, direct
    /// dependencies, indirect ones (unless the service in between alerts too: then the direct
    /// ones along the path say it), similar text. At most [`MAX_REASONS`], then "and N more".
    fn compute_reasons(&self, agg: &Agg) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let room = |out: &Vec<String>| out.len() < MAX_REASONS;
        for (_, text) in agg.reasons.iter().take_while(|k| k.0 < 3) {
            if !room(&out) {
                break;
            }
            out.push(text.to_string());
        }
        let visible = |rid: &u32| {
            self.topo.hops[*rid as usize].is_none_or(|h| !agg.topo_first.contains_key(&h))
        };
        let mut topo = 0;
        for indirect in [false, true] {
            for rid in agg
                .topo_reasons
                .iter()
                .filter(|r| self.topo.hops[*r as usize].is_some() == indirect)
                .filter(visible)
            {
                topo += 1;
                if room(&out) {
                    out.push(self.topo.reasons[rid as usize].clone());
                }
            }
        }
        for (_, text) in agg.reasons.iter().skip_while(|k| k.0 < 3) {
            if !room(&out) {
                break;
            }
            out.push(text.to_string());
        }
        let total = agg.reasons.len() + topo;
        if total > out.len() {
            out.push(format!("and {} more", total - out.len()));
        }
        out
    }

    /// Flapping / chronic / never acted on at the highest of any member; suppressed when all
    /// members are. `max` replaces the stored highest marks when they had to be found again.
    fn compute_noise(&self, id: ClusterId, max: Option<NoiseMax>) -> Vec<NoiseMark> {
        let agg = self.agg(id);
        let mut out = max.unwrap_or(agg.noise_max).marks();
        let suppressed: u32 = agg.sev[2].iter().sum();
        if suppressed as usize == agg.slots.len() {
            out.push(NoiseMark::Suppressed);
        }
        out
    }

    /// The highest marks of a cluster's noisy members, by looking at each.
    fn scan_noise(&self, id: ClusterId) -> NoiseMax {
        let mut max = NoiseMax::default();
        for &slot in &self.agg(id).noisy {
            max.fold(&self.tracked[slot as usize].noise);
        }
        max
    }

    fn compute_origin(&self, id: ClusterId) -> Option<Origin> {
        let agg = self.agg(id);
        if agg.topo_first.len() > 1 {
            let svcs: Vec<(u32, (i64, u64))> =
                agg.topo_first.iter().map(|(&k, &v)| (k, v)).collect();
            let down = &self.topo.down;
            let mut best: Option<(usize, usize, (i64, u64))> = None; // (deps, dependents) rank
            let mut best_svc = 0u32;
            for &(s, first) in &svcs {
                let deps = svcs
                    .iter()
                    .filter(|(r, _)| *r != s && down[s as usize][*r as usize])
                    .count();
                let dependents = svcs
                    .iter()
                    .filter(|(r, _)| *r != s && down[*r as usize][s as usize])
                    .count();
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
                let on: Vec<&str> = svcs
                    .iter()
                    .filter(|(r, _)| *r != best_svc && down[*r as usize][best_svc as usize])
                    .map(|(r, _)| self.topo.names[*r as usize].as_str())
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

    fn reposition(&mut self, id: ClusterId) {
        let p = self.position(id);
        let old = self.agg(id).key;
        let new = rank(&self.clusters[p], &self.aggs);
        if new == old {
            return;
        }
        let aggs = &self.aggs;
        // Elements are sorted by stored rank; this one still has its old rank stored.
        let t = self
            .clusters
            .partition_point(|c| stored_rank(c, aggs) < new);
        if old < new {
            self.clusters[p..t].rotate_left(1);
        } else {
            self.clusters[t..=p].rotate_right(1);
        }
        self.agg_mut(id).key = new;
    }
}

impl fmt::Debug for Correlator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Correlator")
            .field("alerts", &self.tracked.len())
            .field("clusters", &self.clusters.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NAMESPACES: [&str; 4] = ["", "shop", "pay", "db"];
    const SERVICES: [&str; 6] = ["", "checkout", "payments", "postgres", "search", "web"];
    const NAMES: [&str; 5] = [
        "HighErrorRate",
        "PodCrashLooping",
        "PostgresConnectionPoolExhausted",
        "LatencyHigh",
        "DiskFull",
    ];
    const SUMMARIES: [&str; 4] = [
        "error rate above threshold",
        "connection pool exhausted",
        "pod is crash looping",
        "disk almost full",
    ];

    fn cfg() -> ClusterConfig {
        ClusterConfig {
            topology: BTreeMap::from([
                (
                    "checkout".into(),
                    vec!["payments".into(), "postgres".into()],
                ),
                ("payments".into(), vec!["postgres".into()]),
                ("search".into(), vec!["elastic".into()]),
            ]),
            ..ClusterConfig::default()
        }
    }

    fn t0() -> Timestamp {
        "2026-11-25T23:00:00Z".parse().unwrap()
    }

    fn spec() -> impl Strategy<Value = Alert> {
        spec_over(45)
    }

    /// Alerts starting within `mins` minutes of `t0`.
    fn spec_over(mins: i64) -> impl Strategy<Value = Alert> {
        (
            0..NAMESPACES.len(),
            0..SERVICES.len(),
            0..NAMES.len(),
            0..SUMMARIES.len(),
            0i64..mins,
            0u8..5,
            0u32..40,
            0..2usize,
            0..6usize,
        )
            .prop_map(|(ns, svc, name, sum, start, state, pod, cl, node)| {
                let mut labels = BTreeMap::from([
                    ("alertname".to_string(), NAMES[name].to_string()),
                    ("pod".to_string(), format!("p{pod}")),
                    ("cluster".to_string(), ["eu", "us"][cl].to_string()),
                ]);
                if node < 3 {
                    labels.insert("node".into(), format!("worker-{node}"));
                }
                if !NAMESPACES[ns].is_empty() {
                    labels.insert("namespace".into(), NAMESPACES[ns].into());
                }
                if !SERVICES[svc].is_empty() {
                    labels.insert("service".into(), SERVICES[svc].into());
                }
                Alert {
                    labels,
                    annotations: BTreeMap::from([(
                        "summary".to_string(),
                        SUMMARIES[sum].to_string(),
                    )]),
                    starts_at: t0() + SignedDuration::from_mins(start),
                    ends_at: None,
                    state: match state {
                        0 | 1 => AlertState::Firing,
                        2 => AlertState::Resolved,
                        _ => AlertState::Suppressed,
                    },
                    generator_url: None,
                    detail: Default::default(),
                }
            })
    }

    fn dedup(alerts: Vec<Alert>) -> Vec<Alert> {
        let mut seen = BTreeSet::new();
        alerts
            .into_iter()
            .filter(|a| seen.insert(a.fingerprint()))
            .collect()
    }

    fn find(p: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while p[r] != r {
            r = p[r];
        }
        p[x] = r;
        r
    }

    /// The clustering, recomputed by brute force over all pairs, must equal the incremental one.
    fn drives(c: &Correlator, i: usize) -> bool {
        c.tracked[i].alert.state != AlertState::Suppressed
    }

    fn start(c: &Correlator, i: usize) -> i64 {
        ns(c.tracked[i].alert.starts_at)
    }

    /// The pairwise relation the lists implement: two driving alerts that start within the
    /// window of each other, in one partition, sharing grouping labels, a link label, a
    /// topology relation or a text band.
    fn linked_pair(c: &Correlator, a: usize, b: usize) -> bool {
        if !drives(c, a) || !drives(c, b) || (start(c, a) - start(c, b)).abs() > c.window {
            return false;
        }
        let (ia, ib) = (&c.inner[a], &c.inner[b]);
        if ia.partition != ib.partition {
            return false;
        }
        let group = ia.group.is_some() && ia.group == ib.group;
        let label = c.cfg.link_by.iter().any(|l| {
            let (x, y) = (c.tracked[a].alert.label(l), c.tracked[b].alert.label(l));
            x.is_some_and(|x| !x.is_empty()) && x == y
        });
        let topo = matches!((ia.topo, ib.topo), (Some(x), Some(y)) if c.topo.linked(x, y));
        let text = match (&ia.text, &ib.text) {
            (Some(x), Some(y)) => x.bands.iter().zip(&y.bands).any(|(p, q)| p == q),
            _ => false,
        };
        group || label || topo || text
    }

    /// The clustering, recomputed by brute force over all pairs, must equal the incremental one.
    fn check_against_brute_force(c: &Correlator) {
        let n = c.tracked.len();
        let mut parent: Vec<usize> = (0..n).collect();
        for a in 0..n {
            for b in a + 1..n {
                if linked_pair(c, a, b) {
                    let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                    parent[ra] = rb;
                }
            }
        }
        check_partition(c, &mut parent);
    }

    /// With a `max_span` that binds and alerts arriving in start order (ties in any order): in
    /// (start, fingerprint) order, each driving alert joins every cluster it links to that began
    /// at most `max_span` before it.
    fn check_against_capped_reference(c: &Correlator) {
        let n = c.tracked.len();
        let mut order: Vec<usize> = (0..n).filter(|&i| drives(c, i)).collect();
        order.sort_by_key(|&i| (start(c, i), c.tracked[i].fingerprint));
        let mut parent: Vec<usize> = (0..n).collect();
        let mut first: Vec<i64> = (0..n).map(|i| start(c, i)).collect();
        for (k, &x) in order.iter().enumerate() {
            let t = start(c, x);
            for &y in &order[..k] {
                let ry = find(&mut parent, y);
                let rx = find(&mut parent, x);
                if rx != ry && linked_pair(c, x, y) && t - first[ry] <= c.max_span {
                    parent[rx] = ry;
                    first[ry] = first[ry].min(first[rx]);
                }
            }
        }
        check_partition(c, &mut parent);
    }

    /// The correlator's clusters must be the union-find classes `parent` of the driving alerts,
    /// with each satellite beside the earliest driver of its group in its window.
    fn check_partition(c: &Correlator, parent: &mut [usize]) {
        let n = c.tracked.len();
        let w = c.window;
        let drives = |i: usize| drives(c, i);
        let start = |i: usize| start(c, i);
        // Satellites: with the earliest driver of their group in their window, else alone.
        let mut expect_with: Vec<Option<usize>> = vec![None; n];
        for s in (0..n).filter(|&i| !drives(i)) {
            let Some(g) = c.inner[s].group else { continue };
            expect_with[s] = (0..n)
                .filter(|&d| {
                    drives(d) && c.inner[d].group == Some(g) && (start(d) - start(s)).abs() <= w
                })
                .min_by_key(|&d| (start(d), c.tracked[d].fingerprint));
        }
        for a in 0..n {
            for b in 0..n {
                let want = match (drives(a), drives(b)) {
                    (true, true) => find(parent, a) == find(parent, b),
                    (false, true) => {
                        expect_with[a].is_some_and(|d| find(parent, d) == find(parent, b))
                    }
                    (true, false) => {
                        expect_with[b].is_some_and(|d| find(parent, d) == find(parent, a))
                    }
                    (false, false) => {
                        a == b
                            || matches!((expect_with[a], expect_with[b]), (Some(x), Some(y))
                                if find(parent, x) == find(parent, y))
                    }
                };
                let got = c.tracked[a].cluster == c.tracked[b].cluster;
                assert_eq!(got, want, "alerts {a} and {b}");
            }
        }
        // Bookkeeping agrees with the members.
        let mut total = 0;
        for (i, cl) in c.clusters.iter().enumerate() {
            let agg = c.agg(cl.id);
            assert_eq!(c.position(cl.id), i);
            assert_eq!(agg.key, rank(cl, &c.aggs));
            assert_eq!(agg.slots.len(), cl.members.len());
            total += cl.members.len();
            let firing = agg
                .slots
                .iter()
                .filter(|&&s| c.tracked[s as usize].alert.state == AlertState::Firing)
                .count();
            assert_eq!(firing, cl.firing);
            for &s in &agg.slots {
                assert_eq!(c.tracked[s as usize].cluster, cl.id);
            }
        }
        assert_eq!(total, n);
        for pair in c.clusters.windows(2) {
            assert!(rank(&pair[0], &c.aggs) < rank(&pair[1], &c.aggs));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn incremental_equals_brute_force(alerts in prop::collection::vec(spec(), 1..60)) {
            let alerts = dedup(alerts);
            let mut c = Correlator::new(cfg());
            for a in &alerts {
                c.observe(a.clone(), t0());
            }
            check_against_brute_force(&c);
            let mut d = Correlator::new(cfg());
            d.observe_many(alerts.iter().map(|a| (a.clone(), t0())));
            check_against_brute_force(&d);
            prop_assert_eq!(c.clusters().len(), d.clusters().len());
        }

        #[test]
        fn a_binding_max_span_follows_the_reference(
            alerts in prop::collection::vec(spec_over(180), 1..70)
                .prop_map(dedup)
                .prop_shuffle(),
        ) {
            // In start order; alerts of one start in the shuffled order.
            let mut alerts = alerts;
            alerts.sort_by_key(|a| a.starts_at);
            let capped = || ClusterConfig {
                max_span: SignedDuration::from_mins(30),
                ..cfg()
            };
            let mut c = Correlator::new(capped());
            for a in &alerts {
                c.observe(a.clone(), t0());
            }
            check_against_capped_reference(&c);
            let mut d = Correlator::new(capped());
            d.observe_many(alerts.iter().map(|a| (a.clone(), t0())));
            check_against_capped_reference(&d);
        }

        #[test]
        fn state_changes_keep_the_books_straight(
            alerts in prop::collection::vec(spec(), 1..40),
            changes in prop::collection::vec((0usize..40, 0u8..3, 0i64..6), 0..40),
        ) {
            let alerts = dedup(alerts);
            let mut c = Correlator::new(cfg());
            for a in &alerts {
                c.observe(a.clone(), t0());
            }
            for (i, (k, st, later)) in changes.into_iter().enumerate() {
                let mut a = alerts[k % alerts.len()].clone();
                a.state = [AlertState::Firing, AlertState::Resolved, AlertState::Suppressed][st as usize];
                // Some fire again later: after a quiet spell, or past `max_span`.
                a.starts_at += SignedDuration::from_mins(later * 35);
                c.observe(a, t0() + SignedDuration::from_secs(i as i64));
            }
            // Membership now depends on history; only the books are checked.
            check_books(&mut c);
        }

        #[test]
        fn pruning_keeps_the_books_straight(
            alerts in prop::collection::vec(spec_over(600), 1..50),
            changes in prop::collection::vec((0usize..50, 0u8..3, 0i64..6), 0..50),
            prune_at in 0i64..24,
            more in prop::collection::vec(spec_over(600), 0..20),
        ) {
            let alerts = dedup(alerts);
            let mut c = Correlator::new(ClusterConfig {
                retention: SignedDuration::from_hours(2),
                ..cfg()
            });
            c.observe_many(alerts.iter().map(|a| (a.clone(), a.starts_at)));
            for (i, (k, st, later)) in changes.into_iter().enumerate() {
                let mut a = alerts[k % alerts.len()].clone();
                a.state = [AlertState::Firing, AlertState::Resolved, AlertState::Suppressed][st as usize];
                a.starts_at += SignedDuration::from_mins(later * 35);
                c.observe(a, t0() + SignedDuration::from_mins(i as i64 * 5));
            }
            let ids_before: BTreeSet<ClusterId> = c.clusters().iter().map(|cl| cl.id).collect();
            let max_before = c.aggs.next_id();
            let len = c.len();
            let now = t0() + SignedDuration::from_hours(prune_at);
            let gone = c.prune(now);
            check_books(&mut c);
            // (Pruning may join two kept clusters that only its gaps kept apart.)
            prop_assert!(c.clusters().len() + gone.len() <= ids_before.len());
            for cl in c.clusters() {
                prop_assert!(ids_before.contains(&cl.id));
            }
            for id in &gone {
                prop_assert!(c.cluster(*id).is_none());
            }
            prop_assert!(c.len() <= len);
            // Kept clusters are whole; new clusters get new ids.
            for a in more {
                c.observe(a, now);
            }
            check_books(&mut c);
            for cl in c.clusters() {
                prop_assert!(ids_before.contains(&cl.id) || cl.id >= max_before);
                prop_assert!(!gone.contains(&cl.id));
            }
        }
    }

    /// Everything the correlator keeps agrees with everything else.
    fn check_books(c: &mut Correlator) {
        let total: usize = c.clusters().iter().map(|cl| cl.members.len()).sum();
        assert_eq!(total, c.len());
        assert_eq!(c.by_fp.len(), c.len());
        for (slot, t) in c.tracked.iter().enumerate() {
            assert_eq!(c.by_fp[&t.fingerprint], slot as u32);
            assert!(c.agg(t.cluster).slots.contains(&(slot as u32)));
        }
        for (i, cl) in c.clusters.iter().enumerate() {
            assert_eq!(c.position(cl.id), i);
            let agg = c.agg(cl.id);
            assert_eq!(agg.key, rank(cl, &c.aggs));
            assert_eq!(agg.slots.len(), cl.members.len());
            let firing = c
                .members(cl.id)
                .filter(|t| t.alert.state == AlertState::Firing)
                .count();
            let suppressed = c
                .members(cl.id)
                .filter(|t| t.alert.state == AlertState::Suppressed)
                .count();
            assert_eq!(firing, cl.firing);
            assert_eq!(suppressed, cl.suppressed);
            for (&s, fp) in agg.slots.iter().zip(&cl.members) {
                assert_eq!(c.tracked[s as usize].fingerprint, *fp);
            }
            assert_eq!(agg.reasons.len(), agg.reason_counts.len());
            if let Some(f) = agg.first {
                assert_eq!(c.tracked[f.2 as usize].cluster, cl.id);
            }
            let noisy: BTreeSet<u32> = agg
                .slots
                .iter()
                .copied()
                .filter(|&s| is_noisy(&c.tracked[s as usize].noise))
                .collect();
            assert_eq!(agg.noisy, noisy);
            let mut max = NoiseMax::default();
            for &s in &noisy {
                max.fold(&c.tracked[s as usize].noise);
            }
            assert_eq!(agg.noise_max, max);
        }
        for pair in c.clusters.windows(2) {
            assert!(rank(&pair[0], &c.aggs) < rank(&pair[1], &c.aggs));
        }
        let noisy = c.tracked.iter().filter(|t| is_noisy(&t.noise)).count();
        assert_eq!(c.noisy_alerts, noisy);
        // The lists hold exactly the activations of the driving alerts, and each cluster's
        // reasons are the neighbouring pairs within the window that are in it.
        let mut want: BTreeMap<(ClusterId, u64), u32> = BTreeMap::new();
        let keys: Vec<u64> = c.lists.keys().copied().collect();
        let mut entries = 0;
        for key in keys {
            let list = c.lists[&key].clone();
            assert!(list.windows(2).all(|p| p[0].before(p[1], &c.tracked)));
            for e in &list {
                let i = &c.inner[e.slot as usize];
                assert_eq!(i.role, Role::Driver);
                assert!(i.starts.contains(&e.t));
            }
            entries += list.len();
            for p in list.windows(2) {
                let (a, b) = (p[0].slot, p[1].slot);
                let id = c.tracked[a as usize].cluster;
                if p[1].t - p[0].t > c.window || id != c.tracked[b as usize].cluster {
                    continue;
                }
                let mut ks = Vec::new();
                c.keys_into(a, &mut ks);
                let kind = ks.iter().find(|k| k.0 == key).unwrap().1;
                if let Some(r) = c.pair_reason(a, b, kind, key) {
                    *want.entry((id, r)).or_default() += 1;
                }
            }
        }
        let drivers: usize = c
            .inner
            .iter()
            .enumerate()
            .filter(|(_, i)| i.role == Role::Driver)
            .map(|(s, i)| {
                let mut ks = Vec::new();
                c.keys_into(s as u32, &mut ks);
                ks.len() * i.starts.len()
            })
            .sum();
        assert_eq!(entries, drivers);
        let mut got: BTreeMap<(ClusterId, u64), u32> = BTreeMap::new();
        for cl in &c.clusters {
            for (&r, &n) in &c.agg(cl.id).reason_counts {
                got.insert((cl.id, r), n);
            }
        }
        assert_eq!(got, want);
    }

    /// Two pod names whose alerts' fingerprints share their high 32 bits (the part an `Entry`
    /// holds): found by a birthday search over the FNV-1a of the labels (see `fingerprint`).
    fn pods_with_tied_entries(fixed: &BTreeMap<String, String>) -> (String, String) {
        fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
            for &b in bytes {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        }
        let mut seen: HashMap<u32, u32> = HashMap::new();
        for k in 0u32.. {
            let pod = format!("p{k}");
            let mut labels = fixed.clone();
            labels.insert("pod".into(), pod.clone());
            let mut h = 0xcbf2_9ce4_8422_2325;
            for (name, value) in &labels {
                h = fnv(
                    fnv(fnv(fnv(h, name.as_bytes()), &[0xff]), value.as_bytes()),
                    &[0xff],
                );
            }
            if let Some(other) = seen.insert((h >> 32) as u32, k) {
                return (format!("p{other}"), pod);
            }
        }
        unreachable!()
    }

    #[test]
    fn lists_keep_fingerprint_order_when_entries_tie_on_their_high_half() {
        let fixed = BTreeMap::from([
            ("alertname".to_string(), "PodCrashLooping".to_string()),
            ("namespace".to_string(), "shop".to_string()),
            ("service".to_string(), "checkout".to_string()),
        ]);
        let (p, q) = pods_with_tied_entries(&fixed);
        let alert = |pod: &str, mins: i64| {
            let mut labels = fixed.clone();
            labels.insert("pod".into(), pod.into());
            Alert {
                labels,
                annotations: BTreeMap::from([("summary".into(), "pod is crash looping".into())]),
                starts_at: t0() + SignedDuration::from_mins(mins),
                ends_at: None,
                state: AlertState::Firing,
                generator_url: None,
                detail: Default::default(),
            }
        };
        let (a, b) = (alert(&p, 5), alert(&q, 5));
        let (fa, fb) = (a.fingerprint(), b.fingerprint());
        assert_eq!(fa.0 >> 32, fb.0 >> 32);
        assert_ne!(fa, fb);
        // Same start, same lists: only the whole fingerprint orders them. Others around them.
        let others = [
            alert("x1", 5),
            alert("x2", 4),
            alert("x3", 6),
            alert("x4", 5),
        ];
        let orders: [Vec<Alert>; 3] = [
            [a.clone(), b.clone()]
                .into_iter()
                .chain(others.clone())
                .collect(),
            [b.clone(), a.clone()]
                .into_iter()
                .chain(others.clone())
                .collect(),
            others
                .iter()
                .cloned()
                .chain([b.clone(), a.clone()])
                .collect(),
        ];
        let mut seen: Option<Vec<(u64, Vec<Fingerprint>)>> = None;
        for order in orders {
            let mut c = Correlator::new(cfg());
            for x in &order {
                c.observe(x.clone(), t0());
            }
            check_books(&mut c);
            check_against_brute_force(&c);
            let mut lists: Vec<(u64, Vec<Fingerprint>)> = c
                .lists
                .iter()
                .map(|(&k, l)| {
                    (
                        k,
                        l.iter()
                            .map(|e| c.tracked[e.slot as usize].fingerprint)
                            .collect(),
                    )
                })
                .collect();
            lists.sort();
            for (_, l) in &lists {
                let (i, j) = (
                    l.iter().position(|&f| f == fa),
                    l.iter().position(|&f| f == fb),
                );
                if let (Some(i), Some(j)) = (i, j) {
                    assert_eq!(i < j, fa < fb);
                }
            }
            if let Some(s) = &seen {
                assert_eq!(s, &lists);
            }
            seen = Some(lists);
            // Silencing one takes exactly its entries out (found by the whole fingerprint).
            let mut quiet = b.clone();
            quiet.state = AlertState::Suppressed;
            c.observe(quiet, t0());
            check_books(&mut c);
        }
    }
}
