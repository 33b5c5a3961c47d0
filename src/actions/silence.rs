//! Silences: an Alertmanager silence for a cluster, as a step like any other.
//!
//! A silence is proposed from the focused cluster (matchers from its common labels, a
//! duration, a comment), becomes a suggestion in the approvals queue, is approved through the
//! same confirm flow and policy as a runbook step, and only then is created. Its argv is the
//! `amtool silence add …` command that means the same thing: that is what the person confirms
//! and what the approval's hash binds to, and the edge creates the silence *from that argv*
//! (through the Alertmanager API, not by running amtool), so what runs is what was approved.
//!
//! Matchers are equality (`name=value`) or one-of several literal values (`name=~a|b`, sent
//! as an anchored regex of escaped literals). Free regexes are refused: flightdeck must be able
//! to say exactly which alerts a silence will mute.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::step::format_duration_exact;
use crate::time::SignedDuration;

/// The longest silence flightdeck creates: an incident's silence should not outlive the
/// shift that made it.
pub const MAX_SILENCE: SignedDuration = SignedDuration::from_hours(24);
/// The duration offered by default.
pub const DEFAULT_SILENCE: SignedDuration = SignedDuration::from_hours(2);

const PROGRAM: [&str; 3] = ["amtool", "silence", "add"];

/// One matcher: the label equals one of `values` (one value: plain equality).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceMatcher {
    pub name: String,
    pub values: Vec<String>,
}

impl SilenceMatcher {
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        SilenceMatcher {
            name: name.into(),
            values: vec![value.into()],
        }
    }

    /// Alertmanager's view: the value, and whether it is a regex.
    pub fn am_value(&self) -> (String, bool) {
        match self.values.as_slice() {
            [one] => (one.clone(), false),
            many => (
                many.iter()
                    .map(|v| regex::escape(v))
                    .collect::<Vec<_>>()
                    .join("|"),
                true,
            ),
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        // Alertmanager treats a missing label as the empty string.
        let value = labels.get(&self.name).map_or("", String::as_str);
        self.values.iter().any(|v| v == value)
    }

    /// `name=value` or `name=~a|b`, as amtool takes it.
    fn arg(&self) -> String {
        match self.am_value() {
            (value, true) => format!("{}=~{value}", self.name),
            // `a=~x` and `a=!x` would read back as other matchers: say it as a one-of.
            (value, false) if value.starts_with(['~', '!']) => {
                format!("{}=~{}", self.name, regex::escape(&value))
            }
            (value, false) => format!("{}={value}", self.name),
        }
    }

    fn parse(text: &str) -> Result<SilenceMatcher, SilenceError> {
        let (name, rest) = text
            .split_once('=')
            .ok_or_else(|| SilenceError::NotAMatcher(text.to_string()))?;
        let name = name.trim();
        if !is_label_name(name) {
            return Err(SilenceError::LabelName(name.to_string()));
        }
        let values = match rest.strip_prefix('~') {
            Some(alternation) => {
                split_literals(alternation).ok_or_else(|| SilenceError::NotLiteral {
                    name: name.to_string(),
                    alternation: alternation.to_string(),
                })?
            }
            None if rest.starts_with('!') => {
                return Err(SilenceError::Negative(text.to_string()));
            }
            None => vec![rest.to_string()],
        };
        if values.iter().all(String::is_empty) {
            return Err(SilenceError::EmptyValue(name.to_string()));
        }
        Ok(SilenceMatcher {
            name: name.to_string(),
            values,
        })
    }
}

impl fmt::Display for SilenceMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.values.as_slice() {
            [one] => write!(f, "{}=\"{one}\"", self.name),
            many => write!(f, "{} in {{{}}}", self.name, many.join(", ")),
        }
    }
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `a|b\.c` into literals, or `None` if any alternative is a real regex (then what it
/// mutes could not be stated exactly). Escaping each literal again must give back the text.
fn split_literals(alternation: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut raw = String::new();
    let mut chars = alternation.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                current.push(next);
                raw.push('\\');
                raw.push(next);
            }
            '|' => {
                if regex::escape(&current) != raw {
                    return None;
                }
                parts.push(std::mem::take(&mut current));
                raw.clear();
            }
            c => {
                current.push(c);
                raw.push(c);
            }
        }
    }
    if regex::escape(&current) != raw {
        return None;
    }
    parts.push(current);
    Some(parts)
}

/// A silence to create: what it mutes, for how long, who asks and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRequest {
    pub matchers: Vec<SilenceMatcher>,
    pub duration: SignedDuration,
    pub author: String,
    pub comment: String,
}

impl SilenceRequest {
    /// Every matcher holds for these labels (Alertmanager ANDs matchers).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
    }

    /// `amtool silence add --author=… --duration=… --comment=… name=value …`: one element per
    /// argument, as shown for confirmation and bound by the approval.
    pub fn to_argv(&self) -> Vec<String> {
        let mut argv: Vec<String> = PROGRAM.iter().map(|s| s.to_string()).collect();
        argv.push(format!("--author={}", self.author));
        argv.push(format!(
            "--duration={}",
            format_duration_exact(self.duration)
        ));
        argv.push(format!("--comment={}", self.comment));
        argv.extend(self.matchers.iter().map(SilenceMatcher::arg));
        argv
    }

    /// The inverse of [`to_argv`](Self::to_argv): what the edge creates from an approved argv.
    pub fn from_argv(argv: &[String]) -> Result<SilenceRequest, SilenceError> {
        if argv.len() < PROGRAM.len() || argv[..PROGRAM.len()] != PROGRAM {
            return Err(SilenceError::NotSilenceAdd);
        }
        let mut author = None;
        let mut lines = Vec::new();
        for arg in &argv[PROGRAM.len()..] {
            match arg.strip_prefix("--author=") {
                Some(a) => author = Some(a.to_string()),
                None => lines.push(arg.clone()),
            }
        }
        let author = author.ok_or(SilenceError::NoAuthorFlag)?;
        SilenceRequest::from_form(&lines, &author)
    }

    /// The editable form the cockpit shows: one matcher per line, then `--duration=` and
    /// `--comment=` lines.
    pub fn form(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.matchers.iter().map(SilenceMatcher::arg).collect();
        lines.push(format!(
            "--duration={}",
            format_duration_exact(self.duration)
        ));
        lines.push(format!("--comment={}", self.comment));
        lines
    }

    /// Reads the form back; every error names the line and the fix.
    pub fn from_form(lines: &[String], author: &str) -> Result<SilenceRequest, SilenceError> {
        let mut matchers: Vec<SilenceMatcher> = Vec::new();
        let mut duration = None;
        let mut comment = None;
        for (i, line) in lines.iter().enumerate() {
            let at = |why: SilenceError| SilenceError::AtLine {
                line: i + 1,
                why: Box::new(why),
            };
            let text = line.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            if let Some(d) = text.strip_prefix("--duration=") {
                let d = crate::time::parse_duration(d.trim()).map_err(|why| {
                    at(SilenceError::Duration {
                        text: d.to_string(),
                        why,
                    })
                })?;
                duration = Some(d);
            } else if let Some(c) = text.strip_prefix("--comment=") {
                comment = Some(c.trim().to_string());
            } else if text.starts_with("--") {
                return Err(at(SilenceError::UnknownFlag(text.to_string())));
            } else {
                let m = SilenceMatcher::parse(text).map_err(at)?;
                if matchers.iter().any(|o| o.name == m.name) {
                    return Err(at(SilenceError::Twice(m.name)));
                }
                matchers.push(m);
            }
        }
        if matchers.is_empty() {
            return Err(SilenceError::NoMatcher);
        }
        let duration = duration.ok_or(SilenceError::NoDuration)?;
        if duration <= SignedDuration::ZERO {
            return Err(SilenceError::NotPositive);
        }
        if duration > MAX_SILENCE {
            return Err(SilenceError::TooLong(duration));
        }
        let comment = comment.unwrap_or_default();
        if comment.is_empty() {
            return Err(SilenceError::NoComment);
        }
        if author.trim().is_empty() {
            return Err(SilenceError::NoAuthor);
        }
        Ok(SilenceRequest {
            matchers,
            duration,
            author: author.to_string(),
            comment,
        })
    }

    /// One line for summaries: `alertname="X", namespace="y" for 2h`.
    pub fn describe(&self) -> String {
        let matchers: Vec<String> = self.matchers.iter().map(ToString::to_string).collect();
        format!(
            "{} for {}",
            matchers.join(", "),
            format_duration_exact(self.duration)
        )
    }
}

/// A silence form or argv flightdeck will not send to Alertmanager; each message names what to
/// write instead (form errors name their line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error("{0:?} is not a matcher: write name=value or name=~a|b")]
    NotAMatcher(String),
    #[error("{0:?} is not a label name (letters, digits and _, not starting with a digit)")]
    LabelName(String),
    #[error(
        "{name}=~{alternation}: only alternatives of literal values are supported \
         (a|b|c, with regex characters escaped)"
    )]
    NotLiteral { name: String, alternation: String },
    #[error("{0:?}: negative matchers are not supported; list the values to silence")]
    Negative(String),
    #[error("{0}: an empty value would match every alert without the label")]
    EmptyValue(String),
    #[error("not an `amtool silence add` command")]
    NotSilenceAdd,
    #[error("no --author")]
    NoAuthorFlag,
    #[error("--duration={text}: {why} (write e.g. 30m, 2h, 1h30m)")]
    Duration {
        text: String,
        why: crate::time::TimeError,
    },
    #[error("{0:?}: only --duration= and --comment= are understood")]
    UnknownFlag(String),
    #[error("{0} is matched twice")]
    Twice(String),
    /// A problem of one line of the form (1-based).
    #[error("line {line}: {why}")]
    AtLine { line: usize, why: Box<SilenceError> },
    #[error("no matcher: a silence needs at least one name=value line")]
    NoMatcher,
    #[error("no --duration= line (e.g. --duration=2h)")]
    NoDuration,
    #[error("--duration must be positive")]
    NotPositive,
    #[error(
        "--duration={} is longer than {}: silence for the incident, not for good",
        format_duration_exact(*.0),
        format_duration_exact(MAX_SILENCE)
    )]
    TooLong(SignedDuration),
    #[error("--comment= is empty: say why (Alertmanager and the journal keep it)")]
    NoComment,
    #[error("no author: set user in the config or $USER")]
    NoAuthor,
}

/// What a dry run of a silence step says: what it would create.
pub fn dry_run_text(argv: &[String], context: &str) -> String {
    match SilenceRequest::from_argv(argv) {
        Ok(s) => format!(
            "dry run ({context}): would create the silence {}",
            s.describe()
        ),
        Err(e) => format!("dry run ({context}): not a valid silence: {e}"),
    }
}

/// The matchers offered for a cluster: its common labels (minus the ones that only say where
/// an alert was evaluated), and, when its alerts have several names, `alertname` as one-of.
pub fn default_matchers<'a>(
    common_labels: impl IntoIterator<Item = (&'a String, &'a String)>,
    alertnames: impl IntoIterator<Item = &'a String>,
) -> Vec<SilenceMatcher> {
    const NOT_IDENTITY: [&str; 3] = ["prometheus", "receive", "replica"];
    let mut out: Vec<SilenceMatcher> = common_labels
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && !NOT_IDENTITY.contains(&k.as_str()))
        .map(|(k, v)| SilenceMatcher::equal(k.clone(), v.clone()))
        .collect();
    if !out.iter().any(|m| m.name == "alertname") {
        let mut names: Vec<String> = alertnames.into_iter().cloned().collect();
        names.sort();
        names.dedup();
        if !names.is_empty() {
            out.insert(
                0,
                SilenceMatcher {
                    name: "alertname".into(),
                    values: names,
                },
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_form_becomes_a_request_and_an_amtool_argv() {
        let req = SilenceRequest::from_form(
            &lines(&[
                "alertname=~PgBouncerPoolExhausted|PostgresTooManyConnections",
                "namespace=checkout",
                "--duration=2h",
                "--comment=pool fix in progress",
            ]),
            "alice",
        )
        .unwrap();
        assert_eq!(req.duration, SignedDuration::from_hours(2));
        assert_eq!(
            req.to_argv(),
            [
                "amtool",
                "silence",
                "add",
                "--author=alice",
                "--duration=2h",
                "--comment=pool fix in progress",
                "alertname=~PgBouncerPoolExhausted|PostgresTooManyConnections",
                "namespace=checkout",
            ]
        );
        assert_eq!(SilenceRequest::from_argv(&req.to_argv()).unwrap(), req);
        assert!(req.matches(&labels(&[
            ("alertname", "PostgresTooManyConnections"),
            ("namespace", "checkout")
        ])));
        assert!(!req.matches(&labels(&[
            ("alertname", "PostgresTooManyConnections"),
            ("namespace", "cart")
        ])));
        assert!(!req.matches(&labels(&[("alertname", "PgBouncerPoolExhausted")])));
    }

    #[test]
    fn bad_forms_name_the_line_and_the_fix() {
        let err = |text: &[&str]| {
            SilenceRequest::from_form(&lines(text), "alice")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&["a=b", "--duration=soon", "--comment=x"]),
            "line 2: --duration=soon: \"soon\" is not a duration (use e.g. 90s, 5m, 1h30m, 2d) \
             (write e.g. 30m, 2h, 1h30m)"
        );
        assert!(err(&["--duration=2h", "--comment=x"]).contains("no matcher"));
        assert!(err(&["a=b", "--comment=x"]).contains("--duration"));
        assert!(err(&["a=b", "--duration=2h", "--comment="]).contains("say why"));
        assert!(err(&["a=b", "--duration=3d", "--comment=x"]).contains("longer than"));
        assert!(err(&["a=b", "--duration=soon", "--comment=x"]).starts_with("line 2:"));
        assert!(err(&["9a=b", "--duration=2h", "--comment=x"]).contains("label name"));
        assert!(err(&["a=~.*", "--duration=2h", "--comment=x"]).contains("literal"));
        assert!(err(&["a!=b", "--duration=2h", "--comment=x"]).contains("label name"));
        assert!(err(&["a=", "--duration=2h", "--comment=x"]).contains("empty value"));
        assert!(err(&["a=b", "a=c", "--duration=2h", "--comment=x"]).contains("twice"));
        assert!(err(&["a=b", "--force", "--duration=2h", "--comment=x"]).contains("only"));
    }

    #[test]
    fn regex_characters_in_values_are_escaped_and_read_back() {
        let m = SilenceMatcher {
            name: "instance".into(),
            values: vec!["db-1.example:5432".into(), "a|b".into()],
        };
        let (value, regex) = m.am_value();
        assert!(regex);
        assert_eq!(value, r"db\-1\.example:5432|a\|b");
        assert_eq!(SilenceMatcher::parse(&m.arg()).unwrap(), m);
    }

    #[test]
    fn default_matchers_use_common_labels_and_alertnames() {
        let common = labels(&[
            ("namespace", "checkout"),
            ("prometheus", "k8s/main"),
            ("severity", "critical"),
        ]);
        let names = ["B".to_string(), "A".to_string(), "B".to_string()];
        let m = default_matchers(&common, &names);
        assert_eq!(
            m,
            vec![
                SilenceMatcher {
                    name: "alertname".into(),
                    values: vec!["A".into(), "B".into()]
                },
                SilenceMatcher::equal("namespace", "checkout"),
                SilenceMatcher::equal("severity", "critical"),
            ]
        );
    }

    proptest! {
        /// Whatever the label values, the argv reads back to the same silence (what is created
        /// is what was approved).
        #[test]
        fn argv_round_trips(
            // Values and comment as they are kept: no whitespace at either end.
            values in proptest::collection::vec("[^\\s]([^\\n\\r]{0,10}[^\\s])?", 1..4),
            comment in "[a-z;$`'\"()|]([a-z ;$`'\"()|]{0,18}[a-z;$`'\"()|])?",
            minutes in 1i64..1440,
        ) {
            let req = SilenceRequest {
                matchers: vec![
                    SilenceMatcher { name: "alertname".into(), values: values.clone() },
                    SilenceMatcher::equal("namespace", values[0].clone()),
                ],
                duration: SignedDuration::from_mins(minutes),
                author: "alice".into(),
                comment: comment.trim().to_string(),
            };
            prop_assert!(values.iter().all(|v| v.trim() == v));
            prop_assert_eq!(SilenceRequest::from_argv(&req.to_argv()), Ok(req));
        }
    }
}
