//! The reading overlay (`Overlay::Read`): a step, a runbook or postmortem, a journal record or
//! an alert, in a box over the panes. The page files build the lines; this one scrolls them
//! (j/k, PgUp/PgDn, g/G), closes on Esc, and lets decisions and quit through.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{alert, document, output, record, step};
use crate::cockpit::{Cockpit, SuggestionStatus};
use crate::journal::RecordKind;
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay, Page};
use crate::tui::command::Command;
use crate::tui::panes::Move;
use crate::tui::theme;

/// What a page shows: a title for the border, lines that stay on top, lines that scroll, and
/// the keys that work on it.
pub struct View {
    pub title: String,
    pub header: Vec<Line<'static>>,
    pub body: Vec<Line<'static>>,
    pub keys: &'static str,
}

impl View {
    /// A page whose subject is gone (a record that left the tail, a step that no longer exists).
    pub fn missing(title: String, why: String) -> View {
        View {
            title,
            header: Vec::new(),
            body: vec![Line::from(Span::styled(why, theme::dim()))],
            keys: "Esc close",
        }
    }
}

/// The lines of `page` at `width` columns.
pub fn view(app: &App, cockpit: &Cockpit, page: Page, width: usize) -> View {
    match page {
        Page::Step(id) => step::view(cockpit, id, width),
        Page::Document(doc) => document::view(app, cockpit, doc, width),
        Page::Record(seq) => record::view(cockpit, seq, width),
        Page::Alert(fp) => alert::view(cockpit, fp, width),
        Page::Output(of) => View {
            title: " Output ".into(),
            header: Vec::new(),
            body: output::text(app, cockpit, of, width)
                .into_iter()
                .map(Line::from)
                .collect(),
            keys: "Esc close",
        },
    }
}

/// Where the box goes on a screen: nearly all of it, so a runbook reads like a page.
pub fn area(screen: Rect) -> Rect {
    super::centered(
        screen,
        screen.width.saturating_sub(4).min(112),
        screen.height.saturating_sub(2),
    )
}

/// Columns of text inside the box.
fn text_width(area: Rect) -> usize {
    usize::from(area.width.saturating_sub(4)).max(10)
}

/// Handles an action while a page is open. `None` lets it through to the cockpit: quit, the
/// replay controls and the decision keys (which replace the page with their own overlay).
pub fn update(app: &mut App, action: Action, cockpit: &Cockpit) -> Option<Vec<Command>> {
    let Overlay::Read { page, .. } = app.overlay else {
        return None;
    };
    if let Page::Output(_) = page {
        return output::update(app, action, cockpit);
    }
    match action {
        Action::Back => app.overlay = Overlay::None,
        // Enter on a step that ran, or on an execution record: what it printed.
        Action::Open => {
            if let Some(of) = output_of(cockpit, page) {
                app.overlay = Overlay::Read {
                    page: Page::Output(of),
                    scroll: 0,
                };
            }
        }
        Action::Quit
        | Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward
        | Action::Note
        | Action::AcknowledgeDrift
        | Action::OverrideMode => return None,
        Action::Approve | Action::Reject | Action::EditArgv | Action::DoneByHand
            if matches!(page, Page::Step(_)) =>
        {
            return None;
        }
        _ => {
            if let Some(movement) = Move::from_action(action) {
                let box_area = area(Rect::new(0, 0, app.size.0, app.size.1));
                let v = view(app, cockpit, page, text_width(box_area));
                let visible = visible_rows(box_area, &v);
                let max_scroll = v.body.len().saturating_sub(visible);
                if let Overlay::Read { scroll, .. } = &mut app.overlay {
                    *scroll =
                        movement.apply((*scroll).min(max_scroll), max_scroll + 1, visible.max(1));
                }
            }
        }
    }
    Some(Vec::new())
}

fn visible_rows(area: Rect, v: &View) -> usize {
    usize::from(area.height.saturating_sub(2)).saturating_sub(v.header.len())
}

/// The output a page leads to with Enter: a step that ran, an execution record.
pub fn output_of(cockpit: &Cockpit, page: Page) -> Option<output::OutputOf> {
    match page {
        Page::Step(id) => cockpit
            .suggestion(id)
            .filter(|s| matches!(s.status, SuggestionStatus::Executed { .. }))
            .map(|_| output::OutputOf::Step(id)),
        Page::Record(seq) => cockpit
            .journal_tail()
            .find(|r| r.seq == seq && r.kind == RecordKind::Execution)
            .map(|_| output::OutputOf::Record(seq)),
        _ => None,
    }
}

pub fn render(app: &App, cockpit: &Cockpit, frame: &mut Frame) {
    let Overlay::Read { page, scroll } = app.overlay else {
        return;
    };
    if let Page::Output(of) = page {
        return output::render(app, cockpit, of, scroll, frame);
    }
    let area = area(frame.area());
    let v = view(app, cockpit, page, text_width(area));
    let visible = visible_rows(area, &v);
    let scroll = scroll.min(v.body.len().saturating_sub(visible));
    let shown_to = (scroll + visible).min(v.body.len());
    let position = if v.body.len() > visible {
        format!(
            " lines {}–{} of {} · {} ",
            scroll + 1,
            shown_to,
            v.body.len(),
            v.keys
        )
    } else {
        format!(" {} ", v.keys)
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(v.title.clone()).style(theme::title()))
        .title_bottom(Line::from(position).style(theme::dim()));
    let inner = block.inner(area);
    let mut lines = v.header;
    lines.extend(v.body.into_iter().skip(scroll).take(visible));
    let text = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), text);
}
