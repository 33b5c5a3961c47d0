//! The alert model: one alert as Alertmanager describes it, its state and severity, and the
//! Alertmanager-compatible fingerprint of its label set.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::Timestamp;

/// One alert: a label set (its identity), annotations, when it started and ended, and its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Timestamp,
    /// `None` for a firing alert without a known end (Alertmanager's `0001-01-01T00:00:00Z`).
    #[serde(default)]
    pub ends_at: Option<Timestamp>,
    pub state: AlertState,
    #[serde(
        default,
        rename = "generatorURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub generator_url: Option<String>,
    /// Why a suppressed alert is suppressed, and whether the source lost it (issue 17 §3).
    #[serde(flatten, default)]
    pub detail: StateDetail,
}

/// What a source says beyond the state: Alertmanager API v2's `status.silencedBy` and
/// `status.inhibitedBy` (ids of the silences, fingerprints of the inhibiting alerts), and when
/// the source lost an alert that had not resolved (Alertmanager restarted and Prometheus has
/// not re-sent it yet).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDetail {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silenced_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inhibited_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_at: Option<Timestamp>,
}

/// Where an alert stands as a person reads it: the state with its detail. Distinct and
/// shown everywhere (cluster rows, detail pane, headless JSON): a silenced alert is never
/// "resolved", and an alert the source lost is "unknown" until it is re-sent or resolved.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Silenced,
    Inhibited,
    Unknown,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 5] = [
        AlertStatus::Firing,
        AlertStatus::Silenced,
        AlertStatus::Inhibited,
        AlertStatus::Unknown,
        AlertStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Silenced => "silenced",
            AlertStatus::Inhibited => "inhibited",
            AlertStatus::Unknown => "unknown",
            AlertStatus::Resolved => "resolved",
        }
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Alert {
    /// The state as a person reads it (see [`AlertStatus`]): lost → unknown; suppressed by a
    /// silence → silenced (also when an inhibition holds too), by inhibition alone → inhibited;
    /// suppressed without detail (a webhook, a scenario) → silenced.
    pub fn status(&self) -> AlertStatus {
        if self.state == AlertState::Resolved {
            return AlertStatus::Resolved;
        }
        if self.detail.lost_at.is_some() {
            return AlertStatus::Unknown;
        }
        match self.state {
            AlertState::Suppressed
                if self.detail.silenced_by.is_empty() && !self.detail.inhibited_by.is_empty() =>
            {
                AlertStatus::Inhibited
            }
            AlertState::Suppressed => AlertStatus::Silenced,
            _ => AlertStatus::Firing,
        }
    }

    /// The Alertmanager fingerprint of this alert's labels.
    pub fn fingerprint(&self) -> Fingerprint {
        fingerprint(&self.labels)
    }

    /// The `alertname` label, or `""`.
    pub fn name(&self) -> &str {
        self.label("alertname").unwrap_or("")
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }

    /// Severity from the `severity` label (see [`Severity::from_label`]).
    pub fn severity(&self) -> Severity {
        self.label("severity")
            .map(Severity::from_label)
            .unwrap_or(Severity::None)
    }

    /// The service this alert is about: the `service` label, else `app`, else `job`.
    pub fn service(&self) -> Option<&str> {
        ["service", "app", "job"]
            .iter()
            .find_map(|k| self.label(k).filter(|v| !v.is_empty()))
    }
}

/// Where an alert stands. `Suppressed` means silenced or inhibited in Alertmanager (still active
/// underneath, but somebody already decided not to be notified).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Firing,
    Resolved,
    Suppressed,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
            AlertState::Suppressed => "suppressed",
        }
    }
}

impl fmt::Display for AlertState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Alert severity, ordered: `None < Info < Warning < Critical`.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    None,
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// Maps the many spellings teams use: page/critical/error/… → Critical, warning/warn/ticket
    /// → Warning, info/notice → Info; anything else → None. Case-insensitive.
    pub fn from_label(value: &str) -> Severity {
        // Lower-cased on the stack: every spelling is short, longer values are none of them.
        let value = value.trim().as_bytes();
        let mut buf = [0u8; 16];
        let Some(lower) = buf.get_mut(..value.len()) else {
            return Severity::None;
        };
        lower.copy_from_slice(value);
        lower.make_ascii_lowercase();
        match &*lower {
            b"page" | b"critical" | b"crit" | b"error" | b"err" | b"fatal" | b"emergency"
            | b"alert" | b"high" | b"p1" | b"sev1" | b"p0" | b"sev0" => Severity::Critical,
            b"warning" | b"warn" | b"ticket" | b"medium" | b"major" | b"minor" | b"p2"
            | b"sev2" | b"p3" | b"sev3" => Severity::Warning,
            b"info" | b"informational" | b"notice" | b"low" | b"p4" | b"sev4" => Severity::Info,
            _ => Severity::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Alertmanager's fingerprint of a label set; shown and serialized as 16 lower-case hex digits.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline]
fn fnv_add(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The fingerprint Alertmanager (prometheus/common `LabelSet.Fingerprint`) computes: FNV-1a 64
/// over the label pairs sorted by name, each name and each value followed by the byte 0xff.
pub fn fingerprint(labels: &BTreeMap<String, String>) -> Fingerprint {
    // A BTreeMap iterates in byte order of the names, which is Go's sort order for strings.
    let mut h = FNV_OFFSET;
    for (name, value) in labels {
        h = fnv_add(h, name.as_bytes());
        h = fnv_add(h, &[0xff]);
        h = fnv_add(h, value.as_bytes());
        h = fnv_add(h, &[0xff]);
    }
    Fingerprint(h)
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Error for a string that is not 1–16 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a fingerprint (expected 16 hex digits, like 0ff1f96e244d1a6d)")]
pub struct BadFingerprint(pub String);

impl FromStr for Fingerprint {
    type Err = BadFingerprint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadFingerprint(s.to_string()));
        }
        u64::from_str_radix(t, 16)
            .map(Fingerprint)
            .map_err(|_| BadFingerprint(s.to_string()))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fingerprint_matches_alertmanager_capture() {
        // From tests/fixtures/alertmanager/get-alerts.json (Alertmanager 0.25).
        let l = labels(&[
            ("alertname", "PromApiErrorBudgetBurn"),
            ("job", "prometheus"),
            ("severity", "page"),
        ]);
        assert_eq!(fingerprint(&l).to_string(), "0ff1f96e244d1a6d");
        // Empty label set: the FNV offset basis, as prometheus/common.
        assert_eq!(fingerprint(&BTreeMap::new()).0, FNV_OFFSET);
    }

    #[test]
    fn fingerprint_round_trips_as_hex() {
        let fp: Fingerprint = "0ff1f96e244d1a6d".parse().unwrap();
        assert_eq!(fp.to_string(), "0ff1f96e244d1a6d");
        assert_eq!(serde_json::to_string(&fp).unwrap(), "\"0ff1f96e244d1a6d\"");
        let back: Fingerprint = serde_json::from_str("\"0ff1f96e244d1a6d\"").unwrap();
        assert_eq!(back, fp);
        assert!("xyz".parse::<Fingerprint>().is_err());
        assert!("0ff1f96e244d1a6d0".parse::<Fingerprint>().is_err());
        assert_eq!(Fingerprint(1).to_string(), "0000000000000001");
    }

    #[test]
    fn severity_spellings() {
        assert_eq!(Severity::from_label("page"), Severity::Critical);
        assert_eq!(Severity::from_label("Critical"), Severity::Critical);
        assert_eq!(Severity::from_label("error"), Severity::Critical);
        assert_eq!(Severity::from_label("warn"), Severity::Warning);
        assert_eq!(Severity::from_label("warning"), Severity::Warning);
        assert_eq!(Severity::from_label("info"), Severity::Info);
        assert_eq!(Severity::from_label("whatever"), Severity::None);
        assert_eq!(Severity::from_label(" Page\t"), Severity::Critical);
        assert_eq!(Severity::from_label("INFORMATIONAL"), Severity::Info);
        assert_eq!(
            Severity::from_label("criticalcriticalcritical"),
            Severity::None
        );
        assert_eq!(Severity::from_label("crítical"), Severity::None);
        assert_eq!(Severity::from_label(""), Severity::None);
        assert!(Severity::Critical > Severity::Warning && Severity::Info > Severity::None);
    }

    #[test]
    fn service_falls_back_to_app_then_job() {
        let mut a = Alert {
            labels: labels(&[("alertname", "X"), ("job", "node"), ("app", "web")]),
            annotations: BTreeMap::new(),
            starts_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            ends_at: None,
            state: AlertState::Firing,
            generator_url: None,
            detail: Default::default(),
        };
        assert_eq!(a.service(), Some("web"));
        a.labels.insert("service".into(), "checkout".into());
        assert_eq!(a.service(), Some("checkout"));
        a.labels.remove("service");
        a.labels.remove("app");
        assert_eq!(a.service(), Some("node"));
        assert_eq!(a.name(), "X");
    }
}
