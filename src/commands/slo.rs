//! `flightdeck slo check` and `flightdeck slo status`: the budget math outside the TUI.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::slo::{SloSpec, parse_samples_jsonl, parse_slo_file, promql, status_report};
use crate::time::Timestamp;

#[derive(Serialize)]
struct CheckedFile {
    path: String,
    ok: bool,
    slos: Vec<String>,
    error: Option<String>,
}

/// Validates SLO spec files; exit 0 only if every file is valid.
pub fn check(files: &[PathBuf], json: bool) -> color_eyre::Result<ExitCode> {
    let mut results = Vec::new();
    for f in files {
        let shown = f.display().to_string();
        let checked = match super::read(f) {
            Err(e) => CheckedFile {
                path: shown,
                ok: false,
                slos: vec![],
                error: Some(e.to_string()),
            },
            Ok(text) => match parse_slo_file(&shown, &text) {
                Ok(parsed) => {
                    // Every query's PromQL syntax, each error at the line the query is on.
                    let errors: Vec<String> = parsed
                        .iter()
                        .flat_map(|p| {
                            promql::syntax_errors(&p.queries).into_iter().map(|e| {
                                let line =
                                    promql::line_of(&text, &e.query, p.line).unwrap_or(p.line);
                                format!(
                                    "{shown}:{line}: {} query: {}: not valid PromQL: {}",
                                    e.part, p.spec.name, e.message
                                )
                            })
                        })
                        .collect();
                    CheckedFile {
                        path: shown,
                        ok: errors.is_empty(),
                        slos: parsed.iter().map(|p| p.spec.name.clone()).collect(),
                        error: (!errors.is_empty()).then(|| errors.join("\n")),
                    }
                }
                Err(e) => CheckedFile {
                    path: shown,
                    ok: false,
                    slos: vec![],
                    error: Some(e.to_string()),
                },
            },
        };
        results.push(checked);
    }
    let all_ok = results.iter().all(|r| r.ok);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"ok": all_ok, "files": results}))?
        );
    } else {
        for r in &results {
            match &r.error {
                None => println!(
                    "{}",
                    super::human(&format!("ok     {}: {}", r.path, r.slos.join(", ")))
                ),
                Some(e) => {
                    for line in e.lines() {
                        println!("{}", super::human(&format!("error  {line}")));
                    }
                }
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Budget, burn rates and conditions of the given SLOs from a JSON Lines samples file, at
/// `at` (default: the time of the latest sample, so the answer does not depend on the clock).
pub fn status(
    slo_files: &[PathBuf],
    samples: &std::path::Path,
    at: Option<Timestamp>,
    json: bool,
) -> color_eyre::Result<ExitCode> {
    let mut specs: Vec<SloSpec> = Vec::new();
    for f in slo_files {
        let text = super::read(f)?;
        let parsed = parse_slo_file(&f.display().to_string(), &text)?;
        specs.extend(parsed.into_iter().map(|p| p.spec));
    }
    let shown = samples.display().to_string();
    let records = parse_samples_jsonl(&shown, &super::read(samples)?)?;
    let unknown: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r.slo.as_str())
        .filter(|name| !specs.iter().any(|s| s.name == *name))
        .collect();
    for name in unknown {
        eprintln!(
            "{}",
            super::human(&format!(
                "flightdeck: {shown}: ignoring samples of SLO {name:?}, which no --slo file defines"
            ))
        );
    }
    let Some(at) = at.or_else(|| records.iter().map(|r| r.ts).max()) else {
        color_eyre::eyre::bail!("{shown}: no samples, and no --at given");
    };
    let report = status_report(&specs, &records, at);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", super::human(&report.to_text()));
    }
    Ok(ExitCode::SUCCESS)
}
