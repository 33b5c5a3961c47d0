//! The scenario file as written: the serde shape of the YAML (values with their spans, for
//! messages that name the line) and of a line of its `events:` file (JSON).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) version: Spanned<u32>,
    pub(super) id: String,
    pub(super) title: String,
    #[serde(default)]
    pub(super) summary: String,
    #[serde(default)]
    pub(super) briefing: Option<String>,
    #[serde(default)]
    pub(super) outputs: BTreeMap<String, String>,
    pub(super) start: Spanned<String>,
    pub(super) duration: Spanned<String>,
    #[serde(default)]
    pub(super) knowledge: Vec<String>,
    #[serde(default)]
    pub(super) group_by: Option<Vec<String>>,
    #[serde(default)]
    pub(super) topology: BTreeMap<String, Vec<String>>,
    pub(super) slos: Vec<RawSlo>,
    #[serde(default)]
    pub(super) samples: Vec<RawSample>,
    #[serde(default)]
    pub(super) timeline: Vec<RawEvent>,
    /// A JSON Lines file beside the scenario with more samples and timeline events.
    #[serde(default)]
    pub(super) events: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlo {
    pub(super) name: Spanned<String>,
    pub(super) service: String,
    pub(super) objective: Spanned<f64>,
    pub(super) window: Spanned<String>,
    #[serde(default)]
    pub(super) description: String,
    /// Fewest events before the SLO moves the mode (default: `slo::spec::default_min_events`).
    #[serde(default)]
    pub(super) min_events: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSample {
    pub(super) at: Spanned<String>,
    pub(super) slo: Spanned<String>,
    pub(super) good: Spanned<f64>,
    pub(super) total: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    pub(super) at: Spanned<String>,
    #[serde(default)]
    pub(super) fire: Option<RawAlert>,
    #[serde(default)]
    pub(super) resolve: Option<RawAlert>,
    #[serde(default)]
    pub(super) decision: Option<RawDecision>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlert {
    pub(super) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) silenced: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDecision {
    pub(super) actor: String,
    pub(super) role: Spanned<String>,
    pub(super) kind: Spanned<String>,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) step: Option<String>,
    #[serde(default)]
    pub(super) outcome: Option<String>,
    #[serde(default)]
    pub(super) argv: Option<Vec<String>>,
}

/// One line of an `events:` file: a timeline event or a sample, in JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonEvent {
    pub(super) at: String,
    #[serde(default)]
    pub(super) fire: Option<RawAlert>,
    #[serde(default)]
    pub(super) resolve: Option<RawAlert>,
    #[serde(default)]
    pub(super) decision: Option<JsonDecision>,
    #[serde(default)]
    pub(super) sample: Option<JsonSample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonDecision {
    pub(super) actor: String,
    pub(super) role: String,
    pub(super) kind: String,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) step: Option<String>,
    #[serde(default)]
    pub(super) outcome: Option<String>,
    #[serde(default)]
    pub(super) argv: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonSample {
    pub(super) slo: String,
    pub(super) good: f64,
    pub(super) total: f64,
}
