//! Training: `replay --role trainee` (a drill with a debrief) and `scenario record` (any
//! journaled incident becomes a drill).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::journal::JournalRecord;
use crate::load::LoadedScenario;
use crate::session_journal::{SessionJournal, SessionKind};
use crate::slo::{SloSpec, parse_samples_jsonl, parse_slo_file};
use crate::time::{SignedDuration, Timestamp};
use crate::training::drill::{run_training_in, training_session_with_id};
use crate::training::{DrillScript, RecordInput, Scenario, parse_alert_history, trainee_config};

/// A headless drill: the trainee's scripted decisions (none without `--script`) on the
/// scenario without the responders' decisions, then the debrief against them. The drill's
/// journal goes to a file of its own in `training/` of the data directory.
pub fn headless_drill(
    loaded: LoadedScenario,
    actor: &str,
    script: Option<&Path>,
    until: Option<SignedDuration>,
    json: bool,
) -> color_eyre::Result<ExitCode> {
    let script = match script {
        Some(p) => DrillScript::parse(&p.display().to_string(), &super::read(p)?)?,
        None => DrillScript::default(),
    };
    let until = until.map_or(loaded.scenario.end(), |d| {
        crate::time::saturating_offset(loaded.scenario.start, d)
    });
    let mut keep = SessionJournal::in_data_dir(SessionKind::Training, &loaded.scenario.id);
    let journal_id = keep.as_ref().map_or_else(
        || format!("training:{}", loaded.scenario.id),
        |k| k.journal_id().to_string(),
    );
    let session = training_session_with_id(
        &loaded.scenario,
        loaded.knowledge.clone(),
        trainee_config(actor),
        journal_id,
    );
    let mut t = run_training_in(session, &loaded.scenario, loaded.knowledge, &script, until);
    // The trainee is whoever ran the drill, decisions or not (one name everywhere).
    t.debrief.trainee.get_or_insert_with(|| actor.to_string());
    let kept = keep_journal(keep.as_mut(), t.session.records());
    if json {
        println!("{}", serde_json::to_string_pretty(&t.debrief)?);
    } else {
        print!("{}", super::human(&t.debrief.to_text()));
    }
    report_journal(SessionKind::Training, keep.as_ref(), kept);
    Ok(ExitCode::SUCCESS)
}

/// Writes what `records` holds beyond what `keep` wrote already.
pub fn keep_journal(
    keep: Option<&mut SessionJournal>,
    records: &[JournalRecord],
) -> color_eyre::Result<()> {
    let keep = keep.ok_or_else(|| {
        color_eyre::eyre::eyre!("no data directory (set FLIGHTDECK_HOME or HOME)")
    })?;
    keep.sync(records)?;
    Ok(())
}

/// Tells on stderr where a session's journal is (every file, if a seek back forked it), or why
/// it was not kept.
pub fn report_journal(
    kind: SessionKind,
    keep: Option<&SessionJournal>,
    kept: color_eyre::Result<()>,
) {
    let label = kind.label();
    for p in keep.map(SessionJournal::paths).unwrap_or_default() {
        eprintln!("flightdeck: {label} journal: {}", p.display());
    }
    if let Err(e) = kept {
        eprintln!("flightdeck: {label} journal not (completely) written: {e}");
    }
}

pub struct RecordArgs<'a> {
    pub journal: &'a Path,
    pub since: Timestamp,
    pub until: Timestamp,
    pub alerts: Option<&'a Path>,
    pub samples: Option<&'a Path>,
    pub slos: &'a [PathBuf],
    pub knowledge: &'a [String],
    pub id: Option<String>,
    pub output: &'a Path,
}

/// Turns a journaled incident (plus the alert and SLI history) into a replayable scenario.
pub fn record(a: RecordArgs<'_>) -> color_eyre::Result<ExitCode> {
    let journal = crate::journal_store::read_records(a.journal)
        .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", a.journal.display()))?;
    let alerts = match a.alerts {
        Some(p) => {
            let (alerts, problems) =
                parse_alert_history(&p.display().to_string(), &super::read(p)?);
            for e in problems {
                eprintln!("{}", super::human(&format!("flightdeck: skipped {e}")));
            }
            alerts
        }
        None => Vec::new(),
    };
    let samples = match a.samples {
        Some(p) => parse_samples_jsonl(&p.display().to_string(), &super::read(p)?)?,
        None => Vec::new(),
    };
    let mut slos: Vec<SloSpec> = Vec::new();
    for f in a.slos {
        slos.extend(
            parse_slo_file(&f.display().to_string(), &super::read(f)?)?
                .into_iter()
                .map(|p| p.spec),
        );
    }
    let id = a.id.unwrap_or_else(|| {
        a.output
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "recorded-incident".into())
    });
    let topology = BTreeMap::new();
    // A long recording keeps its events in JSON Lines beside the YAML (docs/FORMATS.md).
    let events_name =
        (samples.len() + alerts.len() > crate::training::EVENTS_FILE_ABOVE).then(|| {
            let stem = a
                .output
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "scenario".into());
            format!("{stem}.events.jsonl")
        });
    let recorded = crate::training::record_scenario_parts(
        &RecordInput {
            id: id.clone(),
            title: format!("Recorded incident {id}"),
            summary: String::new(),
            since: a.since,
            until: a.until,
            journal: &journal,
            alerts: &alerts,
            samples: &samples,
            slos: &slos,
            topology: &topology,
            group_by: None,
            knowledge: a.knowledge,
            alert_history: SignedDuration::from_hours(24),
        },
        events_name.as_deref(),
    )?;
    let (text, stats) = (recorded.scenario, recorded.stats);
    // Never write a scenario flightdeck itself cannot replay.
    let shown = a.output.display().to_string();
    let events_path = events_name
        .as_ref()
        .map(|n| a.output.parent().unwrap_or(Path::new(".")).join(n));
    Scenario::parse_with(&shown, &text, |_| {
        Ok((
            events_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            recorded.events.clone().unwrap_or_default(),
        ))
    })
    .map_err(|e| {
        color_eyre::eyre::eyre!(
            "the recorded scenario does not load, so {shown} was not written: {e}"
        )
    })?;
    if let (Some(path), Some(events)) = (&events_path, &recorded.events) {
        std::fs::write(path, events)?;
    }
    std::fs::write(a.output, text)?;
    println!(
        "{}: {} alert events, {} samples, {} decisions ({} kept as notes)",
        a.output.display(),
        stats.alert_events,
        stats.samples,
        stats.decisions,
        stats.as_notes
    );
    Ok(ExitCode::SUCCESS)
}
