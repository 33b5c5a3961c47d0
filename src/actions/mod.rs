//! Suggested actions: runbook steps, argv templating, the approval policy and the pending-step
//! ledger.
//!
//! Pure: no I/O, no clock. [`step`] describes what a step is and fills its argv from an alert's
//! labels and annotations (a placeholder always stays one argv element); [`policy()`] is the one
//! pure function that decides, from the mode, the overlays, the step and the approvals given so
//! far, whether the step may run *now* (design brief §1); [`ledger`] binds approvals to the exact
//! command and the mode they were given in and re-checks the policy at execution time;
//! [`suggest()`] turns a matched runbook's steps into the suggestions the actions pane shows.

pub mod ledger;
pub mod policy;
pub mod silence;
pub mod step;
pub mod suggest;

pub use ledger::{ApprovalRecord, ApproveError, ExecutePermit, PendingStep, command_digest};
pub use policy::{Approval, Overlays, Role, StepClass, Verdict, policy, policy_with_headroom};
pub use silence::{SilenceMatcher, SilenceRequest};
pub use step::{
    Audit, Filled, Step, StepKind, StepOrigin, TemplateError, render_argv, shell_display,
    shell_env, validate_argv,
};
pub use suggest::{Suggestion, suggest};
