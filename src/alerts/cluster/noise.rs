//! Noise marks: each alert's flapping / chronic / never-acted-on marks, each cluster's highest,
//! what each alertname did, and the stale candidates.

use super::Correlator;
use super::aggregates::Dirty;
use super::ids::ClusterId;
use super::ns;
use super::outputs::{StaleCandidate, state_index};
use crate::alerts::model::{AlertState, Fingerprint};
use crate::alerts::noise::{ACTION_HISTORY, DAY, NameHistory, NoiseMark};
use crate::alerts::text;
use crate::time::Timestamp;

/// The highest noise marks among some alerts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct NoiseMax {
    pub(super) flap: Option<f64>,
    pub(super) chronic: Option<f64>,
    pub(super) never: Option<u32>,
}

impl NoiseMax {
    pub(super) fn fold(&mut self, marks: &[NoiseMark]) {
        for m in marks {
            match *m {
                NoiseMark::Flapping {
                    transitions_per_hour: r,
                } => self.flap = Some(self.flap.map_or(r, |f| f.max(r))),
                NoiseMark::Chronic { firing_share: s } => {
                    self.chronic = Some(self.chronic.map_or(s, |c| c.max(s)))
                }
                NoiseMark::NeverActedOn { firings: n } => {
                    self.never = Some(self.never.map_or(n, |x| x.max(n)))
                }
                NoiseMark::Suppressed => {}
            }
        }
    }

    pub(super) fn merge(&mut self, other: &NoiseMax) {
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        self.flap = max(self.flap, other.flap);
        self.chronic = max(self.chronic, other.chronic);
        self.never = self.never.max(other.never);
    }

    pub(super) fn marks(&self) -> Vec<NoiseMark> {
        let mut out = Vec::new();
        if let Some(r) = self.flap {
            out.push(NoiseMark::Flapping {
                transitions_per_hour: r,
            });
        }
        if let Some(s) = self.chronic {
            out.push(NoiseMark::Chronic { firing_share: s });
        }
        if let Some(n) = self.never {
            out.push(NoiseMark::NeverActedOn { firings: n });
        }
        out
    }
}

/// Does an alert with these marks count as noise (suppressed alone does not)?
pub(super) fn is_noisy(marks: &[NoiseMark]) -> bool {
    marks.iter().any(|m| !matches!(m, NoiseMark::Suppressed))
}

/// What the correlator remembers of one alertname, beyond its alerts.
#[derive(Default)]
pub(super) struct NameStats {
    pub(super) name: String,
    pub(super) history: NameHistory,
    /// The "never acted on" mark as of the last `refresh_noise`: what its alerts carry.
    pub(super) published: Option<NoiseMark>,
    /// Tracked alerts of this name.
    pub(super) tracked: u32,
    /// The alert of this name first seen last among those pruned (fingerprint, service, when):
    /// a stale candidate once all its alerts are pruned.
    pub(super) last: Option<(Fingerprint, Option<String>, Timestamp)>,
}

impl NameStats {
    /// Marked, with no alert of it tracked: a stale candidate of its own.
    pub(super) fn name_only(&self) -> bool {
        self.published.is_some() && self.tracked == 0
    }
}

impl Correlator {
    /// Re-evaluates the time-based noise marks (flapping decays, chronic grows, firing
    /// episodes and actions age out of the week) at `now`. Call it now and then (e.g. once a
    /// minute). Incremental: each alert's marks are looked at again only when they may have
    /// changed since they were made (its wake time, see `History::next_change`) or its
    /// alertname's "never acted on" mark changed; the work is O(alertnames + alerts due + log)
    /// — the same marks as looking at every alert ([`Correlator::refresh_noise_full`]).
    /// "Never acted on" marks change only here and in [`Correlator::note_action`], so between
    /// two calls all alerts of a name agree.
    pub fn refresh_noise(&mut self, now: Timestamp) {
        let now = ns(now);
        let changed = self.refresh_names(now);
        for slot in 0..self.tracked.len() as u32 {
            // An alert whose cluster is gone (a bookkeeping slip) is put back and looked at
            // again: the check is one lookup, so the sweep stays cheap.
            let lost = self.aggs.get(self.tracked[slot as usize].cluster).is_none();
            if lost || changed.contains(&self.inner[slot as usize].name) {
                self.update_noise(slot, now);
            }
        }
        while let Some(&std::cmp::Reverse((t, fp))) = self.wakes.peek() {
            if t > now {
                break;
            }
            self.wakes.pop();
            let Some(&slot) = self.by_fp.get(&fp) else {
                continue;
            };
            if self.inner[slot as usize].wake != t {
                continue;
            }
            self.inner[slot as usize].wake = i64::MAX;
            self.update_noise(slot, now);
        }
        // Stale entries (an alert re-scheduled, or pruned) leave when their time comes; if
        // they pile up faster, start afresh from the alerts' own wake times.
        if self.wakes.len() > 2 * self.tracked.len() + 4096 {
            self.wakes = self
                .inner
                .iter()
                .zip(&self.tracked)
                .filter(|(i, _)| i.wake != i64::MAX)
                .map(|(i, t)| std::cmp::Reverse((i.wake, t.fingerprint)))
                .collect();
        }
        self.settle();
    }

    /// [`Correlator::refresh_noise`] by looking at every alert: O(alerts). The reference the
    /// incremental refresh is tested against.
    #[doc(hidden)]
    pub fn refresh_noise_full(&mut self, now: Timestamp) {
        let now = ns(now);
        self.refresh_names(now);
        for slot in 0..self.tracked.len() as u32 {
            self.update_noise(slot, now);
        }
        self.settle();
    }

    /// Ages each alertname's history to `now` and makes its "never acted on" mark; returns
    /// the names whose mark changed.
    fn refresh_names(&mut self, now: i64) -> Vec<u64> {
        let min = self.cfg.never_acted_firings;
        let mut changed = Vec::new();
        self.names.retain(|&key, n| {
            let forgotten = n.history.forget_before(now);
            let mark = n.history.mark(now, min);
            if mark != n.published {
                changed.push(key);
                n.published = mark;
            }
            !(forgotten && n.tracked == 0)
        });
        changed
    }

    /// Somebody acted on an alert named `alertname` at `at`: approved, rejected or executed a
    /// step, or wrote a hypothesis about its cluster. An alertname acted on within the last 7
    /// days is not "never acted on"; its alerts lose the mark at once. The cockpit calls this for
    /// every alertname of the cluster the decision was about (it reads the journal; this does
    /// not).
    pub fn note_action(&mut self, alertname: &str, at: Timestamp) {
        let key = text::hash_str(alertname);
        let at = ns(at);
        let n = self.names.entry(key).or_insert_with(|| NameStats {
            name: alertname.to_string(),
            ..NameStats::default()
        });
        n.history.acted(at);
        if n.published.take().is_some() {
            for slot in 0..self.tracked.len() as u32 {
                if self.inner[slot as usize].name == key {
                    self.update_noise(slot, at);
                }
            }
            self.settle();
        }
    }

    /// How many entries [`Correlator::stale_candidates`] would list, without making them: cheap
    /// (a counter and one pass over the alertnames), fine to call every frame.
    pub fn stale_candidate_count(&self) -> usize {
        self.noisy_alerts + self.names.values().filter(|n| n.name_only()).count()
    }

    /// Flapping, chronic or never-acted-on alerts, noisiest first: candidates to fix or retire.
    /// An alertname marked "never acted on" whose alerts were all pruned is listed once, with
    /// the last alert of that name seen.
    pub fn stale_candidates(&self) -> Vec<StaleCandidate> {
        let score = |n: &[NoiseMark]| {
            n.iter()
                .map(|m| match m {
                    NoiseMark::Flapping {
                        transitions_per_hour,
                    } => *transitions_per_hour,
                    NoiseMark::Chronic { firing_share } => 2.0 * firing_share,
                    // Episodes a day.
                    NoiseMark::NeverActedOn { firings } => {
                        f64::from(*firings) * (DAY as f64 / ACTION_HISTORY as f64)
                    }
                    NoiseMark::Suppressed => 0.0,
                })
                .sum::<f64>()
        };
        let mut out: Vec<(f64, StaleCandidate)> = self
            .tracked
            .iter()
            .filter(|t| is_noisy(&t.noise))
            .map(|t| {
                let marks: Vec<String> = t.noise.iter().map(ToString::to_string).collect();
                let evidence = format!(
                    "{}; {} transitions since {}",
                    marks.join(", "),
                    t.transitions,
                    crate::time::clock_hms(t.first_seen)
                );
                (
                    score(&t.noise),
                    StaleCandidate {
                        fingerprint: t.fingerprint,
                        alertname: t.alert.name().to_string(),
                        service: t.alert.service().map(str::to_string),
                        noise: t.noise.clone(),
                        transitions: t.transitions,
                        first_seen: t.first_seen,
                        evidence,
                    },
                )
            })
            .collect();
        for n in self.names.values().filter(|n| n.name_only()) {
            let (Some(m), Some((fp, service, first_seen))) = (&n.published, &n.last) else {
                continue;
            };
            let noise = vec![m.clone()];
            out.push((
                score(&noise),
                StaleCandidate {
                    fingerprint: *fp,
                    alertname: n.name.clone(),
                    service: service.clone(),
                    evidence: format!(
                        "{m}; no alert of it tracked now (last {fp}, first seen {})",
                        crate::time::clock_hms(*first_seen)
                    ),
                    noise,
                    transitions: 0,
                    first_seen: *first_seen,
                },
            ));
        }
        out.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.fingerprint.cmp(&b.1.fingerprint))
        });
        out.into_iter().map(|(_, c)| c).collect()
    }

    /// Is the alert's cluster an active incident apart from the alert itself: another member
    /// firing, and more than one alertname in it? Its transitions then are symptoms of the
    /// incident, not evidence of noise (see `noise`). A group of alerts of one name flapping
    /// together (three node disks) is not an incident: their flips still count. O(1).
    pub(super) fn in_incident(&self, slot: u32) -> bool {
        let s = slot as usize;
        let agg = self.agg(self.tracked[s].cluster);
        let firing: u32 = agg.sev[state_index(AlertState::Firing)].iter().sum();
        let own = u32::from(self.tracked[s].alert.state == AlertState::Firing);
        firing > own && agg.alertnames.len() > 1
    }

    pub(super) fn update_noise(&mut self, slot: u32, now: i64) {
        self.rehome(slot);
        let s = slot as usize;
        let suppressed = self.tracked[s].alert.state == AlertState::Suppressed;
        let mut marks = self.inner[s].history.marks(
            now,
            suppressed,
            self.cfg.flap_transitions,
            self.cfg.chronic_share,
        );
        if let Some(m) = self
            .names
            .get(&self.inner[s].name)
            .and_then(|n| n.published.clone())
        {
            // Before `Suppressed`, which comes last.
            let at = marks.len() - usize::from(suppressed);
            marks.insert(at, m);
        }
        let wake = self.inner[s]
            .history
            .next_change(now, self.cfg.flap_transitions, self.cfg.chronic_share)
            .unwrap_or(i64::MAX);
        if wake != self.inner[s].wake {
            self.inner[s].wake = wake;
            if wake != i64::MAX {
                let fp = self.tracked[s].fingerprint;
                self.wakes.push(std::cmp::Reverse((wake, fp)));
            }
        }
        if marks != self.tracked[s].noise {
            let id = self.tracked[s].cluster;
            let was_noisy = is_noisy(&self.tracked[s].noise);
            let noisy = is_noisy(&marks);
            self.noisy_alerts = self.noisy_alerts + usize::from(noisy) - usize::from(was_noisy);
            let agg = self.aggs.live_mut(id);
            if noisy {
                agg.noisy.insert(slot);
            } else {
                agg.noisy.remove(&slot);
            }
            if was_noisy {
                // Its marks may have been the highest: look again.
                agg.dirty.mark(Dirty::NOISE_SCAN);
            } else {
                agg.noise_max.fold(&marks);
            }
            agg.dirty.mark(Dirty::NOISE);
            self.tracked[s].noise = marks;
            self.touched.push(id);
        }
    }

    /// Flapping / chronic / never acted on at the highest of any member; suppressed when all
    /// members are. `max` replaces the stored highest marks when they had to be found again.
    pub(super) fn compute_noise(&self, id: ClusterId, max: Option<NoiseMax>) -> Vec<NoiseMark> {
        let agg = self.agg(id);
        let mut out = max.unwrap_or(agg.noise_max).marks();
        let suppressed: u32 = agg.sev[2].iter().sum();
        if suppressed as usize == agg.slots.len() {
            out.push(NoiseMark::Suppressed);
        }
        out
    }

    /// The highest marks of a cluster's noisy members, by looking at each.
    pub(super) fn scan_noise(&self, id: ClusterId) -> NoiseMax {
        let mut max = NoiseMax::default();
        for &slot in &self.agg(id).noisy {
            max.fold(&self.tracked[slot as usize].noise);
        }
        max
    }
}
