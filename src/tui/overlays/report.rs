//! Reports: a page of text made when it was asked for, scrolled with the movement keys.
//!
//! - the trainee's **debrief** (`R` in replay, and on its own when a drill reaches its end):
//!   the scorecard against the responders' reference decisions, built by the runtime, which
//!   holds the scenario and the drill's records;
//! - the **stale alert candidates** (`N`): alerts that flap, fire most of the day or are never
//!   acted on, with the evidence, so a team can fix or retire them.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::cockpit::Cockpit;
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay};
use crate::tui::command::Command;
use crate::tui::panes::Move;
use crate::tui::theme;

/// What a report shows: a title and its lines, already styled.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    pub lines: Vec<Line<'static>>,
}

impl Report {
    /// A report from plain text: lines that start at the margin are headings.
    pub fn from_text(title: impl Into<String>, text: &str) -> Report {
        let lines = text
            .lines()
            .map(|l| {
                if l.is_empty() || l.starts_with(' ') {
                    Line::from(Span::styled(l.to_string(), theme::text()))
                } else {
                    Line::from(Span::styled(l.to_string(), theme::bold()))
                }
            })
            .collect();
        Report {
            title: title.into(),
            lines,
        }
    }
}

/// Opens a report.
pub fn open(app: &mut App, report: Report) {
    app.overlay = Overlay::Report {
        report: Box::new(report),
        scroll: 0,
    };
}

/// `N`: the alerts that are probably noise, noisiest first, with the evidence.
pub fn stale_alerts(app: &mut App, view: &Cockpit) {
    let candidates = view.stale_candidates();
    let mut lines = vec![
        Line::from(Span::styled(
            "Alerts that flap, fire most of the day, or fire again and again without anyone \
             acting on them: candidates to fix (thresholds, for: durations) or retire.",
            theme::text(),
        )),
        Line::raw(""),
    ];
    if candidates.is_empty() {
        lines.push(Line::from(Span::styled(
            "none so far: no alert flaps, is chronic or is ignored",
            theme::dim(),
        )));
    }
    // A rule is fixed or retired as a whole: one entry per alert name and service, its
    // noisiest series first (the candidates come noisiest first).
    let mut groups: Vec<(&str, Option<&str>, Vec<&crate::alerts::StaleCandidate>)> = Vec::new();
    let mut index: std::collections::HashMap<(&str, Option<&str>), usize> = Default::default();
    for c in &candidates {
        let key = (c.alertname.as_str(), c.service.as_deref());
        let i = *index.entry(key).or_insert_with(|| {
            groups.push((key.0, key.1, Vec::new()));
            groups.len() - 1
        });
        groups[i].2.push(c);
    }
    for (alertname, service, series) in &groups {
        let service = service.map(|s| format!(" ({s})")).unwrap_or_default();
        let count = if series.len() > 1 {
            format!("  {} series", series.len())
        } else {
            format!("  {}", series[0].fingerprint)
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{alertname}{service}"), theme::bold()),
            Span::styled(count, theme::dim()),
        ]));
        let worst = series[0];
        let more = if series.len() > 1 {
            format!(" (noisiest series {})", worst.fingerprint)
        } else {
            String::new()
        };
        lines.push(Line::from(Span::styled(
            format!("    {}{more}", worst.evidence),
            theme::warn(),
        )));
    }
    open(
        app,
        Report {
            title: format!(
                "Stale alert candidates · {} rules, {} series",
                groups.len(),
                candidates.len()
            ),
            lines,
        },
    );
}

/// Handles an action while a report is open; `None` lets it through (quit, replay controls).
pub fn update(app: &mut App, action: Action) -> Option<Vec<Command>> {
    // The box is the screen less two rows, its text two rows less (see `render`).
    let visible = usize::from(app.size.1.saturating_sub(4)).max(1);
    let Overlay::Report { report, scroll } = &mut app.overlay else {
        return None;
    };
    // The last reachable top row shows the last line at the bottom.
    let max_scroll = report.lines.len().saturating_sub(visible);
    match action {
        Action::Back => app.overlay = Overlay::None,
        // Asking again makes the report afresh (or the other one).
        Action::Debrief | Action::StaleAlerts => {
            app.overlay = Overlay::None;
            return None;
        }
        Action::Quit
        | Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward => return None,
        _ => {
            if let Some(movement) = Move::from_action(action) {
                *scroll = movement.apply(*scroll, max_scroll + 1, visible);
            }
        }
    }
    Some(Vec::new())
}

pub fn render(report: &Report, scroll: usize, frame: &mut Frame) {
    let screen = frame.area();
    let area = super::centered(
        screen,
        screen.width.saturating_sub(4).clamp(40, 110),
        screen.height.saturating_sub(2).max(8),
    );
    let visible = usize::from(area.height.saturating_sub(2));
    let scroll = scroll.min(report.lines.len().saturating_sub(visible));
    let more = if scroll + visible < report.lines.len() {
        " ↓ more (j/k, PgDn) · Esc closes "
    } else {
        " Esc closes "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(format!(" {} ", report.title)).style(theme::title()))
        .title_bottom(Line::from(more).style(theme::dim()));
    let text: Vec<Line> = report
        .lines
        .iter()
        .skip(scroll)
        .take(visible)
        .cloned()
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}
