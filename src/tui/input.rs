//! Turns a terminal key event into an [`Action`]: an open prompt gets the keys first (its own
//! bindings, then printable characters as text), otherwise the keymap decides.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::action::Action;
use super::app::{App, Overlay};
use super::keymap::Key;

pub fn handle_key(app: &App, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let key = Key::from_event(&event);
    if app.keymap.is_suspend(key) {
        return Some(Action::Suspend);
    }
    // The quit confirmation: `y` quits, any other key stays (whatever else is open keeps it).
    if app.quit_asked.is_some() {
        return Some(match key.code {
            KeyCode::Char('y' | 'Y') if key.modifiers.is_empty() => Action::Confirm,
            _ => Action::Back,
        });
    }
    if let Some(action) = super::overlays::experiment::action_for(app, key) {
        return Some(action);
    }
    match app.overlay {
        Overlay::Palette { .. } | Overlay::Filter { .. } | Overlay::Search(_) => {
            app.keymap.prompt_action_for(key)
        }
        Overlay::Write { draft, .. } => app.keymap.editor_action_for(key, draft),
        Overlay::Confirm { .. } => app.keymap.confirm_action_for(key),
        Overlay::None
        | Overlay::Help { .. }
        | Overlay::Read { .. }
        | Overlay::BudgetChart
        | Overlay::Experiments(_)
        | Overlay::Report { .. } => app.keymap.action_for(key, app.focus),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::line_input::{LineEdit, LineInput};
    use crossterm::event::KeyModifiers;

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn the_filter_prompt_takes_printable_keys_before_the_keymap() {
        let mut app = App::default();
        assert_eq!(handle_key(&app, press('q')), Some(Action::Quit));
        app.overlay = Overlay::Filter {
            input: LineInput::default(),
        };
        assert_eq!(
            handle_key(&app, press('q')),
            Some(Action::Edit(LineEdit::Insert('q')))
        );
    }

    #[test]
    fn a_text_editor_takes_every_key_but_its_own() {
        let mut app = App {
            focus: crate::tui::Pane::Approvals,
            ..App::default()
        };
        assert_eq!(handle_key(&app, press('a')), Some(Action::Approve));
        app.overlay = Overlay::Write {
            draft: crate::tui::Draft::Note(crate::tui::NoteKind::Note, None),
            input: Default::default(),
        };
        for c in ['a', 'q', 'n', 'j'] {
            assert_eq!(
                handle_key(&app, press(c)),
                Some(Action::Type(Key::from_event(&press(c))))
            );
        }
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(handle_key(&app, ctrl_s), Some(Action::Submit));
    }

    #[test]
    fn ctrl_z_suspends_whatever_is_open() {
        let ctrl_z = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL);
        let mut app = App::default();
        assert_eq!(handle_key(&app, ctrl_z), Some(Action::Suspend));
        app.overlay = Overlay::Write {
            draft: crate::tui::Draft::Note(crate::tui::NoteKind::Note, None),
            input: Default::default(),
        };
        assert_eq!(handle_key(&app, ctrl_z), Some(Action::Suspend));
        app.overlay = Overlay::Filter {
            input: LineInput::default(),
        };
        assert_eq!(handle_key(&app, ctrl_z), Some(Action::Suspend));
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut release = press('q');
        release.kind = KeyEventKind::Release;
        assert_eq!(handle_key(&App::default(), release), None);
    }
}
