//! Where flightdeck keeps its files, from the platform conventions (`directories`).
//! `FLIGHTDECK_HOME` overrides all of them (tests, shared bastions).

use std::path::PathBuf;

use directories::ProjectDirs;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "flightdeck", "flightdeck")
}

fn home_override() -> Option<PathBuf> {
    std::env::var_os("FLIGHTDECK_HOME").map(PathBuf::from)
}

/// Config directory (e.g. ~/.config/flightdeck).
pub fn config_dir() -> Option<PathBuf> {
    home_override()
        .map(|h| h.join("config"))
        .or_else(|| project().map(|p| p.config_dir().to_path_buf()))
}

/// Data directory (journal; e.g. ~/.local/share/flightdeck).
pub fn data_dir() -> Option<PathBuf> {
    home_override()
        .map(|h| h.join("data"))
        .or_else(|| project().map(|p| p.data_dir().to_path_buf()))
}

/// Log directory (flightdeck.log; e.g. ~/.local/state/flightdeck or the data dir).
pub fn log_dir() -> Option<PathBuf> {
    home_override()
        .map(|h| h.join("logs"))
        .or_else(|| project().map(|p| p.state_dir().unwrap_or_else(|| p.data_dir()).to_path_buf()))
}
