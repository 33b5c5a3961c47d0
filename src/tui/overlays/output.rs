//! The output viewer (`Page::Output`): what an executed step printed, stdout then stderr, as
//! the executor kept it (each stream capped) and the store gave it back, hashed against the
//! execution record. Enter on a step that ran (approvals pane) opens it, and Enter in the view
//! of an execution record (journal pane).
//!
//! Output is text from elsewhere: it is never sent to the terminal as is. Tabs are expanded,
//! and control characters (escape sequences that would move the cursor, recolour or retitle
//! the terminal), bidi overrides and other invisible characters are shown as `\u{…}` escapes,
//! like label values. Only the lines on screen are wrapped and styled, so a 1 MiB output
//! scrolls like a short one.
//!
//! The UI reads no files: the runtime loads what [`wanted`] names into [`OutputCache`] before
//! drawing. In replay nothing runs, so the viewer says what would have run, or what the
//! responders recorded.

use std::collections::VecDeque;
use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::step::{field, unhidden};
use super::wrap;
use crate::cockpit::{Cockpit, OutputObject, StepOutput, StepRecord, SuggestionId};
use crate::cockpit::{Suggestion, SuggestionStatus};
use crate::journal::{JournalRecord, RecordKind};
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay, Page};
use crate::tui::command::Command;
use crate::tui::panes::Move;
use crate::tui::theme;

const KEYS: &str = "j/k scroll · g/G top/end · Esc close";
/// Loaded outputs kept for the viewer.
const CACHE: usize = 8;
/// Characters of one output line shown as one logical line; longer ones are cut into pieces.
const MAX_LINE: usize = 2000;
const TAB: usize = 8;

/// Whose output the viewer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputOf {
    /// A step that ran (from the approvals pane).
    Step(SuggestionId),
    /// An execution record, by seq (from the journal).
    Record(u64),
}

/// One stream as the viewer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// The stream's lines, made safe to draw.
    Lines(Arc<[String]>),
    /// Why it could not be read back (missing, altered).
    Failed(String),
}

/// Output streams the runtime loaded for the viewer, by object name (a few, the newest).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputCache {
    entries: VecDeque<(String, Loaded)>,
}

impl OutputCache {
    pub fn get(&self, name: &str) -> Option<&Loaded> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, l)| l)
    }

    /// What the store gave back for `object`: its bytes (checked against the name) or why not.
    pub fn insert(&mut self, object: &OutputObject, loaded: Result<Vec<u8>, String>) {
        self.entries.retain(|(n, _)| *n != object.blake3);
        let loaded = match loaded {
            Ok(bytes) => Loaded::Lines(lines_of(&bytes).into()),
            Err(why) => Loaded::Failed(why),
        };
        self.entries.push_back((object.blake3.clone(), loaded));
        while self.entries.len() > CACHE {
            self.entries.pop_front();
        }
    }
}

/// The lines of an output: lossy UTF-8, tabs expanded, `\r\n` as a line end, very long lines
/// cut into pieces (control characters are escaped when drawn).
pub fn lines_of(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = Vec::new();
    let body = text.strip_suffix('\n').unwrap_or(&text);
    for raw in body.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let mut line = String::with_capacity(raw.len());
        let mut count = 0;
        for c in raw.chars() {
            if count >= MAX_LINE {
                lines.push(std::mem::take(&mut line));
                count = 0;
            }
            if c == '\t' {
                let pad = TAB - count % TAB;
                line.extend(std::iter::repeat_n(' ', pad));
                count += pad;
            } else {
                line.push(c);
                count += 1;
            }
        }
        lines.push(line);
    }
    lines
}

/// The output objects the open viewer shows that are not loaded yet (the runtime loads them).
pub fn wanted(app: &App, view: &Cockpit) -> Vec<OutputObject> {
    let Overlay::Read {
        page: Page::Output(of),
        ..
    } = app.overlay
    else {
        return Vec::new();
    };
    let Ok(subject) = subject(view, of) else {
        return Vec::new();
    };
    let Run::Kept(output) = subject.run else {
        return Vec::new();
    };
    [output.stdout, output.stderr]
        .into_iter()
        .filter(|o| o.bytes > 0 && app.outputs.get(&o.blake3).is_none())
        .collect()
}

/// What the viewer is about.
struct Subject {
    title: String,
    facts: Vec<(&'static str, String)>,
    run: Run,
}

enum Run {
    Kept(StepOutput),
    /// Why there is no output to show.
    None(String),
}

fn command(s: &Suggestion) -> String {
    match &s.argv {
        Ok(argv) if argv.is_empty() && s.step.script().is_some() => {
            format!("sh -c {}", s.step.script().unwrap_or("").trim())
        }
        Ok(argv) => crate::actions::shell_display(argv),
        Err(why) => format!("(no argv: {why})"),
    }
}

const NOT_KEPT: &str = "no output was kept for this run (a silence, a step that did not start, \
                        or a run journaled before flightdeck kept output)";
const DRY: &str = "a dry run: nothing ran, so nothing was printed";

fn subject(view: &Cockpit, of: OutputOf) -> Result<Subject, (String, String)> {
    match of {
        OutputOf::Step(id) => {
            let Some(s) = view.suggestion(id) else {
                return Err((format!(" {id} "), format!("{id} no longer exists")));
            };
            let SuggestionStatus::Executed {
                by,
                outcome,
                dry_run,
                ok,
                record,
                output,
            } = &s.status
            else {
                return Err((
                    format!(" {id} · {} ", s.step_ref),
                    format!("{id} has not run: no output yet"),
                ));
            };
            let ran = format!(
                "{} by {by}{}{}",
                if *dry_run { "dry-ran" } else { "ran" },
                if *ok { "" } else { " (FAILED)" },
                outcome
                    .as_deref()
                    .map(|o| format!(": {o}"))
                    .unwrap_or_default()
            );
            let run = match output {
                Some(o) => Run::Kept(o.clone()),
                // Why there is none is in the record: a dry run, the responders' replayed run.
                None => match view.journal_tail().find(|r| r.seq == *record) {
                    Some(r) => run_of(r, serde_json::from_value(r.body.clone()).ok().as_ref()),
                    None if *dry_run => Run::None(DRY.into()),
                    None => Run::None(NOT_KEPT.into()),
                },
            };
            Ok(Subject {
                title: format!(" Output of {id} · {} ", s.step_ref),
                facts: vec![
                    ("command", command(s)),
                    ("ran", ran),
                    ("record", format!("#{record} in the journal")),
                ],
                run,
            })
        }
        OutputOf::Record(seq) => {
            let Some(r) = view.journal_tail().find(|r| r.seq == seq) else {
                return Err((
                    format!(" Output of record #{seq} "),
                    format!(
                        "record #{seq} is no longer in the cockpit's tail: \
                         flightdeck journal show --output {seq}"
                    ),
                ));
            };
            record_subject(r)
        }
    }
}

fn record_subject(r: &JournalRecord) -> Result<Subject, (String, String)> {
    let title = format!(" Output of record #{} ", r.seq);
    if r.kind != RecordKind::Execution {
        return Err((
            title,
            format!(
                "record #{} is a {} record, not an execution: it has no output",
                r.seq,
                r.kind.label()
            ),
        ));
    }
    let body: Option<StepRecord> = serde_json::from_value(r.body.clone()).ok();
    let mut facts = Vec::new();
    if let Some(b) = &body {
        facts.push(("step", b.step.to_string()));
        facts.push(("command", crate::actions::shell_display(&b.argv)));
    }
    facts.push(("ran", r.summary.clone()));
    facts.push(("by", format!("{} ({})", r.actor, r.role)));
    facts.push(("record", format!("#{} · hash {}", r.seq, r.hash)));
    let run = run_of(r, body.as_ref());
    Ok(Subject {
        title: format!(
            " Output of record #{}{} ",
            r.seq,
            body.as_ref()
                .map(|b| format!(" · {}", b.step))
                .unwrap_or_default()
        ),
        facts,
        run,
    })
}

/// What an execution record says of its output.
fn run_of(r: &JournalRecord, body: Option<&StepRecord>) -> Run {
    match crate::outputs::record_output(r) {
        Some(Ok(o)) => Run::Kept(o),
        Some(Err(e)) => Run::None(e.to_string()),
        None => match body {
            Some(b) if b.replayed => Run::None(format!(
                "replayed from the scenario: nothing ran here; the responders recorded {}",
                b.outcome
                    .as_deref()
                    .map(|o| format!("\"{o}\""))
                    .unwrap_or_else(|| "no outcome".into())
            )),
            Some(b) if b.exec.as_ref().is_some_and(|e| e.dry_run) => Run::None(DRY.into()),
            _ => Run::None(NOT_KEPT.into()),
        },
    }
}

/// A logical line of the viewer's body: wrapped only when on screen.
enum Row<'a> {
    Heading(String),
    Text(&'a str),
    Note(String, Style),
    Blank,
}

fn rows<'a>(app: &'a App, run: &Run) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    let output = match run {
        Run::Kept(o) => o,
        Run::None(why) => {
            rows.push(Row::Note(why.clone(), theme::dim()));
            return rows;
        }
    };
    for (i, (stream, o)) in [("stdout", &output.stdout), ("stderr", &output.stderr)]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            rows.push(Row::Blank);
        }
        let dropped = if o.dropped > 0 {
            format!(", {} more over the cap dropped", o.dropped)
        } else {
            String::new()
        };
        rows.push(Row::Heading(format!(
            "{stream} · {} bytes{dropped} · blake3 {}",
            o.bytes,
            &o.blake3[..o.blake3.len().min(16)]
        )));
        if o.bytes == 0 {
            rows.push(Row::Note("(empty)".into(), theme::dim()));
            continue;
        }
        match app.outputs.get(&o.blake3) {
            Some(Loaded::Lines(lines)) => rows.extend(lines.iter().map(|l| Row::Text(l))),
            Some(Loaded::Failed(why)) => rows.push(Row::Note(why.clone(), theme::bad())),
            None => rows.push(Row::Note("loading…".into(), theme::dim())),
        }
    }
    rows
}

fn draw(row: &Row, width: usize) -> Vec<Line<'static>> {
    match row {
        Row::Heading(h) => vec![Line::from(Span::styled(h.clone(), theme::key()))],
        Row::Text(t) => wrap::chars(
            &unhidden(t),
            width,
            &[Span::styled("│ ", theme::dim())],
            &[Span::styled("┆ ", theme::dim())],
        ),
        Row::Note(n, style) => wrap::words(&[(n.clone(), *style)], width, &[], &[]),
        Row::Blank => vec![Line::default()],
    }
}

/// The box, the header lines (facts about the run) and the body rows of the open viewer.
struct Layout<'a> {
    area: Rect,
    title: String,
    header: Vec<Line<'static>>,
    rows: Vec<Row<'a>>,
    visible: usize,
}

fn layout<'a>(app: &'a App, view: &Cockpit, of: OutputOf, screen: Rect) -> Layout<'a> {
    let area = super::read::area(screen);
    let width = usize::from(area.width.saturating_sub(4)).max(10);
    let (title, mut header, rows) = match subject(view, of) {
        Ok(s) => {
            let mut header = Vec::new();
            for (name, value) in &s.facts {
                header.extend(field(name, value, width));
            }
            (s.title, header, rows(app, &s.run))
        }
        Err((title, why)) => (title, Vec::new(), vec![Row::Note(why, theme::dim())]),
    };
    if !header.is_empty() {
        header.push(Line::default());
    }
    // Keep at least a few body lines on a small screen.
    let room = usize::from(area.height.saturating_sub(2));
    header.truncate(room.saturating_sub(3));
    let visible = room.saturating_sub(header.len()).max(1);
    Layout {
        area,
        title,
        header,
        rows,
        visible,
    }
}

/// Scrolling and closing; quit and the replay controls go through (`None`).
pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Option<Vec<Command>> {
    let Overlay::Read {
        page: Page::Output(of),
        ..
    } = app.overlay
    else {
        return None;
    };
    match action {
        Action::Back => app.overlay = Overlay::None,
        Action::Quit
        | Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward => return None,
        _ => {
            if let Some(movement) = Move::from_action(action) {
                let screen = Rect::new(0, 0, app.size.0, app.size.1);
                let l = layout(app, view, of, screen);
                let max = l.rows.len().saturating_sub(l.visible);
                let visible = l.visible;
                if let Overlay::Read { scroll, .. } = &mut app.overlay {
                    *scroll = movement.apply((*scroll).min(max), max + 1, visible);
                }
            }
        }
    }
    Some(Vec::new())
}

pub fn render(app: &App, view: &Cockpit, of: OutputOf, scroll: usize, frame: &mut Frame) {
    let l = layout(app, view, of, frame.area());
    let width = usize::from(l.area.width.saturating_sub(4)).max(10);
    let scroll = scroll.min(l.rows.len().saturating_sub(l.visible));
    let mut body: Vec<Line<'static>> = Vec::with_capacity(l.visible);
    let mut last = scroll;
    for (i, row) in l.rows.iter().enumerate().skip(scroll) {
        if body.len() >= l.visible {
            break;
        }
        body.extend(draw(row, width));
        last = i;
    }
    body.truncate(l.visible);
    let position = if l.rows.len() > l.visible || scroll > 0 {
        format!(
            " lines {}–{} of {} · {KEYS} ",
            scroll + 1,
            last + 1,
            l.rows.len()
        )
    } else {
        format!(" {KEYS} ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(l.title.clone()).style(theme::title()))
        .title_bottom(Line::from(position).style(theme::dim()));
    let inner = block.inner(l.area);
    let mut lines = l.header;
    lines.extend(body);
    let text = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Clear, l.area);
    frame.render_widget(block, l.area);
    frame.render_widget(Paragraph::new(lines), text);
}

/// The view's text as plain lines at `width` columns, everything (tests, and pages that want
/// the whole text).
pub fn text(app: &App, view: &Cockpit, of: OutputOf, width: usize) -> Vec<String> {
    let (header, rows) = match subject(view, of) {
        Ok(s) => {
            let mut header = Vec::new();
            for (name, value) in &s.facts {
                header.extend(field(name, value, width));
            }
            (header, rows(app, &s.run))
        }
        Err((_, why)) => (Vec::new(), vec![Row::Note(why, theme::dim())]),
    };
    header
        .into_iter()
        .chain(rows.iter().flat_map(|r| draw(r, width)))
        .map(|l| l.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_expanded_and_cut() {
        assert_eq!(lines_of(b"a\nb\r\n"), ["a", "b"]);
        assert_eq!(lines_of(b"a\tb"), ["a       b"]);
        assert_eq!(lines_of(b""), [""]);
        assert_eq!(lines_of(b"\n\n"), ["", ""]);
        let long = "x".repeat(MAX_LINE * 2 + 5);
        let cut = lines_of(long.as_bytes());
        assert_eq!(cut.len(), 3);
        assert_eq!(cut.concat(), long);
        assert_eq!(lines_of(b"\xffz"), ["\u{fffd}z"]);
    }

    /// A cockpit whose journal holds one execution record naming `stdout` (and an empty
    /// stderr), and that record's seq.
    fn cockpit_with_output(stdout: &[u8]) -> (Cockpit, u64) {
        use crate::cockpit::{CockpitConfig, Event};
        use crate::journal::{Chain, JournalEntry};
        let at: crate::time::Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
        let mut view = Cockpit::new(
            CockpitConfig::default(),
            Vec::new(),
            crate::knowledge::KnowledgeBase::default(),
            at,
        );
        let object = |b: &[u8]| OutputObject {
            blake3: crate::outputs::object_name(b),
            bytes: b.len() as u64,
            dropped: 0,
        };
        let body = serde_json::json!({
            "step": "rb/dump", "argv": ["dump"], "argv_hash": "x", "mode": "adaptive",
            "session": "s",
            "exec": {"ok": true, "exit_code": 0, "summary": "exit 0 in 0.1s", "duration_ms": 100,
                     "dry_run": false,
                     "output": {"stdout": object(stdout), "stderr": object(b"")}},
        });
        let mut chain = Chain::default();
        let record = chain.seal(
            JournalEntry {
                actor: "lee".into(),
                role: "oncall".into(),
                kind: RecordKind::Execution,
                summary: "ran S1 rb/dump: exit 0 in 0.1s".into(),
                body,
            },
            at,
        );
        let seq = record.seq;
        let _ = view.apply(Event::Journaled(record), at);
        (view, seq)
    }

    fn draw_screen(app: &App, view: &Cockpit) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(app.size.0, app.size.1))
                .unwrap();
        terminal.draw(|f| crate::tui::render(app, view, f)).unwrap();
        assert!(
            terminal
                .backend()
                .buffer()
                .content()
                .iter()
                .all(|c| !c.symbol().chars().any(char::is_control)),
            "a control character reached the terminal"
        );
        format!("{}", terminal.backend())
    }

    #[test]
    fn a_large_hostile_output_is_drawn_defused_and_scrolls_to_its_end() {
        let mut bytes = Vec::new();
        for i in 0..20_000 {
            bytes.extend_from_slice(
                format!("line {i}\t\x1b[31mred\x1b[0m \u{202e}gnp.exe\r\n").as_bytes(),
            );
        }
        let (view, seq) = cockpit_with_output(&bytes);
        let mut app = App {
            size: (100, 30),
            ..App::default()
        };
        app.overlay = Overlay::Read {
            page: Page::Output(OutputOf::Record(seq)),
            scroll: 0,
        };
        let want = wanted(&app, &view);
        assert_eq!(
            want.len(),
            1,
            "stdout to load; the empty stderr needs nothing"
        );
        let s = draw_screen(&app, &view);
        assert!(s.contains("loading"), "{s}");
        app.outputs.insert(&want[0], Ok(bytes.clone()));
        assert!(wanted(&app, &view).is_empty());
        let s = draw_screen(&app, &view);
        assert!(
            s.contains(r"line 0  \u{001b}[31mred\u{001b}[0m \u{202e}gnp.exe"),
            "{s}"
        );
        assert!(
            s.contains("stdout · ") && s.contains("exit 0 in 0.1s"),
            "{s}"
        );

        let started = std::time::Instant::now();
        crate::tui::update(&mut app, Action::Bottom, &view);
        let s = draw_screen(&app, &view);
        let elapsed = started.elapsed();
        assert!(s.contains("line 19999 "), "{s}");
        assert!(s.contains("(empty)"), "the empty stderr at the end: {s}");
        // Only what is on screen is wrapped: a frame of a 20 000-line output is cheap even
        // unoptimised.
        assert!(elapsed.as_millis() < 500, "{elapsed:?}");
        crate::tui::update(&mut app, Action::Top, &view);
        assert!(draw_screen(&app, &view).contains("line 0 "));
        crate::tui::update(&mut app, Action::Back, &view);
        assert_eq!(app.overlay, Overlay::None);
    }

    #[test]
    fn a_missing_or_altered_object_is_said_in_place_of_the_text() {
        let (view, seq) = cockpit_with_output(b"ok\n");
        let mut app = App {
            size: (100, 30),
            ..App::default()
        };
        app.overlay = Overlay::Read {
            page: Page::Output(OutputOf::Record(seq)),
            scroll: 0,
        };
        let want = wanted(&app, &view);
        app.outputs
            .insert(&want[0], Err("the output object abc is missing".into()));
        assert!(draw_screen(&app, &view).contains("the output object abc is missing"));
        // A record the cockpit no longer holds: the CLI is named instead.
        app.overlay = Overlay::Read {
            page: Page::Output(OutputOf::Record(seq + 7)),
            scroll: 0,
        };
        assert!(draw_screen(&app, &view).contains("no longer in the cockpit's tail"));
    }

    #[test]
    fn the_cache_keeps_the_newest_few() {
        let mut cache = OutputCache::default();
        for i in 0..CACHE + 3 {
            let o = OutputObject {
                blake3: format!("{i:064}"),
                bytes: 1,
                dropped: 0,
            };
            cache.insert(&o, Ok(b"x".to_vec()));
        }
        assert!(cache.get(&format!("{:064}", 0)).is_none());
        assert!(cache.get(&format!("{:064}", CACHE + 2)).is_some());
        assert_eq!(cache.entries.len(), CACHE);
    }
}
