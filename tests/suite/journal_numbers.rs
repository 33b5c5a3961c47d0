//! Every body a record can carry survives append → verify → read back, exactly: f64 over the
//! whole range (subnormals, ±0, the extremes, values such as 15.782149745133179), integers
//! beyond 2^53, unicode and escapes, deep arrays. Through the pure chain and codec, and through
//! the real file store (its self-check, fdatasync, and a second reader).
//!
//! The defect this guards against: serde_json without `float_roundtrip` parses some floats to a
//! neighbouring f64, so a record holding one re-encoded to other bytes and failed its own
//! canonical check — about one live write in nine was refused, and drill journals with a mode
//! change never verified.

use flightdeck::journal::{
    Chain, JournalEntry, JournalRecord, MAX_BODY_DEPTH, RecordKind, encode_line, verify_bytes,
};
use flightdeck::journal_store::{JournalFile, read_records, verify_file};
use flightdeck::time::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};

fn t0() -> Timestamp {
    "2026-03-12T14:00:00Z".parse().unwrap()
}

fn entry(body: Value) -> JournalEntry {
    JournalEntry {
        actor: "dana".into(),
        role: flightdeck::actions::Role::Oncall.into(),
        kind: RecordKind::Note,
        summary: "numbers".into(),
        body,
    }
}

/// Seals `bodies` after a genesis record and verifies the bytes; returns the records read back.
fn roundtrip_in_memory(bodies: &[Value]) -> Vec<JournalRecord> {
    let mut chain = Chain::default();
    let mut records = vec![chain.seal(
        JournalEntry {
            actor: "flightdeck".into(),
            role: flightdeck::journal::RecordRole::System,
            kind: RecordKind::Genesis,
            summary: "journal created".into(),
            body: json!({"journal_id": "numbers"}),
        },
        t0(),
    )];
    records.extend(bodies.iter().map(|b| chain.seal(entry(b.clone()), t0())));
    let bytes: Vec<u8> = records.iter().flat_map(encode_line).collect();
    let report = verify_bytes(&bytes, None).unwrap_or_else(|e| panic!("verify: {e}"));
    assert_eq!(report.records, records.len() as u64);
    let read: Vec<JournalRecord> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(read, records);
    read
}

/// Any JSON value, floats drawn from every bit pattern (NaN and infinities cannot be JSON).
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|bits| {
            let f = f64::from_bits(bits);
            if f.is_finite() { json!(f) } else { json!(0.5) }
        }),
        any::<f64>().prop_map(|f| if f.is_finite() { json!(f) } else { Value::Null }),
        any::<String>().prop_map(Value::String),
        "[\\x00-\\x1f\"\\\\/\u{7f}-\u{a0}\u{2028}\u{2029}\u{fffd}é😀]{0,12}"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_body_survives_the_chain_and_the_codec(bodies in proptest::collection::vec(any_value(), 1..6)) {
        roundtrip_in_memory(&bodies);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The same through the real file store: its self-check accepts the record, the file
    /// verifies, and a second reader gets exactly the bodies that were written.
    #[test]
    fn any_body_survives_the_file_store(bodies in proptest::collection::vec(any_value(), 1..6)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = JournalFile::open(&path).unwrap();
        let written = j.append_batch(bodies.iter().cloned().map(entry), t0()).unwrap();
        prop_assert_eq!(written.len(), bodies.len());
        verify_file(&path, None).unwrap();
        let read = read_records(&path).unwrap();
        let read_bodies: Vec<Value> = read[1..].iter().map(|r| r.body.clone()).collect();
        prop_assert_eq!(read_bodies, bodies);
    }
}

/// Floats that are hard to print and parse back (literals with more digits than a double holds
/// are the point: they must parse to the nearest double): the edges of the range, subnormals, signed
/// zero, values with 17 significant digits, the value that was refused live.
#[allow(clippy::excessive_precision)]
fn hard_floats() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::MIN_POSITIVE / 2.0,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::from_bits(0x000f_ffff_ffff_ffff),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0 + f64::EPSILON,
        15.782149745133179,
        0.1,
        0.2 + 0.1,
        1e21,
        1e22,
        1e-7,
        123456789012345680.0,
        2f64.powi(53),
        2f64.powi(53) + 2.0,
        9007199254740993.0,
        5e-324,
        2.2250738585072011e-308,
        1.7976931348623157e308,
        4.9406564584124654e-324,
        0.30000000000000004,
        100.0,
        -1.5,
    ];
    for e in -320..=308 {
        v.push(10f64.powi(e));
        v.push(-(7.0 / 3.0) * 10f64.powi(e));
    }
    v.retain(|f| f.is_finite());
    v
}

#[test]
fn hard_floats_and_big_integers_survive_exactly() {
    let floats = hard_floats();
    let body = json!({
        "floats": floats,
        "u64_max": u64::MAX,
        "beyond_2_53": 9_007_199_254_740_993u64,
        "i64_min": i64::MIN,
        "i64_max": i64::MAX,
        "neg_beyond_2_53": -9_007_199_254_740_993i64,
    });
    let read = roundtrip_in_memory(std::slice::from_ref(&body));
    let back = read[1].body["floats"].as_array().unwrap();
    for (f, b) in floats.iter().zip(back) {
        let b = b.as_f64().unwrap();
        assert_eq!(f.to_bits(), b.to_bits(), "{f:e} came back as {b:e}");
    }
    assert_eq!(read[1].body["u64_max"].as_u64(), Some(u64::MAX));
    assert_eq!(read[1].body["i64_min"].as_i64(), Some(i64::MIN));
    assert_eq!(
        read[1].body["beyond_2_53"].as_u64(),
        Some(9_007_199_254_740_993)
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    JournalFile::open(&path)
        .unwrap()
        .append(entry(body.clone()), t0())
        .unwrap();
    verify_file(&path, None).unwrap();
    assert_eq!(read_records(&path).unwrap()[1].body, body);
}

/// A million random f64 (uniform over bit patterns, so every exponent and subnormals) through
/// the real file store: a thousand records of a thousand floats, each record checked by the
/// store's self-check when written, the whole file verified, every bit read back.
#[test]
fn a_million_random_floats_through_the_file_store() {
    let mut rng = fastrand::Rng::with_seed(0x5eed_f10a7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    let mut written: Vec<Vec<f64>> = Vec::new();
    for batch in 0..10 {
        let mut entries = Vec::new();
        for _ in 0..100 {
            let floats: Vec<f64> = std::iter::repeat_with(|| f64::from_bits(rng.u64(..)))
                .filter(|f| f.is_finite())
                .take(1000)
                .collect();
            entries.push(entry(json!({ "batch": batch, "floats": floats })));
            written.push(floats);
        }
        j.append_batch(entries, t0())
            .unwrap_or_else(|e| panic!("batch {batch} refused: {e}"));
    }
    let report = verify_file(&path, None).unwrap();
    assert_eq!(report.records, 1001);
    let read = read_records(&path).unwrap();
    let mut checked = 0;
    for (record, floats) in read[1..].iter().zip(&written) {
        let back = record.body["floats"].as_array().unwrap();
        assert_eq!(back.len(), floats.len());
        for (f, b) in floats.iter().zip(back) {
            assert_eq!(f.to_bits(), b.as_f64().unwrap().to_bits());
            checked += 1;
        }
    }
    assert_eq!(checked, 1_000_000);
}

fn nested(depth: usize) -> Value {
    let mut v = json!(1.5);
    for _ in 0..depth {
        v = Value::Array(vec![v, json!("é\u{2028}\"\\")]);
    }
    v
}

#[test]
fn deep_bodies_up_to_the_limit_are_kept_and_deeper_ones_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    // The body object itself is one level; `nested(d)` adds d.
    let deepest = nested(MAX_BODY_DEPTH - 1);
    j.append(entry(json!({ "deep": deepest })), t0()).unwrap();
    verify_file(&path, None).unwrap();
    assert_eq!(read_records(&path).unwrap()[1].body["deep"], deepest);

    let err = j
        .append(entry(json!({ "deep": nested(MAX_BODY_DEPTH) })), t0())
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("nests") && text.contains(&path.display().to_string()),
        "{text}"
    );
    // Nothing half-written: the journal still verifies with its two records.
    assert_eq!(verify_file(&path, None).unwrap().records, 2);
}

/// The journal as the cockpit writes it: every record of a replayed demo with numbers in its
/// bodies (mode changes with evidence, approvals with the budgets shown) goes through the store.
#[test]
fn the_demo_journal_goes_through_the_store() {
    let loaded = flightdeck::load::demo().unwrap();
    let mut s = flightdeck::replay::ReplaySession::new(
        loaded.scenario.clone(),
        loaded.knowledge,
        flightdeck::cockpit::CockpitConfig::default(),
    );
    s.advance_to(loaded.scenario.end());
    let records = s.records();
    assert!(records.iter().any(|r| r.kind == RecordKind::ModeChange));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let mut j = JournalFile::open(&path).unwrap();
    for r in &records[1..] {
        j.append(
            JournalEntry {
                actor: r.actor.clone(),
                role: r.role.clone(),
                kind: r.kind,
                summary: r.summary.clone(),
                body: r.body.clone(),
            },
            r.ts,
        )
        .unwrap_or_else(|e| panic!("seq {} ({}) refused: {e}", r.seq, r.kind.name()));
    }
    assert_eq!(
        verify_file(&path, None).unwrap().records,
        records.len() as u64
    );
}
