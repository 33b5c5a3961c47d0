//! Live mode: the cockpit on real sources. [`Live`] starts the source tasks (`crate::sources`)
//! and owns the only receiver of their channel; [`LiveSession`] (`session.rs`) applies what arrives to the pure
//! core on the wall clock (dropping redelivered alerts, sealing journal effects, ageing source
//! health into stale). [`run_tui`] draws it in the terminal like the replay runtime does;
//! [`run_headless`] runs it for a wall-clock span and returns the same JSON snapshot as
//! `replay --headless --json` (its `sources` carry each source's health).
//!
//! Nothing here blocks the screen: sources are separate tasks with timeouts, and the loop
//! applies at most a bounded batch of messages between frames.
//!
//! Size: a little over 600 lines: `Live::start` (sources, journal, launcher, session) and the
//! loop's `Session` for it are one piece; the session's own logic is in `session.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::actions::Role;
use crate::alerts::Alert;
use crate::alerts::episode::{Admit, Delivery, Episodes};
use crate::cockpit::{
    Cockpit, CockpitConfig, Effect, Event, ExecOutcome, ExecRequest, Snapshot, SourceHealth,
    SuggestionId, UserCommand,
};
use crate::config::Config;
use crate::exec::{ExecConfig, Invocation};
use crate::journal::{
    Chain, GenesisBody, JournalEntry, KindBody, NoteBody, RecordBody, RecordKind,
};
use crate::journal_pg::JournalBackend;
use crate::journal_store::JournalFile;
use crate::knowledge::KnowledgeBase;
use crate::knowledge_watch::{KnowledgeWatcher, Reloaded};
use crate::outputs::OutputStore;
use crate::runtime::Session;
use crate::slo::SloSpec;
use crate::sources::{CHANNEL_CAPACITY, Health, Origin, SourceMsg, Sources};
use crate::time::{SignedDuration, Timestamp, clock_hms};
use crate::tui::{self, App, Command, Msg};

mod session;

pub use session::LiveSession;

/// How often budgets, the governor and source health are re-evaluated.
pub const TICK: Duration = Duration::from_secs(1);
/// How long source messages are applied before keys and frames get a turn (an alert storm
/// cannot freeze the screen): well under a frame, so a key typed during a storm is answered
/// within 16 ms when the machine gives the loop its time (benches/keys.rs).
const BATCH_TIME: Duration = Duration::from_millis(4);
/// Messages waiting are applied together up to this many alerts a batch (knowledge and
/// verdicts refreshed once a batch): a few milliseconds of work with a big knowledge base, so
/// keys and frames still get their turn within `BATCH_TIME`.
const BATCH_ALERTS: usize = 500;
/// Resolved alerts are forgotten by the duplicate filter after this long.
const FORGET_RESOLVED: SignedDuration = SignedDuration::from_hours(24);

/// Who runs this cockpit and where it journals (from the command line; the config fills what
/// is missing).
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    pub user: Option<String>,
    pub role: Option<Role>,
    pub readonly: bool,
    /// Overrides the config's journal path (`--journal PATH`).
    pub journal: Option<PathBuf>,
    /// Keep the journal in memory (tests, benchmarks, `--headless` dry looks).
    pub memory_journal: bool,
}

/// Live mode, started: the session, the sources and the channels between them.
pub struct Live {
    session: LiveSession,
    rx: mpsc::Receiver<SourceMsg>,
    closed: bool,
    sources: Sources,
    exec: ExecConfig,
    exec_tx: mpsc::Sender<(SuggestionId, ExecOutcome)>,
    exec_rx: mpsc::Receiver<(SuggestionId, ExecOutcome)>,
    /// Output of executed steps: beside the journal file, or in memory with the journal.
    outputs: OutputStore,
    /// Knowledge loaded again after a runbook or postmortem changed on disk.
    knowledge_rx: mpsc::Receiver<Reloaded>,
    /// Problems met at start that did not stop it (SLO files, knowledge documents).
    pub warnings: Vec<String>,
    /// Budgets, the governor and source health are evaluated on these ([`TICK`]).
    ticks: tokio::time::Interval,
    /// Starts `experiment run` for the experiments view (`r`); how each run ended comes back
    /// on `runs_rx`.
    launcher: crate::commands::experiment::Launcher,
    runs_tx: mpsc::Sender<crate::commands::experiment::RunEnded>,
    runs_rx: mpsc::Receiver<crate::commands::experiment::RunEnded>,
    /// Reads the experiments' Prometheus probes while the experiments view is open.
    probes: crate::commands::experiment::ProbeReader,
}

/// Live mode could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("journal {path}: {error}")]
    Journal { path: String, error: std::io::Error },
    #[error("no journal path: set [journal] path in the config or pass --journal")]
    NoJournal,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Live {
    /// Loads SLOs and knowledge, opens the journal, starts the sources. Broken SLO files or
    /// documents are skipped with a warning rather than keeping the cockpit from starting; a
    /// journal that cannot be opened (or fails verification) stops it.
    pub async fn start(config: &Config, opts: &LiveOptions) -> Result<Live, LiveError> {
        Live::start_with(config, opts, false).await
    }

    /// [`Live::start`] as an observer (`--headless` without `--journal-decisions`): the team
    /// journal is read (a mode override in force, the mode it last recorded) but never
    /// written; the session's own records stay in memory.
    pub async fn start_observer(config: &Config, opts: &LiveOptions) -> Result<Live, LiveError> {
        Live::start_with(config, opts, true).await
    }

    async fn start_with(
        config: &Config,
        opts: &LiveOptions,
        observer: bool,
    ) -> Result<Live, LiveError> {
        let mut warnings: Vec<String> = config.warnings.iter().map(|p| p.to_string()).collect();
        let (slos, problems) = config.load_slos();
        for p in problems {
            warnings.push(p.as_warning().to_string());
        }
        let (watcher, knowledge, doc_errors) = KnowledgeWatcher::load(config.knowledge_dirs());
        warnings.extend(doc_errors.iter().map(|e| format!("skipped {e}")));
        for w in &warnings {
            tracing::warn!("{w}");
        }
        // `--journal` (a path or a postgres:// URL), else the config's url, else its path.
        let location = || -> Result<String, LiveError> {
            Ok(match (&opts.journal, &config.journal_url) {
                (Some(p), _) => p.display().to_string(),
                (None, Some(url)) => url.clone(),
                (None, None) => config
                    .journal_path()
                    .ok_or(LiveError::NoJournal)?
                    .display()
                    .to_string(),
            })
        };
        let mut observed: Vec<crate::journal::JournalRecord> = Vec::new();
        if observer && !opts.memory_journal {
            // Read, never opened for writing (no genesis, no torn-tail repair).
            let location = location()?;
            let read = if crate::journal_pg::is_url(&location) {
                JournalBackend::open(&location).and_then(|j| match j {
                    JournalBackend::Pg(pg) => pg.records(),
                    JournalBackend::File(f) => f.records(),
                })
            } else if std::path::Path::new(&location).exists() {
                crate::journal_store::read_records(std::path::Path::new(&location))
            } else {
                Ok(Vec::new())
            };
            match read {
                Ok(records) => observed = records,
                Err(e) => warnings.push(format!(
                    "journal {}: not read ({e}); observing without its mode history",
                    crate::journal_pg::redact(&location)
                )),
            }
        }
        let journal = if opts.memory_journal || observer {
            None
        } else {
            let location = location()?;
            let journal = JournalBackend::open(&location).map_err(|error| LiveError::Journal {
                path: crate::journal_pg::redact(&location),
                error,
            })?;
            if let JournalBackend::File(file) = &journal {
                for t in file.repaired() {
                    warnings.push(format!("journal {location}: {t}"));
                }
            }
            Some(journal)
        };
        let outputs = match &journal {
            Some(journal) => journal.output_store(),
            None => OutputStore::in_memory(),
        };
        let pg_logs = journal
            .as_ref()
            .and_then(JournalBackend::pg_dir)
            .map(|d| d.join("experiments"));
        let now = Timestamp::now();
        let mut cockpit_config = config.cockpit_config();
        cockpit_config.actor = opts
            .user
            .clone()
            .or_else(|| config.user.clone())
            .unwrap_or_else(crate::whoami::user_name);
        cockpit_config.role = opts.role.or(config.role).unwrap_or(Role::Oncall);
        cockpit_config.readonly = opts.readonly;
        cockpit_config.session = format!("live-{}-{}", std::process::id(), now.as_second());
        if let Some(why) = cockpit_config.commander_refusal() {
            warnings.push(why);
        }
        let set = config.source_set(&slos);
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let sources = Sources::start(set, tx).await;
        let mut session = LiveSession::with_journal(
            cockpit_config,
            slos.into_iter().map(|s| s.spec).collect(),
            knowledge,
            now,
            journal,
        );
        if observer {
            session.resume_from(&observed, now);
        }
        session.set_alert_budget(config.alert_budget);
        for h in sources.initial_health() {
            session.set_health(h.clone(), now);
        }
        session.tick(now);
        let (exec_tx, exec_rx) = mpsc::channel(64);
        let launcher = match (opts.memory_journal || observer, location()) {
            (false, Ok(journal)) => crate::commands::experiment::Launcher::new(
                &config.path,
                Some(&journal),
                config.journal_url.as_deref(),
                pg_logs,
                &session.cockpit().config().actor,
                session.cockpit().config().role,
            ),
            _ => crate::commands::experiment::Launcher::refusing(
                "this cockpit does not write the team journal: start it with `flightdeck experiment run`",
            ),
        };
        let (runs_tx, runs_rx) = mpsc::channel(8);
        let knowledge_rx = crate::knowledge_watch::spawn(watcher);
        Ok(Live {
            knowledge_rx,
            session,
            rx,
            closed: false,
            sources,
            exec: ExecConfig::default(),
            exec_tx,
            exec_rx,
            outputs,
            warnings,
            ticks: {
                let mut ticks = tokio::time::interval(TICK);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                ticks
            },
            launcher,
            runs_tx,
            runs_rx,
            probes: crate::commands::experiment::ProbeReader::new(config),
        })
    }

    pub fn session(&self) -> &LiveSession {
        &self.session
    }

    pub fn cockpit(&self) -> &Cockpit {
        self.session.cockpit()
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// What starts `experiment run` for the experiments view (tests point it at the binary).
    pub fn launcher_mut(&mut self) -> &mut crate::commands::experiment::Launcher {
        &mut self.launcher
    }

    /// The state now, as `--headless --json` prints it.
    pub fn snapshot(&self) -> Snapshot {
        self.cockpit().snapshot()
    }

    /// A decision of the person at the cockpit; returns the notices it caused.
    pub fn command(&mut self, command: UserCommand) -> Vec<String> {
        self.session.command(command, Timestamp::now());
        self.start_executions();
        self.session.take_notices()
    }

    /// A run this cockpit started (`r`) exited: [`crate::commands::experiment::run_ended`].
    pub fn run_ended(&mut self, ended: crate::commands::experiment::RunEnded) -> Vec<Msg> {
        crate::commands::experiment::run_ended(&mut self.session, ended)
    }

    /// Runs the steps the cockpit approved, each in its own task; results come back through
    /// the executor channel.
    fn start_executions(&mut self) {
        for req in self.session.take_exec_requests() {
            let tx = self.exec_tx.clone();
            let mut cfg = self.exec.clone();
            cfg.dry_run = req.dry_run;
            let client = self.sources.alertmanager().cloned();
            let outputs = self.outputs.clone();
            tokio::spawn(async move {
                let outcome = execute(&req, &cfg, &outputs, client.as_ref()).await;
                let _ = tx.send((req.suggestion, outcome)).await;
            });
        }
    }

    /// Where the output of executed steps is kept (beside the journal file, or in memory).
    pub fn outputs(&self) -> &OutputStore {
        &self.outputs
    }

    /// Waits for the next thing to happen (a source message, an execution result, a knowledge
    /// reload or a tick) and applies it, as the terminal loop does ([`Session::wait`]). Returns
    /// false when the deadline passed first.
    async fn step(&mut self, deadline: Instant) -> bool {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return false,
            _ = Session::wait(self) => {}
        }
        for msg in Session::settle(self) {
            if let Msg::Notice(_, n) = msg {
                tracing::info!("notice: {n}");
            }
        }
        true
    }

    /// Applies source messages and ticks until `deadline` or until `stop` says so (checked
    /// after every step). Returns whether `stop` did.
    pub async fn run_until(
        &mut self,
        deadline: Instant,
        mut stop: impl FnMut(&Cockpit) -> bool,
    ) -> bool {
        // A run starts with a tick.
        self.ticks.reset_immediately();
        while self.step(deadline).await {
            if stop(self.session.cockpit()) {
                return true;
            }
        }
        self.session.tick(Timestamp::now());
        stop(self.session.cockpit())
    }

    /// Runs for a wall-clock span.
    pub async fn run_for(&mut self, span: Duration) {
        self.run_until(Instant::now() + span, |_| false).await;
    }

    /// Applies `first` and whatever else is waiting, for at most [`BATCH_TIME`], so that keys
    /// and frames get their turn during an alert storm. What waits is applied in batches of
    /// up to [`BATCH_ALERTS`] alerts (`LiveSession::handle_all`): a storm of small
    /// notifications costs one knowledge refresh a batch, not one a notification.
    fn drain(&mut self, first: SourceMsg) {
        let started = std::time::Instant::now();
        let now = Timestamp::now();
        let mut next = Some(first);
        while let Some(first) = next.take() {
            let mut alerts = events_in(&first);
            let mut batch = vec![first];
            while alerts < BATCH_ALERTS {
                match self.rx.try_recv() {
                    Ok(m) => {
                        alerts += events_in(&m);
                        batch.push(m);
                    }
                    Err(_) => break,
                }
            }
            self.session.handle_all(batch, now);
            if started.elapsed() < BATCH_TIME {
                next = self.rx.try_recv().ok();
            }
        }
    }
}

/// How many events a source message carries.
fn events_in(msg: &SourceMsg) -> usize {
    match msg {
        SourceMsg::Events { events, .. } => events.len(),
        SourceMsg::Health(_) => 0,
    }
}

/// Carries out an approved step: a silence through Alertmanager, anything else as a process.
/// A process's captured output is kept in `outputs` (durably, for a journal file) before the
/// outcome that names it is returned, so the execution record is written after its output.
pub async fn execute(
    req: &ExecRequest,
    cfg: &ExecConfig,
    outputs: &OutputStore,
    alertmanager: Option<&crate::sources::alertmanager::AlertmanagerClient>,
) -> ExecOutcome {
    if req.step.origin == crate::actions::StepOrigin::Silence {
        return if req.dry_run || cfg.dry_run {
            crate::silencer::dry_run(req, "live, dry run")
        } else {
            crate::silencer::create(alertmanager, req, Timestamp::now()).await
        };
    }
    let inv = Invocation::from_request(req);
    if cfg.dry_run {
        return crate::exec::dry_run(&inv, cfg).outcome();
    }
    let result = match crate::exec::run(&inv, cfg).await {
        Ok(r) => r,
        Err(e) => return e.outcome(),
    };
    let store = outputs.clone();
    let kept = tokio::task::spawn_blocking(move || {
        let kept = store.keep(&result);
        (result, kept)
    })
    .await;
    match kept {
        Ok((result, Ok(output))) => result.outcome_with(Some(output)),
        Ok((result, Err(e))) => {
            // The run happened and is journaled all the same; only its output is lost.
            tracing::error!("could not keep the output of {}: {e}", req.suggestion);
            let mut outcome = result.outcome();
            outcome
                .summary
                .push_str(&format!(" (output not kept: {e})"));
            outcome
        }
        // The run's result was lost with the task that kept its output (it panicked).
        Err(join) => ExecOutcome {
            ok: false,
            failure: None,
            exit_code: None,
            summary: format!("ran, but keeping its output failed: {join}"),
            duration_ms: 0,
            dry_run: false,
            output: None,
        },
    }
}

/// `flightdeck --config FILE --headless --until SPAN`: runs live for `until` of wall time (or
/// until SIGINT, SIGTERM, SIGQUIT or SIGHUP) and returns the state then, with the start-up
/// warnings. An observer ([`Live::start_observer`]) unless `journal_decisions`
/// (`--journal-decisions`): then its session and mode records go into the team journal like a
/// cockpit's.
pub async fn run_headless(
    config: &Config,
    opts: &LiveOptions,
    until: Duration,
    journal_decisions: bool,
) -> Result<(Snapshot, Vec<String>), LiveError> {
    let mut live = if journal_decisions {
        Live::start(config, opts).await?
    } else {
        Live::start_observer(config, opts).await?
    };
    let mut signals = crate::runtime::Signals::new()?;
    tokio::select! {
        _ = live.run_for(until) => {}
        ended = signals.recv() => tracing::info!("headless run ended early: {ended:?}"),
    }
    live.session.tick(Timestamp::now());
    let warnings = std::mem::take(&mut live.warnings);
    Ok((live.snapshot(), warnings))
}

/// The human form of a live snapshot (headless without `--json`).
pub fn text(s: &Snapshot) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "live at {}   mode {}   {}",
        clock_hms(s.time),
        s.mode.mode.label(),
        s.mode.reason
    );
    let _ = writeln!(out, "\nSources");
    for src in &s.sources {
        let c = &src.counts;
        let counts = if src.name == "webhook" {
            format!("{} notifications, {} alerts", c.notifications, c.alerts)
        } else {
            format!(
                "polls {} ok, {} failed; {} alerts",
                c.polls_ok, c.polls_failed, c.alerts
            )
        };
        let _ = writeln!(
            out,
            "  {:<13} {:<6} last ok {}   {counts}{}",
            src.name,
            format!("{:?}", src.state).to_lowercase(),
            src.last_ok.map_or("never".to_string(), clock_hms),
            src.last_error
                .as_deref()
                .map(|e| format!("   last error {e}"))
                .unwrap_or_default()
        );
    }
    out.push_str(&s.body_text());
    out
}

/// The live cockpit as the terminal loop runs it (`crate::runtime::run`): sources, executions
/// and knowledge reloads arrive through [`Session::wait`]; the frame tick only draws what they
/// changed.
impl Session for Live {
    fn cockpit(&self) -> &Cockpit {
        self.session.cockpit()
    }

    async fn wait(&mut self) -> Vec<Msg> {
        tokio::select! {
            msg = self.rx.recv(), if !self.closed => match msg {
                Some(m) => self.drain(m),
                None => self.closed = true,
            },
            Some((id, outcome)) = self.exec_rx.recv() => {
                self.session.executed(id, outcome, Timestamp::now());
            }
            Some(reloaded) = self.knowledge_rx.recv() => {
                self.session.reload_knowledge(reloaded, Timestamp::now());
            }
            Some(ended) = self.runs_rx.recv() => return self.run_ended(ended),
            Some((read, at)) = self.probes.recv() => return vec![Msg::ProbeReadings(read, at)],
            _ = self.ticks.tick() => {
                self.session.tick(Timestamp::now());
                return vec![Msg::Tick(None)];
            }
        }
        Vec::new()
    }

    fn frame(&mut self) -> (Vec<Msg>, bool) {
        // Source updates are drawn at the frame rate, keys at once.
        (Vec::new(), false)
    }

    fn command(&mut self, command: Command) -> Vec<Msg> {
        match command {
            Command::Decide(decision) => {
                self.command(decision).into_iter().map(Msg::warn).collect()
            }
            Command::StartExperiment {
                path,
                title,
                experiment,
            } => {
                // Nothing starts unless this cockpit may write decisions.
                if self.cockpit().config().readonly {
                    return vec![Msg::warn(
                        "read-only cockpit: starting an experiment is disabled (--readonly)",
                    )];
                }
                let digest = Some(experiment.digest());
                match self
                    .launcher
                    .launch(&path, &title, digest, self.runs_tx.clone())
                {
                    Ok(said) => vec![Msg::info(said)],
                    Err(why) => vec![Msg::warn(format!("experiment not started: {why}"))],
                }
            }
            Command::TogglePause | Command::SetSpeed(_) | Command::Seek(_) | Command::Debrief => {
                vec![Msg::info(
                    "live: the cockpit runs on the wall clock; pause, speed and seek are for replay",
                )]
            }
            Command::Quit
            | Command::Draw
            | Command::Suspend
            | Command::Bell
            | Command::Copy { .. }
            | Command::Open { .. } => Vec::new(),
        }
    }

    fn settle(&mut self) -> Vec<Msg> {
        self.start_executions();
        // Every notice, in order (the status line shows the newest, the log keeps them all).
        self.session
            .take_notices()
            .into_iter()
            .map(Msg::info)
            .collect()
    }

    fn load(&mut self, app: &App) -> Vec<Msg> {
        // The experiments view's Prometheus probes, read by a task (at most every 5s).
        self.probes
            .want(tui::overlays::experiment::wanted_queries(app));
        // Output the open viewer shows, read (and hashed) from where it is kept.
        tui::overlays::output::wanted(app, self.cockpit())
            .into_iter()
            .map(|object| {
                let loaded = self.outputs.get(&object).map_err(|e| e.to_string());
                Msg::Output(object, loaded)
            })
            .collect()
    }
}

/// `flightdeck --config FILE`: the cockpit in the terminal until the user quits (or a signal
/// ends it: SIGTERM, SIGINT, SIGQUIT, SIGHUP).
pub async fn run_tui(config: &Config, opts: &LiveOptions) -> color_eyre::Result<()> {
    let mut live = Live::start(config, opts).await?;
    let start: Vec<Msg> = live
        .warnings
        .first()
        .map(|w| {
            Msg::warn(format!(
                "{} warning(s) at start; first: {w}",
                live.warnings.len()
            ))
        })
        .into_iter()
        .collect();
    let app = App {
        experiments: crate::commands::experiment::catalog_live(config, opts.journal.as_deref()),
        alertmanager: config.alertmanager.as_ref().map(|a| a.url.to_string()),
        ..App::default()
    };
    crate::runtime::run(&mut live, app, start).await?;
    // Every record was appended (and fdatasync'ed) as it was sealed: nothing is left to write.
    Ok(())
}
