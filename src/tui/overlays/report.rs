//! Reports: a page of text made when it was asked for, scrolled with the movement keys.
//!
//! - the trainee's **debrief** (`R` in replay, and on its own when a drill reaches its end):
//!   the scorecard against the responders' reference decisions, built by the runtime, which
//!   holds the scenario and the drill's records. In the middle of a trainee's drill it shows
//!   only the trainee's own decisions (no spoilers) until Enter reveals the full scorecard;
//!   with no decisions of the person's it says there is nothing to score ([`debrief`]);
//! - the **stale alert candidates** (`N`): alerts that flap, fire most of the day or are never
//!   acted on, with the evidence, so a team can fix or retire them.
//!
//! Lines are wrapped here to the box's width (hanging under their indent), so the scroll
//! reaches the last screen line whatever the terminal's size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

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
    /// What Enter shows instead (the full debrief behind a spoiler-free one).
    pub reveal: Option<Box<Report>>,
    /// A drill's briefing: the clock waits while it is read, and closing it (Enter, Esc,
    /// Space) starts the clock.
    pub starts_clock: bool,
    /// Lines are shown as they are, cut at the box's edge rather than wrapped (a command's
    /// output: its columns and spaces mean something).
    pub preformatted: bool,
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
            reveal: None,
            starts_clock: false,
            preformatted: false,
        }
    }

    /// The lines as the box of a `screen`-sized terminal shows them: each wrapped to the box's
    /// inner width, continuation lines hanging under the line's indent.
    pub fn screen_lines(&self, screen: (u16, u16)) -> Vec<Line<'static>> {
        let width = usize::from(inner(screen).width).max(1);
        let mut out = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            if line.width() <= width {
                out.push(line.clone());
                continue;
            }
            if self.preformatted {
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                let style = line.spans.first().map(|s| s.style).unwrap_or_default();
                out.push(Line::from(Span::styled(
                    crate::tui::panes::truncate(&text, width),
                    style,
                )));
                continue;
            }
            out.extend(super::wrap::indented(line, width));
        }
        out
    }
}

/// The box of a report on a `screen`-sized terminal, and its inside.
fn area(screen: (u16, u16)) -> Rect {
    let screen = Rect::new(0, 0, screen.0, screen.1);
    super::centered(
        screen,
        screen.width.saturating_sub(4).clamp(40, 110),
        screen.height.saturating_sub(2).max(8),
    )
}

fn inner(screen: (u16, u16)) -> Rect {
    let a = area(screen);
    Rect::new(
        a.x + 1,
        a.y + 1,
        a.width.saturating_sub(2),
        a.height.saturating_sub(2),
    )
}

/// The debrief as a report. `trainee`: the person is a trainee in a drill. Before the drill's
/// end the report shows only the trainee's own decisions, and Enter reveals the scorecard; at
/// the end the scorecard shows, even without decisions (what doing nothing cost). `Err` when
/// there is nothing of the person's to score (say so instead of a score).
pub fn debrief(
    d: &crate::training::Debrief,
    at: crate::time::Timestamp,
    trainee: bool,
) -> Result<Report, &'static str> {
    let trainee_in_progress = trainee && !d.at_end;
    let scorecard_anyway = trainee && d.at_end;
    if !(d.has_decisions() || scorecard_anyway) {
        return Err(crate::training::debrief::NOTHING_TO_SCORE);
    }
    let full_title = format!("Debrief at {}", crate::time::clock_hms(at));
    if trainee_in_progress {
        let mut hidden = Report::from_text(
            format!(
                "Debrief at {} · no spoilers · Enter reveals the responders' decisions",
                crate::time::clock_hms(at)
            ),
            &d.to_text_in_progress(),
        );
        hidden.reveal = Some(Box::new(Report::from_text(full_title, &d.to_text())));
        return Ok(hidden);
    }
    Ok(Report::from_text(full_title, &d.to_text()))
}

/// A drill's briefing (issue 20.13), shown when the drill starts, its clock paused.
pub fn briefing(app: &mut App, text: &str) {
    let mut report = Report::from_text("Briefing · Enter, Esc or Space starts the drill", text);
    report.starts_clock = true;
    open(app, report);
}

/// Opens a report.
pub fn open(app: &mut App, report: Report) {
    app.overlay = Overlay::Report {
        report: Box::new(report),
        scroll: 0,
    };
}

/// `M` (`:messages`): every message of this session in full, oldest first, newest in view.
pub fn messages(app: &mut App) {
    if app.messages.is_empty() {
        app.info("no messages yet");
        return;
    }
    let mut lines = Vec::new();
    for m in &app.messages {
        let (label, style) = match m.level {
            crate::tui::app::Level::Info => ("  ", theme::text()),
            crate::tui::app::Level::Warn => ("! ", theme::warn()),
            crate::tui::app::Level::Error => ("ERROR ", theme::bad()),
        };
        lines.push(Line::from(vec![
            Span::styled(label, style),
            Span::styled(m.text.clone(), style),
        ]));
    }
    let last = lines.len();
    app.overlay = Overlay::Report {
        report: Box::new(Report {
            title: format!(" Messages ({last}, oldest first) "),
            lines,
            reveal: None,
            starts_clock: false,
            preformatted: false,
        }),
        scroll: last.saturating_sub(usize::from(app.size.1 / 2)),
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
            reveal: None,
            starts_clock: false,
            preformatted: false,
        },
    );
}

/// Handles an action while a report is open; `None` lets it through (quit, replay controls).
pub fn update(app: &mut App, action: Action) -> Option<Vec<Command>> {
    let screen = app.size;
    let visible = usize::from(inner(screen).height).max(1);
    let Overlay::Report { report, scroll } = &mut app.overlay else {
        return None;
    };
    // The last reachable top row shows the last screen line at the bottom.
    let max_scroll = report.screen_lines(screen).len().saturating_sub(visible);
    match action {
        // The briefing read: the drill's clock starts.
        Action::Back | Action::Open | Action::Pause if report.starts_clock => {
            app.overlay = Overlay::None;
            app.info("the drill's clock runs: R shows your decisions so far, n notes a hypothesis");
            if let Some(replay) = app.replay.as_mut().filter(|r| r.paused) {
                replay.paused = false;
                return Some(vec![Command::TogglePause]);
            }
        }
        Action::Back => app.overlay = Overlay::None,
        // A spoiler-free debrief: Enter shows what it kept hidden.
        Action::Open if report.reveal.is_some() => {
            if let Some(full) = report.reveal.take() {
                *report = full;
                *scroll = 0;
            }
        }
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
    let full = frame.area();
    let screen = (full.width, full.height);
    let mut area = area(screen);
    area.x += full.x;
    area.y += full.y;
    let lines = report.screen_lines(screen);
    let visible = usize::from(area.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let reveal = if report.reveal.is_some() {
        "Enter reveals · "
    } else {
        ""
    };
    let more = if scroll + visible < lines.len() {
        format!(" ↓ more (j/k, PgDn) · {reveal}Esc closes ")
    } else {
        format!(" {reveal}Esc closes ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(format!(" {} ", report.title)).style(theme::title()))
        .title_bottom(Line::from(more).style(theme::dim()));
    let text: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block), area);
}
