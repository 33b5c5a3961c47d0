//! Batching what waits (issue 15): the live loop applies the messages waiting in its queue
//! together (`LiveSession::handle_all`), so a storm of small notifications costs one knowledge
//! refresh a batch. Handling messages together must be exactly handling one notification that
//! holds all their alerts: whatever the split — a few together, all at once —, with
//! redeliveries, stale episodes and a source's health in between (which ends the batch before
//! it), the session ends in the same state (clusters, knowledge matches and scores, every step
//! on offer and its verdict, the alerts' states, what was dropped as a redelivery, the alert
//! memory counted, the sources), and every message's queue permits are released. (That
//! batching itself changes nothing that counts is `alerts_ingest_identical`'s property.)

use std::sync::Arc;

use flightdeck::alerts::Alert;
use flightdeck::cockpit::{CockpitConfig, Event};
use flightdeck::live::LiveSession;
use flightdeck::sources::{Health, Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};
use proptest::prelude::*;
use tokio::sync::Semaphore;

use crate::common::alerts::{alert, shop};

fn t0() -> Timestamp {
    "2026-11-26T03:00:00Z".parse().unwrap()
}

fn session() -> LiveSession {
    let config = CockpitConfig {
        clustering: shop(),
        ..CockpitConfig::default()
    };
    let knowledge = flightdeck::load::demo().expect("the demo loads").knowledge;
    LiveSession::new(config, Vec::new(), knowledge, t0(), None)
}

/// Alertnames the demo's runbooks cover (steps on offer) and one they do not, by service.
const NAMES: [(&str, &str); 5] = [
    ("PostgresConnectionPoolExhausted", "postgres"),
    ("PgBouncerClientsWaiting", "pgbouncer"),
    ("CheckoutHigh5xxRate", "checkout"),
    ("PaymentsUpstreamTimeouts", "payments"),
    ("FrontendRoute5xx", "frontend"),
];

/// One delivery: alert `i` (name, pod) fires at minute `start`, or resolves ten minutes later.
fn delivery(i: usize, start: i64, resolved: bool) -> Alert {
    let (name, service) = NAMES[i % NAMES.len()];
    let pod = format!("{service}-{}", i / NAMES.len());
    let starts = t0() + SignedDuration::from_mins(start);
    alert(
        &[
            ("alertname", name),
            ("service", service),
            ("namespace", "shop"),
            ("pod", &pod),
        ],
        Some(&format!("{name} on {pod}")),
        starts,
        resolved.then(|| starts + SignedDuration::from_mins(10)),
    )
}

/// What the sources send: webhook notifications of the deliveries (some twice, in any order:
/// stale episodes, resolves before a redelivered firing), with a poller's health message
/// among them.
fn messages(deliveries: &[(usize, i64, bool, bool)], split: &[usize]) -> Vec<SourceMsg> {
    let mut alerts: Vec<Alert> = Vec::new();
    for &(i, start, resolved, twice) in deliveries {
        let a = delivery(i, start, resolved);
        if twice {
            alerts.push(a.clone());
        }
        alerts.push(a);
    }
    let mut out = Vec::new();
    let mut rest = alerts.as_slice();
    for (n, &size) in split.iter().cycle().enumerate() {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(size.min(rest.len()));
        rest = later;
        let at = now.iter().map(|a| a.starts_at).max().unwrap();
        if n == 2 {
            let mut h = Health::new("alertmanager", Some(std::time::Duration::from_secs(10)));
            h.received(at, 0);
            out.push(SourceMsg::Health(h));
        }
        out.push(SourceMsg::Events {
            origin: Origin::Webhook,
            events: now.iter().map(|a| (at, Event::Alert(a.clone()))).collect(),
            permit: None,
        });
    }
    out
}

/// Everything a session ends in, as comparable text (the sources' notification counts aside:
/// they count messages).
fn state(s: &LiveSession) -> String {
    let c = s.cockpit();
    let mut snapshot = c.snapshot();
    for source in &mut snapshot.sources {
        source.counts.notifications = 0;
    }
    let mut out = serde_json::to_string_pretty(&snapshot).unwrap();
    for sg in c.suggestions() {
        out.push_str(&format!(
            "\n{:?} {:?} {} {:?} {} {:?} {:?} {:?}",
            sg.id, sg.step_ref, sg.source, sg.values, sg.targeted, sg.argv, sg.status, sg.verdict
        ));
    }
    for line in clusters_text(c) {
        out.push('\n');
        out.push_str(&line);
    }
    out.push_str(&format!(
        "\ndropped {} memory {:?}",
        s.dropped_duplicates(),
        s.alert_memory()
    ));
    out
}

/// `batch` as the one notification it amounts to: the alerts of each run of event messages in
/// one message (a health message between them stays where it is).
fn merged(batch: Vec<SourceMsg>) -> Vec<SourceMsg> {
    let mut out: Vec<SourceMsg> = Vec::new();
    for msg in batch {
        match (out.last_mut(), msg) {
            (Some(SourceMsg::Events { events: all, .. }), SourceMsg::Events { events, .. }) => {
                all.extend(events)
            }
            (_, msg) => out.push(msg),
        }
    }
    out
}

/// The messages applied in batches of `sizes` messages (cycled), all received at one `now`
/// (as the live loop receives what waits in its queue: `Live::drain`); with
/// `one_notification`, each batch handled as the notification it amounts to ([`merged`]).
fn apply(msgs: Vec<SourceMsg>, sizes: &[usize], one_notification: bool) -> LiveSession {
    let now = msgs
        .iter()
        .filter_map(|m| match m {
            SourceMsg::Events { events, .. } => events.last().map(|e| e.0),
            SourceMsg::Health(_) => None,
        })
        .max()
        .unwrap_or_else(t0);
    let mut s = session();
    let mut msgs = msgs.into_iter().peekable();
    for &size in sizes.iter().cycle() {
        if msgs.peek().is_none() {
            break;
        }
        let batch: Vec<SourceMsg> = msgs.by_ref().take(size.max(1)).collect();
        if one_notification {
            for msg in merged(batch) {
                s.handle(msg, now);
            }
        } else {
            s.handle_all(batch, now);
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn messages_handled_together_are_one_notification(
        deliveries in proptest::collection::vec(
            (0usize..40, 0i64..90, any::<bool>(), any::<bool>()), 1..80),
        split in proptest::collection::vec(1usize..12, 1..6),
        sizes in proptest::collection::vec(2usize..40, 1..4),
    ) {
        for sizes in [sizes, vec![usize::MAX]] {
            let together = state(&apply(messages(&deliveries, &split), &sizes, false));
            let one = state(&apply(messages(&deliveries, &split), &sizes, true));
            prop_assert_eq!(together, one, "batches of {:?} messages", sizes);
        }
    }
}

/// Every message's queue permits are released once its alerts are applied, whether news or
/// redeliveries, and however the messages were batched.
#[test]
fn a_batch_releases_every_permit() {
    let queue = Arc::new(Semaphore::new(1000));
    let mut msgs = Vec::new();
    for n in 0..30usize {
        let events: Vec<(Timestamp, Event)> = (0..5)
            .map(|k| {
                let a = delivery(n * 5 + k, (n % 7) as i64, false);
                (a.starts_at, Event::Alert(a))
            })
            .collect();
        let permit = queue.clone().try_acquire_many_owned(5).unwrap();
        msgs.push(SourceMsg::Events {
            origin: Origin::Webhook,
            events: events.clone(),
            permit: Some(permit),
        });
        // The same notification again (a retry after a timeout): dropped, its permits freed.
        let permit = queue.clone().try_acquire_many_owned(5).unwrap();
        msgs.push(SourceMsg::Events {
            origin: Origin::Webhook,
            events,
            permit: Some(permit),
        });
    }
    assert_eq!(queue.available_permits(), 1000 - 300);
    let mut s = session();
    s.handle_all(msgs, t0() + SignedDuration::from_hours(1));
    assert_eq!(queue.available_permits(), 1000);
    assert_eq!(s.dropped_duplicates(), 150);
    assert_eq!(s.cockpit().alert_count(), 150);
}

/// Each cluster as a line: name, reasons, members (with state and start), and its knowledge
/// matches with their scores.
fn clusters_text(c: &flightdeck::cockpit::Cockpit) -> Vec<String> {
    c.clusters()
        .iter()
        .map(|cluster| {
            let mut members: Vec<String> = cluster
                .members
                .iter()
                .map(|fp| {
                    let t = c.alert(*fp).unwrap();
                    format!("{fp}:{:?}:{}", t.alert.state, t.alert.starts_at)
                })
                .collect();
            members.sort();
            let matches: Vec<String> = c
                .matches(cluster.id)
                .iter()
                .map(|m| format!("{:?} {} {:?} {:.12}", m.doc, m.good, m.confidence, m.score))
                .collect();
            format!(
                "{} {:?} {} | {}",
                cluster.name,
                cluster.reasons,
                members.join(" "),
                matches.join(", ")
            )
        })
        .collect()
}

/// What a responder sees and can act on: the clusters (members, reasons, knowledge matches and
/// their scores) and the queue of steps awaiting a decision (cluster, step, target, argv,
/// verdict), without the suggestions' ids and the journal's length, which tell the history.
fn seen(s: &LiveSession) -> String {
    let c = s.cockpit();
    let mut out = String::new();
    for line in clusters_text(c) {
        out.push_str(&line);
        out.push('\n');
    }
    // (As a set: the queue lists a cluster's steps in the order they were offered.)
    let mut queue: Vec<String> = c
        .approval_queue()
        .into_iter()
        .map(|sg| {
            let cluster = c
                .suggestion_cluster(sg)
                .and_then(|id| c.cluster(id))
                .map(|k| k.name);
            // (Why a step waits for a target names the alert that could not fill it: one
            // of several, by arrival.)
            let argv = sg
                .argv
                .as_ref()
                .map_err(|e| e.split(':').next().unwrap_or_default());
            format!(
                "{cluster:?} {} {} {:?} {:?} {:?}",
                sg.step_ref, sg.targeted, sg.values, argv, sg.verdict
            )
        })
        .collect();
    queue.sort();
    out + &queue.join("\n")
}

/// Two incidents that turn out to be one never leave a step on offer twice: the pool-exhausted
/// alert and a pgbouncer alert arrive in one notification as two incidents (66 minutes apart),
/// each offered the postgres-connection-pool runbook's steps for namespace `shop`; the
/// pgbouncer alert fires again 10 minutes before the other and the two become one incident.
/// Handled one by one or all at once, one set of steps waits for a decision.
#[test]
fn merged_incidents_offer_each_step_once() {
    let deliveries = [
        (0, 66, false, false),
        (1, 0, false, false),
        (1, 56, false, false),
    ];
    let one_by_one = apply(messages(&deliveries, &[2]), &[1], true);
    let all = apply(messages(&deliveries, &[2]), &[usize::MAX], true);
    assert_eq!(seen(&one_by_one), seen(&all));
    let queue = one_by_one.cockpit().approval_queue();
    let steps: std::collections::BTreeSet<_> = queue.iter().map(|s| &s.step_ref).collect();
    assert_eq!(steps.len(), queue.len(), "a step on offer twice");
    assert_eq!(queue.len(), 5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The same deliveries received at one instant show the same incidents and the same steps
    /// awaiting a decision however the sources cut them into notifications, and whether the
    /// live loop handled those one by one or together: two incidents that turn out to be one
    /// never leave a step on offer twice.
    #[test]
    #[ignore = "found by this property, not fixed yet: one by one, a runbook's steps can stay \
                without a target where all at once the cluster's covered alerts fill them \
                (duplicates after merges and steps of runbooks that no longer match are fixed)"]
    fn where_notifications_are_cut_changes_nothing_a_responder_sees(
        deliveries in proptest::collection::vec(
            (0usize..40, 0i64..90, any::<bool>(), any::<bool>()), 1..80),
        split in proptest::collection::vec(1usize..12, 1..6),
    ) {
        let one_by_one = seen(&apply(messages(&deliveries, &split), &[1], true));
        let all = seen(&apply(messages(&deliveries, &split), &[usize::MAX], true));
        prop_assert_eq!(one_by_one, all);
    }
}
