//! The commander's mode override (`O`): a mode (Tab steps through the choices, and ending the
//! override in force), a written reason, an hour at a time.

use ratatui::text::{Line, Span};

use super::super::step::field;
use super::super::wrap;
use super::Parts;
use crate::cockpit::{Cockpit, DEFAULT_OVERRIDE, UserCommand};
use crate::slo::Mode;
use crate::time::format_duration;
use crate::tui::app::{App, Draft, Overlay};
use crate::tui::panes::approvals;
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// `O`: the commander overrides the governor's mode for an hour, or ends the override.
pub fn open(app: &mut App, view: &Cockpit) {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return;
    }
    if view.config().role != crate::actions::Role::Commander {
        app.warn("only the incident commander can override the mode (--role commander)");
        return;
    }
    // The safe default: the next stricter mode (Redesign stays Redesign); loosening takes a
    // deliberate Tab. With an override in force, ending it.
    let to = if view.mode_override().is_some() {
        None
    } else {
        Some(view.mode().stricter())
    };
    app.overlay = Overlay::Write {
        draft: Draft::Override(to),
        input: TextInput::default()
            .with_placeholder("why (required): what the budgets do not know"),
    };
}

/// The override choices Tab steps through: each mode, and ending the override in force.
pub(super) fn next(current: Option<Mode>, view: &Cockpit) -> Option<Mode> {
    let ending = view.mode_override().is_some();
    match current {
        Some(Mode::Adaptive) => Some(Mode::Freeze),
        Some(Mode::Freeze) => Some(Mode::Redesign),
        Some(Mode::Redesign) if ending => None,
        Some(Mode::Redesign) | None => Some(Mode::Adaptive),
    }
}

/// The override to journal, or `None` (and a warning) while the reason is missing.
pub(super) fn submit(app: &mut App, to: Option<Mode>, text: String) -> Option<UserCommand> {
    if text.is_empty() {
        app.warn("an override needs a reason: write why (it is journaled)");
        return None;
    }
    app.info(match to {
        Some(mode) => format!(
            "override to {} sent to the journal; it ends in {}",
            mode.label(),
            format_duration(DEFAULT_OVERRIDE)
        ),
        None => "end of the override sent to the journal".to_string(),
    });
    Some(UserCommand::OverrideMode {
        to,
        reason: text,
        duration: DEFAULT_OVERRIDE,
    })
}

/// The choices, what the budgets say, the override in force, and what an override does.
pub(super) fn parts(view: &Cockpit, to: Option<Mode>, width: usize) -> Parts {
    let mut above = Vec::new();
    let choice = |label: String, on: bool| {
        Span::styled(
            format!("{} {label}   ", if on { "●" } else { "○" }),
            if on { theme::bold() } else { theme::dim() },
        )
    };
    let mut choices: Vec<Span> = Mode::ALL
        .into_iter()
        .map(|m| choice(m.label().to_string(), to == Some(m)))
        .collect();
    if view.mode_override().is_some() {
        choices.push(choice("end the override".into(), to.is_none()));
    }
    choices.push(Span::styled("(Tab switches)", theme::dim()));
    above.push(Line::from(choices));
    let now = match view.mode_override() {
        Some(o) => format!(
            "{} by {} until {}: {}",
            o.mode.label(),
            o.by,
            crate::time::clock_hms(o.until),
            o.reason
        ),
        None => "none".to_string(),
    };
    above.extend(field("budgets", view.mode_reason(), width));
    above.extend(field("override", &now, width));
    above.extend(wrap::words(
        &[(
            format!(
                "The mode governs what the policy lets run. An override holds {} (then \
                 the budgets rule again), drift still tightens it, and approvals given \
                 in a looser mode are void once it ends.",
                format_duration(DEFAULT_OVERRIDE)
            ),
            theme::text(),
        )],
        width,
        &[],
        &[],
    ));
    Parts {
        title: match to {
            Some(m) => format!(" Override the mode: {} ", m.label()),
            None => " End the mode override ".to_string(),
        },
        above,
        rows: 3,
        below: Vec::new(),
        keys: vec![
            ("Enter/Ctrl-S", "override".into()),
            ("Tab", "mode".into()),
            ("Esc", "cancel".into()),
        ],
    }
}
