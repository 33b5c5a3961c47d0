//! `experiment run FILE` live: the gate on the config's sources, then the method under the guard (Prometheus probes, the budgets, the governor, a halt record in the journal, signals), then the rollbacks, every record sealed into the journal (a file or PostgreSQL).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::journal_pg::JournalBackend;
use crate::live::Live;

use super::*;

/// A breach and what the guard saw when it halted the run.
type Halt = (crate::chaos::Breach, Observation);

/// `experiment run FILE` live: on the config's sources, writing to `journal` (a file, or a
/// PostgreSQL journal's `postgres://` URL: the cockpit's own journal, whichever it is).
pub async fn run_live(
    file: &Path,
    config: &crate::config::Config,
    journal: PathBuf,
    who: &CockpitConfig,
    opts: &RunOptions,
) -> color_eyre::Result<ExitCode> {
    let e = load(file)?;
    let (mut live, prom) = connect(config, &journal, who).await?;
    warm_up(&mut live, &e, opts.warmup).await;
    let location = journal.display().to_string();
    let mut j = JournalBackend::open(&location)
        .map_err(|err| eyre!("{}: {err}", crate::journal_pg::redact(&location)))?;
    // A run the cockpit started (`r`) names the launch it answers.
    let launch = std::env::var(super::LAUNCH_ENV).ok();
    let author = author_of(who, launch.filter(|l| !l.is_empty()));
    let now = Timestamp::now();
    let mut start = observe_cockpit(live.cockpit(), &e, now);
    read_prometheus(prom.as_ref(), &e, now, &mut start.probes).await;
    let records = j.records()?;
    let approvals = approvals_here(&records, &e, who, live.cockpit(), now);
    // What experiment runs spent in the gate's window, from the journal.
    let spent = record::spent_in_window(&records, now, GateConfig::default().window);
    let at = GateAt {
        start: &start,
        approvals: &approvals,
        spent: &spent,
        alerts_unknown: alerts_unknown(live.cockpit()),
    };
    let decision = gate_at(&e, live.cockpit(), at, opts);
    if let Some(code) = show_gate(&decision, opts, false)? {
        return Ok(code);
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
            &record::RunRecords {
                author: &author,
                run: &run,
                experiment: &e,
                dry_run: opts.dry_run,
            },
            &decision,
            &approvals,
            &start,
        ),
        now,
    )?;
    let mut watch = Watch {
        live,
        prom,
        e: &e,
        guard: Guard::new(&e, &start, decision.limits()),
        stop: Stop::on_signals()?,
        run: &run,
    };
    let mut seal = Seal {
        j,
        author: &author,
        run: &run,
        e: &e,
        dry_run: opts.dry_run,
    };
    let exec = ExecConfig {
        dry_run: opts.dry_run,
        ..ExecConfig::default()
    };
    let breach = method(&mut watch, &mut seal, &exec).await?;
    finish(&mut seal, &exec, &watch.guard, breach).await
}

/// The abort record on a breach, the rollbacks, the end record (its summary printed); the
/// exit code.
async fn finish(
    seal: &mut Seal<'_>,
    exec: &ExecConfig,
    guard: &Guard,
    breach: Option<Halt>,
) -> color_eyre::Result<ExitCode> {
    if let Some((b, seen)) = &breach {
        let abort = record::abort_entry(&seal.records(), b, seen, guard);
        seal.j.append(abort, Timestamp::now())?;
    }
    let rollbacks_ok = rollbacks(seal, exec).await?;
    let hypothesis = hypothesis_of(breach.as_ref().map(|(b, _)| b));
    let end = record::end_entry(
        &seal.records(),
        guard,
        hypothesis,
        rollbacks_ok,
        Timestamp::now(),
    );
    println!("{}", crate::commands::human(&end.summary));
    seal.j.append(end, Timestamp::now())?;
    Ok(exit_for(guard.halted().is_some(), hypothesis))
}

/// The live cockpit on the config's sources (its warnings printed), and the Prometheus client.
async fn connect(
    config: &crate::config::Config,
    journal: &Path,
    who: &CockpitConfig,
) -> color_eyre::Result<(Live, Option<PrometheusClient>)> {
    let live_opts = crate::live::LiveOptions {
        user: Some(who.actor.clone()),
        role: Some(who.role),
        readonly: who.readonly,
        journal: Some(journal.to_path_buf()),
        memory_journal: false,
    };
    let mut live = Live::start(config, &live_opts).await?;
    for w in std::mem::take(&mut live.warnings) {
        eprintln!("{}", crate::commands::human(&format!("flightdeck: {w}")));
    }
    let prom = match &config.prometheus {
        Some(p) => Some(PrometheusClient::new(p.url.clone(), p.timeout).map_err(|m| eyre!(m))?),
        None => None,
    };
    Ok((live, prom))
}

/// Warm up: until every SLO of the blast radius has budget data (or the warm-up ends).
async fn warm_up(live: &mut Live, e: &Experiment, warmup: Duration) {
    let slos = e.blast_radius.slos.clone();
    let ready = move |c: &Cockpit| {
        alerts_unknown(c).is_none()
            && slos.iter().all(|s| {
                c.budgets()
                    .iter()
                    .any(|b| &b.slo == s && b.budget_remaining.is_some())
            })
    };
    live.run_until(tokio::time::Instant::now() + warmup, ready)
        .await;
}

/// The approvals in the journal that count now, and the runner's own: running it is their
/// approval, in the mode in force now (not a read-only cockpit's, nor a trainee's).
fn approvals_here(
    records: &[JournalRecord],
    e: &Experiment,
    who: &CockpitConfig,
    cockpit: &Cockpit,
    now: Timestamp,
) -> Vec<Approval> {
    let mut approvals = approvals_in(records, &e.digest(), now, None);
    if !who.readonly && who.role != Role::Trainee {
        approvals.push(Approval {
            by: who.actor.clone(),
            role: who.role,
            mode: cockpit.mode(),
        });
    }
    approvals
}

/// SIGINT / SIGTERM stop the run like a breach: the rollbacks still run.
struct Stop(Arc<AtomicU8>);

impl Stop {
    /// Listens for SIGINT and SIGTERM from now on.
    fn on_signals() -> std::io::Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = Arc::new(AtomicU8::new(0));
        let (mut int, mut term) = (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        );
        let seen = stop.clone();
        tokio::spawn(async move {
            loop {
                let which = tokio::select! {
                    _ = int.recv() => 1,
                    _ = term.recv() => 2,
                };
                seen.store(which, Ordering::SeqCst);
            }
        });
        Ok(Stop(stop))
    }

    /// Why the run was stopped, if it was.
    fn why(&self) -> Option<&'static str> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            1 => Some("interrupted (SIGINT)"),
            _ => Some("terminated (SIGTERM)"),
        }
    }
}

/// The run as its guard watches it: the live cockpit, Prometheus, the signals, halt records.
struct Watch<'a> {
    live: Live,
    prom: Option<PrometheusClient>,
    e: &'a Experiment,
    guard: Guard,
    stop: Stop,
    run: &'a str,
}

impl Watch<'_> {
    /// Watches until `until` (or until the guard halts); the breach and what it saw.
    async fn watch(&mut self, until: tokio::time::Instant) -> Option<Halt> {
        let e = self.e;
        loop {
            let slice = (tokio::time::Instant::now() + WATCH).min(until);
            self.live.run_until(slice, |_| false).await;
            let now = Timestamp::now();
            let mut o = observe_cockpit(self.live.cockpit(), e, now);
            read_prometheus(self.prom.as_ref(), e, now, &mut o.probes).await;
            if let Some(b) = self.guard.observe(e, &o) {
                return Some((b, o));
            }
            if let Some(why) = self.stop.why() {
                let b = crate::chaos::Breach::Stopped {
                    why: format!("{why} by the person running it"),
                };
                self.guard.stop(b.clone());
                return Some((b, o));
            }
            // A halt asked from a cockpit (`x`, then `H`): journaled there, seen here.
            if let Some((who, at)) =
                crate::chaos::observe::halt_asked(self.live.cockpit().journal_tail(), self.run)
            {
                let b = crate::chaos::Breach::Stopped {
                    why: format!("halted from a cockpit by {who} at {at}"),
                };
                self.guard.stop(b.clone());
                return Some((b, o));
            }
            if tokio::time::Instant::now() >= until {
                return None;
            }
        }
    }

    /// A method action's pause before or after it: watched like the rest of the run.
    async fn pause(&mut self, span: SignedDuration) -> Option<Halt> {
        let span = to_std(span);
        if span.is_zero() {
            return None;
        }
        self.watch(tokio::time::Instant::now() + span).await
    }
}

/// Where the run's records go, and what each names.
struct Seal<'a> {
    j: JournalBackend,
    author: &'a Author,
    run: &'a str,
    e: &'a Experiment,
    dry_run: bool,
}

impl Seal<'_> {
    /// What every record of the run names.
    fn records(&self) -> record::RunRecords<'_> {
        record::RunRecords {
            author: self.author,
            run: self.run,
            experiment: self.e,
            dry_run: self.dry_run,
        }
    }

    /// Seals the record of step `i` of `section` (`method`, `rollback`).
    fn step(
        &mut self,
        section: &str,
        i: usize,
        action: &crate::chaos::Action,
        step: &StepResult,
    ) -> color_eyre::Result<()> {
        self.j.append(
            record::step_entry(&self.records(), section, i, action, step),
            Timestamp::now(),
        )?;
        Ok(())
    }
}

/// The method, each action watched while it runs and in its pauses, then the steady state
/// once more (Chaos Toolkit's "after" check); the breach that halted it, if one did.
async fn method(
    watch: &mut Watch<'_>,
    seal: &mut Seal<'_>,
    exec: &ExecConfig,
) -> color_eyre::Result<Option<Halt>> {
    let (e, dry_run) = (watch.e, seal.dry_run);
    for (i, action) in e.method.iter().enumerate() {
        if let Some(b) = watch.pause(action.pause_before).await {
            return Ok(Some(b));
        }
        let inv = Invocation::argv(action.argv.clone())
            .with_timeout(action.timeout.and_then(|t| t.try_into().ok()));
        let exec_c = exec.clone();
        let mut task = tokio::spawn(async move { run_action(&inv, &exec_c).await });
        // Watch while it runs.
        let mut breach = None;
        let result = loop {
            tokio::select! {
                done = &mut task => break Some(done),
                b = watch.watch(tokio::time::Instant::now() + WATCH) => {
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
            Some(Ok(Err(err))) => failed(format!("did not run: {err}"), dry_run),
            Some(Err(join)) => failed(format!("lost: {join}"), dry_run),
            None => failed(
                "halted by the guard while running (process killed)".into(),
                dry_run,
            ),
        };
        seal.step("method", i, action, &step)?;
        if breach.is_some() {
            return Ok(breach);
        }
        if let Some(b) = watch.pause(action.pause_after).await {
            return Ok(Some(b));
        }
    }
    // The steady state once more after the method (Chaos Toolkit's "after" check).
    Ok(watch.watch(tokio::time::Instant::now()).await)
}

/// Rollbacks: always (as Chaos Toolkit), at once on a halt; never halted themselves. Whether
/// every one succeeded.
async fn rollbacks(seal: &mut Seal<'_>, exec: &ExecConfig) -> color_eyre::Result<bool> {
    let mut rollbacks_ok = true;
    let e = seal.e;
    for (i, action) in e.rollbacks.iter().enumerate() {
        let inv = Invocation::argv(action.argv.clone())
            .with_timeout(action.timeout.and_then(|t| t.try_into().ok()));
        let step = match run_action(&inv, exec).await {
            Ok(r) => result_of(&r),
            Err(err) => failed(format!("did not run: {err}"), false),
        };
        rollbacks_ok &= step.ok;
        seal.step("rollback", i, action, &step)?;
    }
    Ok(rollbacks_ok)
}
