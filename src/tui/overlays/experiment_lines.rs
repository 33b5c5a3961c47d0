//! The detail of one experiment in the experiments view (`x`, [`super::experiment`]): what
//! its gate says (every check with its value), the allowance left, a run under way as its guard
//! sees it from this cockpit, the last run with its evidence; wrapped to the box.

use ratatui::text::{Line, Span};

use super::experiment::{Catalog, Entry};
use crate::chaos::gate::pct;
use crate::chaos::observe::{Running, Status};
use crate::chaos::record::RunSummary;
use crate::chaos::{Experiment, GateDecision};
use crate::cockpit::Cockpit;
use crate::sanitize::for_terminal;
use crate::time::{clock_hms, format_duration};
use crate::tui::theme;

fn check_line(ok: bool, name: &str, detail: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            if ok { "  ✓ " } else { "  ✗ " },
            if ok { theme::good() } else { theme::bad() },
        ),
        Span::styled(format!("{name:<12} "), theme::bold()),
        Span::styled(for_terminal(detail).into_owned(), theme::text()),
    ])
}

pub fn plain(text: String) -> Line<'static> {
    Line::from(Span::styled(text, theme::text()))
}

fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme::title()))
}

/// The detail lines of one experiment: its header, a run under way, the gate, the allowance,
/// the approvals, the last run.
pub fn detail(
    entry: &Entry,
    st: Option<&Status>,
    view: &Cockpit,
    cat: &Catalog,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let e = match &entry.experiment {
        Ok(e) => e,
        Err(why) => {
            out.push(Line::styled("does not parse:", theme::bad()));
            for l in for_terminal(&why.to_string()).lines() {
                out.push(plain(format!("  {l}")));
            }
            return out;
        }
    };
    let Some(st) = st else { return out };
    header(&mut out, entry, e, cat);
    if let Some(r) = &st.running {
        running(&mut out, e, r, view, cat);
    }
    if st.running.is_none()
        && let Some(last) = &st.last
    {
        out.push(Line::styled(
            format!(
                "last run {}: {} (details below)",
                clock_hms(last.started),
                for_terminal(&last.outcome)
            ),
            last_style(last),
        ));
    }
    out.push(Line::default());
    gate(&mut out, e, st);
    allowances(&mut out, &st.decision);
    approvals(&mut out, entry, st, cat);
    if let Some(last) = &st.last {
        last_run(&mut out, last);
    }
    out
}

/// A last run's style: a warning when it was halted.
fn last_style(last: &RunSummary) -> ratatui::style::Style {
    if last.halted {
        theme::warn()
    } else {
        theme::text()
    }
}

/// The journal unread, the title and path, the hypothesis, the blast radius.
fn header(out: &mut Vec<Line<'static>>, entry: &Entry, e: &Experiment, cat: &Catalog) {
    if let Some(why) = &cat.unread {
        out.push(Line::styled(
            format!(
                "! {}: runs before this cockpit started are not shown",
                for_terminal(why)
            ),
            theme::warn(),
        ));
    }
    out.push(Line::from(vec![
        Span::styled(for_terminal(&e.title).into_owned(), theme::bold()),
        Span::styled(format!("  {}", for_terminal(&entry.path)), theme::dim()),
    ]));
    out.push(plain(format!(
        "hypothesis: {}",
        for_terminal(&e.hypothesis)
    )));
    out.push(plain(format!(
        "blast radius: {} · limit {} of the remaining budget · at most {}",
        for_terminal(&e.blast_radius.describe()),
        pct(e.budget_limit),
        format_duration(e.max_duration)
    )));
}

/// A run under way as its guard sees it from this cockpit: time left, budgets spent, the
/// steady state, the closest boundary, a breach, a halt asked.
fn running(
    out: &mut Vec<Line<'static>>,
    e: &Experiment,
    r: &Running,
    view: &Cockpit,
    cat: &Catalog,
) {
    let scripted = cat.is_scripted(&r.run);
    out.push(Line::default());
    let left = r.deadline.duration_since(view.now());
    out.push(Line::styled(
        format!(
            "RUNNING{} since {} · run {} · {} left of {}",
            if r.dry_run { " (dry run)" } else { "" },
            clock_hms(r.started),
            r.run,
            format_duration(left.max(crate::time::SignedDuration::ZERO)),
            format_duration(e.max_duration)
        ),
        theme::warn(),
    ));
    for (slo, limit) in r.guard.limits() {
        let spent = r.guard.spent().get(slo).copied().unwrap_or(0.0);
        out.push(plain(format!(
            "  budget {}: spent {} of its {} limit",
            for_terminal(slo),
            pct(spent),
            pct(*limit)
        )));
    }
    for p in &r.probes {
        let tolerance = e
            .probes
            .iter()
            .find(|x| x.name == p.name)
            .map(|x| format!(" (tolerance {})", x.tolerance))
            .unwrap_or_default();
        let v = match &p.value {
            Ok(v) => format!("{v:.3}{tolerance}"),
            Err(why) => for_terminal(why).into_owned(),
        };
        out.push(plain(format!(
            "  steady state {}: {v}",
            for_terminal(&p.name)
        )));
    }
    if let Some(b) = cat.peaks.closest(r) {
        out.push(plain(format!(
            "  closest boundary: {} at {} of its limit ({})",
            for_terminal(&b.what),
            pct(b.used),
            for_terminal(&b.detail)
        )));
    }
    if let Some(b) = &r.breach {
        out.push(Line::styled(
            format!("  breach seen here: {}", for_terminal(&b.describe())),
            theme::bad(),
        ));
    }
    match &r.halt_asked {
        Some((who, at)) => out.push(Line::styled(
            format!(
                "  halt asked by {} at {}: its guard halts it",
                for_terminal(who),
                clock_hms(*at)
            ),
            theme::warn(),
        )),
        None if scripted => out.push(Line::styled(
            "  a replay's run (as `experiment run --replay` runs it, pre-computed): it plays as the replay's clock moves",
            theme::dim(),
        )),
        None => out.push(Line::styled("  H halts it (asks first)", theme::dim())),
    }
}

/// May it start now, every check; with no run under way, the Prometheus probes read here.
fn gate(out: &mut Vec<Line<'static>>, e: &Experiment, st: &Status) {
    let d = &st.decision;
    out.push(if d.may_start {
        Line::styled("may start now", theme::good())
    } else {
        Line::styled("may NOT start now", theme::bad())
    });
    for c in &d.checks {
        out.push(check_line(c.ok, &c.name, &c.detail));
    }
    // The Prometheus probes this cockpit read (live, while the view is open), against their
    // tolerance; a running experiment shows them with its guard above.
    if st.running.is_none() {
        for p in st.probes.iter().filter(|p| !p.skipped) {
            let Some(probe) = e.probes.iter().find(|x| {
                x.name == p.name && matches!(x.source, crate::chaos::ProbeSource::Prometheus { .. })
            }) else {
                continue;
            };
            let v = match &p.value {
                Ok(v) => format!("{v:.3} (tolerance {})", probe.tolerance),
                Err(why) => format!("not read: {}", for_terminal(why)),
            };
            out.push(plain(format!(
                "  steady state {} (Prometheus, read here): {v}",
                for_terminal(&p.name)
            )));
        }
    }
}

/// What experiments may still spend of each SLO's budget.
fn allowances(out: &mut Vec<Line<'static>>, d: &GateDecision) {
    if d.allowances.is_empty() {
        return;
    }
    out.push(heading("budget experiments may still spend (allowance)"));
    for a in &d.allowances {
        out.push(plain(format!(
            "  {}: {} left of {} (remaining {}, floor {}, spent by experiments {}); this run may spend {}",
            for_terminal(&a.slo),
            pct(a.left),
            pct(a.allowance),
            pct(a.remaining),
            pct(a.floor),
            pct(a.spent),
            pct(a.limit)
        )));
    }
}

/// The approvals counted (each person once), then the keys and the command line.
fn approvals(out: &mut Vec<Line<'static>>, entry: &Entry, st: &Status, cat: &Catalog) {
    let run_flags = cat.run_flags.as_str();
    let mut approvals: Vec<String> = Vec::new();
    for a in &st.approvals {
        let one = format!(
            "{} ({})",
            for_terminal(&a.by),
            crate::cockpit::role_name(a.role)
        );
        if !approvals.contains(&one) {
            approvals.push(one);
        }
    }
    out.push(plain(format!(
        "approvals counted: {} (yours counts when you start it)",
        if approvals.is_empty() {
            "none".to_string()
        } else {
            approvals.join(", ")
        }
    )));
    out.push(Line::styled(
        format!(
            "a approves it (method and rollbacks together); r starts it{}: flightdeck experiment run {}{}",
            if run_flags.is_empty() {
                ""
            } else {
                " as a dry run on the replay's clock"
            },
            for_terminal(&entry.path),
            run_flags
        ),
        theme::dim(),
    ));
}

/// The last run that ended: its outcome, why it halted, the evidence, what it spent, the
/// boundary it reached.
fn last_run(out: &mut Vec<Line<'static>>, last: &RunSummary) {
    out.push(Line::default());
    out.push(heading("last run"));
    out.push(Line::styled(
        format!(
            "  {} at {}: {}",
            last.run,
            clock_hms(last.started),
            for_terminal(&last.outcome)
        ),
        last_style(last),
    ));
    if let Some(b) = last
        .breach
        .as_ref()
        .and_then(|b| serde_json::from_value::<crate::chaos::Breach>(b.clone()).ok())
    {
        out.push(plain(format!("  halted: {}", for_terminal(&b.describe()))));
    }
    if let Some(ev) = last.evidence.as_ref().and_then(|v| v.get("observation")) {
        evidence(out, ev);
    }
    for (slo, spent) in &last.spent {
        let limit = last.limits.get(slo).copied().unwrap_or(0.0);
        out.push(plain(format!(
            "  spent on {}: {} of its {} limit",
            for_terminal(slo),
            pct(*spent),
            pct(limit)
        )));
    }
    if let Some(b) = last.boundary.first() {
        out.push(plain(format!(
            "  boundary reached: {} at {} of its limit",
            for_terminal(&b.what),
            pct(b.used)
        )));
    }
}

/// The observation a halted run's abort recorded: the budget mode, each SLO's budget left.
fn evidence(out: &mut Vec<Line<'static>>, ev: &serde_json::Value) {
    let mode = ev
        .get("budget_mode")
        .and_then(|m| m.as_str())
        .unwrap_or("?");
    let at = ev.get("at").and_then(|m| m.as_str()).unwrap_or("?");
    out.push(plain(format!(
        "  evidence: at {} the budgets said {}",
        for_terminal(at),
        mode.to_uppercase()
    )));
    for b in ev
        .get("budgets")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
    {
        if let (Some(slo), Some(rem)) = (
            b.get("slo").and_then(|s| s.as_str()),
            b.get("remaining").and_then(|r| r.as_f64()),
        ) {
            out.push(plain(format!(
                "    {} had {} of its budget left",
                for_terminal(slo),
                pct(rem)
            )));
        }
    }
}

/// Wraps each line to `width`, continuation lines indented under its indent.
pub fn wrap(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width).max(1);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        // A gate check: the mark and the name stay as they are, the detail hangs beside them.
        let check = line.spans.len() == 3
            && matches!(line.spans[0].content.as_ref(), "  ✓ " | "  ✗ ")
            && line.spans[0].width() + line.spans[1].width() < width / 2;
        if check {
            let prefix: Vec<Span<'static>> = line.spans[..2].to_vec();
            let hang = line.spans[0].width() + line.spans[1].width();
            let fragments = vec![(line.spans[2].content.to_string(), line.spans[2].style)];
            out.extend(super::wrap::words(
                &fragments,
                width,
                &prefix,
                &[Span::raw(" ".repeat(hang))],
            ));
            continue;
        }
        out.extend(super::wrap::indented(&line, width));
    }
    out
}
