//! Evidence as data (issue 17 §12): every overlay change is a mode record (drift raised or
//! acknowledged while already in REDESIGN too); the records carry the drift and the budget as
//! fields that export and the timeline use; the REDESIGN reason never rounds an overspent
//! budget to "-0.0%"; a drift's σ is the one measured (the floor shown as a floor).

use crate::common;
use common::slo::{budget_status, drift_up};
use flightdeck::journal::{Chain, JournalEntry, RecordKind, export_jsonl, timeline_markdown};
use flightdeck::slo::governor::budget_percent;
use flightdeck::slo::{CusumDetector, DriftConfig, Governor, Mode};
use flightdeck::time::{SignedDuration, Timestamp};

fn ts(mins: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + mins * 60).unwrap()
}

#[test]
fn an_overspent_budget_is_never_rounded_to_zero() {
    assert_eq!(budget_percent(-0.0004), "-0.04%");
    assert_eq!(budget_percent(-1.08), "-108.0%");
    assert_eq!(budget_percent(0.4312), "43.1%");
    assert_eq!(budget_percent(0.0), "0.0%");
    assert_eq!(budget_percent(-1e-9), "> -0.0001%");
    // The class: no non-zero budget prints as zero, and the sign is never lost.
    let mut x = 1e-7;
    while x < 10.0 {
        for v in [x, -x] {
            let text = budget_percent(v);
            let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
            assert!(
                digits.chars().any(|c| c != '0') || text.contains('<') || text.contains('>'),
                "{v} → {text}"
            );
            assert_eq!(
                text.starts_with('-') || text.starts_with("> -"),
                v < 0.0,
                "{v} → {text}"
            );
        }
        x *= 1.37;
    }

    // In the governor's REDESIGN reason.
    let mut g = Governor::default();
    g.update(
        ts(0),
        &[budget_status(
            "checkout",
            "checkout",
            Some(-0.0004),
            None,
            Some(0.002),
        )],
    );
    assert_eq!(g.mode(), Mode::Redesign);
    assert!(g.reason().contains("(-0.04% left"), "{}", g.reason());
}

#[test]
fn drift_raised_and_acknowledged_in_redesign_are_changes_with_their_data() {
    let mut g = Governor::default();
    let state = g
        .update(
            ts(0),
            &[budget_status(
                "checkout",
                "checkout",
                Some(-0.2),
                None,
                Some(0.002),
            )],
        )
        .expect("the state at start");
    assert_eq!(state.to, Mode::Redesign);
    assert_eq!(state.budget_remaining, Some(-0.2), "the budget as a field");

    // Already as strict as it gets: the mode stays, the overlay change is still a record.
    let raised = g
        .set_drift(ts(5), drift_up("checkout", ts(5)))
        .expect("drift raised in REDESIGN is journaled");
    assert!(raised.is_overlay());
    assert_eq!(
        (raised.from, raised.to),
        (Some(Mode::Redesign), Mode::Redesign)
    );
    let d = raised.drift.as_ref().expect("the drift as data");
    assert_eq!((d.statistic, d.threshold), (1.9, 1.25));
    assert!(
        raised.describe().starts_with("REDESIGN stays: "),
        "{}",
        raised.describe()
    );

    let acked = g
        .acknowledge_drift(ts(9), "ic-bob")
        .expect("the acknowledgement is journaled too");
    assert!(acked.is_overlay() && acked.drift.is_none());
    assert!(
        acked.reason.contains("acknowledged by ic-bob"),
        "{}",
        acked.reason
    );

    // Export and timeline read the fields.
    let mut chain = Chain::default();
    let records: Vec<_> = [&state, &raised, &acked]
        .iter()
        .map(|c| {
            chain.seal(
                JournalEntry {
                    actor: "governor".into(),
                    role: flightdeck::journal::RecordRole::System,
                    kind: RecordKind::ModeChange,
                    summary: c.describe(),
                    body: serde_json::to_value(c).unwrap(),
                },
                c.at,
            )
        })
        .collect();
    let export: Vec<serde_json::Value> = export_jsonl(&records)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<&serde_json::Value> = export
        .iter()
        .filter(|v| v["kind"] == "mode_change" || v["kind"] == "mode_state")
        .map(|v| &v["decision"])
        .collect();
    assert_eq!(decisions.len(), 3, "{export:#?}");
    assert_eq!(decisions[0]["budget_remaining"], -0.2);
    assert_eq!(decisions[1]["drift"]["statistic"], 1.9);
    assert_eq!(decisions[1]["drift"]["baseline_sd"], 0.25);
    let md = timeline_markdown(&records, None, None);
    assert!(md.contains("REDESIGN stays"), "{md}");
    assert!(md.contains("CUSUM 1.90 > 1.25"), "{md}");
}

#[test]
fn sigma_is_measured_and_the_floor_is_named_as_one() {
    let cfg = DriftConfig {
        warmup: 6,
        ..DriftConfig::HOURLY_BURN
    };
    // A nearly flat baseline: measured σ ≈ 0.01, below the 0.25 floor.
    let mut det = CusumDetector::new("1h burn rate", Some("checkout".into()), cfg)
        .covering(SignedDuration::from_hours(1));
    let base = [0.40, 0.41, 0.39, 0.40, 0.41, 0.39];
    let mut signal = None;
    for (h, x) in base.iter().chain([3.0; 6].iter()).enumerate() {
        if let Some(s) = det.observe(ts(60 * h as i64), *x) {
            signal = Some((h, s));
            break;
        }
    }
    let (h, s) = signal.expect("a 10σ shift signals");
    assert_eq!(s.baseline_sd, 0.25, "the floor is what the detector used");
    let measured = s.measured_sd.unwrap();
    assert!((measured - 0.0089).abs() < 0.001, "{measured}");
    assert!(
        s.explain().contains("σ 0.01 measured, floor 0.25 used"),
        "{}",
        s.explain()
    );
    // The shift began with the hour the first high observation covers.
    assert_eq!(s.since, ts(60 * 6) - SignedDuration::from_hours(1));
    assert!(h > 6);
}
