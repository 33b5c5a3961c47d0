//! Recording an incident as a scenario: the demo replay's own journal, alerts and SLI samples,
//! recorded and replayed, give the same clusters and modes.

use std::collections::BTreeMap;

use flightdeck::cockpit::CockpitConfig;
use flightdeck::journal::{JournalRecord, RecordKind};
use flightdeck::load;
use flightdeck::replay::ReplaySession;
use flightdeck::slo::SampleRecord;
use flightdeck::time::SignedDuration;
use flightdeck::training::{
    RecordInput, Scenario, ScenarioEvent, TimedAlert, record_scenario_with_stats,
};

fn modes(records: &[JournalRecord]) -> Vec<(String, String)> {
    records
        .iter()
        .filter(|r| r.kind == RecordKind::ModeChange)
        .map(|r| (r.ts.to_string(), r.summary.clone()))
        .collect()
}

fn clusters(s: &ReplaySession) -> serde_json::Value {
    let snap = s.cockpit().snapshot();
    serde_json::json!({
        "mode": snap.mode,
        "clusters": snap.clusters,
        "alerts": snap.alerts,
        "slos": snap.slos.iter().map(|x| (x.name.clone(), x.budget_remaining)).collect::<Vec<_>>(),
    })
}

#[test]
fn a_recorded_replay_replays_to_the_same_clusters_and_modes() {
    round_trip(load::demo().unwrap());
}

#[test]
fn the_training_scenarios_round_trip_too() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for s in ["noisy-storm", "novel-clock-step"] {
        let path = root.join("assets/scenarios").join(s).join("scenario.yaml");
        round_trip(load::scenario_file(&path).unwrap());
    }
}

fn round_trip(loaded: load::LoadedScenario) {
    let scenario = loaded.scenario.clone();
    let mut original = ReplaySession::new(
        scenario.clone(),
        loaded.knowledge.clone(),
        CockpitConfig::default(),
    );
    original.advance_to(scenario.end());

    // What live mode would have kept: the alert history and the SLI counters.
    let mut alerts = Vec::new();
    let mut samples = Vec::new();
    for e in &scenario.events {
        match &e.event {
            ScenarioEvent::Alert(a) => alerts.push(TimedAlert {
                at: e.at,
                alert: a.clone(),
            }),
            ScenarioEvent::Sample { slo, good, total } => samples.push(SampleRecord {
                ts: e.at,
                slo: slo.clone(),
                good: *good,
                total: *total,
            }),
            ScenarioEvent::Decision(_) => {}
        }
    }
    let group_by = scenario.group_by.clone().unwrap_or_default();
    let knowledge = scenario.knowledge.clone();
    let input = RecordInput {
        id: "recorded-demo".into(),
        title: "the demo, recorded".into(),
        summary: String::new(),
        since: scenario.start,
        until: scenario.end(),
        journal: original.records(),
        alerts: &alerts,
        samples: &samples,
        slos: &scenario.slos,
        topology: &scenario.topology,
        group_by: Some(&group_by),
        knowledge: &knowledge,
        alert_history: SignedDuration::from_hours(24),
    };
    let (yaml, stats) = record_scenario_with_stats(&input).unwrap();
    assert_eq!(stats.samples, samples.len());
    assert_eq!(stats.alert_events, alerts.len());
    assert_eq!(
        stats.decisions,
        scenario.reference_decisions().count(),
        "every responder decision becomes a reference decision"
    );

    let recorded =
        Scenario::parse("recorded.yaml", &yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(recorded.start, scenario.start);
    assert_eq!(recorded.end(), scenario.end());
    assert_eq!(recorded.slos, scenario.slos);
    // The reference decisions survive: same times, actors, kinds and steps.
    let key = |s: &Scenario| {
        s.reference_decisions()
            .map(|(at, d)| (at, d.actor.clone(), d.kind, d.step.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&recorded), key(&scenario));
    // Hypotheses, notes, rejection reasons and outcomes keep their text.
    let texts = |s: &Scenario| {
        s.reference_decisions()
            .filter_map(|(_, d)| d.text.clone().or(d.outcome.clone()))
            .collect::<Vec<_>>()
    };
    let (a, b) = (texts(&recorded), texts(&scenario));
    assert!(a.iter().all(|t| b.contains(t)), "{a:?}");

    let mut replayed =
        ReplaySession::new(recorded, loaded.knowledge.clone(), CockpitConfig::default());
    // Same state at every ten minutes, and at the end.
    let mut at = scenario.start;
    while at <= scenario.end() {
        let mut o = ReplaySession::new(
            scenario.clone(),
            loaded.knowledge.clone(),
            CockpitConfig::default(),
        );
        o.advance_to(at);
        replayed.advance_to(at);
        assert_eq!(clusters(&replayed), clusters(&o), "at {at}");
        at += SignedDuration::from_mins(10);
    }
    replayed.advance_to(scenario.end());
    assert_eq!(clusters(&replayed), clusters(&original));
    assert_eq!(modes(replayed.records()), modes(original.records()));
    assert!(!modes(original.records()).is_empty());
    // The same decisions are journaled again, in the same order.
    let decisions = |r: &[JournalRecord]| {
        r.iter()
            .filter(|r| !r.role.is_system())
            .map(|r| (r.ts, r.actor.clone(), r.kind, r.summary.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(decisions(replayed.records()), decisions(original.records()));
}

#[test]
fn recording_keeps_history_for_open_alerts_and_refuses_empty_ranges() {
    let loaded = load::demo().unwrap();
    let scenario = loaded.scenario;
    let alerts: Vec<TimedAlert> = scenario
        .events
        .iter()
        .filter_map(|e| match &e.event {
            ScenarioEvent::Alert(a) => Some(TimedAlert {
                at: e.at,
                alert: a.clone(),
            }),
            _ => None,
        })
        .collect();
    let topology = BTreeMap::new();
    let mut input = RecordInput {
        id: "late-window".into(),
        title: "the second half".into(),
        summary: "from 14:30".into(),
        since: scenario.start + SignedDuration::from_mins(35),
        until: scenario.end(),
        journal: &[],
        alerts: &alerts,
        samples: &[],
        slos: &scenario.slos,
        topology: &topology,
        group_by: None,
        knowledge: &[],
        alert_history: SignedDuration::ZERO,
    };
    let (yaml, stats) = record_scenario_with_stats(&input).unwrap();
    let s = Scenario::parse("late.yaml", &yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    // Alerts still firing at 14:30 start where they started (before the scenario start), so
    // their resolves are valid.
    assert!(stats.alert_events > 0);
    assert!(s.events.iter().any(|e| e.at < s.start));
    assert_eq!(s.reference_decisions().count(), 0);

    input.until = input.since;
    assert!(record_scenario_with_stats(&input).is_err());
    input.until = scenario.end();
    input.id = "bad id".into();
    assert!(record_scenario_with_stats(&input).is_err());
}

#[test]
fn an_alert_history_reads_timed_lines_or_alertmanager_payloads() {
    use flightdeck::training::parse_alert_history;
    let timed = r#"{"at":"2026-03-12T14:00:00Z","alert":{"labels":{"alertname":"A","service":"x"},"annotations":{},"startsAt":"2026-03-12T14:00:00Z","state":"firing"}}
not json
"#;
    let (alerts, errors) = parse_alert_history("h.jsonl", timed);
    assert_eq!(alerts.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("h.jsonl:2:"), "{errors:?}");

    let webhook = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/alerts/flapping.jsonl"),
    )
    .unwrap();
    let (alerts, errors) = parse_alert_history("flapping.jsonl", &webhook);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(alerts.len() >= 4);
    // Resolved alerts are placed at their end, firing ones at their start.
    for a in &alerts {
        match a.alert.ends_at {
            Some(end) if a.alert.state == flightdeck::alerts::AlertState::Resolved => {
                assert_eq!(a.at, end)
            }
            _ => assert_eq!(a.at, a.alert.starts_at),
        }
    }
}
