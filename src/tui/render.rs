//! `render`: draws one frame as a pure function of the `App` and the cockpit. It chooses the
//! layout (compact below 160 columns, three columns above), asks each pane to draw itself, and
//! puts the open overlay on top.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::app::{App, Overlay, Pane};
use super::overlays::{budget_chart, confirm, filter, help, palette, read, report, search, write};
use super::panes::{approvals, clusters, detail, header, journal, knowledge, status};
use super::theme;
use crate::cockpit::Cockpit;

/// From this width on the body uses three columns.
const WIDE: u16 = 160;
/// Below this the screen cannot be laid out usefully.
const MIN_SIZE: (u16, u16) = (60, 16);

/// Where each pane goes on a screen; exposed for tests and for mouse support later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub clusters: Rect,
    pub detail: Rect,
    pub knowledge: Rect,
    pub approvals: Rect,
    pub journal: Rect,
    pub status: Rect,
}

type PaneRender = fn(&App, &Cockpit, &mut Frame, Rect);

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let screen = frame.area();
    if screen.width < MIN_SIZE.0 || screen.height < MIN_SIZE.1 {
        let text = format!(
            "flightdeck needs at least {}×{} (this terminal is {}×{})",
            MIN_SIZE.0, MIN_SIZE.1, screen.width, screen.height
        );
        frame.render_widget(Paragraph::new(Line::styled(text, theme::warn())), screen);
        theme::asciify(frame.buffer_mut());
        return;
    }
    let areas = layout(app, view, screen);
    header::render(app, view, frame, areas.header);
    // Zoomed, only the focused pane is drawn (the others have empty areas).
    let panes: [(Pane, Rect, PaneRender); 5] = [
        (Pane::Clusters, areas.clusters, clusters::render),
        (Pane::Detail, areas.detail, detail::render),
        (Pane::Knowledge, areas.knowledge, knowledge::render),
        (Pane::Approvals, areas.approvals, approvals::render),
        (Pane::Journal, areas.journal, journal::render),
    ];
    for (pane, area, draw) in panes {
        if !app.zoomed || pane == app.focus {
            draw(app, view, frame, area);
        }
    }
    match &app.overlay {
        Overlay::Filter { .. } => filter::render(app, view, frame, areas.status),
        _ => status::render(app, frame, areas.status),
    }
    match &app.overlay {
        Overlay::Help { scroll } => help::render(app, view, *scroll, frame),
        Overlay::BudgetChart => budget_chart::render(view, frame),
        Overlay::Palette { .. } => palette::render(app, frame),
        Overlay::Search(_) => search::render(app, view, frame),
        Overlay::Read { .. } => read::render(app, view, frame),
        Overlay::Confirm { .. } => confirm::render(app, view, frame),
        Overlay::Write { .. } => write::render(app, view, frame),
        Overlay::Report { report, scroll } => report::render(report, *scroll, frame),
        Overlay::Experiments(_) => super::overlays::experiment::render(app, view, frame),
        Overlay::None | Overlay::Filter { .. } => {}
    }
    confirm::render_quit(app, frame);
    // A console font without box drawing, braille or symbols gets their ASCII stand-ins.
    theme::asciify(frame.buffer_mut());
}

pub fn layout(app: &App, view: &Cockpit, screen: Rect) -> Areas {
    let max_slos = if screen.height >= 45 { 6 } else { 3 };
    // A long message gets rows of its own above the key hints (wrapped, never cut).
    let status_rows = status::height(app, screen.width)
        .min(screen.height / 4)
        .max(1);
    let [header, body, status] = Layout::vertical([
        Constraint::Length(header::height(view, max_slos)),
        Constraint::Min(0),
        Constraint::Length(status_rows),
    ])
    .areas(screen);
    if app.zoomed {
        // The focused pane gets the whole body; the others are not drawn.
        let mut areas = Areas {
            header,
            clusters: Rect::default(),
            detail: Rect::default(),
            knowledge: Rect::default(),
            approvals: Rect::default(),
            journal: Rect::default(),
            status,
        };
        *match app.focus {
            Pane::Clusters => &mut areas.clusters,
            Pane::Detail => &mut areas.detail,
            Pane::Knowledge => &mut areas.knowledge,
            Pane::Approvals => &mut areas.approvals,
            Pane::Journal => &mut areas.journal,
        } = body;
        return areas;
    }
    let wide = screen.width >= WIDE;
    let journal_rows = if wide {
        (body.height / 4).clamp(5, 12)
    } else {
        (body.height / 5).clamp(4, 8)
    };
    let [top, journal] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(journal_rows)]).areas(body);
    // The focused pane on the right gets a larger share, so small screens stay usable.
    let share = |pane: Pane| if app.focus == pane { 3 } else { 2 };
    let (clusters, detail, knowledge, approvals) = if wide {
        // The right column is as wide as the approvals' step ids need (within bounds): a cut
        // id ("…/show-d…" beside "…/show-a…") cannot be told apart.
        let right = right_width(approvals::wanted_width(app, view), screen.width);
        let [left, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(right)]).areas(top);
        let [clusters, detail] =
            Layout::horizontal([Constraint::Percentage(46), Constraint::Percentage(54)])
                .areas(left);
        let [knowledge, approvals] = Layout::vertical([
            Constraint::Fill(share(Pane::Knowledge)),
            Constraint::Fill(share(Pane::Approvals)),
        ])
        .areas(right);
        (clusters, detail, knowledge, approvals)
    } else {
        let [clusters, right] =
            Layout::horizontal([Constraint::Percentage(38), Constraint::Percentage(62)]).areas(top);
        let detail_share = if matches!(app.focus, Pane::Clusters | Pane::Detail) {
            3
        } else {
            2
        };
        let approvals_rows = compact_approvals_rows(
            right.height,
            [detail_share, share(Pane::Knowledge), share(Pane::Approvals)],
        );
        let [detail, knowledge, approvals] = Layout::vertical([
            Constraint::Fill(detail_share),
            Constraint::Fill(share(Pane::Knowledge)),
            Constraint::Length(approvals_rows),
        ])
        .areas(right);
        (clusters, detail, knowledge, approvals)
    };
    Areas {
        header,
        clusters,
        detail,
        knowledge,
        approvals,
        journal,
        status,
    }
}

/// The right column of the wide layout: what the approvals ask for, at least a third of the
/// screen and at most about half (the clusters and the detail keep the rest).
pub fn right_width(wanted: u16, screen: u16) -> u16 {
    let least = screen * 34 / 100;
    let most = screen * 48 / 100;
    wanted.clamp(least, most.max(least))
}

/// Rows of the approvals pane in the compact layout: its share of the right column, but never
/// fewer than six (two steps, one line each, under the border), while the detail and the
/// knowledge keep three rows each.
pub fn compact_approvals_rows(height: u16, shares: [u16; 3]) -> u16 {
    let total: u16 = shares.iter().sum();
    let share = height * shares[2] / total.max(1);
    share.max(6).min(height.saturating_sub(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_column_grows_with_the_step_ids_within_bounds() {
        assert_eq!(right_width(92, 200), 92);
        assert_eq!(right_width(40, 200), 68, "a third at least");
        assert_eq!(right_width(120, 200), 96, "about half at most");
        assert_eq!(right_width(92, 160), 76);
    }

    #[test]
    fn compact_approvals_keep_two_steps_and_leave_the_others_room() {
        // 80×24: fifteen rows on the right; the share alone would be four.
        assert_eq!(compact_approvals_rows(15, [3, 2, 2]), 6);
        // A tall screen keeps the share.
        assert_eq!(compact_approvals_rows(40, [2, 2, 3]), 17);
        // Too short for both: the others keep six rows.
        assert_eq!(compact_approvals_rows(10, [3, 2, 2]), 4);
    }
}
