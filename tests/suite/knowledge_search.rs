//! The `/` search (`KnowledgeBase::search_all`) on the evaluation corpus in
//! tests/fixtures/knowledge/eval: titles found while they are still being typed, abbreviations,
//! words that only occur in a body. `FD_SEARCH_VERBOSE=1` prints the rankings.

use crate::common;
use common::knowledge::eval_kb;
use flightdeck::knowledge::{DocRef, KnowledgeBase, SearchHit};

fn show(kb: &KnowledgeBase, q: &str, hits: &[SearchHit]) {
    if std::env::var_os("FD_SEARCH_VERBOSE").is_none() {
        return;
    }
    println!("{q:?}");
    for h in hits {
        let (path, title) = kb.doc_path_title(h.doc);
        println!("  {:.3} {title} ({path}) {:?}", h.score, h.why);
    }
}

fn rank_of(hits: &[SearchHit], doc: DocRef) -> Option<usize> {
    hits.iter().position(|h| h.doc == doc)
}

#[test]
fn titles_are_found_while_typed() {
    let kb = eval_kb();
    let docs: Vec<DocRef> = (0..kb.runbooks.len())
        .map(DocRef::Runbook)
        .chain((0..kb.postmortems.len()).map(DocRef::Postmortem))
        .collect();
    let titles: Vec<String> = docs
        .iter()
        .map(|&d| kb.doc_path_title(d).1.to_lowercase())
        .collect();
    let mut worst = Vec::new();
    for doc in docs {
        let title = kb.doc_path_title(doc).1.to_string();
        // Every prefix of the title from 6 characters on (cut at a char boundary).
        let chars: Vec<char> = title.chars().collect();
        for n in 6..=chars.len() {
            let q: String = chars[..n].iter().collect();
            if q.ends_with(' ') {
                continue;
            }
            let hits = kb.search_all(&q, 10);
            // In the top 3, or, when 3 or more titles start with what was typed ("Kube C":
            // Client…, Container…, Controller…), among them and one fuzzy neighbour.
            let lower = q.to_lowercase();
            let sharing = titles.iter().filter(|t| t.starts_with(&lower)).count();
            match rank_of(&hits, doc) {
                Some(r) if r < 3 || (sharing >= 3 && r <= sharing) => {}
                r => worst.push(format!("{q:?} → {title:?} at {r:?}")),
            }
        }
    }
    assert!(worst.is_empty(), "{}", worst.join("\n"));
}

#[test]
fn abbreviations_typos_and_body_words() {
    let kb = eval_kb();
    let top = |q: &str, n: usize| -> Vec<String> {
        let hits = kb.search_all(q, 8);
        show(&kb, q, &hits);
        hits.iter()
            .take(n)
            .map(|h| kb.doc_path_title(h.doc).0.to_string())
            .collect()
    };
    let crash = "kubernetes/KubePodCrashLooping.md";
    // Abbreviations and words run together, typed as in a fuzzy finder.
    assert_eq!(top("kubepodcrash", 1), [crash]);
    assert_eq!(top("crashloop", 1), [crash]);
    assert_eq!(top("kpcl", 1), [crash]);
    assert_eq!(top("pgbnc", 1), ["2025-09-03-orders-pgbouncer.md"]);
    // A typo: the three documents about certificates, and only they.
    let certs = kb.search_all("certficate", 8);
    assert_eq!(certs.len(), 3, "{certs:?}");
    for h in &certs {
        let title = kb.doc_path_title(h.doc).1.to_lowercase();
        assert!(title.contains("certificate"), "{title}");
    }
    // Words of the body, and an alert name found through the content.
    assert_eq!(top("CrashLoopBackOff", 1), [crash]);
    assert!(top("OOMKilled", 3).contains(&"services/container-oom-killed.md".to_string()));
    let both = top("pgbouncer", 2);
    assert!(
        both.contains(&"databases/postgres-connection-pool.md".to_string()),
        "{both:?}"
    );
    // Letters scattered over unrelated titles are not offered: only the etcd runbooks, and
    // runbooks whose text talks about etcd.
    let mut etcd = top("etcd", 8);
    etcd.sort();
    assert_eq!(
        etcd,
        [
            "etcd/etcdHighFsyncDurations.md",
            "etcd/etcdMembersDown.md",
            "etcd/etcdNoLeader.md",
            "kubernetes/KubeAPIDown.md",
            "node/NodeDiskIOSaturation.md"
        ]
    );
    assert!(kb.runbook("KubeAPIDown").unwrap().body.contains("etcd"));
    assert!(
        kb.runbook("NodeDiskIOSaturation")
            .unwrap()
            .body
            .contains("etcd")
    );
}
