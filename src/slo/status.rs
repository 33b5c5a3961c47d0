//! `flightdeck slo status`: one-shot evaluation of SLO specs against a JSON Lines file of
//! cumulative samples, as the JSON report of issue 3 §6 (and a text rendering). Pure: the caller
//! reads the files.
//!
//! Samples: one JSON object a line, `{"ts": "2026-01-01T00:00:00Z", "slo": "<name>", "good": n,
//! "total": n}`, counters cumulative and possibly resetting; order in the file does not matter.
//! Samples after `at` and samples of unknown SLOs are ignored. The mode is the strictest over the
//! SLOs at `at` (a one-shot evaluation has no hysteresis history).

use std::collections::HashMap;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::governor::Governor;
use super::mode::Mode;
use super::parse::SpecError;
use super::spec::SloSpec;
use super::state::{BudgetStatus, SloState};
use super::window::Window;
use crate::time::{SignedDuration, Timestamp, format_duration};

/// One line of the samples file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub ts: Timestamp,
    pub slo: String,
    pub good: f64,
    pub total: f64,
}

/// Parses JSON Lines samples; blank lines are skipped. Errors name the file, line, column and
/// the field when serde says which.
pub fn parse_samples_jsonl(
    path_for_messages: &str,
    text: &str,
) -> Result<Vec<SampleRecord>, SpecError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: SampleRecord = serde_json::from_str(line).map_err(|e| {
            let msg = e.to_string();
            let msg = msg
                .rfind(" at line ")
                .map(|k| msg[..k].to_string())
                .unwrap_or(msg);
            let field = msg
                .find('`')
                .and_then(|a| {
                    msg[a + 1..]
                        .find('`')
                        .map(|b| msg[a + 1..a + 1 + b].to_string())
                })
                .unwrap_or_default();
            SpecError::new(
                path_for_messages,
                i as u64 + 1,
                e.column() as u64,
                field,
                format!("{msg} (expected {{\"ts\", \"slo\", \"good\", \"total\"}})"),
            )
        })?;
        out.push(rec);
    }
    Ok(out)
}

/// Window → value, serialised as a JSON object in window order (`{"5m": x, "30m": x, …}`).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowValues(pub Vec<(Window, Option<f64>)>);

impl WindowValues {
    pub fn get(&self, w: Window) -> Option<f64> {
        self.0.iter().find(|(x, _)| *x == w).and_then(|(_, v)| *v)
    }
}

impl Serialize for WindowValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (w, v) in &self.0 {
            m.serialize_entry(w.label(), v)?;
        }
        m.end()
    }
}

/// One SLO in the report.
#[derive(Clone, Debug, Serialize)]
pub struct SloReport {
    pub name: String,
    pub target: f64,
    pub window_s: i64,
    pub budget_remaining: Option<f64>,
    /// The fast windows (5m … 3d).
    pub error_ratio: WindowValues,
    pub burn_rates: WindowValues,
    /// `"page"` and/or `"ticket"`, once each, pages first.
    pub conditions: Vec<String>,
    pub time_to_exhaustion_s: Option<i64>,
    /// The full status (not serialised; for text output and callers).
    #[serde(skip)]
    pub status: BudgetStatus,
}

/// The report of issue 3 §6.
#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    pub at: Timestamp,
    pub mode: Mode,
    pub slos: Vec<SloReport>,
    /// Why the mode (not serialised).
    #[serde(skip)]
    pub reason: String,
    /// Which SLO decided the mode (not serialised).
    #[serde(skip)]
    pub deciding_slo: Option<String>,
}

fn fast(v: &[(Window, Option<f64>)]) -> WindowValues {
    WindowValues(
        v.iter()
            .filter(|(w, _)| *w != Window::Slo)
            .copied()
            .collect(),
    )
}

/// Evaluates `specs` over `samples` at `at`. See the module documentation.
pub fn status_report(specs: &[SloSpec], samples: &[SampleRecord], at: Timestamp) -> StatusReport {
    let mut by_slo: HashMap<&str, Vec<&SampleRecord>> = HashMap::new();
    for s in samples.iter().filter(|s| s.ts <= at) {
        by_slo.entry(s.slo.as_str()).or_default().push(s);
    }
    let statuses: Vec<BudgetStatus> = specs
        .iter()
        .map(|spec| {
            let mut st = SloState::new(spec.clone());
            if let Some(list) = by_slo.get_mut(spec.name.as_str()) {
                list.sort_by_key(|s| s.ts);
                for s in list.iter() {
                    st.ingest(s.ts, s.good, s.total);
                }
            }
            st.evaluate(at)
        })
        .collect();
    let mut gov = Governor::default();
    gov.update(at, &statuses);
    let slos = specs
        .iter()
        .zip(statuses)
        .map(|(spec, status)| {
            let mut conditions: Vec<String> = Vec::new();
            for c in &status.conditions {
                let l = c.severity.label().to_string();
                if !conditions.contains(&l) {
                    conditions.push(l);
                }
            }
            SloReport {
                name: spec.name.clone(),
                target: spec.objective,
                window_s: spec.window.as_secs(),
                budget_remaining: status.budget_remaining,
                error_ratio: fast(&status.error_ratio),
                burn_rates: fast(&status.burn_rates),
                conditions,
                time_to_exhaustion_s: status.time_to_exhaustion.map(|d| d.as_secs()),
                status,
            }
        })
        .collect();
    StatusReport {
        at,
        mode: gov.mode(),
        slos,
        reason: gov.reason().to_string(),
        deciding_slo: gov.deciding_slo().map(str::to_string),
    }
}

fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "no data".to_string(),
    }
}

impl StatusReport {
    /// Human text: the mode and reason, then one block per SLO.
    pub fn to_text(&self) -> String {
        let mut out = format!("at {}: {} — {}\n", self.at, self.mode.label(), self.reason);
        for s in &self.slos {
            out.push_str(&format!(
                "\n{}  target {}  window {}\n  budget left {}",
                s.name,
                s.target,
                format_duration(SignedDuration::from_secs(s.window_s)),
                pct(s.budget_remaining)
            ));
            match s.time_to_exhaustion_s {
                Some(t) => out.push_str(&format!(
                    ", exhausted in {} at the 1h burn rate\n",
                    format_duration(SignedDuration::from_secs(t))
                )),
                None => out.push('\n'),
            }
            out.push_str("  burn ");
            let burns: Vec<String> = s
                .burn_rates
                .0
                .iter()
                .map(|(w, b)| match b {
                    Some(b) => format!("{w} {}", super::state::fmt_burn(*b)),
                    None => format!("{w} -"),
                })
                .collect();
            out.push_str(&burns.join("  "));
            out.push('\n');
            for c in &s.status.conditions {
                out.push_str(&format!(
                    "  {}: {}\n",
                    c.severity.label().to_uppercase(),
                    c.describe()
                ));
            }
        }
        out
    }
}
