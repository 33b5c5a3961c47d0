//! The `?` overlay: every binding of the keymap, grouped, so the screen documents exactly the
//! keys in force. It scrolls with the movement keys and closes with `?` or Esc.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::cockpit::Cockpit;
use crate::tui::action::{Action, Section};
use crate::tui::app::{App, CockpitMode, Overlay, Pane};
use crate::tui::command::Command;
use crate::tui::keymap::{Binding, Context, Keymap};
use crate::tui::panes::Move;
use crate::tui::theme;

/// Width of the key column.
const KEY_COLUMN: usize = 16;

/// Handles an action while help is open. `None` lets the action through to the cockpit
/// (quit and the replay controls keep working behind the help).
pub fn update(app: &mut App, action: Action) -> Option<Vec<Command>> {
    let visible = usize::from(area(screen(app)).height.saturating_sub(2));
    // A drill lists the same keys as a replay (only a heading differs).
    let max_scroll = lines(&app.keymap, app.keys_mode())
        .len()
        .saturating_sub(visible);
    let Overlay::Help { scroll } = &mut app.overlay else {
        return None;
    };
    match action {
        Action::Help | Action::Back => app.overlay = Overlay::None,
        Action::Quit
        | Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward
        | Action::Note
        | Action::AcknowledgeDrift
        | Action::OverrideMode => return None,
        _ => {
            if let Some(movement) = Move::from_action(action) {
                // Moving by lines of text: the last reachable top row shows the last line.
                *scroll = movement.apply(*scroll, max_scroll + 1, visible.max(1));
            }
        }
    }
    Some(Vec::new())
}

pub fn render(app: &App, view: &Cockpit, scroll: usize, frame: &mut Frame) {
    let area = area(frame.area());
    let mode = CockpitMode::of(app, view);
    let all = lines(&app.keymap, mode);
    let visible = usize::from(area.height.saturating_sub(2));
    let scroll = scroll.min(all.len().saturating_sub(visible));
    let more = if scroll + visible < all.len() {
        " ↓ more (j/k, PgDn) "
    } else {
        ""
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(
            Line::from(format!(
                " Help — keys in force, {} (? or Esc closes) ",
                mode.label()
            ))
            .style(theme::title()),
        )
        .title_bottom(Line::from(more).style(theme::dim()));
    let text: Vec<Line> = all.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block), area);
}

fn screen(app: &App) -> Rect {
    Rect::new(0, 0, app.size.0, app.size.1)
}

/// Where the help box goes on a screen.
fn area(screen: Rect) -> Rect {
    super::centered(screen, 76, screen.height.saturating_sub(4).max(8))
}

/// The help text, generated from the keymap: global bindings by section, then per-pane
/// bindings, then the prompt keys; only the keys in force in a cockpit of `mode` (live has no
/// replay controls).
pub fn lines(keymap: &Keymap, mode: CockpitMode) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut group = |heading: String, rows: Vec<&Binding>| {
        if rows.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::from(Span::styled(heading, theme::title())));
        for b in rows {
            out.push(row(b));
        }
    };
    for section in Section::SHOWN {
        let rows = keymap
            .bindings()
            .iter()
            .filter(|b| b.context == Context::Global && b.action.section() == section)
            .filter(|b| b.action.in_force(mode))
            .collect();
        let title = match (section, mode) {
            (Section::Replay, CockpitMode::Drill) => "Drill (replayed; R scores you)",
            _ => section.title(),
        };
        group(title.to_string(), rows);
    }
    for pane in Pane::ALL {
        let rows = keymap
            .bindings()
            .iter()
            .filter(|b| b.context == Context::Pane(pane) && b.action.in_force(mode))
            .collect();
        group(format!("In {} {}", pane.number(), pane.title()), rows);
    }
    for (context, heading) in [
        (Context::Prompt, "In a prompt (: palette, / filter)"),
        (
            Context::Editor,
            "In a text editor (reject reason, argv, note): other keys type",
        ),
        (
            Context::Confirm,
            "In a confirmation (approve, acknowledge drift)",
        ),
    ] {
        let rows = keymap
            .bindings()
            .iter()
            .filter(|b| {
                let here =
                    b.context == context || (context == Context::Editor && b.context.is_editor());
                here && b.action.in_force(mode)
            })
            .collect();
        group(heading.to_string(), rows);
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        "Reading the screen",
        theme::title(),
    )));
    for (mark, meaning) in LEGEND {
        let pad = KEY_COLUMN.saturating_sub(Line::from(*mark).width()).max(1);
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(*mark, theme::bold()),
            Span::raw(" ".repeat(pad)),
            Span::raw(*meaning),
        ]));
    }
    out
}

/// What the labels on the panes mean (colour only repeats them).
const LEGEND: &[(&str, &str)] = &[
    ("ADAPTIVE", "budget healthy: approved steps may run"),
    ("FREEZE", "fast burn: pre-audited steps, by the commander"),
    (
        "REDESIGN",
        "spent: pre-audited fixes, 2 approvers, one the commander",
    ),
    (
        "OVERRIDE",
        "the commander holds a mode, for a time, with a reason",
    ),
    (
        "▲PAGE 1h&5m>14.4×",
        "a burn condition holds; its windows highlighted",
    ),
    (
        "NOVEL",
        "nothing known matches: human judgment, diagnostics",
    ),
    ("NOISE", "flapping, chronic, never acted on, or silenced"),
    (
        "DIAG MITIGATE",
        "a step that reads, or one that changes the system",
    ),
    ("CHAOS", "a chaos experiment: runs in Adaptive mode only"),
    (
        "NEEDS / REFUSED",
        "what the policy says about a step right now",
    ),
    (
        "▶ 60× / ⏸ PAUSED",
        "replay speed, or paused; LIVE outside replay",
    ),
];

fn row(binding: &Binding) -> Line<'static> {
    let keys = binding
        .keys
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let pad = KEY_COLUMN
        .saturating_sub(Line::from(keys.as_str()).width())
        .max(1);
    Line::from(vec![
        Span::raw("  "),
        Span::styled(keys, theme::key()),
        Span::raw(" ".repeat(pad)),
        Span::raw(binding.description.clone()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_binding_once() {
        let keymap = Keymap::default();
        let text: Vec<String> = lines(&keymap, CockpitMode::Replay)
            .iter()
            .map(ToString::to_string)
            .collect();
        for b in keymap.bindings() {
            let hits = text.iter().filter(|l| l.ends_with(&b.description)).count();
            assert!(hits >= 1, "{:?} missing from help", b.description);
        }
        assert!(
            text.iter()
                .any(|l| l.contains("Ctrl-C") && l.ends_with("quit"))
        );
    }

    #[test]
    fn live_help_lists_no_replay_keys_and_a_drill_says_so() {
        let keymap = Keymap::default();
        let text = |mode| -> Vec<String> {
            lines(&keymap, mode)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        let live = text(CockpitMode::Live);
        for b in keymap.bindings() {
            let listed = live.iter().any(|l| l.ends_with(&b.description));
            assert_eq!(
                listed,
                b.action.section() != Section::Replay,
                "{:?} in live help: {listed}",
                b.description
            );
        }
        assert!(!live.iter().any(|l| l.trim() == "Replay"), "{live:#?}");
        let drill = text(CockpitMode::Drill);
        assert!(drill.iter().any(|l| l.starts_with("Drill")));
        assert!(drill.iter().any(|l| l.contains("debrief")));
        assert_eq!(drill.len(), text(CockpitMode::Replay).len());
    }
}
