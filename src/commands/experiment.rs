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
        role: crate::cockpit::role_name(who.role).into(),
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
        crate::cockpit::role_name(who.role),
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
        let value = match client {
            None => Err("no [prometheus] in the config".to_string()),
            Some(client) => match client.query(query, at.as_millisecond()).await {
                Ok(samples) if samples.len() == 1 && samples[0].value.is_finite() => {
                    Ok(samples[0].value)
                }
                Ok(samples) if samples.is_empty() => Err("the query returned nothing".into()),
                Ok(samples) if samples.len() > 1 => Err(format!(
                    "the query returned {} series; a probe needs one number (wrap it in sum())",
                    samples.len()
                )),
                Ok(_) => Err("the query returned NaN or infinity".into()),
                Err(err) => Err(err.to_string()),
            },
        };
        out.push(ProbeReading {
            name: p.name.clone(),
            value,
            skipped: false,
        });
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

fn print_gate(d: &GateDecision, json: bool) -> color_eyre::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(d)?);
    } else {
        print!("{}", super::human(&d.text()));
    }
    Ok(())
}

/// `experiment run FILE` live: on the config's sources, writing to the journal file.
pub async fn run_live(
    file: &Path,
    config: &crate::config::Config,
    journal: PathBuf,
    who: &CockpitConfig,
    opts: &RunOptions,
) -> color_eyre::Result<ExitCode> {
    let e = load(file)?;
    let live_opts = crate::live::LiveOptions {
        user: Some(who.actor.clone()),
        role: Some(who.role),
        readonly: who.readonly,
        journal: Some(journal.clone()),
        memory_journal: false,
    };
    let mut live = crate::live::Live::start(config, &live_opts).await?;
    for w in std::mem::take(&mut live.warnings) {
        eprintln!("{}", super::human(&format!("flightdeck: {w}")));
    }
    let prom = match &config.prometheus {
        Some(p) => Some(PrometheusClient::new(p.url.clone(), p.timeout).map_err(|m| eyre!(m))?),
        None => None,
    };
    // Warm up: until every SLO of the blast radius has budget data (or the warm-up ends).
    let slos = e.blast_radius.slos.clone();
    let ready = move |c: &Cockpit| {
        alerts_unknown(c).is_none()
            && slos.iter().all(|s| {
                c.budgets()
                    .iter()
                    .any(|b| &b.slo == s && b.budget_remaining.is_some())
            })
    };
    live.run_until(tokio::time::Instant::now() + opts.warmup, ready)
        .await;

    let mut j = JournalFile::open(&journal).map_err(|err| eyre!("{}: {err}", journal.display()))?;
    let author = Author {
        actor: who.actor.clone(),
        role: crate::cockpit::role_name(who.role).to_string(),
    };
    let now = Timestamp::now();
    let mut start = observe_cockpit(live.cockpit(), &e, now);
    read_prometheus(prom.as_ref(), &e, now, &mut start.probes).await;
    let records = j.records()?;
    let mut approvals = approvals_in(&records, &e.digest(), now, None);
    if !who.readonly && who.role != Role::Trainee {
        // Running it is the runner's own approval, in the mode in force now.
        approvals.push(Approval {
            by: who.actor.clone(),
            role: who.role,
            mode: live.cockpit().mode(),
        });
    }
    let gate_config = GateConfig {
        min_budget_left: opts.min_budget_left,
        ..GateConfig::default()
    };
    let spent = record::spent_in_window(&records, now, gate_config.window);
    let alerts_unknown = alerts_unknown(live.cockpit());
    let decision = gate(&GateInput {
        experiment: &e,
        mode: start.mode,
        budget_mode: start.budget_mode,
        override_by: live
            .cockpit()
            .governor()
            .mode_override()
            .map(|o| o.by.clone()),
        drift: start.drift,
        budgets: &start.budgets,
        firing: &start.firing,
        probes: &start.probes,
        approvals: &approvals,
        spent: &spent,
        config: gate_config,
        alerts_unknown,
    });
    print_gate(&decision, opts.json)?;
    if opts.gate_only {
        return Ok(if decision.may_start {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !decision.may_start {
        let r = j.append(
            record::refused_entry(&author, &e, &decision, opts.dry_run),
            now,
        )?;
        eprintln!("flightdeck: refused; journaled as #{}", r.seq);
        return Ok(ExitCode::from(1));
    }
    let run = record::run_id(&e, now);
    j.append(
        record::start_entry(
            &author,
            &run,
            &e,
            &decision,
            &approvals,
            &start,
            opts.dry_run,
        ),
        now,
    )?;
    let mut guard = Guard::new(&e, &start, decision.limits());
    let exec = ExecConfig {
        dry_run: opts.dry_run,
        ..ExecConfig::default()
    };

    // Watches for `span` (or until the guard halts); returns the breach and what it saw.
    // SIGINT / SIGTERM stop the run like a breach: the rollbacks still run.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut int, mut term) = (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        );
        let stop = stop.clone();
        tokio::spawn(async move {
            loop {
                let which = tokio::select! {
                    _ = int.recv() => 1,
                    _ = term.recv() => 2,
                };
                stop.store(which, std::sync::atomic::Ordering::SeqCst);
            }
        });
    }
    let stopped = move || match stop.load(std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        1 => Some("interrupted (SIGINT)"),
        _ => Some("terminated (SIGTERM)"),
    };

    async fn watch(
        live: &mut crate::live::Live,
        prom: Option<&PrometheusClient>,
        e: &Experiment,
        guard: &mut Guard,
        until: tokio::time::Instant,
        stopped: &impl Fn() -> Option<&'static str>,
        run: &str,
    ) -> Option<(crate::chaos::Breach, Observation)> {
        loop {
            let slice = (tokio::time::Instant::now() + WATCH).min(until);
            live.run_until(slice, |_| false).await;
            let now = Timestamp::now();
            let mut o = observe_cockpit(live.cockpit(), e, now);
            read_prometheus(prom, e, now, &mut o.probes).await;
            if let Some(b) = guard.observe(e, &o) {
                return Some((b, o));
            }
            if let Some(why) = stopped() {
                let b = crate::chaos::Breach::Stopped {
                    why: format!("{why} by the person running it"),
                };
                guard.stop(b.clone());
                return Some((b, o));
            }
            // A halt asked from a cockpit (`x`, then `H`): journaled there, seen here.
            if let Some((who, at)) =
                crate::chaos::observe::halt_asked(live.cockpit().journal_tail(), run)
            {
                let b = crate::chaos::Breach::Stopped {
                    why: format!("halted from a cockpit by {who} at {at}"),
                };
                guard.stop(b.clone());
                return Some((b, o));
            }
            if tokio::time::Instant::now() >= until {
                return None;
            }
        }
    }

    let mut breach: Option<(crate::chaos::Breach, Observation)> = None;
    'method: for (i, action) in e.method.iter().enumerate() {
        let pause = to_std(action.pause_before);
        if !pause.is_zero() {
            breach = watch(
                &mut live,
                prom.as_ref(),
                &e,
                &mut guard,
                tokio::time::Instant::now() + pause,
                &stopped,
                &run,
            )
            .await;
            if breach.is_some() {
                break 'method;
            }
        }
        let inv = Invocation::argv(action.argv.clone())
            .with_timeout(action.timeout.and_then(|t| t.try_into().ok()));
        let exec_c = exec.clone();
        let mut task = tokio::spawn(async move { run_action(&inv, &exec_c).await });
        // Watch while it runs.
        let result = loop {
            tokio::select! {
                done = &mut task => break Some(done),
                b = watch(&mut live, prom.as_ref(), &e, &mut guard, tokio::time::Instant::now() + WATCH, &stopped, &run) => {
                    if let Some(b) = b {
                        breach = Some(b);
                        task.abort();
                        break None;
                    }
                }
            }
        };
        let step = match result {
            Some(Ok(Ok(r))) => result_of(&r),
            Some(Ok(Err(err))) => failed(format!("did not run: {err}"), opts.dry_run),
            Some(Err(join)) => failed(format!("lost: {join}"), opts.dry_run),
            None => failed(
                "halted by the guard while running (process killed)".into(),
                opts.dry_run,
            ),
        };
        j.append(
            record::step_entry(&author, &run, &e, "method", i, action, &step, opts.dry_run),
            Timestamp::now(),
        )?;
        if breach.is_some() {
            break 'method;
        }
        let pause = to_std(action.pause_after);
        if !pause.is_zero() {
            breach = watch(
                &mut live,
                prom.as_ref(),
                &e,
                &mut guard,
                tokio::time::Instant::now() + pause,
                &stopped,
                &run,
            )
            .await;
            if breach.is_some() {
                break 'method;
            }
        }
    }
    // The steady state once more after the method (Chaos Toolkit's "after" check).
    if breach.is_none() {
        breach = watch(
            &mut live,
            prom.as_ref(),
            &e,
            &mut guard,
            tokio::time::Instant::now(),
            &stopped,
            &run,
        )
        .await;
    }
    let now = Timestamp::now();
    if let Some((b, seen)) = &breach {
        j.append(
            record::abort_entry(&author, &run, &e, b, seen, &guard, opts.dry_run),
            now,
        )?;
    }
    // Rollbacks: always (as Chaos Toolkit), at once on a halt; never halted themselves.
    let mut rollbacks_ok = true;
    for (i, action) in e.rollbacks.iter().enumerate() {
        let inv = Invocation::argv(action.argv.clone())
            .with_timeout(action.timeout.and_then(|t| t.try_into().ok()));
        let step = match run_action(&inv, &exec).await {
            Ok(r) => result_of(&r),
            Err(err) => failed(format!("did not run: {err}"), false),
        };
        rollbacks_ok &= step.ok;
        j.append(
            record::step_entry(
                &author,
                &run,
                &e,
                "rollback",
                i,
                action,
                &step,
                opts.dry_run,
            ),
            Timestamp::now(),
        )?;
    }
    let hypothesis = hypothesis_of(breach.as_ref().map(|(b, _)| b));
    let end = record::end_entry(
        &author,
        &run,
        &e,
        &guard,
        hypothesis,
        rollbacks_ok,
        Timestamp::now(),
        opts.dry_run,
    );
    println!("{}", super::human(&end.summary));
    j.append(end, Timestamp::now())?;
    Ok(exit_for(guard.halted().is_some(), hypothesis))
}

/// A steady-state breach disproves the hypothesis; any other halt leaves it undecided.
fn hypothesis_of(breach: Option<&crate::chaos::Breach>) -> Hypothesis {
    match breach {
        Some(crate::chaos::Breach::SteadyState { .. }) => Hypothesis::Deviated,
        Some(_) => Hypothesis::Undecided,
        None => Hypothesis::Held,
    }
}

fn to_std(d: SignedDuration) -> Duration {
    d.try_into().unwrap_or(Duration::ZERO)
}

/// `experiment run FILE --replay SCENARIO`: a dry run in a replayed incident, on its virtual
/// clock: the gate at `--at`, then the method (dry-run) under the guard as virtual time passes
/// (pauses let time pass), the rollbacks, every record sealed into `journal` (a new or existing
/// journal file; records carry `replayed: true`).
pub fn run_replay(
    file: &Path,
    loaded: crate::load::LoadedScenario,
    at: Option<SignedDuration>,
    journal: Option<&Path>,
    who: &CockpitConfig,
    opts: &RunOptions,
) -> color_eyre::Result<ExitCode> {
    let e = load(file)?;
    let scenario_id = loaded.scenario.id.clone();
    let mut session =
        crate::replay::ReplaySession::new(loaded.scenario, loaded.knowledge, who.clone());
    let start_at = session.scenario().start;
    let end_at = session.scenario().end();
    let t0 = crate::time::saturating_offset(start_at, at.unwrap_or(SignedDuration::ZERO));
    session.advance_to(t0);
    let mut sink = ReplaySink::open(journal, &scenario_id)?;
    let author = Author {
        actor: who.actor.clone(),
        role: crate::cockpit::role_name(who.role).to_string(),
    };
    let observe = |s: &crate::replay::ReplaySession, at: Timestamp| {
        let mut o = observe_cockpit(s.cockpit(), &e, at);
        for p in &e.probes {
            if matches!(p.source, ProbeSource::Prometheus { .. }) {
                o.probes.push(ProbeReading {
                    name: p.name.clone(),
                    value: Err("not read in replay (no Prometheus)".into()),
                    skipped: true,
                });
            }
        }
        o
    };
    let start = observe(&session, t0);
    let mut approvals = approvals_in(sink.records(), &e.digest(), t0, Some(&scenario_id));
    if who.role != Role::Trainee {
        approvals.push(Approval {
            by: who.actor.clone(),
            role: who.role,
            mode: session.cockpit().mode(),
        });
    }
    let gate_config = GateConfig {
        min_budget_left: opts.min_budget_left,
        ..GateConfig::default()
    };
    let decision = gate(&GateInput {
        experiment: &e,
        mode: start.mode,
        budget_mode: start.budget_mode,
        override_by: session
            .cockpit()
            .governor()
            .mode_override()
            .map(|o| o.by.clone()),
        drift: start.drift,
        budgets: &start.budgets,
        firing: &start.firing,
        probes: &start.probes,
        approvals: &approvals,
        spent: &BTreeMap::new(),
        config: gate_config,
        alerts_unknown: None,
    });
    print_gate(&decision, opts.json)?;
    if opts.gate_only {
        return Ok(if decision.may_start {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !decision.may_start {
        sink.append(record::refused_entry(&author, &e, &decision, true), t0)?;
        return Ok(ExitCode::from(1));
    }
    let run = record::run_id(&e, t0);
    sink.append(
        record::start_entry(&author, &run, &e, &decision, &approvals, &start, true),
        t0,
    )?;
    let mut guard = Guard::new(&e, &start, decision.limits());
    let exec = ExecConfig {
        dry_run: true,
        ..ExecConfig::default()
    };
    let tick = SignedDuration::from_secs(10);
    let mut now = t0;
    // Lets virtual time pass for `span`, watching every tick.
    let pass = |session: &mut crate::replay::ReplaySession,
                now: &mut Timestamp,
                guard: &mut Guard,
                span: SignedDuration|
     -> Option<(crate::chaos::Breach, Observation)> {
        let until = now.checked_add(span).unwrap_or(*now).min(end_at);
        loop {
            let next = now.checked_add(tick).unwrap_or(until).min(until);
            session.advance_to(next);
            *now = next;
            let o = observe(session, next);
            if let Some(b) = guard.observe(&e, &o) {
                return Some((b, o));
            }
            if next >= until {
                return None;
            }
        }
    };
    let mut breach = None;
    for (i, action) in e.method.iter().enumerate() {
        if !action.pause_before.is_zero() {
            breach = pass(&mut session, &mut now, &mut guard, action.pause_before);
            if breach.is_some() {
                break;
            }
        }
        let inv = Invocation::argv(action.argv.clone());
        let step = result_of(&crate::exec::dry_run(&inv, &exec));
        sink.append(
            record::step_entry(&author, &run, &e, "method", i, action, &step, true),
            now,
        )?;
        breach = pass(
            &mut session,
            &mut now,
            &mut guard,
            action.pause_after.max(tick),
        );
        if breach.is_some() {
            break;
        }
    }
    if let Some((b, seen)) = &breach {
        sink.append(
            record::abort_entry(&author, &run, &e, b, seen, &guard, true),
            now,
        )?;
    }
    for (i, action) in e.rollbacks.iter().enumerate() {
        let step = result_of(&crate::exec::dry_run(
            &Invocation::argv(action.argv.clone()),
            &exec,
        ));
        sink.append(
            record::step_entry(&author, &run, &e, "rollback", i, action, &step, true),
            now,
        )?;
    }
    let hypothesis = hypothesis_of(breach.as_ref().map(|(b, _)| b));
    let end = record::end_entry(&author, &run, &e, &guard, hypothesis, true, now, true);
    println!("{}", super::human(&end.summary));
    sink.append(end, now)?;
    if let Some(p) = journal {
        eprintln!("flightdeck: the run's records are in {}", p.display());
    }
    Ok(exit_for(guard.halted().is_some(), hypothesis))
}

/// Where a replayed run's records go: a journal file, or memory (printed).
enum ReplaySink {
    File(JournalFile, Vec<JournalRecord>, String),
    Memory(crate::journal::Chain, Vec<JournalRecord>, String),
}

impl ReplaySink {
    fn open(journal: Option<&Path>, scenario: &str) -> color_eyre::Result<ReplaySink> {
        Ok(match journal {
            Some(p) => {
                let f = JournalFile::open(p).map_err(|err| eyre!("{}: {err}", p.display()))?;
                let records = f.records()?;
                ReplaySink::File(f, records, scenario.to_string())
            }
            None => ReplaySink::Memory(
                crate::journal::Chain::default(),
                Vec::new(),
                scenario.to_string(),
            ),
        })
    }

    fn records(&self) -> &[JournalRecord] {
        match self {
            ReplaySink::File(_, r, _) | ReplaySink::Memory(_, r, _) => r,
        }
    }

    fn append(
        &mut self,
        mut entry: JournalEntry,
        at: Timestamp,
    ) -> color_eyre::Result<JournalRecord> {
        let scenario = match self {
            ReplaySink::File(_, _, s) | ReplaySink::Memory(_, _, s) => s.clone(),
        };
        if let Some(o) = entry.body.as_object_mut() {
            o.insert("replayed".into(), true.into());
            o.insert("scenario".into(), scenario.into());
        }
        let r = match self {
            ReplaySink::File(f, _, _) => f.append(entry, at)?,
            ReplaySink::Memory(c, _, _) => c.seal(entry, at),
        };
        match self {
            ReplaySink::File(_, rs, _) | ReplaySink::Memory(_, rs, _) => rs.push(r.clone()),
        }
        Ok(r)
    }
}

/// The bundled experiment (`assets/scenarios/chaos-halt`), which a replay of the demo shows.
pub const BUNDLED: (&str, &str) = (
    "assets/scenarios/chaos-halt/experiment.yaml",
    include_str!("../../assets/scenarios/chaos-halt/experiment.yaml"),
);

/// Experiment files are at most this big.
const MAX_FILE: u64 = 1 << 20;

/// The experiment files in `dir` (`*.yaml`, `*.yml`, `*.json`, not recursive, by name), each
/// parsed or with why not, for the cockpit's experiments view.
pub fn catalog_dir(dir: &Path) -> Catalog {
    let mut files = Vec::new();
    match std::fs::read_dir(dir) {
        Err(e) => files.push(Entry {
            path: dir.display().to_string(),
            experiment: Err(format!("cannot read the experiments directory: {e}")),
        }),
        Ok(list) => {
            let mut paths: Vec<PathBuf> = list
                .filter_map(|d| d.ok().map(|d| d.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
                })
                .collect();
            paths.sort();
            for p in paths {
                let shown = p.display().to_string();
                let experiment = match std::fs::metadata(&p) {
                    Ok(m) if !m.is_file() => continue,
                    Ok(m) if m.len() > MAX_FILE => {
                        Err(format!("{shown}: larger than {MAX_FILE} bytes"))
                    }
                    Err(e) => Err(format!("{shown}: {e}")),
                    Ok(_) => std::fs::read_to_string(&p)
                        .map_err(|e| format!("{shown}: {e}"))
                        .and_then(|t| Experiment::parse(&shown, &t).map_err(|e| e.to_string())),
                };
                files.push(Entry {
                    path: shown,
                    experiment,
                });
            }
        }
    }
    Catalog {
        source: Some(dir.display().to_string()),
        files,
        ..Catalog::default()
    }
}

/// The live cockpit's experiments: the config's `[experiments] dir`, and the experiment
/// records of its journal file (the cockpit's journal tail keeps only the newest records).
pub fn catalog_live(config: &crate::config::Config, journal: Option<&Path>) -> Catalog {
    let mut c = match &config.experiments {
        Some(dir) => catalog_dir(&dir.value),
        None => Catalog::default(),
    };
    let path = journal.map(Path::to_path_buf).or_else(|| {
        config
            .journal_url
            .is_none()
            .then(|| config.journal_path())
            .flatten()
    });
    if let Some(p) = path.filter(|p| p.is_file())
        && let Ok(records) = crate::journal_store::read_records(&p)
    {
        c.absorb(&records);
    }
    c
}

/// A replay's experiments: the bundled one for the demo; for a scenario file, the files in
/// an `experiments/` directory beside it, if there is one.
pub fn catalog_replay(loaded: &crate::load::LoadedScenario) -> Catalog {
    if loaded.origin == "bundled demo" {
        let (path, text) = BUNDLED;
        return Catalog {
            source: Some("bundled with the demo".into()),
            files: vec![Entry {
                path: path.into(),
                experiment: Experiment::parse(path, text).map_err(|e| e.to_string()),
            }],
            ..Catalog::default()
        };
    }
    match Path::new(&loaded.origin)
        .parent()
        .map(|d| d.join("experiments"))
        .filter(|d| d.is_dir())
    {
        Some(dir) => catalog_dir(&dir),
        None => Catalog::default(),
    }
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
