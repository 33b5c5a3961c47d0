//! Suggested actions: runbook steps, argv templating and the approval policy.
//!
//! Pure: no I/O, no clock. [`step`] describes what a step is and fills its argv from an alert's
//! labels and annotations (a placeholder always stays one argv element); [`policy`] is the one
//! pure function that decides, from the mode, the overlays, the step and the approvals given so
//! far, whether the step may run *now* (design brief §1).

pub mod policy;
pub mod step;

pub use policy::{Approval, Overlays, Role, StepClass, Verdict, policy};
pub use step::{
    Audit, Step, StepKind, StepOrigin, TemplateError, render_argv, shell_env, validate_argv,
};
