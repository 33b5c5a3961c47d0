//! Errors that help (issue 16, item 10), through the real binary: a failed journal write names
//! the journal, a torn tail is described in words, live `--until` says what it wants, and
//! `kb lint` warns about placeholders an alert could turn into options.

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::common::cli::flightdeck;

fn fd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_flightdeck"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// A write that fails for want of space (here: the file-size limit, `EFBIG`, the way a full
/// disk gives `ENOSPC`) is reported with the journal's path.
#[test]
fn a_failed_journal_write_names_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("team-journal.jsonl");
    let journal_s = journal.to_str().unwrap();
    let ok = fd()
        .args(["journal", "note", "--journal", journal_s, "first"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let size = std::fs::metadata(&journal).unwrap().len();
    let mut cmd = fd();
    cmd.args([
        "journal",
        "note",
        "--journal",
        journal_s,
        "a note that does not fit",
    ]);
    unsafe {
        cmd.pre_exec(move || {
            // Writing past the limit fails with EFBIG instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: size + 8,
                rlim_max: size + 8,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the write should fail");
    assert!(stderr.contains(journal_s), "no journal path in: {stderr}");
    assert!(
        stderr.contains("too large") || stderr.contains("File too large"),
        "{stderr}"
    );
    // Nothing was acknowledged, and the journal is intact.
    let verify = flightdeck(&["journal", "verify", "--journal", journal_s]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn a_torn_tail_is_described_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let journal_s = journal.to_str().unwrap();
    assert!(
        flightdeck(&["journal", "note", "--journal", journal_s, "one"])
            .status
            .success()
    );
    let size = std::fs::metadata(&journal).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"seq\":2,\"ts\":\"2026-").unwrap();
    drop(f);
    let out = flightdeck(&["journal", "note", "--journal", journal_s, "two"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let expected = format!(
        "{journal_s}: cut a torn last record (20 bytes at offset {size}) into {journal_s}.torn"
    );
    assert!(
        stderr.contains(&expected),
        "expected {expected:?} in: {stderr}"
    );
    assert!(!stderr.contains("TornTail"), "{stderr}");
}

#[test]
fn live_until_must_be_positive_and_says_so() {
    for bad in ["--until=-5s", "--until=0s"] {
        let out = flightdeck(&["--headless", bad]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("positive"), "{stderr}");
        assert!(!stderr.contains("scenario start"), "{stderr}");
    }
    // Replay keeps its own wording: an offset before the scenario start.
    let out = flightdeck(&["replay", "--headless", "--until=-5s"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("before the scenario start"));
}

#[test]
fn kb_lint_warns_about_placeholders_that_could_become_options() {
    let dir = tempfile::tempdir().unwrap();
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    std::fs::write(
        dir.path().join("pods.md"),
        format!("---\nid: pods\nalerts: [PodDown]\nlast_reviewed: {today}\nowner: team\nsteps:\n  - id: describe\n    title: Describe the pod\n    kind: diagnostic\n    argv: [kubectl, describe, pod, \"{{{{labels.pod}}}}\"]\n  - id: logs\n    title: Logs\n    kind: diagnostic\n    argv: [kubectl, logs, -n, \"{{{{labels.namespace}}}}\", --, \"{{{{labels.pod}}}}\"]\n---\n# Pods\n"),
    )
    .unwrap();
    let out = flightdeck(&["kb", "lint", "--kb", dir.path().to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let findings = v["runbooks"][0]["findings"].as_array().unwrap();
    let injections: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["code"] == "option-injection")
        .collect();
    assert_eq!(injections.len(), 1, "{findings:?}");
    let message = injections[0]["message"].as_str().unwrap();
    assert!(
        message.contains("step describe") && message.contains("{{labels.pod}}"),
        "{message}"
    );
    assert_eq!(v["runbooks"][0]["stale"], false, "not a staleness finding");
    let text = flightdeck(&["kb", "lint", "--kb", dir.path().to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("option-injection"));
}
