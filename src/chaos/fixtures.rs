//! Test fixtures the chaos modules' tests share: the example experiment
//! ([`crate::chaos::experiment::tests::YAML`]), times, and observations of its world.

use super::experiment::Experiment;
use super::gate::{ProbeReading, SloHeadroom};
use super::guard::Observation;
use crate::slo::Mode;
use crate::time::Timestamp;

/// The example experiment: the `prom-queries` SLO in its blast radius, probes
/// `prometheus is up` and `query burn`.
pub(crate) fn experiment() -> Experiment {
    Experiment::parse("e.yaml", super::experiment::tests::YAML).unwrap()
}

/// `secs` seconds after a fixed instant.
pub(crate) fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

/// What the edge sees at `at`: Adaptive, no drift, `remaining` of `prom-queries`'s budget
/// (fresh data), nothing firing, no probe read (set `probes` with [`probes`]).
pub(crate) fn observation(at: Timestamp, remaining: f64) -> Observation {
    Observation {
        at,
        mode: Mode::Adaptive,
        budget_mode: Mode::Adaptive,
        drift: false,
        budgets: vec![SloHeadroom {
            slo: "prom-queries".into(),
            remaining: Some(remaining),
            stale: false,
            burn: vec![],
        }],
        probes: vec![],
        firing: vec![],
        alerts_unknown: None,
    }
}

/// The example experiment's two probes read: `prometheus is up` at 1, `query burn` at `burn`.
pub(crate) fn probes(burn: f64) -> Vec<ProbeReading> {
    vec![
        ProbeReading {
            name: "prometheus is up".into(),
            value: Ok(1.0),
            skipped: false,
        },
        ProbeReading {
            name: "query burn".into(),
            value: Ok(burn),
            skipped: false,
        },
    ]
}
