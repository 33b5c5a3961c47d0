//! The knowledge evaluation corpus in tests/fixtures/knowledge/eval.

use std::path::Path;

use flightdeck::knowledge::{DocKind, KnowledgeBase};

/// Every `.md` file below `dir` (recursively, in path order) as a `kind` document named by its
/// path relative to `base`.
pub fn load_dir(dir: &Path, kind: DocKind, base: &Path, out: &mut Vec<(DocKind, String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            load_dir(&p, kind, base, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            out.push((kind, rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

/// The evaluation corpus's runbooks and postmortems; asserts they load without errors.
pub fn eval_kb() -> KnowledgeBase {
    let root = super::fixture_path("knowledge/eval");
    let mut docs = Vec::new();
    let rb = root.join("runbooks");
    load_dir(&rb, DocKind::Runbook, &rb, &mut docs);
    let pm = root.join("postmortems");
    load_dir(&pm, DocKind::Postmortem, &pm, &mut docs);
    let (kb, errors) = KnowledgeBase::from_documents(docs);
    assert!(errors.is_empty(), "{errors:?}");
    kb
}
