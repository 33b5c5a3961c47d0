//! The webhook receiver on loopback, without Alertmanager: what a client sends can never crash
//! or stall the cockpit (token, body limit, malformed JSON, a full queue: waited for a little,
//! then refused), and a redelivered
//! notification changes nothing.

use crate::common;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::live::{load_config, options};
use flightdeck::config::Config;
use flightdeck::live::Live;
use flightdeck::sources::webhook::{self, WebhookSettings};
use flightdeck::sources::{Origin, SourceMsg};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The resolved notification captured from Alertmanager 0.25.
fn fixture() -> String {
    common::fixture("alertmanager/webhook-resolved.json")
}

fn notification(names: &[&str], status: &str) -> Value {
    let alerts: Vec<Value> = names
        .iter()
        .map(|n| {
            json!({"status": status, "labels": {"alertname": n, "service": "checkout", "namespace": "shop"},
                   "annotations": {"summary": format!("{n} is firing")},
                   "startsAt": "2026-11-25T23:00:58.609463328Z", "endsAt": "0001-01-01T00:00:00Z",
                   "generatorURL": "", "fingerprint": "0000000000000000"})
        })
        .collect();
    json!({"version": "4", "groupKey": "{}:{alertname=\"x\"}", "truncatedAlerts": 0, "status": status,
           "receiver": "flightdeck", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
           "externalURL": "http://am", "alerts": alerts})
}

async fn post(
    client: &reqwest::Client,
    addr: SocketAddr,
    body: impl Into<reqwest::Body>,
    token: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = client
        .post(format!("http://{addr}/webhook"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let v = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, v, headers)
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_a_full_queue_gets_503() {
    let mut settings = WebhookSettings::new("127.0.0.1:0".parse().unwrap());
    settings.token = Some("s3cret".into());
    settings.body_limit = 4096;
    settings.max_queued_alerts = 3;
    // Nobody drains the queue here: a short wait for room, then 503.
    settings.queue_wait = Duration::from_millis(200);
    let (tx, mut rx) = mpsc::channel(16);
    let server = webhook::bind(&settings, tx).await.unwrap();
    let addr = server.addr();
    let c = reqwest::Client::new();
    let ok_body = notification(&["A", "B"], "firing").to_string();

    let (s, v, h) = post(&c, addr, ok_body.clone(), None).await;
    assert_eq!(s, 401, "{v}");
    assert!(h.contains_key("www-authenticate"));
    let (s, _, _) = post(&c, addr, ok_body.clone(), Some("wrong")).await;
    assert_eq!(s, 401);

    let (s, v, _) = post(&c, addr, "x".repeat(5000), Some("s3cret")).await;
    assert_eq!(s, 413, "{v}");
    assert!(v["error"].as_str().unwrap().contains("4096"), "{v}");

    let (s, v, _) = post(
        &c,
        addr,
        "{\"version\": \"4\",\n \"alerts\": [",
        Some("s3cret"),
    )
    .await;
    assert_eq!(s, 400);
    let e = v["error"].as_str().unwrap();
    assert!(
        e.starts_with("malformed JSON") && e.contains("line 2"),
        "{e}"
    );

    let (s, v, _) = post(&c, addr, "[1, 2]", Some("s3cret")).await;
    assert_eq!(s, 400, "{v}");
    let (s, v, _) = post(
        &c,
        addr,
        r#"{"version": "3", "alerts": []}"#,
        Some("s3cret"),
    )
    .await;
    assert_eq!(s, 400);
    assert!(v["error"].as_str().unwrap().contains("version"), "{v}");
    let (s, v, _) = post(
        &c,
        addr,
        r#"{"version": "4", "alerts": [{"labels": {}}]}"#,
        Some("s3cret"),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["rejected"].as_array().unwrap().len(), 1, "{v}");

    // Two alerts queue; two more do not fit in a queue of three: 503, retry later.
    let (s, v, _) = post(&c, addr, ok_body.clone(), Some("s3cret")).await;
    assert_eq!((s, v["accepted"].as_u64()), (200, Some(2)), "{v}");
    let (s, v, h) = post(&c, addr, ok_body.clone(), Some("s3cret")).await;
    assert_eq!(s, 503, "{v}");
    assert_eq!(h["retry-after"], "1");
    // The cockpit catches up (the message and its permits are dropped): accepted again.
    match rx.recv().await.unwrap() {
        SourceMsg::Events {
            origin,
            events,
            permit,
        } => {
            assert_eq!(origin, Origin::Webhook);
            assert_eq!(events.len(), 2);
            drop(permit);
        }
        other => panic!("{other:?}"),
    }
    let (s, _, _) = post(&c, addr, ok_body, Some("s3cret")).await;
    assert_eq!(s, 200);

    let stats = server.stats().snapshot();
    assert_eq!(stats.unauthorized, 2);
    assert_eq!(stats.too_large, 1);
    assert_eq!(stats.bad_request, 4);
    assert_eq!(stats.busy, 1);
    assert_eq!(stats.alerts, 4);
    let health: Value = c
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["busy"], 1);
}

/// A burst that finds the queue (or the channel to the cockpit) full waits for room instead of
/// getting 503, when the cockpit catches up within `queue_wait` (issue 15: no 503 at 25k
/// alerts/s with the default settings).
#[tokio::test]
async fn a_full_queue_is_waited_for_while_the_cockpit_catches_up() {
    let mut settings = WebhookSettings::new("127.0.0.1:0".parse().unwrap());
    settings.max_queued_alerts = 3;
    settings.queue_wait = Duration::from_secs(20);
    // One message in flight at a time: the channel fills too.
    let (tx, mut rx) = mpsc::channel(1);
    let server = webhook::bind(&settings, tx).await.unwrap();
    let addr = server.addr();
    let c = reqwest::Client::new();
    let body = |names: &[&str]| notification(names, "firing").to_string();
    let (s, v, _) = post(&c, addr, body(&["A", "B"]), None).await;
    assert_eq!((s, v["accepted"].as_u64()), (200, Some(2)), "{v}");
    // Two more do not fit in a queue of three: the POST waits.
    let waiting = {
        let (c, b) = (c.clone(), body(&["C", "D"]));
        tokio::spawn(async move { post(&c, addr, b, None).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "it waits for room, neither 200 nor 503 yet"
    );
    // The cockpit applies the first notification (its permits go): the waiting one is taken.
    let first = rx.recv().await.unwrap();
    drop(first);
    let (s, v, _) = waiting.await.unwrap();
    assert_eq!((s, v["accepted"].as_u64()), (200, Some(2)), "{v}");
    // Its message holds the channel (capacity 1) until received: the next POST fits in the
    // queue but waits for the channel.
    let (c2, b) = (c.clone(), body(&["E"]));
    let waiting = tokio::spawn(async move { post(&c2, addr, b, None).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "it waits for the channel");
    let SourceMsg::Events { events, .. } = rx.recv().await.unwrap() else {
        panic!("events expected")
    };
    assert_eq!(events.len(), 2);
    let (s, v, _) = waiting.await.unwrap();
    assert_eq!((s, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    let SourceMsg::Events { events, .. } = rx.recv().await.unwrap() else {
        panic!("events expected")
    };
    assert_eq!(events.len(), 1);
    let stats = server.stats().snapshot();
    assert_eq!((stats.busy, stats.alerts), (0, 5), "{stats:?}");
}

fn webhook_config(dir: &Path) -> Config {
    load_config(dir, "[webhook]\nlisten = \"127.0.0.1:0\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivery_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut live = Live::start(&webhook_config(dir.path()), &options())
        .await
        .unwrap();
    let addr = live.sources().webhook_addr().unwrap();
    let c = reqwest::Client::new();
    let firing =
        notification(&["CheckoutHigh5xxRate", "CheckoutHighLatencyP99"], "firing").to_string();
    let (s, _, _) = post(&c, addr, firing.clone(), None).await;
    assert_eq!(s, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    assert!(live.run_until(deadline, |c| c.alert_count() == 2).await);
    live.run_for(Duration::from_millis(300)).await;
    let before = live.snapshot();
    let webhook = before.sources.iter().find(|s| s.name == "webhook").unwrap();
    assert_eq!(format!("{:?}", webhook.state), "Ok");

    // Alertmanager delivers at least once: the same notification again, twice.
    for _ in 0..2 {
        let (s, _, _) = post(&c, addr, firing.clone(), None).await;
        assert_eq!(s, 200);
    }
    live.run_for(Duration::from_millis(500)).await;
    let after = live.snapshot();
    assert_eq!(live.session().dropped_duplicates(), 4);
    assert_eq!(after.alerts, before.alerts);
    assert_eq!(after.journal_len, before.journal_len);
    assert_eq!(
        serde_json::to_value(&after.clusters).unwrap(),
        serde_json::to_value(&before.clusters).unwrap()
    );

    // The real resolved notification captured from Alertmanager 0.25, twice: one change.
    for _ in 0..2 {
        let (s, v, _) = post(&c, addr, fixture(), None).await;
        assert_eq!((s, v["accepted"].as_u64()), (200, Some(1)), "{v}");
    }
    live.run_for(Duration::from_millis(500)).await;
    assert_eq!(live.snapshot().alerts, 3);
    assert_eq!(live.session().dropped_duplicates(), 5);
    // A late redelivery of the firing notification after the resolution does not re-open it.
    let late = {
        let mut v: Value = serde_json::from_str(&fixture()).unwrap();
        v["status"] = json!("firing");
        v["alerts"][0]["status"] = json!("firing");
        v["alerts"][0]["endsAt"] = json!("0001-01-01T00:00:00Z");
        v.to_string()
    };
    let (s, _, _) = post(&c, addr, late, None).await;
    assert_eq!(s, 200);
    live.run_for(Duration::from_millis(500)).await;
    assert_eq!(live.session().dropped_duplicates(), 6);
    let fp = "19ddd1f22b8939a5".parse().unwrap();
    let tracked = live
        .cockpit()
        .alert(fp)
        .expect("the fixture's alert, by Alertmanager's fingerprint");
    assert_eq!(
        tracked.alert.state,
        flightdeck::alerts::AlertState::Resolved
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_notifications_never_stalls_the_cockpit() {
    let dir = tempfile::tempdir().unwrap();
    let mut live = Live::start(&webhook_config(dir.path()), &options())
        .await
        .unwrap();
    let addr = live.sources().webhook_addr().unwrap();
    // Small enough for a debug build: the core's per-alert cost, not the receiver, is the
    // bottleneck (benches/webhook.rs measures the rates in release).
    let clients = 8;
    let per_client = 5;
    let per_post = 20;
    let mut tasks = Vec::new();
    for c in 0..clients {
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut ok, mut busy) = (0, 0);
            for p in 0..per_client {
                let names: Vec<String> =
                    (0..per_post).map(|i| format!("Flood{c}x{p}x{i}")).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let body = notification(&refs, "firing").to_string();
                loop {
                    let (s, _, _) = post(&http, addr, body.clone(), None).await;
                    if s == 200 {
                        ok += 1;
                        break;
                    }
                    assert_eq!(s, 503);
                    busy += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            (ok, busy)
        }));
    }
    let want = clients * per_client * per_post;
    let started = Instant::now();
    // The loop keeps stepping (ticks every second) while the flood comes in.
    let done = live
        .run_until(started + Duration::from_secs(60), |c| {
            c.alert_count() == want
        })
        .await;
    assert!(
        done,
        "only {} of {want} alerts arrived",
        live.cockpit().alert_count()
    );
    for t in tasks {
        let (ok, _busy) = t.await.unwrap();
        assert_eq!(ok, per_client);
    }
    eprintln!(
        "{want} alerts in {:?}; webhook stats {:?}",
        started.elapsed(),
        live.sources().webhook_stats()
    );
}
