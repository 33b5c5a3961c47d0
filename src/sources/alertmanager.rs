//! Alertmanager API v2: the client (alerts, status, silences) and the poller that sends new and
//! changed alerts to the cockpit and resolves by absence: an alert the previous successful poll
//! returned and this one does not has ended (Alertmanager leaves out alerts whose `endsAt` is
//! past), so it is sent as resolved at the time of the poll. A failed poll resolves nothing.
//! Except after a restart (Alertmanager's `uptime` changed between polls): Alertmanager then
//! knows only what was sent to it since, so an alert that vanished is **unknown**, not resolved,
//! until Prometheus re-sends it or [`LOST_GRACE`] passes (see [`diff_alerts_after`]). Each alert
//! carries the API's `silencedBy` / `inhibitedBy`, so silenced and inhibited are told apart.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::health::{Backoff, Health};
use super::prometheus::{BodyError, MAX_RESPONSE_BYTES, Transport, read_capped, transport_error};
use super::{ClientError, Origin, SourceMsg, http_client};
use crate::alerts::{Alert, AlertState, Fingerprint, ParsedAlerts, parse_alerts};
use crate::cockpit::Event;
use crate::time::{SignedDuration, Timestamp};

/// Why an Alertmanager request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AmError {
    /// Connection refused, DNS, timeout, reset.
    #[error("{0}")]
    Unreachable(Transport),
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("not an Alertmanager API answer: {0}")]
    Garbage(String),
}

/// A silence matcher (`POST /api/v2/silences`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        }
    }
}

/// Equality matchers for every label of a set (e.g. a cluster's common labels).
pub fn matchers_for(labels: &BTreeMap<String, String>) -> Vec<Matcher> {
    labels
        .iter()
        .map(|(k, v)| Matcher::equal(k.clone(), v.clone()))
        .collect()
}

/// What `GET /api/v2/status` says that flightdeck uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AmStatus {
    #[serde(rename = "versionInfo", default)]
    pub version_info: BTreeMap<String, String>,
    #[serde(default)]
    pub cluster: serde_json::Value,
    #[serde(default)]
    pub uptime: Option<String>,
}

impl AmStatus {
    pub fn version(&self) -> Option<&str> {
        self.version_info.get("version").map(String::as_str)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSilence<'a> {
    matchers: &'a [Matcher],
    starts_at: Timestamp,
    ends_at: Timestamp,
    created_by: &'a str,
    comment: &'a str,
}

#[derive(Deserialize)]
struct SilenceCreated {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

/// An Alertmanager server.
#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

impl AlertmanagerClient {
    pub fn new(base: Url, timeout: Duration) -> Result<Self, ClientError> {
        Ok(AlertmanagerClient {
            http: http_client(timeout)?,
            base,
            timeout,
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        let joined = format!("{}{}", u.path().trim_end_matches('/'), path);
        u.set_path(&joined);
        u
    }

    async fn body(&self, req: reqwest::RequestBuilder) -> Result<String, AmError> {
        let resp = req
            .send()
            .await
            .map_err(|e| AmError::Unreachable(transport_error(&e, self.timeout)))?;
        let status = resp.status();
        // Read with a cap: a server streaming an endless body is refused, not buffered.
        let text = read_capped(resp, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                BodyError::Transport(e) => AmError::Unreachable(transport_error(&e, self.timeout)),
                BodyError::TooLarge(m) => AmError::Garbage(m),
            })?;
        if !status.is_success() {
            let mut body: String = text.trim().chars().take(200).collect();
            if body.is_empty() {
                body.push_str("(empty body)");
            }
            return Err(AmError::Http {
                status: status.as_u16(),
                body,
            });
        }
        Ok(text)
    }

    /// `GET /api/v2/alerts?active&silenced&inhibited&unprocessed` with `filter` matchers
    /// (`team="sre"`) and an optional receiver regex.
    pub async fn alerts(
        &self,
        filter: &[String],
        receiver: Option<&str>,
    ) -> Result<ParsedAlerts, AmError> {
        let mut params: Vec<(&str, &str)> = vec![
            ("active", "true"),
            ("silenced", "true"),
            ("inhibited", "true"),
            ("unprocessed", "true"),
        ];
        for f in filter {
            params.push(("filter", f));
        }
        if let Some(r) = receiver {
            params.push(("receiver", r));
        }
        let text = self
            .body(self.http.get(self.url("/api/v2/alerts")).query(&params))
            .await?;
        if !text.trim_start().starts_with('[') {
            return Err(AmError::Garbage(format!(
                "expected a JSON array of alerts, got {:?}",
                text.trim().chars().take(80).collect::<String>()
            )));
        }
        let parsed = parse_alerts(&text);
        if parsed.alerts.is_empty()
            && let Some(r) = parsed.rejected.first()
            && r.error.starts_with("not JSON")
        {
            return Err(AmError::Garbage(r.error.clone()));
        }
        Ok(parsed)
    }

    /// `GET /api/v2/status`.
    pub async fn status(&self) -> Result<AmStatus, AmError> {
        let text = self.body(self.http.get(self.url("/api/v2/status"))).await?;
        serde_json::from_str(&text).map_err(|e| AmError::Garbage(e.to_string()))
    }

    /// `POST /api/v2/silences`; returns the new silence's id.
    pub async fn create_silence(
        &self,
        matchers: &[Matcher],
        starts_at: Timestamp,
        ends_at: Timestamp,
        created_by: &str,
        comment: &str,
    ) -> Result<String, AmError> {
        let body = NewSilence {
            matchers,
            starts_at,
            ends_at,
            created_by,
            comment,
        };
        let text = self
            .body(self.http.post(self.url("/api/v2/silences")).json(&body))
            .await?;
        serde_json::from_str::<SilenceCreated>(&text)
            .map(|s| s.silence_id)
            .map_err(|e| AmError::Garbage(e.to_string()))
    }

    /// `GET /api/v2/silence/{id}` as JSON.
    pub async fn silence(&self, id: &str) -> Result<serde_json::Value, AmError> {
        let text = self
            .body(self.http.get(self.url(&format!("/api/v2/silence/{id}"))))
            .await?;
        serde_json::from_str(&text).map_err(|e| AmError::Garbage(e.to_string()))
    }

    /// `DELETE /api/v2/silence/{id}` (expires it).
    pub async fn expire_silence(&self, id: &str) -> Result<(), AmError> {
        self.body(self.http.delete(self.url(&format!("/api/v2/silence/{id}"))))
            .await
            .map(|_| ())
    }
}

/// Alertmanager source settings (from `[alertmanager]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerSettings {
    pub url: Url,
    pub interval: Duration,
    pub timeout: Duration,
    pub filter: Vec<String>,
    pub receiver: Option<String>,
    pub max_backoff: Duration,
}

/// The poller task.
pub struct AlertmanagerSource {
    client: AlertmanagerClient,
    settings: AlertmanagerSettings,
    seen: HashMap<Fingerprint, Alert>,
    health: Health,
    /// Alertmanager's `uptime` (its start time) at the last successful poll: when it changes,
    /// Alertmanager restarted and lost its alerts.
    uptime: Option<String>,
    /// A restart was seen and the alerts have not been read since.
    restarted: bool,
}

/// An active alert's `endsAt` from the API is only Alertmanager's guess (now + resolve
/// timeout), refreshed on every re-send; the webhook sends none. Dropping it keeps both paths
/// identical and keeps re-sends from looking like changes.
fn normalize(mut a: Alert) -> Alert {
    if a.state != AlertState::Resolved {
        a.ends_at = None;
    }
    a
}

/// How long an alert the source lost stays "unknown" before it counts as resolved: Prometheus
/// re-sends a firing alert at least every minute (`--rules.alert.resend-delay`), and
/// Alertmanager's own `resolve_timeout` defaults to five minutes.
pub const LOST_GRACE: SignedDuration = SignedDuration::from_mins(5);

/// Alerts that are new or changed since `seen`, then those that vanished (resolved at `now`).
/// Updates `seen`.
pub fn diff_alerts(
    seen: &mut HashMap<Fingerprint, Alert>,
    current: Vec<Alert>,
    now: Timestamp,
) -> Vec<Alert> {
    diff_alerts_after(seen, current, now, false)
}

/// Like [`diff_alerts`], knowing whether the source restarted since the previous poll
/// (issue 17 §3). After a restart Alertmanager knows only what was sent to it since, so an alert
/// that vanished then is not resolved but **unknown** (`detail.lost_at`): it stays so until it is
/// re-sent (and is firing or suppressed again) or, after [`LOST_GRACE`] without that, resolves.
pub fn diff_alerts_after(
    seen: &mut HashMap<Fingerprint, Alert>,
    current: Vec<Alert>,
    now: Timestamp,
    source_restarted: bool,
) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut next = HashMap::with_capacity(current.len());
    for a in current {
        let a = normalize(a);
        let fp = a.fingerprint();
        if seen.get(&fp) != Some(&a) {
            out.push(a.clone());
        }
        next.insert(fp, a);
    }
    let mut gone: Vec<&Alert> = seen
        .iter()
        .filter(|(fp, _)| !next.contains_key(fp))
        .map(|(_, a)| a)
        .collect();
    gone.sort_by_key(|a| a.fingerprint());
    for a in gone {
        if a.state == AlertState::Resolved {
            continue;
        }
        let mut r = a.clone();
        match a.detail.lost_at {
            Some(since) if now.duration_since(since) < LOST_GRACE => {
                next.insert(r.fingerprint(), r);
            }
            None if source_restarted => {
                r.detail.lost_at = Some(now);
                next.insert(r.fingerprint(), r.clone());
                out.push(r);
            }
            _ => {
                r.state = AlertState::Resolved;
                r.ends_at = Some(now);
                r.detail.lost_at = None;
                out.push(r);
            }
        }
    }
    *seen = next;
    out
}

impl AlertmanagerSource {
    pub fn new(settings: AlertmanagerSettings) -> Result<Self, ClientError> {
        Ok(AlertmanagerSource {
            client: AlertmanagerClient::new(settings.url.clone(), settings.timeout)?,
            health: Health::new("alertmanager", Some(settings.interval)),
            settings,
            seen: HashMap::new(),
            uptime: None,
            restarted: false,
        })
    }

    pub fn client(&self) -> &AlertmanagerClient {
        &self.client
    }

    /// Polls until the receiver goes away.
    pub async fn run(mut self, tx: mpsc::Sender<SourceMsg>) {
        let first = self.settings.interval.min(Duration::from_secs(1));
        let mut backoff = Backoff::new(first, self.settings.max_backoff);
        loop {
            let started = tokio::time::Instant::now();
            let result = match self.client.status().await {
                Ok(status) => {
                    if status.uptime.is_some() {
                        if self.uptime.is_some() && self.uptime != status.uptime {
                            self.restarted = true;
                        }
                        self.uptime = status.uptime;
                    }
                    self.client
                        .alerts(&self.settings.filter, self.settings.receiver.as_deref())
                        .await
                }
                Err(e) => Err(e),
            };
            let now = Timestamp::now();
            let ok = result.is_ok();
            match result {
                Ok(parsed) => {
                    self.health.succeeded(now);
                    if let Some(r) = parsed.rejected.first() {
                        self.health.note(
                            now,
                            format!(
                                "{} alert(s) unreadable; first: {}",
                                parsed.rejected.len(),
                                r.error
                            ),
                        );
                    }
                    let restarted = std::mem::take(&mut self.restarted);
                    let changed = diff_alerts_after(&mut self.seen, parsed.alerts, now, restarted);
                    if !changed.is_empty() {
                        let events = changed
                            .into_iter()
                            .map(|a| (now, Event::Alert(a)))
                            .collect();
                        let msg = SourceMsg::Events {
                            origin: Origin::Alertmanager,
                            events,
                            permit: None,
                        };
                        if tx.send(msg).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => self.health.failed(now, e.to_string()),
            }
            if tx
                .send(SourceMsg::Health(self.health.clone()))
                .await
                .is_err()
            {
                return;
            }
            let delay = if ok {
                backoff.reset();
                self.settings.interval
            } else {
                backoff.next_delay()
            };
            tokio::time::sleep_until(started + delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, state: AlertState, ends: Option<Timestamp>) -> Alert {
        Alert {
            labels: [("alertname".to_string(), name.to_string())].into(),
            annotations: BTreeMap::new(),
            starts_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            ends_at: ends,
            state,
            generator_url: None,
            detail: Default::default(),
        }
    }

    #[test]
    fn after_a_restart_vanished_alerts_are_unknown_until_re_sent_or_the_grace_ends() {
        use crate::alerts::AlertStatus;
        let t0: Timestamp = "2026-01-01T00:10:00Z".parse().unwrap();
        let mut seen = HashMap::new();
        let a = alert("A", AlertState::Firing, None);
        let mut b = alert("B", AlertState::Suppressed, None);
        b.detail.silenced_by = vec!["s1".into()];
        diff_alerts_after(&mut seen, vec![a.clone(), b.clone()], t0, false);
        // Alertmanager restarted: it lists nothing yet.
        let t1 = t0 + SignedDuration::from_secs(5);
        let out = diff_alerts_after(&mut seen, vec![], t1, true);
        assert_eq!(out.len(), 2);
        for x in &out {
            assert_eq!(x.status(), AlertStatus::Unknown, "{x:?}");
            assert_ne!(x.state, AlertState::Resolved);
            assert_eq!(x.detail.lost_at, Some(t1));
        }
        // Still nothing listed: no news, still unknown.
        let t2 = t1 + SignedDuration::from_mins(1);
        assert!(diff_alerts_after(&mut seen, vec![], t2, false).is_empty());
        // A is re-sent: firing again.
        let out = diff_alerts_after(&mut seen, vec![a.clone()], t2, false);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status(), AlertStatus::Firing);
        // B never comes back: resolved once the grace is over.
        let t3 = t1 + LOST_GRACE;
        let out = diff_alerts_after(&mut seen, vec![a.clone()], t3, false);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status(), AlertStatus::Resolved);
        assert_eq!(out[0].ends_at, Some(t3));
        // Without a restart, a vanished alert is resolved at once (as before).
        let out = diff_alerts_after(&mut seen, vec![], t3, false);
        assert_eq!(out[0].status(), AlertStatus::Resolved);
    }

    #[test]
    fn silenced_and_inhibited_are_told_apart() {
        use crate::alerts::AlertStatus;
        let text = r#"[
          {"labels":{"alertname":"S"},"startsAt":"2026-01-01T00:00:00Z","status":{"state":"suppressed","silencedBy":["id1"],"inhibitedBy":[]}},
          {"labels":{"alertname":"I"},"startsAt":"2026-01-01T00:00:00Z","status":{"state":"suppressed","silencedBy":[],"inhibitedBy":["0123456789abcdef"]}},
          {"labels":{"alertname":"F"},"startsAt":"2026-01-01T00:00:00Z","status":{"state":"active","silencedBy":[],"inhibitedBy":[]}},
          {"labels":{"alertname":"U"},"startsAt":"2026-01-01T00:00:00Z","status":{"state":"unprocessed","silencedBy":[],"inhibitedBy":[]}}
        ]"#;
        let p = parse_alerts(text);
        let st: Vec<AlertStatus> = p.alerts.iter().map(Alert::status).collect();
        assert_eq!(
            st,
            [
                AlertStatus::Silenced,
                AlertStatus::Inhibited,
                AlertStatus::Firing,
                AlertStatus::Firing
            ]
        );
        assert_eq!(p.alerts[0].detail.silenced_by, ["id1"]);
    }

    #[test]
    fn new_changed_and_vanished_alerts() {
        let t0: Timestamp = "2026-01-01T00:10:00Z".parse().unwrap();
        let later = Some(t0 + crate::time::SignedDuration::from_mins(5));
        let mut seen = HashMap::new();
        let out = diff_alerts(
            &mut seen,
            vec![
                alert("A", AlertState::Firing, later),
                alert("B", AlertState::Firing, later),
            ],
            t0,
        );
        assert_eq!(out.len(), 2);
        assert!(
            out.iter().all(|a| a.ends_at.is_none()),
            "active endsAt dropped"
        );
        // Re-sent with a new endsAt guess: nothing changed.
        let again = diff_alerts(
            &mut seen,
            vec![
                alert("A", AlertState::Firing, None),
                alert("B", AlertState::Firing, later),
            ],
            t0,
        );
        assert!(again.is_empty(), "{again:?}");
        // A silenced, B gone.
        let out = diff_alerts(
            &mut seen,
            vec![alert("A", AlertState::Suppressed, None)],
            t0,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].state, AlertState::Suppressed);
        assert_eq!(out[1].name(), "B");
        assert_eq!(out[1].state, AlertState::Resolved);
        assert_eq!(out[1].ends_at, Some(t0));
        assert!(
            diff_alerts(
                &mut seen,
                vec![alert("A", AlertState::Suppressed, None)],
                t0
            )
            .is_empty()
        );
    }

    #[test]
    fn silence_body_matches_the_api() {
        let m = vec![Matcher::equal("service", "checkout")];
        let body = NewSilence {
            matchers: &m,
            starts_at: "2026-11-25T23:01:07Z".parse().unwrap(),
            ends_at: "2026-11-26T01:01:07Z".parse().unwrap(),
            created_by: "oncall@example.com",
            comment: "noise",
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"matchers":[{"name":"service","value":"checkout","isRegex":false,"isEqual":true}],
              "startsAt":"2026-11-25T23:01:07Z","endsAt":"2026-11-26T01:01:07Z",
              "createdBy":"oncall@example.com","comment":"noise"})
        );
    }
}
