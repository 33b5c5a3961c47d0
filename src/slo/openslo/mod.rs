//! OpenSLO v1 `kind: SLO` (the subset flightdeck evaluates): inline `indicator` or an
//! `indicatorRef` to a `kind: SLI` in the same file, with a `ratioMetric` of good/total or
//! bad/total; a rolling `timeWindow`; `budgetingMethod: Occurrences`; `objectives[]` with
//! `target` or `targetPercent` (one `SloSpec` per objective). Other kinds in the file (Service,
//! AlertPolicy, …) are skipped. Durations: an integer and one of `m` (minutes), `h`, `d`, `w`,
//! `M` (months, counted as 30 days for a rolling window), `Q` (90 days), `Y` (365 days).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::parse::{ParsedSlo, SliQueries, SpecError, SpecFormat};
use super::spec::SloSpec;
use crate::time::SignedDuration;

mod doc;
pub use doc::MIN_EVENTS_ANNOTATION;
use doc::*;

/// An OpenSLO duration flightdeck cannot take as a window (each message quotes the text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenSloDurationError {
    #[error(
        "{0:?} is not an OpenSLO duration (an integer and one of m h d w M Q Y, e.g. 28d; \
         m is minutes, M months)"
    )]
    NotADuration(String),
    #[error("{0:?}: a window must be positive")]
    NotPositive(String),
    #[error("{0:?}: a window can be at most a year and a day (366d)")]
    TooLong(String),
}

/// Parses an OpenSLO duration (`28d`, `4w`, `1M`, `90m`); `m` is minutes, `M` months.
pub fn parse_openslo_duration(text: &str) -> Result<SignedDuration, OpenSloDurationError> {
    let t = text.trim();
    let bad = || OpenSloDurationError::NotADuration(text.to_string());
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs: i64 = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        'M' => 30 * 86_400,
        'Q' => 90 * 86_400,
        'Y' => 365 * 86_400,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(OpenSloDurationError::NotPositive(text.to_string()));
    }
    let window = n
        .checked_mul(secs)
        .map(SignedDuration::from_secs)
        .ok_or_else(bad)?;
    if window > crate::time::MAX_SLO_WINDOW {
        return Err(OpenSloDurationError::TooLong(text.to_string()));
    }
    Ok(window)
}

struct Ctx<'a> {
    path: &'a str,
    /// The file's text, to find the line of a misspelled key.
    text: &'a str,
    /// SLIs defined in this file, for `indicatorRef`.
    slis: BTreeMap<String, &'a DocSpec>,
}

impl Ctx<'_> {
    fn err<T>(&self, at: &S<T>, field: &str, msg: impl Into<String>) -> SpecError {
        SpecError::new(
            self.path,
            at.referenced.line(),
            at.referenced.column(),
            field,
            msg,
        )
    }
}

/// The keys written under a document's `spec`, to name a misspelled one (`objectivs`) rather
/// than report the field it was meant to be as missing.
#[derive(Deserialize)]
struct SpecKeys {
    spec: Option<BTreeMap<String, IgnoredAny>>,
}

fn queries_of(ctx: &Ctx<'_>, rm: &S<RatioMetric>, field: &str) -> Result<SliQueries, SpecError> {
    let r = &rm.value;
    if r.raw.is_some() {
        return Err(ctx.err(
            rm,
            &format!("{field}.raw"),
            "raw ratio metrics are not supported; use good/total or bad/total",
        ));
    }
    if r.total.is_none() {
        return Err(ctx.err(rm, &format!("{field}.total"), "a ratioMetric needs `total`"));
    }
    match (&r.good, &r.bad) {
        (Some(_), Some(b)) => {
            return Err(ctx.err(
                b,
                &format!("{field}.bad"),
                "give either `good` or `bad`, not both",
            ));
        }
        (None, None) => {
            return Err(ctx.err(
                rm,
                &format!("{field}.good"),
                "a ratioMetric needs `good` or `bad` (with `total`)",
            ));
        }
        _ => {}
    }
    let query = |m: &Option<S<MetricHolder>>| {
        m.as_ref().and_then(|h| {
            let src = &h.value.metric_source.value;
            src.spec
                .as_ref()
                .and_then(|s| s.query.clone())
                .or_else(|| src.metric_source_ref.clone())
        })
    };
    let source_type = [&r.good, &r.bad, &r.total]
        .into_iter()
        .flatten()
        .find_map(|h| h.value.metric_source.value.kind.clone());
    Ok(SliQueries {
        source_type,
        good: query(&r.good),
        bad: query(&r.bad),
        total: query(&r.total),
        error_ratio: None,
        counter: r.counter.unwrap_or(false),
    })
}

/// Parses the OpenSLO documents of one file.
pub(crate) fn parse(path: &str, text: &str) -> Result<Vec<ParsedSlo>, SpecError> {
    let docs: Vec<S<Doc>> =
        serde_saphyr::from_str_multiple(text).map_err(|e| SpecError::from_yaml(path, text, &e))?;
    let mut slis: BTreeMap<String, &DocSpec> = BTreeMap::new();
    for d in &docs {
        if d.value.kind.as_ref().map(|k| k.value.as_str()) == Some("SLI")
            && let (Some(md), Some(spec)) = (&d.value.metadata, &d.value.spec)
            && let Some(name) = &md.value.name
        {
            slis.insert(name.value.clone(), &spec.value);
        }
    }
    let ctx = Ctx { path, text, slis };
    let spec_keys: Vec<SpecKeys> = serde_saphyr::from_str_multiple(text).unwrap_or_default();

    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let keys = spec_keys.get(i).and_then(|k| k.spec.as_ref());
        out.extend(slos_of(&ctx, d, keys)?);
    }
    Ok(out)
}

/// The SLOs of one document: one an objective, none if it is not `kind: SLO`.
fn slos_of(
    ctx: &Ctx<'_>,
    d: &S<Doc>,
    keys: Option<&BTreeMap<String, IgnoredAny>>,
) -> Result<Vec<ParsedSlo>, SpecError> {
    let Some(Header { md, name }) = header(ctx, d)? else {
        return Ok(Vec::new());
    };
    let min_events = min_events(ctx, md)?;
    let Some(spec) = &d.value.spec else {
        return Err(ctx.err(d, "spec", "missing `spec`"));
    };
    misspelled_key(ctx, spec, keys)?;
    let sp = &spec.value;
    let Some(service) = &sp.service else {
        return Err(ctx.err(spec, "spec.service", "missing `service`"));
    };
    let queries = indicator(ctx, spec)?;
    let window = time_window(ctx, spec)?;
    budgeting_method(ctx, spec)?;
    let Some(objs) = &sp.objectives else {
        return Err(ctx.err(spec, "spec.objectives", "missing `objectives`"));
    };
    if objs.value.is_empty() {
        return Err(ctx.err(objs, "spec.objectives", "needs at least one objective"));
    }
    let several = objs.value.len() > 1;
    let description = sp
        .description
        .clone()
        .or_else(|| md.value.display_name.clone())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(objs.value.len());
    for (i, o) in objs.value.iter().enumerate() {
        let objective = objective_target(ctx, o, i)?;
        let slo_name = if several {
            let suffix = o
                .value
                .display_name
                .as_deref()
                .map(slug)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| i.to_string());
            format!("{}-{suffix}", name.value)
        } else {
            name.value.clone()
        };
        out.push(ParsedSlo {
            spec: SloSpec {
                name: slo_name,
                service: service.value.clone(),
                objective,
                window,
                description: description.clone(),
                min_events,
            },
            queries: queries.clone(),
            format: SpecFormat::OpenSlo,
            line: d.referenced.line(),
        });
    }
    Ok(out)
}

/// A `kind: SLO` document's metadata and its name.
struct Header<'d> {
    md: &'d S<Metadata>,
    name: &'d S<String>,
}

/// The document's `kind`, `apiVersion` and `metadata.name`: `None` for a kind other than SLO.
fn header<'d>(ctx: &Ctx<'_>, d: &'d S<Doc>) -> Result<Option<Header<'d>>, SpecError> {
    let doc = &d.value;
    let Some(kind) = &doc.kind else {
        return Err(ctx.err(d, "kind", "missing `kind` (expected `kind: SLO`)"));
    };
    if kind.value != "SLO" {
        return Ok(None);
    }
    match doc.api_version.as_ref() {
        Some(v) if v.value == "openslo/v1" => {}
        Some(v) => {
            return Err(ctx.err(
                v,
                "apiVersion",
                format!("unsupported apiVersion {:?} (expected openslo/v1)", v.value),
            ));
        }
        None => return Err(ctx.err(d, "apiVersion", "missing `apiVersion: openslo/v1`")),
    }
    let Some(md) = &doc.metadata else {
        return Err(ctx.err(d, "metadata", "missing `metadata` with `name`"));
    };
    let Some(name) = &md.value.name else {
        return Err(ctx.err(md, "metadata.name", "missing `name`"));
    };
    if name.value.trim().is_empty() {
        return Err(ctx.err(name, "metadata.name", "must not be empty"));
    }
    Ok(Some(Header { md, name }))
}

/// The `flightdeck/min-events` annotation, if given.
fn min_events(ctx: &Ctx<'_>, md: &S<Metadata>) -> Result<Option<u64>, SpecError> {
    let Some(v) = md
        .value
        .annotations
        .as_ref()
        .and_then(|a| a.value.get(MIN_EVENTS_ANNOTATION))
    else {
        return Ok(None);
    };
    let n = match &v.value {
        AnnotationValue::Int(n) => Some(*n),
        AnnotationValue::Text(t) => t.trim().replace('_', "").parse::<u64>().ok(),
        AnnotationValue::Other(_) => None,
    };
    match n {
        Some(n) => Ok(Some(n)),
        None => Err(ctx.err(
            v,
            &format!("metadata.annotations.{MIN_EVENTS_ANNOTATION}"),
            "must be a whole number of events, e.g. \"1000\"",
        )),
    }
}

/// A key under `spec` that is not OpenSLO's but near one (`objectivs`) is named as misspelled.
fn misspelled_key(
    ctx: &Ctx<'_>,
    spec: &S<DocSpec>,
    keys: Option<&BTreeMap<String, IgnoredAny>>,
) -> Result<(), SpecError> {
    for key in keys.into_iter().flat_map(|m| m.keys()) {
        if SLO_SPEC_KEYS.contains(&key.as_str()) {
            continue;
        }
        if let Some(near) = super::parse::did_you_mean(key, SLO_SPEC_KEYS) {
            let from = spec.referenced.line().saturating_sub(1);
            let (line, column) = super::parse::line_of_key(ctx.text, key, from)
                .unwrap_or((spec.referenced.line(), spec.referenced.column()));
            return Err(SpecError::new(
                ctx.path,
                line,
                column,
                format!("spec.{key}"),
                format!("unknown field `{key}`, did you mean `{near}`?"),
            ));
        }
    }
    Ok(())
}

/// The SLI's queries: the inline `indicator` or the `kind: SLI` its `indicatorRef` names.
fn indicator(ctx: &Ctx<'_>, spec: &S<DocSpec>) -> Result<SliQueries, SpecError> {
    let sp = &spec.value;
    match (&sp.indicator, &sp.indicator_ref) {
        (Some(_), Some(r)) => Err(ctx.err(
            r,
            "spec.indicatorRef",
            "give either `indicator` or `indicatorRef`, not both",
        )),
        (Some(ind), None) => {
            let s = &ind.value.spec;
            if s.value.threshold_metric.is_some() {
                return Err(ctx.err(
                    s,
                    "spec.indicator.spec.thresholdMetric",
                    "threshold metrics are not supported; use a ratioMetric",
                ));
            }
            let Some(rm) = &s.value.ratio_metric else {
                return Err(ctx.err(
                    s,
                    "spec.indicator.spec.ratioMetric",
                    "missing `ratioMetric`",
                ));
            };
            let _ = ind.value.metadata.as_ref().map(|m| &m.display_name);
            queries_of(ctx, rm, "spec.indicator.spec.ratioMetric")
        }
        (None, Some(r)) => {
            let Some(sli) = ctx.slis.get(&r.value) else {
                return Err(ctx.err(
                    r,
                    "spec.indicatorRef",
                    format!("no `kind: SLI` named {:?} in this file", r.value),
                ));
            };
            if let Some(t) = &sli.threshold_metric {
                return Err(ctx.err(
                    t,
                    "thresholdMetric",
                    format!(
                        "SLI {:?}: threshold metrics are not supported; use a ratioMetric",
                        r.value
                    ),
                ));
            }
            let Some(rm) = &sli.ratio_metric else {
                return Err(ctx.err(
                    r,
                    "spec.indicatorRef",
                    format!("SLI {:?} has no `ratioMetric`", r.value),
                ));
            };
            queries_of(ctx, rm, "ratioMetric")
        }
        (None, None) => Err(ctx.err(
            spec,
            "spec.indicator",
            "missing `indicator` (inline SLI) or `indicatorRef`",
        )),
    }
}

/// The one rolling `timeWindow`'s duration.
fn time_window(ctx: &Ctx<'_>, spec: &S<DocSpec>) -> Result<SignedDuration, SpecError> {
    let Some(tw) = &spec.value.time_window else {
        return Err(ctx.err(
            spec,
            "spec.timeWindow",
            "missing `timeWindow` (e.g. [{duration: 28d, isRolling: true}])",
        ));
    };
    if tw.value.len() != 1 {
        return Err(ctx.err(tw, "spec.timeWindow", "must hold exactly one window"));
    }
    let w = &tw.value[0];
    if let Some(c) = &w.value.calendar {
        return Err(ctx.err(
            c,
            "spec.timeWindow[0].calendar",
            "calendar windows are not supported yet; use `isRolling: true`",
        ));
    }
    if let Some(r) = w.value.is_rolling.as_ref().filter(|r| !r.value) {
        return Err(ctx.err(
            r,
            "spec.timeWindow[0].isRolling",
            "calendar windows are not supported yet; use `isRolling: true`",
        ));
    }
    let Some(dur) = &w.value.duration else {
        return Err(ctx.err(w, "spec.timeWindow[0].duration", "missing `duration`"));
    };
    parse_openslo_duration(&dur.value)
        .map_err(|m| ctx.err(dur, "spec.timeWindow[0].duration", m.to_string()))
}

/// `budgetingMethod` must be `Occurrences`.
fn budgeting_method(ctx: &Ctx<'_>, spec: &S<DocSpec>) -> Result<(), SpecError> {
    match &spec.value.budgeting_method {
        Some(b) if b.value == "Occurrences" => Ok(()),
        Some(b) if b.value == "Timeslices" || b.value == "RatioTimeslices" => Err(ctx.err(
            b,
            "spec.budgetingMethod",
            format!("{} is not supported yet; use Occurrences", b.value),
        )),
        Some(b) => Err(ctx.err(
            b,
            "spec.budgetingMethod",
            format!(
                "unknown budgeting method {:?} (Occurrences, Timeslices or \
                 RatioTimeslices)",
                b.value
            ),
        )),
        None => Err(ctx.err(
            spec,
            "spec.budgetingMethod",
            "missing `budgetingMethod` (required; use Occurrences)",
        )),
    }
}

/// The `i`th objective's target as a fraction (`target`, or `targetPercent` / 100).
fn objective_target(ctx: &Ctx<'_>, o: &S<Objective>, i: usize) -> Result<f64, SpecError> {
    let field = |f: &str| format!("spec.objectives[{i}].{f}");
    let ov = &o.value;
    if let Some(t) = &ov.time_slice_target {
        return Err(ctx.err(
            t,
            &field("timeSliceTarget"),
            "time slices are not supported yet",
        ));
    }
    if let Some(t) = &ov.time_slice_window {
        return Err(ctx.err(
            t,
            &field("timeSliceWindow"),
            "time slices are not supported yet",
        ));
    }
    if let Some(x) = ov.indicator.as_ref().or(ov.indicator_ref.as_ref()) {
        return Err(ctx.err(
            x,
            &field("indicator"),
            "per-objective indicators (composite SLOs) are not supported",
        ));
    }
    let _ = (&ov.op, &ov.value, &ov.composite_weight);
    match (&ov.target, &ov.target_percent) {
        (Some(_), Some(p)) => Err(ctx.err(
            p,
            &field("targetPercent"),
            "give either `target` or `targetPercent`, not both",
        )),
        (Some(t), None) => {
            if !(0.0..1.0).contains(&t.value) {
                let hint = if (1.0..100.0).contains(&t.value) {
                    format!(" (did you mean `targetPercent: {}`?)", t.value)
                } else {
                    String::new()
                };
                return Err(ctx.err(
                    t,
                    &field("target"),
                    format!("must be in [0, 1), got {}{hint}", t.value),
                ));
            }
            Ok(t.value)
        }
        (None, Some(p)) => {
            if !(0.0..100.0).contains(&p.value) {
                return Err(ctx.err(
                    p,
                    &field("targetPercent"),
                    format!("must be in [0, 100), got {}", p.value),
                ));
            }
            Ok(p.value / 100.0)
        }
        (None, None) => Err(ctx.err(
            o,
            &field("target"),
            "missing `target` (e.g. 0.999) or `targetPercent` (e.g. 99.9)",
        )),
    }
}

/// `Fast path` → `fast-path`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
