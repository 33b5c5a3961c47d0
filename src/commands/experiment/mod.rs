//! `flightdeck experiment check|approve|run|report|draft`: chaos experiments under the
//! governor (issue 21). The pure parts — the file, the gate, the guard, the records — are in
//! `crate::chaos`; this is the edge: it reads files, watches the live cockpit (Prometheus, the
//! governor, Alertmanager) or a replay, runs the actions, and seals the records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{bail, eyre};

use crate::actions::{Approval, Role};
pub use crate::chaos::observe::{APPROVAL_TTL, alerts_unknown, approvals_in, observe_cockpit};
use crate::chaos::record::{self, Author, DraftKind, Hypothesis, StepResult};
use crate::chaos::{
    Experiment, GateConfig, GateDecision, GateInput, Guard, Observation, ProbeReading, ProbeSource,
    gate,
};
use crate::cockpit::{Cockpit, CockpitConfig, override_of};
use crate::exec::{ExecConfig, Invocation};
use crate::journal::{JournalEntry, JournalRecord, RecordKind, body_field};
use crate::journal_store::JournalFile;
use crate::slo::Mode;
use crate::sources::prometheus::PrometheusClient;
use crate::time::{SignedDuration, Timestamp, format_duration};
use crate::tui::overlays::experiment::{Catalog, Entry};

mod catalog;
mod launch;
mod probes;
mod replay;
mod run_live;

pub use catalog::{BUNDLED, catalog_dir, catalog_live, catalog_replay};
pub use launch::{LAST_LINES, LaunchError, Launcher, RunEnded, Unavailable, run_ended};
pub use probes::ProbeReader;
use replay::ReplaySink;
pub use replay::{ReplayRuns, ReplayStart, replay_from, run_replay, scripted_run};
pub use run_live::run_live;

/// The environment variable a cockpit's launch (`r`) gives `experiment run`: the run names it
/// in its `start` or `refused` record ([`crate::chaos::record::reached_gate`]).
pub const LAUNCH_ENV: &str = "FLIGHTDECK_LAUNCH";

/// How often the guard looks while a run is live.
const WATCH: Duration = Duration::from_secs(1);

fn load(file: &Path) -> color_eyre::Result<Experiment> {
    let text = super::read(file)?;
    Experiment::parse(&file.display().to_string(), &text).map_err(|e| eyre!("{e}"))
}

/// `experiment check FILE`: parse and show what it would do; exit 1 on an error.
pub fn check(file: &Path, json: bool) -> color_eyre::Result<ExitCode> {
    let text = super::read(file)?;
    let e = match Experiment::parse(&file.display().to_string(), &text) {
        Ok(e) => e,
        Err(err) => {
            if json {
                println!("{}", serde_json::json!({"ok": false, "error": err}));
            } else {
                eprintln!("{}", super::human(&err.to_string()));
            }
            return Ok(ExitCode::from(1));
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"ok": true, "digest": e.digest(), "experiment": e})
            )?
        );
    } else {
        print!("{}", super::human(&describe(&e)));
    }
    Ok(ExitCode::SUCCESS)
}

/// A human description of an experiment.
pub fn describe(e: &Experiment) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "{} (digest {})", e.title, e.digest());
    let _ = writeln!(o, "hypothesis: {}", e.hypothesis);
    for p in &e.probes {
        let _ = writeln!(o, "  probe {}: {} within {}", p.name, p.source, p.tolerance);
    }
    for (i, a) in e.method.iter().enumerate() {
        let _ = writeln!(
            o,
            "  method {}: {} `{}`",
            i + 1,
            a.name,
            crate::actions::shell_display(&a.argv)
        );
    }
    for (i, a) in e.rollbacks.iter().enumerate() {
        let _ = writeln!(
            o,
            "  rollback {}: {} `{}`",
            i + 1,
            a.name,
            crate::actions::shell_display(&a.argv)
        );
    }
    let _ = writeln!(o, "blast radius: {}", e.blast_radius.describe());
    let _ = writeln!(
        o,
        "budget limit: {} of the remaining budget; at most {}{}",
        crate::chaos::gate::pct(e.budget_limit),
        format_duration(e.max_duration),
        match &e.audited {
            Some(a) => format!("; audited by {} on {}", a.by, a.on),
            None => "; not audited (the incident commander must approve)".into(),
        }
    );
    o
}

/// The mode the journal says now: its latest mode record, or an override in force.
fn journal_mode(records: &[JournalRecord], now: Timestamp) -> Mode {
    let mut mode = Mode::Adaptive;
    if let Some(m) = records
        .iter()
        .rev()
        .find(|r| r.kind == RecordKind::ModeChange)
        .and_then(|r| body_field::<Mode>(&r.body, "to"))
    {
        mode = m;
    }
    if let Some(o) = records
        .iter()
        .rev()
        .find(|r| r.kind == RecordKind::Override)
        .and_then(override_of)
        .filter(|o| o.until > now)
    {
        mode = o.mode;
    }
    mode
}

/// The body and summary of an approval record: the experiment as a whole (method and
/// rollbacks together), bound to its digest and to the mode in force.
pub fn approval_entry(e: &Experiment, who: &CockpitConfig, mode: Mode) -> JournalEntry {
    JournalEntry {
        actor: who.actor.clone(),
        role: who.role.into(),
        kind: RecordKind::Experiment,
        summary: format!(
            "approved experiment \"{}\" (method and rollbacks) in {mode}",
            e.title
        ),
        body: serde_json::json!({
            "phase": "approve",
            "title": e.title,
            "digest": e.digest(),
            "mode": mode,
            "argv": e.argvs().collect::<Vec<_>>(),
        }),
    }
}

/// `experiment approve FILE`: an approval of the experiment as a whole (method and rollbacks
/// together), bound to its digest and to the mode the journal says now. With `replay` (a
/// scenario and an offset from its start) the approval is for runs replayed in that scenario:
/// stamped at that virtual time, in the mode the replayed cockpit is in then.
pub fn approve(
    file: &Path,
    journal: &Path,
    who: &CockpitConfig,
    replay: Option<(crate::load::LoadedScenario, Option<SignedDuration>)>,
) -> color_eyre::Result<ExitCode> {
    let e = load(file)?;
    if who.readonly {
        bail!("read-only: approvals are disabled (--readonly)");
    }
    let (now, mode, scenario) = match replay {
        None => (Timestamp::now(), Mode::Adaptive, None),
        Some((loaded, at)) => {
            let id = loaded.scenario.id.clone();
            let mut session =
                crate::replay::ReplaySession::new(loaded.scenario, loaded.knowledge, who.clone());
            let t = crate::time::saturating_offset(
                session.scenario().start,
                at.unwrap_or(SignedDuration::ZERO),
            );
            session.advance_to(t);
            (t, session.cockpit().mode(), Some(id))
        }
    };
    let r = match &scenario {
        None => {
            let mut j =
                JournalFile::open(journal).map_err(|err| eyre!("{}: {err}", journal.display()))?;
            let mode = journal_mode(&j.records()?, now);
            j.append(approval_entry(&e, who, mode), now)?
        }
        Some(id) => {
            let mut sink = ReplaySink::open(Some(journal), id)?;
            sink.append(approval_entry(&e, who, mode), now)?
        }
    };
    let mode: Mode = body_field(&r.body, "mode").unwrap_or(mode);
    println!(
        "approved \"{}\" (digest {}) as {} {} in {mode}{}: record #{}",
        super::human(&e.title),
        e.digest(),
        super::human(&who.actor),
        who.role,
        scenario
            .map(|id| format!(" (for runs replayed in {id} at {now})"))
            .unwrap_or_default(),
        r.seq
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads the Prometheus probes (one number each) at `at`.
async fn read_prometheus(
    client: Option<&PrometheusClient>,
    e: &Experiment,
    at: Timestamp,
    out: &mut Vec<ProbeReading>,
) {
    for p in &e.probes {
        let ProbeSource::Prometheus { query } = &p.source else {
            continue;
        };
        out.push(ProbeReading {
            name: p.name.clone(),
            value: read_one(client, query, at).await.map_err(|e| e.to_string()),
            skipped: false,
        });
    }
}

/// Why a Prometheus probe has no number (its reading in the records says it in these words).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("no [prometheus] in the config")]
    NoPrometheus,
    #[error("the query returned nothing")]
    Nothing,
    #[error("the query returned {0} series; a probe needs one number (wrap it in sum())")]
    Series(usize),
    #[error("the query returned NaN or infinity")]
    NotFinite,
    #[error("{0}")]
    Query(String),
}

/// One probe query at `at`: its one number, or why there is none.
async fn read_one(
    client: Option<&PrometheusClient>,
    query: &str,
    at: Timestamp,
) -> Result<f64, ProbeError> {
    match client {
        None => Err(ProbeError::NoPrometheus),
        Some(client) => match client.query(query, at.as_millisecond()).await {
            Ok(samples) if samples.len() == 1 && samples[0].value.is_finite() => {
                Ok(samples[0].value)
            }
            Ok(samples) if samples.is_empty() => Err(ProbeError::Nothing),
            Ok(samples) if samples.len() > 1 => Err(ProbeError::Series(samples.len())),
            Ok(_) => Err(ProbeError::NotFinite),
            Err(err) => Err(ProbeError::Query(err.to_string())),
        },
    }
}

/// Options of `experiment run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub dry_run: bool,
    pub gate_only: bool,
    pub min_budget_left: f64,
    pub warmup: Duration,
    pub json: bool,
}

/// What a run ended as, for the exit code: 0 completed with the hypothesis held, 3 halted by the
/// guard or deviated, 1 refused by the gate.
fn exit_for(halted: bool, hypothesis: Hypothesis) -> ExitCode {
    if halted || hypothesis == Hypothesis::Deviated {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// An action that produced no run to report (it could not start, or was lost or killed).
fn failed(summary: String, dry_run: bool) -> StepResult {
    StepResult {
        ok: false,
        exit_code: None,
        summary,
        duration_ms: 0,
        dry_run,
    }
}

/// Runs one action's argv as the executor does (a dry run under `--dry-run`).
async fn run_action(
    inv: &Invocation,
    exec: &ExecConfig,
) -> Result<crate::exec::ExecResult, crate::exec::ExecError> {
    if exec.dry_run {
        Ok(crate::exec::dry_run(inv, exec))
    } else {
        crate::exec::run(inv, exec).await
    }
}

fn result_of(exec: &crate::exec::ExecResult) -> StepResult {
    StepResult {
        ok: exec.success(),
        exit_code: exec.exit_code.map(i64::from),
        summary: exec.summary(),
        duration_ms: exec.duration.as_millis() as u64,
        dry_run: exec.dry_run,
    }
}

/// Prints the gate's decision (as JSON with `--json`; nothing when `quiet`) and, with
/// `--gate-only`, gives the exit code to return at once: 0 when it may start, else 1.
fn show_gate(
    d: &GateDecision,
    opts: &RunOptions,
    quiet: bool,
) -> color_eyre::Result<Option<ExitCode>> {
    if !quiet {
        if opts.json {
            println!("{}", serde_json::to_string_pretty(d)?);
        } else {
            print!("{}", super::human(&d.text()));
        }
    }
    Ok(opts.gate_only.then(|| {
        if d.may_start {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }))
}

/// A steady-state breach disproves the hypothesis; any other halt leaves it undecided.
fn hypothesis_of(breach: Option<&crate::chaos::Breach>) -> Hypothesis {
    match breach {
        Some(crate::chaos::Breach::SteadyState { .. }) => Hypothesis::Deviated,
        Some(_) => Hypothesis::Undecided,
        None => Hypothesis::Held,
    }
}

/// Who the run's records name: the person at `who`'s cockpit, and the launch (`r`) it
/// answers, if any.
fn author_of(who: &CockpitConfig, launch: Option<String>) -> Author {
    Author {
        actor: who.actor.clone(),
        role: who.role.into(),
        launch,
    }
}

/// What a run's gate weighs besides the experiment and the cockpit: what it saw at the start,
/// the approvals that count, what experiment runs spent in the window, whether the alerts are
/// known.
struct GateAt<'a> {
    start: &'a Observation,
    approvals: &'a [Approval],
    spent: &'a BTreeMap<String, f64>,
    alerts_unknown: Option<String>,
}

/// The gate for a run of `e` from `cockpit` (the mode override in force), at `opts`' floor.
fn gate_at(e: &Experiment, cockpit: &Cockpit, at: GateAt<'_>, opts: &RunOptions) -> GateDecision {
    gate(&GateInput {
        experiment: e,
        mode: at.start.mode,
        budget_mode: at.start.budget_mode,
        override_by: cockpit.governor().mode_override().map(|o| o.by.clone()),
        drift: at.start.drift,
        budgets: &at.start.budgets,
        firing: &at.start.firing,
        probes: &at.start.probes,
        approvals: at.approvals,
        spent: at.spent,
        config: GateConfig {
            min_budget_left: opts.min_budget_left,
            ..GateConfig::default()
        },
        alerts_unknown: at.alerts_unknown,
    })
}

fn to_std(d: SignedDuration) -> Duration {
    d.try_into().unwrap_or(Duration::ZERO)
}

fn read_records(journal: &Path) -> color_eyre::Result<Vec<JournalRecord>> {
    crate::journal_pg::read_records(journal).map_err(|e| eyre!("{}: {e}", journal.display()))
}

/// `experiment report`: every run in the journal.
pub fn report(journal: &Path, json: bool) -> color_eyre::Result<ExitCode> {
    let records = read_records(journal)?;
    let (runs, refused) = record::runs(&records);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"runs": runs, "refused": refused}))?
        );
    } else {
        print!("{}", super::human(&record::report_text(&runs, &refused)));
    }
    Ok(ExitCode::SUCCESS)
}

/// `experiment draft`: a runbook or postmortem draft from a finished run (default: the last).
pub fn draft(
    journal: &Path,
    run: Option<&str>,
    kind: &str,
    output: Option<&Path>,
) -> color_eyre::Result<ExitCode> {
    let records = read_records(journal)?;
    let (runs, _) = record::runs(&records);
    let finished: Vec<&record::RunSummary> = runs.iter().filter(|r| r.ended.is_some()).collect();
    let chosen = match run {
        Some(id) => finished
            .iter()
            .find(|r| r.run == id)
            .copied()
            .ok_or_else(|| {
                eyre!(
                    "no finished run {id:?} in {} (see `flightdeck experiment report`)",
                    journal.display()
                )
            })?,
        None => finished
            .last()
            .copied()
            .ok_or_else(|| eyre!("no finished experiment run in {}", journal.display()))?,
    };
    let kind = match kind {
        "runbook" => DraftKind::Runbook,
        _ => DraftKind::Postmortem,
    };
    let md = record::draft_markdown(chosen, kind);
    match output {
        Some(p) => {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| eyre!("{}: {e} (the draft never overwrites a file)", p.display()))?;
            f.write_all(md.as_bytes())?;
            println!("wrote {}", p.display());
        }
        None => print!("{}", super::human(&md)),
    }
    Ok(ExitCode::SUCCESS)
}
