//! The guard: a state machine fed with observations while an experiment runs. It halts the run
//! on the first breach — the budget limit reached on an SLO of the blast radius, the governor
//! tightening (or drift flagged, or a stricter override), the steady state failing, a new
//! critical cluster inside the blast radius, the time limit — and keeps, for every boundary,
//! how close the run came to it ("what almost broke", not only what broke).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::experiment::Experiment;
use super::gate::{FiringAlert, ProbeReading, SloHeadroom, pct};
use crate::slo::Mode;
use crate::time::{SignedDuration, Timestamp, format_duration};

/// What the edge saw at one moment of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub at: Timestamp,
    /// The mode in force (an override while one holds).
    pub mode: Mode,
    /// The budgets' own mode.
    pub budget_mode: Mode,
    pub drift: bool,
    pub budgets: Vec<SloHeadroom>,
    pub probes: Vec<ProbeReading>,
    pub firing: Vec<FiringAlert>,
    /// Why the alerts cannot be trusted now (the Alertmanager source, when there is one, has
    /// gone down or stale): `None` when they can, or when no Alertmanager is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts_unknown: Option<String>,
}

/// Why the guard halted the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Breach {
    /// The run spent its budget limit on an SLO.
    BudgetLimit { slo: String, spent: f64, limit: f64 },
    /// An SLO of the blast radius cannot be watched (no data, stale, unknown).
    BudgetUnwatched { slo: String, why: String },
    /// The governor tightened (the budgets left Adaptive, drift, a stricter override).
    ModeTightened { from: Mode, to: Mode, why: String },
    /// A steady-state probe left its tolerance or could not be read.
    SteadyState {
        probe: String,
        value: Option<f64>,
        tolerance: String,
        why: String,
    },
    /// A critical alert inside the blast radius in a cluster that was not firing at the start.
    NewCriticalCluster {
        cluster: String,
        alertname: String,
        labels: BTreeMap<String, String>,
    },
    /// The run reached its maximum duration.
    TimeLimit { elapsed: String, max: String },
    /// The alerts of the blast radius cannot be watched any more (Alertmanager went down or
    /// stale mid-run): a new critical cluster would go unseen.
    AlertsUnwatched { why: String },
    /// Someone stopped the run (SIGINT or SIGTERM to `experiment run`): halted like a breach,
    /// so the rollbacks still run.
    Stopped { why: String },
}

impl Breach {
    pub fn kind(&self) -> &'static str {
        match self {
            Breach::BudgetLimit { .. } => "budget_limit",
            Breach::BudgetUnwatched { .. } => "budget_unwatched",
            Breach::ModeTightened { .. } => "mode_tightened",
            Breach::SteadyState { .. } => "steady_state",
            Breach::NewCriticalCluster { .. } => "new_critical_cluster",
            Breach::TimeLimit { .. } => "time_limit",
            Breach::AlertsUnwatched { .. } => "alerts_unwatched",
            Breach::Stopped { .. } => "stopped",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Breach::BudgetLimit { slo, spent, limit } => format!(
                "budget limit reached on {slo}: spent {} of the {} this run may spend",
                pct(*spent),
                pct(*limit)
            ),
            Breach::BudgetUnwatched { slo, why } => {
                format!("{slo}'s budget cannot be watched: {why}")
            }
            Breach::ModeTightened { from, to, why } => format!(
                "the governor tightened from {} to {}: {why}",
                from.label(),
                to.label()
            ),
            Breach::SteadyState {
                probe,
                value,
                tolerance,
                why,
            } => match value {
                Some(v) => format!("steady state failed: {probe} = {v} (tolerance {tolerance})"),
                None => format!("steady state cannot be verified: {probe}: {why}"),
            },
            Breach::NewCriticalCluster {
                cluster, alertname, ..
            } => format!(
                "a new critical cluster inside the blast radius: {alertname} (cluster {cluster})"
            ),
            Breach::TimeLimit { elapsed, max } => {
                format!("time limit: ran {elapsed} of at most {max}")
            }
            Breach::AlertsUnwatched { why } => {
                format!("the blast radius's alerts cannot be watched: {why}")
            }
            Breach::Stopped { why } => format!("stopped: {why}"),
        }
    }
}

/// How close the run came to one boundary: `used` is the largest share of the limit reached
/// (1 = on the limit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    pub what: String,
    pub used: f64,
    pub detail: String,
}

/// The guard of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guard {
    started: Timestamp,
    max_duration: SignedDuration,
    start_mode: Mode,
    start_remaining: BTreeMap<String, f64>,
    limits: BTreeMap<String, f64>,
    /// Clusters firing when the run started (a new critical one inside the radius halts it).
    known_clusters: BTreeSet<String>,
    spent: BTreeMap<String, f64>,
    boundaries: BTreeMap<String, Boundary>,
    halted: Option<Breach>,
    last: Option<Timestamp>,
}

impl Guard {
    /// A guard for `experiment` from the observation at its start and its budget limits by SLO
    /// (the gate's [`super::gate::GateDecision::limits`]).
    pub fn new(
        experiment: &Experiment,
        start: &Observation,
        limits: BTreeMap<String, f64>,
    ) -> Guard {
        let start_remaining = start
            .budgets
            .iter()
            .filter(|b| experiment.blast_radius.slos.contains(&b.slo))
            .filter_map(|b| b.remaining.map(|r| (b.slo.clone(), r)))
            .collect();
        Guard {
            started: start.at,
            max_duration: experiment.max_duration,
            start_mode: start.mode,
            start_remaining,
            limits,
            known_clusters: start.firing.iter().map(|a| a.cluster.clone()).collect(),
            spent: BTreeMap::new(),
            boundaries: BTreeMap::new(),
            halted: None,
            last: None,
        }
    }

    pub fn started(&self) -> Timestamp {
        self.started
    }

    /// The breach that halted the run, once one did.
    pub fn halted(&self) -> Option<&Breach> {
        self.halted.as_ref()
    }

    /// Budget spent so far by SLO (share of the SLO window's budget).
    pub fn spent(&self) -> &BTreeMap<String, f64> {
        &self.spent
    }

    pub fn limits(&self) -> &BTreeMap<String, f64> {
        &self.limits
    }

    /// Every boundary watched, closest first.
    pub fn boundaries(&self) -> Vec<Boundary> {
        let mut v: Vec<Boundary> = self.boundaries.values().cloned().collect();
        v.sort_by(|a, b| b.used.total_cmp(&a.used).then(a.what.cmp(&b.what)));
        v
    }

    /// Halts the run from outside the observations (someone stopped it). A run already halted
    /// keeps its first breach; returns whether this one halted it.
    pub fn stop(&mut self, breach: Breach) -> bool {
        if self.halted.is_some() {
            return false;
        }
        self.halted = Some(breach);
        true
    }

    /// The time limit, for the edge's deadline.
    pub fn deadline(&self) -> Timestamp {
        self.started
            .checked_add(self.max_duration)
            .unwrap_or(self.started)
    }

    fn touch(&mut self, what: String, used: f64, detail: String) {
        let used = if used.is_finite() { used } else { f64::MAX };
        let e = self.boundaries.entry(what.clone()).or_insert(Boundary {
            what,
            used,
            detail: detail.clone(),
        });
        if used >= e.used {
            e.used = used;
            e.detail = detail;
        }
    }

    /// Feeds one observation; returns the breach if this one halts the run. After a halt the
    /// guard stays halted and returns `None`.
    pub fn observe(&mut self, experiment: &Experiment, obs: &Observation) -> Option<Breach> {
        if self.halted.is_some() {
            return None;
        }
        if self.last.is_some_and(|l| obs.at < l) {
            // Out of order: ignore rather than let time run backwards.
            return None;
        }
        self.last = Some(obs.at);
        // Every boundary is watched (and its closeness kept); the first breach, in this
        // order, halts the run.
        let mut breaches: Vec<Breach> = Vec::new();
        self.watch_budgets(experiment, obs, &mut breaches);
        breaches.extend(self.watch_mode(obs));
        self.watch_steady_state(experiment, obs, &mut breaches);
        self.watch_alerts(experiment, obs, &mut breaches);
        breaches.extend(self.watch_time(obs));
        let first = breaches.into_iter().next();
        self.halted = first.clone();
        first
    }

    /// Budget spent on each SLO of the blast radius.
    fn watch_budgets(&mut self, experiment: &Experiment, obs: &Observation, out: &mut Vec<Breach>) {
        for slo in &experiment.blast_radius.slos {
            let limit = self.limits.get(slo).copied().unwrap_or(0.0);
            let b = obs.budgets.iter().find(|b| &b.slo == slo);
            let now = match b {
                None => Err("not an SLO of this cockpit".to_string()),
                Some(b) if b.stale => Err("its data went stale".to_string()),
                Some(b) => b.remaining.ok_or_else(|| "no data".to_string()),
            };
            match (now, self.start_remaining.get(slo)) {
                (Ok(r), Some(r0)) => {
                    let spent = (r0 - r).max(0.0);
                    self.spent.insert(slo.clone(), spent);
                    let used = if limit > 0.0 {
                        spent / limit
                    } else {
                        f64::INFINITY
                    };
                    self.touch(
                        format!("budget {slo}"),
                        used,
                        format!("spent {} of {}", pct(spent), pct(limit)),
                    );
                    if spent >= limit {
                        out.push(Breach::BudgetLimit {
                            slo: slo.clone(),
                            spent,
                            limit,
                        });
                    }
                }
                (Err(why), _) => out.push(Breach::BudgetUnwatched {
                    slo: slo.clone(),
                    why,
                }),
                (Ok(_), None) => out.push(Breach::BudgetUnwatched {
                    slo: slo.clone(),
                    why: "no budget at the start to measure from".into(),
                }),
            }
        }
    }

    /// The governor: the budgets left Adaptive, a stricter mode in force, or drift.
    fn watch_mode(&self, obs: &Observation) -> Option<Breach> {
        let (to, why) = if obs.budget_mode != Mode::Adaptive {
            (
                obs.budget_mode,
                format!("the budgets say {}", obs.budget_mode.label()),
            )
        } else if obs.mode > self.start_mode {
            (
                obs.mode,
                format!("the mode in force is now {}", obs.mode.label()),
            )
        } else if obs.drift {
            (
                obs.mode.stricter(),
                "drift flagged: the cockpit acts one mode stricter".to_string(),
            )
        } else {
            return None;
        };
        Some(Breach::ModeTightened {
            from: self.start_mode,
            to,
            why,
        })
    }

    /// The steady state: each probe read within its tolerance.
    fn watch_steady_state(
        &mut self,
        experiment: &Experiment,
        obs: &Observation,
        out: &mut Vec<Breach>,
    ) {
        for p in &experiment.probes {
            let reading = obs.probes.iter().find(|r| r.name == p.name && !r.skipped);
            match reading.map(|r| &r.value) {
                Some(Ok(v)) => {
                    self.touch(
                        format!("probe {}", p.name),
                        p.tolerance.closeness(*v),
                        format!("{v} (tolerance {})", p.tolerance),
                    );
                    if !p.tolerance.holds(*v) {
                        out.push(Breach::SteadyState {
                            probe: p.name.clone(),
                            value: Some(*v),
                            tolerance: p.tolerance.to_string(),
                            why: "outside its tolerance".into(),
                        });
                    }
                }
                Some(Err(why)) => out.push(Breach::SteadyState {
                    probe: p.name.clone(),
                    value: None,
                    tolerance: p.tolerance.to_string(),
                    why: why.clone(),
                }),
                None => {}
            }
        }
    }

    /// The alerts: unwatchable ones (a new critical cluster would go unseen), then new
    /// critical clusters inside the blast radius.
    fn watch_alerts(&mut self, experiment: &Experiment, obs: &Observation, out: &mut Vec<Breach>) {
        if let Some(why) = &obs.alerts_unknown {
            out.push(Breach::AlertsUnwatched { why: why.clone() });
        }
        for a in &obs.firing {
            if !experiment.blast_radius.contains(&a.labels)
                || self.known_clusters.contains(&a.cluster)
            {
                continue;
            }
            if a.critical {
                out.push(Breach::NewCriticalCluster {
                    cluster: a.cluster.clone(),
                    alertname: a.alertname.clone(),
                    labels: a.labels.clone(),
                });
            } else {
                self.touch(
                    "new alerts in the blast radius".into(),
                    0.5,
                    format!("{} (cluster {}, not critical)", a.alertname, a.cluster),
                );
            }
        }
    }

    /// The time limit.
    fn watch_time(&mut self, obs: &Observation) -> Option<Breach> {
        let elapsed = obs.at.duration_since(self.started);
        let used = elapsed.as_secs_f64() / self.max_duration.as_secs_f64().max(1e-9);
        self.touch(
            "time".into(),
            used,
            format!(
                "{} of {}",
                format_duration(elapsed),
                format_duration(self.max_duration)
            ),
        );
        (elapsed >= self.max_duration).then(|| Breach::TimeLimit {
            elapsed: format_duration(elapsed),
            max: format_duration(self.max_duration),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::fixtures::{experiment, observation, probes, t};
    use proptest::prelude::*;

    fn obs(secs: i64, remaining: f64) -> Observation {
        Observation {
            probes: probes(3.0),
            ..observation(t(secs), remaining)
        }
    }

    fn guard(limit: f64) -> Guard {
        Guard::new(
            &experiment(),
            &obs(0, 0.9),
            BTreeMap::from([("prom-queries".to_string(), limit)]),
        )
    }

    #[test]
    fn halts_at_the_budget_limit_and_remembers_the_closest_approach() {
        let e = experiment();
        let mut g = guard(0.05);
        assert_eq!(g.observe(&e, &obs(10, 0.88)), None);
        let b = g.observe(&e, &obs(20, 0.84)).expect("limit reached");
        assert_eq!(b.kind(), "budget_limit");
        assert!(g.halted().is_some());
        // Halted stays halted.
        assert_eq!(g.observe(&e, &obs(30, 0.5)), None);
        let top = &g.boundaries()[0];
        assert_eq!(top.what, "budget prom-queries");
        assert!(top.used >= 1.0);
    }

    #[test]
    fn each_boundary_halts_on_its_own() {
        let e = experiment();
        type Change = Box<dyn Fn(&mut Observation)>;
        let cases: Vec<(&str, Change)> = vec![
            ("mode_tightened", Box::new(|o| o.budget_mode = Mode::Freeze)),
            ("mode_tightened", Box::new(|o| o.mode = Mode::Freeze)),
            ("mode_tightened", Box::new(|o| o.drift = true)),
            ("steady_state", Box::new(|o| o.probes[0].value = Ok(0.0))),
            (
                "steady_state",
                Box::new(|o| o.probes[1].value = Err("query failed".into())),
            ),
            ("budget_unwatched", Box::new(|o| o.budgets[0].stale = true)),
            (
                "new_critical_cluster",
                Box::new(|o| {
                    o.firing.push(FiringAlert {
                        cluster: "c9".into(),
                        alertname: "PrometheusQueryErrors".into(),
                        labels: BTreeMap::from([("job".into(), "prometheus".into())]),
                        critical: true,
                    })
                }),
            ),
            ("time_limit", Box::new(|o| o.at = t(120))),
            (
                "alerts_unwatched",
                Box::new(|o| o.alerts_unknown = Some("Alertmanager is down".into())),
            ),
        ];
        for (kind, change) in cases {
            let mut g = guard(0.05);
            let mut o = obs(10, 0.9);
            change(&mut o);
            let b = g
                .observe(&e, &o)
                .unwrap_or_else(|| panic!("{kind}: no breach"));
            assert_eq!(b.kind(), kind, "{}", b.describe());
        }
        // A critical cluster outside the radius, or one already firing at the start: no halt.
        let mut start = obs(0, 0.9);
        start.firing.push(FiringAlert {
            cluster: "old".into(),
            alertname: "Old".into(),
            labels: BTreeMap::from([("job".into(), "prometheus".into())]),
            critical: true,
        });
        let mut g = Guard::new(&e, &start, BTreeMap::from([("prom-queries".into(), 0.05)]));
        let mut o = obs(10, 0.9);
        o.firing = start.firing.clone();
        o.firing.push(FiringAlert {
            cluster: "c2".into(),
            alertname: "CheckoutDown".into(),
            labels: BTreeMap::from([("job".into(), "checkout".into())]),
            critical: true,
        });
        assert_eq!(g.observe(&e, &o), None);
    }

    proptest! {
        /// Whatever the budget does, the guard halts no later than the first observation at
        /// which the run has spent its limit, and never before.
        #[test]
        fn never_past_the_limit(drops in proptest::collection::vec(0.0f64..0.02, 1..40), limit in 0.001f64..0.2) {
            let e = experiment();
            let mut g = guard(limit);
            let mut r = 0.9;
            for (i, d) in drops.iter().enumerate() {
                r -= d;
                let spent = 0.9 - r;
                let b = g.observe(&e, &obs(i as i64 + 1, r));
                if spent >= limit {
                    prop_assert!(b.is_some() || g.halted().is_some());
                    break;
                } else {
                    prop_assert!(b.is_none(), "halted at {spent} < {limit}");
                }
            }
        }
    }
}
