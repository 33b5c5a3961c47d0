//! An honest governor against the real servers (issue 17 §2–4): a Sloth rate SLO's burn rates
//! agree with Prometheus's own evaluation of Sloth's recording rules, in steady state and just
//! after a burst; stale SLO rows when Prometheus is stopped, recovery when it is back; alert
//! states (firing, silenced, inhibited, resolved, unknown) through a silence and a restart of
//! the real Alertmanager.

use crate::common;
use crate::live_servers::{
    CHECKOUT_SLO, PROMETHEUS, Server, Traffic, need, serve_traffic, start_prometheus, wait,
};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::live::{free_port, load_config, options};
use flightdeck::cockpit::Cockpit;
use flightdeck::live::Live;
use flightdeck::slo::Window;
use flightdeck::time::Timestamp;
use serde_json::Value;

/// The Sloth spec of the rate SLO (its queries carry `{{.window}}`).
const SLOTH_SLO: &str = r#"version: "prometheus/v1"
service: "checkout"
slos:
  - name: "requests"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      page_alert: {disable: true}
      ticket_alert: {disable: true}
"#;

const ERRORS: &str = r#"sum(rate(http_requests_total{job="checkout",code=~"5.."}[W]))"#;
const TOTAL: &str = r#"sum(rate(http_requests_total{job="checkout"}[W]))"#;

/// The SLI recording rules `sloth generate` writes for [`SLOTH_SLO`] (sloth 0.11: one
/// `slo:sli_error:ratio_rateW` per window, and the period's as the mean of the 5m ratios).
fn sloth_rules() -> String {
    let mut out =
        String::from("groups:\n  - name: sloth-slo-sli-recordings-checkout-requests\n    rules:\n");
    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
        out.push_str(&format!(
            "      - record: slo:sli_error:ratio_rate{w}\n        expr: |\n          ({})\n          /\n          ({})\n        labels: {{sloth_id: checkout-requests, sloth_service: checkout, sloth_slo: requests, sloth_window: {w}}}\n",
            ERRORS.replace('W', w),
            TOTAL.replace('W', w)
        ));
    }
    out.push_str(
        "      - record: slo:sli_error:ratio_rate30d\n        expr: |\n          sum_over_time(slo:sli_error:ratio_rate5m{sloth_id=\"checkout-requests\", sloth_service=\"checkout\", sloth_slo=\"requests\"}[30d])\n          / ignoring (sloth_window)\n          count_over_time(slo:sli_error:ratio_rate5m{sloth_id=\"checkout-requests\", sloth_service=\"checkout\", sloth_slo=\"requests\"}[30d])\n        labels: {sloth_id: checkout-requests, sloth_service: checkout, sloth_slo: requests, sloth_window: 30d}\n",
    );
    out
}

/// Prometheus scraping `target` every second, evaluating `rules` every second.
fn start_prometheus_with_rules(dir: &Path, target: SocketAddr, rules: &str) -> Server {
    let data = dir.join("prom-data");
    std::fs::create_dir_all(&data).unwrap();
    let rules_file = dir.join("rules.yml");
    std::fs::write(&rules_file, rules).unwrap();
    let cfg = dir.join("prom.yml");
    std::fs::write(
        &cfg,
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             rule_files: ['{}']\n\
             scrape_configs:\n  - job_name: checkout\n    static_configs: [{{targets: ['{target}']}}]\n",
            rules_file.display()
        ),
    )
    .unwrap();
    let port = free_port();
    let args = vec![
        PROMETHEUS.to_string(),
        format!("--config.file={}", cfg.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    Server::spawn("prometheus", args, port, dir)
}

/// An instant query's single value, `None` when empty or NaN.
async fn prom_value(prom: &str, query: &str, at: Option<Timestamp>) -> Option<f64> {
    let mut params = vec![("query", query.to_string())];
    if let Some(t) = at {
        let ms = t.as_millisecond();
        params.push((
            "time",
            format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000)),
        ));
    }
    let v: Value = reqwest::Client::new()
        .get(format!("{prom}/api/v1/query"))
        .query(&params)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "success", "{query}: {v}");
    let s = v["data"]["result"][0]["value"][1].as_str()?;
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Every window's burn rate in the cockpit against Sloth's rule for it, evaluated by
/// Prometheus: the fixed windows' expressions at the instant the cockpit measured them, the
/// period's recorded series (the mean of the recorded 5m ratios). Returns the worst relative
/// difference (the period's scaled to the 2% the fixed windows get) and a table for the
/// failure message.
async fn compare(prom: &str, c: &Cockpit) -> (f64, String) {
    let b = &c.budgets()[0];
    let at = b
        .measured_at
        .expect("the windows are measured by Prometheus");
    let mut worst: f64 = 0.0;
    let mut table = format!("measured at {at}\n");
    for w in Window::FAST {
        let expr = format!(
            "({}) / ({})",
            ERRORS.replace('W', w.label()),
            TOTAL.replace('W', w.label())
        );
        let theirs = prom_value(prom, &expr, Some(at)).await.map(|r| r / 0.001);
        let ours = b.burn_rate(w);
        let rel = match (ours, theirs) {
            (Some(o), Some(t)) if t > 0.0 => (o - t).abs() / t,
            (Some(o), Some(t)) => (o - t).abs(),
            _ => f64::INFINITY,
        };
        worst = worst.max(rel);
        table.push_str(&format!(
            "  {:>3}: flightdeck {ours:?}  prometheus {theirs:?}  {:+.3}%\n",
            w.label(),
            rel * 100.0
        ));
    }
    // The period: Sloth's recorded series at the last evaluation at or before the instant, the
    // mean of the 5m ratios its rule recorded (one a second here). Ours is the mean of the 5m
    // ratios we measured (one a poll, back-filled at 1s): the same statistic on another grid.
    // On a young Prometheus (a minute of points) one point more or less on either side moves
    // the mean by (5m ratio − mean) ÷ points; the comparison allows that much when it is more
    // than 2% (a 30-day window has 43,200 points a minute: there it is nothing).
    let theirs = prom_value(
        prom,
        "slo:sli_error:ratio_rate30d{sloth_id=\"checkout-requests\"}",
        Some(at),
    )
    .await
    .map(|r| r / 0.001);
    let points = prom_value(
        prom,
        "count_over_time(slo:sli_error:ratio_rate5m{sloth_id=\"checkout-requests\"}[30d])",
        Some(at),
    )
    .await
    .unwrap_or(1.0);
    let ours = b.burn_rate(Window::Slo);
    let one_point = match (theirs, b.burn_rate(Window::M5)) {
        (Some(t), Some(m5)) if t > 0.0 => 2.0 * (m5 - t).abs() / points / t,
        _ => 0.0,
    };
    let rel = match (ours, theirs) {
        (Some(o), Some(t)) if t > 0.0 => (o - t).abs() / t,
        _ => f64::INFINITY,
    };
    let allowed = one_point.max(0.02);
    worst = worst.max(rel * 0.02 / allowed);
    table.push_str(&format!(
        "  30d: flightdeck {ours:?}  sloth rule {theirs:?}  {:+.3}% (allowed {:.3}%: {points} points)\n",
        rel * 100.0,
        allowed * 100.0
    ));
    (worst, table)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sloth_rate_slo_burn_rates_agree_with_prometheus_steady_and_after_a_burst() {
    if !need(&[PROMETHEUS]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let traffic = Arc::new(Traffic::default());
    // 1,000 requests a second, 1% errors (burn 10 on 99.9%).
    traffic.good_rate.store(990, Ordering::Relaxed);
    traffic.bad_rate.store(10, Ordering::Relaxed);
    let target = serve_traffic(traffic.clone()).await;
    let prom = start_prometheus_with_rules(dir.path(), target, &sloth_rules());
    std::fs::write(dir.path().join("slo.yaml"), SLOTH_SLO).unwrap();
    let cfg = load_config(
        dir.path(),
        &format!(
            "[slo]\nfiles = [\"slo.yaml\"]\n[prometheus]\nurl = \"{}\"\ninterval = \"1s\"\n\
             timeout = \"2s\"\nbackfill_step = \"1s\"\n",
            prom.url()
        ),
    );
    // Some history first, so the back-fill has 5m ratios to read.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let mut live = Live::start(&cfg, &options()).await.unwrap();

    // Steady state.
    wait(&mut live, 60, "measured windows", |c| {
        c.budgets()
            .first()
            .is_some_and(|b| b.measured_at.is_some() && b.burn_rate(Window::Slo).is_some())
    })
    .await;
    live.run_for(Duration::from_secs(15)).await;
    let (worst, table) = compare(&prom.url(), live.cockpit()).await;
    assert!(worst <= 0.02, "steady state: more than 2% apart\n{table}");
    eprintln!("steady state:\n{table}");

    // A burst: 3,000 errors at once. Wait until Prometheus has scraped it, then for a
    // measurement after that.
    let bad_before = traffic.bad.load(Ordering::Relaxed);
    traffic.bad.fetch_add(3_000, Ordering::Relaxed);
    let mut scraped_at = None;
    for _ in 0..100 {
        let v = prom_value(
            &prom.url(),
            "sum(http_requests_total{job=\"checkout\",code=\"500\"})",
            None,
        )
        .await;
        if v.is_some_and(|v| v >= (bad_before + 3_000) as f64) {
            scraped_at = Some(Timestamp::now());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let scraped_at = scraped_at.expect("Prometheus scraped the burst");
    wait(&mut live, 20, "a measurement after the burst", |c| {
        c.budgets()[0].measured_at.is_some_and(|t| t > scraped_at)
    })
    .await;
    let (worst, table) = compare(&prom.url(), live.cockpit()).await;
    eprintln!("after the burst:\n{table}");
    assert!(worst <= 0.02, "after a burst: more than 2% apart\n{table}");
    // The burst shows: the 5m burn is far above the steady 10.
    assert!(live.cockpit().budgets()[0].burn_rate(Window::M5).unwrap() > 30.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slo_rows_go_stale_when_prometheus_stops_and_recover_when_it_is_back() {
    if !need(&[PROMETHEUS]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let traffic = Arc::new(Traffic::default());
    traffic.good_rate.store(1_000, Ordering::Relaxed);
    traffic.bad_rate.store(10, Ordering::Relaxed);
    let target = serve_traffic(traffic.clone()).await;
    let mut prom = start_prometheus(dir.path(), target, None);
    std::fs::write(dir.path().join("slo.yaml"), CHECKOUT_SLO).unwrap();
    let cfg = load_config(
        dir.path(),
        &format!(
            "[slo]\nfiles = [\"slo.yaml\"]\n[prometheus]\nurl = \"{}\"\ninterval = \"1s\"\n\
             timeout = \"1s\"\nmax_backoff = \"2s\"\n",
            prom.url()
        ),
    );
    let mut live = Live::start(&cfg, &options()).await.unwrap();
    wait(&mut live, 30, "burn rates", |c| {
        c.budgets()
            .first()
            .is_some_and(|b| b.burn_rate(Window::M5).is_some() && !b.is_stale())
    })
    .await;

    prom.kill();
    let stopped = Timestamp::now();
    // Stale after three sample spacings, at least 30 seconds.
    wait(&mut live, 60, "a stale SLO row", |c| {
        c.budgets()[0].is_stale()
    })
    .await;
    let first = live.cockpit().budgets()[0].clone();
    let last = first.last_sample.expect("the newest sample is known");
    assert!(last <= stopped, "{last} after the stop at {stopped}");
    let snap = serde_json::to_value(live.snapshot()).unwrap();
    assert_eq!(snap["slos"][0]["stale"], true, "{}", snap["slos"][0]);
    assert!(snap["slos"][0]["age_s"].as_f64().unwrap() >= 30.0);
    assert!(
        live.cockpit().mode_reason().contains("SLO data stale"),
        "{}",
        live.cockpit().mode_reason()
    );
    // The numbers stop moving while nothing new arrives.
    live.run_for(Duration::from_secs(5)).await;
    let later = &live.cockpit().budgets()[0];
    assert_eq!(later.burn_rates, first.burn_rates);
    assert_eq!(later.budget_remaining, first.budget_remaining);
    assert!(later.stale_age.unwrap() > first.stale_age.unwrap());

    prom.start();
    wait(&mut live, 30, "fresh data again", |c| {
        !c.budgets()[0].is_stale()
    })
    .await;
    let snap = serde_json::to_value(live.snapshot()).unwrap();
    assert_eq!(snap["slos"][0]["stale"], false, "{}", snap["slos"][0]);
    assert!(!live.cockpit().mode_reason().contains("stale"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_states_stay_distinct_through_a_silence_and_an_alertmanager_restart() {
    use crate::live_servers::{ALERTMANAGER, am_alert, post_alerts, start_alertmanager};
    use common::alerts::labels;
    use flightdeck::alerts::{AlertStatus, fingerprint};
    use flightdeck::sources::Matcher;
    if !need(&[ALERTMANAGER]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut am = start_alertmanager(dir.path(), free_port(), None);
    let cfg = load_config(
        dir.path(),
        &format!(
            "[alertmanager]\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nmax_backoff = \"1s\"\n",
            am.url()
        ),
    );
    let mut live = Live::start(&cfg, &options()).await.unwrap();
    let down = [
        ("alertname", "CheckoutDown"),
        ("service", "checkout"),
        ("severity", "critical"),
    ];
    let staging = [
        ("alertname", "StagingLoadTest"),
        ("service", "staging-load"),
        ("severity", "warning"),
    ];
    let now = Timestamp::now();
    let ends = Some(now + flightdeck::time::SignedDuration::from_hours(1));
    post_alerts(
        &am.url(),
        serde_json::json!([am_alert(&down, now, ends), am_alert(&staging, now, ends)]),
    )
    .await;
    // A silence for the staging alert, created through the API.
    let client = flightdeck::sources::AlertmanagerClient::new(
        am.url().parse().unwrap(),
        Duration::from_secs(2),
    )
    .unwrap();
    let silence = client
        .create_silence(
            &[Matcher::equal("alertname", "StagingLoadTest")],
            now,
            now + flightdeck::time::SignedDuration::from_hours(1),
            "tester",
            "load test",
        )
        .await
        .unwrap();
    let status = |c: &Cockpit, l: &[(&str, &str)]| {
        c.alert(fingerprint(&labels(l))).map(|t| t.alert.status())
    };
    wait(&mut live, 20, "one firing and one silenced alert", |c| {
        status(c, &down) == Some(AlertStatus::Firing)
            && status(c, &staging) == Some(AlertStatus::Silenced)
    })
    .await;
    let t = live
        .cockpit()
        .alert(fingerprint(&labels(&staging)))
        .unwrap();
    assert_eq!(t.alert.detail.silenced_by, [silence]);
    // The silenced alert's cluster is not "resolved": it says silenced, in JSON and text.
    let snap = live.snapshot();
    let json = serde_json::to_value(&snap).unwrap();
    let clusters = json["clusters"].as_array().unwrap();
    let silenced: Vec<&Value> = clusters
        .iter()
        .filter(|c| c["states"]["silenced"] == 1)
        .collect();
    assert_eq!(silenced.len(), 1, "{json:#}");
    assert_eq!(silenced[0]["states"]["resolved"], 0);
    assert_eq!(silenced[0]["firing"], 0);
    assert!(
        snap.body_text().contains("1 silenced"),
        "{}",
        snap.body_text()
    );

    // Alertmanager restarts and has lost both alerts (nothing re-sent them yet): unknown, not
    // resolved — and not firing either.
    am.kill();
    am.start();
    wait(&mut live, 30, "both alerts unknown", |c| {
        status(c, &down) == Some(AlertStatus::Unknown)
            && status(c, &staging) == Some(AlertStatus::Unknown)
    })
    .await;
    let json = serde_json::to_value(live.snapshot()).unwrap();
    let total = |k: &str| -> u64 {
        json["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["states"][k].as_u64().unwrap())
            .sum()
    };
    assert_eq!(total("unknown"), 2, "{json:#}");
    assert_eq!(total("resolved"), 0, "{json:#}");
    assert_eq!(total("firing"), 0, "{json:#}");
    // Prometheus re-sends the firing one: firing again; the other stays unknown.
    post_alerts(&am.url(), serde_json::json!([am_alert(&down, now, ends)])).await;
    wait(&mut live, 20, "the re-sent alert firing again", |c| {
        status(c, &down) == Some(AlertStatus::Firing)
    })
    .await;
    assert_eq!(status(live.cockpit(), &staging), Some(AlertStatus::Unknown));
    // Resolved stays distinct: the re-sent alert ends.
    post_alerts(
        &am.url(),
        serde_json::json!([am_alert(&down, now, Some(Timestamp::now()))]),
    )
    .await;
    wait(&mut live, 20, "the ended alert resolved", |c| {
        status(c, &down) == Some(AlertStatus::Resolved)
    })
    .await;
    assert_eq!(status(live.cockpit(), &staging), Some(AlertStatus::Unknown));
}
