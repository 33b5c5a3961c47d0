//! The scenario file (docs/FORMATS.md): metadata, SLOs, topology, SLI samples, alerts and the
//! decisions the real responders took. Parsing reports the file, line and field of a problem.

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

impl Scenario {
    /// Parses scenario text; `path` is only used in messages.
    pub fn parse(path: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let err = |line: Option<u64>, field: &str, message: String| ScenarioError {
            path: path.to_string(),
            line,
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
        let start =
            parse_timestamp(&raw.start.value).map_err(|m| err(at_line(&raw.start), "start", m))?;
        let duration = parse_duration(&raw.duration.value)
            .map_err(|m| err(at_line(&raw.duration), "duration", m))?;
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
        let when = |s: &Spanned<String>, field: &str| -> Result<Timestamp, ScenarioError> {
            let v = s.value.trim();
            if v.contains('T') {
                parse_timestamp(v).map_err(|m| err(at_line(s), field, m))
            } else {
                parse_duration(v)
                    .and_then(|d| checked_offset(start, d))
                    .map_err(|m| err(at_line(s), field, m))
            }
        };

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
                .map_err(|m| err(at_line(&s.window), &format!("slos[{i}].window"), m))?;
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

        let mut events = Vec::with_capacity(raw.samples.len() + raw.timeline.len());
        for (i, s) in raw.samples.iter().enumerate() {
            let at = when(&s.at, &format!("samples[{i}].at"))?;
            if !slos.iter().any(|x| x.name == s.slo.value) {
                return Err(err(
                    at_line(&s.slo),
                    &format!("samples[{i}].slo"),
                    format!("{:?} is not one of the scenario's slos", s.slo.value),
                ));
            }
            let (good, total) = (s.good.value, s.total);
            if !(good.is_finite() && total.is_finite() && good >= 0.0 && good <= total) {
                return Err(err(
                    Some(s.good.referenced.line()),
                    &format!("samples[{i}]"),
                    format!("good {good} and total {total} must be finite with 0 <= good <= total"),
                ));
            }
            events.push(TimedEvent {
                at,
                event: ScenarioEvent::Sample {
                    slo: s.slo.value.clone(),
                    good,
                    total,
                },
            });
        }

        // Timeline: sort first (stable), then resolve alerts against their last firing.
        let mut timeline = Vec::with_capacity(raw.timeline.len());
        for (i, e) in raw.timeline.into_iter().enumerate() {
            let at = when(&e.at, &format!("timeline[{i}].at"))?;
            timeline.push((at, i, e));
        }
        timeline.sort_by_key(|(at, i, _)| (*at, *i));
        let mut fired_at: HashMap<Fingerprint, Timestamp> = HashMap::new();
        for (at, i, e) in timeline {
            let line = at_line(&e.at);
            let count =
                e.fire.is_some() as u8 + e.resolve.is_some() as u8 + e.decision.is_some() as u8;
            if count != 1 {
                return Err(err(
                    line,
                    &format!("timeline[{i}]"),
                    "each event needs exactly one of `fire`, `resolve` or `decision`".into(),
                ));
            }
            let event = if let Some(a) = e.fire {
                if !a.labels.contains_key("alertname") {
                    return Err(err(
                        line,
                        &format!("timeline[{i}].fire.labels"),
                        "an alert needs an `alertname` label".into(),
                    ));
                }
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
            } else if let Some(a) = e.resolve {
                let fp = fingerprint(&a.labels);
                let Some(starts_at) = fired_at.remove(&fp) else {
                    return Err(err(
                        line,
                        &format!("timeline[{i}].resolve.labels"),
                        "resolves an alert that is not firing at that time (labels must equal a fired alert's labels)".into(),
                    ));
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
            } else if let Some(d) = e.decision {
                let role: Role = d.role.value.parse().map_err(|_| {
                    err(
                        at_line(&d.role),
                        &format!("timeline[{i}].decision.role"),
                        format!(
                            "{:?} is not a role (oncall, commander or trainee)",
                            d.role.value
                        ),
                    )
                })?;
                let kind = match d.kind.value.as_str() {
                    "hypothesis" => DecisionKind::Hypothesis,
                    "note" => DecisionKind::Note,
                    "approve" => DecisionKind::Approve,
                    "reject" => DecisionKind::Reject,
                    "execute" => DecisionKind::Execute,
                    other => {
                        return Err(err(
                            at_line(&d.kind),
                            &format!("timeline[{i}].decision.kind"),
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
                    return Err(err(
                        at_line(&d.kind),
                        &format!("timeline[{i}].decision.step"),
                        "approve, reject and execute need `step: runbook-id/step-id`".into(),
                    ));
                }
                if d.argv.as_ref().is_some_and(|a| !needs_step || a.is_empty()) {
                    return Err(err(
                        at_line(&d.kind),
                        &format!("timeline[{i}].decision.argv"),
                        "`argv` goes with approve, reject or execute and names at least the program"
                            .into(),
                    ));
                }
                ScenarioEvent::Decision(ReferenceDecision {
                    actor: d.actor,
                    role,
                    kind,
                    text: d.text,
                    step: d.step,
                    outcome: d.outcome,
                    argv: d.argv,
                })
            } else {
                unreachable!("count checked above")
            };
            events.push(TimedEvent { at, event });
        }
        events.sort_by_key(|e| e.at);

        Ok(Scenario {
            id: raw.id,
            title: raw.title,
            summary: raw.summary,
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
