//! Topology reasons at size (issue 16 §7): a chain of 1,000 and of 3,000 services (each
//! depends on the next), one alert on every service, all within 5 minutes: one cluster whose
//! reasons are the chain's links and whose origin is the last service.
//!
//! Printed to stderr, in CPU time of the thread (wall time lies on a shared machine):
//! - `batch`: a new correlator, then `observe_many` of all the alerts (what a replay or the
//!   first fetch does), with the heap the correlator holds after and the peak during;
//! - `one by one`: `observe` of each alert in turn (every alert settles its cluster: origin and
//!   reasons made again each time, as the live webhook path does for small batches).
//!
//! `cargo bench --bench topology` (no criterion loops: one cold run of each, the 3,000 one-by-one
//! run last). `FD_TOPO_SIZES=1000` runs one size only; `FD_TOPO_BATCH_ONLY=1` skips the
//! one-by-one runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use chain::{chain, chain_alerts};
use flightdeck::alerts::Correlator;
use flightdeck::time::Timestamp;

#[path = "chain/mod.rs"]
mod chain;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// CPU time this thread has run (user and system), in ns.
fn cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

fn summary(c: &Correlator) -> String {
    let big = c.clusters().iter().max_by_key(|c| c.size());
    let Some(big) = big else {
        return "no cluster".into();
    };
    format!(
        "{} clusters, largest {} alerts, origin {:?}, {} reasons shown, last {:?}",
        c.clusters().len(),
        big.size(),
        big.origin.as_ref().map(|o| o.service.as_str()),
        big.reasons.len(),
        big.reasons.last()
    )
}

fn run(n: usize) {
    let cfg = chain(n);
    let alerts = chain_alerts(n, t0());

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let t = cpu_ns();
    let mut c = Correlator::new(cfg.clone());
    let built = cpu_ns() - t;
    let t = cpu_ns();
    c.observe_many(alerts.clone());
    let ms = (cpu_ns() - t) as f64 / 1e6;
    let held = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    eprintln!(
        "chain of {n}, batch: correlator built in {:.2} ms, {n} alerts clustered in {ms:.1} ms CPU; \
         holds {:.1} MB after, peak {:.1} MB; {}",
        built as f64 / 1e6,
        held as f64 / 1e6,
        peak as f64 / 1e6,
        summary(&c)
    );
    black_box(&c);
    drop(c);
    if std::env::var_os("FD_TOPO_BATCH_ONLY").is_some() {
        return;
    }

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let t = cpu_ns();
    let mut c = Correlator::new(cfg);
    for (a, now) in alerts {
        c.observe(a, now);
    }
    let ms = (cpu_ns() - t) as f64 / 1e6;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    eprintln!(
        "chain of {n}, one by one: {ms:.1} ms CPU ({:.1} µs an alert), peak {:.1} MB; {}",
        ms * 1e3 / n as f64,
        peak as f64 / 1e6,
        summary(&c)
    );
    black_box(&c);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep that short.
    if std::env::args().all(|a| a != "--bench") {
        run(100);
        return;
    }
    let sizes: Vec<usize> = std::env::var("FD_TOPO_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 3_000]);
    for n in sizes {
        run(n);
    }
}
