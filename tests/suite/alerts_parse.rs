//! Reading real Alertmanager 0.25 captures: fingerprints, nanosecond timestamps, zero `endsAt`.

use crate::common;
use flightdeck::alerts::{AlertState, Fingerprint, parse_alerts};

/// The Alertmanager capture `tests/fixtures/alertmanager/<name>`.
fn fixture(name: &str) -> String {
    common::fixture(&format!("alertmanager/{name}"))
}

/// The `fingerprint` fields Alertmanager itself wrote into a capture.
fn recorded_fingerprints(text: &str) -> Vec<Fingerprint> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let alerts = match &v {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Object(o) => o["alerts"].as_array().unwrap().clone(),
        _ => panic!("unexpected fixture shape"),
    };
    alerts
        .iter()
        .map(|a| a["fingerprint"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn get_alerts_capture_loads_with_alertmanagers_fingerprints() {
    let text = fixture("get-alerts.json");
    let parsed = parse_alerts(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.alerts.len(), 1);
    let a = &parsed.alerts[0];
    assert_eq!(a.name(), "PromApiErrorBudgetBurn");
    assert_eq!(a.state, AlertState::Firing);
    assert_eq!(a.starts_at.to_string(), "2026-11-25T23:03:18.256Z");
    assert_eq!(a.ends_at.unwrap().to_string(), "2026-11-25T23:07:18.256Z");
    assert!(
        a.generator_url
            .as_deref()
            .unwrap()
            .starts_with("http://vm:19090/graph")
    );
    let fps: Vec<Fingerprint> = parsed.alerts.iter().map(|a| a.fingerprint()).collect();
    assert_eq!(fps, recorded_fingerprints(&text));
    assert_eq!(fps[0].to_string(), "0ff1f96e244d1a6d");
}

#[test]
fn webhook_capture_loads_with_nanoseconds_and_fingerprints() {
    let text = fixture("webhook-resolved.json");
    let parsed = parse_alerts(&text);
    assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
    assert_eq!(parsed.alerts.len(), 1);
    let a = &parsed.alerts[0];
    assert_eq!(a.state, AlertState::Resolved);
    assert_eq!(a.starts_at.subsec_nanosecond(), 609_463_328);
    assert_eq!(a.ends_at.unwrap().to_string(), "2026-11-25T23:01:14Z");
    assert_eq!(a.service(), Some("checkout"));
    assert_eq!(
        a.annotation("runbook_url"),
        Some("https://runbooks.example.com/checkout-burn")
    );
    let fps: Vec<Fingerprint> = parsed.alerts.iter().map(|a| a.fingerprint()).collect();
    assert_eq!(fps, recorded_fingerprints(&text));
    assert_eq!(fps[0].to_string(), "19ddd1f22b8939a5");
}

#[test]
fn a_silence_is_not_an_alert_and_says_so() {
    let parsed = parse_alerts(&fixture("post-silence.json"));
    assert!(parsed.alerts.is_empty());
    assert_eq!(parsed.rejected.len(), 1);
    assert_eq!(parsed.rejected[0].index, 0);
    assert!(
        parsed.rejected[0].error.contains("missing \"labels\""),
        "{}",
        parsed.rejected[0].error
    );
}

#[test]
fn firing_webhook_alert_with_zero_end_has_no_end() {
    let text = r#"{"version":"4","status":"firing","receiver":"r","groupKey":"{}:{}","alerts":[
        {"status":"firing","labels":{"alertname":"X","service":"checkout"},"annotations":{},
         "startsAt":"2026-11-25T23:00:58.609463328Z","endsAt":"0001-01-01T00:00:00Z",
         "generatorURL":"","fingerprint":"0000000000000000"}]}"#;
    let parsed = parse_alerts(text);
    assert!(parsed.rejected.is_empty());
    let a = &parsed.alerts[0];
    assert_eq!(a.ends_at, None);
    assert_eq!(a.generator_url, None);
    assert_eq!(a.state, AlertState::Firing);
}

#[test]
fn serialized_alerts_read_back() {
    let parsed = parse_alerts(&fixture("webhook-resolved.json"));
    let lines: Vec<String> = parsed
        .alerts
        .iter()
        .map(|a| serde_json::to_string(a).unwrap())
        .collect();
    let back = parse_alerts(&lines.join("\n"));
    assert!(back.rejected.is_empty(), "{:?}", back.rejected);
    assert_eq!(back.alerts, parsed.alerts);
}
