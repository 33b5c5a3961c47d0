//! Decisions that need words, in a ratatui-textarea editor that has the keyboard until it is
//! sent or cancelled. One file per editor, each with how it opens, what its box shows (`parts`)
//! and what it sends (`submit`): a rejection's reason ([`reject`]), the commander's mode override
//! ([`override_mode`]), work done by hand ([`by_hand`]), a step's argv edited one element per
//! line ([`argv`]), a journal note or hypothesis ([`note`]) and a silence ([`silence`]). This
//! module routes keys to the open editor and draws the box.

mod argv;
mod by_hand;
mod note;
mod override_mode;
mod reject;
mod silence;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::step::{argv_lines, field};
use crate::actions::Verdict;
use crate::cockpit::{Cockpit, Suggestion};
use crate::tui::action::Action;
use crate::tui::app::{App, Draft, Overlay};
use crate::tui::command::Command;
use crate::tui::panes::approvals;
use crate::tui::text_input::TextInput;
use crate::tui::theme;

pub use argv::open as edit_argv;
pub use by_hand::open as done_by_hand;
pub use note::open as note;
pub use override_mode::open as override_mode;
pub use reject::open as reject;
pub use silence::open as silence;
pub use silence::refresh;

/// The suggestion a reject or edit is about, or why there is none to decide on.
pub(super) fn decidable<'a>(app: &mut App, view: &'a Cockpit) -> Option<&'a Suggestion> {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return None;
    }
    let found = approvals::target(app, view).and_then(|id| view.suggestion(id));
    if found.is_none() {
        app.info("no step selected: the approvals queue is empty");
    }
    found
}

/// The argv an editor's lines describe: one element per line, blank lines at the end dropped.
pub fn argv_of(lines: &[String]) -> Vec<String> {
    let mut argv = lines.to_vec();
    while argv.last().is_some_and(String::is_empty) {
        argv.pop();
    }
    argv
}

/// Rows the editor needs to show `lines` wrapped at `width`, plus one to type into.
pub(super) fn wrapped_rows(lines: &[String], width: usize) -> u16 {
    let width = width.max(1);
    let rows: usize = lines
        .iter()
        .map(|l| Span::raw(l.as_str()).width().div_ceil(width).max(1))
        .sum();
    u16::try_from(rows + 1).unwrap_or(u16::MAX)
}

/// What the policy will ask of an edited step, in words.
pub(super) fn requirement(v: &Verdict) -> String {
    match v {
        Verdict::Allowed => "nothing more: it may run".to_string(),
        Verdict::NeedsApproval { missing } => missing.clone(),
        Verdict::Refused { reason } => format!("it will be refused: {reason}"),
    }
}

/// `runbook/step — title`.
pub(super) fn step_title(s: &Suggestion) -> String {
    format!("{} — {}", s.step_ref, s.step.title)
}

/// The step a decision is about: its reference and title, then its exact argv.
pub(super) fn step_lines(s: &Suggestion, width: usize) -> Vec<Line<'static>> {
    let mut lines = field("step", &step_title(s), width);
    if let Ok(argv) = &s.argv {
        lines.extend(argv_lines(argv, width, true));
    }
    lines
}

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    let Overlay::Write { draft, input } = &mut app.overlay else {
        return Vec::new();
    };
    match action {
        Action::Type(key) => {
            input.key(key);
            silence::preview(app, view);
        }
        Action::Open if matches!(draft, Draft::EditArgv(_) | Draft::Silence(_)) => {
            input.newline();
            silence::preview(app, view);
        }
        Action::Open | Action::Submit => return submit(app, view),
        Action::ToggleHypothesis => {
            if let Draft::Note(kind, _) = draft {
                *kind = kind.toggled();
            }
        }
        Action::CycleOverrideMode => {
            if let Draft::Override(to) = draft {
                *to = override_mode::next(*to, view);
            }
        }
        Action::Back => {
            app.overlay = Overlay::None;
            app.info("cancelled: nothing was written");
        }
        Action::Quit => return vec![Command::Quit],
        _ => {}
    }
    Vec::new()
}

fn submit(app: &mut App, view: &Cockpit) -> Vec<Command> {
    let Overlay::Write { draft, input } = &app.overlay else {
        return Vec::new();
    };
    let draft = *draft;
    let input = input.clone();
    let text = input.text();
    let command = match draft {
        Draft::Reject(id) => reject::submit(app, id, text),
        Draft::Override(to) => override_mode::submit(app, to, text),
        Draft::Manual(id) => by_hand::submit(app, id, text),
        Draft::EditArgv(id) => argv::submit(app, view, id, &input),
        Draft::Silence(cluster) => silence::submit(app, view, cluster, &input),
        Draft::Note(kind, about) => note::submit(app, kind, about, text),
    };
    match command {
        Some(command) => {
            app.overlay = Overlay::None;
            vec![Command::Decide(command)]
        }
        None => Vec::new(),
    }
}

/// The parts of the box: a title, lines above the editor, the editor's height, lines below,
/// and the keys.
pub(super) struct Parts {
    title: String,
    above: Vec<Line<'static>>,
    rows: u16,
    below: Vec<Line<'static>>,
    keys: Vec<(&'static str, String)>,
}

fn parts(app: &App, view: &Cockpit, draft: Draft, input: &TextInput, width: usize) -> Parts {
    match draft {
        Draft::Reject(id) => reject::parts(view, id, width),
        Draft::Override(to) => override_mode::parts(view, to, width),
        Draft::Manual(id) => by_hand::parts(view, id, width),
        Draft::EditArgv(id) => argv::parts(view, id, input, width),
        Draft::Silence(cluster) => silence::parts(app, view, cluster, input, width),
        Draft::Note(kind, about) => note::parts(view, kind, about, width),
    }
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let Overlay::Write { draft, input } = &app.overlay else {
        return;
    };
    let screen = frame.area();
    let width = screen.width.saturating_sub(4).min(96);
    let text_width = usize::from(width.saturating_sub(4)).max(10);
    let p = parts(app, view, *draft, input, text_width);
    let wanted = p.above.len() + usize::from(p.rows) + 2 + p.below.len() + 2;
    let height = u16::try_from(wanted)
        .unwrap_or(u16::MAX)
        .min(screen.height.saturating_sub(2));
    let area = super::centered(screen, width, height);
    let mut keys = vec![Span::raw(" ")];
    for (i, (key, what)) in p.keys.iter().enumerate() {
        if i > 0 {
            keys.push(Span::styled(" · ", theme::dim()));
        }
        keys.push(Span::styled(*key, theme::key()));
        keys.push(Span::raw(format!(" {what}")));
    }
    keys.push(Span::raw(" "));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(p.title).style(theme::title()))
        .title_bottom(Line::from(keys));
    let inner = block.inner(area);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    // The editor keeps its rows; what is above and below gives way on a small screen.
    let editor_rows = (p.rows + 2).min(inner.height);
    let rest = inner.height - editor_rows;
    let above_rows = u16::try_from(p.above.len()).unwrap_or(u16::MAX).min(rest);
    let below_rows = rest - above_rows;
    let above = Rect {
        height: above_rows,
        ..inner
    };
    let editor = Rect {
        y: inner.y + above_rows,
        height: editor_rows,
        ..inner
    };
    let below = Rect {
        y: editor.y + editor_rows,
        height: below_rows,
        ..inner
    };
    frame.render_widget(Paragraph::new(p.above), above);
    let mut widget = input.widget().clone();
    widget.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme::border(true)),
    );
    frame.render_widget(&widget, editor);
    frame.render_widget(Paragraph::new(p.below), below);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_is_one_element_per_line_without_trailing_blank_lines() {
        let lines: Vec<String> = ["kubectl", "logs", "a b", "", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(argv_of(&lines), ["kubectl", "logs", "a b"]);
        let lines: Vec<String> = ["echo", "", "x"].map(String::from).to_vec();
        assert_eq!(
            argv_of(&lines),
            ["echo", "", "x"],
            "an empty element inside stays"
        );
    }
}
