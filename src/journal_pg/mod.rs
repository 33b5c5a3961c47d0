//! The journal in PostgreSQL: the file journal's records and hash chain, shared by a team.
//!
//! Edge code (network I/O); the records, the chain and verification are the pure
//! `crate::journal`, exactly as for [`crate::journal_store::JournalFile`]. The database holds the
//! exact canonical line of every record (what the file journal writes, without its newline), so
//! `journal verify` streams the same bytes through the same [`Verifier`], and an export to a file
//! is byte for byte a file journal (it verifies on its own).
//!
//! The rules:
//!
//! - **Appends are serialised by the database.** An append is one transaction: lock the
//!   journal's head row (`SELECT … FOR UPDATE`), check that it is the head the records were
//!   sealed after, insert them under the primary key `(journal_id, seq)`, move the head, commit.
//!   A writer that lost the race gets the records written meanwhile back in the same answer,
//!   verifies them, seals after the true head and tries again. No forks (the key), no gaps (the
//!   head check).
//! - **Acknowledged means committed.** [`JournalPg::append`] returns only after `COMMIT`
//!   answered (PostgreSQL's `synchronous_commit`, on by default, makes that durable). A database
//!   that is down, or an answer that does not come within [`OP_TIMEOUT`], is an error naming the
//!   server: nothing is acknowledged. A commit whose answer was lost shows up later as a record
//!   like any other cockpit's (via [`JournalPg::refresh`]), never twice.
//! - **New records are pushed.** Every append sends `NOTIFY flightdeck_journal` inside its
//!   transaction; each handle `LISTEN`s, and [`JournalPg::refresh`] reads the database only when
//!   told something changed (or every [`POLL_EVERY`], should notifications be lost).
//! - **Schema** (created on first use, docs/FORMATS.md): `flightdeck_journal(journal_id, head_seq,
//!   head_hash, created_at)` (one row per journal, at most one journal per database or schema)
//!   and `flightdeck_records(journal_id, seq, line)`.
//!
//! Client crate: `tokio-postgres` (with `tokio-postgres-rustls` for TLS). It is the maintained
//! pure-Rust client on tokio (which flightdeck already runs on), exposes the connection's
//! asynchronous messages so `LISTEN/NOTIFY` arrives as a stream, and plugs into rustls (the TLS
//! stack reqwest already brings: no OpenSSL). sqlx would add a compile-time query layer, a pool
//! and its own runtime glue for two tables and four statements, and its `PgListener` needs a
//! second connection anyway. The store runs its connection on a thread of its own (a
//! current-thread runtime), so the synchronous API below works from inside and outside tokio.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::actions::Role;
use crate::journal::{
    Chain, JournalEntry, JournalRecord, Problem, RecordKind, RecordRole, Sealed, Sealer, Verifier,
    VerifyError, VerifyReport, checkpoint_entry, encode_line,
};
use crate::journal_store::SYSTEM_ACTOR;
use crate::time::Timestamp;

mod backend;
mod connection;
mod pgpass;

pub use backend::{JournalBackend, read_records, verify_with};
use connection::*;
pub use pgpass::{connection_config, pgpass_lookup};

/// How long one database operation (connecting included) may take before it is an error.
pub const OP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// [`JournalPg::refresh`] reads the database at least this often, notified or not.
pub const POLL_EVERY: Duration = Duration::from_secs(2);
/// After a failed read, [`JournalPg::refresh`] waits this long before trying again.
const RETRY_EVERY: Duration = Duration::from_secs(2);
/// Records read per query when reading a whole journal.
const PAGE: i64 = 5_000;
/// The notification channel.
const CHANNEL: &str = "flightdeck_journal";
/// Serialises schema creation and genesis between cockpits opening an empty database at once.
const SCHEMA_LOCK: i64 = 0x666c_6967_6874;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS flightdeck_journal (
    journal_id text PRIMARY KEY,
    head_seq bigint NOT NULL CHECK (head_seq >= 0),
    head_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS flightdeck_records (
    journal_id text NOT NULL REFERENCES flightdeck_journal (journal_id),
    seq bigint NOT NULL CHECK (seq >= 0),
    line text NOT NULL,
    PRIMARY KEY (journal_id, seq)
);";

/// Is `s` a PostgreSQL connection URL (`postgres://…` or `postgresql://…`)?
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The URL with any password replaced by `***` (for messages).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A journal in PostgreSQL (see the module documentation). The same API as
/// [`crate::journal_store::JournalFile`] where the two overlap.
pub struct JournalPg {
    conn: Connection,
    journal_id: String,
    /// Verified state up to the last record this handle has read or written.
    verifier: Verifier,
    /// Records other cockpits appended, not yet returned by [`JournalPg::refresh`].
    unseen: Vec<JournalRecord>,
    last_read: Instant,
    /// Set while the database cannot be read (refresh reports an outage once).
    down_since: Option<Instant>,
}

impl std::fmt::Debug for JournalPg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalPg")
            .field("target", &self.conn.target)
            .field("journal_id", &self.journal_id)
            .field("next_seq", &self.verifier.next_seq())
            .finish()
    }
}

fn corrupt(e: VerifyError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl JournalPg {
    /// Connects to the database at `url`, creates the schema and the journal (its genesis
    /// record) if the database has none, and reads and verifies every record.
    pub fn open(url: &str) -> io::Result<JournalPg> {
        let conn = Connection::start(url)?;
        let now = Timestamp::now();
        let mut h = blake3::Hasher::new();
        h.update(&now.as_nanosecond().to_le_bytes());
        h.update(&std::process::id().to_le_bytes());
        h.update(&fastrand::u64(..).to_le_bytes());
        h.update(url.as_bytes());
        let id = h.finalize().to_hex()[..32].to_string();
        let genesis = Chain::default().seal(
            JournalEntry {
                actor: SYSTEM_ACTOR.into(),
                role: RecordRole::System,
                kind: RecordKind::Genesis,
                summary: format!("journal {id} created"),
                body: crate::journal_store::genesis_body(&id),
            },
            now,
        );
        let line = line_of(&genesis);
        let journal_id = match conn.call(Job::Init {
            genesis: Box::new((id, line)),
        })? {
            Answer::JournalId(id) => id,
            _ => unreachable!("Init answers a journal id"),
        };
        let mut journal = JournalPg {
            conn,
            journal_id,
            verifier: Verifier::new(),
            unseen: Vec::new(),
            last_read: Instant::now(),
            down_since: None,
        };
        journal.catch_up(false)?;
        Ok(journal)
    }

    /// The URL, password hidden.
    pub fn target(&self) -> &str {
        &self.conn.target
    }

    /// The id named by the genesis record (the database's key for this journal).
    pub fn journal_id(&self) -> &str {
        &self.journal_id
    }

    crate::journal::codec::held_chain_accessors!();

    /// Reads, verifies and remembers the records after this handle's head.
    fn catch_up(&mut self, collect: bool) -> io::Result<()> {
        loop {
            let lines = match self.conn.call(Job::Fetch {
                journal_id: self.journal_id.clone(),
                from: self.verifier.next_seq(),
                limit: PAGE,
            })? {
                Answer::Lines(lines) => lines,
                _ => unreachable!("Fetch answers lines"),
            };
            let full = lines.len() as i64 == PAGE;
            self.take(lines, collect)?;
            self.last_read = Instant::now();
            if !full {
                return Ok(());
            }
        }
    }

    /// Verifies `lines` (seq, line) as the records after the head and advances past them.
    fn take(&mut self, lines: Vec<(u64, String)>, collect: bool) -> io::Result<()> {
        let mut verifier = self.verifier.clone();
        let mut fresh = Vec::new();
        for (seq, line) in lines {
            let record = verifier.feed(line.as_bytes()).map_err(corrupt)?;
            if record.seq != seq {
                return Err(corrupt(VerifyError {
                    seq,
                    offset: verifier.offset(),
                    why: Problem::Sequence { found: record.seq },
                }));
            }
            if collect {
                fresh.push(record);
            }
        }
        self.verifier = verifier;
        self.unseen.extend(fresh);
        Ok(())
    }

    /// Seals `entry` at `ts` after the journal's true head and commits it; the returned record
    /// is committed when this returns. Records other cockpits appended meanwhile come first
    /// ([`JournalPg::refresh`] returns them).
    pub fn append(&mut self, entry: JournalEntry, ts: Timestamp) -> io::Result<JournalRecord> {
        let mut records = self.append_batch([entry], ts)?;
        Ok(records.swap_remove(0))
    }

    /// Seals all `entries` at `ts` and commits them in one transaction: all or none.
    pub fn append_batch(
        &mut self,
        entries: impl IntoIterator<Item = JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        let entries: Vec<JournalEntry> = entries.into_iter().collect();
        self.commit(|_| entries.clone(), ts)
    }

    /// Appends a checkpoint record `{size, head}` (as the file journal's: the byte length the
    /// records take as a file journal, and the hash of the record before it).
    pub fn checkpoint(
        &mut self,
        actor: &str,
        role: Role,
        ts: Timestamp,
    ) -> io::Result<JournalRecord> {
        let mut records =
            self.commit(|v| vec![checkpoint_entry(actor.into(), role.into(), v)], ts)?;
        Ok(records.swap_remove(0))
    }

    /// Seals what `build` returns after the head this handle knows and asks the database to
    /// append it; when another cockpit came first, takes its records and seals again.
    fn commit(
        &mut self,
        build: impl Fn(&Verifier) -> Vec<JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        let mut collisions = 0u32;
        loop {
            let entries = build(&self.verifier);
            if entries.is_empty() {
                return Ok(Vec::new());
            }
            let mut sealer = Sealer::after(&self.verifier);
            for entry in entries {
                sealer
                    .push(entry, ts)
                    .map_err(|e| e.into_io(&self.conn.target))?;
            }
            let Sealed {
                records,
                lines,
                verifier,
            } = sealer.finish();
            let lines = lines.into_iter().map(text_of).collect();
            match self.conn.call(Job::Append {
                journal_id: self.journal_id.clone(),
                next: self.verifier.next_seq(),
                head: self.verifier.head().to_string(),
                lines,
            })? {
                Answer::Appended => {
                    self.verifier = verifier;
                    self.down_since = None;
                    return Ok(records);
                }
                Answer::Stale(newer) => {
                    if newer.is_empty() {
                        return Err(self.conn.error(&format!(
                            "the database's head is not seq {} (as read before) and no records \
                             follow it: the journal was changed behind flightdeck's back; run \
                             `flightdeck journal verify --journal URL`",
                            self.verifier.next_seq().saturating_sub(1)
                        )));
                    }
                    self.take(newer, true)?;
                    collisions += 1;
                    if collisions > 1_000 {
                        return Err(self.conn.error("lost the race for the head 1000 times"));
                    }
                }
                _ => unreachable!("Append answers Appended or Stale"),
            }
        }
    }

    /// Records other cockpits appended since the last call (or since open), in order. Reads
    /// the database when a notification announced a newer record, after a reconnection, or
    /// every [`POLL_EVERY`]. While the database cannot be read, the first call reports it and
    /// the next ones return nothing, retrying every few seconds.
    pub fn refresh(&mut self) -> io::Result<Vec<JournalRecord>> {
        let signals = &self.conn.signals;
        let elapsed = self.last_read.elapsed();
        let wanted = match self.down_since {
            Some(_) => elapsed >= RETRY_EVERY,
            None => {
                signals.dirty.swap(false, Ordering::SeqCst)
                    || signals.notified.load(Ordering::SeqCst) >= self.verifier.next_seq()
                    || elapsed >= POLL_EVERY
            }
        };
        if wanted {
            match self.catch_up(true) {
                Ok(()) => {
                    if self.down_since.take().is_some() {
                        tracing::info!("{}: reachable again", self.conn.target);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err(e),
                Err(e) => {
                    self.last_read = Instant::now();
                    if self.down_since.is_none() {
                        self.down_since = Some(Instant::now());
                        return Err(e);
                    }
                }
            }
        }
        Ok(std::mem::take(&mut self.unseen))
    }

    /// Every record up to this handle's head, read back from the database and verified again.
    pub fn records(&self) -> io::Result<Vec<JournalRecord>> {
        let mut out = Vec::new();
        let end = self.verifier.next_seq();
        read_verified(&self.conn, &self.journal_id, None, |r| {
            if r.seq < end {
                out.push(r)
            }
        })
        .map_err(corrupt)?;
        Ok(out)
    }
}

/// A sealed line as the database keeps it: without its newline.
fn text_of(mut line: Vec<u8>) -> String {
    line.pop();
    String::from_utf8(line).expect("journal lines are JSON, so UTF-8")
}

fn line_of(record: &JournalRecord) -> String {
    text_of(encode_line(record))
}

/// Streams every stored line of the journal, in seq order, through a fresh [`Verifier`]
/// (checking the rows' seqs against the lines' and the head row against the last record), and
/// passes each verified record to `each`.
fn read_verified(
    conn: &Connection,
    journal_id: &str,
    checkpoint: Option<(u64, String)>,
    mut each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    let mut verifier = Verifier::new();
    if let Some((seq, hash)) = checkpoint {
        verifier.expect_checkpoint(seq, hash);
    }
    loop {
        let lines = match conn.call(Job::Fetch {
            journal_id: journal_id.to_string(),
            from: verifier.next_seq(),
            limit: PAGE,
        }) {
            Ok(Answer::Lines(lines)) => lines,
            Ok(_) => unreachable!("Fetch answers lines"),
            Err(e) => return Err(VerifyError::io_at(&verifier, e)),
        };
        let full = lines.len() as i64 == PAGE;
        for (seq, line) in lines {
            if seq != verifier.next_seq() {
                return Err(VerifyError {
                    seq: verifier.next_seq(),
                    offset: verifier.offset(),
                    why: Problem::Sequence { found: seq },
                });
            }
            let record = verifier.feed(line.as_bytes())?;
            each(record);
        }
        if !full {
            break;
        }
    }
    verifier.finish()
}

/// Verifies the journal in the database at `url` strictly, without changing it (like
/// [`crate::journal_store::verify_file_with`]): every record through the pure [`Verifier`],
/// the rows' seqs, the checkpoint reference if given; `each` sees every verified record.
pub fn verify_url_with(
    url: &str,
    checkpoint: Option<(u64, String)>,
    each: impl FnMut(JournalRecord),
) -> Result<VerifyReport, VerifyError> {
    let (conn, journal_id) = connect_existing(url).map_err(VerifyError::io)?;
    // The head row, read first, names a record the lines must reach (rows deleted from the
    // end leave a chain that verifies on its own; the head row still says where it ended).
    let (head_seq, head_hash) = match conn.call(Job::Head {
        journal_id: journal_id.clone(),
    }) {
        Ok(Answer::Head(seq, hash)) => (seq, hash),
        Ok(_) => unreachable!("Head answers Head"),
        Err(e) => return Err(VerifyError::io(e)),
    };
    let mut each = each;
    let mut head_problem: Option<VerifyError> = None;
    let report = read_verified(&conn, &journal_id, checkpoint, |r| {
        if r.seq == head_seq && r.hash != head_hash && head_problem.is_none() {
            head_problem = Some(VerifyError {
                seq: r.seq,
                offset: 0,
                why: Problem::CheckpointMismatch {
                    found: r.hash.clone(),
                    expected: head_hash.clone(),
                },
            });
        }
        each(r)
    })?;
    if let Some(e) = head_problem {
        return Err(e);
    }
    if report.head_seq < head_seq {
        return Err(VerifyError {
            seq: report.head_seq + 1,
            offset: 0,
            why: Problem::Truncated {
                last: Some(report.head_seq),
                checkpoint: head_seq,
            },
        });
    }
    Ok(report)
}

/// Every record of the journal at `url`, verified (for `journal show`, `timeline`, `export`).
pub fn read_records_url(url: &str) -> io::Result<Vec<JournalRecord>> {
    let (conn, journal_id) = connect_existing(url)?;
    let mut out = Vec::new();
    read_verified(&conn, &journal_id, None, |r| out.push(r)).map_err(corrupt)?;
    Ok(out)
}

/// Connects and finds the database's journal without creating anything.
fn connect_existing(url: &str) -> io::Result<(Connection, String)> {
    let conn = Connection::start(url)?;
    match conn.call(Job::Find)? {
        Answer::Found(Some(id)) => Ok((conn, id)),
        Answer::Found(None) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            conn.error(
                "the database holds no flightdeck journal (a cockpit or `flightdeck \
                        journal note` with this URL creates one)",
            )
            .to_string(),
        )),
        _ => unreachable!("Find answers Found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_matches_like_libpq() {
        let text = "# comment\n\
                    db.example:5432:incidents:alice:s3cr\\:et\n\
                    *:*:*:bob:wild\n\
                    short:line\n\
                    127.0.0.1:6543:*:alice:local\n";
        assert_eq!(
            pgpass_lookup(text, "db.example", 5432, "incidents", "alice").as_deref(),
            Some("s3cr:et")
        );
        assert_eq!(
            pgpass_lookup(text, "anywhere", 1, "x", "bob").as_deref(),
            Some("wild")
        );
        assert_eq!(
            pgpass_lookup(text, "127.0.0.1", 6543, "other", "alice").as_deref(),
            Some("local")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example", 5433, "incidents", "alice"),
            None
        );
    }

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redact("postgres://alice:hunter2@db:5432/incidents?sslmode=require"),
            "postgres://alice:***@db:5432/incidents?sslmode=require"
        );
        assert_eq!(redact("postgres://alice@db/x"), "postgres://alice@db/x");
        assert!(is_url("postgresql://db/x") && !is_url("/var/lib/journal.jsonl"));
    }

    #[test]
    fn a_bad_url_says_how_to_write_one() {
        let e = connection_config("postgres://db:notaport/x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("postgres://USER@HOST:PORT/DATABASE"), "{e}");
    }
}
