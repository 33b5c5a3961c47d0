//! Suggested actions: the steps of the runbooks matched to a cluster, filled from its labels
//! and annotations, each with the policy verdict for the current mode.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ledger::PendingStep;
use super::policy::{Overlays, StepClass, Verdict, policy};
use super::step::{Audit, Step, StepKind, render_argv, shell_env};
use crate::slo::Mode;

/// One suggested action as the actions pane shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// `runbook-id/step-id`.
    pub key: String,
    pub runbook: String,
    pub step: Step,
    /// The exact argv that would run (placeholders filled); empty for shell steps or when a
    /// placeholder has no value.
    pub argv: Vec<String>,
    /// For `shell: true` steps: the environment the script receives (`FD_LABEL_*`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    pub kind: StepKind,
    /// Who audited it and when, if pre-audited (and not edited since).
    pub audited: Option<Audit>,
    /// Taken from a code block or edited: needs what the policy asks for novel steps.
    pub novel: bool,
    /// Why it cannot run as is (a placeholder without a value); it needs an edit first.
    pub problem: Option<String>,
    /// The verdict without any approval yet: what it needs, or why it is refused.
    pub verdict: Verdict,
}

impl Suggestion {
    /// The pending step the approval flow works on (only for steps without a `problem`).
    pub fn pending(&self) -> Option<PendingStep> {
        self.problem
            .is_none()
            .then(|| PendingStep::new(self.key.clone(), self.step.clone(), self.argv.clone()))
    }
}

/// Suggestions from one runbook's steps for a cluster with these labels and annotations.
pub fn suggest(
    runbook_id: &str,
    steps: &[Step],
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
    mode: Mode,
    overlays: Overlays,
) -> Vec<Suggestion> {
    steps
        .iter()
        .map(|step| {
            let (argv, env, problem) = if step.shell {
                (Vec::new(), shell_env(labels, annotations), None)
            } else {
                match render_argv(&step.argv, labels, annotations) {
                    Ok(argv) => (argv, BTreeMap::new(), None),
                    Err(e) => (
                        Vec::new(),
                        BTreeMap::new(),
                        Some(format!("{e}; edit the step")),
                    ),
                }
            };
            let class = StepClass::from(step);
            Suggestion {
                key: format!("{runbook_id}/{}", step.id),
                runbook: runbook_id.to_string(),
                argv,
                env,
                kind: step.kind,
                audited: step
                    .is_pre_audited()
                    .then(|| step.audited.clone())
                    .flatten(),
                novel: step.is_novel(),
                problem,
                verdict: policy(mode, overlays, &class, &[]),
                step: step.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::parse_runbook;

    #[test]
    fn steps_become_suggestions() {
        let rb = parse_runbook(
            "x.md",
            "---\nid: x\nsteps:\n  - id: a\n    kind: diagnostic\n    argv: [kubectl, -n, \"{{labels.namespace}}\", get, pods]\n  - id: b\n    kind: mitigation\n    argv: [kubectl, delete, pod, \"{{labels.pod}}\"]\n---\n",
        )
        .unwrap();
        let labels: BTreeMap<String, String> =
            [("namespace".to_string(), "shop".to_string())].into();
        let s = suggest(
            "x",
            &rb.steps,
            &labels,
            &BTreeMap::new(),
            Mode::Freeze,
            Overlays::default(),
        );
        assert_eq!(s[0].argv, ["kubectl", "-n", "shop", "get", "pods"]);
        assert!(matches!(s[0].verdict, Verdict::NeedsApproval { .. }));
        assert!(s[1].problem.as_deref().unwrap().contains("{{labels.pod}}"));
        assert!(s[1].verdict.is_refused(), "unaudited mitigation in Freeze");
        assert!(s[1].pending().is_none());
    }
}
