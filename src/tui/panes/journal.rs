//! The journal tail: the newest audit records (mode changes, approvals, executions, notes) with
//! time, sequence number, actor and role. It follows the newest record until you scroll up.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::cockpit::Cockpit;
use crate::journal::{JournalRecord, RecordKind};
use crate::time::clock_hms;
use crate::tui::app::{App, Pane};
use crate::tui::panes::{Move, inner_height, pane_block, truncate, visible_rows};
use crate::tui::theme;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalPane {
    /// The record the cursor is on, by sequence number; `None` follows the newest.
    pub selected: Option<u64>,
}

/// The cursor's row: the selected record's (new records append below it and the cursor stays
/// on it), the newest while following. A record that aged out of the tail was older than
/// every row: the cursor goes to the oldest.
fn index_of(app: &App, records: &[&JournalRecord]) -> usize {
    let last = records.len().saturating_sub(1);
    match app.journal.selected {
        None => last,
        Some(seq) => records
            .iter()
            .position(|r| r.seq == seq)
            .unwrap_or_else(|| records.iter().position(|r| r.seq > seq).unwrap_or(last)),
    }
}

/// The record under the cursor (the newest while following); Enter opens it.
pub fn selected(app: &App, view: &Cockpit) -> Option<u64> {
    let records: Vec<&JournalRecord> = shown(view);
    records.get(index_of(app, &records)).map(|r| r.seq)
}

pub fn scroll(app: &mut App, view: &Cockpit, movement: Move) {
    let records: Vec<&JournalRecord> = shown(view);
    let index = movement.apply(index_of(app, &records), records.len(), app.page_rows());
    app.journal.selected = if index + 1 >= records.len() {
        None
    } else {
        records.get(index).map(|r| r.seq)
    };
}

/// The record drawn on row `row` of the pane's inside, as an index into the listed records.
pub fn item_at(app: &App, view: &Cockpit, area: Rect, row: usize) -> Option<usize> {
    let records: Vec<&JournalRecord> = shown(view);
    let range = visible_rows(records.len(), index_of(app, &records), inner_height(area));
    let i = range.start + row;
    range.contains(&i).then_some(i)
}

/// Selects the record at `index` (a click); the newest one follows new records again.
pub fn select(app: &mut App, view: &Cockpit, index: usize) {
    let records: Vec<&JournalRecord> = shown(view);
    if index < records.len() {
        app.journal.selected = (index + 1 < records.len()).then(|| records[index].seq);
    }
}

/// The records the pane lists: the tail without the cockpit's own "obsolete step" records
/// (written when an incident's target resolves; nobody decided them, and a flapping cluster
/// makes many). They stay in the journal, `journal show`, the timeline and the export.
fn shown(view: &Cockpit) -> Vec<&JournalRecord> {
    view.journal_tail()
        .filter(|r| !is_obsolete_step(r))
        .collect()
}

fn is_obsolete_step(r: &JournalRecord) -> bool {
    r.kind == RecordKind::Rejection && r.read_body().obsolete
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let records: Vec<&JournalRecord> = shown(view);
    let following = app.journal.selected.is_none();
    let hidden = view.journal_tail().filter(|r| is_obsolete_step(r)).count();
    let extra = Span::styled(
        format!(
            "{} records{}{} ",
            view.journal_len(),
            if hidden > 0 {
                format!(" ({hidden} obsolete-step records not listed)")
            } else {
                String::new()
            },
            if following {
                ", following"
            } else {
                ", scrolled (G: newest)"
            }
        ),
        theme::dim(),
    );
    let block = pane_block(app, Pane::Journal, extra);
    let width = usize::from(block.inner(area).width);
    let index = index_of(app, &records);
    let mut lines = Vec::new();
    if records.is_empty() {
        lines.push(Line::from(Span::styled(
            "empty: decisions and mode changes are recorded here",
            theme::dim(),
        )));
    }
    for i in visible_rows(records.len(), index, inner_height(area)) {
        let r = records[i];
        let kind_style = match r.kind {
            RecordKind::ModeChange | RecordKind::Rejection => theme::warn(),
            RecordKind::Execution | RecordKind::Approval => theme::good(),
            _ => theme::text(),
        };
        let head = vec![
            Span::styled(format!("{} ", clock_hms(r.ts)), theme::dim()),
            Span::styled(format!("#{:<4} ", r.seq), theme::dim()),
            Span::styled(format!("{:<10} ", r.kind.label()), kind_style),
            Span::raw(format!("{}/{} ", r.actor, r.role)),
        ];
        let used: usize = head.iter().map(Span::width).sum();
        let mut line = Line::from(head);
        line.spans
            .push(Span::raw(truncate(&r.summary, width.saturating_sub(used))));
        if app.focus == Pane::Journal && !following && i == index {
            line = line.style(theme::selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
