//! Breaking styled text into screen lines for the reading overlays. Lines are wrapped here,
//! not by the `Paragraph` widget, so a view knows how many lines it has and can scroll exactly.
//! Two ways: at word boundaries (prose) and at any character, keeping every space (argv, JSON,
//! code), where nothing may be lost or merged.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// A piece of text with one style, before wrapping.
pub type Fragment = (String, Style);

/// Display width of one character (0 for combining marks, 2 for wide ones).
pub fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

fn width_of(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Adds `c` to the last span if it has `style`, else starts a span.
fn push_char(spans: &mut Vec<Span<'static>>, c: char, style: Style) {
    match spans.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push(c),
        _ => spans.push(Span::styled(c.to_string(), style)),
    }
}

/// `line` wrapped to `width` keeping its leading spaces: continuation lines hang two further in
/// (at most half the width), so a wrapped item still reads as one.
pub fn indented(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let indent = text.len() - text.trim_start().len();
    let hang = (indent + 2).min(width / 2);
    let fragments: Vec<Fragment> = line
        .spans
        .iter()
        .map(|s| (s.content.to_string(), s.style))
        .collect();
    words(
        &fragments,
        width,
        &[Span::raw(" ".repeat(indent))],
        &[Span::raw(" ".repeat(hang))],
    )
}

/// Word-wraps `fragments` to `width` columns. The first line starts with `first`, the others
/// with `rest` (hanging indent). Runs of whitespace become one space; a word longer than a line
/// is cut where the line ends.
pub fn words(
    fragments: &[Fragment],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    // Words as lists of styled runs; `None` marks a space between words.
    let mut tokens: Vec<Option<Vec<(char, Style)>>> = Vec::new();
    for (text, style) in fragments {
        for c in text.chars() {
            if c.is_whitespace() {
                if matches!(tokens.last(), Some(Some(_))) {
                    tokens.push(None);
                }
            } else {
                match tokens.last_mut() {
                    Some(Some(word)) => word.push((c, *style)),
                    _ => tokens.push(Some(vec![(c, *style)])),
                }
            }
        }
    }
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = first.to_vec();
    let mut prefix_width = width_of(first);
    let mut used = prefix_width;
    let mut empty = true;
    let mut space = false;
    for token in tokens {
        let Some(word) = token else {
            space = !empty;
            continue;
        };
        let word_width: usize = word.iter().map(|(c, _)| char_width(*c)).sum();
        let gap = usize::from(space);
        if !empty && used + gap + word_width > width {
            lines.push(Line::from(std::mem::replace(&mut line, rest.to_vec())));
            prefix_width = width_of(rest);
            used = prefix_width;
            empty = true;
        } else if !empty && space {
            line.push(Span::raw(" "));
            used += 1;
        }
        space = false;
        for (c, style) in word {
            let w = char_width(c);
            // A word wider than the line: cut it where the line ends.
            if !empty && used + w > width && used > prefix_width {
                lines.push(Line::from(std::mem::replace(&mut line, rest.to_vec())));
                prefix_width = width_of(rest);
                used = prefix_width;
            }
            push_char(&mut line, c, style);
            used += w;
            empty = false;
        }
    }
    if !empty || lines.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

/// Cuts `fragments` into lines of `width` columns at any character, keeping every character
/// (spaces included). The first line starts with `first`, the others with `rest`.
pub fn chars(
    fragments: &[Fragment],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = first.to_vec();
    let mut prefix_width = width_of(first);
    let mut used = prefix_width;
    for (text, style) in fragments {
        for c in text.chars() {
            let w = char_width(c);
            if used + w > width && used > prefix_width {
                lines.push(Line::from(std::mem::replace(&mut line, rest.to_vec())));
                prefix_width = width_of(rest);
                used = prefix_width;
            }
            push_char(&mut line, c, *style);
            used += w;
        }
    }
    lines.push(Line::from(line));
    lines
}

/// Lays `items` out one after another, a space apart, breaking lines only between items where
/// possible; an item wider than a line is cut at any character, so nothing is lost.
pub fn items(
    items: &[Vec<Fragment>],
    width: usize,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = first.to_vec();
    let mut prefix_width = width_of(first);
    let mut used = prefix_width;
    for item in items {
        let item_width: usize = item
            .iter()
            .flat_map(|(t, _)| t.chars())
            .map(char_width)
            .sum();
        if used > prefix_width {
            if used + 1 + item_width > width {
                lines.push(Line::from(std::mem::replace(&mut line, rest.to_vec())));
                prefix_width = width_of(rest);
                used = prefix_width;
            } else {
                line.push(Span::raw(" "));
                used += 1;
            }
        }
        for (text, style) in item {
            for c in text.chars() {
                let w = char_width(c);
                if used + w > width && used > prefix_width {
                    lines.push(Line::from(std::mem::replace(&mut line, rest.to_vec())));
                    prefix_width = width_of(rest);
                    used = prefix_width;
                }
                push_char(&mut line, c, *style);
                used += w;
            }
        }
    }
    lines.push(Line::from(line));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    fn plain(s: &str) -> Vec<Fragment> {
        vec![(s.to_string(), Style::default())]
    }

    #[test]
    fn words_wrap_with_a_hanging_indent() {
        let lines = words(
            &plain("one two three four five"),
            12,
            &[Span::raw("• ")],
            &[Span::raw("  ")],
        );
        assert_eq!(text(&lines), ["• one two", "  three four", "  five"]);
    }

    #[test]
    fn long_words_are_cut_not_lost() {
        let lines = words(&plain("a abcdefghijkl b"), 6, &[], &[]);
        assert_eq!(text(&lines), ["a", "abcdef", "ghijkl", "b"]);
    }

    #[test]
    fn chars_keep_every_space() {
        let lines = chars(
            &plain("a  b   c"),
            4,
            &[Span::raw("> ")],
            &[Span::raw("  ")],
        );
        assert_eq!(text(&lines), ["> a ", "   b", "    ", "   c"]);
        assert_eq!(text(&chars(&plain(""), 4, &[], &[])), [""]);
    }

    #[test]
    fn items_break_between_items() {
        let items: Vec<Vec<Fragment>> = ["\"ab\"", "\"c d\"", "\"efghijklm\""]
            .iter()
            .map(|s| plain(s))
            .collect();
        let lines = items_text(&items, 10);
        assert_eq!(lines, ["\"ab\" \"c d\"", "\"efghijklm", "\""]);
    }

    fn items_text(i: &[Vec<Fragment>], width: usize) -> Vec<String> {
        text(&items(i, width, &[], &[]))
    }

    #[test]
    fn styles_survive_wrapping() {
        let bold = Style::default().add_modifier(ratatui::style::Modifier::BOLD);
        let lines = words(
            &[("plain ".into(), Style::default()), ("bold".into(), bold)],
            20,
            &[],
            &[],
        );
        assert_eq!(lines[0].spans.last().unwrap().style, bold);
    }
}
