//! A headless live run (issue 17 §9–10): its JSON tells, per source, what was delivered
//! (webhook notifications and alerts, polls ok and failed, the last error), so a webhook that
//! received nothing is not mistaken for one that did; and it is an observer: it writes nothing
//! into the team journal unless `--journal-decisions` asks it to.

use crate::common;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::live::free_port;
use serde_json::Value;

fn headless(home: &Path, cfg: &Path, until: &str, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(["--config", cfg.to_str().unwrap(), "--headless", "--json"])
        .args(["--until", until])
        .args(extra)
        .env("FLIGHTDECK_HOME", home)
        .env_remove("FLIGHTDECK_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the flightdeck binary runs")
}

async fn finish(child: std::process::Child) -> Value {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn source(v: &Value, name: &str) -> Value {
    v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no source {name} in {v}"))
        .clone()
}

async fn wait_listening(port: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "webhook never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_tell_a_delivering_webhook_from_a_silent_one_and_the_journal_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = dir.path().join("flightdeck.toml");
    std::fs::write(
        &cfg,
        format!(
            "[journal]\npath = \"journal.jsonl\"\n\
             [alertmanager]\nurl = \"http://127.0.0.1:{}\"\ninterval = \"2s\"\ntimeout = \"1s\"\n\
             [webhook]\nlisten = \"127.0.0.1:{port}\"\n",
            free_port()
        ),
    )
    .unwrap();
    let journal = dir.path().join("journal.jsonl");

    // Asked to, a headless run journals its session like a cockpit.
    let v = finish(headless(dir.path(), &cfg, "2s", &["--journal-decisions"])).await;
    let written = std::fs::read(&journal).expect("--journal-decisions writes the journal");
    let text = String::from_utf8_lossy(&written);
    assert!(text.contains("live session of"), "{text}");
    let webhook = source(&v, "webhook");
    assert_eq!(webhook["counts"]["notifications"], 0, "{webhook}");
    assert!(webhook["last_ok"].is_null(), "nothing arrived: {webhook}");

    // An observer: one notification delivered, counted; the journal byte for byte as it was.
    let child = headless(dir.path(), &cfg, "3s", &[]);
    wait_listening(port).await;
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/webhook"))
        .header("content-type", "application/json")
        .body(common::fixture("alertmanager/webhook-resolved.json"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let v = finish(child).await;
    let webhook = source(&v, "webhook");
    assert_eq!(webhook["counts"]["notifications"], 1, "{webhook}");
    assert_eq!(webhook["counts"]["alerts"], 1, "{webhook}");
    assert!(webhook["last_ok"].is_string(), "{webhook}");
    let am = source(&v, "alertmanager");
    assert_eq!(am["state"], "down", "{am}");
    assert!(am["counts"]["polls_failed"].as_u64().unwrap() >= 1, "{am}");
    assert!(am["last_error"].is_string(), "{am}");
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        written,
        "an observer writes nothing into the team journal"
    );
}
