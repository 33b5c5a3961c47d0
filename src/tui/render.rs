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
        let [clusters, detail, right] = Layout::horizontal([
            Constraint::Percentage(30),
            Constraint::Percentage(36),
            Constraint::Percentage(34),
        ])
        .areas(top);
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
        let [detail, knowledge, approvals] = Layout::vertical([
            Constraint::Fill(detail_share),
            Constraint::Fill(share(Pane::Knowledge)),
            Constraint::Fill(share(Pane::Approvals)),
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
