//! The status line: the transient message if there is one, then key hints for the focused
//! pane and the global keys. The keys come from the keymap, so a rebinding shows here too.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::action::Action;
use crate::tui::app::{App, Level, Overlay, Pane};
use crate::tui::theme;

/// Hints as `(actions, word)`: the actions' first keys are shown joined by `/`.
type Hint = (&'static [Action], &'static str);

fn pane_hints(pane: Pane) -> &'static [Hint] {
    match pane {
        Pane::Clusters => &[
            (&[Action::Down, Action::Up], "move"),
            (&[Action::Open], "open"),
            (&[Action::Filter], "filter"),
        ],
        Pane::Detail | Pane::Knowledge => &[
            (&[Action::Down, Action::Up], "move"),
            (&[Action::Open], "open"),
            (&[Action::Back], "back"),
        ],
        Pane::Approvals => &[
            (&[Action::Down, Action::Up], "move"),
            (&[Action::Open], "open"),
            (&[Action::Approve], "approve"),
            (&[Action::Reject], "reject"),
            (&[Action::EditArgv], "edit"),
            (&[Action::DoneByHand], "by hand"),
        ],
        Pane::Journal => &[
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Open], "open"),
            (&[Action::Bottom], "newest"),
        ],
    }
}

const GLOBAL_HINTS: &[Hint] = &[
    (&[Action::FocusNext], "pane"),
    (&[Action::Note], "note"),
    (&[Action::Help], "help"),
    (&[Action::Palette], "palette"),
    (&[Action::Quit], "quit"),
];

const REPLAY_HINTS: &[Hint] = &[
    (&[Action::Pause], "pause"),
    (&[Action::SpeedDown, Action::SpeedUp], "speed"),
    (&[Action::SeekBack, Action::SeekForward], "seek"),
];

/// Most rows a message takes above the key hints (the log, `M`, has it all).
const MESSAGE_ROWS: usize = 4;

/// The message as wrapped lines when it does not fit on the hint line with room to spare
/// (empty when it does, or there is none).
fn message_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let Some(message) = &app.status else {
        return Vec::new();
    };
    let (label, style) = match message.level {
        Level::Info => ("", theme::text()),
        Level::Warn => ("! ", theme::warn()),
        Level::Error => ("ERROR ", theme::bad()),
    };
    let text = format!(" {label}{}", message.text);
    // A message that leaves less than a third of the line for hints gets rows of its own.
    if Line::from(text.as_str()).width() + 2 <= usize::from(width) * 2 / 3 {
        return Vec::new();
    }
    let mut lines = crate::tui::overlays::wrap::words(
        &[(text, style)],
        usize::from(width).max(10),
        &[],
        &[Span::raw(" ")],
    );
    if lines.len() > MESSAGE_ROWS {
        lines.truncate(MESSAGE_ROWS);
        if let Some(last) = lines.last_mut() {
            last.spans
                .push(Span::styled(" … (M: all messages)", theme::dim()));
        }
    }
    lines
}

/// Rows the status area needs at `width`: the hint line, and a long message's own rows.
pub fn height(app: &App, width: u16) -> u16 {
    1 + message_lines(app, width).len() as u16
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans: Vec<Span> = Vec::new();
    let long = message_lines(app, area.width);
    let wrapped = !long.is_empty();
    let area = if !wrapped {
        area
    } else {
        let rows = (long.len() as u16).min(area.height.saturating_sub(1));
        let [above, hints] = ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(rows),
            ratatui::layout::Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(long), above);
        hints
    };
    if let Some(message) = app.status.as_ref().filter(|_| !wrapped) {
        let (label, style) = match message.level {
            Level::Info => ("", theme::text()),
            Level::Warn => ("! ", theme::warn()),
            Level::Error => ("ERROR ", theme::bad()),
        };
        spans.push(Span::styled(format!(" {label}{}", message.text), style));
        spans.push(Span::styled(" │", theme::dim()));
    }
    if app.zoomed && matches!(app.overlay, Overlay::None | Overlay::Filter { .. }) {
        let key = app
            .keymap
            .binding_for(Action::Zoom)
            .and_then(|b| b.keys.first())
            .map_or_else(|| "Esc".to_string(), ToString::to_string);
        spans.push(Span::styled(
            format!(" zoomed: {key} to return"),
            theme::warn(),
        ));
        spans.push(Span::styled(" │", theme::dim()));
    }
    let hints: Vec<Hint> = match app.overlay {
        Overlay::Help { .. } => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::Help], "close"),
        ],
        Overlay::Read { .. } | Overlay::Report { .. } => vec![
            (&[Action::Down, Action::Up], "scroll"),
            (&[Action::PageDown, Action::PageUp], "page"),
            (&[Action::Back], "close"),
        ],
        Overlay::BudgetChart => vec![(&[Action::BudgetChart, Action::Back], "close")],
        Overlay::Search(_) => vec![
            (&[Action::Down, Action::Up], "choose"),
            (&[Action::Open], "read"),
            (&[Action::Back], "close"),
        ],
        Overlay::Confirm { .. } => vec![(&[Action::Confirm], "yes"), (&[Action::Back], "cancel")],
        Overlay::Write { .. } => vec![(&[Action::Submit], "send"), (&[Action::Back], "cancel")],
        _ => {
            let mut hints = pane_hints(app.focus).to_vec();
            hints.extend_from_slice(GLOBAL_HINTS);
            if app.replay.is_some() {
                hints.extend_from_slice(REPLAY_HINTS);
            }
            hints
        }
    };
    let width = usize::from(area.width);
    for (actions, word) in hints {
        let keys: Vec<String> = actions
            .iter()
            .filter_map(|a| app.keymap.binding_for(*a))
            .filter_map(|b| b.keys.first().map(ToString::to_string))
            .collect();
        if keys.is_empty() {
            continue;
        }
        let hint = [
            Span::raw(" "),
            Span::styled(keys.join("/"), theme::key()),
            Span::styled(format!(" {word}"), theme::dim()),
        ];
        let used: usize = spans.iter().map(Span::width).sum();
        if used + hint.iter().map(Span::width).sum::<usize>() > width {
            break;
        }
        spans.extend(hint);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
