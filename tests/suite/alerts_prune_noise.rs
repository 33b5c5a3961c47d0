//! A live correlator forgets incidents long over (`Correlator::prune`), and flags alertnames
//! that fire again and again without anybody acting on them ("never acted on").

use crate::common;
use flightdeck::alerts::{Alert, AlertState, ClusterConfig, ClusterId, Correlator, NoiseMark};
use flightdeck::time::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().unwrap()
}

fn at(mins: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(mins)
}

fn alert(name: &str, service: &str, pod: &str, start: i64, end: Option<i64>) -> Alert {
    common::alerts::alert(
        &[
            ("alertname", name),
            ("service", service),
            ("namespace", "shop"),
            ("pod", pod),
        ],
        Some(&format!("{name} on {service}")),
        at(start),
        end.map(at),
    )
}

/// Fires at `start` (seen then) and resolves at `end` (seen then).
fn fire_and_resolve(c: &mut Correlator, a: &Alert, start: i64, end: i64) {
    let mut firing = a.clone();
    firing.starts_at = at(start);
    firing.ends_at = None;
    firing.state = AlertState::Firing;
    c.observe(firing.clone(), at(start));
    firing.ends_at = Some(at(end));
    firing.state = AlertState::Resolved;
    c.observe(firing, at(end));
}

#[test]
fn prune_drops_incidents_resolved_long_ago_and_keeps_the_rest() {
    let mut c = Correlator::new(ClusterConfig::default());
    // An incident in the night, over by 01:00.
    let night: Vec<Alert> = (0..5)
        .map(|i| {
            alert(
                "CheckoutHighErrorRate",
                "checkout",
                &format!("c{i}"),
                0,
                None,
            )
        })
        .collect();
    for a in &night {
        fire_and_resolve(&mut c, a, 30, 60);
    }
    // One still firing since 02:00, one resolved at 08:30.
    let firing = alert("SearchLatencyHigh", "search", "s0", 120, None);
    c.observe(firing.clone(), at(120));
    let recent = alert("PaymentsTimeouts", "payments", "p0", 480, None);
    fire_and_resolve(&mut c, &recent, 480, 510);
    let id = |c: &Correlator, a: &Alert| c.alert(a.fingerprint()).unwrap().cluster;
    let (night_id, firing_id, recent_id) = (id(&c, &night[0]), id(&c, &firing), id(&c, &recent));
    assert_eq!(c.clusters().len(), 3);
    assert_eq!(c.len(), 7);

    // At 06:30 the night incident has been over for 5h30: under the default retention (6h).
    assert!(c.prune(at(390)).is_empty());
    // At 09:00 it has been over for 8 hours: gone, alerts and all.
    let gone = c.prune(at(540));
    assert_eq!(gone, vec![night_id]);
    assert!(c.cluster(night_id).is_none());
    assert!(night.iter().all(|a| c.alert(a.fingerprint()).is_none()));
    assert_eq!(c.len(), 2);
    assert_eq!(c.clusters().len(), 2);
    // The rest is untouched and still works.
    assert_eq!(c.cluster(firing_id).unwrap().firing, 1);
    assert_eq!(c.cluster(recent_id).unwrap().size(), 1);
    let more = alert("SearchErrors", "search", "s1", 545, None);
    c.observe(more.clone(), at(545));
    let more_id = id(&c, &more);
    assert!(more_id > recent_id, "a new cluster gets a new id");
    assert_ne!(more_id, night_id, "ids are never reused");
    // The same alert firing again the next night is new: no history, a new cluster.
    let again = night[0].clone();
    c.observe(again.clone(), at(1440));
    let t = c.alert(again.fingerprint()).unwrap();
    assert_eq!(t.transitions, 0);
    assert_eq!(t.first_seen, at(1440));
    assert!(t.cluster > more_id);
    // By then the morning incident is long over too; pruning again drops nothing more.
    assert_eq!(c.prune(at(1441)), vec![recent_id]);
    let before: Vec<ClusterId> = c.clusters().iter().map(|c| c.id).collect();
    assert!(c.prune(at(1442)).is_empty());
    let after: Vec<ClusterId> = c.clusters().iter().map(|c| c.id).collect();
    assert_eq!(before, after);
    assert_eq!(c.len(), 3);
}

#[test]
fn a_silenced_incident_is_not_pruned() {
    let mut c = Correlator::new(ClusterConfig::default());
    let mut a = alert("DiskAlmostFull", "storage", "d0", 0, None);
    a.state = AlertState::Suppressed;
    c.observe(a.clone(), at(0));
    assert!(c.prune(at(24 * 60)).is_empty(), "silenced is still active");
    assert_eq!(c.len(), 1);
}

/// Fires `name` on a new pod every `every` minutes, `times` times, each resolving after 5.
fn recurring(c: &mut Correlator, name: &str, service: &str, every: i64, times: i64) {
    for i in 0..times {
        let a = alert(name, service, &format!("{name}-{i}"), 0, None);
        fire_and_resolve(c, &a, i * every, i * every + 5);
    }
}

fn never(marks: &[NoiseMark]) -> Option<u32> {
    marks.iter().find_map(|m| match m {
        NoiseMark::NeverActedOn { firings } => Some(*firings),
        _ => None,
    })
}

#[test]
fn an_alert_that_fires_day_after_day_unattended_is_never_acted_on() {
    let day = 24 * 60;
    let mut c = Correlator::new(ClusterConfig::default());
    // Every six hours for three days: twelve episodes. Every six hours for one day: four.
    recurring(&mut c, "CronJobSlow", "reports", 6 * 60, 12);
    recurring(&mut c, "CertExpiringSoon", "ingress", 6 * 60, 4);
    // A storm of a thousand pods is one episode, not a thousand.
    for i in 0..1000 {
        let a = alert("KubePodNotReady", "web", &format!("web-{i}"), 0, None);
        fire_and_resolve(&mut c, &a, 3 * day + 10, 3 * day + 40);
    }
    let now = at(3 * day + 60);
    // Nothing is marked until the marks are refreshed: all alerts of a name agree.
    assert!(c.stale_candidates().is_empty());
    c.refresh_noise(now);
    let slow = c
        .alerts()
        .iter()
        .filter(|t| t.alert.name() == "CronJobSlow")
        .map(|t| never(&t.noise))
        .collect::<Vec<_>>();
    assert_eq!(slow.len(), 12);
    assert!(slow.iter().all(|n| *n == Some(12)), "{slow:?}");
    for name in ["CertExpiringSoon", "KubePodNotReady"] {
        assert!(
            c.alerts()
                .iter()
                .filter(|t| t.alert.name() == name)
                .all(|t| never(&t.noise).is_none()),
            "{name}"
        );
    }
    let mark = NoiseMark::NeverActedOn { firings: 12 };
    assert_eq!(mark.to_string(), "fired 12× in 7d, never acted on");
    // Clusters carry the mark of their noisiest member.
    let cl = c
        .clusters()
        .iter()
        .find(|cl| cl.alertnames.contains("CronJobSlow"))
        .unwrap();
    assert!(cl.noise.contains(&mark), "{:?}", cl.noise);
    // Stale candidates: one per alert of it, with the evidence; the count agrees.
    let stale = c.stale_candidates();
    assert_eq!(stale.len(), 12);
    assert_eq!(c.stale_candidate_count(), 12);
    assert!(stale.iter().all(|s| s.alertname == "CronJobSlow"));
    assert!(
        stale[0]
            .evidence
            .contains("fired 12× in 7d, never acted on"),
        "{}",
        stale[0].evidence
    );
    // New alerts of the name carry the mark at once.
    let next = alert("CronJobSlow", "reports", "next", 0, None);
    fire_and_resolve(&mut c, &next, 3 * day + 65, 3 * day + 70);
    assert_eq!(never(&c.alert(next.fingerprint()).unwrap().noise), Some(12));
    assert_eq!(c.stale_candidate_count(), 13);

    // Somebody acts on it: the mark goes at once, and stays gone for a week.
    c.note_action("CronJobSlow", at(3 * day + 75));
    assert!(c.alerts().iter().all(|t| never(&t.noise).is_none()));
    assert_eq!(c.stale_candidate_count(), 0);
    assert!(c.stale_candidates().is_empty());
    c.refresh_noise(at(5 * day));
    assert_eq!(c.stale_candidate_count(), 0);
    // Ten days later the action is history, and so are the episodes: nothing to say.
    c.refresh_noise(at(14 * day));
    assert_eq!(c.stale_candidate_count(), 0);
}

#[test]
fn the_mark_outlives_pruned_alerts_and_the_threshold_is_configurable() {
    let day = 24 * 60;
    let mut c = Correlator::new(ClusterConfig {
        never_acted_firings: 3,
        ..ClusterConfig::default()
    });
    recurring(&mut c, "BackupLate", "backup", day, 3);
    c.refresh_noise(at(2 * day + 60));
    assert_eq!(c.stale_candidate_count(), 3);
    // Hours after the last one all three are pruned, but the rule still fired three times
    // in the last seven days and nobody acted: it stays a candidate, once.
    let gone = c.prune(at(3 * day));
    assert_eq!(gone.len(), 3, "each firing was its own incident");
    assert_eq!(c.len(), 0);
    c.refresh_noise(at(3 * day));
    let stale = c.stale_candidates();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(c.stale_candidate_count(), 1);
    assert_eq!(stale[0].alertname, "BackupLate");
    assert_eq!(stale[0].service.as_deref(), Some("backup"));
    assert_eq!(stale[0].noise, vec![NoiseMark::NeverActedOn { firings: 3 }]);
    assert!(
        stale[0].evidence.contains("never acted on"),
        "{}",
        stale[0].evidence
    );
    // Off: 0.
    let mut off = Correlator::new(ClusterConfig {
        never_acted_firings: 0,
        ..ClusterConfig::default()
    });
    recurring(&mut off, "BackupLate", "backup", day, 9);
    off.refresh_noise(at(9 * day));
    assert_eq!(off.stale_candidate_count(), 0);
}
