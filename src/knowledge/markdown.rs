//! Markdown reading shared by runbooks and postmortems: front matter splitting and an outline of
//! headings and blocks (paragraphs, list items, code blocks) with their sections and lines.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A document split into its front matter (without the `---` fences) and Markdown body.
pub struct Split<'a> {
    /// The YAML text between the fences, if the document starts with `---`.
    pub yaml: Option<&'a str>,
    /// TOML front matter (`+++`), which we only read `title` from.
    pub toml: Option<&'a str>,
    /// 1-based line of the first front matter line (the line after the opening fence).
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line on which `body` starts.
    pub body_line: usize,
}

/// Why the front matter could not be split off.
pub struct SplitError {
    pub line: usize,
    pub message: String,
}

/// Splits `---\n...\n---\n` (or `...` closing) front matter off `text`.
pub fn split_front_matter(text: &str) -> Result<Split<'_>, SplitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let first = text[..first_end].trim_end();
    let fence = match first {
        "---" => "---",
        "+++" => "+++",
        _ => {
            return Ok(Split {
                yaml: None,
                toml: None,
                yaml_line: 0,
                body: text,
                body_line: 1,
            });
        }
    };
    let mut offset = first_end;
    let mut line = 2;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let l = text[offset..end].trim_end();
        if l == fence || (fence == "---" && l == "...") {
            let inner = &text[first_end..offset];
            return Ok(Split {
                yaml: (fence == "---").then_some(inner),
                toml: (fence == "+++").then_some(inner),
                yaml_line: 2,
                body: &text[end..],
                body_line: line + 1,
            });
        }
        offset = end;
        line += 1;
    }
    Err(SplitError {
        line: 1,
        message: format!("front matter opened with `{fence}` on line 1 is never closed"),
    })
}

/// `title = "..."` from a TOML front matter (Hugo), without a TOML parser.
pub fn toml_title(toml: &str) -> Option<String> {
    toml.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "title").then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// 1-based line in the whole document.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    ListItem,
    /// A fenced (info string, possibly empty) or indented (`None`) code block.
    Code(Option<String>),
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Index of the heading this block falls under.
    pub section: Option<usize>,
    pub kind: BlockKind,
    pub text: String,
    pub line: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Outline {
    pub headings: Vec<Heading>,
    pub blocks: Vec<Block>,
    /// Inline code spans outside headings: (code, section, line).
    pub inline_code: Vec<(String, Option<usize>, usize)>,
}

impl Outline {
    /// Blocks under the heading `h` (and its sub-headings).
    pub fn section_blocks(&self, h: usize) -> impl Iterator<Item = &Block> {
        let level = self.headings[h].level;
        let end = self.headings[h + 1..]
            .iter()
            .position(|x| x.level <= level)
            .map_or(self.headings.len(), |p| h + 1 + p);
        self.blocks
            .iter()
            .filter(move |b| b.section.is_some_and(|s| s >= h && s < end))
    }
}

/// Reads the outline of a Markdown body; `first_line` is the document line the body starts on.
pub fn outline(body: &str, first_line: usize) -> Outline {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset) + first_line - 1;

    let mut out = Outline::default();
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    // Open containers: (kind, text so far, line). Nested list items push a new entry; their
    // parent keeps the text written before the nested list.
    let mut stack: Vec<(BlockKind, String, usize)> = Vec::new();
    let mut heading: Option<(u8, String, usize)> = None;
    let mut table: Option<(String, usize)> = None;

    for (event, range) in Parser::new_ext(body, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, String::new(), line_of(range.start)));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text, line)) = heading.take() {
                    out.headings.push(Heading {
                        level,
                        text: collapse(&text),
                        line,
                    });
                }
            }
            Event::Start(Tag::Paragraph) => {
                if !matches!(stack.last(), Some((BlockKind::ListItem, _, _))) {
                    stack.push((BlockKind::Paragraph, String::new(), line_of(range.start)));
                } else if let Some((_, t, _)) = stack.last_mut()
                    && !t.is_empty()
                {
                    t.push(' ');
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if matches!(stack.last(), Some((BlockKind::Paragraph, _, _))) {
                    let (kind, text, line) = stack.pop().expect("checked");
                    push_block(&mut out, kind, text, line);
                }
            }
            Event::Start(Tag::Item) => {
                stack.push((BlockKind::ListItem, String::new(), line_of(range.start)));
            }
            Event::End(TagEnd::Item) => {
                if let Some((kind, text, line)) = stack.pop() {
                    push_block(&mut out, kind, text, line);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => Some(info.to_string()),
                    CodeBlockKind::Indented => None,
                };
                stack.push((BlockKind::Code(info), String::new(), line_of(range.start)));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((kind, text, line)) = stack.pop() {
                    out.blocks.push(Block {
                        section: out.headings.len().checked_sub(1),
                        kind,
                        text,
                        line,
                    });
                }
            }
            Event::Start(Tag::Table(_)) => table = Some((String::new(), line_of(range.start))),
            Event::End(TagEnd::Table) => {
                if let Some((text, line)) = table.take() {
                    push_block(&mut out, BlockKind::Other, text, line);
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some((t, _)) = table.as_mut() {
                    t.push_str(" | ");
                }
            }
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => {
                if let Some((t, _)) = table.as_mut() {
                    t.push('\n');
                }
            }
            Event::Code(t) if heading.is_none() && table.is_none() => {
                out.inline_code.push((
                    t.to_string(),
                    out.headings.len().checked_sub(1),
                    line_of(range.start),
                ));
                if let Some((_, s, _)) = stack.last_mut() {
                    s.push_str(&t);
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                if let Some((_, h, _)) = heading.as_mut() {
                    h.push_str(&t);
                } else if let Some((t2, _)) = table.as_mut() {
                    t2.push_str(&t);
                } else if let Some((_, s, _)) = stack.last_mut() {
                    s.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, h, _)) = heading.as_mut() {
                    h.push(' ');
                } else if let Some((_, s, _)) = stack.last_mut() {
                    s.push('\n');
                }
            }
            _ => {}
        }
    }
    out
}

fn push_block(out: &mut Outline, kind: BlockKind, text: String, line: usize) {
    let text = collapse(&text);
    if text.is_empty() {
        return;
    }
    out.blocks.push(Block {
        section: out.headings.len().checked_sub(1),
        kind,
        text,
        line,
    });
}

/// Collapses runs of whitespace into single spaces and trims.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// GitHub-style heading anchor: lower-case, spaces to `-`, punctuation dropped.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            out.push('-');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_splits() {
        let s = split_front_matter("---\ntitle: x\n---\n# Hi\n")
            .ok()
            .unwrap();
        assert_eq!(s.yaml, Some("title: x\n"));
        assert_eq!(s.body, "# Hi\n");
        assert_eq!(s.body_line, 4);
        let s = split_front_matter("# No front matter\n").ok().unwrap();
        assert!(s.yaml.is_none());
        assert!(split_front_matter("---\ntitle: x\n# never closed\n").is_err());
    }

    #[test]
    fn outline_has_sections_items_and_code() {
        let md = "# T\n\nIntro text.\n\n## Diagnosis\n\nCheck the pods:\n\n```bash\nkubectl get pods\n```\n\n- one\n- two\n  - nested\n";
        let o = outline(md, 1);
        assert_eq!(o.headings.len(), 2);
        assert_eq!(o.headings[1].text, "Diagnosis");
        assert_eq!(o.headings[1].line, 5);
        let code: Vec<_> = o
            .blocks
            .iter()
            .filter(|b| matches!(b.kind, BlockKind::Code(_)))
            .collect();
        assert_eq!(code.len(), 1);
        assert_eq!(code[0].line, 9);
        assert_eq!(code[0].section, Some(1));
        let items: Vec<_> = o
            .section_blocks(1)
            .filter(|b| b.kind == BlockKind::ListItem)
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(items, ["one", "nested", "two"]);
        assert_eq!(
            slug("Alert Name: KubePodCrashLooping"),
            "alert-name-kubepodcrashlooping"
        );
    }
}
