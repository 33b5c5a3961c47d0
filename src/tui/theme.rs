//! Colours and emphasis. A colour always repeats something the text already says (a label, a
//! marker, a number): it speeds reading but is never the only carrier of meaning.

use ratatui::style::{Color, Modifier, Style};

use crate::slo::Mode;

pub fn text() -> Style {
    Style::default()
}

pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn border(focused: bool) -> Style {
    if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default().fg(Color::DarkGray)
    }
}

/// The selected row of a list (it also carries a `›` marker).
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// The mode badge: the label is always printed inside it.
pub fn mode(mode: Mode) -> Style {
    let bg = match mode {
        Mode::Adaptive => Color::Green,
        Mode::Freeze => Color::Yellow,
        Mode::Redesign => Color::Red,
    };
    Style::default()
        .fg(Color::Black)
        .bg(bg)
        .add_modifier(Modifier::BOLD)
}

pub fn good() -> Style {
    Style::default().fg(Color::Green)
}

pub fn warn() -> Style {
    Style::default().fg(Color::Yellow)
}

pub fn bad() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// A burn-rate window that takes part in a firing condition.
pub fn firing() -> Style {
    Style::default()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}

/// Budget left as a fraction of the whole budget (1.0 = untouched).
pub fn budget(remaining: Option<f64>) -> Style {
    match remaining {
        None => dim(),
        Some(r) if r <= 0.0 => bad(),
        Some(r) if r < 0.25 => warn(),
        Some(_) => good(),
    }
}

/// Alert severity label (`critical`, `warning`, `page`, `ticket`, …).
pub fn severity(label: &str) -> Style {
    match label.to_ascii_lowercase().as_str() {
        "critical" | "page" | "error" | "high" => bad(),
        "warning" | "ticket" | "medium" => warn(),
        _ => dim(),
    }
}

pub fn overlay_border() -> Style {
    Style::default().fg(Color::Magenta)
}

/// Code: inline `code` and code blocks in the reader (the reader also indents code blocks
/// behind a gutter, so the colour is not the only mark).
pub fn code() -> Style {
    Style::default().fg(Color::LightBlue)
}
