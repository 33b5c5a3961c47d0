//! Why alerts are together: the reason of each neighbouring pair, counted per cluster, and the
//! list a cluster shows.

use std::sync::Arc;

use super::Correlator;
use super::aggregates::{Agg, Dirty};
use super::ids::{ClusterId, mix};
use super::keys::Kind;
use crate::alerts::text;

/// (order, text) of a reason: 0 grouping labels, 1 shared label, 2 same service, 5 text.
pub(super) type ReasonKey = (u8, Arc<str>);

/// The id of a reason: its order and the `text::hash_str` of its text.
pub(super) fn reason_id(order: u8, text_hash: u64) -> u64 {
    mix(text_hash ^ (u64::from(order) << 56) ^ 0x7265_6173)
}

/// At most this many reasons are listed per cluster (then "and N more").
pub const MAX_REASONS: usize = 24;

impl Correlator {
    /// Why two neighbouring alerts are linked; `None` when a stronger reason covers the pair.
    /// `key` is the list both are neighbours in.
    pub(super) fn pair_reason(&mut self, a: u32, b: u32, kind: Kind, key: u64) -> Option<u64> {
        if a == b {
            return None;
        }
        let (ia, ib) = (&self.inner[a as usize], &self.inner[b as usize]);
        let same_group = ia.group.is_some() && ia.group == ib.group;
        if same_group && kind != Kind::Group {
            return None;
        }
        let alert_a = &self.tracked[a as usize].alert;
        let order = match kind {
            Kind::Group => 0,
            Kind::Label(_) => 1,
            Kind::Service => 2,
            Kind::Text(_) => 5,
        };
        if !matches!(kind, Kind::Text(_)) {
            // The text depends on the list only: made once.
            if let Some(&id) = self.reason_texts.get(&key) {
                return Some(id);
            }
            let text = match kind {
                Kind::Label(n) => {
                    let l = &self.cfg.link_by[n as usize];
                    format!("same {l}: {}", alert_a.label(l).unwrap_or(""))
                }
                Kind::Service => {
                    format!("same service: {}", self.topo.names[ia.topo? as usize])
                }
                _ => self.group_desc(alert_a),
            };
            let id = self.intern_reason(order, text);
            self.reason_texts.insert(key, id);
            return Some(id);
        }
        match kind {
            Kind::Group | Kind::Label(_) | Kind::Service => None,
            Kind::Text(band) => {
                let topo_linked = match (ia.topo, ib.topo) {
                    (Some(x), Some(y)) => self.topo.linked(x, y),
                    _ => false,
                };
                if same_group || topo_linked {
                    return None;
                }
                let (ta, tb) = (ia.text.as_ref()?, ib.text.as_ref()?);
                // A pair sharing several bands is explained once: in the first band it shares.
                let first_shared = ta.bands.iter().zip(&tb.bands).position(|(x, y)| x == y);
                if first_shared != Some(band as usize) {
                    return None;
                }
                let fa = self.tracked[a as usize].fingerprint;
                let fb = self.tracked[b as usize].fingerprint;
                let (first, second) = if fa <= fb { (ta, tb) } else { (tb, ta) };
                // The text depends on the two word lists only: made once per pair of texts.
                let pair = mix(first.hash ^ mix(second.hash ^ 0x7061_6972));
                if let Some(&id) = self.pair_texts.get(&pair) {
                    return Some(id);
                }
                // "similar text: " and up to 4 shared words: the id of that text, made without
                // the text (most pairs of texts share the same words).
                const PREFIX: &str = "similar text: ";
                let mut shared = [""; 4];
                let mut n = 0;
                for (w, h) in first.words.iter().zip(&first.word_hashes) {
                    let mut both = second.word_hashes.iter().zip(&second.words);
                    if both.any(|(x, v)| x == h && v == w) {
                        shared[n] = w.as_str();
                        n += 1;
                        if n == shared.len() {
                            break;
                        }
                    }
                }
                let shared = &shared[..n];
                let mut fnv = text::Fnv::default();
                fnv.write(PREFIX);
                for (i, w) in shared.iter().enumerate() {
                    if i > 0 {
                        fnv.write(" ");
                    }
                    fnv.write(w);
                }
                let id = reason_id(5, fnv.finish());
                self.reason_by_id.entry(id).or_insert_with(|| {
                    let text = format!("{PREFIX}{}", shared.join(" "));
                    debug_assert_eq!(id, reason_id(5, text::hash_str(&text)));
                    (5, text.into())
                });
                self.pair_texts.insert(pair, id);
                Some(id)
            }
        }
    }

    pub(super) fn reason_add(&mut self, id: ClusterId, r: u64) {
        let agg = self.aggs.live_mut(id);
        let n = agg.reason_counts.entry(r).or_default();
        *n += 1;
        if *n == 1 {
            // (A counted id always has its text: `forget_caches` keeps those.)
            if let Some(key) = self.reason_by_id.get(&r) {
                agg.reasons.insert(key.clone());
            }
            agg.dirty.mark(Dirty::REASONS);
            self.touched.push(id);
        }
    }

    pub(super) fn reason_remove(&mut self, id: ClusterId, r: u64) {
        let agg = self.aggs.live_mut(id);
        if let Some(n) = agg.reason_counts.get_mut(&r) {
            *n -= 1;
            if *n == 0 {
                agg.reason_counts.remove(&r);
                if let Some(key) = self.reason_by_id.get(&r) {
                    agg.reasons.remove(key);
                }
                agg.dirty.mark(Dirty::REASONS);
                self.touched.push(id);
            }
        }
    }

    /// The id of a reason text, made once per distinct (order, text).
    pub(super) fn intern_reason(&mut self, order: u8, text: String) -> u64 {
        let id = reason_id(order, text::hash_str(&text));
        self.reason_by_id
            .entry(id)
            .or_insert_with(|| (order, text.into()));
        id
    }

    /// The alerting topology services of a cluster (its driving members'), ascending and as
    /// bit words.
    pub(super) fn alerting_services(&self, agg: &Agg) -> (Vec<u32>, Vec<u64>) {
        let mut set = vec![0u64; self.topo.words()];
        let svcs: Vec<u32> = agg.topo_first.keys().copied().collect();
        for &s in &svcs {
            set[s as usize / 64] |= 1 << (s % 64);
        }
        self.topo.count(svcs.len() + set.len());
        (svcs, set)
    }

    /// Reasons in a fixed order: grouping labels, shared labels, same service, direct
    /// dependencies (and cycles), indirect ones (unless the service in between alerts too: then
    /// the direct ones along the path say it), similar text. At most [`MAX_REASONS`], then "and
    /// N more". Topology reasons come from the cluster's alerting services (see
    /// `topology::Topology::pairs`); texts are made only for those shown.
    pub(super) fn compute_reasons(&self, agg: &Agg) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let room = |out: &Vec<String>| out.len() < MAX_REASONS;
        for (_, text) in agg.reasons.iter().take_while(|k| k.0 < 3) {
            if !room(&out) {
                break;
            }
            out.push(text.to_string());
        }
        let mut topo = 0;
        if agg.topo_first.len() > 1 {
            let (svcs, set) = self.alerting_services(agg);
            let first = |s: u32| agg.topo_first.get(&s).copied().unwrap_or_default();
            let pairs = self.topo.pairs(&svcs, &set, first);
            let names = &self.topo.names;
            for mut list in [pairs.direct, pairs.indirect] {
                topo += list.len();
                // By text: only the first `shown` are sorted, and only they become texts.
                let shown = (MAX_REASONS - out.len().min(MAX_REASONS)).min(list.len());
                if shown == 0 {
                    continue;
                }
                if shown < list.len() {
                    list.select_nth_unstable_by(shown - 1, |a, b| a.cmp_text(b, names));
                }
                self.topo.count(list.len());
                let head = &mut list[..shown];
                head.sort_by(|a, b| a.cmp_text(b, names));
                out.extend(head.iter().map(|r| r.text(names)));
            }
        }
        for (_, text) in agg.reasons.iter().skip_while(|k| k.0 < 3) {
            if !room(&out) {
                break;
            }
            out.push(text.to_string());
        }
        let total = agg.reasons.len() + topo;
        if total > out.len() {
            out.push(format!("and {} more", total - out.len()));
        }
        out
    }
}
