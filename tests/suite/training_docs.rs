//! docs/TRAINING.md stays true about when the demo offers its steps (issue 13, item 8): the
//! moment is read from the replay, not written into the test.

use crate::common;
use flightdeck::cockpit::SuggestionStatus;
use flightdeck::time::SignedDuration;
use flightdeck::training::{DecisionKind, trainee_config, training_session};

#[test]
fn the_demo_offers_the_rollback_before_the_responders_approved_it_as_documented() {
    let loaded = common::replay::demo();
    let step = "checkout-high-error-rate/rollback";
    let approved = loaded
        .scenario
        .reference_decisions()
        .find(|(_, d)| d.kind == DecisionKind::Approve && d.step.as_deref() == Some(step))
        .map(|(at, _)| at)
        .expect("the responders approved the rollback");
    let mut session = training_session(&loaded.scenario, loaded.knowledge, trainee_config("t"));
    let mut at = loaded.scenario.start;
    let offered = loop {
        session.advance_to(at);
        let on_offer =
            session.cockpit().suggestions().iter().any(|s| {
                s.step_ref == step && s.status == SuggestionStatus::Pending && s.argv.is_ok()
            });
        if on_offer || at >= approved {
            break at;
        }
        at += SignedDuration::from_secs(30);
    };
    assert!(
        offered < approved,
        "first offered at {offered}, approved at {approved}"
    );
    let doc = std::fs::read_to_string(common::root().join("docs/TRAINING.md")).unwrap();
    assert!(
        doc.contains("rollback is on offer")
            && doc.contains("well before the responders approved it"),
        "docs/TRAINING.md no longer says when the rollback is offered"
    );
    assert!(
        !doc.contains("at +40m"),
        "docs/TRAINING.md names a moment the replay contradicts"
    );
}
