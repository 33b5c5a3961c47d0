//! Where resolving reports: [`Ctx`] holds the file's text and collects its problems, each
//! with the line, column, field and fix; its helpers read the common kinds of values (paths,
//! durations, URLs, counts) and report what is wrong with them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;

use super::raw::Sp;
use super::{Located, Problem, Severity, line_col, located};
use crate::time::parse_duration;

/// Problems found while resolving one file.
pub(super) struct Ctx<'a> {
    pub(super) path: String,
    pub(super) text: &'a str,
    pub(super) base: PathBuf,
    pub(super) problems: Vec<Problem>,
}

impl Ctx<'_> {
    pub(super) fn at<T>(&self, sp: &Sp<T>) -> (u64, u64) {
        line_col(self.text, sp.span().start)
    }

    pub(super) fn push(
        &mut self,
        severity: Severity,
        at: (u64, u64),
        field: &str,
        message: String,
        fix: &str,
    ) {
        let diagnostic = located(self.path.clone(), at, field, message).with_fix(fix);
        self.problems.push(Problem {
            severity,
            diagnostic,
        });
    }

    pub(super) fn error<T>(&mut self, sp: &Sp<T>, field: &str, message: String, fix: &str) {
        let at = self.at(sp);
        self.push(Severity::Error, at, field, message, fix);
    }

    pub(super) fn warn<T>(&mut self, sp: &Sp<T>, field: &str, message: String, fix: &str) {
        let at = self.at(sp);
        self.push(Severity::Warning, at, field, message, fix);
    }

    pub(super) fn path(&self, p: &Sp<String>) -> Located<PathBuf> {
        let (line, column) = self.at(p);
        Located {
            value: resolve_path(&self.base, p.get_ref()),
            line,
            column,
        }
    }

    pub(super) fn duration(
        &mut self,
        v: &Option<Sp<String>>,
        field: &str,
        default: Duration,
    ) -> Duration {
        let Some(sp) = v else {
            return default;
        };
        match parse_duration(sp.get_ref()) {
            Ok(d) if d.is_positive() => d.unsigned_abs(),
            Ok(_) => {
                self.error(sp, field, "must be positive".into(), "e.g. \"15s\"");
                default
            }
            Err(e) => {
                self.error(
                    sp,
                    field,
                    e.to_string(),
                    "units s, m, h, d, w: \"15s\", \"1m\"",
                );
                default
            }
        }
    }

    pub(super) fn url(&mut self, sp: &Sp<String>, field: &str, example: &str) -> Option<Url> {
        let fix = format!("e.g. \"{example}\"");
        match Url::parse(sp.get_ref().trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            Ok(u) => {
                self.error(
                    sp,
                    field,
                    format!(
                        "{:?} is not an http(s) URL (scheme {:?})",
                        sp.get_ref(),
                        u.scheme()
                    ),
                    &fix,
                );
                None
            }
            Err(e) => {
                self.error(
                    sp,
                    field,
                    format!("{:?} is not a URL: {e}", sp.get_ref()),
                    &fix,
                );
                None
            }
        }
    }

    /// A poll timeout that is not shorter than its interval delays the next poll: a warning.
    pub(super) fn timeout_below_interval(
        &mut self,
        given: &Option<Sp<String>>,
        timeout: Duration,
        interval: Duration,
        field: &str,
    ) {
        if timeout >= interval
            && let Some(t) = given
        {
            self.warn(
                t,
                field,
                "not shorter than the interval: a slow answer delays the next poll".into(),
                "make the timeout shorter than the interval",
            );
        }
    }

    pub(super) fn count(
        &mut self,
        v: &Option<Sp<i64>>,
        field: &str,
        default: usize,
        max: usize,
    ) -> usize {
        let Some(sp) = v else {
            return default;
        };
        let n = *sp.get_ref();
        if n <= 0 || n as u64 > max as u64 {
            self.error(sp, field, format!("{n} is outside 1 to {max}"), "");
            return default;
        }
        n as usize
    }
}

/// `~/x` → home; relative → against the config file's directory.
pub(super) fn resolve_path(base: &Path, p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// A `listen` value that is not `IP:PORT` or `localhost:PORT` (the text as written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address with a port")]
pub struct NotAnAddress(pub String);

pub(super) fn parse_listen(s: &str) -> Result<SocketAddr, NotAnAddress> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Some(port) = s.strip_prefix("localhost:")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    Err(NotAnAddress(s.to_string()))
}
