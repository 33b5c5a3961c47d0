//! A suggested step waiting for decisions: its rendered command, the approvals it collected,
//! and the check made at execution time.
//!
//! An approval binds to the exact command (a BLAKE3 digest of the argv, or of the script and its
//! environment names) and to the mode it was given in. Editing the command makes the step novel
//! and leaves the earlier approvals bound to the old digest, so they no longer count. At
//! execution time the policy is asked again with the mode and overlays *of that moment*; an
//! approval given in a looser mode is void. Pure: the caller journals the records.

use serde::{Deserialize, Serialize};

use super::policy::{Approval, Overlays, Role, StepClass, Verdict, policy};
use super::step::Step;
use crate::slo::Mode;

/// BLAKE3 over a length-prefixed encoding of the argv (and, for shell steps, the script), hex.
/// Two different commands never share an encoding: every element carries its length.
pub fn command_digest(argv: &[String], script: Option<&str>) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"flightdeck-command-v1\0");
    h.update(&(argv.len() as u64).to_le_bytes());
    for a in argv {
        h.update(&(a.len() as u64).to_le_bytes());
        h.update(a.as_bytes());
    }
    match script {
        Some(s) => {
            h.update(&[1]);
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        None => {
            h.update(&[0]);
        }
    }
    h.finalize().to_hex().to_string()
}

/// An approval as recorded: who, in which role and mode, for which command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    #[serde(flatten)]
    pub approval: Approval,
    /// [`command_digest`] of the command that was shown when approving.
    pub command: String,
}

/// Why an approval was not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApproveError {
    #[error("read-only session: approvals are disabled")]
    ReadOnly,
    #[error("{0} already approved this command")]
    Duplicate(String),
    #[error("refused in this mode, no approval can make it run: {0}")]
    Refused(String),
}

/// A step of a runbook, rendered for one cluster, with its decisions so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingStep {
    /// `runbook-id/step-id`.
    pub key: String,
    pub step: Step,
    /// The argv after placeholder filling (empty for shell steps).
    pub argv: Vec<String>,
    pub approvals: Vec<ApprovalRecord>,
}

/// Permission to run, naming the approvals it rests on (for the execution record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutePermit {
    pub command: String,
    pub mode: Mode,
    pub approvals: Vec<ApprovalRecord>,
}

impl PendingStep {
    pub fn new(key: impl Into<String>, step: Step, argv: Vec<String>) -> PendingStep {
        PendingStep {
            key: key.into(),
            step,
            argv,
            approvals: Vec::new(),
        }
    }

    /// The digest approvals must carry to count now.
    pub fn command(&self) -> String {
        command_digest(&self.argv, self.step.script.as_deref())
    }

    /// The approvals that are for the current command.
    pub fn current_approvals(&self) -> Vec<Approval> {
        let command = self.command();
        self.approvals
            .iter()
            .filter(|r| r.command == command)
            .map(|r| r.approval.clone())
            .collect()
    }

    /// The policy's verdict right now.
    pub fn verdict(&self, mode: Mode, overlays: Overlays) -> Verdict {
        policy(
            mode,
            overlays,
            &StepClass::from(&self.step),
            &self.current_approvals(),
        )
    }

    /// Records an approval of the current command, given in `mode` (the effective mode the
    /// approver saw). A trainee's approval is recorded but never counts.
    pub fn approve(
        &mut self,
        by: &str,
        role: Role,
        mode: Mode,
        overlays: Overlays,
        read_only: bool,
    ) -> Result<ApprovalRecord, ApproveError> {
        if read_only {
            return Err(ApproveError::ReadOnly);
        }
        if let Verdict::Refused { reason } = self.verdict(mode, overlays) {
            return Err(ApproveError::Refused(reason));
        }
        let command = self.command();
        if self
            .approvals
            .iter()
            .any(|r| r.command == command && r.approval.by == by && r.approval.mode == mode)
        {
            return Err(ApproveError::Duplicate(by.to_string()));
        }
        let record = ApprovalRecord {
            approval: Approval {
                by: by.to_string(),
                role,
                mode,
            },
            command,
        };
        self.approvals.push(record.clone());
        Ok(record)
    }

    /// A person changed the command: the step becomes novel and unaudited; earlier approvals
    /// stay on record but are for another command.
    pub fn edit(&mut self, argv: Vec<String>) {
        self.step = self.step.edited(argv.clone());
        self.argv = argv;
    }

    /// The check at execution time: the policy with the mode and overlays of this moment.
    pub fn check_execute(&self, mode: Mode, overlays: Overlays) -> Result<ExecutePermit, Verdict> {
        match self.verdict(mode, overlays) {
            Verdict::Allowed => {
                let command = self.command();
                Ok(ExecutePermit {
                    approvals: self
                        .approvals
                        .iter()
                        .filter(|r| r.command == command)
                        .cloned()
                        .collect(),
                    command,
                    mode,
                })
            }
            other => Err(other),
        }
    }

    /// `true` for steps taken from code blocks or edited.
    pub fn is_novel(&self) -> bool {
        self.step.is_novel()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::step::{Audit, StepKind, StepOrigin};

    fn audited_mitigation() -> PendingStep {
        let step = Step {
            id: "rollback".into(),
            title: "Roll back".into(),
            kind: StepKind::Mitigation,
            argv: vec!["kubectl".into(), "rollout".into(), "undo".into()],
            shell: false,
            script: None,
            timeout: None,
            audited: Some(Audit {
                by: "maria".into(),
                on: "2026-01-15".parse().unwrap(),
            }),
            origin: StepOrigin::Structured,
        };
        let argv = step.argv.clone();
        PendingStep::new("rb/rollback", step, argv)
    }

    #[test]
    fn approval_binds_to_mode_and_command() {
        let none = Overlays::default();
        let mut p = audited_mitigation();
        p.approve("a", Role::Oncall, Mode::Adaptive, none, false)
            .unwrap();
        assert!(p.check_execute(Mode::Adaptive, none).is_ok());
        // The mode tightened before execution: the approval is void.
        assert!(p.check_execute(Mode::Freeze, none).is_err());
        p.approve("c", Role::Commander, Mode::Freeze, none, false)
            .unwrap();
        let permit = p.check_execute(Mode::Freeze, none).unwrap();
        assert_eq!(permit.approvals.len(), 2);
        // An edit makes it novel: refused in Freeze, and the old approvals do not count.
        p.edit(vec![
            "kubectl".into(),
            "delete".into(),
            "pod".into(),
            "x".into(),
        ]);
        assert!(
            p.check_execute(Mode::Freeze, none)
                .unwrap_err()
                .is_refused()
        );
        assert!(p.current_approvals().is_empty());
        assert!(matches!(
            p.approve("a", Role::Oncall, Mode::Freeze, none, false),
            Err(ApproveError::Refused(_))
        ));
        assert_eq!(
            p.approve("a", Role::Oncall, Mode::Adaptive, none, true),
            Err(ApproveError::ReadOnly)
        );
    }

    #[test]
    fn digests_separate_elements() {
        let a = command_digest(&["ab".into(), "c".into()], None);
        let b = command_digest(&["a".into(), "bc".into()], None);
        assert_ne!(a, b);
        assert_ne!(command_digest(&[], Some("x")), command_digest(&[], None));
    }
}
