//! Headless replay: the same session as the TUI, advanced on the virtual clock as fast as it
//! can, then the cockpit state printed as text or JSON.

use crate::cockpit::{CockpitConfig, Snapshot, verdict_text};
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
    let to = until.map_or(session.scenario().end(), |d| start + d);
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
    let _ = writeln!(out, "\nSLOs");
    for slo in &s.slos {
        let budget = slo.budget_remaining.map_or("no data".to_string(), |b| {
            format!("{:.1}% budget left", b * 100.0)
        });
        let burns: Vec<String> = ["5m", "1h", "6h", "3d"]
            .iter()
            .map(|w| match slo.burn_rates.get(*w).copied().flatten() {
                Some(r) => format!("{w} {r:.1}×"),
                None => format!("{w} –"),
            })
            .collect();
        let _ = writeln!(
            out,
            "  {:<26} {:<20} {}  {}",
            slo.name,
            budget,
            burns.join("  "),
            slo.conditions.join(",")
        );
    }
    let _ = writeln!(out, "\nClusters ({} alerts)", s.alerts);
    for c in &s.clusters {
        let _ = writeln!(
            out,
            "  {:<4} {:>3} alerts ({:>3} firing)  origin {:<10} runbook {:<28} {}{}",
            c.id,
            c.size,
            c.firing,
            c.origin.as_deref().unwrap_or("-"),
            c.top_runbook.as_deref().unwrap_or("-"),
            c.alertnames.join(", "),
            if c.novel { "  [human judgment]" } else { "" }
        );
    }
    let _ = writeln!(out, "\nAwaiting approval");
    for a in &s.approvals {
        let _ = writeln!(out, "  {:<4} {:<44} {}", a.id, a.step, a.verdict);
    }
    let _ = writeln!(out, "\nJournal: {} records", s.journal_len);
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
    let _ = verdict_text;
    out
}
