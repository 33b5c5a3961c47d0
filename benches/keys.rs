//! Key latency under a storm (issue 15: "the TUI answers a key within 16 ms throughout" a
//! 50,000-alert live webhook storm). Figures only, printed to stderr.
//!
//! The real live cockpit (`live::Live`: the webhook receiver on loopback, the demo's runbooks
//! and postmortems, the storm's topology, the journal in memory) runs in the real event loop
//! (`runtime::run_in`) on a tokio runtime of two workers, as `flightdeck --config` does, drawing
//! on ratatui's `TestBackend` at 100×30 and at 200×60. Another thread POSTs the storm
//! (benches/storm) as Alertmanager v4 notifications of 100 alerts over 4 connections, as fast as
//! the receiver takes them (a 503 is retried after 2 ms): the consumer is saturated, the worst
//! case. A third thread types `j`/`k` (the cluster list's cursor) every 15–45 ms, from the first
//! POST until the whole storm is applied.
//!
//! A key's latency is from the moment it was typed (sent to the loop's key stream) to the end of
//! the next frame flushed to the backend after the loop took it: what a person waits for.
//! Printed: p50, p99 and max, and the two parts — waiting for the loop to take the key (it is
//! busy applying a batch of source messages) and the loop's own work from the key to the flushed
//! frame (update, view refresh, render).
//!
//! Each size runs 3 storms (`FD_KEYS_ROUNDS=N` for N), the keys of all counted together.
//! `cargo bench --bench keys` runs both sizes; `cargo bench --bench keys -- 200x60` one.

#[path = "post/mod.rs"]
mod post;
#[path = "storm/mod.rs"]
mod storm;

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use flightdeck::alerts::{Alert, AlertState};
use flightdeck::cockpit::Cockpit;
use flightdeck::config::Config;
use flightdeck::live::{Live, LiveOptions};
use flightdeck::runtime::{Ended, Session, run_in};
use flightdeck::tui::{App, Command, Msg};
use futures::Stream;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// When a key was typed and when the loop took it.
#[derive(Default)]
struct Log {
    /// Typed, not yet taken by the loop (in order).
    typed: VecDeque<Instant>,
    /// Taken by the loop, not yet on screen: (typed, taken).
    taken: Vec<(Instant, Instant)>,
    /// On screen: (typed, taken, flushed).
    shown: Vec<(Instant, Instant, Instant)>,
    frames: u64,
}

type Shared = Arc<Mutex<Log>>;

/// The loop's key stream: what the typing thread sends, noting when the loop takes each key.
struct Keys {
    rx: UnboundedReceiver<io::Result<TermEvent>>,
    log: Shared,
}

impl Stream for Keys {
    type Item = io::Result<TermEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.rx).poll_next(cx);
        if let Poll::Ready(Some(Ok(TermEvent::Key(k)))) = &polled
            && k.code != KeyCode::Char('q')
        {
            let now = Instant::now();
            let mut log = self.log.lock().unwrap();
            let typed = log.typed.pop_front().expect("a typed key");
            log.taken.push((typed, now));
        }
        polled
    }
}

/// The live cockpit as the loop runs it, telling the typing thread how many alerts it tracks
/// (so that keys are typed until the whole storm is applied, not only POSTed).
struct Counted {
    live: Live,
    tracked: Arc<AtomicUsize>,
}

impl Session for Counted {
    fn cockpit(&self) -> &Cockpit {
        self.live.cockpit()
    }
    async fn wait(&mut self) -> Vec<Msg> {
        let msgs = self.live.wait().await;
        self.tracked
            .store(self.live.cockpit().alert_count(), Ordering::SeqCst);
        msgs
    }
    fn frame(&mut self) -> (Vec<Msg>, bool) {
        self.live.frame()
    }
    fn command(&mut self, command: Command) -> Vec<Msg> {
        Session::command(&mut self.live, command)
    }
    fn settle(&mut self) -> Vec<Msg> {
        self.live.settle()
    }
    fn load(&mut self, app: &App) -> Vec<Msg> {
        self.live.load(app)
    }
}

/// `TestBackend`, noting when each frame is flushed (the end of `Terminal::draw`).
struct Timed {
    inner: TestBackend,
    log: Shared,
}

impl Backend for Timed {
    type Error = <TestBackend as Backend>::Error;
    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let now = Instant::now();
        let mut log = self.log.lock().unwrap();
        log.frames += 1;
        let taken = std::mem::take(&mut log.taken);
        log.shown
            .extend(taken.into_iter().map(|(typed, at)| (typed, at, now)));
        Ok(())
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// The storm as Alertmanager webhook (version 4) bodies of `per` alerts.
fn webhook_bodies(alerts: &[Alert], per: usize) -> Vec<String> {
    alerts
        .chunks(per)
        .map(|c| {
            let alerts: Vec<serde_json::Value> = c
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "status": if a.state == AlertState::Resolved { "resolved" } else { "firing" },
                        "labels": a.labels,
                        "annotations": a.annotations,
                        "startsAt": a.starts_at.to_string(),
                        "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "",
                        "fingerprint": a.fingerprint().to_string(),
                    })
                })
                .collect();
            serde_json::json!({"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0,
                "status": "firing", "receiver": "bench", "groupLabels": {}, "commonLabels": {},
                "commonAnnotations": {}, "externalURL": "http://am", "alerts": alerts})
            .to_string()
        })
        .collect()
}

/// The live config: the webhook on a free loopback port, the demo's knowledge, the storm's
/// topology.
fn config(dir: &std::path::Path) -> Config {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let text = format!(
        "[webhook]\nlisten = \"127.0.0.1:0\"\n[knowledge]\nrunbooks = [\"{}\"]\npostmortems = [\"{}\"]\n",
        demo.join("runbooks").display(),
        demo.join("postmortems").display()
    );
    let path = dir.join("flightdeck.toml");
    std::fs::write(&path, text).unwrap();
    let mut config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    config.clustering = storm::config();
    config
}

/// POSTs every body to `url` over `connections` connections; sets `done` after the last one
/// was accepted. Returns the 503s retried.
fn post_all(
    url: String,
    bodies: Arc<Vec<String>>,
    connections: usize,
    done: Arc<AtomicBool>,
) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let retries = rt.block_on(post::post_spread(&url, bodies, connections));
    done.store(true, Ordering::SeqCst);
    retries
}

/// Types `j` five times, then `k` five times, …, every 15–45 ms until the storm is POSTed
/// (`done`) and applied (`tracked` reaches `total`, or stays put for half a second: what the
/// episode filter or the memory budget kept out never arrives), then `q`.
fn type_keys(
    tx: UnboundedSender<io::Result<TermEvent>>,
    log: Shared,
    done: Arc<AtomicBool>,
    tracked: Arc<AtomicUsize>,
    total: usize,
) {
    let mut rng = storm::Rng(0x6b65_7973);
    let mut n = 0u64;
    let mut still = (0, Instant::now());
    loop {
        let now = tracked.load(Ordering::SeqCst);
        if now != still.0 {
            still = (now, Instant::now());
        }
        if done.load(Ordering::SeqCst)
            && (now >= total || still.1.elapsed() > Duration::from_millis(500))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(15 + rng.below(31) as u64));
        let c = if (n / 5).is_multiple_of(2) { 'j' } else { 'k' };
        n += 1;
        let mut l = log.lock().unwrap();
        l.typed.push_back(Instant::now());
        let sent = tx.unbounded_send(Ok(TermEvent::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))));
        drop(l);
        if sent.is_err() {
            return;
        }
    }
    let _ = tx.unbounded_send(Ok(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
    ))));
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn describe(mut d: Vec<Duration>) -> String {
    d.sort();
    format!(
        "p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        percentile(&d, 0.50),
        percentile(&d, 0.99),
        d.last().copied().unwrap_or_default()
    )
}

/// What one storm measured.
#[derive(Default)]
struct Round {
    /// Per key: (typed → taken, taken → flushed).
    keys: Vec<(Duration, Duration)>,
    took: Duration,
    tracked: usize,
    clusters: usize,
    retries: u64,
    frames: u64,
}

/// One storm with keys typed throughout, drawn at `width`×`height`.
fn run(alerts: &[Alert], width: u16, height: u16) -> Round {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let bodies = Arc::new(webhook_bodies(alerts, 100));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let opts = LiveOptions {
        user: Some("bench".into()),
        memory_journal: true,
        ..LiveOptions::default()
    };
    let live = rt
        .block_on(Live::start(&config, &opts))
        .expect("live starts");
    let url = format!("http://{}/webhook", live.sources().webhook_addr().unwrap());
    let tracked = Arc::new(AtomicUsize::new(0));
    let mut session = Counted {
        live,
        tracked: tracked.clone(),
    };
    let log: Shared = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = unbounded();
    let keys = Keys {
        rx,
        log: log.clone(),
    };
    let mut terminal = ratatui::Terminal::new(Timed {
        inner: TestBackend::new(width, height),
        log: log.clone(),
    })
    .unwrap();
    let started = Instant::now();
    let poster = {
        let done = done.clone();
        std::thread::spawn(move || post_all(url, bodies, 4, done))
    };
    let typist = {
        let (log, done, total) = (log.clone(), done.clone(), alerts.len());
        std::thread::spawn(move || type_keys(tx, log, done, tracked, total))
    };
    let mut app = App {
        size: (width, height),
        ..App::default()
    };
    let ended = rt.block_on(async {
        let never = std::pin::pin!(std::future::pending::<Ended>());
        run_in(
            &mut terminal,
            keys,
            never,
            &mut session,
            &mut app,
            Vec::new(),
        )
        .await
    });
    let took = started.elapsed();
    assert_eq!(ended.unwrap(), Ended::Quit);
    let retries = poster.join().unwrap();
    typist.join().unwrap();
    let log = log.lock().unwrap();
    let round = Round {
        keys: log
            .shown
            .iter()
            .map(|(t, a, f)| (*a - *t, *f - *a))
            .collect(),
        took,
        tracked: session.live.cockpit().alert_count(),
        clusters: session.live.cockpit().clusters().len(),
        retries,
        frames: log.frames,
    };
    drop(session);
    rt.shutdown_timeout(Duration::from_secs(2));
    round
}

/// `rounds` storms at `width`×`height`, the keys of all of them together.
fn figures(alerts: &[Alert], width: u16, height: u16, rounds: usize) {
    let runs: Vec<Round> = (0..rounds).map(|_| run(alerts, width, height)).collect();
    let keys: Vec<(Duration, Duration)> = runs.iter().flat_map(|r| r.keys.clone()).collect();
    let total: Vec<Duration> = keys.iter().map(|(w, d)| *w + *d).collect();
    let over = total
        .iter()
        .filter(|d| **d > Duration::from_millis(16))
        .count();
    let each: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{:.1?}: {} keys, {} frames, {} alerts tracked, {} clusters, {} × 503",
                r.took,
                r.keys.len(),
                r.frames,
                r.tracked,
                r.clusters,
                r.retries
            )
        })
        .collect();
    eprintln!(
        "keys, {width}x{height}, {} build, load {}, {} storms of {} alerts ({}): {} keys: key → frame {}; {over} over 16 ms",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        load(),
        rounds,
        alerts.len(),
        each.join("; "),
        total.len(),
        describe(total.clone()),
    );
    eprintln!(
        "  waiting for the loop to take the key: {}",
        describe(keys.iter().map(|k| k.0).collect())
    );
    eprintln!(
        "  the loop's work, key taken → frame flushed: {}",
        describe(keys.iter().map(|k| k.1).collect())
    );
}

fn main() {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let rounds = std::env::var("FD_KEYS_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let (alerts, _) = storm::storm();
    for (w, h) in [(100, 30), (200, 60)] {
        let name = format!("{w}x{h}");
        if only.as_deref().is_none_or(|o| o == name) {
            figures(&alerts, w, h, rounds);
        }
    }
}
