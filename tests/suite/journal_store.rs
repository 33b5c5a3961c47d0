//! The journal file: genesis, durable appends, torn-tail repair, refusing mid-file damage,
//! two handles (and two threads) on one file, group commit, checkpoints and truncation.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use flightdeck::journal::{
    JournalEntry, JournalRecord, Problem, RecordKind, encode_line, format_checkpoint,
    parse_checkpoint, verify_bytes,
};
use flightdeck::journal_store::{JournalFile, corruption, read_records, torn_path, verify_file};
use flightdeck::time::Timestamp;

fn t0() -> Timestamp {
    "2026-03-12T14:00:00Z".parse().unwrap()
}

fn note(actor: &str, text: &str) -> JournalEntry {
    JournalEntry {
        actor: actor.into(),
        role: flightdeck::actions::Role::Oncall.into(),
        kind: RecordKind::Note,
        summary: text.into(),
        body: serde_json::json!({ "text": text }),
    }
}

fn append_notes(j: &mut JournalFile, n: usize) -> Vec<JournalRecord> {
    (0..n)
        .map(|i| j.append(note("dana", &format!("note {i}")), t0()).unwrap())
        .collect()
}

#[test]
fn a_new_journal_starts_with_its_genesis_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/journal.jsonl");
    let j = JournalFile::open(&path).unwrap();
    assert_eq!(j.len(), 1);
    assert_eq!(j.journal_id().len(), 32);
    let records = j.records().unwrap();
    assert_eq!(records[0].kind, RecordKind::Genesis);
    assert_eq!(records[0].body["journal_id"], j.journal_id());
    let id = j.journal_id().to_string();
    drop(j);

    let again = JournalFile::open(&path).unwrap();
    assert_eq!(again.journal_id(), id, "reopening keeps the journal id");
    assert_eq!(again.len(), 1);
    let other = JournalFile::open(dir.path().join("other.jsonl")).unwrap();
    assert_ne!(other.journal_id(), id, "journal ids are random");
    let report = verify_file(&path, None).unwrap();
    assert_eq!((report.records, report.journal_id), (1, id));
}

#[test]
fn appended_records_are_acknowledged_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    let written = append_notes(&mut j, 5);
    assert_eq!(
        written.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(j.head(), (5, written[4].hash.as_str()));
    assert_eq!(j.size(), fs::metadata(&path).unwrap().len());
    drop(j);

    let j = JournalFile::open(&path).unwrap();
    let records = j.records().unwrap();
    assert_eq!(&records[1..], &written[..]);
    assert_eq!(read_records(&path).unwrap(), records);
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report.records, 6);
    assert_eq!(report.head_hash, written[4].hash);
}

#[test]
fn a_torn_last_record_is_cut_into_the_side_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    let written = append_notes(&mut j, 3);
    let good_len = j.size();
    drop(j);

    // A crash mid-write: half of the next line, no newline.
    let next = {
        let mut r = written[2].clone();
        r.seq = 4;
        encode_line(&r)
    };
    let torn = &next[..next.len() / 2];
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(torn)
        .unwrap();
    let err = verify_file(&path, None).unwrap_err();
    assert_eq!((err.seq, err.offset), (4, good_len));
    assert!(matches!(err.why, Problem::Torn { .. }), "{err}");
    // Reading for display skips it without touching the file.
    assert_eq!(read_records(&path).unwrap().len(), 4);
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        good_len + torn.len() as u64
    );

    let mut j = JournalFile::open(&path).unwrap();
    assert_eq!(j.repaired().len(), 1);
    let cut = &j.repaired()[0];
    assert_eq!((cut.offset, cut.bytes), (good_len, torn.len() as u64));
    assert_eq!(cut.side_file, torn_path(&path));
    let side = fs::read(torn_path(&path)).unwrap();
    assert!(
        side.starts_with(b"# flightdeck "),
        "the side file starts with a note"
    );
    assert!(
        side.windows(torn.len()).any(|w| w == torn),
        "the cut bytes are kept"
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), good_len);
    verify_file(&path, None).unwrap();

    let r = j.append(note("dana", "after the crash"), t0()).unwrap();
    assert_eq!(r.seq, 4);
    assert_eq!(r.prev, written[2].hash);
    verify_file(&path, None).unwrap();
}

#[test]
fn a_garbage_last_line_is_cut_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    append_notes(&mut j, 2);
    let good_len = j.size();
    drop(j);
    // What a filesystem can show after a crash: the size grew, the data did not arrive.
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&[0u8; 300])
        .unwrap();
    let j = JournalFile::open(&path).unwrap();
    assert_eq!(j.repaired()[0].offset, good_len);
    assert_eq!(j.len(), 3);
    verify_file(&path, None).unwrap();
}

/// A newline-terminated last line was written whole (and maybe acknowledged): whatever is wrong
/// with it — one flipped byte, JSON that is not a record — it is corruption, reported with its
/// seq and offset, never cut away as a torn tail.
#[test]
fn a_complete_last_line_that_does_not_decode_is_corruption_never_cut() {
    type Damage = fn(&str) -> String;
    let damages: [(&str, Damage); 4] = [
        ("one flipped byte in the JSON", |l| {
            l.replacen("\"summary\"", "\"summary#", 1)
        }),
        ("valid JSON, not a record", |_| {
            r#"{"seq":3,"hello":"world"}"#.to_string()
        }),
        ("a changed letter", |l| l.replacen("note 2", "note X", 1)),
        ("a malformed kind", |l| {
            l.replacen("\"kind\":\"note\"", "\"kind\":\"No te\"", 1)
        }),
    ];
    for (what, damage) in damages {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = JournalFile::open(&path).unwrap();
        append_notes(&mut j, 3);
        drop(j);
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let offset: u64 = lines[..3].iter().map(|l| l.len() as u64 + 1).sum();
        let last = damage(lines[3]);
        assert_ne!(last, lines[3], "{what}: the damage changes the line");
        let damaged = format!("{}\n{last}\n", lines[..3].join("\n"));
        fs::write(&path, &damaged).unwrap();

        let err = JournalFile::open(&path).unwrap_err();
        let v = corruption(&err).unwrap_or_else(|| panic!("{what}: corrupt, not {err}"));
        assert_eq!((v.seq, v.offset), (3, offset), "{what}");
        let verr = verify_file(&path, None).unwrap_err();
        assert_eq!((verr.seq, verr.offset), (3, offset), "{what}");
        assert!(read_records(&path).is_err(), "{what}");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            damaged,
            "{what}: never cut"
        );
        assert!(!torn_path(&path).exists(), "{what}: no side file");
    }
}

/// The same damage arriving while a cockpit has the journal open: its next append is refused
/// (nothing acknowledged), and the damaged record stays where it is.
#[test]
fn an_append_after_a_damaged_last_line_is_refused_and_cuts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    append_notes(&mut j, 2);
    let good_len = j.size();
    let mut other = JournalFile::open(&path).unwrap();
    let written = other
        .append(note("sam", "from the other cockpit"), t0())
        .unwrap();
    drop(other);
    let text = fs::read_to_string(&path).unwrap();
    let damaged = text.replacen("from the other cockpit", "from the other cockpiT", 1);
    fs::write(&path, &damaged).unwrap();

    let err = j.append(note("dana", "after"), t0()).unwrap_err();
    let v = corruption(&err).expect("corruption");
    assert_eq!((v.seq, v.offset), (written.seq, good_len));
    assert_eq!(fs::read_to_string(&path).unwrap(), damaged);
    assert!(!torn_path(&path).exists());
}

/// A record kind a newer flightdeck writes is kept, verified and shown by name; appends after
/// it work.
#[test]
fn a_record_kind_this_version_does_not_know_is_kept_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    append_notes(&mut j, 1);
    let kind = RecordKind::from_name("experiment_run").unwrap();
    assert!(kind.is_unknown());
    let r = j
        .append(
            JournalEntry {
                actor: "dana".into(),
                role: flightdeck::actions::Role::Oncall.into(),
                kind,
                summary: "a newer kind".into(),
                body: serde_json::json!({"budget_spent": 0.012345678901234567, "ok": true}),
            },
            t0(),
        )
        .unwrap();
    assert!(
        String::from_utf8(encode_line(&r))
            .unwrap()
            .contains("\"kind\":\"experiment_run\"")
    );
    drop(j);

    let mut j = JournalFile::open(&path).unwrap();
    let after = j
        .append(note("dana", "after the newer kind"), t0())
        .unwrap();
    assert_eq!(after.prev, r.hash);
    assert_eq!(verify_file(&path, None).unwrap().records, 4);
    let records = read_records(&path).unwrap();
    assert_eq!(records[2], r);
    assert_eq!(records[2].kind.name(), "experiment_run");
    assert_eq!(records[2].kind.label(), "experiment_run");
}

#[test]
fn a_bad_record_before_the_end_is_an_error_and_never_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    append_notes(&mut j, 5);
    drop(j);
    let original = fs::read(&path).unwrap();
    let text = String::from_utf8(original.clone()).unwrap();
    let tampered = text.replacen("note 2", "note X", 1);
    fs::write(&path, &tampered).unwrap();
    let offset: u64 = text.lines().take(3).map(|l| l.len() as u64 + 1).sum();

    let err = JournalFile::open(&path).unwrap_err();
    let v = corruption(&err).expect("a corrupt journal, not an I/O error");
    assert_eq!((v.seq, v.offset, &v.why), (3, offset, &Problem::Hash));
    let verr = verify_file(&path, None).unwrap_err();
    assert_eq!(&verr, v);
    assert!(
        verr.to_string()
            .contains(&format!("seq 3 at byte {offset}"))
    );
    assert_eq!(
        fs::read(&path).unwrap(),
        tampered.as_bytes(),
        "left as it was"
    );
    assert!(!torn_path(&path).exists());
    assert!(read_records(&path).is_err());

    // Also when the damaged line is unparsable but not the last one.
    let broken = text.replacen("\"note 2\"", "\"note 2", 1);
    fs::write(&path, &broken).unwrap();
    let err = JournalFile::open(&path).unwrap_err();
    let v = corruption(&err).unwrap();
    assert_eq!((v.seq, v.offset), (3, offset));
    assert!(matches!(v.why, Problem::Unparsable { .. }));
}

#[test]
fn two_handles_interleave_and_see_each_others_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.jsonl");
    let mut dana = JournalFile::open(&path).unwrap();
    let mut sam = JournalFile::open(&path).unwrap();
    assert_eq!(dana.journal_id(), sam.journal_id());
    assert!(sam.refresh().unwrap().is_empty());

    let mut expected_seq = 1;
    for round in 0..20 {
        let a = dana
            .append(note("dana", &format!("dana {round}")), t0())
            .unwrap();
        assert_eq!(a.seq, expected_seq);
        let b = sam
            .append(note("sam", &format!("sam {round}")), t0())
            .unwrap();
        assert_eq!(b.seq, expected_seq + 1, "sam seals after dana's record");
        assert_eq!(b.prev, a.hash);
        assert_eq!(
            sam.refresh().unwrap(),
            vec![a.clone()],
            "sam saw dana's record"
        );
        assert_eq!(dana.refresh().unwrap(), vec![b.clone()], "dana sees sam's");
        expected_seq += 2;
    }
    // Several at once arrive in order.
    let mine: Vec<_> = (0..3)
        .map(|i| {
            dana.append(note("dana", &format!("burst {i}")), t0())
                .unwrap()
        })
        .collect();
    assert_eq!(sam.refresh().unwrap(), mine);
    assert!(sam.refresh().unwrap().is_empty());
    assert_eq!(dana.head(), sam.head());
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report.records, 44);
}

#[test]
fn concurrent_writers_in_threads_never_lose_or_fork_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.jsonl");
    JournalFile::open(&path).unwrap();
    let per_thread = 60;
    let acked: Vec<Vec<JournalRecord>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|t| {
                let path = path.clone();
                s.spawn(move || {
                    let mut j = JournalFile::open(&path).unwrap();
                    (0..per_thread)
                        .map(|i| {
                            let actor = format!("writer{t}");
                            if i % 10 == 9 {
                                let mut batch = j
                                    .append_batch(
                                        (0..2).map(|k| note(&actor, &format!("{i}.{k}"))),
                                        t0(),
                                    )
                                    .unwrap();
                                batch.pop().unwrap()
                            } else {
                                j.append(note(&actor, &i.to_string()), t0()).unwrap()
                            }
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let report = verify_file(&path, None).unwrap();
    let records = read_records(&path).unwrap();
    assert_eq!(
        report.records as usize,
        1 + 3 * (per_thread + per_thread / 10)
    );
    let by_seq: HashMap<u64, &JournalRecord> = records.iter().map(|r| (r.seq, r)).collect();
    for thread in &acked {
        for r in thread {
            assert_eq!(
                by_seq[&r.seq], r,
                "every acknowledged record is in the file"
            );
        }
        assert!(thread.windows(2).all(|w| w[0].seq < w[1].seq));
    }
}

#[test]
fn group_commit_writes_a_burst_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("burst.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    let burst = j
        .append_batch((0..100).map(|i| note("dana", &format!("b{i}"))), t0())
        .unwrap();
    assert_eq!(burst.len(), 100);
    assert!(burst.iter().enumerate().all(|(i, r)| r.seq == i as u64 + 1));
    assert!(j.append_batch([], t0()).unwrap().is_empty());
    assert_eq!(verify_file(&path, None).unwrap().records, 101);
}

#[test]
fn checkpoints_describe_the_journal_and_catch_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    append_notes(&mut j, 4);
    let size_before = j.size();
    let (head_seq, head) = (j.head().0, j.head().1.to_string());
    let cp = j
        .checkpoint("sam", flightdeck::actions::Role::Commander, t0())
        .unwrap();
    assert_eq!(cp.kind, RecordKind::Checkpoint);
    assert_eq!(cp.seq, head_seq + 1);
    assert_eq!(cp.body["size"], size_before);
    assert_eq!(cp.body["head"], head);
    let reference = format_checkpoint(&cp);
    append_notes(&mut j, 3);
    drop(j);

    let checkpoint = parse_checkpoint(&reference).unwrap();
    let report = verify_file(&path, Some(checkpoint.clone())).unwrap();
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.checked_against, Some(checkpoint.clone()));

    let full = fs::read(&path).unwrap();
    // Cut back to the record before the checkpoint: still a valid chain on its own...
    fs::write(&path, &full[..size_before as usize]).unwrap();
    verify_file(&path, None).unwrap();
    // ...but the checkpoint shows what is missing.
    let err = verify_file(&path, Some(checkpoint.clone())).unwrap_err();
    assert_eq!(
        err.why,
        Problem::Truncated {
            last: Some(head_seq),
            checkpoint: cp.seq
        }
    );
    assert_eq!(err.offset, size_before);
    // Every cut at a record boundary before the checkpoint is detected.
    let mut boundary = 0;
    for line in full.split_inclusive(|&b| b == b'\n') {
        boundary += line.len();
        let result = verify_bytes(&full[..boundary], Some(checkpoint.clone()));
        assert_eq!(
            result.is_ok(),
            boundary as u64 > size_before,
            "cut at {boundary}"
        );
    }

    // A journal rewritten from scratch with as many records does not match the checkpoint.
    fs::remove_file(&path).unwrap();
    let mut forged = JournalFile::open(&path).unwrap();
    append_notes(&mut forged, 8);
    drop(forged);
    let err = verify_file(&path, Some(checkpoint)).unwrap_err();
    assert!(
        matches!(err.why, Problem::CheckpointMismatch { .. }),
        "{err}"
    );
}

#[test]
fn automatic_checkpoints_ride_along_with_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auto.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    j.set_auto_checkpoint(Some(10));
    let mut checkpoints = 0;
    for i in 0..35 {
        let out = j
            .append_batch([note("dana", &i.to_string())], t0())
            .unwrap();
        checkpoints += out
            .iter()
            .filter(|r| r.kind == RecordKind::Checkpoint)
            .count();
    }
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report.checkpoints as usize, checkpoints);
    assert_eq!(checkpoints, 3);
}

#[test]
fn a_journal_cut_while_open_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrunk.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    append_notes(&mut j, 3);
    let len = fs::metadata(&path).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 5)
        .unwrap();
    let err = j.append(note("dana", "more"), t0()).unwrap_err();
    let v = corruption(&err).unwrap();
    assert!(matches!(v.why, Problem::Shrunk { .. }), "{v}");
}

#[test]
fn verify_reports_missing_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let err = verify_file(&missing, None).unwrap_err();
    assert!(matches!(err.why, Problem::Io { .. }));
    let empty = dir.path().join("empty.jsonl");
    fs::write(&empty, b"").unwrap();
    assert_eq!(verify_file(&empty, None).unwrap_err().why, Problem::Empty);
    assert!(Path::new(&empty).exists());
}
