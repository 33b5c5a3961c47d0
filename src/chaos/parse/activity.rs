//! An experiment's activities: the steady state's probes (where the value comes from, its
//! tolerance) and the method's and rollbacks' actions (a process: the program and its argv).

use serde::Deserialize;
use serde_json::Value;

use super::{Map, R, Walker, join, shape};
use crate::chaos::experiment::{Action, Probe, ProbeSource, Tolerance};
use crate::slo::Window;
use crate::time::SignedDuration;

impl Walker<'_> {
    fn name(&self, o: &Map, at: &str) -> R<String> {
        self.string(
            o.get("name")
                .ok_or_else(|| self.err(join(at, "name"), "missing: every activity has a name"))?,
            &join(at, "name"),
        )
    }

    pub(super) fn probe(&self, v: &Value, at: &str) -> R<Probe> {
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
        let source = self.probe_source(p, &p_at)?;
        let tolerance = self.tolerance(o.get("tolerance"), &join(at, "tolerance"))?;
        Ok(Probe {
            name,
            source,
            tolerance,
        })
    }

    /// Where a probe's value comes from: a PromQL query (flightdeck's or Chaos Toolkit's
    /// chaosprometheus) or an SLO's burn rate.
    fn probe_source(&self, p: &Map, p_at: &str) -> R<ProbeSource> {
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
        let source = match kind {
            "prometheus" => ProbeSource::Prometheus {
                query: self.string(
                    p.get("query").ok_or_else(|| {
                        self.err(join(p_at, "query"), "missing: the PromQL query")
                    })?,
                    &join(p_at, "query"),
                )?,
            },
            "python"
                if p.get("module").and_then(Value::as_str) == Some("chaosprometheus.probes")
                    && p.get("func").and_then(Value::as_str) == Some("query") =>
            {
                let args_at = join(p_at, "arguments");
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
                        .ok_or_else(|| self.err(join(p_at, "slo"), "missing: the SLO's name"))?,
                    &join(p_at, "slo"),
                )?;
                let w_at = join(p_at, "window");
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
                    join(p_at, "type"),
                    format!(
                        "{other:?} is not a probe flightdeck can read: use `type: prometheus` \
                         with a `query`, `type: slo` with an `slo` (and a `window`), or Chaos \
                         Toolkit's chaosprometheus.probes query"
                    ),
                ));
            }
        };
        Ok(source)
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

    pub(super) fn action(&self, v: &Value, at: &str) -> R<Action> {
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
        let argv = self.argv(path, p, &p_at)?;
        let timeout = o
            .get("timeout")
            .or_else(|| p.get("timeout"))
            .map(|v| self.duration(v, &join(at, "timeout")))
            .transpose()?;
        let (pause_before, pause_after) = self.pauses(o, at)?;
        Ok(Action {
            name,
            argv,
            timeout,
            pause_before,
            pause_after,
        })
    }

    /// The program and its `arguments`, a list (shell text is refused, never split).
    fn argv(&self, path: String, p: &Map, p_at: &str) -> R<Vec<String>> {
        let args_at = join(p_at, "arguments");
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
        Ok(argv)
    }

    /// The `pauses` before and after an action (zero when not given).
    fn pauses(&self, o: &Map, at: &str) -> R<(SignedDuration, SignedDuration)> {
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
        Ok((pause_before, pause_after))
    }
}
