//! Hostile clients and servers (issue 16, items 2–4): a web page posting to the loopback
//! receiver, slow senders holding the receiver, a 1 MB label, and an Alertmanager or Prometheus
//! that streams an endless body.

use std::net::SocketAddr;
use std::time::Duration;

use flightdeck::sources::webhook::{self, WebhookSettings};
use flightdeck::sources::{AlertmanagerClient, PrometheusClient, SourceMsg};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

fn notification(label: &str) -> String {
    json!({"version": "4", "status": "firing", "receiver": "flightdeck", "groupLabels": {},
           "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
           "alerts": [{"status": "firing",
                       "labels": {"alertname": "Injected", "service": "checkout", "pod": label},
                       "annotations": {"summary": "from somewhere"},
                       "startsAt": "2026-11-25T23:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}]})
    .to_string()
}

async fn receiver(
    settings: WebhookSettings,
) -> (webhook::WebhookServer, mpsc::Receiver<SourceMsg>) {
    let (tx, rx) = mpsc::channel(64);
    (webhook::bind(&settings, tx).await.unwrap(), rx)
}

fn loopback() -> WebhookSettings {
    WebhookSettings::new("127.0.0.1:0".parse().unwrap())
}

/// What a browser page can send cross-origin without a preflight (text/plain, form types, no
/// type at all) is refused with 415; JSON carrying a browser's `Origin` or `Sec-Fetch-Site`
/// with 403. Nothing reaches the cockpit.
#[tokio::test]
async fn a_web_page_cannot_post_alerts() {
    let (server, mut rx) = receiver(loopback()).await;
    let url = format!("http://{}/webhook", server.addr());
    let c = reqwest::Client::new();
    let body = notification("p-1");
    for ct in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=xyz"),
        None,
    ] {
        let mut req = c.post(&url).body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 415, "{ct:?}");
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("application/json"),
            "{v}"
        );
    }
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let r = c
            .post(&url)
            .header("content-type", "application/json")
            .header(name, value)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{name}: {value}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains("web page"), "{v}");
    }
    assert!(rx.try_recv().is_err(), "nothing reached the cockpit");
    // Alertmanager's own request still gets in.
    let r = c
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(rx.try_recv().is_ok());
}

/// 70 connections trickling a body a byte a second used to hold every read slot, so every
/// real notification got 503: now a slow sender holds only the bytes it sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_senders_never_starve_real_notifications() {
    let (server, mut rx) = receiver(loopback()).await;
    let addr = server.addr();
    let mut slow = Vec::new();
    for _ in 0..70 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100000\r\n\r\n{",
        )
        .await
        .unwrap();
        slow.push(s);
    }
    let trickle = tokio::spawn(async move {
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            for s in &mut slow {
                let _ = s.write_all(b" ").await;
            }
        }
        slow
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let c = reqwest::Client::new();
    for i in 0..3 {
        let r = c
            .post(format!("http://{addr}/webhook"))
            .header("content-type", "application/json")
            .body(notification(&format!("p-{i}")))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(status, 200, "{}", r.text().await.unwrap_or_default());
    }
    let health: Value = c
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["busy"], 0, "{health}");
    assert!(rx.try_recv().is_ok());
    drop(trickle);
}

/// A 1 MB label is cut to a few kilobytes, visibly.
#[tokio::test]
async fn a_megabyte_label_is_cut_visibly() {
    let mut settings = loopback();
    settings.body_limit = 4 << 20;
    let (server, mut rx) = receiver(settings).await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/webhook", server.addr()))
        .header("content-type", "application/json")
        .body(notification(&"x".repeat(1_000_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let Some(SourceMsg::Events { events, .. }) = rx.recv().await else {
        panic!("no events");
    };
    let flightdeck::cockpit::Event::Alert(a) = &events[0].1 else {
        panic!("not an alert");
    };
    let pod = &a.labels["pod"];
    assert!(pod.len() < 5000, "{} bytes kept", pod.len());
    assert!(
        pod.ends_with("…[truncated 1.0 MB]"),
        "{}",
        &pod[pod.len() - 30..]
    );
}

/// A fake server that answers every request with a chunked body that never ends: 80 MiB as
/// fast as the client reads, then a chunk every 100 ms. Returns its address.
async fn endless_server(first: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                             Transfer-Encoding: chunked\r\n\r\n";
                if s.write_all(head).await.is_err() {
                    return;
                }
                let chunk = |data: &[u8]| {
                    let mut c = format!("{:x}\r\n", data.len()).into_bytes();
                    c.extend_from_slice(data);
                    c.extend_from_slice(b"\r\n");
                    c
                };
                if s.write_all(&chunk(first)).await.is_err() {
                    return;
                }
                let filler = chunk(&b" ".repeat(64 * 1024));
                let mut sent = 0usize;
                loop {
                    if s.write_all(&filler).await.is_err() {
                        return;
                    }
                    sent += 64 * 1024;
                    if sent > 80 << 20 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            });
        }
    });
    addr
}

/// An Alertmanager or Prometheus streaming an endless body is refused at the cap with an error
/// naming the URL, long before the request timeout; memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_refused_at_the_cap() {
    let am = endless_server(b"[").await;
    let client = AlertmanagerClient::new(
        format!("http://{am}/").parse().unwrap(),
        Duration::from_secs(20),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let e = client.alerts(&[], None).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("http://{am}/api/v2/alerts")) && e.contains("larger than 64 MiB"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(15), "{e}");

    let prom =
        endless_server(b"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[")
            .await;
    let client = PrometheusClient::new(
        format!("http://{prom}/").parse().unwrap(),
        Duration::from_secs(20),
    )
    .unwrap();
    let e = client.query("up", 0).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("http://{prom}/api/v1/query")) && e.contains("larger than 64 MiB"),
        "{e}"
    );
    assert!(!e.contains("query=up"), "the query string is left out: {e}");
}
