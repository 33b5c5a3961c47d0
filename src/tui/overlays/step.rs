//! The step view (Enter on the approvals pane): everything a person needs before deciding —
//! first the verdict, the command line as one line and the approvals so far; then runbook,
//! kind, audit and origin; then the exact argv one element per line (boundaries shown by
//! quotes, control and invisible characters escaped). `a`, `r` and `e` decide about this step
//! from here.

use ratatui::text::{Line, Span};

use super::read::View;
use super::wrap::{self, Fragment};
use crate::actions::step::Command;
use crate::actions::{Step, StepKind, StepOrigin};
use crate::cockpit::{Cockpit, Suggestion, SuggestionId, SuggestionStatus};
// Characters that would hide or reorder text on a terminal: one definition, shared with the
// commands' human output.
use crate::sanitize::invisible;
use crate::time::format_duration;
use crate::tui::panes::approvals::{verdict_label, verdict_style};
use crate::tui::theme;

/// Width of the field names on the left.
const FIELD: usize = 10;

pub fn view(view: &Cockpit, id: SuggestionId, width: usize) -> View {
    let Some(s) = view.suggestion(id) else {
        return View::missing(format!(" {id} "), format!("{id} no longer exists"));
    };
    let mut body = Vec::new();
    body.extend(wrap::words(
        &[(s.step.title.clone(), theme::title())],
        width,
        &[],
        &[],
    ));
    body.push(Line::default());
    // What decides first: the verdict, the command as a shell would show it, the approvals.
    let (label, detail) = verdict_label(&s.verdict);
    body.extend(labelled(
        "policy",
        &[
            (format!("{label} "), verdict_style(&s.verdict)),
            (
                format!("{detail} (mode {})", view.mode().label()),
                theme::text(),
            ),
        ],
        width,
    ));
    match &s.argv {
        Ok(argv) if !argv.is_empty() => {
            body.extend(field(
                "command",
                &crate::actions::shell_display(argv),
                width,
            ));
        }
        Ok(_) if s.step.script().is_some() => {
            body.extend(field("command", "a shell script (below)", width))
        }
        Ok(_) => {}
        Err(why) => body.extend(labelled(
            "command",
            &[(format!("cannot build the argv: {why}"), theme::bad())],
            width,
        )),
    }
    if s.approvals.is_empty() {
        body.extend(field("approvals", "none yet", width));
    } else {
        for (i, a) in s.approvals.iter().enumerate() {
            let name = if i == 0 { "approvals" } else { "" };
            let text = format!("{} ({}) in {}", a.by, a.role, a.mode.label());
            body.extend(field(name, &text, width));
        }
    }
    body.push(Line::default());
    let runbook = view
        .knowledge()
        .runbook(&s.runbook)
        .map(|r| format!("{} — {} ({})", s.runbook, r.title, r.path))
        .unwrap_or_else(|| s.runbook.clone());
    body.extend(field("runbook", &runbook, width));
    body.extend(field("step", &s.step_ref, width));
    let kind = match s.step.kind {
        StepKind::Diagnostic => "diagnostic (reads, changes nothing)",
        StepKind::Mitigation => "mitigation (changes the system)",
        StepKind::Experiment => "chaos experiment (injects a failure; Adaptive mode only)",
    };
    body.extend(field("kind", kind, width));
    body.extend(field("audit", &audit(s), width));
    body.extend(field("origin", &origin(&s.step), width));
    if let Some(c) = view.suggestion_cluster(s) {
        let novel = if view.is_novel(c) {
            " · NOVEL cluster"
        } else {
            ""
        };
        body.extend(field("cluster", &format!("{c}{novel}"), width));
    }
    if let Some(t) = s.step.timeout {
        body.extend(field("timeout", &format_duration(t), width));
    }
    body.extend(field("status", &status(s), width));
    body.push(Line::default());
    // Then the argv exactly, one element a line.
    body.extend(command_lines(s, width, false));
    View {
        title: format!(" {} · {} ", s.id, s.step_ref),
        header: Vec::new(),
        body,
        keys: if matches!(s.status, SuggestionStatus::Executed { .. }) {
            "Enter output · j/k scroll · Esc close"
        } else if view.config().readonly {
            "read-only cockpit · j/k scroll · Esc close"
        } else {
            "a approve · r reject · e edit · j/k scroll · Esc close"
        },
    }
}

/// `field     value`, the value wrapped under itself (invisible characters escaped).
pub fn field(name: &str, value: &str, width: usize) -> Vec<Line<'static>> {
    labelled(name, &unhidden(value), width)
}

/// `label     text…` with the text wrapped under itself; the label column keeps its width
/// (wrapping collapses spaces inside the text, never in the label).
pub fn labelled(name: &str, value: &[Fragment], width: usize) -> Vec<Line<'static>> {
    wrap::words(
        value,
        width,
        &[Span::styled(format!("{name:<FIELD$}"), theme::key())],
        &[Span::raw(" ".repeat(FIELD))],
    )
}

fn audit(s: &Suggestion) -> String {
    match (&s.step.audited, s.step.is_pre_audited()) {
        (Some(a), true) => format!("pre-audited by {} on {}", a.by, a.on),
        (Some(a), false) => format!(
            "not audited (the audit by {} on {} was for the original step)",
            a.by, a.on
        ),
        (None, _) => "not audited".to_string(),
    }
}

/// Where the step came from, and for a code block which kind of unaudited step it is and why.
pub fn origin(step: &Step) -> String {
    match step.origin {
        StepOrigin::Structured => "structured runbook step".into(),
        StepOrigin::CodeBlock => {
            let what = match &step.command {
                Command::Shell(_) => "every command of its script".to_string(),
                Command::Argv(argv) => {
                    format!("`{}`", crate::actions::step::program_and_subcommand(argv))
                }
            };
            let block = "a code block of a runbook without structured steps";
            match step.kind {
                StepKind::Diagnostic => format!(
                    "{block}: an unaudited diagnostic, because the read-only classifier \
                     recognises {what} as only reading (one approval, in every mode)"
                ),
                _ => format!(
                    "{block}: an unaudited mitigation, because the read-only classifier does not \
                     recognise {what} as only reading (the commander's approval in ADAPTIVE; \
                     refused in FREEZE and REDESIGN)"
                ),
            }
        }
        StepOrigin::Edited => {
            "edited in the cockpit: novel (only an edited argv is novel; the commander's \
             approval in ADAPTIVE, refused in FREEZE and REDESIGN)"
                .into()
        }
        StepOrigin::Silence => "an Alertmanager silence proposed in the cockpit".into(),
    }
}

fn status(s: &Suggestion) -> String {
    match &s.status {
        SuggestionStatus::Pending if !s.targeted => {
            "no target yet: waits for an alert its runbook covers; cannot be approved".to_string()
        }
        SuggestionStatus::Pending => "pending: waiting for a decision".to_string(),
        SuggestionStatus::Running => "running".to_string(),
        SuggestionStatus::Rejected { by, reason } => format!("rejected by {by}: {reason}"),
        SuggestionStatus::Executed {
            by,
            outcome,
            dry_run,
            ok,
            ..
        } => format!(
            "{} by {by}{}{}",
            if *dry_run { "dry-ran" } else { "ran" },
            if *ok { "" } else { " (FAILED)" },
            outcome
                .as_deref()
                .map(|o| format!(": {o}"))
                .unwrap_or_default()
        ),
        SuggestionStatus::DoneByHand { by, what } => format!("done by hand by {by}: {what}"),
        SuggestionStatus::Obsolete { reason } => {
            format!("obsolete: {reason}; it can no longer be approved")
        }
    }
}

/// What would run: the argv one element per line (or, `compact`, all elements quoted on as
/// few lines as fit), a shell step's script, or why the argv cannot be built.
pub fn command_lines(s: &Suggestion, width: usize, compact: bool) -> Vec<Line<'static>> {
    match &s.argv {
        Ok(argv) if argv.is_empty() && s.step.script().is_some() => {
            let mut lines = vec![Line::from(Span::styled(
                "shell script (sh -c; label values arrive as environment variables, never spliced in)",
                theme::key(),
            ))];
            for l in s.step.script().unwrap_or("").lines() {
                lines.extend(wrap::chars(
                    &unhidden(l),
                    width,
                    &[Span::styled("  │ ", theme::dim())],
                    &[Span::styled("  ┆ ", theme::dim())],
                ));
            }
            lines
        }
        Ok(argv) => argv_lines(argv, width, compact),
        Err(why) => wrap::words(
            &[(format!("cannot build the argv: {why}"), theme::bad())],
            width,
            &[],
            &[],
        ),
    }
}

/// The argv exactly: a heading, then each element quoted on its own line with its index (or,
/// `compact`, the quoted elements one after another).
pub fn argv_lines(argv: &[String], width: usize, compact: bool) -> Vec<Line<'static>> {
    titled_argv_lines("argv", argv, width, compact)
}

/// [`argv_lines`] under another heading (`edited argv`).
pub fn titled_argv_lines(
    heading: &str,
    argv: &[String],
    width: usize,
    compact: bool,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled(heading.to_string(), theme::key()),
        Span::styled(
            format!(
                " · {} elements, run exactly as shown, no shell · \\n \\t \\u{{…}} are escapes",
                argv.len()
            ),
            theme::dim(),
        ),
    ])];
    if compact {
        let items: Vec<Vec<Fragment>> = argv.iter().map(|a| quoted(a)).collect();
        lines.extend(wrap::items(
            &items,
            width,
            &[Span::raw("  ")],
            &[Span::raw("  ")],
        ));
        return lines;
    }
    let digits = argv.len().saturating_sub(1).to_string().len();
    for (i, a) in argv.iter().enumerate() {
        let index = Span::styled(format!("  {i:>digits$} "), theme::dim());
        let hang = Span::raw(" ".repeat(digits + 3));
        lines.extend(wrap::chars(&quoted(a), width, &[index], &[hang]));
    }
    lines
}

/// `"value"` with escapes marked, so the element's boundaries are visible.
fn quoted(value: &str) -> Vec<Fragment> {
    let mut out = vec![("\"".to_string(), theme::dim())];
    out.extend(escaped(value));
    out.push(("\"".to_string(), theme::dim()));
    out
}

/// The text of `value` as fragments, with `\\`, `"` and invisible characters escaped in a
/// warning style.
pub fn escaped(value: &str) -> Vec<Fragment> {
    escape_with(value, true)
}

/// The text of `value` with only the invisible characters escaped (for text that is not
/// quoted: summaries, reasons, JSON).
pub fn unhidden(value: &str) -> Vec<Fragment> {
    escape_with(value, false)
}

fn escape_with(value: &str, quoting: bool) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut plain = String::new();
    for c in value.chars() {
        let escape = match c {
            '\\' if quoting => Some("\\\\".to_string()),
            '"' if quoting => Some("\\\"".to_string()),
            '\n' => Some("\\n".to_string()),
            '\t' => Some("\\t".to_string()),
            '\r' => Some("\\r".to_string()),
            c if invisible(c) => Some(crate::sanitize::escape_char(c)),
            _ => None,
        };
        match escape {
            Some(e) => {
                if !plain.is_empty() {
                    out.push((std::mem::take(&mut plain), theme::text()));
                }
                out.push((e, theme::warn()));
            }
            None => plain.push(c),
        }
    }
    if !plain.is_empty() || out.is_empty() {
        out.push((plain, theme::text()));
    }
    out
}

/// The escaped text as one string (for messages and tests).
pub fn escape(value: &str) -> String {
    escaped(value).into_iter().map(|(t, _)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_block_says_which_unaudited_kind_and_why() {
        let block = |code: &str| {
            crate::actions::step::step_from_code_block("block-1", "t", "sh", code).unwrap()
        };
        let healthy = origin(&block("curl -fsS http://prometheus:9090/-/healthy"));
        assert!(healthy.contains("unaudited diagnostic"), "{healthy}");
        assert!(healthy.contains("`curl`"), "{healthy}");
        let get = origin(&block("kubectl -n $NAMESPACE get pods"));
        assert!(
            get.contains("unaudited diagnostic") && get.contains("`kubectl get`"),
            "{get}"
        );
        let restart = origin(&block("kubectl rollout restart deploy/x"));
        assert!(restart.contains("unaudited mitigation"), "{restart}");
        assert!(restart.contains("`kubectl rollout`"), "{restart}");
        assert!(!restart.contains("novel"), "{restart}");
        let script = origin(&block("kubectl get pods | grep Crash"));
        assert!(script.contains("every command of its script"), "{script}");
        let edited = origin(&block("curl -fsS x").edited(vec!["curl".into()]));
        assert!(edited.contains("novel"), "{edited}");
    }

    #[test]
    fn hostile_values_stay_visible_and_bounded() {
        assert_eq!(escape("a\nb"), r"a\nb");
        assert_eq!(escape("$(id)"), "$(id)");
        assert_eq!(escape("say \"hi\""), r#"say \"hi\""#);
        assert_eq!(escape("x\u{202e}y"), r"x\u{202e}y");
        assert_eq!(escape("\u{1b}[31m"), r"\u{001b}[31m");
        let argv: Vec<String> = ["rm", "-rf", "a b", ""].map(String::from).to_vec();
        let lines: Vec<String> = argv_lines(&argv, 40, false)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            &lines[1..],
            [r#"  0 "rm""#, r#"  1 "-rf""#, r#"  2 "a b""#, r#"  3 """#]
        );
        let compact: Vec<String> = argv_lines(&argv, 40, true)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(compact[1], r#"  "rm" "-rf" "a b" """#);
    }
}
