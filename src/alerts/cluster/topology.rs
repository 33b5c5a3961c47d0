//! The service topology: which services depend on which (transitively), and the reason texts.
//!
//! Near-linear in the size of the map: reachability is a bit set a strongly connected
//! component (computed once, in reverse topological order of the components, so a chain of
//! 3,000 services is a few megabytes and milliseconds), and a reason text ("checkout depends
//! on postgres (via pgbouncer)") is made the first time a pair of alerting services needs it,
//! never for every pair of the map.

use std::collections::{BTreeMap, HashMap};

pub(super) struct Topology {
    pub(super) names: Vec<String>,
    pub(super) index: HashMap<String, u32>,
    /// Direct dependencies of each service, in the order the map gives them.
    direct: Vec<Vec<u32>>,
    /// Component of each service.
    comp: Vec<u32>,
    /// Bit words a row.
    words: usize,
    /// down[comp(a)]: the services a depends on, transitively (a itself only in a cycle).
    down: Vec<u64>,
    /// up[comp(a)]: the services that depend on a, transitively.
    up: Vec<u64>,
    /// Reason texts made so far, by id (ids in the order first needed).
    pub(super) reasons: Vec<String>,
    /// For each reason: the service before the last on the dependency path, when indirect.
    pub(super) hops: Vec<Option<u32>>,
    /// (service, related service) → reason id.
    reason_ids: HashMap<(u32, u32), u32>,
    /// Breadth-first parents from a service, made when a reason from it is first needed.
    parents: HashMap<u32, Vec<u32>>,
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
            direct[a as usize].push(b);
            rev[b as usize].push(a);
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
        Topology {
            names,
            index,
            direct,
            comp,
            words,
            down,
            up,
            reasons: Vec::new(),
            hops: Vec::new(),
            reason_ids: HashMap::new(),
            parents: HashMap::new(),
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

    /// The service before `t` on a shortest dependency path from `s` (breadth first over the
    /// dependencies in map order), when that is not `s` itself.
    fn via(&mut self, s: u32, t: u32) -> Option<u32> {
        let direct = &self.direct;
        let parent = self.parents.entry(s).or_insert_with(|| {
            let n = direct.len();
            let mut parent = vec![u32::MAX; n];
            parent[s as usize] = s;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                for &v in &direct[u as usize] {
                    if parent[v as usize] == u32::MAX {
                        parent[v as usize] = u;
                        queue.push_back(v);
                    }
                }
            }
            parent
        });
        let p = parent[t as usize];
        (p != s && p != u32::MAX).then_some(p)
    }

    /// The id of the reason why an alert on `a` and one on `b` belong together (`a` the one
    /// that linked to `b`); made on first use.
    pub(super) fn reason(&mut self, a: u32, b: u32) -> u32 {
        if let Some(&id) = self.reason_ids.get(&(a, b)) {
            return id;
        }
        let name = |i: u32| self.names[i as usize].clone();
        let (text, hop) = match (self.depends(a, b), self.depends(b, a)) {
            (true, true) => (
                format!("{} and {} depend on each other", name(a), name(b)),
                None,
            ),
            (true, false) | (false, false) => {
                let hop = self.via(a, b);
                (Self::text(&self.names, a, b, hop), hop)
            }
            (false, true) => {
                let hop = self.via(b, a);
                (Self::text(&self.names, b, a, hop), hop)
            }
        };
        // One text, one id: a one-way dependency reads the same from either side.
        let mutual = self.depends(a, b) && self.depends(b, a);
        let id = match self.reason_ids.get(&(b, a)) {
            Some(&id) if !mutual => id,
            _ => {
                self.reasons.push(text);
                self.hops.push(hop);
                (self.reasons.len() - 1) as u32
            }
        };
        self.reason_ids.insert((a, b), id);
        id
    }

    fn text(names: &[String], a: u32, b: u32, hop: Option<u32>) -> String {
        match hop {
            None => format!("{} depends on {}", names[a as usize], names[b as usize]),
            Some(v) => format!(
                "{} depends on {} (via {})",
                names[a as usize], names[b as usize], names[v as usize]
            ),
        }
    }
}
