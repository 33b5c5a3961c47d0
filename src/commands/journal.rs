//! `flightdeck journal verify|show|note|checkpoint`: the durable, hash-chained journal on disk,
//! and the output of executed steps kept beside it (`crate::outputs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::journal::{JournalEntry, RecordKind, parse_checkpoint};
use crate::journal_store::{JournalFile, read_records, verify_file, visit_records};
use crate::outputs::{OutputStore, OutputTally};
use crate::time::{Timestamp, clock_hms};

/// `--journal PATH`, else `journal.jsonl` in the data directory.
pub fn path(given: Option<PathBuf>) -> color_eyre::Result<PathBuf> {
    match given {
        Some(p) => Ok(p),
        None => crate::paths::data_dir()
            .map(|d| d.join("journal.jsonl"))
            .ok_or_else(|| {
                color_eyre::eyre::eyre!("no data directory on this system: pass --journal PATH")
            }),
    }
}

/// Exit 0 only if the journal is intact (and matches the checkpoint, if one is given) and
/// every output object an execution record names is there and hashes to its name; otherwise
/// the first bad seq, its byte offset and why, or each record whose output is missing or
/// altered.
pub fn verify(
    journal: &Path,
    checkpoint: Option<&str>,
    json: bool,
) -> color_eyre::Result<ExitCode> {
    let against = match checkpoint {
        Some(c) => Some(
            parse_checkpoint(c).map_err(|e| color_eyre::eyre::eyre!("--checkpoint {c:?}: {e}"))?,
        ),
        None => None,
    };
    let result = verify_file(journal, against);
    // The chain holds: then what its execution records name must hold too.
    let outputs = match &result {
        Ok(_) => Some(check_outputs(journal)?),
        Err(_) => None,
    };
    let (tally, problems) = outputs.unwrap_or_default();
    match (&result, json) {
        (Ok(report), true) if problems.is_empty() => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"ok": true, "report": report, "outputs": tally})
            )?
        ),
        (Ok(report), true) => {
            let errors: Vec<serde_json::Value> = problems
                .iter()
                .map(
                    |p| serde_json::json!({"seq": p.seq, "stream": p.stream, "message": p.message}),
                )
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "ok": false,
                    "report": report,
                    "outputs": tally,
                    "error": errors[0],
                    "output_errors": errors,
                    "message": problems[0].to_string(),
                }))?
            )
        }
        (Err(e), true) => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"ok": false, "error": e, "message": e.to_string()})
            )?
        ),
        (Ok(report), false) if problems.is_empty() => {
            println!("intact: {}: {report}", journal.display());
            if tally.records > 0 {
                println!(
                    "outputs: {} objects of {} executions, {} bytes, each hashes to its name",
                    tally.objects, tally.records, tally.bytes
                );
            }
        }
        (Ok(_), false) => {
            for p in &problems {
                println!("BROKEN: {}: {p}", journal.display());
            }
        }
        (Err(e), false) => println!("BROKEN: {}: {e}", journal.display()),
    }
    Ok(if result.is_ok() && problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// An execution record whose output is not what it names.
#[derive(Debug)]
pub struct OutputProblem {
    pub seq: u64,
    pub stream: &'static str,
    pub message: String,
}

impl std::fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seq {}: {}: {}", self.seq, self.stream, self.message)
    }
}

/// Reads every output object the journal's execution records name and hashes it again.
fn check_outputs(journal: &Path) -> color_eyre::Result<(OutputTally, Vec<OutputProblem>)> {
    let store = OutputStore::beside(journal);
    let mut tally = OutputTally::default();
    let mut problems = Vec::new();
    visit_records(journal, |r| {
        for (stream, e) in store.check_record(&r, &mut tally) {
            problems.push(OutputProblem {
                seq: r.seq,
                stream,
                message: e.to_string(),
            });
        }
    })
    .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    Ok((tally, problems))
}

/// `journal show --output SEQ`: what execution SEQ printed, its stdout to stdout and its stderr
/// to stderr, each checked against the hash in the record (escaped on a terminal).
pub fn show_output(journal: &Path, seq: u64) -> color_eyre::Result<ExitCode> {
    use std::io::{IsTerminal, Write};
    let mut found = None;
    let mut count: u64 = 0;
    visit_records(journal, |r| {
        count += 1;
        if r.seq == seq {
            found = Some(r);
        }
    })
    .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    let Some(record) = found else {
        color_eyre::eyre::bail!(
            "{}: there is no record #{seq} (the journal has {count}, #0 to #{})",
            journal.display(),
            count.saturating_sub(1)
        );
    };
    let output = match crate::outputs::record_output(&record) {
        Some(Ok(o)) => o,
        Some(Err(e)) => color_eyre::eyre::bail!("{}: record #{seq}: {e}", journal.display()),
        None if record.kind == RecordKind::Execution => color_eyre::eyre::bail!(
            "{}: record #{seq} ({}) names no kept output: dry runs, silences, steps that did \
             not start and runs journaled before flightdeck kept output have none",
            journal.display(),
            record.summary
        ),
        None => color_eyre::eyre::bail!(
            "{}: record #{seq} is a {} record, not an execution: it has no output",
            journal.display(),
            record.kind.label()
        ),
    };
    let store = OutputStore::beside(journal);
    let read = |object| {
        store.get(object).map_err(|e| {
            color_eyre::eyre::eyre!(
                "{}: record #{seq}: {e} (`flightdeck journal verify` checks every record)",
                journal.display()
            )
        })
    };
    let stdout = read(&output.stdout)?;
    let stderr = read(&output.stderr)?;
    let write = |bytes: &[u8], to: &mut dyn Write, terminal: bool| -> std::io::Result<()> {
        if terminal {
            to.write_all(crate::outputs::printable(bytes).as_bytes())
        } else {
            to.write_all(bytes)
        }
    };
    let out = std::io::stdout();
    let terminal = out.is_terminal();
    write(&stdout, &mut out.lock(), terminal)?;
    let err = std::io::stderr();
    let terminal = err.is_terminal();
    write(&stderr, &mut err.lock(), terminal)?;
    if terminal {
        for (stream, o) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            if o.dropped > 0 {
                eprintln!(
                    "flightdeck: {} more bytes of {stream} went over the cap and were not kept",
                    o.dropped
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn show(journal: &Path, since: Option<Timestamp>, json: bool) -> color_eyre::Result<ExitCode> {
    let records =
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    for r in records.iter().filter(|r| since.is_none_or(|s| r.ts >= s)) {
        if json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            println!(
                "{} #{:<5} {:<10} {}/{}: {}",
                clock_hms(r.ts),
                r.seq,
                r.kind.label(),
                r.actor,
                r.role,
                r.summary
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends a note (fsynced before this returns) and prints its seq and hash.
pub fn note(
    journal: &Path,
    text: &str,
    actor: &str,
    role: &str,
    hypothesis: bool,
) -> color_eyre::Result<ExitCode> {
    let text = text.trim();
    if text.is_empty() {
        color_eyre::eyre::bail!("a note needs text");
    }
    let mut file = open(journal)?;
    let kind = if hypothesis {
        RecordKind::Hypothesis
    } else {
        RecordKind::Note
    };
    let entry = JournalEntry {
        actor: actor.into(),
        role: role.into(),
        kind,
        summary: text.into(),
        body: serde_json::json!({"text": text, "via": "cli"}),
    };
    let r = file.append(entry, Timestamp::now())?;
    println!("{} #{} {}", kind.label(), r.seq, r.hash);
    Ok(ExitCode::SUCCESS)
}

/// Appends a checkpoint record and prints `SEQ:HASH`, to copy somewhere the journal's owner
/// cannot rewrite.
pub fn checkpoint(journal: &Path, actor: &str, role: &str) -> color_eyre::Result<ExitCode> {
    let mut file = open(journal)?;
    let r = file.checkpoint(actor, role, Timestamp::now())?;
    println!("{}:{}", r.seq, r.hash);
    Ok(ExitCode::SUCCESS)
}

fn open(journal: &Path) -> color_eyre::Result<JournalFile> {
    if let Some(dir) = journal.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = JournalFile::open(journal)
        .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    for torn in file.repaired() {
        eprintln!(
            "flightdeck: {}: cut a torn last record into {:?}",
            journal.display(),
            torn
        );
    }
    Ok(file)
}

/// A Markdown timeline for the postmortem: hypotheses, false leads, rejections with reasons,
/// mode changes with evidence, who approved what.
pub fn timeline(
    journal: &Path,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> color_eyre::Result<ExitCode> {
    let records =
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    print!(
        "{}",
        crate::journal::timeline_markdown(&records, since, until)
    );
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per decision point (schema `flightdeck.decision.v1`, docs/TRAINING.md).
pub fn export(journal: &Path) -> color_eyre::Result<ExitCode> {
    let records =
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    print!("{}", crate::journal::export_jsonl(&records));
    Ok(ExitCode::SUCCESS)
}
