//! Helpers shared by the integration tests (the modules of the one test binary,
//! `tests/suite/main.rs`; each uses `crate::common`).
//!
//! Grouped by domain: [`alerts`] builds alerts and cluster configs, [`cli`] runs the real
//! binary, [`knowledge`] loads the evaluation corpus, [`live`] sets up live mode, [`replay`]
//! replays the bundled demo and drills, [`slo`] builds budget statuses and drift signals, [`tui`]
//! drives and draws the app.

#![allow(dead_code)]

pub mod alerts;
pub mod cli;
pub mod knowledge;
pub mod live;
pub mod replay;
pub mod slo;
pub mod tui;

use std::path::{Path, PathBuf};

/// The crate's root directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>` under the crate's root.
pub fn fixture_path(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// The text of `tests/fixtures/<rel>`; panics naming the file if it cannot be read.
pub fn fixture(rel: &str) -> String {
    let path = fixture_path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file under `dir`, recursively, in sorted order (the source-tree checks: core
/// layers, the architecture map).
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}
