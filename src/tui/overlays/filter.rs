//! The `/` filter prompt, drawn over the status line. The clusters list narrows as you type
//! (render reads `App::live_filter`); Enter keeps the filter, Esc restores the previous one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::cockpit::Cockpit;
use crate::tui::action::Action;
use crate::tui::app::{App, Overlay};
use crate::tui::command::Command;
use crate::tui::panes::clusters;
use crate::tui::theme;

const SIGIL: &str = "/";

pub fn update(app: &mut App, action: Action) -> Vec<Command> {
    let Overlay::Filter { input } = &mut app.overlay else {
        return Vec::new();
    };
    match action {
        Action::Edit(edit) => input.apply(edit),
        Action::Open => {
            app.filter = input.text().trim().to_string();
            app.overlay = Overlay::None;
            if app.filter.is_empty() {
                app.info("filter cleared");
            }
        }
        Action::Back => app.overlay = Overlay::None,
        Action::Quit => return vec![Command::Quit],
        _ => {}
    }
    Vec::new()
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame, area: Rect) {
    let Overlay::Filter { input } = &app.overlay else {
        return;
    };
    let shown = clusters::shown(app, view).len();
    let total = view.clusters().len();
    let mut line = super::prompt_line(SIGIL, input, "alertname, service or label=value");
    line.spans.push(Span::styled(
        format!("   {shown} of {total} clusters · Enter keeps · Esc cancels"),
        theme::dim(),
    ));
    frame.render_widget(Paragraph::new(Line::from(line.spans)), area);
    frame.set_cursor_position((super::cursor_x(area.x, SIGIL, input), area.y));
}
