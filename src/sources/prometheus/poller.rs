//! The poller: each SLO's queries polled on an interval (back-fill of the SLO window at start,
//! health and back-off per SLO), turned into `Event::Sample`s (see [`crate::sources::sli`] for the
//! counting rules).

use super::*;

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
pub(super) const MAX_BACKFILL_TRIES: u32 = 3;

/// The outcome of one SLO's poll.
pub(super) enum Outcome {
    /// Samples, and a problem worth noting that did not stop them.
    Samples(Vec<(Timestamp, Event)>, Option<String>),
    NoData(String),
    Down(String),
}

pub(super) fn labels_text(l: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(","))
}

pub(super) struct SloPoller {
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

pub(super) fn ts(ms: i64) -> Timestamp {
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
        c: &crate::sources::sli::RangeChunk,
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
    pub fn new(
        settings: PrometheusSettings,
        targets: Vec<SloTarget>,
    ) -> Result<Self, crate::sources::ClientError> {
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
