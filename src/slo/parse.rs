//! SLO files in, `ParsedSlo`s out: format detection (OpenSLO v1 or Sloth `prometheus/v1`), the
//! queries kept for live sources, and errors that name the file, line and field. Pure: the
//! caller reads the file and passes its text.

use serde::{Deserialize, Serialize};

use super::spec::SloSpec;

/// A spec error: where (file, 1-based line and column; 0 when unknown), which field, and what
/// is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct SpecError {
    pub path: String,
    pub line: u64,
    pub column: u64,
    /// Dotted field path (`spec.objectives[0].target`) or the key on the offending line.
    pub field: String,
    pub message: String,
}

impl SpecError {
    pub fn new(
        path: &str,
        line: u64,
        column: u64,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        SpecError {
            path: path.to_string(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        let mut out = self.path.clone();
        if self.line > 0 {
            out.push_str(&format!(":{}", self.line));
            if self.column > 0 {
                out.push_str(&format!(":{}", self.column));
            }
        }
        out.push_str(": ");
        if !self.field.is_empty() {
            out.push_str(&self.field);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }

    /// From a YAML/serde error: the location it carries, the key written on that line (or the
    /// field a "missing field" message names) as the field.
    pub(crate) fn from_yaml(path: &str, text: &str, err: &serde_saphyr::Error) -> Self {
        let (line, column) = err
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let mut message = err.without_snippet().to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        // serde lists the expected keys: name the near one (`objectiv` → `objective`).
        if let Some(unknown) = backticked_after(&message, "unknown field ")
            && let Some(i) = message.find("expected one of ")
        {
            let known: Vec<&str> = message[i..].split('`').skip(1).step_by(2).collect();
            if let Some(near) = did_you_mean(&unknown, &known) {
                message = format!("unknown field `{unknown}`, did you mean `{near}`?");
            }
        }
        let field = backticked_after(&message, "missing field ")
            .or_else(|| backticked_after(&message, "unknown field "))
            .or_else(|| key_on_line(text, line))
            .unwrap_or_default();
        SpecError::new(path, line, column, field, message)
    }
}

/// The known key `key` is probably a misspelling of: the nearest by edit distance, if it is
/// within a third of its length (at least 1, at most 3 edits).
pub(crate) fn did_you_mean<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (key.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|k| (edit_distance(&key.to_lowercase(), &k.to_lowercase()), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance (insertions, deletions, substitutions; transpositions count as 2).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The 1-based line and column where mapping key `key` is written, at or after `from_line`.
pub(crate) fn line_of_key(text: &str, key: &str, from_line: u64) -> Option<(u64, u64)> {
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1) as usize)
        .find_map(|(i, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            let indent = l.len() - t.len();
            let k = t.split_once(':')?.0.trim().trim_matches(['"', '\'']);
            (k == key).then_some((i as u64 + 1, indent as u64 + 1))
        })
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    let rest = rest.strip_prefix('`')?;
    Some(rest[..rest.find('`')?].to_string())
}

/// The mapping key written on 1-based `line` of `text` (`  - target: abc` → `target`).
pub(crate) fn key_on_line(text: &str, line: u64) -> Option<String> {
    let l = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let t = l.trim_start().trim_start_matches("- ").trim_start();
    let key = t
        .split_once(':')?
        .0
        .trim()
        .trim_matches('"')
        .trim_matches('\'');
    (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

/// Which file format a spec came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecFormat {
    OpenSlo,
    Sloth,
}

/// The SLI queries of a spec, kept for the live sources (Prometheus). Sloth queries contain the
/// `{{.window}}` placeholder; see [`SliQueries::for_window`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SliQueries {
    /// Metric source type (`Prometheus`, …) when the format says.
    pub source_type: Option<String>,
    /// Good events (OpenSLO `good`).
    pub good: Option<String>,
    /// Bad events (OpenSLO `bad`, Sloth `error_query`).
    pub bad: Option<String>,
    /// All events (OpenSLO `total`, Sloth `total_query`).
    pub total: Option<String>,
    /// A ready error ratio (Sloth `raw.error_ratio_query`).
    pub error_ratio: Option<String>,
    /// Queries are counters (OpenSLO `counter: true`; Sloth rates over `{{.window}}`).
    pub counter: bool,
}

impl SliQueries {
    /// `query` with Sloth's `{{.window}}` placeholder replaced by a PromQL range (`5m`).
    pub fn for_window(query: &str, range: &str) -> String {
        query
            .replace("{{.window}}", range)
            .replace("{{ .window }}", range)
    }
}

/// One SLO read from a file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParsedSlo {
    pub spec: SloSpec,
    pub queries: SliQueries,
    pub format: SpecFormat,
    /// Line where the SLO is defined (1-based; 0 if unknown).
    pub line: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    api_version: Option<String>,
    version: Option<String>,
}

/// Parses every SLO in an OpenSLO v1 (`kind: SLO`, multi-document) or Sloth (`prometheus/v1`,
/// or the `sloth.slok.dev/v1` Kubernetes resource) file. `path_for_messages` only labels errors.
/// Returns the first error; a file without any SLO is an error.
pub fn parse_slo_file(path_for_messages: &str, text: &str) -> Result<Vec<ParsedSlo>, SpecError> {
    let headers: Vec<Header> = serde_saphyr::from_str_multiple(text)
        .map_err(|e| SpecError::from_yaml(path_for_messages, text, &e))?;
    let sloth = headers.iter().any(|h| {
        h.version
            .as_deref()
            .is_some_and(|v| v.starts_with("prometheus/"))
            || h.api_version
                .as_deref()
                .is_some_and(|v| v.starts_with("sloth.slok.dev/"))
    });
    let slos = if sloth {
        super::sloth::parse(path_for_messages, text)?
    } else {
        super::openslo::parse(path_for_messages, text)?
    };
    if slos.is_empty() {
        return Err(SpecError::new(
            path_for_messages,
            0,
            0,
            "",
            "no SLO found (expected OpenSLO `apiVersion: openslo/v1` with `kind: SLO`, or Sloth \
             `version: prometheus/v1`)",
        ));
    }
    let mut seen = std::collections::BTreeMap::new();
    for s in &slos {
        if let Some(first) = seen.insert(s.spec.name.clone(), s.line) {
            return Err(SpecError::new(
                path_for_messages,
                s.line,
                0,
                "metadata.name",
                format!(
                    "duplicate SLO name {:?} (first defined on line {first})",
                    s.spec.name
                ),
            ));
        }
    }
    Ok(slos)
}
