//! The rejection editor (`r`): a reason is required; it is journaled with the decider's name.

use ratatui::text::{Line, Span};

use super::{Parts, decidable, step_lines};
use crate::cockpit::{Cockpit, SuggestionId, SuggestionStatus, UserCommand};
use crate::tui::app::{App, Draft, Overlay};
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// `r`: asks why.
pub fn open(app: &mut App, view: &Cockpit) {
    let Some(s) = decidable(app, view) else {
        return;
    };
    if !matches!(s.status, SuggestionStatus::Pending) {
        app.warn(format!("{} is not waiting for a decision", s.id));
    } else if let Err(why) = &s.argv {
        app.warn(format!(
            "{} has no argv to reject ({why}); write a note (n) instead",
            s.id
        ));
    } else {
        app.overlay = Overlay::Write {
            draft: Draft::Reject(s.id),
            input: TextInput::default().with_placeholder("why not? (required; it is journaled)"),
        };
    }
}

/// The rejection to journal, or `None` (and a warning) while the reason is missing.
pub(super) fn submit(app: &mut App, id: SuggestionId, text: String) -> Option<UserCommand> {
    if text.is_empty() {
        app.warn("a rejection needs a reason: write why (it is journaled)");
        return None;
    }
    app.info(format!("rejection of {id} sent to the journal"));
    Some(UserCommand::Reject { id, reason: text })
}

/// The step, then the question.
pub(super) fn parts(view: &Cockpit, id: SuggestionId, width: usize) -> Parts {
    let mut above = Vec::new();
    if let Some(s) = view.suggestion(id) {
        above.extend(step_lines(s, width));
    }
    above.push(Line::from(Span::styled(
        "Why reject it? The reason goes into the journal with your name.",
        theme::text(),
    )));
    Parts {
        title: format!(" Reject {id} "),
        above,
        rows: 3,
        below: Vec::new(),
        keys: vec![("Enter/Ctrl-S", "reject".into()), ("Esc", "cancel".into())],
    }
}
