//! The one event loop: it owns the terminal, the clock and every task, feeds events to the
//! core and draws frames. Nothing else spawns tasks that touch state.

use std::time::Duration;

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::clock::VirtualClock;
use crate::cockpit::CockpitConfig;
use crate::commands::training::{keep_journal, report_journal};
use crate::load::LoadedScenario;
use crate::replay::ReplaySession;
use crate::session_journal::{SessionJournal, SessionKind};
use crate::time::{SignedDuration, Timestamp};
use crate::tui::{self, App, Command, ReplayStatus};

/// How often virtual time is advanced and a frame drawn.
const FRAME: Duration = Duration::from_millis(100);

/// Replays a scenario in the terminal until the user quits (or SIGTERM / SIGINT).
pub async fn run_replay_tui(
    loaded: LoadedScenario,
    speed: f64,
    config: CockpitConfig,
    guided: bool,
) -> color_eyre::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut app = App::default();
    for e in &loaded.doc_errors {
        tracing::warn!("skipped document: {e}");
    }
    if let Some(e) = loaded.doc_errors.first() {
        app.warn(format!(
            "{} document(s) skipped; first: {e}",
            loaded.doc_errors.len()
        ));
    }
    // A trainee plays the incident without the responders' decisions (they are the debrief's
    // reference); everyone else watches them replayed.
    let trainee = config.role == crate::actions::Role::Trainee;
    let original = loaded.scenario.clone();
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
    let mut session = if trainee {
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
    let mut kept = keep_journal(keep.as_mut(), session.records());
    if let Err(e) = &kept {
        app.warn(format!("{} journal not kept: {e}", kind.label()));
    }
    let start = session.scenario().start;
    let end = session.scenario().end();
    let mut clock = VirtualClock::new(start, speed);
    // A scenario's runbooks and postmortems are loaded again when they change on disk (a
    // runbook author can replay an incident against the runbook being written).
    let mut reloads = crate::knowledge_watch::spawn(crate::knowledge_watch::KnowledgeWatcher::new(
        loaded.knowledge_dirs.clone(),
    ));
    // Decision points still ahead, for `--guided` drills.
    let mut stops: Vec<crate::time::Timestamp> = if guided {
        crate::training::decision_times(&original)
    } else {
        Vec::new()
    };

    // The debrief opens by itself once, when a trainee's drill reaches its end.
    let mut debriefed = false;

    // ratatui::init installs a panic hook that restores the terminal before the report.
    let mut terminal = ratatui::init();
    let mut keys = EventStream::new();
    let mut frames = tokio::time::interval(FRAME);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let result: color_eyre::Result<()> = async {
        'run: loop {
            tokio::select! {
                maybe = keys.next() => {
                    let Some(event) = maybe else { break 'run };
                    if let TermEvent::Key(key) = event? {
                        if key.kind != KeyEventKind::Press {
                            continue;
                        }
                        let Some(action) = tui::handle_key(&app, key) else { continue };
                        for command in tui::update(&mut app, action, session.cockpit()) {
                            match command {
                                Command::Quit => break 'run,
                                Command::TogglePause => {
                                    clock.set_paused(!clock.paused());
                                    // The session catches up with the clock at once, so the
                                    // time shown when paused is the time it stays at.
                                    session.advance_to(clock.now().min(end));
                                }
                                Command::SetSpeed(s) => clock.set_speed(s),
                                Command::Seek(by) => {
                                    let to = seek_target(clock.now(), by, start, end);
                                    session.seek(to);
                                    clock.seek(to);
                                    if guided {
                                        stops = crate::training::decision_times(&original)
                                            .into_iter()
                                            .filter(|t| *t > to)
                                            .collect();
                                    }
                                }
                                Command::Debrief => {
                                    session.advance_to(clock.now().min(end));
                                    show_debrief(&mut app, &original, &loaded.knowledge, &session);
                                }
                                Command::Decide(decision) => {
                                    // In replay a decision lands at the current virtual time,
                                    // in the replay's own journal; executions are dry runs.
                                    session.advance_to(clock.now().min(end));
                                    for notice in session.command(decision) {
                                        app.warn(notice);
                                    }
                                }
                            }
                        }
                    }
                }
                _ = frames.tick() => {
                    let mut now = clock.now();
                    // Guided drill: stop the clock at each moment the real responders decided
                    // something, and ask.
                    if let Some(&point) = stops.first()
                        && now >= point
                        && !clock.paused()
                    {
                        stops.remove(0);
                        clock.seek(point);
                        clock.set_paused(true);
                        now = point;
                        app.info(format!(
                            "decision point at {}: the responders decided something here. What would you do? (space resumes)",
                            crate::time::clock_hms(point)
                        ));
                    }
                    let reached_end = now >= end && !clock.paused();
                    if reached_end {
                        clock.seek(end);
                        clock.set_paused(true);
                    }
                    session.advance_to(now.min(end));
                    // The end of a drill: the trainee sees the debrief at once.
                    if reached_end && trainee && !debriefed {
                        debriefed = true;
                        show_debrief(&mut app, &original, &loaded.knowledge, &session);
                    }
                }
                Some(reloaded) = reloads.recv() => {
                    let text = reloaded.summary();
                    for e in &reloaded.errors {
                        tracing::warn!("knowledge reload skipped {e}");
                    }
                    for notice in session.replace_knowledge(reloaded.knowledge) {
                        tracing::info!("{notice}");
                    }
                    app.info(text);
                }
                _ = sigterm.recv() => break 'run,
                _ = sigint.recv() => break 'run,
            }
            // What the session sealed since the last pass goes to disk before it is drawn.
            let now_kept = keep_journal(keep.as_mut(), session.records());
            if let Err(e) = &now_kept
                && kept.is_ok()
            {
                app.warn(format!("{} journal not written: {e}", kind.label()));
            }
            kept = now_kept;
            app.replay = Some(ReplayStatus {
                speed: clock.speed(),
                paused: clock.paused(),
                ends_at: end,
                finished: session.finished(),
                at: session.position(),
            });
            let area = terminal.size()?;
            app.size = (area.width, area.height);
            tui::refresh(&mut app, session.cockpit());
            terminal.draw(|frame| tui::render(&app, session.cockpit(), frame))?;
        }
        Ok(())
    }
    .await;
    // The records of the last pass (a decision just before quitting).
    let kept = keep_journal(keep.as_mut(), session.records());
    ratatui::restore();
    // Where the session's journal is, once the terminal is back.
    report_journal(kind, keep.as_ref(), kept);
    if trainee {
        // The drill's debrief, printed for the record.
        let debrief = crate::training::debrief(
            &original,
            &loaded.knowledge,
            session.records(),
            &[],
            session.position(),
        );
        print!("{}", crate::sanitize::for_terminal(&debrief.to_text()));
    }
    result
}

/// Scores the decisions taken so far against the scenario's reference and shows the scorecard
/// (`R`, and by itself at the end of a trainee's drill).
pub fn show_debrief(
    app: &mut App,
    original: &crate::training::Scenario,
    knowledge: &crate::knowledge::KnowledgeBase,
    session: &ReplaySession,
) {
    if original.reference_decisions().next().is_none() {
        app.warn("this scenario records no reference decisions: there is nothing to score against");
        return;
    }
    let debrief = crate::training::debrief(
        original,
        knowledge,
        session.records(),
        &[],
        session.position(),
    );
    // A trainee in the middle of a drill sees no spoilers until they ask (Enter).
    let trainee = session.cockpit().config().role == crate::actions::Role::Trainee;
    match tui::overlays::report::debrief(&debrief, session.position(), trainee) {
        Ok(report) => tui::overlays::report::open(app, report),
        Err(nothing) => app.info(nothing),
    }
}

fn seek_target(now: Timestamp, by: SignedDuration, start: Timestamp, end: Timestamp) -> Timestamp {
    (now + by).clamp(start, end)
}
