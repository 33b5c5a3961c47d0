//! The journal of a replay or a drill, kept on disk as it happens.
//!
//! A replay session (`crate::replay`, pure) seals its records into an in-memory chain. This
//! edge type writes that same chain, byte for byte, to a file of its own in the data directory
//! (`replays/` or `training/`) through the durable store ([`JournalFile`]: exclusive lock,
//! self-check, `fdatasync`), so `journal verify`, `show`, `timeline`, `export` and
//! `scenario record --journal` read it like the team's journal. Call [`SessionJournal::sync`]
//! with the session's records after every change; it appends the records the file lacks.
//!
//! - **Names never collide.** `SCENARIO-YYYYMMDDTHHMMSSZ-RANDOM.jsonl`, created with `O_EXCL`;
//!   if the name exists another random suffix is tried. An existing file is never opened for
//!   writing, truncated or appended to by another session.
//! - **A seek back forks.** Seeking back rebuilds the session from the scenario's start; the
//!   rebuilt chain is the old one up to the first record it lacks (a decision taken after the
//!   point sought to). While the session agrees with the file nothing is written (the chain's
//!   hashes tell: equal hashes at a seq mean equal records up to it). Once it differs, the file
//!   stays as it is — it keeps every decision taken — and the session goes on in a new file that
//!   starts from the same genesis record. [`SessionJournal::paths`] lists every file.

use std::io;
use std::path::{Path, PathBuf};

use crate::journal::JournalRecord;
use crate::journal_store::JournalFile;
use crate::time::Timestamp;

/// Whose journal: a replay's (`replays/`) or a trainee's drill (`training/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Replay,
    Training,
}

impl SessionKind {
    /// The directory under the data directory.
    pub fn dir_name(self) -> &'static str {
        match self {
            SessionKind::Replay => "replays",
            SessionKind::Training => "training",
        }
    }

    /// `replay` / `training`, as in "training journal: PATH" and the journal id.
    pub fn label(self) -> &'static str {
        match self {
            SessionKind::Replay => "replay",
            SessionKind::Training => "training",
        }
    }
}

/// How many names are tried before giving up (each collision takes a fresh random suffix).
const ATTEMPTS: usize = 16;

type Suffixes = Box<dyn FnMut() -> String + Send>;

/// A session's journal on disk (see the module docs).
pub struct SessionJournal {
    dir: PathBuf,
    kind: SessionKind,
    /// The scenario id as it may appear in a file name.
    stem: String,
    /// The suffix the first file is meant to have (it is also in the journal id).
    first: Option<String>,
    journal_id: String,
    suffixes: Suffixes,
    file: Option<JournalFile>,
    /// The hashes of the records in `file`, by seq.
    hashes: Vec<String>,
    paths: Vec<PathBuf>,
}

/// `YYYYMMDDTHHMMSSZ-RANDOM` (32 random bits, hex).
fn fresh_suffix() -> String {
    format!(
        "{}-{:08x}",
        Timestamp::now().strftime("%Y%m%dT%H%M%SZ"),
        fastrand::u32(..)
    )
}

/// The scenario id with anything but ASCII letters, digits, `.`, `_` and `-` replaced by `_`
/// (a file name, never a path).
fn file_stem(scenario_id: &str) -> String {
    let s: String = scenario_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_start_matches('.') {
        "" => "scenario".into(),
        t => t.to_string(),
    }
}

impl SessionJournal {
    /// A journal for a session of `scenario_id` in `dir` (created on the first sync).
    pub fn new(dir: impl Into<PathBuf>, kind: SessionKind, scenario_id: &str) -> SessionJournal {
        let first = fresh_suffix();
        SessionJournal {
            dir: dir.into(),
            kind,
            stem: file_stem(scenario_id),
            journal_id: format!("{}:{scenario_id}:{first}", kind.label()),
            first: Some(first),
            suffixes: Box::new(fresh_suffix),
            file: None,
            hashes: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// [`SessionJournal::new`] in `replays/` or `training/` of the data directory; `None`
    /// without one.
    pub fn in_data_dir(kind: SessionKind, scenario_id: &str) -> Option<SessionJournal> {
        let dir = crate::paths::data_dir()?.join(kind.dir_name());
        Some(SessionJournal::new(dir, kind, scenario_id))
    }

    /// Takes the random part of file names from `next` instead (tests make names collide).
    /// The first file is named with the first value.
    pub fn with_suffixes(mut self, mut next: impl FnMut() -> String + Send + 'static) -> Self {
        self.first = Some(next());
        self.suffixes = Box::new(next);
        self
    }

    /// The id the session's genesis record should name (`replay:SCENARIO:STAMP-RANDOM`, or
    /// `training:…`): give it to `ReplaySession::with_journal_id`. The first file's name ends
    /// in the same `STAMP-RANDOM` (unless that name was taken).
    pub fn journal_id(&self) -> &str {
        &self.journal_id
    }

    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// Every file this session was written to, the current one last (more than one only after
    /// a seek back took another course).
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Writes the records of `records` (the session's whole chain, genesis first) that the file
    /// lacks, in one write and one `fdatasync`; returns how many. If `records` parted from the
    /// file (a seek back, then other decisions), the file is left as it is and a new one takes
    /// the whole chain. On an error nothing was acknowledged; the next call tries again.
    pub fn sync(&mut self, records: &[JournalRecord]) -> io::Result<usize> {
        let common = self.hashes.len().min(records.len());
        if common > 0 && records[common - 1].hash != self.hashes[common - 1] {
            self.file = None;
            self.hashes.clear();
        }
        let Some(genesis) = records.first() else {
            return Ok(0);
        };
        if records.len() <= self.hashes.len() {
            return Ok(0);
        }
        let mut written = 0;
        if self.file.is_none() {
            let (path, file) = self.create(genesis)?;
            self.paths.push(path);
            self.file = Some(file);
            self.hashes.push(genesis.hash.clone());
            written += 1;
        }
        let from = self.hashes.len();
        let Some(file) = self.file.as_mut() else {
            return Ok(written);
        };
        file.append_sealed(&records[from..])
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.path().display())))?;
        self.hashes
            .extend(records[from..].iter().map(|r| r.hash.clone()));
        Ok(written + records.len() - from)
    }

    /// A new file holding `genesis`, under a name no file has.
    fn create(&mut self, genesis: &JournalRecord) -> io::Result<(PathBuf, JournalFile)> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let suffix = match self.first.take() {
                Some(s) => s,
                None => (self.suffixes)(),
            };
            let path = self.dir.join(format!("{}-{suffix}.jsonl", self.stem));
            match JournalFile::create_new(&path, genesis) {
                Ok(file) => return Ok((path, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(path),
                Err(e) => {
                    return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{}: {ATTEMPTS} names taken in a row (the last {}); nothing written",
                self.dir.display(),
                last.as_deref()
                    .map_or("?".into(), |p: &Path| p.display().to_string()),
            ),
        ))
    }
}
