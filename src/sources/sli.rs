//! How an SLO's PromQL becomes the cumulative `(good, total)` counters the budget engine eats
//! (`Event::Sample`, the same path replay uses). No I/O here: the Prometheus poller asks these
//! types which queries to run and hands them the answers.
//!
//! **Counter SLIs** (OpenSLO `counter: true`, the usual `http_requests_total{…}`): the poller
//! queries the selector *per series* (an outer `sum(…)` around a plain selector is taken off) and
//! tracks each series itself, the way Prometheus' `increase()` does: a series whose value drops
//! was reset and counts from zero; a series that appears after the first poll counts from zero
//! (its first error is an error); a series that vanishes is remembered for six hours. The sum of
//! those per-series increases feeds a monotonic synthetic counter, so one pod restart costs
//! nothing. A query that is not a plain selector (`a + b`, `sum by (x)(…)`) is tracked per
//! output series the same way; if it already sums across pods, a pod restart looks like a reset
//! of the whole sum and the increase after it is over-counted (write selectors, not sums).
//!
//! **Rate SLIs** (Sloth's `{{.window}}` queries, OpenSLO `counter: false`): the value is events
//! per second; increments are `rate × elapsed`, elapsed capped at the rate window. Those
//! synthetic counters only feed the history (sparkline, chart, drift, event counts): a sum of
//! short rates is not what Prometheus's `rate()` over a window says (it read 13% low in steady
//! state and 36% low after a burst, issue 17 §4). So when the queries carry `{{.window}}`, every
//! poll also asks Prometheus for each fixed window (5m … 3d) directly — the spec's queries with
//! `{{.window}}` = the window, exactly Sloth's `slo:sli_error:ratio_rateW` recording rules — in
//! one query per part ([`SliQuery::windows_query`]); those ratios are the burn rates shown and
//! judged. The SLO window's ratio is then the mean of the measured 5m ratios, as Sloth's
//! `ratio_rate30d` is (the back-fill reads the 5m ratios of the SLO window for it).
//!
//! **Back-fill**: at start the last `max(SLO window, 3d)` is read with `query_range` of
//! `sum(increase(SEL[step]))` (or the rate query over `step`), 5-minute steps (coarser for very
//! long windows) up to six hours ago, then the fine step (1 minute by default) up to now; every
//! request stays under Prometheus' 11,000-points limit. Each step's increase is one increment,
//! so windows and remaining budget are right from the first frame.
//!
//! **Empty and invalid answers**: an empty total or good vector, or any `NaN`/`±Inf`, is no data
//! (an error on the source's health), never a zero sample. An empty *bad* vector is zero bad
//! events: error-counter series usually do not exist until the first error.

use std::collections::HashMap;

use crate::slo::{SliQueries, Window, WindowCounts};

/// The label [`SliQuery::windows_query`] puts the window in.
pub const WINDOW_LABEL: &str = "flightdeck_window";

/// How the values of an SLI's queries are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliMode {
    /// Cumulative counters.
    Counter,
    /// Events per second (may contain Sloth's `{{.window}}`).
    Rate,
}

/// The numerator of the ratio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Numerator {
    Good(String),
    Bad(String),
}

/// One SLO's queries, ready for the poller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliQuery {
    pub slo: String,
    pub mode: SliMode,
    pub numerator: Numerator,
    pub total: String,
}

/// Which of the two queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Numerator,
    Total,
}

/// Why an SLO has no live queries (`flightdeck check` warns; the SLO is shown without data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoLiveQuery {
    #[error(
        "an error-ratio SLI cannot be turned into event counts; give \
         good/bad and total queries (Sloth `events`) for live mode"
    )]
    ErrorRatio,
    #[error(
        "no total query (OpenSLO ratioMetric.total.metricSource.spec.query, or \
         `total` under [slo.queries.NAME] in the config)"
    )]
    NoTotal,
    #[error("both good and bad queries are given; keep one")]
    GoodAndBad,
    #[error(
        "no good or bad query (OpenSLO ratioMetric.good/bad, or `good`/`bad` \
         under [slo.queries.NAME] in the config)"
    )]
    NoNumerator,
    /// The named part (`good`, `total`, …) does not parse as PromQL.
    #[error("the {0} query is not valid PromQL")]
    NotPromql(&'static str),
}

impl SliQuery {
    /// From a parsed SLO file's queries. `Err` says what is missing, for `flightdeck check`.
    pub fn from_queries(slo: &str, q: &SliQueries) -> Result<SliQuery, NoLiveQuery> {
        fn nonempty(s: &Option<String>) -> Option<&str> {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let Some(total) = nonempty(&q.total) else {
            if q.error_ratio.is_some() {
                return Err(NoLiveQuery::ErrorRatio);
            }
            return Err(NoLiveQuery::NoTotal);
        };
        let numerator = match (nonempty(&q.good), nonempty(&q.bad)) {
            (Some(g), None) => Numerator::Good(g.to_string()),
            (None, Some(b)) => Numerator::Bad(b.to_string()),
            (Some(_), Some(_)) => return Err(NoLiveQuery::GoodAndBad),
            (None, None) => return Err(NoLiveQuery::NoNumerator),
        };
        let any_window = [Some(total), nonempty(&q.good), nonempty(&q.bad)]
            .into_iter()
            .flatten()
            .any(has_window_placeholder);
        let mode = if any_window || !q.counter {
            SliMode::Rate
        } else {
            SliMode::Counter
        };
        Ok(SliQuery {
            slo: slo.to_string(),
            mode,
            numerator,
            total: total.to_string(),
        })
    }

    pub fn text(&self, part: Part) -> &str {
        match (part, &self.numerator) {
            (Part::Total, _) => &self.total,
            (Part::Numerator, Numerator::Good(q) | Numerator::Bad(q)) => q,
        }
    }

    pub fn numerator_is_bad(&self) -> bool {
        matches!(self.numerator, Numerator::Bad(_))
    }

    /// A rate SLI whose queries both carry `{{.window}}`: its windows are measured by
    /// Prometheus itself ([`windows_query`](Self::windows_query)).
    pub fn measures_windows(&self) -> bool {
        self.mode == SliMode::Rate
            && has_window_placeholder(&self.total)
            && has_window_placeholder(self.text(Part::Numerator))
    }

    /// One instant query answering every fixed window at once: for each window W of
    /// [`Window::FAST`], `sum(QUERY)` with `{{.window}}` = W, labelled `flightdeck_window="W"`,
    /// joined with `or`. Each value is the part's events per second over W, Prometheus's own
    /// `rate()` with its extrapolation.
    pub fn windows_query(&self, part: Part) -> String {
        let q = self.text(part);
        Window::FAST
            .iter()
            .map(|w| {
                let inner = crate::slo::SliQueries::for_window(q, w.label());
                format!(
                    "label_replace(sum({inner}), \"{WINDOW_LABEL}\", \"{}\", \"\", \"\")",
                    w.label()
                )
            })
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// The range query of the 5m rate of `part` (the back-fill of the 5m ratios).
    pub fn rate5m(&self, part: Part) -> String {
        format!(
            "sum({})",
            crate::slo::SliQueries::for_window(self.text(part), Window::M5.label())
        )
    }

    /// Window counts from the per-second rates of the two parts (`window → rate`): events =
    /// rate × window length, as `increase()` is. A window without a total (or with a value that
    /// is not a finite, non-negative number) is left out; a missing bad-events rate is zero
    /// (the error series does not exist yet), a missing good-events rate leaves the window out.
    pub fn window_counts(
        &self,
        numerator: &[(Window, f64)],
        total: &[(Window, f64)],
    ) -> Vec<(Window, WindowCounts)> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        let mut out = Vec::new();
        for w in Window::FAST {
            let Some(&(_, rt)) = total.iter().find(|(x, _)| *x == w) else {
                continue;
            };
            let num = numerator.iter().find(|(x, _)| *x == w).map(|x| x.1);
            let num = match num {
                Some(v) if ok(v) => v,
                Some(_) => continue,
                None if self.numerator_is_bad() => 0.0,
                None => continue,
            };
            if !ok(rt) {
                continue;
            }
            let secs = w.fixed_secs().unwrap_or(0) as f64;
            let total = rt * secs;
            let num = (num * secs).min(total);
            let (good, bad) = if self.numerator_is_bad() {
                (total - num, num)
            } else {
                (num, total - num)
            };
            out.push((w, WindowCounts { good, bad, total }));
        }
        out
    }

    /// The instant query of a live poll. Counter: per series. Rate: `{{.window}}` = `window_secs`.
    pub fn instant(&self, part: Part, window_secs: u64) -> String {
        let q = self.text(part);
        match self.mode {
            SliMode::Counter => selector_of(q).unwrap_or(q).to_string(),
            SliMode::Rate => with_window(q, window_secs),
        }
    }

    /// The range query of a back-fill at `step_secs`: one increase per step (Counter) or the
    /// rate over the step (Rate), summed to one series.
    pub fn backfill(&self, part: Part, step_secs: u64) -> String {
        let q = self.text(part);
        match self.mode {
            SliMode::Counter => match selector_of(q) {
                Some(sel) => format!("sum(increase({sel}[{step_secs}s]))"),
                None => format!("sum(increase(({q})[{step_secs}s:]))"),
            },
            SliMode::Rate => format!("sum({})", with_window(q, step_secs)),
        }
    }
}

fn has_window_placeholder(q: &str) -> bool {
    q.contains("{{.window}}") || q.contains("{{ .window }}")
}

fn with_window(q: &str, secs: u64) -> String {
    crate::slo::SliQueries::for_window(q, &format!("{secs}s"))
}

/// The series selector a counter query stands for: the query itself when it is a plain
/// selector (`name`, `name{…}`, `{…}`), or the selector inside a bare `sum(…)`. `None` for
/// anything else (functions, operators, `sum by`, offsets, ranges).
pub fn selector_of(query: &str) -> Option<&str> {
    let q = query.trim();
    if is_selector(q) {
        return Some(q);
    }
    let inner = q.strip_prefix("sum")?.trim_start().strip_prefix('(')?;
    let inner = inner.trim_end().strip_suffix(')')?.trim();
    is_selector(inner).then_some(inner)
}

fn is_selector(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
        if i == 0 && b[i].is_ascii_digit() {
            return false;
        }
        i += 1;
    }
    let name = &s[..i];
    if matches!(
        name,
        "sum" | "rate" | "increase" | "by" | "without" | "offset" | "bool"
    ) {
        return false;
    }
    let rest = s[i..].trim_start();
    if rest.is_empty() {
        return i > 0;
    }
    let Some(body) = rest.strip_prefix('{') else {
        return false;
    };
    // Scan to the matching `}`, honouring quoted strings (which may contain braces).
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (j, c) in body.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '}' => return body[j + 1..].trim().is_empty(),
            '{' => return false,
            _ => {}
        }
    }
    false
}

/// Per-series counter tracking for one query (see the module docs). Keys are series
/// fingerprints.
#[derive(Debug, Clone, Default)]
pub struct SeriesTracker {
    last: HashMap<u64, (f64, i64)>,
    started: bool,
}

/// A series that has not been seen for this long is forgotten (its next appearance counts
/// from zero).
const FORGET_AFTER_MS: i64 = 6 * 3_600_000;

impl SeriesTracker {
    /// The increase since the previous observation; the first observation is the baseline (0).
    /// Values must be finite and non-negative (the caller rejects the poll otherwise).
    pub fn advance(&mut self, at_ms: i64, series: &[(u64, f64)]) -> f64 {
        let mut delta = 0.0;
        for &(key, v) in series {
            let inc = match self.last.get(&key) {
                Some(&(prev, _)) if v >= prev => v - prev,
                Some(_) => v, // reset
                None if self.started => v,
                None => 0.0,
            };
            delta += inc;
            self.last.insert(key, (v, at_ms));
        }
        self.started = true;
        self.last
            .retain(|_, (_, seen)| at_ms - *seen <= FORGET_AFTER_MS);
        delta
    }

    pub fn started(&self) -> bool {
        self.started
    }

    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

/// The synthetic cumulative counters sent to the core: both only ever grow, whatever the
/// increments say (a bad increase above the total increase is capped; negatives are zero).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Accumulator {
    pub good: f64,
    pub total: f64,
}

impl Accumulator {
    pub fn add(&mut self, d_total: f64, d_numerator: f64, numerator_is_bad: bool) {
        let d_total = d_total.max(0.0);
        let d_num = d_numerator.clamp(0.0, d_total);
        let d_good = if numerator_is_bad {
            d_total - d_num
        } else {
            d_num
        };
        self.total += d_total;
        self.good += d_good;
    }
}

/// One `query_range` request: evaluation times `start, start + step, …, ≤ end` (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeChunk {
    pub start_ms: i64,
    pub end_ms: i64,
    pub step_secs: u64,
}

impl RangeChunk {
    pub fn points(&self) -> i64 {
        (self.end_ms - self.start_ms) / (self.step_secs as i64 * 1000) + 1
    }
}

/// Points per request; Prometheus refuses more than 11,000.
pub const MAX_POINTS: i64 = 10_000;
/// Span read at the fine step.
pub const FINE_SPAN_MS: i64 = 6 * 3_600_000;
/// The budget engine keeps at least three days (for the 1d and 3d windows).
pub const MIN_SPAN_MS: i64 = 3 * 86_400_000;

/// The back-fill requests, oldest first, and the time of the last point (the live baseline).
/// The coarse grid ends exactly where the fine grid begins, so the increases tile the span.
pub fn plan_backfill(
    now_ms: i64,
    slo_window_ms: i64,
    fine_step_secs: u64,
) -> (Vec<RangeChunk>, i64) {
    let fine = (fine_step_secs.max(1) * 1000) as i64;
    let end = now_ms.div_euclid(fine) * fine;
    let span = slo_window_ms.max(MIN_SPAN_MS);
    // Coarse step: 5 minutes, or coarser so that the span needs at most ~30,000 points.
    let five = 300_000i64;
    let want = (span - FINE_SPAN_MS).max(0) / 30_000;
    let coarse = (want.div_euclid(five) + i64::from(want % five != 0)).max(1) * five;
    let fine_points = FINE_SPAN_MS.min(span) / fine;
    let t1 = end - fine_points * fine;
    let mut chunks = Vec::new();
    let coarse_span = span - (end - t1);
    if coarse_span > 0 {
        let n = (coarse_span + coarse - 1) / coarse; // points t1 - (n-1)·c … t1
        let mut first = t1 - (n - 1) * coarse;
        while first <= t1 {
            let last = (first + (MAX_POINTS - 1) * coarse).min(t1);
            chunks.push(RangeChunk {
                start_ms: first,
                end_ms: last,
                step_secs: (coarse / 1000) as u64,
            });
            first = last + coarse;
        }
    }
    if fine_points > 0 {
        let mut first = t1 + fine;
        while first <= end {
            let last = (first + (MAX_POINTS - 1) * fine).min(end);
            chunks.push(RangeChunk {
                start_ms: first,
                end_ms: last,
                step_secs: fine_step_secs.max(1),
            });
            first = last + fine;
        }
    }
    (chunks, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_bare_sums_are_recognised() {
        assert_eq!(selector_of("up"), Some("up"));
        assert_eq!(
            selector_of(r#" sum(http_requests_total{job="checkout",code!~"5.."}) "#),
            Some(r#"http_requests_total{job="checkout",code!~"5.."}"#)
        );
        assert_eq!(
            selector_of(r#"{__name__="x", a="}"}"#),
            Some(r#"{__name__="x", a="}"}"#)
        );
        assert_eq!(selector_of("sum by (code) (x)"), None);
        assert_eq!(selector_of("sum(rate(x[5m]))"), None);
        assert_eq!(selector_of("x + y"), None);
        assert_eq!(selector_of("x offset 5m"), None);
        assert_eq!(selector_of("x[5m]"), None);
        assert_eq!(selector_of("sum"), None);
    }

    #[test]
    fn modes_and_queries() {
        let q = SliQueries {
            good: Some(r#"sum(req_total{code!~"5.."})"#.into()),
            total: Some("sum(req_total)".into()),
            counter: true,
            ..SliQueries::default()
        };
        let s = SliQuery::from_queries("a", &q).unwrap();
        assert_eq!(s.mode, SliMode::Counter);
        assert_eq!(s.instant(Part::Total, 60), "req_total");
        assert_eq!(
            s.backfill(Part::Numerator, 300),
            r#"sum(increase(req_total{code!~"5.."}[300s]))"#
        );
        let sloth = SliQueries {
            bad: Some(r#"sum(rate(req_total{code=~"5.."}[{{.window}}]))"#.into()),
            total: Some("sum(rate(req_total[{{.window}}]))".into()),
            counter: true,
            ..SliQueries::default()
        };
        let s = SliQuery::from_queries("b", &sloth).unwrap();
        assert_eq!(s.mode, SliMode::Rate);
        assert_eq!(s.instant(Part::Total, 60), "sum(rate(req_total[60s]))");
        assert_eq!(
            s.backfill(Part::Total, 300),
            "sum(sum(rate(req_total[300s])))"
        );
        let ratio = SliQueries {
            error_ratio: Some("x".into()),
            ..SliQueries::default()
        };
        let e = SliQuery::from_queries("c", &ratio).unwrap_err();
        assert_eq!(e, NoLiveQuery::ErrorRatio);
        assert_eq!(
            e.to_string(),
            "an error-ratio SLI cannot be turned into event counts; give good/bad and total \
             queries (Sloth `events`) for live mode"
        );
    }

    #[test]
    fn tracker_counts_resets_and_new_series_like_increase() {
        let mut t = SeriesTracker::default();
        assert_eq!(t.advance(0, &[(1, 100.0), (2, 50.0)]), 0.0, "baseline");
        assert_eq!(t.advance(1000, &[(1, 110.0), (2, 55.0)]), 15.0);
        // Series 2 restarted (its pod): counts from zero, series 1 keeps going.
        assert_eq!(t.advance(2000, &[(1, 120.0), (2, 3.0)]), 13.0);
        // A new series (first 5xx) counts in full.
        assert_eq!(t.advance(3000, &[(1, 120.0), (2, 3.0), (3, 1.0)]), 1.0);
        // Series 1 missing for a while, then back where it was: nothing counted twice.
        assert_eq!(t.advance(4000, &[(2, 4.0), (3, 1.0)]), 1.0);
        assert_eq!(t.advance(5000, &[(1, 121.0), (2, 4.0), (3, 1.0)]), 1.0);
    }

    #[test]
    fn accumulator_stays_monotonic() {
        let mut a = Accumulator::default();
        a.add(10.0, 12.0, true); // skew: more bad than total
        assert_eq!(
            a,
            Accumulator {
                good: 0.0,
                total: 10.0
            }
        );
        a.add(-1.0, 0.0, true);
        assert_eq!(
            a,
            Accumulator {
                good: 0.0,
                total: 10.0
            }
        );
        a.add(10.0, 9.0, false);
        assert_eq!(
            a,
            Accumulator {
                good: 9.0,
                total: 20.0
            }
        );
    }

    #[test]
    fn backfill_plan_tiles_the_span_under_the_points_limit() {
        let now = 1_800_000_123_456i64;
        for window_days in [1i64, 28, 30, 90, 365] {
            let (chunks, end) = plan_backfill(now, window_days * 86_400_000, 60);
            assert_eq!(end % 60_000, 0);
            assert!(end <= now && now - end < 60_000);
            // Each point covers (t − step, t]; the ranges must tile without gap or overlap.
            let mut covered_to: Option<i64> = None;
            let mut first_start = None;
            for c in &chunks {
                assert!(c.points() <= MAX_POINTS, "{c:?}");
                let step = c.step_secs as i64 * 1000;
                assert_eq!((c.end_ms - c.start_ms) % step, 0);
                if let Some(to) = covered_to {
                    assert_eq!(c.start_ms - step, to, "gap or overlap before {c:?}");
                }
                covered_to = Some(c.end_ms);
                first_start.get_or_insert(c.start_ms - step);
            }
            assert_eq!(chunks.last().unwrap().end_ms, end);
            let span = end - first_start.unwrap();
            let want = (window_days * 86_400_000).max(MIN_SPAN_MS);
            assert!(
                span >= want && span < want + 86_400_000 / 24,
                "{window_days}d: {span}"
            );
        }
    }
}
