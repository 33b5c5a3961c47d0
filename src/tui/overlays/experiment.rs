//! The experiments view (`x`): every chaos experiment file the cockpit knows (the config's
//! `[experiments] dir`, or the bundled one in a replay of the demo), with whether it may start
//! now and why (every gate check with its value), how much budget experiments may still spend
//! on each SLO of its blast radius (the allowance), and, for a run under way, its guard as this
//! cockpit sees it (budget spent against the limit, time left, the steady state, the boundary
//! closest to breach) — and the last run's outcome with its evidence.
//!
//! Decisions go through the journal like every other: `a` approves the selected experiment as
//! a whole (the record `experiment approve` writes, bound to its digest and the mode when
//! journaled), `H` asks a running one's guard to halt it (a `halt` record the run watches for).
//! Each asks first (`y`/Enter sends, `n`/Esc cancels) and takes effect once journaled. Starting
//! a run stays with `flightdeck experiment run FILE`, which the view names.
//!
//! The files are read by the edge ([`crate::commands::experiment::catalog`]); the journal's
//! experiment records are seeded by the edge and kept up to date from the cockpit's journal
//! tail ([`absorb`]). Everything shown is computed by [`crate::chaos::observe::status`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crossterm::event::KeyCode;

use crate::chaos::gate::pct;
use crate::chaos::observe::{Status, status};
use crate::chaos::{Experiment, GateConfig};
use crate::cockpit::{Cockpit, UserCommand};
use crate::journal::{JournalRecord, RecordKind};
use crate::sanitize::for_terminal;
use crate::time::{clock_hms, format_duration};
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay};
use crate::tui::command::Command;
use crate::tui::keymap::Key;
use crate::tui::panes::Move;
use crate::tui::theme;

/// One experiment file: where it is, and what it parsed to (or why not).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: String,
    pub experiment: Result<Experiment, String>,
}

/// The experiment files the cockpit knows, and the journal's experiment records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// Where the files came from (the directory, or "bundled"); `None`: none configured.
    pub source: Option<String>,
    pub files: Vec<Entry>,
    /// The journal's `experiment` records, in journal order.
    pub records: Vec<JournalRecord>,
    /// The gate's settings (the floor of `experiment run`'s default).
    pub gate: GateConfig,
}

impl Catalog {
    /// Adds the experiment records among `records` not yet held.
    pub fn absorb<'a>(&mut self, records: impl IntoIterator<Item = &'a JournalRecord>) {
        let last = self.records.last().map(|r| r.seq);
        for r in records {
            if r.kind == RecordKind::Experiment && last.is_none_or(|l| r.seq > l) {
                self.records.push(r.clone());
            }
        }
    }
}

/// A decision waiting for `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Approve,
    Halt,
}

/// The open view: the selected file, the detail's scroll, a decision waiting for `y`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub selected: usize,
    pub scroll: usize,
    pub pending: Option<Pending>,
}

/// Brings the held records up to date with the cockpit's journal tail (before each frame).
/// A replay that seeked back restarts its journal: what it no longer holds is dropped.
pub fn absorb(app: &mut App, view: &Cockpit) {
    let len = view.journal_len();
    if app.experiments.records.last().is_some_and(|r| r.seq >= len) {
        app.experiments.records.retain(|r| r.seq < len);
    }
    app.experiments.absorb(view.journal_tail());
}

pub fn open(app: &mut App) {
    app.overlay = Overlay::Experiments(Box::default());
}

/// The view's own keys, before the keymap: `a` approve, `H` halt, and while a decision waits,
/// `y`/Enter send it and anything else cancels.
pub fn action_for(app: &App, key: Key) -> Option<Action> {
    let Overlay::Experiments(v) = &app.overlay else {
        return None;
    };
    let plain = key.modifiers.is_empty();
    if v.pending.is_some() {
        return Some(match key.code {
            KeyCode::Char('y') | KeyCode::Enter if plain => Action::Confirm,
            _ => Action::Back,
        });
    }
    match key.code {
        KeyCode::Char('a') if plain => Some(Action::Approve),
        KeyCode::Char('H') if plain => Some(Action::HaltExperiment),
        _ => None,
    }
}

/// Handles an action while the view is open; `None` lets it through (quit, replay controls).
pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Option<Vec<Command>> {
    let Overlay::Experiments(v) = &mut app.overlay else {
        return None;
    };
    let count = app.experiments.files.len();
    if let Some(p) = v.pending {
        v.pending = None;
        if action != Action::Confirm {
            app.info("nothing journaled");
            return Some(Vec::new());
        }
        let Some(entry) = app.experiments.files.get(v.selected) else {
            return Some(Vec::new());
        };
        let Ok(e) = &entry.experiment else {
            return Some(Vec::new());
        };
        let command = match p {
            Pending::Approve => UserCommand::ApproveExperiment {
                title: e.title.clone(),
                digest: e.digest(),
                argv: e.argvs().map(|a| a.to_vec()).collect(),
            },
            Pending::Halt => {
                let st = status(view, e, &app.experiments.records, app.experiments.gate);
                let Some(run) = st.running else {
                    app.info("it is no longer running");
                    return Some(Vec::new());
                };
                UserCommand::HaltExperiment {
                    run: run.run,
                    title: e.title.clone(),
                }
            }
        };
        return Some(vec![Command::Decide(command)]);
    }
    match action {
        Action::Experiments | Action::Back => app.overlay = Overlay::None,
        Action::Up | Action::Down | Action::Top | Action::Bottom => {
            if let Some(m) = Move::from_action(action) {
                v.selected = m.apply(v.selected, count, 1);
                v.scroll = 0;
            }
        }
        Action::PageDown => v.scroll += usize::from(app.size.1 / 3).max(3),
        Action::PageUp => v.scroll = v.scroll.saturating_sub(usize::from(app.size.1 / 3).max(3)),
        Action::Approve | Action::HaltExperiment => {
            let selected = v.selected;
            let Some(entry) = app.experiments.files.get(selected) else {
                app.info("no experiment to decide about");
                return Some(Vec::new());
            };
            let Ok(e) = &entry.experiment else {
                app.warn("this file does not parse: fix it first (flightdeck experiment check)");
                return Some(Vec::new());
            };
            if action == Action::HaltExperiment
                && status(view, e, &app.experiments.records, app.experiments.gate)
                    .running
                    .is_none()
            {
                app.info("not running: nothing to halt");
                return Some(Vec::new());
            }
            if let Overlay::Experiments(v) = &mut app.overlay {
                v.pending = Some(if action == Action::Approve {
                    Pending::Approve
                } else {
                    Pending::Halt
                });
            }
        }
        Action::Quit
        | Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward => return None,
        _ => {}
    }
    Some(Vec::new())
}

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

fn plain(text: String) -> Line<'static> {
    Line::from(Span::styled(text, theme::text()))
}

fn heading(text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme::title()))
}

/// The detail lines of one experiment.
pub fn detail(entry: &Entry, st: Option<&Status>, view: &Cockpit) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let e = match &entry.experiment {
        Ok(e) => e,
        Err(why) => {
            out.push(Line::styled("does not parse:", theme::bad()));
            for l in for_terminal(why).lines() {
                out.push(plain(format!("  {l}")));
            }
            return out;
        }
    };
    let Some(st) = st else { return out };
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
    if let Some(r) = &st.running {
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
            let v = match &p.value {
                Ok(v) => format!("{v}"),
                Err(why) => for_terminal(why).into_owned(),
            };
            out.push(plain(format!(
                "  steady state {}: {v}",
                for_terminal(&p.name)
            )));
        }
        if let Some(b) = r.closest() {
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
            None => out.push(Line::styled("  H halts it (asks first)", theme::dim())),
        }
    }
    out.push(Line::default());
    let d = &st.decision;
    out.push(if d.may_start {
        Line::styled("may start now", theme::good())
    } else {
        Line::styled("may NOT start now", theme::bad())
    });
    for c in &d.checks {
        out.push(check_line(c.ok, &c.name, &c.detail));
    }
    if !d.allowances.is_empty() {
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
    let approvals: Vec<String> = st
        .approvals
        .iter()
        .map(|a| {
            format!(
                "{} ({})",
                for_terminal(&a.by),
                crate::cockpit::role_name(a.role)
            )
        })
        .collect();
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
            "a approves it (method and rollbacks together); start: flightdeck experiment run {}",
            for_terminal(&entry.path)
        ),
        theme::dim(),
    ));
    if let Some(last) = &st.last {
        out.push(Line::default());
        out.push(heading("last run"));
        out.push(Line::styled(
            format!(
                "  {} at {}: {}",
                last.run,
                clock_hms(last.started),
                for_terminal(&last.outcome)
            ),
            if last.halted {
                theme::warn()
            } else {
                theme::text()
            },
        ));
        if let Some(b) = last
            .breach
            .as_ref()
            .and_then(|b| serde_json::from_value::<crate::chaos::Breach>(b.clone()).ok())
        {
            out.push(plain(format!("  halted: {}", for_terminal(&b.describe()))));
        }
        if let Some(ev) = last.evidence.as_ref().and_then(|v| v.get("observation")) {
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
    out
}

/// The tag in the list: running, may start, blocked, halted last time, does not parse.
fn tag(entry: &Entry, st: Option<&Status>) -> (String, ratatui::style::Style) {
    match (&entry.experiment, st) {
        (Err(_), _) => ("error".into(), theme::bad()),
        (Ok(_), Some(s)) if s.running.is_some() => ("RUNNING".into(), theme::warn()),
        (Ok(_), Some(s)) if s.decision.may_start => ("may start".into(), theme::good()),
        (Ok(_), Some(s)) if s.last.as_ref().is_some_and(|l| l.halted) => {
            ("halted · blocked".into(), theme::warn())
        }
        _ => ("blocked".into(), theme::dim()),
    }
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let Overlay::Experiments(v) = &app.overlay else {
        return;
    };
    let screen = frame.area();
    let area = super::centered(
        screen,
        screen.width.saturating_sub(4).clamp(40, 120),
        screen.height.saturating_sub(2).max(10),
    );
    frame.render_widget(Clear, area);
    let cat = &app.experiments;
    let title = format!(
        " Experiments · {} ",
        cat.source.as_deref().map_or_else(
            || "none configured".to_string(),
            |s| for_terminal(s).into_owned()
        )
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if cat.files.is_empty() {
        let text = vec![
            plain("No experiment files.".into()),
            plain(
                "Set [experiments] dir in the config (docs/FORMATS.md, \"Experiments\"); a replay of the demo shows the bundled one."
                    .into(),
            ),
            Line::styled("Esc closes", theme::dim()),
        ];
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
        return;
    }
    let statuses: Vec<Option<Status>> = cat
        .files
        .iter()
        .map(|f| {
            f.experiment
                .as_ref()
                .ok()
                .map(|e| status(view, e, &cat.records, cat.gate))
        })
        .collect();
    let list_rows = u16::try_from(cat.files.len())
        .unwrap_or(u16::MAX)
        .min(inner.height / 4)
        .max(1);
    let [list, rule, body, footer] = Layout::vertical([
        Constraint::Length(list_rows),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    // The list, scrolled to keep the selection in sight.
    let first = v.selected.saturating_sub(usize::from(list_rows) - 1);
    let rows: Vec<Line> = cat
        .files
        .iter()
        .zip(&statuses)
        .enumerate()
        .skip(first)
        .take(usize::from(list_rows))
        .map(|(i, (f, st))| {
            let (t, style) = tag(f, st.as_ref());
            let name = match &f.experiment {
                Ok(e) => for_terminal(&e.title).into_owned(),
                Err(_) => for_terminal(&f.path).into_owned(),
            };
            let mut line = Line::from(vec![
                Span::styled(format!("{t:<17}"), style),
                Span::styled(name, theme::text()),
            ]);
            if i == v.selected {
                line = line.style(theme::selected());
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(rows), list);
    frame.render_widget(
        Paragraph::new(Line::styled(
            "─".repeat(usize::from(rule.width)),
            theme::dim(),
        )),
        rule,
    );
    let selected = v.selected.min(cat.files.len() - 1);
    let lines = wrap(
        detail(&cat.files[selected], statuses[selected].as_ref(), view),
        body.width,
    );
    let max_scroll = lines.len().saturating_sub(usize::from(body.height));
    let scroll = v.scroll.min(max_scroll);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()),
        body,
    );
    let hint = match v.pending {
        Some(Pending::Approve) => Line::styled(
            "approve this experiment (method and rollbacks) in the journal? y/Enter yes · n/Esc no",
            theme::warn(),
        ),
        Some(Pending::Halt) => Line::styled(
            "ask its guard to halt this run (the rollbacks run)? y/Enter yes · n/Esc no",
            theme::warn(),
        ),
        None => Line::styled(
            format!(
                "j/k select · PgUp/PgDn scroll{} · a approve · H halt · Esc close",
                if max_scroll > 0 { " (more)" } else { "" }
            ),
            theme::dim(),
        ),
    };
    frame.render_widget(Paragraph::new(hint), footer);
}

/// Wraps each line to `width`, continuation lines indented under its indent.
fn wrap(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width).max(1);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let indent = text.len() - text.trim_start().len();
        let hang = (indent + 2).min(width / 2);
        let fragments: Vec<super::wrap::Fragment> = line
            .spans
            .iter()
            .map(|s| (s.content.to_string(), s.style))
            .collect();
        out.extend(super::wrap::words(
            &fragments,
            width,
            &[Span::raw(" ".repeat(indent))],
            &[Span::raw(" ".repeat(hang))],
        ));
    }
    out
}
