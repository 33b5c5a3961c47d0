//! Headless replay: the same session as the TUI, advanced on the virtual clock as fast as it
//! can, then the cockpit state printed as text or JSON.
//!
//! It keeps no journal on disk (a TUI replay and every drill do, `crate::session_journal`):
//! nobody decides anything in it, and the same scenario to the same time gives the same records
//! again (its journal id is `replay:SCENARIO`).

use crate::cockpit::{CockpitConfig, Snapshot};
use crate::load::LoadedScenario;
use crate::replay::ReplaySession;
use crate::time::{SignedDuration, clock_hms, format_duration};

/// Runs the replay to `until` (from the scenario start; default its end) and returns the state.
pub fn replay(
    loaded: LoadedScenario,
    until: Option<SignedDuration>,
    config: CockpitConfig,
) -> (ReplaySession, Snapshot) {
    let mut session = ReplaySession::new(loaded.scenario, loaded.knowledge, config);
    let start = session.scenario().start;
    // Saturating: `--until` past the end plays to the end (the player caps it there).
    let to = until.map_or(session.scenario().end(), |d| {
        crate::time::saturating_offset(start, d)
    });
    session.advance_to(to);
    let snapshot = session.cockpit().snapshot();
    (session, snapshot)
}

/// The human form of a snapshot.
pub fn text(session: &ReplaySession, s: &Snapshot) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let sc = session.scenario();
    let _ = writeln!(out, "{} — {}", sc.id, sc.title);
    let _ = writeln!(
        out,
        "time {} (+{})   mode {}   {}",
        clock_hms(s.time),
        format_duration(s.time.duration_since(sc.start)),
        s.mode.mode.label(),
        s.mode.reason
    );
    out.push_str(&s.body_text());
    for r in session.records().iter().rev().take(8).rev() {
        let _ = writeln!(
            out,
            "  {} {:<9} {:<10} {}",
            clock_hms(r.ts),
            r.actor,
            r.kind.label(),
            r.summary
        );
    }
    out
}
