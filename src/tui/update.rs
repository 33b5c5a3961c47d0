//! `update`: applies one [`Action`] to the [`App`] and returns the [`Command`]s the runtime must
//! carry out. It never blocks and never reaches outside the UI state; the cockpit is read only
//! (list lengths, what a decision is about). Decisions leave as `Command::Decide`.

use super::action::Action;
use super::app::{App, Draft, NoteKind, Overlay, Page, Pane};
use super::command::Command;
use super::line_input::LineInput;
use super::message::Msg;
use super::overlays::{budget_chart, confirm, filter, help, palette, read, report, search, write};
use super::panes::{self, Move};
use crate::clock::SPEEDS;
use crate::cockpit::{Cockpit, SuggestionStatus};
use crate::time::SignedDuration;

/// How far `[` and `]` move the replay clock.
pub const SEEK_STEP: SignedDuration = SignedDuration::from_mins(5);

/// Applies one message to the [`App`]: the only place the UI state changes. Keys go on to
/// [`update`]; what the runtime reports (time, frames, size, notices, errors, a debrief, loaded
/// step output) is written here.
pub fn handle(app: &mut App, msg: Msg, view: &Cockpit) -> Vec<Command> {
    match msg {
        Msg::Action(action) => return update(app, action, view),
        Msg::Tick(replay) => app.replay = replay,
        Msg::Render => {
            super::refresh(app, view);
            app.attention.frame();
            if app.attention.observe(view) {
                return vec![Command::Bell, Command::Draw];
            }
            return vec![Command::Draw];
        }
        Msg::Resize { width, height } => {
            return update(app, Action::Resize { width, height }, view);
        }
        Msg::Notice(level, text) => app.say(level, text),
        Msg::Error(text) => app.error(text),
        Msg::Debrief {
            debrief,
            at,
            trainee,
        } => match report::debrief(&debrief, at, trainee) {
            Ok(shown) => report::open(app, shown),
            Err(nothing) => app.info(nothing),
        },
        Msg::Output(object, loaded) => app.outputs.insert(&object, loaded),
        Msg::Mouse(mouse) => return super::mouse::handle(app, mouse, view),
        Msg::Briefing(text) => report::briefing(app, &text),
        Msg::ProbeReadings(read, at) => {
            for (query, value) in read {
                app.experiments.readings.insert(query, (value, at));
            }
        }
    }
    Vec::new()
}

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    if let Action::Resize { width, height } = action {
        app.size = (width, height);
        return Vec::new();
    }
    if action == Action::Suspend {
        return vec![Command::Suspend];
    }
    // The message answered the previous key; this key is a new question.
    app.status = None;
    // Lists reordered since the last frame: the cursor stays on what it was on.
    super::view::refresh(app, view);
    keep_selections(app, view);
    // The quit confirmation is answered first: `y` quits, anything else stays as it was.
    if app.quit_asked.take().is_some() {
        if action == Action::Confirm {
            return vec![Command::Quit];
        }
        app.info("not quitting: carry on");
        return Vec::new();
    }
    if action == Action::Quit {
        if let Some(why) = quit_pending(app, view) {
            app.quit_asked = Some(why);
            return Vec::new();
        }
        return vec![Command::Quit];
    }
    // Copy and open: from the panes and from what is being read.
    if super::share::is_share(action) && matches!(app.overlay, Overlay::None | Overlay::Read { .. })
    {
        return super::share::update(app, action, view);
    }
    match app.overlay {
        Overlay::None => {}
        Overlay::Help { .. } => {
            if let Some(commands) = help::update(app, action) {
                return commands;
            }
        }
        Overlay::BudgetChart => {
            if let Some(commands) = budget_chart::update(app, action) {
                return commands;
            }
        }
        Overlay::Palette { .. } => return palette::update(app, action, view),
        Overlay::Filter { .. } => return filter::update(app, action),
        Overlay::Search(_) => return search::update(app, action, view),
        Overlay::Read { .. } => {
            if let Some(commands) = read::update(app, action, view) {
                return commands;
            }
        }
        Overlay::Report { .. } => {
            if let Some(commands) = report::update(app, action) {
                return commands;
            }
        }
        Overlay::Experiments(_) => {
            if let Some(commands) = super::overlays::experiment::update(app, action, view) {
                return commands;
            }
        }
        Overlay::Confirm { .. } => return confirm::update(app, action, view),
        Overlay::Write { .. } => return write::update(app, action, view),
    }
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Suspend => return vec![Command::Suspend],
        Action::FocusNext => app.focus = app.focus.next(),
        Action::FocusPrev => app.focus = app.focus.prev(),
        Action::FocusPane(pane) => app.focus = pane,
        Action::Zoom => app.zoomed = !app.zoomed,
        Action::ApprovalsClusterOnly => panes::approvals::toggle_cluster_only(app, view),
        Action::SortClusters => panes::clusters::next_sort(app, view),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            if let Some(movement) = Move::from_action(action) {
                move_in_focused_pane(app, view, movement);
            }
        }
        Action::Open => open(app, view),
        Action::Back => back(app),
        Action::Help => app.overlay = Overlay::Help { scroll: 0 },
        Action::BudgetChart => app.overlay = Overlay::BudgetChart,
        Action::Palette => {
            app.overlay = Overlay::Palette {
                input: LineInput::default(),
                selected: 0,
            }
        }
        // In the knowledge pane `/` looks for knowledge, like it filters what other panes list.
        Action::Filter if app.focus == Pane::Knowledge => search::open(app, view),
        Action::Filter => {
            app.overlay = Overlay::Filter {
                input: LineInput::new(&app.filter),
            }
        }
        Action::Pause
        | Action::SpeedUp
        | Action::SpeedDown
        | Action::SeekBack
        | Action::SeekForward => return replay_control(app, action),
        Action::Approve => confirm::approve(app, view),
        Action::Reject => write::reject(app, view),
        Action::EditArgv => write::edit_argv(app, view),
        Action::DoneByHand => write::done_by_hand(app, view),
        Action::Note => write::note(app, view),
        Action::Silence => write::silence(app, view),
        Action::StaleAlerts => report::stale_alerts(app, view),
        Action::Messages => report::messages(app),
        Action::Experiments => super::overlays::experiment::open(app),
        Action::SearchKnowledge => search::open(app, view),
        Action::Debrief => {
            if app.replay.is_some() {
                return vec![Command::Debrief];
            }
            app.info(
                "the debrief scores a replayed drill: flightdeck replay SCENARIO --role trainee",
            );
        }
        Action::AcknowledgeDrift => confirm::acknowledge_drift(app, view),
        Action::OverrideMode => write::override_mode(app, view),
        // Dialog keys with no dialog open (from the palette, say) mean nothing.
        Action::Confirm
        | Action::Submit
        | Action::ToggleHypothesis
        | Action::CycleOverrideMode
        | Action::HaltExperiment
        | Action::StartExperiment => {}
        // Answered above.
        Action::CopyCommand
        | Action::CopyArgv
        | Action::OpenRunbook
        | Action::OpenGraph
        | Action::OpenAlertmanager => {}
        Action::Edit(_) | Action::Type(_) | Action::Resize { .. } => {}
    }
    Vec::new()
}

/// What quitting now would lose, if anything: a form with text typed into it, a step that is
/// running ("a note is half-written and S3 is running"). `None`: quit at once.
pub fn quit_pending(app: &App, view: &Cockpit) -> Option<String> {
    let mut why = Vec::new();
    if let Overlay::Write { draft, input } = &app.overlay
        && input.is_edited()
    {
        let form = match draft {
            Draft::Reject(_) => "a rejection reason",
            Draft::EditArgv(_) => "an argv edit",
            Draft::Override(_) => "a mode override",
            Draft::Manual(_) => "a done-by-hand record",
            Draft::Note(NoteKind::Hypothesis, _) => "a hypothesis",
            Draft::Note(..) => "a note",
            Draft::Silence(_) => "a silence",
        };
        why.push(format!("{form} is half-written"));
    }
    let running: Vec<String> = view
        .suggestions()
        .iter()
        .filter(|s| matches!(s.status, SuggestionStatus::Running))
        .map(|s| s.id.to_string())
        .collect();
    match running.as_slice() {
        [] => {}
        [one] => why.push(format!("{one} is running")),
        many => why.push(format!("{} are running", many.join(", "))),
    }
    (!why.is_empty()).then(|| why.join(" and "))
}

/// The cursors of the lists that reorder under them (approvals, knowledge) stay on their
/// item, not their row; the runtime calls this before each frame ([`crate::tui::refresh`])
/// and `update` before each key, so what a key acts on is what the screen showed selected.
pub fn keep_selections(app: &mut App, view: &Cockpit) {
    panes::approvals::keep(app, view);
    panes::knowledge::keep(app, view);
}

fn move_in_focused_pane(app: &mut App, view: &Cockpit, movement: Move) {
    let page = app.page_rows();
    match app.focus {
        Pane::Clusters => panes::clusters::move_selection(app, view, movement),
        Pane::Detail => {
            let len = panes::detail::len(app, view);
            app.detail.cursor = movement.apply(app.detail.cursor, len, page);
        }
        Pane::Knowledge => panes::knowledge::move_selection(app, view, movement),
        Pane::Approvals => panes::approvals::move_selection(app, view, movement),
        Pane::Journal => panes::journal::scroll(app, view, movement),
    }
}

/// Enter: the clusters list focuses the detail; the other panes open what is selected.
fn open(app: &mut App, view: &Cockpit) {
    let page = match app.focus {
        Pane::Clusters => {
            if panes::clusters::focused(app, view).is_some() {
                app.focus = Pane::Detail;
            } else {
                app.info("no cluster to open");
            }
            return;
        }
        Pane::Detail => panes::detail::selected(app, view).map(Page::Alert),
        Pane::Knowledge => panes::knowledge::selected(app, view).map(Page::Document),
        // A step that ran opens on what it printed; the others on the step itself.
        Pane::Approvals => panes::approvals::target(app, view)
            .map(|id| read::output_of(view, Page::Step(id)).map_or(Page::Step(id), Page::Output)),
        Pane::Journal => panes::journal::selected(app, view).map(Page::Record),
    };
    match page {
        Some(page) => app.overlay = Overlay::Read { page, scroll: 0 },
        None => app.info("nothing selected to open"),
    }
}

fn back(app: &mut App) {
    if app.zoomed {
        app.zoomed = false;
    } else if app.focus != Pane::Clusters {
        app.focus = Pane::Clusters;
    } else if !app.filter.is_empty() {
        app.filter.clear();
        app.info("filter cleared");
    }
}

fn replay_control(app: &mut App, action: Action) -> Vec<Command> {
    let Some(replay) = app.replay.as_mut() else {
        app.warn("replay controls work only in replay");
        return Vec::new();
    };
    // The runtime reports the real state on its next tick; updating here keeps repeated
    // presses stepping from the latest value.
    match action {
        Action::Pause => {
            replay.paused = !replay.paused;
            vec![Command::TogglePause]
        }
        Action::SpeedUp | Action::SpeedDown => {
            let next = if action == Action::SpeedUp {
                SPEEDS.iter().copied().find(|s| *s > replay.speed + 1e-9)
            } else {
                SPEEDS
                    .iter()
                    .rev()
                    .copied()
                    .find(|s| *s < replay.speed - 1e-9)
            };
            match next {
                Some(speed) => {
                    replay.speed = speed;
                    vec![Command::SetSpeed(speed)]
                }
                None => {
                    let edge = replay.speed;
                    app.info(format!("speed stays at {edge}×"));
                    Vec::new()
                }
            }
        }
        Action::SeekBack => vec![Command::Seek(-SEEK_STEP)],
        Action::SeekForward => vec![Command::Seek(SEEK_STEP)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::alerts::{Alert, AlertState};
    use crate::cockpit::{CockpitConfig, Event};
    use crate::knowledge::KnowledgeBase;
    use crate::time::Timestamp;
    use crate::tui::app::ReplayStatus;
    use crate::tui::line_input::LineEdit;

    fn start() -> Timestamp {
        "2025-06-01T14:00:00Z".parse().unwrap()
    }

    /// A cockpit with one firing alert for each service, far enough apart to stay apart.
    fn cockpit(services: &[&str]) -> Cockpit {
        let mut view = Cockpit::new(
            CockpitConfig::default(),
            Vec::new(),
            KnowledgeBase::default(),
            start(),
        );
        for (i, service) in services.iter().enumerate() {
            let labels: BTreeMap<String, String> = [
                ("alertname", format!("{service}Down")),
                ("service", service.to_string()),
                ("namespace", format!("ns-{service}")),
                ("severity", "critical".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let at = start() + SignedDuration::from_mins(i as i64 * 30);
            let alert = Alert {
                labels,
                annotations: BTreeMap::new(),
                starts_at: at,
                ends_at: None,
                state: AlertState::Firing,
                generator_url: None,
                detail: Default::default(),
            };
            view.apply(Event::Alert(alert), at);
        }
        view
    }

    fn replaying(speed: f64) -> App {
        App {
            replay: Some(ReplayStatus {
                speed,
                paused: false,
                ends_at: start(),
                finished: false,
                at: start(),
            }),
            ..App::default()
        }
    }

    fn typed(app: &mut App, view: &Cockpit, text: &str) {
        for c in text.chars() {
            update(app, Action::Edit(LineEdit::Insert(c)), view);
        }
    }

    #[test]
    fn tab_and_numbers_move_focus() {
        let view = cockpit(&[]);
        let mut app = App::default();
        update(&mut app, Action::FocusNext, &view);
        assert_eq!(app.focus, Pane::Detail);
        update(&mut app, Action::FocusPrev, &view);
        update(&mut app, Action::FocusPrev, &view);
        assert_eq!(app.focus, Pane::Journal);
        update(&mut app, Action::FocusPane(Pane::Approvals), &view);
        assert_eq!(app.focus, Pane::Approvals);
        update(&mut app, Action::Back, &view);
        assert_eq!(app.focus, Pane::Clusters, "Esc steps back to the clusters");
    }

    #[test]
    fn quit_is_a_command_from_anywhere() {
        let view = cockpit(&[]);
        let mut app = App::default();
        assert_eq!(update(&mut app, Action::Quit, &view), vec![Command::Quit]);
        update(&mut app, Action::Help, &view);
        assert_eq!(update(&mut app, Action::Quit, &view), vec![Command::Quit]);
        app.overlay = Overlay::Filter {
            input: LineInput::default(),
        };
        assert_eq!(update(&mut app, Action::Quit, &view), vec![Command::Quit]);
    }

    #[test]
    fn help_scrolls_and_closes() {
        let view = cockpit(&[]);
        let mut app = App {
            size: (100, 20),
            ..App::default()
        };
        update(&mut app, Action::Help, &view);
        update(&mut app, Action::Down, &view);
        update(&mut app, Action::Down, &view);
        assert_eq!(app.overlay, Overlay::Help { scroll: 2 });
        update(&mut app, Action::Bottom, &view);
        let Overlay::Help { scroll } = app.overlay else {
            panic!("help closed")
        };
        update(&mut app, Action::Down, &view);
        assert_eq!(app.overlay, Overlay::Help { scroll }, "stops at the end");
        update(&mut app, Action::FocusNext, &view);
        assert_eq!(app.focus, Pane::Clusters, "pane keys do nothing under help");
        update(&mut app, Action::Back, &view);
        assert_eq!(app.overlay, Overlay::None);
    }

    #[test]
    fn the_palette_narrows_and_runs_an_action() {
        let view = cockpit(&[]);
        let mut app = replaying(10.0);
        update(&mut app, Action::Palette, &view);
        typed(&mut app, &view, "approvals");
        update(&mut app, Action::Open, &view);
        assert_eq!(app.overlay, Overlay::None);
        assert_eq!(app.focus, Pane::Approvals);

        update(&mut app, Action::Palette, &view);
        typed(&mut app, &view, "replay");
        update(&mut app, Action::Down, &view);
        let commands = update(&mut app, Action::Open, &view);
        assert_eq!(
            commands,
            vec![Command::SetSpeed(30.0)],
            "second replay entry"
        );

        update(&mut app, Action::Palette, &view);
        typed(&mut app, &view, "no such thing");
        assert!(update(&mut app, Action::Open, &view).is_empty());
        assert!(app.status.is_some(), "says nothing matched");

        update(&mut app, Action::Palette, &view);
        update(&mut app, Action::Back, &view);
        assert_eq!(app.overlay, Overlay::None);
    }

    #[test]
    fn the_filter_previews_keeps_and_cancels() {
        let view = cockpit(&["checkout", "payments", "cart"]);
        let mut app = App::default();
        assert_eq!(panes::clusters::shown(&app, &view).len(), 3);

        update(&mut app, Action::Filter, &view);
        typed(&mut app, &view, "pay");
        assert_eq!(app.live_filter(), "pay");
        assert_eq!(panes::clusters::shown(&app, &view).len(), 1, "narrows live");
        update(&mut app, Action::Open, &view);
        assert_eq!(app.filter, "pay");

        update(&mut app, Action::Filter, &view);
        update(&mut app, Action::Edit(LineEdit::ClearToStart), &view);
        typed(&mut app, &view, "service=cart");
        update(&mut app, Action::Back, &view);
        assert_eq!(app.filter, "pay", "Esc keeps the previous filter");

        update(&mut app, Action::Back, &view);
        assert_eq!(app.filter, "", "Esc on the clusters clears it");
        assert_eq!(panes::clusters::shown(&app, &view).len(), 3);
    }

    #[test]
    fn selection_follows_the_cluster_and_enter_opens_it() {
        let view = cockpit(&["checkout", "payments", "cart"]);
        let mut app = App::default();
        let ids: Vec<_> = view.clusters().iter().map(|c| c.id).collect();
        update(&mut app, Action::Down, &view);
        assert_eq!(app.clusters.selected, Some(ids[1]));
        update(&mut app, Action::Bottom, &view);
        update(&mut app, Action::Down, &view);
        assert_eq!(app.clusters.selected, Some(ids[2]));
        update(&mut app, Action::Open, &view);
        assert_eq!(app.focus, Pane::Detail);
        assert_eq!(
            panes::clusters::focused(&app, &view).map(|c| c.id),
            Some(ids[2])
        );

        // A filter that hides the selected cluster: the first shown one is focused instead.
        app.filter = view.clusters()[0].services.first().cloned().unwrap();
        assert_eq!(
            panes::clusters::focused(&app, &view).map(|c| c.id),
            Some(ids[0])
        );
    }

    #[test]
    fn replay_speed_steps_through_the_ladder_and_stops_at_the_ends() {
        let view = cockpit(&[]);
        let mut app = replaying(10.0);
        assert_eq!(
            update(&mut app, Action::SpeedUp, &view),
            vec![Command::SetSpeed(30.0)]
        );
        assert_eq!(
            update(&mut app, Action::SpeedUp, &view),
            vec![Command::SetSpeed(60.0)]
        );
        let mut app = replaying(600.0);
        assert!(update(&mut app, Action::SpeedUp, &view).is_empty());
        assert!(app.status.is_some());
        let mut app = replaying(1.0);
        assert!(update(&mut app, Action::SpeedDown, &view).is_empty());
        let mut app = replaying(7.0);
        assert_eq!(
            update(&mut app, Action::SpeedDown, &view),
            vec![Command::SetSpeed(5.0)],
            "an off-ladder speed steps to the next rung"
        );
    }

    #[test]
    fn pause_and_seek_become_commands() {
        let view = cockpit(&[]);
        let mut app = replaying(10.0);
        assert_eq!(
            update(&mut app, Action::Pause, &view),
            vec![Command::TogglePause]
        );
        assert!(app.replay.unwrap().paused);
        assert_eq!(
            update(&mut app, Action::SeekBack, &view),
            vec![Command::Seek(SignedDuration::from_mins(-5))]
        );
        assert_eq!(
            update(&mut app, Action::SeekForward, &view),
            vec![Command::Seek(SignedDuration::from_mins(5))]
        );
    }

    #[test]
    fn replay_keys_live_explain_themselves() {
        let view = cockpit(&[]);
        let mut app = App::default();
        assert!(update(&mut app, Action::Pause, &view).is_empty());
        assert!(app.status.is_some());
        update(&mut app, Action::Down, &view);
        assert_eq!(app.status, None, "the message goes with the next key");
    }

    #[test]
    fn resize_sets_the_page_size() {
        let view = cockpit(&[]);
        let mut app = App::default();
        update(
            &mut app,
            Action::Resize {
                width: 200,
                height: 60,
            },
            &view,
        );
        assert_eq!(app.size, (200, 60));
        assert_eq!(app.page_rows(), 20);
    }
}
