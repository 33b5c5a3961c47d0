//! Properties of the correlator against brute-force references, and its books kept straight.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;

use super::aggregates::{count_labels, rank};
use super::ids::IdMap;
use super::noise::{NoiseMax, is_noisy};
use super::observe::Role;
use super::{ClusterConfig, ClusterId, Correlator, ns};
use crate::alerts::model::{Alert, AlertState, Fingerprint};
use crate::time::{SignedDuration, Timestamp};

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

pub(super) fn cfg() -> ClusterConfig {
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

pub(super) fn t0() -> Timestamp {
    "2026-11-25T23:00:00Z".parse().unwrap()
}

pub(super) fn spec() -> impl Strategy<Value = Alert> {
    spec_over(45)
}

/// Alerts starting within `mins` minutes of `t0`.
pub(super) fn spec_over(mins: i64) -> impl Strategy<Value = Alert> {
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
                annotations: BTreeMap::from([("summary".to_string(), SUMMARIES[sum].to_string())]),
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

pub(super) fn dedup(alerts: Vec<Alert>) -> Vec<Alert> {
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
                (false, true) => expect_with[a].is_some_and(|d| find(parent, d) == find(parent, b)),
                (true, false) => expect_with[b].is_some_and(|d| find(parent, d) == find(parent, a)),
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
        assert_eq!(c.position(cl.id), Some(i));
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
    assert_eq!(c.slips(), 0, "bookkeeping slips");
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

    /// While a cluster's labels revision stands still, so do its alertnames, services and
    /// common labels (what the cockpit's knowledge query is built from and skips reading
    /// again): through joins, state changes, later firings, merges, noise refreshes and
    /// pruning, checked after every step.
    #[test]
    fn a_standing_labels_revision_means_standing_labels(
        alerts in prop::collection::vec(spec_over(600), 1..50),
        changes in prop::collection::vec((0usize..50, 0u8..3, 0i64..6), 0..50),
        prune_at in 0i64..24,
        more in prop::collection::vec(spec_over(600), 0..20),
    ) {
        type Seen = (BTreeSet<String>, BTreeSet<String>, BTreeMap<String, String>);
        fn check(c: &Correlator, seen: &mut BTreeMap<ClusterId, (u64, Seen)>) -> Result<(), TestCaseError> {
            for cl in c.clusters() {
                let rev = c.labels_revision(cl.id);
                prop_assert!(rev.is_some(), "a listed cluster has a revision");
                let now = (cl.alertnames.clone(), cl.services.clone(), cl.common_labels.clone());
                if let Some((r, before)) = seen.get(&cl.id) {
                    prop_assert!(Some(*r) != rev || *before == now, "{:?}: labels moved, revision stood", cl.id);
                }
                seen.insert(cl.id, (rev.unwrap_or_default(), now));
            }
            Ok(())
        }
        let alerts = dedup(alerts);
        let mut c = Correlator::new(ClusterConfig {
            retention: SignedDuration::from_hours(2),
            ..cfg()
        });
        let mut seen = BTreeMap::new();
        for a in &alerts {
            c.observe(a.clone(), a.starts_at);
            check(&c, &mut seen)?;
        }
        for (i, (k, st, later)) in changes.into_iter().enumerate() {
            let mut a = alerts[k % alerts.len()].clone();
            a.state = [AlertState::Firing, AlertState::Resolved, AlertState::Suppressed][st as usize];
            a.starts_at += SignedDuration::from_mins(later * 35);
            let at = t0() + SignedDuration::from_mins(i as i64 * 5);
            c.observe(a, at);
            check(&c, &mut seen)?;
            c.refresh_noise(at);
            check(&c, &mut seen)?;
        }
        let now = t0() + SignedDuration::from_hours(prune_at);
        for id in c.prune(now) {
            prop_assert!(c.labels_revision(id).is_none());
        }
        check(&c, &mut seen)?;
        for a in more {
            c.observe(a, now);
            check(&c, &mut seen)?;
        }
    }
}

/// Everything the correlator keeps agrees with everything else, and no bookkeeping slip was met
/// on the way (a slip is repaired in production, but is a bug).
pub(super) fn check_books(c: &mut Correlator) {
    books_agree(c);
    assert_eq!(c.slips(), 0, "bookkeeping slips");
}

/// Everything the correlator keeps agrees with everything else.
pub(super) fn books_agree(c: &mut Correlator) {
    let total: usize = c.clusters().iter().map(|cl| cl.members.len()).sum();
    assert_eq!(total, c.len());
    assert_eq!(c.by_fp.len(), c.len());
    for (slot, t) in c.tracked.iter().enumerate() {
        assert_eq!(c.by_fp[&t.fingerprint], slot as u32);
        assert!(c.agg(t.cluster).slots.contains(&(slot as u32)));
    }
    // Every live cluster holds a name of its own, and shows it.
    let names: BTreeSet<_> = c.clusters.iter().map(|cl| cl.name).collect();
    assert_eq!(names.len(), c.clusters.len(), "two clusters share a name");
    for cl in &c.clusters {
        assert_eq!(c.naming.name(cl.id), Some(cl.name));
        // The claim a name is made from is that of a member now (a merge or a member leaving
        // brings it up to date), and no later than any member's (a member's own claim only
        // moves later when it starts again, which keeps the name).
        let claims: Vec<_> = c
            .agg(cl.id)
            .slots
            .iter()
            .map(|&s| c.member_claim(s))
            .collect();
        let (founder, pin) = c.naming.claim(cl.id).expect("a claim");
        assert!(
            cl.members.iter().any(|fp| fp.0 == founder.1),
            "the name of {:?} is claimed by an alert not in it",
            cl.id
        );
        assert!(
            claims.iter().all(|m| founder <= m.0),
            "claim of {:?}",
            cl.id
        );
        assert_eq!(pin, claims.iter().filter_map(|m| m.1).min(), "{:?}", cl.id);
    }
    for (i, cl) in c.clusters.iter().enumerate() {
        assert_eq!(c.position(cl.id), Some(i));
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
        // Label-pair counts, once kept, are those of the members; the common labels are what
        // every member has.
        if let Some(counts) = &agg.labels {
            let mut want = IdMap::default();
            for t in c.members(cl.id) {
                count_labels(&mut want, &t.alert.labels, true);
            }
            assert_eq!(counts, &want, "label-pair counts of {:?}", cl.id);
        }
        let mut members = c.members(cl.id);
        if let Some(first) = members.next() {
            let mut common = first.alert.labels.clone();
            for t in members {
                common.retain(|k, v| t.alert.labels.get(k) == Some(v));
            }
            assert_eq!(cl.common_labels, common, "common labels of {:?}", cl.id);
        }
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
