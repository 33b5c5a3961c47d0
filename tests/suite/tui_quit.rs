//! Quitting asks first when something would be lost (a half-written form, a running step), and
//! the approvals pane narrows to the focused cluster: keys driven through `handle_key` and
//! `update` on the bundled demo, the screen checked for what the person sees.

use crate::common;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::cockpit::{Cockpit, CockpitConfig, Effect, Event, SuggestionStatus, UserCommand};
use flightdeck::journal::Chain;
use flightdeck::replay::ReplaySession;
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::training::Player;
use flightdeck::training::player::Played;
use flightdeck::training::scenario::ScenarioEvent;
use flightdeck::tui::{self, App, Command, Overlay, Pane};

use common::tui::screen;

fn key(app: &mut App, view: &Cockpit, code: KeyCode, modifiers: KeyModifiers) -> Vec<Command> {
    tui::handle_key(app, KeyEvent::new(code, modifiers))
        .map(|action| tui::update(app, action, view))
        .unwrap_or_default()
}

fn press(app: &mut App, view: &Cockpit, c: char) -> Vec<Command> {
    key(app, view, KeyCode::Char(c), KeyModifiers::NONE)
}

fn ctrl_c(app: &mut App, view: &Cockpit) -> Vec<Command> {
    key(app, view, KeyCode::Char('c'), KeyModifiers::CONTROL)
}

fn session() -> ReplaySession {
    common::replay::session_with(common::replay::demo(), 12, CockpitConfig::default())
}

fn app(session: &ReplaySession) -> App {
    common::tui::replay_app(session, (120, 40), 60.0)
}

#[test]
fn with_nothing_pending_q_and_ctrl_c_quit_at_once() {
    let session = session();
    let view = session.cockpit();
    let mut app = app(&session);
    assert_eq!(press(&mut app, view, 'q'), vec![Command::Quit]);
    assert_eq!(ctrl_c(&mut app, view), vec![Command::Quit]);
    // A form opened but nothing typed loses nothing either.
    press(&mut app, view, 'n');
    assert!(matches!(app.overlay, Overlay::Write { .. }));
    assert_eq!(ctrl_c(&mut app, view), vec![Command::Quit]);
    assert_eq!(app.quit_asked, None);
}

#[test]
fn a_half_written_note_asks_first_and_any_other_key_keeps_it() {
    let session = session();
    let view = session.cockpit();
    let mut app = app(&session);
    press(&mut app, view, 'n');
    for c in "disk fu".chars() {
        press(&mut app, view, c);
    }
    let written = app.overlay.clone();
    assert!(
        ctrl_c(&mut app, view).is_empty(),
        "asks instead of quitting"
    );
    let s = screen(&app, &session);
    for needle in ["Quit? a note is half-written", "y quit", "stay"] {
        assert!(
            s.contains(needle),
            "quit confirmation lacks {needle:?}\n{s}"
        );
    }
    // `q` and `n` are not yes: the note stays as it was, nothing typed into it.
    for c in ['n', 'q'] {
        assert!(press(&mut app, view, c).is_empty(), "{c} stays");
        assert_eq!(app.quit_asked, None);
        assert_eq!(app.overlay, written, "{c} leaves the note alone");
        assert!(ctrl_c(&mut app, view).is_empty());
    }
    assert_eq!(press(&mut app, view, 'y'), vec![Command::Quit]);
}

#[test]
fn an_argv_edit_asks_only_once_it_differs_from_the_step() {
    let session = session();
    let view = session.cockpit();
    let mut app = app(&session);
    press(&mut app, view, '4');
    press(&mut app, view, 'e');
    assert!(matches!(app.overlay, Overlay::Write { .. }));
    press(&mut app, view, 'x');
    assert!(ctrl_c(&mut app, view).is_empty());
    assert!(
        app.quit_asked
            .as_deref()
            .is_some_and(|why| why.contains("an argv edit is half-written")),
        "{:?}",
        app.quit_asked
    );
    press(&mut app, view, 'n');
    key(&mut app, view, KeyCode::Backspace, KeyModifiers::NONE);
    assert_eq!(
        ctrl_c(&mut app, view),
        vec![Command::Quit],
        "back to the step's own argv: nothing to lose"
    );
}

/// The demo played to +12m into a bare cockpit whose executions never come back: an approved
/// step stays running.
fn cockpit_with_a_running_step() -> (Cockpit, flightdeck::cockpit::SuggestionId, Timestamp) {
    let loaded = common::replay::demo();
    let scenario = loaded.scenario;
    let mut config = CockpitConfig::default();
    if let Some(g) = &scenario.group_by {
        config.clustering.group_by = g.clone();
    }
    if !scenario.topology.is_empty() {
        config.clustering.topology = scenario.topology.clone();
    }
    let mut cockpit = Cockpit::new(
        config,
        scenario.slos.clone(),
        loaded.knowledge,
        scenario.start,
    );
    let mut chain = Chain::default();
    let mut apply = |cockpit: &mut Cockpit, event: Event, at: Timestamp| {
        let mut effects = cockpit.apply(event, at);
        while let Some(effect) = effects.pop() {
            if let Effect::Journal(entry) = effect {
                let record = chain.seal(entry, at);
                effects.extend(cockpit.apply(Event::Journaled(record), at));
            }
        }
    };
    let to = scenario.start + SignedDuration::from_mins(12);
    for (at, played) in Player::new(&scenario).advance_to(&scenario, to) {
        let event = match played {
            Played::Tick => Event::Tick,
            Played::Event(ScenarioEvent::Sample { slo, good, total }) => {
                Event::Sample { slo, good, total }
            }
            Played::Event(ScenarioEvent::Alert(a)) => Event::Alert(a),
            Played::Event(ScenarioEvent::Decision(d)) => Event::Reference(d),
        };
        apply(&mut cockpit, event, at);
    }
    let id = cockpit.approval_queue().first().expect("a step waits").id;
    apply(&mut cockpit, Event::User(UserCommand::Approve(id)), to);
    (cockpit, id, to)
}

#[test]
fn a_running_step_asks_first() {
    let (view, id, _) = cockpit_with_a_running_step();
    assert_eq!(
        view.suggestion(id).unwrap().status,
        SuggestionStatus::Running
    );
    let mut app = App {
        size: (120, 40),
        ..App::default()
    };
    assert!(press(&mut app, &view, 'q').is_empty());
    assert_eq!(app.quit_asked, Some(format!("{id} is running")));
    assert!(
        press(&mut app, &view, 'j').is_empty(),
        "any other key stays"
    );
    assert_eq!(app.focus, Pane::Clusters, "and does nothing else");
    assert!(press(&mut app, &view, 'q').is_empty());
    assert_eq!(press(&mut app, &view, 'y'), vec![Command::Quit]);
}

#[test]
fn c_narrows_the_approvals_to_the_focused_cluster_and_back() {
    let session = session();
    let view = session.cockpit();
    let mut app = app(&session);
    let all = tui::panes::approvals::listed(view).len();
    let cluster = tui::panes::clusters::focused(&app, view)
        .expect("a cluster at +12m")
        .id;
    let ours = tui::panes::approvals::listed(view)
        .iter()
        .filter(|s| view.suggestion_cluster(s) == Some(cluster))
        .count();
    assert!(
        ours > 0 && ours < all,
        "the focused cluster has some of the steps: {ours} of {all}"
    );

    press(&mut app, view, 'c');
    let s = screen(&app, &session);
    assert!(
        s.contains(&format!("· {} only", view.cluster_name(cluster))),
        "title names it\n{s}"
    );
    // Walk the narrowed list: every step the cursor reaches is the cluster's, and only those.
    press(&mut app, view, '4');
    let mut seen = Vec::new();
    for _ in 0..all + 2 {
        let id = tui::panes::approvals::target(&app, view).expect("a step");
        if !seen.contains(&id) {
            seen.push(id);
        }
        press(&mut app, view, 'j');
    }
    assert_eq!(seen.len(), ours);
    for id in &seen {
        let s = view.suggestion(*id).unwrap();
        assert_eq!(view.suggestion_cluster(s), Some(cluster));
    }

    press(&mut app, view, 'c');
    let s = screen(&app, &session);
    assert!(
        !s.contains(&format!("{} only", view.cluster_name(cluster))),
        "every cluster again\n{s}"
    );
    press(&mut app, view, 'g');
    let mut seen = Vec::new();
    for _ in 0..all + 2 {
        let id = tui::panes::approvals::target(&app, view).expect("a step");
        if !seen.contains(&id) {
            seen.push(id);
        }
        press(&mut app, view, 'j');
    }
    assert_eq!(seen.len(), all, "every step is listed again");
}
