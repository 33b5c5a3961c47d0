//! The cockpit state as JSON, for `--headless --json` and scripts. Field names are a stable
//! interface: add fields, never rename them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Cockpit, SourceHealth, verdict_text};
use crate::actions::{StepKind, StepRef};
use crate::journal::context::{
    AlertCounts, BudgetContext, CONTEXT_CLUSTERS, CONTEXT_OPTIONS, DecisionContext, OptionContext,
};
pub use crate::journal::context::{ClusterSnapshot, StatusCounts};
use crate::slo::Mode;
use crate::time::Timestamp;

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub time: Timestamp,
    pub mode: ModeSnapshot,
    pub slos: Vec<SloSnapshot>,
    pub clusters: Vec<ClusterSnapshot>,
    pub approvals: Vec<ApprovalSnapshot>,
    pub journal_len: u64,
    pub alerts: usize,
    pub sources: Vec<SourceHealth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModeSnapshot {
    pub mode: Mode,
    pub reason: String,
    pub slo: Option<String>,
    /// The commander's override in force (mode, by, reason, until), if any.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub overridden: Option<crate::slo::ModeOverride>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SloSnapshot {
    pub name: String,
    pub objective: f64,
    pub budget_remaining: Option<f64>,
    pub burn_rates: BTreeMap<String, Option<f64>>,
    pub conditions: Vec<String>,
    /// Events over the SLO window (`null` without data) and the fewest that count.
    pub events: Option<f64>,
    pub min_events: u64,
    /// Fewer than `min_events`: the numbers do not move the mode.
    pub insufficient_data: bool,
    /// No data for longer than the SLO's stale limit: the numbers are those at `last_sample`.
    pub stale: bool,
    /// Age of the newest data in seconds (`null` without any).
    pub age_s: Option<f64>,
    pub last_sample: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalSnapshot {
    pub id: String,
    pub cluster: Option<String>,
    pub step: StepRef,
    pub kind: StepKind,
    pub argv: Option<Vec<String>>,
    pub approvals: Vec<String>,
    pub verdict: String,
}

impl Cockpit {
    /// The state as JSON for `--headless --json`.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            time: self.now,
            mode: ModeSnapshot {
                mode: self.mode(),
                reason: self.mode_reason().to_string(),
                slo: self.deciding_slo().map(str::to_string),
                overridden: self.mode_override().cloned(),
            },
            slos: self
                .budgets
                .iter()
                .map(|b| SloSnapshot {
                    events: b.events,
                    min_events: b.min_events,
                    insufficient_data: b.insufficient_data(),
                    stale: b.is_stale(),
                    age_s: b
                        .last_sample
                        .map(|t| self.now.duration_since(t).as_secs_f64().max(0.0)),
                    last_sample: b.last_sample,
                    name: b.slo.clone(),
                    objective: b.objective,
                    budget_remaining: b.budget_remaining,
                    burn_rates: b
                        .burn_rates
                        .iter()
                        .map(|(w, r)| (w.label().to_string(), *r))
                        .collect(),
                    conditions: {
                        // One entry per level ("page", "ticket"), as `slo status` reports them.
                        let mut levels: Vec<String> = b
                            .conditions
                            .iter()
                            .map(|c| format!("{:?}", c.severity).to_lowercase())
                            .collect();
                        levels.dedup();
                        levels
                    },
                })
                .collect(),
            clusters: self
                .clusters()
                .iter()
                .map(|c| ClusterSnapshot {
                    id: c.name.to_string(),
                    size: c.members.len(),
                    firing: self.status_counts(c).firing,
                    states: Some(self.status_counts(c)),
                    alertnames: c.alertnames.iter().cloned().collect(),
                    services: c.services.iter().cloned().collect(),
                    origin: c.origin.as_ref().map(|o| o.service.clone()),
                    top_runbook: self.top_runbook(c.id).map(|r| r.id.clone()),
                    novel: self.is_novel(c.id),
                    noise: None,
                })
                .collect(),
            approvals: self
                .approval_queue()
                .into_iter()
                .map(|s| ApprovalSnapshot {
                    id: s.id.to_string(),
                    cluster: self.suggestion_cluster(s).map(|c| self.cluster_name(c)),
                    step: s.step_ref.clone(),
                    kind: s.step.kind,
                    argv: s.argv.clone().ok(),
                    approvals: s.approvals.iter().map(|a| a.by.clone()).collect(),
                    verdict: verdict_text(&s.verdict),
                })
                .collect(),
            journal_len: self.journal_len,
            alerts: self.alert_count(),
            sources: self.sources.clone(),
        }
    }
}

impl Cockpit {
    /// How many of `cluster`'s alerts are in each status (one pass over its members, only
    /// when some of them are open; cheap enough for the visible rows of a frame).
    pub fn status_counts(&self, cluster: &crate::alerts::Cluster) -> StatusCounts {
        use crate::alerts::AlertStatus;
        let mut n = StatusCounts::default();
        if cluster.firing + cluster.suppressed == 0 {
            n.resolved = cluster.members.len();
            return n;
        }
        for fp in &cluster.members {
            match self.alert(*fp).map(|t| t.alert.status()) {
                Some(AlertStatus::Firing) => n.firing += 1,
                Some(AlertStatus::Silenced) => n.silenced += 1,
                Some(AlertStatus::Inhibited) => n.inhibited += 1,
                Some(AlertStatus::Unknown) => n.unknown += 1,
                Some(AlertStatus::Resolved) | None => n.resolved += 1,
            }
        }
        n
    }
}

impl Snapshot {
    /// The human form of the SLOs, clusters, approvals and journal length (the part replay and
    /// live print alike).
    pub fn body_text(&self) -> String {
        use std::fmt::Write;
        let s = self;
        let mut out = String::new();
        let _ = writeln!(out, "\nSLOs");
        for slo in &s.slos {
            let mut budget = slo.budget_remaining.map_or("no data".to_string(), |b| {
                format!("{:.1}% budget left", b * 100.0)
            });
            if slo.insufficient_data {
                budget = format!(
                    "insufficient data ({} events)",
                    crate::slo::state::fmt_events(slo.events.unwrap_or(0.0))
                );
            }
            if slo.stale {
                let age = crate::time::SignedDuration::from_secs(slo.age_s.unwrap_or(0.0) as i64);
                budget = format!("STALE {} old, {budget}", crate::time::format_duration(age));
            }
            let burns: Vec<String> = ["5m", "1h", "6h", "3d"]
                .iter()
                .map(|w| match slo.burn_rates.get(*w).copied().flatten() {
                    Some(r) => format!("{w} {r:.1}×"),
                    None => format!("{w} –"),
                })
                .collect();
            let _ = writeln!(
                out,
                "  {:<26} {:<20} {}  {}",
                slo.name,
                budget,
                burns.join("  "),
                slo.conditions.join(",")
            );
        }
        let _ = writeln!(out, "\nClusters ({} alerts)", s.alerts);
        for c in &s.clusters {
            let mut firing = format!("{:>3} firing", c.firing);
            let states = c.states.unwrap_or_default();
            for (n, what) in [
                (states.silenced, "silenced"),
                (states.inhibited, "inhibited"),
                (states.unknown, "unknown"),
            ] {
                if n > 0 {
                    firing.push_str(&format!(", {n} {what}"));
                }
            }
            let _ = writeln!(
                out,
                "  {:<4} {:>3} alerts ({firing})  origin {:<10} runbook {:<28} {}{}",
                c.id,
                c.size,
                c.origin.as_deref().unwrap_or("-"),
                c.top_runbook.as_deref().unwrap_or("-"),
                c.alertnames.join(", "),
                if c.novel { "  [human judgment]" } else { "" }
            );
        }
        let _ = writeln!(out, "\nAwaiting approval");
        for a in &s.approvals {
            let _ = writeln!(out, "  {:<4} {:<44} {}", a.id, a.step, a.verdict);
        }
        let _ = writeln!(out, "\nJournal: {} records", s.journal_len);
        out
    }
}

impl Cockpit {
    /// What the cockpit shows now, as a decision's context.
    pub fn decision_context(&self) -> DecisionContext {
        let cockpit = self;
        let snap = cockpit.snapshot();
        let burn = |rates: &BTreeMap<String, Option<f64>>, w: &str| rates.get(w).copied().flatten();
        let noisy: std::collections::BTreeSet<String> = cockpit
            .clusters()
            .iter()
            .filter(|c| !c.noise.is_empty())
            .map(|c| c.name.to_string())
            .collect();
        let firing_alerts = cockpit.clusters().iter().map(|c| c.firing).sum();
        DecisionContext {
            mode: snap.mode.mode,
            mode_reason: snap.mode.reason,
            mode_slo: snap.mode.slo,
            budgets: snap
                .slos
                .iter()
                .map(|s| BudgetContext {
                    slo: s.name.clone(),
                    budget_remaining: s.budget_remaining,
                    burn_5m: burn(&s.burn_rates, "5m"),
                    burn_1h: burn(&s.burn_rates, "1h"),
                    burn_6h: burn(&s.burn_rates, "6h"),
                    conditions: s.conditions.clone(),
                })
                .collect(),
            alerts: AlertCounts {
                total: snap.alerts,
                firing: firing_alerts,
            },
            clusters: snap
                .clusters
                .into_iter()
                .filter(|c| c.firing > 0)
                .take(CONTEXT_CLUSTERS)
                .map(|c| ClusterSnapshot {
                    noise: Some(noisy.contains(&c.id)),
                    states: None,
                    ..c
                })
                .collect(),
            options: snap
                .approvals
                .into_iter()
                .take(CONTEXT_OPTIONS)
                .map(|a| OptionContext {
                    id: a.id,
                    step: a.step.to_string(),
                    kind: serde_json::to_value(a.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    cluster: a.cluster,
                    verdict: a.verdict,
                })
                .collect(),
        }
    }
}
