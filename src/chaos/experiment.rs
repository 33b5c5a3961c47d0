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
use crate::time::{SignedDuration, format_duration, parse_duration};

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
        Walker { path }.experiment(&doc)
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

struct Walker<'a> {
    path: &'a str,
}

type R<T> = Result<T, ExperimentError>;

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

impl Walker<'_> {
    fn err(&self, at: impl AsRef<str>, message: impl Into<String>) -> ExperimentError {
        ExperimentError {
            path: self.path.to_string(),
            line: None,
            column: None,
            at: at.as_ref().to_string(),
            message: message.into(),
        }
    }

    fn object<'v>(&self, v: &'v Value, at: &str) -> R<&'v serde_json::Map<String, Value>> {
        v.as_object()
            .ok_or_else(|| self.err(at, format!("must be a mapping, not {}", shape(v))))
    }

    fn string(&self, v: &Value, at: &str) -> R<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Value::String(_) => Err(self.err(at, "must not be empty")),
            other => Err(self.err(at, format!("must be text, not {}", shape(other)))),
        }
    }

    fn number(&self, v: &Value, at: &str) -> R<f64> {
        match v.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => Err(self.err(at, format!("must be a number, not {}", shape(v)))),
        }
    }

    /// A duration: a number of seconds (Chaos Toolkit) or text like `90s`, `5m`.
    fn duration(&self, v: &Value, at: &str) -> R<SignedDuration> {
        let d = match v {
            Value::Number(n) => {
                let secs = n
                    .as_f64()
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0 * 7.0)
                    .ok_or_else(|| self.err(at, "must be 0 to 604800 seconds"))?;
                SignedDuration::from_secs_f64(secs)
            }
            Value::String(s) => parse_duration(s).map_err(|m| self.err(at, m))?,
            other => {
                return Err(self.err(
                    at,
                    format!(
                        "must be seconds (a number) or a duration like 90s or 5m, not {}",
                        shape(other)
                    ),
                ));
            }
        };
        if d.is_negative() {
            return Err(self.err(at, "must not be negative"));
        }
        Ok(d)
    }

    fn experiment(&self, doc: &Value) -> R<Experiment> {
        let top = self.object(doc, "")?;
        for refused in ["secrets", "controls"] {
            if top.contains_key(refused) {
                return Err(self.err(
                    refused,
                    format!(
                        "Chaos Toolkit {refused} are not supported by flightdeck: remove them \
                         (steps run with the executor's environment allowlist)"
                    ),
                ));
            }
        }
        let title = self.string(
            top.get("title")
                .ok_or_else(|| self.err("title", "missing: give the experiment a title"))?,
            "title",
        )?;
        let description = top
            .get("description")
            .map(|v| self.string(v, "description"))
            .transpose()?;
        let tags = match top.get("tags") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.string(v, &format!("tags[{i}]")))
                .collect::<R<Vec<_>>>()?,
            Some(other) => {
                return Err(self.err("tags", format!("must be a list, not {}", shape(other))));
            }
        };

        let ssh_at = "steady-state-hypothesis";
        let ssh = top.get(ssh_at).ok_or_else(|| {
            self.err(
                ssh_at,
                "missing: say what should stay true (a title and probes with tolerances)",
            )
        })?;
        let ssh = self.object(ssh, ssh_at)?;
        let hypothesis = self.string(
            ssh.get("title").ok_or_else(|| {
                self.err(
                    join(ssh_at, "title"),
                    "missing: the hypothesis, e.g. \"checkout keeps serving under a bad pod\"",
                )
            })?,
            &join(ssh_at, "title"),
        )?;
        let probes_at = join(ssh_at, "probes");
        let probes = match ssh.get("probes") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.probe(v, &format!("{probes_at}[{i}]")))
                .collect::<R<Vec<_>>>()?,
            _ => {
                return Err(self.err(
                    probes_at,
                    "needs at least one probe (a Prometheus query or an SLO's burn rate with a \
                     tolerance)",
                ));
            }
        };

        let method = match top.get("method") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.action(v, &format!("method[{i}]")))
                .collect::<R<Vec<_>>>()?,
            _ => {
                return Err(self.err(
                    "method",
                    "needs at least one action (type: action, provider: {type: process, path, \
                     arguments: [...]})",
                ));
            }
        };
        let rollbacks = match top.get("rollbacks") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.action(v, &format!("rollbacks[{i}]")))
                .collect::<R<Vec<_>>>()?,
            Some(other) => {
                return Err(self.err(
                    "rollbacks",
                    format!("must be a list of actions, not {}", shape(other)),
                ));
            }
        };

        // flightdeck's extension.
        let ext = match top.get("extensions") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .find(|(_, e)| e.get("name").and_then(Value::as_str) == Some("flightdeck")),
            Some(other) => {
                return Err(self.err(
                    "extensions",
                    format!("must be a list, not {}", shape(other)),
                ));
            }
            None => None,
        };
        let Some((ei, ext)) = ext else {
            return Err(self.err(
                "extensions",
                "no flightdeck extension: add `extensions: [{name: flightdeck, blast_radius: \
                 {slos: [...], labels: {...}}, budget_limit: 0.05, max_duration: 10m}]` — \
                 flightdeck runs no experiment without a blast radius, a budget limit and a \
                 time limit",
            ));
        };
        let ext_at = format!("extensions[{ei}]");
        let ext = self.object(ext, &ext_at)?;
        const KNOWN: [&str; 6] = [
            "name",
            "blast_radius",
            "budget_limit",
            "max_duration",
            "min_budget_left",
            "audited",
        ];
        if let Some(k) = ext.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(self.err(
                join(&ext_at, k),
                format!(
                    "unknown key (the flightdeck extension knows {})",
                    KNOWN[1..].join(", ")
                ),
            ));
        }
        let br_at = join(&ext_at, "blast_radius");
        let br = self.object(
            ext.get("blast_radius").ok_or_else(|| {
                self.err(
                    &br_at,
                    "missing: name the SLOs whose budget it spends and the labels it may touch",
                )
            })?,
            &br_at,
        )?;
        let slos_at = join(&br_at, "slos");
        let slos = match br.get("slos") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.string(v, &format!("{slos_at}[{i}]")))
                .collect::<R<Vec<_>>>()?,
            _ => {
                return Err(self.err(
                    slos_at,
                    "needs at least one SLO name (the SLOs whose budget the experiment spends)",
                ));
            }
        };
        let labels_at = join(&br_at, "labels");
        let mut labels = BTreeMap::new();
        if let Some(v) = br.get("labels") {
            for (k, v) in self.object(v, &labels_at)? {
                let at = join(&labels_at, k);
                let values = match v {
                    Value::Array(items) if !items.is_empty() => items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| self.string(v, &format!("{at}[{i}]")))
                        .collect::<R<Vec<_>>>()?,
                    Value::String(_) => vec![self.string(v, &at)?],
                    other => {
                        return Err(self.err(
                            at,
                            format!("must be a value or a list of values, not {}", shape(other)),
                        ));
                    }
                };
                labels.insert(k.clone(), values);
            }
        }
        if let Some(k) = br
            .keys()
            .find(|k| !["slos", "labels"].contains(&k.as_str()))
        {
            return Err(self.err(
                join(&br_at, k),
                "unknown key (a blast radius has slos and labels)",
            ));
        }
        let share = |key: &str, what: &str| -> R<Option<f64>> {
            let at = join(&ext_at, key);
            match ext.get(key) {
                None => Ok(None),
                Some(v) => {
                    let x = self.number(v, &at)?;
                    if x > 0.0 && x <= 1.0 {
                        Ok(Some(x))
                    } else {
                        Err(self.err(
                            at,
                            format!("{x} is not a share in (0, 1]: {what}, e.g. 0.05 for 5%"),
                        ))
                    }
                }
            }
        };
        let budget_limit = share(
            "budget_limit",
            "the share of the remaining budget the run may spend",
        )?
        .ok_or_else(|| {
            self.err(
                join(&ext_at, "budget_limit"),
                "missing: the share of the remaining budget the run may spend, e.g. 0.05",
            )
        })?;
        let min_budget_left = share(
            "min_budget_left",
            "the least share of budget left for the run to start",
        )?;
        let dur_at = join(&ext_at, "max_duration");
        let max_duration = self.duration(
            ext.get("max_duration").ok_or_else(|| {
                self.err(
                    &dur_at,
                    "missing: how long the run may last at most, e.g. 10m",
                )
            })?,
            &dur_at,
        )?;
        if max_duration.is_zero() || max_duration > MAX_DURATION {
            return Err(self.err(
                dur_at,
                format!(
                    "{} is outside 1s to {}",
                    format_duration(max_duration),
                    format_duration(MAX_DURATION)
                ),
            ));
        }
        let audited = match ext.get("audited") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let at = join(&ext_at, "audited");
                Some(Audit::deserialize(v).map_err(|e| {
                    self.err(
                        at,
                        format!("{e} (write `audited: {{by: NAME, on: YYYY-MM-DD}}`)"),
                    )
                })?)
            }
        };
        Ok(Experiment {
            title,
            description,
            hypothesis,
            tags,
            probes,
            method,
            rollbacks,
            blast_radius: BlastRadius { labels, slos },
            budget_limit,
            max_duration,
            min_budget_left,
            audited,
        })
    }

    fn name(&self, o: &serde_json::Map<String, Value>, at: &str) -> R<String> {
        self.string(
            o.get("name")
                .ok_or_else(|| self.err(join(at, "name"), "missing: every activity has a name"))?,
            &join(at, "name"),
        )
    }

    fn probe(&self, v: &Value, at: &str) -> R<Probe> {
        let o = self.object(v, at)?;
        if o.contains_key("ref") {
            return Err(self.err(
                join(at, "ref"),
                "references to other activities are not supported: write the probe out",
            ));
        }
        if let Some(t) = o.get("type").and_then(Value::as_str)
            && t != "probe"
        {
            return Err(self.err(
                join(at, "type"),
                format!("{t:?}: the steady state holds probes only (type: probe)"),
            ));
        }
        let name = self.name(o, at)?;
        let p_at = join(at, "provider");
        let p = self.object(
            o.get("provider")
                .ok_or_else(|| self.err(&p_at, "missing: where the value comes from"))?,
            &p_at,
        )?;
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
        let source = match kind {
            "prometheus" => ProbeSource::Prometheus {
                query: self.string(
                    p.get("query").ok_or_else(|| {
                        self.err(join(&p_at, "query"), "missing: the PromQL query")
                    })?,
                    &join(&p_at, "query"),
                )?,
            },
            "python"
                if p.get("module").and_then(Value::as_str) == Some("chaosprometheus.probes")
                    && p.get("func").and_then(Value::as_str) == Some("query") =>
            {
                let args_at = join(&p_at, "arguments");
                let args = self.object(
                    p.get("arguments")
                        .ok_or_else(|| self.err(&args_at, "missing: {query: ...}"))?,
                    &args_at,
                )?;
                ProbeSource::Prometheus {
                    query: self.string(
                        args.get("query").ok_or_else(|| {
                            self.err(join(&args_at, "query"), "missing: the PromQL query")
                        })?,
                        &join(&args_at, "query"),
                    )?,
                }
            }
            "slo" => {
                let slo = self.string(
                    p.get("slo")
                        .ok_or_else(|| self.err(join(&p_at, "slo"), "missing: the SLO's name"))?,
                    &join(&p_at, "slo"),
                )?;
                let w_at = join(&p_at, "window");
                let window = match p.get("window") {
                    None => Window::M5,
                    Some(v) => Window::deserialize(v).map_err(|_| {
                        self.err(
                            w_at,
                            format!(
                                "{v} is not a burn window (5m, 30m, 1h, 2h, 6h, 1d, 3d or slo)"
                            ),
                        )
                    })?,
                };
                ProbeSource::Slo { slo, window }
            }
            other => {
                return Err(self.err(
                    join(&p_at, "type"),
                    format!(
                        "{other:?} is not a probe flightdeck can read: use `type: prometheus` \
                         with a `query`, `type: slo` with an `slo` (and a `window`), or Chaos \
                         Toolkit's chaosprometheus.probes query"
                    ),
                ));
            }
        };
        let tolerance = self.tolerance(o.get("tolerance"), &join(at, "tolerance"))?;
        Ok(Probe {
            name,
            source,
            tolerance,
        })
    }

    fn tolerance(&self, v: Option<&Value>, at: &str) -> R<Tolerance> {
        let hint = "write a number (the exact value), `{type: range, range: [LOW, HIGH]}` or \
                    `{max: HIGH}` / `{min: LOW}`";
        let t = match v {
            None => return Err(self.err(at, format!("missing: {hint}"))),
            Some(Value::Number(_)) => {
                let x = self.number(v.unwrap_or(&Value::Null), at)?;
                Tolerance {
                    min: Some(x),
                    max: Some(x),
                }
            }
            Some(Value::Object(o)) if o.get("type").and_then(Value::as_str) == Some("range") => {
                let r_at = join(at, "range");
                match o.get("range") {
                    Some(Value::Array(b)) if b.len() == 2 => Tolerance {
                        min: Some(self.number(&b[0], &format!("{r_at}[0]"))?),
                        max: Some(self.number(&b[1], &format!("{r_at}[1]"))?),
                    },
                    _ => return Err(self.err(r_at, "must be [LOW, HIGH]")),
                }
            }
            Some(Value::Object(o)) if o.contains_key("min") || o.contains_key("max") => Tolerance {
                min: o
                    .get("min")
                    .map(|v| self.number(v, &join(at, "min")))
                    .transpose()?,
                max: o
                    .get("max")
                    .map(|v| self.number(v, &join(at, "max")))
                    .transpose()?,
            },
            Some(other) => {
                return Err(self.err(
                    at,
                    format!(
                        "{} is not a tolerance flightdeck can check: {hint}",
                        shape(other)
                    ),
                ));
            }
        };
        if let (Some(lo), Some(hi)) = (t.min, t.max)
            && lo > hi
        {
            return Err(self.err(
                at,
                format!("the low bound {lo} is above the high bound {hi}"),
            ));
        }
        Ok(t)
    }

    fn action(&self, v: &Value, at: &str) -> R<Action> {
        let o = self.object(v, at)?;
        if o.contains_key("ref") {
            return Err(self.err(
                join(at, "ref"),
                "references to other activities are not supported: write the action out",
            ));
        }
        match o.get("type").and_then(Value::as_str) {
            Some("action") | None => {}
            Some("probe") => {
                return Err(self.err(
                    join(at, "type"),
                    "probes in the method or rollbacks are not supported: move the probe into \
                     the steady-state-hypothesis (it is watched the whole run)",
                ));
            }
            Some(other) => {
                return Err(self.err(join(at, "type"), format!("{other:?} is not an action")));
            }
        }
        let name = self.name(o, at)?;
        let p_at = join(at, "provider");
        let p = self.object(
            o.get("provider")
                .ok_or_else(|| self.err(&p_at, "missing: {type: process, path, arguments}"))?,
            &p_at,
        )?;
        match p.get("type").and_then(Value::as_str) {
            Some("process") => {}
            other => {
                return Err(self.err(
                    join(&p_at, "type"),
                    format!(
                        "{} is not supported: flightdeck runs processes only (type: process, \
                         path, arguments as a list); call an HTTP endpoint with curl, a Python \
                         function with python3 -c",
                        other.map_or("a missing type".to_string(), |t| format!("{t:?}"))
                    ),
                ));
            }
        }
        let path = self.string(
            p.get("path")
                .ok_or_else(|| self.err(join(&p_at, "path"), "missing: the program to run"))?,
            &join(&p_at, "path"),
        )?;
        let args_at = join(&p_at, "arguments");
        let mut argv = vec![path];
        match p.get("arguments") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) => argv.push(s.clone()),
                        Value::Number(n) => argv.push(n.to_string()),
                        Value::Bool(b) => argv.push(b.to_string()),
                        other => {
                            return Err(self.err(
                                format!("{args_at}[{i}]"),
                                format!("must be text, not {}", shape(other)),
                            ));
                        }
                    }
                }
            }
            Some(Value::String(s)) => {
                return Err(self.err(
                    args_at,
                    format!(
                        "is shell text ({s:?}): flightdeck never splits or interprets a \
                         command line; write the arguments as a list, one element each, e.g. \
                         arguments: [{}]",
                        s.split_whitespace()
                            .map(|w| format!("{w:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            Some(other) => {
                return Err(self.err(
                    args_at,
                    format!("must be a list of arguments, not {}", shape(other)),
                ));
            }
        }
        let timeout = o
            .get("timeout")
            .or_else(|| p.get("timeout"))
            .map(|v| self.duration(v, &join(at, "timeout")))
            .transpose()?;
        let (mut pause_before, mut pause_after) = (SignedDuration::ZERO, SignedDuration::ZERO);
        if let Some(pauses) = o.get("pauses") {
            let pat = join(at, "pauses");
            let pauses = self.object(pauses, &pat)?;
            if let Some(v) = pauses.get("before") {
                pause_before = self.duration(v, &join(&pat, "before"))?;
            }
            if let Some(v) = pauses.get("after") {
                pause_after = self.duration(v, &join(&pat, "after"))?;
            }
        }
        Ok(Action {
            name,
            argv,
            timeout,
            pause_before,
            pause_after,
        })
    }
}

fn shape(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
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
