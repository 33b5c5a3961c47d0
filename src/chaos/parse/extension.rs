//! The flightdeck extension of an experiment (`extensions: [{name: flightdeck, …}]`): the
//! blast radius, the budget limit, the time limit, the audit.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Map, R, Walker, join, shape};
use crate::actions::Audit;
use crate::chaos::experiment::{BlastRadius, MAX_DURATION};
use crate::time::{SignedDuration, format_duration};

/// What the flightdeck extension bounds a run by.
pub(super) struct Limits {
    pub(super) blast_radius: BlastRadius,
    pub(super) budget_limit: f64,
    pub(super) min_budget_left: Option<f64>,
    pub(super) max_duration: SignedDuration,
    pub(super) audited: Option<Audit>,
}

/// The keys the flightdeck extension knows.
const KNOWN: [&str; 6] = [
    "name",
    "blast_radius",
    "budget_limit",
    "max_duration",
    "min_budget_left",
    "audited",
];

impl Walker<'_> {
    /// The flightdeck extension's limits; an experiment without it is refused.
    pub(super) fn limits(&self, top: &Map) -> R<Limits> {
        let (ext_at, ext) = self.extension(top)?;
        let br_at = join(&ext_at, "blast_radius");
        let br = self.object(
            ext.get("blast_radius").ok_or_else(|| {
                self.err(
                    &br_at,
                    "missing: name the SLOs whose budget it spends and the labels it may touch",
                )
            })?,
            &br_at,
        )?;
        let blast_radius = self.blast_radius(br, &br_at)?;
        let budget_limit = self
            .share(
                ext,
                &ext_at,
                "budget_limit",
                "the share of the remaining budget the run may spend",
            )?
            .ok_or_else(|| {
                self.err(
                    join(&ext_at, "budget_limit"),
                    "missing: the share of the remaining budget the run may spend, e.g. 0.05",
                )
            })?;
        let min_budget_left = self.share(
            ext,
            &ext_at,
            "min_budget_left",
            "the least share of budget left for the run to start",
        )?;
        let max_duration = self.max_duration(ext, &ext_at)?;
        let audited = match ext.get("audited") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let at = join(&ext_at, "audited");
                Some(Audit::deserialize(v).map_err(|e| {
                    self.err(
                        at,
                        format!("{e} (write `audited: {{by: NAME, on: YYYY-MM-DD}}`)"),
                    )
                })?)
            }
        };
        Ok(Limits {
            blast_radius,
            budget_limit,
            min_budget_left,
            max_duration,
            audited,
        })
    }

    /// The extension named `flightdeck` (its place, its mapping), with known keys only.
    fn extension<'t>(&self, top: &'t Map) -> R<(String, &'t Map)> {
        let ext = match top.get("extensions") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .find(|(_, e)| e.get("name").and_then(Value::as_str) == Some("flightdeck")),
            Some(other) => {
                return Err(self.err(
                    "extensions",
                    format!("must be a list, not {}", shape(other)),
                ));
            }
            None => None,
        };
        let Some((ei, ext)) = ext else {
            return Err(self.err(
                "extensions",
                "no flightdeck extension: add `extensions: [{name: flightdeck, blast_radius: \
                 {slos: [...], labels: {...}}, budget_limit: 0.05, max_duration: 10m}]` — \
                 flightdeck runs no experiment without a blast radius, a budget limit and a \
                 time limit",
            ));
        };
        let ext_at = format!("extensions[{ei}]");
        let ext = self.object(ext, &ext_at)?;
        if let Some(k) = ext.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(self.err(
                join(&ext_at, k),
                format!(
                    "unknown key (the flightdeck extension knows {})",
                    KNOWN[1..].join(", ")
                ),
            ));
        }
        Ok((ext_at, ext))
    }

    /// `blast_radius`: the SLOs whose budget the run spends and the labels it may touch.
    fn blast_radius(&self, br: &Map, br_at: &str) -> R<BlastRadius> {
        let slos_at = join(br_at, "slos");
        let slos = match br.get("slos") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.string(v, &format!("{slos_at}[{i}]")))
                .collect::<R<Vec<_>>>()?,
            _ => {
                return Err(self.err(
                    slos_at,
                    "needs at least one SLO name (the SLOs whose budget the experiment spends)",
                ));
            }
        };
        let labels = match br.get("labels") {
            Some(v) => self.labels(v, &join(br_at, "labels"))?,
            None => BTreeMap::new(),
        };
        if let Some(k) = br
            .keys()
            .find(|k| !["slos", "labels"].contains(&k.as_str()))
        {
            return Err(self.err(
                join(br_at, k),
                "unknown key (a blast radius has slos and labels)",
            ));
        }
        Ok(BlastRadius { labels, slos })
    }

    /// `blast_radius.labels`: each label's value or list of values.
    fn labels(&self, v: &Value, labels_at: &str) -> R<BTreeMap<String, Vec<String>>> {
        let mut labels = BTreeMap::new();
        for (k, v) in self.object(v, labels_at)? {
            let at = join(labels_at, k);
            let values = match v {
                Value::Array(items) if !items.is_empty() => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.string(v, &format!("{at}[{i}]")))
                    .collect::<R<Vec<_>>>()?,
                Value::String(_) => vec![self.string(v, &at)?],
                other => {
                    return Err(self.err(
                        at,
                        format!("must be a value or a list of values, not {}", shape(other)),
                    ));
                }
            };
            labels.insert(k.clone(), values);
        }
        Ok(labels)
    }

    /// A share in (0, 1] under `key`, if given; `what` says what it is a share of.
    fn share(&self, ext: &Map, ext_at: &str, key: &str, what: &str) -> R<Option<f64>> {
        let at = join(ext_at, key);
        match ext.get(key) {
            None => Ok(None),
            Some(v) => {
                let x = self.number(v, &at)?;
                if x > 0.0 && x <= 1.0 {
                    Ok(Some(x))
                } else {
                    Err(self.err(
                        at,
                        format!("{x} is not a share in (0, 1]: {what}, e.g. 0.05 for 5%"),
                    ))
                }
            }
        }
    }

    /// `max_duration`: 1s to [`MAX_DURATION`].
    fn max_duration(&self, ext: &Map, ext_at: &str) -> R<SignedDuration> {
        let dur_at = join(ext_at, "max_duration");
        let max_duration = self.duration(
            ext.get("max_duration").ok_or_else(|| {
                self.err(
                    &dur_at,
                    "missing: how long the run may last at most, e.g. 10m",
                )
            })?,
            &dur_at,
        )?;
        if max_duration.is_zero() || max_duration > MAX_DURATION {
            return Err(self.err(
                dur_at,
                format!(
                    "{} is outside 1s to {}",
                    format_duration(max_duration),
                    format_duration(MAX_DURATION)
                ),
            ));
        }
        Ok(max_duration)
    }
}
