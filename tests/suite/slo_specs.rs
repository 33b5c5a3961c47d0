//! OpenSLO v1 and Sloth parsing: the example files, and errors naming file, line and field.

use crate::common;
use flightdeck::slo::openslo::parse_openslo_duration;
use flightdeck::slo::{SpecFormat, parse_slo_file};

/// The SLO file `tests/fixtures/slo/<name>`.
fn fixture(name: &str) -> String {
    common::fixture(&format!("slo/{name}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn inline_good_total() {
    let slos = parse_slo_file("checkout.yaml", &fixture("checkout-availability.yaml")).unwrap();
    assert_eq!(slos.len(), 1);
    let s = &slos[0];
    assert_eq!(s.spec.name, "checkout-availability");
    assert_eq!(s.spec.service, "checkout");
    assert!(close(s.spec.objective, 0.999));
    assert_eq!(s.spec.window.as_secs(), 28 * 86_400);
    assert!(s.spec.description.starts_with("99.9% of checkout"));
    assert_eq!(s.format, SpecFormat::OpenSlo);
    assert_eq!(s.queries.source_type.as_deref(), Some("Prometheus"));
    assert_eq!(
        s.queries.good.as_deref(),
        Some(r#"sum(http_requests_total{job="checkout",code!~"5.."})"#)
    );
    assert!(s.queries.bad.is_none() && s.queries.counter);
    assert_eq!(s.line, 2);
    assert!(close(s.spec.budget(), 0.001));
}

#[test]
fn indicator_ref_bad_total_target_percent() {
    let slos = parse_slo_file("search.yaml", &fixture("search-latency.yaml")).unwrap();
    assert_eq!(slos.len(), 1);
    let s = &slos[0];
    assert_eq!(s.spec.name, "search-latency");
    assert!(close(s.spec.objective, 0.995));
    assert!(close(s.spec.budget(), 0.005));
    assert_eq!(s.spec.window.as_secs(), 30 * 86_400);
    assert!(s.queries.bad.as_deref().unwrap().contains("le=\"0.3\""));
    assert!(s.queries.good.is_none());
}

#[test]
fn months_and_several_objectives() {
    let slos = parse_slo_file("payments.yaml", &fixture("payments-monthly.yaml")).unwrap();
    let names: Vec<_> = slos.iter().map(|s| s.spec.name.as_str()).collect();
    assert_eq!(names, ["payments-errors-strict", "payments-errors-relaxed"]);
    assert_eq!(slos[0].spec.window.as_secs(), 30 * 86_400);
    assert!(close(slos[0].spec.budget(), 0.0001));
}

#[test]
fn sloth_prometheus_v1() {
    let slos = parse_slo_file("sloth.yaml", &fixture("sloth-checkout.yaml")).unwrap();
    assert_eq!(slos.len(), 2);
    let a = &slos[0];
    assert_eq!(a.format, SpecFormat::Sloth);
    assert_eq!(a.spec.name, "checkout-requests-availability");
    assert!(close(a.spec.objective, 0.999));
    assert_eq!(a.spec.window.as_secs(), 30 * 86_400);
    assert!(a.queries.bad.as_deref().unwrap().contains("{{.window}}"));
    assert_eq!(
        flightdeck::slo::SliQueries::for_window(a.queries.total.as_deref().unwrap(), "5m"),
        r#"sum(rate(http_requests_total{job="checkout"}[5m]))"#
    );
    let b = &slos[1];
    assert!(close(b.spec.objective, 0.99));
    assert!(b.queries.error_ratio.is_some());
}

#[test]
fn sloth_kubernetes_resource() {
    let text = r#"
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata:
  name: cart
spec:
  service: cart
  slos:
    - name: availability
      objective: 99.5
      sli:
        events:
          error_query: sum(rate(errors[{{.window}}]))
          total_query: sum(rate(requests[{{.window}}]))
"#;
    let slos = parse_slo_file("cart.yaml", text).unwrap();
    assert_eq!(slos[0].spec.name, "cart-availability");
}

#[test]
fn openslo_durations() {
    assert_eq!(
        parse_openslo_duration("28d").unwrap().as_secs(),
        28 * 86_400
    );
    assert_eq!(parse_openslo_duration("90m").unwrap().as_secs(), 90 * 60);
    assert_eq!(parse_openslo_duration("1M").unwrap().as_secs(), 30 * 86_400);
    assert_eq!(parse_openslo_duration("4w").unwrap().as_secs(), 28 * 86_400);
    for bad in ["", "d", "28", "28s", "-1d", "0d", "1.5d", "28 d"] {
        assert!(parse_openslo_duration(bad).is_err(), "{bad:?}");
    }
}

const BASE: &str = "apiVersion: openslo/v1
kind: SLO
metadata:
  name: x
spec:
  service: s
  indicator:
    metadata:
      name: i
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: good
        total:
          metricSource:
            type: Prometheus
            spec:
              query: total
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.999
";

/// Parses BASE with `from` replaced by `to`; returns the error as displayed.
fn error_for(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    let text = BASE.replace(from, to);
    parse_slo_file("slos/x.yaml", &text)
        .expect_err("should fail")
        .to_string()
}

#[test]
fn base_is_valid() {
    assert_eq!(parse_slo_file("x.yaml", BASE).unwrap().len(), 1);
}

#[test]
fn errors_name_file_line_and_field() {
    let cases = [
        (
            "target: 0.999",
            "target: 99.9",
            "slos/x.yaml:28:15: spec.objectives[0].target: must be in [0, 1), got 99.9 (did you \
             mean `targetPercent: 99.9`?)",
        ),
        (
            "target: 0.999",
            "target: high",
            "slos/x.yaml:28:15: target: ",
        ),
        ("target: 0.999", "targetPrecent: 99.9", "slos/x.yaml:28:"),
        (
            "duration: 28d",
            "duration: 28x",
            "slos/x.yaml:24:17: spec.timeWindow[0].duration: \"28x\" is not an OpenSLO duration",
        ),
        (
            "budgetingMethod: Occurrences",
            "budgetingMethod: Timeslices",
            "slos/x.yaml:26:20: spec.budgetingMethod: Timeslices is not supported yet",
        ),
        (
            "isRolling: true",
            "isRolling: false",
            "slos/x.yaml:25:18: spec.timeWindow[0].isRolling: calendar windows",
        ),
        (
            "  service: s\n",
            "",
            "slos/x.yaml:6:3: spec.service: missing `service`",
        ),
        (
            "        good:",
            "        bad: {metricSource: {type: P, spec: {query: b}}}\n        good:",
            "slos/x.yaml:13:14: spec.indicator.spec.ratioMetric.bad: give either",
        ),
        (
            "apiVersion: openslo/v1",
            "apiVersion: openslo/v1alpha",
            "slos/x.yaml:1:13: apiVersion: unsupported apiVersion \"openslo/v1alpha\"",
        ),
    ];
    for (from, to, expect) in cases {
        let got = error_for(from, to);
        assert!(got.starts_with(expect), "\n got: {got}\nwant: {expect}…");
    }
}

#[test]
fn unknown_field_is_named() {
    let got = error_for("target: 0.999", "targetPrecent: 99.9");
    assert!(got.contains("targetPrecent"), "{got}");
}

#[test]
fn yaml_syntax_errors_have_a_location() {
    let err = parse_slo_file("bad.yaml", "apiVersion: openslo/v1\nkind: [SLO\n").unwrap_err();
    assert_eq!(err.path, "bad.yaml");
    assert!(err.line >= 2, "{err}");
}

#[test]
fn empty_and_foreign_files_are_errors() {
    let err = parse_slo_file("e.yaml", "").unwrap_err();
    assert!(err.to_string().contains("no SLO found"), "{err}");
    let err = parse_slo_file(
        "svc.yaml",
        "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  description: x\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("no SLO found"), "{err}");
}

#[test]
fn duplicate_names_are_refused() {
    let text = format!("{BASE}---\n{BASE}");
    let err = parse_slo_file("d.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("duplicate SLO name \"x\""), "{err}");
}

#[test]
fn sloth_errors() {
    let text = "version: prometheus/v1\nservice: a\nslos:\n  - name: b\n    objective: 0.999\n    sli:\n      events:\n        error_query: e\n        total_query: t\n";
    let ok = parse_slo_file("s.yaml", text).unwrap();
    // 0.999 percent is a (silly but valid) objective: 0.00999.
    assert!(close(ok[0].spec.objective, 0.00999));
    let text = text.replace("objective: 0.999", "objective: 100");
    let err = parse_slo_file("s.yaml", &text).unwrap_err().to_string();
    assert!(
        err.starts_with("s.yaml:5:16: slos[0].objective: must be a percentage"),
        "{err}"
    );
    let text = text.replace("objective: 100", "objective: 99").replace(
        "      events:\n        error_query: e\n        total_query: t\n",
        "      plugin:\n        id: x\n",
    );
    let err = parse_slo_file("s.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("slos[0].sli.plugin"), "{err}");
}
