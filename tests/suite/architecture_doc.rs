//! docs/ARCHITECTURE.md names every source file: its full path, or its name (without `.rs`, or
//! a folder's `name/` for its `mod.rs`) in backticks in the row of its top-level folder in "The
//! tree". A file added without a word in the map fails here, naming the file and the row.
//! And no function silences clippy's argument count: what travels together is a struct.

use std::path::Path;

/// Why `path` (as `src/…`) is not named in `doc`, or `None` when it is.
fn unnamed(doc: &str, rows: &[&str], path: &str) -> Option<String> {
    if doc.contains(&format!("`{path}`")) || doc.contains(path) {
        return None;
    }
    let rel = path.strip_prefix("src/")?;
    let parts: Vec<&str> = rel.split('/').collect();
    if parts.len() == 1 {
        return Some("no row names it (add one to \"The tree\")".into());
    }
    let top = parts[0];
    let Some(row) = rows
        .iter()
        .find(|r| r.starts_with(&format!("| `src/{top}/`")))
    else {
        return Some(format!("no row for `src/{top}/` in \"The tree\""));
    };
    let file = parts[parts.len() - 1];
    let stem = file.trim_end_matches(".rs");
    let named = if stem == "mod" {
        // The module's folder: the top-level one is the row itself.
        parts.len() == 2 || row.contains(&format!("`{}/", parts[parts.len() - 2]))
    } else {
        let inner = rel[top.len() + 1..].trim_end_matches(".rs");
        [stem, inner]
            .iter()
            .any(|n| row.contains(&format!("`{n}`")) || row.contains(&format!("`{n}.rs`")))
    };
    (!named).then(|| format!("not named in the row of `src/{top}/` (add `{stem}` there)"))
}

#[test]
fn every_source_file_is_named_in_the_architecture_map() {
    let doc = std::fs::read_to_string("docs/ARCHITECTURE.md").expect("docs/ARCHITECTURE.md");
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
    let files: Vec<String> = crate::common::rust_files(Path::new("src"))
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    assert!(
        files.len() > 100,
        "found only {} files under src/",
        files.len()
    );
    let missing: Vec<String> = files
        .iter()
        .filter_map(|f| unnamed(&doc, &rows, f).map(|why| format!("{f}: {why}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md does not name:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_check_finds_a_file_the_map_does_not_name() {
    let doc = "| `src/tui/` | edge | `app`, `panes/` (`header`) |\n";
    let rows: Vec<&str> = doc.lines().collect();
    assert_eq!(unnamed(doc, &rows, "src/tui/app.rs"), None);
    assert_eq!(unnamed(doc, &rows, "src/tui/panes/header.rs"), None);
    assert_eq!(unnamed(doc, &rows, "src/tui/panes/mod.rs"), None);
    assert_eq!(unnamed(doc, &rows, "src/tui/mod.rs"), None);
    assert!(unnamed(doc, &rows, "src/tui/line_input.rs").is_some());
    assert!(unnamed(doc, &rows, "src/tui/write/mod.rs").is_some());
    assert!(unnamed(doc, &rows, "src/slo/sloth.rs").is_some());
    assert!(unnamed(doc, &rows, "src/lib.rs").is_some());
}

/// No `#[allow(clippy::too_many_arguments)]` anywhere in src/, benches/ or tests/: arguments that
/// travel together are a struct (the chaos records take a `RunRecords`).
#[test]
fn no_function_silences_too_many_arguments() {
    let mut found = Vec::new();
    for dir in ["src", "benches", "tests"] {
        for path in crate::common::rust_files(Path::new(dir)) {
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("#") && line.contains(concat!("clippy::", "too_many_arguments"))
                {
                    found.push(format!("{}:{}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "silenced argument counts (make the arguments that travel together a struct): {found:?}"
    );
}
