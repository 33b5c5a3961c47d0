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
//! Each asks first (`y`/Enter sends, `n`/Esc cancels) and takes effect once journaled. `r`
//! starts a run of the selected experiment when its gate is open here (refused with the failing
//! checks when it is not), after a `y`: live, the runtime starts `flightdeck experiment run` as
//! a child process (`commands::experiment::Launcher`: its own gate decides again and journals
//! the start before anything runs, its records reach this view through the journal, `H` halts
//! it); in a replay, the same run as `experiment run --replay` from the replay's time now,
//! dry-run on its clock (nothing real is executed) and part of the replay: its records are
//! journaled in the replay's journal as the clock reaches each
//! (`commands::experiment::ReplayRuns`), and `H` halts it there as it would a live run (its
//! rollbacks dry-run, the abort's evidence "halted by <person>").
//!
//! The files are read by the edge (`commands::experiment::catalog_live`, `catalog_replay`);
//! the journal's experiment records are seeded by the edge and kept up to date from the
//! cockpit's journal tail ([`absorb`]). In a replay of the demo the scenario's own run of the
//! bundled experiment (as `experiment run --replay demo` runs it: started at the demo's start,
//! halted by the governor's move to FREEZE) plays as the replay's clock reaches each record.
//! Everything shown is computed by [`crate::chaos::observe::status`]; the detail lines are in
//! [`super::experiment_lines`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crossterm::event::KeyCode;

use crate::chaos::observe::{Status, running_now, status_with};
use crate::chaos::{Experiment, GateConfig};
use crate::cockpit::{Cockpit, UserCommand};
use crate::journal::{JournalRecord, RecordKind};
use crate::sanitize::for_terminal;
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
    pub experiment: Result<Experiment, EntryError>,
}

/// Why an experiment file is not shown as an experiment.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EntryError {
    #[error("cannot read the experiments directory: {0}")]
    Dir(String),
    #[error("{path}: larger than {max} bytes")]
    TooBig { path: String, max: u64 },
    #[error("{path}: {why}")]
    Read { path: String, why: String },
    /// It does not parse (the error names the place and the fix).
    #[error("{0}")]
    Parse(#[from] crate::chaos::ExperimentError),
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
    /// A replay's scripted run (the bundled experiment in the demo, as `experiment run
    /// --replay` runs it): shown as the replay's clock reaches each record.
    pub scripted: Vec<JournalRecord>,
    /// What `experiment run` needs besides the file to start one here (`--replay demo`).
    pub run_flags: String,
    /// The Prometheus probes the live cockpit read (`Msg::ProbeReadings`), by query.
    pub readings: crate::chaos::observe::Readings,
    /// How close each run under way came to each boundary, as watched before each frame.
    pub peaks: crate::chaos::observe::Peaks,
    /// The cockpit's time and the records held when the runs were last watched (nothing new
    /// to watch until one moves).
    pub watched: Option<(crate::time::Timestamp, usize)>,
    /// Why the journal's earlier experiment records could not be read at start (the view
    /// then knows only what the cockpit's journal tail holds).
    pub unread: Option<String>,
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

    /// Is `run` the replay's scripted run (which a halt record cannot reach)?
    pub fn is_scripted(&self, run: &str) -> bool {
        self.scripted
            .iter()
            .any(|r| r.body.get("run").and_then(|v| v.as_str()) == Some(run))
    }

    /// The records the view works from at `now`: the scripted run's so far, then the journal's.
    pub fn records_at(&self, now: crate::time::Timestamp) -> Vec<JournalRecord> {
        self.scripted
            .iter()
            .filter(|r| r.ts <= now)
            .chain(&self.records)
            .cloned()
            .collect()
    }
}

/// The Prometheus probe queries of the files, while the view is open (the live runtime reads
/// them off the render path: `commands::experiment::ProbeReader`).
pub fn wanted_queries(app: &App) -> Vec<String> {
    if !matches!(app.overlay, Overlay::Experiments(_)) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for e in app
        .experiments
        .files
        .iter()
        .filter_map(|f| f.experiment.as_ref().ok())
    {
        for p in &e.probes {
            if let crate::chaos::ProbeSource::Prometheus { query } = &p.source
                && !out.contains(query)
            {
                out.push(query.clone());
            }
        }
    }
    out
}

/// Why a halt does not reach the scenario's own run (the demo's, as `experiment run --replay`
/// runs it: part of the scenario, like the responders' decisions).
const SCRIPTED: &str = "the scenario's own run plays as the scenario recorded it: H halts a run started here (r) or a live one";

/// Why `H` (or its `y`) halts nothing: the selected experiment has no run under way.
const NOT_RUNNING: &str = "not running: nothing to halt";

/// A decision waiting for `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Approve,
    Halt,
    Start,
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
    watch(app, view);
}

/// Feeds what this cockpit sees now of every run under way to the catalog's [`Peaks`], so the
/// closest boundary shown is the closest over the run, not only now.
fn watch(app: &mut App, view: &Cockpit) {
    let cat = &mut app.experiments;
    let key = (view.now(), cat.records.len());
    if cat.watched == Some(key) {
        return;
    }
    cat.watched = Some(key);
    let open = cat.records_at(view.now());
    let mut running = Vec::new();
    for e in cat.files.iter().filter_map(|f| f.experiment.as_ref().ok()) {
        if let Some(r) = running_now(view, e, &open, &cat.readings) {
            cat.peaks.watch(&r, view.now());
            running.push(r.run);
        }
    }
    cat.peaks.keep_only(running.iter().map(String::as_str));
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
        KeyCode::Char('r') if plain => Some(Action::StartExperiment),
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
        let selected = v.selected;
        if action != Action::Confirm {
            app.info("nothing journaled");
            return Some(Vec::new());
        }
        return Some(confirmed(app, view, p, selected));
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
        Action::Approve | Action::HaltExperiment | Action::StartExperiment => {
            let selected = v.selected;
            ask(app, view, action, selected);
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

/// `y` to the decision `p` about the `selected` file: the command that journals it (or starts
/// the run), checked again as things stand now.
fn confirmed(app: &mut App, view: &Cockpit, p: Pending, selected: usize) -> Vec<Command> {
    let Some(entry) = app.experiments.files.get(selected) else {
        return Vec::new();
    };
    let Ok(e) = &entry.experiment else {
        return Vec::new();
    };
    let command = match p {
        Pending::Approve => UserCommand::ApproveExperiment {
            title: e.title.clone(),
            digest: e.digest(),
            argv: e.argvs().map(|a| a.to_vec()).collect(),
        },
        Pending::Halt => match run_to_halt(app, view, e) {
            Ok(run) => UserCommand::HaltExperiment {
                run,
                title: e.title.clone(),
            },
            Err(why) => {
                app.info(why);
                return Vec::new();
            }
        },
        Pending::Start => {
            // The gate as it stands now, not as it stood when `r` was pressed.
            if let Err(why) = may_start_here(app, view, e) {
                app.warn(why.to_string());
                return Vec::new();
            }
            return vec![Command::StartExperiment {
                path: entry.path.clone(),
                title: e.title.clone(),
                experiment: Box::new(e.clone()),
            }];
        }
    };
    vec![Command::Decide(command)]
}

/// `a`, `H` or `r` on the `selected` file: asks first (the decision waits for `y`), or says
/// why not (it does not parse, nothing runs to halt, the gate is closed here).
fn ask(app: &mut App, view: &Cockpit, action: Action, selected: usize) {
    let Some(entry) = app.experiments.files.get(selected) else {
        app.info("no experiment to decide about");
        return;
    };
    let Ok(e) = &entry.experiment else {
        app.warn("this file does not parse: fix it first (flightdeck experiment check)");
        return;
    };
    if action == Action::HaltExperiment
        && let Err(why) = run_to_halt(app, view, e)
    {
        app.info(why);
        return;
    }
    if action == Action::StartExperiment
        && let Err(why) = may_start_here(app, view, &e.clone())
    {
        app.warn(why.to_string());
        return;
    }
    if let Overlay::Experiments(v) = &mut app.overlay {
        v.pending = Some(match action {
            Action::Approve => Pending::Approve,
            Action::HaltExperiment => Pending::Halt,
            _ => Pending::Start,
        });
    }
}

/// The run of `e` that `H` halts, as things stand now (asked at `H` and again at `y`, one
/// answer), or why there is none to halt (for the status line).
fn run_to_halt(app: &App, view: &Cockpit, e: &Experiment) -> Result<String, &'static str> {
    let records = app.experiments.records_at(view.now());
    let Some(run) = running_now(view, e, &records, &app.experiments.readings) else {
        return Err(NOT_RUNNING);
    };
    if app.experiments.is_scripted(&run.run) {
        return Err(SCRIPTED);
    }
    Ok(run.run)
}

/// Why the person at this cockpit may not start an experiment now.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartRefused {
    #[error("read-only cockpit: starting an experiment is disabled (--readonly)")]
    ReadOnly,
    #[error("a trainee does not start experiments")]
    Trainee,
    #[error("already running (run {run}): H halts it")]
    AlreadyRunning { run: String },
    /// The failing gate checks, `name: detail` each, as the terminal shows them.
    #[error("the gate is closed, not started: {failing}")]
    GateClosed { failing: String },
}

/// May the person at this cockpit start `e` now? `Err`: why not (the failing gate checks).
fn may_start_here(app: &App, view: &Cockpit, e: &Experiment) -> Result<(), StartRefused> {
    let who = view.config();
    if who.readonly {
        return Err(StartRefused::ReadOnly);
    }
    if who.role == crate::actions::Role::Trainee {
        return Err(StartRefused::Trainee);
    }
    let records = app.experiments.records_at(view.now());
    let st = status_with(
        view,
        e,
        &records,
        app.experiments.gate,
        &app.experiments.readings,
    );
    if let Some(r) = st.running {
        return Err(StartRefused::AlreadyRunning { run: r.run });
    }
    if st.decision.may_start {
        return Ok(());
    }
    let failing: Vec<String> = st
        .decision
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    Err(StartRefused::GateClosed {
        failing: for_terminal(&failing.join("; ")).into_owned(),
    })
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

/// Draws the view: the box, the list with its tags, the selected one's detail, the footer.
pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let Overlay::Experiments(v) = &app.overlay else {
        return;
    };
    let cat = &app.experiments;
    let inner = frame_box(cat, frame);
    if cat.files.is_empty() {
        let text = vec![
            super::experiment_lines::plain("No experiment files.".into()),
            super::experiment_lines::plain(
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
    let records = cat.records_at(view.now());
    let statuses: Vec<Option<Status>> = cat
        .files
        .iter()
        .map(|f| {
            f.experiment
                .as_ref()
                .ok()
                .map(|e| status_with(view, e, &records, cat.gate, &cat.readings))
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
    frame.render_widget(
        Paragraph::new(list_lines(cat, &statuses, v.selected, list_rows)),
        list,
    );
    frame.render_widget(
        Paragraph::new(Line::styled(
            "─".repeat(usize::from(rule.width)),
            theme::dim(),
        )),
        rule,
    );
    let selected = v.selected.min(cat.files.len() - 1);
    let lines = super::experiment_lines::wrap(
        super::experiment_lines::detail(
            &cat.files[selected],
            statuses[selected].as_ref(),
            view,
            cat,
        ),
        body.width,
    );
    let max_scroll = lines.len().saturating_sub(usize::from(body.height));
    let scroll = v.scroll.min(max_scroll);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()),
        body,
    );
    frame.render_widget(Paragraph::new(hint(app, v, max_scroll > 0)), footer);
}

/// Clears the view's box and draws its border and title (where the files came from); the
/// area inside.
fn frame_box(cat: &Catalog, frame: &mut Frame) -> ratatui::layout::Rect {
    let screen = frame.area();
    let area = super::centered(
        screen,
        screen.width.saturating_sub(4).clamp(40, 120),
        screen.height.saturating_sub(2).max(10),
    );
    frame.render_widget(Clear, area);
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
    inner
}

/// The list's `rows` lines, each file's tag and title, scrolled to keep `selected` in sight.
fn list_lines<'a>(
    cat: &'a Catalog,
    statuses: &[Option<Status>],
    selected: usize,
    rows: u16,
) -> Vec<Line<'a>> {
    let first = selected.saturating_sub(usize::from(rows) - 1);
    cat.files
        .iter()
        .zip(statuses)
        .enumerate()
        .skip(first)
        .take(usize::from(rows))
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
            if i == selected {
                line = line.style(theme::selected());
            }
            line
        })
        .collect()
}

/// The footer: the question a waiting decision asks, else the last status message, else the
/// keys (`more`: the detail scrolls).
fn hint(app: &App, v: &View, more: bool) -> Line<'static> {
    match v.pending {
        Some(Pending::Approve) => Line::styled(
            "approve it (method and rollbacks)? y/Enter: journal it · n/Esc: no",
            theme::warn(),
        ),
        Some(Pending::Halt) => Line::styled(
            "halt this run (its rollbacks run)? y/Enter: journal it · n/Esc: no",
            theme::warn(),
        ),
        Some(Pending::Start) => Line::styled(
            if app.experiments.run_flags.is_empty() {
                "start this experiment now (its gate decides again)? y/Enter: start · n/Esc: no"
            } else {
                "start a dry run on the replay's clock (nothing real runs)? y/Enter: start · n/Esc: no"
            },
            theme::warn(),
        ),
        // What the last key or the runtime said (a refusal, a run started or ended): the
        // status line is under this box.
        None if app.status.is_some() => {
            let m = app.status.as_ref().map(|m| (m.level, m.text.as_str()));
            let (text, style) = match m {
                Some((crate::tui::app::Level::Info, t)) => (t.to_string(), theme::text()),
                Some((_, t)) => (format!("! {t}"), theme::warn()),
                None => (String::new(), theme::text()),
            };
            Line::styled(for_terminal(&text).into_owned(), style)
        }
        None => Line::styled(
            format!(
                "j/k · PgUp/PgDn scroll{} · a approve · r run · H halt · Esc close",
                if more { " (more)" } else { "" }
            ),
            theme::dim(),
        ),
    }
}
