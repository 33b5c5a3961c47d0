//! Fuzz targets: one function a parser, taking arbitrary bytes. Each feeds the bytes to the
//! parser flightdeck uses on that input and then to what consumes the parsed value (clustering,
//! the knowledge index, budgets, a replay, the cockpit), so that a value the parser lets through
//! cannot panic further in. A target returns normally for any input; a panic is the bug.
//!
//! Shared by the coverage-guided libFuzzer binaries in `fuzz/` (built on stable Rust, see
//! docs/FUZZING.md) and the smoke run of `cargo test` (`tests/suite/fuzz_smoke.rs`), so both
//! exercise exactly the same code.
//!
//! Inputs are capped at [`MAX_INPUT`] bytes: the interesting structure of these formats is
//! small, and the parsers' own size limits are tested elsewhere.

use std::collections::BTreeMap;

use crate::alerts::{ClusterConfig, KnownPatterns, cluster_report_with, parse_alerts};
use crate::cockpit::{Cockpit, CockpitConfig, Event};
use crate::knowledge::{DocKind, KnowledgeBase, MatchQuery};
use crate::time::{SignedDuration, Timestamp};

/// The largest input a target looks at (longer inputs are cut).
pub const MAX_INPUT: usize = 64 * 1024;

/// A fuzz target: any bytes in, a return (a panic is a bug).
pub type Target = fn(&[u8]);

/// Every target, by name (the names of the binaries in `fuzz/fuzz_targets/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("alerts_api", alerts_api),
    ("webhook_body", webhook_body),
    ("prometheus_answer", prometheus_answer),
    ("markdown", markdown),
    ("knowledge_index", knowledge_index),
    ("slo_spec", slo_spec),
    ("slo_samples", slo_samples),
    ("scenario", scenario),
    ("drill_script", drill_script),
    ("config", config),
    ("journal_lines", journal_lines),
    ("durations", durations),
];

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&data[..data.len().min(MAX_INPUT)])
}

fn t0() -> Timestamp {
    Timestamp::constant(1_773_323_700, 0) // 2026-03-12T13:55:00Z
}

/// Alerts as clustered: the report, its text and JSON, and knowledge matches for each alert.
fn consume_alerts(parsed: &crate::alerts::ParsedAlerts) {
    if parsed.alerts.len() > 200 {
        return;
    }
    let report = cluster_report_with(
        parsed,
        &ClusterConfig::default(),
        &KnownPatterns::new(["PostgresConnectionPoolExhausted", "NodeDown"]),
    );
    let _ = report.to_text();
    let _ = serde_json::to_string(&report);
    let mut cockpit = Cockpit::new(
        CockpitConfig::default(),
        Vec::new(),
        KnowledgeBase::default(),
        t0(),
    );
    for a in &parsed.alerts {
        let _ = MatchQuery::from_alert(&a.labels, &a.annotations);
        let now = a.starts_at.max(t0());
        let _ = cockpit.apply(Event::Alert(a.clone()), now);
    }
    let _ = cockpit.snapshot();
}

/// Alertmanager API v2 bodies (`GET /api/v2/alerts`, an array; JSON Lines of either shape) and
/// `GET /api/v2/status`.
pub fn alerts_api(data: &[u8]) {
    let t = text(data);
    let parsed = parse_alerts(&t);
    consume_alerts(&parsed);
    let _ = serde_json::from_str::<crate::sources::alertmanager::AmStatus>(&t);
}

/// Alertmanager webhook (v4) notification bodies, checked as the receiver checks them (a JSON
/// object with an `alerts` array) and parsed as it parses them.
pub fn webhook_body(data: &[u8]) {
    let data = &data[..data.len().min(MAX_INPUT)];
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(data)
    else {
        return;
    };
    if !matches!(obj.get("alerts"), Some(serde_json::Value::Array(_))) {
        return;
    }
    let Ok(t) = std::str::from_utf8(data) else {
        return;
    };
    consume_alerts(&parse_alerts(t));
}

/// Prometheus HTTP API answers: the first byte picks the HTTP status, the rest is the body,
/// decoded as an instant query's and as a range query's answer would be.
pub fn prometheus_answer(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let status = [200, 200, 200, 400, 422, 503, 500, 204][usize::from(first % 8)];
    let body = text(body);
    use crate::sources::prometheus::{decode_answer, decode_instant, decode_range};
    if let Ok(d) = decode_answer(status, &body) {
        let _ = decode_instant(d);
    }
    if let Ok(d) = decode_answer(status, &body)
        && let Ok(series) = decode_range(d)
    {
        for s in series {
            for (ms, v) in s.values {
                let _ = (Timestamp::from_millisecond(ms), v.is_finite());
            }
        }
    }
    let _ = crate::sources::prometheus::parse_value(&body);
}

/// Markdown documents with or without front matter, as a runbook and as a postmortem: parsed and
/// linted (the index over them is `knowledge_index`).
pub fn markdown(data: &[u8]) {
    let t = text(data);
    let today = jiff::civil::date(2026, 3, 12);
    if let Ok(rb) = crate::knowledge::parse_runbook("fuzz.md", &t) {
        let _ = crate::knowledge::lint::runbook_staleness(
            &rb,
            today,
            &crate::knowledge::lint::StalenessInputs::default(),
        );
        for s in &rb.steps {
            let _ = crate::knowledge::lint::option_injection(s);
            let _ = crate::actions::step::validate_argv(s.argv());
        }
    }
    if let Ok(pm) = crate::knowledge::parse_postmortem("postmortems/fuzz.md", &t) {
        let _ = crate::knowledge::lint::lint_postmortem(&pm);
    }
}

/// The knowledge base built over one hostile document read both as a runbook and as a
/// postmortem: indexed, searched, matched against an alert. Apart from `markdown` so that the
/// parser's target is not slowed by the index (see docs/FUZZING.md for the rates).
pub fn knowledge_index(data: &[u8]) {
    let t = text(data).into_owned();
    let (kb, _) = KnowledgeBase::from_documents([
        (DocKind::Runbook, "fuzz.md".to_string(), t.clone()),
        (DocKind::Postmortem, "postmortems/fuzz.md".to_string(), t),
    ]);
    let _ = kb.search("pool exhausted checkout", 5);
    let labels: BTreeMap<String, String> = [
        (
            "alertname".to_string(),
            "PostgresConnectionPoolExhausted".to_string(),
        ),
        ("service".to_string(), "postgres".to_string()),
    ]
    .into();
    let _ = kb.match_alerts(&MatchQuery::from_alert(&labels, &BTreeMap::new()));
    let _ = kb.known_alertnames();
}

/// OpenSLO and Sloth spec files: parsed, validated, and a budget computed for each SLO.
pub fn slo_spec(data: &[u8]) {
    let t = text(data);
    let Ok(parsed) = crate::slo::parse_slo_file("slo.yaml", &t) else {
        return;
    };
    let specs: Vec<crate::slo::SloSpec> = parsed.into_iter().map(|p| p.spec).collect();
    for s in &specs {
        let _ = s.validate();
    }
    let samples: Vec<crate::slo::SampleRecord> = specs
        .iter()
        .flat_map(|s| {
            [(0, 10.0, 10.0), (600, 15.0, 20.0)].map(|(dt, good, total)| crate::slo::SampleRecord {
                ts: t0() + SignedDuration::from_secs(dt),
                slo: s.name.clone(),
                good,
                total,
            })
        })
        .collect();
    let _ =
        crate::slo::status_report(&specs, &samples, t0() + SignedDuration::from_mins(10)).to_text();
}

/// SLI samples as JSON Lines (`slo status --samples`), with budgets computed at each sample.
pub fn slo_samples(data: &[u8]) {
    let t = text(data);
    let Ok(records) = crate::slo::parse_samples_jsonl("samples.jsonl", &t) else {
        return;
    };
    if records.len() > 500 {
        return;
    }
    let spec = crate::slo::SloSpec::new(
        "checkout-availability",
        "checkout",
        0.999,
        SignedDuration::from_hours(24 * 28),
    );
    let mut names: Vec<&str> = records.iter().map(|r| r.slo.as_str()).collect();
    names.dedup();
    let specs: Vec<crate::slo::SloSpec> = std::iter::once(spec.clone())
        .chain(names.into_iter().take(4).map(|n| crate::slo::SloSpec {
            name: n.to_string(),
            ..spec.clone()
        }))
        .collect();
    for at in records.iter().map(|r| r.ts).take(8) {
        let _ = crate::slo::status_report(&specs, &records, at).to_text();
    }
}

/// Scenario files: parsed, then replayed a little (as `replay --headless` would) and at their
/// end.
pub fn scenario(data: &[u8]) {
    let t = text(data);
    let Ok(s) = crate::training::Scenario::parse("scenario.yaml", &t) else {
        return;
    };
    if s.events.len() > 500 {
        return;
    }
    let early = crate::time::saturating_offset(s.start, SignedDuration::from_mins(2));
    let mut session = crate::replay::ReplaySession::new(
        s.clone(),
        KnowledgeBase::default(),
        CockpitConfig::default(),
    );
    session.advance_to(early);
    let _ = session.cockpit().snapshot();
    let _ = crate::training::drill::decision_times(&s);
}

/// Drill scripts: parsed and resolved against a scenario start.
pub fn drill_script(data: &[u8]) {
    let t = text(data);
    if let Ok(script) = crate::training::DrillScript::parse("drill.yaml", &t) {
        for start in [t0(), crate::time::EARLIEST, crate::time::LATEST] {
            let _ = script.timed(start);
        }
        let _ = serde_json::to_string(&script);
    }
}

/// The TOML config, resolved as `flightdeck check` resolves it (its SLO files do not exist).
pub fn config(data: &[u8]) {
    let t = text(data);
    let path = std::path::Path::new("/nonexistent-flightdeck-fuzz/flightdeck.toml");
    if let Ok(c) = crate::config::Config::parse(path, &t) {
        let _ = c.knowledge_dirs();
        let _ = c.cockpit_config();
    }
}

/// Journal lines: verified as a whole journal, and each line that parses as a record applied to
/// a cockpit (as records other cockpits journaled arrive) and rendered as a timeline and an
/// export (whoever can write the file can make any record verify).
pub fn journal_lines(data: &[u8]) {
    let data = &data[..data.len().min(MAX_INPUT)];
    let _ = crate::journal::verify_bytes(data, None);
    let mut verifier = crate::journal::Verifier::new();
    let mut records = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        let _ = verifier.feed(line);
        if let Ok(r) = serde_json::from_slice::<crate::journal::JournalRecord>(line) {
            records.push(r);
        }
    }
    if records.len() > 200 {
        return;
    }
    let mut cockpit = Cockpit::new(
        CockpitConfig::default(),
        Vec::new(),
        KnowledgeBase::default(),
        t0(),
    );
    for r in &records {
        let now = if crate::time::in_range(r.ts) {
            r.ts
        } else {
            t0()
        };
        let _ = cockpit.apply(Event::Journaled(r.clone()), now);
    }
    let _ = crate::journal::timeline_markdown(&records, None, None);
    let _ = crate::journal::export_jsonl(&records);
}

/// The duration and timestamp syntax every parser shares, and their arithmetic.
pub fn durations(data: &[u8]) {
    let t = text(data);
    if let Ok(d) = crate::time::parse_duration(&t) {
        let _ = crate::time::format_duration(d);
        for base in [crate::time::EARLIEST, crate::time::LATEST, t0()] {
            let _ = crate::time::checked_offset(base, d);
            let _ = crate::time::saturating_offset(base, d);
        }
    }
    if let Ok(ts) = crate::time::parse_timestamp(&t) {
        let _ = crate::time::clock_hms(ts);
    }
    let _ = crate::slo::openslo::parse_openslo_duration(&t);
}
