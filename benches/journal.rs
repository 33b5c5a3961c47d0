//! Journal benchmark (issue 6 §9): durable append latency next to a raw `write` + `fdatasync`
//! loop on the same disk (goal ≤ 1.2× raw), burst throughput with group commit, and verify
//! throughput (goal ≥ 100 MB/s). The figures are measured directly and printed before
//! criterion's own timings.
//!
//! The journal lives in `$FLIGHTDECK_BENCH_DIR` if set (point it at the disk you care about),
//! else in the system temp directory.

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use flightdeck::journal::{JournalEntry, RecordKind, verify_bytes};
use flightdeck::journal_store::{JournalFile, verify_file};
use flightdeck::time::Timestamp;

fn ts() -> Timestamp {
    "2026-03-12T14:00:00Z".parse().unwrap()
}

/// A realistic mix: notes, approvals and executions with a full step record, mode changes.
fn entry(i: usize) -> JournalEntry {
    let argv = serde_json::json!([
        "kubectl",
        "-n",
        "checkout",
        "rollout",
        "undo",
        format!("deployment/api-{}", i % 17)
    ]);
    let step = serde_json::json!({
        "step": "kube-deploy-rollback/undo",
        "argv": argv,
        "argv_hash": blake3::hash(&i.to_le_bytes()).to_hex().to_string(),
        "mode": "adaptive",
        "session": "5f2a9c1e",
        "source": "a1b2c3d4e5f60718",
        "definition": {
            "id": "undo", "title": "Roll the deployment back", "kind": "mitigation",
            "argv": ["kubectl", "-n", "{{labels.namespace}}", "rollout", "undo", "deployment/{{labels.deployment}}"],
            "shell": false, "timeout": "2m", "audited": {"by": "sre-team", "on": "2026-01-20"},
            "origin": "structured"
        },
        "approvals": [blake3::hash(&(i + 1).to_le_bytes()).to_hex().to_string()],
        "replayed": false
    });
    let (kind, summary, body) = match i % 5 {
        0 | 1 => (
            RecordKind::Note,
            format!("note {i}"),
            serde_json::json!({"text": format!("p99 latency on checkout-api went up after deploy #{i}; suspect the connection pool")}),
        ),
        2 => (RecordKind::Approval, format!("approved undo #{i}"), step),
        3 => (RecordKind::Execution, format!("executed undo #{i}"), step),
        _ => (
            RecordKind::ModeChange,
            "mode adaptive → freeze".into(),
            serde_json::json!({"from": "adaptive", "to": "freeze", "slo": "checkout-availability",
                "burn": {"1h": 15.2, "5m": 17.9, "6h": 4.1, "30m": 6.3}, "budget_left": 0.41}),
        ),
    };
    JournalEntry {
        actor: if i.is_multiple_of(2) { "dana" } else { "sam" }.into(),
        role: flightdeck::actions::Role::Oncall.into(),
        kind,
        summary,
        body,
    }
}

fn bench_dir() -> tempfile::TempDir {
    match std::env::var_os("FLIGHTDECK_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Durable appends and raw write + fdatasync of lines of the same size, interleaved in
/// rounds so both see the same disk conditions.
fn append_vs_raw(dir: &Path) {
    let rounds = 10;
    let per_round = 50;
    let mut journal = JournalFile::open(dir.join("latency.jsonl")).unwrap();
    let mut raw = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("raw.bin"))
        .unwrap();
    let line_len = serde_json::to_vec(&entry(2)).unwrap().len() + 220;
    let line = vec![b'x'; line_len];
    let (mut j_times, mut r_times) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for i in 0..per_round {
            let e = entry(round * per_round + i);
            let t = Instant::now();
            black_box(journal.append(e, ts()).unwrap());
            j_times.push(t.elapsed());
        }
        for _ in 0..per_round {
            let t = Instant::now();
            raw.write_all(&line).unwrap();
            raw.sync_data().unwrap();
            r_times.push(t.elapsed());
        }
    }
    j_times.sort();
    r_times.sort();
    let mean = |v: &[Duration]| v.iter().sum::<Duration>() / v.len() as u32;
    let (jm, rm) = (mean(&j_times), mean(&r_times));
    let (j50, r50) = (percentile(&j_times, 0.5), percentile(&r_times, 0.5));
    println!(
        "durable append: mean {jm:?} p50 {j50:?} p99 {:?} | raw write+fdatasync: mean {rm:?} p50 {r50:?} p99 {:?} | ratio mean {:.2}x, p50 {:.2}x (goal <= 1.2x)",
        percentile(&j_times, 0.99),
        percentile(&r_times, 0.99),
        jm.as_secs_f64() / rm.as_secs_f64(),
        j50.as_secs_f64() / r50.as_secs_f64(),
    );
}

fn burst(dir: &Path) {
    let mut journal = JournalFile::open(dir.join("burst.jsonl")).unwrap();
    let n = 2_000;
    let t = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        black_box(
            journal
                .append_batch(chunk.iter().map(|&i| entry(i)), ts())
                .unwrap(),
        );
    }
    let grouped = t.elapsed();
    let t = Instant::now();
    for i in 0..200 {
        black_box(journal.append(entry(i), ts()).unwrap());
    }
    let single = t.elapsed();
    println!(
        "burst: group commit of 100 → {:.0} records/s; one fsync per record → {:.0} records/s",
        n as f64 / grouped.as_secs_f64(),
        200.0 / single.as_secs_f64(),
    );
}

/// A journal of about `mb` MB in memory and on disk.
fn big_journal(dir: &Path, mb: usize) -> (Vec<u8>, std::path::PathBuf) {
    let path = dir.join("big.jsonl");
    let mut journal = JournalFile::open(&path).unwrap();
    let mut i = 0;
    while journal.size() < (mb << 20) as u64 {
        journal
            .append_batch((i..i + 1000).map(entry), ts())
            .unwrap();
        i += 1000;
    }
    (std::fs::read(&path).unwrap(), path)
}

/// CPU time of this thread (verification is single-threaded; on a busy machine wall time
/// also counts the time other processes had the core).
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes into `t`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn verify_throughput(bytes: &[u8], path: &Path) {
    let mb = bytes.len() as f64 / 1e6;
    // Best of 5: (wall, cpu).
    let best = |f: &dyn Fn()| {
        (0..5)
            .map(|_| {
                let (t, c) = (Instant::now(), thread_cpu());
                f();
                (t.elapsed(), thread_cpu() - c)
            })
            .min()
            .unwrap()
    };
    let rate = |(wall, cpu): (Duration, Duration)| {
        format!(
            "{:.0} MB/s ({:.0} MB/s of CPU time)",
            mb / wall.as_secs_f64(),
            mb / cpu.as_secs_f64()
        )
    };
    let mem = best(&|| {
        black_box(verify_bytes(bytes, None).unwrap());
    });
    let file = best(&|| {
        black_box(verify_file(path, None).unwrap());
    });
    let open = best(&|| {
        black_box(JournalFile::open(path).unwrap());
    });
    println!(
        "verify {mb:.1} MB ({} records): in memory {}, verify_file {}, open {} (goal >= 100 MB/s)",
        bytes.iter().filter(|&&b| b == b'\n').count(),
        rate(mem),
        rate(file),
        rate(open),
    );
}

fn main() {
    let dir = bench_dir();
    println!("journal benchmark in {}", dir.path().display());
    append_vs_raw(dir.path());
    burst(dir.path());
    let (bytes, path) = big_journal(dir.path(), 16);
    verify_throughput(&bytes, &path);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("journal");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));
    let mut journal = JournalFile::open(dir.path().join("criterion.jsonl")).unwrap();
    let mut i = 0;
    group.bench_function("append_durable", |b| {
        b.iter(|| {
            i += 1;
            journal.append(entry(i), ts()).unwrap()
        })
    });
    let mut raw = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("criterion.raw"))
        .unwrap();
    let line = vec![b'x'; 600];
    group.bench_function("raw_write_fdatasync", |b| {
        b.iter(|| {
            raw.write_all(&line).unwrap();
            raw.sync_data().unwrap();
        })
    });
    group.throughput(Throughput::Elements(100));
    group.bench_function("append_batch_100", |b| {
        b.iter_batched(
            || (0..100).map(entry).collect::<Vec<_>>(),
            |entries| journal.append_batch(entries, ts()).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    group.bench_function("verify_bytes_16MB", |b| {
        b.iter(|| verify_bytes(black_box(&bytes), None).unwrap())
    });
    group.finish();
    c.final_summary();
}
