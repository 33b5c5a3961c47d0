//! Runbook steps: what a suggested action is, how its argv is filled from an alert, and how a
//! candidate step is taken from a fenced code block of a runbook written without our schema.
//!
//! A placeholder (`{{labels.NAME}}`, `{{annotations.NAME}}`) is replaced *inside* the one argv
//! element it appears in; a value can never split into several elements, whatever it contains.
//! Steps that declare `shell: true` never get values spliced into their script: they receive them
//! as environment variables ([`shell_env`]).
//!
//! Size: about 640 lines of code and 180 of tests; the templating, the code-block reader and
//! the shell splitter belong together (a step is what they build). The read-only classifier
//! lives in [`super::tools`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::tools::{guess_kind, guess_script_kind, program_and_subcommand};
use crate::time::SignedDuration;

/// One action a runbook suggests.
///
/// On the wire (journal `definition`s) a step is written as it always was: `argv`, `shell` and
/// an optional `script` side by side ([`StepWire`]); in memory what it runs is one [`Command`].
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Unique within its runbook; `runbook-id/step-id` names it globally.
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    /// What the step runs: an argv, or a shell script.
    pub command: Command,
    /// Written as `30s`, `5m`, `1h30m` (see docs/FORMATS.md).
    pub timeout: Option<SignedDuration>,
    /// Present when the step was reviewed and signed off ("pre-audited").
    pub audited: Option<Audit>,
    pub origin: StepOrigin,
}

/// What a step runs: a command line (one element per argument, placeholders filled inside
/// their element), or a script run through `sh -c` that receives values only as environment
/// variables ([`shell_env`]). A runbook writes the second as `shell: true` with a `script`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Argv(Vec<String>),
    Shell(String),
}

/// The wire shape of a [`Step`]: the fields in the order the journal has always written them.
#[derive(Serialize)]
struct StepWire<'a> {
    id: &'a str,
    title: &'a str,
    kind: StepKind,
    argv: &'a [String],
    shell: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    script: Option<&'a str>,
    #[serde(with = "duration_text", skip_serializing_if = "Option::is_none")]
    timeout: Option<SignedDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audited: Option<&'a Audit>,
    origin: StepOrigin,
}

/// The owned wire shape read back; a `shell: true` step takes its `script`, any other its
/// `argv`.
#[derive(Deserialize)]
struct StepWireIn {
    id: String,
    title: String,
    kind: StepKind,
    #[serde(default)]
    argv: Vec<String>,
    #[serde(default)]
    shell: bool,
    #[serde(default)]
    script: Option<String>,
    #[serde(default, with = "duration_text")]
    timeout: Option<SignedDuration>,
    #[serde(default)]
    audited: Option<Audit>,
    #[serde(default)]
    origin: StepOrigin,
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (argv, shell, script) = match &self.command {
            Command::Argv(argv) => (argv.as_slice(), false, None),
            Command::Shell(script) => (&[][..], true, Some(script.as_str())),
        };
        StepWire {
            id: &self.id,
            title: &self.title,
            kind: self.kind,
            argv,
            shell,
            script,
            timeout: self.timeout,
            audited: self.audited.as_ref(),
            origin: self.origin,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = StepWireIn::deserialize(d)?;
        Ok(Step {
            id: w.id,
            title: w.title,
            kind: w.kind,
            command: if w.shell {
                Command::Shell(w.script.unwrap_or_default())
            } else {
                Command::Argv(w.argv)
            },
            timeout: w.timeout,
            audited: w.audited,
            origin: w.origin,
        })
    }
}

/// Whether a step only reads (diagnostic), changes something to mitigate (mitigation), or
/// injects a failure on purpose to learn (a chaos experiment, allowed only while the budget is
/// healthy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Diagnostic,
    Mitigation,
    Experiment,
}

impl StepKind {
    pub const ALL: [StepKind; 3] = [
        StepKind::Diagnostic,
        StepKind::Mitigation,
        StepKind::Experiment,
    ];
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepKind::Diagnostic => "diagnostic",
            StepKind::Mitigation => "mitigation",
            StepKind::Experiment => "experiment",
        })
    }
}

/// Who reviewed a step, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    pub by: String,
    pub on: jiff::civil::Date,
}

/// Where a step came from. Only `Edited` steps are *novel*. A `CodeBlock` step is *unaudited*
/// (never pre-audited): a diagnostic when the read-only classifier recognises its command
/// ([`guess_kind`], [`guess_script_kind`]), otherwise a mitigation; the policy treats it like a
/// structured step of that kind without an audit record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOrigin {
    /// Declared in a runbook's front matter `steps:`.
    #[default]
    Structured,
    /// Taken from a fenced shell block (or an inline command) of a runbook without structured
    /// steps: an unaudited diagnostic or mitigation, as its command reads.
    CodeBlock,
    /// A step whose argv or script a person changed in the cockpit.
    Edited,
    /// An Alertmanager silence proposed in the cockpit for a cluster ([`super::silence`]):
    /// its argv is the `amtool silence add` command the edge creates the silence from. Not
    /// novel; pre-audited only when the cockpit found that its matchers mute nothing outside
    /// the cluster (then `audited` says so).
    Silence,
}

impl Step {
    /// `true` for steps whose argv or script a person changed in the cockpit. A step taken from
    /// a runbook's code block is not novel (it is unaudited); silences proposed in the cockpit
    /// are not novel either (their checks stand in for a review).
    pub fn is_novel(&self) -> bool {
        matches!(self.origin, StepOrigin::Edited)
    }

    /// `true` when the step is structured (or a checked silence) *and* carries an audit record;
    /// a code block is never pre-audited.
    pub fn is_pre_audited(&self) -> bool {
        self.audited.is_some()
            && matches!(self.origin, StepOrigin::Structured | StepOrigin::Silence)
    }

    /// The step after a person changed its argv: novel, and no longer audited.
    pub fn edited(&self, argv: Vec<String>) -> Step {
        Step {
            command: Command::Argv(argv),
            audited: None,
            origin: StepOrigin::Edited,
            ..self.clone()
        }
    }

    /// The argv of an argv step; empty for a shell step.
    pub fn argv(&self) -> &[String] {
        match &self.command {
            Command::Argv(argv) => argv,
            Command::Shell(_) => &[],
        }
    }

    /// The script of a shell step.
    pub fn script(&self) -> Option<&str> {
        match &self.command {
            Command::Argv(_) => None,
            Command::Shell(script) => Some(script),
        }
    }

    /// The placeholders (`labels.x`, `annotations.y`) this step's argv refers to, in order of
    /// first appearance, without duplicates.
    pub fn placeholders(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for element in self.argv() {
            if let Ok(names) = scan(element) {
                for name in names {
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
        out
    }
}

/// A step filled from one alert: the argv that would run and the values that went into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filled {
    pub argv: Vec<String>,
    /// `labels.NAME` / `annotations.NAME` → the value used: the argv's placeholders, or for a
    /// `shell: true` step the `FD_LABEL_*` / `FD_ANNOTATION_*` variables its script names. Two
    /// alerts that give a step the same values give it the same target.
    pub values: BTreeMap<String, String>,
}

impl Step {
    /// Fills the argv from an alert's labels and annotations ([`render_argv`]) and says which
    /// values it used.
    pub fn fill(
        &self,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Filled, TemplateError> {
        let argv = render_argv(self.argv(), labels, annotations)?;
        let mut values = BTreeMap::new();
        for p in self.placeholders() {
            let (what, name) = classify(&p)?;
            let map = if what == "label" { labels } else { annotations };
            if let Some(v) = map.get(name) {
                values.insert(p.clone(), v.clone());
            }
        }
        if let Some(script) = self.script() {
            for (ns, prefix, map) in [
                ("labels", "FD_LABEL_", labels),
                ("annotations", "FD_ANNOTATION_", annotations),
            ] {
                for (k, v) in map {
                    if names_variable(script, &env_name(prefix, k)) {
                        values.insert(format!("{ns}.{k}"), v.clone());
                    }
                }
            }
        }
        Ok(Filled { argv, values })
    }
}

/// Could filling a step from an alert with these labels and annotations give exactly `values`
/// ([`Filled::values`])? False when one of them is missing or different in the alert: a cheap
/// check before [`Step::fill`] (true does not promise the fill gives them).
pub fn may_give_values(
    values: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> bool {
    values.iter().all(|(k, v)| match k.split_once('.') {
        Some(("labels", name)) => labels.get(name) == Some(v),
        Some(("annotations", name)) => annotations.get(name) == Some(v),
        _ => true,
    })
}

/// Does `script` name the environment variable `var` (not merely a longer one it begins)?
fn names_variable(script: &str, var: &str) -> bool {
    script.match_indices(var).any(|(at, _)| {
        script[at + var.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
    })
}

/// `FD_LABEL_` + the name upper-cased, every character outside `[A-Z0-9_]` turned into `_`.
fn env_name(prefix: &str, name: &str) -> String {
    let mut s = String::from(prefix);
    s.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    s
}

/// Why an argv template could not be filled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{labels.x}}` or `{{annotations.x}}` whose value the alert does not carry.
    #[error("{{{{{placeholder}}}}} has no value: the alert has no {what} {name:?}")]
    Missing {
        placeholder: String,
        what: &'static str,
        name: String,
    },
    /// A placeholder that is neither `labels.NAME` nor `annotations.NAME`.
    #[error(
        "unknown placeholder {{{{{placeholder}}}}} (use {{{{labels.NAME}}}} or {{{{annotations.NAME}}}})"
    )]
    Unknown { placeholder: String },
    /// `{{` without its `}}`.
    #[error("unclosed placeholder in argv element {element:?}")]
    Unclosed { element: String },
}

/// One piece of a parsed argv element.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn pieces(element: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = element;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError::Unclosed {
                element: element.to_string(),
            });
        };
        out.push(Piece::Placeholder(after[..end].trim()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Splits `labels.x` into (`"label"`, `x`), refusing anything else.
fn classify(placeholder: &str) -> Result<(&'static str, &str), TemplateError> {
    let unknown = || TemplateError::Unknown {
        placeholder: placeholder.to_string(),
    };
    let (ns, name) = placeholder.split_once('.').ok_or_else(unknown)?;
    let valid_name =
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match ns {
        "labels" if valid_name => Ok(("label", name)),
        "annotations" if valid_name => Ok(("annotation", name)),
        _ => Err(unknown()),
    }
}

/// The placeholders of one element (validated), e.g. `["labels.namespace"]`.
fn scan(element: &str) -> Result<Vec<String>, TemplateError> {
    let mut out = Vec::new();
    for piece in pieces(element)? {
        if let Piece::Placeholder(p) = piece {
            classify(p)?;
            out.push(p.to_string());
        }
    }
    Ok(out)
}

/// Checks that every placeholder of `argv` is well-formed (`labels.NAME` / `annotations.NAME`),
/// without filling anything. Used when a runbook is loaded.
pub fn validate_argv(argv: &[String]) -> Result<(), TemplateError> {
    for element in argv {
        scan(element)?;
    }
    Ok(())
}

/// Fills the placeholders of `argv` from an alert's labels and annotations.
///
/// Each output element corresponds to exactly one input element: a value is inserted verbatim
/// (spaces, quotes, `;`, newlines and all) into the element that named it. An unknown namespace,
/// a malformed placeholder or a missing value is an error naming the placeholder.
pub fn render_argv(
    argv: &[String],
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Result<Vec<String>, TemplateError> {
    argv.iter()
        .map(|element| {
            let mut out = String::with_capacity(element.len());
            for piece in pieces(element)? {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Placeholder(p) => {
                        let (what, name) = classify(p)?;
                        let map = if what == "label" { labels } else { annotations };
                        let value = map.get(name).ok_or_else(|| TemplateError::Missing {
                            placeholder: p.to_string(),
                            what,
                            name: name.to_string(),
                        })?;
                        out.push_str(value);
                    }
                }
            }
            Ok(out)
        })
        .collect()
}

/// The environment a `shell: true` step receives: `FD_LABEL_<NAME>` and `FD_ANNOTATION_<NAME>`,
/// names upper-cased with every character outside `[A-Z0-9_]` turned into `_`.
pub fn shell_env(
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (k, v) in labels {
        env.insert(env_name("FD_LABEL_", k), v.clone());
    }
    for (k, v) in annotations {
        env.insert(env_name("FD_ANNOTATION_", k), v.clone());
    }
    env
}

// ---------------------------------------------------------------------------------------------
// Candidate steps from fenced code blocks.

/// Info strings of fenced blocks that hold shell commands (an empty one is also considered).
pub fn is_shell_language(info: &str) -> bool {
    let lang = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        lang.as_str(),
        "bash" | "sh" | "shell" | "console" | "zsh" | "shell-session" | "shellsession" | "terminal"
    )
}

/// Turns the text of a fenced code block into a candidate step (origin `CodeBlock`), or `None`
/// when the block holds no command (only comments, or output, or something that is not shell).
///
/// `labelled` is false for blocks without an info string: they are only taken when their first
/// line looks like a command. `console` blocks keep only the `$ `-prompted lines.
pub fn step_from_code_block(id: &str, title: &str, info: &str, code: &str) -> Option<Step> {
    let labelled = !info.trim().is_empty();
    if labelled && !is_shell_language(info) {
        return None;
    }
    let console = code.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("$ ") || t.starts_with("# $ ")
    });
    let mut lines: Vec<String> = Vec::new();
    let mut continued = false;
    for raw in code.lines() {
        let line = raw.trim_end();
        let mut t = line.trim_start();
        if continued {
            let last = lines.last_mut().expect("continued line has a predecessor");
            last.push(' ');
            last.push_str(t.trim_end_matches('\\').trim_end());
            continued = t.ends_with('\\');
            continue;
        }
        if console {
            match t.strip_prefix("$ ") {
                Some(cmd) => t = cmd,
                None => continue, // output
            }
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        continued = t.ends_with('\\');
        lines.push(t.trim_end_matches('\\').trim_end().to_string());
    }
    let first = lines.first()?;
    if !labelled && !looks_like_command(first) {
        return None;
    }
    let script = lines.join("\n");
    let simple = if lines.len() == 1 {
        split_simple(first)
    } else {
        None
    };
    let (command, kind) = match simple {
        Some(argv) if !argv.is_empty() => {
            let kind = guess_kind(&argv);
            (Command::Argv(argv), kind)
        }
        _ => {
            let kind = guess_script_kind(&script);
            (Command::Shell(script), kind)
        }
    };
    Some(Step {
        id: id.to_string(),
        title: title.to_string(),
        kind,
        command,
        timeout: None,
        audited: None,
        origin: StepOrigin::CodeBlock,
    })
}

/// First line of an unlabelled block: `word ...` where `word` looks like a program name.
fn looks_like_command(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    let first = first
        .strip_prefix("sudo")
        .map_or(first, |_| line.split_whitespace().nth(1).unwrap_or(""));
    !first.is_empty()
        && first.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !first.ends_with(':')
        && line.split_whitespace().count() >= 1
        && !line.contains(": ")
}

/// Splits one line with simple shell-words rules (single and double quotes, backslash escapes).
/// Returns `None` if the line uses anything beyond a simple command: pipes, lists, redirections,
/// substitutions, globs, variables, comments mid-line or unbalanced quotes. Document-style
/// placeholders (`$NAMESPACE`, `${POD}`, `<namespace>`) become `{{labels.namespace}}`,
/// `{{labels.pod}}`, so the step can be filled from the alert.
pub fn split_simple(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => cur.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            ch @ ('"' | '\\' | '$' | '`') => cur.push(ch),
                            ch => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                        },
                        '$' => {
                            let name = variable_name(&mut chars)?;
                            push_placeholder(&mut cur, &name);
                        }
                        '`' => return None,
                        ch => cur.push(ch),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next()?);
            }
            '$' => {
                in_word = true;
                let name = variable_name(&mut chars)?;
                push_placeholder(&mut cur, &name);
            }
            '<' => {
                // `<name>` as a document placeholder; otherwise a redirection.
                let mut name = String::new();
                loop {
                    match chars.next()? {
                        '>' => break,
                        ch if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' => name.push(ch),
                        _ => return None,
                    }
                }
                if name.is_empty() {
                    return None;
                }
                in_word = true;
                push_placeholder(&mut cur, &name);
            }
            '|' | '&' | ';' | '>' | '`' | '(' | ')' | '*' | '?' | '[' | '{' | '}' | '~' | '!' => {
                // Unquoted, these mean something to the shell; leave such lines to it.
                if c == '~' && in_word {
                    cur.push(c);
                    continue;
                }
                return None;
            }
            '#' if !in_word => break, // a trailing comment
            ch => {
                in_word = true;
                cur.push(ch);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

/// After a `$`: `NAME` or `{NAME}`; anything else (`$(`, `$?`, `${x:-y}`) is not simple.
fn variable_name(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut name = String::new();
    if chars.peek() == Some(&'{') {
        chars.next();
        loop {
            match chars.next()? {
                '}' => break,
                ch if ch.is_ascii_alphanumeric() || ch == '_' => name.push(ch),
                _ => return None,
            }
        }
    } else {
        while let Some(&ch) = chars.peek() {
            if ch.is_ascii_alphanumeric() || ch == '_' {
                name.push(ch);
                chars.next();
            } else {
                break;
            }
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(name)
}

fn push_placeholder(cur: &mut String, name: &str) {
    let label: String = name
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    cur.push_str("{{labels.");
    cur.push_str(&label);
    cur.push_str("}}");
}

/// Serde for `Option<SignedDuration>` in our duration syntax (`30s`, `1h30m`).
mod duration_text {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<SignedDuration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&exact(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SignedDuration>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| crate::time::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }

    /// Lossless form: `1h30m15s`, `0s`, `-5m`.
    pub fn exact(d: SignedDuration) -> String {
        let secs = d.as_secs();
        if secs == 0 {
            return "0s".into();
        }
        let sign = if secs < 0 { "-" } else { "" };
        let mut s = secs.unsigned_abs();
        let mut out = String::from(sign);
        for (unit, size) in [("h", 3_600), ("m", 60), ("s", 1)] {
            if s >= size {
                out.push_str(&format!("{}{unit}", s / size));
                s %= size;
            }
        }
        out
    }
}

pub use duration_text::exact as format_duration_exact;

/// The argv as a person would type it, quoted where needed: for display and messages only —
/// nothing is ever run through a shell.
pub fn shell_display(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+{}".contains(c));
            if plain {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    /// `may_give_values` never turns away an alert whose fill gives exactly the values: for
    /// every pair of alerts drawn from a few label values, steps with and without placeholders
    /// and a script.
    #[test]
    fn may_give_values_never_rejects_an_alert_that_gives_them() {
        let steps: Vec<Step> = [
            r#"{"id": "a", "title": "t", "kind": "diagnostic", "argv": ["kubectl", "-n", "{{labels.namespace}}", "logs", "{{labels.pod}}"]}"#,
            r#"{"id": "b", "title": "t", "kind": "diagnostic", "argv": ["echo", "{{annotations.summary}}"]}"#,
            r#"{"id": "c", "title": "t", "kind": "diagnostic", "argv": ["true"]}"#,
            r#"{"id": "d", "title": "t", "kind": "diagnostic", "argv": ["echo", "{{labels.missing}}"]}"#,
            r#"{"id": "e", "title": "t", "kind": "diagnostic", "shell": true, "script": "echo $FD_LABEL_POD"}"#,
        ]
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
        let alerts: Vec<(BTreeMap<String, String>, BTreeMap<String, String>)> = (0..27)
            .map(|i| {
                let mut labels = map(&[("namespace", ["shop", "pay", ""][i % 3])]);
                if i / 3 % 3 != 2 {
                    labels.insert("pod".into(), ["p-1", "p-2"][i / 3 % 3].into());
                }
                let annotations = map(&[("summary", ["down", "up", "down"][i / 9])]);
                (labels, annotations)
            })
            .collect();
        let (mut agreed, mut turned_away) = (0, 0);
        for step in &steps {
            for (la, aa) in &alerts {
                let Ok(filled) = step.fill(la, aa) else {
                    continue;
                };
                for (lb, ab) in &alerts {
                    let gives = step.fill(lb, ab).is_ok_and(|f| f.values == filled.values);
                    let may = may_give_values(&filled.values, lb, ab);
                    assert!(may || !gives, "{step:?}: {lb:?} gives {:?}", filled.values);
                    agreed += usize::from(gives);
                    turned_away += usize::from(!may);
                }
            }
        }
        assert!(agreed > 0 && turned_away > 0, "{agreed} {turned_away}");
    }

    #[test]
    fn placeholder_stays_inside_its_element() {
        let labels = map(&[("namespace", "shop; rm -rf /"), ("service", "a b")]);
        let out = render_argv(
            &argv(&[
                "kubectl",
                "-n",
                "{{labels.namespace}}",
                "deployment/{{ labels.service }}",
            ]),
            &labels,
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(
            out,
            argv(&["kubectl", "-n", "shop; rm -rf /", "deployment/a b"])
        );
    }

    #[test]
    fn unknown_and_missing_placeholders_are_named() {
        let e = render_argv(
            &argv(&["{{labels.pod}}"]),
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("{{labels.pod}}"), "{e}");
        let e =
            render_argv(&argv(&["{{env.HOME}}"]), &BTreeMap::new(), &BTreeMap::new()).unwrap_err();
        assert!(e.to_string().contains("{{env.HOME}}"), "{e}");
        assert!(matches!(
            render_argv(&argv(&["{{labels.x"]), &BTreeMap::new(), &BTreeMap::new()),
            Err(TemplateError::Unclosed { .. })
        ));
    }

    #[test]
    fn simple_split_and_document_placeholders() {
        assert_eq!(
            split_simple("kubectl -n $NAMESPACE logs <pod-name> --previous").unwrap(),
            argv(&[
                "kubectl",
                "-n",
                "{{labels.namespace}}",
                "logs",
                "{{labels.pod_name}}",
                "--previous"
            ])
        );
        assert_eq!(
            split_simple(r#"psql -c "SHOW POOLS" 'a b'"#).unwrap(),
            argv(&["psql", "-c", "SHOW POOLS", "a b"])
        );
        assert!(split_simple("kubectl get pods | grep Crash").is_none());
        assert!(split_simple("echo $(id)").is_none());
        assert!(split_simple("ls > out").is_none());
        assert!(split_simple("echo 'unbalanced").is_none());
    }

    #[test]
    fn kinds_are_guessed_strictly() {
        let d = |s: &str| guess_kind(&split_simple(s).unwrap());
        assert_eq!(d("kubectl -n shop get pods"), StepKind::Diagnostic);
        assert_eq!(d("kubectl describe pod x"), StepKind::Diagnostic);
        assert_eq!(d("kubectl logs -n x pod --previous"), StepKind::Diagnostic);
        assert_eq!(d("kubectl rollout undo deploy/x"), StepKind::Mitigation);
        assert_eq!(d("kubectl rollout status deploy/x"), StepKind::Diagnostic);
        assert_eq!(d("kubectl delete pod x"), StepKind::Mitigation);
        assert_eq!(d("curl -s http://x/metrics"), StepKind::Diagnostic);
        assert_eq!(d("curl -X POST http://x/reload"), StepKind::Mitigation);
        assert_eq!(d("psql -c 'SHOW POOLS'"), StepKind::Diagnostic);
        assert_eq!(
            d("psql -c 'SELECT pg_terminate_backend(1)'"),
            StepKind::Mitigation
        );
        assert_eq!(d("systemctl restart nginx"), StepKind::Mitigation);
        assert_eq!(d("frobnicate --now"), StepKind::Mitigation);
        assert_eq!(
            guess_script_kind("kubectl get pods -A | grep -v Running"),
            StepKind::Diagnostic
        );
        assert_eq!(
            guess_script_kind("kubectl get pods > /tmp/x"),
            StepKind::Mitigation
        );
        // Substitutions hide commands from the classifier.
        for hidden in [
            "kubectl get pods $(kubectl delete ns prod)",
            "echo `rm -rf /data`",
            "diff <(kubectl apply -f x.yaml) y",
        ] {
            assert_eq!(guess_script_kind(hidden), StepKind::Mitigation, "{hidden}");
        }
    }

    #[test]
    fn code_blocks_become_candidate_steps() {
        let s =
            step_from_code_block("b1", "t", "bash", "# list\nkubectl get pods -n $NS\n").unwrap();
        assert_eq!(s.origin, StepOrigin::CodeBlock);
        assert_eq!(
            s.command,
            Command::Argv(argv(&["kubectl", "get", "pods", "-n", "{{labels.ns}}"]))
        );
        let s = step_from_code_block("b2", "t", "", "kubectl get pods |\n  grep Crash").unwrap();
        assert!(matches!(s.command, Command::Shell(_)));
        let s = step_from_code_block(
            "b3",
            "t",
            "console",
            "$ df -h\nFilesystem Size\n/dev/sda1 10G",
        )
        .unwrap();
        assert_eq!(s.argv(), argv(&["df", "-h"]));
        assert!(step_from_code_block("b4", "t", "yaml", "a: b").is_none());
        assert!(step_from_code_block("b5", "t", "", "NAME READY STATUS").is_none());
        let s = step_from_code_block("b6", "t", "sh", "kubectl get pods \\\n  -n x").unwrap();
        assert_eq!(s.argv(), argv(&["kubectl", "get", "pods", "-n", "x"]));
    }

    #[test]
    fn shell_env_names() {
        let env = shell_env(
            &map(&[("namespace", "x"), ("k8s-app", "y")]),
            &map(&[("summary", "z")]),
        );
        assert_eq!(env["FD_LABEL_NAMESPACE"], "x");
        assert_eq!(env["FD_LABEL_K8S_APP"], "y");
        assert_eq!(env["FD_ANNOTATION_SUMMARY"], "z");
    }

    #[test]
    fn timeout_round_trips() {
        let step = Step {
            id: "x".into(),
            title: "t".into(),
            kind: StepKind::Diagnostic,
            command: Command::Argv(argv(&["true"])),
            timeout: Some(SignedDuration::from_secs(5415)),
            audited: None,
            origin: StepOrigin::Structured,
        };
        let json = serde_json::to_string(&step).unwrap();
        assert!(json.contains("\"1h30m15s\""), "{json}");
        let back: Step = serde_json::from_str(&json).unwrap();
        assert_eq!(back, step);
    }

    #[test]
    fn wire_shape_is_unchanged() {
        let mut step = step_from_code_block("b", "t", "bash", "df -h").unwrap();
        let argv_json = r#"{"id":"b","title":"t","kind":"diagnostic","argv":["df","-h"],"shell":false,"origin":"code_block"}"#;
        assert_eq!(serde_json::to_string(&step).unwrap(), argv_json);
        step.command = Command::Shell("df -h | sort".into());
        let shell_json = r#"{"id":"b","title":"t","kind":"diagnostic","argv":[],"shell":true,"script":"df -h | sort","origin":"code_block"}"#;
        assert_eq!(serde_json::to_string(&step).unwrap(), shell_json);
        for json in [argv_json, shell_json] {
            let back: Step = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
    }

    #[test]
    fn shell_display_keeps_argv_boundaries_visible() {
        let argv: Vec<String> = ["kubectl", "logs", "-l", "app=checkout", "it's here", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(
            shell_display(&argv),
            r"kubectl logs -l app=checkout 'it'\''s here' ''"
        );
    }
}
