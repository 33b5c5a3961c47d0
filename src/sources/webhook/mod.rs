//! The webhook receiver: `POST /webhook` takes Alertmanager's version-4 notification and
//! forwards its alerts to the cockpit; `GET /healthz` reports counters.
//!
//! Nothing a client sends can crash or stall the cockpit:
//! - **connections are bounded and timed** (our own accept loop over hyper's HTTP/1 server,
//!   HTTP/1 only): at most `max_connections` at once (more are closed at accept and counted);
//!   request headers must arrive within `header_timeout`, which also closes a keep-alive
//!   connection left idle that long; a body must arrive within `body_timeout` (408). A client
//!   trickling a byte every few seconds ties up one connection for a bounded time, never the
//!   receiver; accept errors (out of file descriptors) are logged and retried after a pause;
//! - the token, the origin and the content type are checked **before the body is read**;
//! - bodies are read up to the limit (1 MiB default) and refused with 413 beyond it; the bodies
//!   being read share a byte budget (`max_concurrent` × `body_limit`), taken as the bytes
//!   arrive, so a slow sender holds only what it sent (503 when the budget is spent);
//! - **only Alertmanager, not a web page**: the body must be `Content-Type: application/json`
//!   (415 otherwise: text/plain, form types and no type are what a page can post cross-origin
//!   without a preflight), and a request carrying a browser's `Origin` or a `Sec-Fetch-Site`
//!   other than `none` is refused with 403 (Alertmanager sends neither; a page that rebinds a
//!   DNS name to 127.0.0.1 still sends `Origin`);
//! - malformed JSON gets 400 with a JSON error naming the problem (line and column);
//! - a bind address off loopback requires a bearer token (`Authorization: Bearer …`), on
//!   loopback a configured token is still checked;
//! - **backpressure, waiting a little, then by refusal**: alerts waiting for the cockpit are
//!   bounded (`max_queued_alerts`, one semaphore permit per alert, released when the cockpit
//!   has applied them). A notification that finds the queue full waits for room up to
//!   `queue_wait` (2 s by default: a burst the cockpit drains in time is taken, not refused),
//!   holding its share of the body budget meanwhile, so memory stays bounded by the queue and
//!   the budget; still full after that, the receiver answers 503 with `Retry-After`.
//!   Alertmanager retries 5xx, so nothing is lost, and the refusals are counted (`busy` in
//!   `/healthz`);
//! - redelivery (Alertmanager delivers at least once) is harmless: the live session drops
//!   alerts identical to what it already has, and deliveries about an older episode
//!   (`crate::alerts::episode`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::SourceMsg;

mod receive;
use receive::receive;

/// How long a notification waits for room in a full queue by default: a burst the cockpit
/// drains within it is taken; a cockpit that stays behind longer gets 503s.
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Receiver settings (from `[webhook]`).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub body_limit: usize,
    pub max_queued_alerts: usize,
    /// Bodies read at once, as a byte budget: `max_concurrent` × `body_limit` bytes.
    pub max_concurrent: usize,
    /// Connections open at once; more are closed as they are accepted.
    pub max_connections: usize,
    /// Time for a request's headers to arrive (also how long a keep-alive connection may idle).
    pub header_timeout: Duration,
    /// Time for a request's body to arrive.
    pub body_timeout: Duration,
    /// How long a notification waits for room in a full queue before it is refused (503).
    pub queue_wait: Duration,
}

impl WebhookSettings {
    pub fn new(listen: SocketAddr) -> Self {
        WebhookSettings {
            listen,
            token: None,
            body_limit: 1 << 20,
            max_queued_alerts: 20_000,
            max_concurrent: 64,
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            queue_wait: DEFAULT_QUEUE_WAIT,
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
    /// Not `application/json` (415).
    pub unsupported_type: AtomicU64,
    /// From a web page: `Origin` or `Sec-Fetch-Site` (403).
    pub forbidden: AtomicU64,
    /// Bodies that did not arrive within `body_timeout` (408).
    pub timed_out: AtomicU64,
    /// Connections closed at accept because `max_connections` were open.
    pub refused_connections: AtomicU64,
    /// Connections open now.
    pub connections: AtomicU64,
    pub accept_errors: AtomicU64,
    /// The queue of alerts waiting for the cockpit and its capacity (set by [`router`]).
    queue: std::sync::OnceLock<(Arc<Semaphore>, usize)>,
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
    pub unsupported_type: u64,
    pub forbidden: u64,
    pub timed_out: u64,
    pub refused_connections: u64,
    pub connections: u64,
    pub accept_errors: u64,
    /// Alerts accepted and not applied by the cockpit yet (0: everything taken is applied).
    pub queued: u64,
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
            unsupported_type: r(&self.unsupported_type),
            forbidden: r(&self.forbidden),
            timed_out: r(&self.timed_out),
            refused_connections: r(&self.refused_connections),
            connections: r(&self.connections),
            accept_errors: r(&self.accept_errors),
            queued: self.queue.get().map_or(0, |(q, capacity)| {
                capacity.saturating_sub(q.available_permits()) as u64
            }),
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
    body_timeout: Duration,
    queue_wait: Duration,
    stats: Arc<WebhookStats>,
    queued: Arc<Semaphore>,
    queue_capacity: usize,
    /// Bytes of bodies being read.
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

/// The webhook receiver cannot start.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Off loopback without a token anyone could post alerts.
    #[error(
        "webhook listen address {0} is not loopback: set a token ([webhook] token or \
         token_env) so only Alertmanager can post alerts"
    )]
    Exposed(SocketAddr),
    #[error("cannot listen on {addr}: {why}")]
    Listen {
        addr: SocketAddr,
        why: std::io::Error,
    },
}

/// Refuses a listen address off loopback without a token.
pub fn check_exposure(listen: SocketAddr, token: Option<&str>) -> Result<(), BindError> {
    if !listen.ip().is_loopback() && token.is_none_or(|t| t.is_empty()) {
        return Err(BindError::Exposed(listen));
    }
    Ok(())
}

/// Binds and starts the receiver; alerts go to `tx`.
pub async fn bind(
    settings: &WebhookSettings,
    tx: mpsc::Sender<SourceMsg>,
) -> Result<WebhookServer, BindError> {
    check_exposure(settings.listen, settings.token.as_deref())?;
    let addr = settings.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|why| BindError::Listen { addr, why })?;
    let addr = listener
        .local_addr()
        .map_err(|why| BindError::Listen { addr, why })?;
    let stats = Arc::new(WebhookStats::default());
    let app = router(settings, tx, stats.clone());
    let task = tokio::spawn(serve(listener, app, settings.clone(), stats.clone()));
    Ok(WebhookServer { addr, stats, task })
}

/// Accepts connections and serves each with hyper's HTTP/1 server: a connection cap, a header
/// read timeout (which also ends idle keep-alive connections), accept errors logged.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    settings: WebhookSettings,
    stats: Arc<WebhookStats>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let slots = Arc::new(Semaphore::new(
        settings.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .keep_alive(true);
    let mut accept_log = LogLimiter::default();
    let mut refuse_log = LogLimiter::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                bump(&stats.accept_errors);
                if let Some(n) = accept_log.due() {
                    tracing::warn!("webhook receiver: cannot accept a connection ({n} times): {e}");
                }
                // Out of file descriptors or memory: give the process a moment; errors of one
                // connection (reset before accept) need no pause.
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::Interrupted
                ) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            bump(&stats.refused_connections);
            if let Some(n) = refuse_log.due() {
                tracing::warn!(
                    "webhook receiver: {} connections open, closing new ones ({n} so far, \
                     latest from {peer}); raise [webhook] max_connections if Alertmanager \
                     needs more",
                    settings.max_connections
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let stats = stats.clone();
        stats.connections.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("webhook connection from {peer}: {e}");
            }
            stats.connections.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
}

/// Logs the first of a burst, then at most once every ten seconds, with the count.
#[derive(Default)]
struct LogLimiter {
    count: u64,
    last: Option<tokio::time::Instant>,
}

impl LogLimiter {
    fn due(&mut self) -> Option<u64> {
        self.count += 1;
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) < Duration::from_secs(10))
        {
            return None;
        }
        self.last = Some(now);
        Some(self.count)
    }
}

/// The receiver's routes (for tests that serve it themselves).
pub fn router(
    settings: &WebhookSettings,
    tx: mpsc::Sender<SourceMsg>,
    stats: Arc<WebhookStats>,
) -> Router {
    let capacity = settings.max_queued_alerts.clamp(1, Semaphore::MAX_PERMITS);
    let queued = Arc::new(Semaphore::new(capacity));
    let _ = stats.queue.set((queued.clone(), capacity));
    let shared = Arc::new(Shared {
        tx,
        token: settings.token.clone().filter(|t| !t.is_empty()),
        limit: settings.body_limit,
        body_timeout: settings.body_timeout,
        queue_wait: settings.queue_wait,
        stats,
        queued,
        queue_capacity: capacity,
        inflight: Arc::new(Semaphore::new(
            settings
                .max_concurrent
                .max(1)
                .saturating_mul(settings.body_limit.max(1))
                .min(Semaphore::MAX_PERMITS),
        )),
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

async fn healthz(State(st): State<Arc<Shared>>) -> Response {
    reply(
        StatusCode::OK,
        serde_json::to_value(st.stats.snapshot()).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::receive::{from_a_web_page, is_json, same_secret};
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn exposure_needs_a_token_off_loopback() {
        let lo: SocketAddr = "127.0.0.1:9099".parse().unwrap();
        let lo6: SocketAddr = "[::1]:9099".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:9099".parse().unwrap();
        assert!(check_exposure(lo, None).is_ok());
        assert!(check_exposure(lo6, None).is_ok());
        assert!(
            check_exposure(any, None)
                .unwrap_err()
                .to_string()
                .contains("token")
        );
        assert!(check_exposure(any, Some("")).is_err());
        assert!(check_exposure(any, Some("s3cret")).is_ok());
    }

    #[test]
    fn only_json_and_never_from_a_web_page() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert!(is_json(&h(&[("content-type", "application/json")])));
        assert!(is_json(&h(&[(
            "content-type",
            "Application/JSON; charset=utf-8"
        )])));
        for t in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            assert!(!is_json(&h(&[("content-type", t)])), "{t}");
        }
        assert!(!is_json(&h(&[])));
        assert!(from_a_web_page(&h(&[])).is_none());
        assert!(from_a_web_page(&h(&[("sec-fetch-site", "none")])).is_none());
        let e = from_a_web_page(&h(&[("origin", "https://evil.example")])).unwrap();
        assert!(e.contains("evil.example"), "{e}");
        assert!(from_a_web_page(&h(&[("origin", "null")])).is_some());
        assert!(from_a_web_page(&h(&[("sec-fetch-site", "cross-site")])).is_some());
        assert!(from_a_web_page(&h(&[("sec-fetch-site", "same-origin")])).is_some());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
    }
}
