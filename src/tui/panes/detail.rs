//! The focused cluster in detail: severity, size and age, where it probably started and why
//! its alerts belong together, then its member alerts with state and the labels that tell them
//! apart (labels the whole cluster shares are on the `common` line instead). Only the member
//! rows on screen are built, so a cluster of thousands costs what fits in the pane: the list is
//! never sorted, the rows in view are picked out of the join order with the cluster's counts of
//! members by state and severity.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use std::collections::BTreeMap;
use std::ops::Range;

use crate::alerts::{AlertState, AlertStatus, Cluster, Fingerprint, Severity, TrackedAlert};
use crate::cockpit::Cockpit;
use crate::time::{clock_hms, format_duration};
use crate::tui::app::{App, Pane};
use crate::tui::panes::{clusters, inner_height, pane_block, truncate, visible_rows};
use crate::tui::theme;

/// Labels not repeated on member rows (shown elsewhere on the row or in the header).
const HIDDEN_LABELS: [&str; 2] = ["alertname", "severity"];
/// Labels that usually tell members apart, shown first when they differ.
const FIRST_LABELS: [&str; 6] = ["pod", "instance", "node", "container", "service", "job"];
/// A label value longer than this is cut when the row is short of room.
const SHORT_VALUE: usize = 18;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailPane {
    /// Index into the focused cluster's members.
    pub cursor: usize,
}

pub fn len(app: &App, view: &Cockpit) -> usize {
    clusters::focused(app, view).map_or(0, Cluster::size)
}

/// The member alert under the cursor (Enter opens it).
pub fn selected(app: &App, view: &Cockpit) -> Option<Fingerprint> {
    let cluster = clusters::focused(app, view)?;
    let cursor = app.detail.cursor.min(cluster.size().saturating_sub(1));
    ordered_window(view, cluster, cursor..cursor + 1)
        .first()
        .map(|t| t.fingerprint)
}

/// The member alert drawn on row `row` of the pane's inside (under the summary), as a cursor
/// position.
pub fn item_at(app: &App, view: &Cockpit, area: Rect, row: usize) -> Option<usize> {
    let cluster = clusters::focused(app, view)?;
    let width = usize::from(area.width.saturating_sub(2));
    let rows = inner_height(area);
    let header = summary(view, cluster, width).len().min(rows / 2);
    let len = cluster.size();
    let window = visible_rows(
        len,
        app.detail.cursor.min(len.saturating_sub(1)),
        rows.saturating_sub(header),
    );
    let i = window.start + row.checked_sub(header)?;
    window.contains(&i).then_some(i)
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let Some(cluster) = clusters::focused(app, view) else {
        let block = pane_block(app, Pane::Detail, "");
        let text = Line::from(Span::styled("no cluster selected", theme::dim()));
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let extra = Span::styled(format!("{} ", cluster.name), theme::bold());
    let block = pane_block(app, Pane::Detail, extra);
    let width = usize::from(block.inner(area).width);
    let rows = inner_height(area);

    let mut lines = summary(view, cluster, width);
    // Members get at least half the pane.
    lines.truncate(rows / 2);
    let member_rows = rows.saturating_sub(lines.len());
    let len = cluster.size();
    let cursor = app.detail.cursor.min(len.saturating_sub(1));
    let window = visible_rows(len, cursor, member_rows);
    let members = ordered_window(view, cluster, window.clone());
    for (i, t) in window.zip(members) {
        let selected = app.focus == Pane::Detail && i == cursor;
        let line = member(t, cluster, selected, width);
        lines.push(if selected {
            line.style(theme::selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Members as the pane lists them: firing first, then silenced, then resolved; within each,
/// the most severe first; otherwise in the order they joined.
pub fn ordered_members<'a>(view: &'a Cockpit, cluster: &Cluster) -> Vec<&'a TrackedAlert> {
    ordered_window(view, cluster, 0..cluster.size())
}

/// The states in list order, and the severities in list order within each.
const STATES: [AlertState; 3] = [
    AlertState::Firing,
    AlertState::Suppressed,
    AlertState::Resolved,
];
const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::Warning,
    Severity::Info,
    Severity::None,
];

/// Which of the list's twelve groups (state, then severity) a member is in.
fn group(state: AlertState, severity: Severity) -> usize {
    let s = STATES.iter().position(|&x| x == state).unwrap_or(0);
    let v = SEVERITIES.iter().position(|&x| x == severity).unwrap_or(0);
    s * SEVERITIES.len() + v
}

/// The members at positions `range` of [`ordered_members`], without ordering them all: the
/// cluster's counts say where each group starts, and one walk through the join order, which
/// stops once the rows are found, picks them.
pub fn ordered_window<'a>(
    view: &'a Cockpit,
    cluster: &Cluster,
    range: Range<usize>,
) -> Vec<&'a TrackedAlert> {
    let range = range.start.min(cluster.size())..range.end.min(cluster.size());
    if range.is_empty() {
        return Vec::new();
    }
    // Where each group starts in the list, and which of its members (by rank within the
    // group) the range wants.
    let mut starts = [0usize; 12];
    let mut wanted = [(0usize, 0usize); 12];
    let mut start = 0;
    for g in 0..12 {
        let n = cluster.count(STATES[g / 4], SEVERITIES[g % 4]);
        starts[g] = start;
        let (lo, hi) = (range.start.max(start), range.end.min(start + n));
        if lo < hi {
            wanted[g] = (lo - start, hi - start);
        }
        start += n;
    }
    let mut out: Vec<Option<&TrackedAlert>> = vec![None; range.len()];
    let mut missing = range.len();
    let mut seen = [0usize; 12];
    for fp in &cluster.members {
        if missing == 0 {
            break;
        }
        let Some(t) = view.alert(*fp) else { continue };
        let g = group(t.alert.state, t.severity);
        let rank = seen[g];
        seen[g] += 1;
        if (wanted[g].0..wanted[g].1).contains(&rank) {
            let slot = starts[g] + rank - range.start;
            if out[slot].replace(t).is_none() {
                missing -= 1;
            }
        }
    }
    out.into_iter().flatten().collect()
}

/// The cluster's header lines, most important first (the caller keeps what fits).
fn summary(view: &Cockpit, c: &Cluster, width: usize) -> Vec<Line<'static>> {
    let (sev, sev_style) = clusters::severity(c.severity);
    let age = format_duration(view.now().duration_since(c.started));
    let mut first = vec![
        Span::styled(format!("{sev} "), sev_style),
        Span::styled(format!("{} firing", c.firing), theme::bad()),
        Span::raw(format!(" / {} alerts", c.size())),
    ];
    if c.suppressed > 0 {
        first.push(Span::styled(
            format!(", {} silenced", c.suppressed),
            theme::dim(),
        ));
    }
    first.push(Span::styled(
        format!(" · since {} ({age})", clock_hms(c.started)),
        theme::dim(),
    ));
    if width >= 80 {
        first.push(Span::styled(
            format!(" · changed {}", clock_hms(c.last_change)),
            theme::dim(),
        ));
    }
    let mut lines = vec![Line::from(first)];
    if let Some(o) = &c.origin {
        lines.push(Line::from(vec![
            Span::styled("origin ", theme::key()),
            Span::styled(format!("{} ", o.service), theme::bold()),
            Span::styled(
                truncate(&o.why, width.saturating_sub(o.service.len() + 8)),
                theme::dim(),
            ),
        ]));
    }
    if !c.reasons.is_empty() {
        lines.push(labelled("together ", &c.reasons.join("; "), width));
    }
    let names = c.alertnames.iter().cloned().collect::<Vec<_>>().join(", ");
    lines.push(labelled("alerts   ", &names, width));
    if !c.noise.is_empty() {
        let noise = c.noise.iter().map(ToString::to_string).collect::<Vec<_>>();
        lines.push(labelled("NOISE    ", &noise.join(", "), width));
    }
    if !c.common_labels.is_empty() {
        let common = c
            .common_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(labelled("common   ", &common, width));
    }
    lines
}

fn labelled(label: &'static str, text: &str, width: usize) -> Line<'static> {
    Line::from(vec![
        Span::styled(label, theme::key()),
        Span::raw(truncate(text, width.saturating_sub(label.len()))),
    ])
}

/// The labels that tell `t` apart from the rest of its cluster, most telling first: not the
/// alertname and severity (on the row already), not what every member shares (unless the
/// cluster has one member, which shares everything with itself).
pub fn distinguishing_labels<'a>(
    t: &'a TrackedAlert,
    cluster: &Cluster,
) -> Vec<(&'a str, &'a str)> {
    let common: &BTreeMap<String, String> = &cluster.common_labels;
    let mut labels: Vec<(&str, &str)> = t
        .alert
        .labels
        .iter()
        .filter(|(k, _)| !HIDDEN_LABELS.contains(&k.as_str()))
        .filter(|(k, v)| cluster.size() <= 1 || common.get(*k) != Some(*v))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    labels.sort_by_key(|(k, _)| {
        FIRST_LABELS
            .iter()
            .position(|f| f == k)
            .unwrap_or(FIRST_LABELS.len())
    });
    labels
}

/// `› FIRING  crit  CheckoutLatencyHigh  pod=checkout-7d9f… instance=10.0.3.7:8080`
fn member(t: &TrackedAlert, cluster: &Cluster, selected: bool, width: usize) -> Line<'static> {
    let (state, style) = match t.alert.status() {
        AlertStatus::Firing => ("FIRING", theme::bad()),
        AlertStatus::Resolved => ("ok", theme::good()),
        AlertStatus::Silenced => ("silenced", theme::dim()),
        AlertStatus::Inhibited => ("inhibited", theme::dim()),
        // The source lost it (Alertmanager restarted): not known to be firing or resolved.
        AlertStatus::Unknown => ("UNKNOWN", theme::warn()),
    };
    let (sev, sev_style) = clusters::severity(t.alert.severity());
    let mut spans = vec![
        Span::raw(if selected { "› " } else { "  " }),
        Span::styled(format!("{state:<8} "), style),
        Span::styled(format!("{sev} "), sev_style),
        Span::styled(format!("{} ", t.alert.name()), theme::bold()),
    ];
    if !t.noise.is_empty() {
        let noise = t.noise.iter().map(ToString::to_string).collect::<Vec<_>>();
        spans.push(Span::styled(
            format!("[{}] ", noise.join(", ")),
            theme::dim(),
        ));
    }
    let used: usize = spans.iter().map(Span::width).sum();
    let pairs = distinguishing_labels(t, cluster);
    let join = |cut: bool| {
        pairs
            .iter()
            .map(|(k, v)| {
                let v = if cut {
                    truncate(v, SHORT_VALUE)
                } else {
                    v.to_string()
                };
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut labels = join(false);
    // Short of room: cut long values so more labels show.
    if labels.chars().count() > width.saturating_sub(used) {
        labels = join(true);
    }
    spans.push(Span::styled(
        truncate(&labels, width.saturating_sub(used)),
        theme::dim(),
    ));
    Line::from(spans)
}
