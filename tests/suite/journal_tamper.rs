//! Tamper evidence on a journal of 100 records: single-byte changes at every byte position
//! (all 255 other values in the `--ignored` release test; bit flips and structural bytes by
//! default), every single-byte deletion and insertion,
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
            role: flightdeck::journal::RecordRole::System,
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
                role: flightdeck::actions::Role::Oncall.into(),
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

/// `verify_bytes(..).is_ok()` for a journal whose first `k` lines are unchanged and whose
/// bytes from line `k` on are `rest`, computed by resuming the verifier after line `k`.
fn intact_after(state: &Verifier, rest: &[u8]) -> bool {
    intact_parts(state, &[rest])
}

/// The same for `rest` given as consecutive parts, each but the last ending with a newline:
/// the verifier folds over lines, so scanning the parts one after the other is scanning their
/// concatenation (a bad last line of a part is a tail there and an error in the whole: not
/// intact either way). Saves copying the unchanged end of the journal for every variant.
fn intact_parts(state: &Verifier, parts: &[&[u8]]) -> bool {
    let mut v = state.clone();
    let parts: Vec<&[u8]> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(i + 1 == parts.len() || part.ends_with(b"\n"));
        if !matches!(v.scan(part, |_| {}), Ok(None)) {
            return false;
        }
    }
    v.finish().is_ok()
}

#[test]
fn the_reference_journal_verifies() {
    let (_, bytes) = journal();
    let report = verify_bytes(&bytes, None).unwrap();
    assert_eq!(report.records, RECORDS as u64);
    let (starts, _) = states(&bytes);
    assert_eq!(starts.len(), RECORDS + 1);
}

/// Changes every byte of the journal to each value `values(original)` gives, on all cores,
/// and asserts each change is detected. Returns how many changes were checked.
fn change_every_byte(values: fn(u8) -> Vec<u8>) -> usize {
    let (_, bytes) = journal();
    let (starts, states) = states(&bytes);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let positions: Vec<usize> = (0..bytes.len()).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = positions
            .chunks(bytes.len().div_ceil(threads))
            .map(|chunk| {
                let (bytes, starts, states) = (&bytes, &starts, &states);
                s.spawn(move || {
                    let mut buf = bytes.clone();
                    let mut checked = 0;
                    for &p in chunk {
                        let k = starts.partition_point(|&s| s <= p) - 1;
                        let original = buf[p];
                        for value in values(original) {
                            assert_ne!(value, original);
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
    })
}

/// Every byte position of the 100-record journal, each of its 8 single-bit flips plus a
/// newline, a quote and a backslash (case changes, digit changes, `z`/`Z`, broken UTF-8 and
/// JSON structure are all among them). All 255 values at every position is the ignored test
/// below: about 8.4 million verifications, too slow for a debug build.
#[test]
fn every_byte_position_changed_is_detected() {
    let checked = change_every_byte(|b| {
        let mut v: Vec<u8> = (0..8).map(|bit| b ^ (1 << bit)).collect();
        for c in [b'\n', b'"', b'\\'] {
            if c != b && !v.contains(&c) {
                v.push(c);
            }
        }
        v
    });
    assert!(checked >= journal().1.len() * 8);
}

/// Every one of the 255 other values at every byte position. Run it optimised:
/// `cargo test --release --test suite journal_tamper:: -- --ignored`.
#[test]
#[ignore = "8.4 million verifications: run with --release -- --ignored"]
fn every_single_byte_change_is_detected() {
    let checked = change_every_byte(|b| (0..=255u8).filter(|&v| v != b).collect());
    assert_eq!(checked, journal().1.len() * 255);
}

#[test]
fn every_single_byte_deletion_and_insertion_is_detected() {
    let (_, bytes) = journal();
    let (starts, states) = states(&bytes);
    let mut changed = Vec::new();
    let mut checked = 0;
    for p in 0..bytes.len() {
        let k = starts.partition_point(|&s| s <= p) - 1;
        // Only lines k and k+1 (k+2 if the newline ending k+1 goes) are copied and changed;
        // the rest is the original.
        let mut end = starts[(k + 2).min(RECORDS)];
        if p + 1 == end {
            end = starts[(k + 3).min(RECORDS)];
        }
        changed.clear();
        changed.extend_from_slice(&bytes[starts[k]..p]);
        changed.extend_from_slice(&bytes[p + 1..end]);
        assert!(
            !intact_parts(&states[k], &[&changed, &bytes[end..]]),
            "deleting byte {p} went unnoticed"
        );
        for inserted in [b' ', b'\n', b'0', b'"', b'}'] {
            changed.clear();
            changed.extend_from_slice(&bytes[starts[k]..p]);
            changed.push(inserted);
            changed.extend_from_slice(&bytes[p..end]);
            assert!(
                !intact_parts(&states[k], &[&changed, &bytes[end..]]),
                "inserting {inserted:#04x} before byte {p} went unnoticed"
            );
        }
        checked += 6;
    }
    assert_eq!(checked, bytes.len() * 6);
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

#[test]
fn every_record_deletion_duplication_and_reordering_is_detected() {
    let (records, bytes) = journal();
    let lines = lines(&bytes);
    let rebuild = |order: &[usize]| -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 1024);
        for &i in order {
            out.extend_from_slice(lines[i]);
        }
        out
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
            let last = records.last().unwrap();
            let cp = Some((last.seq, last.hash.clone()));
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
    let span = |a: usize, b: usize| &bytes[starts[a]..starts[b]];
    for i in 0..RECORDS {
        for j in i + 1..RECORDS {
            // Lines from i on: j, i+1 .. j-1, i, j+1 .. end (slices of the original).
            let swapped = [
                span(j, j + 1),
                span(i + 1, j),
                span(i, i + 1),
                span(j + 1, RECORDS),
            ];
            assert!(
                !intact_parts(&states[i], &swapped),
                "swapping records {i} and {j} went unnoticed"
            );
            if (i, j) == (3, 9) {
                let mut order = all.clone();
                order.swap(i, j);
                assert_eq!(swapped.concat(), rebuild(&order)[starts[i]..]);
            }
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
