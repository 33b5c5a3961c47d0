//! The resolution of the file as written ([`Raw`]) into a [`Config`]: one function a section,
//! each reporting its problems to [`Ctx`] with the line, column, field and a fix. The order of
//! the sections is the order the problems are listed in.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ctx::{Ctx, parse_listen};
use super::raw::*;
use super::{Config, Located, RawUi, Severity};
use crate::actions::Role;
use crate::alerts::ClusterConfig;
use crate::knowledge::DocKind;
use crate::slo::SliQueries;
use crate::sources::{AlertmanagerSettings, PrometheusSettings, WebhookSettings};
use crate::time::SignedDuration;

// ---- resolving, a section at a time -----------------------------------------------------------

pub(super) fn resolve(cx: &mut Ctx<'_>, raw: Raw, path: &Path) -> Config {
    let (user, role) = user(cx, raw.user.as_ref());
    let (journal, journal_url) = journal(cx, raw.journal.as_ref());
    let knowledge = knowledge(cx, raw.knowledge.as_ref());
    let experiments = raw
        .experiments
        .as_ref()
        .and_then(|x| x.dir.as_ref())
        .map(|d| cx.path(d));
    let (slo_files, slo_queries) = slo(cx, raw.slo.as_ref());
    let prometheus = raw
        .prometheus
        .as_ref()
        .and_then(|sp| prometheus(cx, sp.get_ref()));
    let alertmanager = raw
        .alertmanager
        .as_ref()
        .and_then(|sp| alertmanager(cx, sp.get_ref()));
    let webhook = raw.webhook.as_ref().and_then(|sp| webhook(cx, sp));
    let (mut clustering, alert_budget) = clustering(cx, raw.clustering.as_ref());
    if let Some(t) = &raw.topology {
        clustering.topology = t.clone();
    }
    let mode_hold = governor(cx, raw.governor.as_ref());
    let commanders = team(cx, raw.team.as_ref());
    whole_file(cx, &raw);

    Config {
        path: path.to_path_buf(),
        user,
        role,
        journal,
        journal_url,
        knowledge,
        experiments,
        slo_files,
        slo_queries,
        prometheus,
        alertmanager,
        webhook,
        clustering,
        alert_budget,
        mode_hold,
        ui: raw.ui.map(RawUi::settings).unwrap_or_default(),
        commanders,
        warnings: Vec::new(),
    }
}

/// `[user]`: the name (blank is none) and the role.
fn user(cx: &mut Ctx<'_>, u: Option<&RawUser>) -> (Option<String>, Option<Role>) {
    let name = u
        .and_then(|u| u.name.clone())
        .filter(|n| !n.trim().is_empty());
    let role = u
        .and_then(|u| u.role.as_ref())
        .and_then(|r| match r.get_ref().parse::<Role>() {
            Ok(role) => Some(role),
            Err(e) => {
                cx.error(r, "user.role", e, "");
                None
            }
        });
    (name, role)
}

/// `[journal]`: a file, or a PostgreSQL URL (not both).
fn journal(cx: &mut Ctx<'_>, j: Option<&RawJournal>) -> (Option<PathBuf>, Option<String>) {
    let path = j.and_then(|j| j.path.as_ref()).map(|p| cx.path(p).value);
    let url = j.and_then(|j| j.url.as_ref()).and_then(|u| {
        let text = u.get_ref().trim();
        if !crate::journal_pg::is_url(text) {
            cx.error(
                u,
                "journal.url",
                format!(
                    "{:?} is not a PostgreSQL URL",
                    crate::journal_pg::redact(text)
                ),
                "write postgres://USER@HOST:PORT/DATABASE (the password from $PGPASSWORD or \
                 ~/.pgpass), or remove url to use the journal file",
            );
            return None;
        }
        if let Some(p) = j.and_then(|j| j.path.as_ref()) {
            cx.error(
                p,
                "journal.path",
                "both journal.path and journal.url are set".into(),
                "keep one: path for a journal file on this host, url for PostgreSQL",
            );
        }
        Some(text.to_string())
    });
    (path, url)
}

/// `[knowledge]`: the runbook and postmortem directories.
fn knowledge(cx: &mut Ctx<'_>, k: Option<&RawKnowledge>) -> Vec<(DocKind, Located<PathBuf>)> {
    let mut out = Vec::new();
    if let Some(k) = k {
        for (kind, list) in [
            (DocKind::Runbook, &k.runbooks),
            (DocKind::Postmortem, &k.postmortems),
        ] {
            for p in list.iter().flatten() {
                out.push((kind, cx.path(p)));
            }
        }
    }
    out
}

/// `[slo]`: the SLO files, and queries that win over theirs.
fn slo(
    cx: &mut Ctx<'_>,
    s: Option<&RawSlo>,
) -> (Vec<Located<PathBuf>>, BTreeMap<String, Located<SliQueries>>) {
    let mut files = Vec::new();
    let mut queries = BTreeMap::new();
    if let Some(s) = s {
        for f in s.files.iter().flatten() {
            files.push(cx.path(f));
        }
        for (name, q) in s.queries.iter().flatten() {
            let (line, column) = cx.at(q);
            let r = q.get_ref();
            queries.insert(
                name.clone(),
                Located {
                    value: SliQueries {
                        source_type: Some("Prometheus".into()),
                        good: r.good.clone(),
                        bad: r.bad.clone(),
                        total: r.total.clone(),
                        error_ratio: None,
                        counter: r.counter.unwrap_or(true),
                    },
                    line,
                    column,
                },
            );
        }
    }
    (files, queries)
}

/// `[prometheus]`; `None` when its URL is unusable (the problem says why).
fn prometheus(cx: &mut Ctx<'_>, p: &RawPrometheus) -> Option<PrometheusSettings> {
    let url = cx.url(&p.url, "prometheus.url", "http://127.0.0.1:9090");
    let interval = cx.duration(&p.interval, "prometheus.interval", Duration::from_secs(15));
    let timeout = cx.duration(&p.timeout, "prometheus.timeout", Duration::from_secs(5));
    let backfill_step = cx.duration(
        &p.backfill_step,
        "prometheus.backfill_step",
        Duration::from_secs(60),
    );
    let max_backoff = cx.duration(
        &p.max_backoff,
        "prometheus.max_backoff",
        Duration::from_secs(60),
    );
    cx.timeout_below_interval(&p.timeout, timeout, interval, "prometheus.timeout");
    if backfill_step > Duration::from_secs(3600)
        && let Some(s) = &p.backfill_step
    {
        cx.error(
            s,
            "prometheus.backfill_step",
            "longer than 1h".into(),
            "e.g. \"1m\"",
        );
    }
    Some(PrometheusSettings {
        url: url?,
        interval,
        timeout,
        backfill: p.backfill.unwrap_or(true),
        backfill_step,
        max_backoff,
    })
}

/// `[alertmanager]`; `None` when its URL is unusable.
fn alertmanager(cx: &mut Ctx<'_>, a: &RawAlertmanager) -> Option<AlertmanagerSettings> {
    let url = cx.url(&a.url, "alertmanager.url", "http://127.0.0.1:9093");
    let interval = cx.duration(
        &a.interval,
        "alertmanager.interval",
        Duration::from_secs(10),
    );
    let timeout = cx.duration(&a.timeout, "alertmanager.timeout", Duration::from_secs(5));
    let max_backoff = cx.duration(
        &a.max_backoff,
        "alertmanager.max_backoff",
        Duration::from_secs(60),
    );
    cx.timeout_below_interval(&a.timeout, timeout, interval, "alertmanager.timeout");
    Some(AlertmanagerSettings {
        url: url?,
        interval,
        timeout,
        filter: a.filter.clone().unwrap_or_default(),
        receiver: a.receiver.clone().filter(|r| !r.is_empty()),
        max_backoff,
    })
}

/// `[webhook]`: where it listens, its token, and its limits; `None` when the address is
/// unusable.
fn webhook(cx: &mut Ctx<'_>, sp: &Sp<RawWebhook>) -> Option<WebhookSettings> {
    let w = sp.get_ref();
    let listen = match &w.listen {
        None => SocketAddr::from(([127, 0, 0, 1], 9099)),
        Some(l) => match parse_listen(l.get_ref()) {
            Ok(a) => a,
            Err(e) => {
                cx.error(
                    l,
                    "webhook.listen",
                    e.to_string(),
                    "e.g. \"127.0.0.1:9099\" or \"0.0.0.0:9099\"",
                );
                return None;
            }
        },
    };
    let token = webhook_token(cx, w);
    if let Err(e) = crate::sources::webhook::check_exposure(listen, token.as_deref()) {
        let at = w.listen.as_ref().map_or_else(|| cx.at(sp), |l| cx.at(l));
        cx.push(Severity::Error, at, "webhook.listen", e.to_string(), "");
    }
    let mut s = WebhookSettings::new(listen);
    s.token = token;
    s.body_limit = cx.count(&w.body_limit, "webhook.body_limit", 1 << 20, 64 << 20);
    s.max_queued_alerts = cx.count(
        &w.max_queued_alerts,
        "webhook.max_queued_alerts",
        20_000,
        1_000_000,
    );
    s.max_concurrent = cx.count(&w.max_concurrent, "webhook.max_concurrent", 64, 4096);
    s.max_connections = cx.count(&w.max_connections, "webhook.max_connections", 256, 16_384);
    s.header_timeout = cx.duration(
        &w.header_timeout,
        "webhook.header_timeout",
        s.header_timeout,
    );
    s.body_timeout = cx.duration(&w.body_timeout, "webhook.body_timeout", s.body_timeout);
    for (value, field, given) in [
        (
            s.header_timeout,
            "webhook.header_timeout",
            &w.header_timeout,
        ),
        (s.body_timeout, "webhook.body_timeout", &w.body_timeout),
    ] {
        if let Some(sp) = given
            && (value.is_zero() || value > Duration::from_secs(600))
        {
            cx.error(
                sp,
                field,
                format!("{} is outside 1s to 10m", sp.get_ref()),
                "e.g. \"10s\"",
            );
        }
    }
    Some(s)
}

/// The webhook's bearer token: written in the file, or read from the environment variable it
/// names (not both).
fn webhook_token(cx: &mut Ctx<'_>, w: &RawWebhook) -> Option<String> {
    match (&w.token, &w.token_env) {
        (Some(t), Some(_)) => {
            cx.error(
                t,
                "webhook.token",
                "both token and token_env are set".into(),
                "keep one",
            );
            None
        }
        // The receiver compares the trimmed `Authorization` value: a token that is blank or
        // carries surrounding whitespace could never match as written.
        (Some(t), None) if t.get_ref().trim().is_empty() => {
            cx.error(
                t,
                "webhook.token",
                "the token is empty or only whitespace: no request could ever match it".into(),
                "set a long random token, or remove the line (loopback needs none)",
            );
            None
        }
        (Some(t), None) => Some(t.get_ref().trim().to_string()),
        (None, Some(var)) => match std::env::var(var.get_ref()) {
            Ok(v) if !v.trim().is_empty() => Some(v.trim().to_string()),
            _ => {
                cx.error(
                    var,
                    "webhook.token_env",
                    format!("environment variable {} is not set", var.get_ref()),
                    "export it before starting flightdeck",
                );
                None
            }
        },
        (None, None) => None,
    }
}

/// `[clustering]`: the correlator's settings and the tracked alerts' memory budget.
fn clustering(cx: &mut Ctx<'_>, c: Option<&RawClustering>) -> (ClusterConfig, usize) {
    let mut clustering = ClusterConfig::default();
    let mut alert_budget = crate::alerts::episode::DEFAULT_BUDGET;
    let Some(c) = c else {
        return (clustering, alert_budget);
    };
    if let Some(v) = &c.group_by {
        clustering.group_by = v.clone();
    }
    if let Some(v) = &c.link_by {
        clustering.link_by = v.clone();
    }
    if let Some(v) = &c.partition_by {
        clustering.partition_by = v.clone();
    }
    if let Some(v) = c.text_similarity {
        clustering.text_similarity = v;
    }
    let w = cx.duration(&c.window, "clustering.window", Duration::from_secs(600));
    clustering.window = SignedDuration::try_from(w).unwrap_or(clustering.window);
    let default = clustering.max_span.unsigned_abs();
    let span = cx.duration(&c.max_span, "clustering.max_span", default);
    clustering.max_span = SignedDuration::try_from(span).unwrap_or(clustering.max_span);
    let default = clustering.retention.unsigned_abs();
    let keep = cx.duration(&c.retention, "clustering.retention", default);
    clustering.retention = SignedDuration::try_from(keep).unwrap_or(clustering.retention);
    let default = clustering.never_acted_firings as usize;
    clustering.never_acted_firings = cx.count(
        &c.never_acted_firings,
        "clustering.never_acted_firings",
        default,
        10_000,
    ) as u32;
    alert_budget = cx.count(
        &c.memory_budget,
        "clustering.memory_budget",
        alert_budget,
        usize::MAX >> 1,
    );
    if alert_budget < 1 << 20
        && let Some(sp) = &c.memory_budget
    {
        cx.error(
            sp,
            "clustering.memory_budget",
            format!("{alert_budget} bytes is less than 1 MiB"),
            "the default is 268435456 (256 MiB)",
        );
        alert_budget = crate::alerts::episode::DEFAULT_BUDGET;
    }
    (clustering, alert_budget)
}

/// `[governor]`: how long a mode holds before it may relax.
fn governor(cx: &mut Ctx<'_>, g: Option<&RawGovernor>) -> SignedDuration {
    let hold = cx.duration(
        &g.and_then(|g| g.mode_hold.clone()),
        "governor.mode_hold",
        Duration::from_secs(600),
    );
    SignedDuration::try_from(hold).unwrap_or(SignedDuration::from_mins(10))
}

/// `[team]`: who may act as incident commander (no blank names, not an empty list).
fn team(cx: &mut Ctx<'_>, t: Option<&RawTeam>) -> Option<Vec<String>> {
    let list = t.and_then(|t| t.commanders.as_ref())?;
    let names: Vec<String> = list
        .get_ref()
        .iter()
        .map(|n| n.get_ref().trim().to_string())
        .collect();
    if let Some(blank) = list
        .get_ref()
        .iter()
        .find(|n| n.get_ref().trim().is_empty())
    {
        cx.error(
            blank,
            "team.commanders",
            "an empty name".into(),
            "list user names as the journal records them ([user] name or $USER)",
        );
        return None;
    }
    if names.is_empty() {
        cx.error(
            list,
            "team.commanders",
            "an empty roster: no one could act as incident commander".into(),
            "list who may, or remove the line to let anyone claim the role",
        );
        return None;
    }
    Some(names)
}

/// What only the sections together say: something to watch, and data for the SLO files.
fn whole_file(cx: &mut Ctx<'_>, raw: &Raw) {
    if raw.prometheus.is_none() && raw.alertmanager.is_none() && raw.webhook.is_none() {
        cx.push(
            Severity::Error,
            (1, 1),
            "",
            "nothing to watch: no [prometheus], [alertmanager] or [webhook] section".into(),
            "add at least one (see `flightdeck init`)",
        );
    }
    if raw.prometheus.is_none()
        && let Some(f) = raw
            .slo
            .as_ref()
            .and_then(|s| s.files.as_ref())
            .and_then(|f| f.first())
    {
        cx.warn(
            f,
            "slo.files",
            "SLO files but no [prometheus]: the budgets will have no data".into(),
            "add a [prometheus] section",
        );
    }
}
