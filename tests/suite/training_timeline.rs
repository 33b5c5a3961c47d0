//! The journal timeline as a postmortem draft: keeps the hypotheses, false leads, rejections
//! with reasons, mode changes with evidence and who approved what, and passes the postmortem
//! linter's section checks (with placeholders for what a journal cannot know).

use crate::common;
use flightdeck::journal::timeline_markdown;
use flightdeck::knowledge::lint::lint_postmortem;
use flightdeck::knowledge::parse_postmortem;
use flightdeck::time::SignedDuration;

/// The bundled demo's scenario and the journal of its replay to the end.
fn demo_journal() -> (
    flightdeck::training::Scenario,
    Vec<flightdeck::journal::JournalRecord>,
) {
    let (scenario, s) = common::replay::demo_to_end_offered_argv();
    (scenario, s.records().to_vec())
}

#[test]
fn the_demo_timeline_keeps_what_postmortems_lose() {
    let (_, records) = demo_journal();
    let md = timeline_markdown(&records, None, None);
    println!("{md}");
    // Hypotheses, including the false lead.
    assert!(md.contains("### Hypotheses and false leads"));
    assert!(
        md.contains("is the PSP degraded"),
        "the PSP false lead is kept"
    );
    assert!(
        md.contains("PSP lead disproven"),
        "and the note that dropped it"
    );
    // Rejections with their reasons.
    assert!(md.contains("`postgres-connection-pool/restart-postgres` rejected by lee (commander)"));
    assert!(md.contains("that is how PM-2025-031 got worse"));
    // Mode changes with their evidence.
    assert!(md.contains("ADAPTIVE → FREEZE"));
    assert!(md.contains("1h burn"), "burn-rate evidence");
    assert!(md.contains("FREEZE → REDESIGN"));
    // Who approved what, and when, in which mode.
    assert!(md.contains("`checkout-high-error-rate/rollback`"));
    assert!(md.contains("approved 14:28:00 by dana (oncall) in REDESIGN; approved 14:29:00 by lee (commander) in REDESIGN; ran 14:31:00"));
    // The redesign item the governor says is owed.
    assert!(md.contains("Redesign item owed: the error budget of checkout-latency"));

    let pm = parse_postmortem("timeline.md", &md).unwrap();
    assert!(!pm.summary.is_empty());
    assert!(pm.timeline.len() >= 15, "{}", pm.timeline.len());
    assert!(pm.tried.len() >= 8, "{:?}", pm.tried);
    assert_eq!(pm.contributing_factors.len(), 2);
    assert_eq!(pm.action_items.len(), 2);
    assert!(pm.date.is_some());
    let lint = lint_postmortem(&pm);
    for code in [
        "no-summary",
        "missing-timeline",
        "no-hypotheses",
        "no-contributing-factors",
        "no-action-items",
        "blame-language",
    ] {
        assert!(
            !lint.findings.iter().any(|f| f.code == code),
            "{code}: {:?}",
            lint.findings
        );
    }
}

#[test]
fn a_time_range_keeps_only_its_records_and_knows_the_mode_it_starts_in() {
    let (scenario, records) = demo_journal();
    let since = scenario.start + SignedDuration::from_mins(32);
    let until = scenario.start + SignedDuration::from_mins(37);
    let md = timeline_markdown(&records, Some(since), Some(until));
    assert!(md.contains("- mode at the start: REDESIGN"), "{md}");
    assert!(!md.contains("14:10:00"), "{md}");
    assert!(md.contains("14:31:00"), "{md}");
    assert!(!md.contains("ADAPTIVE → FREEZE"), "{md}");
    // Nothing in range: still a valid draft with every section.
    let empty = timeline_markdown(
        &records,
        Some(scenario.end() + SignedDuration::from_hours(1)),
        None,
    );
    let pm = parse_postmortem("empty.md", &empty).unwrap();
    assert!(!pm.timeline.is_empty() && !pm.tried.is_empty() && !pm.action_items.is_empty());
}
