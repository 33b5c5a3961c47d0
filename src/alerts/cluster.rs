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
//! Reasons are kept as the multiset of explanations of neighbouring pairs, so they too are the
//! same whatever the arrival order. Topology reasons are added when a pair is seen and kept.
//!
//! Suppressed alerts never link anything. A new suppressed alert is shown in the cluster of the
//! earliest non-suppressed alert with the same group key in its window (or alone). An alert that
//! drove a cluster and is silenced later stays where it is.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::model::{Alert, AlertState, Fingerprint, Severity};
use super::noise::{History, NoiseMark};
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
}

impl Cluster {
    pub fn size(&self) -> usize {
        self.members.len()
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

/// One activation of an alert in a time-sorted list.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    t: i64,
    fp: u64,
    slot: u32,
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
    words: Vec<String>,
    bands: Vec<u64>,
}

struct Inner {
    role: Role,
    starts: Vec<i64>,
    partition: u64,
    group: Option<u64>,
    topo: Option<u32>,
    text: Option<Arc<TextSig>>,
    history: History,
}

struct Agg {
    /// Position in `clusters`; kept only while loading in bulk (`deferred`).
    pos: usize,
    /// The rank the cluster is sorted by in `clusters` (outside bulk loading).
    key: Rank,
    slots: Vec<u32>,
    alertnames: BTreeMap<String, u32>,
    services: BTreeMap<String, u32>,
    /// [state][severity] member counts.
    sev: [[u32; 4]; 3],
    reasons: BTreeMap<ReasonKey, u32>,
    /// Topology reasons seen (ids into `Topology::reasons`).
    topo_reasons: BTreeSet<u32>,
    /// Topology services of driving members → earliest (start, fp).
    topo_first: BTreeMap<u32, (i64, u64)>,
    /// Earliest driving member (start, fp, slot).
    first: Option<(i64, u64, u32)>,
    min_fp: u64,
    noisy: BTreeSet<u32>,
    dirty_origin: bool,
    dirty_reasons: bool,
    dirty_noise: bool,
    dirty_rescan: bool,
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

fn stored_rank(c: &Cluster, aggs: &[Option<Agg>]) -> Rank {
    aggs[c.id.0 as usize].as_ref().expect("live cluster").key
}

fn rank(c: &Cluster, aggs: &[Option<Agg>]) -> Rank {
    let min_fp = aggs[c.id.0 as usize].as_ref().map_or(0, |a| a.min_fp);
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

fn list_insert(list: &mut Vec<Entry>, e: Entry) -> (Option<Entry>, Option<Entry>) {
    // Alerts mostly arrive in time order: appending is the common case.
    let last = list.last().copied();
    if last.is_none_or(|l| l < e) {
        list.push(e);
        return (last, None);
    }
    let i = list.partition_point(|x| *x < e);
    if list.get(i) != Some(&e) {
        list.insert(i, e);
    }
    (i.checked_sub(1).map(|j| list[j]), list.get(i + 1).copied())
}

fn neighbours(list: &[Entry], e: Entry) -> (Option<Entry>, Option<Entry>) {
    if let Some(&l) = list.last()
        && l < e
    {
        return (Some(l), None);
    }
    let i = list.partition_point(|x| *x < e);
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
    topo: Topology,
    tracked: Vec<TrackedAlert>,
    inner: Vec<Inner>,
    by_fp: IdMap<Fingerprint, u32>,
    lists: IdMap<u64, Vec<Entry>>,
    sats: IdMap<u64, Vec<Entry>>,
    clusters: Vec<Cluster>,
    aggs: Vec<Option<Agg>>,
    texts: IdMap<u64, Arc<TextSig>>,
    reason_texts: IdMap<u64, Arc<str>>,
    touched: Vec<ClusterId>,
    deferred: bool,
}

impl Correlator {
    pub fn new(cfg: ClusterConfig) -> Self {
        let window = cfg.window.as_nanos().clamp(0, i64::MAX as i128) as i64;
        let topo = Topology::new(&cfg.topology);
        Correlator {
            cfg,
            window,
            topo,
            tracked: Vec::new(),
            inner: Vec::new(),
            by_fp: IdMap::default(),
            lists: IdMap::default(),
            sats: IdMap::default(),
            clusters: Vec::new(),
            aggs: Vec::new(),
            texts: IdMap::default(),
            reason_texts: IdMap::default(),
            touched: Vec::new(),
            deferred: false,
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
        for (i, c) in self.clusters.iter().enumerate() {
            if let Some(a) = self.aggs[c.id.0 as usize].as_mut() {
                a.pos = i;
            }
        }
        self.deferred = true;
        for (alert, now) in alerts {
            self.observe_one(alert, now);
            if self.touched.len() > 64 {
                self.settle();
            }
        }
        self.settle();
        self.deferred = false;
        let aggs = &self.aggs;
        self.clusters.sort_by_cached_key(|c| rank(c, aggs));
        for c in &self.clusters {
            let key = rank(c, &self.aggs);
            if let Some(a) = self.aggs[c.id.0 as usize].as_mut() {
                a.key = key;
            }
        }
    }

    /// Re-evaluates the time-based noise marks (flapping decays, chronic grows) of every alert
    /// at `now`. Call it now and then (e.g. once a minute); it is O(alerts).
    pub fn refresh_noise(&mut self, now: Timestamp) {
        let now = ns(now);
        for slot in 0..self.tracked.len() as u32 {
            self.update_noise(slot, now);
        }
        self.settle();
    }

    /// Clusters, sorted: with firing alerts first, then severity (highest first), then most
    /// recent activity first.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    pub fn cluster(&self, id: ClusterId) -> Option<&Cluster> {
        self.aggs.get(id.0 as usize)?.as_ref()?;
        self.clusters.get(self.position(id))
    }

    /// The tracked members of a cluster, in the order of `Cluster::members`.
    pub fn members(&self, id: ClusterId) -> impl Iterator<Item = &TrackedAlert> + '_ {
        let slots: &[u32] = self
            .aggs
            .get(id.0 as usize)
            .and_then(Option::as_ref)
            .map_or(&[], |a| &a.slots);
        slots.iter().map(|&s| &self.tracked[s as usize])
    }

    pub fn alert(&self, fp: Fingerprint) -> Option<&TrackedAlert> {
        self.by_fp.get(&fp).map(|&s| &self.tracked[s as usize])
    }

    /// All tracked alerts, in the order first seen.
    pub fn alerts(&self) -> &[TrackedAlert] {
        &self.tracked
    }

    /// Flapping or chronic alerts, noisiest first: candidates to fix or retire.
    pub fn stale_candidates(&self) -> Vec<StaleCandidate> {
        let score = |n: &[NoiseMark]| {
            n.iter()
                .map(|m| match m {
                    NoiseMark::Flapping {
                        transitions_per_hour,
                    } => *transitions_per_hour,
                    NoiseMark::Chronic { firing_share } => 2.0 * firing_share,
                    NoiseMark::Suppressed => 0.0,
                })
                .sum::<f64>()
        };
        let mut out: Vec<(f64, StaleCandidate)> = self
            .tracked
            .iter()
            .filter(|t| t.noise.iter().any(|m| !matches!(m, NoiseMark::Suppressed)))
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
        out.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.fingerprint.cmp(&b.1.fingerprint))
        });
        out.into_iter().map(|(_, c)| c).collect()
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
        let topo = alert
            .service()
            .and_then(|s| self.topo.index.get(s))
            .copied();
        let text = if self.cfg.text_similarity {
            self.text_sig(&alert)
        } else {
            None
        };
        let start = ns(alert.starts_at);
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
        });
        self.inner.push(Inner {
            role: Role::Driver,
            starts: Vec::new(),
            partition,
            group,
            topo,
            text,
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
        self.update_noise(slot, now_ns);
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
        let id = self.tracked[s].cluster;
        let sev = sev_index(alert.severity());
        let was_active = old_state != AlertState::Resolved;
        let is_active = new_state != AlertState::Resolved;
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
                if new_start {
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
        let marks = self.inner[s].history.marks(
            now,
            suppressed,
            self.cfg.flap_transitions,
            self.cfg.chronic_share,
        );
        if marks != self.tracked[s].noise {
            let id = self.tracked[s].cluster;
            let noisy = marks.iter().any(|m| !matches!(m, NoiseMark::Suppressed));
            self.tracked[s].noise = marks;
            let agg = self.agg_mut(id);
            if noisy {
                agg.noisy.insert(slot);
            } else {
                agg.noisy.remove(&slot);
            }
            agg.dirty_noise = true;
            self.touched.push(id);
        }
    }

    // -- keys -----------------------------------------------------------------------------------

    fn partition_key(&self, a: &Alert) -> u64 {
        let mut h = 0x7061_7274u64;
        for l in &self.cfg.partition_by {
            h = mix(h ^ text::hash_str(l));
            h = mix(h ^ text::hash_str(a.label(l).unwrap_or("")));
        }
        h
    }

    fn group_key(&self, a: &Alert, partition: u64) -> Option<u64> {
        let mut h = mix(partition ^ 0x6772_6f75);
        let mut any = false;
        for l in &self.cfg.group_by {
            let v = a.label(l).unwrap_or("");
            any |= !v.is_empty();
            h = mix(h ^ text::hash_str(l));
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

    fn text_sig(&mut self, a: &Alert) -> Option<Arc<TextSig>> {
        let words = text::alert_words(a);
        if words.is_empty() {
            return None;
        }
        let mut h = 0u64;
        for w in &words {
            h = mix(h ^ text::hash_str(w));
        }
        let sig = self.texts.entry(h).or_insert_with(|| {
            let bands = text::band_keys(&words);
            Arc::new(TextSig { words, bands })
        });
        Some(sig.clone())
    }

    /// (key, kind) of every list a driving alert is in.
    fn keys(&self, slot: u32) -> Vec<(u64, Kind)> {
        let i = &self.inner[slot as usize];
        let mut keys = Vec::with_capacity(2 + text::BANDS);
        if let Some(g) = i.group {
            keys.push((g, Kind::Group));
        }
        let alert = &self.tracked[slot as usize].alert;
        for (n, l) in self.cfg.link_by.iter().enumerate().take(256) {
            if let Some(v) = alert.label(l).filter(|v| !v.is_empty()) {
                let h = mix(i.partition ^ mix(text::hash_str(l) ^ 0x6c61_6265) ^ text::hash_str(v));
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
        keys
    }

    /// Why two neighbouring alerts are linked; `None` when a stronger reason covers the pair.
    /// `key` is the list both are neighbours in.
    fn pair_reason(&mut self, a: u32, b: u32, kind: Kind, key: u64) -> Option<ReasonKey> {
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
            if let Some(t) = self.reason_texts.get(&key) {
                return Some((order, t.clone()));
            }
            let text: Arc<str> = match kind {
                Kind::Label(n) => {
                    let l = &self.cfg.link_by[n as usize];
                    format!("same {l}: {}", alert_a.label(l).unwrap_or(""))
                }
                Kind::Service => {
                    format!("same service: {}", self.topo.names[ia.topo? as usize])
                }
                _ => self.group_desc(alert_a),
            }
            .into();
            self.reason_texts.insert(key, text.clone());
            return Some((order, text));
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
                let shared = text::shared_words(&first.words, &second.words, 4);
                Some((5, format!("similar text: {}", shared.join(" ")).into()))
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
        let e = Entry {
            t,
            fp: self.tracked[s].fingerprint.0,
            slot,
        };
        let w = self.window;
        let mut removed: Vec<(u32, u32, Kind, u64)> = Vec::new();
        let mut added: Vec<(u32, u32, Kind, u64)> = Vec::new();
        let mut links: Vec<u32> = Vec::new();
        let mut cross: Vec<u32> = Vec::new();
        let keys = self.keys(slot);
        for &(key, kind) in &keys {
            let list = self.lists.entry(key).or_default();
            let (p, n) = list_insert(list, e);
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
                let (p, n) = neighbours(list, e);
                let mut hit = false;
                for x in [p, n].into_iter().flatten() {
                    if (x.t - t).abs() <= w {
                        links.push(x.slot);
                        hit = true;
                    }
                }
                if hit {
                    cross.push(rid);
                }
            }
        }
        for (a, b, kind, key) in removed {
            if let Some(r) = self.pair_reason(a, b, kind, key) {
                let id = self.tracked[a as usize].cluster;
                self.reason_remove(id, &r);
            }
        }
        // A new alert has no cluster yet: it joins what it links to, or starts its own.
        let mut id = Some(self.tracked[s].cluster).filter(|c| *c != NO_CLUSTER);
        for other in links {
            let oid = self.tracked[other as usize].cluster;
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
        for (a, b, kind, key) in added {
            if let Some(r) = self.pair_reason(a, b, kind, key) {
                self.reason_add(id, r);
            }
        }
        for rid in cross {
            let agg = self.agg_mut(id);
            if agg.topo_reasons.insert(rid) {
                agg.dirty_reasons = true;
                self.touched.push(id);
            }
        }
        if let Some(g) = self.inner[s].group {
            self.reanchor_after_insert(g, e);
        }
    }

    /// Takes a driving alert out of every list (it was silenced).
    fn deactivate(&mut self, slot: u32) {
        let s = slot as usize;
        let w = self.window;
        let fp = self.tracked[s].fingerprint.0;
        let keys = self.keys(slot);
        let mut removed: Vec<(u32, u32, Kind, u64)> = Vec::new();
        let mut added: Vec<(u32, u32, Kind, u64)> = Vec::new();
        for &t in &self.inner[s].starts {
            let e = Entry { t, fp, slot };
            for &(key, kind) in &keys {
                let Some(list) = self.lists.get_mut(&key) else {
                    continue;
                };
                let i = list.partition_point(|x| *x < e);
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
        let id = self.tracked[s].cluster;
        for (a, b, kind, key) in removed {
            if let Some(r) = self.pair_reason(a, b, kind, key) {
                self.reason_remove(id, &r);
            }
        }
        for (a, b, kind, key) in added {
            if let Some(r) = self.pair_reason(a, b, kind, key) {
                self.reason_add(id, r);
            }
        }
        // Satellites that hung on this alert look for another anchor.
        if let Some(g) = self.inner[s].group {
            let starts = self.inner[s].starts.clone();
            for t in starts {
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
                let e = Entry {
                    t,
                    fp: self.tracked[s].fingerprint.0,
                    slot,
                };
                list_insert(self.sats.entry(g).or_default(), e);
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
            let e = Entry {
                t,
                fp: self.tracked[s].fingerprint.0,
                slot,
            };
            if let Some(list) = self.sats.get_mut(&g) {
                let i = list.partition_point(|x| *x < e);
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
        let pred = self.lists.get(&g).and_then(|l| neighbours(l, e).0);
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
        self.aggs[id.0 as usize].as_ref().expect("live cluster")
    }

    fn agg_mut(&mut self, id: ClusterId) -> &mut Agg {
        self.aggs[id.0 as usize].as_mut().expect("live cluster")
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
        let agg = self.aggs[id.0 as usize].take().expect("live cluster");
        let cluster = if self.deferred {
            let c = self.clusters.swap_remove(pos);
            if let Some(moved) = self.clusters.get(pos) {
                let mid = moved.id.0 as usize;
                if let Some(a) = self.aggs[mid].as_mut() {
                    a.pos = pos;
                }
            }
            c
        } else {
            self.clusters.remove(pos)
        };
        (cluster, agg)
    }

    fn new_cluster(&mut self, slot: u32) -> ClusterId {
        let id = ClusterId(self.aggs.len() as u32);
        self.tracked[slot as usize].cluster = id;
        let t = &self.tracked[slot as usize];
        let a = &t.alert;
        let noisy = t.noise.iter().any(|m| !matches!(m, NoiseMark::Suppressed));
        let name = a.name().to_string();
        let service = a.service().map(str::to_string);
        let mut sev = [[0; 4]; 3];
        sev[state_index(a.state)][sev_index(a.severity())] = 1;
        let cluster = Cluster {
            id,
            members: vec![t.fingerprint],
            firing: usize::from(a.state == AlertState::Firing),
            suppressed: usize::from(a.state == AlertState::Suppressed),
            alertnames: BTreeSet::from([name.clone()]),
            services: service.iter().cloned().collect(),
            origin: None,
            reasons: Vec::new(),
            severity: Severity::None,
            started: a.starts_at,
            last_change: t.last_change,
            common_labels: a.labels.clone(),
            noise: Vec::new(),
        };
        self.aggs.push(Some(Agg {
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
            alertnames: BTreeMap::from([(name, 1)]),
            services: service.into_iter().map(|s| (s, 1)).collect(),
            sev,
            reasons: BTreeMap::new(),
            topo_reasons: BTreeSet::new(),
            topo_first: BTreeMap::new(),
            first: None,
            min_fp: t.fingerprint.0,
            noisy: if noisy {
                BTreeSet::from([slot])
            } else {
                BTreeSet::new()
            },
            dirty_origin: true,
            dirty_reasons: false,
            dirty_noise: true,
            dirty_rescan: false,
        }));
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
        let noisy = t.noise.iter().any(|m| !matches!(m, NoiseMark::Suppressed));
        let (fp, last_change) = (t.fingerprint, t.last_change);
        let (state, sev) = (a.state, a.severity());
        let agg = self.aggs[id.0 as usize].as_mut().expect("live cluster");
        agg.slots.push(slot);
        // Names and services are mostly known already: allocate only for new ones.
        let count = |m: &mut BTreeMap<String, u32>, k: &str| -> Option<String> {
            match m.get_mut(k) {
                Some(n) => {
                    *n += 1;
                    None
                }
                None => {
                    m.insert(k.to_string(), 1);
                    Some(k.to_string())
                }
            }
        };
        let new_name = count(&mut agg.alertnames, a.name());
        let new_service = a.service().and_then(|svc| count(&mut agg.services, svc));
        agg.sev[state_index(state)][sev_index(sev)] += 1;
        agg.min_fp = agg.min_fp.min(fp.0);
        if noisy {
            agg.noisy.insert(slot);
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
            c.alertnames.insert(name);
        }
        if let Some(svc) = new_service {
            c.services.insert(svc);
        }
        if c.members.len() > 1 {
            c.common_labels
                .retain(|k, v| a.labels.get(k).is_some_and(|x| x == v));
        }
        c.started = c.started.min(a.starts_at);
        c.last_change = c.last_change.max(last_change);
        self.touched.push(id);
    }

    /// Removes a satellite from a cluster (deleting the cluster if it empties).
    fn remove_member(&mut self, id: ClusterId, slot: u32) {
        let t = &self.tracked[slot as usize];
        let (fp, state, sev) = (t.fingerprint, t.alert.state, t.alert.severity());
        let name = t.alert.name().to_string();
        let service = t.alert.service().map(str::to_string);
        let agg = self.aggs[id.0 as usize].as_mut().expect("live cluster");
        if let Some(i) = agg.slots.iter().position(|&x| x == slot) {
            agg.slots.remove(i);
        }
        if agg.slots.is_empty() {
            self.delete_cluster(id);
            return;
        }
        let dec = |m: &mut BTreeMap<String, u32>, k: &str| -> bool {
            if let Some(n) = m.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    m.remove(k);
                    return true;
                }
            }
            false
        };
        let name_gone = dec(&mut agg.alertnames, &name);
        let service_gone = service
            .as_deref()
            .is_some_and(|s| dec(&mut agg.services, s));
        agg.sev[state_index(state)][sev_index(sev)] -= 1;
        agg.noisy.remove(&slot);
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
            c.alertnames.remove(&name);
        }
        if let Some(svc) = service.filter(|_| service_gone) {
            c.services.remove(&svc);
        }
        self.touched.push(id);
    }

    fn delete_cluster(&mut self, id: ClusterId) {
        if self.aggs[id.0 as usize].is_some() {
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
        let bagg = self.aggs[big.0 as usize].as_mut().expect("live cluster");
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
        for (k, n) in sagg.reasons {
            let e = bagg.reasons.entry(k).or_default();
            bagg.dirty_reasons |= *e == 0;
            *e += n;
        }
        for r in sagg.topo_reasons {
            bagg.dirty_reasons |= bagg.topo_reasons.insert(r);
        }
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
        if let Some(f) = sagg.first
            && bagg.first.is_none_or(|b| (f.0, f.1) < (b.0, b.1))
        {
            bagg.first = Some(f);
            bagg.dirty_origin = true;
        }
        bagg.min_fp = bagg.min_fp.min(sagg.min_fp);
        if !sagg.noisy.is_empty() {
            bagg.noisy.extend(sagg.noisy);
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

    fn reason_add(&mut self, id: ClusterId, r: ReasonKey) {
        let agg = self.agg_mut(id);
        let n = agg.reasons.entry(r).or_default();
        *n += 1;
        if *n == 1 {
            agg.dirty_reasons = true;
            self.touched.push(id);
        }
    }

    fn reason_remove(&mut self, id: ClusterId, r: &ReasonKey) {
        let agg = self.agg_mut(id);
        if let Some(n) = agg.reasons.get_mut(r) {
            *n -= 1;
            if *n == 0 {
                agg.reasons.remove(r);
                agg.dirty_reasons = true;
                self.touched.push(id);
            }
        }
    }

    /// Brings touched clusters' derived fields up to date and moves them to their sorted place.
    fn settle(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.iter().copied() {
            if self.aggs[id.0 as usize].is_none() {
                continue;
            }
            self.refresh(id);
            if !self.deferred {
                self.reposition(id);
            }
        }
        touched.clear();
        self.touched = touched;
    }

    fn refresh(&mut self, id: ClusterId) {
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
        let origin = dirty_origin.then(|| self.compute_origin(id));
        let reasons = dirty_reasons.then(|| self.compute_reasons(agg));
        let noise = dirty_noise.then(|| self.compute_noise(id));
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
        agg.dirty_origin = false;
        agg.dirty_reasons = false;
        agg.dirty_noise = false;
        agg.dirty_rescan = false;
        if let Some((_, _, min_fp)) = &rescan {
            agg.min_fp = *min_fp;
        }
        let c = self.cluster_mut(id);
        c.severity = severity;
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
        for (_, text) in agg.reasons.keys().take_while(|k| k.0 < 3) {
            if !room(&out) {
                break;
            }
            out.push(text.to_string());
        }
        let visible = |rid: &&u32| {
            self.topo.hops[**rid as usize].is_none_or(|h| !agg.topo_first.contains_key(&h))
        };
        let mut topo = 0;
        for indirect in [false, true] {
            for &rid in agg
                .topo_reasons
                .iter()
                .filter(|r| self.topo.hops[**r as usize].is_some() == indirect)
                .filter(visible)
            {
                topo += 1;
                if room(&out) {
                    out.push(self.topo.reasons[rid as usize].clone());
                }
            }
        }
        for (_, text) in agg.reasons.keys().skip_while(|k| k.0 < 3) {
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

    fn compute_noise(&self, id: ClusterId) -> Vec<NoiseMark> {
        let agg = self.agg(id);
        let mut flap: Option<f64> = None;
        let mut chronic: Option<f64> = None;
        for &slot in &agg.noisy {
            for m in &self.tracked[slot as usize].noise {
                match m {
                    NoiseMark::Flapping {
                        transitions_per_hour: r,
                    } => flap = Some(flap.map_or(*r, |f: f64| f.max(*r))),
                    NoiseMark::Chronic { firing_share: s } => {
                        chronic = Some(chronic.map_or(*s, |c: f64| c.max(*s)))
                    }
                    NoiseMark::Suppressed => {}
                }
            }
        }
        let mut out = Vec::new();
        if let Some(r) = flap {
            out.push(NoiseMark::Flapping {
                transitions_per_hour: r,
            });
        }
        if let Some(s) = chronic {
            out.push(NoiseMark::Chronic { firing_share: s });
        }
        let suppressed: u32 = agg.sev[2].iter().sum();
        if suppressed as usize == agg.slots.len() {
            out.push(NoiseMark::Suppressed);
        }
        out
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
        (
            0..NAMESPACES.len(),
            0..SERVICES.len(),
            0..NAMES.len(),
            0..SUMMARIES.len(),
            0i64..45,
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
    fn check_against_brute_force(c: &Correlator) {
        let n = c.tracked.len();
        let w = c.window;
        let mut parent: Vec<usize> = (0..n).collect();
        let drives = |i: usize| c.tracked[i].alert.state != AlertState::Suppressed;
        let start = |i: usize| ns(c.tracked[i].alert.starts_at);
        for a in 0..n {
            for b in a + 1..n {
                if !drives(a) || !drives(b) || (start(a) - start(b)).abs() > w {
                    continue;
                }
                let (ia, ib) = (&c.inner[a], &c.inner[b]);
                if ia.partition != ib.partition {
                    continue;
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
                if group || label || topo || text {
                    let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                    parent[ra] = rb;
                }
            }
        }
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
                let want =
                    match (drives(a), drives(b)) {
                        (true, true) => find(&mut parent, a) == find(&mut parent, b),
                        (false, true) => expect_with[a]
                            .is_some_and(|d| find(&mut parent, d) == find(&mut parent, b)),
                        (true, false) => expect_with[b]
                            .is_some_and(|d| find(&mut parent, d) == find(&mut parent, a)),
                        (false, false) => {
                            a == b
                                || matches!((expect_with[a], expect_with[b]), (Some(x), Some(y))
                                if find(&mut parent, x) == find(&mut parent, y))
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
        fn state_changes_keep_the_books_straight(
            alerts in prop::collection::vec(spec(), 1..40),
            changes in prop::collection::vec((0usize..40, 0u8..3), 0..40),
        ) {
            let alerts = dedup(alerts);
            let mut c = Correlator::new(cfg());
            for a in &alerts {
                c.observe(a.clone(), t0());
            }
            for (i, (k, st)) in changes.into_iter().enumerate() {
                let mut a = alerts[k % alerts.len()].clone();
                a.state = [AlertState::Firing, AlertState::Resolved, AlertState::Suppressed][st as usize];
                c.observe(a, t0() + SignedDuration::from_secs(i as i64));
            }
            // Membership now depends on history; only the books are checked.
            let total: usize = c.clusters().iter().map(|cl| cl.members.len()).sum();
            prop_assert_eq!(total, c.len());
            for (i, cl) in c.clusters.iter().enumerate() {
                prop_assert_eq!(c.position(cl.id), i);
                prop_assert_eq!(c.agg(cl.id).key, rank(cl, &c.aggs));
                let firing = c.members(cl.id).filter(|t| t.alert.state == AlertState::Firing).count();
                let suppressed = c.members(cl.id).filter(|t| t.alert.state == AlertState::Suppressed).count();
                prop_assert_eq!(firing, cl.firing);
                prop_assert_eq!(suppressed, cl.suppressed);
            }
            for pair in c.clusters.windows(2) {
                prop_assert!(rank(&pair[0], &c.aggs) < rank(&pair[1], &c.aggs));
            }
        }
    }
}
