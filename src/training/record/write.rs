//! The recorded scenario as text: the YAML head (metadata, topology, SLOs), then the samples
//! and timeline either inline in the YAML or as the JSON Lines of an events file.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::decision::Decision;
use super::select::AlertEvent;
use super::{RecordInput, RecordStats};
use crate::alerts::AlertState;
use crate::slo::SampleRecord;
use crate::time::{SignedDuration, Timestamp};

/// YAML double-quoted scalar (JSON string syntax is a subset of it).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn flow_map(m: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}: {}", q(k), q(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// An exact duration in the scenario syntax (`-31d`, `1h30m`, `0s`); `None` with sub-seconds.
fn exact_duration(d: SignedDuration) -> Option<String> {
    if d.subsec_nanos() != 0 {
        return None;
    }
    let secs = d.as_secs();
    if secs == 0 {
        return Some("0s".into());
    }
    let mut s = secs.unsigned_abs();
    let mut out = String::from(if secs < 0 { "-" } else { "" });
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= n {
            let _ = write!(out, "{}{unit}", s / n);
            s %= n;
        }
    }
    Some(out)
}

/// `at:` of an event: an offset from the start, else an RFC 3339 timestamp.
fn at_text(start: Timestamp, at: Timestamp) -> String {
    exact_duration(at.duration_since(start)).unwrap_or_else(|| q(&at.to_string()))
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "0".into()
    }
}

/// What a recording holds, ready to write.
pub(super) struct Recording<'a> {
    pub(super) since: Timestamp,
    pub(super) samples: Vec<&'a SampleRecord>,
    pub(super) alert_events: Vec<AlertEvent<'a>>,
    pub(super) decisions: Vec<(Timestamp, Decision)>,
}

/// One moment of the timeline: an alert event or a decision, by index.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Moment {
    Alert(usize),
    Decision(usize),
}

/// The scenario's head: comments, metadata, knowledge, grouping, topology and SLOs.
pub(super) fn head(input: &RecordInput<'_>, stats: &RecordStats, source: &str) -> String {
    let (since, until) = (input.since, input.until);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Recorded by `flightdeck scenario record` from {source}, {since} .. {until}."
    );
    let _ = writeln!(
        o,
        "# {} samples, {} alert events, {} reference decisions. Format: docs/FORMATS.md.",
        stats.samples, stats.alert_events, stats.decisions
    );
    let _ = writeln!(o, "version: 1");
    let _ = writeln!(o, "id: {}", q(&input.id));
    let _ = writeln!(o, "title: {}", q(&input.title));
    let summary = if input.summary.trim().is_empty() {
        format!("Recorded from {source} between {since} and {until}.")
    } else {
        input.summary.clone()
    };
    let _ = writeln!(o, "summary: {}", q(&summary));
    let _ = writeln!(o, "start: {since}");
    let duration = until.duration_since(since);
    let whole =
        SignedDuration::from_secs(duration.as_secs() + i64::from(duration.subsec_nanos() != 0));
    let _ = writeln!(
        o,
        "duration: {}",
        exact_duration(whole).unwrap_or_else(|| "1s".into())
    );
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(o, "knowledge: [{}]", list(input.knowledge));
    if let Some(g) = input.group_by {
        let _ = writeln!(o, "group_by: [{}]", list(g));
    }
    if !input.topology.is_empty() {
        let _ = writeln!(o, "topology:");
        for (svc, deps) in input.topology {
            let _ = writeln!(o, "  {}: [{}]", q(svc), list(deps));
        }
    }
    slos(&mut o, input);
    o
}

fn slos(o: &mut String, input: &RecordInput<'_>) {
    let _ = writeln!(o, "slos:");
    if input.slos.is_empty() {
        o.truncate(o.len() - 1);
        let _ = writeln!(o, " []");
    }
    for s in input.slos {
        let window = exact_duration(s.window).unwrap_or_else(|| "30d".into());
        let _ = writeln!(
            o,
            "  - {{name: {}, service: {}, objective: {}, window: {window}, description: {}}}",
            q(&s.name),
            q(&s.service),
            num(s.objective),
            q(&s.description)
        );
    }
}

impl Recording<'_> {
    /// Alerts and decisions by time; alerts first at equal times (what the responders saw).
    fn timeline(&self) -> Vec<(Timestamp, Moment)> {
        let mut timeline: Vec<(Timestamp, Moment)> = Vec::new();
        timeline.extend(
            self.alert_events
                .iter()
                .enumerate()
                .map(|(i, e)| (e.at, Moment::Alert(i))),
        );
        timeline.extend(
            self.decisions
                .iter()
                .enumerate()
                .map(|(i, (at, _))| (*at, Moment::Decision(i))),
        );
        timeline.sort();
        timeline
    }

    /// `events:` naming the file, and that file's JSON Lines: the samples, then the timeline.
    pub(super) fn events_file(&self, o: &mut String, name: &str) -> String {
        let since = self.since;
        let _ = writeln!(o, "events: {}", q(name));
        let _ = writeln!(o, "samples: []");
        let _ = writeln!(o, "timeline: []");
        let at = |t: Timestamp| exact_duration(t.duration_since(since)).unwrap_or(t.to_string());
        let mut lines = String::new();
        let mut line = |v: serde_json::Value| {
            lines.push_str(&v.to_string());
            lines.push('\n');
        };
        for s in &self.samples {
            line(serde_json::json!({"at": at(s.ts), "sample": {
                "slo": s.slo, "good": s.good, "total": s.total}}));
        }
        for (t, moment) in self.timeline() {
            match moment {
                Moment::Alert(i) => line(alert_json(&self.alert_events[i], at(t))),
                Moment::Decision(i) => line(
                    serde_json::json!({"at": at(t), "decision": decision_json(&self.decisions[i].1)}),
                ),
            }
        }
        lines
    }

    /// The samples and timeline inline in the YAML.
    pub(super) fn inline(&self, o: &mut String) {
        let since = self.since;
        let _ = writeln!(o, "samples:");
        if self.samples.is_empty() {
            o.truncate(o.len() - 1);
            let _ = writeln!(o, " []");
        }
        for s in &self.samples {
            let _ = writeln!(
                o,
                "  - {{at: {}, slo: {}, good: {}, total: {}}}",
                at_text(since, s.ts),
                q(&s.slo),
                num(s.good),
                num(s.total)
            );
        }
        let timeline = self.timeline();
        let _ = writeln!(o, "timeline:");
        if timeline.is_empty() {
            o.truncate(o.len() - 1);
            let _ = writeln!(o, " []");
        }
        for (at, moment) in timeline {
            let _ = writeln!(o, "  - at: {}", at_text(since, at));
            match moment {
                Moment::Alert(i) => alert_yaml(o, &self.alert_events[i]),
                Moment::Decision(i) => decision_yaml(o, &self.decisions[i].1),
            }
        }
    }
}

/// An alert event as one JSON Lines object.
fn alert_json(e: &AlertEvent<'_>, at: String) -> serde_json::Value {
    let mut a = serde_json::json!({"labels": e.alert.labels});
    if e.resolve {
        return serde_json::json!({"at": at, "resolve": a});
    }
    if !e.alert.annotations.is_empty() {
        a["annotations"] = serde_json::json!(e.alert.annotations);
    }
    if e.alert.state == AlertState::Suppressed {
        a["silenced"] = serde_json::json!(true);
    }
    serde_json::json!({"at": at, "fire": a})
}

/// A decision's JSON object (the value of `decision`).
fn decision_json(d: &Decision) -> serde_json::Value {
    let mut v = serde_json::json!({"actor": d.actor, "role": d.role, "kind": d.kind});
    for (key, x) in [
        ("text", &d.text),
        ("step", &d.step),
        ("outcome", &d.outcome),
    ] {
        if let Some(x) = x {
            v[key] = serde_json::json!(x);
        }
    }
    if let Some(argv) = &d.argv {
        v["argv"] = serde_json::json!(argv);
    }
    v
}

/// An alert event under its `- at:` line in the YAML timeline.
fn alert_yaml(o: &mut String, e: &AlertEvent<'_>) {
    if e.resolve {
        let _ = writeln!(o, "    resolve:");
        let _ = writeln!(o, "      labels: {}", flow_map(&e.alert.labels));
    } else {
        let _ = writeln!(o, "    fire:");
        let _ = writeln!(o, "      labels: {}", flow_map(&e.alert.labels));
        if !e.alert.annotations.is_empty() {
            let _ = writeln!(o, "      annotations: {}", flow_map(&e.alert.annotations));
        }
        if e.alert.state == AlertState::Suppressed {
            let _ = writeln!(o, "      silenced: true");
        }
    }
}

/// A decision under its `- at:` line in the YAML timeline.
fn decision_yaml(o: &mut String, d: &Decision) {
    let _ = writeln!(o, "    decision:");
    let _ = writeln!(o, "      actor: {}", q(&d.actor));
    let _ = writeln!(o, "      role: {}", d.role);
    let _ = writeln!(o, "      kind: {}", d.kind);
    for (key, v) in [
        ("text", &d.text),
        ("step", &d.step),
        ("outcome", &d.outcome),
    ] {
        if let Some(v) = v {
            let _ = writeln!(o, "      {key}: {}", q(v));
        }
    }
    if let Some(argv) = &d.argv {
        let items: Vec<String> = argv.iter().map(|a| q(a)).collect();
        let _ = writeln!(o, "      argv: [{}]", items.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact() {
        let d = |s: i64| exact_duration(SignedDuration::from_secs(s)).unwrap();
        assert_eq!(d(0), "0s");
        assert_eq!(d(-31 * 86_400), "-31d");
        assert_eq!(d(5_400), "1h30m");
        assert_eq!(d(90_061), "1d1h1m1s");
        assert_eq!(exact_duration(SignedDuration::from_millis(1500)), None);
    }
}
