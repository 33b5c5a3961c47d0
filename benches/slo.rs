//! Budget engine benchmark (issue 3 §8): 1,000 SLOs × 28 days of 1-minute samples — ingest rate,
//! one full evaluation of every window of every SLO (goal ≤ 50 ms), and retained memory (goal
//! ≤ 100 MB). Figures are printed besides criterion's timings.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flightdeck::slo::{Governor, SloSpec, SloState};
use flightdeck::time::{SignedDuration, Timestamp};

const SLOS: usize = 1_000;
const MINUTES: i64 = 28 * 24 * 60;
const T0: i64 = 1_767_225_600;

fn ts(min: i64) -> Timestamp {
    Timestamp::from_second(T0 + min * 60).unwrap()
}

fn spec(i: usize) -> SloSpec {
    let objective = [0.99, 0.995, 0.999, 0.9995][i % 4];
    SloSpec::new(
        format!("slo-{i}"),
        format!("svc-{}", i / 4),
        objective,
        SignedDuration::from_hours(24 * 28),
    )
}

/// Per-minute traffic of SLO `i` at minute `m`: `(requests, errors)`, deterministic.
fn traffic(i: usize, m: i64) -> (f64, f64) {
    let base = 200.0 + (i % 50) as f64 * 40.0;
    let daily = 1.0 + 0.5 * ((m % 1440) as f64 / 1440.0 * std::f64::consts::TAU).sin();
    let total = (base * daily).round();
    // Background errors, plus an incident every few days for some SLOs.
    let incident = i.is_multiple_of(7) && (m / 60) % 72 == 5;
    let errors = if incident {
        total * 0.05
    } else {
        (total * 0.0003).round()
    };
    (total, errors)
}

/// Ingests `minutes` of samples for every SLO, with a counter reset once a week.
fn build(minutes: i64) -> Vec<SloState> {
    (0..SLOS)
        .map(|i| {
            let mut st = SloState::new(spec(i));
            let (mut good, mut total) = (0.0, 0.0);
            for m in 0..=minutes {
                if m > 0 && m % (7 * 1440) == (i as i64 * 13) % 1440 {
                    good = 0.0;
                    total = 0.0;
                }
                let (t, e) = traffic(i, m);
                total += t;
                good += t - e;
                st.ingest(ts(m), good, total);
            }
            st
        })
        .collect()
}

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench(c: &mut Criterion) {
    let rss_before = rss_kib("VmRSS:");
    let started = Instant::now();
    let states = build(MINUTES);
    let took = started.elapsed();
    let samples = SLOS as f64 * (MINUTES + 1) as f64;
    let heap: usize = states.iter().map(SloState::heap_bytes).sum();
    let points: usize = states
        .iter()
        .map(|s| {
            let (a, b, c) = s.retained_points();
            a + b + c
        })
        .sum();
    let rss_after = rss_kib("VmRSS:");
    let now = ts(MINUTES);
    let started = Instant::now();
    let statuses: Vec<_> = states.iter().map(|s| s.evaluate(now)).collect();
    let eval = started.elapsed();
    let mut gov = Governor::default();
    gov.update(now, &statuses);
    println!(
        "slo bench: {SLOS} SLOs x {MINUTES} 1-minute samples = {:.1} M samples ingested in {:.2} s \
         ({:.1} M samples/s)",
        samples / 1e6,
        took.as_secs_f64(),
        samples / 1e6 / took.as_secs_f64()
    );
    println!(
        "slo bench: retained {points} points ({:.0} per SLO), history heap {:.1} MB \
         (+ {} B per SloState); RSS {:?} KiB before, {:?} KiB after build",
        points as f64 / SLOS as f64,
        heap as f64 / 1e6,
        std::mem::size_of::<SloState>(),
        rss_before,
        rss_after
    );
    println!(
        "slo bench: first full evaluation of all windows of all SLOs: {:.2} ms; mode {} ({})",
        eval.as_secs_f64() * 1e3,
        gov.mode(),
        gov.reason()
    );

    let mut group = c.benchmark_group("slo");
    group.sample_size(20);
    group.throughput(Throughput::Elements(SLOS as u64));
    group.bench_function("evaluate_1000_slos_all_windows", |b| {
        b.iter(|| {
            let statuses: Vec<_> = states.iter().map(|s| s.evaluate(black_box(now))).collect();
            black_box(statuses)
        })
    });
    group.bench_function("evaluate_and_govern_1000_slos", |b| {
        let mut gov = Governor::default();
        b.iter(|| {
            let statuses: Vec<_> = states.iter().map(|s| s.evaluate(black_box(now))).collect();
            black_box(gov.update(now, &statuses))
        })
    });
    // Ingest: one SLO, one week of 1-minute samples per iteration.
    let week = 7 * 1440;
    group.throughput(Throughput::Elements(week as u64 + 1));
    group.bench_function("ingest_one_week_1min_one_slo", |b| {
        b.iter(|| {
            let mut st = SloState::new(spec(3));
            let (mut good, mut total) = (0.0, 0.0);
            for m in 0..=week {
                let (t, e) = traffic(3, m);
                total += t;
                good += t - e;
                st.ingest(ts(m), good, total);
            }
            black_box(st)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
