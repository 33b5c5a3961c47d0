//! The pure core must not import the runtime, the terminal, the network or read the clock.
//! This test reads the source of every pure module and fails on the first forbidden use.

use std::path::{Path, PathBuf};

const PURE: &[&str] = &[
    "src/actions",
    "src/chaos",
    "src/alerts",
    "src/knowledge",
    "src/slo",
    "src/journal",
    "src/training",
    "src/cockpit",
    "src/time.rs",
    "src/diagnostic.rs",
    "src/sanitize.rs",
];

const FORBIDDEN: &[(&str, &str)] = &[
    ("tokio", "the runtime belongs to src/runtime.rs"),
    ("ratatui", "rendering belongs to src/tui"),
    (
        "crossterm",
        "the terminal belongs to src/runtime.rs and src/tui",
    ),
    ("reqwest", "HTTP belongs to src/sources"),
    ("axum", "the webhook receiver belongs to src/sources"),
    ("SystemTime::now", "`now` is a parameter of the core"),
    ("Instant::now", "`now` is a parameter of the core"),
    ("Timestamp::now", "`now` is a parameter of the core"),
    ("ZonedDateTime::now", "`now` is a parameter of the core"),
    ("std::fs", "the core never reads files (src/load.rs does)"),
    ("std::net", "the core never touches the network"),
    ("std::process", "execution belongs to the edge"),
    ("std::thread", "the core is single-threaded and synchronous"),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// Every forbidden use in `source`, as `line: what (why)`; comments are skipped.
fn violations(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (needle, why) in FORBIDDEN {
            let hit = code.match_indices(needle).any(|(i, _)| {
                // Whole identifiers only: `tokio::` yes, `no_tokio_here` no.
                let before = code[..i].chars().next_back();
                let after = code[i + needle.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push(format!("{}: `{needle}` ({why})", n + 1));
            }
        }
    }
    found
}

#[test]
fn pure_modules_stay_pure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for p in PURE {
        let path = root.join(p);
        assert!(path.exists(), "{p} is listed as pure but does not exist");
        rust_files(&path, &mut files);
    }
    assert!(
        files.len() >= 9,
        "found only {} pure source files",
        files.len()
    );
    let mut problems = Vec::new();
    for f in &files {
        let source = std::fs::read_to_string(f).unwrap();
        for v in violations(&source) {
            problems.push(format!("{}:{v}", f.strip_prefix(root).unwrap().display()));
        }
    }
    assert!(
        problems.is_empty(),
        "pure modules use forbidden things:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_catches_what_it_should() {
    assert_eq!(violations("use tokio::sync::mpsc;").len(), 1);
    assert_eq!(violations("let t = jiff::Timestamp::now();").len(), 1);
    assert_eq!(violations("let t = std::time::Instant::now();").len(), 1);
    assert_eq!(violations("std::fs::read_to_string(p)").len(), 1);
    assert!(violations("// tokio is not used here").is_empty());
    assert!(violations("let no_tokio_here = 1;").is_empty());
}
