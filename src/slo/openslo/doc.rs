//! The OpenSLO document as written: the serde shape of `kind: SLO` and `kind: SLI` (every value
//! with its span, for messages that name the line), read by [`super::parse`].

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

pub(super) type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Doc {
    pub(super) api_version: Option<S<String>>,
    pub(super) kind: Option<S<String>>,
    pub(super) metadata: Option<S<Metadata>>,
    pub(super) spec: Option<S<DocSpec>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Metadata {
    pub(super) name: Option<S<String>>,
    pub(super) display_name: Option<String>,
    /// OpenSLO's free-form annotations; flightdeck reads [`MIN_EVENTS_ANNOTATION`].
    #[serde(default)]
    pub(super) annotations: Option<S<BTreeMap<String, S<AnnotationValue>>>>,
}

/// The keys of an OpenSLO v1 `kind: SLO` spec.
pub(super) const SLO_SPEC_KEYS: &[&str] = &[
    "description",
    "service",
    "indicator",
    "indicatorRef",
    "timeWindow",
    "budgetingMethod",
    "objectives",
    "alertPolicies",
];

/// The annotation that sets an SLO's `min_events` (OpenSLO has no field for it).
pub const MIN_EVENTS_ANNOTATION: &str = "flightdeck/min-events";

/// Annotation values are strings in OpenSLO; a bare number is accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum AnnotationValue {
    Int(u64),
    Text(String),
    Other(IgnoredAny),
}

/// The union of the `spec` fields of `kind: SLO` and `kind: SLI` (other kinds' fields ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DocSpec {
    pub(super) description: Option<String>,
    pub(super) service: Option<S<String>>,
    pub(super) indicator: Option<S<InlineSli>>,
    pub(super) indicator_ref: Option<S<String>>,
    pub(super) time_window: Option<S<Vec<S<TimeWindow>>>>,
    pub(super) budgeting_method: Option<S<String>>,
    pub(super) objectives: Option<S<Vec<S<Objective>>>>,
    // kind: SLI
    pub(super) ratio_metric: Option<S<RatioMetric>>,
    pub(super) threshold_metric: Option<S<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InlineSli {
    pub(super) metadata: Option<Metadata>,
    pub(super) spec: S<SliSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SliSpec {
    pub(super) ratio_metric: Option<S<RatioMetric>>,
    pub(super) threshold_metric: Option<S<IgnoredAny>>,
    #[serde(rename = "description")]
    pub(super) _description: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RatioMetric {
    pub(super) counter: Option<bool>,
    pub(super) good: Option<S<MetricHolder>>,
    pub(super) bad: Option<S<MetricHolder>>,
    pub(super) total: Option<S<MetricHolder>>,
    pub(super) raw: Option<S<IgnoredAny>>,
    #[serde(rename = "rawType")]
    pub(super) _raw_type: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct MetricHolder {
    pub(super) metric_source: S<MetricSource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct MetricSource {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) metric_source_ref: Option<String>,
    pub(super) spec: Option<SourceSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SourceSpec {
    pub(super) query: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TimeWindow {
    pub(super) duration: Option<S<String>>,
    pub(super) is_rolling: Option<S<bool>>,
    pub(super) calendar: Option<S<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Objective {
    pub(super) display_name: Option<String>,
    pub(super) op: Option<IgnoredAny>,
    pub(super) value: Option<IgnoredAny>,
    pub(super) target: Option<S<f64>>,
    pub(super) target_percent: Option<S<f64>>,
    pub(super) time_slice_target: Option<S<f64>>,
    pub(super) time_slice_window: Option<S<String>>,
    pub(super) indicator: Option<S<IgnoredAny>>,
    pub(super) indicator_ref: Option<S<IgnoredAny>>,
    pub(super) composite_weight: Option<IgnoredAny>,
}
