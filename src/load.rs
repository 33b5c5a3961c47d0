//! Reading scenarios and knowledge from disk or from the demo embedded in the binary.
//!
//! Edge code: it touches the file system so that the pure modules never do. A broken document is
//! reported with its path and skipped; a broken scenario is an error that names file and line.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::knowledge::doc::doc_error;
use crate::knowledge::{DocError, DocKind, KnowledgeBase};
use crate::training::Scenario;

/// The bundled demo incident: scenario, runbooks and postmortems.
pub static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

/// A scenario with the knowledge it names.
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub knowledge: KnowledgeBase,
    /// Documents that could not be read, each with its path and reason.
    pub doc_errors: Vec<DocError>,
    /// Where it came from, for the header and messages.
    pub origin: String,
    /// The directories its knowledge came from (none for the embedded demo), to watch.
    pub knowledge_dirs: Vec<(DocKind, PathBuf)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Scenario(#[from] crate::training::ScenarioError),
    #[error("the bundled demo is missing {0} (the binary was built without assets/demo)")]
    Demo(&'static str),
}

/// Which kind of document a directory given on its own holds (`--kb DIR`, a scenario's
/// `knowledge:`), from its path: postmortems if it says so, else runbooks. Below it,
/// [`walk_knowledge`] decides file by file ([`kind_named`]): `--kb assets/demo` reads
/// `postmortems/*.md` as postmortems.
pub fn kind_for(dir: &str) -> DocKind {
    kind_named(dir).unwrap_or(DocKind::Runbook)
}

/// The kind a directory's name says its documents are (`postmortems`, `runbooks`, any case,
/// as part of a longer name too), if it says one.
pub fn kind_named(name: &str) -> Option<DocKind> {
    let name = name.to_ascii_lowercase();
    if name.contains("postmortem") {
        Some(DocKind::Postmortem)
    } else if name.contains("runbook") {
        Some(DocKind::Runbook)
    } else {
        None
    }
}

/// The embedded demo.
pub fn demo() -> Result<LoadedScenario, LoadError> {
    let text = DEMO
        .get_file("scenario.yaml")
        .and_then(|f| f.contents_utf8())
        .ok_or(LoadError::Demo("scenario.yaml"))?;
    let scenario = Scenario::parse("<demo>/scenario.yaml", text)?;
    let (knowledge, doc_errors) = demo_docs(&scenario.knowledge);
    Ok(LoadedScenario {
        scenario,
        knowledge,
        doc_errors,
        origin: "bundled demo".into(),
        knowledge_dirs: Vec::new(),
    })
}

/// The directories of the embedded demo that hold its knowledge (what its scenario's
/// `knowledge:` names; a test keeps the two in step).
pub const DEMO_KNOWLEDGE: [&str; 2] = ["runbooks", "postmortems"];

/// The embedded demo's runbooks and postmortems, without reading its scenario (the default
/// knowledge of `alerts cluster`, `kb …`).
pub fn demo_knowledge() -> (KnowledgeBase, Vec<DocError>) {
    let dirs: Vec<String> = DEMO_KNOWLEDGE.iter().map(|d| d.to_string()).collect();
    demo_docs(&dirs)
}

fn demo_docs(knowledge: &[String]) -> (KnowledgeBase, Vec<DocError>) {
    let mut docs = Vec::new();
    for dir in knowledge {
        let Some(d) = DEMO.get_dir(dir.as_str()) else {
            continue;
        };
        for f in d.files() {
            let path = f.path().to_string_lossy().to_string();
            if !path.ends_with(".md") {
                continue;
            }
            if let Some(text) = f.contents_utf8() {
                docs.push((kind_for(dir), path, text.to_string()));
            }
        }
    }
    docs.sort_by(|a, b| a.1.cmp(&b.1));
    KnowledgeBase::from_documents(docs)
}

/// A scenario file and the knowledge directories it names (relative to the file).
pub fn scenario_file(path: &Path) -> Result<LoadedScenario, LoadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: shown.clone(),
        source,
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    // `events:` names a JSON Lines file beside the scenario (docs/FORMATS.md).
    let scenario = Scenario::parse_with(&shown, &text, |name| {
        let file = dir.join(name);
        let shown = file.display().to_string();
        read_regular(&file)
            .map(|text| (shown.clone(), text))
            .map_err(|e| format!("{shown}: cannot read: {e}"))
    })?;
    let dirs = scenario_knowledge_dirs(path, &scenario);
    let (knowledge, doc_errors) = knowledge_dirs(&dirs);
    Ok(LoadedScenario {
        scenario,
        knowledge,
        doc_errors,
        origin: shown,
        knowledge_dirs: dirs,
    })
}

/// The knowledge directories a scenario file names, resolved against the file's directory,
/// each with the kind of document it holds (what [`scenario_file`] loads, and what a
/// [`crate::knowledge_watch::KnowledgeWatcher`] for it watches).
pub fn scenario_knowledge_dirs(path: &Path, scenario: &Scenario) -> Vec<(DocKind, PathBuf)> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    scenario
        .knowledge
        .iter()
        .map(|d| (kind_for(d), base.join(d)))
        .collect()
}

/// Reads every `*.md` under the given directories (recursively, with [`walk_knowledge`]);
/// unreadable files and directories, and `*.md` entries that are not regular files, become
/// `DocError`s, the rest load.
pub fn knowledge_dirs(dirs: &[(DocKind, PathBuf)]) -> (KnowledgeBase, Vec<DocError>) {
    let (kb, errors, _) = read_knowledge_dirs(dirs);
    (kb, errors)
}

/// [`knowledge_dirs`], also saying whether something that exists could not be read for a
/// reason other than its permissions (too many open files, an I/O error): then what loaded is
/// not what is on disk, and a reload should keep the knowledge it has.
pub fn read_knowledge_dirs(
    dirs: &[(DocKind, PathBuf)],
) -> (KnowledgeBase, Vec<DocError>, Option<String>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let mut failure: Option<String> = None;
    let mut io_failed = |path: &Path, e: &std::io::Error| {
        use std::io::ErrorKind::{NotADirectory, NotFound, PermissionDenied};
        if failure.is_none() && !matches!(e.kind(), NotFound | PermissionDenied | NotADirectory) {
            failure = Some(format!("{}: {e}", path.display()));
        }
    };
    walk_knowledge(dirs, |found| match found {
        Found::File {
            kind, root, path, ..
        } => {
            // Paths are shown relative to the directory they were found in.
            let shown = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            match read_regular(&path) {
                Ok(text) => docs.push((kind, shown, text)),
                Err(e) => {
                    io_failed(&path, &e);
                    errors.push(doc_error(
                        path.display().to_string(),
                        None,
                        format!("cannot read: {e}"),
                    ))
                }
            }
        }
        Found::Unreadable { path, dir, error } => {
            io_failed(&path, &error);
            errors.push(doc_error(
                path.display().to_string(),
                None,
                if dir {
                    format!("cannot read directory: {error}")
                } else {
                    format!("cannot read: {error}")
                },
            ))
        }
        Found::NotRegular { path } => errors.push(doc_error(
            path.display().to_string(),
            None,
            "not a regular file (a pipe, socket or device?): skipped",
        )),
    });
    docs.sort_by(|a, b| a.1.cmp(&b.1));
    let (kb, mut doc_errors) = KnowledgeBase::from_documents(docs);
    errors.append(&mut doc_errors);
    (kb, errors, failure)
}

/// What [`walk_knowledge`] finds below the knowledge directories.
#[derive(Debug)]
pub enum Found<'a> {
    /// A regular `*.md` file (reached directly or through symbolic links), found below `root`
    /// (one of the directories given), the first time its file (device and inode) is met.
    File {
        kind: DocKind,
        root: &'a Path,
        path: PathBuf,
        meta: std::fs::Metadata,
    },
    /// A directory (`dir`) or a `*.md` entry that could not be read or followed (a broken link).
    Unreadable {
        path: PathBuf,
        dir: bool,
        error: std::io::Error,
    },
    /// A `*.md` entry that is neither a directory nor a regular file: a FIFO, a socket, a device.
    /// Never opened (reading a FIFO would wait for a writer forever).
    NotRegular { path: PathBuf },
}

/// The one walk of knowledge directories, shared by the loader ([`knowledge_dirs`]) and the
/// watcher ([`crate::knowledge_watch`]), so that both see the same files.
///
/// Every `*.md` regular file below each directory, recursively, following symbolic links, each
/// file and each directory at most once (by device and inode, over all the directories): a link
/// back up the tree (`ln -s . loop`) ends the walk there instead of looping, and a file reached
/// by two paths (a linked directory, a hard link) loads once. Entries of a directory are taken
/// in name order, those that are not symbolic links first, so the path a file is known by does
/// not depend on the order the file system lists them in.
///
/// A file's kind is that of the nearest directory between it and its root whose name says one
/// ([`kind_named`]: `postmortems/`, `runbooks/`), else the root's: a root given as runbooks that
/// holds `postmortems/` (`--kb assets/demo`) yields its postmortems as postmortems.
pub fn walk_knowledge<'a>(dirs: &'a [(DocKind, PathBuf)], mut visit: impl FnMut(Found<'a>)) {
    let mut seen_dirs: std::collections::HashSet<(u64, u64)> = Default::default();
    let mut seen_files: std::collections::HashSet<(u64, u64)> = Default::default();
    for (root_kind, root) in dirs {
        let mut stack = vec![(root.clone(), *root_kind)];
        while let Some((d, kind)) = stack.pop() {
            match std::fs::metadata(&d) {
                Ok(m) => {
                    if let Some(id) = identity(&m)
                        && !seen_dirs.insert(id)
                    {
                        continue;
                    }
                }
                Err(error) => {
                    visit(Found::Unreadable {
                        path: d,
                        dir: true,
                        error,
                    });
                    continue;
                }
            }
            let entries = match std::fs::read_dir(&d) {
                Ok(e) => e,
                Err(error) => {
                    visit(Found::Unreadable {
                        path: d,
                        dir: true,
                        error,
                    });
                    continue;
                }
            };
            let mut listed: Vec<(bool, std::ffi::OsString, std::fs::DirEntry)> = Vec::new();
            for entry in entries {
                match entry {
                    Ok(e) => {
                        let link = e.file_type().is_ok_and(|t| t.is_symlink());
                        listed.push((link, e.file_name(), e));
                    }
                    // Listing failed part way (an I/O error): said once for the directory.
                    Err(error) => {
                        visit(Found::Unreadable {
                            path: d.clone(),
                            dir: true,
                            error,
                        });
                        break;
                    }
                }
            }
            let mut entries = listed;
            entries.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            let mut subdirs = Vec::new();
            for (_, _, entry) in entries {
                let p = entry.path();
                let is_md = p.extension().is_some_and(|e| e == "md");
                // The type from the directory listing costs no system call; a symbolic link is
                // followed (one `stat`).
                let meta = match entry.file_type() {
                    Ok(t) if t.is_dir() => {
                        subdirs.push(below(p, kind));
                        continue;
                    }
                    Ok(t) if !is_md && !t.is_symlink() => continue,
                    Ok(t) if t.is_file() => entry.metadata(),
                    _ => std::fs::metadata(&p),
                };
                match meta {
                    Ok(m) if m.is_dir() => subdirs.push(below(p, kind)),
                    Ok(_) if !is_md => {}
                    Ok(m) if m.is_file() => {
                        if identity(&m).is_none_or(|id| seen_files.insert(id)) {
                            visit(Found::File {
                                kind,
                                root,
                                path: p,
                                meta: m,
                            });
                        }
                    }
                    Ok(_) => visit(Found::NotRegular { path: p }),
                    Err(_) if !is_md => {}
                    Err(error) => visit(Found::Unreadable {
                        path: p,
                        dir: false,
                        error,
                    }),
                }
            }
            // Popped in name order.
            stack.extend(subdirs.into_iter().rev());
        }
    }
}

/// A subdirectory met in the walk, with the kind of the documents below it.
fn below(dir: PathBuf, parent: DocKind) -> (PathBuf, DocKind) {
    let kind = dir
        .file_name()
        .and_then(|n| kind_named(&n.to_string_lossy()))
        .unwrap_or(parent);
    (dir, kind)
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Reads a file as text only if it is (still) a regular file (see [`read_regular_bytes`]).
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_regular_bytes(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Reads a file only if it is (still) a regular file: opened without blocking, so a file
/// swapped for a FIFO after the walk saw it cannot hang the loader or the watcher.
pub fn read_regular_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod demo_tests {
    use super::*;

    #[test]
    fn demo_knowledge_is_what_the_demo_scenario_names() {
        let loaded = demo().unwrap();
        assert_eq!(loaded.scenario.knowledge, DEMO_KNOWLEDGE);
        let (kb, errors) = demo_knowledge();
        assert!(errors.is_empty());
        assert_eq!(kb.runbooks.len(), loaded.knowledge.runbooks.len());
        assert_eq!(kb.postmortems.len(), loaded.knowledge.postmortems.len());
        assert!(!kb.runbooks.is_empty());
    }
}
