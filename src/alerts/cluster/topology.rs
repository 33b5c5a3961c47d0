//! The service topology: which services depend on which (transitively), and the topology
//! reasons among a cluster's alerting services.
//!
//! Near-linear in the size of the map: reachability is a bit set a strongly connected
//! component (computed once, in reverse topological order of the components, so a chain of
//! 3,000 services is a few megabytes and milliseconds).
//!
//! # Reasons
//! The topology reasons of a cluster are made from the set of its alerting services (`S`), never
//! pair by pair as alerts arrive: for every two services of `S` one of which depends on the
//! other, "a depends on b" (a direct dependency), "a and b depend on each other" (one cycle;
//! the service that alerted later named first), or "a depends on b (via h)" (indirect; `h` the
//! service before `b` on a shortest path from `a`, breadth first in map order), shown only when
//! `h` does not alert itself (the direct reasons along the path then say it). [`Topology::pairs`]
//! finds them in time linear in `S` and its edges (plus a bit-set scan per non-alerting direct
//! dependent of an alerting service, and the pairs of alerting services of one cycle), so a
//! chain of 3,000 alerting services costs its 2,999 links, not 4.5 million pairs; texts are
//! made only for the reasons shown ([`TopoReason::text`]).

use std::collections::{BTreeMap, HashMap};

pub(super) struct Topology {
    pub(super) names: Vec<String>,
    pub(super) index: HashMap<String, u32>,
    /// Direct dependencies of each service, in the order the map gives them (each once).
    direct: Vec<Vec<u32>>,
    /// Direct dependents of each service (each once).
    rev: Vec<Vec<u32>>,
    /// Component of each service.
    comp: Vec<u32>,
    /// Members of each component.
    comp_size: Vec<u32>,
    /// Bit words a row.
    words: usize,
    /// down[comp(a)]: the services a depends on, transitively (a itself only in a cycle).
    down: Vec<u64>,
    /// up[comp(a)]: the services that depend on a, transitively.
    up: Vec<u64>,
    /// Steps the reason model and the origin took (candidates looked at, bit words scanned,
    /// services visited breadth first): the work test bounds them.
    #[cfg(test)]
    pub(super) ops: std::sync::atomic::AtomicU64,
}

/// A topology reason between two alerting services of a cluster, its text made only when shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TopoReason {
    /// `a` depends on `b` directly.
    Direct(u32, u32),
    /// `a` and `b` are in one cycle (`a` alerted later).
    Mutual(u32, u32),
    /// `a` depends on `b` through `h` (the service before `b`), which does not alert.
    Via(u32, u32, u32),
}

impl TopoReason {
    /// The pieces of the text, in order (compared without being joined).
    fn pieces<'a>(&self, names: &'a [String]) -> [&'a str; 5] {
        let n = |i: u32| names[i as usize].as_str();
        match *self {
            TopoReason::Direct(a, b) => [n(a), " depends on ", n(b), "", ""],
            TopoReason::Mutual(a, b) => [n(a), " and ", n(b), " depend on each other", ""],
            TopoReason::Via(a, b, h) => [n(a), " depends on ", n(b), " (via ", n(h)],
        }
    }

    pub(super) fn text(&self, names: &[String]) -> String {
        let mut s = self.pieces(names).concat();
        if matches!(self, TopoReason::Via(..)) {
            s.push(')');
        }
        s
    }

    /// Orders two reasons as their texts would sort, without making them.
    pub(super) fn cmp_text(&self, other: &TopoReason, names: &[String]) -> std::cmp::Ordering {
        let bytes = |r: &TopoReason| {
            let close: &[u8] = if matches!(r, TopoReason::Via(..)) {
                b")"
            } else {
                b""
            };
            r.pieces(names)
                .into_iter()
                .flat_map(str::bytes)
                .chain(close.iter().copied())
        };
        bytes(self).cmp(bytes(other))
    }
}

/// The topology reasons among a set of alerting services (see [`Topology::pairs`]).
#[derive(Default, Debug)]
pub(super) struct Pairs {
    /// Direct dependencies and cycles.
    pub(super) direct: Vec<TopoReason>,
    /// Indirect dependencies through a service that does not alert.
    pub(super) indirect: Vec<TopoReason>,
}

/// Strongly connected components (Tarjan, iterative), in reverse topological order: a
/// component comes after every component it reaches.
fn components(direct: &[Vec<u32>]) -> (Vec<u32>, Vec<Vec<u32>>) {
    let n = direct.len();
    const NONE: u32 = u32::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut comp = vec![NONE; n];
    let mut comps: Vec<Vec<u32>> = Vec::new();
    let mut next = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        // (node, next edge to look at)
        let mut call: Vec<(u32, usize)> = vec![(root, 0)];
        index[root as usize] = next;
        low[root as usize] = next;
        next += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut edge)) = call.last_mut() {
            let vs = v as usize;
            if let Some(&w) = direct[vs].get(*edge) {
                *edge += 1;
                let ws = w as usize;
                if index[ws] == NONE {
                    index[ws] = next;
                    low[ws] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[ws] = true;
                    call.push((w, 0));
                } else if on_stack[ws] {
                    low[vs] = low[vs].min(index[ws]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                let p = parent as usize;
                low[p] = low[p].min(low[vs]);
            }
            if low[vs] == index[vs] {
                let id = comps.len() as u32;
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = id;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                comps.push(members);
            }
        }
    }
    (comp, comps)
}

fn set(row: &mut [u64], i: u32) {
    row[i as usize / 64] |= 1 << (i % 64);
}

fn has(row: &[u64], i: u32) -> bool {
    row[i as usize / 64] & (1 << (i % 64)) != 0
}

/// Reachability rows by component over `edges` (a → its successors), components given in
/// reverse topological order of those edges.
fn reach(
    comp: &[u32],
    comps: &[Vec<u32>],
    succ: &[Vec<u32>],
    words: usize,
    order: impl Iterator<Item = usize>,
) -> Vec<u64> {
    let mut rows = vec![0u64; comps.len() * words];
    for c in order {
        let mut row = vec![0u64; words];
        if comps[c].len() > 1 {
            for &m in &comps[c] {
                set(&mut row, m);
            }
        }
        for &m in &comps[c] {
            for &w in &succ[m as usize] {
                let d = comp[w as usize] as usize;
                if d == c {
                    continue;
                }
                set(&mut row, w);
                for (x, y) in row.iter_mut().zip(&rows[d * words..(d + 1) * words]) {
                    *x |= *y;
                }
            }
        }
        rows[c * words..(c + 1) * words].copy_from_slice(&row);
    }
    rows
}

impl Topology {
    pub(super) fn new(map: &BTreeMap<String, Vec<String>>) -> Topology {
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut id = |s: &str, names: &mut Vec<String>| -> u32 {
            if let Some(&i) = index.get(s) {
                return i;
            }
            names.push(s.to_string());
            let i = (names.len() - 1) as u32;
            index.insert(s.to_string(), i);
            i
        };
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for (svc, deps) in map {
            let a = id(svc, &mut names);
            for d in deps {
                let b = id(d, &mut names);
                if a != b {
                    edges.push((a, b));
                }
            }
        }
        let n = names.len();
        let mut direct = vec![Vec::new(); n];
        let mut rev = vec![Vec::new(); n];
        for &(a, b) in &edges {
            // A dependency listed twice is one edge (breadth first finds the same parents).
            if !direct[a as usize].contains(&b) {
                direct[a as usize].push(b);
                rev[b as usize].push(a);
            }
        }
        let (comp, comps) = components(&direct);
        let words = n.div_ceil(64).max(1);
        // Tarjan emits a component after those it reaches: that order builds `down`; the
        // reverse builds `up` (over the reversed edges).
        let down = reach(&comp, &comps, &direct, words, 0..comps.len());
        let up = reach(&comp, &comps, &rev, words, (0..comps.len()).rev());
        let index = names
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        let comp_size = comps.iter().map(|c| c.len() as u32).collect();
        Topology {
            names,
            index,
            direct,
            rev,
            comp,
            comp_size,
            words,
            down,
            up,
            #[cfg(test)]
            ops: Default::default(),
        }
    }

    fn row<'a>(&self, rows: &'a [u64], a: u32) -> &'a [u64] {
        let c = self.comp[a as usize] as usize;
        &rows[c * self.words..(c + 1) * self.words]
    }

    /// `a` depends on `b`, transitively (never on itself).
    pub(super) fn depends(&self, a: u32, b: u32) -> bool {
        a != b && has(self.row(&self.down, a), b)
    }

    pub(super) fn linked(&self, a: u32, b: u32) -> bool {
        a == b || self.depends(a, b) || self.depends(b, a)
    }

    /// The services `a` depends on or that depend on `a`, ascending.
    pub(super) fn related(&self, a: u32) -> impl Iterator<Item = u32> + '_ {
        let (d, u) = (self.row(&self.down, a), self.row(&self.up, a));
        d.iter()
            .zip(u)
            .enumerate()
            .flat_map(move |(w, (x, y))| {
                let mut bits = x | y;
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    Some(w as u32 * 64 + b)
                })
            })
            .filter(move |&b| b != a)
    }

    /// Counts `n` steps of work (in tests only).
    #[inline]
    pub(super) fn count(&self, n: usize) {
        #[cfg(test)]
        self.ops
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        let _ = n;
    }

    /// Bit words of a set of services.
    pub(super) fn words(&self) -> usize {
        self.words
    }

    /// Is `a` in a cycle (a component of more than one service)?
    pub(super) fn cyclic(&self, a: u32) -> bool {
        self.comp_size[self.comp[a as usize] as usize] > 1
    }

    /// How many of `set` (bit words) `a` depends on, and how many depend on `a` (never `a`
    /// itself, which `set` is taken to hold).
    pub(super) fn counts_in(&self, a: u32, set: &[u64]) -> (usize, usize) {
        let own = usize::from(self.cyclic(a));
        let pop = |row: &[u64]| -> usize {
            row.iter()
                .zip(set)
                .map(|(x, y)| (x & y).count_ones() as usize)
                .sum()
        };
        self.count(2 * self.words);
        (
            pop(self.row(&self.down, a)) - own,
            pop(self.row(&self.up, a)) - own,
        )
    }

    /// The services of `set` (bit words) that depend on `a`, ascending (never `a`).
    pub(super) fn dependents_in<'a>(
        &'a self,
        a: u32,
        set: &'a [u64],
    ) -> impl Iterator<Item = u32> + 'a {
        self.count(self.words);
        ones(self.row(&self.up, a), set).filter(move |&x| x != a)
    }

    /// Breadth-first parents from `s` over the dependencies in map order (`u32::MAX`: not
    /// reached).
    fn parents(&self, s: u32) -> Vec<u32> {
        let n = self.direct.len();
        let mut parent = vec![u32::MAX; n];
        parent[s as usize] = s;
        let mut queue = std::collections::VecDeque::from([s]);
        let mut visited = 0;
        while let Some(u) = queue.pop_front() {
            visited += 1;
            for &v in &self.direct[u as usize] {
                if parent[v as usize] == u32::MAX {
                    parent[v as usize] = u;
                    queue.push_back(v);
                }
            }
        }
        self.count(visited);
        parent
    }

    /// The topology reasons among `svcs` (ascending, distinct; `set` the same as bit words),
    /// `first` giving each one's earliest activation (which names a cycle's pair first). The
    /// work is linear in `svcs` and their edges, plus a scan of `set` for each direct
    /// dependent that does not alert of an alerting service (and the reasons found), plus
    /// the pairs within one cycle.
    pub(super) fn pairs(
        &self,
        svcs: &[u32],
        set: &[u64],
        first: impl Fn(u32) -> (i64, u64),
    ) -> Pairs {
        let mut out = Pairs::default();
        let mut cycles: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut steps = 0;
        for &a in svcs {
            steps += 1 + self.direct[a as usize].len();
            for &b in &self.direct[a as usize] {
                if has(set, b) && self.comp[a as usize] != self.comp[b as usize] {
                    out.direct.push(TopoReason::Direct(a, b));
                }
            }
            if self.cyclic(a) {
                cycles.entry(self.comp[a as usize]).or_default().push(a);
            }
        }
        for members in cycles.values() {
            for (i, &x) in members.iter().enumerate() {
                for &y in &members[i + 1..] {
                    steps += 1;
                    let (p, q) = if first(x) > first(y) { (x, y) } else { (y, x) };
                    out.direct.push(TopoReason::Mutual(p, q));
                }
            }
        }
        // Indirect: `a` depends on `b` through `h`, a direct dependent of `b` that does not
        // alert, when `h` is `b`'s breadth-first parent from `a`.
        let mut bfs: HashMap<u32, Vec<u32>> = HashMap::new();
        for &b in svcs {
            let into_b = &self.rev[b as usize];
            steps += 1 + into_b.len();
            for &h in into_b {
                if has(set, h) {
                    continue;
                }
                steps += self.words;
                for a in ones(self.row(&self.up, h), set) {
                    steps += 1;
                    let (ai, bi) = (a as usize, b as usize);
                    if self.comp[ai] == self.comp[bi] || self.direct[ai].contains(&b) {
                        continue;
                    }
                    // One way into `b` from `a`: that is the parent. Else breadth first.
                    let ways = into_b
                        .iter()
                        .filter(|&&g| g == a || has(self.row(&self.up, g), a))
                        .count();
                    steps += into_b.len();
                    let parent = if ways == 1 {
                        h
                    } else {
                        bfs.entry(a).or_insert_with(|| self.parents(a))[bi]
                    };
                    if parent == h {
                        out.indirect.push(TopoReason::Via(a, b, h));
                    }
                }
            }
        }
        self.count(steps);
        out
    }
}

/// The numbers set in both `x` and `y`, ascending.
fn ones<'a>(x: &'a [u64], y: &'a [u64]) -> impl Iterator<Item = u32> + 'a {
    x.iter().zip(y).enumerate().flat_map(|(w, (a, b))| {
        let mut bits = a & b;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros();
            bits &= bits - 1;
            Some(w as u32 * 64 + i)
        })
    })
}
