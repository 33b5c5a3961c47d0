//! Recording: turns a real incident — the journal's records and the alert and SLI history kept
//! by live mode — into a scenario (docs/FORMATS.md, version 1) with the responders' decisions as
//! the reference, so any incident can become a drill.
//!
//! Pure: records, alerts and samples come in, scenario YAML comes out. Replaying the result
//! gives the same clusters and modes as the incident, as far as the inputs carry them: the
//! clustering sees the same alerts at the same times, the governor the same SLI counters.
//!
//! Size: about 610 lines, at the ~600 guide — one pass from journal and history to scenario.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::alerts::{Alert, AlertState, Fingerprint};
use crate::journal::{JournalRecord, KindBody, RecordKind};
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

/// YAML double-quoted scalar (JSON string syntax is a subset of it).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn flow_map(m: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}: {}", q(k), q(v)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// An exact duration in the scenario syntax (`-31d`, `1h30m`, `0s`); `None` with sub-seconds.
fn exact_duration(d: SignedDuration) -> Option<String> {
    if d.subsec_nanos() != 0 {
        return None;
    }
    let secs = d.as_secs();
    if secs == 0 {
        return Some("0s".into());
    }
    let mut s = secs.unsigned_abs();
    let mut out = String::from(if secs < 0 { "-" } else { "" });
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if s >= n {
            let _ = write!(out, "{}{unit}", s / n);
            s %= n;
        }
    }
    Some(out)
}

/// `at:` of an event: an offset from the start, else an RFC 3339 timestamp.
fn at_text(start: Timestamp, at: Timestamp) -> String {
    exact_duration(at.duration_since(start)).unwrap_or_else(|| q(&at.to_string()))
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "0".into()
    }
}

struct Decision {
    actor: String,
    role: crate::actions::Role,
    kind: &'static str,
    text: Option<String>,
    step: Option<String>,
    outcome: Option<String>,
    argv: Option<Vec<String>>,
}

/// A field's text, when it has any.
fn text(x: &Option<String>) -> Option<String> {
    x.clone().filter(|s| !s.is_empty())
}

/// The reference decision a journal record stands for, if any.
fn decision_of(r: &JournalRecord, stats: &mut RecordStats) -> Option<Decision> {
    let role = r.role.person()?;
    let body = r.read_body();
    let argv = match &body.of_kind {
        KindBody::Step(b) => b.argv.clone(),
        KindBody::Note(n) => n.argv.clone(),
        _ => None,
    };
    let mut d = Decision {
        actor: r.actor.clone(),
        role,
        kind: "note",
        text: None,
        step: None,
        outcome: None,
        argv: argv.filter(|a| !a.is_empty()),
    };
    match &body.of_kind {
        KindBody::Note(n) => {
            // A replayed decision about a step the cockpit did not know keeps its kind.
            match (n.decision.as_deref(), text(&n.step)) {
                (Some(k @ ("approve" | "reject" | "execute")), Some(step)) => {
                    d.kind = match k {
                        "approve" => "approve",
                        "reject" => "reject",
                        _ => "execute",
                    };
                    d.step = Some(step);
                    // A replayed execution whose argv did not match: its recorded outcome.
                    d.outcome = text(&n.outcome).filter(|_| k == "execute");
                    d.text = text(&n.reason).filter(|_| k == "reject");
                }
                _ => {
                    d.argv = None;
                    d.kind = if r.kind == RecordKind::Hypothesis {
                        "hypothesis"
                    } else {
                        "note"
                    };
                    if n.acknowledges {
                        stats.as_notes += 1;
                    }
                    d.text = Some(text(&n.text).unwrap_or_else(|| r.summary.clone()));
                }
            }
        }
        KindBody::Step(b) => {
            let step = text(&b.step.as_ref().map(|s| s.to_string()));
            match r.kind {
                RecordKind::Approval => {
                    d.kind = "approve";
                    d.step = step;
                }
                RecordKind::Rejection => {
                    d.kind = "reject";
                    d.step = step;
                    d.text = text(&b.reason);
                }
                RecordKind::Execution => {
                    d.kind = "execute";
                    d.step = step;
                    d.outcome =
                        text(&b.outcome).or_else(|| b.exec.as_ref().and_then(|e| text(&e.summary)));
                }
                RecordKind::Manual => {
                    // The responders did the step by hand: for a drill, that step was run.
                    d.kind = "execute";
                    d.step = step;
                    d.outcome = Some(format!(
                        "done by hand: {}",
                        text(&b.outcome).unwrap_or_default()
                    ));
                }
                // Edits and proposals: a scenario has none, keep what was done as a note.
                _ => as_note(&mut d, r, stats),
            }
        }
        // A scenario has no overrides: keep what was done as a note.
        KindBody::Override(_) => as_note(&mut d, r, stats),
        KindBody::Genesis(_)
        | KindBody::ModeChange(_)
        | KindBody::Checkpoint(_)
        | KindBody::Experiment(_)
        | KindBody::Unknown => return None,
    }
    if matches!(d.kind, "approve" | "reject" | "execute")
        && d.step.as_deref().is_none_or(|s| !s.contains('/'))
    {
        return None;
    }
    Some(d)
}

/// A record a scenario has no kind for, kept as a note of what was done.
fn as_note(d: &mut Decision, r: &JournalRecord, stats: &mut RecordStats) {
    d.argv = None;
    stats.as_notes += 1;
    d.kind = "note";
    d.text = Some(r.summary.clone());
}

/// The journal's id, from its genesis record.
fn journal_id(journal: &[JournalRecord]) -> Option<String> {
    journal
        .iter()
        .find(|r| r.kind == RecordKind::Genesis)
        .and_then(|r| text(&r.read_body().genesis()?.journal_id))
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

    // ---- samples: everything up to `until` (before `since` is the budget's history) ---------
    let mut samples: Vec<&SampleRecord> = input
        .samples
        .iter()
        .filter(|s| s.ts <= until)
        .filter(|s| {
            let known = input.slos.iter().any(|x| x.name == s.slo);
            if !known {
                stats.samples_unknown_slo += 1;
            }
            known
        })
        .filter(|s| s.good.is_finite() && s.total.is_finite() && s.good >= 0.0 && s.good <= s.total)
        .collect();
    samples.sort_by_key(|s| s.ts);
    stats.samples = samples.len();

    // ---- alerts: `[since - history, until]`, plus the start of episodes open at the cutoff ----
    let cutoff = since - input.alert_history.abs();
    let mut alerts: Vec<&TimedAlert> = input.alerts.iter().filter(|a| a.at <= until).collect();
    alerts.sort_by_key(|a| a.at);
    // Which episodes are open at the cutoff (fingerprint → index of their first fire).
    let mut open: HashMap<Fingerprint, usize> = HashMap::new();
    let mut keep = vec![false; alerts.len()];
    for (i, a) in alerts.iter().enumerate() {
        let fp = a.alert.fingerprint();
        if a.at >= cutoff {
            keep[i] = true;
            continue;
        }
        match a.alert.state {
            AlertState::Resolved => {
                open.remove(&fp);
            }
            _ => {
                open.entry(fp).or_insert(i);
            }
        }
    }
    for i in open.values() {
        keep[*i] = true;
    }
    struct AlertEvent<'b> {
        at: Timestamp,
        resolve: bool,
        alert: &'b Alert,
    }
    let mut alert_events = Vec::new();
    let mut firing: HashSet<Fingerprint> = HashSet::new();
    for (i, a) in alerts.iter().enumerate() {
        if !keep[i] || !a.alert.labels.contains_key("alertname") {
            continue;
        }
        let fp = a.alert.fingerprint();
        let resolve = a.alert.state == AlertState::Resolved;
        if resolve && !firing.remove(&fp) {
            continue; // resolves an alert the recording never saw firing
        }
        if !resolve {
            firing.insert(fp);
        }
        alert_events.push(AlertEvent {
            at: a.at,
            resolve,
            alert: &a.alert,
        });
    }
    stats.alert_events = alert_events.len();

    // ---- decisions -------------------------------------------------------------------------
    let decisions: Vec<(Timestamp, Decision)> = input
        .journal
        .iter()
        .filter(|r| r.ts >= since && r.ts <= until)
        .filter_map(|r| decision_of(r, &mut stats).map(|d| (r.ts, d)))
        .collect();
    stats.decisions = decisions.len();

    if samples.is_empty() && alert_events.is_empty() && decisions.is_empty() {
        return Err(RecordError::Nothing { since, until });
    }

    // ---- the file ----------------------------------------------------------------------------
    let mut o = String::new();
    let source = journal_id(input.journal).unwrap_or_else(|| "a journal".into());
    let _ = writeln!(
        o,
        "# Recorded by `flightdeck scenario record` from {source}, {since} .. {until}."
    );
    let _ = writeln!(
        o,
        "# {} samples, {} alert events, {} reference decisions. Format: docs/FORMATS.md.",
        stats.samples, stats.alert_events, stats.decisions
    );
    let _ = writeln!(o, "version: 1");
    let _ = writeln!(o, "id: {}", q(&input.id));
    let _ = writeln!(o, "title: {}", q(&input.title));
    let summary = if input.summary.trim().is_empty() {
        format!("Recorded from {source} between {since} and {until}.")
    } else {
        input.summary.clone()
    };
    let _ = writeln!(o, "summary: {}", q(&summary));
    let _ = writeln!(o, "start: {since}");
    let duration = until.duration_since(since);
    let whole =
        SignedDuration::from_secs(duration.as_secs() + i64::from(duration.subsec_nanos() != 0));
    let _ = writeln!(
        o,
        "duration: {}",
        exact_duration(whole).unwrap_or_else(|| "1s".into())
    );
    let list = |v: &[String]| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(o, "knowledge: [{}]", list(input.knowledge));
    if let Some(g) = input.group_by {
        let _ = writeln!(o, "group_by: [{}]", list(g));
    }
    if !input.topology.is_empty() {
        let _ = writeln!(o, "topology:");
        for (svc, deps) in input.topology {
            let _ = writeln!(o, "  {}: [{}]", q(svc), list(deps));
        }
    }
    let _ = writeln!(o, "slos:");
    if input.slos.is_empty() {
        o.truncate(o.len() - 1);
        let _ = writeln!(o, " []");
    }
    for s in input.slos {
        let window = exact_duration(s.window).unwrap_or_else(|| "30d".into());
        let _ = writeln!(
            o,
            "  - {{name: {}, service: {}, objective: {}, window: {window}, description: {}}}",
            q(&s.name),
            q(&s.service),
            num(s.objective),
            q(&s.description)
        );
    }
    // Alerts and decisions by time; alerts first at equal times (what the responders saw).
    let mut timeline: Vec<(Timestamp, u8, usize)> = Vec::new();
    timeline.extend(alert_events.iter().enumerate().map(|(i, e)| (e.at, 0, i)));
    timeline.extend(decisions.iter().enumerate().map(|(i, (at, _))| (*at, 1, i)));
    timeline.sort_by_key(|(at, k, i)| (*at, *k, *i));
    if let Some(name) = events_file {
        let _ = writeln!(o, "events: {}", q(name));
        let _ = writeln!(o, "samples: []");
        let _ = writeln!(o, "timeline: []");
        let at = |t: Timestamp| exact_duration(t.duration_since(since)).unwrap_or(t.to_string());
        let mut lines = String::new();
        let mut line = |v: serde_json::Value| {
            lines.push_str(&v.to_string());
            lines.push('\n');
        };
        for s in &samples {
            line(serde_json::json!({"at": at(s.ts), "sample": {
                "slo": s.slo, "good": s.good, "total": s.total}}));
        }
        for (t, k, i) in timeline {
            if k == 0 {
                let e = &alert_events[i];
                let mut a = serde_json::json!({"labels": e.alert.labels});
                if e.resolve {
                    line(serde_json::json!({"at": at(t), "resolve": a}));
                    continue;
                }
                if !e.alert.annotations.is_empty() {
                    a["annotations"] = serde_json::json!(e.alert.annotations);
                }
                if e.alert.state == AlertState::Suppressed {
                    a["silenced"] = serde_json::json!(true);
                }
                line(serde_json::json!({"at": at(t), "fire": a}));
            } else {
                let d = &decisions[i].1;
                let mut v = serde_json::json!({"actor": d.actor, "role": d.role, "kind": d.kind});
                for (key, x) in [
                    ("text", &d.text),
                    ("step", &d.step),
                    ("outcome", &d.outcome),
                ] {
                    if let Some(x) = x {
                        v[key] = serde_json::json!(x);
                    }
                }
                if let Some(argv) = &d.argv {
                    v["argv"] = serde_json::json!(argv);
                }
                line(serde_json::json!({"at": at(t), "decision": v}));
            }
        }
        return Ok(Recorded {
            scenario: o,
            events: Some(lines),
            stats,
        });
    }
    let _ = writeln!(o, "samples:");
    if samples.is_empty() {
        o.truncate(o.len() - 1);
        let _ = writeln!(o, " []");
    }
    for s in &samples {
        let _ = writeln!(
            o,
            "  - {{at: {}, slo: {}, good: {}, total: {}}}",
            at_text(since, s.ts),
            q(&s.slo),
            num(s.good),
            num(s.total)
        );
    }
    let _ = writeln!(o, "timeline:");
    if timeline.is_empty() {
        o.truncate(o.len() - 1);
        let _ = writeln!(o, " []");
    }
    for (at, k, i) in timeline {
        let _ = writeln!(o, "  - at: {}", at_text(since, at));
        if k == 0 {
            let e = &alert_events[i];
            if e.resolve {
                let _ = writeln!(o, "    resolve:");
                let _ = writeln!(o, "      labels: {}", flow_map(&e.alert.labels));
            } else {
                let _ = writeln!(o, "    fire:");
                let _ = writeln!(o, "      labels: {}", flow_map(&e.alert.labels));
                if !e.alert.annotations.is_empty() {
                    let _ = writeln!(o, "      annotations: {}", flow_map(&e.alert.annotations));
                }
                if e.alert.state == AlertState::Suppressed {
                    let _ = writeln!(o, "      silenced: true");
                }
            }
        } else {
            let d = &decisions[i].1;
            let _ = writeln!(o, "    decision:");
            let _ = writeln!(o, "      actor: {}", q(&d.actor));
            let _ = writeln!(o, "      role: {}", d.role);
            let _ = writeln!(o, "      kind: {}", d.kind);
            for (key, v) in [
                ("text", &d.text),
                ("step", &d.step),
                ("outcome", &d.outcome),
            ] {
                if let Some(v) = v {
                    let _ = writeln!(o, "      {key}: {}", q(v));
                }
            }
            if let Some(argv) = &d.argv {
                let items: Vec<String> = argv.iter().map(|a| q(a)).collect();
                let _ = writeln!(o, "      argv: [{}]", items.join(", "));
            }
        }
    }
    Ok(Recorded {
        scenario: o,
        events: None,
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact() {
        let d = |s: i64| exact_duration(SignedDuration::from_secs(s)).unwrap();
        assert_eq!(d(0), "0s");
        assert_eq!(d(-31 * 86_400), "-31d");
        assert_eq!(d(5_400), "1h30m");
        assert_eq!(d(90_061), "1d1h1m1s");
        assert_eq!(exact_duration(SignedDuration::from_millis(1500)), None);
    }
}
