//! Service level objectives: specs, budget math over burn windows, and the governor that turns
//! budget state into the automation mode. Pure: no I/O, no wall clock — `now` is always a
//! parameter.
//!
//! - [`spec`]: `SloSpec` (format-independent) and the budget `1 − objective`;
//! - [`window`]: the burn windows and the SRE Workbook's multiwindow rules;
//! - `series`: bounded, tiered counter storage (private);
//! - [`state`]: `SloState` (ingest counters, evaluate) and `BudgetStatus`;
//! - [`governor`]: Adaptive / Freeze / Redesign with hysteresis and the drift overlay;
//! - [`drift`]: CUSUM drift detection on hourly burn rates (or any metric);
//! - [`parse`], [`openslo`], [`sloth`]: SLO files (OpenSLO v1, Sloth) → `ParsedSlo`;
//! - [`promql`]: PromQL syntax of their queries (offline `check`);
//! - [`status`]: the one-shot `slo status` report (JSON per issue 3 §6);
//! - [`mode`]: the `Mode` enum.

pub mod drift;
pub mod governor;
pub mod mode;
pub mod openslo;
pub mod parse;
pub mod promql;
mod series;
pub mod sloth;
pub mod spec;
pub mod state;
pub mod status;
pub mod window;

pub use drift::{BurnDriftMonitor, CusumDetector, DriftConfig, DriftDirection, DriftSignal};
pub use governor::{Governor, ModeChange, ModeOverride, SETTLE};
pub use mode::Mode;
pub use parse::{ParsedSlo, SliQueries, SpecError, SpecFormat, parse_slo_file};
pub use spec::SloSpec;
pub use state::{BudgetStatus, BurnAlert, SloState, WindowCounts};
pub use status::{SampleRecord, SloReport, StatusReport, parse_samples_jsonl, status_report};
pub use window::{BurnRule, BurnSeverity, WORKBOOK_RULES, Window};
