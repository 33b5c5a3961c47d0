//! What a real responder did at a moment of a recorded incident: the reference decisions a
//! scenario carries, which a replay's cockpit journals as they come (`Event::Reference`) and
//! the debrief judges a trainee against. Defined here, beside the cockpit that takes them, so
//! the cockpit does not depend on the training module that reads them from scenario files.

use serde::{Deserialize, Serialize};

use crate::actions::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Hypothesis,
    Note,
    Approve,
    Reject,
    Execute,
}

impl DecisionKind {
    /// Its name as written (`approve`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Hypothesis => "hypothesis",
            DecisionKind::Note => "note",
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
            DecisionKind::Execute => "execute",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceDecision {
    pub actor: String,
    pub role: Role,
    pub kind: DecisionKind,
    pub text: Option<String>,
    /// `runbook-id/step-id`, for approve / reject / execute.
    pub step: Option<String>,
    pub outcome: Option<String>,
    /// The exact argv the responders decided about, when the scenario records it: a replay
    /// whose cockpit offers another argv for the step shows the decision as a mismatch, and
    /// the debrief compares a trainee's argv with it (issue 13).
    pub argv: Option<Vec<String>>,
}

#[cfg(test)]
mod name_tests {
    use super::DecisionKind;

    /// `as_str` is the name serde writes: the journal's typed note bodies carry it as text.
    #[test]
    fn as_str_is_the_name_serde_writes() {
        for kind in [
            DecisionKind::Hypothesis,
            DecisionKind::Note,
            DecisionKind::Approve,
            DecisionKind::Reject,
            DecisionKind::Execute,
        ] {
            assert_eq!(
                serde_json::json!(kind),
                serde_json::json!(kind.as_str()),
                "the name as serde writes it"
            );
        }
    }
}
