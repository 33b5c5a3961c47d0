//! The topology reason model: the same reasons as the pair-by-pair definition on random maps
//! (cycles, diamonds, services that do not alert), and the work it takes bounded by counting
//! steps (`Topology::ops`), not by the clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use super::topology::{TopoReason, Topology};
use super::{ClusterConfig, Correlator};
use crate::alerts::model::{Alert, AlertState};
use crate::time::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

/// The reasons among `svcs` by the definition, pair by pair: for every two services one of which
/// depends on the other, a cycle ("depend on each other", the later first), a direct dependency,
/// or an indirect one through the breadth-first parent when that service does not alert.
fn reference(
    topo: &Topology,
    svcs: &[u32],
    first: &dyn Fn(u32) -> (i64, u64),
) -> (BTreeSet<String>, BTreeSet<String>) {
    let n = topo.names.len();
    // Breadth-first parents over the map's dependencies, in map order.
    let deps: Vec<Vec<u32>> = (0..n)
        .map(|a| {
            let mut v: Vec<u32> = Vec::new();
            for d in topo_deps(topo, a as u32) {
                if !v.contains(&d) {
                    v.push(d);
                }
            }
            v
        })
        .collect();
    let parents = |s: u32| {
        let mut p = vec![u32::MAX; n];
        p[s as usize] = s;
        let mut q = std::collections::VecDeque::from([s]);
        while let Some(u) = q.pop_front() {
            for &v in &deps[u as usize] {
                if p[v as usize] == u32::MAX {
                    p[v as usize] = u;
                    q.push_back(v);
                }
            }
        }
        p
    };
    let name = |i: u32| topo.names[i as usize].clone();
    let (mut direct, mut indirect) = (BTreeSet::new(), BTreeSet::new());
    for &a in svcs {
        let pa = parents(a);
        for &b in svcs {
            if a == b {
                continue;
            }
            match (topo.depends(a, b), topo.depends(b, a)) {
                (true, true) if first(a) > first(b) => {
                    direct.insert(format!("{} and {} depend on each other", name(a), name(b)));
                }
                (true, false) => {
                    let h = pa[b as usize];
                    if h == a {
                        direct.insert(format!("{} depends on {}", name(a), name(b)));
                    } else if !svcs.contains(&h) {
                        indirect.insert(format!(
                            "{} depends on {} (via {})",
                            name(a),
                            name(b),
                            name(h)
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    (direct, indirect)
}

/// A service's dependencies as the map lists them (through the names: the model's own lists
/// are private).
fn topo_deps(topo: &Topology, a: u32) -> Vec<u32> {
    MAP.with(|m| {
        m.borrow()
            .get(&topo.names[a as usize])
            .map(|ds| ds.iter().map(|d| topo.index[d]).collect())
            .unwrap_or_default()
    })
}

thread_local! {
    static MAP: std::cell::RefCell<BTreeMap<String, Vec<String>>> = Default::default();
}

#[test]
fn reasons_match_the_pair_by_pair_definition_on_random_maps() {
    let mut rng = fastrand::Rng::with_seed(167);
    for round in 0..400 {
        let n = rng.usize(2..14);
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in 0..n {
            let deps = rng.usize(0..4);
            let list: Vec<String> = (0..deps)
                .map(|_| {
                    // Mostly downwards (a DAG), sometimes back up (a cycle); sometimes twice.
                    let b = if rng.u8(0..10) == 0 {
                        rng.usize(0..n)
                    } else {
                        rng.usize(a.min(n - 1)..n)
                    };
                    format!("s{b}")
                })
                .collect();
            map.insert(format!("s{a}"), list);
        }
        MAP.with(|m| *m.borrow_mut() = map.clone());
        let topo = Topology::new(&map);
        let count = topo.names.len() as u32;
        let svcs: Vec<u32> = (0..count).filter(|_| rng.bool()).collect();
        let firsts: BTreeMap<u32, (i64, u64)> = svcs
            .iter()
            .map(|&s| (s, (rng.i64(0..5), rng.u64(..))))
            .collect();
        let first = |s: u32| firsts[&s];
        let mut set = vec![0u64; topo.words()];
        for &s in &svcs {
            set[s as usize / 64] |= 1 << (s % 64);
        }
        let got = topo.pairs(&svcs, &set, first);
        let texts = |v: &[TopoReason]| -> BTreeSet<String> {
            v.iter().map(|r| r.text(&topo.names)).collect()
        };
        let want = reference(&topo, &svcs, &first);
        assert_eq!(
            texts(&got.direct),
            want.0,
            "round {round}: {map:?} {svcs:?}"
        );
        assert_eq!(
            texts(&got.indirect),
            want.1,
            "round {round}: {map:?} {svcs:?}"
        );
        // Each reason once, and sorted without texts as the texts sort.
        assert_eq!(got.direct.len(), want.0.len());
        assert_eq!(got.indirect.len(), want.1.len());
        let mut all: Vec<TopoReason> = got.direct.iter().chain(&got.indirect).copied().collect();
        all.sort_by(|a, b| a.cmp_text(b, &topo.names));
        let sorted: Vec<String> = all.iter().map(|r| r.text(&topo.names)).collect();
        let mut by_text = sorted.clone();
        by_text.sort();
        assert_eq!(sorted, by_text);
    }
}

fn chain(n: usize) -> ClusterConfig {
    ClusterConfig {
        topology: (0..n)
            .map(|i| (format!("svc-{i:05}"), vec![format!("svc-{:05}", i + 1)]))
            .collect(),
        ..ClusterConfig::default()
    }
}

fn chain_alert(i: usize) -> (Alert, Timestamp) {
    let at = t0() + SignedDuration::from_secs(i as i64 % 300);
    let a = Alert {
        labels: BTreeMap::from([
            ("alertname".to_string(), "Down".to_string()),
            ("service".to_string(), format!("svc-{i:05}")),
        ]),
        annotations: BTreeMap::new(),
        starts_at: at,
        ends_at: None,
        state: AlertState::Firing,
        generator_url: None,
        detail: Default::default(),
    };
    (a, at)
}

/// Steps of the reason model and the origin for one settle of an all-alerting chain of `n`.
fn chain_steps(n: usize) -> (u64, Correlator) {
    let mut c = Correlator::new(chain(n));
    c.observe_many((0..n).map(chain_alert));
    (c.topo.ops.load(Ordering::Relaxed), c)
}

#[test]
fn an_alerting_chain_costs_its_services_and_links_not_every_pair() {
    for n in [500, 2_000] {
        let (steps, c) = chain_steps(n);
        let cl = &c.clusters()[0];
        assert_eq!(c.clusters().len(), 1);
        assert_eq!(cl.size(), n);
        // The chain's links, by text, then how many more; the origin is the last service.
        assert_eq!(cl.reasons[0], "svc-00000 depends on svc-00001");
        assert_eq!(cl.reasons[23], "svc-00023 depends on svc-00024");
        assert_eq!(cl.reasons[24], format!("and {} more", n - 1 - 24));
        let origin = cl.origin.as_ref().unwrap();
        assert_eq!(origin.service, format!("svc-{:05}", n - 1));
        // Linear in the services and their edges, plus a row of bit words a service (the
        // origin's counts): for 2,000 services about 0.15 million steps where the pairs alone
        // are 2 million.
        let words = n.div_ceil(64) as u64;
        let bound = 12 * n as u64 + 3 * n as u64 * words;
        let pairs = (n * (n - 1) / 2) as u64;
        assert!(steps <= bound, "{n}: {steps} steps, bound {bound}");
        assert!(
            steps * 10 < pairs,
            "{n}: {steps} steps against {pairs} pairs"
        );
    }
}

#[test]
fn one_more_alert_on_a_big_chain_costs_one_settle() {
    let n = 2_000;
    let (_, mut c) = chain_steps(n);
    c.topo.ops.store(0, Ordering::Relaxed);
    // The service the last one depends on alerts too: the cluster's origin and reasons are
    // made again, once.
    let (a, now) = chain_alert(n);
    c.observe(a, now);
    let steps = c.topo.ops.load(Ordering::Relaxed);
    let words = (n + 1).div_ceil(64) as u64;
    assert!(
        steps > n as u64 && steps <= 12 * n as u64 + 3 * n as u64 * words,
        "{steps} steps"
    );
    assert_eq!(c.clusters().len(), 1);
    let cl = &c.clusters()[0];
    assert_eq!(cl.origin.as_ref().unwrap().service, format!("svc-{n:05}"));
    assert_eq!(cl.reasons[24], format!("and {} more", n - 24));
}
