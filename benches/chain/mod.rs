//! The service chain the speed and topology benchmarks share (include it with
//! `#[path = "chain/mod.rs"] mod chain;`): `n` services, each depending on the next, and one
//! `Down` alert on every service, all within 5 minutes of `t0`. Deterministic.

use std::collections::BTreeMap;

use flightdeck::alerts::{Alert, AlertState, ClusterConfig};
use flightdeck::time::{SignedDuration, Timestamp};

/// The clustering config of a chain of `n` services (`svc-00000` → `svc-00001` → …).
pub fn chain(n: usize) -> ClusterConfig {
    let topology: BTreeMap<String, Vec<String>> = (0..n)
        .map(|i| (format!("svc-{i:05}"), vec![format!("svc-{:05}", i + 1)]))
        .collect();
    ClusterConfig {
        topology,
        ..ClusterConfig::default()
    }
}

/// One firing alert on each of the `n` services, spread over 5 minutes after `t0`.
pub fn chain_alerts(n: usize, t0: Timestamp) -> Vec<(Alert, Timestamp)> {
    (0..n)
        .map(|i| {
            let at = t0 + SignedDuration::from_secs(i as i64 % 300);
            let a = Alert {
                labels: BTreeMap::from([
                    ("alertname".to_string(), "Down".to_string()),
                    ("service".to_string(), format!("svc-{i:05}")),
                ]),
                annotations: BTreeMap::new(),
                starts_at: at,
                ends_at: None,
                state: AlertState::Firing,
                generator_url: None,
                detail: Default::default(),
            };
            (a, at)
        })
        .collect()
}
