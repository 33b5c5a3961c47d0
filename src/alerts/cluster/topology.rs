//! The service topology: which services depend on which (transitively), and the reason texts.

use std::collections::{BTreeMap, HashMap};

pub(super) struct Topology {
    pub(super) names: Vec<String>,
    pub(super) index: HashMap<String, u32>,
    /// down[a][b]: a depends on b, transitively.
    pub(super) down: Vec<Vec<bool>>,
    /// For each service: the related services and the id of the reason text.
    pub(super) related: Vec<Vec<(u32, u32)>>,
    /// Reason texts ("checkout depends on postgres"), sorted: ids order like texts.
    pub(super) reasons: Vec<String>,
    /// For each reason: the first hop of the dependency path when it is indirect.
    pub(super) hops: Vec<Option<u32>>,
}

impl Topology {
    pub(super) fn new(map: &BTreeMap<String, Vec<String>>) -> Topology {
        let mut names: Vec<String> = Vec::new();
        let mut index = HashMap::new();
        let mut id = |s: &str, names: &mut Vec<String>| -> u32 {
            *index.entry(s.to_string()).or_insert_with(|| {
                names.push(s.to_string());
                (names.len() - 1) as u32
            })
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
        for &(a, b) in &edges {
            direct[a as usize].push(b as usize);
        }
        // BFS from every service: reachability and the first hop of a shortest path.
        let mut down = vec![vec![false; n]; n];
        let mut via: Vec<Vec<Option<usize>>> = vec![vec![None; n]; n];
        for s in 0..n {
            let mut parent = vec![usize::MAX; n];
            let mut queue = std::collections::VecDeque::from([s]);
            parent[s] = s;
            while let Some(u) = queue.pop_front() {
                for &v in &direct[u] {
                    if parent[v] == usize::MAX {
                        parent[v] = u;
                        down[s][v] = true;
                        queue.push_back(v);
                    }
                }
            }
            for t in 0..n {
                if down[s][t] && parent[t] != s {
                    via[s][t] = Some(parent[t]);
                }
            }
        }
        let reason = |a: usize, b: usize| -> String {
            match via[a][b] {
                None => format!("{} depends on {}", names[a], names[b]),
                Some(v) => format!("{} depends on {} (via {})", names[a], names[b], names[v]),
            }
        };
        let mut pairs: Vec<(usize, usize, String, Option<u32>)> = Vec::new();
        for a in 0..n {
            for b in 0..n {
                if a == b {
                    continue;
                }
                let (text, hop) = match (down[a][b], down[b][a]) {
                    (true, true) => (
                        format!("{} and {} depend on each other", names[a], names[b]),
                        None,
                    ),
                    (true, false) => (reason(a, b), via[a][b]),
                    (false, true) => (reason(b, a), via[b][a]),
                    (false, false) => continue,
                };
                pairs.push((a, b, text, hop.map(|v| v as u32)));
            }
        }
        let mut texts: Vec<(String, Option<u32>)> =
            pairs.iter().map(|p| (p.2.clone(), p.3)).collect();
        texts.sort();
        texts.dedup();
        let mut related = vec![Vec::new(); n];
        for (a, b, text, _) in &pairs {
            let id = texts.partition_point(|t| t.0 < *text) as u32;
            related[*a].push((*b as u32, id));
        }
        Topology {
            index: names
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i as u32))
                .collect(),
            names,
            down,
            related,
            reasons: texts.iter().map(|t| t.0.clone()).collect(),
            hops: texts.iter().map(|t| t.1).collect(),
        }
    }

    pub(super) fn linked(&self, a: u32, b: u32) -> bool {
        a == b || self.down[a as usize][b as usize] || self.down[b as usize][a as usize]
    }
}
