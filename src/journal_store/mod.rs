//! The journal file: durable, cross-process appends to a JSON Lines hash chain.
//!
//! Edge code (it does file I/O); the record format, the chain and verification are the pure
//! `crate::journal`. The rules:
//!
//! - **Acknowledged means durable.** [`JournalFile::append`] returns the sealed record only after
//!   its line was written and `fdatasync`ed; a crash before that may lose the record, never
//!   corrupt what was acknowledged before it.
//! - **One writer at a time, across processes.** Every append holds an exclusive `flock` on the
//!   journal file, first reads (and verifies) the records other processes appended since, then
//!   seals after the true head. Two flightdecks on one file interleave and see each other's
//!   records ([`JournalFile::refresh`]). The lock dies with its process, so `kill -9` never
//!   leaves a journal locked.
//! - **A torn last record is cut, kept and reported; nothing else is repaired.** A crash
//!   mid-write leaves bytes without a newline (or a garbage last line). Whoever next holds the
//!   exclusive lock moves those bytes to `PATH.torn` (with a note, synced first) and truncates
//!   the journal to the last complete record. A bad record *before* the end is an error naming
//!   its seq and byte offset, never silently repaired.
//! - **Checkpoints** (`{size, head}`) are appended on request or every N records; their
//!   `SEQ:HASH` copied elsewhere lets [`verify_file`] detect a truncated journal.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::actions::Role;
use crate::journal::{
    GenesisBody, JournalEntry, JournalRecord, KindBody, Problem, RecordBody, RecordKind,
    RecordRole, Sealed, Sealer, Tail, Verifier, VerifyError, checkpoint_entry, encode_line,
};
use crate::time::Timestamp;

mod read;
pub use read::{read_records, verify_file, verify_file_with};

/// Bytes read per chunk when scanning a journal.
const CHUNK: usize = 4 << 20;

/// The actor of records the journal writes itself (genesis, automatic checkpoints), in the
/// role [`RecordRole::System`].
pub const SYSTEM_ACTOR: &str = "flightdeck";

/// A torn last record that was cut away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Where the cut bytes started (the journal's length after the cut).
    pub offset: u64,
    pub bytes: u64,
    /// The side file the bytes were appended to (`PATH.torn`).
    pub side_file: PathBuf,
}

impl std::fmt::Display for TornTail {
    /// `cut a torn last record (57 bytes at offset 1024) into PATH.torn`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cut a torn last record ({} bytes at offset {}) into {}",
            self.bytes,
            self.offset,
            self.side_file.display()
        )
    }
}

/// An open journal file.
#[derive(Debug)]
pub struct JournalFile {
    path: PathBuf,
    file: File,
    /// Verified state up to the last complete record this handle has read or written.
    verifier: Verifier,
    /// Records other processes appended, not yet returned by [`JournalFile::refresh`].
    unseen: Vec<JournalRecord>,
    /// Torn tails this handle cut away.
    repaired: Vec<TornTail>,
    auto_checkpoint: Option<u64>,
}

/// The `VerifyError` inside an error returned by this module, if the error is a corrupt
/// journal (rather than an I/O failure).
pub fn corruption(error: &io::Error) -> Option<&VerifyError> {
    error.get_ref()?.downcast_ref::<VerifyError>()
}

fn corrupt(e: VerifyError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// `PATH.torn`.
pub fn torn_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".torn");
    PathBuf::from(s)
}

fn new_journal_id(path: &Path, now: Timestamp) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&now.as_nanosecond().to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.update(&fastrand::u64(..).to_le_bytes());
    h.update(path.as_os_str().as_encoded_bytes());
    h.finalize().to_hex()[..32].to_string()
}

/// Scans `file` from the verifier's offset to `end`, in chunks, feeding every complete record
/// to `each`. Returns the bad tail (and its bytes) if the file ends in one; a bad record before
/// the end is an `InvalidData` error carrying a [`VerifyError`].
fn scan_file(
    file: &File,
    verifier: &mut Verifier,
    end: u64,
    mut each: impl FnMut(JournalRecord),
) -> io::Result<Option<(Tail, Vec<u8>)>> {
    let mut pos = verifier.offset();
    let mut carry: Vec<u8> = Vec::new();
    while pos < end {
        let n = CHUNK.min((end - pos) as usize);
        let start = carry.len();
        carry.resize(start + n, 0);
        file.read_exact_at(&mut carry[start..], pos)?;
        pos += n as u64;
        let at_end = pos == end;
        let upto = if at_end {
            carry.len()
        } else {
            match carry.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => continue,
            }
        };
        let base = verifier.offset();
        if let Some(tail) = verifier.scan(&carry[..upto], &mut each).map_err(corrupt)? {
            if !at_end {
                return Err(corrupt(VerifyError {
                    seq: verifier.next_seq(),
                    offset: tail.offset,
                    why: tail.why,
                }));
            }
            let bytes = carry[(tail.offset - base) as usize..].to_vec();
            return Ok(Some((tail, bytes)));
        }
        carry.drain(..upto);
    }
    Ok(None)
}

impl JournalFile {
    /// A handle on an opened file, before any of it is read.
    fn unread(path: PathBuf, file: File) -> JournalFile {
        JournalFile {
            path,
            file,
            verifier: Verifier::new(),
            unseen: Vec::new(),
            repaired: Vec::new(),
            auto_checkpoint: None,
        }
    }

    /// Opens (or creates) the journal at `path` and verifies it from the first record.
    ///
    /// A new journal gets its genesis record (a random journal id). A torn last record is
    /// cut away into `PATH.torn` (see [`JournalFile::repaired`]); any other bad record is an
    /// `InvalidData` error carrying the [`VerifyError`] (see [`corruption`]).
    pub fn open(path: impl AsRef<Path>) -> io::Result<JournalFile> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let mut journal = JournalFile::unread(path, file);
        journal.locked(|j| {
            j.catch_up(true, false)?;
            if j.verifier.next_seq() == 0 {
                let now = Timestamp::now();
                let id = new_journal_id(&j.path, now);
                j.commit(
                    |_| {
                        vec![JournalEntry {
                            actor: SYSTEM_ACTOR.into(),
                            role: RecordRole::System,
                            kind: RecordKind::Genesis,
                            summary: format!("journal {id} created"),
                            body: genesis_body(&id),
                        }]
                    },
                    now,
                )?;
            }
            Ok(())
        })?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id named by the genesis record.
    pub fn journal_id(&self) -> &str {
        self.verifier.journal_id().unwrap_or_default()
    }

    crate::journal::codec::held_chain_accessors!();

    /// Torn tails this handle cut away (on open or before an append).
    pub fn repaired(&self) -> &[TornTail] {
        &self.repaired
    }

    /// Appends a checkpoint record automatically (in the same write and fsync) once `every`
    /// records were written since the last checkpoint; `None` turns that off.
    pub fn set_auto_checkpoint(&mut self, every: Option<u64>) {
        self.auto_checkpoint = every.filter(|n| *n > 0);
    }

    /// Seals `entry` at `ts` after the journal's true head (records other processes appended
    /// meanwhile come first; [`JournalFile::refresh`] returns them) and writes it durably: the
    /// returned record is on disk (`fdatasync`) when this returns.
    pub fn append(&mut self, entry: JournalEntry, ts: Timestamp) -> io::Result<JournalRecord> {
        let mut records = self.append_batch([entry], ts)?.into_iter();
        let record = records.next().expect("one entry gives one record");
        // An automatic checkpoint written along: `refresh` reports it.
        self.unseen.extend(records);
        Ok(record)
    }

    /// Group commit: seals all `entries` at `ts` and writes them with one write and one
    /// `fdatasync`. All or none are acknowledged. The result may end with an automatic
    /// checkpoint record (see [`JournalFile::set_auto_checkpoint`]).
    pub fn append_batch(
        &mut self,
        entries: impl IntoIterator<Item = JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        let entries: Vec<JournalEntry> = entries.into_iter().collect();
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        self.locked(|j| {
            j.catch_up(true, true)?;
            j.commit(|_| entries, ts)
        })
        .map_err(|e| self.located(e))
    }

    /// Appends a checkpoint record: `{size, head}` = the journal's length in bytes and the hash
    /// of its last record before the checkpoint. `SEQ:HASH` of the returned record
    /// (`crate::journal::format_checkpoint`) is what the user copies elsewhere.
    pub fn checkpoint(
        &mut self,
        actor: &str,
        role: Role,
        ts: Timestamp,
    ) -> io::Result<JournalRecord> {
        let actor = actor.to_string();
        let mut records = self
            .locked(|j| {
                j.catch_up(true, true)?;
                j.commit(|v| vec![checkpoint_entry(actor, role.into(), v)], ts)
            })
            .map_err(|e| self.located(e))?;
        Ok(records.swap_remove(0))
    }

    /// Records other processes appended since the last call (or since open), in order, and
    /// automatic checkpoints [`JournalFile::append`] wrote along with a record.
    pub fn refresh(&mut self) -> io::Result<Vec<JournalRecord>> {
        let len = self.file.metadata().map_err(|e| self.located(e))?.len();
        if len != self.verifier.offset() {
            self.file.lock_shared().map_err(|e| self.located(e))?;
            let result = self.catch_up(false, true);
            let _ = self.file.unlock();
            result.map_err(|e| self.located(e))?;
        }
        Ok(std::mem::take(&mut self.unseen))
    }

    /// An I/O error of this journal with the journal's path in its message (a full disk says
    /// which file it could not write). A corrupt record's error (`InvalidData` carrying a
    /// [`VerifyError`], see [`corruption`]) is left as it is.
    fn located(&self, e: io::Error) -> io::Error {
        if corruption(&e).is_some() {
            return e;
        }
        io::Error::new(e.kind(), format!("journal {}: {e}", self.path.display()))
    }

    /// Every record up to this handle's head, read back from the file and verified again.
    pub fn records(&self) -> io::Result<Vec<JournalRecord>> {
        let mut verifier = Verifier::new();
        let mut out = Vec::new();
        scan_file(&self.file, &mut verifier, self.verifier.offset(), |r| {
            out.push(r)
        })?;
        Ok(out)
    }

    /// Runs `f` holding the exclusive lock.
    fn locked<T>(&mut self, f: impl FnOnce(&mut Self) -> io::Result<T>) -> io::Result<T> {
        self.file.lock()?;
        let result = f(self);
        let _ = self.file.unlock();
        result
    }

    /// Reads what was appended after this handle's offset. With `repair` (exclusive lock held)
    /// a torn tail is cut away into the side file; without, it is left alone (its writer may
    /// be a crashed process; the next appender repairs it).
    fn catch_up(&mut self, repair: bool, collect: bool) -> io::Result<()> {
        let size = self.file.metadata()?.len();
        let at = self.verifier.offset();
        if size < at {
            return Err(corrupt(VerifyError {
                seq: self.verifier.next_seq(),
                offset: size,
                why: Problem::Shrunk { was: at, now: size },
            }));
        }
        if size == at {
            return Ok(());
        }
        let mut verifier = self.verifier.clone();
        let mut fresh = Vec::new();
        let tail = scan_file(&self.file, &mut verifier, size, |r| {
            if collect {
                fresh.push(r)
            }
        })?;
        if let Some((tail, bytes)) = tail
            && repair
        {
            self.cut(&tail, &bytes)?;
        }
        self.verifier = verifier;
        self.unseen.extend(fresh);
        Ok(())
    }

    /// Moves a torn tail to the side file (synced), then truncates the journal before it.
    fn cut(&mut self, tail: &Tail, bytes: &[u8]) -> io::Result<()> {
        let side_file = torn_path(&self.path);
        let mut side = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&side_file)?;
        let note = format!(
            "# flightdeck {}: cut {} bytes at offset {} from {} ({})\n",
            Timestamp::now(),
            bytes.len(),
            tail.offset,
            self.path.display(),
            tail.why,
        );
        let mut out = note.into_bytes();
        out.extend_from_slice(bytes);
        if !bytes.ends_with(b"\n") {
            out.push(b'\n');
        }
        side.write_all(&out)?;
        side.sync_all()?;
        self.file.set_len(tail.offset)?;
        self.file.sync_all()?;
        self.repaired.push(TornTail {
            offset: tail.offset,
            bytes: bytes.len() as u64,
            side_file,
        });
        Ok(())
    }

    /// Seals the entries `build` returns after the current head, checks the lines, writes them
    /// in one write and `fdatasync`s. On failure the file is cut back to its previous length
    /// and nothing is acknowledged. Call with the exclusive lock held, after `catch_up`.
    fn commit(
        &mut self,
        build: impl FnOnce(&Verifier) -> Vec<JournalEntry>,
        ts: Timestamp,
    ) -> io::Result<Vec<JournalRecord>> {
        let place = self.path.display().to_string();
        let mut sealer = Sealer::after(&self.verifier);
        for entry in build(&self.verifier) {
            sealer.push(entry, ts).map_err(|e| e.into_io(&place))?;
        }
        if let Some(every) = self.auto_checkpoint {
            let v = sealer.verifier();
            let since = v
                .last_checkpoint()
                .map_or(v.next_seq(), |c| v.next_seq() - c - 1);
            if since >= every {
                let entry = checkpoint_entry(SYSTEM_ACTOR.into(), RecordRole::System, v);
                sealer.push(entry, ts).map_err(|e| e.into_io(&place))?;
            }
        }
        let Sealed {
            records,
            lines,
            verifier,
        } = sealer.finish();
        let buf = lines.concat();
        let before = self.verifier.offset();
        let written = (&self.file)
            .write_all(&buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            let _ = self.file.set_len(before);
            let _ = self.file.sync_data();
            return Err(e);
        }
        self.verifier = verifier;
        Ok(records)
    }

    /// Creates a new journal at `path` whose genesis record is `genesis`, a record already
    /// sealed elsewhere (a replay's or a drill's in-memory chain, continued on disk with
    /// [`JournalFile::append_sealed`]). The file must not exist (`O_EXCL`): this never opens,
    /// truncates or appends to a journal someone else writes (`AlreadyExists` then; pick
    /// another name). The genesis line is checked like any record read back, then written,
    /// `fdatasync`ed, and the directory synced, before this returns.
    pub fn create_new(path: impl AsRef<Path>, genesis: &JournalRecord) -> io::Result<JournalFile> {
        let path = path.as_ref().to_path_buf();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf);
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir)?;
        }
        // A genesis that would not verify leaves no file behind.
        let line = encode_line(genesis);
        Verifier::new()
            .feed(&line[..line.len() - 1])
            .map_err(corrupt)?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&path)?;
        let mut journal = JournalFile::unread(path, file);
        if let Err(e) = journal.append_sealed(std::slice::from_ref(genesis)) {
            // Only an empty file, ours since create_new, is taken away again.
            if journal.file.metadata().is_ok_and(|m| m.len() == 0) {
                let _ = std::fs::remove_file(&journal.path);
            }
            return Err(e);
        }
        if let Some(dir) = &dir {
            File::open(dir)?.sync_all()?;
        }
        Ok(journal)
    }

    /// Appends records already sealed elsewhere, byte for byte as [`encode_line`] writes them:
    /// each must carry the next seq and link to the file's head (if another process appended
    /// meanwhile, that fails and nothing is written). Holding the exclusive lock, the lines are
    /// checked like records read back, written in one write and `fdatasync`ed; on failure the
    /// file is cut back to its previous length and nothing is acknowledged. No automatic
    /// checkpoint is added (it would not be in the chain the records came from).
    pub fn append_sealed(&mut self, records: &[JournalRecord]) -> io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.locked(|j| {
            j.catch_up(true, true)?;
            let mut verifier = j.verifier.clone();
            let mut buf = Vec::new();
            for record in records {
                let line = encode_line(record);
                verifier.feed(&line[..line.len() - 1]).map_err(corrupt)?;
                buf.extend_from_slice(&line);
            }
            let before = j.verifier.offset();
            let written = (&j.file).write_all(&buf).and_then(|()| j.file.sync_data());
            if let Err(e) = written {
                let _ = j.file.set_len(before);
                let _ = j.file.sync_data();
                return Err(e);
            }
            j.verifier = verifier;
            Ok(())
        })
        .map_err(|e| self.located(e))
    }
}

/// The body of a new journal's genesis record: its id.
pub(crate) fn genesis_body(id: &str) -> serde_json::Value {
    RecordBody::of(KindBody::Genesis(GenesisBody {
        journal_id: Some(id.to_string()),
        ..GenesisBody::default()
    }))
    .to_value()
}

impl JournalFile {
    /// Appends a checkpoint record (like [`JournalFile::checkpoint`]) whose body also carries
    /// the fields of `extra` (and whose summary ends with `note`), but only if the journal's
    /// last record is still `head` (seq and hash): a signature over `head` belongs in the
    /// record right after it. Returns `None`, writing nothing, when other records came first
    /// (sign the new head and try again).
    pub fn checkpoint_after(
        &mut self,
        head: (u64, &str),
        extra: serde_json::Map<String, serde_json::Value>,
        note: &str,
        actor: &str,
        role: Role,
        ts: Timestamp,
    ) -> io::Result<Option<JournalRecord>> {
        self.locked(|j| {
            j.catch_up(true, true)?;
            if j.verifier.next_seq() != head.0 + 1 || j.verifier.head() != head.1 {
                return Ok(None);
            }
            let mut records = j.commit(
                |v| {
                    let mut entry = checkpoint_entry(actor.into(), role.into(), v);
                    if let Some(body) = entry.body.as_object_mut() {
                        body.extend(extra);
                    }
                    entry.summary.push_str(note);
                    vec![entry]
                },
                ts,
            )?;
            Ok(Some(records.swap_remove(0)))
        })
    }
}
