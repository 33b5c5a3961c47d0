//! The knowledge walk (issue 16, item 6) on real directories: symbolic link loops, a link to
//! the directory itself, links to files, a FIFO named `*.md`. The loader and the watcher walk
//! the same files, each once, and never hang.

use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use flightdeck::knowledge::DocKind;
use flightdeck::knowledge_watch::KnowledgeWatcher;

/// Runs `f` on a thread and fails the test (instead of hanging it) after 20 seconds.
fn within_20s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("{what} hangs"))
}

/// A copy of the demo runbooks with the hostile entries: `loop -> .`, `up -> ..` (a loop
/// through the parent), `nested/back -> ../..`, `alias.md -> postgres-connection-pool.md`,
/// `linked -> nested` (a directory reached twice), and a FIFO `x.md`.
fn hostile_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("runbooks");
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/runbooks");
    for e in std::fs::read_dir(&demo).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    std::fs::write(
        dir.join("nested/extra.md"),
        "---\nid: extra\nalerts: [Extra]\n---\n# Extra runbook\n\nCheck things.\n",
    )
    .unwrap();
    use std::os::unix::fs::symlink;
    symlink(".", dir.join("loop")).unwrap();
    symlink("..", dir.join("up")).unwrap();
    symlink("../..", dir.join("nested/back")).unwrap();
    symlink("postgres-connection-pool.md", dir.join("alias.md")).unwrap();
    symlink("nested", dir.join("linked")).unwrap();
    let fifo = dir.join("x.md");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    tmp
}

#[test]
fn loops_links_and_fifos_load_every_runbook_once_without_hanging() {
    let tmp = hostile_dir();
    let dir = tmp.path().join("runbooks");
    let dirs = vec![(DocKind::Runbook, dir.clone())];
    let (kb, errors) = within_20s("the loader", {
        let dirs = dirs.clone();
        move || flightdeck::load::knowledge_dirs(&dirs)
    });
    let demo_count =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/runbooks"))
            .unwrap()
            .count();
    assert_eq!(kb.runbooks.len(), demo_count + 1, "each runbook once");
    let mut ids: Vec<&str> = kb.runbooks.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "a runbook loaded twice: {ids:?}");
    // The real file is the one loaded, not its alias; no duplicate is reported.
    assert!(
        kb.runbooks
            .iter()
            .any(|r| r.path == "postgres-connection-pool.md"),
        "{:?}",
        kb.runbooks.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(kb.runbooks.iter().all(|r| r.path != "alias.md"));
    assert!(kb.runbooks.iter().any(|r| r.path == "nested/extra.md"));
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        !shown
            .iter()
            .any(|e| e.contains("duplicate") || e.contains("twice")),
        "{shown:?}"
    );
    // The FIFO is named, never opened.
    assert_eq!(errors.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("x.md") && shown[0].contains("not a regular file"),
        "{shown:?}"
    );

    // The watcher walks the same files, and sees nothing change when nothing does.
    let mut watcher = within_20s("the watcher", move || KnowledgeWatcher::new(dirs));
    let (back, changed) = within_20s("the watcher's poll", move || {
        let c = watcher.check();
        (watcher, c)
    });
    assert_eq!(changed, None);
    drop(back);
}

#[test]
fn kb_lint_and_match_finish_on_a_looping_directory() {
    let tmp = hostile_dir();
    let dir = tmp.path().join("runbooks");
    let dir_s = dir.to_str().unwrap().to_string();
    let out = within_20s("kb lint", move || {
        crate::common::cli::flightdeck(&["kb", "lint", "--kb", &dir_s, "--json"])
    });
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let text = v.to_string();
    assert!(!text.contains("duplicate"), "{text}");
}

/// `--kb DIR` names one directory of any kind: each file's kind comes from the nearest directory
/// below it that says one (`postmortems/`, `runbooks/`), else from the directory given. The
/// demo's directory reads as 7 runbooks and 4 postmortems, never its postmortems as runbooks;
/// the CLI's `kb` commands load it the same way.
#[test]
fn a_kb_directory_holding_postmortems_reads_them_as_postmortems() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let kind = flightdeck::load::kind_for(&demo.to_string_lossy());
    let (kb, errors) = flightdeck::load::knowledge_dirs(&[(kind, demo.clone())]);
    assert!(errors.is_empty(), "{errors:?}");
    let count = |d: &str| std::fs::read_dir(demo.join(d)).unwrap().count();
    assert_eq!(kb.runbooks.len(), count("runbooks"));
    assert_eq!(kb.postmortems.len(), count("postmortems"));
    assert!(
        kb.postmortems
            .iter()
            .all(|p| p.path.starts_with("postmortems/")),
        "{:?}",
        kb.postmortems.iter().map(|p| &p.path).collect::<Vec<_>>()
    );

    // Nested: the nearest directory that says a kind wins, at any depth, any case.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kb");
    let runbook = "---\nid: RB\nalerts: [A]\n---\n# A runbook\n\nCheck things.\n";
    let postmortem = "---\nid: PM\ndate: 2025-01-02\n---\n# An outage\n\n## Summary\n\nIt broke.\n";
    for (i, (path, text)) in [
        ("top.md", runbook),
        ("team/PostMortems/2025/pm.md", postmortem),
        ("team/PostMortems/runbooks/rb.md", runbook),
    ]
    .into_iter()
    .enumerate()
    {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let id = format!("doc-{i}");
        std::fs::write(p, text.replace("RB", &id).replace("PM", &id)).unwrap();
    }
    let (kb, errors) = flightdeck::load::knowledge_dirs(&[(DocKind::Runbook, root.clone())]);
    assert!(errors.is_empty(), "{errors:?}");
    let mut runbooks: Vec<&str> = kb.runbooks.iter().map(|r| r.path.as_str()).collect();
    runbooks.sort();
    assert_eq!(runbooks, ["team/PostMortems/runbooks/rb.md", "top.md"]);
    let postmortems: Vec<&str> = kb.postmortems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(postmortems, ["team/PostMortems/2025/pm.md"]);

    // `kb lint --kb assets/demo` grades the demo's postmortems as postmortems.
    let out =
        crate::common::cli::flightdeck(&["kb", "lint", "--kb", demo.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["summary"]["postmortems"], count("postmortems"), "{v}");
    assert_eq!(v["summary"]["runbooks"], count("runbooks"), "{v}");
}
