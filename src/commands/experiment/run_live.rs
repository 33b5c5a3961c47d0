//! `experiment run FILE` live: the gate on the config's sources, then the method under the guard (Prometheus probes, the budgets, the governor, a halt record in the journal, signals), then the rollbacks, every record sealed into the journal (a file or PostgreSQL).

use super::*;

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
    let live_opts = crate::live::LiveOptions {
        user: Some(who.actor.clone()),
        role: Some(who.role),
        readonly: who.readonly,
        journal: Some(journal.clone()),
        memory_journal: false,
    };
    let mut live = crate::live::Live::start(config, &live_opts).await?;
    for w in std::mem::take(&mut live.warnings) {
        eprintln!("{}", crate::commands::human(&format!("flightdeck: {w}")));
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

    let location = journal.display().to_string();
    let mut j = crate::journal_pg::JournalBackend::open(&location)
        .map_err(|err| eyre!("{}: {err}", crate::journal_pg::redact(&location)))?;
    let author = Author {
        actor: who.actor.clone(),
        role: who.role.into(),
        // A run the cockpit started (`r`) names the launch it answers.
        launch: std::env::var(super::LAUNCH_ENV)
            .ok()
            .filter(|l| !l.is_empty()),
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

    // A method action's pause before or after it: watched like the rest of the run.
    async fn pause(
        live: &mut crate::live::Live,
        prom: Option<&PrometheusClient>,
        e: &Experiment,
        guard: &mut Guard,
        span: SignedDuration,
        stopped: &impl Fn() -> Option<&'static str>,
        run: &str,
    ) -> Option<(crate::chaos::Breach, Observation)> {
        let span = to_std(span);
        if span.is_zero() {
            return None;
        }
        let until = tokio::time::Instant::now() + span;
        watch(live, prom, e, guard, until, stopped, run).await
    }

    let mut breach: Option<(crate::chaos::Breach, Observation)> = None;
    'method: for (i, action) in e.method.iter().enumerate() {
        breach = pause(
            &mut live,
            prom.as_ref(),
            &e,
            &mut guard,
            action.pause_before,
            &stopped,
            &run,
        )
        .await;
        if breach.is_some() {
            break 'method;
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
        breach = pause(
            &mut live,
            prom.as_ref(),
            &e,
            &mut guard,
            action.pause_after,
            &stopped,
            &run,
        )
        .await;
        if breach.is_some() {
            break 'method;
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
    println!("{}", crate::commands::human(&end.summary));
    j.append(end, Timestamp::now())?;
    Ok(exit_for(guard.halted().is_some(), hypothesis))
}
