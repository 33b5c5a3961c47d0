//! Rendering one full frame of the demo at 200×60, 40 minutes into the incident (the busiest
//! screen: every pane full).

use criterion::{Criterion, criterion_group, criterion_main};
use flightdeck::cockpit::CockpitConfig;
use flightdeck::load;
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::tui::{self, App};
use ratatui::{Terminal, backend::TestBackend};

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

criterion_group!(benches, render_frame, replay_demo);
criterion_main!(benches);
