//! The `:` command palette: every action of the keymap by its description, narrowed by what
//! is typed (each word must appear), run with Enter. The palette never knows an action the
//! keys do not, so it cannot drift from the keymap. A pane's action runs in that pane (the
//! palette focuses it first), so "read the runbook" reads one whatever had focus.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::cockpit::Cockpit;
use crate::tui::action::Action;
use crate::tui::app::{App, CockpitMode, Overlay};
use crate::tui::command::Command;
use crate::tui::keymap::{Binding, Context, Keymap};
use crate::tui::panes::{Move, visible_rows};
use crate::tui::theme;

const SIGIL: &str = ": ";

/// Bindings the palette offers for a query in a cockpit of `mode`, in keymap order.
pub fn entries<'k>(keymap: &'k Keymap, query: &str, mode: CockpitMode) -> Vec<&'k Binding> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    keymap
        .bindings()
        .iter()
        .filter(|b| matches!(b.context, Context::Global | Context::Pane(_)))
        .filter(|b| b.action != Action::Palette && b.action.in_force(mode))
        .filter(|b| {
            let name = serde_json::to_string(&b.action).unwrap_or_default();
            let haystack = format!("{} {}", b.description.to_lowercase(), name);
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .collect()
}

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    let mode = app.keys_mode();
    let Overlay::Palette { input, selected } = &mut app.overlay else {
        return Vec::new();
    };
    let count = entries(&app.keymap, input.text(), mode).len();
    match action {
        Action::Edit(edit) => {
            input.apply(edit);
            *selected = 0;
        }
        Action::Up | Action::Down => {
            let movement = if action == Action::Up {
                Move::Up
            } else {
                Move::Down
            };
            *selected = movement.apply(*selected, count, 1);
        }
        Action::Open => {
            let chosen = entries(&app.keymap, input.text(), mode)
                .get(*selected)
                .map(|b| (b.action, b.context));
            app.overlay = Overlay::None;
            match chosen {
                Some((action, context)) => {
                    if let Context::Pane(pane) = context {
                        app.focus = pane;
                    }
                    return super::super::update::update(app, action, view);
                }
                None => app.warn("no action matches"),
            }
        }
        Action::Back => app.overlay = Overlay::None,
        Action::Quit => return vec![Command::Quit],
        _ => {}
    }
    Vec::new()
}

pub fn render(app: &App, frame: &mut Frame) {
    let Overlay::Palette { input, selected } = &app.overlay else {
        return;
    };
    let found = entries(&app.keymap, input.text(), app.keys_mode());
    let screen = frame.area();
    let height = (found.len() as u16 + 4).clamp(5, screen.height.saturating_sub(4).max(5));
    let area = Rect {
        y: screen.y + screen.height / 6,
        ..super::centered(screen, 64, height)
    };
    let area = area.intersection(screen);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(" Command palette (Enter runs, Esc closes) ").style(theme::title()));
    let inner = block.inner(area);
    let rows = usize::from(inner.height.saturating_sub(2));
    let mut text = vec![
        super::prompt_line(SIGIL, input, "type to narrow the actions"),
        Line::default(),
    ];
    if found.is_empty() {
        text.push(Line::from(Span::styled(
            "  no action matches",
            theme::dim(),
        )));
    }
    for i in visible_rows(found.len(), *selected, rows) {
        let b = found[i];
        let keys = b
            .keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let marker = if i == *selected { "› " } else { "  " };
        let width = usize::from(inner.width);
        let desc_width = width.saturating_sub(keys.chars().count() + 3);
        let desc: String = b.description.chars().take(desc_width).collect();
        let pad = width.saturating_sub(2 + desc.chars().count() + keys.chars().count());
        let mut line = Line::from(vec![
            Span::raw(marker),
            Span::raw(desc),
            Span::raw(" ".repeat(pad)),
            Span::styled(keys, theme::key()),
        ]);
        if i == *selected {
            line = line.style(theme::selected());
        }
        text.push(line);
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block), area);
    frame.set_cursor_position((super::cursor_x(inner.x, SIGIL, input), inner.y));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_query_must_match() {
        let keymap = Keymap::default();
        let descriptions = |q| -> Vec<String> {
            entries(&keymap, q, CockpitMode::Replay)
                .iter()
                .map(|b| b.description.clone())
                .collect()
        };
        assert_eq!(descriptions("replay back"), ["replay: back 5 minutes"]);
        assert!(descriptions("QUIT").contains(&"quit".to_string()));
        assert!(
            descriptions("speed_up")
                .iter()
                .any(|d| d.contains("faster"))
        );
        assert!(
            descriptions("palette").is_empty(),
            "the palette does not offer itself"
        );
        assert!(descriptions("zzz").is_empty());
    }

    #[test]
    fn live_offers_no_replay_controls() {
        let keymap = Keymap::default();
        let live = entries(&keymap, "", CockpitMode::Live);
        assert!(!live.is_empty());
        for b in &live {
            assert!(
                !matches!(
                    b.action,
                    Action::Pause
                        | Action::SpeedUp
                        | Action::SpeedDown
                        | Action::SeekBack
                        | Action::SeekForward
                        | Action::Debrief
                ),
                "live palette offers {:?}",
                b.action
            );
        }
        let replay = entries(&keymap, "", CockpitMode::Replay);
        assert_eq!(replay.len(), live.len() + 6, "the six replay controls");
    }
}
