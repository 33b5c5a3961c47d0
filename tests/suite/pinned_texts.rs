//! The messages and texts of the readers and writers cut into functions by section (issue 14,
//! item 6), pinned byte for byte: every located error of the scenario, SLO spec and experiment
//! readers (one case a branch), what they read from good input, a recorded scenario (inline and
//! with an events file), the debrief's text (full and in progress), and the chaos gate's text,
//! report and drafts. A refactor that changes a word shows here as a snapshot diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::common;
use common::replay::{demo, drill_run};
use flightdeck::chaos::record::{
    DraftKind, RunRecords, abort_entry, draft_markdown, end_entry, refused_entry, report_text,
    run_id, runs, start_entry, step_entry,
};
use flightdeck::chaos::{
    Author, Experiment, GateConfig, GateInput, Guard, Hypothesis, Observation, ProbeReading,
    SloHeadroom, StepResult, gate,
};
use flightdeck::journal::Chain;
use flightdeck::slo::{Mode, SampleRecord, parse_slo_file};
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::training::{
    DrillScript, RecordInput, Scenario, ScenarioEvent, TimedAlert, debrief, record_scenario_parts,
};
use serde_json::{Value, json};

// ---- the scenario reader ---------------------------------------------------------------------

const SCENARIO: &str = "\
version: 1
id: s
title: S
start: 2026-01-01T00:00:00Z
duration: 1h
slos:
  - {name: avail, service: api, objective: 0.999, window: 30d}
samples:
  - {at: 0s, slo: avail, good: 10, total: 10}
timeline:
  - at: 1m
    fire: {labels: {alertname: A, service: api}}
  - at: 2m
    decision: {actor: ann, role: oncall, kind: approve, step: rb/s1, argv: [kubectl, get]}
  - at: 3m
    resolve: {labels: {alertname: A, service: api}}
";

fn scenario_case(out: &mut String, name: &str, text: &str) {
    let _ = writeln!(out, "## {name}");
    match Scenario::parse("s.yaml", text) {
        Ok(s) => {
            let _ = writeln!(out, "ok: {} events, {} slos", s.events.len(), s.slos.len());
        }
        Err(e) => {
            let _ = writeln!(out, "{e}\n{e:?}");
        }
    }
}

#[test]
fn scenario_messages() {
    let r = |from: &str, to: &str| {
        assert!(SCENARIO.contains(from), "{from}");
        SCENARIO.replacen(from, to, 1)
    };
    let fire = "    fire: {labels: {alertname: A, service: api}}";
    let decision = "    decision: {actor: ann, role: oncall, kind: approve, step: rb/s1, argv: [kubectl, get]}";
    let cases: Vec<(&str, String)> = vec![
        ("good", SCENARIO.to_string()),
        ("not yaml", "version: [1\n".into()),
        ("unknown field", r("title: S", "title: S\ntitel: S")),
        ("version 2", r("version: 1", "version: 2")),
        ("bad start", r("2026-01-01T00:00:00Z", "yesterday")),
        ("bad duration", r("duration: 1h", "duration: soon")),
        ("zero duration", r("duration: 1h", "duration: 0s")),
        ("long duration", r("duration: 1h", "duration: 40d")),
        (
            "end out of range",
            r("2026-01-01T00:00:00Z", "2199-12-31T00:00:00Z").replacen(
                "duration: 1h",
                "duration: 30d",
                1,
            ),
        ),
        ("objective", r("objective: 0.999", "objective: 99.9")),
        (
            "slo twice",
            r(
                "window: 30d}",
                "window: 30d}\n  - {name: avail, service: b, objective: 0.9, window: 7d}",
            ),
        ),
        ("bad window", r("window: 30d", "window: monthly")),
        ("long window", r("window: 30d", "window: 400d")),
        ("sample at", r("{at: 0s, slo", "{at: later, slo")),
        ("sample slo", r("slo: avail, good", "slo: other, good")),
        (
            "sample counters",
            r("good: 10, total: 10", "good: 11, total: 10"),
        ),
        ("no event", r(fire, "    {}").replacen("    {}", "", 1)),
        ("two events", r(fire, &format!("{fire}\n{decision}"))),
        (
            "no alertname",
            r(
                "alertname: A, service: api}}\n  - at: 2m",
                "service: api}}\n  - at: 2m",
            ),
        ),
        (
            "resolve unfired",
            r(
                "resolve: {labels: {alertname: A, service: api}}",
                "resolve: {labels: {alertname: B}}",
            ),
        ),
        ("role", r("role: oncall", "role: boss")),
        ("kind", r("kind: approve", "kind: veto")),
        ("no step", r("step: rb/s1", "step: s1")),
        ("argv on a note", r("kind: approve", "kind: note")),
        ("empty argv", r("argv: [kubectl, get]", "argv: []")),
        (
            "sample at a timestamp",
            r("{at: 0s, slo", "{at: 2026-01-01T00:00:30Z, slo"),
        ),
        (
            "events file without a reader",
            r("timeline:", "events: more.jsonl\ntimeline:"),
        ),
    ];
    let mut out = String::new();
    for (name, text) in &cases {
        scenario_case(&mut out, name, text);
    }
    // The events file: its lines, with their own place in messages.
    let with_events = r("timeline:", "events: more.jsonl\ntimeline:");
    for (name, lines) in [
        (
            "events: good",
            "{\"at\": \"5m\", \"fire\": {\"labels\": {\"alertname\": \"X\"}}}\n# c\n\n{\"at\": \"6m\", \"sample\": {\"slo\": \"avail\", \"good\": 1, \"total\": 2}}",
        ),
        ("events: not json", "{\"at\": 5m}"),
        ("events: unknown field", "{\"at\": \"5m\", \"fyre\": {}}"),
        ("events: none", "{\"at\": \"5m\"}"),
        (
            "events: sample and fire",
            "{\"at\": \"5m\", \"fire\": {\"labels\": {\"alertname\": \"X\"}}, \"sample\": {\"slo\": \"avail\", \"good\": 1, \"total\": 2}}",
        ),
        (
            "events: bad at",
            "{\"at\": \"whenever\", \"fire\": {\"labels\": {\"alertname\": \"X\"}}}",
        ),
        (
            "events: sample slo",
            "{\"at\": \"5m\", \"sample\": {\"slo\": \"nope\", \"good\": 1, \"total\": 2}}",
        ),
        (
            "events: role",
            "{\"at\": \"5m\", \"decision\": {\"actor\": \"a\", \"role\": \"x\", \"kind\": \"note\"}}",
        ),
        (
            "events: kind",
            "{\"at\": \"5m\", \"decision\": {\"actor\": \"a\", \"role\": \"oncall\", \"kind\": \"x\"}}",
        ),
        (
            "events: no alertname",
            "{\"at\": \"5m\", \"fire\": {\"labels\": {\"service\": \"x\"}}}",
        ),
    ] {
        let _ = writeln!(out, "## {name}");
        match Scenario::parse_with("s.yaml", &with_events, |n| {
            Ok((format!("dir/{n}"), lines.to_string()))
        }) {
            Ok(s) => {
                let _ = writeln!(out, "ok: {} events", s.events.len());
                for e in &s.events {
                    let _ = writeln!(out, "  {} {:?}", e.at, e.event);
                }
            }
            Err(e) => {
                let _ = writeln!(out, "{e}\n{e:?}");
            }
        }
    }
    let _ = writeln!(out, "## events: unreadable");
    let e =
        Scenario::parse_with("s.yaml", &with_events, |n| Err(format!("{n}: gone"))).unwrap_err();
    let _ = writeln!(out, "{e}\n{e:?}");
    insta::assert_snapshot!(out);
}

// ---- the SLO spec readers -------------------------------------------------------------------

const OPENSLO: &str = "\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-avail
  displayName: API availability
  annotations: {flightdeck/min-events: \"1_000\"}
spec:
  service: api
  indicator:
    metadata: {name: api-ratio}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: good}}}
        total: {metricSource: {type: Prometheus, spec: {query: total}}}
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.999}]
";

const SLI_REF: &str = "\
apiVersion: openslo/v1
kind: SLI
metadata: {name: shared}
spec:
  ratioMetric:
    bad: {metricSource: {type: Prometheus, metricSourceRef: prom-main}}
    total: {metricSource: {type: Prometheus, spec: {query: total}}}
---
apiVersion: openslo/v1
kind: Service
metadata: {name: api}
spec: {}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: api-lat}
spec:
  description: Fast enough
  service: api
  indicatorRef: shared
  timeWindow: [{duration: 1M, isRolling: true}]
  budgetingMethod: Occurrences
  objectives:
    - {displayName: Fast path, targetPercent: 99}
    - {target: 0.9}
";

const SLOTH: &str = "\
version: prometheus/v1
service: api
slos:
  - name: requests-availability
    objective: 99.9
    description: Common SLO
    sli:
      events:
        error_query: errors[{{.window}}]
        total_query: total[{{.window}}]
  - name: ratio
    objective: 99
    sli:
      raw:
        error_ratio_query: ratio[{{.window}}]
";

const SLOTH_K8S: &str = "\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: api}
spec:
  service: api
  slos:
    - name: avail
      objective: 99.5
      sli: {raw: {error_ratio_query: r}}
";

fn spec_case(out: &mut String, name: &str, text: &str) {
    let _ = writeln!(out, "## {name}");
    match parse_slo_file("slos.yaml", text) {
        Ok(slos) => {
            for s in slos {
                let _ = writeln!(out, "ok: {:?}", s);
            }
        }
        Err(e) => {
            let _ = writeln!(out, "{e}\n{e:?}");
        }
    }
}

#[test]
fn slo_spec_messages() {
    let o = |from: &str, to: &str| {
        assert!(OPENSLO.contains(from), "{from}");
        OPENSLO.replacen(from, to, 1)
    };
    let s = |from: &str, to: &str| {
        assert!(SLI_REF.contains(from), "{from}");
        SLI_REF.replacen(from, to, 1)
    };
    let l = |from: &str, to: &str| {
        assert!(SLOTH.contains(from), "{from}");
        SLOTH.replacen(from, to, 1)
    };
    let k = |from: &str, to: &str| {
        assert!(SLOTH_K8S.contains(from), "{from}");
        SLOTH_K8S.replacen(from, to, 1)
    };
    let ratio = "      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: good}}}\n        total: {metricSource: {type: Prometheus, spec: {query: total}}}\n";
    let cases: Vec<(&str, String)> = vec![
        ("openslo good", OPENSLO.into()),
        ("openslo sli ref and several objectives", SLI_REF.into()),
        ("not yaml", "kind: [\n".into()),
        ("no kind", o("kind: SLO\n", "")),
        ("apiVersion", o("openslo/v1", "openslo/v2")),
        ("no apiVersion", o("apiVersion: openslo/v1\n", "")),
        (
            "no metadata",
            o(
                "metadata:\n  name: api-avail\n  displayName: API availability\n  annotations: {flightdeck/min-events: \"1_000\"}\n",
                "",
            ),
        ),
        ("no name", o("  name: api-avail\n", "")),
        ("empty name", o("name: api-avail", "name: \" \"")),
        ("min events", o("\"1_000\"", "many")),
        ("min events number", o("\"1_000\"", "500")),
        (
            "no spec",
            o(&OPENSLO[OPENSLO.find("spec:\n  service").unwrap()..], ""),
        ),
        ("misspelled", o("  objectives:", "  objectivs:")),
        ("no service", o("  service: api\n", "")),
        (
            "both indicators",
            o("  timeWindow:", "  indicatorRef: x\n  timeWindow:"),
        ),
        (
            "threshold inline",
            o(
                "      ratioMetric:",
                "      thresholdMetric: {}\n      ratioMetric:",
            ),
        ),
        ("no ratio inline", o(ratio, "      {}\n")),
        (
            "ref unknown",
            s("indicatorRef: shared", "indicatorRef: other"),
        ),
        (
            "ref threshold",
            s(
                "  ratioMetric:\n    bad:",
                "  thresholdMetric: {}\n  ratioMetric:\n    bad:",
            ),
        ),
        (
            "ref no ratio",
            s(
                "  ratioMetric:\n    bad: {metricSource: {type: Prometheus, metricSourceRef: prom-main}}\n    total: {metricSource: {type: Prometheus, spec: {query: total}}}\n",
                "  {}\n",
            ),
        ),
        (
            "no indicator",
            o(
                &OPENSLO
                    [OPENSLO.find("  indicator:").unwrap()..OPENSLO.find("  timeWindow").unwrap()],
                "",
            ),
        ),
        (
            "raw ratio",
            o("        counter: true\n", "        raw: {}\n"),
        ),
        (
            "no total",
            o(
                "        total: {metricSource: {type: Prometheus, spec: {query: total}}}\n",
                "",
            ),
        ),
        (
            "good and bad",
            o(
                "        counter: true\n",
                "        bad: {metricSource: {type: Prometheus, spec: {query: bad}}}\n",
            ),
        ),
        (
            "neither good nor bad",
            o(
                "        good: {metricSource: {type: Prometheus, spec: {query: good}}}\n",
                "",
            ),
        ),
        (
            "no window",
            o("  timeWindow: [{duration: 28d, isRolling: true}]\n", ""),
        ),
        (
            "two windows",
            o(
                "[{duration: 28d, isRolling: true}]",
                "[{duration: 28d}, {duration: 7d}]",
            ),
        ),
        ("calendar", o("isRolling: true}", "calendar: {}}")),
        ("not rolling", o("isRolling: true", "isRolling: false")),
        ("no duration", o("duration: 28d, ", "")),
        ("bad duration", o("duration: 28d", "duration: 28x")),
        (
            "timeslices",
            o(
                "budgetingMethod: Occurrences",
                "budgetingMethod: Timeslices",
            ),
        ),
        (
            "unknown budgeting",
            o("budgetingMethod: Occurrences", "budgetingMethod: Often"),
        ),
        ("no budgeting", o("  budgetingMethod: Occurrences\n", "")),
        ("no objectives", o("  objectives: [{target: 0.999}]\n", "")),
        ("empty objectives", o("[{target: 0.999}]", "[]")),
        (
            "time slice target",
            o("{target: 0.999}", "{target: 0.999, timeSliceTarget: 0.9}"),
        ),
        (
            "time slice window",
            o("{target: 0.999}", "{target: 0.999, timeSliceWindow: 1m}"),
        ),
        (
            "objective indicator",
            o("{target: 0.999}", "{target: 0.999, indicatorRef: x}"),
        ),
        (
            "target and percent",
            o("{target: 0.999}", "{target: 0.999, targetPercent: 99.9}"),
        ),
        ("target as percent", o("{target: 0.999}", "{target: 99.9}")),
        ("target out of range", o("{target: 0.999}", "{target: 150}")),
        (
            "percent out of range",
            o("{target: 0.999}", "{targetPercent: 100}"),
        ),
        ("no target", o("{target: 0.999}", "{displayName: x}")),
        ("sloth good", SLOTH.into()),
        ("sloth k8s good", SLOTH_K8S.into()),
        ("sloth version", l("prometheus/v1", "prometheus/v2")),
        ("sloth k8s other kind", k("PrometheusServiceLevel", "Other")),
        (
            "sloth k8s no spec",
            k(&SLOTH_K8S[SLOTH_K8S.find("spec:").unwrap()..], ""),
        ),
        ("sloth no service", l("service: api\n", "")),
        ("sloth k8s no service", k("  service: api\n", "")),
        (
            "sloth no slos",
            l(&SLOTH[SLOTH.find("slos:").unwrap()..], ""),
        ),
        (
            "sloth no name",
            l(
                "  - name: ratio\n    objective: 99\n",
                "  - objective: 99\n",
            ),
        ),
        ("sloth no objective", l("    objective: 99\n", "")),
        ("sloth objective", l("objective: 99.9", "objective: 0")),
        (
            "sloth no sli",
            l(
                "    sli:\n      raw:\n        error_ratio_query: ratio[{{.window}}]\n",
                "",
            ),
        ),
        (
            "sloth no error query",
            l("        error_query: errors[{{.window}}]\n", ""),
        ),
        (
            "sloth no total query",
            l("        total_query: total[{{.window}}]\n", ""),
        ),
        (
            "sloth no ratio query",
            l(
                "        error_ratio_query: ratio[{{.window}}]\n",
                "        {}\n",
            ),
        ),
        (
            "sloth plugin",
            l(
                "      raw:\n        error_ratio_query: ratio[{{.window}}]\n",
                "      plugin: {id: x}\n",
            ),
        ),
        (
            "sloth events and raw",
            l("      raw:\n", "      events: {}\n      raw:\n"),
        ),
    ];
    let mut out = String::new();
    for (name, text) in &cases {
        spec_case(&mut out, name, text);
    }
    insta::assert_snapshot!(out);
}

// ---- the experiment reader ------------------------------------------------------------------

fn experiment_doc() -> Value {
    json!({
        "title": "Checkout survives losing one pod",
        "description": "Kill a pod.",
        "tags": ["checkout"],
        "steady-state-hypothesis": {
            "title": "Checkout keeps serving",
            "probes": [
                {"type": "probe", "name": "burn", "provider": {"type": "slo", "slo": "checkout", "window": "1h"}, "tolerance": {"max": 20}},
                {"type": "probe", "name": "5xx", "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "query", "arguments": {"query": "sum(x)"}}, "tolerance": {"type": "range", "range": [0, 0.01]}},
                {"name": "up", "provider": {"type": "prometheus", "query": "up"}, "tolerance": 1}
            ]
        },
        "method": [
            {"type": "action", "name": "delete pod", "provider": {"type": "process", "path": "kubectl", "arguments": ["delete", "pod", 3, true], "timeout": 30}, "pauses": {"before": "5s", "after": 1800}}
        ],
        "rollbacks": [
            {"name": "restart", "provider": {"type": "process", "path": "kubectl", "arguments": ["rollout", "restart"]}}
        ],
        "extensions": [
            {"name": "other"},
            {"name": "flightdeck", "blast_radius": {"slos": ["checkout"], "labels": {"namespace": "shop", "pod": ["a", "b"]}}, "budget_limit": 0.1, "min_budget_left": 0.3, "max_duration": "45m", "audited": {"by": "lee", "on": "2026-03-01"}}
        ]
    })
}

#[test]
fn experiment_messages() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let set = |pointer: &'static str, v: Value| -> Edit {
        Box::new(move |d: &mut Value| *d.pointer_mut(pointer).expect(pointer) = v.clone())
    };
    let remove = |pointer: &'static str, key: &'static str| -> Edit {
        Box::new(move |d: &mut Value| {
            d.pointer_mut(pointer)
                .expect(pointer)
                .as_object_mut()
                .unwrap()
                .remove(key);
        })
    };
    let add = |pointer: &'static str, key: &'static str, v: Value| -> Edit {
        Box::new(move |d: &mut Value| {
            d.pointer_mut(pointer)
                .expect(pointer)
                .as_object_mut()
                .unwrap()
                .insert(key.to_string(), v.clone());
        })
    };
    let ssh = "/steady-state-hypothesis";
    let p0 = "/steady-state-hypothesis/probes/0";
    let p1 = "/steady-state-hypothesis/probes/1";
    let m0 = "/method/0";
    let ext = "/extensions/1";
    let br = "/extensions/1/blast_radius";
    let cases: Vec<(&str, Edit)> = vec![
        ("good", Box::new(|_: &mut Value| {})),
        ("not a mapping", Box::new(|d: &mut Value| *d = json!([1]))),
        ("secrets", add("", "secrets", json!({}))),
        ("controls", add("", "controls", json!([]))),
        ("no title", remove("", "title")),
        ("empty title", set("/title", json!(" "))),
        ("title a number", set("/title", json!(3))),
        ("description", set("/description", json!([]))),
        ("tags", set("/tags", json!("a"))),
        ("tag", set("/tags", json!(["", "b"]))),
        ("no steady state", remove("", "steady-state-hypothesis")),
        ("steady state a list", set(ssh, json!([]))),
        ("no hypothesis", remove(ssh, "title")),
        (
            "no probes",
            set("/steady-state-hypothesis/probes", json!([])),
        ),
        ("probe ref", add(p0, "ref", json!("x"))),
        (
            "probe type",
            set("/steady-state-hypothesis/probes/0/type", json!("action")),
        ),
        ("probe no name", remove(p0, "name")),
        ("probe no provider", remove(p0, "provider")),
        (
            "probe provider type",
            set(
                "/steady-state-hypothesis/probes/0/provider/type",
                json!("http"),
            ),
        ),
        (
            "prometheus no query",
            set(
                "/steady-state-hypothesis/probes/0/provider",
                json!({"type": "prometheus"}),
            ),
        ),
        (
            "chaosprometheus no arguments",
            remove("/steady-state-hypothesis/probes/1/provider", "arguments"),
        ),
        (
            "chaosprometheus no query",
            set(
                "/steady-state-hypothesis/probes/1/provider/arguments",
                json!({}),
            ),
        ),
        (
            "slo no slo",
            remove("/steady-state-hypothesis/probes/0/provider", "slo"),
        ),
        (
            "slo window",
            set(
                "/steady-state-hypothesis/probes/0/provider/window",
                json!("2m"),
            ),
        ),
        (
            "slo no window",
            remove("/steady-state-hypothesis/probes/0/provider", "window"),
        ),
        ("no tolerance", remove(p0, "tolerance")),
        (
            "tolerance range",
            set(
                "/steady-state-hypothesis/probes/1/tolerance/range",
                json!([1]),
            ),
        ),
        (
            "tolerance bounds",
            set(
                "/steady-state-hypothesis/probes/1/tolerance/range",
                json!([2, 1]),
            ),
        ),
        (
            "tolerance min max",
            set(
                "/steady-state-hypothesis/probes/0/tolerance",
                json!({"min": 5, "max": 1}),
            ),
        ),
        (
            "tolerance text",
            set("/steady-state-hypothesis/probes/0/tolerance", json!("low")),
        ),
        (
            "tolerance number",
            set(
                "/steady-state-hypothesis/probes/0/tolerance",
                json!({"max": "x"}),
            ),
        ),
        ("no method", remove("", "method")),
        ("empty method", set("/method", json!([]))),
        ("action ref", add(m0, "ref", json!("x"))),
        ("action probe", add(m0, "type", json!("probe"))),
        ("action type", set("/method/0/type", json!("thing"))),
        ("action no name", remove(m0, "name")),
        ("action no provider", remove(m0, "provider")),
        ("action http", set("/method/0/provider/type", json!("http"))),
        ("action no type", remove("/method/0/provider", "type")),
        ("action no path", remove("/method/0/provider", "path")),
        (
            "arguments text",
            set("/method/0/provider/arguments", json!("delete pod x")),
        ),
        (
            "arguments item",
            set("/method/0/provider/arguments", json!(["a", {"b": 1}])),
        ),
        (
            "arguments mapping",
            set("/method/0/provider/arguments", json!({"a": 1})),
        ),
        (
            "arguments null",
            set("/method/0/provider/arguments", Value::Null),
        ),
        ("timeout", set("/method/0/provider/timeout", json!(-1))),
        (
            "timeout text",
            set("/method/0/provider/timeout", json!("-5s")),
        ),
        ("timeout list", set("/method/0/provider/timeout", json!([]))),
        ("pauses", set("/method/0/pauses", json!(3))),
        ("pause before", set("/method/0/pauses/before", json!("x"))),
        ("pause after", set("/method/0/pauses/after", json!(1e9))),
        ("rollbacks", set("/rollbacks", json!({}))),
        ("rollbacks null", set("/rollbacks", Value::Null)),
        ("rollback", set("/rollbacks/0", json!("x"))),
        ("no extensions", remove("", "extensions")),
        ("extensions mapping", set("/extensions", json!({}))),
        ("no flightdeck", set("/extensions", json!([{"name": "x"}]))),
        ("extension unknown key", add(ext, "budget", json!(1))),
        ("no blast radius", remove(ext, "blast_radius")),
        ("blast radius list", set(br, json!([]))),
        ("no slos", remove(br, "slos")),
        (
            "slo empty",
            set("/extensions/1/blast_radius/slos", json!([""])),
        ),
        (
            "labels",
            set("/extensions/1/blast_radius/labels", json!([])),
        ),
        (
            "label value",
            set("/extensions/1/blast_radius/labels/pod", json!(3)),
        ),
        (
            "label values",
            set("/extensions/1/blast_radius/labels/pod", json!([])),
        ),
        (
            "label item",
            set("/extensions/1/blast_radius/labels/pod", json!(["a", 1])),
        ),
        ("blast radius unknown key", add(br, "services", json!([]))),
        ("no labels", remove(br, "labels")),
        (
            "budget limit",
            set("/extensions/1/budget_limit", json!(1.5)),
        ),
        (
            "budget limit text",
            set("/extensions/1/budget_limit", json!("5%")),
        ),
        ("no budget limit", remove(ext, "budget_limit")),
        (
            "min budget left",
            set("/extensions/1/min_budget_left", json!(0)),
        ),
        ("no min budget left", remove(ext, "min_budget_left")),
        ("no max duration", remove(ext, "max_duration")),
        (
            "max duration zero",
            set("/extensions/1/max_duration", json!(0)),
        ),
        (
            "max duration long",
            set("/extensions/1/max_duration", json!("2d")),
        ),
        (
            "max duration seconds",
            set("/extensions/1/max_duration", json!(700000)),
        ),
        (
            "audited",
            set("/extensions/1/audited", json!({"by": "lee"})),
        ),
        ("audited null", set("/extensions/1/audited", Value::Null)),
        ("probe a list", set(p1, json!([]))),
    ];
    let mut out = String::new();
    for (name, edit) in &cases {
        let mut doc = experiment_doc();
        edit(&mut doc);
        let _ = writeln!(out, "## {name}");
        match Experiment::parse("e.json", &doc.to_string()) {
            Ok(e) => {
                let _ = writeln!(out, "ok: {}", serde_json::to_string(&e).unwrap());
            }
            Err(e) => {
                let _ = writeln!(out, "{e}\n{e:?}");
            }
        }
    }
    insta::assert_snapshot!(out);
}

// ---- the recording writer -------------------------------------------------------------------

/// The demo recorded between 32 and 38 minutes in, five minutes of alert history (and the
/// samples of two minutes around the start only, to keep it short): the YAML
/// with its timeline inline, and with an events file.
#[test]
fn recorded_scenario_text() {
    let loaded = demo();
    let scenario = &loaded.scenario;
    let since = scenario.start + SignedDuration::from_mins(32);
    let until = scenario.start + SignedDuration::from_mins(38);
    let mut session = flightdeck::replay::ReplaySession::new(
        scenario.clone(),
        loaded.knowledge.clone(),
        flightdeck::cockpit::CockpitConfig::default(),
    );
    session.advance_to(until);
    let mut alerts = Vec::new();
    let mut samples = Vec::new();
    for e in &scenario.events {
        match &e.event {
            ScenarioEvent::Alert(a) => alerts.push(TimedAlert {
                at: e.at,
                alert: a.clone(),
            }),
            ScenarioEvent::Sample { slo, good, total }
                if e.at >= since - SignedDuration::from_mins(1)
                    && e.at <= since + SignedDuration::from_mins(1) =>
            {
                samples.push(SampleRecord {
                    ts: e.at,
                    slo: slo.clone(),
                    good: *good,
                    total: *total,
                })
            }
            _ => {}
        }
    }
    let group_by = vec!["service".to_string()];
    let knowledge = vec!["runbooks".to_string()];
    let input = RecordInput {
        id: "recorded-demo".into(),
        title: "the demo, recorded".into(),
        summary: String::new(),
        since,
        until,
        journal: session.records(),
        alerts: &alerts,
        samples: &samples,
        slos: &scenario.slos,
        topology: &scenario.topology,
        group_by: Some(&group_by),
        knowledge: &knowledge,
        alert_history: SignedDuration::from_mins(5),
    };
    let inline = record_scenario_parts(&input, None).unwrap();
    assert!(inline.events.is_none());
    let split = record_scenario_parts(&input, Some("recorded.jsonl")).unwrap();
    assert_eq!(inline.stats, split.stats);
    insta::assert_snapshot!(
        "recorded_inline",
        format!("{:?}\n{}", inline.stats, inline.scenario)
    );
    insta::assert_snapshot!(
        "recorded_with_events_file",
        format!("{}\n---\n{}", split.scenario, split.events.unwrap())
    );
}

// ---- the debrief's text ---------------------------------------------------------------------

#[test]
fn debrief_text() {
    let loaded = demo();
    let script = DrillScript::parse(
        "pinned.yaml",
        "- {at: 20m, hypothesis: \"the deploy holds the connections\"}\n\
         - {at: 25m, approve: checkout-high-error-rate/no-such-step}\n\
         - {at: 30m, reject: checkout-high-error-rate/rollback, reason: \"not yet\"}\n\
         - {at: 41m, approve: checkout-high-error-rate/rollback}\n",
    )
    .unwrap();
    let (run, session) = drill_run(&loaded, "tess", &script);
    let d = debrief(
        &loaded.scenario,
        &loaded.knowledge,
        session.records(),
        &run.attempts,
        loaded.scenario.end(),
    );
    insta::assert_snapshot!(
        "debrief_full",
        format!("{}\n---\n{}", d.to_text(), d.to_text_in_progress())
    );
}

// ---- the chaos gate, report and drafts ------------------------------------------------------

const EXPERIMENT: &str = include_str!("../../assets/scenarios/chaos-halt/experiment.yaml");

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

fn observed(secs: i64, remaining: f64) -> Observation {
    Observation {
        at: at(secs),
        mode: Mode::Adaptive,
        budget_mode: Mode::Adaptive,
        drift: false,
        budgets: vec![SloHeadroom {
            slo: "checkout-availability".into(),
            remaining: Some(remaining),
            stale: false,
            burn: vec![],
        }],
        probes: vec![
            ProbeReading {
                name: "checkout availability burn (1h)".into(),
                value: Ok(2.0),
                skipped: false,
            },
            ProbeReading {
                name: "checkout 5xx ratio".into(),
                value: Ok(0.001),
                skipped: true,
            },
        ],
        firing: vec![],
        alerts_unknown: None,
    }
}

fn gate_on(e: &Experiment, obs: &Observation, spent: &BTreeMap<String, f64>) -> String {
    let d = gate(&GateInput {
        experiment: e,
        mode: Mode::Adaptive,
        budget_mode: obs.budget_mode,
        override_by: None,
        drift: obs.drift,
        budgets: &obs.budgets,
        firing: &obs.firing,
        probes: &obs.probes,
        approvals: &[],
        spent,
        config: GateConfig::default(),
        alerts_unknown: obs.alerts_unknown.clone(),
    });
    d.text()
}

#[test]
fn chaos_texts() {
    let e = Experiment::parse("experiment.yaml", EXPERIMENT).unwrap();
    let mut out = String::new();
    // The gate: open, then every check failing.
    let calm = observed(0, 0.63);
    let _ = writeln!(
        out,
        "# gate, calm\n{}",
        gate_on(&e, &calm, &BTreeMap::new())
    );
    let mut bad = observed(0, 0.2);
    bad.budget_mode = Mode::Freeze;
    bad.probes[0].value = Ok(30.0);
    bad.probes[1].skipped = false;
    bad.probes[1].value = Err("no data".into());
    bad.firing.push(flightdeck::chaos::FiringAlert {
        cluster: "C1".into(),
        alertname: "CheckoutDown".into(),
        labels: BTreeMap::from([
            ("namespace".into(), "shop".into()),
            ("pod".into(), "checkout-7c5d9b8f4-5ktll".into()),
        ]),
        critical: true,
    });
    let spent = BTreeMap::from([("checkout-availability".to_string(), 0.5)]);
    let _ = writeln!(
        out,
        "# gate, everything wrong\n{}",
        gate_on(&e, &bad, &spent)
    );
    let mut unknown = observed(0, 0.63);
    unknown.drift = true;
    unknown.budgets[0].stale = true;
    unknown.alerts_unknown = Some("alertmanager is down".into());
    let _ = writeln!(
        out,
        "# gate, unknowns\n{}",
        gate_on(&e, &unknown, &BTreeMap::new())
    );

    // One run halted by the guard, one completed, one refused; the report and drafts.
    let author = Author {
        actor: "dana".into(),
        role: flightdeck::actions::Role::Oncall.into(),
        launch: None,
    };
    let approvals = [flightdeck::actions::Approval {
        by: "lee".into(),
        role: flightdeck::actions::Role::Commander,
        mode: Mode::Adaptive,
    }];
    let ok = StepResult {
        ok: true,
        exit_code: Some(0),
        summary: "exit 0".into(),
        duration_ms: 5,
        dry_run: false,
    };
    let mut chain = Chain::default();
    let mut records = Vec::new();
    for (start, halts) in [(0, true), (10_000, false)] {
        let s0 = observed(start, 0.63);
        let d = gate(&GateInput {
            experiment: &e,
            mode: Mode::Adaptive,
            budget_mode: Mode::Adaptive,
            override_by: None,
            drift: false,
            budgets: &s0.budgets,
            firing: &[],
            probes: &s0.probes,
            approvals: &approvals,
            spent: &BTreeMap::new(),
            config: GateConfig::default(),
            alerts_unknown: None,
        });
        assert!(d.may_start, "{}", d.text());
        let run = run_id(&e, at(start));
        let rec = RunRecords {
            author: &author,
            run: &run,
            experiment: &e,
            dry_run: false,
        };
        let mut g = Guard::new(&e, &s0, d.limits());
        records.push(chain.seal(start_entry(&rec, &d, &approvals, &s0), at(start)));
        records.push(chain.seal(
            step_entry(&rec, "method", 0, &e.method[0], &ok),
            at(start + 1),
        ));
        let mut seen = observed(start + 60, if halts { 0.5 } else { 0.62 });
        seen.firing.push(flightdeck::chaos::FiringAlert {
            cluster: "C9".into(),
            alertname: "PodRestarting".into(),
            labels: BTreeMap::from([("namespace".into(), "shop".into())]),
            critical: false,
        });
        let breach = g.observe(&e, &seen);
        assert_eq!(breach.is_some(), halts);
        if let Some(b) = &breach {
            records.push(chain.seal(abort_entry(&rec, b, &seen, &g), at(start + 60)));
        }
        records.push(chain.seal(
            step_entry(&rec, "rollback", 0, &e.rollbacks[0], &ok),
            at(start + 61),
        ));
        let hypothesis = if halts {
            Hypothesis::Undecided
        } else {
            Hypothesis::Held
        };
        records.push(chain.seal(
            end_entry(&rec, &g, hypothesis, true, at(start + 62)),
            at(start + 62),
        ));
    }
    let refused = gate(&GateInput {
        experiment: &e,
        mode: Mode::Adaptive,
        budget_mode: Mode::Freeze,
        override_by: Some("lee".into()),
        drift: false,
        budgets: &bad.budgets,
        firing: &[],
        probes: &calm.probes,
        approvals: &[],
        spent: &BTreeMap::new(),
        config: GateConfig::default(),
        alerts_unknown: None,
    });
    let _ = writeln!(out, "# gate, overridden\n{}", refused.text());
    records.push(chain.seal(refused_entry(&author, &e, &refused, false), at(20_000)));
    let (summaries, refusals) = runs(&records);
    let _ = writeln!(out, "# report\n{}", report_text(&summaries, &refusals));
    for r in &summaries {
        let _ = writeln!(
            out,
            "# postmortem draft\n{}",
            draft_markdown(r, DraftKind::Postmortem)
        );
        let _ = writeln!(
            out,
            "# runbook draft\n{}",
            draft_markdown(r, DraftKind::Runbook)
        );
    }
    insta::assert_snapshot!(out);
}
