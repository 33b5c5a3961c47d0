//! The clusters list: alerts grouped into probable incidents, in the correlator's order (firing
//! first, then severity, then recent activity). Selection follows a cluster by id, so it stays
//! put while clusters grow, merge and reorder; `/` narrows the list by alertname, service or
//! label. Without a filter nothing here walks the alerts: the list is the correlator's, already
//! sorted, and only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::alerts::{Cluster, ClusterId, Severity};
use crate::cockpit::Cockpit;
use crate::tui::app::{App, Pane};
use crate::tui::panes::{Move, inner_height, pane_block, truncate, visible_rows};
use crate::tui::theme;

/// `3/5 firing 1 silenced `, `2 silenced (of 2) `, `1 UNKNOWN (of 3) `, `resolved (4) `:
/// every open status is named; "resolved" only when every member is.
fn states(n: crate::cockpit::StatusCounts, size: usize) -> Vec<Span<'static>> {
    if n.open() == 0 {
        return vec![Span::styled(format!("resolved ({size}) "), theme::dim())];
    }
    let mut out = Vec::new();
    if n.firing > 0 {
        out.push(Span::styled(
            format!("{}/{size} firing ", n.firing),
            theme::bad(),
        ));
    }
    for (k, what, style) in [
        (n.unknown, "UNKNOWN", theme::warn()),
        (n.silenced, "silenced", theme::dim()),
        (n.inhibited, "inhibited", theme::dim()),
    ] {
        if k > 0 {
            out.push(Span::styled(format!("{k} {what} "), style));
        }
    }
    if n.firing == 0 {
        out.push(Span::styled(format!("(of {size}) "), theme::dim()));
    }
    out
}

/// Rows one cluster takes: what and how bad, then names, origin and noise.
const ROWS_PER_ITEM: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClustersPane {
    /// The cluster the cursor is on; `None` (or a cluster that is gone) means the first shown.
    pub selected: Option<ClusterId>,
    /// The order of the list (`S` goes to the next); the title names any but the default.
    pub sort: ClusterSort,
}

/// How the clusters list is ordered. Every order but the first keeps the correlator's as the
/// tie-break.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClusterSort {
    /// The correlator's: firing first, then severity, then recent activity.
    #[default]
    Severity,
    /// Newest first.
    Start,
    /// Most alerts first.
    Size,
    /// By service (else alert name), A to Z.
    Name,
}

impl ClusterSort {
    pub fn next(self) -> ClusterSort {
        match self {
            ClusterSort::Severity => ClusterSort::Start,
            ClusterSort::Start => ClusterSort::Size,
            ClusterSort::Size => ClusterSort::Name,
            ClusterSort::Name => ClusterSort::Severity,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClusterSort::Severity => "severity",
            ClusterSort::Start => "newest",
            ClusterSort::Size => "size",
            ClusterSort::Name => "name",
        }
    }

    /// Orders `list` (already in the correlator's order, which stays as the tie-break).
    pub fn apply(self, list: &mut [&Cluster]) {
        match self {
            ClusterSort::Severity => {}
            ClusterSort::Start => list.sort_by_key(|c| std::cmp::Reverse(c.started)),
            ClusterSort::Size => list.sort_by_key(|c| std::cmp::Reverse(c.size())),
            ClusterSort::Name => list.sort_by(|a, b| name_key(a).cmp(name_key(b))),
        }
    }
}

fn name_key(c: &Cluster) -> &str {
    c.services
        .first()
        .or(c.alertnames.first())
        .map_or("", String::as_str)
}

/// `S`: the next order of the clusters list; the cursor stays on its cluster.
pub fn next_sort(app: &mut App, view: &Cockpit) {
    // The cluster the others describe stays the one selected, whatever comes first now.
    app.clusters.selected = focused(app, view).map(|c| c.id);
    app.clusters.sort = app.clusters.sort.next();
    app.info(format!(
        "clusters sorted by {} (S: next order)",
        app.clusters.sort.label()
    ));
}

/// Does `haystack` contain `needle` (already lower case), ignoring case? Allocates nothing
/// for ASCII text.
fn contains_lower(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if !haystack.is_ascii() {
        return haystack.to_lowercase().contains(needle);
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    h.len() >= n.len()
        && h.windows(n.len())
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// Does a cluster match the filter? Case-insensitive substring of its id, an alertname, a
/// service, or any member's `label=value`.
pub fn matches_filter(view: &Cockpit, cluster: &Cluster, filter: &str) -> bool {
    if filter.is_empty() {
        return true;
    }
    let needle = filter.to_lowercase();
    let hit = |s: &str| contains_lower(s, &needle);
    // Only a needle with `=` can span a label's name and value; the rest need no formatting.
    let spans = needle.contains('=');
    let mut pair = String::new();
    let mut label_hit = |k: &String, v: &String| {
        if spans {
            pair.clear();
            pair.push_str(k);
            pair.push('=');
            pair.push_str(v);
            hit(&pair)
        } else {
            hit(k) || hit(v)
        }
    };
    hit(&cluster.name.to_string())
        || cluster.alertnames.iter().any(|n| hit(n))
        || cluster.services.iter().any(|s| hit(s))
        || cluster.members.iter().any(|fp| {
            view.alert(*fp)
                .is_some_and(|t| t.alert.labels.iter().any(|(k, v)| label_hit(k, v)))
        })
}

/// The clusters the list shows, in order (from the view data when it is fresh).
pub fn shown<'a>(app: &App, view: &'a Cockpit) -> Vec<&'a Cluster> {
    let filter = app.live_filter();
    let mut list: Vec<&Cluster> = if filter.is_empty() {
        view.clusters().iter().collect()
    } else if app.view.fresh(view, filter) {
        let all = view.clusters();
        app.view
            .shown()
            .iter()
            .filter_map(|&i| all.get(i))
            .collect()
    } else {
        view.clusters()
            .iter()
            .filter(|c| matches_filter(view, c, filter))
            .collect()
    };
    app.clusters.sort.apply(&mut list);
    list
}

fn selected_index(app: &App, list: &[&Cluster]) -> usize {
    app.clusters
        .selected
        .and_then(|id| list.iter().position(|c| c.id == id))
        .unwrap_or(0)
}

/// The cluster the other panes describe: the selected one if the list shows it, else the first.
/// Every pane asks, every frame: this looks at the selected cluster, and with a filter at the
/// view data made once per cockpit revision ([`crate::tui::view`]), not at the labels.
pub fn focused<'a>(app: &App, view: &'a Cockpit) -> Option<&'a Cluster> {
    if app.clusters.sort != ClusterSort::Severity {
        // Another order: with nothing selected, the first of that order.
        let list = shown(app, view);
        let selected = app
            .clusters
            .selected
            .and_then(|id| list.iter().find(|c| c.id == id));
        return selected.or(list.first()).copied();
    }
    let filter = app.live_filter();
    if !filter.is_empty() && app.view.fresh(view, filter) {
        // The filter was applied once for this revision: no label is scanned here.
        let all = view.clusters();
        let shown = app.view.shown();
        let selected = app.clusters.selected.and_then(|id| {
            shown
                .iter()
                .find(|&&i| all.get(i).is_some_and(|c| c.id == id))
        });
        return selected.or(shown.first()).and_then(|&i| all.get(i));
    }
    if let Some(c) = app.clusters.selected.and_then(|id| view.cluster(id))
        && matches_filter(view, c, filter)
    {
        return Some(c);
    }
    view.clusters()
        .iter()
        .find(|c| matches_filter(view, c, filter))
}

pub fn move_selection(app: &mut App, view: &Cockpit, movement: Move) {
    let list = shown(app, view);
    let index = movement.apply(selected_index(app, &list), list.len(), app.page_rows() / 2);
    let next = list.get(index).map(|c| c.id);
    if next != focused(app, view).map(|c| c.id) {
        // A different incident: its detail and knowledge start from the top.
        app.detail.cursor = 0;
        app.knowledge.cursor = 0;
        app.knowledge.selected = None;
    }
    app.clusters.selected = next;
}

/// The cluster drawn on row `row` of the pane's inside, as an index into [`shown`].
pub fn item_at(app: &App, view: &Cockpit, area: Rect, row: usize) -> Option<usize> {
    let list = shown(app, view);
    let items = (inner_height(area) / ROWS_PER_ITEM).max(1);
    let range = visible_rows(list.len(), selected_index(app, &list), items);
    let i = range.start + row / ROWS_PER_ITEM;
    range.contains(&i).then_some(i)
}

/// Selects the cluster at `index` of [`shown`] (a click), as moving there would.
pub fn select(app: &mut App, view: &Cockpit, index: usize) {
    let list = shown(app, view);
    let Some(next) = list.get(index).map(|c| c.id) else {
        return;
    };
    if Some(next) != focused(app, view).map(|c| c.id) {
        app.detail.cursor = 0;
        app.knowledge.cursor = 0;
        app.knowledge.selected = None;
    }
    app.clusters.selected = Some(next);
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let filter = app.live_filter();
    // Without a filter or another order the list is the correlator's own, as it is.
    let rows = if filter.is_empty() && app.clusters.sort == ClusterSort::Severity {
        Rows::All(view.clusters())
    } else {
        Rows::Filtered(shown(app, view))
    };
    let len = rows.len();
    let total = view.clusters().len();
    let extra = if filter.is_empty() {
        // The noise count says there is something to look at behind `N`.
        let stale = view.stale_candidate_count();
        let alerts = view.alert_count();
        let text = match stale {
            0 => format!("{total} · {alerts} alerts "),
            n if area.width >= 50 => format!("{total} · {alerts} alerts · {n} noisy (N) "),
            // A narrow pane keeps the count visible.
            n => format!("{total}·{alerts} alerts·{n} noisy "),
        };
        Span::styled(text, theme::dim())
    } else {
        Span::styled(
            format!("{len} of {total} · FILTER /{filter} "),
            theme::warn(),
        )
    };
    // The order first: a narrow pane cuts the title's end.
    let sorted = (app.clusters.sort != ClusterSort::Severity)
        .then(|| Span::styled(format!("by {} · ", app.clusters.sort.label()), theme::key()));
    let block = pane_block(
        app,
        Pane::Clusters,
        Line::from(
            [sorted, Some(extra)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        ),
    );
    let width = usize::from(block.inner(area).width);
    let mut lines = Vec::new();
    if len == 0 {
        let text = if total == 0 {
            "no alerts yet".to_string()
        } else {
            format!("no cluster matches /{filter} (Esc clears)")
        };
        lines.push(Line::from(Span::styled(text, theme::dim())));
    }
    let index = app
        .clusters
        .selected
        .and_then(|id| (0..len).find(|&i| rows.get(i).id == id))
        .unwrap_or(0);
    let items = (inner_height(area) / ROWS_PER_ITEM).max(1);
    for i in visible_rows(len, index, items) {
        let c = rows.get(i);
        let selected = i == index;
        let marker = match (selected, app.focus == Pane::Clusters) {
            (true, true) => "› ",
            (true, false) => "• ",
            _ => "  ",
        };
        let (sev, sev_style) = severity(c.severity);
        let mut head = vec![
            Span::raw(marker),
            Span::styled(format!("{:<5} ", c.name.to_string()), theme::bold()),
            Span::styled(format!("{sev:<4} "), sev_style),
        ];
        head.extend(states(view.status_counts(c), c.size()));
        let used: usize = head.iter().map(Span::width).sum();
        let services = c.services.iter().cloned().collect::<Vec<_>>().join(", ");
        head.push(Span::raw(truncate(&services, width.saturating_sub(used))));

        let mut sub = vec![Span::raw("     ")];
        if let Some(o) = &c.origin {
            sub.push(Span::styled(format!("origin {} ", o.service), theme::key()));
        }
        if view.is_novel(c.id) {
            sub.push(Span::styled("NOVEL ", theme::warn()));
        }
        if !c.noise.is_empty() {
            let noise = c.noise.iter().map(ToString::to_string).collect::<Vec<_>>();
            sub.push(Span::styled(
                format!("NOISE {} ", noise.join(", ")),
                theme::dim(),
            ));
        }
        let used: usize = sub.iter().map(Span::width).sum();
        sub.push(Span::styled(
            truncate(&names(c), width.saturating_sub(used)),
            theme::dim(),
        ));
        let mut head = Line::from(head);
        let mut sub = Line::from(sub);
        if selected && app.focus == Pane::Clusters {
            head = head.style(theme::selected());
            sub = sub.style(theme::selected());
        }
        lines.push(head);
        lines.push(sub);
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The clusters the list shows: all of them, or those the filter lets through.
enum Rows<'a> {
    All(&'a [Cluster]),
    Filtered(Vec<&'a Cluster>),
}

impl<'a> Rows<'a> {
    fn len(&self) -> usize {
        match self {
            Rows::All(all) => all.len(),
            Rows::Filtered(some) => some.len(),
        }
    }

    fn get(&self, i: usize) -> &'a Cluster {
        match self {
            Rows::All(all) => &all[i],
            Rows::Filtered(some) => some[i],
        }
    }
}

/// `CRIT`, `WARN`, `INFO` or `----`, with its colour.
pub fn severity(s: Severity) -> (&'static str, Style) {
    match s {
        Severity::Critical => ("CRIT", theme::bad()),
        Severity::Warning => ("WARN", theme::warn()),
        Severity::Info => ("INFO", theme::text()),
        Severity::None => ("----", theme::dim()),
    }
}

/// The first few alert names of a cluster, then how many more ("A, B, C +4").
pub(crate) fn names(c: &Cluster) -> String {
    const SHOWN: usize = 3;
    let mut names: Vec<&str> = c
        .alertnames
        .iter()
        .map(String::as_str)
        .take(SHOWN)
        .collect();
    let more = c.alertnames.len().saturating_sub(SHOWN);
    let more = if more > 0 {
        format!(" +{more}")
    } else {
        String::new()
    };
    names.dedup();
    format!("{}{more}", names.join(", "))
}
