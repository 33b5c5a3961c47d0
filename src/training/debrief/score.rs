//! The scorecard's parts: diagnostics, mitigation, safety, budget, hypotheses.

use super::*;

pub(super) fn delta(a: &Option<Milestone>, b: &Option<Milestone>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.offset_s - b.offset_s),
        _ => None,
    }
}

/// Full points within [`ON_TIME`] of the responders, `mid` within [`LATE`], else `low`.
pub(super) fn timing_points(d: Option<i64>, full: u8, mid: u8, low: u8) -> u8 {
    match d {
        Some(d) if d <= ON_TIME.as_secs() => full,
        Some(d) if d <= LATE.as_secs() => mid,
        Some(_) => low,
        None => full,
    }
}

pub(super) fn diagnostic_score(reference: &Reference, c: &Choices) -> DiagnosticScore {
    let delta_s = delta(&c.first_useful, &reference.first_diag);
    // Nothing to match when the responders ran no runbook diagnostic (a novel incident).
    let points = if reference.first_diag.is_none() {
        20
    } else if c.first_useful.is_some() {
        timing_points(delta_s, 20, 15, 10)
    } else {
        0
    };
    DiagnosticScore {
        trainee: c.first_useful.clone(),
        reference: reference.first_diag.clone(),
        delta_s,
        approved: c.diagnostics,
        points,
    }
}

pub(super) fn mitigation_score(reference: &Reference, c: &Choices) -> MitigationScore {
    let expected = &reference.expected;
    let wrong = &c.wrong;
    let delta_s = delta(&c.right, &reference.approved);
    let wrong_list = || {
        wrong
            .iter()
            .map(|w| match &w.why {
                Some(why) => format!("{} {why}", w.step),
                None => w.step.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (points, verdict) = if expected.is_empty() {
        if wrong.is_empty() {
            (
                40,
                "the responders ran no runbook mitigation (human judgment) and neither did you"
                    .to_string(),
            )
        } else {
            (
                0,
                "the responders ran no runbook mitigation (human judgment); you approved one"
                    .to_string(),
            )
        }
    } else if let Some(m) = &c.right {
        let p = timing_points(delta_s, 40, 30, 20);
        let when = match delta_s {
            Some(d) if d < 0 => format!(
                "{} before the responders",
                format_duration(SignedDuration::from_secs(-d))
            ),
            Some(0) => "at the same time as the responders".to_string(),
            Some(d) => format!(
                "{} after the responders",
                format_duration(SignedDuration::from_secs(d))
            ),
            None => String::new(),
        };
        let extra = if wrong.is_empty() {
            String::new()
        } else {
            format!(" ({} other mitigation(s) approved too)", wrong.len())
        };
        let needs = m
            .why
            .as_deref()
            .map(|w| format!("; {w}"))
            .unwrap_or_default();
        (
            p.saturating_sub(5 * wrong.len().min(4) as u8),
            format!(
                "right mitigation {} at +{}, {when}{extra}{needs}",
                m.step,
                format_duration(SignedDuration::from_secs(m.offset_s))
            ),
        )
    } else if wrong.is_empty() {
        (
            0,
            format!(
                "no mitigation chosen; the responders ran {}",
                expected.join(", ")
            ),
        )
    } else {
        (
            0,
            format!(
                "wrong mitigation: you approved {}; the responders ran {}",
                wrong_list(),
                expected.join(", ")
            ),
        )
    };
    MitigationScore {
        expected: expected.clone(),
        reference: reference.approved.clone(),
        reference_executed: reference.executed.clone(),
        trainee: c.right.clone(),
        right: c.right.is_some(),
        wrong: wrong.clone(),
        delta_s,
        verdict,
        points,
    }
}

pub(super) fn safety_score(c: &Choices) -> SafetyScore {
    let rejected_needed = c
        .rejections
        .iter()
        .filter(|f| f.reason.contains("fixed the incident"))
        .count();
    let penalty: usize = c.refused.len() * 5
        + c.unnecessary
            .iter()
            .map(|f| {
                if f.reason.starts_with("the responders rejected") {
                    10
                } else if f.reason.starts_with("a mitigation") {
                    5
                } else {
                    2
                }
            })
            .sum::<usize>()
        + rejected_needed * 5;
    SafetyScore {
        refused: c.refused.clone(),
        unnecessary: c.unnecessary.clone(),
        not_offered: c.not_offered.clone(),
        unknown: c.unknown.clone(),
        rejections: c.rejections.clone(),
        points: 20usize.saturating_sub(penalty) as u8,
    }
}

/// Budget: burned by the time the trainee's mitigation could run (else the end of the drill)
/// against the responders'.
pub(super) fn budget_score(
    scenario: &Scenario,
    reference: &Reference,
    c: &Choices,
    until: Timestamp,
) -> BudgetScore {
    let start = scenario.start;
    let ref_at = reference
        .executed
        .as_ref()
        .or(reference.approved.as_ref())
        .map_or(scenario.end(), |m| m.at);
    let trainee_at = c.runs_at.filter(|_| c.right.is_some()).unwrap_or(until);
    let b = budgets_at(scenario, &[start, trainee_at, ref_at, until]);
    let window_of = |slo: &str| {
        scenario
            .slos
            .iter()
            .find(|s| s.name == slo)
            .map(|s| s.window)
            .unwrap_or(SignedDuration::from_hours(24 * 30))
    };
    let slos: Vec<SloBurn> = scenario
        .slos
        .iter()
        .map(|spec| {
            let name = &spec.name;
            let (s0, _) = b[0].get(name).copied().unwrap_or((None, None));
            let (tr, _) = b[1].get(name).copied().unwrap_or((None, None));
            let (rr, rburn) = b[2].get(name).copied().unwrap_or((None, None));
            let (at_until, _) = b[3].get(name).copied().unwrap_or((None, None));
            let burned = |x: Option<f64>| s0.zip(x).map(|(a, b)| (a - b).max(0.0));
            let reference_burned = burned(rr);
            let (trainee_burned, estimated) = if trainee_at > ref_at {
                let extra = rburn.map(|r| {
                    r * trainee_at.duration_since(ref_at).as_secs_f64()
                        / window_of(name).as_secs_f64()
                });
                (reference_burned.zip(extra).map(|(a, e)| a + e), true)
            } else {
                (burned(tr), false)
            };
            SloBurn {
                slo: name.clone(),
                at_start: s0,
                trainee_remaining: if estimated {
                    s0.zip(trainee_burned).map(|(a, b)| a - b)
                } else {
                    tr
                },
                trainee_burned,
                reference_remaining: rr,
                reference_burned,
                estimated,
                at_until,
            }
        })
        .collect();
    let total = |f: fn(&SloBurn) -> Option<f64>| slos.iter().filter_map(f).sum::<f64>();
    let (t_burn, r_burn) = (total(|s| s.trainee_burned), total(|s| s.reference_burned));
    let points = if t_burn <= r_burn + 1e-9 || t_burn <= 0.0 {
        10
    } else {
        (10.0 * r_burn / t_burn).round().clamp(0.0, 10.0) as u8
    };
    BudgetScore {
        trainee_at,
        trainee_mitigated: c.right.is_some() && c.runs_at.is_some(),
        trainee_held: c.held.clone().filter(|_| c.right.is_some()),
        reference_at: ref_at,
        slos,
        points,
    }
}

/// Hypotheses count when noted before the first mitigation the trainee reached for.
pub(super) fn hypothesis_score(
    reference: &Reference,
    c: &Choices,
    until: Timestamp,
) -> HypothesisScore {
    let mitigation_time = c
        .right
        .iter()
        .chain(c.wrong.iter())
        .map(|m| m.at)
        .min()
        .unwrap_or(until);
    let before = c
        .hypotheses
        .iter()
        .filter(|h| h.at <= mitigation_time)
        .count();
    let points = if before > 0 {
        10
    } else if !c.hypotheses.is_empty() {
        5
    } else {
        0
    };
    HypothesisScore {
        trainee: c.hypotheses.clone(),
        reference: reference.hypotheses.clone(),
        before_mitigation: before,
        points,
    }
}
