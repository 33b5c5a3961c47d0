//! The scenario file (docs/FORMATS.md): metadata, SLOs, topology, SLI samples, alerts and the
//! decisions the real responders took. Parsing reports the file, line and field of a problem.
//!
//! This file: the typed scenario and the reading of its head (version, span, SLOs); `raw` the
//! file as written, `entry` its samples and timeline events as one list (the YAML's and the
//! events file's), `events` those entries checked and made events.

mod entry;
mod events;
mod raw;

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use crate::alerts::{Alert, AlertState};
use crate::slo::SloSpec;
use crate::time::{
    SignedDuration, Timestamp, checked_offset, format_duration, parse_duration, parse_timestamp,
};
use raw::{RawScenario, RawSlo};

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
        let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line());
            // serde-saphyr appends its own location; keep the first line of the message.
            let message = e.to_string().lines().next().unwrap_or_default().to_string();
            located(path, line, "", message)
        })?;
        let (start, duration) = span(path, &raw)?;
        let slos = slos(path, &raw.slos)?;

        // Samples and timeline events, from the scenario and then from its events file.
        let mut entries = entry::scenario_entries(raw.samples, raw.timeline);
        let mut files = events::Files {
            path,
            events_path: String::new(),
        };
        if let Some(name) = &raw.events {
            let (shown, text) =
                read(name.value.trim()).map_err(|m| located(path, at_line(name), "events", m))?;
            entries.extend(entry::json_entries(&shown, &text)?);
            files.events_path = shown;
        }
        let events = events::events(&files, start, &slos, entries)?;

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

/// A problem in the scenario file itself.
fn located(path: &str, line: Option<u64>, field: &str, message: String) -> ScenarioError {
    ScenarioError {
        path: path.to_string(),
        line,
        column: None,
        field: field.to_string(),
        message,
        fix: String::new(),
    }
}

fn at_line(s: &Spanned<String>) -> Option<u64> {
    Some(s.referenced.line())
}

/// The `version`, and the `start` and `duration` of the replay.
fn span(path: &str, raw: &RawScenario) -> Result<(Timestamp, SignedDuration), ScenarioError> {
    let err = |line: Option<u64>, field: &str, message: String| located(path, line, field, message);
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
    Ok((start, duration))
}

/// The scenario's SLOs: objectives in (0, 1), names once each, windows in range.
fn slos(path: &str, raw: &[RawSlo]) -> Result<Vec<SloSpec>, ScenarioError> {
    let err = |line: Option<u64>, field: &str, message: String| located(path, line, field, message);
    let mut slos = Vec::new();
    for (i, s) in raw.iter().enumerate() {
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
    Ok(slos)
}
