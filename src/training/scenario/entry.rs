//! A scenario's samples and timeline events as one list of entries, from the YAML and from its
//! `events:` file alike, each with where it was written (for messages).

use serde_saphyr::Spanned;

use super::ScenarioError;
use super::raw::{JsonEvent, RawAlert, RawEvent, RawSample};

/// Where an entry was written.
pub(super) struct Origin {
    /// 0: the scenario file; 1: its events file.
    pub(super) file: usize,
    /// `timeline[3]`, `samples[0]` (scenario) or empty (events file: the line says where).
    pub(super) name: String,
}

impl Origin {
    /// `timeline[3].fire.labels`, or `fire.labels` in an events file.
    pub(super) fn field(&self, sub: &str) -> String {
        if self.name.is_empty() {
            sub.trim_start_matches('.').to_string()
        } else {
            format!("{}{sub}", self.name)
        }
    }
}

/// A sample or timeline event from the scenario or its `events:` file.
pub(super) struct Entry {
    pub(super) origin: Origin,
    pub(super) at: String,
    pub(super) at_line: Option<u64>,
    pub(super) body: Body,
}

pub(super) enum Body {
    Fire(RawAlert),
    Resolve(RawAlert),
    Decision(Dec),
    Sample(Smp),
    /// None or several of fire, resolve, decision (and sample).
    NotOne,
}

pub(super) struct Dec {
    pub(super) actor: String,
    pub(super) role: String,
    pub(super) role_line: Option<u64>,
    pub(super) kind: String,
    pub(super) kind_line: Option<u64>,
    pub(super) text: Option<String>,
    pub(super) step: Option<String>,
    pub(super) outcome: Option<String>,
    pub(super) argv: Option<Vec<String>>,
}

pub(super) struct Smp {
    pub(super) slo: String,
    pub(super) slo_line: Option<u64>,
    pub(super) good: f64,
    pub(super) good_line: Option<u64>,
    pub(super) total: f64,
}

fn at_line(s: &Spanned<String>) -> Option<u64> {
    Some(s.referenced.line())
}

/// The entries the scenario file itself holds: its `samples`, then its `timeline`.
pub(super) fn scenario_entries(samples: Vec<RawSample>, timeline: Vec<RawEvent>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::with_capacity(samples.len() + timeline.len());
    for (i, smp) in samples.into_iter().enumerate() {
        entries.push(Entry {
            origin: Origin {
                file: 0,
                name: format!("samples[{i}]"),
            },
            at_line: at_line(&smp.at),
            at: smp.at.value,
            body: Body::Sample(Smp {
                slo_line: at_line(&smp.slo),
                slo: smp.slo.value,
                good_line: Some(smp.good.referenced.line()),
                good: smp.good.value,
                total: smp.total,
            }),
        });
    }
    for (i, e) in timeline.into_iter().enumerate() {
        let count = e.fire.is_some() as u8 + e.resolve.is_some() as u8 + e.decision.is_some() as u8;
        let body = if count != 1 {
            Body::NotOne
        } else if let Some(a) = e.fire {
            Body::Fire(a)
        } else if let Some(a) = e.resolve {
            Body::Resolve(a)
        } else if let Some(d) = e.decision {
            Body::Decision(Dec {
                actor: d.actor,
                role_line: at_line(&d.role),
                role: d.role.value,
                kind_line: at_line(&d.kind),
                kind: d.kind.value,
                text: d.text,
                step: d.step,
                outcome: d.outcome,
                argv: d.argv,
            })
        } else {
            Body::NotOne
        };
        entries.push(Entry {
            origin: Origin {
                file: 0,
                name: format!("timeline[{i}]"),
            },
            at_line: at_line(&e.at),
            at: e.at.value,
            body,
        });
    }
    entries
}

/// The entries of an events file (JSON Lines; blank lines and `#` comments skipped).
pub(super) fn json_entries(path: &str, text: &str) -> Result<Vec<Entry>, ScenarioError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = Some(n as u64 + 1);
        let l = line.trim().trim_start_matches('\u{feff}');
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let e: JsonEvent = serde_json::from_str(l).map_err(|e| ScenarioError {
            path: path.to_string(),
            line: line_no,
            column: None,
            field: String::new(),
            message: format!(
                "not a scenario event ({e}); write one JSON object a line, e.g. {JSON_EXAMPLE}"
            ),
            fix: String::new(),
        })?;
        out.push(json_entry(e, line_no));
    }
    Ok(out)
}

/// What a line of an events file looks like, for messages.
const JSON_EXAMPLE: &str = "{\"at\": \"5m\", \"fire\": {\"labels\": {\"alertname\": \"X\"}}}";

/// The entry of an events file's line `line_no`.
fn json_entry(e: JsonEvent, line_no: Option<u64>) -> Entry {
    let count = e.fire.is_some() as u8
        + e.resolve.is_some() as u8
        + e.decision.is_some() as u8
        + e.sample.is_some() as u8;
    let body = if count != 1 {
        Body::NotOne
    } else if let Some(a) = e.fire {
        Body::Fire(a)
    } else if let Some(a) = e.resolve {
        Body::Resolve(a)
    } else if let Some(d) = e.decision {
        Body::Decision(Dec {
            actor: d.actor,
            role: d.role,
            role_line: line_no,
            kind: d.kind,
            kind_line: line_no,
            text: d.text,
            step: d.step,
            outcome: d.outcome,
            argv: d.argv,
        })
    } else if let Some(smp) = e.sample {
        Body::Sample(Smp {
            slo: smp.slo,
            slo_line: line_no,
            good: smp.good,
            good_line: line_no,
            total: smp.total,
        })
    } else {
        Body::NotOne
    };
    Entry {
        origin: Origin {
            file: 1,
            name: String::new(),
        },
        at: e.at,
        at_line: line_no,
        body,
    }
}
