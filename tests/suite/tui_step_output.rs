//! Decided steps stay listed in the approvals pane (under `done`, newest first), and the output
//! viewer works in replay, where nothing runs: a step the person approved says it was a dry
//! run, a step the responders ran says what they recorded. The output shown in live mode is in
//! the `live_step_output` module.

use crate::common;

use crossterm::event::KeyCode;
use flightdeck::cockpit::{CockpitConfig, SuggestionStatus, UserCommand};
use flightdeck::tui::overlays::output::OutputOf;
use flightdeck::tui::panes::approvals;
use flightdeck::tui::{App, Overlay, Page, Pane};

use common::tui::{press, screen};

fn app(session: &flightdeck::replay::ReplaySession) -> App {
    let mut app = common::tui::replay_app(session, (120, 40), 60.0);
    app.replay.as_mut().unwrap().paused = true;
    app.focus = Pane::Approvals;
    app
}

#[test]
fn an_approved_step_stays_listed_and_enter_says_it_was_a_dry_run() {
    let mut session =
        common::replay::session_with(common::replay::demo(), 12, CockpitConfig::default());
    let id = session.cockpit().approval_queue()[0].id;
    let waiting = session.cockpit().approval_queue().len();
    let notices = session.command(UserCommand::Approve(id));
    assert!(notices.is_empty(), "{notices:?}");
    assert!(matches!(
        session.cockpit().suggestion(id).unwrap().status,
        SuggestionStatus::Executed { dry_run: true, .. }
    ));
    // It left the waiting part and is listed under done, after the waiting ones.
    let listed = approvals::listed(session.cockpit());
    assert_eq!(session.cockpit().approval_queue().len(), waiting - 1);
    let at = listed
        .iter()
        .position(|s| s.id == id)
        .expect("still listed");
    assert_eq!(at, waiting - 1, "first of the done part");
    assert_eq!(approvals::len(session.cockpit()), listed.len());

    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('G'));
    let s = screen(&app, &session);
    assert!(s.contains("── done (1)") && s.contains("DRY-RUN"), "{s}");
    assert!(s.contains("Enter: what it printed"), "{s}");
    // Decisions on a decided step are refused by the UI, not sent.
    assert!(press(&mut app, &session, KeyCode::Char('a')).is_empty());
    assert!(press(&mut app, &session, KeyCode::Char('r')).is_empty());
    assert_eq!(app.overlay, Overlay::None);

    press(&mut app, &session, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Overlay::Read {
            page: Page::Output(OutputOf::Step(id)),
            scroll: 0
        }
    );
    let s = screen(&app, &session);
    assert!(
        s.contains("a dry run: nothing ran, so nothing was printed") && s.contains("dry-ran by"),
        "{s}"
    );
    press(&mut app, &session, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn a_step_the_responders_ran_shows_what_they_recorded() {
    let (_, session) = common::replay::demo_to_end();
    let listed = approvals::listed(session.cockpit());
    let (at, s) = listed
        .iter()
        .enumerate()
        .find(|(_, s)| matches!(s.status, SuggestionStatus::Executed { .. }))
        .expect("the responders ran a step in the demo");
    let SuggestionStatus::Executed { outcome, .. } = &s.status else {
        unreachable!()
    };
    let outcome = outcome.clone().expect("they recorded an outcome");
    let id = s.id;
    let mut app = app(&session);
    app.approvals.cursor = at;
    press(&mut app, &session, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Overlay::Read {
            page: Page::Output(OutputOf::Step(id)),
            scroll: 0
        }
    );
    let s = screen(&app, &session);
    let head: String = outcome.chars().take(30).collect();
    assert!(
        s.contains("the responders recorded") && s.contains(&head),
        "{head:?}\n{s}"
    );
}
