//! Scenarios too big for YAML (issue 15): samples and timeline in a JSON Lines file beside the
//! scenario (`events:`), read as if they were in the YAML; `scenario record` of weeks of
//! 1-minute samples writes that form and the result replays.

use std::path::Path;

use flightdeck::training::{Scenario, ScenarioEvent};

use crate::common::cli::flightdeck_at_home;

const HEAD: &str = "version: 1
id: jsonl
title: events beside
start: 2026-03-12T13:00:00Z
duration: 1h
slos:
  - {name: checkout, service: checkout, objective: 0.999, window: 30d}
";

const INLINE: &str = r#"samples:
  - {at: 0s, slo: checkout, good: 10, total: 10}
  - {at: 1m, slo: checkout, good: 20, total: 21}
timeline:
  - at: 30s
    fire:
      labels: {alertname: PoolExhausted, service: postgres}
      annotations: {summary: "pool \"main\" exhausted"}
  - at: 30s
    fire:
      labels: {alertname: Quiet, service: batch}
      silenced: true
  - at: 2026-03-12T13:05:00Z
    decision: {actor: ana, role: oncall, kind: approve, step: pg/show-pools, argv: [psql, -c, SHOW POOLS]}
  - at: 10m
    resolve:
      labels: {alertname: PoolExhausted, service: postgres}
"#;

const JSONL: &str = r#"{"at": "0s", "sample": {"slo": "checkout", "good": 10, "total": 10}}
{"at": "1m", "sample": {"slo": "checkout", "good": 20, "total": 21}}
# comments and blank lines are skipped

{"at": "30s", "fire": {"labels": {"alertname": "PoolExhausted", "service": "postgres"}, "annotations": {"summary": "pool \"main\" exhausted"}}}
{"at": "30s", "fire": {"labels": {"alertname": "Quiet", "service": "batch"}, "silenced": true}}
{"at": "2026-03-12T13:05:00Z", "decision": {"actor": "ana", "role": "oncall", "kind": "approve", "step": "pg/show-pools", "argv": ["psql", "-c", "SHOW POOLS"]}}
{"at": "10m", "resolve": {"labels": {"alertname": "PoolExhausted", "service": "postgres"}}}
"#;

fn events(s: &Scenario) -> Vec<String> {
    s.events
        .iter()
        .map(|e| format!("{} {:?}", e.at, e.event))
        .collect()
}

fn with_events(jsonl: &str) -> Result<Scenario, String> {
    let text = format!("{HEAD}events: beside.jsonl\n");
    Scenario::parse_with("s.yaml", &text, |name| {
        assert_eq!(name, "beside.jsonl");
        Ok(("dir/beside.jsonl".into(), jsonl.to_string()))
    })
    .map_err(|e| e.to_string())
}

#[test]
fn an_events_file_reads_like_the_inline_timeline() {
    let inline = Scenario::parse("s.yaml", &format!("{HEAD}{INLINE}")).unwrap();
    let beside = with_events(JSONL).unwrap();
    assert_eq!(events(&inline), events(&beside));
    assert_eq!(inline.events.len(), 6);
    assert!(matches!(
        &beside.events[0].event,
        ScenarioEvent::Sample { .. }
    ));
}

#[test]
fn events_file_problems_name_the_file_line_and_field() {
    let bad = [
        (
            "{\"at\": \"5m\", \"fire\": {\"labels\": {\"service\": \"x\"}}}\n",
            "dir/beside.jsonl:1: fire.labels: an alert needs an `alertname` label",
        ),
        (
            "\n{\"at\": \"5m\"}\n",
            "dir/beside.jsonl:2: each event needs exactly one of",
        ),
        (
            "{\"at\": \"soon\", \"sample\": {\"slo\": \"checkout\", \"good\": 1, \"total\": 1}}\n",
            "dir/beside.jsonl:1: at:",
        ),
        (
            "{\"at\": \"1m\", \"sample\": {\"slo\": \"nope\", \"good\": 1, \"total\": 1}}\n",
            "dir/beside.jsonl:1: slo: \"nope\" is not one of the scenario's slos",
        ),
        (
            "{\"at\": \"1m\", \"resolve\": {\"labels\": {\"alertname\": \"A\"}}}\n",
            "dir/beside.jsonl:1: resolve.labels: resolves an alert that is not firing",
        ),
        (
            "{\"at\": \"1m\", \"decision\": {\"actor\": \"a\", \"role\": \"chef\", \"kind\": \"note\"}}\n",
            "dir/beside.jsonl:1: decision.role: \"chef\" is not a role",
        ),
        ("{\"at\": 5,", "dir/beside.jsonl:1: not a scenario event"),
        (
            "{\"at\": \"1m\", \"fire\": {\"labels\": {\"alertname\": \"A\"}}, \"extra\": 1}\n",
            "dir/beside.jsonl:1: not a scenario event (unknown field `extra`",
        ),
    ];
    for (jsonl, want) in bad {
        let got = with_events(jsonl).unwrap_err();
        assert!(
            got.starts_with(want),
            "{jsonl:?}:\n  got  {got}\n  want {want}…"
        );
    }
    // Read without a file system, a scenario that names an events file says so.
    let e = Scenario::parse("s.yaml", &format!("{HEAD}events: beside.jsonl\n")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("s.yaml:8: events: beside.jsonl: an events file"),
        "{e}"
    );
}

/// Four weeks of 1-minute samples (40,320, beyond what the YAML reader's node budget takes):
/// `scenario record` writes them beside the scenario, says so, and the recording replays.
#[test]
fn weeks_of_samples_record_and_replay() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let journal = dir.join("journal.jsonl");
    std::fs::write(&journal, "").unwrap();
    let slo =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slo/checkout-availability.yaml");
    let start: flightdeck::time::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let minutes = 4 * 7 * 24 * 60;
    let mut samples = String::new();
    for m in 0..=minutes {
        let ts = start + flightdeck::time::SignedDuration::from_mins(m);
        let total = 1000 * m;
        samples.push_str(&format!(
            "{{\"ts\": \"{ts}\", \"slo\": \"checkout-availability\", \"good\": {}, \"total\": {total}}}\n",
            total - m / 7
        ));
    }
    let samples_path = dir.join("samples.jsonl");
    std::fs::write(&samples_path, samples).unwrap();
    let out_path = dir.join("weeks.yaml");
    let until = start + flightdeck::time::SignedDuration::from_mins(minutes);
    let since = until - flightdeck::time::SignedDuration::from_hours(24);
    let out = flightdeck_at_home(
        dir,
        &[
            "scenario",
            "record",
            "--journal",
            &journal.display().to_string(),
            "--since",
            &since.to_string(),
            "--until",
            &until.to_string(),
            "--samples",
            &samples_path.display().to_string(),
            "--slo",
            &slo.display().to_string(),
            "-o",
            &out_path.display().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "scenario record: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = std::fs::read_to_string(&out_path).unwrap();
    assert!(yaml.contains("events: \"weeks.events.jsonl\""), "{yaml}");
    let jsonl = std::fs::read_to_string(dir.join("weeks.events.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), minutes as usize + 1);
    let loaded = flightdeck::load::scenario_file(&out_path).unwrap();
    assert_eq!(loaded.scenario.events.len(), minutes as usize + 1);
    let replayed = flightdeck_at_home(
        dir,
        &[
            "replay",
            &out_path.display().to_string(),
            "--headless",
            "--json",
        ],
    );
    assert!(
        replayed.status.success(),
        "replay: {}",
        String::from_utf8_lossy(&replayed.stderr)
    );
}
