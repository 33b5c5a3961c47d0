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
