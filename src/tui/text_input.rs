//! A multi-line text editor for the decision overlays (rejection reason, edited argv, note),
//! wrapping ratatui-textarea. The wrapper exists so the overlay state stays comparable in tests
//! (by text and cursor) and so keys arrive as the keymap's [`Key`], like every other input.

use crossterm::event::KeyEvent;
use ratatui::style::Style;
use ratatui_textarea::{TextArea, WrapMode};

use super::keymap::Key;
use super::theme;

/// Boxed: the text area is large, and `Overlay` should stay small for the other variants.
#[derive(Debug, Clone)]
pub struct TextInput {
    area: Box<TextArea<'static>>,
    /// The lines the editor opened with: text that differs from them is half-written.
    initial: Vec<String>,
}

impl Default for TextInput {
    fn default() -> Self {
        TextInput::new(Vec::new())
    }
}

impl PartialEq for TextInput {
    fn eq(&self, other: &Self) -> bool {
        self.area.lines() == other.area.lines() && self.area.cursor() == other.area.cursor()
    }
}

impl TextInput {
    /// An editor holding `lines`, the cursor at the end of the last one.
    pub fn new(lines: Vec<String>) -> Self {
        let mut area = TextArea::new(lines);
        area.set_cursor_line_style(Style::default());
        area.set_cursor_style(theme::selected());
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        let initial = area.lines().to_vec();
        TextInput {
            area: Box::new(area),
            initial,
        }
    }

    /// Shown in grey while the editor is empty.
    pub fn with_placeholder(mut self, text: &str) -> Self {
        self.area.set_placeholder_text(text);
        self.area.set_placeholder_style(theme::dim());
        self
    }

    /// Feeds one key to the editor (its own keys: arrows, Backspace, Ctrl-A/E/K/U, undo …).
    pub fn key(&mut self, key: Key) {
        self.area.input(KeyEvent::new(key.code, key.modifiers));
    }

    /// Types `text` as if each character were a key (for tests and pasting).
    pub fn type_str(&mut self, text: &str) {
        self.area.insert_str(text);
    }

    pub fn newline(&mut self) {
        self.area.insert_newline();
    }

    pub fn lines(&self) -> &[String] {
        self.area.lines()
    }

    /// Every line joined with `\n`, trimmed at both ends.
    pub fn text(&self) -> String {
        self.area.lines().join("\n").trim().to_string()
    }

    /// Has anything been typed since the editor opened (the text differs from what it opened
    /// with)? Quitting asks first then.
    pub fn is_edited(&self) -> bool {
        self.area.lines() != self.initial.as_slice()
    }

    /// The widget, to render into an area.
    pub fn widget(&self) -> &TextArea<'static> {
        &self.area
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_edit_the_text() {
        let mut input = TextInput::default();
        for k in ["h", "i", "space", "x", "backspace"] {
            input.key(k.parse().unwrap());
        }
        assert_eq!(input.text(), "hi");
        input.newline();
        input.type_str("there");
        assert_eq!(input.lines(), ["hi ", "there"]);
        assert_eq!(input, input.clone());
        assert_ne!(input, TextInput::default());
        assert!(input.is_edited());
        let mut prefilled = TextInput::new(vec!["kubectl".into(), "get".into()]);
        assert!(!prefilled.is_edited(), "what it opened with is not typed");
        prefilled.key("x".parse().unwrap());
        assert!(prefilled.is_edited());
        prefilled.key("backspace".parse().unwrap());
        assert!(
            !prefilled.is_edited(),
            "typed and deleted again: nothing to lose"
        );
    }
}
