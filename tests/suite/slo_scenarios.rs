//! Hysteresis and drift scenarios as data files (`tests/fixtures/slo/scenarios/*.yaml`).
//!
//! `kind: governor` files drive a `Governor` with per-SLO budget statuses (`left`: budget
//! remaining or null for no traffic; `page: [1h burn, 5m burn]` for a firing 1h/5m page), drift
//! signals and acknowledgements; every step states the expected mode, and any transition must
//! be declared (`change: from->to`; the state the governor starts in, once it has data, is
//! `change: start->mode`). `kind: drift` files feed hourly burn rates to a
//! `CusumDetector` and list the expected signals.

use crate::common;
use std::collections::BTreeMap;

use common::slo::{budget_status, drift_up};
use flightdeck::slo::{BudgetStatus, CusumDetector, DriftConfig, DriftDirection, Governor, Mode};
use flightdeck::time::{SignedDuration, Timestamp, parse_duration};
use serde::Deserialize;

#[derive(Deserialize)]
struct Header {
    kind: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GovernorScenario {
    #[serde(rename = "kind")]
    _kind: String,
    hold: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    at: String,
    slos: Option<BTreeMap<String, SloInput>>,
    drift: Option<String>,
    ack: Option<String>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SloInput {
    left: Option<f64>,
    page: Option<[f64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    mode: Mode,
    change: Option<String>,
    slo: Option<String>,
    reason: Option<String>,
    reason_contains: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DriftScenario {
    #[serde(rename = "kind")]
    _kind: String,
    start: Timestamp,
    values: Vec<f64>,
    expect: Vec<ExpectSignal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSignal {
    hour: i64,
    direction: DriftDirection,
    since_hour: i64,
}

/// An SLO named `name` of its own service, no data in any window, the budget and page given.
fn status(name: &str, input: &SloInput) -> BudgetStatus {
    let page = input
        .page
        .map(|[long_burn, short_burn]| (long_burn, short_burn));
    budget_status(name, name, input.left, page, None)
}

fn run_governor(file: &str, text: &str) {
    let sc: GovernorScenario =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let mut g = Governor::new(parse_duration(&sc.hold).unwrap());
    for (i, step) in sc.steps.iter().enumerate() {
        let now = t0 + parse_duration(&step.at).unwrap();
        let here = format!("{file} step {i} (at {})", step.at);
        let mut changes = Vec::new();
        if let Some(slo) = &step.drift {
            changes.extend(g.set_drift(now, drift_up(slo, now)));
        }
        if let Some(by) = &step.ack {
            changes.extend(g.acknowledge_drift(now, by));
        }
        if let Some(slos) = &step.slos {
            let statuses: Vec<_> = slos.iter().map(|(n, s)| status(n, s)).collect();
            changes.extend(g.update(now, &statuses));
        }
        let e = &step.expect;
        assert_eq!(g.mode(), e.mode, "{here}: mode; reason {:?}", g.reason());
        let got: Vec<String> = changes
            .iter()
            // The state the governor started in (`from: None`) reads `start->mode`.
            .map(|c| match c.from {
                Some(from) => format!("{from}->{}", c.to),
                None => format!("start->{}", c.to),
            })
            .collect();
        let want: Vec<String> = e.change.iter().cloned().collect();
        assert_eq!(got, want, "{here}: transitions");
        for c in &changes {
            assert_eq!(c.at, now);
            assert_eq!(c.reason, g.reason(), "{here}");
        }
        if let Some(slo) = &e.slo {
            assert_eq!(g.deciding_slo(), Some(slo.as_str()), "{here}: deciding SLO");
        }
        if let Some(r) = &e.reason {
            assert_eq!(g.reason(), r, "{here}");
        }
        if let Some(r) = &e.reason_contains {
            assert!(
                g.reason().contains(r.as_str()),
                "{here}: {:?} lacks {r:?}",
                g.reason()
            );
        }
    }
}

fn run_drift(file: &str, text: &str) {
    let sc: DriftScenario = serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut det = CusumDetector::new("1h burn rate", Some("x".into()), DriftConfig::HOURLY_BURN);
    let hour = |h: i64| sc.start + SignedDuration::from_hours(h);
    let mut got = Vec::new();
    for (h, v) in sc.values.iter().enumerate() {
        if let Some(s) = det.observe(hour(h as i64), *v) {
            got.push(s);
        }
    }
    assert_eq!(got.len(), sc.expect.len(), "{file}: {got:#?}");
    for (s, e) in got.iter().zip(&sc.expect) {
        assert_eq!(s.at, hour(e.hour), "{file}: {}", s.explain());
        assert_eq!(s.direction, e.direction, "{file}");
        assert_eq!(s.since, hour(e.since_hour), "{file}: {}", s.explain());
        assert!(s.statistic > s.threshold);
    }
}

#[test]
fn scenario_files() {
    let dir = format!(
        "{}/tests/fixtures/slo/scenarios",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let h: Header = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        match h.kind.as_str() {
            "governor" => run_governor(&file, &text),
            "drift" => run_drift(&file, &text),
            other => panic!("{file}: unknown kind {other}"),
        }
    }
}
