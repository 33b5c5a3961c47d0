//! One located diagnostic: a problem in a file, named by where it is (path, line, field), what
//! is wrong and how to fix it. Scenario files and drill scripts report their problems with it
//! (`ScenarioError`, `DrillError` are this type).
//!
//! Pure: a value and its message.

use std::fmt;

use serde::Serialize;

/// A problem in a file: where, which field, what is wrong, and the fix when there is one.
/// Serialised as `{"path", "line", "message"}`, with `field` and `fix` only when not empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based, when known.
    pub line: Option<u64>,
    /// The field (`steps[2].at`), or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
    pub message: String,
    /// How to fix it, or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
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
            field: field.into(),
            message: message.into(),
            fix: String::new(),
        }
    }

    /// The same problem, with how to fix it.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Diagnostic {
        self.fix = fix.into();
        self
    }
}

/// `path:line: field: message; fix` (each part only when it is known).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
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
    }
}
