//! A scenario's entries become its events: each entry's time read (an offset from the start or
//! a timestamp), samples checked against the SLOs, then the timeline sorted (stable) and its
//! alerts resolved against their last firing, its decisions checked.

use std::collections::HashMap;

use super::entry::{Body, Dec, Entry, Origin, Smp};
use super::raw::RawAlert;
use super::{DecisionKind, ReferenceDecision, ScenarioError, ScenarioEvent, TimedEvent};
use crate::actions::Role;
use crate::alerts::{Alert, AlertState, Fingerprint, fingerprint};
use crate::slo::SloSpec;
use crate::time::{Timestamp, checked_offset, parse_duration, parse_timestamp};

/// The files a scenario's entries come from, for messages.
pub(super) struct Files<'a> {
    /// The scenario file.
    pub(super) path: &'a str,
    /// Its events file (empty without one).
    pub(super) events_path: String,
}

impl Files<'_> {
    /// An error about an entry names the file it is in.
    fn err(&self, o: &Origin, line: Option<u64>, sub: &str, message: String) -> ScenarioError {
        ScenarioError {
            path: if o.file == 0 {
                self.path.to_string()
            } else {
                self.events_path.clone()
            },
            line,
            column: None,
            field: o.field(sub),
            message,
            fix: String::new(),
        }
    }
}

/// The scenario's events in time order (stable for equal times).
pub(super) fn events(
    files: &Files<'_>,
    start: Timestamp,
    slos: &[SloSpec],
    entries: Vec<Entry>,
) -> Result<Vec<TimedEvent>, ScenarioError> {
    let mut events = Vec::with_capacity(entries.len());
    // Timeline: sort first (stable), then resolve alerts against their last firing.
    let mut timeline = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let at = at_of(files, start, &e)?;
        if let Body::Sample(smp) = &e.body {
            events.push(sample(files, slos, &e.origin, smp, at)?);
            continue;
        }
        timeline.push((at, i, e));
    }
    timeline.sort_by_key(|(at, i, _)| (*at, *i));
    let mut fired_at: HashMap<Fingerprint, Timestamp> = HashMap::new();
    for (at, _, e) in timeline {
        let event = timeline_event(files, &mut fired_at, at, e)?;
        events.push(TimedEvent { at, event });
    }
    events.sort_by_key(|e| e.at);
    Ok(events)
}

/// An entry's `at`: a timestamp, or an offset from the start.
fn at_of(files: &Files<'_>, start: Timestamp, e: &Entry) -> Result<Timestamp, ScenarioError> {
    let v = e.at.trim();
    let parsed = if v.contains('T') {
        parse_timestamp(v)
    } else {
        parse_duration(v).and_then(|d| checked_offset(start, d))
    };
    parsed.map_err(|m| files.err(&e.origin, e.at_line, ".at", m.into()))
}

/// A sample of one of the scenario's SLOs, with sane counters.
fn sample(
    files: &Files<'_>,
    slos: &[SloSpec],
    origin: &Origin,
    smp: &Smp,
    at: Timestamp,
) -> Result<TimedEvent, ScenarioError> {
    if !slos.iter().any(|x| x.name == smp.slo) {
        return Err(files.err(
            origin,
            smp.slo_line,
            ".slo",
            format!("{:?} is not one of the scenario's slos", smp.slo),
        ));
    }
    let (good, total) = (smp.good, smp.total);
    if !(good.is_finite() && total.is_finite() && good >= 0.0 && good <= total) {
        return Err(files.err(
            origin,
            smp.good_line,
            "",
            format!("good {good} and total {total} must be finite with 0 <= good <= total"),
        ));
    }
    Ok(TimedEvent {
        at,
        event: ScenarioEvent::Sample {
            slo: smp.slo.clone(),
            good,
            total,
        },
    })
}

/// A timeline entry at `at`: an alert that fires or resolves, or a decision.
fn timeline_event(
    files: &Files<'_>,
    fired_at: &mut HashMap<Fingerprint, Timestamp>,
    at: Timestamp,
    e: Entry,
) -> Result<ScenarioEvent, ScenarioError> {
    let Entry {
        origin,
        at_line: line,
        body,
        ..
    } = e;
    match body {
        Body::NotOne | Body::Sample(_) => {
            let what = if origin.file == 0 {
                "`fire`, `resolve` or `decision`"
            } else {
                "`fire`, `resolve`, `decision` or `sample`"
            };
            Err(files.err(
                &origin,
                line,
                "",
                format!("each event needs exactly one of {what}"),
            ))
        }
        Body::Fire(a) if !a.labels.contains_key("alertname") => Err(files.err(
            &origin,
            line,
            ".fire.labels",
            "an alert needs an `alertname` label".into(),
        )),
        Body::Fire(a) => Ok(fire(fired_at, at, a)),
        Body::Resolve(a) => {
            let fp = fingerprint(&a.labels);
            let Some(starts_at) = fired_at.remove(&fp) else {
                return Err(files.err(
                    &origin,
                    line,
                    ".resolve.labels",
                    "resolves an alert that is not firing at that time (labels must equal a fired alert's labels)".into(),
                ));
            };
            Ok(ScenarioEvent::Alert(Alert {
                labels: a.labels,
                annotations: a.annotations,
                starts_at,
                ends_at: Some(at),
                state: AlertState::Resolved,
                generator_url: None,
                detail: Default::default(),
            }))
        }
        Body::Decision(d) => decision(files, &origin, d).map(ScenarioEvent::Decision),
    }
}

/// An alert fires (or is re-sent): it starts at its first firing since it last resolved.
fn fire(
    fired_at: &mut HashMap<Fingerprint, Timestamp>,
    at: Timestamp,
    a: RawAlert,
) -> ScenarioEvent {
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

/// A responder's decision: a role, a kind, a step for approve/reject/execute, an argv only
/// with a step.
fn decision(
    files: &Files<'_>,
    origin: &Origin,
    d: Dec,
) -> Result<ReferenceDecision, ScenarioError> {
    let role: Role = d.role.parse().map_err(|_| {
        files.err(
            origin,
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
            return Err(files.err(
                origin,
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
        return Err(files.err(
            origin,
            d.kind_line,
            ".decision.step",
            "approve, reject and execute need `step: runbook-id/step-id`".into(),
        ));
    }
    if d.argv.as_ref().is_some_and(|a| !needs_step || a.is_empty()) {
        return Err(files.err(
            origin,
            d.kind_line,
            ".decision.argv",
            "`argv` goes with approve, reject or execute and names at least the program".into(),
        ));
    }
    Ok(ReferenceDecision {
        actor: d.actor,
        role,
        kind,
        text: d.text,
        step: d.step,
        outcome: d.outcome,
        argv: d.argv,
    })
}
