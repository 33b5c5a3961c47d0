//! Recording: turns a real incident — the journal's records and the alert and SLI history kept
//! by live mode — into a scenario (docs/FORMATS.md, version 1) with the responders' decisions as
//! the reference, so any incident can become a drill.
//!
//! Pure: records, alerts and samples come in, scenario YAML comes out. Replaying the result
//! gives the same clusters and modes as the incident, as far as the inputs carry them: the
//! clustering sees the same alerts at the same times, the governor the same SLI counters.
//!
//! This file: the inputs, the outputs and the pass from one to the other; `select` what goes
//! in, `decision` what a journal record stands for, `write` the YAML and JSON Lines.

mod decision;
mod select;
mod write;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alerts::{Alert, AlertState};
use crate::journal::JournalRecord;
use crate::slo::{SampleRecord, SloSpec};
use crate::time::{SignedDuration, Timestamp};

/// An alert as observed at a moment (a webhook delivery or a poll): firing, suppressed or
/// resolved. One JSON object a line in an alert history file: `{"at": ..., "alert": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedAlert {
    pub at: Timestamp,
    pub alert: Alert,
}

/// Observation times for Alertmanager alerts that carry none: a firing (or suppressed) alert is
/// placed at its `startsAt`, a resolved one at its `endsAt`. Re-sends of the same firing alert
/// collapse onto its start.
pub fn timed_from_alerts(alerts: &[Alert]) -> Vec<TimedAlert> {
    alerts
        .iter()
        .filter_map(|a| {
            let at = match a.state {
                AlertState::Resolved => a.ends_at?,
                AlertState::Firing | AlertState::Suppressed => a.starts_at,
            };
            Some(TimedAlert {
                at,
                alert: a.clone(),
            })
        })
        .collect()
}

/// Reads an alert history: JSON Lines of [`TimedAlert`] (`{"at": ..., "alert": {...}}`), else
/// any shape `alerts::parse_alerts` reads (Alertmanager webhook payloads, `GET /api/v2/alerts`
/// arrays, JSON Lines of those), timed by [`timed_from_alerts`]. Returns the alerts and one
/// message per line or item that could not be read (`path:line: why`).
pub fn parse_alert_history(path: &str, text: &str) -> (Vec<TimedAlert>, Vec<String>) {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let timed = |l: &str| {
        serde_json::from_str::<serde_json::Value>(l)
            .ok()
            .is_some_and(|v| v.get("at").is_some() && v.get("alert").is_some())
    };
    if lines.first().is_some_and(|(_, l)| timed(l)) {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (i, l) in lines {
            match serde_json::from_str::<TimedAlert>(l) {
                Ok(a) => out.push(a),
                Err(e) => errors.push(format!("{path}:{}: {e}", i + 1)),
            }
        }
        return (out, errors);
    }
    let parsed = crate::alerts::parse_alerts(text);
    let errors = parsed
        .rejected
        .iter()
        .map(|r| format!("{path}: item {}: {}", r.index, r.error))
        .collect();
    (timed_from_alerts(&parsed.alerts), errors)
}

/// Everything a recording is made of.
#[derive(Debug, Clone)]
pub struct RecordInput<'a> {
    pub id: String,
    pub title: String,
    /// Free text; empty gets a line naming the journal and the time range.
    pub summary: String,
    /// The incident's start and end: the scenario starts at `since` and lasts until `until`.
    pub since: Timestamp,
    pub until: Timestamp,
    /// The journal (any range; records in `[since, until]` become reference decisions).
    pub journal: &'a [JournalRecord],
    /// The alert history (any order; stable for equal times).
    pub alerts: &'a [TimedAlert],
    /// Cumulative SLI counters; those before `since` become the budget history.
    pub samples: &'a [SampleRecord],
    pub slos: &'a [SloSpec],
    pub topology: &'a BTreeMap<String, Vec<String>>,
    pub group_by: Option<&'a [String]>,
    /// Knowledge directories, relative to where the scenario file will be written.
    pub knowledge: &'a [String],
    /// How much alert history before `since` to keep (noise marks look back 24 hours).
    pub alert_history: SignedDuration,
}

/// Why a scenario could not be recorded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    #[error("--until ({until}) must be after --since ({since})")]
    EmptyRange { since: Timestamp, until: Timestamp },
    #[error("the scenario needs an id (letters, digits, '-', '_', '.')")]
    BadId,
    #[error("nothing to record between {since} and {until}: no alerts, samples or decisions")]
    Nothing { since: Timestamp, until: Timestamp },
}

/// What a recording kept and dropped, for the command's message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordStats {
    pub samples: usize,
    pub samples_unknown_slo: usize,
    pub alert_events: usize,
    pub decisions: usize,
    /// Records a scenario cannot express (e.g. drift acknowledgements), kept as notes.
    pub as_notes: usize,
}

/// Writes the scenario; see [`record_scenario_with_stats`] for what was kept.
pub fn record_scenario(input: &RecordInput) -> Result<String, RecordError> {
    record_scenario_with_stats(input).map(|(text, _)| text)
}

/// Writes the scenario YAML and says what went in.
pub fn record_scenario_with_stats(
    input: &RecordInput,
) -> Result<(String, RecordStats), RecordError> {
    record_scenario_parts(input, None).map(|r| (r.scenario, r.stats))
}

/// A recorded scenario: the YAML file, and with an events file its JSON Lines.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub scenario: String,
    /// The samples and timeline, one JSON object a line, for the file the scenario's
    /// `events:` names (when one was asked for).
    pub events: Option<String>,
    pub stats: RecordStats,
}

/// How many samples and alerts a recording holds before `scenario record` puts its events in
/// a JSON Lines file beside the YAML (docs/FORMATS.md: the YAML reader's node budget).
pub const EVENTS_FILE_ABOVE: usize = 5_000;

/// Records the scenario; with `events_file` (a file name beside the scenario), samples and
/// timeline go to JSON Lines (`Recorded::events`) and the YAML names it in `events:`.
pub fn record_scenario_parts(
    input: &RecordInput,
    events_file: Option<&str>,
) -> Result<Recorded, RecordError> {
    let (since, until) = (input.since, input.until);
    if until <= since {
        return Err(RecordError::EmptyRange { since, until });
    }
    if input.id.is_empty()
        || !input
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(RecordError::BadId);
    }
    let mut stats = RecordStats::default();
    let samples = select::samples(input, &mut stats);
    stats.samples = samples.len();
    let alert_events = select::alert_events(input);
    stats.alert_events = alert_events.len();
    let decisions = select::decisions(input, &mut stats);
    stats.decisions = decisions.len();
    if samples.is_empty() && alert_events.is_empty() && decisions.is_empty() {
        return Err(RecordError::Nothing { since, until });
    }

    let source = decision::journal_id(input.journal).unwrap_or_else(|| "a journal".into());
    let mut scenario = write::head(input, &stats, &source);
    let recording = write::Recording {
        since,
        samples,
        alert_events,
        decisions,
    };
    let events = match events_file {
        Some(name) => Some(recording.events_file(&mut scenario, name)),
        None => {
            recording.inline(&mut scenario);
            None
        }
    };
    Ok(Recorded {
        scenario,
        events,
        stats,
    })
}
