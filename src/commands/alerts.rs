//! `flightdeck alerts cluster`: a storm of alerts into the incidents they are, from a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::alerts::{ClusterConfig, KnownPatterns, cluster_report_owned, parse_alerts};

/// Clusters the alerts in `file` (Alertmanager API v2 array, webhook v4 payload, or JSON Lines
/// of either). Novelty is scored against the alert names the knowledge in `kb` knows.
///
/// The alerts, the correlator and the report are left to the operating system when the
/// process ends (`mem::forget`): freeing a 50,000-alert storm piece by piece is a fifth of
/// the command's time, and it ends right after.
pub fn cluster(file: &Path, kb: &[PathBuf], json: bool) -> color_eyre::Result<ExitCode> {
    let text = super::read(file)?;
    let parsed = parse_alerts(&text);
    drop(text);
    let knowledge = super::kb::load(kb, false)?;
    let names = knowledge.known_alertnames();
    let known = KnownPatterns::new(names.iter().map(String::as_str));
    let rejected = parsed.rejected.clone();
    let (report, correlator) = cluster_report_owned(parsed, &ClusterConfig::default(), &known);
    std::mem::forget(correlator);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", super::human(&report.to_text()))?;
    }
    out.flush()?;
    std::mem::forget(report);
    for r in &rejected {
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
