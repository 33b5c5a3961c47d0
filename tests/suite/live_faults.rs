//! Faults a real shift meets, against fake servers on loopback: a server that hangs (timeouts,
//! the loop never blocks), one that answers garbage, and Prometheus answers that carry no
//! data (NaN, empty vectors, query errors). None of them may show as a zero or as current
//! data.

use crate::common;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::live::{evaluation_ms, load_config, options, source_state};
use flightdeck::cockpit::{Cockpit, Snapshot, SourceHealth, SourceState};
use flightdeck::config::Config;
use flightdeck::live::Live;
use tokio::time::Instant;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn query_of(uri: &Uri) -> BTreeMap<String, String> {
    let url = reqwest::Url::parse(&format!("http://x{uri}")).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn json(status: StatusCode, body: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn vector(value: &str) -> String {
    format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"code":"200"}},"value":[1800000000.123,"{value}"]}}]}}}}"#
    )
}

const OPENSLO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: NAME
spec:
  service: shop
  indicator:
    metadata: {name: NAME-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'GOOD'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'TOTAL'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"#;

/// A config dir with one OpenSLO file per `(name, good, total)` and the given sections.
fn config(dir: &Path, slos: &[(&str, &str, &str)], sections: &str) -> Config {
    let mut files = Vec::new();
    for (name, good, total) in slos {
        let f = format!("{name}.yaml");
        std::fs::write(
            dir.join(&f),
            OPENSLO
                .replace("NAME", name)
                .replace("GOOD", good)
                .replace("TOTAL", total),
        )
        .unwrap();
        files.push(format!("{f:?}"));
    }
    let text = format!("[slo]\nfiles = [{}]\n{sections}", files.join(", "));
    load_config(dir, &text)
}

/// Live on a config with one SLO, `shop` (good_total of all_total), and the given sections.
async fn start_shop(dir: &Path, sections: &str) -> Live {
    let cfg = config(dir, &[("shop", "good_total", "all_total")], sections);
    Live::start(&cfg, &options()).await.unwrap()
}

/// Prometheus and Alertmanager both at `addr`, polled every second with a 1 s timeout.
fn both_sources(addr: SocketAddr) -> String {
    format!(
        "[prometheus]\nurl = \"http://{addr}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nbackfill = false\n\
         [alertmanager]\nurl = \"http://{addr}\"\ninterval = \"1s\"\ntimeout = \"1s\"\n"
    )
}

fn source<'a>(s: &'a Snapshot, name: &str) -> &'a SourceHealth {
    s.sources
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no source {name} in {:?}", s.sources))
}

fn both_down(c: &Cockpit) -> bool {
    source_state(c, "prometheus") == Some(SourceState::Down)
        && source_state(c, "alertmanager") == Some(SourceState::Down)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_times_out_and_never_blocks_the_loop() {
    let hang = || async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "too late"
    };
    let addr = serve(
        Router::new()
            .route("/api/v1/query", get(hang))
            .route("/api/v2/status", get(hang))
            .route("/api/v2/alerts", get(hang)),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut live = start_shop(dir.path(), &both_sources(addr)).await;
    // The server holds every request for 30 s: both sources are down well before that (their
    // 1 s timeouts), or the loop waited on them.
    let down = live
        .run_until(Instant::now() + Duration::from_secs(15), both_down)
        .await;
    assert!(down, "{:?}", live.cockpit().sources());
    // While the server hangs, the loop still ticks: the cockpit's clock moves on by two ticks
    // (a loop blocked on a request would not move for 30 s).
    let from = flightdeck::time::Timestamp::now();
    let ticked = live
        .run_until(Instant::now() + Duration::from_secs(15), |c| {
            c.now() >= from + flightdeck::time::SignedDuration::from_secs(2)
        })
        .await;
    assert!(
        ticked,
        "the loop stopped ticking at {}",
        live.cockpit().now()
    );
    let s = live.snapshot();
    let p = source(&s, "prometheus");
    assert!(
        p.last_error
            .as_deref()
            .unwrap()
            .contains("timed out after 1s"),
        "{p:?}"
    );
    assert!(p.last_ok.is_none());
    assert!(
        source(&s, "alertmanager")
            .last_error
            .as_deref()
            .unwrap()
            .contains("timed out")
    );
    assert_eq!(s.slos[0].budget_remaining, None, "no data is not a budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_answers_are_errors_not_data() {
    let garbage = || async { (StatusCode::OK, "<html><body>502 Bad Gateway</body></html>") };
    let addr = serve(
        Router::new()
            .route("/api/v1/query", get(garbage))
            .route(
                "/api/v2/status",
                get(|| async { json(StatusCode::OK, "{\"versionInfo\":{}}") }),
            )
            .route(
                "/api/v2/alerts",
                get(|| async { json(StatusCode::OK, "{\"alerts\": 3") }),
            ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut live = start_shop(dir.path(), &both_sources(addr)).await;
    let down = live
        .run_until(Instant::now() + Duration::from_secs(10), both_down)
        .await;
    assert!(down, "{:?}", live.cockpit().sources());
    let s = live.snapshot();
    let p = source(&s, "prometheus").last_error.clone().unwrap();
    assert!(
        p.contains("not a Prometheus API answer") && p.contains("502 Bad Gateway"),
        "{p}"
    );
    let a = source(&s, "alertmanager").last_error.clone().unwrap();
    assert!(a.contains("not an Alertmanager API answer"), "{a}");
    assert_eq!(s.slos[0].budget_remaining, None);
    assert_eq!(s.alerts, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nan_empty_and_failed_queries_are_no_data_never_zero() {
    // Counters as of the query's evaluation time (a poll's good and total queries see the
    // same counters whichever reaches the server first), 100 a second.
    let prom = move |uri: Uri| async move {
        let q = query_of(&uri).remove("query").unwrap_or_default();
        let n = evaluation_ms(&uri) / 10;
        if q.contains("nan_total") {
            json(StatusCode::OK, &vector("NaN"))
        } else if q.contains("inf_total") {
            json(StatusCode::OK, &vector("+Inf"))
        } else if q.contains("empty_total") {
            json(
                StatusCode::OK,
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            )
        } else if q.contains("broken_total") {
            json(
                StatusCode::BAD_REQUEST,
                r#"{"status":"error","errorType":"bad_data","error":"1:15: parse error: unclosed left parenthesis"}"#,
            )
        } else if q.contains("slow_total") {
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
            )
        } else if q.contains("good_total") {
            json(StatusCode::OK, &vector(&format!("{}", n - n / 100)))
        } else {
            json(StatusCode::OK, &vector(&format!("{n}")))
        }
    };
    let addr = serve(Router::new().route("/api/v1/query", get(prom))).await;
    let dir = tempfile::tempdir().unwrap();
    let sections = format!(
        "[prometheus]\nurl = \"http://{addr}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nbackfill = false\n"
    );
    let cfg = config(
        dir.path(),
        &[
            ("fine", "good_total", "all_total"),
            ("nan", "good_total", "nan_total"),
            ("inf", "inf_total", "all_total"),
            ("empty", "good_total", "empty_total"),
            ("broken", "good_total", "broken_total"),
            ("slow", "slow_total", "all_total"),
        ],
        &sections,
    );
    let mut live = Live::start(&cfg, &options()).await.unwrap();
    let fine = live
        .run_until(Instant::now() + Duration::from_secs(10), |c| {
            c.budgets()
                .iter()
                .any(|b| b.slo == "fine" && b.budget_remaining.is_some())
        })
        .await;
    assert!(fine);
    live.run_for(Duration::from_millis(2500)).await;
    let s = live.snapshot();
    for slo in &s.slos {
        if slo.name == "fine" {
            assert!(slo.budget_remaining.is_some());
        } else {
            assert_eq!(
                slo.budget_remaining, None,
                "{}: no data must not be a budget",
                slo.name
            );
            assert!(slo.burn_rates.values().all(Option::is_none), "{slo:?}");
        }
    }
    let p = source(&s, "prometheus");
    // The server answers, but some SLOs have no current data: stale, never ok, never down.
    assert_eq!(p.state, SourceState::Stale, "{p:?}");
    let e = p.last_error.as_deref().unwrap();
    for needle in [
        "nan: total query returned NaN",
        "inf: good query returned inf",
        "empty: total query returned no series",
        "broken: total query: query failed (bad_data)",
        "slow: good query: query failed (timeout)",
    ] {
        assert!(e.contains(needle), "{needle:?} not in {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_query_that_keeps_failing_is_given_up_not_repeated() {
    // How many history (range) queries were asked: what the test is about.
    let ranges = Arc::new(AtomicU64::new(0));
    let r2 = ranges.clone();
    let app = Router::new()
        .route(
            "/api/v1/query_range",
            get(move || {
                let r = r2.clone();
                async move {
                    r.fetch_add(1, Ordering::Relaxed);
                    json(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        r#"{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}"#,
                    )
                }
            }),
        )
        .route(
            "/api/v1/query",
            get(|uri: Uri| async move {
                // The counter as of the query's evaluation time.
                json(StatusCode::OK, &vector(&(evaluation_ms(&uri) / 10).to_string()))
            }),
        );
    let addr = serve(app).await;
    let dir = tempfile::tempdir().unwrap();
    let sections = format!(
        "[prometheus]\nurl = \"http://{addr}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nbackfill = true\n"
    );
    let mut live = start_shop(dir.path(), &sections).await;
    let ok = live
        .run_until(Instant::now() + Duration::from_secs(10), |c| {
            c.budgets()
                .first()
                .is_some_and(|b| b.budget_remaining.is_some())
        })
        .await;
    assert!(ok, "{:?}", live.cockpit().sources());
    let s = live.snapshot();
    let e = source(&s, "prometheus").last_error.clone().unwrap();
    assert!(
        e.contains("too many samples") && e.contains("running without history"),
        "{e}"
    );
    let tried = ranges.load(Ordering::Relaxed);
    live.run_for(Duration::from_secs(2)).await;
    assert_eq!(
        ranges.load(Ordering::Relaxed),
        tried,
        "no more history queries"
    );
    assert!(
        tried <= 6,
        "{tried} range queries (two per try, three tries)"
    );
}
