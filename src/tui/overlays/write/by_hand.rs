//! Work done by hand (`m`): what was done outside flightdeck and what happened; nothing runs.

use super::super::step::field;
use super::super::wrap;
use super::{Parts, decidable, step_lines};
use crate::cockpit::{Cockpit, SuggestionId, SuggestionStatus, UserCommand};
use crate::tui::app::{App, Draft, Overlay};
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// `m`: what was done by hand instead of running the step, and what happened.
pub fn open(app: &mut App, view: &Cockpit) {
    let Some(s) = decidable(app, view) else {
        return;
    };
    if !matches!(
        s.status,
        SuggestionStatus::Pending | SuggestionStatus::Rejected { .. }
    ) {
        app.warn(format!(
            "{} was run or recorded already; write a note (n) to add to it",
            s.id
        ));
    } else if let Err(why) = &s.argv {
        app.warn(format!(
            "{} has no argv to record against ({why}); write a note (n) instead",
            s.id
        ));
    } else {
        app.overlay = Overlay::Write {
            draft: Draft::Manual(s.id),
            input: TextInput::default()
                .with_placeholder("what you did, where, and what happened (required)"),
        };
    }
}

/// The record of the work, or `None` (and a warning) while it is not described.
pub(super) fn submit(app: &mut App, id: SuggestionId, text: String) -> Option<UserCommand> {
    if text.is_empty() {
        app.warn("write what you did by hand and what happened (it is journaled)");
        return None;
    }
    app.info(format!(
        "{id} recorded as done by hand: nothing was run by flightdeck"
    ));
    Some(UserCommand::RecordManual { id, what: text })
}

/// The step and its verdict, then what this records.
pub(super) fn parts(view: &Cockpit, id: SuggestionId, width: usize) -> Parts {
    let mut above = Vec::new();
    if let Some(s) = view.suggestion(id) {
        above.extend(step_lines(s, width));
        above.extend(field("policy", &s.verdict.to_string(), width));
    }
    above.extend(wrap::words(
        &[(
            "flightdeck runs nothing: this records, with your name, what you did outside \
             it (the command as you ran it, where) and what happened."
                .into(),
            theme::text(),
        )],
        width,
        &[],
        &[],
    ));
    Parts {
        title: format!(" Done by hand: {id} "),
        above,
        rows: 4,
        below: Vec::new(),
        keys: vec![("Enter/Ctrl-S", "record".into()), ("Esc", "cancel".into())],
    }
}
