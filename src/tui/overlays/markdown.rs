//! Markdown to screen lines for the reader view, with pulldown-cmark: headings styled, lists
//! with bullets or numbers, code blocks indented behind a gutter and never reflowed, quotes
//! marked, paragraphs word-wrapped to the width. Pure: text in, lines out.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::wrap::{self, Fragment};
use crate::tui::theme;

/// Renders `markdown` into lines at most `width` columns wide.
pub fn render(markdown: &str, width: usize) -> Vec<Line<'static>> {
    let width = width.max(20);
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut r = Renderer {
        width,
        out: Vec::new(),
        inline: Vec::new(),
        styles: Vec::new(),
        lists: Vec::new(),
        item_marker: None,
        quote: 0,
        code: None,
        links: Vec::new(),
        table: None,
    };
    for event in Parser::new_ext(markdown, options) {
        r.event(event);
    }
    r.flush();
    while r.out.last().is_some_and(|l| l.width() == 0) {
        r.out.pop();
    }
    r.out
}

/// A list being rendered: the next number of an ordered list, `None` for bullets.
struct List {
    next: Option<u64>,
}

struct Renderer {
    width: usize,
    out: Vec<Line<'static>>,
    /// The text of the paragraph, heading or item being built.
    inline: Vec<Fragment>,
    /// Inline styles in force (emphasis, strong, code, link), innermost last.
    styles: Vec<Style>,
    lists: Vec<List>,
    /// The bullet or number of a list item whose first line has not been written yet.
    item_marker: Option<String>,
    quote: usize,
    /// The text of a fenced or indented code block being collected.
    code: Option<String>,
    /// Destinations of the links being built, shown after their text.
    links: Vec<String>,
    table: Option<Table>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    head_rows: usize,
    in_head: bool,
    cell: Option<String>,
}

fn heading_style(level: HeadingLevel) -> Style {
    match level {
        HeadingLevel::H1 => theme::title().add_modifier(Modifier::UNDERLINED),
        HeadingLevel::H2 => theme::title(),
        _ => theme::title().add_modifier(Modifier::ITALIC),
    }
}

impl Renderer {
    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::default(), |acc, s| acc.patch(*s))
    }

    /// Indentation of list content: two columns per enclosing list level beyond the first.
    fn list_indent(&self) -> usize {
        self.lists.len().saturating_sub(1) * 2
    }

    /// What starts every line at this depth: quote bars, then list indentation.
    fn prefix(&self) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        if self.quote > 0 {
            spans.push(Span::styled("│ ".repeat(self.quote), theme::dim()));
        }
        let indent = self.list_indent() + if self.lists.is_empty() { 0 } else { 2 };
        if indent > 0 {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        spans
    }

    /// The first line of a list item: quote bars, the enclosing lists' indentation, the
    /// marker (which hangs where the item's text indentation would be).
    fn marker_lead(&self, marker: String) -> Vec<Span<'static>> {
        let mut lead = Vec::new();
        if self.quote > 0 {
            lead.push(Span::styled("│ ".repeat(self.quote), theme::dim()));
        }
        let pad = self.list_indent();
        if pad > 0 {
            lead.push(Span::raw(" ".repeat(pad)));
        }
        lead.push(Span::styled(marker, theme::key()));
        lead
    }

    /// A blank line between blocks (never two, never at the top).
    fn gap(&mut self) {
        if self.out.last().is_some_and(|l| l.width() > 0) {
            self.out.push(Line::default());
        }
    }

    /// Writes the inline text built so far as a wrapped block.
    fn flush(&mut self) {
        if self.inline.iter().all(|(t, _)| t.trim().is_empty()) {
            self.inline.clear();
            return;
        }
        let fragments = std::mem::take(&mut self.inline);
        let mut rest = self.prefix();
        let mut first = rest.clone();
        if let Some(marker) = self.item_marker.take() {
            first = self.marker_lead(marker);
            // Continuation lines start under the text, after the marker.
            let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
            let hang = width(&first).saturating_sub(width(&rest));
            rest.push(Span::raw(" ".repeat(hang)));
        }
        self.out
            .extend(wrap::words(&fragments, self.width, &first, &rest));
    }

    fn text(&mut self, text: &str) {
        if let Some(code) = &mut self.code {
            code.push_str(text);
            return;
        }
        if let Some(table) = &mut self.table {
            if let Some(cell) = &mut table.cell {
                cell.push_str(text);
            }
            return;
        }
        let style = self.style();
        self.inline.push((text.to_string(), style));
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => {
                if let Some(table) = &mut self.table {
                    if let Some(cell) = &mut table.cell {
                        cell.push_str(&t);
                    }
                    return;
                }
                let style = self.style().patch(theme::code());
                self.inline.push((t.to_string(), style));
            }
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.flush();
                self.gap();
                let rule = "─".repeat(self.width.min(40));
                self.out.push(Line::from(Span::styled(rule, theme::dim())));
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let style = theme::dim();
                self.inline.push((t.trim_end().to_string(), style));
                if t.ends_with('\n') {
                    self.flush();
                }
            }
            Event::TaskListMarker(done) => {
                self.text(if done { "[x] " } else { "[ ] " });
            }
            Event::FootnoteReference(name) => self.text(&format!("[^{name}]")),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            // A paragraph that opens a list item sits on the item's marker line.
            Tag::Paragraph if self.item_marker.is_none() => self.gap(),
            Tag::Heading { level, .. } => {
                self.flush();
                self.gap();
                self.styles.push(heading_style(level));
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.gap();
                self.quote += 1;
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                if self.item_marker.is_none() {
                    self.gap();
                }
                let lang = match kind {
                    CodeBlockKind::Fenced(lang) => lang.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(String::new());
                if !lang.is_empty() {
                    let mut line = self.prefix();
                    line.push(Span::styled(format!("  ┌ {lang}"), theme::dim()));
                    self.out.push(Line::from(line));
                }
            }
            Tag::List(first) => {
                self.flush();
                if self.lists.is_empty() {
                    self.gap();
                }
                self.lists.push(List { next: first });
            }
            Tag::Item => {
                self.flush();
                let depth = self.lists.len();
                let marker = match self.lists.last_mut() {
                    Some(List { next: Some(n) }) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => if depth > 1 { "◦ " } else { "• " }.to_string(),
                };
                self.item_marker = Some(marker);
            }
            Tag::Emphasis => self
                .styles
                .push(Style::default().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self
                .styles
                .push(Style::default().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::default().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.styles
                    .push(Style::default().add_modifier(Modifier::UNDERLINED));
                self.links.push(dest_url.to_string());
            }
            Tag::Image { dest_url, .. } => {
                self.text("[image: ");
                self.links.push(dest_url.to_string());
                self.styles.push(theme::dim());
            }
            Tag::Table(_) => {
                self.flush();
                self.gap();
                self.table = Some(Table::default());
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = true;
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(t) = &mut self.table {
                    t.cell = Some(String::new());
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush(),
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.flush();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote = self.quote.saturating_sub(1);
            }
            TagEnd::CodeBlock => {
                let code = self.code.take().unwrap_or_default();
                self.code_lines(&code);
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.gap();
                }
            }
            TagEnd::Item => {
                self.flush();
                // An empty item still shows its bullet.
                if let Some(marker) = self.item_marker.take() {
                    let lead = self.marker_lead(marker);
                    self.out.push(Line::from(lead));
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.links.pop()
                    && !url.is_empty()
                {
                    self.inline.push((format!(" ({url})"), theme::dim()));
                }
            }
            TagEnd::Image => {
                self.styles.pop();
                let url = self.links.pop().unwrap_or_default();
                self.inline.push((format!(" {url}]"), theme::dim()));
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = false;
                    t.head_rows = t.rows.len();
                }
            }
            TagEnd::TableCell => {
                if let Some(t) = &mut self.table
                    && let Some(cell) = t.cell.take()
                    && let Some(row) = t.rows.last_mut()
                {
                    row.push(cell.trim().to_string());
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.table_lines(&t);
                }
            }
            _ => {}
        }
    }

    /// A code block: behind a gutter, indented, in the code style, never reflowed (long lines
    /// continue on the next screen line).
    fn code_lines(&mut self, code: &str) {
        let mut first = self.prefix();
        if let Some(marker) = self.item_marker.take() {
            // A code block that opens a list item: the marker gets its own line.
            let lead = self.marker_lead(marker);
            self.out.push(Line::from(lead));
        }
        first.push(Span::styled("  │ ", theme::dim()));
        let mut rest = self.prefix();
        rest.push(Span::styled("  ┆ ", theme::dim()));
        for line in code.trim_end_matches('\n').split('\n') {
            let text = line.replace('\t', "    ");
            self.out.extend(wrap::chars(
                &[(text, theme::code())],
                self.width,
                &first,
                &rest,
            ));
        }
    }

    /// A table: columns padded to their widest cell (capped), the header bold and underlined
    /// by a rule; rows too wide for the screen wrap.
    fn table_lines(&mut self, t: &Table) {
        let columns = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        let cap = (self.width / columns).max(8);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                t.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| Span::raw(cell.as_str()).width())
                    .max()
                    .unwrap_or(0)
                    .min(cap)
            })
            .collect();
        let prefix = self.prefix();
        for (i, row) in t.rows.iter().enumerate() {
            let head = i < t.head_rows;
            let style = if head {
                theme::title()
            } else {
                Style::default()
            };
            let mut fragments: Vec<Fragment> = Vec::new();
            for (c, w) in widths.iter().enumerate() {
                let cell = row.get(c).map(String::as_str).unwrap_or("");
                let pad = w.saturating_sub(Span::raw(cell).width());
                if c > 0 {
                    fragments.push((" │ ".to_string(), theme::dim()));
                }
                fragments.push((format!("{cell}{}", " ".repeat(pad)), style));
            }
            self.out
                .extend(wrap::chars(&fragments, self.width, &prefix, &prefix));
            if head && i + 1 == t.head_rows {
                let rule = widths
                    .iter()
                    .map(|w| "─".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("─┼─");
                let mut line = prefix.clone();
                line.push(Span::styled(rule, theme::dim()));
                self.out.push(Line::from(line));
            }
        }
        self.gap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(md: &str, width: usize) -> Vec<String> {
        render(md, width).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn headings_paragraphs_lists_and_code() {
        let md = "# Title\n\nSome *words* that wrap around the edge.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n```sh\nkubectl get pods -n db\n```\n";
        let lines = text(md, 24);
        assert_eq!(
            lines,
            [
                "Title",
                "",
                "Some words that wrap",
                "around the edge.",
                "",
                "• one",
                "• two",
                "  ◦ nested",
                "",
                "1. first",
                "2. second",
                "",
                "  ┌ sh",
                "  │ kubectl get pods -n ",
                "  ┆ db",
            ]
        );
    }

    #[test]
    fn headings_are_bold_and_code_is_distinct() {
        let lines = render("## Diagnosis\n\nRun `show-pools` now.\n", 40);
        assert!(
            lines[0].spans[0]
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
        let code = lines[2]
            .spans
            .iter()
            .find(|s| s.content == "show-pools")
            .expect("inline code is its own span");
        assert_eq!(code.style, theme::code());
    }

    #[test]
    fn list_items_wrap_under_their_text() {
        let lines = text("- a long item that needs to wrap\n", 20);
        assert_eq!(lines, ["• a long item that", "  needs to wrap"]);
    }

    #[test]
    fn quotes_links_and_tables() {
        let lines = text(
            "> careful\n\nSee [the docs](https://x.test).\n\n| a | b |\n|---|---|\n| 1 | 22 |\n",
            40,
        );
        assert_eq!(
            lines,
            [
                "│ careful",
                "",
                "See the docs (https://x.test).",
                "",
                "a │ b ",
                "──┼───",
                "1 │ 22",
            ]
        );
    }
}
