//! The budget chart (issue 20.11): the legend is below the plot, not on it; the time axis is
//! captioned as what its ticks are (durations before now, `-30d`, `-15d`, `now`), not hours;
//! the unit sits above the plot, not on a line. At 80×24, 100×30 and 200×60, with snapshots.

use crate::common;
use common::replay::demo_at;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;

/// A cell of a line of the plot (braille dots).
fn is_plot(c: char) -> bool {
    ('\u{2800}'..='\u{28ff}').contains(&c)
}

#[test]
fn the_legend_and_the_captions_stay_off_the_plot() {
    let session = demo_at(40);
    let slos: Vec<String> = session
        .cockpit()
        .slo_specs()
        .map(|s| s.name.clone())
        .collect();
    for (size, name) in [
        ((80u16, 24u16), "budget_chart_80x24"),
        ((100, 30), "budget_chart_100x30"),
        ((200, 60), "budget_chart_200x60"),
    ] {
        let mut app = replay_app(&session, size, 60.0);
        press(&mut app, &session, KeyCode::Char('b'));
        let s = screen(&app, &session);
        let lines: Vec<&str> = s.lines().collect();
        assert!(
            !s.contains("hours"),
            "{size:?}: the ticks are not hours\n{s}"
        );
        let row = |what: &str| {
            lines
                .iter()
                .position(|l| l.contains(what))
                .unwrap_or_else(|| panic!("{size:?}: no {what:?}\n{s}"))
        };
        let unit = row("% of the error budget left");
        let caption = row("time before now");
        assert!(
            lines[caption].contains("-30d") && lines[caption].contains("-15d"),
            "{s}"
        );
        // The unit's row and the caption's have nothing of the plot on them.
        for r in [unit, caption] {
            assert!(
                !lines[r].chars().any(is_plot),
                "{size:?}: row {r} is on the plot\n{s}"
            );
        }
        // The plot is between them; the legend under the caption, one row an SLO.
        let plot_rows: Vec<usize> = (0..lines.len())
            .filter(|r| lines[*r].chars().any(is_plot))
            .collect();
        assert!(!plot_rows.is_empty(), "{size:?}: a plot\n{s}");
        assert!(
            plot_rows.iter().all(|r| *r > unit && *r < caption),
            "{size:?}: the plot between the unit and the caption\n{s}"
        );
        for slo in &slos {
            let legend = lines
                .iter()
                .rposition(|l| {
                    l.contains(slo.as_str()) && (l.contains("% left") || l.contains("EXHAUSTED"))
                })
                .unwrap_or_else(|| panic!("{size:?}: {slo} not in the legend\n{s}"));
            assert!(
                legend > caption,
                "{size:?}: {slo}'s legend under the plot\n{s}"
            );
        }
        insta::assert_snapshot!(name, s);
    }
}
