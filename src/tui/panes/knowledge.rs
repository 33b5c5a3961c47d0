//! Knowledge for the focused cluster: runbooks and past incidents, best first, each with its
//! score and why it matched. A cluster nothing matches well is flagged NOVEL (human judgment):
//! the long tail is for people, and the pane says so instead of showing a weak guess as advice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::cockpit::Cockpit;
use crate::knowledge::{Confidence, DocRef, KnowledgeMatch};
use crate::tui::app::{App, Pane};
use crate::tui::overlays::wrap;
use crate::tui::panes::{clusters, inner_height, pane_block, truncate, visible_rows};
use crate::tui::theme;

/// Rows one match takes: its head line and why it matched.
const ROWS_PER_ITEM: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnowledgePane {
    /// The document the cursor is on: matches re-rank as alerts arrive, and the cursor stays
    /// with the document, not the row.
    pub selected: Option<DocRef>,
    /// The row that document was last seen on (where the cursor stays when it drops out).
    pub cursor: usize,
}

fn matches<'a>(app: &App, view: &'a Cockpit) -> &'a [KnowledgeMatch] {
    clusters::focused(app, view).map_or(&[], |c| view.matches(c.id))
}

pub fn len(app: &App, view: &Cockpit) -> usize {
    matches(app, view).len()
}

/// The cursor's row in `found`: the selected document's, else the remembered row.
pub fn cursor(app: &App, found: &[KnowledgeMatch]) -> usize {
    app.knowledge
        .selected
        .and_then(|doc| found.iter().position(|m| m.doc == doc))
        .unwrap_or(app.knowledge.cursor)
        .min(found.len().saturating_sub(1))
}

/// Moves the cursor and selects the document it lands on.
pub fn move_selection(app: &mut App, view: &Cockpit, movement: super::Move) {
    let found = matches(app, view);
    let index = movement.apply(cursor(app, found), found.len(), app.page_rows());
    app.knowledge.cursor = index;
    app.knowledge.selected = found.get(index).map(|m| m.doc);
}

/// Remembers the row the selected document is on now (before a frame), and with the pane
/// focused, selects what the cursor is on so that it stays there.
pub fn keep(app: &mut App, view: &Cockpit) {
    let found = matches(app, view);
    let index = cursor(app, found);
    app.knowledge.cursor = index;
    if app.knowledge.selected.is_none() && app.focus == Pane::Knowledge {
        app.knowledge.selected = found.get(index).map(|m| m.doc);
    }
}

/// The document under the cursor (Enter reads it).
pub fn selected(app: &App, view: &Cockpit) -> Option<DocRef> {
    let found = matches(app, view);
    found.get(cursor(app, found)).map(|m| m.doc)
}

/// The document drawn on row `row` of the pane's inside, as an index into the matches.
pub fn item_at(app: &App, view: &Cockpit, area: Rect, row: usize) -> Option<usize> {
    let cluster = clusters::focused(app, view)?;
    let found = matches(app, view);
    // The NOVEL lines above the list.
    let width = usize::from(area.width.saturating_sub(2));
    let offset = if view.is_novel(cluster.id) {
        novel_lines(view, found, width, inner_height(area)).len()
    } else {
        0
    };
    let rows = inner_height(area).saturating_sub(offset);
    let range = visible_rows(
        found.len(),
        cursor(app, found),
        (rows / ROWS_PER_ITEM).max(1),
    );
    let i = range.start + row.checked_sub(offset)? / ROWS_PER_ITEM;
    range.contains(&i).then_some(i)
}

/// Selects the document at `index` of the matches (a click).
pub fn select(app: &mut App, view: &Cockpit, index: usize) {
    let found = matches(app, view);
    if let Some(m) = found.get(index) {
        app.knowledge.cursor = index;
        app.knowledge.selected = Some(m.doc);
    }
}

/// Why matching abstained — the best score, the floor it missed, the nearest document — word
/// wrapped under a NOVEL badge: up to three lines, fewer when the pane has room for less than
/// one match below them (the explanation is what a responder needs first here).
fn novel_lines(
    view: &Cockpit,
    found: &[KnowledgeMatch],
    width: usize,
    rows: usize,
) -> Vec<Line<'static>> {
    let why = view
        .knowledge()
        .abstention(found)
        .unwrap_or_else(|| "nothing known matches well".to_string());
    let text = format!("human judgment, only diagnostics are offered: {why}");
    let badge = [Span::styled(" NOVEL ", theme::firing()), Span::raw(" ")];
    let hang = [Span::raw(" ".repeat(8))];
    let mut wrapped = wrap::words(&[(text, theme::warn())], width.max(9), &badge, &hang);
    let most = 3.min(rows.saturating_sub(ROWS_PER_ITEM).max(1));
    if wrapped.len() > most {
        wrapped.truncate(most);
        // The last line kept says that more was cut: its end gives way to "…".
        if let Some(last) = wrapped.last_mut() {
            while last.width() + 1 > width {
                let Some(span) = last.spans.last_mut() else {
                    break;
                };
                if span.content.to_mut().pop().is_none() {
                    last.spans.pop();
                }
            }
            last.spans.push(Span::styled("…", theme::warn()));
        }
    }
    wrapped
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let cluster = clusters::focused(app, view);
    let found = matches(app, view);
    let novel = cluster.is_some_and(|c| view.is_novel(c.id));
    let extra = match cluster {
        Some(c) => Span::styled(
            format!("for {} · {} matches ", c.name, found.len()),
            theme::dim(),
        ),
        None => Span::raw(""),
    };
    let block = pane_block(app, Pane::Knowledge, extra);
    let width = usize::from(block.inner(area).width);
    let mut lines = Vec::new();
    let mut rows = inner_height(area);
    if cluster.is_none() {
        lines.push(Line::from(Span::styled(
            "no cluster selected",
            theme::dim(),
        )));
    } else if novel {
        let novel = novel_lines(view, found, width, rows);
        rows = rows.saturating_sub(novel.len());
        lines.extend(novel);
    }
    let cursor = cursor(app, found);
    for i in visible_rows(found.len(), cursor, (rows / ROWS_PER_ITEM).max(1)) {
        let m = &found[i];
        let selected = app.focus == Pane::Knowledge && i == cursor;
        let (kind, title, detail) = describe(view, m);
        // The level and the calibrated value it is read from (0.60 is the good floor).
        let level = format!("{} ", m.confidence_label(6));
        let quality = match m.confidence {
            Confidence::High => Span::styled(level, theme::good()),
            Confidence::Medium => Span::styled(level, theme::warn()),
            Confidence::Low => Span::styled(level, theme::dim()),
        };
        // Only visible rows get here, so staleness is computed for a handful of runbooks.
        let stale = match m.doc {
            DocRef::Runbook(i) => view.runbook_staleness(i),
            DocRef::Postmortem(_) => Vec::new(),
        };
        let mut head = vec![
            Span::raw(if selected { "› " } else { "  " }),
            Span::styled(format!("{kind:<10} "), theme::key()),
            // The calibrated value only: the raw content score (no fixed scale) is in the
            // reader and in `kb match`, and two numbers side by side read as one too many.
            quality,
        ];
        if !stale.is_empty() {
            head.push(Span::styled("STALE ", theme::warn()));
        }
        let used: usize = head.iter().map(Span::width).sum();
        head.push(Span::raw(truncate(&title, width.saturating_sub(used))));
        // What makes it stale comes first: it changes how far to trust the rest.
        let stale_why: Vec<String> = stale.iter().map(|f| f.message.clone()).collect();
        let why = if stale_why.is_empty() {
            format!("    {}{detail}", m.why.join("; "))
        } else {
            format!(
                "    {} · {}{detail}",
                stale_why.join("; "),
                m.why.join("; ")
            )
        };
        let mut head = Line::from(head);
        let mut why = Line::from(Span::styled(truncate(&why, width), theme::dim()));
        if selected {
            head = head.style(theme::selected());
            why = why.style(theme::selected());
        }
        lines.push(head);
        lines.push(why);
    }
    if cluster.is_some() && found.is_empty() {
        lines.push(Line::from(Span::styled(
            "no runbook or postmortem mentions these alerts",
            theme::dim(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Kind label, title, and what a responder wants to know next (steps offered; what was tried).
fn describe(view: &Cockpit, m: &KnowledgeMatch) -> (&'static str, String, String) {
    let kb = view.knowledge();
    match m.doc {
        DocRef::Runbook(i) => match kb.runbooks.get(i) {
            Some(r) => (
                "RUNBOOK",
                format!("{} ({})", r.title, r.id),
                if r.steps.is_empty() {
                    String::new()
                } else if !m.good {
                    " · steps not offered (low confidence)".to_string()
                } else {
                    format!(" · {} steps", r.steps.len())
                },
            ),
            None => ("RUNBOOK", format!("#{i} (gone)"), String::new()),
        },
        DocRef::Postmortem(i) => match kb.postmortems.get(i) {
            Some(p) => {
                let date = p.date.map(|d| format!("{d} ")).unwrap_or_default();
                let tried = p
                    .tried
                    .first()
                    .map(|t| format!(" · tried: {t}"))
                    .unwrap_or_default();
                ("POSTMORTEM", format!("{date}{}", p.title), tried)
            }
            None => ("POSTMORTEM", format!("#{i} (gone)"), String::new()),
        },
    }
}
