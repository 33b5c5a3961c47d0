//! `POST /webhook`: the request checked before its body is read (the token, the origin, the
//! content type, the declared length), the body read within its limits and its time, the
//! notification parsed and handed to the cockpit (or refused when the cockpit is behind).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::{Shared, bump, busy, error, reply};
use crate::alerts::parse_alerts;
use crate::cockpit::Event;
use crate::sources::{Origin, SourceMsg};
use crate::time::Timestamp;

pub(super) async fn receive(
    State(st): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    bump(&st.stats.requests);
    if let Some(refused) = refused_before_body(&st, &headers) {
        return refused;
    }
    // The bytes read stay taken from the shared budget until the alerts are handed on.
    let (bytes, _held) = match read_body(&st, body).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let parsed = match notification(&bytes) {
        Ok(parsed) => parsed,
        Err(why) => {
            bump(&st.stats.bad_request);
            return error(StatusCode::BAD_REQUEST, why.to_string());
        }
    };
    // The body is read: only what was parsed from it is held while it waits for room.
    drop(bytes);
    hand_on(&st, parsed).await
}

/// The refusal of a request by its headers, before its body is read: no or a wrong token
/// (401), from a web page (403), not JSON (415), declared larger than the limit (413).
fn refused_before_body(st: &Shared, headers: &HeaderMap) -> Option<Response> {
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
            return Some(r);
        }
    }
    if let Some(refusal) = from_a_web_page(headers) {
        bump(&st.stats.forbidden);
        return Some(error(StatusCode::FORBIDDEN, refusal));
    }
    if !is_json(headers) {
        bump(&st.stats.unsupported_type);
        let given = headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        return Some(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            match given {
                Some(t) => format!(
                    "Content-Type {t:?} refused: send the notification as application/json \
                     (as Alertmanager does)"
                ),
                None => "no Content-Type: send the notification as application/json (as \
                         Alertmanager does)"
                    .to_string(),
            },
        ));
    }
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > st.limit as u64)
    {
        return Some(too_large(st));
    }
    None
}

/// 413: the body is larger than the limit.
fn too_large(st: &Shared) -> Response {
    bump(&st.stats.too_large);
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body larger than the limit of {} bytes", st.limit),
    )
}

/// The body, up to the limit and within its time: the bytes read are taken from the shared
/// budget as they arrive (a slow sender holds only what it sent); the part of the budget it
/// holds. `Err`: the refusal (408, 413, 503, 400).
async fn read_body(
    st: &Shared,
    body: Body,
) -> Result<(Vec<u8>, Option<OwnedSemaphorePermit>), Response> {
    let deadline = tokio::time::Instant::now() + st.body_timeout;
    let mut held: Option<OwnedSemaphorePermit> = None;
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    loop {
        let chunk = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(_) => {
                bump(&st.stats.timed_out);
                let mut r = error(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the body did not arrive within {} s",
                        st.body_timeout.as_secs_f64()
                    ),
                );
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                return Err(r);
            }
        };
        match chunk {
            Ok(c) => {
                if bytes.len() + c.len() > st.limit {
                    return Err(too_large(st));
                }
                let Ok(p) = st.inflight.clone().try_acquire_many_owned(c.len() as u32) else {
                    bump(&st.stats.busy);
                    return Err(busy("too many bodies being read at once; retry"));
                };
                match &mut held {
                    Some(h) => h.merge(p),
                    None => held = Some(p),
                }
                bytes.extend_from_slice(&c);
            }
            Err(e) => {
                bump(&st.stats.bad_request);
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    format!("cannot read body: {e}"),
                ));
            }
        }
    }
    Ok((bytes, held))
}

/// The notification's alerts: the typed reader's, else read step by step (saying what is
/// wrong with it).
fn notification(bytes: &[u8]) -> Result<crate::alerts::ParsedAlerts, NotificationError> {
    match crate::alerts::parse::webhook_alerts(bytes) {
        Some(alerts) => Ok(crate::alerts::ParsedAlerts {
            alerts,
            rejected: Vec::new(),
        }),
        None => checked_parse(bytes),
    }
}

/// Hands the alerts to the cockpit, one queue permit each; 503 when it is behind (or shutting
/// down), 400 when no alert was usable; the reply names the accepted and the rejected.
async fn hand_on(st: &Shared, parsed: crate::alerts::ParsedAlerts) -> Response {
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
    // Room in the queue, waited for up to `queue_wait` (a burst the cockpit drains in time is
    // taken); the body budget stays held meanwhile, so waiting never grows memory past it.
    let room = tokio::time::Instant::now() + st.queue_wait;
    let permit = match st.queued.clone().try_acquire_many_owned(permits) {
        Ok(p) => p,
        Err(_) => {
            match tokio::time::timeout_at(room, st.queued.clone().acquire_many_owned(permits)).await
            {
                Ok(Ok(p)) => p,
                _ => {
                    bump(&st.stats.busy);
                    return busy("the cockpit is behind; retry");
                }
            }
        }
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
    use mpsc::error::TrySendError;
    // The channel to the cockpit is bounded too: room in it is waited for within the same time.
    let sent = match st.tx.try_send(msg) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(msg)) => {
            match tokio::time::timeout_at(room, st.tx.send(msg)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err("the cockpit is shutting down"),
                Err(_) => Err("the cockpit is behind; retry"),
            }
        }
        Err(TrySendError::Closed(_)) => Err("the cockpit is shutting down"),
    };
    match sent {
        Ok(()) => {
            bump(&st.stats.notifications);
            st.stats.alerts.fetch_add(n as u64, Ordering::Relaxed);
            reply(
                StatusCode::OK,
                json!({"status": "ok", "accepted": n, "rejected": rejected}),
            )
        }
        Err(why) => {
            bump(&st.stats.busy);
            busy(why)
        }
    }
}

/// Compares without an early exit, so response time does not reveal the token's prefix.
pub(super) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// Why a request looks like it came from a web page (a browser sends `Origin` with every POST,
/// and `Sec-Fetch-Site` with every request); Alertmanager sends neither.
pub(super) fn from_a_web_page(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return Some(format!(
            "requests from a web page are refused (Origin: {:?}): only Alertmanager posts here",
            String::from_utf8_lossy(origin.as_bytes())
        ));
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"none") => None,
        Some(site) => Some(format!(
            "requests from a web page are refused (Sec-Fetch-Site: {:?}): only Alertmanager \
             posts here",
            String::from_utf8_lossy(site)
        )),
    }
}

/// `Content-Type: application/json`, with or without parameters (`; charset=utf-8`).
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// A notification the typed reader did not take: checked step by step, so that what is wrong
/// with it is said (not JSON, not a notification, another version), then read alert by alert.
/// Why a webhook body is not a notification flightdeck reads (the 400 reply's text).
#[derive(Debug, thiserror::Error)]
enum NotificationError {
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("expected an Alertmanager webhook notification (a JSON object with \"alerts\")")]
    NotAnObject,
    /// The `version` value as JSON.
    #[error("unsupported webhook version {0}; flightdeck reads version \"4\"")]
    Version(Value),
    #[error("\"alerts\" must be an array")]
    AlertsNotArray,
    #[error("missing \"alerts\" (not a webhook notification)")]
    NoAlerts,
}

fn checked_parse(bytes: &[u8]) -> Result<crate::alerts::ParsedAlerts, NotificationError> {
    let value: Value = serde_json::from_slice(bytes)?;
    let Value::Object(obj) = &value else {
        return Err(NotificationError::NotAnObject);
    };
    match obj.get("version") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if v == "4" => {}
        Some(v) => return Err(NotificationError::Version(v.clone())),
    }
    match obj.get("alerts") {
        Some(Value::Array(_)) => {}
        Some(_) => return Err(NotificationError::AlertsNotArray),
        None => return Err(NotificationError::NoAlerts),
    }
    // Valid JSON is valid UTF-8.
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    Ok(parse_alerts(text))
}
