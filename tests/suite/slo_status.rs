//! `slo status`: the JSON report of issue 3 §6 from spec files and a JSON Lines samples file.

use crate::common;
use flightdeck::slo::{Mode, parse_samples_jsonl, parse_slo_file, status_report};
use flightdeck::time::Timestamp;
use serde_json::{Value, json};

/// The SLO file `tests/fixtures/slo/<name>`.
fn fixture(name: &str) -> String {
    common::fixture(&format!("slo/{name}"))
}

fn specs() -> Vec<flightdeck::slo::SloSpec> {
    ["checkout-availability.yaml", "search-latency.yaml"]
        .iter()
        .flat_map(|f| parse_slo_file(f, &fixture(f)).unwrap())
        .map(|p| p.spec)
        .collect()
}

fn approx(v: &Value, expect: f64) -> bool {
    v.as_f64()
        .is_some_and(|x| (x - expect).abs() < 1e-6 * expect.abs().max(1.0))
}

#[test]
fn report_matches_the_issue_shape_and_numbers() {
    let samples = parse_samples_jsonl("samples.jsonl", &fixture("samples-checkout.jsonl")).unwrap();
    let at: Timestamp = "2026-01-02T02:00:00Z".parse().unwrap();
    let report = status_report(&specs(), &samples, at);
    assert_eq!(report.mode, Mode::Freeze);
    assert_eq!(
        report.deciding_slo.as_deref(),
        Some("checkout-availability")
    );
    let v = serde_json::to_value(&report).unwrap();

    let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(top, ["at", "mode", "slos"]);
    assert_eq!(v["at"], json!("2026-01-02T02:00:00Z"));
    assert_eq!(v["mode"], json!("freeze"));

    // Key order as written (serde_json::Value would sort it).
    let raw = serde_json::to_string(&report).unwrap();
    let in_order = |keys: &[&str]| {
        let pos: Vec<usize> = keys
            .iter()
            .map(|k| raw.find(&format!("\"{k}\":")).unwrap())
            .collect();
        pos.windows(2).all(|p| p[0] < p[1])
    };
    assert!(in_order(&[
        "name",
        "target",
        "window_s",
        "budget_remaining",
        "error_ratio",
        "burn_rates",
        "conditions",
        "time_to_exhaustion_s"
    ]));
    assert!(raw.contains(r#""burn_rates":{"5m":"#), "{raw}");
    assert!(in_order(&["5m", "30m", "1h", "2h", "6h", "1d", "3d"]));

    let c = &v["slos"][0];
    assert_eq!(c.as_object().unwrap().len(), 8);
    assert_eq!(c["burn_rates"].as_object().unwrap().len(), 7);
    assert_eq!(c["name"], json!("checkout-availability"));
    assert!(approx(&c["target"], 0.999));
    assert_eq!(c["window_s"], json!(28 * 86_400));
    // Last hour at 2% errors; a counter reset at 10:00 is counted like increase().
    for (w, burn) in [
        ("5m", 20.0),
        ("30m", 20.0),
        ("1h", 20.0),
        ("2h", 10.0),
        ("6h", 20.0 / 6.0),
        ("1d", 20.0 / 24.0),
        ("3d", 20.0 / 26.0), // only 26 hours of history
    ] {
        assert!(
            approx(&c["burn_rates"][w], burn),
            "{w}: {}",
            c["burn_rates"][w]
        );
        assert!(approx(&c["error_ratio"][w], burn * 0.001), "{w}");
    }
    assert!(approx(&c["budget_remaining"], 1.0 - 20.0 / 26.0));
    assert_eq!(c["conditions"], json!(["page"]));
    let tte = (1.0 - 20.0 / 26.0) * 28.0 * 86_400.0 / 20.0;
    assert_eq!(c["time_to_exhaustion_s"], json!(tte as i64));

    // No samples: nulls everywhere, never 0.
    let s = &v["slos"][1];
    assert_eq!(s["name"], json!("search-latency"));
    assert_eq!(s["budget_remaining"], Value::Null);
    assert!(
        s["burn_rates"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_null)
    );
    assert!(
        s["error_ratio"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_null)
    );
    assert_eq!(s["conditions"], json!([]));
    assert_eq!(s["time_to_exhaustion_s"], Value::Null);

    let text = report.to_text();
    assert!(text.contains("FREEZE"), "{text}");
    assert!(
        text.contains("PAGE: 1h burn 20.0 > 13.44 and 5m 20.0 > 13.44"),
        "{text}"
    );
}

#[test]
fn samples_after_at_are_ignored_and_order_does_not_matter() {
    let mut samples =
        parse_samples_jsonl("samples.jsonl", &fixture("samples-checkout.jsonl")).unwrap();
    samples.reverse();
    let at: Timestamp = "2026-01-01T12:00:00Z".parse().unwrap();
    let report = status_report(&specs(), &samples, at);
    assert_eq!(report.mode, Mode::Adaptive);
    let c = &report.slos[0];
    assert_eq!(c.budget_remaining, Some(1.0));
    assert_eq!(c.burn_rates.get(flightdeck::slo::Window::H1), Some(0.0));
}

#[test]
fn sample_errors_name_line_and_field() {
    let text = "{\"ts\":\"2026-01-01T00:00:00Z\",\"slo\":\"a\",\"good\":1,\"total\":1}\n\n{\"ts\":\"2026-01-01T00:01:00Z\",\"slo\":\"a\",\"good\":2}\n";
    let err = parse_samples_jsonl("s.jsonl", text).unwrap_err();
    assert_eq!(err.line, 3);
    assert_eq!(err.field, "total");
    assert!(err.to_string().starts_with("s.jsonl:3:"), "{err}");
    let err = parse_samples_jsonl(
        "s.jsonl",
        "{\"ts\":\"yesterday\",\"slo\":\"a\",\"good\":1,\"total\":1}",
    )
    .unwrap_err();
    assert_eq!(err.line, 1);
}
