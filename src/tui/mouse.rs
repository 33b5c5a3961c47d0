//! The mouse (issue 20.4): a click focuses the pane under the pointer and selects the row it
//! is on; the wheel scrolls the list under the pointer (its cursor moves, focus stays) and,
//! with an overlay open, the overlay (the reader, a document, the debrief, help). The runtime
//! turns crossterm's mouse events into [`Msg::Mouse`](super::Msg::Mouse) with [`from_event`];
//! [`handle`] is called from `update::handle`, so the mouse goes through the one loop as keys
//! do. Capture is on unless `[ui] mouse = false` (it keeps the terminal's own text selection
//! from working; most terminals still select with Shift held).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::action::Action;
use super::app::{App, Overlay, Pane};
use super::command::Command;
use super::panes;
use super::render::Areas;
use crate::cockpit::Cockpit;

/// Rows one notch of the wheel moves.
pub const WHEEL_ROWS: usize = 3;

/// What the pointer did, where (0-based screen cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mouse {
    pub kind: MouseKind,
    pub column: u16,
    pub row: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    /// The left button went down.
    Click,
    WheelUp,
    WheelDown,
}

/// The events the cockpit answers (left clicks and the wheel); the rest (moves, drags,
/// releases, other buttons) are `None`.
pub fn from_event(event: &MouseEvent) -> Option<Mouse> {
    let kind = match event.kind {
        MouseEventKind::Down(MouseButton::Left) => MouseKind::Click,
        MouseEventKind::ScrollUp => MouseKind::WheelUp,
        MouseEventKind::ScrollDown => MouseKind::WheelDown,
        _ => return None,
    };
    Some(Mouse {
        kind,
        column: event.column,
        row: event.row,
    })
}

/// The pane drawn at a screen cell, and its area.
pub fn pane_at(areas: &Areas, column: u16, row: u16) -> Option<(Pane, Rect)> {
    let at = Position::new(column, row);
    Pane::ALL.into_iter().find_map(|pane| {
        let area = match pane {
            Pane::Clusters => areas.clusters,
            Pane::Detail => areas.detail,
            Pane::Knowledge => areas.knowledge,
            Pane::Approvals => areas.approvals,
            Pane::Journal => areas.journal,
        };
        area.contains(at).then_some((pane, area))
    })
}

/// Applies a mouse event to the `App` (see the module's doc).
pub fn handle(app: &mut App, mouse: Mouse, view: &Cockpit) -> Vec<Command> {
    // The quit question waits for a key.
    if app.quit_asked.is_some() {
        return Vec::new();
    }
    let wheel = match mouse.kind {
        MouseKind::Click => None,
        MouseKind::WheelUp => Some(Action::Up),
        MouseKind::WheelDown => Some(Action::Down),
    };
    match app.overlay {
        Overlay::None => {}
        // Text being typed: the wheel means nothing there.
        Overlay::Write { .. } | Overlay::Filter { .. } => return Vec::new(),
        // A reader, a document, the debrief, help, a list to choose from: the wheel scrolls
        // it as j/k do; a click changes nothing under it.
        _ => {
            if let Some(action) = wheel {
                for _ in 0..WHEEL_ROWS {
                    super::update(app, action, view);
                }
            }
            return Vec::new();
        }
    }
    let screen = Rect::new(0, 0, app.size.0, app.size.1);
    let areas = super::render::layout(app, view, screen);
    let Some((pane, area)) = pane_at(&areas, mouse.column, mouse.row) else {
        return Vec::new();
    };
    // The row inside the border, as the screen showed it before anything changes.
    let inner = mouse
        .row
        .checked_sub(area.y + 1)
        .filter(|r| *r + 2 < area.height)
        .map(usize::from);
    match wheel {
        None => {
            let item = inner.and_then(|row| item_at(app, view, pane, area, row));
            app.focus = pane;
            if let Some(index) = item {
                select(app, view, pane, index);
            }
        }
        Some(action) => {
            // The list under the pointer scrolls; the focus stays where it was.
            let focus = std::mem::replace(&mut app.focus, pane);
            for _ in 0..WHEEL_ROWS {
                super::update(app, action, view);
            }
            app.focus = focus;
        }
    }
    Vec::new()
}

fn item_at(app: &App, view: &Cockpit, pane: Pane, area: Rect, row: usize) -> Option<usize> {
    match pane {
        Pane::Clusters => panes::clusters::item_at(app, view, area, row),
        Pane::Detail => panes::detail::item_at(app, view, area, row),
        Pane::Knowledge => panes::knowledge::item_at(app, view, area, row),
        Pane::Approvals => panes::approvals::item_at(app, view, area, row),
        Pane::Journal => panes::journal::item_at(app, view, area, row),
    }
}

fn select(app: &mut App, view: &Cockpit, pane: Pane, index: usize) {
    match pane {
        Pane::Clusters => panes::clusters::select(app, view, index),
        Pane::Detail => app.detail.cursor = index,
        Pane::Knowledge => panes::knowledge::select(app, view, index),
        Pane::Approvals => panes::approvals::select(app, view, index),
        Pane::Journal => panes::journal::select(app, view, index),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn event(kind: MouseEventKind) -> MouseEvent {
        MouseEvent {
            kind,
            column: 7,
            row: 3,
            modifiers: KeyModifiers::NONE,
        }
    }

    #[test]
    fn left_clicks_and_the_wheel_count_the_rest_does_not() {
        let at = |kind| Mouse {
            kind,
            column: 7,
            row: 3,
        };
        assert_eq!(
            from_event(&event(MouseEventKind::Down(MouseButton::Left))),
            Some(at(MouseKind::Click))
        );
        assert_eq!(
            from_event(&event(MouseEventKind::ScrollDown)),
            Some(at(MouseKind::WheelDown))
        );
        assert_eq!(
            from_event(&event(MouseEventKind::ScrollUp)),
            Some(at(MouseKind::WheelUp))
        );
        for other in [
            MouseEventKind::Down(MouseButton::Right),
            MouseEventKind::Up(MouseButton::Left),
            MouseEventKind::Drag(MouseButton::Left),
            MouseEventKind::Moved,
        ] {
            assert_eq!(from_event(&event(other)), None, "{other:?}");
        }
    }

    #[test]
    fn a_cell_belongs_to_the_pane_drawn_there() {
        let areas = Areas {
            header: Rect::new(0, 0, 80, 4),
            clusters: Rect::new(0, 4, 30, 15),
            detail: Rect::new(30, 4, 50, 5),
            knowledge: Rect::new(30, 9, 50, 4),
            approvals: Rect::new(30, 13, 50, 6),
            journal: Rect::new(0, 19, 80, 4),
            status: Rect::new(0, 23, 80, 1),
        };
        assert_eq!(pane_at(&areas, 0, 4).map(|p| p.0), Some(Pane::Clusters));
        assert_eq!(pane_at(&areas, 29, 18).map(|p| p.0), Some(Pane::Clusters));
        assert_eq!(pane_at(&areas, 30, 18).map(|p| p.0), Some(Pane::Approvals));
        assert_eq!(pane_at(&areas, 79, 22).map(|p| p.0), Some(Pane::Journal));
        assert_eq!(pane_at(&areas, 10, 0), None, "the header");
        assert_eq!(pane_at(&areas, 10, 23), None, "the footer");
    }
}
