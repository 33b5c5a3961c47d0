//! What the index reads of a document, field by field: title, alert names, headings, tags and
//! services, body, and the lead (the opening paragraph and the Meaning / Impact / Summary
//! sections).

use super::index::{Field, FieldTexts};
use super::{Postmortem, Runbook};

pub(super) fn runbook_fields(rb: &Runbook) -> FieldTexts<'_> {
    let mut t = FieldTexts::default();
    t.fields[Field::Title as usize].push(&rb.title);
    t.fields[Field::Alerts as usize].extend(rb.alerts.iter().map(String::as_str));
    t.fields[Field::Headings as usize].extend(rb.headings.iter().map(String::as_str));
    t.fields[Field::Tags as usize].extend(rb.tags.iter().map(String::as_str));
    t.fields[Field::Tags as usize].extend(rb.services.iter().map(String::as_str));
    t.fields[Field::Body as usize].push(&rb.body);
    t.fields[Field::Lead as usize].extend(lead_sections(&rb.body));
    for s in &rb.steps {
        if s.origin == crate::actions::StepOrigin::Structured {
            t.fields[Field::Body as usize].push(&s.title);
        }
    }
    t
}

/// Headings (lower case, without `#`) of the sections that say what a runbook is about: the
/// Meaning / Impact sections of alert runbooks, the summary of team runbooks.
const LEAD_HEADINGS: &[&str] = &[
    "meaning",
    "impact",
    "summary",
    "description",
    "overview",
    "symptoms",
    "what it means",
    "what this alert means",
    "why it matters",
    "problem",
    "context",
];

/// The parts of a runbook's body that say what it is about: the text before its second
/// heading (the opening paragraph under the title) and the sections under
/// [`LEAD_HEADINGS`], as slices of `body`. Lines inside fenced code blocks are not headings.
pub(super) fn lead_sections(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut fence = false;
    let mut headings = 0;
    // Start of the section being read, when it is a lead section.
    let mut from: Option<usize> = Some(0);
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        } else if !fence && t.starts_with('#') {
            let name = t.trim_start_matches('#').trim().to_lowercase();
            headings += 1;
            // The title heading itself keeps the opening part going.
            if headings > 1 || !line.starts_with("# ") {
                if let Some(f) = from.take()
                    && f < at
                {
                    out.push(&body[f..at]);
                }
                if LEAD_HEADINGS.contains(&name.trim_end_matches(':')) {
                    from = Some(at + line.len());
                }
            }
        }
        at += line.len();
    }
    if let Some(f) = from
        && f < body.len()
    {
        out.push(&body[f..]);
    }
    out
}

pub(super) fn postmortem_fields(pm: &Postmortem) -> FieldTexts<'_> {
    let mut t = FieldTexts::default();
    t.fields[Field::Title as usize].push(&pm.title);
    t.fields[Field::Alerts as usize].extend(pm.alerts.iter().map(String::as_str));
    t.fields[Field::Headings as usize].extend(pm.headings.iter().map(String::as_str));
    t.fields[Field::Tags as usize].extend(pm.services.iter().map(String::as_str));
    t.fields[Field::Body as usize].push(&pm.body);
    t
}
