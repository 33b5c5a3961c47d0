//! Knowledge reloads while the cockpit runs: edit a runbook on disk and the live cockpit picks
//! it up within a poll (no restart), matching clusters again; a document broken by the edit is
//! reported and skipped while the rest stay loaded.

use crate::common;
use std::time::Duration;

use common::live::{load_config, options};
use flightdeck::alerts::Alert;
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event};
use flightdeck::knowledge::{DocKind, KnowledgeBase};
use flightdeck::live::Live;
use flightdeck::time::Timestamp;

const RUNBOOK: &str = "---\nid: disk\ntitle: Disk filling up\nalerts: [NodeFilesystemSpaceFillingUp]\n---\n# Disk filling up\n\nFind what grows.\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_runbook_is_loaded_again_while_live() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("runbooks")).unwrap();
    let doc = dir.path().join("runbooks/disk.md");
    std::fs::write(&doc, RUNBOOK).unwrap();
    let config = load_config(
        dir.path(),
        "[webhook]\nlisten = \"127.0.0.1:0\"\n[knowledge]\nrunbooks = [\"runbooks\"]\n",
    );
    let mut live = Live::start(&config, &options()).await.unwrap();
    assert_eq!(
        live.cockpit().knowledge().runbooks[0].title,
        "Disk filling up"
    );

    std::fs::write(
        &doc,
        RUNBOOK.replace("Disk filling up", "Node disk almost full"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("runbooks/broken.md"),
        "---\nid: [unclosed\n---\n# x\n",
    )
    .unwrap();
    let title = |live: &Live| live.cockpit().knowledge().runbooks[0].title.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while title(&live) != "Node disk almost full" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not reloaded: {}",
            title(&live)
        );
        live.run_for(Duration::from_millis(250)).await;
    }
    assert_eq!(
        live.cockpit().knowledge().runbooks.len(),
        1,
        "the broken one is skipped"
    );
}

/// A warning about node-7 firing since `at`, without annotations.
fn alert(name: &str, at: Timestamp) -> Alert {
    common::alerts::alert(
        &[
            ("alertname", name),
            ("instance", "node-7"),
            ("severity", "warning"),
        ],
        None,
        at,
        None,
    )
}

#[test]
fn new_knowledge_matches_the_clusters_again() {
    let at: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let mut cockpit = Cockpit::new(
        CockpitConfig::default(),
        Vec::new(),
        KnowledgeBase::default(),
        at,
    );
    cockpit.apply(Event::Alert(alert("NodeFilesystemSpaceFillingUp", at)), at);
    let id = cockpit.clusters()[0].id;
    assert!(cockpit.is_novel(id), "nothing known yet");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("disk.md"), RUNBOOK).unwrap();
    let (kb, errors) =
        flightdeck::load::knowledge_dirs(&[(DocKind::Runbook, dir.path().to_path_buf())]);
    assert!(errors.is_empty(), "{errors:?}");
    cockpit.apply(Event::Knowledge(Box::new(kb)), at);
    assert!(!cockpit.is_novel(id), "the new runbook matches");
    assert_eq!(cockpit.top_runbook(id).map(|r| r.id.as_str()), Some("disk"));
}
