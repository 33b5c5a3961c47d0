//! Time arithmetic on parsed input never panics (issue 16, item 5): extreme durations and
//! timestamps in scenarios, drill scripts, alerts, SLO files and on the command line end in a
//! clear error naming the file, line and field, or play safely — never in exit 101.

use crate::common;
use common::cli::flightdeck;
use flightdeck::cockpit::CockpitConfig;
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::replay::ReplaySession;
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::training::{DrillScript, Scenario, run_training};
use proptest::prelude::*;

/// Timestamps at and beyond the edges of what can be represented, and ordinary ones.
const TIMES: &[&str] = &[
    "2026-03-12T13:55:00Z",
    "9999-12-30T21:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "9998-12-31T23:59:59Z",
    "9998-12-31T23:00:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:01Z",
    "-009999-01-01T00:00:00Z",
    "+009999-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
];

/// Durations at and beyond the edges (as text, the way files write them).
const DURATIONS: &[&str] = &[
    "1000000000w",
    "100000000w",
    "-100000000w",
    "521000w",
    "-521000w",
    "9223372036854775807s",
    "-9223372036854775807s",
    "15250284452w",
    "31d",
    "32d",
    "366d",
    "1h",
    "10m",
    "1s",
    "0s",
    "-30d",
    "-1s",
];

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TIMES).prop_map(str::to_string),
        1 => (-9999i64..=10001, 1u8..=12, 1u8..=28)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T12:00:00Z")),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(DURATIONS).prop_map(str::to_string),
        1 => (any::<i64>(), prop::sample::select(&["s", "m", "h", "d", "w"][..]))
            .prop_map(|(n, u)| format!("{n}{u}")),
    ]
}

/// An offset or a timestamp, as `at:` takes it.
fn at() -> impl Strategy<Value = String> {
    prop_oneof![duration(), time()]
}

fn scenario_text(
    start: &str,
    duration: &str,
    window: &str,
    sample_at: &str,
    event_at: &str,
) -> String {
    format!(
        r#"version: 1
id: extreme
title: Extreme times
start: "{start}"
duration: "{duration}"
slos:
  - {{name: avail, service: api, objective: 0.999, window: "{window}"}}
samples:
  - {{at: "{sample_at}", slo: avail, good: 10, total: 10}}
  - {{at: 1m, slo: avail, good: 15, total: 20}}
timeline:
  - at: "{event_at}"
    fire: {{labels: {{alertname: Down, service: api}}}}
  - at: 2m
    decision: {{actor: ana, role: oncall, kind: note, text: hi}}
"#
    )
}

/// Plays a parsed scenario a little (the first ten minutes and the last ones) and a drill with
/// `drill_at` on it: what `replay --headless` and a headless drill do.
fn play(scenario: &Scenario, drill_at: &str) {
    let a_bit = flightdeck::time::saturating_offset(scenario.start, SignedDuration::from_mins(10));
    let mut session = ReplaySession::new(
        scenario.clone(),
        KnowledgeBase::default(),
        CockpitConfig::default(),
    );
    session.advance_to(a_bit);
    let _ = session.cockpit().snapshot();
    // Jump to the end: the last ticks sit right before the end of the representable range for
    // a scenario that ends there.
    let mut late = scenario.clone();
    late.start = flightdeck::time::saturating_offset(
        scenario.end(),
        -SignedDuration::from_mins(10).min(scenario.duration),
    );
    late.duration = scenario.end().duration_since(late.start);
    let mut session = ReplaySession::new(late, KnowledgeBase::default(), CockpitConfig::default());
    session.advance_to(Timestamp::MAX);
    let _ = session.cockpit().snapshot();

    let script =
        format!("- {{at: \"{drill_at}\", note: \"looked\"}}\n- {{at: 1m, hypothesis: \"x\"}}\n");
    if let Ok(script) = DrillScript::parse("drill.yaml", &script) {
        let _ = script.timed(scenario.start);
        let _ = run_training(scenario, KnowledgeBase::default(), "tess", &script, a_bit);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every scenario field that holds a time or a duration, at the extremes: parsing gives a
    /// value or an error that names the file, the line and the field; a scenario that parses
    /// plays (and takes a drill) without panicking.
    #[test]
    fn extreme_times_in_a_scenario_never_panic(
        start in time(),
        duration in duration(),
        window in duration(),
        sample_at in at(),
        event_at in at(),
        drill_at in at(),
    ) {
        let text = scenario_text(&start, &duration, &window, &sample_at, &event_at);
        match Scenario::parse("extreme.yaml", &text) {
            Ok(s) => {
                prop_assert!(flightdeck::time::in_range(s.start) && flightdeck::time::in_range(s.end()));
                play(&s, &drill_at);
            }
            Err(e) => {
                prop_assert_eq!(&e.path, "extreme.yaml");
                prop_assert!(e.line.is_some(), "no line: {}", e);
                prop_assert!(!e.field.is_empty(), "no field: {}", e);
            }
        }
    }

    /// Drill scripts alone: an offset or a timestamp at the extremes parses or is refused with
    /// its line and field; resolving it against any start never panics.
    #[test]
    fn extreme_drill_times_never_panic(drill_at in at(), start in time()) {
        let text = format!("- {{at: \"{drill_at}\", note: \"looked\"}}\n");
        match DrillScript::parse("drill.yaml", &text) {
            Ok(script) => {
                if let Ok(start) = flightdeck::time::parse_timestamp(&start) {
                    let _ = script.timed(start);
                    let _ = script.timed(Timestamp::MAX);
                    let _ = script.timed(Timestamp::MIN);
                }
            }
            Err(e) => {
                prop_assert_eq!(e.line, Some(1));
                prop_assert_eq!(&e.field, "[0].at");
            }
        }
    }

    /// Alertmanager timestamps at the extremes: parsed or rejected, and what is parsed clusters
    /// without panicking.
    #[test]
    fn extreme_alert_times_never_panic(starts in time(), ends in time()) {
        let text = format!(
            r#"[{{"labels": {{"alertname": "A", "service": "x"}}, "startsAt": "{starts}", "endsAt": "{ends}", "status": {{"state": "active"}}}},
                {{"labels": {{"alertname": "B", "service": "x"}}, "startsAt": "2026-03-12T14:04:10Z"}}]"#
        );
        let parsed = flightdeck::alerts::parse_alerts(&text);
        let report = flightdeck::alerts::cluster_report_with(
            &parsed,
            &flightdeck::alerts::ClusterConfig::default(),
            &flightdeck::alerts::KnownPatterns::new(std::iter::empty::<&str>()),
        );
        let _ = report.to_text();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// OpenSLO windows and sample times at the extremes: the file is refused with its place, or
    /// the budget is computed without panicking.
    #[test]
    fn extreme_slo_windows_and_sample_times_never_panic(
        n in prop_oneof![Just(i64::MAX), Just(i64::MAX / 60), 0i64..=1_000_000_000_000],
        unit in prop::sample::select(&["m", "h", "d", "w", "M", "Q", "Y"][..]),
        ts in time(),
    ) {
        let spec = common::fixture("slo/checkout-availability.yaml")
            .replace("duration: 28d", &format!("duration: {n}{unit}"));
        let samples = format!(
            "{{\"ts\":\"{ts}\",\"slo\":\"checkout-availability\",\"good\":1,\"total\":2}}\n\
             {{\"ts\":\"2026-03-12T14:00:00Z\",\"slo\":\"checkout-availability\",\"good\":5,\"total\":9}}\n"
        );
        let specs = match flightdeck::slo::parse_slo_file("slo.yaml", &spec) {
            Ok(p) => p.into_iter().map(|p| p.spec).collect::<Vec<_>>(),
            Err(e) => {
                prop_assert!(e.to_string().starts_with("slo.yaml:"), "{}", e);
                return Ok(());
            }
        };
        if let Ok(records) = flightdeck::slo::parse_samples_jsonl("samples.jsonl", &samples) {
            for at in records.iter().map(|r| r.ts) {
                let _ = flightdeck::slo::status_report(&specs, &records, at).to_text();
            }
        }
    }
}

fn run(args: &[&str]) -> (i32, String) {
    let out = flightdeck(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(code, 101, "panicked: {stderr}");
    (code, stderr)
}

/// The inputs the attack pass found, through the real binary: a clear error naming file, line
/// and field (or, for `--until`, a replay that stops at the scenario's end).
#[test]
fn the_reported_inputs_give_clear_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let cases = [
        (
            scenario_text("2026-03-12T13:55:00Z", "1000000000w", "30d", "0s", "1m"),
            ":5: duration:",
        ),
        (
            scenario_text("9999-12-30T21:00:00Z", "1h", "30d", "0s", "1m"),
            ":4: start:",
        ),
        (
            scenario_text("2026-03-12T13:55:00Z", "1h", "30d", "0s", "100000000w"),
            ":12: timeline[0].at:",
        ),
        (
            scenario_text("2026-03-12T13:55:00Z", "1h", "-30d", "0s", "1m"),
            ":7: slos[0].window:",
        ),
        (
            scenario_text("2026-03-12T13:55:00Z", "1h", "0s", "0s", "1m"),
            ":7: slos[0].window:",
        ),
    ];
    for (text, expected) in cases {
        let path = write("scenario.yaml", text);
        let (code, stderr) = run(&["replay", &path, "--headless"]);
        assert_ne!(code, 0);
        assert!(
            stderr.contains(&format!("{path}{expected}")),
            "expected {expected:?} in: {stderr}"
        );
    }

    // `--until` far past the end plays to the end, as a replay and as a drill; past anything
    // two timestamps can be apart, it is refused by name.
    for role in ["oncall", "trainee"] {
        let (code, stderr) = run(&[
            "replay",
            "--headless",
            "--role",
            role,
            "--until",
            "15000w",
            "--json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let (code, stderr) = run(&[
            "replay",
            "--headless",
            "--role",
            role,
            "--until",
            "100000000w",
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("'--until <UNTIL>'"), "{stderr}");
    }

    // Drill offsets far past (or before) anything a timestamp holds.
    let script = write(
        "drill.yaml",
        "- {at: 15000w, note: late}\n- {at: \"-15000w\", note: early}\n".into(),
    );
    let (code, stderr) = run(&[
        "replay",
        "--headless",
        "--role",
        "trainee",
        "--script",
        &script,
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let script = write("drill.yaml", "- {at: 1000000000w, note: late}\n".into());
    let (code, stderr) = run(&[
        "replay",
        "--headless",
        "--role",
        "trainee",
        "--script",
        &script,
        "--json",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains(&format!("{script}:1: [0].at:")), "{stderr}");
}
