//! `flightdeck journal verify|show|note|checkpoint`: the durable, hash-chained journal on disk.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::journal::{JournalEntry, RecordKind, parse_checkpoint};
use crate::journal_store::{JournalFile, read_records, verify_file};
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

/// Exit 0 only if the journal is intact (and matches the checkpoint, if one is given);
/// otherwise the first bad seq, its byte offset and why.
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
    match (&result, json) {
        (Ok(report), true) => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"ok": true, "report": report}))?
        ),
        (Err(e), true) => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"ok": false, "error": e, "message": e.to_string()})
            )?
        ),
        (Ok(report), false) => println!("intact: {}: {report}", journal.display()),
        (Err(e), false) => println!("BROKEN: {}: {e}", journal.display()),
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
