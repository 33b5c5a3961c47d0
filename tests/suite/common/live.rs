//! Live mode: configs, options, source states.

use std::net::TcpListener;
use std::path::Path;

use flightdeck::cockpit::{Cockpit, SourceState};
use flightdeck::config::Config;
use flightdeck::live::LiveOptions;

/// Writes `text` as `dir/flightdeck.toml` and loads it; panics with the loader's message.
pub fn load_config(dir: &Path, text: &str) -> Config {
    let path = dir.join("flightdeck.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Live as user `tester`, with the journal in memory.
pub fn options() -> LiveOptions {
    LiveOptions {
        user: Some("tester".into()),
        memory_journal: true,
        ..LiveOptions::default()
    }
}

/// The state of the source called `name`, if the cockpit has one.
pub fn source_state(c: &Cockpit, name: &str) -> Option<SourceState> {
    c.sources().iter().find(|s| s.name == name).map(|s| s.state)
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The evaluation time of a fake Prometheus's `/api/v1/query` request (its `time` parameter),
/// in milliseconds. A fake answers a counter as of this time, as a real Prometheus does, never
/// per request: the poller sends a poll's good and total queries at once and they reach the
/// server in either order, so a counter that grows per request makes the ratio (and the mode)
/// depend on which arrived first.
pub fn evaluation_ms(uri: &axum::http::Uri) -> u64 {
    let url = reqwest::Url::parse(&format!("http://x{uri}")).unwrap();
    let time = url
        .query_pairs()
        .find(|(k, _)| k == "time")
        .unwrap_or_else(|| panic!("{uri}: the poller sends `time` with every query"));
    let secs: f64 = time
        .1
        .parse()
        .unwrap_or_else(|e| panic!("{uri}: time {}: {e}", time.1));
    (secs * 1000.0).round() as u64
}
