//! The approvals queue: runbook steps suggested for the incident, waiting for a human
//! decision. Each shows its kind, the exact argv that would run and the policy's verdict now.
//! Deciding (approve, reject, edit) arrives with the approvals issue; this pane only shows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::actions::{StepKind, Verdict};
use crate::cockpit::{Cockpit, Suggestion, SuggestionStatus};
use crate::tui::app::{App, Pane};
use crate::tui::panes::{inner_height, pane_block, truncate, visible_rows};
use crate::tui::theme;

/// Rows one suggestion takes: its head line and its argv.
const ROWS_PER_ITEM: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalsPane {
    /// Index into the pending suggestions.
    pub cursor: usize,
}

/// Suggestions still waiting for a decision, oldest first.
pub fn pending(view: &Cockpit) -> impl Iterator<Item = &Suggestion> {
    view.suggestions()
        .iter()
        .filter(|s| s.status == SuggestionStatus::Pending)
}

pub fn len(view: &Cockpit) -> usize {
    pending(view).count()
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let queue: Vec<&Suggestion> = pending(view).collect();
    let decided = view.suggestions().len() - queue.len();
    let extra = Span::styled(
        format!("{} pending, {decided} decided ", queue.len()),
        theme::dim(),
    );
    let block = pane_block(app, Pane::Approvals, extra);
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    if queue.is_empty() {
        lines.push(Line::from(Span::styled(
            "no step waiting: suggestions appear when a runbook matches a cluster",
            theme::dim(),
        )));
    }
    let focused_cluster = super::clusters::focused(app, view).map(|c| c.id);
    let items = (inner_height(area) / ROWS_PER_ITEM).max(1);
    let cursor = app.approvals.cursor.min(queue.len().saturating_sub(1));
    for i in visible_rows(queue.len(), cursor, items) {
        let s = queue[i];
        let selected = app.focus == Pane::Approvals && i == cursor;
        let here = focused_cluster.is_some() && view.suggestion_cluster(s) == focused_cluster;
        let (kind, kind_style) = match s.step.kind {
            StepKind::Diagnostic => ("DIAG", theme::good()),
            StepKind::Mitigation => ("MITIGATE", theme::warn()),
        };
        let audited = if s.step.is_pre_audited() {
            "audited"
        } else {
            "unaudited"
        };
        let mut head = vec![
            Span::raw(if selected { "› " } else { "  " }),
            Span::styled(format!("{} ", s.id), theme::dim()),
            Span::styled(format!("{kind:<8} "), kind_style),
            Span::styled(s.step_ref.clone(), theme::bold()),
            Span::styled(format!(" {audited}"), theme::dim()),
        ];
        if here {
            head.push(Span::styled(" ◆focused cluster", theme::key()));
        }
        let used: usize = head.iter().map(Span::width).sum();
        let verdict = verdict_text(&s.verdict);
        head.push(Span::raw("  "));
        head.push(Span::styled(
            truncate(&verdict, width.saturating_sub(used + 2)),
            verdict_style(&s.verdict),
        ));
        let argv = match &s.argv {
            Ok(argv) => Span::raw(truncate(&format!("    $ {}", shell_quote(argv)), width)),
            Err(why) => Span::styled(
                truncate(&format!("    cannot build argv: {why}"), width),
                theme::bad(),
            ),
        };
        let mut head = Line::from(head);
        let mut argv = Line::from(argv);
        if selected {
            head = head.style(theme::selected());
            argv = argv.style(theme::selected());
        }
        lines.push(head);
        lines.push(argv);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::Allowed => "ALLOWED".to_string(),
        Verdict::NeedsApproval { missing } if missing.is_empty() => "NEEDS approval".to_string(),
        Verdict::NeedsApproval { missing } => format!("NEEDS {missing}"),
        Verdict::Refused { reason } => format!("REFUSED: {reason}"),
    }
}

fn verdict_style(v: &Verdict) -> Style {
    match v {
        Verdict::Allowed => theme::good(),
        Verdict::NeedsApproval { .. } => theme::warn(),
        Verdict::Refused { .. } => theme::bad(),
    }
}

/// The argv as a person would type it: elements with spaces or quotes are single-quoted, so
/// the boundaries between elements stay visible.
pub fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+{}".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_boundaries_stay_visible() {
        let argv: Vec<String> = ["kubectl", "logs", "-l", "app=checkout", "it's here", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(
            shell_quote(&argv),
            r"kubectl logs -l app=checkout 'it'\''s here' ''"
        );
    }
}
