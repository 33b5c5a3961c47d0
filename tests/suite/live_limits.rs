//! The receiver's connection limits and timeouts, and the byte budget of tracked alerts
//! (issue 16, items 2 and 3): idle and slow connections are closed in bounded time, connections
//! beyond the cap are closed at once, `/healthz` keeps answering, and 1,500 alerts with big
//! labels stay within the budget.

use std::time::{Duration, Instant};

use flightdeck::alerts::{Alert, AlertState};
use flightdeck::cockpit::{CockpitConfig, Event};
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::LiveSession;
use flightdeck::sources::webhook::{self, WebhookSettings};
use flightdeck::sources::{Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn until_closed<R: AsyncRead + Unpin>(
    mut s: R,
    within: Duration,
) -> Option<(String, Instant)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let end = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((String::from_utf8_lossy(&got).into_owned(), Instant::now()));
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_and_capped() {
    let mut settings = WebhookSettings::new("127.0.0.1:0".parse().unwrap());
    settings.max_connections = 8;
    settings.header_timeout = Duration::from_secs(1);
    settings.body_timeout = Duration::from_secs(1);
    let (tx, _rx) = mpsc::channel(16);
    let server = webhook::bind(&settings, tx).await.unwrap();
    let addr = server.addr();
    let started = Instant::now();

    // Slow headers: a byte every 300 ms never completes them in time.
    let mut slow_head = TcpStream::connect(addr).await.unwrap();
    let head = tokio::spawn(async move {
        for b in b"POST /webhook HTTP/1.1\r\nHost: x\r\n".iter() {
            if slow_head.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    // A slow body: headers at once, then a byte every 300 ms.
    let mut slow_body = TcpStream::connect(addr).await.unwrap();
    slow_body
        .write_all(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
    let (read_half, mut write_half) = slow_body.into_split();
    let body = tokio::spawn(async move {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if write_half.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    // Idle connections, more than the cap.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut closed = Vec::new();
    for s in idle {
        closed.push(tokio::spawn(until_closed(s, Duration::from_secs(5))));
    }
    let mut early = 0;
    for c in closed {
        let (_, at) = c.await.unwrap().expect("an idle connection is closed");
        if at.duration_since(started) < Duration::from_millis(800) {
            early += 1;
        }
    }
    // Two slots went to the slow connections: at least 14 of 20 idle ones were over the cap.
    assert!(early >= 12, "{early} closed at accept");
    let (text, _) = until_closed(read_half, Duration::from_secs(3))
        .await
        .expect("the slow body's connection is closed");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let _ = head.await;
    let _ = body.await;

    // The receiver is free again: /healthz answers and counts what happened.
    let c = reqwest::Client::new();
    let health: Value = c
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        health["refused_connections"].as_u64().unwrap() >= 12,
        "{health}"
    );
    assert_eq!(health["timed_out"], 1, "the slow body got 408: {health}");
}

#[tokio::test]
async fn a_slow_body_gets_408_in_time() {
    let mut settings = WebhookSettings::new("127.0.0.1:0".parse().unwrap());
    settings.body_timeout = Duration::from_millis(500);
    let (tx, _rx) = mpsc::channel(16);
    let server = webhook::bind(&settings, tx).await.unwrap();
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000\r\n\r\n{",
    )
    .await
    .unwrap();
    let (text, _) = until_closed(s, Duration::from_secs(5))
        .await
        .expect("the server closes the connection");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("did not arrive within 0.5 s"), "{text}");
}

fn big_alert(i: usize, label_bytes: usize, state: AlertState) -> Alert {
    let start: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    Alert {
        labels: [
            ("alertname".to_string(), format!("Big{i}")),
            ("blob".to_string(), "x".repeat(label_bytes)),
        ]
        .into(),
        annotations: Default::default(),
        starts_at: start,
        ends_at: (state == AlertState::Resolved).then(|| start + SignedDuration::from_mins(5)),
        state,
        generator_url: None,
        detail: Default::default(),
    }
}

/// 1,500 alerts with a label at the cap (what a 1 MB label is cut to): the tracked alerts stay
/// within the byte budget, the newest are refused with a notice, and a resolve of an alert
/// already tracked is never refused.
#[test]
fn tracked_alerts_stay_within_the_byte_budget() {
    let t0: Timestamp = "2026-11-26T03:10:00Z".parse().unwrap();
    let mut s = LiveSession::new(
        CockpitConfig::default(),
        Vec::new(),
        KnowledgeBase::default(),
        t0,
        None,
    );
    let budget = 2 << 20;
    s.set_alert_budget(budget);
    let label = flightdeck::alerts::parse::MAX_LABEL_BYTES;
    for i in 0..1500 {
        s.handle(
            SourceMsg::Events {
                origin: Origin::Webhook,
                events: vec![(t0, Event::Alert(big_alert(i, label, AlertState::Firing)))],
                permit: None,
            },
            t0,
        );
    }
    let (used, refused) = s.alert_memory();
    let tracked = s.cockpit().alert_count();
    assert!(used <= budget, "{used} > {budget}");
    assert!(tracked > 300 && tracked < 500, "{tracked} tracked");
    assert_eq!(refused as usize, 1500 - tracked);
    let notices = s.take_notices();
    assert!(
        notices.iter().any(|n| n.contains("memory_budget")),
        "{notices:?}"
    );
    // Full, yet the resolve of a tracked alert gets in.
    s.handle(
        SourceMsg::Events {
            origin: Origin::Webhook,
            events: vec![(t0, Event::Alert(big_alert(0, label, AlertState::Resolved)))],
            permit: None,
        },
        t0,
    );
    let first = big_alert(0, label, AlertState::Firing).fingerprint();
    assert_eq!(
        s.cockpit().alert(first).unwrap().alert.state,
        AlertState::Resolved
    );
}
