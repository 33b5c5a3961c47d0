//! One located diagnostic: a problem in a file, named by where it is (path, line, field), what
//! is wrong and how to fix it. Scenario files and drill scripts report their problems with it
//! (`ScenarioError`, `DrillError` are this type).
//!
//! The configuration's problems (`crate::config::Problem`) are this type with a severity; in
//! `flightdeck check --json` an unknown line or column is `null`.
//!
//! Pure: a value and its message.

use std::fmt;

use serde::Serialize;

/// A problem in a file: where, which field, what is wrong, and the fix when there is one.
/// Serialised with every field (`flightdeck check --json` flattens it into a problem); a
/// document's load error is written as `{path, line, message}` (`knowledge::report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based, when known.
    pub line: Option<u64>,
    /// 1-based, when known (only with a line). `u32` keeps the type under the size clippy
    /// allows an `Err` (every scenario and drill error is one).
    pub column: Option<u32>,
    /// The field (`steps[2].at`), or empty.
    pub field: String,
    pub message: String,
    /// How to fix it, or empty.
    pub fix: String,
}

impl Diagnostic {
    /// A problem at `path`, line `line`, in `field` (may be empty), without a fix.
    pub fn new(
        path: impl Into<String>,
        line: Option<u64>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            path: path.into(),
            line,
            column: None,
            field: field.into(),
            message: message.into(),
            fix: String::new(),
        }
    }

    /// The same problem, at `column` of its line (1-based; `None` when unknown).
    pub fn at_column(mut self, column: Option<u32>) -> Diagnostic {
        self.column = column;
        self
    }

    /// The same problem, with how to fix it.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Diagnostic {
        self.fix = fix.into();
        self
    }
}

impl Diagnostic {
    /// `path`, `path:line` or `path:line:column`: as much of the place as is known.
    pub fn place(&self) -> String {
        let mut out = self.path.clone();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                out.push_str(&format!(":{column}"));
            }
        }
        out
    }
}

/// `path:line:column: field: message; fix` (each part only when it is known).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.place())?;
        f.write_str(": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)?;
        if !self.fix.is_empty() {
            write!(f, "; {}", self.fix)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_place_the_field_the_problem_and_the_fix() {
        let d = Diagnostic::new("s.yaml", Some(3), "at", "not a time");
        assert_eq!(d.to_string(), "s.yaml:3: at: not a time");
        assert_eq!(
            Diagnostic::new("s.yaml", None, "", "empty").to_string(),
            "s.yaml: empty"
        );
        assert_eq!(
            d.with_fix("write 5m or an RFC 3339 time").to_string(),
            "s.yaml:3: at: not a time; write 5m or an RFC 3339 time"
        );
        let d = Diagnostic::new("c.toml", Some(3), "", "bad").at_column(Some(7));
        assert_eq!(d.to_string(), "c.toml:3:7: bad");
        // A column without a line names no place.
        let d = Diagnostic::new("c.toml", None, "", "bad").at_column(Some(7));
        assert_eq!(d.to_string(), "c.toml: bad");
    }

    #[test]
    fn stays_small_enough_to_be_an_error() {
        // Scenario and drill parsers return it as their `Err`; clippy's `result_large_err`
        // refuses 128 bytes and more.
        assert!(std::mem::size_of::<Diagnostic>() < 128);
    }
}
