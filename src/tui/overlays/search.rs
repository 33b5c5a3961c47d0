//! Search all knowledge (`/` in the knowledge pane, `K` anywhere): runbooks and postmortems,
//! whatever cluster is focused. Titles are matched fuzzily (nucleo) and content through the
//! ranked index, merged into one list by [`KnowledgeBase::search_all`]; the hits are computed
//! when the query changes, never while drawing. Enter reads the selected document.
//!
//! [`KnowledgeBase::search_all`]: crate::knowledge::KnowledgeBase::search_all

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::cockpit::Cockpit;
use crate::knowledge::{DocRef, SearchHit};
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay, Page};
use crate::tui::command::Command;
use crate::tui::line_input::LineInput;
use crate::tui::panes::{Move, truncate, visible_rows};
use crate::tui::theme;

const SIGIL: &str = "/ ";
/// Hits kept per query: more than a screen, few enough to stay instant.
const LIMIT: usize = 50;

/// The search as typed and what it found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    pub input: LineInput,
    pub selected: usize,
    pub hits: Vec<SearchHit>,
}

/// Every document for an empty query (only visible rows are drawn), the best few otherwise.
fn hits(view: &Cockpit, query: &str) -> Vec<SearchHit> {
    let limit = if query.trim().is_empty() {
        usize::MAX
    } else {
        LIMIT
    };
    view.knowledge().search_all(query, limit)
}

/// Opens the search, listing every document until something is typed.
pub fn open(app: &mut App, view: &Cockpit) {
    app.overlay = Overlay::Search(Box::new(Search {
        hits: hits(view, ""),
        ..Search::default()
    }));
}

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    let Overlay::Search(search) = &mut app.overlay else {
        return Vec::new();
    };
    match action {
        Action::Edit(edit) => {
            let before = search.input.text().to_string();
            search.input.apply(edit);
            if search.input.text() != before {
                search.hits = hits(view, search.input.text());
                search.selected = 0;
            }
        }
        Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
            if let Some(movement) = Move::from_action(action) {
                search.selected = movement.apply(search.selected, search.hits.len(), 5);
            }
        }
        Action::Open => match search.hits.get(search.selected) {
            Some(hit) => {
                app.overlay = Overlay::Read {
                    page: Page::Document(hit.doc),
                    scroll: 0,
                };
            }
            None => app.warn("nothing found: try fewer or other words"),
        },
        Action::Back => app.overlay = Overlay::None,
        Action::Quit => return vec![Command::Quit],
        _ => {}
    }
    Vec::new()
}

/// The title with the characters the fuzzy match hit in bold.
fn highlighted(title: &str, positions: &[u32], width: usize) -> Vec<Span<'static>> {
    let title = truncate(title, width);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_hit = false;
    for (i, c) in title.chars().enumerate() {
        let hit = u32::try_from(i).is_ok_and(|i| positions.binary_search(&i).is_ok());
        if hit != run_hit && !run.is_empty() {
            spans.push(styled_run(std::mem::take(&mut run), run_hit));
        }
        run_hit = hit;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(styled_run(run, run_hit));
    }
    spans
}

fn styled_run(text: String, hit: bool) -> Span<'static> {
    if hit {
        Span::styled(text, theme::key().add_modifier(Modifier::BOLD))
    } else {
        Span::raw(text)
    }
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let Overlay::Search(search) = &app.overlay else {
        return;
    };
    let screen = frame.area();
    let width = screen.width.saturating_sub(4).clamp(40, 110);
    let height = screen.height.saturating_sub(4).max(8);
    let area = Rect {
        y: screen.y + 1,
        ..super::centered(screen, width, height)
    }
    .intersection(screen);
    let kb = view.knowledge();
    let total = kb.runbooks.len() + kb.postmortems.len();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(
            Line::from(format!(
                " Search knowledge · {} of {total} documents ",
                search.hits.len()
            ))
            .style(theme::title()),
        )
        .title_bottom(Line::from(" ↑/↓ choose · Enter read · Esc close ").style(theme::dim()));
    let inner = block.inner(area);
    let text_width = usize::from(inner.width);
    let mut text = vec![
        super::prompt_line(SIGIL, &search.input, "words of a title or of the content"),
        Line::default(),
    ];
    if search.hits.is_empty() {
        text.push(Line::from(Span::styled(
            "  nothing found: try fewer or other words",
            theme::dim(),
        )));
    }
    // Two rows a hit: the title line, and why it matched.
    let rows = usize::from(inner.height.saturating_sub(2)) / 2;
    for i in visible_rows(search.hits.len(), search.selected, rows.max(1)) {
        let hit = &search.hits[i];
        let kind = match hit.doc {
            DocRef::Runbook(_) => "RUNBOOK   ",
            DocRef::Postmortem(_) => "POSTMORTEM",
        };
        let (path, title) = kb.doc_path_title(hit.doc);
        let selected = i == search.selected;
        // An empty query lists everything unranked: no score to show.
        let score = if hit.why.is_empty() {
            String::new()
        } else {
            format!("{:>4.2} ", hit.score)
        };
        let mut head = vec![
            Span::raw(if selected { "› " } else { "  " }),
            Span::styled(format!("{kind} "), theme::key()),
            Span::styled(score, theme::bold()),
        ];
        let used: usize = head.iter().map(Span::width).sum();
        head.extend(highlighted(
            title,
            &hit.title_positions,
            text_width.saturating_sub(used),
        ));
        let why = if hit.why.is_empty() {
            format!("    {path}")
        } else {
            format!("    {} · {path}", hit.why.join("; "))
        };
        let mut head = Line::from(head);
        let mut why = Line::from(Span::styled(truncate(&why, text_width), theme::dim()));
        if selected {
            head = head.style(theme::selected());
            why = why.style(theme::selected());
        }
        text.push(head);
        text.push(why);
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block), area);
    frame.set_cursor_position((super::cursor_x(inner.x, SIGIL, &search.input), inner.y));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_hits_are_highlighted_by_character() {
        let spans = highlighted("PgBouncer pool", &[0, 1, 2], 40);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].content, "PgB");
        assert_eq!(spans[1].content, "ouncer pool");
        assert!(spans[0].style.add_modifier.contains(Modifier::BOLD));
    }
}
