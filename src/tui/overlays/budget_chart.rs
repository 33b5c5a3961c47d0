//! The budget chart (`b`): the remaining error budget of every SLO over its window, as a line
//! chart (ratatui `Chart`), with a zero line where Redesign starts. Each line is named in the
//! legend with its current value, so the colours are never the only label. The unit, the time
//! axis's caption and the legend are drawn outside the plot, so none covers a line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Clear, Dataset, GraphType, Paragraph};

use crate::cockpit::Cockpit;
use crate::time::format_duration;
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay};
use crate::tui::command::Command;
use crate::tui::theme;

/// Points per SLO line.
const POINTS: usize = 120;

/// Handles an action while the chart is open; `None` lets it through (quit, replay controls).
pub fn update(app: &mut App, action: Action) -> Option<Vec<Command>> {
    match action {
        Action::BudgetChart | Action::Back => {
            app.overlay = Overlay::None;
            Some(Vec::new())
        }
        Action::Quit
        | Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward => None,
        _ => Some(Vec::new()),
    }
}

/// One SLO's line: its name, (hours before now, % left) points, and the latest value.
type Series = (String, Vec<(f64, f64)>, Option<f64>);

/// The chart's extent: the longest SLO window in hours, the lowest percent shown (0 or below).
#[derive(Debug, Clone, Copy)]
struct Extent {
    window_h: f64,
    y_min: f64,
}

/// Draws the chart: the box, the unit, the plot, the time axis's caption, the legend.
pub fn render(view: &Cockpit, frame: &mut Frame) {
    let screen = frame.area();
    let area = super::centered(
        screen,
        screen.width.saturating_sub(4).max(40),
        screen.height.saturating_sub(4).max(12),
    );
    frame.render_widget(Clear, area);
    let series = series_of(view);
    let extent = extent_of(view, &series);
    let zero = vec![(-extent.window_h, 0.0), (0.0, 0.0)];
    // Without colour (or braille) each line is drawn with its own marker, named in the legend.
    let markers = theme::chart_needs_markers();
    let names = legend_names(&series, markers);
    let window = format_duration(crate::time::SignedDuration::from_secs(
        (extent.window_h * 3600.0) as i64,
    ));
    let half = format_duration(crate::time::SignedDuration::from_secs(
        (extent.window_h * 1800.0) as i64,
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::from(vec![
            Span::styled(" Error budget left over the SLO window ", theme::title()),
            Span::styled("(b or Esc closes) ", theme::dim()),
        ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The unit above the plot, the axis's meaning and the legend below it: nothing written
    // inside the plot, where it would sit on a line (ratatui draws axis titles and the legend
    // inside the graph area).
    let legend_rows = u16::try_from(names.len() + 1).unwrap_or(u16::MAX);
    let [unit, plot, axis, legend] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(1),
        Constraint::Length(legend_rows),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(Line::styled("% of the error budget left", theme::dim())),
        unit,
    );
    let labels = [window.as_str(), half.as_str()];
    frame.render_widget(chart(&series, &zero, extent, markers, labels), plot);
    // The ticks are durations before now (`-30d`, `-15d`, `now`), and the caption says so.
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("time before now (ticks: -{window}, -{half}, now; the SLO window is {window})"),
            theme::dim(),
        ))
        .alignment(ratatui::layout::Alignment::Right),
        axis,
    );
    frame.render_widget(Paragraph::new(legend_lines(&names, markers)), legend);
}

/// Every SLO's line: x in hours before now (negative), y in percent of the budget left.
fn series_of(view: &Cockpit) -> Vec<Series> {
    let now = view.now();
    view.slo_specs()
        .map(|spec| {
            let points: Vec<(f64, f64)> = view
                .budget_burndown(&spec.name, POINTS)
                .into_iter()
                .filter_map(|(t, v)| {
                    let hours = t.duration_since(now).as_secs_f64() / 3600.0;
                    v.map(|v| (hours, v * 100.0))
                })
                .collect();
            let current = points.last().map(|p| p.1);
            (spec.name.clone(), points, current)
        })
        .collect()
}

/// The longest window (at least an hour) and the lowest value (at most 0%).
fn extent_of(view: &Cockpit, series: &[Series]) -> Extent {
    let window_h = view
        .slo_specs()
        .map(|s| s.window.as_secs_f64() / 3600.0)
        .fold(0.0, f64::max)
        .max(1.0);
    let y_min = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0_f64, f64::min)
        .floor()
        .min(0.0);
    Extent { window_h, y_min }
}

/// Each line's name in the legend with its current value (and its marker without colour).
fn legend_names(series: &[Series], markers: bool) -> Vec<String> {
    series
        .iter()
        .enumerate()
        .map(|(i, (name, _, current))| {
            let value = match current {
                Some(v) if *v <= 0.0 => format!("{name} {v:.1}% EXHAUSTED"),
                Some(v) => format!("{name} {v:.1}% left"),
                None => format!("{name} no data"),
            };
            if markers {
                format!(
                    "{} {value}",
                    theme::CHART_MARKERS[i % theme::CHART_MARKERS.len()]
                )
            } else {
                value
            }
        })
        .collect()
}

/// The plot: a line per SLO and the zero line, the axes labelled with the window (`labels`:
/// the window and its half, as durations).
fn chart<'a>(
    series: &'a [Series],
    zero: &'a [(f64, f64)],
    extent: Extent,
    markers: bool,
    [window, half]: [&str; 2],
) -> Chart<'a> {
    let marker = |i: usize| {
        if markers {
            Marker::Custom(theme::CHART_MARKERS[i % theme::CHART_MARKERS.len()])
        } else {
            Marker::Braille
        }
    };
    let mut datasets: Vec<Dataset> = series
        .iter()
        .enumerate()
        .map(|(i, (_, points, _))| {
            Dataset::default()
                .marker(marker(i))
                .graph_type(GraphType::Line)
                .style(theme::series(i))
                .data(points)
        })
        .collect();
    datasets.push(
        Dataset::default()
            .marker(if markers {
                Marker::Custom('.')
            } else {
                Marker::Dot
            })
            .graph_type(GraphType::Line)
            .style(theme::dim())
            .data(zero),
    );
    let Extent { window_h, y_min } = extent;
    Chart::new(datasets)
        .x_axis(Axis::default().bounds([-window_h, 0.0]).labels(vec![
            Line::from(format!("-{window}")),
            Line::from(format!("-{half}")),
            Line::from("now"),
        ]))
        .y_axis(
            Axis::default()
                .bounds([y_min, 100.0])
                // Axis labels are spaced evenly between the bounds, so they must be too.
                .labels(vec![
                    Line::from(format!("{y_min:.0}%")),
                    Line::from(format!("{:.0}%", (y_min + 100.0) / 2.0)),
                    Line::from("100%"),
                ]),
        )
        .legend_position(None)
}

/// The legend below the plot: each line's swatch (or marker) and name, then the zero line.
fn legend_lines(names: &[String], markers: bool) -> Vec<Line<'_>> {
    let mut lines: Vec<Line> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let swatch = if markers { "" } else { "━━ " };
            Line::from(vec![
                Span::styled(swatch, theme::series(i)),
                Span::styled(name.clone(), theme::series(i)),
            ])
        })
        .collect();
    lines.push(Line::styled(
        if markers {
            ". 0% = budget exhausted (REDESIGN)"
        } else {
            "•• 0% = budget exhausted (REDESIGN)"
        },
        theme::dim(),
    ));
    lines
}
