//! `flightdeck alerts cluster`: a storm of alerts into the incidents they are, from a file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::alerts::{ClusterConfig, KnownPatterns, cluster_report_with, parse_alerts};

/// Clusters the alerts in `file` (Alertmanager API v2 array, webhook v4 payload, or JSON Lines
/// of either). Novelty is scored against the alert names the knowledge in `kb` knows.
pub fn cluster(file: &Path, kb: &[PathBuf], json: bool) -> color_eyre::Result<ExitCode> {
    let text = super::read(file)?;
    let parsed = parse_alerts(&text);
    let knowledge = super::kb::load(kb, false)?;
    let names = knowledge.known_alertnames();
    let known = KnownPatterns::new(names.iter().map(String::as_str));
    let report = cluster_report_with(&parsed, &ClusterConfig::default(), &known);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", super::human(&report.to_text()));
    }
    for r in &parsed.rejected {
        eprintln!(
            "{}",
            super::human(&format!(
                "flightdeck: {}: alert #{}: {}",
                file.display(),
                r.index,
                r.error
            ))
        );
    }
    Ok(ExitCode::SUCCESS)
}
