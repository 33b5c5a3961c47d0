//! Bounded, tiered storage of one SLI's cumulative counters, answering "the latest sample at or
//! before `t`" by binary search.
//!
//! Samples are stored reset-adjusted (a drop of a counter is a reset: the new value counts from
//! zero, as Prometheus `increase()` does), so the increase over any window is a subtraction.
//!
//! Retention, relative to the newest sample (`latest`):
//! - **raw** — every sample newer than `latest − 6h10m` (the 5m…6h windows and the 3-hour burn
//!   sparkline are exact);
//! - **mid** — one sample per 5-minute bucket `(b − 5m, b]` (the last in the bucket) back to
//!   `latest − 3d1h` (the 1d and 3d windows);
//! - **coarse** — one sample per 1-hour bucket back to the horizon `max(SLO window, 3d)`, plus the
//!   last sample at or before the horizon (the SLO window's baseline).
//!
//! **Accuracy bound.** A lookup at `t` inside a bucketed tier returns the last sample of the
//! previous bucket when `t` is not a bucket boundary, so a window whose start falls in the mid
//! tier starts at most 5 minutes early, in the coarse tier at most 1 hour early (≤ 0.35% of 1d,
//! ≤ 0.15% of 28d); window ends (`now ≥ latest`) are always exact. When the start is a multiple
//! of the bucket width (every 5-minute-aligned `now`), the lookup is exact. Lookups at times
//! before `latest − 6h10m` that are not window starts (i.e. evaluating far in the past) get the
//! same bound.

use std::collections::VecDeque;

/// A reset-adjusted cumulative point. `t` is in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Point {
    pub t: i64,
    pub good: f64,
    pub total: f64,
}

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Raw samples are kept for this long behind the newest one.
pub(crate) const RAW_SPAN_MS: i64 = 6 * HOUR_MS + 10 * MINUTE_MS;
/// 5-minute buckets are kept for this long behind the newest sample.
pub(crate) const MID_SPAN_MS: i64 = 3 * 24 * HOUR_MS + HOUR_MS;
pub(crate) const MID_BUCKET_MS: i64 = 5 * MINUTE_MS;
pub(crate) const COARSE_BUCKET_MS: i64 = HOUR_MS;

/// Tiered counter series. Tiers are contiguous in time: every coarse point is older than every
/// mid point, which is older than every raw point.
#[derive(Clone, Debug)]
pub(crate) struct CounterSeries {
    coarse: VecDeque<Point>,
    mid: VecDeque<Point>,
    raw: VecDeque<Point>,
    /// Raw counter values and time of the last accepted sample (for reset detection and order).
    last: Option<(i64, f64, f64)>,
    /// Reset-adjusted running totals.
    adj_good: f64,
    adj_total: f64,
    /// How far back the baseline must reach (ms): `max(SLO window, 3d)`.
    horizon_ms: i64,
    resets: u64,
}

/// Bucket index of `t` for buckets `(b − w, b]`.
fn bucket(t: i64, w: i64) -> i64 {
    (t - 1).div_euclid(w)
}

/// Appends `p` to `tier`, replacing the previous point if it is in the same bucket.
fn push_bucketed(tier: &mut VecDeque<Point>, p: Point, w: i64) {
    if let Some(back) = tier.back_mut()
        && bucket(back.t, w) == bucket(p.t, w)
    {
        *back = p;
        return;
    }
    tier.push_back(p);
}

impl CounterSeries {
    pub fn new(horizon_ms: i64) -> Self {
        CounterSeries {
            coarse: VecDeque::new(),
            mid: VecDeque::new(),
            raw: VecDeque::new(),
            last: None,
            adj_good: 0.0,
            adj_total: 0.0,
            horizon_ms: horizon_ms.max(3 * 24 * HOUR_MS),
            resets: 0,
        }
    }

    /// Accepts a cumulative sample. Returns false (and ignores it) if it is not newer than the
    /// last accepted one or its values are negative or not finite.
    pub fn push(&mut self, t: i64, good: f64, total: f64) -> bool {
        if !(good.is_finite() && total.is_finite() && good >= 0.0 && total >= 0.0) {
            return false;
        }
        match self.last {
            Some((lt, lg, ltot)) => {
                if t <= lt {
                    return false;
                }
                let mut reset = false;
                self.adj_good += if good >= lg {
                    good - lg
                } else {
                    reset = true;
                    good
                };
                self.adj_total += if total >= ltot {
                    total - ltot
                } else {
                    reset = true;
                    total
                };
                if reset {
                    self.resets += 1;
                }
            }
            None => {
                // The first sample is the baseline: what it counted before we saw it is unknown.
            }
        }
        self.last = Some((t, good, total));
        self.raw.push_back(Point {
            t,
            good: self.adj_good,
            total: self.adj_total,
        });
        self.compact(t);
        true
    }

    fn compact(&mut self, latest: i64) {
        while let Some(&p) = self.raw.front() {
            if p.t >= latest - RAW_SPAN_MS || self.raw.len() == 1 {
                break;
            }
            self.raw.pop_front();
            push_bucketed(&mut self.mid, p, MID_BUCKET_MS);
        }
        while let Some(&p) = self.mid.front() {
            if p.t >= latest - MID_SPAN_MS {
                break;
            }
            self.mid.pop_front();
            push_bucketed(&mut self.coarse, p, COARSE_BUCKET_MS);
        }
        // Keep the last point at or before the horizon (the baseline of the longest window).
        let cutoff = latest - self.horizon_ms;
        while self.nth_oldest(1).is_some_and(|p| p.t <= cutoff) {
            self.pop_oldest();
        }
    }

    fn nth_oldest(&self, n: usize) -> Option<Point> {
        let mut n = n;
        for tier in [&self.coarse, &self.mid, &self.raw] {
            if n < tier.len() {
                return tier.get(n).copied();
            }
            n -= tier.len();
        }
        None
    }

    fn pop_oldest(&mut self) {
        for tier in [&mut self.coarse, &mut self.mid, &mut self.raw] {
            if tier.pop_front().is_some() {
                return;
            }
        }
    }

    /// The oldest retained point.
    pub fn oldest(&self) -> Option<Point> {
        self.nth_oldest(0)
    }

    /// The newest point.
    #[cfg(test)]
    pub fn newest(&self) -> Option<Point> {
        self.raw.back().copied()
    }

    /// The latest retained point at or before `t`.
    pub fn at_or_before(&self, t: i64) -> Option<Point> {
        for tier in [&self.raw, &self.mid, &self.coarse] {
            if let Some(front) = tier.front()
                && front.t <= t
            {
                let i = tier.partition_point(|p| p.t <= t);
                return tier.get(i - 1).copied();
            }
        }
        None
    }

    /// Reset-adjusted `(good, total)` increase between the latest points at or before `start`
    /// and at or before `end`. A start before the retained history uses the oldest point (a
    /// partial window). `None` when there is no point at or before `end`.
    pub fn increase(&self, start: i64, end: i64) -> Option<(f64, f64)> {
        let e = self.at_or_before(end)?;
        let s = self.at_or_before(start).or_else(|| self.oldest())?;
        if s.t >= e.t {
            return Some((0.0, 0.0));
        }
        Some((e.good - s.good, e.total - s.total))
    }

    /// Points retained, per tier `(coarse, mid, raw)`.
    pub fn tier_lens(&self) -> (usize, usize, usize) {
        (self.coarse.len(), self.mid.len(), self.raw.len())
    }

    /// Heap bytes held (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        (self.coarse.capacity() + self.mid.capacity() + self.raw.capacity())
            * std::mem::size_of::<Point>()
    }

    /// Counter resets seen so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Time (ms) of the last accepted sample.
    pub fn last_time(&self) -> Option<i64> {
        self.last.map(|(t, _, _)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * HOUR_MS;

    #[test]
    fn reset_counts_from_zero_like_increase() {
        let mut s = CounterSeries::new(30 * DAY);
        s.push(0, 100.0, 100.0);
        s.push(MINUTE_MS, 150.0, 160.0);
        s.push(2 * MINUTE_MS, 10.0, 20.0); // reset
        s.push(3 * MINUTE_MS, 30.0, 40.0);
        assert_eq!(
            s.increase(0, 3 * MINUTE_MS),
            Some((50.0 + 10.0 + 20.0, 60.0 + 20.0 + 20.0))
        );
        assert_eq!(s.resets(), 1);
    }

    #[test]
    fn ignores_duplicates_and_out_of_order() {
        let mut s = CounterSeries::new(30 * DAY);
        assert!(s.push(MINUTE_MS, 1.0, 1.0));
        assert!(!s.push(MINUTE_MS, 5.0, 5.0));
        assert!(!s.push(0, 5.0, 5.0));
        assert!(!s.push(2 * MINUTE_MS, f64::NAN, 5.0));
        assert_eq!(s.newest().unwrap().total, 0.0);
    }

    #[test]
    fn memory_is_bounded_and_aligned_lookups_are_exact() {
        let mut s = CounterSeries::new(28 * DAY);
        let n = 40 * 24 * 60; // 40 days of 1-minute samples
        for i in 1..=n {
            s.push(i * MINUTE_MS, i as f64, 2.0 * i as f64);
        }
        let (c, m, r) = s.tier_lens();
        assert!(
            r <= 371 && m <= 12 * 72 + 12 && c <= 24 * 28 + 2,
            "{c} {m} {r}"
        );
        let latest = n * MINUTE_MS;
        // Aligned window starts are exact in every tier.
        for w in [5 * MINUTE_MS, HOUR_MS, DAY, 3 * DAY, 28 * DAY] {
            let (g, t) = s.increase(latest - w, latest).unwrap();
            assert_eq!(g, (w / MINUTE_MS) as f64, "window {w}");
            assert_eq!(t, 2.0 * (w / MINUTE_MS) as f64);
        }
        // Unaligned starts are early by less than one bucket.
        let w = DAY + 2 * MINUTE_MS;
        let (g, _) = s.increase(latest - w, latest).unwrap();
        let exact = (w / MINUTE_MS) as f64;
        assert!(g >= exact && g < exact + 5.0, "{g}");
    }
}
