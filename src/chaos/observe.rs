//! What the cockpit says about an experiment now, as the gate and the guard see it: the
//! observation (mode, budgets, firing alerts, SLO probes) read from a [`Cockpit`], the approvals
//! the journal holds, and the status the cockpit's experiment view (`x`) shows — whether it may
//! start and why, what experiments may still spend, and the guard's view of a running one.
//! Pure: the same for a live cockpit and a replayed one; the edge (`commands::experiment`) adds
//! the Prometheus probes it reads itself.

use std::collections::BTreeMap;

use super::experiment::{Experiment, ProbeSource};
use super::gate::{
    FiringAlert, GateConfig, GateDecision, GateInput, ProbeReading, SloHeadroom, gate,
};
use super::guard::{Boundary, Breach, Guard, Observation};
use super::record;
use crate::actions::{Approval, Role};
use crate::alerts::{AlertState, Severity};
use crate::cockpit::Cockpit;
use crate::journal::{JournalRecord, RecordKind, body_field};
use crate::time::{SignedDuration, Timestamp};

/// Approvals older than this do not count for a run.
pub const APPROVAL_TTL: SignedDuration = SignedDuration::from_hours(1);

/// The approvals of experiment `digest` in the journal that count at `now`: given within
/// [`APPROVAL_TTL`] before `now` (never after it), live ones for a live run and, for a run
/// replayed in scenario `replay`, only the approvals given in that replay, stamped on its
/// virtual clock (`experiment approve --replay`). An approval stamped in real time is hours or
/// years after a replayed incident's virtual time; it must not count there.
pub fn approvals_in(
    records: &[JournalRecord],
    digest: &str,
    now: Timestamp,
    replay: Option<&str>,
) -> Vec<Approval> {
    let since = now.checked_sub(APPROVAL_TTL).unwrap_or(now);
    records
        .iter()
        .filter(|r| r.kind == RecordKind::Experiment && r.ts >= since && r.ts <= now)
        .filter(|r| body_field::<String>(&r.body, "phase").as_deref() == Some("approve"))
        .filter(|r| body_field::<String>(&r.body, "digest").as_deref() == Some(digest))
        .filter(|r| {
            let replayed = body_field::<bool>(&r.body, "replayed").unwrap_or(false);
            match replay {
                None => !replayed,
                Some(id) => {
                    replayed && body_field::<String>(&r.body, "scenario").as_deref() == Some(id)
                }
            }
        })
        .filter_map(|r| {
            Some(Approval {
                by: r.actor.clone(),
                role: r.role.person()?,
                mode: body_field(&r.body, "mode")?,
            })
        })
        .collect()
}

/// What the cockpit says now, as the gate and guard see it (probes not yet read).
pub fn observe_cockpit(c: &Cockpit, e: &Experiment, at: Timestamp) -> Observation {
    let budgets = c
        .budgets()
        .iter()
        .map(|b| SloHeadroom {
            slo: b.slo.clone(),
            remaining: b.budget_remaining,
            stale: b.stale_age.is_some(),
            burn: b.burn_rates.clone(),
        })
        .collect::<Vec<_>>();
    let mut firing = Vec::new();
    for cl in c.clusters().iter().filter(|cl| cl.firing > 0) {
        for fp in &cl.members {
            let Some(t) = c.alert(*fp) else { continue };
            if t.alert.state != AlertState::Firing {
                continue;
            }
            firing.push(FiringAlert {
                cluster: cl.name.to_string(),
                alertname: t.alert.labels.get("alertname").cloned().unwrap_or_default(),
                labels: t.alert.labels.clone(),
                critical: t.severity == Severity::Critical,
            });
        }
    }
    let probes = e
        .probes
        .iter()
        .filter_map(|p| match &p.source {
            ProbeSource::Slo { slo, window } => {
                let b = budgets.iter().find(|b| &b.slo == slo);
                let value = match b {
                    None => Err(format!("{slo} is not an SLO of this cockpit")),
                    Some(b) => b
                        .burn
                        .iter()
                        .find(|(w, _)| w == window)
                        .and_then(|(_, v)| *v)
                        .ok_or_else(|| format!("{slo} has no burn rate over {window:?} yet")),
                };
                Some(ProbeReading {
                    name: p.name.clone(),
                    value,
                    skipped: false,
                })
            }
            ProbeSource::Prometheus { .. } => None,
        })
        .collect();
    let g = c.governor();
    Observation {
        at,
        mode: g.base_mode(),
        budget_mode: g.budget_mode(),
        drift: g.drift().is_some(),
        budgets,
        probes,
        firing,
        alerts_unknown: alerts_unknown(c),
    }
}

/// Why the cockpit's alerts cannot be trusted: the Alertmanager source (when configured) has
/// not answered yet or is not healthy.
pub fn alerts_unknown(c: &Cockpit) -> Option<String> {
    let am = c.sources().iter().find(|s| s.name == "alertmanager")?;
    match (am.state, am.last_ok) {
        (crate::cockpit::SourceState::Ok, Some(_)) => None,
        (_, None) => Some("Alertmanager has not answered yet".into()),
        (state, Some(_)) => Some(format!(
            "Alertmanager is {}{}",
            match state {
                crate::cockpit::SourceState::Down => "down",
                _ => "stale",
            },
            am.last_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        )),
    }
}

/// The observation the cockpit can make itself: [`observe_cockpit`] with the Prometheus probes
/// marked as not read here (`experiment run` reads them; the gate skips them, as in replay).
pub fn observe_here(c: &Cockpit, e: &Experiment, at: Timestamp) -> Observation {
    observe_with(c, e, at, &Readings::new())
}

/// What the live cockpit read of Prometheus probe queries (off the render path, by
/// `commands::experiment::ProbeReader`): query → the value or why none, and when it was read.
pub type Readings = BTreeMap<String, (Result<f64, String>, Timestamp)>;

/// A reading older than this no longer counts (the probe is shown as not read).
pub const READING_TTL: SignedDuration = SignedDuration::from_secs(30);

/// [`observe_here`] with the Prometheus probes this cockpit has read: a reading at most
/// [`READING_TTL`] old (and not after `at`) counts as `experiment run`'s own would; a probe
/// without one is marked as not read here (the gate skips it).
pub fn observe_with(
    c: &Cockpit,
    e: &Experiment,
    at: Timestamp,
    readings: &Readings,
) -> Observation {
    let mut o = observe_cockpit(c, e, at);
    for p in &e.probes {
        if let ProbeSource::Prometheus { query } = &p.source {
            let fresh = readings
                .get(query)
                .filter(|(_, t)| *t <= at && at.duration_since(*t) <= READING_TTL);
            o.probes.push(match fresh {
                Some((value, _)) => ProbeReading {
                    name: p.name.clone(),
                    value: value.clone(),
                    skipped: false,
                },
                None => ProbeReading {
                    name: p.name.clone(),
                    value: Err("read by `experiment run`, not by the cockpit".into()),
                    skipped: true,
                },
            });
        }
    }
    o
}

/// A run the journal says is under way (a start record and no end yet), as its guard sees it
/// from this cockpit now.
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub run: String,
    pub started: Timestamp,
    pub deadline: Timestamp,
    pub dry_run: bool,
    /// The guard made from the start record (the state and limits it started with) and fed
    /// with what this cockpit sees now: spent so far, boundaries, a breach it would halt on.
    pub guard: Guard,
    /// The breach this cockpit sees now, if any (the run's own guard halts on it).
    pub breach: Option<Breach>,
    /// The steady-state probes as read now (Prometheus ones are skipped here).
    pub probes: Vec<ProbeReading>,
    /// Someone asked to halt it (a `halt` record): who, when.
    pub halt_asked: Option<(String, Timestamp)>,
    /// The run's records so far (start, steps), for the evidence.
    pub steps: usize,
}

impl Running {
    /// The boundary closest to its breach now (the largest share of its limit used in what
    /// this cockpit sees now); [`Peaks::closest`] is the closest over the whole run.
    pub fn closest(&self) -> Option<Boundary> {
        self.guard.boundaries().into_iter().next()
    }
}

/// How close each run under way came to each of its boundaries, over every moment this
/// cockpit watched it ([`Peaks::watch`] before each frame): "closest boundary reached" is the
/// maximum over the run (what almost broke), not the closest now — a burn that neared the
/// limit and recovered still shows how near it came. A clock that goes back (a replay's seek)
/// forgets what was watched after it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Peaks {
    runs: BTreeMap<String, BTreeMap<String, Boundary>>,
    at: Option<Timestamp>,
}

impl Peaks {
    /// Keeps, for `run`, the largest share of each boundary's limit seen so far.
    pub fn watch(&mut self, run: &Running, at: Timestamp) {
        if self.at.is_some_and(|t| at < t) {
            self.runs.clear();
        }
        self.at = Some(at);
        let peaks = self.runs.entry(run.run.clone()).or_default();
        for b in run.guard.boundaries() {
            match peaks.get(&b.what) {
                Some(p) if p.used >= b.used => {}
                _ => {
                    peaks.insert(b.what.clone(), b);
                }
            }
        }
    }

    /// Forgets the runs not in `running` (ended, or gone with a seek back).
    pub fn keep_only<'a>(&mut self, running: impl IntoIterator<Item = &'a str>) {
        let keep: std::collections::BTreeSet<&str> = running.into_iter().collect();
        self.runs.retain(|r, _| keep.contains(r.as_str()));
    }

    /// The boundary `run` came closest to over the run as watched here (now included).
    pub fn closest(&self, run: &Running) -> Option<Boundary> {
        let mut all: Vec<Boundary> = run.guard.boundaries();
        all.extend(
            self.runs
                .get(&run.run)
                .into_iter()
                .flat_map(|m| m.values().cloned()),
        );
        all.into_iter()
            .max_by(|a, b| a.used.total_cmp(&b.used).then(b.what.cmp(&a.what)))
    }
}

/// The run of `e` under way in `records` (a start record and no end yet), as this cockpit
/// sees it now; what the view watches before each frame ([`Peaks`]).
pub fn running_now(
    c: &Cockpit,
    e: &Experiment,
    records: &[JournalRecord],
    readings: &Readings,
) -> Option<Running> {
    let (runs, _) = record::runs(records);
    let r = runs
        .iter()
        .rev()
        .filter(|r| r.title == e.title)
        .find(|r| r.ended.is_none())?;
    let obs = observe_with(c, e, c.now(), readings);
    running_of(r, e, records, &obs)
}

/// What the cockpit shows about one experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// May it start now, every check with its value, and the allowance on each SLO.
    pub decision: GateDecision,
    /// The approvals that counted (the journal's, and the viewer's own: starting it is one).
    pub approvals: Vec<Approval>,
    pub running: Option<Running>,
    /// The steady-state probes as read now (Prometheus ones only where this cockpit read them).
    pub probes: Vec<ProbeReading>,
    /// The latest run that ended (halted or not), with its evidence.
    pub last: Option<record::RunSummary>,
}

/// The status of experiment `e` in cockpit `c` at its `now`: the gate as `experiment run
/// --gate-only` would decide it for the person at this cockpit (their own approval counts, as
/// starting the run is one), from `records` (the journal's experiment records: approvals,
/// what runs spent in the window, runs under way and ended).
pub fn status(
    c: &Cockpit,
    e: &Experiment,
    records: &[JournalRecord],
    config: GateConfig,
) -> Status {
    status_with(c, e, records, config, &Readings::new())
}

/// [`status`] with the Prometheus probes this cockpit has read ([`observe_with`]).
pub fn status_with(
    c: &Cockpit,
    e: &Experiment,
    records: &[JournalRecord],
    config: GateConfig,
    readings: &Readings,
) -> Status {
    let now = c.now();
    let digest = e.digest();
    let obs = observe_with(c, e, now, readings);
    let mut approvals = approvals_in(records, &digest, now, None);
    let who = c.config();
    if !who.readonly && who.role != Role::Trainee {
        approvals.push(Approval {
            by: who.actor.clone(),
            role: who.role,
            mode: c.mode(),
        });
    }
    let spent = record::spent_in_window(records, now, config.window);
    let decision = gate(&GateInput {
        experiment: e,
        mode: obs.mode,
        budget_mode: obs.budget_mode,
        override_by: c.governor().mode_override().map(|o| o.by.clone()),
        drift: obs.drift,
        budgets: &obs.budgets,
        firing: &obs.firing,
        probes: &obs.probes,
        approvals: &approvals,
        spent: &spent,
        config,
        alerts_unknown: obs.alerts_unknown.clone(),
    });
    let (runs, _) = record::runs(records);
    let mine = |r: &&record::RunSummary| r.title == e.title;
    let running = runs
        .iter()
        .rev()
        .filter(mine)
        .find(|r| r.ended.is_none())
        .and_then(|r| running_of(r, e, records, &obs));
    let last = runs
        .iter()
        .rev()
        .filter(mine)
        .find(|r| r.ended.is_some())
        .cloned();
    Status {
        decision,
        approvals,
        running,
        probes: obs.probes.clone(),
        last,
    }
}

fn running_of(
    r: &record::RunSummary,
    e: &Experiment,
    records: &[JournalRecord],
    now: &Observation,
) -> Option<Running> {
    let first = *r.seqs.first()?;
    // By sequence and run: a replay's pre-computed runs are sealed in chains of their own, so
    // a sequence number alone may name another run's record.
    let start = records.iter().find(|x| {
        x.seq == first && body_field::<String>(&x.body, "run").as_deref() == Some(r.run.as_str())
    })?;
    let at_start: Observation = body_field(&start.body, "observation")?;
    let limits: BTreeMap<String, f64> = body_field(&start.body, "limits").unwrap_or_default();
    let experiment: Experiment = body_field(&start.body, "experiment").unwrap_or_else(|| e.clone());
    let mut guard = Guard::new(&experiment, &at_start, limits);
    let breach = if now.at >= at_start.at {
        guard.observe(&experiment, now)
    } else {
        None
    };
    Some(Running {
        run: r.run.clone(),
        started: r.started,
        deadline: guard.deadline(),
        dry_run: r.dry_run,
        guard,
        breach,
        probes: now.probes.clone(),
        halt_asked: halt_asked(records, &r.run),
        steps: r.steps.len(),
    })
}

/// Whether someone asked (from a cockpit, `x` then `H`) to halt run `run`: the first `halt`
/// record about it, who and when. The run's guard (`experiment run`) watches the journal for
/// it and halts like on a breach: the method stops, the rollbacks run.
pub fn halt_asked<'a>(
    records: impl IntoIterator<Item = &'a JournalRecord>,
    run: &str,
) -> Option<(String, Timestamp)> {
    records
        .into_iter()
        .filter(|r| r.kind == RecordKind::Experiment)
        .filter(|r| body_field::<String>(&r.body, "phase").as_deref() == Some("halt"))
        .find(|r| body_field::<String>(&r.body, "run").as_deref() == Some(run))
        .map(|r| (r.actor.clone(), r.ts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Chain, JournalEntry};

    fn approval(chain: &mut Chain, at: Timestamp, replayed: Option<&str>) -> JournalRecord {
        let mut body = serde_json::json!({"phase": "approve", "digest": "d1", "mode": "adaptive"});
        if let Some(id) = replayed {
            body["replayed"] = true.into();
            body["scenario"] = id.into();
        }
        chain.seal(
            JournalEntry {
                actor: "ic".into(),
                role: crate::actions::Role::Commander.into(),
                kind: RecordKind::Experiment,
                summary: "approved".into(),
                body,
            },
            at,
        )
    }

    /// An approval counts from its time for [`APPROVAL_TTL`], never before it; live approvals
    /// for live runs, a replay's for runs replayed in the same scenario.
    #[test]
    fn approvals_count_within_their_hour_on_their_own_clock() {
        let t: Timestamp = "2025-06-01T14:00:00Z".parse().unwrap();
        let mut chain = Chain::default();
        let records = vec![
            approval(&mut chain, t, None),
            approval(&mut chain, t, Some("demo")),
        ];
        let at = |mins: i64| t + SignedDuration::from_mins(mins);
        let n = |now, replay| approvals_in(&records, "d1", now, replay).len();
        assert_eq!(n(at(0), None), 1);
        assert_eq!(n(at(60), None), 1);
        assert_eq!(n(at(61), None), 0, "older than an hour");
        assert_eq!(n(at(-1), None), 0, "from the future");
        assert_eq!(n(at(5), Some("demo")), 1);
        assert_eq!(n(at(-1), Some("demo")), 0);
        assert_eq!(n(at(5), Some("other")), 0, "another scenario's");
        assert_eq!(approvals_in(&records, "d2", at(5), None).len(), 0);
    }

    /// The view's "closest boundary" is the closest approach over the run as the cockpit
    /// watched it: a burn that took 90% of the limit and recovered still shows 90%, though
    /// what the cockpit sees now is 10%; a clock that goes back forgets it.
    #[test]
    fn the_closest_boundary_is_the_peak_over_the_watched_run() {
        use crate::chaos::fixtures::{experiment, observation as obs, t};
        let e = experiment();
        let start = obs(t(0), 0.9);
        // What the view rebuilds each frame: the guard from the start record, fed with now.
        let running_at = |at: Timestamp, remaining: f64| {
            let mut guard = Guard::new(
                &e,
                &start,
                BTreeMap::from([("prom-queries".to_string(), 0.05)]),
            );
            let breach = guard.observe(&e, &obs(at, remaining));
            Running {
                run: "r1".into(),
                started: t(0),
                deadline: guard.deadline(),
                dry_run: false,
                guard,
                breach,
                probes: vec![],
                halt_asked: None,
                steps: 1,
            }
        };
        let mut peaks = Peaks::default();
        for (at, remaining) in [(5, 0.88), (10, 0.855), (15, 0.87), (20, 0.895)] {
            peaks.watch(&running_at(t(at), remaining), t(at));
        }
        let now = running_at(t(20), 0.895);
        let budget = |b: Option<Boundary>| b.filter(|b| b.what == "budget prom-queries");
        let seen_now = now
            .guard
            .boundaries()
            .into_iter()
            .find(|b| b.what == "budget prom-queries")
            .unwrap();
        assert!((seen_now.used - 0.1).abs() < 1e-9, "{seen_now:?}");
        let peak = budget(peaks.closest(&now)).expect("the budget is the closest reached");
        assert!((peak.used - 0.9).abs() < 1e-9, "{peak:?}");
        assert!(peak.detail.contains("spent 4.50%"), "{peak:?}");
        // A seek back: what was watched after it is forgotten.
        peaks.watch(&running_at(t(5), 0.895), t(5));
        assert!(peaks.closest(&now).is_some_and(|b| b.used < 0.9));
        // An ended run is forgotten.
        peaks.keep_only([]);
        assert_eq!(
            peaks,
            Peaks {
                runs: BTreeMap::new(),
                at: Some(t(5))
            }
        );
    }
}
