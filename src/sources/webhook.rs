//! The webhook receiver (axum): `POST /webhook` takes Alertmanager's version-4 notification and
//! forwards its alerts to the cockpit; `GET /healthz` reports counters.
//!
//! Nothing a client sends can crash or stall the cockpit:
//! - bodies are read up to the limit (1 MiB default) and refused with 413 beyond it; at most
//!   `max_concurrent` requests are read at once (503 beyond);
//! - malformed JSON gets 400 with a JSON error naming the problem (line and column);
//! - a bind address off loopback requires a bearer token (`Authorization: Bearer …`), on
//!   loopback a configured token is still checked;
//! - **backpressure by refusal**: alerts waiting for the cockpit are bounded
//!   (`max_queued_alerts`, one semaphore permit per alert, released when the cockpit has
//!   applied them). When the cockpit is behind, the receiver answers 503 with `Retry-After`
//!   instead of queueing or blocking; Alertmanager retries 5xx, so nothing is lost, memory stays
//!   bounded, and the refusals are counted (`busy` in `/healthz`);
//! - redelivery (Alertmanager delivers at least once) is harmless: the live session drops
//!   alerts identical to what it already has.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::{Origin, SourceMsg};
use crate::alerts::parse_alerts;
use crate::cockpit::Event;
use crate::time::Timestamp;

/// Receiver settings (from `[webhook]`).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub body_limit: usize,
    pub max_queued_alerts: usize,
    pub max_concurrent: usize,
}

impl WebhookSettings {
    pub fn new(listen: SocketAddr) -> Self {
        WebhookSettings {
            listen,
            token: None,
            body_limit: 1 << 20,
            max_queued_alerts: 20_000,
            max_concurrent: 64,
        }
    }
}

/// Counters, readable while the receiver runs.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub requests: AtomicU64,
    pub notifications: AtomicU64,
    pub alerts: AtomicU64,
    pub rejected_alerts: AtomicU64,
    pub busy: AtomicU64,
    pub bad_request: AtomicU64,
    pub unauthorized: AtomicU64,
    pub too_large: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub notifications: u64,
    pub alerts: u64,
    pub rejected_alerts: u64,
    pub busy: u64,
    pub bad_request: u64,
    pub unauthorized: u64,
    pub too_large: u64,
}

impl WebhookStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: r(&self.requests),
            notifications: r(&self.notifications),
            alerts: r(&self.alerts),
            rejected_alerts: r(&self.rejected_alerts),
            busy: r(&self.busy),
            bad_request: r(&self.bad_request),
            unauthorized: r(&self.unauthorized),
            too_large: r(&self.too_large),
        }
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

struct Shared {
    tx: mpsc::Sender<SourceMsg>,
    token: Option<String>,
    limit: usize,
    stats: Arc<WebhookStats>,
    queued: Arc<Semaphore>,
    queue_capacity: usize,
    inflight: Arc<Semaphore>,
}

/// A running receiver; dropping it stops it.
pub struct WebhookServer {
    addr: SocketAddr,
    stats: Arc<WebhookStats>,
    task: JoinHandle<()>,
}

impl WebhookServer {
    /// The bound address (the real port when the config said `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn stats(&self) -> Arc<WebhookStats> {
        self.stats.clone()
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Refuses a listen address off loopback without a token.
pub fn check_exposure(listen: SocketAddr, token: Option<&str>) -> Result<(), String> {
    if !listen.ip().is_loopback() && token.is_none_or(|t| t.is_empty()) {
        return Err(format!(
            "webhook listen address {listen} is not loopback: set a token ([webhook] token or \
             token_env) so only Alertmanager can post alerts"
        ));
    }
    Ok(())
}

/// Binds and starts the receiver; alerts go to `tx`.
pub async fn bind(
    settings: &WebhookSettings,
    tx: mpsc::Sender<SourceMsg>,
) -> Result<WebhookServer, String> {
    check_exposure(settings.listen, settings.token.as_deref())?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let stats = Arc::new(WebhookStats::default());
    let app = router(settings, tx, stats.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("webhook receiver stopped: {e}");
        }
    });
    Ok(WebhookServer { addr, stats, task })
}

/// The receiver's routes (for tests that serve it themselves).
pub fn router(
    settings: &WebhookSettings,
    tx: mpsc::Sender<SourceMsg>,
    stats: Arc<WebhookStats>,
) -> Router {
    let capacity = settings.max_queued_alerts.clamp(1, Semaphore::MAX_PERMITS);
    let shared = Arc::new(Shared {
        tx,
        token: settings.token.clone().filter(|t| !t.is_empty()),
        limit: settings.body_limit,
        stats,
        queued: Arc::new(Semaphore::new(capacity)),
        queue_capacity: capacity,
        inflight: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
    });
    Router::new()
        .route("/webhook", post(receive))
        .route("/healthz", get(healthz))
        .with_state(shared)
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    reply(status, json!({ "error": message.into() }))
}

fn busy(message: impl Into<String>) -> Response {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Compares without an early exit, so response time does not reveal the token's prefix.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

async fn healthz(State(st): State<Arc<Shared>>) -> Response {
    reply(
        StatusCode::OK,
        serde_json::to_value(st.stats.snapshot()).unwrap_or_default(),
    )
}

async fn receive(State(st): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Response {
    bump(&st.stats.requests);
    if let Some(token) = &st.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_secret(given.trim().as_bytes(), token.as_bytes()) {
            bump(&st.stats.unauthorized);
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token (Authorization: Bearer …)",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    let Ok(_reading) = st.inflight.clone().try_acquire_owned() else {
        bump(&st.stats.busy);
        return busy("too many concurrent requests; retry");
    };
    let too_large = |st: &Shared| {
        bump(&st.stats.too_large);
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body larger than the limit of {} bytes", st.limit),
        )
    };
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > st.limit as u64)
    {
        return too_large(&st);
    }
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => {
                if bytes.len() + c.len() > st.limit {
                    return too_large(&st);
                }
                bytes.extend_from_slice(&c);
            }
            Err(e) => {
                bump(&st.stats.bad_request);
                return error(StatusCode::BAD_REQUEST, format!("cannot read body: {e}"));
            }
        }
    }
    let bad = |st: &Shared, msg: String| {
        bump(&st.stats.bad_request);
        error(StatusCode::BAD_REQUEST, msg)
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return bad(&st, format!("malformed JSON: {e}")),
    };
    let Value::Object(obj) = &value else {
        return bad(
            &st,
            "expected an Alertmanager webhook notification (a JSON object with \"alerts\")".into(),
        );
    };
    match obj.get("version") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if v == "4" => {}
        Some(v) => {
            return bad(
                &st,
                format!("unsupported webhook version {v}; flightdeck reads version \"4\""),
            );
        }
    }
    match obj.get("alerts") {
        Some(Value::Array(_)) => {}
        Some(_) => return bad(&st, "\"alerts\" must be an array".into()),
        None => {
            return bad(
                &st,
                "missing \"alerts\" (not a webhook notification)".into(),
            );
        }
    }
    // Valid JSON is valid UTF-8.
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    let parsed = parse_alerts(text);
    let rejected: Vec<String> = parsed.rejected.iter().map(|r| r.error.clone()).collect();
    st.stats
        .rejected_alerts
        .fetch_add(rejected.len() as u64, Ordering::Relaxed);
    if parsed.alerts.is_empty() {
        if !rejected.is_empty() {
            bump(&st.stats.bad_request);
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"error": "no usable alert in the notification", "rejected": rejected}),
            );
        }
        bump(&st.stats.notifications);
        return reply(StatusCode::OK, json!({"status": "ok", "accepted": 0}));
    }
    let n = parsed.alerts.len();
    let permits = n.min(st.queue_capacity) as u32;
    let Ok(permit) = st.queued.clone().try_acquire_many_owned(permits) else {
        bump(&st.stats.busy);
        return busy("the cockpit is behind; retry");
    };
    let now = Timestamp::now();
    let events = parsed
        .alerts
        .into_iter()
        .map(|a| (now, Event::Alert(a)))
        .collect();
    let msg = SourceMsg::Events {
        origin: Origin::Webhook,
        events,
        permit: Some(permit),
    };
    match st.tx.try_send(msg) {
        Ok(()) => {
            bump(&st.stats.notifications);
            st.stats.alerts.fetch_add(n as u64, Ordering::Relaxed);
            reply(
                StatusCode::OK,
                json!({"status": "ok", "accepted": n, "rejected": rejected}),
            )
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            bump(&st.stats.busy);
            busy("the cockpit is behind; retry")
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            bump(&st.stats.busy);
            busy("the cockpit is shutting down")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_needs_a_token_off_loopback() {
        let lo: SocketAddr = "127.0.0.1:9099".parse().unwrap();
        let lo6: SocketAddr = "[::1]:9099".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:9099".parse().unwrap();
        assert!(check_exposure(lo, None).is_ok());
        assert!(check_exposure(lo6, None).is_ok());
        assert!(check_exposure(any, None).unwrap_err().contains("token"));
        assert!(check_exposure(any, Some("")).is_err());
        assert!(check_exposure(any, Some("s3cret")).is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
