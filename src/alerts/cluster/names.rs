//! What a cluster is called on screen and in the journal: a [`ClusterName`] such as `C7f2a`,
//! the same in every cockpit that sees the same alerts, whatever order they arrived in.
//!
//! A cluster's [`ClusterId`] is this correlator's handle (it counts creations, so two
//! cockpits number one incident differently); its name is made from content:
//! - its **founder**: the smallest `(startsAt, fingerprint)` of the alerts that ever joined it
//!   (or one of the clusters merged into it). An alert that joins later with an earlier start
//!   renames the cluster (so that the name does not depend on arrival order); a member that
//!   leaves, or starts again later, does not;
//! - unless the journal already named the incident: a decision record (`cluster` and `source`,
//!   with `source_start`) names it when it is first acted on, and that name wins in every
//!   cockpit that reads the record — also in one that started late and never saw the founder.
//!   The earliest record (by journal sequence) wins when a cluster holds several.
//!
//! Names are 4 characters after the `C` (31⁴ ≈ 920,000 of them, with no `0`/`o`, `1`/`l`/`i`).
//! Two live clusters may hash to the same name: the better claim keeps it (a journal name
//! before a content name; the earlier record; then the smaller founder) and the other takes
//! its next candidate (the founder hashed again). A name freed (its cluster pruned, merged
//! away or renamed) goes back to the best claim that wants it, so that after a collision too
//! the names depend on the clusters alone, not on the order things happened in (a cluster
//! displaced by a collision may so be renamed once more: about one pair in a million collides).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::{ClusterId, IdMap, mix};
use super::{Correlator, ns};
use crate::alerts::model::Fingerprint;
use crate::time::Timestamp;

/// No `0`/`o`, `1`/`l`/`i`: read aloud or copied by hand, a name is what it looks like.
const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
const LEN: u32 = 4;
const SPACE: u32 = 31 * 31 * 31 * 31;

/// A cluster's name, shown as `C7f2a`: made from content (see the module docs), so another
/// cockpit on the same alerts and journal shows the same name.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterName(u32);

impl ClusterName {
    /// The `k`th candidate name of a cluster whose founder is `(start, fp)` (nanoseconds).
    fn of_content(start: i64, fp: u64, k: u32) -> ClusterName {
        let h = mix(mix(start as u64 ^ 0x6e61_6d65) ^ fp.rotate_left(17))
            .wrapping_add(u64::from(k).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        ClusterName((mix(h) % u64::from(SPACE)) as u32)
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [b'C'; 1 + LEN as usize];
        let mut n = self.0;
        for i in (1..=LEN as usize).rev() {
            out[i] = ALPHABET[(n % 31) as usize];
            n /= 31;
        }
        // ASCII by construction.
        f.pad(std::str::from_utf8(&out).unwrap_or("C????"))
    }
}

impl FromStr for ClusterName {
    type Err = String;

    /// `C7f2a` (as shown; names of other forms, like the `C3` of older records, are not one).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("not a cluster name: {s:?} (C and 4 of {ALPHABET:?})");
        let rest = s.strip_prefix('C').ok_or_else(bad)?;
        if rest.len() != LEN as usize {
            return Err(bad());
        }
        let mut n = 0u32;
        for b in rest.bytes() {
            let d = ALPHABET.iter().position(|&a| a == b).ok_or_else(bad)?;
            n = n * 31 + d as u32;
        }
        Ok(ClusterName(n))
    }
}

impl Serialize for ClusterName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClusterName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A name the journal gave an incident: the record's sequence number and the name.
type Pin = (u64, ClusterName);

/// What a live cluster claims, and the name it holds.
#[derive(Clone, Copy, Debug)]
struct Named {
    /// Smallest `(start ns, fingerprint)` that ever joined.
    founder: (i64, u64),
    pin: Option<Pin>,
    name: Option<ClusterName>,
}

impl Named {
    /// Who keeps a name two clusters want (smaller wins): a journal name, the earlier record,
    /// the smaller founder; the handle only when all that is equal.
    fn rank(&self, id: ClusterId) -> (u64, i64, u64, ClusterId) {
        (
            self.pin.map_or(u64::MAX, |p| p.0),
            self.founder.0,
            self.founder.1,
            id,
        )
    }

    fn candidate(&self, k: u32) -> ClusterName {
        match self.pin {
            Some((_, name)) if k == 0 => name,
            Some(_) => ClusterName::of_content(self.founder.0, self.founder.1, k - 1),
            None => ClusterName::of_content(self.founder.0, self.founder.1, k),
        }
    }
}

/// The names of the live clusters, and the journal's names of incidents.
#[derive(Default)]
pub(super) struct Naming {
    of: IdMap<ClusterId, Named>,
    /// Name → the live cluster holding it.
    held: IdMap<u32, ClusterId>,
    /// Fingerprint → the journal's names for incidents this alert was the source of, with the
    /// `startsAt` the record saw (`None`: any activation).
    pins: IdMap<Fingerprint, Vec<(Option<i64>, Pin)>>,
    /// Clusters whose name is not their first candidate (it was taken by a better claim): when
    /// a name is freed, these look again.
    displaced: std::collections::BTreeSet<ClusterId>,
    /// Clusters whose name changed, for the correlator to show.
    pub(super) renamed: Vec<ClusterId>,
}

impl Naming {
    pub(super) fn name(&self, id: ClusterId) -> Option<ClusterName> {
        self.of.get(&id).and_then(|n| n.name)
    }

    /// The claim cluster `id` holds its name by: its founder and journal name.
    #[cfg(test)]
    pub(super) fn claim(&self, id: ClusterId) -> Option<((i64, u64), Option<Pin>)> {
        self.of.get(&id).map(|n| (n.founder, n.pin))
    }

    /// The journal's earliest name for alert `fp` in one of the activations `starts`.
    fn pin_of(&self, fp: Fingerprint, starts: &[i64]) -> Option<Pin> {
        self.pins
            .get(&fp)?
            .iter()
            .filter(|(s, _)| s.is_none_or(|s| starts.contains(&s)))
            .map(|p| p.1)
            .min()
    }

    /// An alert whose claim is `(founder, pin)` joined cluster `id` (a new one, when it has no
    /// claim yet).
    fn join(&mut self, id: ClusterId, founder: (i64, u64), pin: Option<Pin>) {
        let n = self.of.entry(id).or_insert(Named {
            founder,
            pin: None,
            name: None,
        });
        let before = (n.founder, n.pin);
        n.founder = n.founder.min(founder);
        n.pin = min_pin(n.pin, pin);
        if n.name.is_none() || before != (n.founder, n.pin) {
            self.resolve(id);
        }
    }

    /// Cluster `id`'s claim, made again from its members.
    fn set(&mut self, id: ClusterId, founder: (i64, u64), pin: Option<Pin>) {
        let Some(n) = self.of.get_mut(&id) else {
            return self.join(id, founder, pin);
        };
        if (n.founder, n.pin) != (founder, pin) {
            (n.founder, n.pin) = (founder, pin);
            self.resolve(id);
        }
    }

    /// `small` merged into `big`: `big` claims what either did; `small`'s name is free.
    pub(super) fn absorb(&mut self, big: ClusterId, small: ClusterId) {
        let Some(s) = self.take(small) else {
            return;
        };
        if self.of.contains_key(&big) {
            self.join(big, s.founder, s.pin);
        }
    }

    /// Cluster `id` is gone: its name is free.
    pub(super) fn remove(&mut self, id: ClusterId) {
        self.take(id);
    }

    fn take(&mut self, id: ClusterId) -> Option<Named> {
        let n = self.of.remove(&id)?;
        self.displaced.remove(&id);
        if let Some(name) = n.name
            && self.held.get(&name.0) == Some(&id)
        {
            self.held.remove(&name.0);
            self.settle(Vec::new(), true);
        }
        Some(n)
    }

    /// The journal named the incident of alert `fp` (at `start`, when the record says) `name`
    /// in record `seq`.
    fn pin(&mut self, fp: Fingerprint, start: Option<i64>, seq: u64, name: ClusterName) {
        let pins = self.pins.entry(fp).or_default();
        if !pins.contains(&(start, (seq, name))) {
            pins.push((start, (seq, name)));
        }
    }

    /// Gives `id` the first of its candidate names that is free or held by a worse claim
    /// (which then looks again), and so on until everyone holds a name.
    fn resolve(&mut self, id: ClusterId) {
        self.settle(vec![id], false);
    }

    /// Resolves the clusters in `queue` (see [`Naming::resolve`]); once a name is freed
    /// (`freed`, or a cluster moved off one), the displaced clusters look again, until no name
    /// moves. Every cluster then holds the first of its candidates that no better claim holds,
    /// whatever order the clusters came and went in: names are made from content alone, also
    /// after a collision.
    fn settle(&mut self, mut queue: Vec<ClusterId>, mut freed: bool) {
        loop {
            freed |= self.resolve_queue(&mut queue);
            if !freed || self.displaced.is_empty() {
                return;
            }
            freed = false;
            queue.extend(self.displaced.iter().rev().copied());
        }
    }

    /// Resolves the clusters in `queue`; says whether a name was freed on the way.
    fn resolve_queue(&mut self, queue: &mut Vec<ClusterId>) -> bool {
        let mut freed = false;
        while let Some(id) = queue.pop() {
            let Some(me) = self.of.get(&id).copied() else {
                continue;
            };
            let rank = me.rank(id);
            let mut k = 0;
            let name = loop {
                let cand = me.candidate(k);
                match self.held.get(&cand.0).copied() {
                    None => break cand,
                    Some(h) if h == id => break cand,
                    Some(h) => {
                        let theirs = self.of.get(&h).map(|n| n.rank(h));
                        if theirs.is_none_or(|r| r > rank) {
                            // A worse claim (or a stale entry) gives way.
                            if let Some(n) = self.of.get_mut(&h) {
                                n.name = None;
                                queue.push(h);
                            }
                            break cand;
                        }
                    }
                }
                k += 1;
            };
            if let Some(old) = me.name
                && old != name
                && self.held.get(&old.0) == Some(&id)
            {
                self.held.remove(&old.0);
                freed = true;
            }
            self.held.insert(name.0, id);
            if let Some(n) = self.of.get_mut(&id) {
                n.name = Some(name);
            }
            if name == me.candidate(0) {
                self.displaced.remove(&id);
            } else {
                self.displaced.insert(id);
            }
            if me.name != Some(name) {
                self.renamed.push(id);
            }
        }
        freed
    }
}

impl Correlator {
    /// What alert `slot` claims for its cluster's name: its earliest activation in this
    /// incident (its `startsAt` stays the same when it fires again within the incident), and
    /// the journal's name for it.
    pub(super) fn member_claim(&self, slot: u32) -> ((i64, u64), Option<Pin>) {
        let t = &self.tracked[slot as usize];
        let start = ns(t.alert.starts_at);
        let starts = &self.inner[slot as usize].starts;
        let first = starts.iter().copied().min().map_or(start, |s| s.min(start));
        let pin = self.naming.pins.get(&t.fingerprint).and_then(|_| {
            let mut all: Vec<i64> = starts.to_vec();
            all.push(start);
            self.naming.pin_of(t.fingerprint, &all)
        });
        ((first, t.fingerprint.0), pin)
    }

    /// Alert `slot` joined cluster `id` (or founded it).
    pub(super) fn name_joined(&mut self, id: ClusterId, slot: u32) {
        let (founder, pin) = self.member_claim(slot);
        self.naming.join(id, founder, pin);
    }

    /// Cluster `id`'s claim made again from its members (a member left, or started afresh).
    pub(super) fn name_again(&mut self, id: ClusterId) {
        let claims: Vec<_> = self
            .aggs
            .live(id)
            .slots
            .iter()
            .map(|&s| self.member_claim(s))
            .collect();
        let Some(founder) = claims.iter().map(|c| c.0).min() else {
            return;
        };
        let pin = claims.iter().filter_map(|c| c.1).min();
        self.naming.set(id, founder, pin);
        self.apply_names();
    }

    /// The journal's record `seq` named the incident of alert `fp` (with `startsAt` `start`,
    /// when the record says) `name`: that name wins for the cluster holding that activation of
    /// the alert, now or when it arrives (see [`ClusterName`]).
    pub fn name_incident(
        &mut self,
        fp: Fingerprint,
        start: Option<Timestamp>,
        seq: u64,
        name: ClusterName,
    ) {
        self.naming.pin(fp, start.map(ns), seq, name);
        if let Some(id) = self.alert(fp).map(|t| t.cluster)
            && self.aggs.get(id).is_some()
        {
            self.name_again(id);
        }
    }

    /// Shows the names `naming` changed.
    pub(super) fn apply_names(&mut self) {
        let renamed = std::mem::take(&mut self.naming.renamed);
        for &id in &renamed {
            if self.aggs.get(id).is_none() {
                continue;
            }
            if let Some(name) = self.naming.name(id)
                && let Some(c) = self.cluster_mut(id)
            {
                c.name = name;
            }
        }
        self.naming.renamed = renamed;
        self.naming.renamed.clear();
    }
}

fn min_pin(a: Option<Pin>, b: Option<Pin>) -> Option<Pin> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Clusters `(id, founder, pin)` joined in `order`, then those in `gone` removed: each
    /// live cluster must hold the first candidate that no better claim holds (taking claims
    /// best first), however they came and went.
    fn check_serial(claims: &[((i64, u64), Option<Pin>)], order: &[usize], gone: &[bool]) {
        let mut n = Naming::default();
        for &i in order {
            n.join(ClusterId(i as u32), claims[i].0, claims[i].1);
        }
        for &i in order {
            if gone[i] {
                n.remove(ClusterId(i as u32));
            }
        }
        let mut live: Vec<(ClusterId, Named)> = (0..claims.len())
            .filter(|&i| !gone[i])
            .map(|i| {
                let (founder, pin) = claims[i];
                let named = Named {
                    founder,
                    pin,
                    name: None,
                };
                (ClusterId(i as u32), named)
            })
            .collect();
        live.sort_by_key(|(id, c)| c.rank(*id));
        let mut taken = std::collections::BTreeSet::new();
        for (id, c) in live {
            let want = (0..)
                .map(|k| c.candidate(k))
                .find(|x| !taken.contains(x))
                .unwrap();
            taken.insert(want);
            assert_eq!(n.name(id), Some(want), "{id:?}");
        }
    }

    proptest! {
        #[test]
        fn names_depend_on_the_claims_alone(
            claims in prop::collection::vec(
                ((0i64..3, 0u64..3), prop::option::of((0u64..4, 0u32..3))), 1..8),
            seed in any::<u64>(),
            gone in prop::collection::vec(any::<bool>(), 8),
        ) {
            // Journal names from a pool of three: collisions are common.
            let pool: [ClusterName; 3] =
                ["C2345", "C6789", "Cabcd"].map(|s| s.parse().unwrap());
            let claims: Vec<_> = claims
                .into_iter()
                .map(|(f, p)| (f, p.map(|(seq, k)| (seq, pool[k as usize]))))
                .collect();
            let mut order: Vec<usize> = (0..claims.len()).collect();
            let mut x = seed;
            for i in (1..order.len()).rev() {
                x = mix(x.wrapping_add(i as u64));
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }
            check_serial(&claims, &order, &gone);
        }
    }

    #[test]
    fn names_read_back_and_avoid_ambiguous_characters() {
        for k in 0..2000 {
            let n = ClusterName::of_content(k * 1_000_000_007, 0xdead_beef ^ k as u64, 0);
            let s = n.to_string();
            assert_eq!(s.len(), 5, "{s}");
            assert!(!s[1..].contains(['0', 'o', '1', 'l', 'i']), "{s}");
            assert_eq!(s.parse::<ClusterName>(), Ok(n));
        }
        assert!("C3".parse::<ClusterName>().is_err());
        assert!("C0abc".parse::<ClusterName>().is_err());
        assert_eq!(
            format!("{:<7}|", "C2345".parse::<ClusterName>().unwrap()),
            "C2345  |"
        );
    }

    #[test]
    fn a_collision_goes_to_the_better_claim_whatever_the_order() {
        // Force two founders onto one first candidate by pinning both to one name.
        let name: ClusterName = "C7f2a".parse().unwrap();
        let (a, b) = (ClusterId(1), ClusterId(2));
        for order in [[a, b], [b, a]] {
            let mut n = Naming::default();
            n.pin(Fingerprint(10), None, 5, name);
            n.pin(Fingerprint(20), None, 3, name);
            for id in order {
                let fp = if id == a { 10 } else { 20 };
                let pin = n.pin_of(Fingerprint(fp), &[100]);
                n.join(id, (100, fp), pin);
            }
            assert_eq!(n.name(b), Some(name), "the earlier record wins");
            assert_ne!(n.name(a), Some(name));
            assert_eq!(n.name(a), Some(ClusterName::of_content(100, 10, 0)));
        }
    }
}
