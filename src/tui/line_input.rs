//! A one-line text editor for the palette and filter overlays: the text, a cursor, and the
//! handful of edits a prompt needs. Pure data, so update stays testable without a terminal.

/// One edit to a [`LineInput`], produced by `handle_key` while an overlay has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineEdit {
    Insert(char),
    /// Delete the character before the cursor (Backspace).
    DeleteBack,
    /// Delete the character under the cursor (Delete).
    DeleteForward,
    Left,
    Right,
    Home,
    End,
    /// Delete everything before the cursor (Ctrl-U).
    ClearToStart,
    /// Delete the word before the cursor (Ctrl-W).
    DeleteWord,
}

/// Text plus a cursor counted in characters (not bytes), always on a char boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    cursor: usize,
}

impl LineInput {
    pub fn new(text: &str) -> Self {
        LineInput {
            text: text.to_owned(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Cursor position in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn apply(&mut self, edit: LineEdit) {
        let len = self.text.chars().count();
        match edit {
            LineEdit::Insert(c) => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
            }
            LineEdit::DeleteBack if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            LineEdit::DeleteForward if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            LineEdit::Left => self.cursor = self.cursor.saturating_sub(1),
            LineEdit::Right => self.cursor = (self.cursor + 1).min(len),
            LineEdit::Home => self.cursor = 0,
            LineEdit::End => self.cursor = len,
            LineEdit::ClearToStart => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            LineEdit::DeleteWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                let (from, to) = (self.byte_at(start), self.byte_at(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
            }
            LineEdit::DeleteBack | LineEdit::DeleteForward => {}
        }
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> LineInput {
        let mut input = LineInput::default();
        s.chars().for_each(|c| input.apply(LineEdit::Insert(c)));
        input
    }

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut input = typed("añb");
        input.apply(LineEdit::Left);
        input.apply(LineEdit::DeleteBack);
        assert_eq!((input.text(), input.cursor()), ("ab", 1));
        input.apply(LineEdit::Insert('é'));
        assert_eq!(input.text(), "aéb");
        input.apply(LineEdit::Home);
        input.apply(LineEdit::DeleteBack);
        input.apply(LineEdit::DeleteForward);
        assert_eq!((input.text(), input.cursor()), ("éb", 0));
    }

    #[test]
    fn deletes_words_and_to_start() {
        let mut input = typed("speed  sixty");
        input.apply(LineEdit::DeleteWord);
        assert_eq!(input.text(), "speed  ");
        input.apply(LineEdit::DeleteWord);
        assert_eq!(input.text(), "");
        let mut input = typed("abc def");
        input.apply(LineEdit::Left);
        input.apply(LineEdit::ClearToStart);
        assert_eq!((input.text(), input.cursor()), ("f", 0));
    }
}
