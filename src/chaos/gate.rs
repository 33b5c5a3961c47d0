//! The gate: may this experiment start now, and how much budget may it spend?
//!
//! An experiment starts only when every check passes:
//!
//! 1. **mode** — the budgets' own mode is Adaptive (an override changes who must approve, not
//!    the headroom: [`policy_with_headroom`]), and no drift is flagged;
//! 2. **data** — every SLO in the blast radius has fresh budget data;
//! 3. **budget left** — each keeps at least the floor (the cockpit's `min_budget_left`, raised
//!    by the experiment's own, never lowered);
//! 4. **allowance** — experiments still have budget to spend in this window (below);
//! 5. **incidents** — no firing alert inside the blast radius;
//! 6. **steady state** — every probe is within its tolerance before anything is done;
//! 7. **approvals** — what the policy asks for an experiment (pre-audited: one approval;
//!    otherwise the incident commander's), through the same [`policy_with_headroom`] the
//!    cockpit uses for experiment steps.
//!
//! **The allowance rule** (more experiments when the budget is healthy, fewer when it is not):
//! on each SLO of the blast radius, experiments together may spend half of the budget above the
//! floor, minus what experiment runs already spent in the last [`GateConfig::window`]:
//!
//! ```text
//! allowance(slo) = max(0, (remaining − floor) / 2 − spent_by_experiments_in_window)
//! ```
//!
//! All quantities are shares of the SLO window's whole budget. A run's own limit on each SLO is
//! the smaller of `budget_limit × remaining` (the file's share of the remaining budget) and the
//! allowance; the guard halts the run when it spends that much.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::experiment::Experiment;
use crate::actions::{Approval, Overlays, StepClass, StepKind, Verdict, policy_with_headroom};
use crate::slo::Mode;
use crate::time::{SignedDuration, format_duration};

/// The cockpit's side of the gate (flags of `experiment run`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateConfig {
    /// The least share of budget that must be left on each SLO in the blast radius.
    pub min_budget_left: f64,
    /// How far back experiment runs count against the allowance.
    pub window: SignedDuration,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            min_budget_left: 0.25,
            window: SignedDuration::from_hours(24 * 7),
        }
    }
}

/// One SLO's budget as the cockpit sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloHeadroom {
    pub slo: String,
    /// Share of the SLO window's budget left; `None` without data.
    pub remaining: Option<f64>,
    /// The data is stale (the numbers are frozen).
    pub stale: bool,
    /// Burn rate per window (5m, 30m, 1h, …), for SLO probes.
    #[serde(default)]
    pub burn: Vec<(crate::slo::Window, Option<f64>)>,
}

/// A firing alert as the gate and guard see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FiringAlert {
    /// The cluster it belongs to (an id stable for the session).
    pub cluster: String,
    pub alertname: String,
    pub labels: BTreeMap<String, String>,
    pub critical: bool,
}

/// One probe's reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeReading {
    pub name: String,
    /// The value, or why there is none.
    pub value: Result<f64, String>,
    /// Not read here on purpose (a Prometheus probe in replay): neither holds nor fails.
    #[serde(default)]
    pub skipped: bool,
}

/// Everything the gate looks at, gathered by the edge (live or replay).
#[derive(Clone, Debug, PartialEq)]
pub struct GateInput<'a> {
    pub experiment: &'a Experiment,
    /// The mode in force (an override while one holds), before drift.
    pub mode: Mode,
    /// The budgets' own mode, whatever an override says.
    pub budget_mode: Mode,
    /// Who overrode the mode, while an override holds.
    pub override_by: Option<String>,
    pub drift: bool,
    pub budgets: &'a [SloHeadroom],
    pub firing: &'a [FiringAlert],
    pub probes: &'a [ProbeReading],
    pub approvals: &'a [Approval],
    /// Budget (share of the SLO window's) that experiment runs spent in the window, by SLO.
    pub spent: &'a BTreeMap<String, f64>,
    pub config: GateConfig,
    /// Why the alerts cannot be trusted now (the alert source is down or has not answered
    /// yet): then no incident can be ruled out and the experiment may not start.
    pub alerts_unknown: Option<String>,
}

/// One check of the gate and what it found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// One SLO's allowance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Allowance {
    pub slo: String,
    pub remaining: f64,
    pub floor: f64,
    /// `(remaining − floor) / 2`.
    pub allowance: f64,
    pub spent: f64,
    /// `max(0, allowance − spent)`.
    pub left: f64,
    /// This run's limit: `min(budget_limit × remaining, left)`.
    pub limit: f64,
}

/// The gate's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateDecision {
    pub may_start: bool,
    pub checks: Vec<Check>,
    pub allowances: Vec<Allowance>,
    /// The policy's verdict on the experiment as one step.
    pub verdict: Verdict,
}

impl GateDecision {
    /// Why it may not start (the failed checks), one line each.
    pub fn reasons(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect()
    }

    /// The budget limits of this run, by SLO.
    pub fn limits(&self) -> BTreeMap<String, f64> {
        self.allowances
            .iter()
            .map(|a| (a.slo.clone(), a.limit))
            .collect()
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str(if self.may_start {
            "may start\n"
        } else {
            "may NOT start\n"
        });
        for c in &self.checks {
            out.push_str(&format!(
                "  [{}] {:<12} {}\n",
                if c.ok { "ok" } else { "no" },
                c.name,
                c.detail
            ));
        }
        for a in &self.allowances {
            out.push_str(&format!(
                "  allowance {}: {} left of {} (remaining {}, floor {}, spent by experiments {}); this run may spend {}\n",
                a.slo,
                pct(a.left),
                pct(a.allowance),
                pct(a.remaining),
                pct(a.floor),
                pct(a.spent),
                pct(a.limit)
            ));
        }
        out
    }
}

/// A share as a percentage with enough digits for small budgets.
pub fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p.abs() >= 10.0 || p == 0.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// The experiment as one step for the policy.
pub fn step_class(e: &Experiment) -> StepClass {
    StepClass {
        kind: StepKind::Experiment,
        pre_audited: e.audited.is_some(),
        novel: false,
    }
}

/// The gate. Pure and total.
pub fn gate(input: &GateInput<'_>) -> GateDecision {
    let e = input.experiment;
    let budgets = BudgetChecks::of(input);
    let verdict = approvals(input);
    let mut checks = vec![mode_check(input)];
    checks.extend(budgets.checks(e));
    checks.push(incidents_check(input));
    checks.push(steady_state_check(input));
    checks.push(Check::new(
        "approvals",
        verdict.is_allowed(),
        verdict.to_string(),
    ));
    let may_start = checks.iter().all(|c| c.ok);
    GateDecision {
        may_start,
        checks,
        allowances: budgets.allowances,
        verdict,
    }
}

impl Check {
    fn new(name: &str, ok: bool, detail: String) -> Check {
        Check {
            name: name.to_string(),
            ok,
            detail,
        }
    }
}

/// 1. Mode: the budgets' own, whatever an override says.
fn mode_check(input: &GateInput<'_>) -> Check {
    let mode_ok = input.budget_mode == Mode::Adaptive && !input.drift;
    let mode_detail = match (&input.override_by, input.budget_mode) {
        (Some(by), b) if b != Mode::Adaptive => format!(
            "the budgets say {}; the override to {} by {by} changes who must approve, not the \
             headroom (an override is not headroom)",
            b.label(),
            input.mode.label()
        ),
        (_, b) if b != Mode::Adaptive => format!(
            "the budgets say {}: experiments run only in Adaptive",
            b.label()
        ),
        _ if input.drift => {
            "drift is flagged and not acknowledged: the cockpit acts one mode stricter".into()
        }
        (Some(by), _) => format!(
            "the budgets say ADAPTIVE (the override to {} by {by} decides who approves)",
            input.mode.label()
        ),
        _ => "the budgets say ADAPTIVE".into(),
    };
    Check::new("mode", mode_ok, mode_detail)
}

/// 2–4. Data, floor and allowance on every SLO of the blast radius: what each check found.
struct BudgetChecks {
    floor: f64,
    allowances: Vec<Allowance>,
    /// SLOs without fresh data.
    missing: Vec<String>,
    /// SLOs below the floor.
    low: Vec<String>,
    /// SLOs whose allowance experiments have spent.
    spent_out: Vec<String>,
}

impl BudgetChecks {
    fn of(input: &GateInput<'_>) -> BudgetChecks {
        let e = input.experiment;
        let floor = e
            .min_budget_left
            .unwrap_or(0.0)
            .max(input.config.min_budget_left);
        let mut found = BudgetChecks {
            floor,
            allowances: Vec::new(),
            missing: Vec::new(),
            low: Vec::new(),
            spent_out: Vec::new(),
        };
        for slo in &e.blast_radius.slos {
            let b = input.budgets.iter().find(|b| &b.slo == slo);
            let remaining = match b {
                None => {
                    found
                        .missing
                        .push(format!("{slo} is not an SLO this cockpit knows"));
                    continue;
                }
                Some(b) if b.stale => {
                    found.missing.push(format!("{slo}'s data is stale"));
                    continue;
                }
                Some(b) => match b.remaining {
                    Some(r) => r,
                    None => {
                        found
                            .missing
                            .push(format!("{slo} has no data over its window"));
                        continue;
                    }
                },
            };
            found.allowance(input, slo, remaining);
        }
        found
    }

    /// One SLO with `remaining` budget: the floor and the allowance rule.
    fn allowance(&mut self, input: &GateInput<'_>, slo: &str, remaining: f64) {
        let floor = self.floor;
        if remaining < floor {
            self.low.push(format!(
                "{slo} has {} left, below {}",
                pct(remaining),
                pct(floor)
            ));
        }
        let allowance = ((remaining - floor) / 2.0).max(0.0);
        let spent = input.spent.get(slo).copied().unwrap_or(0.0).max(0.0);
        let left = (allowance - spent).max(0.0);
        if left <= 0.0 {
            self.spent_out.push(format!(
                "{slo}: experiments spent {} of an allowance of {} in the last {}",
                pct(spent),
                pct(allowance),
                format_duration(input.config.window)
            ));
        }
        self.allowances.push(Allowance {
            slo: slo.to_string(),
            remaining,
            floor,
            allowance,
            spent,
            left,
            limit: (input.experiment.budget_limit * remaining)
                .min(left)
                .max(0.0),
        });
    }

    /// The `data`, `budget left` and `allowance` checks.
    fn checks(&self, e: &Experiment) -> [Check; 3] {
        let data = Check::new(
            "data",
            self.missing.is_empty(),
            if self.missing.is_empty() {
                format!("budget data for {}", e.blast_radius.slos.join(", "))
            } else {
                self.missing.join("; ")
            },
        );
        let left = Check::new(
            "budget left",
            self.low.is_empty() && self.missing.is_empty(),
            if self.low.is_empty() {
                self.allowances
                    .iter()
                    .map(|a| {
                        format!(
                            "{} {} left (floor {})",
                            a.slo,
                            pct(a.remaining),
                            pct(self.floor)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                self.low.join("; ")
            },
        );
        let allowance = Check::new(
            "allowance",
            self.spent_out.is_empty() && self.missing.is_empty(),
            if self.spent_out.is_empty() {
                self.allowances
                    .iter()
                    .map(|a| format!("{} {} left to spend", a.slo, pct(a.left)))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                self.spent_out.join("; ")
            },
        );
        [data, left, allowance]
    }
}

/// 5. No firing incident inside the blast radius.
fn incidents_check(input: &GateInput<'_>) -> Check {
    let e = input.experiment;
    let inside: Vec<&FiringAlert> = input
        .firing
        .iter()
        .filter(|a| e.blast_radius.contains(&a.labels))
        .collect();
    Check::new(
        "incidents",
        inside.is_empty() && input.alerts_unknown.is_none(),
        if let Some(why) = &input.alerts_unknown {
            format!("cannot rule out an incident in the blast radius: {why}")
        } else if inside.is_empty() {
            format!(
                "nothing firing inside the blast radius ({})",
                e.blast_radius.describe()
            )
        } else {
            let mut names: Vec<String> = inside
                .iter()
                .map(|a| format!("{} (cluster {})", a.alertname, a.cluster))
                .collect();
            names.dedup();
            format!("firing inside the blast radius: {}", names.join(", "))
        },
    )
}

/// 6. The steady state holds before anything is done.
fn steady_state_check(input: &GateInput<'_>) -> Check {
    let e = input.experiment;
    let mut deviations = Vec::new();
    let mut skipped = Vec::new();
    for p in &e.probes {
        let reading = input.probes.iter().find(|r| r.name == p.name);
        if reading.is_some_and(|r| r.skipped) {
            skipped.push(p.name.clone());
            continue;
        }
        match reading.map(|r| &r.value) {
            Some(Ok(v)) if p.tolerance.holds(*v) => {}
            Some(Ok(v)) => deviations.push(format!("{} = {v} (tolerance {})", p.name, p.tolerance)),
            Some(Err(why)) => deviations.push(format!("{}: {why}", p.name)),
            None => deviations.push(format!("{}: not read", p.name)),
        }
    }
    Check::new(
        "steady state",
        deviations.is_empty(),
        if deviations.is_empty() {
            let mut s = format!(
                "{} probe(s) within tolerance",
                e.probes.len() - skipped.len()
            );
            if !skipped.is_empty() {
                s.push_str(&format!(
                    " ({} not checked here: {})",
                    skipped.len(),
                    skipped.join(", ")
                ));
            }
            s
        } else {
            deviations.join("; ")
        },
    )
}

/// 7. Approvals, through the one policy path.
fn approvals(input: &GateInput<'_>) -> Verdict {
    policy_with_headroom(
        input.mode,
        input.budget_mode,
        Overlays {
            novel: false,
            drift: input.drift,
        },
        &step_class(input.experiment),
        input.approvals,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Role;
    use crate::chaos::fixtures::experiment as exp;

    fn budgets(r: f64) -> Vec<SloHeadroom> {
        vec![SloHeadroom {
            slo: "prom-queries".into(),
            remaining: Some(r),
            stale: false,
            burn: vec![],
        }]
    }

    fn ok_probes() -> Vec<ProbeReading> {
        vec![
            ProbeReading {
                name: "prometheus is up".into(),
                value: Ok(1.0),
                skipped: false,
            },
            ProbeReading {
                name: "query burn".into(),
                value: Ok(0.0),
                skipped: false,
            },
        ]
    }

    fn ap(role: Role, mode: Mode) -> Approval {
        Approval {
            by: format!("{role}"),
            role,
            mode,
        }
    }

    struct Case {
        mode: Mode,
        budget_mode: Mode,
        override_by: Option<String>,
        remaining: f64,
        firing: Vec<FiringAlert>,
        approvals: Vec<Approval>,
        spent: f64,
    }

    fn healthy() -> Case {
        Case {
            mode: Mode::Adaptive,
            budget_mode: Mode::Adaptive,
            override_by: None,
            remaining: 0.9,
            firing: vec![],
            approvals: vec![ap(Role::Commander, Mode::Adaptive)],
            spent: 0.0,
        }
    }

    fn run(c: &Case) -> GateDecision {
        let e = exp();
        let b = budgets(c.remaining);
        let p = ok_probes();
        let spent = BTreeMap::from([("prom-queries".to_string(), c.spent)]);
        gate(&GateInput {
            experiment: &e,
            mode: c.mode,
            budget_mode: c.budget_mode,
            override_by: c.override_by.clone(),
            drift: false,
            budgets: &b,
            firing: &c.firing,
            probes: &p,
            approvals: &c.approvals,
            spent: &spent,
            config: GateConfig::default(),
            alerts_unknown: None,
        })
    }

    fn failed(d: &GateDecision) -> Vec<&str> {
        d.checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect()
    }

    #[test]
    fn a_healthy_budget_lets_it_start_and_limits_it() {
        let d = run(&healthy());
        assert!(d.may_start, "{}", d.text());
        let a = &d.allowances[0];
        // (0.9 − 0.25) / 2 = 0.325 allowance; the file's 5% of 0.9 = 0.045 is smaller.
        assert!((a.allowance - 0.325).abs() < 1e-12);
        assert!((a.limit - 0.045).abs() < 1e-12);
    }

    #[test]
    fn the_allowance_scales_with_headroom() {
        let mut last = f64::INFINITY;
        for r in [1.0, 0.8, 0.6, 0.4, 0.3] {
            let d = run(&Case {
                remaining: r,
                spent: 0.01,
                ..healthy()
            });
            let left = d.allowances[0].left;
            assert!(left < last, "{r}: {left} !< {last}");
            last = left;
        }
        // Spent out: no start.
        let d = run(&Case {
            remaining: 0.3,
            spent: 0.05,
            ..healthy()
        });
        assert_eq!(failed(&d), vec!["allowance"], "{}", d.text());
    }

    #[test]
    fn an_override_to_adaptive_is_not_headroom() {
        for budget_mode in [Mode::Freeze, Mode::Redesign] {
            let d = run(&Case {
                budget_mode,
                override_by: Some("cora".into()),
                approvals: vec![
                    ap(Role::Commander, Mode::Adaptive),
                    ap(Role::Oncall, Mode::Adaptive),
                ],
                ..healthy()
            });
            assert!(!d.may_start);
            assert_eq!(failed(&d), vec!["mode", "approvals"], "{}", d.text());
            assert!(d.text().contains("not headroom"), "{}", d.text());
        }
    }

    #[test]
    fn each_check_refuses_on_its_own() {
        let low = run(&Case {
            remaining: 0.2,
            ..healthy()
        });
        assert!(failed(&low).contains(&"budget left"), "{}", low.text());
        let firing = run(&Case {
            firing: vec![FiringAlert {
                cluster: "c1".into(),
                alertname: "PrometheusDown".into(),
                labels: BTreeMap::from([("job".to_string(), "prometheus".to_string())]),
                critical: true,
            }],
            ..healthy()
        });
        assert_eq!(failed(&firing), vec!["incidents"]);
        let elsewhere = run(&Case {
            firing: vec![FiringAlert {
                cluster: "c2".into(),
                alertname: "CheckoutDown".into(),
                labels: BTreeMap::from([("job".to_string(), "checkout".to_string())]),
                critical: true,
            }],
            ..healthy()
        });
        assert!(elsewhere.may_start, "{}", elsewhere.text());
        let unapproved = run(&Case {
            approvals: vec![ap(Role::Oncall, Mode::Adaptive)],
            ..healthy()
        });
        // Not pre-audited: the commander must approve.
        assert_eq!(failed(&unapproved), vec!["approvals"]);
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::actions::Role;
    use crate::chaos::fixtures::experiment;
    use proptest::prelude::*;

    fn mode() -> impl Strategy<Value = Mode> {
        prop_oneof![
            Just(Mode::Adaptive),
            Just(Mode::Freeze),
            Just(Mode::Redesign)
        ]
    }

    proptest! {
        /// Whatever the inputs: no start unless the budgets say Adaptive (an override is not
        /// headroom) and the floor holds; a run's limit never exceeds the allowance left or the
        /// file's share of what remains; more headroom never means less allowance.
        #[test]
        fn the_gate_never_starts_without_headroom(
            mode in mode(),
            budget_mode in mode(),
            remaining in -0.5f64..1.0,
            spent in 0.0f64..0.5,
            floor in 0.0f64..0.9,
            drift in any::<bool>(),
            commander in any::<bool>(),
        ) {
            let e = experiment();
            let budgets = |r: f64| vec![SloHeadroom {
                slo: "prom-queries".into(),
                remaining: Some(r),
                stale: false,
                burn: vec![],
            }];
            let probes = vec![
                ProbeReading { name: "prometheus is up".into(), value: Ok(1.0), skipped: false },
                ProbeReading { name: "query burn".into(), value: Ok(0.0), skipped: false },
            ];
            let approvals = vec![Approval {
                by: "x".into(),
                role: if commander { Role::Commander } else { Role::Oncall },
                mode,
            }];
            let spent_map = BTreeMap::from([("prom-queries".to_string(), spent)]);
            let decide = |r: f64| {
                let b = budgets(r);
                gate(&GateInput {
                    experiment: &e,
                    mode,
                    budget_mode,
                    override_by: (mode != budget_mode).then(|| "cora".to_string()),
                    drift,
                    budgets: &b,
                    firing: &[],
                    probes: &probes,
                    approvals: &approvals,
                    spent: &spent_map,
                    config: GateConfig { min_budget_left: floor, ..GateConfig::default() },
                    alerts_unknown: None,
                })
            };
            let d = decide(remaining);
            if d.may_start {
                prop_assert_eq!(budget_mode, Mode::Adaptive);
                prop_assert!(!drift);
                prop_assert!(remaining >= floor);
                prop_assert!(d.verdict.is_allowed());
            }
            let a = &d.allowances[0];
            prop_assert!(a.limit <= a.left + 1e-15 && a.limit <= e.budget_limit * remaining.max(0.0) + 1e-15);
            prop_assert!(a.limit >= 0.0 && a.left >= 0.0);
            let more = decide((remaining + 0.1).min(1.0));
            prop_assert!(more.allowances[0].left + 1e-15 >= a.left);
        }
    }
}
