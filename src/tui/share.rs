//! Copy and open (issue 20.5), the pure half: which step or alert a key means, the text or
//! URL it takes, and the bytes and argv the runtime writes or runs (`crate::terminal`).
//!
//! - `y` copies the step's command line, `Y` its argv one element a line, through OSC 52
//!   (the terminal sets the clipboard; over SSH too). Nothing with a control character in it
//!   is copied (a newline in an argument would run when pasted), nor anything over
//!   [`COPY_LIMIT`]; a notice says what was copied.
//! - `o` opens the alert's `runbook_url`, `p` its Prometheus graph (`generatorURL`), `A` the
//!   Alertmanager page of its alertname (live, from `[alertmanager] url`). Only http(s) URLs,
//!   handed to `xdg-open` (or macOS `open`) as one argv element, never through a shell; with
//!   no opener (no display: an SSH session) the URL is shown and copied instead.

use super::action::Action;
use super::app::{App, Overlay, Page, Pane};
use super::command::Command;
use super::overlays::output::OutputOf;
use super::panes;
use crate::alerts::TrackedAlert;
use crate::cockpit::{Cockpit, Suggestion, SuggestionId};

/// The most text copied at once (terminals cap OSC 52; tmux and xterm near 100 000 bytes of
/// base64). A command line cut short is worse than none, so more is refused, not cut.
pub const COPY_LIMIT: usize = 32 * 1024;
/// The longest URL opened.
pub const URL_LIMIT: usize = 8 * 1024;

/// The keys of this module, answered here (from the panes and from the reading overlays).
pub fn is_share(action: Action) -> bool {
    matches!(
        action,
        Action::CopyCommand
            | Action::CopyArgv
            | Action::OpenRunbook
            | Action::OpenGraph
            | Action::OpenAlertmanager
    )
}

/// Applies a copy or open key: the command for the runtime, or a notice saying why not.
pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    let result = match action {
        Action::CopyCommand | Action::CopyArgv => copy_step(app, view, action),
        Action::OpenRunbook => open_runbook(app, view),
        Action::OpenGraph => alert_url(app, view, "Prometheus graph (generatorURL)", |a| {
            a.alert.generator_url.clone()
        })
        .map(|(url, what)| Command::Open { url, what }),
        Action::OpenAlertmanager => open_alertmanager(app, view),
        _ => return Vec::new(),
    };
    match result {
        Ok(command) => vec![command],
        Err(why) => {
            app.info(why.to_string());
            Vec::new()
        }
    }
}

/// The step a copy key means: the one open (step view, its output, its confirmation), else
/// the approvals pane's selection while that pane has focus.
fn step_of(app: &App, view: &Cockpit) -> Option<SuggestionId> {
    match &app.overlay {
        Overlay::Read {
            page: Page::Step(id) | Page::Output(OutputOf::Step(id)),
            ..
        }
        | Overlay::Confirm {
            what: super::app::Confirm::Approve(id),
            ..
        } => Some(*id),
        Overlay::None if app.focus == Pane::Approvals => panes::approvals::target(app, view),
        _ => None,
    }
}

/// Why a copy or open key did nothing; shown as a notice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("y and Y copy a step: select one in the approvals pane (4) or open it")]
    NoStep,
    #[error("that step is gone")]
    StepGone,
    #[error("{0}: a shell step (values in its environment): read it in the step view")]
    ShellStep(SuggestionId),
    #[error("{id}: no argv to copy: {why}")]
    NoArgv { id: SuggestionId, why: String },
    #[error(
        "{0}'s argv holds a control character (a newline, an escape): not copied, read it in the step view"
    )]
    ControlInArgv(SuggestionId),
    #[error("nothing to copy")]
    NothingToCopy,
    #[error("{0} bytes is more than the {COPY_LIMIT} a terminal takes at once")]
    TooLong(usize),
    #[error("it holds a control character ({0:?})")]
    ControlInText(char),
    /// The URL's first 40 characters, made safe for the terminal.
    #[error("only http(s) URLs are opened, not {0:?}")]
    NotWeb(String),
    #[error("the URL holds a space or a control character")]
    UrlSpace,
    #[error("the URL is longer than {URL_LIMIT} bytes")]
    UrlTooLong,
    #[error("no cluster selected")]
    NoCluster,
    #[error("no alert selected")]
    NoAlert,
    /// An alert without the link a key opens (`what`: `runbook_url`, …).
    #[error("{name} has no {what}")]
    NoLink { name: String, what: String },
    #[error(
        "no alert of {cluster} links {title:?} (a runbook_url naming {stem}): it is the local file {path}"
    )]
    RunbookNotLinked {
        cluster: String,
        title: String,
        stem: String,
        path: String,
    },
    #[error(
        "the Alertmanager page needs the live cockpit with an [alertmanager] url in the config"
    )]
    NoAlertmanager,
}

fn copy_step(app: &App, view: &Cockpit, action: Action) -> Result<Command, ShareError> {
    let id = step_of(app, view).ok_or(ShareError::NoStep)?;
    let s = view.suggestion(id).ok_or(ShareError::StepGone)?;
    let (text, form) = step_text(s, action == Action::CopyArgv)?;
    Ok(Command::Copy {
        text,
        what: format!("{id}'s {form}"),
    })
}

/// A step's command line (quoted as a shell would need it) or its argv one element a line.
pub fn step_text(s: &Suggestion, one_a_line: bool) -> Result<(String, &'static str), ShareError> {
    let argv = match &s.argv {
        Ok(argv) if argv.is_empty() && s.step.script().is_some() => {
            return Err(ShareError::ShellStep(s.id));
        }
        Ok(argv) => argv,
        Err(why) => {
            return Err(ShareError::NoArgv {
                id: s.id,
                why: why.to_string(),
            });
        }
    };
    if argv.iter().any(|a| a.chars().any(char::is_control)) {
        return Err(ShareError::ControlInArgv(s.id));
    }
    Ok(if one_a_line {
        (argv.join("\n"), "argv (one element a line)")
    } else {
        (crate::actions::shell_display(argv), "command line")
    })
}

/// The OSC 52 sequence that puts `text` on the clipboard, or why it is not copied.
pub fn osc52(text: &str) -> Result<Vec<u8>, ShareError> {
    if text.is_empty() {
        return Err(ShareError::NothingToCopy);
    }
    if text.len() > COPY_LIMIT {
        return Err(ShareError::TooLong(text.len()));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(ShareError::ControlInText(c));
    }
    let mut out = b"\x1b]52;c;".to_vec();
    out.extend_from_slice(base64(text.as_bytes()).as_bytes());
    out.push(0x07);
    Ok(out)
}

/// Standard base64 with padding (RFC 4648).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `url` if it may be opened: http or https, no spaces or control characters, not too long.
pub fn web_url(url: &str) -> Result<&str, ShareError> {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        let head: String = url.chars().take(40).collect();
        let shown = crate::sanitize::for_terminal(&head).to_string();
        return Err(ShareError::NotWeb(shown));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ShareError::UrlSpace);
    }
    if url.len() > URL_LIMIT {
        return Err(ShareError::UrlTooLong);
    }
    Ok(url)
}

/// The program that opens a URL here: `$FLIGHTDECK_OPENER` if set, macOS `open`, else
/// `xdg-open` when there is a display to open it on (none over SSH: the URL is shown and
/// copied instead).
pub fn opener(os: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(program) = env("FLIGHTDECK_OPENER").filter(|p| !p.trim().is_empty()) {
        return Some(program);
    }
    if os == "macos" {
        return Some("open".into());
    }
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|k| env(k).is_some_and(|v| !v.is_empty()));
    display.then(|| "xdg-open".into())
}

/// The alert a key to open means: the one open in the reader, the detail pane's selection,
/// else the first of the focused cluster's members that has what `get` looks for.
fn alert_url(
    app: &App,
    view: &Cockpit,
    what: &str,
    get: impl Fn(&TrackedAlert) -> Option<String>,
) -> Result<(String, String), ShareError> {
    let chosen = match app.overlay {
        Overlay::Read {
            page: Page::Alert(fp),
            ..
        } => Some(fp),
        Overlay::None if app.focus == Pane::Detail => panes::detail::selected(app, view),
        _ => None,
    };
    let alert = match chosen {
        Some(fp) => view.alert(fp),
        None => {
            let cluster = panes::clusters::focused(app, view).ok_or(ShareError::NoCluster)?;
            let members = panes::detail::ordered_members(view, cluster);
            members
                .iter()
                .find(|a| get(a).is_some())
                .or(members.first())
                .copied()
        }
    }
    .ok_or(ShareError::NoAlert)?;
    let name = alert.alert.name().to_string();
    let url = get(alert).ok_or_else(|| ShareError::NoLink {
        name: name.clone(),
        what: what.to_string(),
    })?;
    let name = if name.is_empty() {
        "the alert"
    } else {
        name.as_str()
    };
    let url = web_url(&url)?.to_string();
    Ok((url, format!("{name}'s {what}")))
}

fn runbook_url(a: &TrackedAlert) -> Option<String> {
    a.alert
        .annotation("runbook_url")
        .or(a.alert.annotation("runbook"))
        .map(str::to_string)
}

/// `o`: the alert's `runbook_url`; in the knowledge pane (or reading a runbook), the
/// `runbook_url` of a focused cluster's alert that names this runbook's file.
fn open_runbook(app: &App, view: &Cockpit) -> Result<Command, ShareError> {
    let doc = match app.overlay {
        Overlay::Read {
            page: Page::Document(doc),
            ..
        } => Some(doc),
        Overlay::None if app.focus == Pane::Knowledge => panes::knowledge::selected(app, view),
        _ => None,
    };
    if let Some(doc) = doc {
        let (path, title) = view.knowledge().doc_path_title(doc);
        let stem = std::path::Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let cluster = panes::clusters::focused(app, view).ok_or(ShareError::NoCluster)?;
        let url = panes::detail::ordered_members(view, cluster)
            .into_iter()
            .filter_map(runbook_url)
            .find(|u| url_names(u, &stem))
            .ok_or_else(|| ShareError::RunbookNotLinked {
                cluster: cluster.name.to_string(),
                title: title.to_string(),
                stem: stem.clone(),
                path: path.to_string(),
            })?;
        let url = web_url(&url)?.to_string();
        return Ok(Command::Open {
            url,
            what: format!("the runbook_url of {title:?}"),
        });
    }
    alert_url(app, view, "runbook_url", runbook_url).map(|(url, what)| Command::Open { url, what })
}

/// Does `url`'s last path segment (without `.md` and the like) name `stem`?
pub fn url_names(url: &str, stem: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let last = last.split('.').next().unwrap_or(last).to_lowercase();
    !stem.is_empty() && last == stem
}

/// `A`: the Alertmanager's page of the alert's alertname (live, with `[alertmanager] url`).
fn open_alertmanager(app: &App, view: &Cockpit) -> Result<Command, ShareError> {
    let base = app.alertmanager.clone().ok_or(ShareError::NoAlertmanager)?;
    let (url, what) = alert_url(app, view, "Alertmanager page", |a| {
        Some(alertmanager_page(&base, a.alert.name()))
    })?;
    Ok(Command::Open { url, what })
}

/// The Alertmanager UI's list of the alerts named `alertname`.
pub fn alertmanager_page(base: &str, alertname: &str) -> String {
    let filter = format!("{{alertname=\"{alertname}\"}}");
    format!(
        "{}/#/alerts?silenced=false&inhibited=false&active=true&filter={}",
        base.trim_end_matches('/'),
        percent_encode(&filter)
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (text, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(text.as_bytes()), encoded, "{text:?}");
        }
    }

    #[test]
    fn osc52_wraps_the_text_and_refuses_what_is_unsafe_or_too_big() {
        assert_eq!(osc52("foo").unwrap(), b"\x1b]52;c;Zm9v\x07");
        assert!(osc52("kubectl\nget").is_ok(), "argv one a line");
        assert!(osc52("a\x1b]52;c;x\x07").is_err(), "an escape inside");
        assert!(osc52("a\rb").is_err());
        assert!(osc52("").is_err());
        assert!(osc52(&"x".repeat(COPY_LIMIT)).is_ok());
        assert!(osc52(&"x".repeat(COPY_LIMIT + 1)).is_err());
    }

    #[test]
    fn only_plain_http_urls_are_opened() {
        assert_eq!(
            web_url(" https://runbooks.example/a.md ").unwrap(),
            "https://runbooks.example/a.md"
        );
        assert!(web_url("HTTP://p:9090/graph?g0.expr=up").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "--help",
            "ssh://host",
            "https://a b",
            "https://a\x1b[2J",
            "",
        ] {
            assert!(web_url(bad).is_err(), "{bad:?}");
        }
        assert!(web_url(&format!("https://a/{}", "x".repeat(URL_LIMIT))).is_err());
    }

    #[test]
    fn the_opener_needs_a_display_except_on_macos_or_when_named() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(opener("linux", &env(&[])), None, "over SSH");
        assert_eq!(
            opener("linux", &env(&[("DISPLAY", ":0")])).as_deref(),
            Some("xdg-open")
        );
        assert_eq!(
            opener("linux", &env(&[("WAYLAND_DISPLAY", "wayland-0")])).as_deref(),
            Some("xdg-open")
        );
        assert_eq!(opener("linux", &env(&[("DISPLAY", "")])), None);
        assert_eq!(opener("macos", &env(&[])).as_deref(), Some("open"));
        assert_eq!(
            opener("linux", &env(&[("FLIGHTDECK_OPENER", "/usr/bin/firefox")])).as_deref(),
            Some("/usr/bin/firefox")
        );
    }

    #[test]
    fn a_runbook_url_names_a_runbook_by_its_file_stem() {
        let url = "https://runbooks.internal.example/checkout-high-error-rate.md";
        assert!(url_names(url, "checkout-high-error-rate"));
        assert!(url_names(
            "https://r.example/runbooks/kubernetes/kubepodcrashlooping/#anchor",
            "kubepodcrashlooping"
        ));
        assert!(!url_names(url, "checkout"));
        assert!(!url_names(url, ""));
    }

    #[test]
    fn the_alertmanager_page_filters_on_the_alertname() {
        assert_eq!(
            alertmanager_page("http://am:9093/", "Checkout 5xx"),
            "http://am:9093/#/alerts?silenced=false&inhibited=false&active=true&filter=%7Balertname%3D%22Checkout%205xx%22%7D"
        );
    }
}
