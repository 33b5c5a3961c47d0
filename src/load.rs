//! Reading scenarios and knowledge from disk or from the demo embedded in the binary.
//!
//! Edge code: it touches the file system so that the pure modules never do. A broken document is
//! reported with its path and skipped; a broken scenario is an error that names file and line.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

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

/// Which kind of document a file is, from the directory it sits in.
pub fn kind_for(dir: &str) -> DocKind {
    if dir.to_ascii_lowercase().contains("postmortem") {
        DocKind::Postmortem
    } else {
        DocKind::Runbook
    }
}

/// The embedded demo.
pub fn demo() -> Result<LoadedScenario, LoadError> {
    let text = DEMO
        .get_file("scenario.yaml")
        .and_then(|f| f.contents_utf8())
        .ok_or(LoadError::Demo("scenario.yaml"))?;
    let scenario = Scenario::parse("<demo>/scenario.yaml", text)?;
    let mut docs = Vec::new();
    for dir in &scenario.knowledge {
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
    let (knowledge, doc_errors) = KnowledgeBase::from_documents(docs);
    Ok(LoadedScenario {
        scenario,
        knowledge,
        doc_errors,
        origin: "bundled demo".into(),
        knowledge_dirs: Vec::new(),
    })
}

/// A scenario file and the knowledge directories it names (relative to the file).
pub fn scenario_file(path: &Path) -> Result<LoadedScenario, LoadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: shown.clone(),
        source,
    })?;
    let scenario = Scenario::parse(&shown, &text)?;
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

/// Reads every `*.md` under the given directories (recursively); unreadable files and
/// directories become `DocError`s, the rest load.
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
    for (kind, dir) in dirs {
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            let entries = match std::fs::read_dir(&d) {
                Ok(e) => e,
                Err(e) => {
                    io_failed(&d, &e);
                    errors.push(DocError {
                        path: d.display().to_string(),
                        line: None,
                        message: format!("cannot read directory: {e}"),
                    });
                    continue;
                }
            };
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        io_failed(&d, &e);
                        continue;
                    }
                };
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "md") {
                    // Paths are shown relative to the directory they were found in.
                    let shown = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
                    match std::fs::read_to_string(&p) {
                        Ok(text) => docs.push((*kind, shown, text)),
                        Err(e) => {
                            io_failed(&p, &e);
                            errors.push(DocError {
                                path: p.display().to_string(),
                                line: None,
                                message: format!("cannot read: {e}"),
                            })
                        }
                    }
                }
            }
        }
    }
    docs.sort_by(|a, b| a.1.cmp(&b.1));
    let (kb, mut doc_errors) = KnowledgeBase::from_documents(docs);
    errors.append(&mut doc_errors);
    (kb, errors, failure)
}
