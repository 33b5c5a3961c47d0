//! `flightdeck journal verify|show|note|checkpoint`: the durable, hash-chained journal on disk,
//! and the output of executed steps kept beside it (`crate::outputs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::actions::shell_display;
use crate::journal::{
    JournalEntry, KindBody, NoteBody, RecordBody, RecordKind, body_field, parse_checkpoint,
};
use crate::journal_pg::{JournalBackend, is_url, read_records, redact, verify_with};
use crate::journal_sign::{
    AllowedSigners, SignatureCheck, Signer, check_checkpoint, checkpoint_signed,
};
use crate::journal_store::JournalFile;
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

/// Exit 0 only if the journal is intact (and matches the checkpoint, if one is given, and its
/// signed checkpoints verify — against the allowed signers, if given), and every output object
/// an execution record names is there and hashes to its name; otherwise the first bad seq, its
/// byte offset and why, or each record whose output is missing or altered.
pub fn verify(
    journal: &Path,
    checkpoint: Option<&str>,
    allowed_signers: Option<&Path>,
    json: bool,
) -> color_eyre::Result<ExitCode> {
    let against = match checkpoint {
        Some(c) => Some(
            parse_checkpoint(c).map_err(|e| color_eyre::eyre::eyre!("--checkpoint {c:?}: {e}"))?,
        ),
        None => None,
    };
    let allowed = match allowed_signers {
        Some(path) => Some(read_allowed_signers(path)?),
        None => None,
    };
    let (result, checked) = check_pass(journal, against, allowed.as_ref());
    let report = match verdict(result, &checked, allowed.is_some())? {
        Ok(report) => report,
        Err(Broken { error, message }) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"ok": false, "error": error, "message": message})
                    )?
                );
            } else {
                for line in message.lines() {
                    println!("BROKEN: {}: {line}", shown(journal));
                }
            }
            return Ok(ExitCode::from(1));
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": true,
                "report": report,
                "outputs": checked.tally,
                "signatures": checked.signatures,
                "signers_checked": allowed.is_some(),
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    print_intact(journal, &report, &checked);
    Ok(ExitCode::SUCCESS)
}

/// `--allowed-signers FILE`, which must list a key.
fn read_allowed_signers(path: &Path) -> color_eyre::Result<AllowedSigners> {
    let allowed = AllowedSigners::read(path)
        .map_err(|e| color_eyre::eyre::eyre!("--allowed-signers: {e}"))?;
    if allowed.is_empty() {
        color_eyre::eyre::bail!(
            "--allowed-signers: {} lists no key (a line is `PRINCIPAL KEYTYPE BASE64`, \
             e.g. the contents of your ~/.ssh/id_ed25519.pub after your e-mail address)",
            path.display()
        );
    }
    Ok(allowed)
}

/// What the pass over the records found besides the chain: the signed checkpoints, the first
/// bad signature, the outputs checked and those missing or altered.
#[derive(Default)]
struct Checked {
    signatures: Vec<SignatureCheck>,
    bad_signature: Option<(u64, String)>,
    tally: OutputTally,
    output_problems: Vec<OutputProblem>,
}

/// One pass over the journal: the chain (against the checkpoint), the outputs execution
/// records name beside it, the signed checkpoints (against the allowed signers).
fn check_pass(
    journal: &Path,
    against: Option<(u64, String)>,
    allowed: Option<&AllowedSigners>,
) -> (
    Result<crate::journal::VerifyReport, crate::journal::VerifyError>,
    Checked,
) {
    let mut journal_id = String::new();
    let mut checked = Checked::default();
    // What execution records name beside the journal is checked in the same pass.
    let outputs = OutputStore::beside(journal);
    let pg = is_url(&journal.to_string_lossy());
    let result = verify_with(journal, against, |r| {
        // (A PostgreSQL journal's outputs stay on the hosts that ran the steps.)
        let found = if pg {
            Vec::new()
        } else {
            outputs.check_record(&r, &mut checked.tally)
        };
        for (stream, e) in found {
            checked.output_problems.push(OutputProblem {
                seq: r.seq,
                stream,
                message: e.to_string(),
            });
        }
        if r.seq == 0 {
            journal_id = body_field(&r.body, "journal_id").unwrap_or_default();
        }
        if checked.bad_signature.is_some() || !matches!(r.kind, RecordKind::Checkpoint) {
            return;
        }
        match check_checkpoint(&r, &journal_id, allowed) {
            Ok(Some(check)) => checked.signatures.push(check),
            Ok(None) => {}
            Err(e) => checked.bad_signature = Some((r.seq, e.to_string())),
        }
    });
    (result, checked)
}

/// Why a journal is not intact: the JSON error and the message.
struct Broken {
    error: serde_json::Value,
    message: String,
}

/// The chain first; then the signatures; then, with allowed signers, at least one; then the
/// outputs.
fn verdict(
    result: Result<crate::journal::VerifyReport, crate::journal::VerifyError>,
    checked: &Checked,
    signers_checked: bool,
) -> color_eyre::Result<Result<crate::journal::VerifyReport, Broken>> {
    let problems = &checked.output_problems;
    Ok(match (result, &checked.bad_signature) {
        (Err(e), _) => Err(Broken {
            error: serde_json::to_value(&e)?,
            message: e.to_string(),
        }),
        (Ok(_), Some((seq, message))) => Err(Broken {
            error: serde_json::json!({"seq": seq, "why": {"kind": "signature", "message": message}}),
            message: message.clone(),
        }),
        (Ok(_), None) if signers_checked && checked.signatures.is_empty() => {
            let message = "no checkpoint is signed, so no key vouches for any of this journal \
                           (sign one with `flightdeck journal checkpoint --sign`)"
                .to_string();
            Err(Broken {
                error: serde_json::json!({"why": {"kind": "unsigned", "message": message}}),
                message,
            })
        }
        (Ok(_), None) if !problems.is_empty() => {
            let errors: Vec<serde_json::Value> = problems
                .iter()
                .map(
                    |p| serde_json::json!({"seq": p.seq, "stream": p.stream, "message": p.message}),
                )
                .collect();
            let message = problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n");
            Err(Broken {
                error: serde_json::json!({
                    "seq": problems[0].seq,
                    "stream": problems[0].stream,
                    "why": {"kind": "output", "message": problems[0].message},
                    "outputs": errors,
                }),
                message,
            })
        }
        (Ok(report), None) => Ok(report),
    })
}

/// The text of an intact journal: the report, the outputs, each signature, what is unsigned.
fn print_intact(journal: &Path, report: &crate::journal::VerifyReport, checked: &Checked) {
    println!("intact: {}: {report}", shown(journal));
    let tally = &checked.tally;
    if tally.records > 0 {
        println!(
            "outputs: {} objects of {} executions, {} bytes, each hashes to its name",
            tally.objects, tally.records, tally.bytes
        );
    }
    for s in &checked.signatures {
        let by = if s.principals.is_empty() {
            format!(
                "{} {} (not checked against allowed signers: pass --allowed-signers FILE)",
                s.algorithm, s.key
            )
        } else {
            format!("{} ({} {})", s.principals.join(", "), s.algorithm, s.key)
        };
        println!(
            "signed: {} (checkpoint seq {}) by {by}",
            s.signed, s.checkpoint_seq
        );
    }
    if let Some(last) = checked.signatures.last()
        && last.checkpoint_seq < report.head_seq
    {
        println!(
            "not signed: the records after checkpoint seq {} (up to seq {})",
            last.checkpoint_seq, report.head_seq
        );
    }
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

/// `journal show --output SEQ`: what execution SEQ printed, its stdout to stdout and its stderr
/// to stderr, each checked against the hash in the record (escaped on a terminal).
pub fn show_output(journal: &Path, seq: u64) -> color_eyre::Result<ExitCode> {
    use std::io::{IsTerminal, Write};
    let records =
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", shown(journal)))?;
    let count = records.len();
    let Some(record) = records.into_iter().find(|r| r.seq == seq) else {
        color_eyre::eyre::bail!(
            "{}: there is no record #{seq} (the journal has {count}, #0 to #{})",
            shown(journal),
            count.saturating_sub(1)
        );
    };
    let output = match crate::outputs::record_output(&record) {
        Some(Ok(o)) => o,
        Some(Err(e)) => color_eyre::eyre::bail!("{}: record #{seq}: {e}", shown(journal)),
        None if record.kind == RecordKind::Execution => color_eyre::eyre::bail!(
            "{}: record #{seq} ({}) names no kept output: dry runs, silences, steps that did \
             not start and runs journaled before flightdeck kept output have none",
            shown(journal),
            record.summary
        ),
        None => color_eyre::eyre::bail!(
            "{}: record #{seq} is a {} record, not an execution: it has no output",
            shown(journal),
            record.kind.label()
        ),
    };
    let store = OutputStore::beside(journal);
    let read = |object| {
        store.get(object).map_err(|e| {
            color_eyre::eyre::eyre!(
                "{}: record #{seq}: {e} (`flightdeck journal verify` checks every record)",
                shown(journal)
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
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", shown(journal)))?;
    for r in records.iter().filter(|r| since.is_none_or(|s| r.ts >= s)) {
        if json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            let line = format!(
                "{} #{:<5} {:<10} {}/{}: {}",
                clock_hms(r.ts),
                r.seq,
                r.kind.label(),
                r.actor,
                r.role,
                r.summary
            );
            println!("{}", super::human(&line));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends a note (fsynced before this returns) and prints its seq and hash.
pub fn note(
    journal: &Path,
    text: &str,
    actor: &str,
    role: crate::actions::Role,
    kind: crate::cockpit::NoteKind,
) -> color_eyre::Result<ExitCode> {
    let text = text.trim();
    if text.is_empty() {
        color_eyre::eyre::bail!("a note needs text");
    }
    let mut file = open_any(journal)?;
    let kind = kind.record_kind();
    let entry = JournalEntry {
        actor: actor.into(),
        role: role.into(),
        kind,
        summary: text.into(),
        body: RecordBody::of(KindBody::Note(NoteBody {
            text: Some(text.into()),
            via: Some("cli".into()),
            ..NoteBody::default()
        }))
        .to_value(),
    };
    let r = file.append(entry, Timestamp::now())?;
    println!("{} #{} {}", kind.label(), r.seq, r.hash);
    Ok(ExitCode::SUCCESS)
}

/// Appends a checkpoint record and prints `SEQ:HASH`, to copy somewhere the journal's owner
/// cannot rewrite. With `sign` (and maybe a key file), the checkpoint carries an SSH signature
/// over the record before it; what was signed, where the signature's copy is and the command
/// that checks it are printed too, then the armored signature.
pub fn checkpoint(
    journal: &Path,
    actor: &str,
    role: crate::actions::Role,
    sign: Option<Option<&Path>>,
) -> color_eyre::Result<ExitCode> {
    let Some(key) = sign else {
        let mut file = open_any(journal)?;
        let r = file.checkpoint(actor, role, Timestamp::now())?;
        println!("{}:{}", r.seq, r.hash);
        return Ok(ExitCode::SUCCESS);
    };
    if is_url(&journal.to_string_lossy()) {
        color_eyre::eyre::bail!(
            "{}: signed checkpoints are written to journal files only for now; export the \
             journal (`flightdeck journal export --format journal -o FILE`) and sign that",
            shown(journal)
        );
    }
    // The key first: a missing or locked key changes nothing on disk.
    let signer = Signer::find(key).map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    let mut file = open(journal)?;
    let signed = checkpoint_signed(&mut file, &signer, actor, role)
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    println!("{}:{}", signed.record.seq, signed.record.hash);
    println!(
        "signed {}:{} of journal {} with {}",
        signed.signed_seq,
        signed.signed_hash,
        file.journal_id(),
        signer.describe()
    );
    let sig_file = match &signed.side_file {
        Ok(path) => {
            println!("signature: {}", path.display());
            path.display().to_string()
        }
        Err(e) => {
            eprintln!(
                "flightdeck: could not write a copy of the signature ({e}); the checkpoint \
                 record holds it"
            );
            "SIGNATURE_FILE".to_string()
        }
    };
    println!(
        "check: printf '%s\\n' {} | ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n {} -s {}",
        shell_display(&[signed.message.trim_end().to_string()]),
        crate::journal_sign::NAMESPACE,
        shell_display(&[sig_file]),
    );
    print!("{}", signed.armored);
    Ok(ExitCode::SUCCESS)
}

/// A path as given, a URL with its password hidden.
fn shown(journal: &Path) -> String {
    redact(&journal.display().to_string())
}

/// The journal file at `journal`, or the PostgreSQL journal if it is a `postgres://` URL.
fn open_any(journal: &Path) -> color_eyre::Result<JournalBackend> {
    let text = journal.to_string_lossy();
    if is_url(&text) {
        return JournalBackend::open(&text)
            .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", shown(journal)));
    }
    open(journal).map(JournalBackend::File)
}

fn open(journal: &Path) -> color_eyre::Result<JournalFile> {
    if let Some(dir) = journal.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file = JournalFile::open(journal)
        .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", journal.display()))?;
    for torn in file.repaired() {
        eprintln!("flightdeck: {}: {torn}", journal.display());
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
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", shown(journal)))?;
    let markdown = crate::journal::timeline_markdown(&records, since, until);
    print!("{}", super::human(&markdown));
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per decision point (schema `flightdeck.decision.v1`, docs/TRAINING.md), or
/// with `format` `journal` the whole journal, verified, as a new file journal at `output`
/// (byte for byte what the file journal would hold: it verifies on its own).
pub fn export(journal: &Path, format: &str, output: Option<&Path>) -> color_eyre::Result<ExitCode> {
    let records =
        read_records(journal).map_err(|e| color_eyre::eyre::eyre!("{}: {e}", shown(journal)))?;
    if format != "journal" {
        print!("{}", crate::journal::export_jsonl(&records));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(output) = output else {
        color_eyre::eyre::bail!("--format journal writes a journal file: pass -o FILE");
    };
    let Some((genesis, rest)) = records.split_first() else {
        color_eyre::eyre::bail!("{}: the journal is empty", shown(journal));
    };
    let mut file = JournalFile::create_new(output, genesis)
        .map_err(|e| color_eyre::eyre::eyre!("-o {}: {e}", output.display()))?;
    for chunk in rest.chunks(10_000) {
        file.append_sealed(chunk)
            .map_err(|e| color_eyre::eyre::eyre!("-o {}: {e}", output.display()))?;
    }
    let (seq, hash) = file.head();
    println!(
        "exported {} records of journal {} to {} (head {seq}:{hash})",
        records.len(),
        file.journal_id(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}
