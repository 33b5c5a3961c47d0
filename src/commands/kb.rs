//! `flightdeck kb search|match|lint`: the knowledge base outside the TUI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::alerts::parse_alerts;
use crate::knowledge::lint::StalenessInputs;
use crate::knowledge::report::{AlertInput, lint_report, match_report, search_report};
use crate::knowledge::{DocKind, KnowledgeBase};

/// Loads the knowledge directories (runbooks, and postmortems from directories whose name says
/// so); with none given, the bundled demo's knowledge, said on stderr. Broken documents are
/// reported and skipped.
pub fn load(dirs: &[PathBuf], report_errors: bool) -> color_eyre::Result<KnowledgeBase> {
    Ok(load_with_errors(dirs, report_errors)?.0)
}

fn load_with_errors(
    dirs: &[PathBuf],
    report_errors: bool,
) -> color_eyre::Result<(KnowledgeBase, Vec<crate::knowledge::DocError>)> {
    let (kb, errors) = if dirs.is_empty() {
        eprintln!("flightdeck: no --kb given: using the bundled demo's runbooks and postmortems");
        crate::load::demo_knowledge()
    } else {
        let kinds: Vec<(DocKind, PathBuf)> = dirs
            .iter()
            .map(|d| (crate::load::kind_for(&d.to_string_lossy()), d.clone()))
            .collect();
        crate::load::knowledge_dirs(&kinds)
    };
    if report_errors {
        for e in &errors {
            eprintln!("{}", super::human(&format!("flightdeck: skipped {e}")));
        }
    }
    Ok((kb, errors))
}

pub fn search(
    query: &str,
    dirs: &[PathBuf],
    limit: usize,
    json: bool,
) -> color_eyre::Result<ExitCode> {
    let kb = load(dirs, true)?;
    let report = search_report(&kb, query, limit);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", super::human(&report.to_text()));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn matches(
    alerts: &Path,
    dirs: &[PathBuf],
    top: usize,
    json: bool,
) -> color_eyre::Result<ExitCode> {
    let kb = load(dirs, true)?;
    let parsed = parse_alerts(&super::read(alerts)?);
    for r in &parsed.rejected {
        eprintln!(
            "{}",
            super::human(&format!(
                "flightdeck: {}: alert #{}: {}",
                alerts.display(),
                r.index,
                r.error
            ))
        );
    }
    let inputs = parsed.alerts.iter().map(|a| AlertInput {
        fingerprint: a.fingerprint().to_string(),
        labels: &a.labels,
        annotations: &a.annotations,
    });
    let report = match_report(&kb, inputs, top);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", super::human(&report.to_text()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Staleness of runbooks and training-grade quality of postmortems; exit 1 on broken documents
/// or error-level findings.
pub fn lint(dirs: &[PathBuf], max_age_days: i64, json: bool) -> color_eyre::Result<ExitCode> {
    let (kb, errors) = load_with_errors(dirs, false)?;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let inputs = StalenessInputs {
        max_age_days,
        ..StalenessInputs::default()
    };
    let report = lint_report(&kb, &errors, today, &inputs);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", super::human(&report.to_text()));
    }
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
