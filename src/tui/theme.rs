//! Colours, emphasis and glyphs, all in one place. A colour always repeats something the text
//! already says (a label, a marker, a number): it speeds reading but is never the only carrier
//! of meaning.
//!
//! What the terminal can show is the [`Look`]: the colours (`none`, 16, 256) and the glyphs
//! (Unicode or plain ASCII). It is chosen once at start-up ([`Look::detect`]: `NO_COLOR`, `TERM`
//! and the locale, unless the config's `[ui]` section says) and set with [`set_look`]; tests
//! draw with another look on their own thread ([`with_look`]).
//!
//! Without colour every style falls back to modifiers (reverse, bold, underline) and never to
//! `Style::default()` for something that must stand out. With ASCII glyphs, [`asciify`] maps
//! whatever a frame drew outside ASCII (borders, markers, arrows, ellipses, braille) to a plain
//! stand-in from [`ascii_glyph`], one table for every pane.

use std::cell::Cell;
use std::sync::OnceLock;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use crate::slo::Mode;

/// How many colours the terminal gets. The palette uses only the 16 ANSI colours, so `16` and
/// `256` draw the same; `none` draws with modifiers only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colors {
    None,
    Ansi16,
    Ansi256,
}

/// Which characters the terminal's font has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyphs {
    Unicode,
    Ascii,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub colors: Colors,
    pub glyphs: Glyphs,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            colors: Colors::Ansi256,
            glyphs: Glyphs::Unicode,
        }
    }
}

/// Terminals whose name says they have no colour.
fn monochrome_term(term: &str) -> bool {
    term == "dumb" || term.ends_with("-mono") || term.ends_with("-m") || term == "vt100"
}

/// Terminals whose console font lacks box drawing, braille and symbols.
fn ascii_term(term: &str) -> bool {
    matches!(
        term,
        "linux" | "dumb" | "vt100" | "vt102" | "vt220" | "cons25" | "xterm-mono"
    ) || term.starts_with("vt")
}

impl Look {
    /// The look for this terminal. `colors` and `glyphs` are the config's `[ui]` settings
    /// (`None` = auto); `env` reads an environment variable (a parameter so tests need not
    /// change the process's environment).
    ///
    /// Auto colours: none when `NO_COLOR` is set (to anything but the empty string) or `TERM`
    /// names a monochrome terminal (`dumb`, `*-mono`, `*-m`, `vt100`); 16 for `TERM=linux`;
    /// else 256. Auto glyphs: ASCII when `TERM` names a console without Unicode fonts (`linux`,
    /// `vt*`, `dumb`, `xterm-mono`) or the locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`, the
    /// first that is set) does not say UTF-8; with no locale variable set, `TERM` alone decides.
    pub fn detect(
        colors: Option<Colors>,
        glyphs: Option<Glyphs>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Look {
        let term = env("TERM").unwrap_or_default();
        let colors = colors.unwrap_or_else(|| {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) || monochrome_term(&term) {
                Colors::None
            } else if term == "linux" {
                Colors::Ansi16
            } else {
                Colors::Ansi256
            }
        });
        let glyphs = glyphs.unwrap_or_else(|| {
            let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
                .into_iter()
                .find_map(|k| env(k).filter(|v| !v.is_empty()));
            let utf8_locale = locale.map(|l| {
                let l = l.to_ascii_lowercase();
                l.contains("utf-8") || l.contains("utf8")
            });
            if ascii_term(&term) || utf8_locale == Some(false) {
                Glyphs::Ascii
            } else {
                Glyphs::Unicode
            }
        });
        Look { colors, glyphs }
    }
}

static LOOK: OnceLock<Look> = OnceLock::new();

thread_local! {
    static THREAD_LOOK: Cell<Option<Look>> = const { Cell::new(None) };
}

/// Sets the process's look (once, at start-up; later calls are ignored).
pub fn set_look(look: Look) {
    let _ = LOOK.set(look);
}

static BELL: OnceLock<bool> = OnceLock::new();

/// Sets whether the terminal bell rings for attention (`[ui] bell`; once, at start-up).
pub fn set_bell(bell: bool) {
    let _ = BELL.set(bell);
}

static MOUSE: OnceLock<bool> = OnceLock::new();

/// Sets whether the cockpit takes the mouse (`[ui] mouse`; once, at start-up).
pub fn set_mouse(mouse: bool) {
    let _ = MOUSE.set(mouse);
}

/// Does the cockpit take clicks and the wheel (default: yes)? Capture keeps the terminal's
/// own text selection from working (Shift held still selects in most terminals).
pub fn mouse() -> bool {
    MOUSE.get().copied().unwrap_or(true)
}

/// Does the bell ring for attention (default: yes)?
pub fn bell() -> bool {
    BELL.get().copied().unwrap_or(true)
}

/// The look frames are drawn with.
pub fn look() -> Look {
    THREAD_LOOK
        .with(Cell::get)
        .unwrap_or_else(|| LOOK.get().copied().unwrap_or_default())
}

/// Runs `f` with `look` on this thread only (tests, benchmarks).
pub fn with_look<R>(look: Look, f: impl FnOnce() -> R) -> R {
    let before = THREAD_LOOK.with(|c| c.replace(Some(look)));
    struct Restore(Option<Look>);
    impl Drop for Restore {
        fn drop(&mut self) {
            THREAD_LOOK.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(before);
    f()
}

fn colored() -> bool {
    look().colors != Colors::None
}

pub fn ascii() -> bool {
    look().glyphs == Glyphs::Ascii
}

/// A style in colour, or its stand-in without colour: `mono` modifiers (added to `mods`).
fn paint(fg: Option<Color>, bg: Option<Color>, mods: Modifier, mono: Modifier) -> Style {
    if colored() {
        let mut s = Style::default().add_modifier(mods);
        if let Some(fg) = fg {
            s = s.fg(fg);
        }
        if let Some(bg) = bg {
            s = s.bg(bg);
        }
        s
    } else {
        Style::default().add_modifier(mods | mono)
    }
}

/// A plain-text stand-in for a character a console font may lack (`None`: keep it, it is
/// ASCII). Braille cells (chart lines) become `*`; a blank braille cell a space.
pub fn ascii_glyph(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return None;
    }
    Some(match c {
        '\u{2800}' => " ",
        '\u{2801}'..='\u{28ff}' => "*",
        '─' | '━' | '═' | '╌' | '┄' | '—' | '–' | '‒' | '―' | '−' => "-",
        '│' | '┃' | '║' | '┆' | '┊' | '╎' => "|",
        '┌' | '┐' | '└' | '┘' | '╭' | '╮' | '╰' | '╯' | '┼' | '├' | '┤' | '┬' | '┴' | '╔' | '╗'
        | '╚' | '╝' | '┏' | '┓' | '┗' | '┛' => "+",
        '…' => ".",
        '·' | '•' | '●' | '◦' | '∙' => "*",
        '○' => "o",
        '■' | '█' | '▇' | '▆' | '▅' | '▄' | '▃' | '▂' | '▁' | '▀' | '▌' | '▐' => {
            "#"
        }
        '░' | '▒' | '▓' => ":",
        '›' | '▶' | '→' | '▸' | '►' | '↪' => ">",
        '‹' | '◀' | '←' | '◂' => "<",
        '↑' | '▲' | '△' => "^",
        '↓' | '▼' | '▽' => "v",
        '↔' => "-",
        '×' => "x",
        '⏸' => "|",
        '≥' => ">",
        '≤' => "<",
        '✓' | '✔' => "+",
        '✗' | '✘' => "x",
        '“' | '”' | '„' => "\"",
        '‘' | '’' => "'",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'á' | 'à' | 'â' | 'ä' => "a",
        'ñ' => "n",
        'ó' | 'ò' | 'ô' | 'ö' => "o",
        'ú' | 'ù' | 'û' | 'ü' => "u",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'ç' => "c",
        _ => "?",
    })
}

/// Replaces every non-ASCII cell of `buffer` by its [`ascii_glyph`] (with ASCII glyphs on;
/// the last step of a frame). Wide characters leave their trailing cell blank.
pub fn asciify(buffer: &mut Buffer) {
    if !ascii() {
        return;
    }
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let mut out = String::new();
        for c in symbol.chars() {
            // Combining marks and variation selectors add nothing in ASCII.
            if ('\u{300}'..='\u{36f}').contains(&c) || ('\u{fe00}'..='\u{fe0f}').contains(&c) {
                continue;
            }
            if out.is_empty() {
                out.push_str(ascii_glyph(c).unwrap_or(""));
            }
        }
        if out.is_empty() {
            out.push(' ');
        }
        cell.set_symbol(&out);
    }
}

/// The distinct point markers of chart lines when colour cannot tell them apart (or braille
/// cannot be drawn); the legend shows each line's marker.
pub const CHART_MARKERS: [char; 6] = ['o', 'x', '+', '#', '@', '%'];

pub fn text() -> Style {
    Style::default()
}

/// Secondary text (without colour: plain; it is never the only mark of anything).
pub fn dim() -> Style {
    paint(
        Some(Color::DarkGray),
        None,
        Modifier::empty(),
        Modifier::empty(),
    )
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    paint(Some(Color::Cyan), None, Modifier::BOLD, Modifier::empty())
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn border(focused: bool) -> Style {
    if focused {
        paint(Some(Color::Cyan), None, Modifier::empty(), Modifier::BOLD)
    } else {
        paint(
            Some(Color::DarkGray),
            None,
            Modifier::empty(),
            Modifier::empty(),
        )
    }
}

/// The selected row of a list (it also carries a `›` marker).
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// The mode badge: the label is always printed inside it (without colour: reverse video).
/// The mode badge while the header flashes for attention: the colours swapped, blinking
/// (without colour: the badge loses its reverse video, and blinks).
pub fn mode_flash(mode: Mode) -> Style {
    let bg = match mode {
        Mode::Adaptive => Color::Green,
        Mode::Freeze => Color::Yellow,
        Mode::Redesign => Color::Red,
    };
    paint(
        Some(bg),
        Some(Color::Black),
        Modifier::BOLD | Modifier::SLOW_BLINK,
        Modifier::BOLD | Modifier::SLOW_BLINK | Modifier::UNDERLINED,
    )
}

pub fn mode(mode: Mode) -> Style {
    let bg = match mode {
        Mode::Adaptive => Color::Green,
        Mode::Freeze => Color::Yellow,
        Mode::Redesign => Color::Red,
    };
    paint(
        Some(Color::Black),
        Some(bg),
        Modifier::BOLD,
        Modifier::REVERSED,
    )
}

pub fn good() -> Style {
    paint(
        Some(Color::Green),
        None,
        Modifier::empty(),
        Modifier::empty(),
    )
}

pub fn warn() -> Style {
    paint(Some(Color::Yellow), None, Modifier::empty(), Modifier::BOLD)
}

pub fn bad() -> Style {
    paint(Some(Color::Red), None, Modifier::BOLD, Modifier::UNDERLINED)
}

/// A burn-rate window that takes part in a firing condition.
pub fn firing() -> Style {
    paint(
        Some(Color::White),
        Some(Color::Red),
        Modifier::BOLD,
        Modifier::REVERSED,
    )
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
    paint(
        Some(Color::Magenta),
        None,
        Modifier::empty(),
        Modifier::BOLD,
    )
}

/// Code: inline `code` and code blocks in the reader (the reader also indents code blocks
/// behind a gutter, so the colour is not the only mark).
pub fn code() -> Style {
    paint(
        Some(Color::LightBlue),
        None,
        Modifier::empty(),
        Modifier::empty(),
    )
}

/// The colour of the `i`-th line of a chart (`None` without colour: its marker tells it).
pub fn series(i: usize) -> Style {
    const COLOURS: [Color; 6] = [
        Color::Cyan,
        Color::Yellow,
        Color::Magenta,
        Color::Green,
        Color::LightRed,
        Color::LightBlue,
    ];
    paint(
        Some(COLOURS[i % COLOURS.len()]),
        None,
        Modifier::empty(),
        Modifier::empty(),
    )
}

/// Whether chart lines need their own markers to be told apart (no colour, or no braille).
pub fn chart_needs_markers() -> bool {
    !colored() || ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_look_follows_no_color_term_and_the_locale() {
        let look = |vars: &[(&str, &str)]| Look::detect(None, None, &env(vars));
        let utf8 = ("LANG", "en_US.UTF-8");
        assert_eq!(look(&[("TERM", "xterm-256color"), utf8]), Look::default());
        assert_eq!(
            look(&[("TERM", "xterm-256color"), utf8, ("NO_COLOR", "1")]).colors,
            Colors::None
        );
        assert_eq!(
            look(&[("TERM", "xterm-256color"), utf8, ("NO_COLOR", "")]).colors,
            Colors::Ansi256,
            "an empty NO_COLOR is unset (no-color.org)"
        );
        let linux = look(&[("TERM", "linux"), utf8]);
        assert_eq!(linux.colors, Colors::Ansi16);
        assert_eq!(linux.glyphs, Glyphs::Ascii);
        let mono = look(&[("TERM", "xterm-mono"), utf8]);
        assert_eq!((mono.colors, mono.glyphs), (Colors::None, Glyphs::Ascii));
        assert_eq!(
            look(&[("TERM", "xterm"), ("LANG", "C")]).glyphs,
            Glyphs::Ascii
        );
        assert_eq!(
            look(&[
                ("TERM", "xterm"),
                ("LANG", "en_US.UTF-8"),
                ("LC_ALL", "POSIX")
            ])
            .glyphs,
            Glyphs::Ascii,
            "LC_ALL wins over LANG"
        );
        assert_eq!(
            look(&[("TERM", "xterm"), ("LC_CTYPE", "de_DE.utf8")]).glyphs,
            Glyphs::Unicode
        );
        assert_eq!(look(&[("TERM", "xterm")]).glyphs, Glyphs::Unicode);
        // The config's setting wins over everything.
        let set = Look::detect(
            Some(Colors::Ansi256),
            Some(Glyphs::Unicode),
            &env(&[("TERM", "linux"), ("NO_COLOR", "1"), ("LANG", "C")]),
        );
        assert_eq!(set, Look::default());
    }

    #[test]
    fn every_non_ascii_glyph_has_a_one_character_ascii_stand_in() {
        for c in ('\u{80}'..='\u{2fff}').chain('\u{2800}'..='\u{28ff}') {
            let g = ascii_glyph(c).unwrap();
            assert!(g.is_ascii() && g.len() == 1, "{c:?} → {g:?}");
        }
        assert_eq!(ascii_glyph('a'), None);
    }

    #[test]
    fn without_colour_nothing_that_stood_out_goes_plain() {
        let mono = Look {
            colors: Colors::None,
            glyphs: Glyphs::Unicode,
        };
        with_look(mono, || {
            for s in [
                mode(Mode::Freeze),
                mode(Mode::Redesign),
                firing(),
                bad(),
                warn(),
                key(),
                selected(),
                border(true),
            ] {
                assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
                assert!(!s.add_modifier.is_empty(), "{s:?} must stand out");
            }
            assert!(mode(Mode::Freeze).add_modifier.contains(Modifier::REVERSED));
        });
        assert!(
            mode(Mode::Freeze).bg.is_some(),
            "the look is back after with_look"
        );
    }
}
