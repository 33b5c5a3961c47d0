//! The argv editor (`e`): one argv element per line; the result is a new, novel step, and the
//! box says what the policy will then require.

use super::super::step::{escape, field, titled_argv_lines};
use super::super::wrap;
use super::{Parts, argv_of, decidable, requirement, step_title, wrapped_rows};
use crate::cockpit::{Cockpit, SuggestionId, UserCommand};
use crate::tui::app::{App, Draft, Overlay};
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// `e`: the argv, one element per line, in an editor.
pub fn open(app: &mut App, view: &Cockpit) {
    let Some(s) = decidable(app, view) else {
        return;
    };
    if s.step.script().is_some() {
        app.warn(format!(
            "{} runs a shell script, which is not edited here: reject it and write what to run instead (n)",
            s.id
        ));
        return;
    }
    let argv = match &s.argv {
        Ok(argv) => argv.clone(),
        Err(why) => {
            app.warn(format!("{} has no argv to start from: {why}", s.id));
            return;
        }
    };
    // An element with a line break (or another control character) cannot be one line of the
    // editor; refusing beats silently splitting it.
    if let Some(bad) = argv.iter().find(|a| a.chars().any(char::is_control)) {
        app.warn(format!(
            "{} has an argv element with control characters (\"{}\"): it cannot be edited line by line",
            s.id,
            escape(bad)
        ));
        return;
    }
    app.overlay = Overlay::Write {
        draft: Draft::EditArgv(s.id),
        input: TextInput::new(argv).with_placeholder("the command, one argv element per line"),
    };
}

/// The edit to journal, or `None` (and a warning) when there is nothing to save.
pub(super) fn submit(
    app: &mut App,
    view: &Cockpit,
    id: SuggestionId,
    input: &TextInput,
) -> Option<UserCommand> {
    let argv = argv_of(input.lines());
    if argv.first().is_none_or(|a| a.trim().is_empty()) {
        app.warn("an edited step needs its command on the first line");
        return None;
    }
    let Some(s) = view.suggestion(id) else {
        app.warn(format!("{id} no longer exists"));
        app.overlay = Overlay::None;
        return None;
    };
    if s.argv.as_ref().is_ok_and(|a| *a == argv) {
        app.warn("the argv is unchanged: nothing to save (Esc cancels)");
        return None;
    }
    let needs = requirement(&view.verdict_if_edited(s, argv.clone()));
    app.info(format!(
        "edit of {id} sent: the new step is novel (not audited); the policy will require {needs}"
    ));
    Some(UserCommand::Edit { id, argv })
}

/// The step, the edited argv as it will run, and what the policy will require of it.
pub(super) fn parts(view: &Cockpit, id: SuggestionId, input: &TextInput, width: usize) -> Parts {
    let mut above = Vec::new();
    let mut below = Vec::new();
    if let Some(s) = view.suggestion(id) {
        above.extend(field("step", &step_title(s), width));
        above.extend(wrap::words(
            &[(
                "One argv element per line, exactly as it will run (no shell, no quoting).".into(),
                theme::text(),
            )],
            width,
            &[],
            &[],
        ));
        let argv = argv_of(input.lines());
        below.extend(titled_argv_lines("edited argv", &argv, width, true));
        let verdict = view.verdict_if_edited(s, argv);
        below.extend(wrap::words(
            &[
                ("NOVEL ".into(), theme::warn()),
                (
                    format!(
                        "The edited step is a new step, never reviewed. In {} the policy will then require: {}",
                        view.mode().label(),
                        requirement(&verdict)
                    ),
                    theme::text(),
                ),
            ],
            width,
            &[],
            &[],
        ));
    }
    let rows = wrapped_rows(input.lines(), width.saturating_sub(2)).clamp(3, 12);
    Parts {
        title: format!(" Edit {id}'s argv "),
        above,
        rows,
        below,
        keys: vec![
            ("Ctrl-S", "save as a new step".into()),
            ("Enter", "new element".into()),
            ("Esc", "cancel".into()),
        ],
    }
}
