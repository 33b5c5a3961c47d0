//! The approvals queue: runbook steps suggested for the incident, waiting for a human
//! decision. Each shows its kind, the exact argv that would run and the policy's verdict now.
//! The keys `a`, `r`, `e` decide about the selected step through the overlays (confirmation,
//! reason, argv editor). What the policy would say after a decision is the cockpit's to answer
//! (`Cockpit::verdict_after_my_approval`, `Cockpit::verdict_if_edited`).
//!
//! Below the waiting steps, under `done`, the steps already decided stay listed, newest first:
//! run (with how it ended; Enter reads what it printed), rejected (with the reason), or done by
//! hand. One cursor moves through both parts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::actions::{StepKind, Verdict};
use crate::cockpit::{Cockpit, Suggestion, SuggestionId, SuggestionStatus};
use crate::tui::app::{App, Overlay, Page, Pane};
use crate::tui::panes::{inner_height, pane_block, truncate, visible_rows};
use crate::tui::theme;

/// Rows one suggestion takes: its head line and its argv.
const ROWS_PER_ITEM: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalsPane {
    /// The step the cursor is on: the list reorders and grows under it (a more urgent
    /// cluster's steps arrive first), and the cursor stays with the step, not the row.
    pub selected: Option<SuggestionId>,
    /// The row that step was last seen on: where the cursor stays when the step leaves the
    /// list, or before anything is selected.
    pub cursor: usize,
    /// List only the focused cluster's steps (`c` toggles); the title says which cluster.
    pub cluster_only: bool,
}

/// The cluster the list is narrowed to: the focused one, while `c` is on.
pub fn only_cluster(app: &App, view: &Cockpit) -> Option<crate::alerts::ClusterId> {
    if !app.approvals.cluster_only {
        return None;
    }
    super::clusters::focused(app, view).map(|c| c.id)
}

/// `c`: narrows the list to the focused cluster's steps, or shows them all again.
pub fn toggle_cluster_only(app: &mut App, view: &Cockpit) {
    app.approvals.cluster_only = !app.approvals.cluster_only;
    match (app.approvals.cluster_only, only_cluster(app, view)) {
        (true, Some(cluster)) => app.info(format!("approvals: {cluster} only (c: all)")),
        (true, None) => app.info("approvals: the focused cluster only, once one is focused"),
        (false, _) => app.info("approvals: every cluster"),
    }
    keep(app, view);
}

/// The cursor's row in `listed`: the selected step's, else the remembered row.
pub fn cursor(app: &App, listed: &[&Suggestion]) -> usize {
    app.approvals
        .selected
        .and_then(|id| listed.iter().position(|s| s.id == id))
        .unwrap_or(app.approvals.cursor)
        .min(listed.len().saturating_sub(1))
}

/// Moves the cursor and selects the step it lands on.
pub fn move_selection(app: &mut App, view: &Cockpit, movement: super::Move) {
    let (listed, _) = steps(app, view);
    let index = movement.apply(cursor(app, &listed), listed.len(), app.page_rows());
    app.approvals.cursor = index;
    app.approvals.selected = listed.get(index).map(|s| s.id);
}

/// Remembers the row the selected step is on now (before a frame), and with the pane
/// focused, selects the step the cursor is on so that steps arriving above it cannot slide
/// another one under it.
pub fn keep(app: &mut App, view: &Cockpit) {
    let (listed, _) = steps(app, view);
    let index = cursor(app, &listed);
    app.approvals.cursor = index;
    let selected_here = app
        .approvals
        .selected
        .is_some_and(|id| listed.iter().any(|s| s.id == id));
    if !selected_here && app.focus == Pane::Approvals {
        app.approvals.selected = listed.get(index).map(|s| s.id);
    }
}

/// A decided step: rejected, run (or dry-run), or done by hand. Obsolete steps (their incident
/// ended; nobody decided them) are counted in the title, not listed: a flapping cluster makes
/// many, and they would bury the decisions.
fn is_done(s: &Suggestion) -> bool {
    matches!(
        s.status,
        SuggestionStatus::Rejected { .. }
            | SuggestionStatus::Executed { .. }
            | SuggestionStatus::DoneByHand { .. }
    )
}

/// The decided steps, newest first.
pub fn done(view: &Cockpit) -> Vec<&Suggestion> {
    let mut done: Vec<&Suggestion> = view.suggestions().iter().filter(|s| is_done(s)).collect();
    done.sort_by_key(|s| std::cmp::Reverse(s.id));
    done
}

/// Every step the pane lists, in its order: the waiting ones, then the done ones.
pub fn listed(view: &Cockpit) -> Vec<&Suggestion> {
    let mut all = view.approval_queue();
    all.extend(done(view));
    all
}

/// The pane's list as [`listed`] gives it, from the view data when it is fresh (made once per
/// cockpit revision, not per frame), and how many of the steps wait.
/// With `c` on, only the focused cluster's steps (the waiting ones still first).
fn steps<'a>(app: &App, view: &'a Cockpit) -> (Vec<&'a Suggestion>, usize) {
    let (all, waiting) = if app.view.fresh(view, app.live_filter()) {
        let all = view.suggestions();
        let (indices, waiting) = app.view.listed();
        (
            indices.iter().filter_map(|&i| all.get(i)).collect(),
            waiting,
        )
    } else {
        let mut all = view.approval_queue();
        let waiting = all.len();
        all.extend(done(view));
        (all, waiting)
    };
    let Some(cluster) = only_cluster(app, view) else {
        return (all, waiting);
    };
    let (queue, done) = all.split_at(waiting);
    let ours = |s: &&&Suggestion| view.suggestion_cluster(s) == Some(cluster);
    let mut narrowed: Vec<&Suggestion> = queue.iter().filter(ours).copied().collect();
    let waiting = narrowed.len();
    narrowed.extend(done.iter().filter(ours).copied());
    (narrowed, waiting)
}

pub fn len(view: &Cockpit) -> usize {
    listed(view).len()
}

/// The step a decision is about: the one open in the step view, else the selected one.
pub fn target(app: &App, view: &Cockpit) -> Option<SuggestionId> {
    if let Overlay::Read {
        page: Page::Step(id),
        ..
    } = app.overlay
    {
        return Some(id);
    }
    let (listed, _) = steps(app, view);
    listed.get(cursor(app, &listed)).map(|s| s.id)
}

/// The message a read-only cockpit answers decisions with.
pub const READ_ONLY: &str =
    "read-only cockpit: approvals, rejections and edits are disabled (--readonly)";

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let (all, waits) = steps(app, view);
    let (queue, done) = all.split_at(waits);
    let extra = Span::styled(
        {
            let obsolete = if app.view.fresh(view, app.live_filter()) {
                app.view.obsolete()
            } else {
                view.suggestions()
                    .iter()
                    .filter(|s| matches!(s.status, SuggestionStatus::Obsolete { .. }))
                    .count()
            };
            if obsolete > 0 {
                format!(
                    "{} waiting, {} decided, {obsolete} obsolete ",
                    queue.len(),
                    done.len()
                )
            } else {
                format!("{} waiting, {} decided ", queue.len(), done.len())
            }
        },
        theme::dim(),
    );
    let only = only_cluster(app, view).map(|c| Span::styled(format!("· {c} only "), theme::key()));
    let block = pane_block(
        app,
        Pane::Approvals,
        Line::from(only.into_iter().chain([extra]).collect::<Vec<_>>()),
    );
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    if queue.is_empty() {
        lines.push(Line::from(Span::styled(
            "no step waiting: suggestions appear when a runbook matches a firing cluster",
            theme::dim(),
        )));
    }
    let focused_cluster = super::clusters::focused(app, view).map(|c| c.id);
    let focused = app.focus == Pane::Approvals;
    // The selected item takes one more row (its full verdict) when the pane has focus; the
    // empty-queue line takes one.
    let rows = inner_height(area).saturating_sub(usize::from(focused) + lines.len());
    let items = (rows / ROWS_PER_ITEM).max(1);
    let len = all.len();
    let cursor = cursor(app, &all);
    let mut range = visible_rows(len, cursor, items);
    // The `done` heading takes a row when it is in view: one item fewer if they do not fit,
    // the cursor's kept.
    if !done.is_empty()
        && range.len() > 1
        && range.contains(&queue.len())
        && range.len() * ROWS_PER_ITEM >= rows
    {
        if cursor + 1 == range.end {
            range.start += 1;
        } else {
            range.end -= 1;
        }
    }
    for i in range {
        let selected = focused && i == cursor;
        let mut block_lines = if i < queue.len() {
            waiting(view, queue[i], selected, focused_cluster, width)
        } else {
            if i == queue.len() {
                lines.push(Line::from(Span::styled(
                    format!("── done ({}), newest first ", done.len()),
                    theme::dim(),
                )));
            }
            decided(
                view,
                done[i - queue.len()],
                selected,
                focused_cluster,
                width,
            )
        };
        if selected {
            for line in &mut block_lines {
                *line = std::mem::take(line).style(theme::selected());
            }
        }
        lines.extend(block_lines);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The columns every item starts with: cursor mark, id, cluster, kind.
fn item_head(
    view: &Cockpit,
    s: &Suggestion,
    selected: bool,
    focused_cluster: Option<crate::alerts::ClusterId>,
) -> Vec<Span<'static>> {
    let cluster = view.suggestion_cluster(s);
    let (kind, kind_style) = match s.step.kind {
        StepKind::Diagnostic => ("DIAG", theme::good()),
        StepKind::Mitigation => ("MITIGATE", theme::warn()),
        StepKind::Experiment => ("CHAOS", theme::warn()),
    };
    let cluster_style = if cluster.is_some() && cluster == focused_cluster {
        theme::key()
    } else {
        theme::dim()
    };
    vec![
        Span::raw(if selected { "› " } else { "  " }),
        Span::styled(format!("{:<4}", s.id.to_string()), theme::dim()),
        Span::styled(
            format!("{:<4} ", cluster.map(|c| c.to_string()).unwrap_or_default()),
            cluster_style,
        ),
        Span::styled(format!("{kind:<8} "), kind_style),
    ]
}

/// A waiting step: its verdict, the step, and what would run.
fn waiting(
    view: &Cockpit,
    s: &Suggestion,
    selected: bool,
    focused_cluster: Option<crate::alerts::ClusterId>,
    width: usize,
) -> Vec<Line<'static>> {
    let (verdict, detail) = if s.targeted {
        verdict_label(&s.verdict)
    } else {
        ("BLOCKED", "no target yet".to_string())
    };
    let audited = if s.step.is_pre_audited() {
        "audited"
    } else {
        "UNAUDITED"
    };
    let mut head = item_head(view, s, selected, focused_cluster);
    head.push(Span::styled(
        format!("{verdict:<7} "),
        if s.targeted {
            verdict_style(&s.verdict)
        } else {
            theme::warn()
        },
    ));
    let used: usize = head.iter().map(Span::width).sum();
    head.push(Span::styled(
        truncate(&s.step_ref, width.saturating_sub(used)),
        theme::bold(),
    ));
    head.push(Span::styled(format!(" {audited}"), theme::dim()));
    let used: usize = head.iter().map(Span::width).sum();
    if !selected && width > used + 20 {
        head.push(Span::styled(
            truncate(&format!(" · {detail}"), width - used),
            theme::dim(),
        ));
    }
    let mut lines = vec![Line::from(head), Line::from(command(s, width))];
    if selected {
        let approvals = s
            .approvals
            .iter()
            .map(|a| format!("{} ({})", a.by, a.role))
            .collect::<Vec<_>>();
        let given = if approvals.is_empty() {
            String::new()
        } else {
            format!(" · approved by {}", approvals.join(", "))
        };
        lines.push(Line::from(Span::styled(
            truncate(&format!("    policy: {}{given}", s.verdict), width),
            verdict_style(&s.verdict),
        )));
    }
    lines
}

/// A decided step: how it ended and who decided.
fn decided(
    view: &Cockpit,
    s: &Suggestion,
    selected: bool,
    focused_cluster: Option<crate::alerts::ClusterId>,
    width: usize,
) -> Vec<Line<'static>> {
    let (label, style, what) = match &s.status {
        SuggestionStatus::Executed {
            by,
            outcome,
            dry_run,
            ok,
            ..
        } => {
            let outcome = outcome.as_deref().unwrap_or("");
            match (dry_run, ok) {
                (true, _) => (
                    "DRY-RUN",
                    theme::dim(),
                    format!("dry-ran by {by}: {outcome}"),
                ),
                (false, true) => ("RAN", theme::good(), format!("ran by {by}: {outcome}")),
                (false, false) => ("FAILED", theme::bad(), format!("ran by {by}: {outcome}")),
            }
        }
        SuggestionStatus::Rejected { by, reason } => (
            "REJECTED",
            theme::warn(),
            format!("rejected by {by}: {reason}"),
        ),
        SuggestionStatus::DoneByHand { by, what } => (
            "BY HAND",
            theme::dim(),
            format!("done by hand by {by}: {what}"),
        ),
        SuggestionStatus::Obsolete { reason } => {
            ("OBSOLETE", theme::dim(), format!("obsolete: {reason}"))
        }
        SuggestionStatus::Pending | SuggestionStatus::Running => ("", theme::dim(), String::new()),
    };
    let mut head = item_head(view, s, selected, focused_cluster);
    head.push(Span::styled(format!("{label:<8} "), style));
    let used: usize = head.iter().map(Span::width).sum();
    head.push(Span::styled(
        truncate(&s.step_ref, width.saturating_sub(used)),
        theme::bold(),
    ));
    // What the person at the cockpit sees of another's text: escapes shown, not obeyed.
    let what: String = crate::tui::overlays::step::unhidden(&what)
        .into_iter()
        .map(|(text, _)| text)
        .collect();
    let mut lines = vec![
        Line::from(head),
        Line::from(Span::styled(
            truncate(&format!("    {what}"), width),
            theme::text(),
        )),
    ];
    if selected {
        let hint = if matches!(s.status, SuggestionStatus::Executed { .. }) {
            "    Enter: what it printed"
        } else {
            "    Enter: the step in full"
        };
        lines.push(Line::from(Span::styled(hint, theme::dim())));
    }
    lines
}

/// What would run: the argv, the shell script (values arrive as environment variables), or why
/// the argv cannot be built.
fn command(s: &Suggestion, width: usize) -> Span<'static> {
    match &s.argv {
        Ok(argv) if argv.is_empty() && s.step.script().is_some() => {
            let script = s.step.script().unwrap_or("").lines().next().unwrap_or("");
            Span::raw(truncate(&format!("    sh -c {script}"), width))
        }
        Ok(argv) => Span::raw(truncate(
            &format!("    $ {}", crate::actions::shell_display(argv)),
            width,
        )),
        // "no target yet: …": no alert its runbook covers has filled it.
        Err(why) if !s.targeted => {
            Span::styled(truncate(&format!("    {why}"), width), theme::warn())
        }
        Err(why) => Span::styled(
            truncate(&format!("    cannot build argv: {why}"), width),
            theme::bad(),
        ),
    }
}

/// A short label that always shows, and the detail that follows when there is room.
pub fn verdict_label(v: &Verdict) -> (&'static str, String) {
    match v {
        Verdict::Allowed => ("ALLOWED", "may run now".to_string()),
        Verdict::NeedsApproval { missing } => ("NEEDS", missing.clone()),
        Verdict::Refused { reason } => ("REFUSED", reason.clone()),
    }
}

pub fn verdict_style(v: &Verdict) -> Style {
    match v {
        Verdict::Allowed => theme::good(),
        Verdict::NeedsApproval { .. } => theme::warn(),
        Verdict::Refused { .. } => theme::bad(),
    }
}
