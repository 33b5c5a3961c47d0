//! A runbook's steps: the structured `steps:` of our schema (validated, each problem located),
//! or candidate steps read from the shell code blocks of a plain Markdown runbook (fenced or
//! 4-space-indented) and, failing those, from its inline code.

use serde::Deserialize;

use super::doc::{DocError, Text, doc_error, valid_id};
use super::markdown::{BlockKind, Outline};
use crate::actions::step::{self, Audit, Step, StepKind, StepOrigin};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawStep {
    id: Option<Text>,
    title: Option<Text>,
    kind: Option<Text>,
    argv: Option<Vec<Text>>,
    shell: Option<bool>,
    script: Option<String>,
    timeout: Option<Text>,
    audited: Option<RawAudit>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawAudit {
    by: Option<Text>,
    on: Option<Text>,
}

pub(super) fn structured_steps(
    path: &str,
    raw: Vec<serde_saphyr::Spanned<RawStep>>,
    first_line: usize,
) -> Result<Vec<Step>, DocError> {
    let mut out: Vec<Step> = Vec::new();
    for (i, spanned) in raw.into_iter().enumerate() {
        let line = Some(spanned.referenced.line() as usize)
            .filter(|l| *l > 0)
            .map(|l| l + first_line - 1);
        let r = spanned.value;
        let err = |message: String| doc_error(path, line, format!("steps[{i}]{message}"));
        let id =
            r.id.map(|t| t.0.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| err(": missing `id`".into()))?;
        if !valid_id(&id) {
            return Err(err(format!(
                ".id: {id:?} may only hold letters, digits, '-', '_' and '.'"
            )));
        }
        if out.iter().any(|s| s.id == id) {
            return Err(err(format!(".id: {id:?} is used by an earlier step")));
        }
        let kind = match r.kind.as_ref().map(|t| t.0.trim()) {
            Some("diagnostic") => StepKind::Diagnostic,
            Some("mitigation") => StepKind::Mitigation,
            Some("experiment") => StepKind::Experiment,
            Some(other) => {
                return Err(err(format!(
                    ".kind: {other:?} is not a step kind (use diagnostic, mitigation or experiment)"
                )));
            }
            None => {
                return Err(err(
                    ".kind: missing (use diagnostic, mitigation or experiment)".into(),
                ));
            }
        };
        let shell = r.shell.unwrap_or(false);
        let argv: Vec<String> = r
            .argv
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.0)
            .collect();
        let script = r.script;
        match (shell, argv.is_empty(), script.is_some()) {
            (false, true, _) => {
                return Err(err(
                    ": needs `argv` (or `shell: true` with a `script`)".into()
                ));
            }
            (false, false, true) => {
                return Err(err(": `script` needs `shell: true`".into()));
            }
            (true, _, false) => return Err(err(": `shell: true` needs a `script`".into())),
            (true, false, true) => {
                return Err(err(": give `argv` or a `script`, not both".into()));
            }
            _ => {}
        }
        step::validate_argv(&argv).map_err(|e| err(format!(".argv: {e}")))?;
        let command = match script {
            Some(script) => step::Command::Shell(script),
            None => step::Command::Argv(argv),
        };
        let timeout = match r.timeout {
            Some(Text(t)) => {
                Some(crate::time::parse_duration(&t).map_err(|e| err(format!(".timeout: {e}")))?)
            }
            None => None,
        };
        let audited = match r.audited {
            Some(a) => {
                let by =
                    a.by.map(|t| t.0)
                        .filter(|s| !s.trim().is_empty())
                        .ok_or_else(|| err(".audited.by: missing".into()))?;
                let on = a.on.ok_or_else(|| err(".audited.on: missing".into()))?;
                let on = on.0.trim().parse::<jiff::civil::Date>().map_err(|_| {
                    err(format!(
                        ".audited.on: {:?} is not a date (use YYYY-MM-DD)",
                        on.0
                    ))
                })?;
                Some(Audit { by, on })
            }
            None => None,
        };
        let title = r.title.map(|t| t.0).unwrap_or_else(|| id.clone());
        out.push(Step {
            id,
            title,
            kind,
            command,
            timeout,
            audited,
            origin: StepOrigin::Structured,
        });
    }
    Ok(out)
}

/// Candidate steps from the shell blocks of a runbook without structured steps: fenced blocks
/// labelled as shell (or unlabelled), and 4-space-indented blocks (older Markdown) read like
/// unlabelled fenced ones (taken only when they start with a command, not output or YAML).
pub(super) fn code_block_steps(outline: &Outline) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for (i, block) in outline.blocks.iter().enumerate() {
        let info = match &block.kind {
            BlockKind::Code(Some(info)) => info.as_str(),
            BlockKind::Code(None) => "",
            _ => continue,
        };
        let heading = block
            .section
            .map(|s| outline.headings[s].text.as_str())
            .unwrap_or("");
        // The paragraph right before the block usually says what it does ("Check the logs:").
        let lead = i
            .checked_sub(1)
            .map(|p| &outline.blocks[p])
            .filter(|p| {
                p.section == block.section
                    && matches!(p.kind, BlockKind::Paragraph | BlockKind::ListItem)
            })
            .map(|p| p.text.trim_end_matches(':').trim().to_string())
            .filter(|t| !t.is_empty() && t.len() <= 100);
        let title = lead.unwrap_or_else(|| {
            if heading.is_empty() {
                "Command from the runbook".to_string()
            } else {
                heading.to_string()
            }
        });
        let id = format!("block-{}", out.len() + 1);
        if let Some(s) = step::step_from_code_block(&id, &title, info, &block.text) {
            out.push(s);
        }
    }
    if out.is_empty() {
        out = inline_code_steps(outline);
    }
    out
}

fn inline_code_steps(outline: &Outline) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for (code, section, line) in &outline.inline_code {
        let code = code.trim();
        let first = code.split_whitespace().next().unwrap_or("");
        // Tools whose inline code spans are candidate steps: one table with the classifier's.
        if !crate::actions::tools::is_inline_tool(first) || !code.contains(' ') {
            continue;
        }
        if out
            .iter()
            .any(|s| s.argv().join(" ") == code || s.script() == Some(code))
        {
            continue;
        }
        // The sentence around the span says what it is for ("Check pod events via `...`").
        let context = outline
            .blocks
            .iter()
            .find(|b| b.line == *line && b.section == *section && b.text.contains(code))
            .map(|b| {
                let before = b.text.split(code).next().unwrap_or("");
                let before = before.trim_end();
                let before = before
                    .strip_suffix(" via")
                    .or_else(|| before.strip_suffix(" with"))
                    .or_else(|| before.strip_suffix(" using"))
                    .or_else(|| before.strip_suffix(" run"))
                    .unwrap_or(before);
                before
                    .trim_end_matches([':', ' ', ',', '(', '-'])
                    .to_string()
            })
            .filter(|t| !t.is_empty() && t.len() <= 100);
        let title = context.unwrap_or_else(|| {
            section
                .map(|s| outline.headings[s].text.clone())
                .unwrap_or_else(|| "Command from the runbook".into())
        });
        let id = format!("inline-{}", out.len() + 1);
        if let Some(s) = step::step_from_code_block(&id, &title, "sh", code) {
            out.push(s);
        }
    }
    out
}
