//! The incident timeline as Markdown: a postmortem draft that keeps what postmortems lose — the
//! hypotheses and false leads, the rejected suggestions with their reasons, the mode changes with
//! their evidence, who approved what and when — with the sections the postmortem linter expects
//! (Summary, Timeline, What we tried, Contributing factors, Action items) and placeholders for
//! what a journal cannot know.
//!
//! Pure: records in, Markdown out.
//!
//! Size: a little over 600 lines: one document, a function a section, all reading the same
//! gathered records (`Gathered`); the sections belong together as the postmortem does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::body::{KindBody, RecordBody};
use super::record::{JournalRecord, RecordKind};
use crate::slo::{BurnAlert, Mode, ModeChange};
use crate::time::{Timestamp, clock_hms};

/// Marks the text a person has to write.
pub const PLACEHOLDER: &str = "_To fill:";

/// One line of Markdown: no line breaks, no accidental headings.
fn inline(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn who(r: &JournalRecord) -> String {
    format!("{} ({})", r.actor, r.role)
}

/// " in FREEZE" for a record written in a known mode.
fn in_mode(b: &RecordBody) -> String {
    b.mode
        .map(|m| format!(" in {}", m.label()))
        .unwrap_or_default()
}

fn argv_text(b: &RecordBody) -> Option<String> {
    let argv = b.step()?.argv.as_ref()?;
    (!argv.is_empty()).then(|| crate::actions::shell_display(argv))
}

/// The step a decision names, `?` when it names none.
fn step_of(b: &RecordBody) -> &str {
    let step = b.step().and_then(|s| s.step.as_ref()).map(|s| s.as_str());
    step.filter(|x| !x.is_empty()).unwrap_or("?")
}

/// A field's text, when it has any.
fn text(x: Option<&String>) -> Option<&str> {
    x.map(String::as_str).filter(|x| !x.is_empty())
}

/// What a hypothesis or a note says (else its summary).
fn note_text<'a>(r: &'a JournalRecord, b: &'a RecordBody) -> String {
    inline(text(b.note().and_then(|n| n.text.as_ref())).unwrap_or(&r.summary))
}

fn reason_of(b: &RecordBody) -> Option<&str> {
    let reason = match &b.of_kind {
        KindBody::Step(s) => s.reason.as_ref(),
        KindBody::Override(o) => o.reason.as_ref(),
        _ => None,
    };
    text(reason)
}

fn outcome_of(b: &RecordBody) -> Option<&str> {
    text(b.step().and_then(|s| s.outcome.as_ref()))
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
    let mut text = if ev.is_empty() || ev.iter().all(|e| reason.contains(e.as_str())) {
        format!("{reason}{slo}")
    } else {
        format!("{reason}{slo}; evidence: {}", ev.join("; "))
    };
    // The drift overlay as data, whatever the reason text said of it.
    if let Some(d) = &change.drift
        && !reason.contains("CUSUM")
    {
        text.push_str(&format!(
            "; drift: {} {:.2} → {:.2} ({}) since {}, CUSUM {:.2} > {:.2}",
            d.metric,
            d.baseline_mean,
            d.recent_mean,
            d.sigma_text(),
            crate::time::clock_hms(d.since),
            d.statistic,
            d.threshold
        ));
    }
    text
}

/// `FREEZE → REDESIGN`, or `started in REDESIGN` for the state a cockpit started in (a record
/// with `from: null`), which changed nothing.
fn mode_step(c: &ModeChange) -> String {
    match c.from {
        Some(from) if from == c.to => format!("{} stays", c.to.label()),
        Some(from) => format!("{} → {}", from.label(), c.to.label()),
        None => format!("started in {}", c.to.label()),
    }
}

/// A record in range, with its body read.
type Rec<'a> = (&'a JournalRecord, RecordBody);

/// What the draft is written from: the records in range, sorted into what each section needs.
struct Gathered<'a> {
    recs: Vec<Rec<'a>>,
    mode_at_start: Mode,
    journal_id: String,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    date: Option<String>,
    mode_changes: Vec<(&'a JournalRecord, ModeChange)>,
    hypotheses: Vec<usize>,
    notes: Vec<usize>,
    rejections: Vec<usize>,
    /// step → (approvals, edits and proposals; executions and work by hand), as indexes into
    /// `recs`, in the order steps first appear.
    steps: BTreeMap<String, (Vec<usize>, Vec<usize>)>,
    step_order: Vec<String>,
    people: BTreeSet<String>,
}

fn change_of(r: &JournalRecord) -> Option<ModeChange> {
    (r.kind == RecordKind::ModeChange)
        .then(|| r.read_body().mode_change().and_then(|c| c.change.clone()))
        .flatten()
}

impl<'a> Gathered<'a> {
    fn of(
        records: &'a [JournalRecord],
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Gathered<'a> {
        let in_range =
            |r: &&JournalRecord| since.is_none_or(|t| r.ts >= t) && until.is_none_or(|t| r.ts <= t);
        let recs: Vec<Rec<'a>> = records
            .iter()
            .filter(in_range)
            .filter(|r| !matches!(r.kind, RecordKind::Genesis | RecordKind::Checkpoint))
            .map(|r| (r, r.read_body()))
            .collect();
        // The mode in force when the range starts: the last mode record before it; else what
        // the first one in it says (the state a cockpit started in, or the mode a change left).
        let mode_at_start = records
            .iter()
            .filter(|r| since.is_some_and(|t| r.ts < t))
            .rev()
            .find_map(change_of)
            .map(|c| c.to)
            .or_else(|| {
                recs.iter()
                    .find_map(|(_, b)| b.mode_change().and_then(|c| c.change.as_ref()))
                    .map(|c| c.from.unwrap_or(c.to))
            })
            .unwrap_or(Mode::Adaptive);
        let journal_id = records
            .iter()
            .find(|r| r.kind == RecordKind::Genesis)
            .and_then(|r| {
                let b = r.read_body();
                text(b.genesis().and_then(|g| g.journal_id.as_ref())).map(str::to_string)
            })
            .unwrap_or_else(|| "the journal".into());
        let first = recs.first().map(|(r, _)| r.ts).or(since);
        let last = recs.last().map(|(r, _)| r.ts).or(until);
        let date = first.map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .to_string()
        });
        let mut g = Gathered {
            recs: Vec::new(),
            mode_at_start,
            journal_id,
            first,
            last,
            date,
            mode_changes: Vec::new(),
            hypotheses: Vec::new(),
            notes: Vec::new(),
            rejections: Vec::new(),
            steps: BTreeMap::new(),
            step_order: Vec::new(),
            people: BTreeSet::new(),
        };
        for (i, (r, b)) in recs.iter().enumerate() {
            if !r.role.is_system() {
                g.people.insert(who(r));
            }
            match r.kind {
                RecordKind::ModeChange => {
                    if let Some(c) = b.mode_change().and_then(|c| c.change.clone()) {
                        g.mode_changes.push((r, c));
                    }
                }
                RecordKind::Hypothesis => g.hypotheses.push(i),
                RecordKind::Note => g.notes.push(i),
                RecordKind::Rejection => g.rejections.push(i),
                RecordKind::Approval
                | RecordKind::Execution
                | RecordKind::Manual
                | RecordKind::Edit
                | RecordKind::Proposal => {
                    let step = step_of(b).to_string();
                    if !g.steps.contains_key(&step) {
                        g.step_order.push(step.clone());
                    }
                    let e = g.steps.entry(step).or_default();
                    if matches!(r.kind, RecordKind::Execution | RecordKind::Manual) {
                        e.1.push(i);
                    } else {
                        e.0.push(i);
                    }
                }
                _ => {}
            }
        }
        g.recs = recs;
        g
    }

    fn rec(&self, i: usize) -> (&'a JournalRecord, &RecordBody) {
        let (r, b) = &self.recs[i];
        (r, b)
    }

    /// The strictest mode the incident reached.
    fn peak(&self) -> Mode {
        self.mode_changes
            .iter()
            .map(|(_, c)| c.to)
            .chain([self.mode_at_start])
            .max()
            .unwrap_or(Mode::Adaptive)
    }
}

/// The timeline of `records` between `since` and `until` (inclusive; `None` = open) as a
/// postmortem draft in Markdown.
pub fn timeline_markdown(
    records: &[JournalRecord],
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> String {
    let g = Gathered::of(records, since, until);
    let mut o = String::new();
    front_matter(&mut o, &g);
    summary(&mut o, &g);
    timeline(&mut o, &g);
    what_we_tried(&mut o, &g);
    modes(&mut o, &g);
    unknowns(&mut o, &g);
    o
}

/// Front matter: what the postmortem format wants; what the journal cannot know is left open.
fn front_matter(o: &mut String, g: &Gathered<'_>) {
    let date_text = g.date.clone().unwrap_or_else(|| "an unknown date".into());
    let _ = writeln!(o, "---");
    let _ = writeln!(
        o,
        "id: PM-DRAFT-{}",
        g.date.clone().unwrap_or_else(|| "undated".into())
    );
    let _ = writeln!(
        o,
        "title: \"Incident on {date_text} (draft from the journal)\""
    );
    if let Some(d) = &g.date {
        let _ = writeln!(o, "date: {d}");
    }
    let _ = writeln!(o, "services: []   # to fill");
    let _ = writeln!(o, "alerts: []     # to fill");
    let _ = writeln!(o, "severity: \"\"   # to fill (SEV1..SEV4)");
    let _ = writeln!(o, "---");
    let _ = writeln!(o, "# Incident on {date_text} (draft from the journal)");
    let _ = writeln!(o);
    let span = match (g.first, g.last) {
        (Some(a), Some(b)) => format!("{}–{} UTC", clock_hms(a), clock_hms(b)),
        _ => "no records".into(),
    };
    let seqs = match (g.recs.first(), g.recs.last()) {
        (Some((a, _)), Some((b, _))) => format!("records #{}–#{}", a.seq, b.seq),
        _ => "no records".into(),
    };
    let _ = writeln!(
        o,
        "> Drafted by `flightdeck journal timeline` from {}, {seqs} ({span}). \
         Verify the chain with `flightdeck journal verify`. Replace every \"{PLACEHOLDER}\".",
        g.journal_id
    );
}

/// Summary: left to write, with the facts the journal gives.
fn summary(o: &mut String, g: &Gathered<'_>) {
    let _ = writeln!(o, "\n## Summary\n");
    let _ = writeln!(
        o,
        "{PLACEHOLDER} what happened, who was affected and for how long._"
    );
    let _ = writeln!(o);
    let mut facts = Vec::new();
    if !g.people.is_empty() {
        facts.push(format!(
            "From the journal: decisions by {}.",
            g.people.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !g.mode_changes.is_empty() {
        // Only what changed the mode: a cockpit that started in the mode in force adds nothing.
        let mut current = g.mode_at_start;
        let mut path = vec![g.mode_at_start.label().to_string()];
        for (r, c) in &g.mode_changes {
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
            format!(
                "The governor was in {} throughout.",
                g.mode_at_start.label()
            )
        } else {
            format!("The governor went {}.", path.join(" → "))
        });
    }
    let executed: Vec<String> = g
        .step_order
        .iter()
        .filter(|st| !g.steps[*st].1.is_empty())
        .map(|st| {
            let (ex, _) = g.rec(g.steps[st].1[0]);
            format!("{st} at {}", clock_hms(ex.ts))
        })
        .collect();
    facts.push(format!(
        "{} hypothes{} noted, {} suggestion{} rejected, {} step{} run{}.",
        g.hypotheses.len(),
        if g.hypotheses.len() == 1 { "is" } else { "es" },
        g.rejections.len(),
        if g.rejections.len() == 1 { "" } else { "s" },
        executed.len(),
        if executed.len() == 1 { "" } else { "s" },
        if executed.is_empty() {
            String::new()
        } else {
            format!(" ({})", executed.join(", "))
        }
    ));
    let _ = writeln!(o, "{}", facts.join(" "));
}

/// Timeline: one line a record.
fn timeline(o: &mut String, g: &Gathered<'_>) {
    let _ = writeln!(o, "\n## Timeline\n");
    if g.recs.is_empty() {
        let _ = writeln!(
            o,
            "- {PLACEHOLDER} the journal has no records in this range._"
        );
    }
    for (r, b) in &g.recs {
        if let Some(line) = timeline_line(r, b) {
            let _ = writeln!(o, "- {} {line}", clock_hms(r.ts));
        }
    }
}

fn timeline_line(r: &JournalRecord, b: &RecordBody) -> Option<String> {
    Some(match r.kind {
        RecordKind::ModeChange => match b.mode_change().and_then(|c| c.change.as_ref()) {
            Some(c) => format!("**mode** {} (governor): {}", mode_step(c), evidence_text(c)),
            None => format!("**mode** {}", inline(&r.summary)),
        },
        RecordKind::Hypothesis => format!("**hypothesis** — {}: {}", who(r), note_text(r, b)),
        RecordKind::Note => format!("**note** — {}: {}", who(r), note_text(r, b)),
        RecordKind::Approval => format!(
            "**approved** `{}` — {}{}{}",
            step_of(b),
            who(r),
            in_mode(b),
            b.step()
                .and_then(|s| s.verdict())
                .map(|p| format!(" (policy before: {p})"))
                .unwrap_or_default()
        ),
        RecordKind::Rejection => format!(
            "**rejected** `{}` — {}: {}",
            step_of(b),
            who(r),
            inline(reason_of(b).unwrap_or("(no reason)"))
        ),
        RecordKind::Edit => format!("**edited** — {}: {}", who(r), inline(&r.summary)),
        RecordKind::Proposal => format!("**proposed** — {}: {}", who(r), inline(&r.summary)),
        RecordKind::Execution => {
            let dry = b
                .step()
                .and_then(|s| s.exec.as_ref())
                .and_then(|e| e.dry_run)
                .unwrap_or(false);
            format!(
                "**{}** `{}` — {}{}",
                if dry { "dry-ran" } else { "ran" },
                step_of(b),
                who(r),
                outcome_of(b)
                    .map(|x| format!(" → {}", inline(x)))
                    .unwrap_or_default()
            )
        }
        RecordKind::Manual => format!(
            "**done by hand** `{}` — {}{}: {}",
            step_of(b),
            who(r),
            in_mode(b),
            inline(outcome_of(b).unwrap_or("(nothing written)"))
        ),
        RecordKind::Override => match b.override_().and_then(|o| o.to) {
            Some(to) => format!(
                "**override** — {}: mode {} until {}: {}",
                who(r),
                to.label(),
                b.override_()
                    .and_then(|o| o.until)
                    .map(clock_hms)
                    .unwrap_or_else(|| "?".into()),
                inline(reason_of(b).unwrap_or("(no reason)"))
            ),
            None => format!(
                "**override ended** — {}: {}",
                who(r),
                inline(reason_of(b).unwrap_or("(no reason)"))
            ),
        },
        RecordKind::Experiment => format!(
            "**chaos experiment {}** — {}: {}",
            r.body.get("phase").and_then(|v| v.as_str()).unwrap_or("?"),
            who(r),
            inline(&r.summary)
        ),
        RecordKind::Unknown(name) => format!(
            "**{}** (a record kind this version does not know) — {}: {}",
            name.as_str(),
            who(r),
            inline(&r.summary)
        ),
        RecordKind::Genesis | RecordKind::Checkpoint => return None,
    })
}

/// What we tried: hypotheses, notes and the suggestions rejected.
fn what_we_tried(o: &mut String, g: &Gathered<'_>) {
    let _ = writeln!(o, "\n## What we tried\n");
    let _ = writeln!(o, "### Hypotheses and false leads\n");
    if g.hypotheses.is_empty() {
        let _ = writeln!(
            o,
            "- {PLACEHOLDER} no hypothesis was journaled; which ideas were considered and dropped?_"
        );
    }
    for &i in &g.hypotheses {
        let (r, b) = g.rec(i);
        let _ = writeln!(o, "- {} {}: {}", clock_hms(r.ts), who(r), note_text(r, b));
    }
    if !g.notes.is_empty() {
        let _ = writeln!(o, "\n### Investigation notes\n");
        for &i in &g.notes {
            let (r, b) = g.rec(i);
            let _ = writeln!(o, "- {} {}: {}", clock_hms(r.ts), who(r), note_text(r, b));
        }
    }
    let _ = writeln!(o, "\n### Rejected suggestions (false leads not taken)\n");
    if g.rejections.is_empty() {
        let _ = writeln!(o, "- none journaled");
    }
    for &i in &g.rejections {
        let (r, b) = g.rec(i);
        let _ = writeln!(
            o,
            "- {} `{}` rejected by {}{}: {}",
            clock_hms(r.ts),
            step_of(b),
            who(r),
            in_mode(b),
            inline(reason_of(b).unwrap_or("(no reason)"))
        );
    }
    actions_taken(o, g);
}

/// Actions taken: who approved what, and when; what ran.
fn actions_taken(o: &mut String, g: &Gathered<'_>) {
    let _ = writeln!(o, "\n### Actions taken (who approved what, and when)\n");
    if g.step_order.is_empty() {
        let _ = writeln!(o, "- none journaled");
    }
    for st in &g.step_order {
        let (approvals, runs) = &g.steps[st];
        let appr: Vec<String> = approvals
            .iter()
            .map(|&i| {
                let (r, b) = g.rec(i);
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
                    in_mode(b)
                )
            })
            .collect();
        let ran: Vec<String> = runs
            .iter()
            .map(|&i| {
                let (r, b) = g.rec(i);
                format!(
                    "{} {}{}",
                    if r.kind == RecordKind::Manual {
                        "done by hand"
                    } else {
                        "ran"
                    },
                    clock_hms(r.ts),
                    outcome_of(b)
                        .map(|x| format!(" → {}", inline(x)))
                        .unwrap_or_default()
                )
            })
            .collect();
        let argv = approvals
            .iter()
            .chain(runs.iter())
            .find_map(|&i| argv_text(g.rec(i).1))
            .map(|a| format!(" (`{a}`)"))
            .unwrap_or_default();
        let mut parts = appr;
        parts.extend(ran);
        if runs.is_empty() {
            parts.push("never ran".into());
        }
        let _ = writeln!(o, "- `{st}`{argv}: {}", parts.join("; "));
    }
}

/// Error budget and governor mode.
fn modes(o: &mut String, g: &Gathered<'_>) {
    let _ = writeln!(o, "\n## Error budget and governor mode\n");
    let _ = writeln!(o, "- mode at the start: {}", g.mode_at_start.label());
    for (r, c) in &g.mode_changes {
        let _ = writeln!(
            o,
            "- {} {}: {}",
            clock_hms(r.ts),
            mode_step(c),
            evidence_text(c)
        );
    }
}

/// What a journal cannot know: contributing factors and action items.
fn unknowns(o: &mut String, g: &Gathered<'_>) {
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
    if g.peak() == Mode::Redesign {
        let slo = g
            .mode_changes
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
}
