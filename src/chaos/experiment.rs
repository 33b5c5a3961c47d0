//! The experiment file: Chaos Toolkit's experiment format (JSON or YAML) with flightdeck's
//! extension (`extensions: [{name: flightdeck, …}]`). See docs/FORMATS.md, "Experiments".
//!
//! The file is read into a JSON value first (serde_json for `.json`, serde-saphyr for YAML), so
//! a syntax error carries its line and column; the document is then walked by hand, so every
//! other error names the place in the document (`method[1].provider.arguments`) and says what
//! to write instead.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::actions::Audit;
use crate::slo::Window;
use crate::time::SignedDuration;

/// The longest an experiment may declare to run.
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(24);

/// A parsed experiment, ready for the gate, the guard and the runner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What should stay true while the method runs (the steady-state hypothesis's title).
    pub hypothesis: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The steady state: each probe must be within its tolerance before, during and after.
    pub probes: Vec<Probe>,
    /// What the experiment does, in order.
    pub method: Vec<Action>,
    /// What undoes it; run after the method, and at once when the guard halts it.
    pub rollbacks: Vec<Action>,
    pub blast_radius: BlastRadius,
    /// The share of the remaining budget (of each SLO in the blast radius, at the start) the
    /// run may spend, in (0, 1].
    pub budget_limit: f64,
    /// The run ends (method halted, rollbacks run) when this much time has passed.
    #[serde(with = "duration_text")]
    pub max_duration: SignedDuration,
    /// The least share of budget that must be left on each SLO in the blast radius for the
    /// run to start; it can only raise the cockpit's floor, never lower it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_budget_left: Option<f64>,
    /// Reviewed and signed off: the policy treats the experiment as pre-audited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audited: Option<Audit>,
}

/// The labels and SLOs an experiment may touch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastRadius {
    /// An alert is inside the blast radius when each of these labels has one of the values.
    pub labels: BTreeMap<String, Vec<String>>,
    /// The SLOs whose budget the experiment spends (at least one).
    pub slos: Vec<String>,
}

impl BlastRadius {
    /// Whether an alert with `labels` is inside: every blast-radius label has one of its
    /// values (no labels: everything is inside).
    pub fn contains(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels
            .iter()
            .all(|(k, vs)| labels.get(k).is_some_and(|v| vs.iter().any(|x| x == v)))
    }

    pub fn describe(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| {
                if v.len() == 1 {
                    format!("{k}={}", v[0])
                } else {
                    format!("{k}∈{{{}}}", v.join(","))
                }
            })
            .collect();
        format!(
            "SLOs {}; alerts {}",
            self.slos.join(", "),
            if labels.is_empty() {
                "any".to_string()
            } else {
                labels.join(" ")
            }
        )
    }
}

/// One steady-state probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub name: String,
    pub source: ProbeSource,
    pub tolerance: Tolerance,
}

/// Where a probe's value comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProbeSource {
    /// A PromQL instant query whose answer is one number (one series, or a scalar).
    Prometheus { query: String },
    /// An SLO's burn rate over a window, from the cockpit's own budget engine.
    Slo { slo: String, window: Window },
}

impl fmt::Display for ProbeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeSource::Prometheus { query } => write!(f, "prometheus: {query}"),
            ProbeSource::Slo { slo, window } => write!(f, "{slo} burn rate over {window:?}"),
        }
    }
}

/// The values a probe may take: `min ≤ value ≤ max` (either bound may be open).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Tolerance {
    pub fn holds(&self, v: f64) -> bool {
        v.is_finite() && self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }

    /// How close `v` came to the edge of the tolerance: `v / max` for the ceiling, `min / v` for
    /// the floor, the larger of the two (an exact tolerance is 0 when met): 0 = comfortably
    /// inside, 1 = on the edge, above 1 = outside. Used for "what almost broke".
    pub fn closeness(&self, v: f64) -> f64 {
        if !v.is_finite() {
            return f64::INFINITY;
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo == hi
        {
            // An exact value: right or wrong.
            return if v == lo { 0.0 } else { f64::INFINITY };
        }
        // Each bound on its own, as a ratio: `v / max` (how far up to the ceiling) and
        // `min / v` (how far down to the floor); a bound at zero or below is measured by sign.
        let up = match self.max {
            Some(hi) if hi > 0.0 => (v / hi).max(0.0),
            Some(hi) if v <= hi => 0.0,
            Some(_) => f64::INFINITY,
            None => 0.0,
        };
        let down = match self.min {
            Some(lo) if lo > 0.0 && v > 0.0 => lo / v,
            Some(lo) if lo > 0.0 => f64::INFINITY,
            Some(lo) if v >= lo => 0.0,
            Some(_) => f64::INFINITY,
            None => 0.0,
        };
        up.max(down)
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(lo), Some(hi)) => write!(f, "{lo} ≤ v ≤ {hi}"),
            (Some(lo), None) => write!(f, "v ≥ {lo}"),
            (None, Some(hi)) => write!(f, "v ≤ {hi}"),
            (None, None) => f.write_str("any value"),
        }
    }
}

/// One step of the method or of the rollbacks: a process, as an argv (never shell text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub name: String,
    pub argv: Vec<String>,
    #[serde(
        default,
        with = "opt_duration_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<SignedDuration>,
    #[serde(default, with = "duration_text")]
    pub pause_before: SignedDuration,
    #[serde(default, with = "duration_text")]
    pub pause_after: SignedDuration,
}

/// A problem in an experiment file: where, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExperimentError {
    pub path: String,
    /// Line and column, for syntax errors.
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// The place in the document, e.g. `method[1].provider.arguments`.
    pub at: String,
    pub message: String,
}

impl fmt::Display for ExperimentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        if !self.at.is_empty() {
            write!(f, ": {}", self.at)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ExperimentError {}

/// Whether `path` names a JSON document (else YAML).
fn is_json(path: &str, text: &str) -> bool {
    path.ends_with(".json")
        || (!path.ends_with(".yaml")
            && !path.ends_with(".yml")
            && text.trim_start().starts_with('{'))
}

impl Experiment {
    /// Parses an experiment; `path` names the file in messages and picks JSON (`.json`) or YAML.
    pub fn parse(path: &str, text: &str) -> Result<Experiment, ExperimentError> {
        let syntax = |line: Option<u64>, column: Option<u64>, message: String| ExperimentError {
            path: path.to_string(),
            line,
            column,
            at: String::new(),
            message,
        };
        let doc: Value = if is_json(path, text) {
            serde_json::from_str(text).map_err(|e| {
                let message = e.to_string();
                let message = match message.rfind(" at line ") {
                    Some(i) => message[..i].to_string(),
                    None => message,
                };
                syntax(Some(e.line() as u64), Some(e.column() as u64), message)
            })?
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let (line, column) = e
                    .location()
                    .map(|l| (Some(l.line()), Some(l.column())))
                    .unwrap_or((None, None));
                let mut message = e.without_snippet().to_string();
                if let Some(i) = message.rfind(" at line ") {
                    message.truncate(i);
                }
                let message = message.lines().next().unwrap_or_default().to_string();
                syntax(line, column, message)
            })?
        };
        super::parse::Walker { path }.experiment(&doc)
    }

    /// A short content digest (BLAKE3 of the canonical JSON, 16 hex digits): approvals bind to
    /// it, so an edited experiment needs new approvals.
    pub fn digest(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        blake3::hash(&bytes).to_hex()[..16].to_string()
    }

    /// Every argv the experiment may run (method, then rollbacks), for display and approval.
    pub fn argvs(&self) -> impl Iterator<Item = &Vec<String>> {
        self.method.iter().chain(&self.rollbacks).map(|a| &a.argv)
    }
}

mod duration_text {
    use crate::time::{SignedDuration, format_duration, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SignedDuration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SignedDuration, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

mod opt_duration_text {
    use crate::time::{SignedDuration, format_duration, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<SignedDuration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SignedDuration>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const YAML: &str = r#"
version: 1.0.0
title: Bad queries against Prometheus
description: Does the query SLO survive a burst of malformed queries?
tags: [prometheus]
steady-state-hypothesis:
  title: Prometheus keeps answering good queries
  probes:
    - type: probe
      name: prometheus is up
      provider: {type: prometheus, query: "up{job=\"prometheus\"}"}
      tolerance: 1
    - type: probe
      name: query burn
      provider: {type: slo, slo: prom-queries, window: 5m}
      tolerance: {max: 50}
method:
  - type: action
    name: flood
    provider:
      type: process
      path: curl
      arguments: ["-s", "http://127.0.0.1:9090/api/v1/query?query=%28"]
    pauses: {after: 1}
rollbacks:
  - type: action
    name: stop flooding
    provider: {type: process, path: "true"}
extensions:
  - name: flightdeck
    blast_radius:
      slos: [prom-queries]
      labels: {job: prometheus}
    budget_limit: 0.05
    max_duration: 2m
"#;

    #[test]
    fn parses_the_chaos_toolkit_shape_with_the_extension() {
        let e = Experiment::parse("e.yaml", YAML).unwrap();
        assert_eq!(e.title, "Bad queries against Prometheus");
        assert_eq!(e.hypothesis, "Prometheus keeps answering good queries");
        assert_eq!(e.probes.len(), 2);
        assert_eq!(e.probes[0].tolerance.min, Some(1.0));
        assert_eq!(e.method[0].argv[0], "curl");
        assert_eq!(e.method[0].pause_after, SignedDuration::from_secs(1));
        assert_eq!(e.blast_radius.slos, vec!["prom-queries"]);
        assert_eq!(e.budget_limit, 0.05);
        assert_eq!(e.max_duration, SignedDuration::from_mins(2));
        // JSON reads the same.
        let v: Value = serde_saphyr::from_str(YAML).unwrap();
        let json = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(Experiment::parse("e.json", &json).unwrap(), e);
    }

    #[test]
    fn shell_text_is_refused_with_the_list_to_write() {
        let text = YAML.replace(
            r#"arguments: ["-s", "http://127.0.0.1:9090/api/v1/query?query=%28"]"#,
            r#"arguments: "-s http://x""#,
        );
        let e = Experiment::parse("e.yaml", &text).unwrap_err();
        assert_eq!(e.at, "method[0].provider.arguments");
        assert!(e.message.contains(r#"["-s", "http://x"]"#), "{e}");
    }

    #[test]
    fn errors_name_the_place() {
        let cases = [
            (
                "budget_limit: 0.05",
                "budget_limit: 5",
                "extensions[0].budget_limit",
            ),
            (
                "max_duration: 2m",
                "max_duration: forever",
                "extensions[0].max_duration",
            ),
            (
                "slos: [prom-queries]",
                "slos: []",
                "extensions[0].blast_radius.slos",
            ),
            (
                "tolerance: 1",
                "tolerance: [1]",
                "steady-state-hypothesis.probes[0].tolerance",
            ),
            (
                "type: slo,",
                "type: http,",
                "steady-state-hypothesis.probes[1].provider.type",
            ),
            (
                "window: 5m",
                "window: 7m",
                "steady-state-hypothesis.probes[1].provider.window",
            ),
            ("- name: flightdeck", "- name: other", "extensions"),
        ];
        for (from, to, at) in cases {
            let text = YAML.replace(from, to);
            assert_ne!(text, YAML, "{from}");
            let e = Experiment::parse("e.yaml", &text).unwrap_err();
            assert_eq!(e.at, at, "{from} -> {to}: {e}");
            assert!(e.to_string().starts_with("e.yaml: "), "{e}");
        }
        let e = Experiment::parse("e.yaml", "title: [unclosed").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
        let e = Experiment::parse("e.json", "{\"title\": }").unwrap_err();
        assert_eq!(e.line, Some(1), "{e:?}");
    }

    proptest::proptest! {
        /// Any edit of a valid file (bytes cut, replaced or inserted) is an experiment or a
        /// located error, never a panic; what parses is usable (digest, serialisation, the gate).
        #[test]
        fn edits_never_panic(cuts in proptest::collection::vec((0usize..2000, 0usize..8, proptest::prelude::any::<u8>()), 1..6)) {
            let mut bytes = YAML.as_bytes().to_vec();
            for (at, len, b) in cuts {
                let at = at % bytes.len().max(1);
                let end = (at + len).min(bytes.len());
                bytes.splice(at..end, [b]);
            }
            let text = String::from_utf8_lossy(&bytes);
            match Experiment::parse("e.yaml", &text) {
                Ok(e) => {
                    let _ = e.digest();
                    let _ = serde_json::to_string(&e).unwrap();
                    proptest::prop_assert!(!e.method.is_empty() && !e.probes.is_empty());
                    proptest::prop_assert!(e.budget_limit > 0.0 && e.budget_limit <= 1.0);
                }
                Err(err) => proptest::prop_assert!(!err.to_string().is_empty()),
            }
            let _ = Experiment::parse("e.json", &text);
        }
    }

    #[test]
    fn the_digest_follows_the_content() {
        let a = Experiment::parse("e.yaml", YAML).unwrap();
        let b = Experiment::parse("e.yaml", &YAML.replace("%28", "%29")).unwrap();
        assert_eq!(a.digest(), a.clone().digest());
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn blast_radius_matches_labels() {
        let e = Experiment::parse("e.yaml", YAML).unwrap();
        let l = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert!(e.blast_radius.contains(&l("job", "prometheus")));
        assert!(!e.blast_radius.contains(&l("job", "checkout")));
        assert!(!e.blast_radius.contains(&l("service", "prometheus")));
    }

    #[test]
    fn tolerance_closeness() {
        let t = Tolerance {
            min: None,
            max: Some(10.0),
        };
        assert_eq!(t.closeness(5.0), 0.5);
        assert!(t.holds(10.0) && !t.holds(10.5));
        let r = Tolerance {
            min: Some(0.0),
            max: Some(2.0),
        };
        assert_eq!(r.closeness(1.0), 0.5);
        assert_eq!(r.closeness(2.0), 1.0);
        assert!(r.closeness(-1.0).is_infinite());
        let floor = Tolerance {
            min: Some(0.99),
            max: None,
        };
        assert!(floor.closeness(0.99) == 1.0 && floor.closeness(0.5) > 1.0);
        let exact = Tolerance {
            min: Some(1.0),
            max: Some(1.0),
        };
        assert_eq!(exact.closeness(1.0), 0.0);
        assert!(exact.closeness(0.0).is_infinite());
    }
}
