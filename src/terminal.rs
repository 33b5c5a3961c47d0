//! Writes to the terminal that are not frames: mouse reporting on and off (issue 20.4), the
//! clipboard through OSC 52 and the bell. The bytes are made in pure code
//! (`crate::tui::share`); this is where they meet the terminal, only when stdout is one.

use std::io::{IsTerminal, Write};
use std::sync::Once;

/// Button presses and the wheel (1000), reported in SGR form (1006): no motion reports, so a
/// moving pointer sends nothing.
pub const MOUSE_ON: &[u8] = b"\x1b[?1000h\x1b[?1006h";
pub const MOUSE_OFF: &[u8] = b"\x1b[?1006l\x1b[?1000l";

/// Writes `bytes` to stdout when it is a terminal (a test's captured output gets none).
pub fn write_terminal(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    if !out.is_terminal() {
        return Ok(());
    }
    out.write_all(bytes)?;
    out.flush()
}

/// Turns mouse reporting on or off. Off is written on every way out (quit, signal, suspend,
/// panic): a shell left with mouse reporting on prints escape codes at every click.
pub fn mouse(on: bool) -> std::io::Result<()> {
    if on {
        MOUSE_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let _ = write_terminal(MOUSE_OFF);
                previous(info);
            }));
        });
    }
    write_terminal(if on { MOUSE_ON } else { MOUSE_OFF })
}

static MOUSE_HOOK: Once = Once::new();

/// The terminal bell (BEL), for attention. A failed write is no reason to stop the cockpit.
pub fn ring_bell() {
    let _ = write_terminal(b"\x07");
}

/// Puts `text` on the clipboard through the terminal (OSC 52) and says what was copied, or
/// why not.
pub fn copy(text: &str, what: &str) -> crate::tui::Msg {
    use crate::tui::Msg;
    match crate::tui::share::osc52(text) {
        Ok(bytes) => match write_terminal(&bytes) {
            Ok(()) => Msg::info(format!(
                "copied {what} ({} bytes) to the clipboard (OSC 52; the terminal must allow it)",
                text.len()
            )),
            Err(e) => Msg::warn(format!("{what} not copied: {e}")),
        },
        Err(why) => Msg::warn(format!("{what} not copied: {why}")),
    }
}

/// Opens an http(s) URL with the system's opener, as one argv element (no shell); with no
/// opener, or one that cannot start, shows the URL and copies it.
pub fn open(url: &str, what: &str) -> crate::tui::Msg {
    use crate::tui::Msg;
    use std::process::{Command, Stdio};
    let url = match crate::tui::share::web_url(url) {
        Ok(url) => url,
        Err(why) => return Msg::warn(format!("{what} not opened: {why}")),
    };
    let instead = |why: String| {
        let copied = crate::tui::share::osc52(url)
            .map_err(|e| e.to_string())
            .and_then(|b| write_terminal(&b).map_err(|e| e.to_string()))
            .map_or_else(|e| format!("not copied: {e}"), |()| "copied".to_string());
        Msg::info(format!("{what}: {url} ({why}; {copied})"))
    };
    let Some(program) = crate::tui::share::opener(std::env::consts::OS, &|k| std::env::var(k).ok())
    else {
        return instead("no display to open it on".into());
    };
    let spawned = Command::new(&program)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reaped when it ends (xdg-open hands the URL on and exits).
            std::thread::spawn(move || child.wait());
            Msg::info(format!("opening {what}: {url} ({program})"))
        }
        Err(e) => instead(format!("{program}: {e}")),
    }
}
