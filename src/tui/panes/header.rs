//! The header: the mode badge with its reason and deciding SLO, who sits at this cockpit (and
//! READ-ONLY when so), source health, the clock and replay speed on the first line; then one line per SLO with its budget gauge, burn rates
//! (windows in a firing condition highlighted) and the firing condition spelled out.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::cockpit::{Cockpit, SourceState};
use crate::slo::{BudgetStatus, BurnSeverity, Window};
use crate::time::{clock_hms, format_duration};
use crate::tui::app::App;
use crate::tui::panes::truncate;
use crate::tui::theme;

/// Burn-rate windows shown for every SLO (the Workbook's page and ticket long windows).
const SHOWN_WINDOWS: [Window; 4] = [Window::M5, Window::H1, Window::H6, Window::D3];
/// Cells of the budget gauge.
const GAUGE_CELLS: usize = 10;
/// From this width on, each SLO line also gets a burn sparkline and time to exhaustion.
const WIDE: u16 = 160;

/// Rows the header needs: the status line plus one per SLO, within `max_slos`.
pub fn height(view: &Cockpit, max_slos: usize) -> u16 {
    1 + view.budgets().len().clamp(1, max_slos.max(1)) as u16
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let mut lines = vec![top_line(app, view, area.width)];
    let slo_rows = usize::from(area.height.saturating_sub(1));
    let budgets = view.budgets();
    if budgets.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no SLO evaluated yet (waiting for SLI samples)",
            theme::dim(),
        )));
    }
    let name_width = budgets
        .iter()
        .map(|b| b.slo.chars().count())
        .max()
        .unwrap_or(0)
        .min(if area.width >= WIDE { 32 } else { 22 });
    for (i, budget) in budgets.iter().enumerate().take(slo_rows) {
        if i + 1 == slo_rows && budgets.len() > slo_rows {
            lines.push(Line::from(Span::styled(
                format!(
                    "  … {} more SLOs (taller terminal shows all)",
                    budgets.len() - i
                ),
                theme::dim(),
            )));
            break;
        }
        lines.push(slo_line(budget, name_width, area.width));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn top_line(app: &App, view: &Cockpit, width: u16) -> Line<'static> {
    let mode = view.mode();
    let mut right: Vec<Span<'static>> = Vec::new();
    let filter = app.live_filter();
    if !filter.is_empty() {
        right.push(Span::styled(format!("FILTER /{filter}"), theme::warn()));
        right.push(Span::raw("  "));
    }
    let config = view.config();
    if config.readonly {
        right.push(Span::styled(" READ-ONLY ", theme::firing()));
        right.push(Span::raw(" "));
    }
    right.push(Span::styled(
        format!("{}/{}", config.actor, config.role.as_str()),
        theme::bold(),
    ));
    right.push(Span::raw("  "));
    // Stale SLO data, said where truncation cannot hide it: the mode does not loosen on it.
    if let Some(age) = view.budgets().iter().filter_map(|b| b.stale_age).max() {
        right.push(Span::styled(
            format!(" SLO DATA STALE {} ", format_duration(whole_secs(age))),
            theme::firing(),
        ));
        right.push(Span::raw("  "));
    }
    right.extend(sources(view));
    right.push(Span::raw("  "));
    // In replay the clock is the replay's (it stands still while paused); live, the cockpit's.
    let now = app.replay.map_or_else(|| view.now(), |r| r.at);
    right.push(Span::styled(clock_hms(now), theme::bold()));
    right.push(Span::raw(" "));
    right.push(replay(app));
    let right_width: usize = right.iter().map(|s| s.width()).sum();

    let mut left = vec![
        Span::styled(
            format!(" {} ", mode.label()),
            if app.attention.flashing() {
                theme::mode_flash(mode)
            } else {
                theme::mode(mode)
            },
        ),
        Span::raw(" "),
    ];
    let mut reason = view.mode_reason().to_string();
    if let Some(slo) = view.deciding_slo()
        && !reason.contains(slo)
    {
        reason = format!("{slo}: {reason}");
    }
    let room = usize::from(width).saturating_sub(right_width + left_width(&left) + 1);
    left.push(Span::raw(truncate(&reason, room)));
    let pad = usize::from(width).saturating_sub(left_width(&left) + right_width);
    left.push(Span::raw(" ".repeat(pad)));
    left.extend(right);
    Line::from(left)
}

fn left_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.width()).sum()
}

/// `▶ 60×`, `⏸ PAUSED 60×`, `■ END`, or `LIVE`.
fn replay(app: &App) -> Span<'static> {
    match app.replay {
        None => Span::styled("LIVE", theme::good()),
        Some(r) if r.finished => Span::styled("■ END of replay", theme::warn()),
        Some(r) if r.paused => Span::styled(format!("⏸ PAUSED {}×", speed(r.speed)), theme::warn()),
        Some(r) => Span::styled(format!("▶ {}×", speed(r.speed)), theme::good()),
    }
}

fn speed(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// Each source with its state as a word; problems first, so they survive truncation.
fn sources(view: &Cockpit) -> Vec<Span<'static>> {
    let all = view.sources();
    if all.is_empty() {
        return vec![Span::styled("no sources", theme::dim())];
    }
    let mut spans = vec![Span::styled("src ", theme::dim())];
    let mut ordered: Vec<_> = all.iter().collect();
    ordered.sort_by_key(|s| match s.state {
        SourceState::Down => 0,
        SourceState::Stale => 1,
        SourceState::Ok => 2,
    });
    for (i, s) in ordered.iter().take(3).enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let (label, style) = match s.state {
            SourceState::Ok => ("ok", theme::good()),
            SourceState::Stale => ("STALE", theme::warn()),
            SourceState::Down => ("DOWN", theme::bad()),
        };
        spans.push(Span::raw(format!("{} ", s.name)));
        spans.push(Span::styled(label, style));
    }
    if ordered.len() > 3 {
        spans.push(Span::styled(
            format!(" +{}", ordered.len() - 3),
            theme::dim(),
        ));
    }
    spans
}

fn slo_line(b: &BudgetStatus, name_width: usize, width: u16) -> Line<'static> {
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(
            format!("{:<name_width$}", truncate(&b.slo, name_width)),
            theme::bold(),
        ),
    ];
    // The objective is the first thing to go on a narrow screen: the budget says more.
    if width >= 110 {
        spans.push(Span::styled(
            format!(" {:>6}", objective(b.objective)),
            theme::dim(),
        ));
    }
    spans.push(Span::raw(" "));
    if let Some(age) = b.stale_age {
        // The numbers below are those of the newest data, frozen.
        spans.push(Span::styled(
            format!("STALE {} ", format_duration(whole_secs(age))),
            theme::firing(),
        ));
    }
    if b.insufficient_data() {
        spans.push(Span::styled(
            format!(
                "{:<23}",
                format!(
                    "insufficient data ({} events)",
                    crate::slo::state::fmt_events(b.events.unwrap_or(0.0))
                )
            ),
            theme::warn(),
        ));
    } else {
        spans.extend(gauge(b.budget_remaining));
    }
    for w in SHOWN_WINDOWS {
        let rate = b.burn_rate(w);
        let style = if b.is_firing(w) {
            theme::firing()
        } else if b.is_stale() || b.insufficient_data() {
            theme::dim()
        } else {
            burn_style(rate)
        };
        spans.push(Span::styled(format!(" {}", w.label()), theme::dim()));
        spans.push(Span::styled(format!("{:>6}", burn(rate)), style));
    }
    if b.insufficient_data() {
        spans.push(Span::styled(
            format!("  burn ignored below {} events", b.min_events),
            theme::dim(),
        ));
    } else if b.conditions.is_empty() {
        spans.push(Span::styled("  no burn alert", theme::dim()));
    }
    // As many firing conditions as fit (pages come first), then how many more.
    let room = usize::from(width).saturating_sub(if width >= WIDE { 60 } else { 0 });
    for (i, c) in b.conditions.iter().enumerate() {
        let (label, style) = match c.severity {
            BurnSeverity::Page => ("PAGE", theme::firing()),
            BurnSeverity::Ticket => ("TICKET", theme::warn()),
        };
        let text = format!(
            "  ▲{label} {}&{}>{}×",
            c.long,
            c.short,
            threshold(c.threshold)
        );
        let used: usize = spans.iter().map(Span::width).sum();
        let rest = b.conditions.len() - i;
        if i > 0 && used + text.chars().count() + 4 > room {
            spans.push(Span::styled(format!(" +{rest}"), style));
            break;
        }
        spans.push(Span::raw("  "));
        spans.push(Span::styled(text.trim_start().to_string(), style));
    }
    if width >= WIDE {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(sparkline(&b.burn_history), theme::dim()));
        if let Some(t) = b.time_to_exhaustion {
            spans.push(Span::styled(
                format!("  exhausts in {}", format_duration(t)),
                theme::warn(),
            ));
        }
    }
    Line::from(spans)
}

/// An age to the second (`12m5s`, not `12m5.123s`).
fn whole_secs(d: crate::time::SignedDuration) -> crate::time::SignedDuration {
    crate::time::SignedDuration::from_secs(d.as_secs())
}

/// `14.4`, `6`, `1`: thresholds as the Workbook writes them.
fn threshold(t: f64) -> String {
    let text = format!("{t:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn objective(o: f64) -> String {
    let pct = format!("{:.3}", o * 100.0);
    let pct = pct.trim_end_matches('0').trim_end_matches('.');
    format!("{pct}%")
}

/// `▕███████░░░▏ 72% left`, `EXHAUSTED -12%`, or `no data`.
fn gauge(remaining: Option<f64>) -> Vec<Span<'static>> {
    let style = theme::budget(remaining);
    let Some(r) = remaining else {
        return vec![Span::styled(format!("{:<23}", "budget: no data"), style)];
    };
    let filled = ((r.clamp(0.0, 1.0) * GAUGE_CELLS as f64).round() as usize).min(GAUGE_CELLS);
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(GAUGE_CELLS - filled));
    let text = if r <= 0.0 {
        format!("EXHAUSTED {:.0}%", r * 100.0)
    } else {
        format!("{:.1}% left", r * 100.0)
    };
    vec![
        Span::styled(bar, style),
        Span::styled(format!(" {text:<12}"), style),
    ]
}

/// `0.4×`, `4.2×`, `18×`, `1.2k×`, or `–` for no data.
pub fn burn(rate: Option<f64>) -> String {
    match rate {
        None => "–".to_string(),
        Some(r) if r >= 1000.0 => format!("{:.1}k×", r / 1000.0),
        Some(r) if r >= 10.0 => format!("{r:.0}×"),
        Some(r) => format!("{r:.1}×"),
    }
}

fn burn_style(rate: Option<f64>) -> Style {
    match rate {
        None => theme::dim(),
        Some(r) if r > 1.0 => theme::warn(),
        Some(_) => theme::text(),
    }
}

/// The 5m burn history as block characters, scaled to its own maximum (gaps as spaces).
fn sparkline(history: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = history.iter().flatten().copied().fold(0.0_f64, f64::max);
    history
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if max <= 0.0 => BARS[0],
            Some(v) => BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(burn(Some(0.42)), "0.4×");
        assert_eq!(burn(Some(18.24)), "18×");
        assert_eq!(burn(Some(1234.0)), "1.2k×");
        assert_eq!(burn(None), "–");
        assert_eq!(objective(0.999), "99.9%");
        assert_eq!(objective(0.9995), "99.95%");
        assert_eq!(objective(0.99), "99%");
        assert_eq!(threshold(14.4), "14.4");
        assert_eq!(threshold(6.0), "6");
    }

    #[test]
    fn sparkline_scales_to_its_maximum_and_shows_gaps() {
        assert_eq!(sparkline(&[Some(0.0), None, Some(5.0), Some(10.0)]), "▁ ▅█");
    }
}
