//! Prometheus HTTP API v1 (reqwest, rustls): the client (`query`, `query_range`, answers read
//! strictly: `"NaN"`, `"+Inf"`, empty vectors and `status: error` are reported, never turned into
//! zeros), here; and the poller that turns each SLO's queries into `Event::Sample`s (see
//! [`super::sli`] for the counting rules), after a back-fill of the SLO window at start, in
//! `poller.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::health::{Backoff, Health};
use super::sli::{
    Accumulator, Part, SeriesTracker, SliMode, SliQuery, WINDOW_LABEL, plan_backfill,
};
use super::{ClientError, Origin, SourceMsg, http_client};
use crate::cockpit::Event;
use crate::slo::Window;
use crate::time::{SignedDuration, Timestamp};

mod poller;

pub use poller::{PrometheusSettings, PrometheusSource, SloTarget};

/// Why a Prometheus request gave no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    /// Connection refused, DNS, timeout, reset.
    #[error("{0}")]
    Unreachable(Transport),
    /// An HTTP error without a Prometheus error body.
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// A 200 that is not a Prometheus API answer.
    #[error("not a Prometheus API answer: {0}")]
    Garbage(String),
    /// `status: error` (bad_data 400, execution 422, timeout/canceled 503, internal 500).
    #[error("query failed ({error_type}): {error}")]
    Query { error_type: String, error: String },
}

impl PromError {
    /// The server is not usable (as opposed to one query being wrong or timing out inside
    /// Prometheus).
    pub fn is_down(&self) -> bool {
        !matches!(self, PromError::Query { .. })
    }
}

/// One series of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    /// Fingerprint of the labels (Alertmanager's FNV-1a), the series' identity.
    pub key: u64,
    pub at_ms: i64,
    /// May be NaN or ±Inf: callers decide.
    pub value: f64,
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: BTreeMap<String, String>,
    pub key: u64,
    pub values: Vec<(i64, f64)>,
}

/// A Prometheus server.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

/// The `data` of a successful answer, decoded by [`decode_instant`] or [`decode_range`].
#[derive(Debug, Deserialize)]
pub struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Value,
}

#[derive(Deserialize)]
struct VectorItem {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    value: (f64, String),
}

#[derive(Deserialize)]
struct MatrixItem {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// Prometheus sample values are strings: `"1e-07"`, `"NaN"`, `"+Inf"`, `"-Inf"`.
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok().filter(|v: &f64| v.is_finite()),
    }
}

/// The `data` of a Prometheus API answer: `body` as the server sent it with HTTP `status`.
/// Pure (the client's requests and the fuzz targets use it).
pub fn decode_answer(status: u16, body: &str) -> Result<Data, PromError> {
    let success = (200..300).contains(&status);
    match serde_json::from_str::<Envelope>(body) {
        Ok(env) if env.status == "success" => env
            .data
            .ok_or_else(|| PromError::Garbage("status success without data".to_string())),
        Ok(env) if env.status == "error" => Err(PromError::Query {
            error_type: env.error_type.unwrap_or_else(|| "unknown".into()),
            error: env.error.unwrap_or_default(),
        }),
        Ok(env) => Err(PromError::Garbage(format!("status {:?}", env.status))),
        Err(_) if !success => Err(PromError::Http {
            status,
            body: excerpt(body),
        }),
        Err(e) => Err(PromError::Garbage(format!("{e}; body: {}", excerpt(body)))),
    }
}

/// The `data` of a build-info answer (`/api/v1/status/buildinfo`) as strings; an answer
/// without a `version` is not Prometheus's.
pub fn decode_build_info(status: u16, body: &str) -> Result<BTreeMap<String, String>, PromError> {
    #[derive(Deserialize)]
    struct Info {
        status: String,
        data: Option<BTreeMap<String, Value>>,
    }
    let info = match serde_json::from_str::<Info>(body) {
        Ok(i) => i,
        Err(_) if !(200..300).contains(&status) => {
            return Err(PromError::Http {
                status,
                body: excerpt(body),
            });
        }
        Err(e) => return Err(PromError::Garbage(format!("{e}; body: {}", excerpt(body)))),
    };
    let data: BTreeMap<String, String> = info
        .data
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect();
    if info.status != "success" || !data.contains_key("version") {
        return Err(PromError::Garbage(format!(
            "no version in the build info; body: {}",
            excerpt(body)
        )));
    }
    Ok(data)
}

/// The samples of an instant query's `data` (a vector; a scalar is one series without labels).
pub fn decode_instant(data: Data) -> Result<Vec<Sample>, PromError> {
    let garbage = |e: serde_json::Error| PromError::Garbage(e.to_string());
    match data.result_type.as_str() {
        "vector" => {
            let items: Vec<VectorItem> = serde_json::from_value(data.result).map_err(garbage)?;
            items
                .into_iter()
                .map(|it| {
                    let value = parse_value(&it.value.1).ok_or_else(|| {
                        PromError::Garbage(format!("sample value {:?}", it.value.1))
                    })?;
                    Ok(Sample {
                        key: crate::alerts::fingerprint(&it.metric).0,
                        labels: it.metric,
                        at_ms: ts_ms(it.value.0),
                        value,
                    })
                })
                .collect()
        }
        "scalar" => {
            let (t, v): (f64, String) = serde_json::from_value(data.result).map_err(garbage)?;
            let value =
                parse_value(&v).ok_or_else(|| PromError::Garbage(format!("scalar value {v:?}")))?;
            Ok(vec![Sample {
                labels: BTreeMap::new(),
                key: 0,
                at_ms: ts_ms(t),
                value,
            }])
        }
        other => Err(PromError::Query {
            error_type: "flightdeck".into(),
            error: format!("the query returns a {other}; an instant vector is needed"),
        }),
    }
}

/// The series of a range query's `data` (a matrix).
pub fn decode_range(data: Data) -> Result<Vec<RangeSeries>, PromError> {
    if data.result_type != "matrix" {
        return Err(PromError::Garbage(format!(
            "query_range returned a {}",
            data.result_type
        )));
    }
    let items: Vec<MatrixItem> =
        serde_json::from_value(data.result).map_err(|e| PromError::Garbage(e.to_string()))?;
    items
        .into_iter()
        .map(|it| {
            let values = it
                .values
                .into_iter()
                .map(|(t, v)| {
                    parse_value(&v)
                        .map(|x| (ts_ms(t), x))
                        .ok_or_else(|| PromError::Garbage(format!("sample value {v:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(RangeSeries {
                key: crate::alerts::fingerprint(&it.metric).0,
                labels: it.metric,
                values,
            })
        })
        .collect()
}

fn ts_ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

fn secs_param(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

fn excerpt(text: &str) -> String {
    let t = text.trim();
    let mut out: String = t.chars().take(120).collect();
    if t.chars().count() > 120 {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

/// The most an answer of Prometheus or Alertmanager may hold: 64 MiB (a range query at
/// Prometheus's 11,000-point limit is about 0.3 MB a series; Alertmanager's alert list about
/// 1 kB an alert). A bigger or endless body is refused, not read into memory.
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// Why a response body could not be read.
pub(crate) enum BodyError {
    Transport(reqwest::Error),
    /// Larger than the limit: the message names the URL.
    TooLarge(String),
}

/// Reads a response body up to `limit` bytes, as text (invalid UTF-8 replaced); beyond the
/// limit stops reading and says which URL sent too much.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<String, BodyError> {
    let too_large = |resp: &reqwest::Response| {
        let mut url = resp.url().clone();
        url.set_query(None);
        let shown = if limit.is_multiple_of(1 << 20) {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{limit} bytes")
        };
        BodyError::TooLarge(format!(
            "the answer from {url} is larger than {shown}: refused (a server streaming an \
             endless body, or far more data than a cockpit can show)"
        ))
    };
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(&resp));
    }
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if buf.len() + chunk.len() > limit {
            return Err(too_large(&resp));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Why a server gave no answer: what the request's transport said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// No answer within the request's timeout.
    TimedOut(Duration),
    /// The connection failed (refused, DNS, TLS); the innermost cause, if one was given.
    Connect { cause: Option<String> },
    /// The request failed otherwise (a reset, a redirect loop): the error and its cause.
    Request(String),
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::TimedOut(after) => write!(f, "timed out after {}", humantime(*after)),
            Transport::Connect { cause: None } => f.write_str("cannot connect"),
            Transport::Connect { cause: Some(c) } => write!(f, "cannot connect: {c}"),
            Transport::Request(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Transport {}

/// What a failed request's transport said, with its `timeout` for a timeout.
pub(crate) fn transport_error(e: &reqwest::Error, timeout: Duration) -> Transport {
    if e.is_timeout() {
        Transport::TimedOut(timeout)
    } else if e.is_connect() {
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut last = None;
        while let Some(s) = src {
            last = Some(s.to_string());
            src = s.source();
        }
        Transport::Connect { cause: last }
    } else {
        let mut msg = e.to_string();
        if let Some(s) = std::error::Error::source(e) {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
        }
        Transport::Request(msg)
    }
}

pub(crate) fn humantime(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

impl PrometheusClient {
    pub fn new(base: Url, timeout: Duration) -> Result<Self, ClientError> {
        Ok(PrometheusClient {
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

    async fn get(
        &self,
        path: &str,
        params: &[(&str, String)],
        timeout: Duration,
    ) -> Result<Data, PromError> {
        let resp = self
            .http
            .get(self.url(path))
            .query(params)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| PromError::Unreachable(transport_error(&e, timeout)))?;
        let status = resp.status();
        let body = read_capped(resp, MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| match e {
                BodyError::Transport(e) => PromError::Unreachable(transport_error(&e, timeout)),
                BodyError::TooLarge(m) => PromError::Garbage(m),
            })?;
        decode_answer(status.as_u16(), &body)
    }

    /// Instant query at `at_ms`. A scalar result is one series without labels.
    pub async fn query(&self, query: &str, at_ms: i64) -> Result<Vec<Sample>, PromError> {
        let data = self
            .get(
                "/api/v1/query",
                &[("query", query.to_string()), ("time", secs_param(at_ms))],
                self.timeout,
            )
            .await?;
        decode_instant(data)
    }

    /// Range query: evaluation at `start_ms, start_ms + step, …, ≤ end_ms`.
    pub async fn query_range(
        &self,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_secs: u64,
    ) -> Result<Vec<RangeSeries>, PromError> {
        let timeout = self.timeout.max(Duration::from_secs(30));
        let data = self
            .get(
                "/api/v1/query_range",
                &[
                    ("query", query.to_string()),
                    ("start", secs_param(start_ms)),
                    ("end", secs_param(end_ms)),
                    ("step", format!("{step_secs}")),
                ],
                timeout,
            )
            .await?;
        decode_range(data)
    }

    /// `GET /api/v1/status/buildinfo`: the server's build (`version`, `revision`, …), which
    /// only a Prometheus API answers (`flightdeck check --online`).
    pub async fn build_info(&self) -> Result<BTreeMap<String, String>, PromError> {
        let resp = self
            .http
            .get(self.url("/api/v1/status/buildinfo"))
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| PromError::Unreachable(transport_error(&e, self.timeout)))?;
        let status = resp.status();
        let body = read_capped(resp, 1 << 20).await.map_err(|e| match e {
            BodyError::Transport(e) => PromError::Unreachable(transport_error(&e, self.timeout)),
            BodyError::TooLarge(m) => PromError::Garbage(m),
        })?;
        decode_build_info(status.as_u16(), &body)
    }

    /// `GET /-/ready`.
    pub async fn ready(&self) -> Result<(), PromError> {
        let resp = self
            .http
            .get(self.url("/-/ready"))
            .send()
            .await
            .map_err(|e| PromError::Unreachable(transport_error(&e, self.timeout)))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(PromError::Http {
                status: resp.status().as_u16(),
                body: excerpt(
                    &read_capped(resp, 64 * 1024)
                        .await
                        .unwrap_or_else(|_| String::new()),
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each way a server does not answer reads as the string it was before it was typed.
    #[test]
    fn transport_failures_read_as_before() {
        let t = Transport::TimedOut(Duration::from_secs(5));
        assert_eq!(t.to_string(), "timed out after 5s");
        assert_eq!(
            Transport::TimedOut(Duration::from_millis(1500)).to_string(),
            "timed out after 1500ms"
        );
        assert_eq!(
            Transport::Connect { cause: None }.to_string(),
            "cannot connect"
        );
        let refused = Transport::Connect {
            cause: Some("Connection refused (os error 111)".into()),
        };
        assert_eq!(
            refused.to_string(),
            "cannot connect: Connection refused (os error 111)"
        );
        assert_eq!(
            PromError::Unreachable(refused.clone()).to_string(),
            refused.to_string()
        );
        assert_eq!(
            AmErrorText::of(refused.clone()),
            "cannot connect: Connection refused (os error 111)"
        );
        assert_eq!(Transport::Request("reset".into()).to_string(), "reset");
        assert!(PromError::Unreachable(t).is_down());
    }

    /// Alertmanager's errors show the same words.
    struct AmErrorText;
    impl AmErrorText {
        fn of(t: Transport) -> String {
            crate::sources::AmError::Unreachable(t).to_string()
        }
    }
}
