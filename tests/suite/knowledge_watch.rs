//! `KnowledgeWatcher` on a real temporary directory: nothing changes → nothing to do; an edit,
//! an editor's save by rename, a rewrite that puts the old time stamp back, a broken document,
//! a deletion, a directory that appears later.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime};

use flightdeck::knowledge::DocKind;
use flightdeck::knowledge_watch::KnowledgeWatcher;

fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
}

/// Moves the file's modification time by `by` (so the test needs no sleeping).
fn bump(path: &Path, by: Duration) {
    let f = File::options().write(true).open(path).unwrap();
    let m = f.metadata().unwrap().modified().unwrap();
    f.set_modified(m + by).unwrap();
}

fn set_mtime(path: &Path, t: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn titles(w: &flightdeck::knowledge::KnowledgeBase) -> Vec<String> {
    let mut t: Vec<String> = w
        .runbooks
        .iter()
        .map(|r| r.title.clone())
        .chain(w.postmortems.iter().map(|p| p.title.clone()))
        .collect();
    t.sort();
    t
}

#[test]
fn edits_are_picked_up_and_broken_documents_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let rb = tmp.path().join("runbooks");
    fs::create_dir_all(rb.join("db")).unwrap();
    let disk = rb.join("disk.md");
    write(&disk, "# Disk full\n\nFree some space.\n");
    write(
        &rb.join("db/pool.md"),
        "# Pool exhausted\n\nCheck PgBouncer.\n",
    );
    fs::write(rb.join("notes.txt"), "not a document").unwrap();

    let (mut w, kb, errors) = KnowledgeWatcher::load(vec![(DocKind::Runbook, rb.clone())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(titles(&kb), ["Disk full", "Pool exhausted"]);
    assert!(
        w.poll().is_none(),
        "nothing changed since the first snapshot"
    );
    assert!(w.poll().is_none());

    // An edit: new content, and a later time stamp.
    write(&disk, "# Disk almost full\n\nFree some space.\n");
    bump(&disk, Duration::from_secs(5));
    let r = w.poll().expect("the edit is seen");
    assert_eq!(r.changed, vec![disk.clone()]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(titles(&r.knowledge), ["Disk almost full", "Pool exhausted"]);
    assert!(w.poll().is_none(), "seen once");

    // A broken document: reported with its path, the rest still load.
    let broken = rb.join("broken.md");
    write(&broken, "---\ntitle: [unclosed\n---\n# Broken\n");
    let r = w.poll().expect("the new file is seen");
    assert_eq!(r.changed, vec![broken.clone()]);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].path, "broken.md");
    assert!(
        r.errors[0].to_string().starts_with("broken.md"),
        "{}",
        r.errors[0]
    );
    assert_eq!(titles(&r.knowledge), ["Disk almost full", "Pool exhausted"]);

    // Fixed again.
    write(&broken, "---\ntitle: Mended\n---\n# Broken\n");
    bump(&broken, Duration::from_secs(5));
    let r = w.poll().expect("the fix is seen");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        titles(&r.knowledge),
        ["Disk almost full", "Mended", "Pool exhausted"]
    );

    // Deleted: gone.
    fs::remove_file(&disk).unwrap();
    let r = w.poll().expect("the deletion is seen");
    assert_eq!(r.changed, vec![disk.clone()]);
    assert_eq!(titles(&r.knowledge), ["Mended", "Pool exhausted"]);
    assert!(w.poll().is_none());

    // Files that are not documents do not count.
    fs::write(rb.join("notes.txt"), "still not a document, longer").unwrap();
    assert!(w.poll().is_none());
}

#[test]
fn saves_that_keep_the_time_stamp_or_replace_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let rb = tmp.path().join("runbooks");
    fs::create_dir_all(&rb).unwrap();
    let doc = rb.join("a.md");
    write(&doc, "# Title one\n");
    let old = SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&doc, old);
    let mut w = KnowledgeWatcher::new(vec![(DocKind::Runbook, rb.clone())]);
    assert!(w.poll().is_none());

    // Same length, time stamp put back (as `cp -p`, `rsync -t` or a coarse clock would).
    write(&doc, "# Title two\n");
    set_mtime(&doc, old);
    let r = w
        .poll()
        .expect("a same-length rewrite with the old time stamp is seen");
    assert_eq!(titles(&r.knowledge), ["Title two"]);

    // An editor's save: write a new file, rename it over the old one, same length and time.
    let tmp_file = rb.join(".a.md.swp-new");
    write(&tmp_file, "# Title six\n");
    set_mtime(&tmp_file, old);
    fs::rename(&tmp_file, &doc).unwrap();
    let r = w.poll().expect("a save by rename is seen");
    assert_eq!(r.changed, vec![doc.clone()]);
    assert_eq!(titles(&r.knowledge), ["Title six"]);
    assert!(w.poll().is_none());
}

#[test]
fn directories_that_appear_later_and_postmortems() {
    let tmp = tempfile::tempdir().unwrap();
    let pm = tmp.path().join("postmortems");
    let mut w = KnowledgeWatcher::new(vec![(DocKind::Postmortem, pm.clone())]);
    assert!(w.poll().is_none(), "a missing directory stays missing");
    fs::create_dir_all(&pm).unwrap();
    write(
        &pm.join("2025-09-03-orders.md"),
        "---\ntitle: Orders outage\n---\n# Orders outage\n## Summary\nThe pool was exhausted.\n",
    );
    let r = w.poll().expect("the directory and its document are seen");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.knowledge.postmortems.len(), 1);
    assert_eq!(r.knowledge.postmortems[0].title, "Orders outage");
    assert!(r.changed.contains(&pm.join("2025-09-03-orders.md")));
    assert!(w.poll().is_none());
}

/// What a poll costs (ignored; `cargo test --release --test suite knowledge_watch:: -- --ignored
/// --nocapture`): 10,000 documents in 100 directories.
#[test]
#[ignore]
fn poll_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let rb = tmp.path().join("runbooks");
    for d in 0..100 {
        let dir = rb.join(format!("team-{d}"));
        fs::create_dir_all(&dir).unwrap();
        for i in 0..100 {
            write(
                &dir.join(format!("r{i}.md")),
                &format!("# Runbook {d}-{i}\n\nCheck the pods of service {i}.\n"),
            );
        }
    }
    let t = std::time::Instant::now();
    let (mut w, kb, _) = KnowledgeWatcher::load(vec![(DocKind::Runbook, rb.clone())]);
    println!(
        "first snapshot + load of {} documents (all hashed: just written): {:?}",
        kb.runbooks.len(),
        t.elapsed()
    );
    // Age them, as files that were not just written.
    let old = SystemTime::now() - Duration::from_secs(3600);
    for d in 0..100 {
        for i in 0..100 {
            set_mtime(&rb.join(format!("team-{d}/r{i}.md")), old);
        }
    }
    let _ = w.poll();
    let t = std::time::Instant::now();
    let n = 20;
    for _ in 0..n {
        assert!(w.poll().is_none());
    }
    println!("poll, nothing changed: {:?}", t.elapsed() / n);
    write(&rb.join("team-7/r7.md"), "# Changed\n");
    let t = std::time::Instant::now();
    let r = w.poll().unwrap();
    println!(
        "poll with one change (walk + reload of {}): {:?}",
        r.knowledge.runbooks.len(),
        t.elapsed()
    );
}

/// Out of file descriptors (a flood of connections did it), a reload used to replace the
/// knowledge with 0 runbooks. Now it is abandoned, and the change is picked up once descriptors
/// are back. Runs in a child process of this test binary: exhausting descriptors here would
/// break the tests running beside it.
#[test]
fn descriptor_exhaustion_keeps_the_previous_knowledge() {
    const CHILD: &str = "FLIGHTDECK_TEST_FD_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "knowledge_watch::descriptor_exhaustion_keeps_the_previous_knowledge",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let rb = tmp.path().join("runbooks");
    fs::create_dir_all(rb.join("db")).unwrap();
    write(&rb.join("disk.md"), "# Disk full\n\nFree some space.\n");
    write(
        &rb.join("db/pool.md"),
        "# Pool exhausted\n\nCheck PgBouncer.\n",
    );
    let (mut w, kb, _) = KnowledgeWatcher::load(vec![(DocKind::Runbook, rb.clone())]);
    assert_eq!(kb.runbooks.len(), 2);
    write(
        &rb.join("disk.md"),
        "# Disk full\n\nFree some space, then check inodes.\n",
    );
    bump(&rb.join("disk.md"), Duration::from_secs(5));

    // Use up every descriptor (under a lowered limit, so it is quick).
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
        let lowered = libc::rlimit {
            rlim_cur: old.rlim_cur.min(256),
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lowered), 0);
    }
    let mut held = Vec::new();
    while let Ok(f) = File::open("/dev/null") {
        held.push(f);
    }
    let during = w.poll();
    drop(held);
    if let Some(r) = &during {
        assert_eq!(
            r.knowledge.runbooks.len(),
            2,
            "a reload without descriptors replaced the knowledge: {:?}",
            r.errors
        );
    }
    let r = w.poll().or(during).expect("the edit is picked up");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.knowledge.runbooks.len(), 2);
    assert!(w.poll().is_none());
}
