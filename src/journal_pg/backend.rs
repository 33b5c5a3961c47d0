//! Either store: a journal file on this host or a PostgreSQL journal, behind one API.

use super::*;

/// A durable journal shared with other cockpits: a file on this host (the default) or a
/// PostgreSQL database for a team. Live mode writes through this.
#[derive(Debug)]
pub enum JournalBackend {
    File(crate::journal_store::JournalFile),
    Pg(JournalPg),
}

impl JournalBackend {
    /// `postgres://…` or `postgresql://…` opens the database's journal; anything else is a
    /// file path.
    pub fn open(location: &str) -> io::Result<JournalBackend> {
        if is_url(location) {
            JournalPg::open(location).map(JournalBackend::Pg)
        } else {
            crate::journal_store::JournalFile::open(location).map(JournalBackend::File)
        }
    }

    /// Where the journal is (a path, or the URL with its password hidden).
    pub fn describe(&self) -> String {
        match self {
            JournalBackend::File(f) => f.path().display().to_string(),
            JournalBackend::Pg(p) => p.target().to_string(),
        }
    }

    /// Where the output of steps run from this cockpit is kept: beside a journal file; for a
    /// PostgreSQL journal, on this host, in the data directory (`pg-JOURNAL_ID.d/output/`: the
    /// execution records in the database name each object by its hash).
    pub fn output_store(&self) -> crate::outputs::OutputStore {
        match self {
            JournalBackend::File(f) => crate::outputs::OutputStore::beside(f.path()),
            JournalBackend::Pg(p) => match crate::paths::data_dir() {
                Some(dir) => {
                    crate::outputs::OutputStore::beside(&dir.join(format!("pg-{}", p.journal_id())))
                }
                None => crate::outputs::OutputStore::in_memory(),
            },
        }
    }

    /// For a PostgreSQL journal, what this host keeps beside it: `pg-JOURNAL_ID.d/` in the data
    /// directory (`output/`, the step output; `experiments/`, the logs of runs started from a
    /// cockpit). `None` for a file (its `.d` is beside it) or without a data directory.
    pub fn pg_dir(&self) -> Option<std::path::PathBuf> {
        match self {
            JournalBackend::File(_) => None,
            JournalBackend::Pg(p) => {
                crate::paths::data_dir().map(|dir| dir.join(format!("pg-{}.d", p.journal_id())))
            }
        }
    }

    pub fn journal_id(&self) -> &str {
        match self {
            JournalBackend::File(f) => f.journal_id(),
            JournalBackend::Pg(p) => p.journal_id(),
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            JournalBackend::File(f) => f.len(),
            JournalBackend::Pg(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// See [`crate::journal_store::JournalFile::append`] and [`JournalPg::append`]: the record
    /// is durable when this returns.
    pub fn append(&mut self, entry: JournalEntry, ts: Timestamp) -> io::Result<JournalRecord> {
        match self {
            JournalBackend::File(f) => f.append(entry, ts),
            JournalBackend::Pg(p) => p.append(entry, ts),
        }
    }

    pub fn append_batch(
        &mut self,
        entries: impl IntoIterator<Item = JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        match self {
            JournalBackend::File(f) => f.append_batch(entries, ts),
            JournalBackend::Pg(p) => p.append_batch(entries, ts),
        }
    }

    pub fn checkpoint(
        &mut self,
        actor: &str,
        role: Role,
        ts: Timestamp,
    ) -> io::Result<JournalRecord> {
        match self {
            JournalBackend::File(f) => f.checkpoint(actor, role, ts),
            JournalBackend::Pg(p) => p.checkpoint(actor, role, ts),
        }
    }

    /// Records other cockpits appended since the last call.
    pub fn refresh(&mut self) -> io::Result<Vec<JournalRecord>> {
        match self {
            JournalBackend::File(f) => f.refresh(),
            JournalBackend::Pg(p) => p.refresh(),
        }
    }

    /// Every record up to this handle's head, read back and verified again.
    pub fn records(&self) -> io::Result<Vec<JournalRecord>> {
        match self {
            JournalBackend::File(f) => f.records(),
            JournalBackend::Pg(p) => p.records(),
        }
    }
}

impl From<crate::journal_store::JournalFile> for JournalBackend {
    fn from(f: crate::journal_store::JournalFile) -> Self {
        JournalBackend::File(f)
    }
}

impl From<JournalPg> for JournalBackend {
    fn from(p: JournalPg) -> Self {
        JournalBackend::Pg(p)
    }
}

/// Verifies the journal at `location` (a path or a `postgres://` URL) strictly, passing every
/// verified record to `each`.
pub fn verify_with(
    location: &Path,
    checkpoint: Option<(u64, String)>,
    each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    match location.to_str().filter(|s| is_url(s)) {
        Some(url) => verify_url_with(url, checkpoint, each),
        None => crate::journal_store::verify_file_with(location, checkpoint, each),
    }
}

/// Every record of the journal at `location` (a path or a `postgres://` URL).
pub fn read_records(location: &Path) -> io::Result<Vec<JournalRecord>> {
    match location.to_str().filter(|s| is_url(s)) {
        Some(url) => read_records_url(url),
        None => crate::journal_store::read_records(location),
    }
}
