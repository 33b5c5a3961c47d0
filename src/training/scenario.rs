//! The scenario file (docs/FORMATS.md): metadata, SLOs, topology, SLI samples, alerts and the
//! decisions the real responders took. Parsing reports the file, line and field of a problem.
//!
//! Size: about 710 lines, over the ~600 guide — the YAML and JSON Lines readers share the one
//! located-error path and the raw-to-typed conversion; the wire structs are most of it.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::actions::Role;
use crate::alerts::{Alert, AlertState, Fingerprint, fingerprint};
use crate::slo::SloSpec;
use crate::time::{
    SignedDuration, Timestamp, checked_offset, format_duration, parse_duration, parse_timestamp,
};

/// The longest scenario a replay plays (its `duration`): a month, about 270,000 ticks of the
/// replay's 10-second grid.
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(31 * 24);

/// The longest SLO window a scenario may give.
pub const MAX_WINDOW: SignedDuration = crate::time::MAX_SLO_WINDOW;

/// A scenario ready to play: events sorted by time (stable for equal times).
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// What a trainee is told when a drill starts: the story so far, without the ending
    /// (`briefing:`, optional; the summary gives the ending away).
    pub briefing: Option<String>,
    /// What steps printed when the responders ran them, by `runbook-id/step-id` (`outputs:`,
    /// optional): a trainee's dry run of that step shows it.
    pub outputs: BTreeMap<String, String>,
    pub start: Timestamp,
    pub duration: SignedDuration,
    /// Knowledge directories, relative to the scenario file.
    pub knowledge: Vec<String>,
    pub group_by: Option<Vec<String>>,
    pub topology: BTreeMap<String, Vec<String>>,
    pub slos: Vec<SloSpec>,
    pub events: Vec<TimedEvent>,
}

impl Scenario {
    pub fn end(&self) -> Timestamp {
        self.start + self.duration
    }

    /// The reference decisions of the real responders, in time order.
    pub fn reference_decisions(&self) -> impl Iterator<Item = (Timestamp, &ReferenceDecision)> {
        self.events.iter().filter_map(|e| match &e.event {
            ScenarioEvent::Decision(d) => Some((e.at, d)),
            _ => None,
        })
    }

    pub fn alert_events(&self) -> usize {
        self.events
            .iter()
            .filter(
                |e| matches!(&e.event, ScenarioEvent::Alert(a) if a.state != AlertState::Resolved),
            )
            .count()
    }
}

#[derive(Debug, Clone)]
pub struct TimedEvent {
    pub at: Timestamp,
    pub event: ScenarioEvent,
}

#[derive(Debug, Clone)]
pub enum ScenarioEvent {
    /// Cumulative SLI counters of one SLO.
    Sample { slo: String, good: f64, total: f64 },
    /// An alert fires, is re-sent, is suppressed or resolves.
    Alert(Alert),
    /// What a real responder did at this moment.
    Decision(ReferenceDecision),
}

pub use crate::cockpit::{DecisionKind, ReferenceDecision};

/// A problem in a scenario file: where, which field, what is wrong.
pub type ScenarioError = crate::diagnostic::Diagnostic;

// ---- the file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    version: Spanned<u32>,
    id: String,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    briefing: Option<String>,
    #[serde(default)]
    outputs: BTreeMap<String, String>,
    start: Spanned<String>,
    duration: Spanned<String>,
    #[serde(default)]
    knowledge: Vec<String>,
    #[serde(default)]
    group_by: Option<Vec<String>>,
    #[serde(default)]
    topology: BTreeMap<String, Vec<String>>,
    slos: Vec<RawSlo>,
    #[serde(default)]
    samples: Vec<RawSample>,
    #[serde(default)]
    timeline: Vec<RawEvent>,
    /// A JSON Lines file beside the scenario with more samples and timeline events.
    #[serde(default)]
    events: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    name: Spanned<String>,
    service: String,
    objective: Spanned<f64>,
    window: Spanned<String>,
    #[serde(default)]
    description: String,
    /// Fewest events before the SLO moves the mode (default: `slo::spec::default_min_events`).
    #[serde(default)]
    min_events: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSample {
    at: Spanned<String>,
    slo: Spanned<String>,
    good: Spanned<f64>,
    total: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    at: Spanned<String>,
    #[serde(default)]
    fire: Option<RawAlert>,
    #[serde(default)]
    resolve: Option<RawAlert>,
    #[serde(default)]
    decision: Option<RawDecision>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlert {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    silenced: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    actor: String,
    role: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    argv: Option<Vec<String>>,
}

/// One line of an `events:` file: a timeline event or a sample, in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEvent {
    at: String,
    #[serde(default)]
    fire: Option<RawAlert>,
    #[serde(default)]
    resolve: Option<RawAlert>,
    #[serde(default)]
    decision: Option<JsonDecision>,
    #[serde(default)]
    sample: Option<JsonSample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDecision {
    actor: String,
    role: String,
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    argv: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSample {
    slo: String,
    good: f64,
    total: f64,
}

/// A sample or timeline event from the scenario or its `events:` file, with where it was
/// written (for messages).
struct Entry {
    /// 0: the scenario file; 1: its events file.
    file: usize,
    /// `timeline[3]`, `samples[0]` (scenario) or empty (events file: the line says where).
    name: String,
    at: String,
    at_line: Option<u64>,
    body: Body,
}

enum Body {
    Fire(RawAlert),
    Resolve(RawAlert),
    Decision(Dec),
    Sample(Smp),
    /// None or several of fire, resolve, decision (and sample).
    NotOne,
}

struct Dec {
    actor: String,
    role: String,
    role_line: Option<u64>,
    kind: String,
    kind_line: Option<u64>,
    text: Option<String>,
    step: Option<String>,
    outcome: Option<String>,
    argv: Option<Vec<String>>,
}

struct Smp {
    slo: String,
    slo_line: Option<u64>,
    good: f64,
    good_line: Option<u64>,
    total: f64,
}

impl Entry {
    /// `timeline[3].fire.labels`, or `fire.labels` in an events file.
    fn field(&self, sub: &str) -> String {
        if self.name.is_empty() {
            sub.trim_start_matches('.').to_string()
        } else {
            format!("{}{sub}", self.name)
        }
    }
}

/// The entries of an events file (JSON Lines; blank lines and `#` comments skipped).
fn json_entries(path: &str, text: &str) -> Result<Vec<Entry>, ScenarioError> {
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
                "not a scenario event ({e}); write one JSON object a line, e.g. \
                 {{\"at\": \"5m\", \"fire\": {{\"labels\": {{\"alertname\": \"X\"}}}}}}"
            ),
            fix: String::new(),
        })?;
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
        out.push(Entry {
            file: 1,
            name: String::new(),
            at: e.at,
            at_line: line_no,
            body,
        });
    }
    Ok(out)
}

impl Scenario {
    /// Parses scenario text; `path` is only used in messages. A scenario that names an
    /// `events:` file cannot be read this way (use [`Scenario::parse_with`]).
    pub fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
        Self::parse_with(path, text, |name| {
            Err(format!(
                "{name}: an events file is read only beside a scenario file on disk"
            ))
        })
    }

    /// Parses scenario text; `read` gives the events file the scenario names (`events:`, a
    /// path relative to the scenario) as (its path for messages, its text), or why not.
    pub fn parse_with(
        path: &str,
        text: &str,
        read: impl FnOnce(&str) -> Result<(String, String), String>,
    ) -> Result<Scenario, ScenarioError> {
        let err = |line: Option<u64>, field: &str, message: String| ScenarioError {
            path: path.to_string(),
            line,
            column: None,
            field: field.to_string(),
            message,
            fix: String::new(),
        };
        let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            // serde-saphyr appends its own location; keep the first line of the message.
            let message = e.to_string().lines().next().unwrap_or_default().to_string();
            err(line, "", message)
        })?;
        let at_line = |s: &Spanned<String>| Some(s.referenced.line());

        if raw.version.value != 1 {
            return Err(err(
                Some(raw.version.referenced.line()),
                "version",
                format!(
                    "version {} is not supported (this flightdeck reads version 1)",
                    raw.version.value
                ),
            ));
        }
        let start = parse_timestamp(&raw.start.value)
            .map_err(|m| err(at_line(&raw.start), "start", m.into()))?;
        let duration = parse_duration(&raw.duration.value)
            .map_err(|m| err(at_line(&raw.duration), "duration", m.into()))?;
        if duration.is_negative() || duration.is_zero() {
            return Err(err(
                at_line(&raw.duration),
                "duration",
                "must be positive".into(),
            ));
        }
        if duration > MAX_DURATION {
            return Err(err(
                at_line(&raw.duration),
                "duration",
                format!(
                    "{} is longer than a replay can be ({}); record the part of the incident to train on",
                    format_duration(duration),
                    format_duration(MAX_DURATION)
                ),
            ));
        }
        checked_offset(start, duration).map_err(|m| {
            err(
                at_line(&raw.duration),
                "duration",
                format!("the scenario's end is out of range: {m}"),
            )
        })?;
        let mut slos = Vec::new();
        for (i, s) in raw.slos.iter().enumerate() {
            let o = s.objective.value;
            if !(o > 0.0 && o < 1.0) {
                return Err(err(
                    Some(s.objective.referenced.line()),
                    &format!("slos[{i}].objective"),
                    format!("{o} is not a fraction in (0, 1); write 0.999 for 99.9%"),
                ));
            }
            if slos.iter().any(|x: &SloSpec| x.name == s.name.value) {
                return Err(err(
                    Some(s.name.referenced.line()),
                    &format!("slos[{i}].name"),
                    format!("{:?} is defined twice", s.name.value),
                ));
            }
            let window = parse_duration(&s.window.value)
                .map_err(|m| err(at_line(&s.window), &format!("slos[{i}].window"), m.into()))?;
            if !window.is_positive() || window > MAX_WINDOW {
                return Err(err(
                    at_line(&s.window),
                    &format!("slos[{i}].window"),
                    format!(
                        "{:?} must be positive and at most {} (e.g. 30d, 28d, 7d)",
                        s.window.value.trim(),
                        format_duration(MAX_WINDOW)
                    ),
                ));
            }
            slos.push(SloSpec {
                name: s.name.value.clone(),
                service: s.service.clone(),
                objective: o,
                window,
                description: s.description.clone(),
                min_events: s.min_events,
            });
        }

        // Samples and timeline events, from the scenario and then from its events file.
        let mut entries: Vec<Entry> = Vec::with_capacity(raw.samples.len() + raw.timeline.len());
        for (i, smp) in raw.samples.into_iter().enumerate() {
            entries.push(Entry {
                file: 0,
                name: format!("samples[{i}]"),
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
        for (i, e) in raw.timeline.into_iter().enumerate() {
            let count =
                e.fire.is_some() as u8 + e.resolve.is_some() as u8 + e.decision.is_some() as u8;
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
                file: 0,
                name: format!("timeline[{i}]"),
                at_line: at_line(&e.at),
                at: e.at.value,
                body,
            });
        }
        let mut events_path = String::new();
        if let Some(name) = &raw.events {
            let (shown, text) =
                read(name.value.trim()).map_err(|m| err(at_line(name), "events", m))?;
            entries.extend(json_entries(&shown, &text)?);
            events_path = shown;
        }
        // An error about an entry names the file it is in.
        let err_at = |e: &Entry, line: Option<u64>, sub: &str, message: String| ScenarioError {
            path: if e.file == 0 {
                path.to_string()
            } else {
                events_path.clone()
            },
            line,
            column: None,
            field: e.field(sub),
            message,
            fix: String::new(),
        };

        let mut events = Vec::with_capacity(entries.len());
        // Timeline: sort first (stable), then resolve alerts against their last firing.
        let mut timeline = Vec::with_capacity(entries.len());
        for (i, e) in entries.into_iter().enumerate() {
            let at = {
                let v = e.at.trim();
                let parsed = if v.contains('T') {
                    parse_timestamp(v)
                } else {
                    parse_duration(v).and_then(|d| checked_offset(start, d))
                };
                parsed.map_err(|m| err_at(&e, e.at_line, ".at", m.into()))?
            };
            if let Body::Sample(smp) = &e.body {
                if !slos.iter().any(|x| x.name == smp.slo) {
                    return Err(err_at(
                        &e,
                        smp.slo_line,
                        ".slo",
                        format!("{:?} is not one of the scenario's slos", smp.slo),
                    ));
                }
                let (good, total) = (smp.good, smp.total);
                if !(good.is_finite() && total.is_finite() && good >= 0.0 && good <= total) {
                    return Err(err_at(
                        &e,
                        smp.good_line,
                        "",
                        format!(
                            "good {good} and total {total} must be finite with 0 <= good <= total"
                        ),
                    ));
                }
                events.push(TimedEvent {
                    at,
                    event: ScenarioEvent::Sample {
                        slo: smp.slo.clone(),
                        good,
                        total,
                    },
                });
                continue;
            }
            timeline.push((at, i, e));
        }
        timeline.sort_by_key(|(at, i, _)| (*at, *i));
        let mut fired_at: HashMap<Fingerprint, Timestamp> = HashMap::new();
        for (at, _, e) in timeline {
            let line = e.at_line;
            let event = match e.body {
                Body::NotOne | Body::Sample(_) => {
                    let what = if e.file == 0 {
                        "`fire`, `resolve` or `decision`"
                    } else {
                        "`fire`, `resolve`, `decision` or `sample`"
                    };
                    return Err(err_at(
                        &e,
                        line,
                        "",
                        format!("each event needs exactly one of {what}"),
                    ));
                }
                Body::Fire(ref a) if !a.labels.contains_key("alertname") => {
                    return Err(err_at(
                        &e,
                        line,
                        ".fire.labels",
                        "an alert needs an `alertname` label".into(),
                    ));
                }
                Body::Fire(a) => {
                    let fp = fingerprint(&a.labels);
                    let starts_at = *fired_at.entry(fp).or_insert(at);
                    ScenarioEvent::Alert(Alert {
                        labels: a.labels,
                        annotations: a.annotations,
                        starts_at,
                        ends_at: None,
                        state: if a.silenced {
                            AlertState::Suppressed
                        } else {
                            AlertState::Firing
                        },
                        generator_url: None,
                        detail: Default::default(),
                    })
                }
                Body::Resolve(ref a) => {
                    let fp = fingerprint(&a.labels);
                    let Some(starts_at) = fired_at.remove(&fp) else {
                        return Err(err_at(
                            &e,
                            line,
                            ".resolve.labels",
                            "resolves an alert that is not firing at that time (labels must equal a fired alert's labels)".into(),
                        ));
                    };
                    let Body::Resolve(a) = e.body else {
                        unreachable!("matched above")
                    };
                    ScenarioEvent::Alert(Alert {
                        labels: a.labels,
                        annotations: a.annotations,
                        starts_at,
                        ends_at: Some(at),
                        state: AlertState::Resolved,
                        generator_url: None,
                        detail: Default::default(),
                    })
                }
                Body::Decision(ref d) => {
                    let role: Role = d.role.parse().map_err(|_| {
                        err_at(
                            &e,
                            d.role_line,
                            ".decision.role",
                            format!("{:?} is not a role (oncall, commander or trainee)", d.role),
                        )
                    })?;
                    let kind = match d.kind.as_str() {
                        "hypothesis" => DecisionKind::Hypothesis,
                        "note" => DecisionKind::Note,
                        "approve" => DecisionKind::Approve,
                        "reject" => DecisionKind::Reject,
                        "execute" => DecisionKind::Execute,
                        other => {
                            return Err(err_at(
                                &e,
                                d.kind_line,
                                ".decision.kind",
                                format!(
                                    "{other:?} is not a decision kind (hypothesis, note, approve, reject, execute)"
                                ),
                            ));
                        }
                    };
                    let needs_step = matches!(
                        kind,
                        DecisionKind::Approve | DecisionKind::Reject | DecisionKind::Execute
                    );
                    if needs_step && d.step.as_deref().is_none_or(|s| !s.contains('/')) {
                        return Err(err_at(
                            &e,
                            d.kind_line,
                            ".decision.step",
                            "approve, reject and execute need `step: runbook-id/step-id`".into(),
                        ));
                    }
                    if d.argv.as_ref().is_some_and(|a| !needs_step || a.is_empty()) {
                        return Err(err_at(
                            &e,
                            d.kind_line,
                            ".decision.argv",
                            "`argv` goes with approve, reject or execute and names at least the program"
                                .into(),
                        ));
                    }
                    let Body::Decision(d) = e.body else {
                        unreachable!("matched above")
                    };
                    ScenarioEvent::Decision(ReferenceDecision {
                        actor: d.actor,
                        role,
                        kind,
                        text: d.text,
                        step: d.step,
                        outcome: d.outcome,
                        argv: d.argv,
                    })
                }
            };
            events.push(TimedEvent { at, event });
        }
        events.sort_by_key(|e| e.at);

        Ok(Scenario {
            id: raw.id,
            title: raw.title,
            summary: raw.summary,
            briefing: raw.briefing.filter(|b| !b.trim().is_empty()),
            outputs: raw.outputs,
            start,
            duration,
            knowledge: raw.knowledge,
            group_by: raw.group_by,
            topology: raw.topology,
            slos,
            events,
        })
    }
}
