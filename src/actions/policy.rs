//! The policy: one pure function `(mode, overlays, step, approvals) -> Verdict` implementing the
//! design brief §1 table.
//!
//! | mode | diagnostics | pre-audited mitigations | edited / novel / unaudited | chaos experiments |
//! |---|---|---|---|---|
//! | Adaptive | 1 approval (on-call or commander) | 1 approval (on-call or commander) | 1 approval by the commander | as a mitigation: 1 approval if pre-audited, else the commander's |
//! | Freeze | 1 approval | 1 approval by the commander | refused | refused |
//! | Redesign | 1 approval | 2 different approvers, one the commander | refused | refused |
//!
//! Overlays only tighten: **Novel** (the cluster matches no knowledge) refuses everything but
//! known diagnostics; **Drift** evaluates as one mode stricter ([`Mode::stricter`]).
//!
//! Approvals: a trainee's approval never counts; an approval given in a looser mode than the
//! effective one (the mode after the drift overlay) is void, so a mode that tightens between
//! approval and execution sends the step back to the queue; one person counts once however
//! often they approve. Record in [`Approval::mode`] the *effective* mode the approver saw.
//!
//! A step from a runbook's structured `steps:` without an audit record is *unaudited*: the table
//! lets only diagnostics and *pre-audited* mitigations through the stricter modes. A step taken
//! from a code block of a runbook without structured steps is unaudited too, never novel: a
//! diagnostic when the read-only classifier recognises its command (then one approval in every
//! mode, design brief §1), otherwise a mitigation (the commander in Adaptive, refused in Freeze
//! and Redesign). Only an edited argv (or script) is novel.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::step::{Step, StepKind};
use crate::slo::Mode;

/// The role a person acts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Oncall,
    Commander,
    Trainee,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Oncall, Role::Commander, Role::Trainee];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Oncall => "oncall",
            Role::Commander => "commander",
            Role::Trainee => "trainee",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "oncall" | "on-call" | "on_call" => Ok(Role::Oncall),
            "commander" | "ic" | "incident-commander" => Ok(Role::Commander),
            "trainee" => Ok(Role::Trainee),
            _ => Err(format!(
                "{s:?} is not a role (use oncall, commander or trainee)"
            )),
        }
    }
}

/// The overlays of design brief §1; both only tighten.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Overlays {
    /// The cluster matches no known runbook or past incident well enough.
    pub novel: bool,
    /// Budget behaviour left its baseline and the commander has not acknowledged it yet.
    pub drift: bool,
}

/// One person's approval of one step (the argv binding is kept by the caller).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Approval {
    pub by: String,
    pub role: Role,
    /// The effective mode when the approval was given.
    pub mode: Mode,
}

/// What the policy says about a step right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// It may run now.
    Allowed,
    /// It may run once `missing` is given, e.g. "approval by the incident commander".
    NeedsApproval { missing: String },
    /// No approval can make it run in this mode.
    Refused { reason: String },
}

impl Verdict {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed)
    }

    pub fn is_refused(&self) -> bool {
        matches!(self, Verdict::Refused { .. })
    }

    /// 2 = allowed, 1 = needs approval, 0 = refused (for "never looser" comparisons).
    pub fn permissiveness(&self) -> u8 {
        match self {
            Verdict::Allowed => 2,
            Verdict::NeedsApproval { .. } => 1,
            Verdict::Refused { .. } => 0,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Allowed => f.write_str("allowed"),
            Verdict::NeedsApproval { missing } => write!(f, "needs {missing}"),
            Verdict::Refused { reason } => write!(f, "refused: {reason}"),
        }
    }
}

/// What the policy needs to know about a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StepClass {
    pub kind: StepKind,
    /// Reviewed and signed off (`audited:` present) and not changed since.
    pub pre_audited: bool,
    /// Edited in the cockpit (a code block of a runbook without structured steps is not novel:
    /// it is unaudited, `pre_audited: false`).
    pub novel: bool,
}

impl StepClass {
    /// Every combination, for exhaustive tests.
    pub fn all() -> Vec<StepClass> {
        let mut out = Vec::new();
        for kind in StepKind::ALL {
            for pre_audited in [false, true] {
                for novel in [false, true] {
                    out.push(StepClass {
                        kind,
                        pre_audited,
                        novel,
                    });
                }
            }
        }
        out
    }
}

impl From<&Step> for StepClass {
    fn from(step: &Step) -> Self {
        StepClass {
            kind: step.kind,
            pre_audited: step.is_pre_audited(),
            novel: step.is_novel(),
        }
    }
}

const ANYONE: &str = "approval by the on-call engineer or the incident commander";
const COMMANDER: &str = "approval by the incident commander";

/// The policy of design brief §1. Pure and total; see the module documentation for the table.
pub fn policy(mode: Mode, overlays: Overlays, step: &StepClass, approvals: &[Approval]) -> Verdict {
    let effective = if overlays.drift {
        mode.stricter()
    } else {
        mode
    };
    let drift_note = if overlays.drift && effective != mode {
        format!(" ({mode} evaluated as {effective} while drift is unacknowledged)")
    } else {
        String::new()
    };
    let known_diagnostic = step.kind == StepKind::Diagnostic && !step.novel;
    let known_audited_mitigation =
        step.kind == StepKind::Mitigation && step.pre_audited && !step.novel;
    // A chaos experiment spends budget on purpose: only while the budget is healthy, and then
    // like a mitigation (pre-audited: one approval; otherwise the commander's).
    let known_audited_experiment =
        step.kind == StepKind::Experiment && step.pre_audited && !step.novel;

    if overlays.novel && !known_diagnostic {
        return Verdict::Refused {
            reason:
                "novel cluster: nothing beyond runbook diagnostics is run for it (human judgment)"
                    .into(),
        };
    }

    // Approvals that count: not a trainee's, not given in a looser mode; one per person.
    let counted: Vec<&Approval> = {
        let mut seen = BTreeSet::new();
        let mut v = Vec::new();
        // Commander approvals first, so a person who approved in both roles counts as commander.
        let mut sorted: Vec<&Approval> = approvals.iter().collect();
        sorted.sort_by_key(|a| a.role != Role::Commander);
        for a in sorted {
            if a.role != Role::Trainee && a.mode >= effective && seen.insert(a.by.as_str()) {
                v.push(a);
            }
        }
        v
    };
    let void = approvals
        .iter()
        .filter(|a| a.role != Role::Trainee && a.mode < effective)
        .count();
    let void_note = if void > 0 {
        format!(
            " ({void} earlier approval{} given in a looser mode {} void in {effective})",
            if void == 1 { "" } else { "s" },
            if void == 1 { "is" } else { "are" }
        )
    } else {
        String::new()
    };
    let need = |what: String| Verdict::NeedsApproval {
        missing: format!("{what}{void_note}{drift_note}"),
    };
    let commander = counted.iter().find(|a| a.role == Role::Commander);

    if known_diagnostic {
        return if counted.is_empty() {
            need(ANYONE.into())
        } else {
            Verdict::Allowed
        };
    }

    match effective {
        Mode::Freeze | Mode::Redesign if step.kind == StepKind::Experiment => Verdict::Refused {
            reason: format!(
                "{effective}: no chaos experiments while the error budget burns or is spent \
                 (only in Adaptive){drift_note}"
            ),
        },
        Mode::Adaptive if known_audited_mitigation || known_audited_experiment => {
            if counted.is_empty() {
                need(ANYONE.into())
            } else {
                Verdict::Allowed
            }
        }
        Mode::Adaptive => {
            if commander.is_some() {
                Verdict::Allowed
            } else {
                need(COMMANDER.into())
            }
        }
        Mode::Freeze | Mode::Redesign if !known_audited_mitigation => Verdict::Refused {
            reason: format!(
                "{effective}: only diagnostics and pre-audited mitigations may run; {} \
                 (do it by hand and record it){drift_note}",
                if step.novel {
                    "edited or novel steps are refused"
                } else {
                    "this mitigation is not pre-audited"
                }
            ),
        },
        Mode::Freeze => {
            if commander.is_some() {
                Verdict::Allowed
            } else {
                need(COMMANDER.into())
            }
        }
        Mode::Redesign => match (commander, counted.len()) {
            (Some(_), n) if n >= 2 => Verdict::Allowed,
            (Some(c), _) => need(format!(
                "a second approval by someone other than {} (two different approvers)",
                c.by
            )),
            (None, 0) => {
                need("two approvals by different people, one of them the incident commander".into())
            }
            (None, _) => need(format!(
                "{COMMANDER} (the second of two different approvers)"
            )),
        },
    }
}

/// The policy for a step when the budgets' own mode (the governor's mode without the
/// commander's override, [`crate::slo::Governor::budget_mode`]) is known too.
///
/// An override changes who must approve, never the headroom (issue 17 §14): a chaos experiment
/// spends budget on purpose, so it is refused unless the *budgets* say Adaptive, whatever mode
/// an override put in force. Everything else is [`policy`] with the overridden mode. The cockpit
/// and the experiment gate (`crate::chaos::gate`) both decide experiments through this one
/// function.
pub fn policy_with_headroom(
    mode: Mode,
    budget_mode: Mode,
    overlays: Overlays,
    step: &StepClass,
    approvals: &[Approval],
) -> Verdict {
    if step.kind == StepKind::Experiment && budget_mode != Mode::Adaptive {
        let overridden = if mode != budget_mode {
            format!(
                "; the override to {} changes who must approve, not the headroom \
                 (an override is not headroom)",
                mode.label()
            )
        } else {
            String::new()
        };
        return Verdict::Refused {
            reason: format!(
                "the error budgets say {}: chaos experiments need real budget \
                 headroom (Adaptive from the budgets){overridden}",
                budget_mode.label()
            ),
        };
    }
    policy(mode, overlays, step, approvals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ap(by: &str, role: Role, mode: Mode) -> Approval {
        Approval {
            by: by.into(),
            role,
            mode,
        }
    }

    const DIAG: StepClass = StepClass {
        kind: StepKind::Diagnostic,
        pre_audited: false,
        novel: false,
    };
    const AUDITED_MIT: StepClass = StepClass {
        kind: StepKind::Mitigation,
        pre_audited: true,
        novel: false,
    };
    const EDITED: StepClass = StepClass {
        kind: StepKind::Mitigation,
        pre_audited: false,
        novel: true,
    };
    const NONE: Overlays = Overlays {
        novel: false,
        drift: false,
    };

    #[test]
    fn the_design_table() {
        use Mode::*;
        let a = ap("a", Role::Oncall, Redesign);
        let c = ap("c", Role::Commander, Redesign);
        // Adaptive
        assert!(!policy(Adaptive, NONE, &DIAG, &[]).is_allowed());
        assert!(policy(Adaptive, NONE, &DIAG, std::slice::from_ref(&a)).is_allowed());
        assert!(policy(Adaptive, NONE, &AUDITED_MIT, std::slice::from_ref(&a)).is_allowed());
        assert!(!policy(Adaptive, NONE, &EDITED, std::slice::from_ref(&a)).is_allowed());
        assert!(policy(Adaptive, NONE, &EDITED, std::slice::from_ref(&c)).is_allowed());
        // Freeze
        assert!(policy(Freeze, NONE, &DIAG, std::slice::from_ref(&a)).is_allowed());
        assert!(!policy(Freeze, NONE, &AUDITED_MIT, std::slice::from_ref(&a)).is_allowed());
        assert!(policy(Freeze, NONE, &AUDITED_MIT, std::slice::from_ref(&c)).is_allowed());
        assert!(policy(Freeze, NONE, &EDITED, std::slice::from_ref(&c)).is_refused());
        // Redesign
        assert!(policy(Redesign, NONE, &DIAG, std::slice::from_ref(&a)).is_allowed());
        assert!(!policy(Redesign, NONE, &AUDITED_MIT, std::slice::from_ref(&c)).is_allowed());
        assert!(!policy(Redesign, NONE, &AUDITED_MIT, &[c.clone(), c.clone()]).is_allowed());
        assert!(policy(Redesign, NONE, &AUDITED_MIT, &[a.clone(), c.clone()]).is_allowed());
        assert!(policy(Redesign, NONE, &EDITED, &[a, c]).is_refused());
    }

    #[test]
    fn approvals_from_a_looser_mode_are_void() {
        let v = policy(
            Mode::Freeze,
            NONE,
            &AUDITED_MIT,
            &[ap("c", Role::Commander, Mode::Adaptive)],
        );
        match v {
            Verdict::NeedsApproval { missing } => assert!(missing.contains("void"), "{missing}"),
            other => panic!("{other:?}"),
        }
        // Drift: Adaptive is evaluated as Freeze.
        let drift = Overlays {
            novel: false,
            drift: true,
        };
        assert!(
            !policy(
                Mode::Adaptive,
                drift,
                &AUDITED_MIT,
                &[ap("a", Role::Oncall, Mode::Freeze)]
            )
            .is_allowed()
        );
        assert!(
            policy(
                Mode::Adaptive,
                drift,
                &AUDITED_MIT,
                &[ap("c", Role::Commander, Mode::Freeze)]
            )
            .is_allowed()
        );
    }

    #[test]
    fn chaos_experiments_only_in_adaptive() {
        let experiment = StepClass {
            kind: StepKind::Experiment,
            pre_audited: true,
            novel: false,
        };
        let a = |mode| [ap("a", Role::Oncall, mode), ap("c", Role::Commander, mode)];
        assert!(policy(Mode::Adaptive, NONE, &experiment, &a(Mode::Adaptive)[..1]).is_allowed());
        for mode in [Mode::Freeze, Mode::Redesign] {
            match policy(mode, NONE, &experiment, &a(mode)) {
                Verdict::Refused { reason } => assert!(reason.contains("chaos"), "{reason}"),
                other => panic!("{mode}: {other:?}"),
            }
        }
        let drift = Overlays {
            novel: false,
            drift: true,
        };
        assert!(policy(Mode::Adaptive, drift, &experiment, &[]).is_refused());
        let unaudited = StepClass {
            pre_audited: false,
            ..experiment
        };
        assert!(
            !policy(
                Mode::Adaptive,
                NONE,
                &unaudited,
                &[ap("a", Role::Oncall, Mode::Adaptive)]
            )
            .is_allowed()
        );
    }

    #[test]
    fn an_override_is_not_headroom() {
        let experiment = StepClass {
            kind: StepKind::Experiment,
            pre_audited: true,
            novel: false,
        };
        let approvals = [
            ap("a", Role::Oncall, Mode::Adaptive),
            ap("c", Role::Commander, Mode::Adaptive),
        ];
        for budget in [Mode::Freeze, Mode::Redesign] {
            // The commander overrode to ADAPTIVE: a mitigation follows the override...
            assert!(
                policy_with_headroom(Mode::Adaptive, budget, NONE, &AUDITED_MIT, &approvals)
                    .is_allowed()
            );
            // ...an experiment does not.
            match policy_with_headroom(Mode::Adaptive, budget, NONE, &experiment, &approvals) {
                Verdict::Refused { reason } => {
                    assert!(reason.contains("not headroom"), "{reason}")
                }
                other => panic!("{budget}: {other:?}"),
            }
        }
        assert!(
            policy_with_headroom(
                Mode::Adaptive,
                Mode::Adaptive,
                NONE,
                &experiment,
                &approvals
            )
            .is_allowed()
        );
    }

    #[test]
    fn role_parses() {
        assert_eq!("commander".parse::<Role>().unwrap(), Role::Commander);
        assert!("boss".parse::<Role>().is_err());
    }
}
