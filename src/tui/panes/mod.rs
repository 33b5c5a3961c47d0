//! The five panes, one file each: a small cursor state, how keys move it, and a render
//! function. Shared here: cursor movement and the window of rows a list actually builds.

pub mod approvals;
pub mod clusters;
pub mod detail;
pub mod header;
pub mod journal;
pub mod knowledge;
pub mod status;

use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders};

use super::action::Action;
use super::app::{App, Pane};
use super::theme;

/// A movement in a list, from a navigation action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

impl Move {
    pub fn from_action(action: Action) -> Option<Move> {
        Some(match action {
            Action::Up => Move::Up,
            Action::Down => Move::Down,
            Action::PageUp => Move::PageUp,
            Action::PageDown => Move::PageDown,
            Action::Top => Move::Top,
            Action::Bottom => Move::Bottom,
            _ => return None,
        })
    }

    /// The new index in a list of `len` rows (0 for an empty list).
    pub fn apply(self, index: usize, len: usize, page: usize) -> usize {
        let last = len.saturating_sub(1);
        let index = index.min(last);
        match self {
            Move::Up => index.saturating_sub(1),
            Move::Down => (index + 1).min(last),
            Move::PageUp => index.saturating_sub(page),
            Move::PageDown => (index + page).min(last),
            Move::Top => 0,
            Move::Bottom => last,
        }
    }
}

/// The rows of a `len`-row list that fit in `height` with `selected` in view. Only these rows
/// are built, so an alert storm costs what the screen shows, not what the list holds.
pub fn visible_rows(len: usize, selected: usize, height: usize) -> Range<usize> {
    if height == 0 || len == 0 {
        return 0..0;
    }
    let selected = selected.min(len - 1);
    let start = (selected + 1).saturating_sub(height);
    start..(start + height).min(len)
}

/// The border around a pane: its number and title, and for the focused pane a `▶` marker, a
/// thick border and the accent colour (the marker and border shape say it without colour).
pub fn pane_block<'a>(app: &App, pane: Pane, extra: impl Into<Line<'a>>) -> Block<'a> {
    let focused = app.focus == pane;
    let marker = if focused { "▶" } else { " " };
    let mut title = Line::from(format!("{marker}{} {} ", pane.number(), pane.title()));
    title.spans.extend(extra.into().spans);
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme::border(focused))
        .title(title)
}

/// Inner height of a bordered pane.
pub fn inner_height(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(2))
}

/// Cuts `text` to `width` characters, marking the cut with `…`.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_stay_inside_the_list() {
        assert_eq!(Move::Down.apply(4, 5, 10), 4);
        assert_eq!(Move::Up.apply(0, 5, 10), 0);
        assert_eq!(Move::PageDown.apply(1, 5, 10), 4);
        assert_eq!(Move::Bottom.apply(0, 0, 10), 0);
        assert_eq!(
            Move::Up.apply(9, 3, 10),
            1,
            "a stale index is clamped first"
        );
    }

    #[test]
    fn visible_rows_keep_the_selection_in_view() {
        assert_eq!(visible_rows(100, 0, 10), 0..10);
        assert_eq!(visible_rows(100, 15, 10), 6..16);
        assert_eq!(visible_rows(3, 2, 10), 0..3);
        assert_eq!(visible_rows(0, 0, 10), 0..0);
        assert_eq!(visible_rows(5, 9, 0), 0..0);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("checkout-availability", 8), "checkou…");
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(truncate("x", 0), "");
    }
}
