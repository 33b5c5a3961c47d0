//! The incident timeline as Markdown: a postmortem draft that keeps what postmortems lose — the
//! hypotheses and false leads, the rejected suggestions with their reasons, the mode changes with
//! their evidence, who approved what and when — with the sections the postmortem linter expects
//! (Summary, Timeline, What we tried, Contributing factors, Action items) and placeholders for
//! what a journal cannot know.
//!
//! Pure: records in, Markdown out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::record::{JournalRecord, RecordKind, body_field};
use crate::slo::{BurnAlert, Mode, ModeChange};
use crate::time::{Timestamp, clock_hms};

/// Marks the text a person has to write.
pub const PLACEHOLDER: &str = "_To fill:";

fn s<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(|x| x.as_str())
        .filter(|x| !x.is_empty())
}

/// One line of Markdown: no line breaks, no accidental headings.
fn inline(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn who(r: &JournalRecord) -> String {
    format!("{} ({})", r.actor, r.role)
}

fn mode_of(r: &JournalRecord) -> Option<Mode> {
    body_field::<Mode>(&r.body, "mode")
}

fn argv_text(v: &serde_json::Value) -> Option<String> {
    let argv: Vec<String> = serde_json::from_value(v.get("argv")?.clone()).ok()?;
    (!argv.is_empty()).then(|| crate::actions::shell_display(&argv))
}

fn policy_text(v: &serde_json::Value) -> Option<String> {
    let p: crate::actions::Verdict = serde_json::from_value(v.get("policy")?.clone()).ok()?;
    Some(p.to_string())
}

fn evidence_text(change: &ModeChange) -> String {
    let ev: Vec<String> = change.evidence.iter().map(BurnAlert::describe).collect();
    let reason = inline(&change.reason);
    let slo = change
        .slo
        .as_deref()
        .filter(|s| !reason.contains(s))
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    if ev.is_empty() || ev.iter().all(|e| reason.contains(e.as_str())) {
        format!("{reason}{slo}")
    } else {
        format!("{reason}{slo}; evidence: {}", ev.join("; "))
    }
}

/// `FREEZE → REDESIGN`, or `started in REDESIGN` for the state a cockpit started in (a record
/// with `from: null`), which changed nothing.
fn mode_step(c: &ModeChange) -> String {
    match c.from {
        Some(from) => format!("{} → {}", from.label(), c.to.label()),
        None => format!("started in {}", c.to.label()),
    }
}

/// The timeline of `records` between `since` and `until` (inclusive; `None` = open) as a
/// postmortem draft in Markdown.
pub fn timeline_markdown(
    records: &[JournalRecord],
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> String {
    let in_range =
        |r: &&JournalRecord| since.is_none_or(|t| r.ts >= t) && until.is_none_or(|t| r.ts <= t);
    let mode_of_record = |r: &JournalRecord| {
        (r.kind == RecordKind::ModeChange)
            .then(|| serde_json::from_value::<ModeChange>(r.body.clone()).ok())
            .flatten()
    };
    let recs: Vec<&JournalRecord> = records
        .iter()
        .filter(in_range)
        .filter(|r| !matches!(r.kind, RecordKind::Genesis | RecordKind::Checkpoint))
        .collect();
    // The mode in force when the range starts: the last mode record before it; else what the
    // first one in it says (the state a cockpit started in, or the mode a change left).
    let mode_at_start = records
        .iter()
        .filter(|r| since.is_some_and(|t| r.ts < t))
        .rev()
        .find_map(mode_of_record)
        .map(|c| c.to)
        .or_else(|| {
            recs.iter()
                .find_map(|r| mode_of_record(r))
                .map(|c| c.from.unwrap_or(c.to))
        })
        .unwrap_or(Mode::Adaptive);
    let journal_id = records
        .iter()
        .find(|r| r.kind == RecordKind::Genesis)
        .and_then(|r| s(&r.body, "journal_id"))
        .unwrap_or("the journal");

    let first = recs.first().map(|r| r.ts).or(since);
    let last = recs.last().map(|r| r.ts).or(until);
    let date = first.map(|t| {
        t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    });
    let date_text = date.clone().unwrap_or_else(|| "an unknown date".into());

    let mut mode_changes: Vec<(&JournalRecord, ModeChange)> = Vec::new();
    let mut hypotheses = Vec::new();
    let mut notes = Vec::new();
    let mut rejections = Vec::new();
    // step → (approvals, executions, edits)
    let mut steps: BTreeMap<String, (Vec<&JournalRecord>, Vec<&JournalRecord>)> = BTreeMap::new();
    let mut step_order: Vec<String> = Vec::new();
    let mut people: BTreeSet<String> = BTreeSet::new();
    for r in &recs {
        if r.role != "system" {
            people.insert(who(r));
        }
        match r.kind {
            RecordKind::ModeChange => {
                if let Ok(c) = serde_json::from_value::<ModeChange>(r.body.clone()) {
                    mode_changes.push((r, c));
                }
            }
            RecordKind::Hypothesis => hypotheses.push(*r),
            RecordKind::Note => notes.push(*r),
            RecordKind::Rejection => rejections.push(*r),
            RecordKind::Approval
            | RecordKind::Execution
            | RecordKind::Manual
            | RecordKind::Edit
            | RecordKind::Proposal => {
                let step = s(&r.body, "step").unwrap_or("?").to_string();
                if !steps.contains_key(&step) {
                    step_order.push(step.clone());
                }
                let e = steps.entry(step).or_default();
                if matches!(r.kind, RecordKind::Execution | RecordKind::Manual) {
                    e.1.push(r);
                } else {
                    e.0.push(r);
                }
            }
            _ => {}
        }
    }
    let peak = mode_changes
        .iter()
        .map(|(_, c)| c.to)
        .chain([mode_at_start])
        .max()
        .unwrap_or(Mode::Adaptive);

    let mut o = String::new();
    // Front matter: what the postmortem format wants; what the journal cannot know is left open.
    let _ = writeln!(o, "---");
    let _ = writeln!(
        o,
        "id: PM-DRAFT-{}",
        date.clone().unwrap_or_else(|| "undated".into())
    );
    let _ = writeln!(
        o,
        "title: \"Incident on {date_text} (draft from the journal)\""
    );
    if let Some(d) = &date {
        let _ = writeln!(o, "date: {d}");
    }
    let _ = writeln!(o, "services: []   # to fill");
    let _ = writeln!(o, "alerts: []     # to fill");
    let _ = writeln!(o, "severity: \"\"   # to fill (SEV1..SEV4)");
    let _ = writeln!(o, "---");
    let _ = writeln!(o, "# Incident on {date_text} (draft from the journal)");
    let _ = writeln!(o);
    let span = match (first, last) {
        (Some(a), Some(b)) => format!("{}–{} UTC", clock_hms(a), clock_hms(b)),
        _ => "no records".into(),
    };
    let seqs = match (recs.first(), recs.last()) {
        (Some(a), Some(b)) => format!("records #{}–#{}", a.seq, b.seq),
        _ => "no records".into(),
    };
    let _ = writeln!(
        o,
        "> Drafted by `flightdeck journal timeline` from {journal_id}, {seqs} ({span}). \
         Verify the chain with `flightdeck journal verify`. Replace every \"{PLACEHOLDER}\"."
    );

    // ---- Summary ------------------------------------------------------------------------------
    let _ = writeln!(o, "\n## Summary\n");
    let _ = writeln!(
        o,
        "{PLACEHOLDER} what happened, who was affected and for how long._"
    );
    let _ = writeln!(o);
    let mut facts = Vec::new();
    if !people.is_empty() {
        facts.push(format!(
            "From the journal: decisions by {}.",
            people.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !mode_changes.is_empty() {
        // Only what changed the mode: a cockpit that started in the mode in force adds nothing.
        let mut current = mode_at_start;
        let mut path = vec![mode_at_start.label().to_string()];
        for (r, c) in &mode_changes {
            if c.to != current {
                let found = if c.is_state() {
                    ", found at a start"
                } else {
                    ""
                };
                path.push(format!("{} at {}{found}", c.to.label(), clock_hms(r.ts)));
                current = c.to;
            }
        }
        facts.push(if path.len() == 1 {
            format!("The governor was in {} throughout.", mode_at_start.label())
        } else {
            format!("The governor went {}.", path.join(" → "))
        });
    }
    let executed: Vec<String> = step_order
        .iter()
        .filter(|st| !steps[*st].1.is_empty())
        .map(|st| {
            let ex = steps[st].1[0];
            format!("{st} at {}", clock_hms(ex.ts))
        })
        .collect();
    facts.push(format!(
        "{} hypothes{} noted, {} suggestion{} rejected, {} step{} run{}.",
        hypotheses.len(),
        if hypotheses.len() == 1 { "is" } else { "es" },
        rejections.len(),
        if rejections.len() == 1 { "" } else { "s" },
        executed.len(),
        if executed.len() == 1 { "" } else { "s" },
        if executed.is_empty() {
            String::new()
        } else {
            format!(" ({})", executed.join(", "))
        }
    ));
    let _ = writeln!(o, "{}", facts.join(" "));

    // ---- Timeline -----------------------------------------------------------------------------
    let _ = writeln!(o, "\n## Timeline\n");
    if recs.is_empty() {
        let _ = writeln!(
            o,
            "- {PLACEHOLDER} the journal has no records in this range._"
        );
    }
    for r in &recs {
        let t = clock_hms(r.ts);
        let line = match r.kind {
            RecordKind::ModeChange => match serde_json::from_value::<ModeChange>(r.body.clone()) {
                Ok(c) => format!(
                    "**mode** {} (governor): {}",
                    mode_step(&c),
                    evidence_text(&c)
                ),
                Err(_) => format!("**mode** {}", inline(&r.summary)),
            },
            RecordKind::Hypothesis => format!(
                "**hypothesis** — {}: {}",
                who(r),
                inline(s(&r.body, "text").unwrap_or(&r.summary))
            ),
            RecordKind::Note => format!(
                "**note** — {}: {}",
                who(r),
                inline(s(&r.body, "text").unwrap_or(&r.summary))
            ),
            RecordKind::Approval => format!(
                "**approved** `{}` — {}{}{}",
                s(&r.body, "step").unwrap_or("?"),
                who(r),
                mode_of(r)
                    .map(|m| format!(" in {}", m.label()))
                    .unwrap_or_default(),
                policy_text(&r.body)
                    .map(|p| format!(" (policy before: {p})"))
                    .unwrap_or_default()
            ),
            RecordKind::Rejection => format!(
                "**rejected** `{}` — {}: {}",
                s(&r.body, "step").unwrap_or("?"),
                who(r),
                inline(s(&r.body, "reason").unwrap_or("(no reason)"))
            ),
            RecordKind::Edit => format!("**edited** — {}: {}", who(r), inline(&r.summary)),
            RecordKind::Proposal => format!("**proposed** — {}: {}", who(r), inline(&r.summary)),
            RecordKind::Execution => {
                let dry = r
                    .body
                    .get("exec")
                    .and_then(|e| e.get("dry_run"))
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                format!(
                    "**{}** `{}` — {}{}",
                    if dry { "dry-ran" } else { "ran" },
                    s(&r.body, "step").unwrap_or("?"),
                    who(r),
                    s(&r.body, "outcome")
                        .map(|x| format!(" → {}", inline(x)))
                        .unwrap_or_default()
                )
            }
            RecordKind::Manual => format!(
                "**done by hand** `{}` — {}{}: {}",
                s(&r.body, "step").unwrap_or("?"),
                who(r),
                mode_of(r)
                    .map(|m| format!(" in {}", m.label()))
                    .unwrap_or_default(),
                inline(s(&r.body, "outcome").unwrap_or("(nothing written)"))
            ),
            RecordKind::Override => match body_field::<Mode>(&r.body, "to") {
                Some(to) => format!(
                    "**override** — {}: mode {} until {}: {}",
                    who(r),
                    to.label(),
                    body_field::<Timestamp>(&r.body, "until")
                        .map(clock_hms)
                        .unwrap_or_else(|| "?".into()),
                    inline(s(&r.body, "reason").unwrap_or("(no reason)"))
                ),
                None => format!(
                    "**override ended** — {}: {}",
                    who(r),
                    inline(s(&r.body, "reason").unwrap_or("(no reason)"))
                ),
            },
            RecordKind::Experiment => format!(
                "**chaos experiment {}** — {}: {}",
                s(&r.body, "phase").unwrap_or("?"),
                who(r),
                inline(&r.summary)
            ),
            RecordKind::Unknown(name) => format!(
                "**{}** (a record kind this version does not know) — {}: {}",
                name.as_str(),
                who(r),
                inline(&r.summary)
            ),
            RecordKind::Genesis | RecordKind::Checkpoint => continue,
        };
        let _ = writeln!(o, "- {t} {line}");
    }

    // ---- What we tried ------------------------------------------------------------------------
    let _ = writeln!(o, "\n## What we tried\n");
    let _ = writeln!(o, "### Hypotheses and false leads\n");
    if hypotheses.is_empty() {
        let _ = writeln!(
            o,
            "- {PLACEHOLDER} no hypothesis was journaled; which ideas were considered and dropped?_"
        );
    }
    for r in &hypotheses {
        let _ = writeln!(
            o,
            "- {} {}: {}",
            clock_hms(r.ts),
            who(r),
            inline(s(&r.body, "text").unwrap_or(&r.summary))
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(o, "\n### Investigation notes\n");
        for r in &notes {
            let _ = writeln!(
                o,
                "- {} {}: {}",
                clock_hms(r.ts),
                who(r),
                inline(s(&r.body, "text").unwrap_or(&r.summary))
            );
        }
    }
    let _ = writeln!(o, "\n### Rejected suggestions (false leads not taken)\n");
    if rejections.is_empty() {
        let _ = writeln!(o, "- none journaled");
    }
    for r in &rejections {
        let _ = writeln!(
            o,
            "- {} `{}` rejected by {}{}: {}",
            clock_hms(r.ts),
            s(&r.body, "step").unwrap_or("?"),
            who(r),
            mode_of(r)
                .map(|m| format!(" in {}", m.label()))
                .unwrap_or_default(),
            inline(s(&r.body, "reason").unwrap_or("(no reason)"))
        );
    }
    let _ = writeln!(o, "\n### Actions taken (who approved what, and when)\n");
    if step_order.is_empty() {
        let _ = writeln!(o, "- none journaled");
    }
    for st in &step_order {
        let (approvals, runs) = &steps[st];
        let appr: Vec<String> = approvals
            .iter()
            .map(|r| {
                format!(
                    "{} {} by {}{}",
                    if r.kind == RecordKind::Edit {
                        "edited"
                    } else if r.kind == RecordKind::Proposal {
                        "proposed"
                    } else {
                        "approved"
                    },
                    clock_hms(r.ts),
                    who(r),
                    mode_of(r)
                        .map(|m| format!(" in {}", m.label()))
                        .unwrap_or_default()
                )
            })
            .collect();
        let ran: Vec<String> = runs
            .iter()
            .map(|r| {
                format!(
                    "{} {}{}",
                    if r.kind == RecordKind::Manual {
                        "done by hand"
                    } else {
                        "ran"
                    },
                    clock_hms(r.ts),
                    s(&r.body, "outcome")
                        .map(|x| format!(" → {}", inline(x)))
                        .unwrap_or_default()
                )
            })
            .collect();
        let argv = approvals
            .iter()
            .chain(runs.iter())
            .find_map(|r| argv_text(&r.body))
            .map(|a| format!(" (`{a}`)"))
            .unwrap_or_default();
        let mut parts = appr;
        parts.extend(ran);
        if runs.is_empty() {
            parts.push("never ran".into());
        }
        let _ = writeln!(o, "- `{st}`{argv}: {}", parts.join("; "));
    }

    // ---- Mode changes -------------------------------------------------------------------------
    let _ = writeln!(o, "\n## Error budget and governor mode\n");
    let _ = writeln!(o, "- mode at the start: {}", mode_at_start.label());
    for (r, c) in &mode_changes {
        let _ = writeln!(
            o,
            "- {} {}: {}",
            clock_hms(r.ts),
            mode_step(c),
            evidence_text(c)
        );
    }

    // ---- What a journal cannot know -----------------------------------------------------------
    let _ = writeln!(o, "\n## Contributing factors\n");
    let _ = writeln!(
        o,
        "- {PLACEHOLDER} a condition of the system that made this possible (not a person)._"
    );
    let _ = writeln!(
        o,
        "- {PLACEHOLDER} another one; incidents rarely have a single cause._"
    );
    let _ = writeln!(o, "\n## Action items\n");
    if peak == Mode::Redesign {
        let slo = mode_changes
            .iter()
            .find(|(_, c)| c.to == Mode::Redesign)
            .and_then(|(_, c)| c.slo.clone())
            .unwrap_or_else(|| "an SLO".into());
        let _ = writeln!(
            o,
            "- Redesign item owed: the error budget of {slo} is exhausted (the governor entered \
             REDESIGN). {PLACEHOLDER} the change, owner, ticket._"
        );
    }
    let _ = writeln!(
        o,
        "- {PLACEHOLDER} a change to the system (owner: team, ticket)._"
    );
    o
}
