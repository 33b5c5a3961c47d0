//! Issue 18.2: names mean the same thing everywhere. A cluster's name (`C7f2a`) is made from
//! its content, so two cockpits on the same alerts call one incident by one name; a cockpit
//! started late, which never saw the alert that founded the cluster, takes the name the journal
//! gave the incident when it was first acted on — in the silence form, the approvals, and the
//! records that `journal show`, `timeline` and `export` read; and `alerts cluster` names the
//! clusters as the cockpit does.

use std::collections::{BTreeMap, BTreeSet};

use flightdeck::actions::Role;
use flightdeck::actions::silence::SilenceRequest;
use flightdeck::alerts::{Alert, AlertState, ClusterId, Fingerprint};
use flightdeck::cockpit::{Cockpit, CockpitConfig, Event, UserCommand};
use flightdeck::journal_store::JournalFile;
use flightdeck::live::LiveSession;
use flightdeck::sources::{Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::training::ScenarioEvent;

use crate::common::cli::{flightdeck, json};

fn session(
    path: Option<&std::path::Path>,
    actor: &str,
    knowledge: flightdeck::knowledge::KnowledgeBase,
    at: Timestamp,
) -> LiveSession {
    LiveSession::new(
        CockpitConfig {
            actor: actor.into(),
            role: Role::Commander,
            session: format!("{actor}-session"),
            ..CockpitConfig::default()
        },
        Vec::new(),
        knowledge,
        at,
        path.map(|p| JournalFile::open(p).unwrap()),
    )
}

fn feed(s: &mut LiveSession, alerts: &[(Timestamp, Alert)], now: Timestamp) {
    let events = alerts
        .iter()
        .map(|(at, a)| (*at, Event::Alert(a.clone())))
        .collect();
    s.handle(
        SourceMsg::Events {
            origin: Origin::Alertmanager,
            events,
            permit: None,
        },
        now,
    );
}

fn cluster_of(c: &Cockpit, fp: Fingerprint) -> ClusterId {
    c.alert(fp).expect("the alert is tracked").cluster
}

/// The earliest `(startsAt, fingerprint)` member of a cluster: the alert that founded it.
fn founder(c: &Cockpit, id: ClusterId) -> Fingerprint {
    let cl = c.cluster(id).unwrap();
    cl.members
        .iter()
        .map(|fp| (c.alert(*fp).unwrap().alert.starts_at, *fp))
        .min()
        .unwrap()
        .1
}

#[test]
fn a_cockpit_started_late_names_the_incident_as_the_journal_did() {
    let loaded = flightdeck::load::demo().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let start = loaded.scenario.start;
    let until = start + SignedDuration::from_mins(25);
    let alerts: Vec<(Timestamp, Alert)> = loaded
        .scenario
        .events
        .iter()
        .filter(|e| e.at <= until)
        .filter_map(|e| match &e.event {
            ScenarioEvent::Alert(a) => Some((e.at, a.clone())),
            _ => None,
        })
        .collect();
    let mut dana = session(Some(&path), "dana", loaded.knowledge.clone(), start);
    feed(&mut dana, &alerts, until);
    dana.tick(until);

    // The incident: the largest cluster with firing members besides its founder.
    let (incident, first) = {
        let c = dana.cockpit();
        let cl = c
            .clusters()
            .iter()
            .filter(|cl| cl.firing >= 2)
            .max_by_key(|cl| (cl.size(), cl.name))
            .expect("a cluster of several firing alerts");
        (cl.id, founder(c, cl.id))
    };
    let name = dana.cockpit().cluster_name(incident);
    // Its founding alert resolves: Alertmanager no longer lists it.
    let t = until + SignedDuration::from_mins(1);
    let mut gone = dana.cockpit().alert(first).unwrap().alert.clone();
    gone.state = AlertState::Resolved;
    gone.ends_at = Some(t);
    feed(&mut dana, &[(t, gone)], t);
    dana.tick(t);
    assert_eq!(dana.cockpit().cluster_name(incident), name, "a name stays");

    // Dana acts on it: a silence of one of its firing alert names, approved once.
    let source = dana
        .cockpit()
        .cluster(incident)
        .unwrap()
        .members
        .iter()
        .copied()
        .find(|fp| {
            *fp != first && dana.cockpit().alert(*fp).unwrap().alert.state == AlertState::Firing
        })
        .unwrap();
    let alertname = dana.cockpit().alert(source).unwrap().alert.labels["alertname"].clone();
    let form: Vec<String> = vec![
        format!("alertname={alertname}"),
        "--duration=1h".into(),
        "--comment=known: the fix is rolling out".into(),
    ];
    let silence = SilenceRequest::from_form(&form, "dana").unwrap();
    let t = t + SignedDuration::from_secs(10);
    dana.command(
        UserCommand::ProposeSilence {
            cluster: incident,
            silence: silence.clone(),
        },
        t,
    );
    let silence_step = |c: &Cockpit| {
        c.suggestions()
            .iter()
            .find(|s| s.step_ref.starts_with("silence"))
            .map(|s| s.id)
    };
    let sid = silence_step(dana.cockpit()).expect("the silence waits");
    dana.command(UserCommand::Approve(sid), t);
    assert!(dana.take_notices().is_empty());

    // Lee's cockpit starts later, from the journal, and gets what Alertmanager still lists.
    let t = t + SignedDuration::from_mins(2);
    let mut last: BTreeMap<Fingerprint, (Timestamp, Alert)> = BTreeMap::new();
    for (at, a) in &alerts {
        last.insert(a.fingerprint(), (*at, a.clone()));
    }
    let mut active: Vec<(Timestamp, Alert)> = last
        .into_values()
        .filter(|(_, a)| a.state != AlertState::Resolved && a.fingerprint() != first)
        .collect();
    active.sort_by_key(|(at, a)| (*at, a.fingerprint()));
    let mut lee = session(Some(&path), "lee", loaded.knowledge.clone(), t);
    feed(&mut lee, &active, t);
    lee.tick(t);
    assert!(lee.cockpit().alert(first).is_none(), "Lee never saw it");
    let lees = cluster_of(lee.cockpit(), source);
    // Without the journal, what Lee sees would be named otherwise: the founder is not there.
    let mut alone = session(None, "ivo", loaded.knowledge.clone(), t);
    feed(&mut alone, &active, t);
    let content = alone
        .cockpit()
        .cluster_name(cluster_of(alone.cockpit(), source));
    assert_ne!(
        content, name,
        "the test needs a cluster Lee would name otherwise"
    );
    assert_eq!(
        lee.cockpit().cluster_name(lees),
        name,
        "Lee's cockpit names the incident as the journal did"
    );

    // The silence form: the same words on both screens.
    let title = |c: &Cockpit, id| c.preview_silence(id, &silence).step.title;
    assert_eq!(title(lee.cockpit(), lees), title(dana.cockpit(), incident));
    assert!(title(lee.cockpit(), lees).starts_with(&format!("Silence {name}: ")));
    // The approvals: the silence waits under the same cluster on both.
    let approvals = |c: &Cockpit| -> BTreeSet<(String, Option<String>)> {
        c.snapshot()
            .approvals
            .into_iter()
            .map(|a| (a.step.to_string(), a.cluster))
            .collect()
    };
    assert_eq!(approvals(lee.cockpit()), approvals(dana.cockpit()));
    assert!(
        approvals(lee.cockpit())
            .iter()
            .any(|(step, c)| step.starts_with("silence") && c.as_deref() == Some(name.as_str())),
        "{:?}",
        approvals(lee.cockpit())
    );
    // Lee gives the second approval: his record names the incident as Dana's did.
    let lsid = silence_step(lee.cockpit()).expect("the silence waits on Lee's cockpit too");
    let t = t + SignedDuration::from_secs(5);
    lee.command(UserCommand::Approve(lsid), t);
    dana.tick(t);

    // The journal: every record that names a cluster names it so, whoever wrote it; what
    // `journal show`, `timeline` and `export` print says the same.
    let records = JournalFile::open(&path).unwrap().records().unwrap();
    let named: Vec<(&str, String)> = records
        .iter()
        .filter_map(|r| {
            let c = r.body.get("cluster")?.as_str()?.to_string();
            Some((r.actor.as_str(), c))
        })
        .collect();
    assert!(named.iter().any(|(who, _)| *who == "lee"), "{named:?}");
    assert!(named.iter().all(|(_, c)| *c == name), "{named:?}");
    let home = dir.path().join("home");
    let journal = path.to_str().unwrap();
    let show = flightdeck_out(&home, &["journal", "show", "--journal", journal]);
    assert!(
        show.contains(&format!("proposed silence of {name}")),
        "{show}"
    );
    let timeline = flightdeck_out(&home, &["journal", "timeline", "--journal", journal]);
    let export = flightdeck_out(&home, &["journal", "export", "--journal", journal]);
    for (what, text) in [
        ("show", &show),
        ("timeline", &timeline),
        ("export", &export),
    ] {
        assert!(text.contains(name.as_str()), "{what} names {name}:\n{text}");
        assert!(
            !text.contains(content.as_str()),
            "{what} never calls it {content}:\n{text}"
        );
    }
}

fn flightdeck_out(home: &std::path::Path, args: &[&str]) -> String {
    let out = crate::common::cli::flightdeck_at_home(home, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn alerts_cluster_names_the_clusters_as_the_cockpit_does() {
    let file = "tests/fixtures/alerts/database-cascade.jsonl";
    let v = json(&flightdeck(&["alerts", "cluster", file, "--json"]));
    let from_cli: BTreeMap<BTreeSet<String>, String> = v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let members = c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            (members, c["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(from_cli.len() > 1, "{v}");
    // A cockpit fed the same alerts, as they arrive (in reverse, to make a point).
    let text = std::fs::read_to_string(file).unwrap();
    let parsed = flightdeck::alerts::parse_alerts(&text);
    let mut alerts = parsed.alerts.clone();
    alerts.sort_by_key(flightdeck::alerts::event_time);
    let now = alerts
        .iter()
        .map(flightdeck::alerts::event_time)
        .max()
        .unwrap();
    let mut c = Cockpit::new(
        CockpitConfig::default(),
        Vec::new(),
        Default::default(),
        now,
    );
    for a in alerts.into_iter().rev() {
        c.apply(Event::Alert(a), now);
    }
    let from_cockpit: BTreeMap<BTreeSet<String>, String> = c
        .clusters()
        .iter()
        .map(|cl| {
            let members = cl.members.iter().map(|m| m.to_string()).collect();
            (members, cl.name.to_string())
        })
        .collect();
    assert_eq!(from_cli, from_cockpit);
}
