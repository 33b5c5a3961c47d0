//! Reloading knowledge when a runbook or postmortem changes on disk.
//!
//! Edge code (the core never reads files). [`KnowledgeWatcher::poll`] walks the knowledge
//! directories and compares what it finds with the previous walk: every `*.md` file's length,
//! modification time and, on Unix, device, inode and change time. Only when something differs
//! does it read and parse everything again (with [`crate::load::knowledge_dirs`], as at start-up)
//! and hand back the new [`KnowledgeBase`]; a document broken by the edit is reported and
//! skipped, the rest load.
//!
//! Polling rather than file-system events (`notify`): a stat walk every [`POLL_INTERVAL`] costs
//! little (about 6 µs a file: 6 ms for 1,000 documents, 60 ms for 10,000; see the ignored
//! `poll_cost` test in tests/suite/knowledge_watch.rs) and sees every way a file can change. Events miss changes made on
//! another host of a network file system (NFS, SMB, most FUSE mounts report none), lose a file's
//! watch when an editor saves by writing a new file and renaming it over the old one, need one
//! watch per directory (bounded by `fs.inotify.max_user_watches`) and differ between platforms;
//! a poll has none of those failure modes, is deterministic to test, and needs no dependency.
//!
//! A reload that meets an I/O error other than a missing or forbidden file (too many open
//! files, say, when the process ran out of descriptors) is abandoned: the previous knowledge
//! stays, the error is logged, and the next poll tries again — the knowledge base is never
//! replaced by what a failing disk or descriptor table let through.
//!
//! Time stamps can be too coarse to tell two writes apart (one second on some file systems, two
//! on FAT, attribute caching on NFS). As git does for its index ("racy git"), a file modified
//! less than [`RACY`] before a walk also has its content hashed, and is compared by content on
//! the next walk when its stamp has not moved, so a same-length rewrite within the same tick is
//! not missed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::knowledge::{DocError, DocKind, KnowledgeBase};

/// How often the loops are expected to call [`KnowledgeWatcher::poll`].
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// A file whose modification time is this close to the walk (or in the future) may still be
/// rewritten without its time stamp changing: its content is hashed too.
pub const RACY: Duration = Duration::from_secs(3);

/// What [`KnowledgeWatcher::poll`] hands back when something changed.
#[derive(Debug)]
pub struct Reloaded {
    /// Everything loaded again, from all the directories.
    pub knowledge: KnowledgeBase,
    /// Documents (and directories) that could not be read or parsed, each with its path and
    /// reason (`Display`: `path[:line]: reason`); they were skipped, the rest loaded.
    pub errors: Vec<DocError>,
    /// Files added, modified or removed since the previous walk (and directories that became
    /// readable or unreadable), sorted.
    pub changed: Vec<PathBuf>,
}

impl Reloaded {
    /// One line for the status bar: what changed, what loaded, what was skipped.
    pub fn summary(&self) -> String {
        let kb = &self.knowledge;
        let mut text = format!(
            "knowledge reloaded ({} changed): {} runbooks, {} postmortems",
            self.changed.len(),
            kb.runbooks.len(),
            kb.postmortems.len()
        );
        if let Some(e) = self.errors.first() {
            text.push_str(&format!("; {} skipped, first: {e}", self.errors.len()));
        }
        text
    }
}

/// Watches knowledge directories by polling; see the module documentation.
#[derive(Debug)]
pub struct KnowledgeWatcher {
    dirs: Vec<(DocKind, PathBuf)>,
    snapshot: Snapshot,
    /// The I/O error that stopped the last reload, if it failed (logged once).
    failed: Option<String>,
}

type Snapshot = BTreeMap<PathBuf, Entry>;

#[derive(Clone, Debug, PartialEq)]
enum Entry {
    File(Stamp),
    /// A directory that could not be read, with the reason.
    Unreadable(String),
}

/// What is compared of a file between two walks.
#[derive(Clone, Debug)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    /// Device, inode, change time (seconds, nanoseconds): a file replaced by a rename, or
    /// rewritten with its modification time put back, differs here.
    #[cfg(unix)]
    identity: (u64, u64, i64, i64),
    /// The content's hash, for a file modified close to the walk (see [`RACY`]).
    hash: Option<blake3::Hash>,
}

impl Stamp {
    fn same_metadata(&self, other: &Stamp) -> bool {
        #[cfg(unix)]
        if self.identity != other.identity {
            return false;
        }
        self.len == other.len && self.modified == other.modified
    }
}

impl PartialEq for Stamp {
    fn eq(&self, other: &Stamp) -> bool {
        self.same_metadata(other)
            && match (self.hash, other.hash) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl KnowledgeWatcher {
    /// Watches `dirs` (as [`crate::load::knowledge_dirs`] reads them: every `*.md` below each
    /// directory, recursively), taking the first snapshot now: the first [`poll`] returns `None`
    /// unless something changes after this call. Directories that do not exist yet are watched
    /// too (their appearance is a change).
    ///
    /// [`poll`]: KnowledgeWatcher::poll
    pub fn new(dirs: Vec<(DocKind, PathBuf)>) -> KnowledgeWatcher {
        let snapshot = walk(&dirs, &Snapshot::new(), SystemTime::now());
        KnowledgeWatcher {
            dirs,
            snapshot,
            failed: None,
        }
    }

    /// Takes the snapshot, then loads the knowledge, so that no change made while loading is
    /// missed (it shows at the next [`poll`](KnowledgeWatcher::poll)). Use this instead of
    /// loading first and creating the watcher after.
    pub fn load(dirs: Vec<(DocKind, PathBuf)>) -> (KnowledgeWatcher, KnowledgeBase, Vec<DocError>) {
        let watcher = KnowledgeWatcher::new(dirs);
        let (knowledge, errors) = crate::load::knowledge_dirs(&watcher.dirs);
        (watcher, knowledge, errors)
    }

    /// The watched directories.
    pub fn dirs(&self) -> &[(DocKind, PathBuf)] {
        &self.dirs
    }

    /// Walks the directories (a stat per file: cheap) and returns `Some` only when a document
    /// was added, modified or removed since the previous walk, with everything reloaded.
    ///
    /// Blocking: the walk takes about 6 µs a file, a reload as long as the start-up did
    /// (about 60 ms for 1,000 documents); an async loop calls it from `spawn_blocking` (the
    /// watcher is `Send`) or from a thread of its own.
    ///
    /// A reload that meets an I/O error (see the module documentation) returns `None` and
    /// keeps the previous snapshot, so the change is seen again at the next poll.
    pub fn poll(&mut self) -> Option<Reloaded> {
        let now = walk(&self.dirs, &self.snapshot, SystemTime::now());
        let changed = diff(&self.snapshot, &now);
        if changed.is_empty() {
            self.snapshot = now;
            return None;
        }
        let (knowledge, errors, failure) = crate::load::read_knowledge_dirs(&self.dirs);
        if let Some(e) = failure {
            if self.failed.as_ref() != Some(&e) {
                tracing::warn!("knowledge reload abandoned, the previous knowledge stays: {e}");
            }
            self.failed = Some(e);
            return None;
        }
        self.failed = None;
        self.snapshot = now;
        Some(Reloaded {
            knowledge,
            errors,
            changed,
        })
    }

    /// The walk alone: the paths that changed since the previous walk, if any (the snapshot
    /// moves on either way). For callers that reload differently.
    pub fn check(&mut self) -> Option<Vec<PathBuf>> {
        let now = walk(&self.dirs, &self.snapshot, SystemTime::now());
        let changed = diff(&self.snapshot, &now);
        self.snapshot = now;
        (!changed.is_empty()).then_some(changed)
    }
}

/// Polls the knowledge directories every [`POLL_INTERVAL`] off the async threads (a stat walk,
/// and a reload when something changed) and sends what was loaded again.
pub fn spawn(mut watcher: KnowledgeWatcher) -> tokio::sync::mpsc::Receiver<Reloaded> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    if watcher.dirs().is_empty() {
        return rx;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(POLL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Ok((back, reloaded)) = tokio::task::spawn_blocking(move || {
                let reloaded = watcher.poll();
                (watcher, reloaded)
            })
            .await
            else {
                return;
            };
            watcher = back;
            if let Some(r) = reloaded
                && tx.send(r).await.is_err()
            {
                return;
            }
        }
    });
    rx
}

/// The paths whose entries differ between two snapshots, sorted.
fn diff(old: &Snapshot, new: &Snapshot) -> Vec<PathBuf> {
    let keys: BTreeSet<&PathBuf> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect()
}

/// Every `*.md` file below `dirs` with its stamp, and every directory that could not be read.
/// `previous` says which files were hashed last time (they are hashed again while their
/// metadata has not moved, however old their time stamp is by now).
fn walk(dirs: &[(DocKind, PathBuf)], previous: &Snapshot, now: SystemTime) -> Snapshot {
    // The loader's own walk: the same files, each once, no loop through symbolic links, and
    // nothing that is not a regular file.
    let mut out = Snapshot::new();
    crate::load::walk_knowledge(dirs, |found| match found {
        crate::load::Found::File { path, meta, .. } => {
            let stamp = stamp(&path, &meta, previous.get(&path), now);
            out.insert(path, Entry::File(stamp));
        }
        crate::load::Found::Unreadable {
            path,
            dir: true,
            error,
        } => {
            out.insert(path, Entry::Unreadable(error.kind().to_string()));
        }
        crate::load::Found::Unreadable { .. } | crate::load::Found::NotRegular { .. } => {}
    });
    out
}

fn stamp(
    path: &Path,
    meta: &std::fs::Metadata,
    previous: Option<&Entry>,
    now: SystemTime,
) -> Stamp {
    let mut s = Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        #[cfg(unix)]
        identity: {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec())
        },
        hash: None,
    };
    let racy = match s.modified {
        Some(m) => now.duration_since(m).is_ok_and(|age| age < RACY) || m > now,
        None => true,
    };
    let hashed_before =
        matches!(previous, Some(Entry::File(p)) if p.hash.is_some() && p.same_metadata(&s));
    if racy || hashed_before {
        // An unreadable file gets no hash; the loader reports it.
        s.hash = crate::load::read_regular_bytes(path)
            .ok()
            .map(|b| blake3::hash(&b));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn can_move_to_a_blocking_task() {
        fn send<T: Send + 'static>() {}
        send::<KnowledgeWatcher>();
        send::<Reloaded>();
    }

    #[test]
    fn fresh_files_are_compared_by_content() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.md");
        std::fs::write(&p, "# One\n").unwrap();
        let meta = std::fs::metadata(&p).unwrap();
        let now = meta.modified().unwrap();
        // Modified just now: hashed.
        let fresh = stamp(&p, &meta, None, now);
        assert!(fresh.hash.is_some());
        // Long ago: not hashed...
        let later = now + Duration::from_secs(3600);
        assert!(stamp(&p, &meta, None, later).hash.is_none());
        // ...unless it was hashed last time and its metadata has not moved since.
        let prev = Entry::File(fresh.clone());
        let again = stamp(&p, &meta, Some(&prev), later);
        assert_eq!(again.hash, fresh.hash);
        // Same metadata, other content: a change. Without hashes, metadata decides.
        let mut other = fresh.clone();
        other.hash = Some(blake3::hash(b"# Two\n"));
        assert_ne!(fresh, other);
        other.hash = None;
        assert_eq!(fresh, other);
        other.len += 1;
        assert_ne!(fresh, other);
    }
}
