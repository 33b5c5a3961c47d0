//! Flapping inside a firing incident is not evidence of noise (issue 13, item 5): on the demo and
//! both bundled training scenarios, the real incident's clusters are never marked noisy and `N`
//! never lists their alerts, while the genuinely noisy alerts (the flapping disks, the pinned
//! autoscaler) still are.

use crate::common;

use flightdeck::alerts::NoiseMark;
use flightdeck::cockpit::CockpitConfig;
use flightdeck::load::{self, LoadedScenario};
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;

fn flapping(marks: &[NoiseMark]) -> bool {
    marks
        .iter()
        .any(|m| matches!(m, NoiseMark::Flapping { .. }))
}

/// Walks `loaded` minute by minute. At each minute: no cluster of several alertnames with a
/// firing member (an incident) is marked flapping, and no stale candidate marked flapping belongs
/// to one. Returns, for each alertname, whether it was ever listed as flapping by `N`.
fn walk(loaded: LoadedScenario) -> std::collections::BTreeSet<String> {
    let end = loaded.scenario.end();
    let mut s = ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let mut listed = std::collections::BTreeSet::new();
    let mut at = s.scenario().start;
    while at <= end {
        s.advance_to(at);
        let c = s.cockpit();
        for cl in c.clusters() {
            if cl.alertnames.len() > 1 && cl.firing > 0 {
                assert!(
                    !flapping(&cl.noise),
                    "{} at {at}: incident {} ({:?}) marked {:?}",
                    s.scenario().id,
                    cl.name,
                    cl.alertnames,
                    cl.noise
                );
            }
        }
        for cand in c.stale_candidates() {
            if !flapping(&cand.noise) {
                continue;
            }
            let cluster = c.alert(cand.fingerprint).and_then(|t| c.cluster(t.cluster));
            if let Some(cl) = cluster {
                assert!(
                    cl.alertnames.len() == 1,
                    "{} at {at}: N lists {} ({}) of incident {} {:?}",
                    s.scenario().id,
                    cand.alertname,
                    cand.evidence,
                    cl.name,
                    cl.alertnames
                );
            }
            listed.insert(cand.alertname.clone());
        }
        at += SignedDuration::from_mins(1);
    }
    listed
}

#[test]
fn the_demo_incident_is_not_noise_and_the_flapping_disk_still_is() {
    let listed = walk(common::replay::demo());
    assert!(
        !listed.contains("KubePodNotReady"),
        "the checkout pods flap because of the outage: {listed:?}"
    );
    assert!(
        listed.contains("NodeFilesystemSpaceFillingUp"),
        "{listed:?}"
    );
    // And the disk's own cluster carries the mark in the middle of the outage.
    let s = common::replay::demo_at(30);
    let disk = s
        .cockpit()
        .clusters()
        .iter()
        .find(|c| c.alertnames.contains("NodeFilesystemSpaceFillingUp"))
        .expect("the disk alert's cluster");
    assert!(flapping(&disk.noise), "{:?}", disk.noise);
    let origin = s
        .cockpit()
        .clusters()
        .iter()
        .find(|c| c.alertnames.contains("KubePodNotReady"))
        .expect("the outage's cluster");
    assert!(origin.noise.is_empty(), "{:?}", origin.noise);
}

#[test]
fn the_noisy_storm_keeps_its_noise_and_not_its_incident() {
    let path = common::root().join("assets/scenarios/noisy-storm/scenario.yaml");
    let listed = walk(load::scenario_file(&path).unwrap());
    for noisy in ["NodeFilesystemSpaceFillingUp", "KubeHpaMaxedOut"] {
        assert!(listed.contains(noisy), "{noisy}: {listed:?}");
    }
}

#[test]
fn the_novel_scenario_incident_is_not_noise() {
    let path = common::root().join("assets/scenarios/novel-clock-step/scenario.yaml");
    let listed = walk(load::scenario_file(&path).unwrap());
    assert!(listed.is_empty(), "{listed:?}");
}
