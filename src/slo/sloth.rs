//! Sloth specs: `version: prometheus/v1` files and the `sloth.slok.dev/v1`
//! `PrometheusServiceLevel` Kubernetes resource (same `spec`). `objective` is a percentage;
//! Sloth has no window in the spec (its default period is 30 days, which is used here). SLO names
//! become Sloth's id `<service>-<name>` (the `sloth_id` label). SLIs: `events` (error_query and
//! total_query, kept verbatim with their `{{.window}}` placeholder) or `raw.error_ratio_query`;
//! plugin SLIs are refused.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use super::parse::{ParsedSlo, SliQueries, SpecError, SpecFormat};
use super::spec::SloSpec;
use crate::time::SignedDuration;

type S<T> = Spanned<T>;

/// Sloth's default SLO period.
pub const SLOTH_DEFAULT_WINDOW_DAYS: i64 = 30;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Doc {
    version: Option<S<String>>,
    api_version: Option<S<String>>,
    kind: Option<S<String>>,
    // prometheus/v1 top level
    service: Option<S<String>>,
    slos: Option<S<Vec<S<Slo>>>>,
    // Kubernetes resource
    spec: Option<S<K8sSpec>>,
}

#[derive(Deserialize)]
struct K8sSpec {
    service: Option<S<String>>,
    slos: Option<S<Vec<S<Slo>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Slo {
    name: Option<S<String>>,
    objective: Option<S<f64>>,
    description: Option<String>,
    labels: Option<IgnoredAny>,
    sli: Option<S<Sli>>,
    alerting: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sli {
    events: Option<S<Events>>,
    raw: Option<S<Raw>>,
    plugin: Option<S<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Events {
    error_query: Option<S<String>>,
    total_query: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    error_ratio_query: Option<S<String>>,
}

fn err<T>(path: &str, at: &S<T>, field: &str, msg: impl Into<String>) -> SpecError {
    SpecError::new(
        path,
        at.referenced.line(),
        at.referenced.column(),
        field,
        msg,
    )
}

pub(crate) fn parse(path: &str, text: &str) -> Result<Vec<ParsedSlo>, SpecError> {
    let docs: Vec<S<Doc>> =
        serde_saphyr::from_str_multiple(text).map_err(|e| SpecError::from_yaml(path, text, &e))?;
    let mut out = Vec::new();
    for d in &docs {
        let doc = &d.value;
        let (service, slos, prefix) = if let Some(v) = &doc.version {
            if v.value != "prometheus/v1" {
                return Err(err(
                    path,
                    v,
                    "version",
                    format!(
                        "unsupported Sloth version {:?} (expected prometheus/v1)",
                        v.value
                    ),
                ));
            }
            (&doc.service, &doc.slos, "")
        } else if let Some(api) = &doc.api_version {
            if !api.value.starts_with("sloth.slok.dev/") {
                continue;
            }
            if doc.kind.as_ref().map(|k| k.value.as_str()) != Some("PrometheusServiceLevel") {
                continue;
            }
            let Some(spec) = &doc.spec else {
                return Err(err(path, d, "spec", "missing `spec`"));
            };
            (&spec.value.service, &spec.value.slos, "spec.")
        } else {
            continue;
        };
        let Some(service) = service else {
            return Err(err(
                path,
                d,
                &format!("{prefix}service"),
                "missing `service`",
            ));
        };
        let Some(slos) = slos else {
            return Err(err(path, d, &format!("{prefix}slos"), "missing `slos`"));
        };
        for (i, s) in slos.value.iter().enumerate() {
            let field = |f: &str| format!("{prefix}slos[{i}].{f}");
            let sv = &s.value;
            let _ = (&sv.labels, &sv.alerting);
            let Some(name) = &sv.name else {
                return Err(err(path, s, &field("name"), "missing `name`"));
            };
            let Some(obj) = &sv.objective else {
                return Err(err(
                    path,
                    s,
                    &field("objective"),
                    "missing `objective` (a percentage, e.g. 99.9)",
                ));
            };
            if !(obj.value > 0.0 && obj.value < 100.0) {
                return Err(err(
                    path,
                    obj,
                    &field("objective"),
                    format!("must be a percentage in (0, 100), got {}", obj.value),
                ));
            }
            let Some(sli) = &sv.sli else {
                return Err(err(path, s, &field("sli"), "missing `sli`"));
            };
            let mut queries = SliQueries {
                source_type: Some("Prometheus".to_string()),
                counter: true,
                ..SliQueries::default()
            };
            match (&sli.value.events, &sli.value.raw, &sli.value.plugin) {
                (Some(ev), None, None) => {
                    let Some(e) = &ev.value.error_query else {
                        return Err(err(
                            path,
                            ev,
                            &field("sli.events.error_query"),
                            "missing `error_query`",
                        ));
                    };
                    let Some(t) = &ev.value.total_query else {
                        return Err(err(
                            path,
                            ev,
                            &field("sli.events.total_query"),
                            "missing `total_query`",
                        ));
                    };
                    queries.bad = Some(e.value.clone());
                    queries.total = Some(t.value.clone());
                }
                (None, Some(raw), None) => {
                    let Some(q) = &raw.value.error_ratio_query else {
                        return Err(err(
                            path,
                            raw,
                            &field("sli.raw.error_ratio_query"),
                            "missing `error_ratio_query`",
                        ));
                    };
                    queries.error_ratio = Some(q.value.clone());
                    queries.counter = false;
                }
                (None, None, Some(p)) => {
                    return Err(err(
                        path,
                        p,
                        &field("sli.plugin"),
                        "plugin SLIs are not supported; use `events` or `raw`",
                    ));
                }
                _ => {
                    return Err(err(
                        path,
                        sli,
                        &field("sli"),
                        "give exactly one of `events`, `raw` or `plugin`",
                    ));
                }
            }
            out.push(ParsedSlo {
                spec: SloSpec {
                    name: format!("{}-{}", service.value, name.value),
                    service: service.value.clone(),
                    objective: obj.value / 100.0,
                    window: SignedDuration::from_hours(24 * SLOTH_DEFAULT_WINDOW_DAYS),
                    description: sv.description.clone().unwrap_or_default(),
                    min_events: None,
                },
                queries,
                format: SpecFormat::Sloth,
                line: s.referenced.line(),
            });
        }
    }
    Ok(out)
}
