//! `flightdeck check --online`: after the offline check, each configured server is reached and
//! asked what it is — Prometheus's build info (`/api/v1/status/buildinfo`), Alertmanager's
//! status (`/api/v2/status`) — with its version, and each SLO query is run once against
//! Prometheus. Nothing listening, a server of another kind (a node exporter where Alertmanager
//! should be), a query Prometheus rejects: errors. A query that answers no series: a warning.

use crate::config::{CheckReport, Config, LiveSlo, Problem, QueryCheck, ServerCheck, Severity};
use crate::diagnostic::Diagnostic;
use crate::sources::sli::Part;
use crate::sources::{AlertmanagerClient, AmError, PromError, PrometheusClient};
use crate::time::Timestamp;

fn problem(path: &str, field: &str, severity: Severity, message: String, fix: &str) -> Problem {
    let (path, line) = match path.rsplit_once(':') {
        Some((p, l)) if l.parse::<u64>().is_ok() => (p.to_string(), l.parse().ok()),
        _ => (path.to_string(), None),
    };
    Problem {
        severity,
        diagnostic: Diagnostic::new(path, line, field, message).with_fix(fix),
    }
}

/// The fix when nothing answers at Prometheus's URL.
const PROM_DOWN: &str = "start Prometheus, or fix the URL";
/// The fix when nothing answers at Alertmanager's URL.
const AM_DOWN: &str = "start Alertmanager, or fix the URL";

/// Nothing answers at `url` (no HTTP client, or the transport failed): the message and `fix`.
fn nothing_at(url: &str, why: &dyn std::fmt::Display, fix: &'static str) -> (String, &'static str) {
    (format!("nothing answers at {url}: {why}"), fix)
}

/// Reaches the servers of `config`, runs the queries of `slos`, and adds what it found to
/// `report` (servers, queries, problems, `ok`).
pub async fn online(report: &mut CheckReport, config: &Config, slos: &[LiveSlo]) {
    let cfg = config.path.display().to_string();
    if let Some(p) = &config.prometheus {
        let url = p.url.to_string();
        let answer = match PrometheusClient::new(p.url.clone(), p.timeout) {
            Ok(client) => match client.build_info().await {
                Ok(info) => Ok((client, info)),
                Err(PromError::Unreachable(why)) => Err(nothing_at(&url, &why, PROM_DOWN)),
                Err(other) => Err((
                    format!(
                        "{url} answered, but not as Prometheus \
                         (GET /api/v1/status/buildinfo: {other})"
                    ),
                    "point prometheus.url at a Prometheus server (not an exporter)",
                )),
            },
            Err(e) => Err(nothing_at(&url, &e, PROM_DOWN)),
        };
        match answer {
            Ok((client, info)) => {
                let version = info.get("version").cloned();
                report.servers.push(ServerCheck {
                    name: "prometheus".into(),
                    url,
                    ok: true,
                    message: format!("Prometheus {}", version.as_deref().unwrap_or("?")),
                    version,
                });
                let window_secs = p.interval.as_secs().max(60);
                queries(report, &client, slos, window_secs).await;
            }
            Err((message, fix)) => {
                report.servers.push(ServerCheck {
                    name: "prometheus".into(),
                    url,
                    ok: false,
                    version: None,
                    message: message.clone(),
                });
                let p = problem(&cfg, "prometheus.url", Severity::Error, message, fix);
                report.problems.push(p);
            }
        }
    }
    if let Some(a) = &config.alertmanager {
        let url = a.url.to_string();
        let not_am = |why: String| {
            (
                format!("{url} answered, but not as Alertmanager (GET /api/v2/status: {why})"),
                "point alertmanager.url at an Alertmanager (API v2; not an exporter)",
            )
        };
        let outcome = match AlertmanagerClient::new(a.url.clone(), a.timeout) {
            Ok(client) => match client.status().await {
                Ok(status) => match status.version() {
                    Some(v) => Ok(v.to_string()),
                    None => Err(not_am("no versionInfo.version".into())),
                },
                Err(AmError::Unreachable(why)) => Err(nothing_at(&url, &why, AM_DOWN)),
                Err(other) => Err(not_am(other.to_string())),
            },
            Err(e) => Err(nothing_at(&url, &e, AM_DOWN)),
        };
        match outcome {
            Ok(version) => report.servers.push(ServerCheck {
                name: "alertmanager".into(),
                url,
                ok: true,
                message: format!("Alertmanager {version}"),
                version: Some(version),
            }),
            Err((message, fix)) => {
                report.servers.push(ServerCheck {
                    name: "alertmanager".into(),
                    url,
                    ok: false,
                    version: None,
                    message: message.clone(),
                });
                let p = problem(&cfg, "alertmanager.url", Severity::Error, message, fix);
                report.problems.push(p);
            }
        }
    }
    report.settle();
}

/// Each SLO's queries, once, as the poller sends them.
async fn queries(
    report: &mut CheckReport,
    client: &PrometheusClient,
    slos: &[LiveSlo],
    window_secs: u64,
) {
    let at_ms = Timestamp::now().as_millisecond();
    for slo in slos {
        let Ok(q) = &slo.query else {
            continue; // why it has no query is already a problem of the offline check
        };
        for part in [Part::Numerator, Part::Total] {
            let name = match part {
                Part::Total => "total",
                Part::Numerator if q.numerator_is_bad() => "bad",
                Part::Numerator => "good",
            };
            let text = q.instant(part, window_secs);
            let field = format!("{name} query");
            let answer = client.query(&text, at_ms).await;
            let mut check = QueryCheck {
                slo: slo.spec.name.clone(),
                part: name.into(),
                query: text.clone(),
                series: None,
                error: String::new(),
            };
            match answer {
                Ok(samples) => {
                    check.series = Some(samples.len());
                    if samples.is_empty() {
                        let (message, fix) = if name == "bad" {
                            (
                                format!(
                                    "{}: the bad query answers no series now: {text}",
                                    slo.spec.name
                                ),
                                "fine if nothing has failed yet (counted as no errors); \
                                 else check the metric and labels",
                            )
                        } else {
                            (
                                format!(
                                    "{}: the {name} query answers no series: {text}",
                                    slo.spec.name
                                ),
                                "check the metric name and labels; the budget has no data \
                                 until it answers",
                            )
                        };
                        let p = problem(&slo.origin, &field, Severity::Warning, message, fix);
                        report.problems.push(p);
                    }
                }
                Err(e) => {
                    check.error = e.to_string();
                    let message = format!("{}: the {name} query failed: {e}", slo.spec.name);
                    let p = problem(&slo.origin, &field, Severity::Error, message, "");
                    report.problems.push(p);
                }
            }
            report.queries.push(check);
        }
    }
}
