//! The bundled demo knowledge (assets/demo) loads without errors, and the demo scenario's alerts
//! find their runbooks.

use std::path::Path;

use flightdeck::knowledge::lint::{self, StalenessInputs};
use flightdeck::knowledge::{DocKind, KnowledgeBase, MatchQuery};

fn load(dir: &str, kind: DocKind) -> Vec<(DocKind, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/demo")
        .join(dir);
    let entries = std::fs::read_dir(&root).unwrap_or_else(|e| {
        panic!(
            "{}: the bundled demo knowledge is missing: {e}",
            root.display()
        )
    });
    let mut out: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (kind, rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn demo() -> KnowledgeBase {
    let runbooks = load("runbooks", DocKind::Runbook);
    let postmortems = load("postmortems", DocKind::Postmortem);
    assert!(
        !runbooks.is_empty() && !postmortems.is_empty(),
        "assets/demo must hold runbooks and postmortems"
    );
    let mut docs = runbooks;
    docs.extend(postmortems);
    let (kb, errors) = KnowledgeBase::from_documents(docs);
    assert!(
        errors.is_empty(),
        "{}",
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    kb
}

#[test]
fn demo_knowledge_loads_and_every_runbook_alert_links() {
    let kb = demo();
    for rb in &kb.runbooks {
        for a in &rb.alerts {
            let m = kb.match_alerts(&MatchQuery {
                alertnames: vec![a.clone()],
                ..MatchQuery::default()
            });
            assert!(
                m.iter()
                    .any(|m| m.good && kb.doc_path_title(m.doc).0 == rb.path),
                "{a} does not find {}",
                rb.path
            );
        }
    }
    let today: jiff::civil::Date = "2026-03-12".parse().unwrap();
    for pm in &kb.postmortems {
        let l = lint::lint_postmortem(pm);
        println!(
            "{}: {} {:?}",
            pm.path,
            l.score,
            l.findings.iter().map(|f| &f.code).collect::<Vec<_>>()
        );
    }
    for rb in &kb.runbooks {
        let f = lint::runbook_staleness(rb, today, &StalenessInputs::default());
        println!(
            "{}: {:?}",
            rb.path,
            f.iter().map(|f| &f.code).collect::<Vec<_>>()
        );
    }
}

#[test]
fn demo_scenario_alerts_match() {
    let kb = demo();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/scenario.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for ev in v["timeline"].as_array().into_iter().flatten() {
        let Some(fire) = ev.get("fire") else { continue };
        let to_map = |x: &serde_json::Value| -> std::collections::BTreeMap<String, String> {
            x.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        };
        let labels = to_map(&fire["labels"]);
        let annotations = to_map(&fire["annotations"]);
        let name = labels.get("alertname").cloned().unwrap_or_default();
        if !seen.insert(name.clone()) {
            continue;
        }
        let m = kb.match_alerts(&MatchQuery::from_alert(&labels, &annotations));
        let best: Vec<String> = m
            .iter()
            .take(2)
            .map(|m| {
                format!(
                    "{}{} {:.2}",
                    if m.good { "" } else { "(weak) " },
                    kb.doc_path_title(m.doc).0,
                    m.score
                )
            })
            .collect();
        println!("{name} → {best:?}");
        // An alert a runbook names always finds that runbook, with a good match.
        for rb in kb.runbooks.iter().filter(|r| r.alerts.contains(&name)) {
            assert!(
                m.iter()
                    .any(|x| x.good && kb.doc_path_title(x.doc).0 == rb.path),
                "{name} does not find {}",
                rb.path
            );
        }
    }
}

/// Prints every demo cluster's matches at 40 minutes (`-- --ignored --nocapture demo_matches`).
#[test]
#[ignore]
fn demo_matches() {
    let session = crate::common::replay::session_at(crate::common::replay::demo(), 40);
    let c = session.cockpit();
    for cl in c.clusters() {
        println!("{} {:?} {:?}", cl.name, cl.alertnames, cl.services);
        for m in c.matches(cl.id).iter().take(4) {
            println!(
                "   {:.2} {:?} {}",
                m.score,
                c.knowledge().doc_path_title(m.doc).0,
                if m.good { "good" } else { "" }
            );
        }
    }
}
