//! The governor: turns the budget statuses of all SLOs into the automation mode (design brief
//! §1), with hysteresis and the drift overlay, and reports each transition with its evidence.
//!
//! Rules: Redesign if any SLO's budget is exhausted; else Freeze if any page condition holds;
//! else Adaptive. The strictest SLO wins (ties: least budget left, then the condition furthest
//! over its threshold). A stricter mode is entered at once; a level is left only after its
//! condition has been observed false continuously for the hold time. An unacknowledged drift
//! signal makes the mode one step stricter.
//!
//! The incident commander may override the budgets' mode, with a written reason, for a bounded
//! time ([`ModeOverride`]): stricter (declare a freeze during a risky migration) or looser (the
//! SLI itself is broken and the burn is not real). The override replaces the budgets' mode, not
//! the overlays: unacknowledged drift still makes it one step stricter. It ends at its `until`,
//! or when the commander ends it; either way the budgets' mode applies again at once.
//!
//! **The mode at start is a state, not a transition.** A new governor knows nothing: it reports
//! no change until its first evaluation with data (some SLO has a budget, or there are no SLOs,
//! or [`SETTLE`] has passed since its first evaluation without any data). That evaluation reports the mode it found as
//! a [`ModeChange`] with `from: None` — "started in REDESIGN", with its evidence — and only later
//! changes of the effective mode are transitions. Before then the mode still governs (an override
//! in force applies at once), it is just not reported as having changed.
//!
//! Size: a little over 600 lines: one state machine (levels, hold, settle, override, drift)
//! whose verdicts and transitions read the same private state; split, each half would reach
//! into the other.

use serde::{Deserialize, Serialize};

use super::Mode;
use super::drift::DriftSignal;
use super::state::{BudgetStatus, BurnAlert};
use crate::time::{SignedDuration, Timestamp, clock_hms, format_duration};

/// How long a new governor waits for SLO data before it reports the mode it starts in anyway
/// (a Prometheus that is down at start must not keep the start state off the record).
pub const SETTLE: SignedDuration = SignedDuration::from_mins(1);

/// A mode transition, or (`from: None`) the mode a governor found when it started: a state,
/// with its evidence, that changed nothing. Journaled as a `mode` record (`from: null` for a
/// state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeChange {
    pub at: Timestamp,
    /// The mode before; `None` for the state at start.
    #[serde(default)]
    pub from: Option<Mode>,
    pub to: Mode,
    pub reason: String,
    /// The SLO that decided the new mode (`None` when relaxing to Adaptive or drift alone).
    pub slo: Option<String>,
    /// The burn-rate conditions behind the new mode (window, threshold, burns).
    pub evidence: Vec<BurnAlert>,
    /// The budget left on the deciding SLO at the evaluation that made this change (a
    /// fraction; negative: overspent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_remaining: Option<f64>,
    /// The drift overlay in force, as data: metric, baseline mean and σ (used and measured),
    /// recent mean, since, CUSUM statistic and threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftSignal>,
}

impl ModeChange {
    /// The mode a governor started in, not a change.
    pub fn is_state(&self) -> bool {
        self.from.is_none()
    }

    /// The mode stayed, an overlay changed (drift raised or acknowledged in REDESIGN).
    pub fn is_overlay(&self) -> bool {
        self.from == Some(self.to)
    }

    /// One line: `REDESIGN → FREEZE: reason`, `started in REDESIGN: reason` for a state, or
    /// `REDESIGN stays: reason` for an overlay change.
    pub fn describe(&self) -> String {
        match self.from {
            Some(from) if from == self.to => format!("{} stays: {}", self.to.label(), self.reason),
            Some(from) => format!("{} → {}: {}", from.label(), self.to.label(), self.reason),
            None => format!("started in {}: {}", self.to.label(), self.reason),
        }
    }
}

/// The commander's override of the budgets' mode: who, why, and until when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeOverride {
    pub mode: Mode,
    pub by: String,
    pub reason: String,
    pub until: Timestamp,
}

/// Why a level holds: the deciding SLO and its evidence.
#[derive(Clone, Debug)]
struct Verdict {
    mode: Mode,
    slo: Option<String>,
    reason: String,
    evidence: Vec<BurnAlert>,
}

impl Verdict {
    fn adaptive(reason: String) -> Self {
        Verdict {
            mode: Mode::Adaptive,
            slo: None,
            reason,
            evidence: Vec::new(),
        }
    }
}

/// Per stricter level (Freeze, Redesign): when its condition was first seen false, and the
/// verdict from the last time it held.
#[derive(Clone, Debug, Default)]
struct Level {
    clear_since: Option<Timestamp>,
    last: Option<Verdict>,
}

/// The governor. See the module documentation.
#[derive(Clone, Debug)]
pub struct Governor {
    hold: SignedDuration,
    /// Mode from the budgets, after hysteresis, before the drift overlay.
    base: Mode,
    /// Effective mode (base, one step stricter while drift is unacknowledged).
    mode: Mode,
    levels: [Level; 2],
    reason: String,
    deciding: Option<String>,
    evidence: Vec<BurnAlert>,
    /// The budget left on the deciding SLO at the last evaluation.
    deciding_budget: Option<f64>,
    drift: Option<DriftSignal>,
    overridden: Option<ModeOverride>,
    /// The reason from the budgets alone (the override and drift are composed onto it).
    budget_reason: String,
    /// The mode has been reported (as the state at start); until then nothing is a transition.
    settled: bool,
    /// The first evaluation, from which [`SETTLE`] is counted.
    first_update: Option<Timestamp>,
}

impl Default for Governor {
    /// A 10-minute hold.
    fn default() -> Self {
        Governor::new(SignedDuration::from_mins(10))
    }
}

fn level_index(m: Mode) -> Option<usize> {
    match m {
        Mode::Adaptive => None,
        Mode::Freeze => Some(0),
        Mode::Redesign => Some(1),
    }
}

const LEVELS: [Mode; 2] = [Mode::Freeze, Mode::Redesign];

/// A budget fraction as a percentage that never rounds an overspent or a remaining budget to
/// `0.0%` or `-0.0%`: as many decimals as it takes (up to four), `-0.0004` → `-0.04%`.
pub fn budget_percent(left: f64) -> String {
    let pct = left * 100.0;
    if pct == 0.0 || !pct.is_finite() {
        return format!("{:.1}%", pct.abs());
    }
    let mut decimals = 1;
    while decimals < 4 && (pct * 10f64.powi(decimals)).round() == 0.0 {
        decimals += 1;
    }
    let text = format!("{pct:.prec$}%", prec = decimals as usize);
    if (pct * 10f64.powi(decimals)).round() == 0.0 {
        // Smaller than the last decimal: say so rather than print zero.
        let bound = format!("{:.prec$}", 10f64.powi(-decimals), prec = decimals as usize);
        return if pct < 0.0 {
            format!("> -{bound}%")
        } else {
            format!("< {bound}%")
        };
    }
    text
}

/// The verdict one status asks for alone.
fn verdict_of(s: &BudgetStatus) -> Verdict {
    if s.mode() == Mode::Redesign {
        let left = s.budget_remaining.unwrap_or(0.0);
        return Verdict {
            mode: Mode::Redesign,
            slo: Some(s.slo.clone()),
            reason: format!(
                "{}: error budget exhausted ({} left over the SLO window)",
                s.slo,
                budget_percent(left)
            ),
            evidence: s.conditions.clone(),
        };
    }
    let pages: Vec<BurnAlert> = s.pages().cloned().collect();
    if !pages.is_empty() {
        let text: Vec<String> = pages.iter().map(BurnAlert::describe).collect();
        return Verdict {
            mode: Mode::Freeze,
            slo: Some(s.slo.clone()),
            reason: format!("{}: {}", s.slo, text.join("; ")),
            evidence: pages,
        };
    }
    Verdict {
        mode: Mode::Adaptive,
        slo: Some(s.slo.clone()),
        reason: String::new(),
        evidence: Vec::new(),
    }
}

/// Orders statuses by how strongly they ask for their mode (bigger = stricter).
fn strength(s: &BudgetStatus) -> (Mode, f64) {
    let mode = s.mode();
    let score = match mode {
        Mode::Redesign => -s.budget_remaining.unwrap_or(0.0),
        Mode::Freeze => s
            .pages()
            .map(BurnAlert::severity_ratio)
            .fold(f64::MIN, f64::max),
        Mode::Adaptive => 0.0,
    };
    (mode, score)
}

/// `checkout-availability 12m old` for every stale status, or `None`.
fn stale_text(statuses: &[BudgetStatus]) -> Option<String> {
    let parts: Vec<String> = statuses
        .iter()
        .filter_map(|s| {
            let age = s.stale_age?;
            let age = SignedDuration::from_secs(age.as_secs());
            Some(format!("{} {} old", s.slo, format_duration(age)))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The strictest verdict over all statuses (no hysteresis).
fn target_verdict(statuses: &[BudgetStatus]) -> Verdict {
    let best = statuses.iter().max_by(|a, b| {
        let (ma, sa) = strength(a);
        let (mb, sb) = strength(b);
        ma.cmp(&mb).then(sa.total_cmp(&sb))
    });
    match best {
        None => Verdict::adaptive("no SLOs".to_string()),
        Some(s) if s.mode() == Mode::Adaptive => {
            let with_data = statuses
                .iter()
                .filter(|s| s.budget_remaining.is_some() && !s.insufficient_data())
                .count();
            let few: Vec<String> = statuses
                .iter()
                .filter_map(|s| Some(format!("{}: {}", s.slo, s.insufficient_text()?)))
                .collect();
            let tickets: Vec<String> = statuses
                .iter()
                .flat_map(|s| s.conditions.iter().map(move |c| (s, c)))
                .map(|(s, c)| format!("{}: ticket, {}", s.slo, c.describe()))
                .collect();
            let mut reason = if with_data == 0 && few.is_empty() {
                "no SLO data yet".to_string()
            } else if with_data == 0 {
                String::from("no SLO has enough data to judge")
            } else {
                format!(
                    "no page condition; budget left on {with_data} of {} SLOs",
                    statuses.len()
                )
            };
            if !tickets.is_empty() {
                reason.push_str(" (");
                reason.push_str(&tickets.join("; "));
                reason.push(')');
            }
            if !few.is_empty() {
                reason.push_str(&format!(
                    "; {} (budget and burn conditions ignored until then)",
                    few.join("; ")
                ));
            }
            Verdict::adaptive(reason)
        }
        Some(s) => verdict_of(s),
    }
}

impl Governor {
    /// A governor in Adaptive mode that leaves a stricter mode only after its condition stayed
    /// false for `hold`.
    pub fn new(hold: SignedDuration) -> Self {
        Governor {
            hold,
            base: Mode::Adaptive,
            mode: Mode::Adaptive,
            levels: Default::default(),
            reason: "no SLO data yet".to_string(),
            deciding: None,
            evidence: Vec::new(),
            deciding_budget: None,
            drift: None,
            overridden: None,
            budget_reason: "no SLO data yet".to_string(),
            settled: false,
            first_update: None,
        }
    }

    /// Whether the governor has reported the mode it started in (see the module documentation).
    pub fn settled(&self) -> bool {
        self.settled
    }

    /// The hysteresis hold time.
    pub fn hold(&self) -> SignedDuration {
        self.hold
    }

    /// Recomputes the mode from the budget statuses; returns the transition if the mode changed.
    ///
    /// **Stale data never loosens the mode**: while any SLO's data is stale (see
    /// [`BudgetStatus::stale_age`]) a stricter level is kept and its hold starts only once fresh
    /// data says the condition is clear; a stricter mode is still entered at once.
    pub fn update(&mut self, now: Timestamp, statuses: &[BudgetStatus]) -> Option<ModeChange> {
        let target = target_verdict(statuses);
        let old_base = self.base;
        let stale = stale_text(statuses);
        let mut base = Mode::Adaptive;
        let mut holding: Option<(usize, Timestamp)> = None;
        let mut stale_hold = false;
        for (i, level_mode) in LEVELS.into_iter().enumerate() {
            let level = &mut self.levels[i];
            if target.mode >= level_mode {
                level.clear_since = None;
                level.last = Some(target.clone());
                base = level_mode;
            } else if old_base >= level_mode && stale.is_some() {
                level.clear_since = None;
                base = level_mode;
                stale_hold = true;
            } else if old_base >= level_mode {
                let since = *level.clear_since.get_or_insert(now);
                let until = since.saturating_add(self.hold).unwrap_or(since);
                if now < until {
                    base = level_mode;
                    holding = Some((i, until));
                } else {
                    level.clear_since = None;
                }
            } else {
                level.clear_since = None;
            }
        }
        self.base = base;

        // The verdict behind the base mode: current if the target is that strict, else held.
        let (mut reason, slo, evidence) = match level_index(base) {
            None => (target.reason.clone(), None, Vec::new()),
            Some(i) if target.mode >= base => {
                let _ = i;
                (
                    target.reason.clone(),
                    target.slo.clone(),
                    target.evidence.clone(),
                )
            }
            Some(i) if stale_hold => {
                let held = self.levels[i].last.clone().unwrap_or_else(|| {
                    Verdict::adaptive(format!("{} condition held recently", base))
                });
                (
                    format!(
                        "holding {}: SLO data stale ({}), the mode does not loosen on stale \
                         data; last: {}",
                        base.label(),
                        stale.as_deref().unwrap_or_default(),
                        held.reason
                    ),
                    held.slo,
                    held.evidence,
                )
            }
            Some(i) => {
                let held = self.levels[i].last.clone().unwrap_or_else(|| {
                    Verdict::adaptive(format!("{} condition held recently", base))
                });
                let until = holding
                    .filter(|(j, _)| *j == i)
                    .map(|(_, u)| format!(" until {}", clock_hms(u)))
                    .unwrap_or_default();
                (
                    format!(
                        "holding {}{until} (hold {}), condition cleared: {}",
                        base.label(),
                        format_duration(self.hold),
                        held.reason
                    ),
                    held.slo,
                    held.evidence,
                )
            }
        };

        if !stale_hold && let Some(st) = &stale {
            reason = format!("{reason}; SLO data stale ({st})");
        }
        // An override that ran out ends here; the budgets' mode applies again at once.
        if let Some(o) = self.overridden.take_if(|o| now >= o.until) {
            reason = format!(
                "{reason} (override to {} by {} ended at {})",
                o.mode.label(),
                o.by,
                clock_hms(o.until)
            );
        }
        self.budget_reason = reason;
        let governing = self.governing();
        self.deciding = slo.or_else(|| {
            self.drift
                .as_ref()
                .filter(|_| governing == Mode::Adaptive)
                .and_then(|d| d.slo.clone())
        });
        self.evidence = evidence;
        self.deciding_budget = self
            .deciding
            .as_ref()
            .and_then(|d| statuses.iter().find(|s| &s.slo == d))
            .and_then(|s| s.budget_remaining);
        self.reason = self.compose_reason();
        if !self.settled {
            let first = *self.first_update.get_or_insert(now);
            // One Prometheus cycle brings every SLO's data at once (back-fill included), so
            // the first evaluation with any data sees the mode the cockpit really starts in.
            let some_data = statuses.iter().any(|s| s.budget_remaining.is_some());
            if statuses.is_empty() || some_data || now.duration_since(first) >= SETTLE {
                self.settled = true;
                self.mode = self.effective();
                return Some(ModeChange {
                    at: now,
                    from: None,
                    to: self.mode,
                    reason: self.reason.clone(),
                    slo: self.deciding.clone(),
                    evidence: self.evidence.clone(),
                    budget_remaining: self.deciding_budget,
                    drift: self.drift.clone(),
                });
            }
        }
        self.transition(now, self.effective())
    }

    /// The mode before the drift overlay: the override's while one holds, else the budgets'.
    fn governing(&self) -> Mode {
        self.overridden.as_ref().map_or(self.base, |o| o.mode)
    }

    /// The governing mode with the drift overlay.
    fn effective(&self) -> Mode {
        if self.drift.is_some() {
            self.governing().stricter()
        } else {
            self.governing()
        }
    }

    /// The header line: the budgets' reason, then the override, then drift.
    fn compose_reason(&self) -> String {
        let mut reason = self.budget_reason.clone();
        if let Some(o) = &self.overridden {
            reason = format!(
                "OVERRIDE to {} by {} until {}: {} (budgets say {}: {reason})",
                o.mode.label(),
                o.by,
                clock_hms(o.until),
                o.reason,
                self.base.label()
            );
        }
        if let Some(d) = &self.drift {
            let why = format!(
                "drift: {} (one mode stricter until acknowledged)",
                d.explain()
            );
            reason = if self.governing() == Mode::Adaptive && self.overridden.is_none() {
                why
            } else {
                format!("{reason}; {why}")
            };
        }
        reason
    }

    /// The commander overrides the budgets' mode until `o.until`. Returns the transition if the
    /// effective mode changed; the reason names who and why either way.
    pub fn set_override(&mut self, now: Timestamp, o: ModeOverride) -> Option<ModeChange> {
        if o.until <= now {
            return None;
        }
        self.overridden = Some(o);
        self.reason = self.compose_reason();
        self.transition(now, self.effective())
    }

    /// Ends the override early (the commander did). Returns the transition, if any.
    pub fn end_override(&mut self, now: Timestamp, by: &str) -> Option<ModeChange> {
        let o = self.overridden.take()?;
        self.budget_reason = format!(
            "{} (override to {} ended by {by})",
            self.budget_reason,
            o.mode.label()
        );
        self.reason = self.compose_reason();
        self.transition(now, self.effective())
    }

    /// The commander's override in force, if any.
    pub fn mode_override(&self) -> Option<&ModeOverride> {
        self.overridden.as_ref()
    }

    /// Moves to `mode`; a change once the governor has settled, silent before.
    fn transition(&mut self, now: Timestamp, mode: Mode) -> Option<ModeChange> {
        if mode == self.mode {
            return None;
        }
        self.change_to(now, mode)
    }

    /// Like [`transition`](Self::transition), but an overlay change that leaves the mode where
    /// it is (drift raised or acknowledged in REDESIGN) is a change too: `from == to`.
    fn overlay_transition(&mut self, now: Timestamp) -> Option<ModeChange> {
        self.change_to(now, self.effective())
    }

    fn change_to(&mut self, now: Timestamp, mode: Mode) -> Option<ModeChange> {
        if !self.settled {
            self.mode = mode;
            return None;
        }
        let change = ModeChange {
            at: now,
            from: Some(self.mode),
            to: mode,
            reason: self.reason.clone(),
            slo: self.deciding.clone(),
            evidence: self.evidence.clone(),
            budget_remaining: self.deciding_budget,
            drift: self.drift.clone(),
        };
        self.mode = mode;
        Some(change)
    }

    /// The effective mode (with the drift overlay).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The mode before the drift overlay: the commander's override while one holds, else the
    /// budgets' (after hysteresis). This is the mode the policy starts from.
    pub fn base_mode(&self) -> Mode {
        self.governing()
    }

    /// The mode from the budgets alone (after hysteresis), whatever the override says.
    pub fn budget_mode(&self) -> Mode {
        self.base
    }

    /// One line for the header, e.g. `checkout-availability: 1h burn 18.2 > 14.4 and 5m 22.0 >
    /// 14.4`.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Which SLO set the mode (strictest wins).
    pub fn deciding_slo(&self) -> Option<&str> {
        self.deciding.as_deref()
    }

    /// The burn-rate conditions behind the current mode.
    pub fn evidence(&self) -> &[BurnAlert] {
        &self.evidence
    }

    /// The unacknowledged drift signal, if any.
    pub fn drift(&self) -> Option<&DriftSignal> {
        self.drift.as_ref()
    }

    /// Raises the drift overlay (replacing an unacknowledged one): the mode becomes one step
    /// stricter until [`acknowledge_drift`](Self::acknowledge_drift). Returns the transition.
    pub fn set_drift(&mut self, now: Timestamp, signal: DriftSignal) -> Option<ModeChange> {
        let slo = signal.slo.clone();
        self.drift = Some(signal);
        self.reason = self.compose_reason();
        if self.governing() == Mode::Adaptive {
            self.deciding = slo;
            self.evidence = Vec::new();
        }
        self.overlay_transition(now)
    }

    /// Clears the drift overlay (a commander acknowledged it). Returns the transition; the
    /// reason names who acknowledged.
    pub fn acknowledge_drift(&mut self, now: Timestamp, by: &str) -> Option<ModeChange> {
        let signal = self.drift.take()?;
        if self.base == Mode::Adaptive && self.overridden.is_none() {
            self.budget_reason = "drift cleared".to_string();
        }
        self.reason = format!(
            "{} (drift on {} acknowledged by {by})",
            self.compose_reason(),
            signal.metric
        );
        if self.governing() == Mode::Adaptive {
            self.deciding = None;
        }
        self.overlay_transition(now)
    }
}
