//! Text on its way to a terminal: characters that would hide, reorder or act on the screen
//! shown as visible escapes instead.
//!
//! Label values, annotations, documents and journal notes come from outside (an Alertmanager, a
//! webhook client, a runbook, another person's note). Printed raw, an `ESC ] 52 ; c ; … BEL`
//! writes the terminal's clipboard, `ESC [ 2 J` clears the screen, `ESC ] 0 ; … BEL` retitles the
//! window, and bidi overrides make text read differently from what it is. The TUI escapes them
//! where it draws (`tui::overlays::step`); the commands' human output goes through
//! [`for_terminal`]. JSON output is left exact (serde escapes control characters itself).
//!
//! Pure: text in, text out.

use std::borrow::Cow;

/// Characters that would hide or reorder text, or act on a terminal: every control character
/// (C0, DEL, C1: ESC, BEL, CSI …), zero-width characters, bidi controls, the BOM, the soft
/// hyphen.
pub fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width spaces and joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'
            | '\u{061C}'
            | '\u{00AD}')
}

/// The visible escape of an invisible character: `\u{001b}`.
pub fn escape_char(c: char) -> String {
    format!("\\u{{{:04x}}}", u32::from(c))
}

/// Multi-line human output made safe to print: line breaks and tabs stay, every other
/// [`invisible`] character becomes its escape (`\u{001b}`), a carriage return `\r`. Borrowed
/// when there is nothing to escape.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && c != '\t' && invisible(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if invisible(c) => out.push_str(&escape_char(c)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_but_keeps_lines() {
        let hostile = "a\u{1b}]52;c;cm0gLXJmIH4=\u{7}b\u{1b}[2Jc\u{9b}2J\r\n\td\u{202e}e";
        let safe = for_terminal(hostile);
        assert!(!safe.chars().any(|c| c != '\n' && c != '\t' && invisible(c)));
        assert_eq!(
            safe,
            "a\\u{001b}]52;c;cm0gLXJmIH4=\\u{0007}b\\u{001b}[2Jc\\u{009b}2J\\r\n\td\\u{202e}e"
        );
        assert!(matches!(for_terminal("plain\ntext"), Cow::Borrowed(_)));
    }
}
