//! The TOML configuration of live mode (`flightdeck --config FILE`, or `flightdeck.toml` in the
//! config directory): who you are, the journal, knowledge directories, SLO files and their
//! queries, Prometheus, Alertmanager, the webhook receiver, clustering and topology.
//!
//! Edge code: it reads files. Every problem names the file, the line and column, the field,
//! and a fix; `flightdeck check` ([`check`]) reports them all at once, `flightdeck init`
//! ([`init`]) writes the commented example in `config/` (a test loads it, so it never rots).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::actions::Role;
use crate::alerts::ClusterConfig;
use crate::diagnostic::Diagnostic;
use crate::knowledge::{DocError, DocKind, KnowledgeBase};
use crate::slo::{SliQueries, SloSpec};
use crate::sources::prometheus::SloTarget;
use crate::sources::{
    AlertmanagerSettings, NoLiveQuery, PrometheusSettings, SliQuery, SourceSet, WebhookSettings,
};
use crate::time::SignedDuration;

mod check;
mod ctx;
mod init;
mod raw;
mod resolve;
pub use check::*;
use ctx::Ctx;
pub use ctx::NotAnAddress;
pub use init::*;
use raw::Raw;
use resolve::resolve;

/// The config file's name in the config directory.
pub const FILE_NAME: &str = "flightdeck.toml";
/// The commented example, written by `flightdeck init`.
pub const EXAMPLE: &str = include_str!("../config/flightdeck.toml");
/// The example SLO files the example config names (path relative to it, text).
pub const EXAMPLE_SLOS: [(&str, &str); 2] = [
    (
        "slos/checkout-availability.yaml",
        include_str!("../config/slos/checkout-availability.yaml"),
    ),
    (
        "slos/search-latency.sloth.yaml",
        include_str!("../config/slos/search-latency.sloth.yaml"),
    ),
];

/// `<config dir>/flightdeck.toml` (`FLIGHTDECK_HOME/config/…` when set).
pub fn default_path() -> Option<PathBuf> {
    crate::paths::config_dir().map(|d| d.join(FILE_NAME))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem with the configuration or a file it names: a located [`Diagnostic`] with its
/// severity. In `flightdeck check --json` its fields are flat (`severity`, `path`, `line`,
/// `column`, `field`, `message`, `fix`); an unknown line or column is `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
}

impl Problem {
    /// An error: the configuration cannot be used.
    pub fn error(diagnostic: Diagnostic) -> Problem {
        Problem {
            severity: Severity::Error,
            diagnostic,
        }
    }

    /// A warning: reported, and the configuration is used.
    pub fn warning(diagnostic: Diagnostic) -> Problem {
        Problem {
            severity: Severity::Warning,
            diagnostic,
        }
    }

    /// The same problem as a warning.
    pub fn as_warning(self) -> Problem {
        Problem::warning(self.diagnostic)
    }
}

/// A problem at `path`, at a TOML/YAML place whose line and column are 1-based with 0 for
/// unknown (as [`Located`] and `line_col` give them).
pub(crate) fn located(
    path: impl Into<String>,
    (line, column): (u64, u64),
    field: impl Into<String>,
    message: impl Into<String>,
) -> Diagnostic {
    let column = u32::try_from(column).ok().filter(|c| *c > 0);
    Diagnostic::new(path, (line > 0).then_some(line), field, message).at_column(column)
}

/// `path:line:column: [warning: ]field: message (fix)`, each part only when it is known.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.diagnostic;
        f.write_str(&d.place())?;
        if self.severity == Severity::Warning {
            write!(f, ": warning")?;
        }
        write!(f, ": ")?;
        if !d.field.is_empty() {
            write!(f, "{}: ", d.field)?;
        }
        write!(f, "{}", d.message)?;
        if !d.fix.is_empty() {
            write!(f, " ({})", d.fix)?;
        }
        Ok(())
    }
}

/// The configuration could not be used; every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<&Problem> = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        for (i, p) in errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub line: u64,
    pub column: u64,
}

/// The resolved configuration: paths absolute, durations parsed, URLs checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub user: Option<String>,
    pub role: Option<Role>,
    pub journal: Option<PathBuf>,
    /// `[journal] url`: a PostgreSQL journal shared by a team (`postgres://…`), instead of
    /// the file.
    pub journal_url: Option<String>,
    pub knowledge: Vec<(DocKind, Located<PathBuf>)>,
    /// `[experiments] dir`: the chaos experiment files the cockpit shows (`x`) with whether
    /// each may start and why; `experiment run` runs them.
    pub experiments: Option<Located<PathBuf>>,
    pub slo_files: Vec<Located<PathBuf>>,
    /// Queries given in the config, by SLO name; they win over the files' queries.
    pub slo_queries: BTreeMap<String, Located<SliQueries>>,
    pub prometheus: Option<PrometheusSettings>,
    pub alertmanager: Option<AlertmanagerSettings>,
    pub webhook: Option<WebhookSettings>,
    pub clustering: ClusterConfig,
    /// Bytes the tracked alerts may take (`[clustering] memory_budget`); new alerts beyond it
    /// are refused with a notice (`crate::alerts::episode`).
    pub alert_budget: usize,
    pub mode_hold: SignedDuration,
    /// The `[ui]` section: colours and glyphs (`None` = detected from the terminal).
    pub ui: UiSettings,
    /// `[team] commanders`: who may act as incident commander (`None`: no roster, anyone who
    /// claims the role with `--role commander` or `[user] role`).
    pub commanders: Option<Vec<String>>,
    /// Warnings found while reading (the errors make `load` fail).
    pub warnings: Vec<Problem>,
}

/// `[ui]`: what the terminal can show. `colors = "auto" | "none" | "16" | "256"`,
/// `glyphs = "auto" | "unicode" | "ascii"`; auto reads `NO_COLOR`, `TERM` and the locale.
/// `bell = true | false` (default true): ring the terminal bell when the mode changes or a
/// critical cluster appears. `mouse = true | false` (default true): clicks and the wheel;
/// false leaves the mouse to the terminal (its own text selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiSettings {
    pub colors: Option<crate::tui::theme::Colors>,
    pub glyphs: Option<crate::tui::theme::Glyphs>,
    pub bell: bool,
    pub mouse: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            colors: None,
            glyphs: None,
            bell: true,
            mouse: true,
        }
    }
}

impl UiSettings {
    /// The look for this terminal: these settings, else what the environment says.
    pub fn look(&self) -> crate::tui::theme::Look {
        crate::tui::theme::Look::detect(self.colors, self.glyphs, &|k| std::env::var(k).ok())
    }

    /// Only the `[ui]` section of the config file at `path` (replay reads no other part; a
    /// missing file or a bad section is the default, which `flightdeck check` reports).
    pub fn read(path: &Path) -> UiSettings {
        #[derive(Deserialize)]
        struct OnlyUi {
            ui: Option<RawUi>,
        }
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| toml::from_str::<OnlyUi>(&t).ok())
            .and_then(|o| o.ui)
            .map(RawUi::settings)
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default, Clone, Copy)]
enum UiColors {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "none")]
    None,
    #[serde(rename = "16")]
    Ansi16,
    #[serde(rename = "256")]
    Ansi256,
}

#[derive(Deserialize, Default, Clone, Copy)]
enum UiGlyphs {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "unicode")]
    Unicode,
    #[serde(rename = "ascii")]
    Ascii,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawUi {
    #[serde(default)]
    colors: UiColors,
    #[serde(default)]
    glyphs: UiGlyphs,
    bell: Option<bool>,
    mouse: Option<bool>,
}

impl RawUi {
    fn settings(self) -> UiSettings {
        use crate::tui::theme::{Colors, Glyphs};
        UiSettings {
            colors: match self.colors {
                UiColors::Auto => None,
                UiColors::None => Some(Colors::None),
                UiColors::Ansi16 => Some(Colors::Ansi16),
                UiColors::Ansi256 => Some(Colors::Ansi256),
            },
            glyphs: match self.glyphs {
                UiGlyphs::Auto => None,
                UiGlyphs::Unicode => Some(Glyphs::Unicode),
                UiGlyphs::Ascii => Some(Glyphs::Ascii),
            },
            bell: self.bell.unwrap_or(true),
            mouse: self.mouse.unwrap_or(true),
        }
    }
}

// ---- reading ----------------------------------------------------------------------------------

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, col)
}

/// The dotted field (`table.key`) whose value is written at byte `offset` of TOML `text`:
/// the key before `=` on that line, under the nearest `[table]` header above it.
fn toml_field_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let key = line.split_once('=')?.0.trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_string(),
    })
}

impl Config {
    /// Reads and resolves a config file. Errors name every problem; warnings are kept in
    /// `Config::warnings`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            problems: vec![Problem::error(
                Diagnostic::new(shown.clone(), None, "", format!("cannot read: {e}"))
                    .with_fix("run `flightdeck init` to write a starter config"),
            )],
        })?;
        Config::parse(path, &text)
    }

    /// Resolves config text as if read from `path` (relative paths are against its directory).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            let mut message = e.message().trim().to_string();
            // Name the field a value error is about (`backfill = "yes"` → prometheus.backfill),
            // and the key a misspelled one was meant to be.
            let field = match e.span() {
                Some(sp) if !message.contains("unknown field") => {
                    toml_field_at(text, sp.start).unwrap_or_default()
                }
                _ => String::new(),
            };
            if let Some(rest) = message.strip_prefix("unknown field `")
                && let Some((unknown, tail)) = rest.split_once('`')
                && let Some(list) = tail.split_once("expected one of ").map(|x| x.1)
            {
                let known: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
                if let Some(near) = crate::slo::parse::did_you_mean(unknown, &known) {
                    message = format!("unknown field `{unknown}`, did you mean `{near}`?");
                }
            }
            let fix = if message.contains("unknown field") {
                "see config/flightdeck.toml (or `flightdeck init`) for the known keys"
            } else {
                ""
            };
            ConfigError {
                problems: vec![Problem::error(
                    located(shown.clone(), (line, column), field, message).with_fix(fix),
                )],
            }
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let mut cx = Ctx {
            path: shown,
            text,
            base,
            problems: Vec::new(),
        };
        let config = resolve(&mut cx, raw, path);
        if cx.problems.iter().any(|p| p.severity == Severity::Error) {
            return Err(ConfigError {
                problems: cx.problems,
            });
        }
        Ok(Config {
            warnings: cx.problems,
            ..config
        })
    }

    /// The SLOs of the configured files, each with its live queries (or why it has none), and
    /// the problems met (unreadable files, spec errors with their line, unknown overrides).
    pub fn load_slos(&self) -> (Vec<LiveSlo>, Vec<Problem>) {
        let mut slos: Vec<LiveSlo> = Vec::new();
        let mut problems = Vec::new();
        let problem = |path: String, line, column, field: &str, message: String, fix: &str| {
            Problem::error(located(path, (line, column), field, message).with_fix(fix))
        };
        let config_path = self.path.display().to_string();
        for file in &self.slo_files {
            let shown = file.value.display().to_string();
            let text = match std::fs::read_to_string(&file.value) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(problem(
                        config_path.clone(),
                        file.line,
                        file.column,
                        "slo.files",
                        format!("{shown}: cannot read: {e}"),
                        "fix the path (relative paths are against the config file)",
                    ));
                    continue;
                }
            };
            match crate::slo::parse_slo_file(&shown, &text) {
                Ok(parsed) => {
                    for p in parsed {
                        if let Some(first) = slos.iter().find(|s| s.spec.name == p.spec.name) {
                            problems.push(problem(
                                shown.clone(),
                                p.line,
                                0,
                                "metadata.name",
                                format!(
                                    "SLO {:?} is also defined in {}",
                                    p.spec.name, first.origin
                                ),
                                "SLO names must be unique",
                            ));
                            continue;
                        }
                        let (queries, from_config) = match self.slo_queries.get(&p.spec.name) {
                            Some(q) => (q.value.clone(), true),
                            None => (p.queries.clone(), false),
                        };
                        let mut query = SliQuery::from_queries(&p.spec.name, &queries);
                        let syntax = crate::slo::promql::syntax_errors(&queries);
                        for e in &syntax {
                            let (path, line, column, field) = if from_config {
                                let q = &self.slo_queries[&p.spec.name];
                                let field = format!("slo.queries.{}.{}", p.spec.name, e.part);
                                (config_path.clone(), q.line, q.column, field)
                            } else {
                                let line = crate::slo::promql::line_of(&text, &e.query, p.line)
                                    .unwrap_or(p.line);
                                (shown.clone(), line, 0, format!("{} query", e.part))
                            };
                            problems.push(problem(
                                path,
                                line,
                                column,
                                &field,
                                format!("{}: not valid PromQL: {}", p.spec.name, e.message),
                                "fix the query (try it in Prometheus's expression browser)",
                            ));
                        }
                        if let Some(e) = syntax.first() {
                            query = Err(NoLiveQuery::NotPromql(e.part));
                        } else if let Err(e) = &query {
                            let (path, line, column, field) = if from_config {
                                let q = &self.slo_queries[&p.spec.name];
                                let field = format!("slo.queries.{}", p.spec.name);
                                (config_path.clone(), q.line, q.column, field)
                            } else {
                                (shown.clone(), p.line, 0, "spec.indicator".to_string())
                            };
                            let message = format!("{}: {e}", p.spec.name);
                            problems.push(
                                problem(path, line, column, &field, message, "").as_warning(),
                            );
                        }
                        slos.push(LiveSlo {
                            spec: p.spec,
                            query,
                            origin: format!("{shown}:{}", p.line),
                        });
                    }
                }
                Err(e) => problems.push(problem(
                    e.path.clone(),
                    e.line,
                    e.column,
                    &e.field,
                    e.message.clone(),
                    "",
                )),
            }
        }
        for (name, q) in &self.slo_queries {
            if !slos.iter().any(|s| &s.spec.name == name) {
                problems.push(problem(
                    config_path.clone(),
                    q.line,
                    q.column,
                    &format!("slo.queries.{name}"),
                    format!("no SLO named {name:?} in the SLO files"),
                    "use the SLO's metadata.name (Sloth: <service>-<name>)",
                ));
            }
        }
        (slos, problems)
    }

    /// The configured knowledge directories.
    pub fn knowledge_dirs(&self) -> Vec<(DocKind, PathBuf)> {
        self.knowledge
            .iter()
            .map(|(k, p)| (*k, p.value.clone()))
            .collect()
    }

    /// The runbooks and postmortems of the configured directories.
    pub fn load_knowledge(&self) -> (KnowledgeBase, Vec<DocError>) {
        crate::load::knowledge_dirs(&self.knowledge_dirs())
    }

    /// The sources to start for these SLOs (those without usable queries are left out).
    pub fn source_set(&self, slos: &[LiveSlo]) -> SourceSet {
        let targets: Vec<SloTarget> = slos
            .iter()
            .filter_map(|s| {
                let query = s.query.as_ref().ok()?.clone();
                Some(SloTarget {
                    query,
                    window_ms: s.spec.window.as_millis().clamp(0, i64::MAX as i128) as i64,
                })
            })
            .collect();
        SourceSet {
            prometheus: self.prometheus.clone().map(|p| (p, targets)),
            alertmanager: self.alertmanager.clone(),
            webhook: self.webhook.clone(),
        }
    }

    /// The core's settings from this config (who sits at the cockpit is the caller's to set).
    pub fn cockpit_config(&self) -> crate::cockpit::CockpitConfig {
        crate::cockpit::CockpitConfig {
            clustering: self.clustering.clone(),
            mode_hold: self.mode_hold,
            dry_run: false,
            commanders: self.commanders.clone(),
            ..crate::cockpit::CockpitConfig::default()
        }
    }

    /// The journal file: the config's, else `journal.jsonl` in the data directory.
    pub fn journal_path(&self) -> Option<PathBuf> {
        self.journal
            .clone()
            .or_else(|| crate::paths::data_dir().map(|d| d.join("journal.jsonl")))
    }
}

/// An SLO for live mode.
#[derive(Debug, Clone)]
pub struct LiveSlo {
    pub spec: SloSpec,
    /// The queries the Prometheus poller runs, or why there are none.
    pub query: Result<SliQuery, NoLiveQuery>,
    /// `file:line`.
    pub origin: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/fd/flightdeck.toml"), text)
    }

    #[test]
    fn minimal_config_and_defaults() {
        let c = parse("[prometheus]\nurl = \"http://prom:9090/\"\n").unwrap();
        let p = c.prometheus.unwrap();
        assert_eq!(p.interval, Duration::from_secs(15));
        assert_eq!(p.timeout, Duration::from_secs(5));
        assert!(p.backfill);
        assert!(c.webhook.is_none());
        assert!(c.alertmanager.is_none());
    }

    #[test]
    fn errors_name_line_column_field_and_fix() {
        let e = parse("[prometheus]\nurl = \"prom:9090\"\ninterval = \"soon\"\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("/etc/fd/flightdeck.toml:2:7: prometheus.url:"),
            "{text}"
        );
        assert!(
            text.contains("/etc/fd/flightdeck.toml:3:12: prometheus.interval:"),
            "{text}"
        );
        let e = parse("[prometheus]\nurl = \"http://x\"\nintreval = \"1s\"\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(":3:1:") && text.contains("unknown field"),
            "{text}"
        );
        assert!(text.contains("known keys"), "{text}");
    }

    #[test]
    fn a_value_of_the_wrong_type_names_its_field_and_a_misspelled_key_its_intended_one() {
        for (text, field) in [
            (
                "[prometheus]\nurl = \"http://x\"\nbackfill = \"yes\"\n",
                "prometheus.backfill",
            ),
            (
                "[webhook]\nmax_connections = \"many\"\n",
                "webhook.max_connections",
            ),
            (
                "[clustering]\ntext_similarity = 1\n[webhook]\n",
                "clustering.text_similarity",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.problems[0].diagnostic.field, field, "{e}");
        }
        let e = parse("[prometheus]\nurl = \"http://x\"\nintervall = \"1s\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown field `intervall`, did you mean `interval`?"),
            "{e}"
        );
        let c = parse("[alertmanager]\nurl = \"http://x\"\ninterval = \"5s\"\ntimeout = \"6s\"\n")
            .unwrap();
        assert_eq!(c.warnings[0].diagnostic.field, "alertmanager.timeout");
        let c = parse("[alertmanager]\nurl = \"http://x\"\ninterval = \"5s\"\ntimeout = \"4s\"\n")
            .unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn webhook_off_loopback_needs_a_token() {
        let e = parse("[webhook]\nlisten = \"0.0.0.0:9099\"\n").unwrap_err();
        assert!(e.to_string().contains(":2:10: webhook.listen:"), "{e}");
        let c = parse("[webhook]\nlisten = \"0.0.0.0:9099\"\ntoken = \"t\"\n").unwrap();
        assert_eq!(c.webhook.unwrap().token.as_deref(), Some("t"));
        // A blank token passes no request: refused where it is written, on or off loopback.
        for listen in ["127.0.0.1:9099", "0.0.0.0:9099"] {
            for blank in ["", " ", "\\t \\n"] {
                let e = parse(&format!(
                    "[webhook]\nlisten = \"{listen}\"\ntoken = \"{blank}\"\n"
                ))
                .unwrap_err();
                assert!(e.to_string().contains(":3:9: webhook.token:"), "{e}");
                assert!(e.to_string().contains("whitespace"), "{e}");
            }
        }
        let c = parse("[webhook]\ntoken = \" t \"\n").unwrap();
        assert_eq!(c.webhook.unwrap().token.as_deref(), Some("t"));
        let c = parse("[webhook]\n").unwrap();
        let w = c.webhook.unwrap();
        assert_eq!(w.listen.to_string(), "127.0.0.1:9099");
        assert_eq!(w.body_limit, 1 << 20);
    }

    #[test]
    fn receiver_limits_and_the_alert_budget() {
        let c = parse(
            "[webhook]\nmax_connections = 32\nheader_timeout = \"3s\"\nbody_timeout = \"1m\"\n\
             [clustering]\nmemory_budget = 67108864\n",
        )
        .unwrap();
        let w = c.webhook.unwrap();
        assert_eq!(w.max_connections, 32);
        assert_eq!(w.header_timeout, Duration::from_secs(3));
        assert_eq!(w.body_timeout, Duration::from_secs(60));
        assert_eq!(c.alert_budget, 64 << 20);
        let c = parse("[webhook]\n").unwrap();
        assert_eq!(c.alert_budget, crate::alerts::episode::DEFAULT_BUDGET);
        assert_eq!(c.webhook.unwrap().header_timeout, Duration::from_secs(10));
        let e = parse("[webhook]\nheader_timeout = \"1h\"\n").unwrap_err();
        assert!(e.to_string().contains("webhook.header_timeout"), "{e}");
        let e = parse("[webhook]\nmax_connections = 0\n").unwrap_err();
        assert!(e.to_string().contains("webhook.max_connections"), "{e}");
        let e = parse("[webhook]\n[clustering]\nmemory_budget = 1000\n").unwrap_err();
        assert!(e.to_string().contains("less than 1 MiB"), "{e}");
    }

    #[test]
    fn nothing_to_watch_is_an_error() {
        let e = parse("[user]\nrole = \"commander\"\n").unwrap_err();
        assert!(e.to_string().contains("nothing to watch"), "{e}");
        let e = parse("[user]\nrole = \"boss\"\n[webhook]\n").unwrap_err();
        assert!(e.to_string().contains(":2:8: user.role:"), "{e}");
    }

    #[test]
    fn paths_resolve_against_the_config_file() {
        let c = parse(
            "[knowledge]\nrunbooks = [\"rb\", \"/abs/rb\"]\n[slo]\nfiles = [\"slos/a.yaml\"]\n[webhook]\n",
        )
        .unwrap();
        assert_eq!(c.knowledge[0].1.value, PathBuf::from("/etc/fd/rb"));
        assert_eq!(c.knowledge[1].1.value, PathBuf::from("/abs/rb"));
        assert_eq!(c.slo_files[0].value, PathBuf::from("/etc/fd/slos/a.yaml"));
        let x = parse("[experiments]\ndir = \"chaos\"\n[webhook]\n").unwrap();
        assert_eq!(
            x.experiments.map(|d| d.value),
            Some(PathBuf::from("/etc/fd/chaos"))
        );
        assert_eq!(c.slo_files[0].line, 4);
        assert_eq!(
            c.warnings.len(),
            1,
            "SLO files without prometheus: {:?}",
            c.warnings
        );
    }
    #[test]
    fn the_ui_section_sets_colours_and_glyphs_and_names_a_bad_value() {
        use crate::tui::theme::{Colors, Glyphs};
        let c = parse("[webhook]\n").unwrap();
        assert_eq!(c.ui, UiSettings::default(), "auto when absent");
        let c = parse("[webhook]\n[ui]\ncolors = \"none\"\nglyphs = \"ascii\"\n").unwrap();
        assert_eq!(c.ui.colors, Some(Colors::None));
        assert_eq!(c.ui.glyphs, Some(Glyphs::Ascii));
        let c = parse("[webhook]\n[ui]\ncolors = \"16\"\nglyphs = \"auto\"\n").unwrap();
        assert_eq!((c.ui.colors, c.ui.glyphs), (Some(Colors::Ansi16), None));
        let e = parse("[webhook]\n[ui]\nglyphs = \"braille\"\n").unwrap_err();
        let p = &e.problems[0];
        assert_eq!(p.diagnostic.line, Some(3), "{p:?}");
        assert!(
            p.diagnostic.message.contains("ascii"),
            "the error lists the choices: {p:?}"
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flightdeck.toml");
        std::fs::write(&file, "[ui]\nglyphs = \"ascii\"\n").unwrap();
        assert_eq!(
            UiSettings::read(&file).glyphs,
            Some(Glyphs::Ascii),
            "replay reads [ui] alone"
        );
        assert_eq!(
            UiSettings::read(&dir.path().join("none.toml")),
            UiSettings::default()
        );
    }

    #[test]
    fn the_ui_bell_is_on_unless_turned_off() {
        assert!(parse("[webhook]\n").unwrap().ui.bell, "default: on");
        assert!(
            parse("[webhook]\n[ui]\ncolors = \"none\"\n")
                .unwrap()
                .ui
                .bell
        );
        assert!(!parse("[webhook]\n[ui]\nbell = false\n").unwrap().ui.bell);
        assert!(parse("[webhook]\n[ui]\nbell = true\n").unwrap().ui.bell);
        let e = parse("[webhook]\n[ui]\nbell = \"loud\"\n").unwrap_err();
        assert_eq!(
            e.problems[0].diagnostic.line,
            Some(3),
            "{:?}",
            e.problems[0]
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("flightdeck.toml");
        std::fs::write(&file, "[ui]\nbell = false\n").unwrap();
        assert!(!UiSettings::read(&file).bell, "replay reads it too");
    }
}
