//! The configuration file as written: one struct a TOML table, every value with its span so
//! that a problem can name its line and column ([`super::resolve`] turns it into a `Config`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::RawUi;

pub(super) type Sp<T> = toml::Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    pub(super) user: Option<RawUser>,
    pub(super) journal: Option<RawJournal>,
    pub(super) knowledge: Option<RawKnowledge>,
    pub(super) experiments: Option<RawExperiments>,
    pub(super) slo: Option<RawSlo>,
    pub(super) prometheus: Option<Sp<RawPrometheus>>,
    pub(super) alertmanager: Option<Sp<RawAlertmanager>>,
    pub(super) webhook: Option<Sp<RawWebhook>>,
    pub(super) clustering: Option<RawClustering>,
    pub(super) governor: Option<RawGovernor>,
    pub(super) topology: Option<BTreeMap<String, Vec<String>>>,
    pub(super) ui: Option<RawUi>,
    pub(super) team: Option<RawTeam>,
}

/// `[team]`: who may act as incident commander.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTeam {
    pub(super) commanders: Option<Sp<Vec<Sp<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUser {
    pub(super) name: Option<String>,
    pub(super) role: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJournal {
    pub(super) path: Option<Sp<String>>,
    pub(super) url: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKnowledge {
    pub(super) runbooks: Option<Vec<Sp<String>>>,
    pub(super) postmortems: Option<Vec<Sp<String>>>,
}

/// `[experiments]`: where the chaos experiment files are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExperiments {
    pub(super) dir: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlo {
    pub(super) files: Option<Vec<Sp<String>>>,
    pub(super) queries: Option<BTreeMap<String, Sp<RawQueries>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQueries {
    pub(super) good: Option<String>,
    pub(super) bad: Option<String>,
    pub(super) total: Option<String>,
    pub(super) counter: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrometheus {
    pub(super) url: Sp<String>,
    pub(super) interval: Option<Sp<String>>,
    pub(super) timeout: Option<Sp<String>>,
    pub(super) backfill: Option<bool>,
    pub(super) backfill_step: Option<Sp<String>>,
    pub(super) max_backoff: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlertmanager {
    pub(super) url: Sp<String>,
    pub(super) interval: Option<Sp<String>>,
    pub(super) timeout: Option<Sp<String>>,
    pub(super) filter: Option<Vec<String>>,
    pub(super) receiver: Option<String>,
    pub(super) max_backoff: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    pub(super) listen: Option<Sp<String>>,
    pub(super) token: Option<Sp<String>>,
    pub(super) token_env: Option<Sp<String>>,
    pub(super) body_limit: Option<Sp<i64>>,
    pub(super) max_queued_alerts: Option<Sp<i64>>,
    pub(super) max_concurrent: Option<Sp<i64>>,
    pub(super) max_connections: Option<Sp<i64>>,
    pub(super) header_timeout: Option<Sp<String>>,
    pub(super) body_timeout: Option<Sp<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClustering {
    pub(super) group_by: Option<Vec<String>>,
    pub(super) link_by: Option<Vec<String>>,
    pub(super) partition_by: Option<Vec<String>>,
    pub(super) window: Option<Sp<String>>,
    pub(super) text_similarity: Option<bool>,
    pub(super) max_span: Option<Sp<String>>,
    pub(super) retention: Option<Sp<String>>,
    pub(super) never_acted_firings: Option<Sp<i64>>,
    pub(super) memory_budget: Option<Sp<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGovernor {
    pub(super) mode_hold: Option<Sp<String>>,
}
