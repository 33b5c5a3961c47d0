//! Suggested actions: runbook steps, argv templating, the approval policy and silences.
//!
//! Pure: no I/O, no clock. [`step`] describes what a step is and fills its argv from an alert's
//! labels and annotations (a placeholder always stays one argv element); [`policy()`] is the one
//! pure function that decides, from the mode, the overlays, the step and the approvals given so
//! far, whether the step may run *now* (design brief §1). The suggestions themselves, their
//! approvals and the re-check at execution time live in the cockpit (one path).

pub mod policy;
pub mod silence;
pub mod step;
pub mod step_ref;
pub mod tools;

pub use policy::{Approval, Overlays, Role, StepClass, Verdict, policy, policy_with_headroom};
pub use silence::{SilenceError, SilenceMatcher, SilenceRequest};
pub use step::{
    Audit, Filled, Step, StepKind, StepOrigin, TemplateError, may_give_values, render_argv,
    shell_display, shell_env, validate_argv,
};
pub use step_ref::StepRef;
