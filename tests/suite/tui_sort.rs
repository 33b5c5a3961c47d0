//! Sort toggles for the clusters list (issue 20.6): `S` steps through severity (the
//! correlator's order), start (newest first), size and name; the title names the order; the
//! cursor stays on its cluster; the other panes describe the cluster the list puts first when
//! nothing is selected. Snapshots at 80×24, 100×30 and 200×60.

use crate::common;
use common::replay::demo_at;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::alerts::Cluster;
use flightdeck::tui::panes::clusters::{self, ClusterSort};

fn ids(list: &[&Cluster]) -> Vec<String> {
    list.iter().map(|c| c.name.to_string()).collect()
}

#[test]
fn s_steps_through_the_orders_and_the_title_says_which() {
    let session = demo_at(40);
    let view = session.cockpit();
    let mut app = replay_app(&session, (100, 30), 60.0);
    let correlator = ids(&clusters::shown(&app, view));
    assert!(!screen(&app, &session).contains("Clusters by "));

    press(&mut app, &session, KeyCode::Char('S'));
    assert_eq!(app.clusters.sort, ClusterSort::Start);
    let list = clusters::shown(&app, view);
    assert!(
        list.windows(2).all(|w| w[0].started >= w[1].started),
        "newest first"
    );
    assert!(screen(&app, &session).contains("Clusters by newest · "));

    press(&mut app, &session, KeyCode::Char('S'));
    assert_eq!(app.clusters.sort, ClusterSort::Size);
    let list = clusters::shown(&app, view);
    assert!(
        list.windows(2).all(|w| w[0].size() >= w[1].size()),
        "largest first"
    );
    assert!(screen(&app, &session).contains("Clusters by size · "));

    press(&mut app, &session, KeyCode::Char('S'));
    assert_eq!(app.clusters.sort, ClusterSort::Name);
    let names: Vec<String> = clusters::shown(&app, view)
        .iter()
        .map(|c| {
            c.services
                .first()
                .or(c.alertnames.first())
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    press(&mut app, &session, KeyCode::Char('S'));
    assert_eq!(app.clusters.sort, ClusterSort::Severity);
    assert_eq!(ids(&clusters::shown(&app, view)), correlator);
}

#[test]
fn the_cursor_stays_on_its_cluster_and_the_first_is_described_when_none_is_chosen() {
    let session = demo_at(40);
    let view = session.cockpit();
    let mut app = replay_app(&session, (100, 30), 60.0);
    press(&mut app, &session, KeyCode::Char('j'));
    let chosen = clusters::focused(&app, view).unwrap().id;
    for _ in 0..3 {
        press(&mut app, &session, KeyCode::Char('S'));
        assert_eq!(clusters::focused(&app, view).unwrap().id, chosen);
    }
    // Nothing chosen: the order's first cluster is the one described.
    let mut app = replay_app(&session, (100, 30), 60.0);
    app.clusters.sort = ClusterSort::Name;
    let first = clusters::shown(&app, view)[0].name;
    assert_eq!(clusters::focused(&app, view).unwrap().name, first);
    let s = screen(&app, &session);
    assert!(s.contains(&format!("Detail {first}")), "{s}");
}

#[test]
fn sorted_by_size_at_three_sizes() {
    let session = demo_at(40);
    for (size, name) in [
        ((80u16, 24u16), "sorted_by_size_80x24"),
        ((100, 30), "sorted_by_size_100x30"),
        ((200, 60), "sorted_by_size_200x60"),
    ] {
        let mut app = replay_app(&session, size, 60.0);
        press(&mut app, &session, KeyCode::Char('S'));
        press(&mut app, &session, KeyCode::Char('S'));
        insta::assert_snapshot!(name, screen(&app, &session));
    }
}
