//! Rendering one full frame at 200×60: the demo 40 minutes into the incident (the busiest
//! screen: every pane full), and the cockpit holding the 50,000-alert storm of the cluster
//! benchmark with its biggest cluster focused (issue 4 §9: goal ≤ 2 ms a frame).

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event};
use flightdeck::load;
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::tui::{self, App, Pane};
use ratatui::{Terminal, backend::TestBackend};

#[path = "storm/mod.rs"]
mod storm;

fn render_frame(c: &mut Criterion) {
    let loaded = load::demo().expect("demo loads");
    let mut session =
        ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
    let to = session.scenario().start + SignedDuration::from_mins(40);
    session.advance_to(to);
    let app = App {
        size: (200, 60),
        ..App::default()
    };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    c.bench_function("render demo frame 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| tui::render(&app, session.cockpit(), f))
                .unwrap();
        })
    });
}

fn replay_demo(c: &mut Criterion) {
    c.bench_function("headless replay of the whole demo", |b| {
        b.iter(|| {
            let loaded = load::demo().expect("demo loads");
            let mut session =
                ReplaySession::new(loaded.scenario, loaded.knowledge, CockpitConfig::default());
            let end = session.scenario().end();
            session.advance_to(end);
            session.cockpit().journal_len()
        })
    });
}

/// A cockpit that has seen the whole storm, alert by alert as live, with the demo's knowledge.
fn storm_cockpit() -> Cockpit {
    let (alerts, _) = storm::storm();
    let knowledge = load::demo().expect("demo loads").knowledge;
    let config = CockpitConfig {
        clustering: storm::config(),
        ..CockpitConfig::default()
    };
    let start = alerts[0].starts_at;
    let end = alerts.last().unwrap().starts_at;
    let mut cockpit = Cockpit::new(config, Vec::new(), knowledge, start);
    let t = Instant::now();
    for a in alerts {
        let now = a.starts_at;
        cockpit.apply(Event::Alert(a), now);
    }
    cockpit.apply(Event::Tick, end + SignedDuration::from_mins(1));
    eprintln!(
        "storm cockpit: {} alerts, {} clusters, loaded in {:?}",
        cockpit.alert_count(),
        cockpit.clusters().len(),
        t.elapsed()
    );
    cockpit
}

fn render_storm(c: &mut Criterion) {
    let cockpit = storm_cockpit();
    let big = cockpit
        .clusters()
        .iter()
        .max_by_key(|c| c.size())
        .expect("clusters");
    eprintln!("focused: {} with {} alerts", big.name, big.size());
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    for (name, focus) in [
        (
            "render storm frame 200x60, clusters pane focused",
            Pane::Clusters,
        ),
        (
            "render storm frame 200x60, detail pane focused",
            Pane::Detail,
        ),
    ] {
        let mut app = App {
            size: (200, 60),
            focus,
            ..App::default()
        };
        app.clusters.selected = Some(big.id);
        // Deep in the member list, where windowing has the most to skip.
        app.detail.cursor = big.size() / 2;
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal.draw(|f| tui::render(&app, &cockpit, f)).unwrap();
            })
        });
    }
}

/// The storm with a filter in force: drawn from the view data made once for the cockpit's
/// revision and the filter (`tui::refresh`, as the runtime does before a frame), and, for
/// comparison, with none (every pane then runs the filter itself, as before issue 14.7).
fn render_storm_filtered(c: &mut Criterion) {
    let cockpit = storm_cockpit();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut app = App {
        size: (200, 60),
        filter: "checkout".into(),
        ..App::default()
    };
    tui::refresh(&mut app, &cockpit);
    let stale = App {
        view: Default::default(),
        ..app.clone()
    };
    for (name, app) in [
        ("render storm frame 200x60, filtered, view data", &app),
        ("render storm frame 200x60, filtered, no view data", &stale),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal.draw(|f| tui::render(app, &cockpit, f)).unwrap();
            })
        });
    }
}

criterion_group!(
    benches,
    render_frame,
    replay_demo,
    render_storm,
    render_storm_filtered
);
criterion_main!(benches);
