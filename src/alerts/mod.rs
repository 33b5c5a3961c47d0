//! Alerts: the alert model and its Alertmanager-compatible fingerprint (`model`), reading what
//! Alertmanager sends (`parse`), which delivery is news (`episode`: episode order, redeliveries, a byte
//! budget), words and MinHash signatures of alert text (`text`), noise marks
//! (`noise`), incremental correlation into clusters (`cluster`), novelty against known patterns
//! (`novelty`) and the batch report behind `flightdeck alerts cluster` (`report`).
//!
//! Pure: no I/O, no clock (`now` is always a parameter), no async.

pub mod cluster;
pub mod episode;
pub mod model;
pub mod noise;
pub mod novelty;
pub mod parse;
pub mod report;
pub mod text;

pub use cluster::{
    Cluster, ClusterConfig, ClusterId, ClusterName, Correlator, Origin, StaleCandidate,
    TrackedAlert,
};
pub use model::{
    Alert, AlertState, AlertStatus, BadFingerprint, Fingerprint, Severity, StateDetail, fingerprint,
};
pub use noise::NoiseMark;
pub use novelty::{KnownPatterns, NOVEL_THRESHOLD, novelty};
pub use parse::{ParsedAlerts, Rejected, parse_alerts};
pub use report::{
    ClusterReport, ReportCluster, cluster_report, cluster_report_owned, cluster_report_with,
    correlate, correlate_owned, event_time,
};
