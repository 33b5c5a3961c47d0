//! kill -9 loop: a child process appends records (single, batched, checkpoints, some large
//! enough that a write can be cut short) and prints every acknowledged seq and hash; the parent
//! SIGKILLs it at random moments, 200+ times, then opens the journal (which cuts a torn tail
//! away) and checks that it verifies and that every acknowledged record is in it, unchanged.
//!
//! One iteration in ten the child writes the first part of a record's line itself and waits to
//! be killed, so the torn-tail repair runs inside the loop too (a SIGKILL landing inside a real
//! `write()` is rare: the child spends its time in `fdatasync`).
//!
//! The child is this test binary itself, re-run with `FLIGHTDECK_CRASH_CHILD` set (the standard
//! re-exec trick: no separate helper binary to build).

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flightdeck::journal::{Chain, JournalEntry, RecordKind, encode_line};
use flightdeck::journal_store::{JournalFile, verify_file};
use flightdeck::time::Timestamp;

const CHILD_ENV: &str = "FLIGHTDECK_CRASH_CHILD";
const ITERATIONS: usize = 200;
/// A fresh journal every this many iterations keeps opening (a full verify) cheap.
const PER_JOURNAL: usize = 25;

fn entry(i: u64, size: usize) -> JournalEntry {
    JournalEntry {
        actor: "crash-child".into(),
        role: flightdeck::actions::Role::Oncall.into(),
        kind: RecordKind::Note,
        summary: format!("append {i}"),
        body: serde_json::json!({ "i": i, "pad": "x".repeat(size) }),
    }
}

/// The child: appends until killed (or for at most 10 s), printing `ack SEQ HASH` per record.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return; // an ordinary test run: nothing to do
    };
    let seed: u64 = std::env::var("FLIGHTDECK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let tear = std::env::var_os("FLIGHTDECK_CRASH_TEAR").is_some();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut journal = JournalFile::open(&path).unwrap();
    let out = std::io::stdout();
    let started = Instant::now();
    let ts: Timestamp = "2026-03-12T14:00:00Z".parse().unwrap();
    let mut i = 0u64;
    while started.elapsed() < Duration::from_secs(10) {
        // Mostly small records; now and then one of up to 256 KiB, whose write() a SIGKILL
        // can cut short (the kernel stops a write between pages for a fatal signal).
        let size = if rng.u8(..) < 20 {
            rng.usize(4096..262_144)
        } else {
            rng.usize(0..200)
        };
        let records = match rng.u8(..8) {
            0 => journal
                .append_batch((0..rng.u64(2..6)).map(|k| entry(i + k, size / 4)), ts)
                .unwrap(),
            1 => vec![
                journal
                    .checkpoint("crash-child", flightdeck::actions::Role::Oncall, ts)
                    .unwrap(),
            ],
            _ => vec![journal.append(entry(i, size), ts).unwrap()],
        };
        i += records.len() as u64;
        let mut lock = out.lock();
        for r in &records {
            writeln!(lock, "ack {} {}", r.seq, r.hash).unwrap();
        }
        lock.flush().unwrap();
        if tear {
            // Die mid-write by construction: the first part of the next record's line, as a
            // write cut short by the kill would leave it, then wait for the SIGKILL.
            let (seq, head) = journal.head();
            let next = Chain::resume(seq + 1, head.to_string()).seal(entry(i, size), ts);
            let line = encode_line(&next);
            let cut = rng.usize(1..line.len());
            let mut file = OpenOptions::new().append(true).open(&path).unwrap();
            file.write_all(&line[..cut]).unwrap();
            writeln!(lock, "torn").unwrap();
            lock.flush().unwrap();
            std::thread::sleep(Duration::from_secs(10));
        }
    }
}

fn spawn_child(path: &std::path::Path, seed: u64, tear: bool) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    if tear {
        cmd.env("FLIGHTDECK_CRASH_TEAR", "1");
    }
    cmd.args([
        "--exact",
        "journal_crash::crash_child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, path)
    .env("FLIGHTDECK_CRASH_SEED", seed.to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

fn acks(text: &str) -> impl Iterator<Item = (u64, String)> + '_ {
    text.lines().filter_map(|l| {
        // libtest may print `test crash_child ... ` on the same line as the first ack.
        let mut words = l[l.find("ack ")? + 4..].split(' ');
        Some((words.next()?.parse().ok()?, words.next()?.to_string()))
    })
}

#[test]
fn acknowledged_records_survive_kill_9_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::env::var("FLIGHTDECK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("kill -9 loop seed {seed} (FLIGHTDECK_CRASH_SEED={seed} to replay)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut acked: HashMap<u64, String> = HashMap::new();
    let (mut total_acks, mut repairs, mut mid_append_kills, mut torn_writes) = (0, 0, 0, 0);
    let mut path = dir.path().join("j0.jsonl");
    for iteration in 0..ITERATIONS {
        if iteration % PER_JOURNAL == 0 {
            path = dir
                .path()
                .join(format!("j{}.jsonl", iteration / PER_JOURNAL));
            acked.clear();
        }
        // One iteration in ten the child dies mid-write by construction (see `crash_child`).
        let tear = iteration % 10 == 5;
        let mut child = spawn_child(&path, rng.u64(..), tear);
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        if tear {
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap() == 0 || line.contains("torn") {
                    break;
                }
                text.push_str(&line);
            }
            torn_writes += 1;
        } else if rng.bool() {
            // Kill at a random moment after start (often before or while opening).
            std::thread::sleep(Duration::from_micros(rng.u64(0..12_000)));
        } else {
            // Kill a random moment after the first acknowledgment: mid-append, mostly.
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                text.push_str(&line);
                if line.contains("ack ") {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.u64(0..6_000)));
            mid_append_kills += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stdout.read_to_string(&mut text).unwrap();
        for (seq, hash) in acks(&text) {
            total_acks += 1;
            acked.insert(seq, hash);
        }

        // The parent opens the journal: a torn tail is cut away, nothing else is touched.
        let journal = match JournalFile::open(&path) {
            Ok(j) => j,
            Err(e) => panic!("iteration {iteration}: open failed after kill: {e}"),
        };
        repairs += journal.repaired().len();
        let records = journal.records().unwrap();
        let report = verify_file(&path, None)
            .unwrap_or_else(|e| panic!("iteration {iteration}: verify failed: {e}"));
        assert_eq!(report.records as usize, records.len());
        for (seq, hash) in &acked {
            let found = records.get(*seq as usize).map(|r| &r.hash);
            assert_eq!(
                found,
                Some(hash),
                "iteration {iteration}: acknowledged record {seq} is missing or changed"
            );
        }
    }
    eprintln!(
        "kill -9 loop: {ITERATIONS} kills ({mid_append_kills} after the first ack, \
         {torn_writes} mid-write by construction), {total_acks} acknowledged records checked, \
         {repairs} torn tails cut"
    );
    assert!(total_acks > ITERATIONS, "the child got to append");
    assert!(repairs >= torn_writes, "every torn write was cut away");
}
