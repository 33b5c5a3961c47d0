//! Ingest order and batching change nothing (issue 15): a generated storm — cascades through a
//! topology, with the demo's runbooks and postmortems loaded, resolves and flapping noise — gives
//! the same clusters, the same knowledge matches and the same steps on offer whether its
//! alerts are applied to the cockpit one at a time, in webhook-sized batches
//! (`Cockpit::apply_batch`), or shuffled (each alert's own deliveries keep their order, as one
//! Alertmanager group's do), and `alerts cluster` (the batch report) agrees on the clusters.

use std::collections::{BTreeMap, BTreeSet};

use flightdeck::alerts::{Alert, AlertState, Fingerprint, ParsedAlerts, cluster_report};
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event, SuggestionStatus};
use flightdeck::knowledge::{DocRef, KnowledgeBase};
use flightdeck::time::{SignedDuration, Timestamp};

use crate::common::alerts::shop;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

fn demo_knowledge() -> KnowledgeBase {
    let loaded = flightdeck::load::demo().expect("the bundled demo loads");
    loaded.knowledge
}

/// (alertname, service, summary) of the cascades: names the demo runbooks cover.
const CASCADE: [(&str, &str, &str); 8] = [
    (
        "PostgresConnectionPoolExhausted",
        "postgres",
        "connection pool of postgres exhausted",
    ),
    (
        "PgBouncerClientsWaiting",
        "pgbouncer",
        "clients waiting on pgbouncer pool",
    ),
    (
        "CheckoutDBPoolAcquireTimeouts",
        "checkout",
        "checkout cannot acquire a database connection",
    ),
    (
        "CheckoutHigh5xxRate",
        "checkout",
        "checkout answers 5xx for {pod}",
    ),
    (
        "PaymentsUpstreamTimeouts",
        "payments",
        "payments times out calling the PSP from {pod}",
    ),
    (
        "FrontendRoute5xx",
        "frontend",
        "frontend route /checkout answers 5xx",
    ),
    (
        "KubePodCrashLooping",
        "checkout",
        "Pod shop/{pod} is crash looping",
    ),
    (
        "NodeFilesystemSpaceFillingUp",
        "node-exporter",
        "filesystem on {node} is filling up",
    ),
];

fn alert(labels: &[(&str, String)], summary: String, start: Timestamp) -> Alert {
    Alert {
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        annotations: BTreeMap::from([("summary".to_string(), summary)]),
        starts_at: start,
        ends_at: None,
        state: AlertState::Firing,
        generator_url: None,
        detail: Default::default(),
    }
}

fn resolved(mut a: Alert, at: Timestamp) -> Alert {
    a.ends_at = Some(at);
    a.state = AlertState::Resolved;
    a
}

/// The storm's deliveries in time order, each with the time it happened: 12 cascades 40
/// minutes apart (each on its own Kubernetes cluster, 20–120 alerts over 8 minutes, most
/// resolved within the hour) and flapping background alerts, one partition each.
fn storm() -> Vec<(Alert, Timestamp)> {
    let mut rng = Rng(0x15_15_15);
    let mut out: Vec<(Alert, Timestamp)> = Vec::new();
    for incident in 0..12 {
        let begin = t0() + SignedDuration::from_mins(40 * incident as i64);
        let size = 20 + rng.below(100);
        for k in 0..size {
            let (name, service, summary) = CASCADE[(k + incident) % CASCADE.len()];
            let pod = format!("{service}-{:04x}", rng.below(0xffff));
            let node = format!("node-{}", rng.below(6));
            let start = begin + SignedDuration::from_secs((k * 480 / size) as i64);
            let a = alert(
                &[
                    ("alertname", name.to_string()),
                    ("service", service.to_string()),
                    ("namespace", "shop".to_string()),
                    ("cluster", format!("k8s-{incident}")),
                    ("pod", pod.clone()),
                    ("node", node.clone()),
                    ("severity", ["critical", "warning"][k % 2].to_string()),
                ],
                summary.replace("{pod}", &pod).replace("{node}", &node),
                start,
            );
            out.push((a.clone(), start));
            if rng.below(4) != 0 {
                let end = start + SignedDuration::from_mins(10 + rng.below(40) as i64);
                out.push((resolved(a, end), end));
            }
        }
    }
    // Background: alerts that fire and resolve all day.
    for n in 0..15 {
        let mut at = t0() + SignedDuration::from_mins(rng.below(60) as i64);
        while at < t0() + SignedDuration::from_hours(8) {
            let a = alert(
                &[
                    ("alertname", format!("Background{}", n % 5)),
                    ("service", format!("batch-{n}")),
                    ("cluster", format!("bg-{n}")),
                    ("severity", "info".to_string()),
                ],
                format!("batch job {n} is late"),
                at,
            );
            out.push((a.clone(), at));
            let end = at + SignedDuration::from_mins(3 + rng.below(10) as i64);
            out.push((resolved(a, end), end));
            at = end + SignedDuration::from_mins(5 + rng.below(60) as i64);
        }
    }
    out.sort_by_key(|(_, at)| *at);
    out
}

/// Shuffled, but each alert's own deliveries keep their order (and each is applied at the
/// latest time seen so far: arrival time never goes back).
fn shuffled(events: &[(Alert, Timestamp)], seed: u64) -> Vec<(Alert, Timestamp)> {
    let mut rng = Rng(seed);
    let mut queues: BTreeMap<Fingerprint, Vec<(Alert, Timestamp)>> = BTreeMap::new();
    for e in events.iter().rev() {
        queues.entry(e.0.fingerprint()).or_default().push(e.clone());
    }
    let mut keys: Vec<Fingerprint> = queues.keys().copied().collect();
    let mut out = Vec::new();
    let mut now = t0();
    while !keys.is_empty() {
        let i = rng.below(keys.len());
        let q = queues.get_mut(&keys[i]).unwrap();
        let (a, at) = q.pop().unwrap();
        now = now.max(at);
        out.push((a, now));
        if q.is_empty() {
            keys.swap_remove(i);
        }
    }
    out
}

fn cockpit() -> Cockpit {
    let config = CockpitConfig {
        clustering: shop(),
        ..CockpitConfig::default()
    };
    Cockpit::new(config, Vec::new(), demo_knowledge(), t0())
}

fn one_at_a_time(events: &[(Alert, Timestamp)]) -> Cockpit {
    let mut c = cockpit();
    for (a, at) in events {
        c.apply(Event::Alert(a.clone()), *at);
    }
    c
}

fn batched(events: &[(Alert, Timestamp)], size: usize) -> Cockpit {
    let mut c = cockpit();
    for chunk in events.chunks(size) {
        c.apply_batch(chunk.iter().map(|(a, t)| (*t, Event::Alert(a.clone()))));
    }
    c
}

/// A cluster as order-free data: its member set identifies it.
#[derive(Debug, PartialEq)]
struct Seen {
    reasons: Vec<String>,
    origin: Option<Fingerprint>,
    firing: usize,
    suppressed: usize,
    alertnames: BTreeSet<String>,
    /// Knowledge matches: document, good, confidence.
    matches: Vec<(String, bool, String)>,
    /// Steps on offer (pending) from the runbooks the cluster now matches best: step, argv
    /// values, targeted. (Steps offered stay on offer while they count: a runbook that was among
    /// the best three while the incident grew keeps its steps, so how often knowledge was
    /// refreshed on the way shows in the others; see `offered_anywhere`.)
    offered: BTreeSet<(String, BTreeMap<String, String>, bool)>,
    /// Every pending step of the cluster.
    offered_anywhere: BTreeSet<(String, BTreeMap<String, String>, bool)>,
    novel: bool,
}

fn seen(c: &Cockpit, scores: bool) -> BTreeMap<BTreeSet<Fingerprint>, Seen> {
    let kb = c.knowledge();
    let mut out = BTreeMap::new();
    let mut offered: BTreeMap<_, BTreeSet<_>> = BTreeMap::new();
    for s in c.suggestions() {
        if s.status != SuggestionStatus::Pending {
            continue;
        }
        let Some(t) = c.alert(s.source) else { continue };
        offered.entry(t.cluster).or_default().insert((
            s.step_ref.to_string(),
            s.values.clone(),
            s.targeted,
        ));
    }
    for cl in c.clusters() {
        let mut reasons = cl.reasons.clone();
        reasons.sort();
        let matches = c
            .matches(cl.id)
            .iter()
            .map(|m| {
                let name = match m.doc {
                    DocRef::Runbook(i) => kb.runbooks[i].id.clone(),
                    DocRef::Postmortem(i) => kb.postmortems[i].id.clone(),
                };
                let how = if scores {
                    format!("{:?} {:.12}", m.confidence, m.score)
                } else {
                    format!("{:?}", m.confidence)
                };
                (name, m.good, how)
            })
            .collect();
        // The runbooks whose steps a refresh now offers (the best three good ones).
        let best: Vec<String> = c
            .matches(cl.id)
            .iter()
            .filter(|m| m.good)
            .filter_map(|m| match m.doc {
                DocRef::Runbook(i) => Some(kb.runbooks[i].id.clone()),
                DocRef::Postmortem(_) => None,
            })
            .take(3)
            .collect();
        let members: BTreeSet<Fingerprint> = cl.members.iter().copied().collect();
        out.insert(
            members,
            Seen {
                reasons,
                origin: cl.origin.as_ref().map(|o| o.fingerprint),
                firing: cl.firing,
                suppressed: cl.suppressed,
                alertnames: cl.alertnames.clone(),
                matches,
                offered: offered
                    .get(&cl.id)
                    .into_iter()
                    .flatten()
                    .filter(|o| best.iter().any(|r| o.0.starts_with(&format!("{r}/"))))
                    .cloned()
                    .collect(),
                offered_anywhere: offered.remove(&cl.id).unwrap_or_default(),
                novel: c.is_novel(cl.id),
            },
        );
    }
    out
}

/// `b` agrees with `a`: the same clusters, matches and novelty, the same steps on offer from
/// the runbooks matched best now; with `same_history` (the same refreshes on the way) the
/// same steps on offer altogether.
fn same(
    what: &str,
    a: &BTreeMap<BTreeSet<Fingerprint>, Seen>,
    b: &BTreeMap<BTreeSet<Fingerprint>, Seen>,
    same_history: bool,
) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} clusters against {}",
        a.len(),
        b.len()
    );
    for ((ka, va), (kb, vb)) in a.iter().zip(b) {
        assert_eq!(ka, kb, "{what}: the clusters' members differ");
        let strip = |s: &Seen| Seen {
            offered_anywhere: BTreeSet::new(),
            reasons: s.reasons.clone(),
            origin: s.origin,
            firing: s.firing,
            suppressed: s.suppressed,
            alertnames: s.alertnames.clone(),
            matches: s.matches.clone(),
            offered: s.offered.clone(),
            novel: s.novel,
        };
        assert_eq!(
            strip(va),
            strip(vb),
            "{what}: cluster of {} alerts differs",
            ka.len()
        );
        if same_history {
            assert_eq!(
                va.offered_anywhere, vb.offered_anywhere,
                "{what}: the same refreshes offered other steps"
            );
        }
    }
}

#[test]
fn bulk_one_at_a_time_and_shuffled_ingest_agree() {
    let events = storm();
    assert!(events.len() > 1000, "a storm: {} deliveries", events.len());
    let single = one_at_a_time(&events);
    let reference = seen(&single, true);
    assert!(reference.len() >= 12, "clusters: {}", reference.len());
    assert!(
        reference.values().any(|s| !s.offered.is_empty()),
        "the storm offers runbook steps (the demo's runbooks cover its alerts)"
    );
    assert!(
        reference.values().any(|s| s.matches.iter().any(|m| m.1)),
        "some cluster has a good match"
    );
    for size in [1, 7, 100, events.len()] {
        same(
            &format!("batches of {size}"),
            &reference,
            &seen(&batched(&events, size), true),
            size == 1,
        );
    }
    // Shuffled: the same clusters and matches; the query's text may come from another pod of
    // the same alert, so scores are compared by confidence only.
    let reference = seen(&single, false);
    for seed in [1, 2, 3] {
        let order = shuffled(&events, seed);
        same(
            &format!("shuffled {seed}, one at a time"),
            &reference,
            &seen(&one_at_a_time(&order), false),
            false,
        );
        same(
            &format!("shuffled {seed}, batches of 100"),
            &reference,
            &seen(&batched(&order, 100), false),
            false,
        );
    }
}

#[test]
fn alerts_cluster_report_agrees_with_the_cockpit_and_ignores_input_order() {
    let events = storm();
    // The report reads the final state of each alert; its input is any order.
    let mut last: BTreeMap<Fingerprint, Alert> = BTreeMap::new();
    let mut all: Vec<Alert> = Vec::new();
    for (a, _) in &events {
        all.push(a.clone());
        last.insert(a.fingerprint(), a.clone());
    }
    let report = |alerts: Vec<Alert>| {
        let r = cluster_report(
            &ParsedAlerts {
                alerts,
                rejected: Vec::new(),
            },
            &shop(),
        );
        let mut clusters: Vec<(BTreeSet<Fingerprint>, Vec<String>, Option<Fingerprint>)> = r
            .clusters
            .iter()
            .map(|c| {
                let mut reasons = c.reasons.clone();
                reasons.sort();
                (c.members.iter().copied().collect(), reasons, c.origin)
            })
            .collect();
        clusters.sort();
        clusters
    };
    let sorted = report(all.clone());
    let mut rng = Rng(7);
    for i in (1..all.len()).rev() {
        let j = rng.below(i + 1);
        all.swap(i, j);
    }
    assert_eq!(
        sorted,
        report(all.clone()),
        "input order changed the report"
    );
    let cockpit = one_at_a_time(&events);
    let mut from_cockpit: Vec<BTreeSet<Fingerprint>> = cockpit
        .clusters()
        .iter()
        .map(|c| c.members.iter().copied().collect())
        .collect();
    from_cockpit.sort();
    let mut from_report: Vec<BTreeSet<Fingerprint>> = sorted.into_iter().map(|c| c.0).collect();
    from_report.sort();
    assert_eq!(
        from_cockpit, from_report,
        "live and batch clustering differ"
    );
    // And they call each cluster by one name (issue 18.2).
    let names =
        |it: Vec<(BTreeSet<Fingerprint>, String)>| -> BTreeMap<_, _> { it.into_iter().collect() };
    let in_report = cluster_report(
        &ParsedAlerts {
            alerts: all,
            rejected: Vec::new(),
        },
        &shop(),
    );
    assert_eq!(
        names(
            cockpit
                .clusters()
                .iter()
                .map(|c| (c.members.iter().copied().collect(), c.name.to_string()))
                .collect()
        ),
        names(
            in_report
                .clusters
                .iter()
                .map(|c| (c.members.iter().copied().collect(), c.id.to_string()))
                .collect()
        ),
        "the report names clusters as the cockpit does"
    );
}
