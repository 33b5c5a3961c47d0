//! What executed steps printed, kept beside the journal.
//!
//! The executor keeps a step's stdout and stderr (each up to its cap). Each stream is stored as
//! an object named by the BLAKE3 hash of its bytes in `JOURNAL.d/output/` (next to the journal
//! file `JOURNAL`), and the execution record names its objects with their sizes
//! (`exec.output` in the body, see [`crate::cockpit::StepOutput`]). The record is hash-chained,
//! so the output is as tamper-evident as the record: `journal verify` hashes every object a
//! record names again ([`OutputStore::check_record`]).
//!
//! - **Written before the record.** An object goes to a temporary file, is `fsync`ed, renamed to
//!   its name, and the directory is `fsync`ed, before the executor hands the outcome to the
//!   cockpit, which only then journals it. A crash in between leaves an object nobody names,
//!   never a record that names a missing object.
//! - **Immutable and shared.** The same bytes are one object; an existing object is kept if it
//!   still hashes to its name (and written again if it does not).
//! - **The empty stream** is not stored: its hash names it.
//! - **Names are checked** before they become paths: 64 lowercase hex digits, nothing else, so a
//!   crafted record cannot point outside the directory.
//! - **In memory** when the journal is (tests, `--headless` dry looks).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::cockpit::{OutputObject, StepOutput};
use crate::exec::ExecResult;
use crate::journal::{JournalRecord, RecordKind};

/// The directory of the output objects of the journal at `journal`: `JOURNAL.d/output`.
pub fn output_dir(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".d");
    PathBuf::from(s).join("output")
}

/// The name of `bytes` as an object: their BLAKE3 hash in lowercase hex.
pub fn object_name(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

fn is_empty_name(name: &str) -> bool {
    name == blake3::hash(b"").to_hex().as_str()
}

/// 64 lowercase hex digits: the only names that become paths.
fn valid_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why an object a record names cannot be read back as it was written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("the output object {name} is missing (looked for {path})")]
    Missing { name: String, path: String },
    #[error(
        "the output object {name} was altered: its bytes now hash to {actual} ({path}); \
         the record's hash is what ran"
    )]
    Altered {
        name: String,
        actual: String,
        path: String,
    },
    #[error("the output object {name} holds {actual} bytes but the record says {expected}")]
    Size {
        name: String,
        expected: u64,
        actual: u64,
    },
    #[error("the record names an output object {0:?}, which is not a BLAKE3 hash")]
    BadName(String),
    #[error("the record's exec.output cannot be read: {0}")]
    BadRecord(String),
    #[error("reading the output object {name}: {source} ({path})")]
    Io {
        name: String,
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Where output objects live: a directory beside a journal file, or memory.
#[derive(Debug, Clone)]
pub struct OutputStore {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Dir(Arc<PathBuf>),
    Memory(Arc<Mutex<HashMap<String, Arc<[u8]>>>>),
}

/// `fsync` a directory, so that the names created in it survive a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl OutputStore {
    /// The objects of the journal file at `journal` (`JOURNAL.d/output/`; made on first write).
    pub fn beside(journal: &Path) -> OutputStore {
        OutputStore {
            inner: Inner::Dir(Arc::new(output_dir(journal))),
        }
    }

    /// Objects kept in memory, for a journal kept in memory.
    pub fn in_memory() -> OutputStore {
        OutputStore {
            inner: Inner::Memory(Arc::default()),
        }
    }

    /// The directory, if the objects are on disk.
    pub fn dir(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Dir(d) => Some(d),
            Inner::Memory(_) => None,
        }
    }

    /// Stores `bytes` durably (on disk: written, `fsync`ed, renamed, directory `fsync`ed) and
    /// returns its name.
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        Ok(self.put_all(&[bytes])?.swap_remove(0))
    }

    /// Stores each of `objects` durably, with one directory `fsync` for all, and returns
    /// their names in order.
    pub fn put_all(&self, objects: &[&[u8]]) -> io::Result<Vec<String>> {
        let names: Vec<String> = objects.iter().map(|b| object_name(b)).collect();
        match &self.inner {
            Inner::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
                for (name, bytes) in names.iter().zip(objects) {
                    if !bytes.is_empty() {
                        map.entry(name.clone()).or_insert_with(|| (*bytes).into());
                    }
                }
            }
            Inner::Dir(dir) => {
                let mut placed = false;
                for (name, bytes) in names.iter().zip(objects) {
                    if !bytes.is_empty() {
                        place_file(dir, name, bytes)?;
                        placed = true;
                    }
                }
                // The names (renames) survive a crash once their directory is synced.
                if placed {
                    sync_dir(dir)?;
                }
            }
        }
        Ok(names)
    }

    /// Keeps the captured output of `result` and returns what the execution record names.
    pub fn keep(&self, result: &ExecResult) -> io::Result<StepOutput> {
        let names = self.put_all(&[&result.stdout, &result.stderr])?;
        let object = |name: &String, bytes: &[u8], dropped: u64| OutputObject {
            blake3: name.clone(),
            bytes: bytes.len() as u64,
            dropped,
        };
        Ok(StepOutput {
            stdout: object(&names[0], &result.stdout, result.stdout_dropped),
            stderr: object(&names[1], &result.stderr, result.stderr_dropped),
        })
    }

    /// The bytes of `object`, checked against its name and size.
    pub fn get(&self, object: &OutputObject) -> Result<Vec<u8>, OutputError> {
        let name = &object.blake3;
        if !valid_name(name) {
            return Err(OutputError::BadName(name.clone()));
        }
        let (bytes, path) = if is_empty_name(name) {
            (Vec::new(), String::new())
        } else {
            match &self.inner {
                Inner::Memory(map) => {
                    let found = map
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(name)
                        .cloned();
                    match found {
                        Some(b) => (b.to_vec(), "memory".to_string()),
                        None => {
                            return Err(OutputError::Missing {
                                name: name.clone(),
                                path: "memory".into(),
                            });
                        }
                    }
                }
                Inner::Dir(dir) => {
                    let path = dir.join(name);
                    let shown = path.display().to_string();
                    match std::fs::read(&path) {
                        Ok(b) => (b, shown),
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {
                            return Err(OutputError::Missing {
                                name: name.clone(),
                                path: shown,
                            });
                        }
                        Err(source) => {
                            return Err(OutputError::Io {
                                name: name.clone(),
                                path: shown,
                                source,
                            });
                        }
                    }
                }
            }
        };
        let actual = object_name(&bytes);
        if &actual != name {
            return Err(OutputError::Altered {
                name: name.clone(),
                actual,
                path,
            });
        }
        if bytes.len() as u64 != object.bytes {
            return Err(OutputError::Size {
                name: name.clone(),
                expected: object.bytes,
                actual: bytes.len() as u64,
            });
        }
        Ok(bytes)
    }

    /// Checks every object `record` names (an execution record with kept output): each
    /// problem with the stream it is about. Adds what was checked to `tally`.
    pub fn check_record(
        &self,
        record: &JournalRecord,
        tally: &mut OutputTally,
    ) -> Vec<(&'static str, OutputError)> {
        let output = match record_output(record) {
            None => return Vec::new(),
            Some(Err(e)) => return vec![("exec.output", e)],
            Some(Ok(o)) => o,
        };
        tally.records += 1;
        let mut problems = Vec::new();
        for (stream, object) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            match self.get(object) {
                Ok(bytes) => {
                    tally.objects += 1;
                    tally.bytes += bytes.len() as u64;
                }
                Err(e) => problems.push((stream, e)),
            }
        }
        problems
    }
}

/// What [`OutputStore::check_record`] checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutputTally {
    /// Execution records with kept output.
    pub records: u64,
    /// Objects read back and hashed (empty streams included).
    pub objects: u64,
    pub bytes: u64,
}

/// The output an execution record names: `None` if it names none (other kinds, dry runs,
/// silences, records written before output was kept), an error if `exec.output` is there but
/// is not what it should be.
pub fn record_output(record: &JournalRecord) -> Option<Result<StepOutput, OutputError>> {
    if record.kind != RecordKind::Execution {
        return None;
    }
    let value = record.body.get("exec")?.get("output")?;
    if value.is_null() {
        return None;
    }
    Some(
        serde_json::from_value::<StepOutput>(value.clone())
            .map_err(|e| OutputError::BadRecord(e.to_string())),
    )
}

/// Writes the object `name` = `bytes` into `dir`: a temporary file, written and `fsync`ed, then
/// renamed to its name. The caller `fsync`s `dir` afterwards, so that the name lasts.
fn place_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    if !dir.is_dir() {
        std::fs::create_dir_all(dir)?;
        // The new directories' names must survive a crash too: `JOURNAL.d` in the journal's
        // directory, `output` in `JOURNAL.d`.
        let mut up = dir.parent();
        for _ in 0..2 {
            if let Some(d) = up.filter(|d| !d.as_os_str().is_empty()) {
                sync_dir(d)?;
                up = d.parent();
            }
        }
    }
    let path = dir.join(name);
    if let Ok(existing) = std::fs::read(&path)
        && object_name(&existing) == name
    {
        // Already there (another run printed the same): make sure it is on disk.
        return File::open(&path)?.sync_all();
    }
    let tmp = dir.join(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        fastrand::u64(..)
    ));
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Output text for a terminal: what is not text (invalid UTF-8) becomes U+FFFD, and control
/// characters other than newline and tab (escape sequences that would move the cursor, recolour
/// or retitle the terminal) are shown as `\u{1b}`-style escapes.
pub fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(bytes: &[u8]) -> OutputObject {
        OutputObject {
            blake3: object_name(bytes),
            bytes: bytes.len() as u64,
            dropped: 0,
        }
    }

    #[test]
    fn objects_round_trip_and_alterations_are_caught() {
        let dir = tempfile::tempdir().unwrap();
        let store = OutputStore::beside(&dir.path().join("journal.jsonl"));
        let name = store.put(b"hello\n").unwrap();
        assert_eq!(name, object_name(b"hello\n"));
        assert!(
            dir.path()
                .join("journal.jsonl.d/output")
                .join(&name)
                .is_file()
        );
        assert_eq!(store.get(&object(b"hello\n")).unwrap(), b"hello\n");
        // Putting it again changes nothing; the empty stream needs no file.
        store.put(b"hello\n").unwrap();
        store.put(b"").unwrap();
        assert_eq!(
            std::fs::read_dir(store.dir().unwrap()).unwrap().count(),
            1,
            "one object, no temporary files left"
        );
        assert_eq!(store.get(&object(b"")).unwrap(), b"");

        let path = store.dir().unwrap().join(&name);
        std::fs::write(&path, b"hellO\n").unwrap();
        let e = store.get(&object(b"hello\n")).unwrap_err();
        assert!(matches!(e, OutputError::Altered { .. }), "{e}");
        // Written again, an altered object is replaced by the true bytes.
        store.put(b"hello\n").unwrap();
        assert_eq!(store.get(&object(b"hello\n")).unwrap(), b"hello\n");
        std::fs::remove_file(&path).unwrap();
        let e = store.get(&object(b"hello\n")).unwrap_err();
        assert!(matches!(e, OutputError::Missing { .. }), "{e}");
        assert!(e.to_string().contains(&name), "{e}");

        let mut wrong_size = object(b"hello\n");
        store.put(b"hello\n").unwrap();
        wrong_size.bytes = 5;
        assert!(matches!(
            store.get(&wrong_size).unwrap_err(),
            OutputError::Size { .. }
        ));
    }

    #[test]
    fn names_that_are_not_hashes_never_become_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), b"x").unwrap();
        let store = OutputStore::beside(&dir.path().join("j.jsonl"));
        for name in [
            "../../secret",
            "",
            &"A".repeat(64),
            &format!("{}/", "a".repeat(63)),
        ] {
            let o = OutputObject {
                blake3: name.to_string(),
                bytes: 1,
                dropped: 0,
            };
            assert!(
                matches!(store.get(&o), Err(OutputError::BadName(_))),
                "{name:?}"
            );
        }
    }

    #[test]
    fn memory_objects_round_trip() {
        let store = OutputStore::in_memory();
        store.put(b"x").unwrap();
        assert_eq!(store.get(&object(b"x")).unwrap(), b"x");
        assert!(matches!(
            store.get(&object(b"y")),
            Err(OutputError::Missing { .. })
        ));
    }

    #[test]
    fn printable_escapes_terminal_controls_only() {
        assert_eq!(printable(b"a\tb\nc"), "a\tb\nc");
        assert_eq!(
            printable(b"\x1b]0;owned\x07x"),
            "\\u{001b}]0;owned\\u{0007}x"
        );
        assert_eq!(printable(b"\xff"), "\u{fffd}");
        assert_eq!(printable("\u{9b}31m".as_bytes()), "\\u{009b}31m");
    }
}
