//! Unit tests of matching (links, queries, ranking, abstention).

use std::collections::BTreeMap;

use super::fields::lead_sections;
use super::query::{Terms, query_terms};
use super::*;

fn kb() -> KnowledgeBase {
    let docs = vec![
        (
            DocKind::Runbook,
            "db/postgres-connection-pool.md".to_string(),
            "---\nid: postgres-connection-pool\ntitle: Postgres connection pool exhausted\nalerts: [PostgresConnectionPoolExhausted]\nservices: [postgres]\n---\n# Postgres connection pool exhausted\n## Meaning\nAll server connections of the PgBouncer pool are in use; clients wait.\n".to_string(),
        ),
        (
            DocKind::Runbook,
            "kubernetes/KubePodCrashLooping.md".to_string(),
            "# KubePodCrashLooping\n## Meaning\nA container restarts repeatedly (CrashLoopBackOff).\n## Diagnosis\n```bash\nkubectl -n $NAMESPACE describe pod $POD\n```\n".to_string(),
        ),
        (
            DocKind::Runbook,
            "node/NodeFilesystemSpaceFillingUp.md".to_string(),
            "# NodeFilesystemSpaceFillingUp\n## Meaning\nA filesystem on a node is predicted to run out of disk space.\n".to_string(),
        ),
        (DocKind::Runbook, "broken.md".to_string(), "---\ntitle: [x\n---\n".to_string()),
        (
            DocKind::Postmortem,
            "pm/2025-09-03-orders.md".to_string(),
            "---\ntitle: Orders outage after pgbouncer change\nalerts: [PostgresConnectionPoolExhausted]\n---\n# Orders outage\n## Summary\nThe pool was exhausted.\n".to_string(),
        ),
    ];
    let (kb, errors) = KnowledgeBase::from_documents(docs);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, "broken.md");
    kb
}

#[test]
fn explicit_links_come_first() {
    let kb = kb();
    let q = MatchQuery {
        alertnames: vec!["PostgresConnectionPoolExhausted".into()],
        ..MatchQuery::default()
    };
    let m = kb.match_alerts(&q);
    assert_eq!(m[0].doc, DocRef::Runbook(0));
    assert!(m[0].good);
    assert!(m[0].why[0].contains("listed in alerts:"), "{:?}", m[0].why);
    assert!(m.iter().any(|x| x.doc == DocRef::Postmortem(0) && x.good));
}

#[test]
fn runbook_url_by_file_name() {
    let kb = kb();
    let q = MatchQuery {
        alertnames: vec!["SomethingElse".into()],
        runbook_urls: vec![
            "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping/"
                .into(),
        ],
        ..MatchQuery::default()
    };
    let m = kb.match_alerts(&q);
    assert_eq!(m[0].doc, DocRef::Runbook(1));
    assert!(
        m[0].why
            .iter()
            .any(|w| w.contains("runbook_url names this file"))
    );
}

#[test]
fn content_match_without_a_name() {
    let kb = kb();
    let q = MatchQuery {
        alertnames: vec!["DiskWillFillUp".into()],
        texts: vec!["Filesystem on node worker-3 will run out of disk space within 4 hours".into()],
        ..MatchQuery::default()
    };
    let m = kb.match_alerts(&q);
    assert_eq!(m[0].doc, DocRef::Runbook(2), "{m:?}");
    assert!(m[0].good, "{m:?}");
    assert!(m[0].why.iter().any(|w| w.starts_with("terms:")));
}

#[test]
fn unrelated_alert_is_no_good_match() {
    let kb = kb();
    let q = MatchQuery {
        alertnames: vec!["KafkaConsumerGroupLagHigh".into()],
        texts: vec!["Consumer group billing lags behind by 50000 messages".into()],
        ..MatchQuery::default()
    };
    assert!(kb.match_alerts(&q).iter().all(|m| !m.good));
}

#[test]
fn confidence_levels_and_an_explained_abstention() {
    let kb = kb();
    let linked = kb.match_alerts(&MatchQuery {
        alertnames: vec!["PostgresConnectionPoolExhausted".into()],
        ..MatchQuery::default()
    });
    assert_eq!(linked[0].confidence, Confidence::High);
    assert_eq!(kb.abstention(&linked), None);
    let unrelated = kb.match_alerts(&MatchQuery {
        alertnames: vec!["KafkaConsumerGroupLagHigh".into()],
        texts: vec!["Consumer group billing lags behind the pool by 50000 messages".into()],
        ..MatchQuery::default()
    });
    assert!(
        unrelated
            .iter()
            .all(|m| m.confidence == Confidence::Low && !m.good)
    );
    let why = kb.abstention(&unrelated).unwrap();
    assert!(
        why.starts_with(&format!(
            "no good match: best {:.2} below the 0.60 floor (score {:.3}, floor {:.2})",
            unrelated[0].calibrated, unrelated[0].content, unrelated[0].floor
        )),
        "{why}"
    );
    if let Some(m) = unrelated.first() {
        let (_, title) = kb.doc_path_title(m.doc);
        assert!(why.contains(&format!("nearest: {title}")), "{why}");
    }
    assert!(kb.abstention(&[]).unwrap().contains("shares a word"));
}

#[test]
fn good_is_exactly_confidence_above_low() {
    let kb = kb();
    for text in [
        "filesystem disk space",
        "pod restarts repeatedly",
        "connection pool",
        "orders outage",
        "nothing at all here",
    ] {
        for m in kb.search(text, 25) {
            assert_eq!(m.good, m.confidence > Confidence::Low, "{m:?}");
            let content = m.content;
            let expected = if m.score > m.content || content >= kb.params.high_match {
                Confidence::High
            } else if content >= m.floor {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            assert_eq!(m.confidence, expected, "{m:?}");
            assert_eq!(m.confidence, Confidence::of(m.calibrated), "{m:?}");
            assert!((0.0..=1.0).contains(&m.calibrated), "{m:?}");
        }
    }
}

#[test]
fn scrape_target_labels_do_not_outweigh_the_summary() {
    let kb = kb();
    let labels: BTreeMap<String, String> = [
        ("container", "kube-rbac-proxy-main"),
        ("endpoint", "https-main"),
        ("job", "kube-state-metrics"),
        ("namespace", "kube-system"),
        ("service", "kube-prometheus-stack-kube-state-metrics"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let annotations = BTreeMap::from([(
        "summary".to_string(),
        "Filesystem is predicted to run out of space".to_string(),
    )]);
    let q = MatchQuery::from_alert(&labels, &annotations);
    assert!(
        q.services.is_empty(),
        "the job's own service is a target: {q:?}"
    );
    assert!(q.targets.contains(&"kube-rbac-proxy-main".to_string()));
    let m = kb.match_alerts(&q);
    assert_eq!(m[0].doc, DocRef::Runbook(2), "{m:?}");
    // A service label that is not the scrape job's is the service in trouble.
    let mut own = labels.clone();
    own.insert("service".into(), "postgres".into());
    let q = MatchQuery::from_alert(&own, &annotations);
    assert_eq!(q.services, ["postgres"]);
}

#[test]
fn lead_sections_are_the_opening_and_the_meaning() {
    let body = "# NodeClockSkew\n\nThe clock drifts.\n\n## Meaning\nNTP lost its peers.\n\n                    ## Diagnosis\n```bash\n# not a heading\nchronyc sources\n```\n## Impact\n\
                TLS fails.\n";
    let lead = lead_sections(body);
    assert_eq!(
        lead,
        [
            "# NodeClockSkew\n\nThe clock drifts.\n\n",
            "NTP lost its peers.\n\n",
            "TLS fails.\n"
        ]
    );
    // No title heading: the lead ends at the first heading.
    assert_eq!(
        lead_sections("Intro.\n## Steps\nrun it\n## Summary:\nS.\n"),
        ["Intro.\n", "S.\n"]
    );
    // A `#` inside a fenced block does not start a section; no heading at all: all of it.
    assert_eq!(lead_sections("just text\n"), ["just text\n"]);
    assert!(lead_sections("").is_empty());
}

#[test]
fn a_component_nobody_wrote_about_is_the_subject_and_abstains() {
    let kb = kb();
    // "down" and "node" match the filesystem runbook's words, but the alert is about a
    // component (`zookeeper`: the scrape job and the summary agree) no document mentions.
    let labels: BTreeMap<String, String> = [("job", "zookeeper"), ("service", "zookeeper")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let annotations = BTreeMap::from([(
        "summary".to_string(),
        "Zookeeper node filesystem space down".to_string(),
    )]);
    let q = MatchQuery::from_alert(&labels, &annotations);
    let Terms { terms, missing, .. } = query_terms(&q, &kb.index, &kb.params);
    assert!(terms.iter().all(|t| t.focus), "{terms:?}");
    // Without the scrape job agreeing, the same word is only a summary word.
    let q2 = MatchQuery::from_alert(&BTreeMap::new(), &annotations);
    let missing2 = query_terms(&q2, &kb.index, &kb.params).missing;
    let p = &kb.params;
    let max_idf = kb.index.idf("\u{0}never a term\u{0}");
    let expected =
        (p.w_subject * p.unknown_subject_share - p.w_text * p.unknown_text_share) * max_idf;
    assert!(expected > 0.0);
    assert!(
        (missing - missing2 - expected).abs() < 1e-9,
        "the unknown subject counts against matches with its own weight: {missing} {missing2}"
    );
    // A container (or namespace) the description repeats is an instance, not the subject.
    let container = BTreeMap::from([("container".to_string(), "zookeeper".to_string())]);
    let q3 = MatchQuery::from_alert(&container, &annotations);
    let missing3 = query_terms(&q3, &kb.index, &kb.params).missing;
    assert!((missing3 - missing2).abs() < 1e-9, "{missing3} {missing2}");
    let with = kb.match_alerts(&q);
    let without = kb.match_alerts(&q2);
    assert!(with[0].content < without[0].content, "{with:?} {without:?}");
    // Label values other than services and targets are not problem words.
    let mut labels = BTreeMap::new();
    labels.insert("mountpoint".to_string(), "filesystem".to_string());
    let terms = query_terms(
        &MatchQuery::from_alert(&labels, &BTreeMap::new()),
        &kb.index,
        &kb.params,
    )
    .terms;
    assert!(terms.iter().all(|t| !t.focus), "{terms:?}");
}

#[test]
fn known_alertnames_and_lookup() {
    let kb = kb();
    let names = kb.known_alertnames();
    assert!(names.contains("KubePodCrashLooping"));
    assert!(kb.runbook("postgres-connection-pool").is_some());
}

#[test]
fn where_the_problem_is_never_counts_against_a_match() {
    // Instance values (mount point, device, file-system type, pod) repeated in the
    // description say where, not what: whether or not a document knows them, the score of
    // the right runbook is the same.
    let kb = kb();
    let annotations = |place: &str| {
        BTreeMap::from([(
            "description".to_string(),
            format!("Filesystem on {place} has only 2.8% available space left."),
        )])
    };
    let labels = |place: &str| -> BTreeMap<String, String> {
        [
            ("device", place),
            ("fstype", "zfsonly"),
            ("mountpoint", place),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let score = |place: &str| {
        let q = MatchQuery::from_alert(&labels(place), &annotations(place));
        let m = kb.match_alerts(&q);
        assert_eq!(m[0].doc, DocRef::Runbook(2), "{m:?}");
        m[0].content
    };
    assert_eq!(score("/srv/quarkbucket"), score("/srv/pod"));
}

#[test]
fn a_runbook_named_after_another_component_is_cut_to_the_cut_floor() {
    let docs = vec![
        (
            DocKind::Runbook,
            "k8s/KubeSchedulerDown.md".to_string(),
            "---\ntitle: Kube Scheduler Down\nalerts: [KubeSchedulerDown]\n---\n## Meaning\nThe scheduler instance is down; new pods stay pending.\n".to_string(),
        ),
        (
            DocKind::Runbook,
            "services/TargetDown.md".to_string(),
            "---\ntitle: Target Down\nalerts: [TargetDown]\n---\n## Meaning\nA scrape target is down: the instance does not answer.\n".to_string(),
        ),
        (
            DocKind::Runbook,
            "db/postgres-replication-lag.md".to_string(),
            "# Postgres replica lagging behind\n## Meaning\nA Postgres replica lags.\n".to_string(),
        ),
    ];
    let (mut kb, _) = KnowledgeBase::from_documents(docs);
    // Three documents: any word is in a third of them; distinctive here means in one.
    kb.set_match_params(MatchParams {
        subject_df: 0.34,
        ..MatchParams::default()
    });
    let alert = |name: &str, text: &str| {
        kb.match_alerts(&MatchQuery {
            alertnames: vec![name.into()],
            texts: vec![text.into()],
            ..MatchQuery::default()
        })
    };
    // Named after another component (the scheduler) that the alert never names, and never
    // mentioning the one the alert is named after.
    let pg = alert("PostgresqlDown", "Postgresql instance is down");
    let scheduler = pg.iter().find(|m| m.doc == DocRef::Runbook(0)).unwrap();
    assert!(
        scheduler
            .why
            .iter()
            .any(|w| w
                .starts_with("named after another component (scheduler; the alert: postgresql)")),
        "{scheduler:?}"
    );
    assert_eq!(scheduler.floor, kb.params.cut_good_match);
    // A runbook about a problem of any component is not cut for it.
    let target = pg.iter().find(|m| m.doc == DocRef::Runbook(1)).unwrap();
    assert!(!target.why.iter().any(|w| w.contains("another component")));
    // The alert that names the runbook's component keeps it.
    let sched = alert(
        "KubeSchedulerInstanceDown",
        "The scheduler instance is down",
    );
    assert!(!sched[0].why.iter().any(|w| w.contains("another component")));
}
