//! `experiment run FILE --replay SCENARIO`: a dry run in a replayed incident on its virtual clock; and the replay cockpit's pre-computed runs (the demo's own, and one started with `r`).

use super::*;

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
    let mut sink = ReplaySink::open(journal, &loaded.scenario.id)?;
    let code = replay_run(
        ReplayRun {
            e: &e,
            scenario: loaded.scenario,
            knowledge: loaded.knowledge,
            at,
            who,
            opts,
            quiet: false,
            halt: None,
        },
        &mut sink,
    )?;
    if let Some(p) = journal {
        eprintln!("flightdeck: the run's records are in {}", p.display());
    }
    Ok(code)
}

/// The scripted run of a replay's experiment (the bundled one in the demo): `experiment run
/// --replay` at the scenario's start, in memory, its records for the cockpit's experiments
/// view, which shows them as the replay's clock reaches them.
pub fn scripted_run(
    e: &Experiment,
    loaded: &crate::load::LoadedScenario,
) -> color_eyre::Result<Vec<JournalRecord>> {
    let mut sink = ReplaySink::open(None, &loaded.scenario.id)?;
    let who = CockpitConfig {
        actor: "scenario".into(),
        ..CockpitConfig::default()
    };
    let opts = RunOptions {
        dry_run: true,
        gate_only: false,
        min_budget_left: GateConfig::default().min_budget_left,
        warmup: Duration::ZERO,
        json: false,
    };
    replay_run(
        ReplayRun {
            e,
            scenario: loaded.scenario.clone(),
            knowledge: loaded.knowledge.clone(),
            at: None,
            who: &who,
            opts: &opts,
            quiet: true,
            halt: None,
        },
        &mut sink,
    )?;
    Ok(sink.records().to_vec())
}

/// A breach and what the guard saw when it halted the run.
type Halt = (crate::chaos::Breach, Observation);

/// A replayed run to make: the experiment, the incident it runs in, from when, by whom.
struct ReplayRun<'a> {
    e: &'a Experiment,
    scenario: crate::training::Scenario,
    knowledge: crate::knowledge::KnowledgeBase,
    /// From the scenario's start (`None`: at its start).
    at: Option<SignedDuration>,
    who: &'a CockpitConfig,
    opts: &'a RunOptions,
    /// Print nothing (the cockpit's scripted run).
    quiet: bool,
    /// Who asked to halt it and when (the first watch after that time stops it, as a live
    /// run's guard sees a halt record at its next look).
    halt: Option<&'a (String, Timestamp)>,
}

/// The replayed run itself: the gate at its start, the method as virtual time passes, the
/// abort on a breach, the rollbacks, the end; every record into `sink`.
fn replay_run(r: ReplayRun<'_>, sink: &mut ReplaySink) -> color_eyre::Result<ExitCode> {
    let ReplayRun {
        e,
        scenario,
        knowledge,
        at,
        who,
        opts,
        quiet,
        halt,
    } = r;
    let scenario_id = scenario.id.clone();
    let session = crate::replay::ReplaySession::new(scenario, knowledge, who.clone());
    let (session, t0) = advanced(session, at);
    let end_at = session.scenario().end();
    let author = author_of(who, None);
    let start = observe_replay(&session, e, t0);
    let mut approvals = approvals_in(sink.records(), &e.digest(), t0, Some(&scenario_id));
    if who.role != Role::Trainee {
        approvals.push(Approval {
            by: who.actor.clone(),
            role: who.role,
            mode: session.cockpit().mode(),
        });
    }
    // Nothing spent by earlier runs; the alerts known.
    let at = GateAt {
        start: &start,
        approvals: &approvals,
        spent: &BTreeMap::new(),
        alerts_unknown: None,
    };
    let decision = gate_at(e, session.cockpit(), at, opts);
    if let Some(code) = show_gate(&decision, opts, quiet)? {
        return Ok(code);
    }
    if !decision.may_start {
        sink.append(record::refused_entry(&author, e, &decision, true), t0)?;
        return Ok(ExitCode::from(1));
    }
    let run = record::run_id(e, t0);
    sink.append(
        record::start_entry(
            &record::RunRecords {
                author: &author,
                run: &run,
                experiment: e,
                dry_run: true,
            },
            &decision,
            &approvals,
            &start,
        ),
        t0,
    )?;
    let mut clock = Clock {
        session,
        now: t0,
        end_at,
        e,
        guard: Guard::new(e, &start, decision.limits()),
        halt,
    };
    let mut seal = ReplaySeal {
        sink,
        author: &author,
        run: &run,
        e,
        exec: ExecConfig {
            dry_run: true,
            ..ExecConfig::default()
        },
    };
    let breach = clock.method(|i, action, now| seal.step("method", i, action, now))?;
    seal.finish(&clock.guard, breach, clock.now, quiet)
}

/// Where a replayed run's records go, and what each names; its actions dry-run.
struct ReplaySeal<'a> {
    sink: &'a mut ReplaySink,
    author: &'a Author,
    run: &'a str,
    e: &'a Experiment,
    exec: ExecConfig,
}

impl ReplaySeal<'_> {
    /// What every record of the run names (a replayed run is a dry run).
    fn records(&self) -> record::RunRecords<'_> {
        record::RunRecords {
            author: self.author,
            run: self.run,
            experiment: self.e,
            dry_run: true,
        }
    }

    /// Dry-runs step `i` of `section` (`method`, `rollback`) and seals its record at `now`.
    fn step(
        &mut self,
        section: &str,
        i: usize,
        action: &crate::chaos::Action,
        now: Timestamp,
    ) -> color_eyre::Result<()> {
        let step = result_of(&crate::exec::dry_run(
            &Invocation::argv(action.argv.clone()),
            &self.exec,
        ));
        let entry = record::step_entry(&self.records(), section, i, action, &step);
        self.sink.append(entry, now)?;
        Ok(())
    }

    /// The abort record on a breach, the rollbacks, the end record (its summary printed unless
    /// `quiet`), all at `now`; the exit code.
    fn finish(
        mut self,
        guard: &Guard,
        breach: Option<Halt>,
        now: Timestamp,
        quiet: bool,
    ) -> color_eyre::Result<ExitCode> {
        let e = self.e;
        if let Some((b, seen)) = &breach {
            self.sink
                .append(record::abort_entry(&self.records(), b, seen, guard), now)?;
        }
        for (i, action) in e.rollbacks.iter().enumerate() {
            self.step("rollback", i, action, now)?;
        }
        let hypothesis = hypothesis_of(breach.as_ref().map(|(b, _)| b));
        let end = record::end_entry(&self.records(), guard, hypothesis, true, now);
        if !quiet {
            println!("{}", crate::commands::human(&end.summary));
        }
        self.sink.append(end, now)?;
        Ok(exit_for(guard.halted().is_some(), hypothesis))
    }
}

/// The session advanced to the run's start, `at` after the scenario's start (`None`: at it);
/// and that time.
fn advanced(
    mut session: crate::replay::ReplaySession,
    at: Option<SignedDuration>,
) -> (crate::replay::ReplaySession, Timestamp) {
    let start_at = session.scenario().start;
    let t0 = crate::time::saturating_offset(start_at, at.unwrap_or(SignedDuration::ZERO));
    session.advance_to(t0);
    (session, t0)
}

/// What the replay's cockpit shows at `at`; its Prometheus probes are not read (skipped).
fn observe_replay(s: &crate::replay::ReplaySession, e: &Experiment, at: Timestamp) -> Observation {
    let mut o = observe_cockpit(s.cockpit(), e, at);
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
}

/// How often the guard looks as virtual time passes.
const TICK: SignedDuration = SignedDuration::from_secs(10);

/// The replay's virtual clock under the run's guard.
struct Clock<'a> {
    session: crate::replay::ReplaySession,
    now: Timestamp,
    end_at: Timestamp,
    e: &'a Experiment,
    guard: Guard,
    halt: Option<&'a (String, Timestamp)>,
}

impl Clock<'_> {
    /// Lets virtual time pass for `span` (not past the scenario's end), watching every tick.
    fn pass(&mut self, span: SignedDuration) -> Option<Halt> {
        let until = self
            .now
            .checked_add(span)
            .unwrap_or(self.now)
            .min(self.end_at);
        loop {
            let next = self.now.checked_add(TICK).unwrap_or(until).min(until);
            self.session.advance_to(next);
            self.now = next;
            let o = observe_replay(&self.session, self.e, next);
            if let Some(b) = self.guard.observe(self.e, &o) {
                return Some((b, o));
            }
            if let Some((by, at)) = self.halt.filter(|(_, at)| next > *at) {
                let b = crate::chaos::Breach::Stopped {
                    why: halted_by(by, *at),
                };
                self.guard.stop(b.clone());
                return Some((b, o));
            }
            if next >= until {
                return None;
            }
        }
    }

    /// The method (dry-run), each action sealed by `seal` at the virtual time it ran, time
    /// passing in its pauses (at least a tick after each); the breach that halted it.
    fn method(
        &mut self,
        mut seal: impl FnMut(usize, &crate::chaos::Action, Timestamp) -> color_eyre::Result<()>,
    ) -> color_eyre::Result<Option<Halt>> {
        let e = self.e;
        for (i, action) in e.method.iter().enumerate() {
            if !action.pause_before.is_zero()
                && let Some(b) = self.pass(action.pause_before)
            {
                return Ok(Some(b));
            }
            seal(i, action, self.now)?;
            if let Some(b) = self.pass(action.pause_after.max(TICK)) {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// Where a replayed run's records go: a journal file, or memory (printed).
pub(super) enum ReplaySink {
    File(JournalFile, Vec<JournalRecord>, String),
    Memory(crate::journal::Chain, Vec<JournalRecord>, String),
}

impl ReplaySink {
    pub(super) fn open(journal: Option<&Path>, scenario: &str) -> color_eyre::Result<ReplaySink> {
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

    pub(super) fn records(&self) -> &[JournalRecord] {
        match self {
            ReplaySink::File(_, r, _) | ReplaySink::Memory(_, r, _) => r,
        }
    }

    pub(super) fn append(
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

/// Why a halt asked in a replay stopped the run (the abort's evidence).
fn halted_by(by: &str, at: Timestamp) -> String {
    format!(
        "halted by {by} from the replay's cockpit at {}",
        crate::time::clock_hms(at)
    )
}

/// A replay cockpit's run started with `r` at the replay's time `at`: `experiment run --replay`
/// from there, dry-run and computed ahead in memory (nothing real runs); `halt`: stopped by
/// whoever asked at the first watch after then. The approvals journaled in this replay
/// (`prior`) count as they do in the view. The records, stamped with their virtual times.
pub fn replay_from(
    e: &Experiment,
    scenario: &crate::training::Scenario,
    knowledge: &crate::knowledge::KnowledgeBase,
    at: Timestamp,
    prior: &[JournalRecord],
    who: &CockpitConfig,
    halt: Option<&(String, Timestamp)>,
) -> color_eyre::Result<Vec<JournalRecord>> {
    let mut sink = ReplaySink::open(None, &scenario.id)?;
    if let ReplaySink::Memory(_, records, id) = &mut sink {
        for r in prior.iter().filter(|r| {
            r.kind == RecordKind::Experiment
                && body_field::<String>(&r.body, "phase").as_deref() == Some("approve")
        }) {
            let mut r = r.clone();
            if let Some(o) = r.body.as_object_mut() {
                o.insert("replayed".into(), true.into());
                o.insert("scenario".into(), id.clone().into());
            }
            records.push(r);
        }
    }
    let seeded = sink.records().len();
    let opts = RunOptions {
        dry_run: true,
        gate_only: false,
        min_budget_left: GateConfig::default().min_budget_left,
        warmup: Duration::ZERO,
        json: false,
    };
    replay_run(
        ReplayRun {
            e,
            scenario: scenario.clone(),
            knowledge: knowledge.clone(),
            at: Some(at.duration_since(scenario.start)),
            who,
            opts: &opts,
            quiet: true,
            halt,
        },
        &mut sink,
    )?;
    Ok(sink.records()[seeded..].to_vec())
}

/// The runs started with `r` in a replay cockpit, part of the replay: each is computed ahead
/// on the replay's clock (a dry run: nothing real runs) and its records are scheduled into the
/// replay's journal, sealed as the clock reaches each (start, steps, abort, rollbacks, end), so
/// `journal show`, `timeline`, `export` and `experiment report` on the replay's journal show it.
/// `H` in the view journals a `halt` record; [`ReplayRuns::halts`] then computes the run again
/// with the halt (the same records up to the halt, then the abort with "halted by <person>",
/// the rollbacks dry-run, the end) and schedules the rest in place of what was computed.
#[derive(Debug, Default)]
pub struct ReplayRuns {
    runs: Vec<Playing>,
}

/// One run started in this replay.
#[derive(Debug)]
struct Playing {
    run: String,
    experiment: Experiment,
    at: Timestamp,
    /// The replay's records when it started (the approvals that counted then).
    prior: Vec<JournalRecord>,
    halted: bool,
}

/// What `r` started.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayStart {
    /// The run's id (`None`: the gate refused; its `refused` record is journaled).
    pub run: Option<String>,
    /// What the status line says.
    pub notice: String,
}

fn scheduled(run: &str, records: Vec<JournalRecord>) -> Vec<crate::replay::Scheduled> {
    records
        .into_iter()
        .map(|r| crate::replay::Scheduled {
            tag: run.to_string(),
            at: r.ts,
            entry: JournalEntry {
                actor: r.actor,
                role: r.role,
                kind: r.kind,
                summary: r.summary,
                body: r.body,
            },
        })
        .collect()
}

impl ReplayRuns {
    /// `r` in the replay cockpit: a dry run of `e` from the replay's time now, scheduled into
    /// its journal (a refusal by the gate is journaled at once).
    pub fn start(
        &mut self,
        session: &mut crate::replay::ReplaySession,
        original: &crate::training::Scenario,
        knowledge: &crate::knowledge::KnowledgeBase,
        e: &Experiment,
    ) -> color_eyre::Result<ReplayStart> {
        let at = session.position();
        let prior = session.records().to_vec();
        let who = session.cockpit().config().clone();
        let records = replay_from(e, original, knowledge, at, &prior, &who, None)?;
        let refused = records
            .iter()
            .any(|r| body_field::<String>(&r.body, "phase").as_deref() == Some("refused"));
        let run = record::run_id(e, at);
        session.schedule(scheduled(&run, records));
        if refused {
            return Ok(ReplayStart {
                run: None,
                notice: format!(
                    "experiment \"{}\": its gate refused the dry run (journaled)",
                    e.title
                ),
            });
        }
        self.runs.push(Playing {
            run: run.clone(),
            experiment: e.clone(),
            at,
            prior,
            halted: false,
        });
        Ok(ReplayStart {
            run: Some(run),
            notice: format!(
                "experiment \"{}\": a dry run from {} on the replay's clock (nothing real runs); it plays as the clock moves, H halts it",
                e.title,
                crate::time::clock_hms(at)
            ),
        })
    }

    /// After a decision: a run whose `halt` record is now in the journal stops at its next
    /// watch — what is left of it is computed again with the halt. Returns the notices.
    pub fn halts(
        &mut self,
        session: &mut crate::replay::ReplaySession,
        original: &crate::training::Scenario,
        knowledge: &crate::knowledge::KnowledgeBase,
    ) -> color_eyre::Result<Vec<String>> {
        let mut notices = Vec::new();
        let who = session.cockpit().config().clone();
        for p in self.runs.iter_mut().filter(|p| !p.halted) {
            let Some(halt) = crate::chaos::observe::halt_asked(session.records(), &p.run) else {
                continue;
            };
            p.halted = true;
            if session.scheduled(&p.run).next().is_none() {
                continue; // It had already ended.
            }
            let records = replay_from(
                &p.experiment,
                original,
                knowledge,
                p.at,
                &p.prior,
                &who,
                Some(&halt),
            )?;
            let rest: Vec<JournalRecord> = records.into_iter().filter(|r| r.ts > halt.1).collect();
            session.unschedule(&p.run);
            notices.push(format!(
                "experiment \"{}\": {}; its rollbacks dry-run at {}",
                p.experiment.title,
                halted_by(&halt.0, halt.1),
                rest.first()
                    .map_or_else(|| "once".to_string(), |r| crate::time::clock_hms(r.ts))
            ));
            session.schedule(scheduled(&p.run, rest));
        }
        Ok(notices)
    }

    /// After a seek: a seek back rebuilt the replay's journal without the runs started after
    /// the point it went back to; they are forgotten.
    pub fn seeked(&mut self, session: &crate::replay::ReplaySession) {
        self.runs.retain(|p| {
            session.scheduled(&p.run).next().is_some()
                || session
                    .records()
                    .iter()
                    .any(|r| body_field::<String>(&r.body, "run").as_deref() == Some(&p.run))
        });
    }
}
