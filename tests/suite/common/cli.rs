//! The real `flightdeck` binary, run as a user would.

use std::path::Path;
use std::process::{Command, Output};

/// `flightdeck ARGS` run in the crate's root (so fixture paths are relative to it).
pub fn flightdeck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("flightdeck runs")
}

/// `flightdeck ARGS` with `FLIGHTDECK_HOME` set to `home`.
pub fn flightdeck_at_home(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .env("FLIGHTDECK_HOME", home)
        .output()
        .expect("flightdeck runs")
}

/// The JSON a successful run printed; asserts the run succeeded, showing its stderr if not.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}
