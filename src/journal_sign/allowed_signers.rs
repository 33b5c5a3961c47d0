//! OpenSSH allowed-signers files (`ssh-keygen(1)`, ALLOWED SIGNERS): who may sign journal
//! checkpoints, for which namespaces, and when. Edge code: [`AllowedSigners::read`] reads the
//! file; the rest is pure.

use std::path::Path;

use ssh_key::PublicKey;
use ssh_key::public::KeyData;

use super::SignError;
use crate::time::Timestamp;

/// An OpenSSH allowed-signers file (`ssh-keygen(1)`, ALLOWED SIGNERS): one key a line, with
/// the principals it may sign as and options (`namespaces="…"`, `valid-after="…"`,
/// `valid-before="…"`, `cert-authority`).
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    pub(super) source: String,
    pub(super) entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    line: usize,
    principals: String,
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<Timestamp>,
    valid_before: Option<Timestamp>,
    key: KeyData,
}

impl AllowedSigners {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<AllowedSigners, SignError> {
        let text = std::fs::read_to_string(path).map_err(|e| SignError::AllowedSignersUnread {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses allowed-signers text; an error names `source:LINE` and what is wrong.
    pub fn parse(text: &str, source: &str) -> Result<AllowedSigners, SignError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_entry(line, i + 1).map_err(|why| SignError::AllowedSignersLine {
                file: source.to_string(),
                line: i + 1,
                why,
            })?;
            entries.push(entry);
        }
        Ok(AllowedSigners {
            source: source.to_string(),
            entries,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The principals `key` may sign as in `namespace` at `at` (as `ssh-keygen -Y
    /// find-principals` would list them; several lines may name the key).
    pub fn principals(&self, key: &KeyData, namespace: &str, at: Timestamp) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| !e.cert_authority && e.key == *key)
            .filter(|e| {
                e.namespaces
                    .as_deref()
                    .is_none_or(|list| match_pattern_list(namespace, list))
            })
            .filter(|e| e.valid_after.is_none_or(|t| at >= t))
            .filter(|e| e.valid_before.is_none_or(|t| at <= t))
            .map(|e| e.principals.clone())
            .collect()
    }

    /// Why `key` may not sign in `namespace` at `at` although a line names it, if one does.
    pub(super) fn refusal(&self, key: &KeyData, namespace: &str, at: Timestamp) -> Option<String> {
        let e = self
            .entries
            .iter()
            .find(|e| !e.cert_authority && e.key == *key)?;
        let why = if let Some(list) = e
            .namespaces
            .as_deref()
            .filter(|list| !match_pattern_list(namespace, list))
        {
            format!("its namespaces=\"{list}\" leave out {namespace}")
        } else if let Some(t) = e.valid_after.filter(|t| at < *t) {
            format!("it is valid only after {t}")
        } else if let Some(t) = e.valid_before.filter(|t| at > *t) {
            format!("it was valid only until {t}")
        } else {
            return None;
        };
        Some(format!(
            "{}:{} ({}): {why}",
            self.source, e.line, e.principals
        ))
    }
}

/// What is wrong with one line of an allowed-signers file (the file and line are added by
/// [`AllowedSigners::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignersLineError {
    #[error("no principals")]
    NoPrincipals,
    #[error("no public key after the principals and options ({0})")]
    NoKey(String),
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    #[error("unterminated quote in {0:?}")]
    Unterminated(String),
    #[error("{0:?} is not a time (YYYYMMDD[HHMM[SS]][Z])")]
    Time(String),
}

fn parse_entry(line: &str, number: usize) -> Result<Entry, SignersLineError> {
    let (principals, rest) = token(line)?;
    if principals.is_empty() {
        return Err(SignersLineError::NoPrincipals);
    }
    let rest = rest.trim_start();
    let (options, key) = match PublicKey::from_openssh(rest) {
        Ok(key) => (None, key),
        Err(_) => {
            let (options, rest) = token(rest)?;
            let key = PublicKey::from_openssh(rest.trim_start())
                .map_err(|e| SignersLineError::NoKey(e.to_string()))?;
            (Some(options), key)
        }
    };
    let mut entry = Entry {
        line: number,
        principals,
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: key.key_data().clone(),
    };
    for option in options.iter().flat_map(|o| split_options(o)) {
        let (name, value) = match option.split_once('=') {
            Some((n, v)) => (n.to_ascii_lowercase(), Some(unquote(v)?)),
            None => (option.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", None) => entry.cert_authority = true,
            ("namespaces", Some(v)) => entry.namespaces = Some(v),
            ("valid-after", Some(v)) => entry.valid_after = Some(parse_time(&v)?),
            ("valid-before", Some(v)) => entry.valid_before = Some(parse_time(&v)?),
            _ => return Err(SignersLineError::UnknownOption(option.to_string())),
        }
    }
    Ok(entry)
}

/// The first whitespace-delimited token of `s` (a `"quoted"` token may hold spaces; quotes
/// inside a token, as in `namespaces="a,b"`, are kept) and the rest.
fn token(s: &str) -> Result<(String, &str), SignersLineError> {
    if let Some(quoted) = s.strip_prefix('"') {
        let end = quoted
            .find('"')
            .ok_or_else(|| SignersLineError::Unterminated(s.to_string()))?;
        return Ok((quoted[..end].to_string(), &quoted[end + 1..]));
    }
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => return Ok((s[..i].to_string(), &s[i..])),
            _ => {}
        }
    }
    if in_quotes {
        return Err(SignersLineError::Unterminated(s.to_string()));
    }
    Ok((s.to_string(), ""))
}

/// Options split at commas outside quotes.
fn split_options(options: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_quotes) = (0, false);
    for (i, c) in options.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                out.push(&options[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&options[start..]);
    out.into_iter().filter(|o| !o.is_empty()).collect()
}

fn unquote(value: &str) -> Result<String, SignersLineError> {
    match value.strip_prefix('"') {
        Some(inner) => inner
            .strip_suffix('"')
            .map(str::to_string)
            .ok_or_else(|| SignersLineError::Unterminated(value.to_string())),
        None => Ok(value.to_string()),
    }
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, in UTC with a `Z` suffix, else in the
/// system's local time zone (as OpenSSH reads `valid-after` and `valid-before`).
pub(super) fn parse_time(text: &str) -> Result<Timestamp, SignersLineError> {
    let bad = || SignersLineError::Time(text.to_string());
    let (digits, utc) = match text.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (text, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i16, SignersLineError> {
        match digits.get(range) {
            Some(d) if !d.is_empty() => d.parse().map_err(|_| bad()),
            _ => Ok(0),
        }
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)? as i8, num(6..8)? as i8);
    let (h, mi, s) = (num(8..10)? as i8, num(10..12)? as i8, num(12..14)? as i8);
    let civil = jiff::civil::DateTime::new(y, mo, d, h, mi, s, 0).map_err(|_| bad())?;
    let zone = if utc {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::system()
    };
    zone.to_timestamp(civil).map_err(|_| bad())
}

/// OpenSSH's `match_pattern_list`: comma-separated patterns with `*` and `?`; a matching
/// `!pattern` refuses, whatever else matches.
pub(super) fn match_pattern_list(s: &str, list: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if match_pattern(s.as_bytes(), pattern.as_bytes()) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

fn match_pattern(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}
