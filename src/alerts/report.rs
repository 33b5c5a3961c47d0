//! The batch report behind `flightdeck alerts cluster FILE`: parse, correlate in event-time
//! order, and describe every cluster (JSON shape of issue 4 §7, plus a human text form).

use std::fmt;

use serde::Serialize;

use super::cluster::{ClusterConfig, ClusterName, Correlator, StaleCandidate};
use super::model::{Alert, AlertState, Fingerprint, Severity};
use super::noise::NoiseMark;
use super::novelty::{KnownPatterns, NOVEL_THRESHOLD};
use super::parse::{ParsedAlerts, Rejected};
use crate::time::{Timestamp, clock_hms};

/// Clusters, rejected items and stale-alert candidates of one input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterReport {
    pub clusters: Vec<ReportCluster>,
    pub rejected: Vec<Rejected>,
    pub stale_candidates: Vec<StaleCandidate>,
    /// Distinct alerts (by fingerprint) read.
    pub alerts: usize,
    /// Known patterns novelty was scored against (0: every novelty is 1, and means nothing).
    pub known_patterns: usize,
}

impl ClusterReport {
    /// The human text form (same as `Display`).
    pub fn to_text(&self) -> String {
        self.to_string()
    }
}

/// One cluster as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportCluster {
    /// The cluster's name (`C7f2a`), as every cockpit on these alerts shows it.
    pub id: ClusterName,
    pub size: usize,
    /// Fingerprint of the probable origin alert.
    pub origin: Option<Fingerprint>,
    pub origin_service: Option<String>,
    pub origin_why: Option<String>,
    /// By start time, then fingerprint.
    pub members: Vec<Fingerprint>,
    pub reasons: Vec<String>,
    pub novelty: f64,
    pub noise: Vec<NoiseMark>,
    pub severity: Severity,
    pub firing: usize,
    pub suppressed: usize,
    pub services: Vec<String>,
    pub alertnames: Vec<String>,
    pub started: Timestamp,
    pub last_change: Timestamp,
}

/// When an alert's state in the input happened: its end for a resolved alert, else its start.
pub fn event_time(a: &Alert) -> Timestamp {
    match a.state {
        AlertState::Resolved => a.ends_at.unwrap_or(a.starts_at),
        _ => a.starts_at,
    }
}

/// Correlates alerts read from a file or recording: in event-time order (stable for ties), each
/// observed at its own event time; noise marks are then evaluated at the last event.
pub fn correlate(alerts: &[Alert], cfg: ClusterConfig) -> Correlator {
    let mut order: Vec<&Alert> = alerts.iter().collect();
    order.sort_by_key(|a| event_time(a));
    let mut c = Correlator::new(cfg);
    let last = order.last().map(|a| event_time(a));
    c.observe_many(order.into_iter().map(|a| (a.clone(), event_time(a))));
    if let Some(last) = last {
        c.refresh_noise(last);
    }
    c
}

/// [`correlate`], taking the alerts (nothing is copied).
pub fn correlate_owned(mut alerts: Vec<Alert>, cfg: ClusterConfig) -> Correlator {
    alerts.sort_by_key(event_time);
    let mut c = Correlator::new(cfg);
    let last = alerts.last().map(event_time);
    c.observe_many(alerts.into_iter().map(|a| {
        let t = event_time(&a);
        (a, t)
    }));
    if let Some(last) = last {
        c.refresh_noise(last);
    }
    c
}

/// The report with no known patterns (every cluster's novelty is 1).
pub fn cluster_report(parsed: &ParsedAlerts, cfg: &ClusterConfig) -> ClusterReport {
    cluster_report_with(parsed, cfg, &KnownPatterns::default())
}

/// The report, scoring novelty against `known`.
pub fn cluster_report_with(
    parsed: &ParsedAlerts,
    cfg: &ClusterConfig,
    known: &KnownPatterns,
) -> ClusterReport {
    let c = correlate(&parsed.alerts, cfg.clone());
    report_of(&c, parsed.rejected.clone(), known)
}

/// The report, taking the parsed alerts; also gives back the correlator (a caller about to exit
/// may leave it to the operating system instead of freeing it piece by piece).
pub fn cluster_report_owned(
    parsed: ParsedAlerts,
    cfg: &ClusterConfig,
    known: &KnownPatterns,
) -> (ClusterReport, Correlator) {
    let c = correlate_owned(parsed.alerts, cfg.clone());
    let report = report_of(&c, parsed.rejected, known);
    (report, c)
}

fn report_of(c: &Correlator, rejected: Vec<Rejected>, known: &KnownPatterns) -> ClusterReport {
    let clusters = c
        .clusters()
        .iter()
        .map(|cl| {
            let mut members: Vec<(Timestamp, Fingerprint)> = c
                .members(cl.id)
                .map(|t| (t.alert.starts_at, t.fingerprint))
                .collect();
            members.sort();
            ReportCluster {
                id: cl.name,
                size: cl.size(),
                origin: cl.origin.as_ref().map(|o| o.fingerprint),
                origin_service: cl.origin.as_ref().map(|o| o.service.clone()),
                origin_why: cl.origin.as_ref().map(|o| o.why.clone()),
                members: members.into_iter().map(|m| m.1).collect(),
                reasons: cl.reasons.clone(),
                novelty: known.novelty(cl),
                noise: cl.noise.clone(),
                severity: cl.severity,
                firing: cl.firing,
                suppressed: cl.suppressed,
                services: cl.services.iter().cloned().collect(),
                alertnames: cl.alertnames.iter().cloned().collect(),
                started: cl.started,
                last_change: cl.last_change,
            }
        })
        .collect();
    ClusterReport {
        clusters,
        rejected,
        stale_candidates: c.stale_candidates(),
        alerts: c.len(),
        known_patterns: known.len(),
    }
}

fn list(items: &[String], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(" +{}", items.len() - max));
    }
    s
}

/// `same namespace: a`, `same namespace: b` → `same namespace: a, b`.
fn compact_reasons(reasons: &[String]) -> Vec<String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in reasons {
        match r.split_once(": ") {
            Some((head, value)) if head.starts_with("same ") => match out.last_mut() {
                Some((h, values)) if h == head => values.push(value.to_string()),
                _ => out.push((head.to_string(), vec![value.to_string()])),
            },
            _ => out.push((r.clone(), Vec::new())),
        }
    }
    out.into_iter()
        .map(|(head, values)| {
            if values.is_empty() {
                head
            } else {
                format!("{head}: {}", list(&values, 6))
            }
        })
        .collect()
}

impl fmt::Display for ClusterReport {
    /// Human text: one block per cluster, then rejected items and stale candidates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} alerts in {} clusters",
            self.alerts,
            self.clusters.len()
        )?;
        for c in &self.clusters {
            let mut marks: Vec<String> = c.noise.iter().map(ToString::to_string).collect();
            if self.known_patterns > 0 && c.novelty >= NOVEL_THRESHOLD {
                marks.push("human judgment".into());
            }
            writeln!(
                f,
                "\n{:<6} {:<8} {} alerts, {} firing{}  since {}{}",
                c.id.to_string(),
                c.severity.to_string(),
                c.size,
                c.firing,
                if c.suppressed > 0 {
                    format!(", {} suppressed", c.suppressed)
                } else {
                    String::new()
                },
                clock_hms(c.started),
                if marks.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", marks.join(", "))
                },
            )?;
            if let (Some(svc), Some(fp), Some(why)) = (&c.origin_service, c.origin, &c.origin_why) {
                writeln!(f, "      origin: {svc} ({fp}) — {why}")?;
            }
            writeln!(f, "      alerts: {}", list(&c.alertnames, 6))?;
            if !c.services.is_empty() {
                writeln!(f, "      services: {}", list(&c.services, 8))?;
            }
            for r in compact_reasons(&c.reasons) {
                writeln!(f, "      because {r}")?;
            }
            if self.known_patterns > 0 {
                writeln!(f, "      novelty {:.2}", c.novelty)?;
            }
        }
        if !self.stale_candidates.is_empty() {
            writeln!(f, "\nstale alert candidates:")?;
            for s in &self.stale_candidates {
                writeln!(f, "  {} {} — {}", s.fingerprint, s.alertname, s.evidence)?;
            }
        }
        if !self.rejected.is_empty() {
            writeln!(f, "\nrejected:")?;
            for r in &self.rejected {
                writeln!(f, "  #{}: {}", r.index, r.error)?;
            }
        }
        Ok(())
    }
}
