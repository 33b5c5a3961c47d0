//! Alerts and cluster configs for the correlation tests.

use std::collections::BTreeMap;

use flightdeck::alerts::{Alert, AlertState, ClusterConfig};
use flightdeck::time::Timestamp;

/// A label set from `(name, value)` pairs.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An alert with these labels and, if given, a `summary` annotation (no annotations otherwise),
/// started at `starts_at`: resolved at `ends_at` when that is given, firing otherwise.
pub fn alert(
    pairs: &[(&str, &str)],
    summary: Option<&str>,
    starts_at: Timestamp,
    ends_at: Option<Timestamp>,
) -> Alert {
    Alert {
        labels: labels(pairs),
        annotations: summary
            .map(|s| BTreeMap::from([("summary".to_string(), s.to_string())]))
            .unwrap_or_default(),
        starts_at,
        ends_at,
        state: if ends_at.is_some() {
            AlertState::Resolved
        } else {
            AlertState::Firing
        },
        generator_url: None,
        detail: Default::default(),
    }
}

/// A cluster config whose topology has each `(service, its dependencies)` edge, defaults
/// otherwise.
pub fn topology(edges: &[(&str, &[&str])]) -> ClusterConfig {
    ClusterConfig {
        topology: edges
            .iter()
            .map(|(service, deps)| {
                (
                    service.to_string(),
                    deps.iter().map(|d| d.to_string()).collect(),
                )
            })
            .collect(),
        ..ClusterConfig::default()
    }
}

/// The web shop: frontend → checkout, search; checkout → payments, postgres; payments →
/// pgbouncer → postgres.
pub fn shop() -> ClusterConfig {
    topology(&[
        ("frontend", &["checkout", "search"]),
        ("checkout", &["payments", "postgres"]),
        ("payments", &["pgbouncer"]),
        ("pgbouncer", &["postgres"]),
    ])
}
