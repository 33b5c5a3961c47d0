//! Prometheus HTTP API v1 (reqwest, rustls): the client (`query`, `query_range`, answers read
//! strictly: `"NaN"`, `"+Inf"`, empty vectors and `status: error` are reported, never turned into
//! zeros) and the poller that turns each SLO's queries into `Event::Sample`s (see [`super::sli`]
//! for the counting rules), after a back-fill of the SLO window at start.

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
use super::{Origin, SourceMsg, http_client};
use crate::cockpit::Event;
use crate::slo::Window;
use crate::time::{SignedDuration, Timestamp};

/// Why a Prometheus request gave no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    /// Connection refused, DNS, timeout, reset.
    #[error("{0}")]
    Unreachable(String),
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

pub(crate) fn transport_error(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("timed out after {}", humantime(timeout))
    } else if e.is_connect() {
        let mut msg = String::from("cannot connect");
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut last = None;
        while let Some(s) = src {
            last = Some(s.to_string());
            src = s.source();
        }
        if let Some(l) = last {
            msg.push_str(": ");
            msg.push_str(&l);
        }
        msg
    } else {
        let mut msg = e.to_string();
        if let Some(s) = std::error::Error::source(e) {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
        }
        msg
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
    pub fn new(base: Url, timeout: Duration) -> Result<Self, String> {
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

/// Prometheus source settings (from `[prometheus]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusSettings {
    pub url: Url,
    pub interval: Duration,
    pub timeout: Duration,
    pub backfill: bool,
    pub backfill_step: Duration,
    pub max_backoff: Duration,
}

/// One SLO to poll: its queries and its window (for the back-fill span).
#[derive(Debug, Clone)]
pub struct SloTarget {
    pub query: SliQuery,
    pub window_ms: i64,
}

/// Back-fill attempts that fail with a query error before the SLO runs without history.
const MAX_BACKFILL_TRIES: u32 = 3;

/// The outcome of one SLO's poll.
enum Outcome {
    /// Samples, and a problem worth noting that did not stop them.
    Samples(Vec<(Timestamp, Event)>, Option<String>),
    NoData(String),
    Down(String),
}

fn labels_text(l: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(","))
}

struct SloPoller {
    target: SloTarget,
    needs_backfill: bool,
    backfill_failures: u32,
    acc: Accumulator,
    numerator: SeriesTracker,
    total: SeriesTracker,
    /// Time of the last counted poll (rate mode elapsed time).
    last_ms: Option<i64>,
    last_sample: Option<Timestamp>,
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl SloPoller {
    fn name(&self) -> &str {
        &self.target.query.slo
    }

    fn sample(&mut self, at_ms: i64) -> (Timestamp, Event) {
        let at = ts(at_ms);
        self.last_sample = Some(at);
        (
            at,
            Event::Sample {
                slo: self.target.query.slo.clone(),
                good: self.acc.good,
                total: self.acc.total,
            },
        )
    }

    fn classify(&self, what: &str, e: PromError) -> Outcome {
        let msg = format!("{}: {what}: {e}", self.name());
        if e.is_down() {
            Outcome::Down(msg)
        } else {
            Outcome::NoData(msg)
        }
    }

    async fn cycle(
        &mut self,
        client: &PrometheusClient,
        s: &PrometheusSettings,
        now_ms: i64,
    ) -> Outcome {
        let mut out = Vec::new();
        let mut note = None;
        if self.needs_backfill {
            match self.backfill(client, s, now_ms).await {
                Ok(mut events) => {
                    out.append(&mut events);
                    self.needs_backfill = false;
                }
                // Unreachable: try again when the server is back.
                Err(o @ Outcome::Down(_)) => return o,
                // The history query itself fails (too heavy, say): after a few tries run
                // without history rather than repeat an expensive query every interval.
                Err(Outcome::NoData(e)) | Err(Outcome::Samples(_, Some(e))) => {
                    self.backfill_failures += 1;
                    if self.backfill_failures < MAX_BACKFILL_TRIES {
                        return Outcome::NoData(e);
                    }
                    self.needs_backfill = false;
                    note = Some(format!("{e}; running without history"));
                }
                Err(Outcome::Samples(..)) => self.needs_backfill = false,
            }
        }
        match self.poll(client, s, now_ms).await {
            Ok(mut ev) => {
                out.append(&mut ev);
                Outcome::Samples(out, note)
            }
            Err(o) if out.is_empty() => o,
            // The back-fill is in; the poll will come next time.
            Err(_) => Outcome::Samples(out, note),
        }
    }

    fn window_secs(&self, s: &PrometheusSettings) -> u64 {
        s.interval.as_secs().max(60)
    }

    /// One instant query, validated: finite, non-negative.
    async fn instant(
        &self,
        client: &PrometheusClient,
        part: Part,
        window_secs: u64,
        at_ms: i64,
    ) -> Result<Vec<(u64, f64)>, Outcome> {
        let q = self.target.query.instant(part, window_secs);
        let what = match part {
            Part::Total => "total query",
            Part::Numerator if self.target.query.numerator_is_bad() => "bad query",
            Part::Numerator => "good query",
        };
        let samples = client
            .query(&q, at_ms)
            .await
            .map_err(|e| self.classify(what, e))?;
        if let Some(bad) = samples
            .iter()
            .find(|x| !x.value.is_finite() || x.value < 0.0)
        {
            return Err(Outcome::NoData(format!(
                "{}: {what} returned {} for {}",
                self.name(),
                bad.value,
                labels_text(&bad.labels)
            )));
        }
        if samples.is_empty() && !(part == Part::Numerator && self.target.query.numerator_is_bad())
        {
            return Err(Outcome::NoData(format!(
                "{}: {what} returned no series: {q}",
                self.name()
            )));
        }
        Ok(samples.into_iter().map(|x| (x.key, x.value)).collect())
    }

    /// Each fixed window's events per second of `part`, measured by Prometheus at `at_ms` (see
    /// [`SliQuery::windows_query`]).
    async fn window_rates(
        &self,
        client: &PrometheusClient,
        part: Part,
        at_ms: i64,
    ) -> Result<Vec<(Window, f64)>, Outcome> {
        let what = match part {
            Part::Total => "total query (windows)",
            Part::Numerator => "numerator query (windows)",
        };
        let q = self.target.query.windows_query(part);
        let samples = client
            .query(&q, at_ms)
            .await
            .map_err(|e| self.classify(what, e))?;
        Ok(samples
            .into_iter()
            .filter_map(|x| {
                let w = Window::from_label(x.labels.get(WINDOW_LABEL)?)?;
                Some((w, x.value))
            })
            .collect())
    }

    /// The windows measured at `at_ms`, as an event (rate SLIs with `{{.window}}`).
    async fn measure(
        &self,
        client: &PrometheusClient,
        at_ms: i64,
    ) -> Result<Option<(Timestamp, Event)>, Outcome> {
        if !self.target.query.measures_windows() {
            return Ok(None);
        }
        let (num, total) = tokio::join!(
            self.window_rates(client, Part::Numerator, at_ms),
            self.window_rates(client, Part::Total, at_ms)
        );
        let windows = self.target.query.window_counts(&num?, &total?);
        if windows.is_empty() {
            return Err(Outcome::NoData(format!(
                "{}: no window has traffic: {}",
                self.name(),
                self.target.query.windows_query(Part::Total)
            )));
        }
        Ok(Some((
            ts(at_ms),
            Event::SliWindows {
                slo: self.target.query.slo.clone(),
                windows,
                spacing: None,
            },
        )))
    }

    async fn poll(
        &mut self,
        client: &PrometheusClient,
        s: &PrometheusSettings,
        at_ms: i64,
    ) -> Result<Vec<(Timestamp, Event)>, Outcome> {
        let window = self.window_secs(s);
        let (num, total, measured) = tokio::join!(
            self.instant(client, Part::Numerator, window, at_ms),
            self.instant(client, Part::Total, window, at_ms),
            self.measure(client, at_ms)
        );
        let (num, total, measured) = (num?, total?, measured?);
        let is_bad = self.target.query.numerator_is_bad();
        match self.target.query.mode {
            SliMode::Counter => {
                let d_total = self.total.advance(at_ms, &total);
                let d_num = self.numerator.advance(at_ms, &num);
                self.acc.add(d_total, d_num, is_bad);
            }
            SliMode::Rate => {
                if let Some(last) = self.last_ms {
                    let elapsed = ((at_ms - last).max(0) as f64 / 1000.0).min(window as f64);
                    let rate_total: f64 = total.iter().map(|x| x.1).sum();
                    let rate_num: f64 = num.iter().map(|x| x.1).sum();
                    self.acc
                        .add(rate_total * elapsed, rate_num * elapsed, is_bad);
                }
            }
        }
        self.last_ms = Some(at_ms);
        let mut out = vec![self.sample(at_ms)];
        out.extend(measured);
        Ok(out)
    }

    /// The 5m ratios over one back-fill chunk, each standing for one step (rate SLIs measured
    /// by window): what the SLO window's ratio is the mean of.
    async fn backfill_ratios(
        &self,
        client: &PrometheusClient,
        c: &super::sli::RangeChunk,
    ) -> Result<Vec<(Timestamp, Event)>, Outcome> {
        let q = &self.target.query;
        let (tq, nq) = (q.rate5m(Part::Total), q.rate5m(Part::Numerator));
        let (total, num) = tokio::join!(
            client.query_range(&tq, c.start_ms, c.end_ms, c.step_secs),
            client.query_range(&nq, c.start_ms, c.end_ms, c.step_secs)
        );
        let total = total.map_err(|e| self.classify("back-fill 5m total", e))?;
        let num = num.map_err(|e| self.classify("back-fill 5m numerator", e))?;
        let by_t = |series: Vec<RangeSeries>| {
            let mut m: BTreeMap<i64, f64> = BTreeMap::new();
            for s in series {
                for (t, v) in s.values {
                    *m.entry(t).or_default() += v;
                }
            }
            m
        };
        let (total, num) = (by_t(total), by_t(num));
        let spacing = SignedDuration::from_secs(c.step_secs as i64);
        Ok(total
            .into_iter()
            .filter_map(|(t, rt)| {
                let rn = num.get(&t).copied();
                let windows = q.window_counts(
                    &rn.map(|v| vec![(Window::M5, v)]).unwrap_or_default(),
                    &[(Window::M5, rt)],
                );
                (!windows.is_empty()).then(|| {
                    (
                        ts(t),
                        Event::SliWindows {
                            slo: q.slo.clone(),
                            windows,
                            spacing: Some(spacing),
                        },
                    )
                })
            })
            .collect())
    }

    /// Reads the SLO window's history; returns the samples (oldest first).
    async fn backfill(
        &mut self,
        client: &PrometheusClient,
        s: &PrometheusSettings,
        now_ms: i64,
    ) -> Result<Vec<(Timestamp, Event)>, Outcome> {
        let (chunks, end) = plan_backfill(
            now_ms,
            self.target.window_ms,
            s.backfill_step.as_secs().max(1),
        );
        let is_bad = self.target.query.numerator_is_bad();
        let mut acc = Accumulator::default();
        let mut events = Vec::new();
        let mut ratios = Vec::new();
        for c in &chunks {
            if self.target.query.measures_windows() {
                ratios.append(&mut self.backfill_ratios(client, c).await?);
            }
            let (tq, nq) = (
                self.target.query.backfill(Part::Total, c.step_secs),
                self.target.query.backfill(Part::Numerator, c.step_secs),
            );
            let (total, num) = tokio::join!(
                client.query_range(&tq, c.start_ms, c.end_ms, c.step_secs),
                client.query_range(&nq, c.start_ms, c.end_ms, c.step_secs)
            );
            let total = total.map_err(|e| self.classify("back-fill total", e))?;
            let num = num.map_err(|e| self.classify("back-fill numerator", e))?;
            let sum_by_t = |series: Vec<RangeSeries>| {
                let mut m: BTreeMap<i64, f64> = BTreeMap::new();
                for s in series {
                    for (t, v) in s.values {
                        *m.entry(t).or_default() += v;
                    }
                }
                m
            };
            let (total, num) = (sum_by_t(total), sum_by_t(num));
            let scale = match self.target.query.mode {
                SliMode::Counter => 1.0,
                SliMode::Rate => c.step_secs as f64,
            };
            for (t, tv) in total {
                let nv = match num.get(&t) {
                    Some(v) => *v,
                    None if is_bad => 0.0,
                    None => continue,
                };
                if !(tv.is_finite() && nv.is_finite()) {
                    continue;
                }
                if events.is_empty() {
                    // The baseline: what happened before the first step is not counted.
                    let base = t - c.step_secs as i64 * 1000;
                    events.push((
                        ts(base),
                        Event::Sample {
                            slo: self.target.query.slo.clone(),
                            good: 0.0,
                            total: 0.0,
                        },
                    ));
                }
                acc.add(tv * scale, nv * scale, is_bad);
                events.push((
                    ts(t),
                    Event::Sample {
                        slo: self.target.query.slo.clone(),
                        good: acc.good,
                        total: acc.total,
                    },
                ));
            }
        }
        events.append(&mut ratios);
        self.acc = acc;
        self.last_ms = Some(end);
        if let Some((t, _)) = events.last() {
            self.last_sample = Some(*t);
        }
        if self.target.query.mode == SliMode::Counter {
            // Per-series baseline at the end of the back-fill, so the first poll counts from
            // there. If it has no data, the first poll becomes the baseline instead.
            let window = self.window_secs(s);
            let (num, total) = tokio::join!(
                self.instant(client, Part::Numerator, window, end),
                self.instant(client, Part::Total, window, end)
            );
            if let (Ok(num), Ok(total)) = (num, total) {
                self.total.advance(end, &total);
                self.numerator.advance(end, &num);
            }
        }
        Ok(events)
    }
}

/// The Prometheus poller task.
pub struct PrometheusSource {
    client: PrometheusClient,
    settings: PrometheusSettings,
    slos: Vec<SloPoller>,
    health: Health,
}

impl PrometheusSource {
    pub fn new(settings: PrometheusSettings, targets: Vec<SloTarget>) -> Result<Self, String> {
        let client = PrometheusClient::new(settings.url.clone(), settings.timeout)?;
        let slos = targets
            .into_iter()
            .map(|target| SloPoller {
                target,
                needs_backfill: settings.backfill,
                backfill_failures: 0,
                acc: Accumulator::default(),
                numerator: SeriesTracker::default(),
                total: SeriesTracker::default(),
                last_ms: None,
                last_sample: None,
            })
            .collect();
        Ok(PrometheusSource {
            client,
            health: Health::new("prometheus", Some(settings.interval)),
            settings,
            slos,
        })
    }

    /// Polls until the receiver goes away.
    pub async fn run(mut self, tx: mpsc::Sender<SourceMsg>) {
        let first = self.settings.interval.min(Duration::from_secs(1));
        let mut backoff = Backoff::new(first, self.settings.max_backoff);
        loop {
            let started = tokio::time::Instant::now();
            let now = Timestamp::now();
            let now_ms = now.as_millisecond();
            let (events, down, no_data) = self.cycle(now_ms).await;
            let now = Timestamp::now();
            if let Some(e) = &down {
                self.health.failed(now, e);
            } else {
                self.health.down = false;
                if let Some(e) = &no_data {
                    self.health.no_data(now, e);
                }
                self.health.last_ok = if self.slos.is_empty() {
                    Some(now)
                } else {
                    self.slos
                        .iter()
                        .map(|s| s.last_sample)
                        .collect::<Option<Vec<_>>>()
                        .and_then(|v| v.into_iter().min())
                };
            }
            if !events.is_empty()
                && tx
                    .send(SourceMsg::Events {
                        origin: Origin::Prometheus,
                        events,
                        permit: None,
                    })
                    .await
                    .is_err()
            {
                return;
            }
            if tx
                .send(SourceMsg::Health(self.health.clone()))
                .await
                .is_err()
            {
                return;
            }
            let delay = if down.is_some() {
                backoff.next_delay()
            } else {
                backoff.reset();
                self.settings.interval
            };
            tokio::time::sleep_until(started + delay).await;
        }
    }

    /// Polls every SLO once (concurrently). Returns the samples, the first "down" error and the
    /// "no data" errors joined.
    async fn cycle(
        &mut self,
        now_ms: i64,
    ) -> (Vec<(Timestamp, Event)>, Option<String>, Option<String>) {
        if self.slos.is_empty() {
            return match self.client.ready().await {
                Ok(()) => (Vec::new(), None, None),
                Err(e) => (Vec::new(), Some(e.to_string()), None),
            };
        }
        let client = &self.client;
        let settings = &self.settings;
        let outcomes = futures::future::join_all(
            self.slos
                .iter_mut()
                .map(|s| s.cycle(client, settings, now_ms)),
        )
        .await;
        let mut events = Vec::new();
        let mut down = None;
        let mut no_data = Vec::new();
        for o in outcomes {
            match o {
                Outcome::Samples(mut e, note) => {
                    events.append(&mut e);
                    no_data.extend(note);
                }
                Outcome::Down(e) => {
                    down.get_or_insert(e);
                }
                Outcome::NoData(e) => no_data.push(e),
            }
        }
        let no_data = (!no_data.is_empty()).then(|| no_data.join("; "));
        (events, down, no_data)
    }
}
