//! `update`: applies one [`Action`] to the [`App`] and returns the [`Command`]s the runtime must
//! carry out. It never blocks and never reaches outside the UI state; the cockpit is read only
//! to know how long the lists are.

use super::action::Action;
use super::app::{App, Overlay, Pane};
use super::command::Command;
use super::line_input::LineInput;
use super::overlays::{filter, help, palette};
use super::panes::{self, Move};
use crate::cockpit::Cockpit;
use crate::time::SignedDuration;

/// Replay speeds `+` and `-` step through.
pub const SPEEDS: [f64; 9] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0];

/// How far `[` and `]` move the replay clock.
pub const SEEK_STEP: SignedDuration = SignedDuration::from_mins(5);

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    if let Action::Resize { width, height } = action {
        app.size = (width, height);
        return Vec::new();
    }
    // The message answered the previous key; this key is a new question.
    app.status = None;
    match app.overlay {
        Overlay::None => {}
        Overlay::Help { .. } => {
            if let Some(commands) = help::update(app, action) {
                return commands;
            }
        }
        Overlay::Palette { .. } => return palette::update(app, action, view),
        Overlay::Filter { .. } => return filter::update(app, action),
    }
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::FocusNext => app.focus = app.focus.next(),
        Action::FocusPrev => app.focus = app.focus.prev(),
        Action::FocusPane(pane) => app.focus = pane,
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            if let Some(movement) = Move::from_action(action) {
                move_in_focused_pane(app, view, movement);
            }
        }
        Action::Open => open(app, view),
        Action::Back => back(app),
        Action::Help => app.overlay = Overlay::Help { scroll: 0 },
        Action::Palette => {
            app.overlay = Overlay::Palette {
                input: LineInput::default(),
                selected: 0,
            }
        }
        Action::Filter => {
            app.overlay = Overlay::Filter {
                input: LineInput::new(&app.filter),
            }
        }
        Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward => return replay_control(app, action),
        Action::Edit(_) | Action::Resize { .. } => {}
    }
    Vec::new()
}

fn move_in_focused_pane(app: &mut App, view: &Cockpit, movement: Move) {
    let page = app.page_rows();
    match app.focus {
        Pane::Clusters => panes::clusters::move_selection(app, view, movement),
        Pane::Detail => {
            let len = panes::detail::len(app, view);
            app.detail.cursor = movement.apply(app.detail.cursor, len, page);
        }
        Pane::Knowledge => {
            let len = panes::knowledge::len(app, view);
            app.knowledge.cursor = movement.apply(app.knowledge.cursor, len, page);
        }
        Pane::Approvals => {
            let len = panes::approvals::len(view);
            app.approvals.cursor = movement.apply(app.approvals.cursor, len, page);
        }
        Pane::Journal => panes::journal::scroll(app, view, movement),
    }
}

fn open(app: &mut App, view: &Cockpit) {
    match app.focus {
        Pane::Clusters => {
            if panes::clusters::focused(app, view).is_some() {
                app.focus = Pane::Detail;
            } else {
                app.info("no cluster to open");
            }
        }
        Pane::Detail | Pane::Knowledge | Pane::Approvals | Pane::Journal => {}
    }
}

fn back(app: &mut App) {
    if app.focus != Pane::Clusters {
        app.focus = Pane::Clusters;
    } else if !app.filter.is_empty() {
        app.filter.clear();
        app.info("filter cleared");
    }
}

fn replay_control(app: &mut App, action: Action) -> Vec<Command> {
    let Some(replay) = app.replay.as_mut() else {
        app.warn("replay controls work only in replay");
        return Vec::new();
    };
    // The runtime reports the real state on its next tick; updating here keeps repeated
    // presses stepping from the latest value.
    match action {
        Action::Pause => {
            replay.paused = !replay.paused;
            vec![Command::TogglePause]
        }
        Action::SpeedUp | Action::SpeedDown => {
            let next = if action == Action::SpeedUp {
                SPEEDS.iter().copied().find(|s| *s > replay.speed + 1e-9)
            } else {
                SPEEDS
                    .iter()
                    .rev()
                    .copied()
                    .find(|s| *s < replay.speed - 1e-9)
            };
            match next {
                Some(speed) => {
                    replay.speed = speed;
                    vec![Command::SetSpeed(speed)]
                }
                None => {
                    let edge = replay.speed;
                    app.info(format!("speed stays at {edge}×"));
                    Vec::new()
                }
            }
        }
        Action::SeekBack => vec![Command::Seek(-SEEK_STEP)],
        Action::SeekForward => vec![Command::Seek(SEEK_STEP)],
        _ => Vec::new(),
    }
}
