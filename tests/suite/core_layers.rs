//! The pure core is layered: no module of it reaches, through the others, back to itself
//! (issue 14 §8: journal → cockpit, cockpit → training and training → replay closed cycles).
//! Read from the source: every `crate::MODULE` path outside comments counts as a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The core's top-level modules (a replay session lives in `training`).
const CORE: &[&str] = &[
    "actions",
    "alerts",
    "cockpit",
    "journal",
    "knowledge",
    "slo",
    "training",
];

/// Cycles known and left to their modules' owners, as (from, to) edges not counted.
const KNOWN: &[(&str, &str)] = &[
    // alerts::novelty judges novelty from knowledge matches; knowledge covers alerts.
    ("alerts", "knowledge"),
];

/// The core modules `text` names as `crate::MODULE`, outside `//` comments.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let name = if name == "replay" {
                "training".to_string()
            } else {
                name
            };
            if CORE.contains(&name.as_str()) {
                found.insert(name);
            }
        }
    }
    found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    CORE.iter()
        .map(|m| {
            let texts: Vec<String> = crate::common::rust_files(&root.join(m))
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect();
            assert!(!texts.is_empty(), "src/{m} has no source");
            let mut deps: BTreeSet<String> = texts.iter().flat_map(|t| uses(t)).collect();
            deps.remove(*m);
            deps.retain(|d| !KNOWN.contains(&(m, d.as_str())));
            (m.to_string(), deps)
        })
        .collect()
}

/// A cycle through `start`, if any, as the path of modules.
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in &g[last] {
            if next == start {
                let mut p = path.clone();
                p.push(next.clone());
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push(p);
            }
        }
    }
    None
}

#[test]
fn the_core_modules_form_no_cycle() {
    let g = graph();
    for m in CORE {
        if let Some(path) = cycle_from(&g, m) {
            panic!("a dependency cycle in the core: {}", path.join(" → "));
        }
    }
}

#[test]
fn the_reader_finds_dependencies_and_skips_comments() {
    let text = "use crate::journal::X;\n// crate::cockpit is only named here\nlet a = crate::replay::ReplaySession::new();";
    let found = uses(text);
    assert_eq!(
        found,
        ["journal", "training"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    // The checker itself finds a cycle when there is one.
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["a".to_string()].into());
    assert!(cycle_from(&g, "a").is_some());
}
