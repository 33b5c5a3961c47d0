//! Scenarios as fixtures (trippy-style): every scenario in `assets/scenarios/` and the bundled
//! demo replays headless to the state written in `tests/fixtures/training/expected/<name>.json`
//! at each of its checkpoints — mode and mode changes, clusters with their origins, novelty,
//! noise and best runbooks. After an intended change, rewrite the files with
//! `FLIGHTDECK_BLESS=1 cargo test --test suite training_scenarios::` and review the diff.

use std::path::{Path, PathBuf};

use flightdeck::cockpit::CockpitConfig;
use flightdeck::journal::RecordKind;
use flightdeck::load::{self, LoadedScenario};
use flightdeck::replay::ReplaySession;
use flightdeck::time::parse_duration;
use serde_json::{Value, json};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The state the fixtures pin down, in an order that does not depend on cluster ids.
fn state(s: &ReplaySession) -> Value {
    let c = s.cockpit();
    let mut clusters: Vec<Value> = c
        .clusters()
        .iter()
        .map(|cl| {
            json!({
                "size": cl.members.len(),
                "firing": cl.firing,
                "alertnames": cl.alertnames,
                "origin": cl.origin.as_ref().map(|o| o.service.clone()),
                "top_runbook": c.top_runbook(cl.id).map(|r| r.id.clone()),
                "novel": c.is_novel(cl.id),
                "noise": !cl.noise.is_empty(),
            })
        })
        .collect();
    clusters.sort_by_key(|v| {
        (
            std::cmp::Reverse(v["size"].as_u64()),
            v["alertnames"].to_string(),
        )
    });
    let modes: Vec<String> = s
        .records()
        .iter()
        .filter(|r| r.kind == RecordKind::ModeChange)
        .map(|r| {
            format!(
                "{} {}→{}",
                flightdeck::time::clock_hms(r.ts),
                // `from: null`: the state the replay started in, not a change.
                r.body["from"].as_str().unwrap_or("start"),
                r.body["to"].as_str().unwrap_or("?")
            )
        })
        .collect();
    let count = |f: &dyn Fn(&Value) -> bool| clusters.iter().filter(|v| f(v)).count();
    json!({
        "mode": c.mode(),
        "mode_changes": modes,
        "alerts": c.alert_count(),
        "cluster_count": clusters.len(),
        "firing_clusters": count(&|v| v["firing"].as_u64() > Some(0)),
        "novel_clusters": count(&|v| v["novel"] == true),
        "noise_clusters": count(&|v| v["noise"] == true),
        "decisions_journaled": s.records().iter().filter(|r| !r.role.is_system()).count(),
        "clusters": clusters,
    })
}

fn check(name: &str, loaded: LoadedScenario, default_checkpoints: &[&str]) {
    assert!(
        loaded.doc_errors.is_empty(),
        "{name}: knowledge errors: {:?}",
        loaded.doc_errors
    );
    let path: PathBuf = root()
        .join("tests/fixtures/training/expected")
        .join(format!("{name}.json"));
    let bless = std::env::var_os("FLIGHTDECK_BLESS").is_some();
    let expected: Option<Value> = std::fs::read_to_string(&path)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    let checkpoints: Vec<String> = match &expected {
        Some(v) => v["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["at"].as_str().unwrap().to_string())
            .collect(),
        None => default_checkpoints.iter().map(|s| s.to_string()).collect(),
    };
    let scenario = loaded.scenario.clone();
    let mut session =
        ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let mut actual = Vec::new();
    for at in &checkpoints {
        let t = if at == "end" {
            scenario.end()
        } else {
            scenario.start + parse_duration(at).unwrap()
        };
        session.advance_to(t);
        actual.push(json!({"at": at, "state": state(&session)}));
    }
    let actual = json!({"scenario": scenario.id, "checkpoints": actual});
    if bless || expected.is_none() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
        if !bless {
            panic!(
                "{} did not exist: written from this run; review it and rerun",
                path.display()
            );
        }
        return;
    }
    let expected = expected.unwrap();
    if expected != actual {
        panic!(
            "{name}: the replay's state differs from {}\n--- expected\n{}\n--- actual\n{}\n\
             (if the change is intended: FLIGHTDECK_BLESS=1 cargo test --test suite training_scenarios::)",
            path.display(),
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(&actual).unwrap()
        );
    }
}

#[test]
fn the_demo_replays_to_its_expected_states() {
    check("demo", load::demo().unwrap(), &["20m", "35m", "end"]);
}

#[test]
fn the_noisy_storm_replays_to_its_expected_states() {
    let loaded =
        load::scenario_file(&root().join("assets/scenarios/noisy-storm/scenario.yaml")).unwrap();
    check("noisy-storm", loaded, &["25m", "end"]);
}

#[test]
fn the_novel_failure_replays_to_its_expected_states() {
    let loaded =
        load::scenario_file(&root().join("assets/scenarios/novel-clock-step/scenario.yaml"))
            .unwrap();
    check("novel-clock-step", loaded, &["20m", "end"]);
}

/// What the fixtures are about, stated directly (so a bless cannot silently bless a broken
/// story): the storm's real incident is one cluster rooted at OpenSearch with its runbook,
/// among noise; the novel failure is a "human judgment" cluster with nothing suggested.
#[test]
fn the_stories_hold() {
    let storm =
        load::scenario_file(&root().join("assets/scenarios/noisy-storm/scenario.yaml")).unwrap();
    let sc = storm.scenario.clone();
    let mut s = ReplaySession::new(storm.scenario, storm.knowledge, CockpitConfig::default());
    s.advance_to(sc.start + parse_duration("25m").unwrap());
    let v = state(&s);
    assert_ne!(v["mode"], "adaptive", "{v}");
    let incident = &v["clusters"][0];
    assert_eq!(incident["origin"], "opensearch", "{v}");
    assert_eq!(incident["top_runbook"], "search-heap-pressure", "{v}");
    assert_eq!(incident["novel"], false);
    assert!(incident["size"].as_u64().unwrap() >= 15, "{v}");
    assert!(v["noise_clusters"].as_u64().unwrap() >= 3, "{v}");
    assert!(v["cluster_count"].as_u64().unwrap() >= 6, "{v}");
    assert!(
        s.cockpit()
            .approval_queue()
            .iter()
            .any(|sg| sg.step_ref == "search-heap-pressure/stop-reindex"),
        "the right mitigation is on offer"
    );

    let novel =
        load::scenario_file(&root().join("assets/scenarios/novel-clock-step/scenario.yaml"))
            .unwrap();
    let sc = novel.scenario.clone();
    let mut s = ReplaySession::new(novel.scenario, novel.knowledge, CockpitConfig::default());
    s.advance_to(sc.start + parse_duration("20m").unwrap());
    let v = state(&s);
    let incident = &v["clusters"][0];
    assert_eq!(incident["novel"], true, "{v}");
    assert_eq!(incident["top_runbook"], Value::Null, "{v}");
    assert!(
        incident["alertnames"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "LedgerHlcRegression")
    );
    assert_eq!(v["novel_clusters"], 1, "only the incident is novel: {v}");
    // Nothing is suggested for a novel cluster.
    let c = s.cockpit();
    let novel_ids: Vec<_> = c
        .clusters()
        .iter()
        .filter(|cl| c.is_novel(cl.id))
        .map(|cl| cl.id)
        .collect();
    assert!(c.suggestions().iter().all(|sg| {
        !c.suggestion_cluster(sg)
            .is_some_and(|id| novel_ids.contains(&id))
    }));
}
