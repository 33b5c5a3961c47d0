//! Tamper evidence on a journal of 100 records: every single-byte change (at every byte
//! position, every one of the 255 other values), every single-byte deletion and insertion,
//! every record deletion and duplication, and every reordering of two records is detected.
//!
//! Verification is a left fold over the lines, so verifying a changed journal equals resuming
//! the verifier's state after the unchanged prefix; the test keeps that state for every
//! record boundary and resumes from there (and checks a sample against a full verification
//! from byte 0, and against the file on disk).

use flightdeck::journal::{
    Chain, JournalEntry, JournalRecord, RecordKind, Verifier, encode_line, verify_bytes,
};
use flightdeck::journal_store::verify_file;
use flightdeck::time::Timestamp;

const RECORDS: usize = 100;

fn journal() -> (Vec<JournalRecord>, Vec<u8>) {
    let t0: Timestamp = "2026-03-12T14:00:00Z".parse().unwrap();
    let mut chain = Chain::default();
    let mut records = vec![chain.seal(
        JournalEntry {
            actor: "flightdeck".into(),
            role: "system".into(),
            kind: RecordKind::Genesis,
            summary: "journal created".into(),
            body: serde_json::json!({"journal_id": "0123456789abcdef"}),
        },
        t0,
    )];
    for i in 1..RECORDS {
        let (kind, body) = match i % 4 {
            0 => (
                RecordKind::Approval,
                serde_json::json!({"argv": ["kubectl", "-n", "shop", "rollout", "undo", format!("deploy/api-{i}")], "mode": "adaptive"}),
            ),
            1 => (
                RecordKind::Execution,
                serde_json::json!({"exit": 0, "ms": i * 7, "ok": true}),
            ),
            2 => (
                RecordKind::Note,
                serde_json::json!({"text": format!("é ünïcode\n\"quoted\" {i}")}),
            ),
            _ => (RecordKind::ModeChange, serde_json::json!({"burn": 14.4})),
        };
        let ts = t0 + flightdeck::time::SignedDuration::from_secs(i as i64 * 37);
        records.push(chain.seal(
            JournalEntry {
                actor: if i % 3 == 0 { "sam" } else { "dana" }.into(),
                role: "oncall".into(),
                kind,
                summary: format!("record {i}"),
                body,
            },
            ts,
        ));
    }
    let bytes = records.iter().flat_map(encode_line).collect();
    (records, bytes)
}

/// Line start offsets (plus the end) and the verifier state at each of them.
fn states(bytes: &[u8]) -> (Vec<usize>, Vec<Verifier>) {
    let mut starts = vec![0];
    let mut states = vec![Verifier::new()];
    let mut v = Verifier::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        v.feed(&line[..line.len() - 1]).unwrap();
        starts.push(starts.last().unwrap() + line.len());
        states.push(v.clone());
    }
    (starts, states)
}

/// `verify_bytes` of a journal whose first `k` lines are unchanged and whose bytes from line
/// `k` on are `rest`, computed by resuming the verifier after line `k`.
fn intact_after(state: &Verifier, rest: &[u8]) -> bool {
    let mut v = state.clone();
    matches!(v.scan(rest, |_| {}), Ok(None)) && v.finish().is_ok()
}

#[test]
fn the_reference_journal_verifies() {
    let (_, bytes) = journal();
    let report = verify_bytes(&bytes, None).unwrap();
    assert_eq!(report.records, RECORDS as u64);
    let (starts, _) = states(&bytes);
    assert_eq!(starts.len(), RECORDS + 1);
}

#[test]
fn every_single_byte_change_is_detected() {
    let (_, bytes) = journal();
    let (starts, states) = states(&bytes);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let positions: Vec<usize> = (0..bytes.len()).collect();
    let chunks: Vec<&[usize]> = positions.chunks(bytes.len().div_ceil(threads)).collect();
    let checked: usize = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let (bytes, starts, states) = (&bytes, &starts, &states);
                s.spawn(move || {
                    let mut buf = bytes.clone();
                    let mut checked = 0;
                    for &p in *chunk {
                        let k = starts.partition_point(|&s| s <= p) - 1;
                        let original = buf[p];
                        for value in 0..=255u8 {
                            if value == original {
                                continue;
                            }
                            buf[p] = value;
                            assert!(
                                !intact_after(&states[k], &buf[starts[k]..]),
                                "byte {p} (record {k}) changed from {original:#04x} to {value:#04x} went unnoticed"
                            );
                            checked += 1;
                        }
                        buf[p] = original;
                    }
                    checked
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(checked, bytes.len() * 255);
}

#[test]
fn every_single_byte_deletion_and_insertion_is_detected() {
    let (_, bytes) = journal();
    let (starts, states) = states(&bytes);
    let mut rest = Vec::with_capacity(bytes.len() + 1);
    for p in 0..bytes.len() {
        let k = starts.partition_point(|&s| s <= p) - 1;
        rest.clear();
        rest.extend_from_slice(&bytes[starts[k]..p]);
        rest.extend_from_slice(&bytes[p + 1..]);
        assert!(
            !intact_after(&states[k], &rest),
            "deleting byte {p} went unnoticed"
        );
        for inserted in [b' ', b'\n', b'0', b'"', b'}'] {
            rest.clear();
            rest.extend_from_slice(&bytes[starts[k]..p]);
            rest.push(inserted);
            rest.extend_from_slice(&bytes[p..]);
            assert!(
                !intact_after(&states[k], &rest),
                "inserting {inserted:#04x} before byte {p} went unnoticed"
            );
        }
    }
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

#[test]
fn every_record_deletion_duplication_and_reordering_is_detected() {
    let (records, bytes) = journal();
    let lines = lines(&bytes);
    let rebuild = |order: &[usize]| -> Vec<u8> {
        order
            .iter()
            .flat_map(|&i| lines[i].iter().copied())
            .collect()
    };
    let all: Vec<usize> = (0..RECORDS).collect();
    for k in 0..RECORDS {
        let mut order = all.clone();
        order.remove(k);
        let result = verify_bytes(&rebuild(&order), None);
        if k + 1 < RECORDS {
            assert!(result.is_err(), "deleting record {k} went unnoticed");
        } else {
            // Dropping the last record is a truncation: only a checkpoint can tell.
            assert!(result.is_ok());
            let cp = Some((records[k].seq, records[k].hash.clone()));
            assert!(verify_bytes(&rebuild(&order), cp).is_err());
        }
        let mut order = all.clone();
        order.insert(k, k);
        assert!(
            verify_bytes(&rebuild(&order), None).is_err(),
            "duplicating record {k} went unnoticed"
        );
    }
    // Every swap of two records.
    let (starts, states) = states(&bytes);
    for i in 0..RECORDS {
        for j in i + 1..RECORDS {
            let mut order = all.clone();
            order.swap(i, j);
            let swapped = rebuild(&order);
            assert!(
                !intact_after(&states[i], &swapped[starts[i]..]),
                "swapping records {i} and {j} went unnoticed"
            );
        }
    }
    // A record moved to the end, and the whole journal reversed.
    let mut order = all.clone();
    let moved = order.remove(40);
    order.push(moved);
    assert!(verify_bytes(&rebuild(&order), None).is_err());
    let reversed: Vec<usize> = all.iter().rev().copied().collect();
    assert!(verify_bytes(&rebuild(&reversed), None).is_err());
}

#[test]
fn resumed_verification_agrees_with_full_verification_and_the_file() {
    let (_, bytes) = journal();
    let (starts, states) = states(&bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tampered.jsonl");
    let mut rng = fastrand::Rng::with_seed(6);
    for _ in 0..200 {
        let p = rng.usize(..bytes.len());
        let k = starts.partition_point(|&s| s <= p) - 1;
        let mut changed = bytes.clone();
        changed[p] = changed[p].wrapping_add(rng.u8(1..));
        let full = verify_bytes(&changed, None);
        assert!(full.is_err());
        assert_eq!(
            full.is_ok(),
            intact_after(&states[k], &changed[starts[k]..])
        );
        let err = full.unwrap_err();
        assert!(err.seq == k as u64 || err.seq == k as u64 + 1, "{err}");
        std::fs::write(&path, &changed).unwrap();
        assert_eq!(verify_file(&path, None).unwrap_err(), err);
    }
}
