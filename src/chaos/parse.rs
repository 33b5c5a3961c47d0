//! Reading an experiment document (already JSON or YAML turned into a value) into an
//! [`Experiment`], by hand, so that every error names its place in the document
//! (`method[1].provider.arguments`) and says what to write instead. What the fields mean is in
//! docs/FORMATS.md, "Experiments"; the types are in [`super::experiment`].
//!
//! Size: a little over 600 lines: one walker over the whole format, each section a method
//! sharing its located errors; split further it would only pass the walker around.

use std::collections::BTreeMap;

use serde_json::Value;

use super::experiment::*;
use crate::actions::Audit;
use crate::slo::Window;
use serde::Deserialize;

use crate::time::{SignedDuration, format_duration, parse_duration};

pub(super) struct Walker<'a> {
    pub(super) path: &'a str,
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

    pub(super) fn experiment(&self, doc: &Value) -> R<Experiment> {
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
