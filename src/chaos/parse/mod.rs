//! Reading an experiment document (already JSON or YAML turned into a value) into an
//! [`Experiment`], by hand, so that every error names its place in the document
//! (`method[1].provider.arguments`) and says what to write instead. What the fields mean is in
//! docs/FORMATS.md, "Experiments"; the types are in [`super::experiment`].
//!
//! One walker over the whole format, each section a method sharing its located errors: the top
//! level and the steady state here, the flightdeck extension in `extension`, probes and actions
//! in `activity`.

mod activity;
mod extension;

use serde_json::Value;

use super::experiment::*;

use crate::time::{SignedDuration, parse_duration};

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

type Map = serde_json::Map<String, Value>;

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

    fn object<'v>(&self, v: &'v Value, at: &str) -> R<&'v Map> {
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
        self.refuse_unsupported(top)?;
        let title = self.string(
            top.get("title")
                .ok_or_else(|| self.err("title", "missing: give the experiment a title"))?,
            "title",
        )?;
        let description = top
            .get("description")
            .map(|v| self.string(v, "description"))
            .transpose()?;
        let tags = self.tags(top)?;
        let (hypothesis, probes) = self.steady_state(top)?;
        let method = self.method(top)?;
        let rollbacks = self.rollbacks(top)?;
        let limits = self.limits(top)?;
        Ok(Experiment {
            title,
            description,
            hypothesis,
            tags,
            probes,
            method,
            rollbacks,
            blast_radius: limits.blast_radius,
            budget_limit: limits.budget_limit,
            max_duration: limits.max_duration,
            min_budget_left: limits.min_budget_left,
            audited: limits.audited,
        })
    }

    /// Chaos Toolkit's `secrets` and `controls` are refused.
    fn refuse_unsupported(&self, top: &Map) -> R<()> {
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
        Ok(())
    }

    fn tags(&self, top: &Map) -> R<Vec<String>> {
        match top.get("tags") {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.string(v, &format!("tags[{i}]")))
                .collect::<R<Vec<_>>>(),
            Some(other) => Err(self.err("tags", format!("must be a list, not {}", shape(other)))),
        }
    }

    /// The `steady-state-hypothesis`: its title and its probes.
    fn steady_state(&self, top: &Map) -> R<(String, Vec<Probe>)> {
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
        Ok((hypothesis, probes))
    }

    /// The `method`: at least one action.
    fn method(&self, top: &Map) -> R<Vec<Action>> {
        match top.get("method") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.action(v, &format!("method[{i}]")))
                .collect::<R<Vec<_>>>(),
            _ => Err(self.err(
                "method",
                "needs at least one action (type: action, provider: {type: process, path, \
                 arguments: [...]})",
            )),
        }
    }

    /// The `rollbacks`, if any.
    fn rollbacks(&self, top: &Map) -> R<Vec<Action>> {
        match top.get("rollbacks") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.action(v, &format!("rollbacks[{i}]")))
                .collect::<R<Vec<_>>>(),
            Some(other) => Err(self.err(
                "rollbacks",
                format!("must be a list of actions, not {}", shape(other)),
            )),
        }
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
