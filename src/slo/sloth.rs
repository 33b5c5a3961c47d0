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
        let Some(section) = section_of(path, d)? else {
            continue;
        };
        let prefix = section.prefix;
        let Some(service) = section.service else {
            return Err(err(
                path,
                d,
                &format!("{prefix}service"),
                "missing `service`",
            ));
        };
        let Some(slos) = section.slos else {
            return Err(err(path, d, &format!("{prefix}slos"), "missing `slos`"));
        };
        for (i, s) in slos.value.iter().enumerate() {
            let at = SloAt { path, prefix, i };
            out.push(slo_of(&at, service, s)?);
        }
    }
    Ok(out)
}

/// Where a document keeps its service and SLOs: the top level (`version: prometheus/v1`) or
/// the Kubernetes resource's `spec`.
struct Section<'d> {
    service: &'d Option<S<String>>,
    slos: &'d Option<S<Vec<S<Slo>>>>,
    /// `""` or `"spec."`, for field names in messages.
    prefix: &'static str,
}

/// The document's version or apiVersion and kind: its section, `None` for a document that is
/// not a Sloth spec.
fn section_of<'d>(path: &str, d: &'d S<Doc>) -> Result<Option<Section<'d>>, SpecError> {
    let doc = &d.value;
    if let Some(v) = &doc.version {
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
        return Ok(Some(Section {
            service: &doc.service,
            slos: &doc.slos,
            prefix: "",
        }));
    }
    let Some(api) = &doc.api_version else {
        return Ok(None);
    };
    if !api.value.starts_with("sloth.slok.dev/")
        || doc.kind.as_ref().map(|k| k.value.as_str()) != Some("PrometheusServiceLevel")
    {
        return Ok(None);
    }
    let Some(spec) = &doc.spec else {
        return Err(err(path, d, "spec", "missing `spec`"));
    };
    Ok(Some(Section {
        service: &spec.value.service,
        slos: &spec.value.slos,
        prefix: "spec.",
    }))
}

/// The `i`th SLO of a section, for messages.
struct SloAt<'a> {
    path: &'a str,
    prefix: &'a str,
    i: usize,
}

impl SloAt<'_> {
    fn field(&self, f: &str) -> String {
        format!("{}slos[{}].{f}", self.prefix, self.i)
    }
}

/// One SLO of the service.
fn slo_of(at: &SloAt<'_>, service: &S<String>, s: &S<Slo>) -> Result<ParsedSlo, SpecError> {
    let path = at.path;
    let sv = &s.value;
    let _ = (&sv.labels, &sv.alerting);
    let Some(name) = &sv.name else {
        return Err(err(path, s, &at.field("name"), "missing `name`"));
    };
    let Some(obj) = &sv.objective else {
        return Err(err(
            path,
            s,
            &at.field("objective"),
            "missing `objective` (a percentage, e.g. 99.9)",
        ));
    };
    if !(obj.value > 0.0 && obj.value < 100.0) {
        return Err(err(
            path,
            obj,
            &at.field("objective"),
            format!("must be a percentage in (0, 100), got {}", obj.value),
        ));
    }
    let Some(sli) = &sv.sli else {
        return Err(err(path, s, &at.field("sli"), "missing `sli`"));
    };
    Ok(ParsedSlo {
        spec: SloSpec {
            name: format!("{}-{}", service.value, name.value),
            service: service.value.clone(),
            objective: obj.value / 100.0,
            window: SignedDuration::from_hours(24 * SLOTH_DEFAULT_WINDOW_DAYS),
            description: sv.description.clone().unwrap_or_default(),
            min_events: None,
        },
        queries: queries_of(at, sli)?,
        format: SpecFormat::Sloth,
        line: s.referenced.line(),
    })
}

/// The SLI's queries: `events` (error and total) or `raw` (an error ratio); plugins refused.
fn queries_of(at: &SloAt<'_>, sli: &S<Sli>) -> Result<SliQueries, SpecError> {
    let path = at.path;
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
                    &at.field("sli.events.error_query"),
                    "missing `error_query`",
                ));
            };
            let Some(t) = &ev.value.total_query else {
                return Err(err(
                    path,
                    ev,
                    &at.field("sli.events.total_query"),
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
                    &at.field("sli.raw.error_ratio_query"),
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
                &at.field("sli.plugin"),
                "plugin SLIs are not supported; use `events` or `raw`",
            ));
        }
        _ => {
            return Err(err(
                path,
                sli,
                &at.field("sli"),
                "give exactly one of `events`, `raw` or `plugin`",
            ));
        }
    }
    Ok(queries)
}
