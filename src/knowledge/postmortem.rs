//! Postmortems: parsing one (front matter optional; id, title and date fall back to the file
//! name and the first heading) and the sections the linter and the matcher know by heading.

use serde::Deserialize;

use super::doc::{
    DocError, List, Postmortem, Text, doc_error, doc_id, doc_title, file_stem, key_line,
    parse_date, parse_yaml,
};
use super::markdown::{self, BlockKind, Outline};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PostmortemMeta {
    id: Option<Text>,
    title: Option<Text>,
    date: Option<Text>,
    services: Option<List>,
    alerts: Option<List>,
    severity: Option<Text>,
}

/// The postmortem sections the linter and the matcher know, by heading text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Summary,
    Timeline,
    Tried,
    ContributingFactors,
    ActionItems,
}

/// Which known section a heading names (case-insensitive), if any.
pub fn section_of(heading: &str) -> Option<Section> {
    let h = heading.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["timeline", "chronology", "sequence of events"]) {
        Some(Section::Timeline)
    } else if has(&[
        "what we tried",
        "what was tried",
        "hypothes",
        "false lead",
        "red herring",
        "dead end",
        "investigation",
        "actions taken",
        "what we did",
        "response",
    ]) {
        Some(Section::Tried)
    } else if has(&[
        "contributing",
        "root cause",
        "causes",
        "why it happened",
        "what went wrong",
        "trigger",
    ]) {
        Some(Section::ContributingFactors)
    } else if has(&[
        "action item",
        "follow-up",
        "follow up",
        "followup",
        "remediation",
        "next step",
        "corrective",
        "preventive",
        "actions",
        "todo",
    ]) {
        Some(Section::ActionItems)
    } else if has(&["summary", "overview", "tl;dr", "tldr", "abstract"]) {
        Some(Section::Summary)
    } else {
        None
    }
}

/// The list items (or, without a list, the paragraphs) of every section of kind `s`.
fn section_items(outline: &Outline, s: Section) -> Vec<String> {
    let mut out = Vec::new();
    for (h, heading) in outline.headings.iter().enumerate() {
        if section_of(&heading.text) != Some(s) {
            continue;
        }
        let blocks: Vec<_> = outline.section_blocks(h).collect();
        let items: Vec<String> = blocks
            .iter()
            .filter(|b| b.kind == BlockKind::ListItem)
            .map(|b| b.text.clone())
            .collect();
        if items.is_empty() {
            out.extend(
                blocks
                    .iter()
                    .filter(|b| matches!(b.kind, BlockKind::Paragraph | BlockKind::Other))
                    .map(|b| b.text.clone()),
            );
        } else {
            out.extend(items);
        }
    }
    out
}

/// Parses one postmortem.
pub fn parse_postmortem(path: &str, text: &str) -> Result<Postmortem, DocError> {
    let split =
        markdown::split_front_matter(text).map_err(|e| doc_error(path, Some(e.line), e.message))?;
    let yaml = split.yaml.unwrap_or("");
    let meta: PostmortemMeta = match split.yaml {
        Some(y) => parse_yaml(path, y, split.yaml_line)?,
        None => PostmortemMeta::default(),
    };
    let outline = markdown::outline(split.body, split.body_line);
    let stem = file_stem(path);
    let id = doc_id(meta.id, stem);
    let title = doc_title(meta.title, &split, &outline, stem);
    let date = match &meta.date {
        Some(Text(t)) => Some(parse_date(
            path,
            key_line(yaml, split.yaml_line, "date"),
            "date",
            t,
        )?),
        // `2025-09-03-orders-outage.md`
        None => stem
            .get(..10)
            .and_then(|p| p.parse::<jiff::civil::Date>().ok()),
    };
    let mut summary = section_items(&outline, Section::Summary).join(" ");
    if summary.is_empty() {
        summary = outline
            .blocks
            .iter()
            .find(|b| b.kind == BlockKind::Paragraph)
            .map(|b| b.text.clone())
            .unwrap_or_default();
    }
    Ok(Postmortem {
        id,
        title,
        path: path.to_string(),
        date,
        services: List::read(meta.services),
        alerts: List::read(meta.alerts),
        severity: meta.severity.map(|t| t.0),
        summary,
        tried: section_items(&outline, Section::Tried),
        contributing_factors: section_items(&outline, Section::ContributingFactors),
        action_items: section_items(&outline, Section::ActionItems),
        timeline: section_items(&outline, Section::Timeline),
        headings: outline.headings.iter().map(|h| h.text.clone()).collect(),
        body: split.body.to_string(),
        body_line: split.body_line,
    })
}
