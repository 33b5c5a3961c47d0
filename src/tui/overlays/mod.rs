//! What can cover the panes: the `?` help, the `:` palette, the `/` filter prompt, the reading
//! view (`read`, with one file per page: `step`, `document`, `record`, `alert`, and `output`,
//! what an executed step printed), the decision confirmations (`confirm`) and the decision
//! editors (`write`). Each file holds how its overlay reacts to actions and how it draws; the
//! state is `app::Overlay`. `markdown` and `wrap` turn text into screen lines for them.

pub mod alert;
pub mod budget_chart;
pub mod confirm;
pub mod document;
pub mod experiment;
pub mod filter;
pub mod help;
pub mod markdown;
pub mod output;
pub mod palette;
pub mod read;
pub mod record;
pub mod report;
pub mod search;
pub mod step;
pub mod wrap;
pub mod write;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::line_input::LineInput;
use super::theme;

/// A rectangle `width` × `height` centred in `area` (shrunk to fit).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A prompt line: the sigil, the text, and where the terminal cursor goes.
pub fn prompt_line<'a>(sigil: &'a str, input: &'a LineInput, placeholder: &'a str) -> Line<'a> {
    let mut line = Line::from(Span::styled(sigil, theme::key()));
    if input.text().is_empty() {
        line.spans.push(Span::styled(placeholder, theme::dim()));
    } else {
        line.spans
            .push(Span::styled(input.text(), Style::default()));
    }
    line
}

/// Screen column of the input cursor for a prompt drawn at `x` with `sigil`.
pub fn cursor_x(x: u16, sigil: &str, input: &LineInput) -> u16 {
    let before: String = input.text().chars().take(input.cursor()).collect();
    let cols = ratatui::text::Line::from(format!("{sigil}{before}")).width();
    x.saturating_add(u16::try_from(cols).unwrap_or(u16::MAX))
}
