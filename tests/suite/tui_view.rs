//! The view data (what the panes list, made once per cockpit revision and filter) says what a
//! direct computation says, at every point of the demo and for every kind of filter, and is
//! never used stale.

use crate::common;
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::tui::panes::{approvals, clusters};
use flightdeck::tui::{self, App};

const FILTERS: [&str; 6] = [
    "",
    "pay",
    "service=checkout",
    "postgres",
    "C1",
    "zzz-nothing",
];

fn ids(list: &[&flightdeck::alerts::Cluster]) -> Vec<flightdeck::alerts::ClusterId> {
    list.iter().map(|c| c.id).collect()
}

/// What the panes show with fresh view data equals what they show without any.
fn assert_agrees(app: &App, session: &ReplaySession, at: &str) {
    let view = session.cockpit();
    let mut fresh = app.clone();
    tui::refresh(&mut fresh, view);
    assert!(fresh.view.fresh(view, fresh.live_filter()), "{at}");
    let mut bare = app.clone();
    bare.view = Default::default();
    assert!(!bare.view.fresh(view, bare.live_filter()));
    assert_eq!(
        ids(&clusters::shown(&fresh, view)),
        ids(&clusters::shown(&bare, view)),
        "shown clusters {at}"
    );
    assert_eq!(
        clusters::focused(&fresh, view).map(|c| c.id),
        clusters::focused(&bare, view).map(|c| c.id),
        "focused cluster {at}"
    );
    assert_eq!(
        approvals::target(&fresh, view),
        approvals::target(&bare, view),
        "approvals target {at}"
    );
    // The same screen, drawn from either.
    assert_eq!(
        common::tui::screen(&fresh, session),
        common::tui::screen(&bare, session),
        "screen {at}"
    );
}

#[test]
fn view_data_agrees_with_a_direct_computation_through_the_demo() {
    let mut session = common::replay::demo_at(0);
    let start = session.scenario().start;
    let end = session.scenario().end();
    let mut minutes = 0;
    while start + SignedDuration::from_mins(minutes) <= end {
        session.advance_to(start + SignedDuration::from_mins(minutes));
        for filter in FILTERS {
            let mut app = common::tui::replay_app(&session, (160, 50), 10.0);
            app.filter = filter.to_string();
            // The selection on each shown cluster in turn, and on one the filter hides.
            let all: Vec<_> = session.cockpit().clusters().iter().map(|c| c.id).collect();
            for selected in all.iter().copied().map(Some).chain([None]) {
                app.clusters.selected = selected;
                assert_agrees(
                    &app,
                    &session,
                    &format!("at +{minutes}m /{filter} {selected:?}"),
                );
            }
        }
        minutes += 10;
    }
}

#[test]
fn view_data_is_remade_when_the_cockpit_or_the_filter_moves() {
    let mut session = common::replay::demo_at(20);
    let mut app = common::tui::replay_app(&session, (120, 40), 10.0);
    app.filter = "checkout".into();
    tui::refresh(&mut app, session.cockpit());
    let made = app.view.clone();
    assert!(made.fresh(session.cockpit(), "checkout"));
    // The same revision and filter: nothing is remade.
    tui::refresh(&mut app, session.cockpit());
    assert_eq!(app.view, made);
    // Another filter: stale until refreshed.
    assert!(!made.fresh(session.cockpit(), "pay"));
    // The cockpit moved on: stale, and the panes answer for the cockpit as it is now.
    let to = session.scenario().start + SignedDuration::from_mins(50);
    session.advance_to(to);
    assert!(!app.view.fresh(session.cockpit(), "checkout"));
    assert_agrees(&app, &session, "after the cockpit moved");
    tui::refresh(&mut app, session.cockpit());
    assert!(app.view.fresh(session.cockpit(), "checkout"));
}
