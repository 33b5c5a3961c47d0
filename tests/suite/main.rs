//! The integration tests, as modules of one test binary: each module is one former test file
//! (a domain: actions, alerts, cockpit, config, journal, knowledge, live, slo, training, tui, and
//! the end-to-end terminal tests). One binary links the crate once instead of once a file.
//!
//! Shared helpers live in [`common`]; fixtures under `tests/fixtures/`; insta snapshots in
//! `tests/suite/snapshots/`.

mod common;

mod actions_ledger;
mod actions_policy;
mod actions_render;
mod alerts_chain_span;
mod alerts_cluster;
mod alerts_noise_incidents;
mod alerts_parse;
mod alerts_props;
mod alerts_prune_noise;
mod alerts_storms;
mod cli_error_messages;
mod cli_knowledge_alerts;
mod cli_terminal_escapes;
mod cockpit_override;
mod cockpit_silence;
mod cockpit_staleness;
mod config_example;
mod e2e_terminal;
mod exec_run;
mod fuzz_smoke;
mod journal_crash;
mod journal_every_kind;
mod journal_numbers;
mod journal_sign;
mod journal_store;
mod journal_tamper;
mod knowledge_demo;
mod knowledge_eval;
mod knowledge_search;
mod knowledge_walk;
mod knowledge_watch;
mod live_cli;
mod live_faults;
mod live_override;
mod live_reload;
mod live_servers;
mod live_webhook;
mod mode_history;
mod purity;
mod replay_cli;
mod replay_reference_argv;
mod session_journal;
mod slo_budget;
mod slo_cli;
mod slo_drift;
mod slo_governor;
mod slo_props;
mod slo_purity;
mod slo_scenarios;
mod slo_specs;
mod slo_status;
mod suggestion_targets;
mod time_overflow;
mod training_debrief_judges;
mod training_docs;
mod training_drill;
mod training_export;
mod training_record;
mod training_scenarios;
mod training_timeline;
mod tui_flow;
mod tui_render;
mod tui_snapshots;
