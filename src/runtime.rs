//! The one event loop of the terminal cockpit, for replay and live alike. It owns the terminal,
//! the frame tick and the signals; a [`Session`] (the replay's [`ReplayRun`] here, live mode's
//! `live::Live`) owns its clock, its sources and its journal. Everything that happens
//! becomes a [`Msg`]; [`tui::handle`] is the only writer of the [`App`] and answers with
//! [`Command`]s, which go back to the session (decisions, replay controls) or to the loop
//! (quit, draw, suspend).
//!
//! ```text
//!  keys ─ keymap ─► Msg::Action ─┐
//!  terminal resize ─► Msg::Resize ├─► tui::handle(app, msg, cockpit) ─► Command ─┬─► Session::command
//!  frame tick ─► Session::frame ─┤                                              ├─► Draw: render
//!  session sources ─► Session::wait (notices, ticks)                             └─► Quit
//!  SIGTERM / SIGINT / SIGHUP / SIGQUIT ─► restore the terminal, keep the journal, exit 0
//!  Ctrl-Z ─► Command::Suspend ─► terminal restored, SIGTSTP; on `fg` set up and drawn again
//! ```
//!
//! Size: about 670 lines, over the ~600 guide — the loop and the replay's `Session` (`ReplayRun`)
//! share the signal and suspend handling; `ReplayRun` is the candidate to move out next.

use std::collections::VecDeque;
use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::clock::VirtualClock;
use crate::cockpit::{Cockpit, CockpitConfig};
use crate::commands::training::{keep_journal, report_journal};
use crate::knowledge_watch::Reloaded;
use crate::load::LoadedScenario;
use crate::replay::ReplaySession;
use crate::session_journal::{SessionJournal, SessionKind};
use crate::time::{SignedDuration, Timestamp};
use crate::training::Guide;
use crate::tui::{self, App, Command, Msg, ReplayStatus};

/// How often a frame is due (replay: the virtual clock advances then).
pub const FRAME: Duration = Duration::from_millis(100);

/// What the loop runs: a replayed scenario or the live cockpit.
#[allow(async_fn_in_trait)] // used by this crate's loop only, never across threads
pub trait Session {
    /// The domain state the UI reads.
    fn cockpit(&self) -> &Cockpit;
    /// Waits for what the session's own sources deliver (source messages, execution results,
    /// knowledge reloads, its ticks) and applies it. Cancel-safe: nothing is taken from a
    /// source unless it is applied in the same poll.
    async fn wait(&mut self) -> Vec<Msg>;
    /// A frame is due. Returns what to tell the UI, and whether the view moved without any
    /// message saying so (replay: the clock ran), so that the frame is drawn.
    fn frame(&mut self) -> (Vec<Msg>, bool);
    /// Carries out a command of the UI (a decision, a replay control); `Quit`, `Draw` and
    /// `Suspend` are the loop's and never reach here.
    fn command(&mut self, command: Command) -> Vec<Msg>;
    /// After every pass of the loop: what the session owes the edge (replay keeps its journal
    /// on disk; live starts approved executions) and what it has to say.
    fn settle(&mut self) -> Vec<Msg>;
    /// Before a frame: what the view asks the edge to read (the output viewer's step output).
    fn load(&mut self, _app: &App) -> Vec<Msg> {
        Vec::new()
    }
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The person quit (`q`, Ctrl-C as a key).
    Quit,
    /// SIGTERM, SIGINT or SIGQUIT.
    Signal(&'static str),
    /// SIGHUP, or the terminal's input failed or ended: the window is gone, so nothing more is
    /// written to it.
    HungUp,
    /// Ctrl-Z: the loop stops for the shell's job control and [`run`] starts it again on `fg`.
    Suspended,
}

impl Ended {
    /// May the terminal still be written to (the journal's path, the printed debrief)?
    pub fn terminal_left(self) -> bool {
        self != Ended::HungUp
    }
}

/// The signals that end the cockpit cleanly: the terminal restored, the journal kept.
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
    quit: Signal,
}

impl Signals {
    pub fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
            quit: signal(SignalKind::quit())?,
        })
    }

    /// The next of them to arrive.
    pub async fn recv(&mut self) -> Ended {
        tokio::select! {
            _ = self.term.recv() => Ended::Signal("SIGTERM"),
            _ = self.int.recv() => Ended::Signal("SIGINT"),
            _ = self.quit.recv() => Ended::Signal("SIGQUIT"),
            _ = self.hup.recv() => Ended::HungUp,
        }
    }
}

/// Runs `session` in the terminal until the person quits, a signal ends it or the terminal
/// goes away; the terminal is restored in every case (a panic too: `ratatui::init`'s hook, installed by [`screen`]).
/// `start` are the first messages (start-up warnings).
pub async fn run<S: Session>(
    session: &mut S,
    mut app: App,
    mut start: Vec<Msg>,
) -> color_eyre::Result<Ended> {
    let mut signals = Signals::new()?;
    let mut terminal = screen()?;
    // Clicks and the wheel, unless `[ui] mouse = false` (capture keeps the terminal's own text
    // selection from working; most terminals still select with Shift held).
    let mouse = tui::theme::mouse();
    if mouse && let Err(e) = crate::terminal::mouse(true) {
        tracing::warn!("could not turn mouse reporting on: {e}");
    }
    let mut ended = std::pin::pin!(async move { signals.recv().await });
    let result = loop {
        let result = run_in(
            &mut terminal,
            EventStream::new(),
            ended.as_mut(),
            session,
            &mut app,
            std::mem::take(&mut start),
        )
        .await;
        if let Ok(Ended::Suspended) = result {
            if let Err(e) = suspend(&mut terminal, mouse) {
                break Err(e.into());
            }
            continue;
        }
        break result;
    };
    // Restored by hand, errors logged: the terminal's own Drop would print a failure to show
    // the cursor on stderr, and stderr on a terminal that is gone fails (a panic in a drop).
    let mouse_off = if mouse {
        crate::terminal::mouse(false)
    } else {
        Ok(())
    };
    let shown = terminal.show_cursor();
    let restored = ratatui::try_restore();
    std::mem::forget(terminal);
    let result = match result {
        // Drawing or reading failed because the terminal went away (the window closed before
        // the SIGHUP arrived): an end like the hangup, not an error to report on it.
        Err(e) if terminal_gone(&e) => {
            tracing::warn!("the terminal went away: {e}");
            Ok(Ended::HungUp)
        }
        other => other,
    };
    if let Ok(ended) = &result {
        tracing::info!("cockpit ended: {ended:?}");
        if ended.terminal_left() {
            for e in [mouse_off.err(), shown.err(), restored.err()]
                .into_iter()
                .flatten()
            {
                tracing::warn!("could not restore the terminal: {e}");
            }
        }
    }
    result
}

/// The cockpit's terminal. Frames go out through one large buffer flushed once per frame, so a
/// frame reaches the terminal in one write, not in the 1 KiB pieces of the standard output's
/// line buffer (between which a terminal, or tmux, can show a frame half drawn).
type Screen =
    ratatui::Terminal<ratatui::backend::CrosstermBackend<std::io::BufWriter<std::io::Stdout>>>;

/// Raw mode, the alternate screen and the panic hook that restores them (`ratatui::init`),
/// then the buffered [`Screen`].
fn screen() -> std::io::Result<Screen> {
    drop(ratatui::init());
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(
        std::io::BufWriter::with_capacity(1 << 18, std::io::stdout()),
    ))
}

/// Ctrl-Z: the terminal restored, the process stopped (SIGTSTP, as the shell's job control
/// expects); on SIGCONT (`fg`) raw mode and the alternate screen again, and a full redraw.
fn suspend(terminal: &mut Screen, mouse: bool) -> std::io::Result<()> {
    if mouse {
        crate::terminal::mouse(false)?;
    }
    terminal.show_cursor()?;
    ratatui::try_restore()?;
    // SAFETY: raise(3) sends a signal to this process; SIGTSTP's default action stops it
    // (nothing here handles SIGTSTP) until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    if mouse {
        crate::terminal::mouse(true)?;
    }
    // The last frame forgotten, so the next draws in full (`Terminal::clear` would ask the
    // terminal where its cursor is, racing the event reader for the answer).
    terminal.swap_buffers();
    Ok(())
}

/// Is this the error of a terminal that is gone (hung up, closed)?
fn terminal_gone(e: &color_eyre::Report) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| {
            matches!(
                io.raw_os_error(),
                Some(libc::EIO | libc::ENXIO | libc::ENOTTY | libc::EBADF)
            ) || io.kind() == std::io::ErrorKind::BrokenPipe
        })
}

/// The loop itself, on any terminal backend and event stream (tests drive it on ratatui's
/// `TestBackend` with scripted events); `signal` resolves when a signal ends the cockpit.
pub async fn run_in<B, K, S>(
    terminal: &mut ratatui::Terminal<B>,
    mut keys: K,
    mut signal: std::pin::Pin<&mut impl std::future::Future<Output = Ended>>,
    session: &mut S,
    app: &mut App,
    start: Vec<Msg>,
) -> color_eyre::Result<Ended>
where
    B: ratatui::backend::Backend,
    B::Error: Send + Sync + 'static,
    K: futures::Stream<Item = std::io::Result<TermEvent>> + Unpin,
    S: Session,
{
    let mut frames = tokio::time::interval(FRAME);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let size = terminal.size()?;
    let mut queue: VecDeque<Msg> = VecDeque::from(start);
    queue.push_front(Msg::Resize {
        width: size.width,
        height: size.height,
    });
    // Something changed since the last frame; a key or a resize draws at once, what sources
    // deliver waits for the next frame tick.
    let mut dirty = true;
    let mut draw_now = true;
    loop {
        // Checked in this order, not at random: a person's key is never kept waiting behind a
        // storm's batches (the session is ready all through one), and frames are drawn while
        // it lasts (benches/keys.rs measures key → frame).
        tokio::select! {
            biased;
            ended = &mut signal => return Ok(ended),
            maybe = keys.next() => match maybe {
                None => return Ok(Ended::HungUp),
                Some(Err(e)) => {
                    tracing::warn!("terminal input failed ({e}): the terminal is gone");
                    return Ok(Ended::HungUp);
                }
                Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                    if let Some(action) = tui::handle_key(app, key) {
                        queue.push_back(Msg::Action(action));
                    }
                    dirty = true;
                    draw_now = true;
                }
                Some(Ok(TermEvent::Mouse(mouse))) => {
                    if let Some(mouse) = tui::mouse::from_event(&mouse) {
                        queue.push_back(Msg::Mouse(mouse));
                        dirty = true;
                        draw_now = true;
                    }
                }
                Some(Ok(TermEvent::Resize(width, height))) => {
                    queue.push_back(Msg::Resize { width, height });
                    dirty = true;
                    draw_now = true;
                }
                Some(Ok(_)) => {}
            },
            _ = frames.tick() => {
                let (msgs, moved) = session.frame();
                queue.extend(msgs);
                // A flashing header is drawn every frame until the flash ends.
                dirty |= moved || app.attention.flashing();
                draw_now = true;
            }
            msgs = session.wait() => {
                queue.extend(msgs);
                dirty = true;
            }
        }
        // Every message in order; the commands they give are carried out before the next.
        // Then the session settles (its journal on disk, executions started) and says so.
        if let Err(ended) = drain(&mut queue, app, session) {
            return Ok(ended);
        }
        queue.extend(session.settle());
        if let Err(ended) = drain(&mut queue, app, session) {
            return Ok(ended);
        }
        if dirty && draw_now {
            queue.extend(session.load(app));
            queue.push_back(Msg::Render);
            let draw = match drain(&mut queue, app, session) {
                Ok(draw) => draw,
                Err(ended) => return Ok(ended),
            };
            if draw {
                let view = session.cockpit();
                terminal.draw(|frame| tui::render(app, view, frame))?;
            }
            dirty = false;
            draw_now = false;
        }
    }
}

/// Hands every queued message to `update`; the session carries out the commands it gives (and
/// what they say is queued behind). `Err` when the loop is to end (quit, suspend); `Ok(true)`
/// when a frame is to be drawn.
fn drain<S: Session>(
    queue: &mut VecDeque<Msg>,
    app: &mut App,
    session: &mut S,
) -> Result<bool, Ended> {
    let mut draw = false;
    while let Some(msg) = queue.pop_front() {
        for command in tui::handle(app, msg, session.cockpit()) {
            match command {
                Command::Quit => return Err(Ended::Quit),
                Command::Suspend => return Err(Ended::Suspended),
                Command::Draw => draw = true,
                Command::Bell => crate::terminal::ring_bell(),
                Command::Copy { text, what } => {
                    queue.push_back(crate::terminal::copy(&text, &what))
                }
                Command::Open { url, what } => queue.push_back(crate::terminal::open(&url, &what)),
                other => queue.extend(session.command(other)),
            }
        }
    }
    Ok(draw)
}

/// A scenario replayed in the terminal: the session, its virtual clock, the guide (decision
/// stops, the debrief at the end), and the session's journal on disk.
pub struct ReplayRun {
    session: ReplaySession,
    clock: VirtualClock,
    guide: Guide,
    /// The scenario as loaded, reference decisions included (the debrief's reference).
    original: crate::training::Scenario,
    knowledge: crate::knowledge::KnowledgeBase,
    kind: SessionKind,
    keep: Option<SessionJournal>,
    kept: color_eyre::Result<()>,
    reloads: tokio::sync::mpsc::Receiver<Reloaded>,
    /// The experiment runs started with `r`: part of the replay's journal as the clock moves.
    runs: crate::commands::experiment::ReplayRuns,
}

impl ReplayRun {
    fn end(&self) -> Timestamp {
        self.session.scenario().end()
    }

    fn status(&self) -> ReplayStatus {
        ReplayStatus {
            speed: self.clock.speed(),
            paused: self.clock.paused(),
            ends_at: self.end(),
            finished: self.session.finished(),
            at: self.session.position(),
        }
    }

    /// The debrief of the decisions so far, for the UI.
    fn debrief(&self) -> Msg {
        debrief_msg(&self.original, &self.knowledge, &self.session)
    }
}

/// The debrief of `session`'s decisions so far against `original`'s reference ones, as a
/// message for the UI (a warning when the scenario has no reference). A trainee in the middle
/// of a drill sees no spoilers until they ask (Enter).
pub fn debrief_msg(
    original: &crate::training::Scenario,
    knowledge: &crate::knowledge::KnowledgeBase,
    session: &ReplaySession,
) -> Msg {
    let at = session.position();
    match crate::training::guide::debrief_at(original, knowledge, session.records(), at) {
        Ok(debrief) => Msg::Debrief {
            debrief: Box::new(debrief),
            at,
            trainee: session.cockpit().config().role == crate::actions::Role::Trainee,
        },
        Err(why) => Msg::warn(why),
    }
}

/// Scores the decisions taken so far and shows the scorecard, as `R` does (through `update`).
pub fn show_debrief(
    app: &mut App,
    original: &crate::training::Scenario,
    knowledge: &crate::knowledge::KnowledgeBase,
    session: &ReplaySession,
) {
    tui::handle(
        app,
        debrief_msg(original, knowledge, session),
        session.cockpit(),
    );
}

impl Session for ReplayRun {
    fn cockpit(&self) -> &Cockpit {
        self.session.cockpit()
    }

    async fn wait(&mut self) -> Vec<Msg> {
        // A scenario's runbooks and postmortems are loaded again when they change on disk.
        let Some(reloaded) = self.reloads.recv().await else {
            // The watcher stopped: nothing more comes from here.
            return std::future::pending().await;
        };
        let text = reloaded.summary();
        for e in &reloaded.errors {
            tracing::warn!("knowledge reload skipped {e}");
        }
        for notice in self.session.replace_knowledge(reloaded.knowledge) {
            tracing::info!("{notice}");
        }
        vec![Msg::info(text)]
    }

    fn frame(&mut self) -> (Vec<Msg>, bool) {
        let step = self.guide.advance(self.clock.now(), self.clock.paused());
        if step.pause {
            self.clock.seek(step.at);
            self.clock.set_paused(true);
        }
        self.session.advance_to(step.at);
        let mut msgs: Vec<Msg> = step.message().map(Msg::info).into_iter().collect();
        if step.debrief {
            msgs.push(self.debrief());
        }
        (msgs, true)
    }

    fn command(&mut self, command: Command) -> Vec<Msg> {
        let end = self.end();
        match command {
            Command::TogglePause => {
                self.clock.set_paused(!self.clock.paused());
                // The session catches up with the clock at once, so the time shown when paused
                // is the time it stays at.
                self.session.advance_to(self.clock.now().min(end));
            }
            Command::SetSpeed(s) => self.clock.set_speed(s),
            Command::Seek(by) => {
                let to = seek_target(self.clock.now(), by, self.session.scenario().start, end);
                self.session.seek(to);
                self.runs.seeked(&self.session);
                self.clock.seek(to);
                self.guide.seeked(to);
            }
            Command::Debrief => {
                self.session.advance_to(self.clock.now().min(end));
                return vec![self.debrief()];
            }
            Command::Decide(decision) => {
                // In replay a decision lands at the current virtual time, in the replay's own
                // journal; executions are dry runs.
                self.session.advance_to(self.clock.now().min(end));
                let mut msgs: Vec<Msg> = self
                    .session
                    .command(decision)
                    .into_iter()
                    .map(Msg::warn)
                    .collect();
                // A halt of a run started here stops it at its next watch.
                match self
                    .runs
                    .halts(&mut self.session, &self.original, &self.knowledge)
                {
                    Ok(notices) => msgs.extend(notices.into_iter().map(Msg::info)),
                    Err(e) => msgs.push(Msg::warn(format!("experiment not halted: {e}"))),
                }
                return msgs;
            }
            Command::StartExperiment {
                title, experiment, ..
            } => {
                // A dry run on the replay's clock from now, computed ahead and journaled as the
                // clock reaches each record: nothing real runs.
                self.session.advance_to(self.clock.now().min(end));
                return match self.runs.start(
                    &mut self.session,
                    &self.original,
                    &self.knowledge,
                    &experiment,
                ) {
                    Ok(started) if started.run.is_some() => vec![Msg::info(started.notice)],
                    Ok(started) => vec![Msg::warn(started.notice)],
                    Err(e) => vec![Msg::warn(format!(
                        "experiment \"{title}\" not started: {e}"
                    ))],
                };
            }
            Command::Quit
            | Command::Draw
            | Command::Suspend
            | Command::Bell
            | Command::Copy { .. }
            | Command::Open { .. } => {}
        }
        Vec::new()
    }

    fn settle(&mut self) -> Vec<Msg> {
        let mut msgs = Vec::new();
        // What the session sealed since the last pass goes to disk before it is drawn.
        let now_kept = keep_journal(self.keep.as_mut(), self.session.records());
        if let Err(e) = &now_kept
            && self.kept.is_ok()
        {
            msgs.push(Msg::warn(format!(
                "{} journal not written: {e}",
                self.kind.label()
            )));
        }
        self.kept = now_kept;
        // The replay status the UI shows follows the clock.
        msgs.push(Msg::Tick(Some(self.status())));
        msgs
    }
}

/// Replays a scenario in the terminal until the user quits (or a signal ends it).
pub async fn run_replay_tui(
    loaded: LoadedScenario,
    speed: f64,
    config: CockpitConfig,
    guided: bool,
) -> color_eyre::Result<()> {
    let mut start = Vec::new();
    for e in &loaded.doc_errors {
        tracing::warn!("skipped document: {e}");
    }
    if let Some(e) = loaded.doc_errors.first() {
        start.push(Msg::warn(format!(
            "{} document(s) skipped; first: {e}",
            loaded.doc_errors.len()
        )));
    }
    // A trainee plays the incident without the responders' decisions (they are the debrief's
    // reference); everyone else watches them replayed.
    let trainee = config.role == crate::actions::Role::Trainee;
    let original = loaded.scenario.clone();
    let experiments = crate::commands::experiment::catalog_replay(&loaded);
    // The session's journal is kept in the data directory as it happens: a trainee's in
    // training/, anyone else's in replays/ (never the team's journal).
    let kind = if trainee {
        SessionKind::Training
    } else {
        SessionKind::Replay
    };
    let mut keep = SessionJournal::in_data_dir(kind, &original.id);
    let journal_id = keep.as_ref().map_or_else(
        || format!("{}:{}", kind.label(), original.id),
        |k| k.journal_id().to_string(),
    );
    let session = if trainee {
        crate::training::drill::training_session_with_id(
            &loaded.scenario,
            loaded.knowledge.clone(),
            config,
            journal_id,
        )
    } else {
        ReplaySession::with_journal_id(
            loaded.scenario,
            loaded.knowledge.clone(),
            config,
            journal_id,
        )
    };
    let kept = keep_journal(keep.as_mut(), session.records());
    if let Err(e) = &kept {
        start.push(Msg::warn(format!("{} journal not kept: {e}", kind.label())));
    }
    let clock = VirtualClock::new(session.scenario().start, speed);
    // A scenario's runbooks and postmortems are loaded again when they change on disk (a
    // runbook author can replay an incident against the runbook being written).
    let reloads = crate::knowledge_watch::spawn(crate::knowledge_watch::KnowledgeWatcher::new(
        loaded.knowledge_dirs.clone(),
    ));
    let mut replay = ReplayRun {
        guide: Guide::new(&original, guided, trainee),
        session,
        clock,
        original,
        knowledge: loaded.knowledge,
        kind,
        keep,
        kept,
        reloads,
        runs: Default::default(),
    };
    let mut app = App {
        experiments,
        ..App::default()
    };
    if trainee {
        // The drill waits while its briefing is read; closing the briefing starts the clock.
        replay.clock.set_paused(true);
        app.recorded = replay.original.outputs.clone();
        let actor = replay.session.cockpit().config().actor.clone();
        start.push(Msg::Briefing(crate::training::briefing(
            &replay.original,
            &actor,
        )));
    }
    start.push(Msg::Tick(Some(replay.status())));
    let result = run(&mut replay, app, start).await;
    // The records of the last pass (a decision just before quitting).
    let kept = keep_journal(replay.keep.as_mut(), replay.session.records());
    let ended = result?;
    if !ended.terminal_left() {
        // Nobody is there to read it; the journal is kept all the same.
        if let Err(e) = kept {
            tracing::error!("{} journal not (completely) written: {e}", kind.label());
        }
        return Ok(());
    }
    // Where the session's journal is, once the terminal is back.
    report_journal(kind, replay.keep.as_ref(), kept);
    if trainee {
        // The drill's debrief, printed for the record.
        let debrief = crate::training::debrief(
            &replay.original,
            &replay.knowledge,
            replay.session.records(),
            &[],
            replay.session.position(),
        );
        print!("{}", crate::sanitize::for_terminal(&debrief.to_text()));
    }
    Ok(())
}

fn seek_target(now: Timestamp, by: SignedDuration, start: Timestamp, end: Timestamp) -> Timestamp {
    (now + by).clamp(start, end)
}
