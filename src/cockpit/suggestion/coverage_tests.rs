//! The coverage index against the full scans it replaced: over generated storms with the demo
//! knowledge (alerts that fire, resolve, fire again, join and merge clusters, get pruned, and
//! steps journaled as decided), after every batch, the open alerts of every cluster and
//! runbook equal the old `offer_runbook` scan of every alert the runbook covers, and the live suggestions of every
//! step equal a scan of all its suggestions.

use std::collections::BTreeMap;

use crate::alerts::{Alert, AlertState, ClusterId, Fingerprint};
use crate::cockpit::{Cockpit, CockpitConfig, Event, SuggestionStatus};
use crate::time::{SignedDuration, Timestamp};

/// Alertnames and services the demo runbooks cover (by `alerts:` or `services:`), and some
/// they do not.
const NAMES: [(&str, &str); 9] = [
    ("PostgresConnectionPoolExhausted", "postgres"),
    ("CheckoutHigh5xxRate", "checkout"),
    ("PaymentsUpstreamTimeouts", "payments"),
    ("FrontendRoute5xx", "frontend"),
    ("NodeFilesystemSpaceFillingUp", "node-exporter"),
    ("CertificateExpiringSoon", "partner-gateway"),
    ("KubePodCrashLooping", "checkout"),
    ("HighErrorRate", "orders"),
    ("SomethingNobodyWrote", "ledger"),
];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Every tracked alert `r` covers, in coverage order (the old `covered` list).
fn covered_by_scan(c: &Cockpit, r: usize) -> Vec<Fingerprint> {
    let mut all: Vec<(u64, Fingerprint)> = c
        .targets
        .covering
        .iter()
        .filter(|(fp, cover)| cover.runbooks.contains(&r) && c.correlator.alert(**fp).is_some())
        .map(|(fp, cover)| (cover.place, *fp))
        .collect();
    all.sort_unstable();
    all.into_iter().map(|(_, fp)| fp).collect()
}

/// Compares the indexes with the scans; returns how many (cluster, runbook) pairs had open
/// alerts.
fn check(c: &Cockpit, what: &str) -> usize {
    let mut nonempty = 0;
    let cluster_of = |fp: &Fingerprint| c.correlator.alert(*fp).map(|t| t.cluster);
    let active = |fp: &Fingerprint| {
        c.correlator
            .alert(*fp)
            .is_some_and(|t| t.alert.state != AlertState::Resolved)
    };
    for r in 0..c.knowledge.runbooks.len() {
        // Per cluster, in coverage order: what `open_in` and `covered_in` give, and the scans.
        let mut open: BTreeMap<ClusterId, Vec<Fingerprint>> = BTreeMap::new();
        let mut covered: BTreeMap<ClusterId, Vec<Fingerprint>> = BTreeMap::new();
        for cluster in c.correlator.clusters() {
            let o: Vec<Fingerprint> = c.open_in(cluster.id, r).collect();
            if !o.is_empty() {
                open.insert(cluster.id, o);
            }
            let v: Vec<Fingerprint> = c.covered_in(cluster.id, r).collect();
            if !v.is_empty() {
                covered.insert(cluster.id, v);
            }
        }
        let (mut open_scan, mut covered_scan) = (BTreeMap::new(), BTreeMap::new());
        for fp in covered_by_scan(c, r).into_iter().filter(active) {
            let Some(id) = cluster_of(&fp) else { continue };
            covered_scan.entry(id).or_insert_with(Vec::new).push(fp);
            if !c.targets.is_filled(fp, r) {
                open_scan.entry(id).or_insert_with(Vec::new).push(fp);
            }
        }
        assert_eq!(open, open_scan, "{what}: open alerts of runbook {r}");
        assert_eq!(
            covered, covered_scan,
            "{what}: covered alerts of runbook {r}"
        );
        nonempty += open.len();
    }
    for (step, all) in &c.targets.by_step {
        let not_obsolete =
            |i: &&usize| !matches!(c.suggestions[**i].status, SuggestionStatus::Obsolete { .. });
        let live: Vec<&usize> = c.targets.live(step).iter().filter(not_obsolete).collect();
        let scan: Vec<&usize> = all.iter().filter(not_obsolete).collect();
        assert_eq!(live, scan, "{what}: live suggestions of {step}");
    }
    nonempty
}

fn alert(rng: &mut Rng, at: Timestamp) -> Alert {
    let (name, service) = NAMES[rng.below(NAMES.len())];
    Alert {
        labels: BTreeMap::from([
            ("alertname".to_string(), name.to_string()),
            ("service".to_string(), service.to_string()),
            ("namespace".to_string(), "shop".to_string()),
            ("cluster".to_string(), format!("k8s-{}", rng.below(3))),
            ("pod".to_string(), format!("{service}-{}", rng.below(12))),
            ("instance".to_string(), format!("10.0.0.{}", rng.below(4))),
        ]),
        annotations: BTreeMap::from([("summary".to_string(), format!("{name} on {service}"))]),
        starts_at: at,
        ends_at: None,
        state: if rng.below(15) == 0 {
            AlertState::Suppressed
        } else {
            AlertState::Firing
        },
        generator_url: None,
        detail: Default::default(),
    }
}

#[test]
fn indexed_coverage_equals_the_full_scans() {
    let kb = crate::load::demo().unwrap().knowledge;
    let t0: Timestamp = "2026-11-25T00:00:00Z".parse().unwrap();
    let (mut nonempty, mut obsolete, mut decided) = (0usize, 0usize, 0usize);
    for seed in [3u64, 11, 2024] {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut c = Cockpit::new(CockpitConfig::default(), Vec::new(), kb.clone(), t0);
        let mut fired: Vec<Alert> = Vec::new();
        let mut chain = crate::journal::Chain::default();
        let mut at = t0;
        for step in 0..350 {
            // Quiet spells long enough for incidents to end and be pruned, now and then.
            at += SignedDuration::from_secs(if step % 90 == 89 { 8 * 3600 } else { 20 });
            let mut batch = Vec::new();
            for _ in 0..1 + rng.below(5) {
                let a = match rng.below(6) {
                    // Resolved, or firing again (a new episode: later start).
                    0 | 1 if !fired.is_empty() => {
                        let i = rng.below(fired.len());
                        let mut a = fired[i].clone();
                        if a.state == AlertState::Resolved {
                            a.state = AlertState::Firing;
                            a.starts_at = at;
                            a.ends_at = None;
                        } else {
                            a.state = AlertState::Resolved;
                            a.ends_at = Some(at);
                        }
                        fired[i] = a.clone();
                        a
                    }
                    _ => {
                        let a = alert(&mut rng, at);
                        fired.push(a.clone());
                        a
                    }
                };
                batch.push((at, Event::Alert(a)));
            }
            batch.push((at, Event::Tick));
            let effects = c.apply_batch(batch);
            // A decision journaled about a step now and then: approvals and rejections bring
            // suggestions (obsolete ones too) back through `find_or_offer`.
            let journal: Vec<_> = effects
                .into_iter()
                .filter_map(|e| match e {
                    crate::cockpit::Effect::Journal(entry) => Some(entry),
                    _ => None,
                })
                .collect();
            for entry in journal {
                let record = chain.seal(entry, at);
                let _ = c.apply(Event::Journaled(record), at);
            }
            if step % 40 == 7
                && let Some(s) = c.suggestions.iter().find(|s| s.targeted)
            {
                let (step_ref, argv) = (s.step_ref.clone(), s.argv.clone().unwrap_or_default());
                let i = c.find_or_offer(&step_ref, Some(&argv));
                decided += usize::from(i.is_some());
            }
            nonempty += check(&c, &format!("seed {seed} step {step}"));
        }
        obsolete += c
            .suggestions
            .iter()
            .filter(|s| matches!(s.status, SuggestionStatus::Obsolete { .. }))
            .count();
    }
    eprintln!("pairs with open alerts {nonempty}, obsolete {obsolete}, decided {decided}");
    // The storms exercised what the index keeps: open alerts, obsolete steps, decisions.
    assert!(nonempty > 100, "pairs with open alerts: {nonempty}");
    assert!(obsolete > 50, "obsolete suggestions: {obsolete}");
    assert!(decided > 10, "decisions found: {decided}");
}

/// A lane (vector with lazy deletion and compaction) against an ordered map: after every
/// random put/take (many takes, so it compacts again and again, and puts back into the
/// middle of dead and compacted entries), it holds the same alerts in the same order.
#[test]
fn lane_equals_an_ordered_map() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut lane = super::Lane::default();
    let mut model: BTreeMap<u64, Fingerprint> = BTreeMap::new();
    let mut next = 0u64;
    for step in 0..5_000 {
        let live = rng.below(3) != 0;
        // Mostly alerts seen before (put back or taken out), sometimes a new one at the end.
        let place = if next == 0 || rng.below(4) == 0 {
            next += 1;
            next - 1
        } else {
            rng.below(next as usize) as u64
        };
        let fp = Fingerprint(place.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        lane.set(place, fp, live);
        if live {
            model.insert(place, fp);
        } else {
            model.remove(&place);
        }
        let got: Vec<Fingerprint> = lane.iter().collect();
        let want: Vec<Fingerprint> = model.values().copied().collect();
        assert_eq!(got, want, "after step {step}");
        let dead = lane.entries.iter().filter(|e| !e.live).count();
        assert_eq!(lane.dead, dead, "after step {step}: dead count");
        assert!(
            lane.dead * 2 <= lane.entries.len(),
            "after step {step}: {} dead of {}",
            lane.dead,
            lane.entries.len()
        );
    }
}
