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

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans: Vec<Span> = Vec::new();
    if let Some(message) = &app.status {
        let (label, style) = match message.level {
            Level::Info => ("", theme::text()),
            Level::Warn => ("! ", theme::warn()),
            Level::Error => ("ERROR ", theme::bad()),
        };
        spans.push(Span::styled(format!(" {label}{}", message.text), style));
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
