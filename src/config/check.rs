//! `flightdeck check`: the configuration, every SLO file and the knowledge directory read,
//! each server it names asked once, and every problem reported with its place.

use super::*;

/// What `flightdeck check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub config: String,
    /// No error-level problem.
    pub ok: bool,
    pub problems: Vec<Problem>,
    pub slos: Vec<CheckedSlo>,
    pub sources: Vec<String>,
    /// Documents loaded from the knowledge directories; `None` when the config could not be
    /// read, so nothing was looked at.
    pub runbooks: Option<usize>,
    pub postmortems: Option<usize>,
    /// `check --online`: each server reached and what it said it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerCheck>,
    /// `check --online`: each SLO query run once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<QueryCheck>,
}

/// One server asked by `check --online`.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCheck {
    /// `prometheus` or `alertmanager`.
    pub name: String,
    pub url: String,
    /// It answered, and as the kind of server the config says.
    pub ok: bool,
    /// The version it reported.
    pub version: Option<String>,
    /// What was found (`Prometheus 2.42.0`, or why not).
    pub message: String,
}

/// One SLO query run by `check --online`.
#[derive(Debug, Clone, Serialize)]
pub struct QueryCheck {
    pub slo: String,
    /// `good`, `bad` or `total`.
    pub part: String,
    /// The query as sent (`{{.window}}` filled in).
    pub query: String,
    /// Series in the answer; `None` when the query failed.
    pub series: Option<usize>,
    /// The error, or empty.
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckedSlo {
    pub name: String,
    pub objective: f64,
    pub window: String,
    pub origin: String,
    /// `counter` or `rate`; absent when the SLO has no live queries.
    pub mode: Option<String>,
}

/// Validates a config and everything it names: files exist, URLs parse, SLOs parse, queries are
/// non-empty PromQL, knowledge loads. `path` `None` means the default config file.
pub fn check(path: Option<&Path>) -> CheckReport {
    check_config(path).0
}

/// [`check`], with the config and its SLOs when the config could be read (what
/// `check --online` then asks the servers about).
pub fn check_config(path: Option<&Path>) -> (CheckReport, Option<(Config, Vec<LiveSlo>)>) {
    let path = path
        .map(Path::to_path_buf)
        .or_else(default_path)
        .unwrap_or_else(|| PathBuf::from(FILE_NAME));
    let shown = path.display().to_string();
    let mut report = CheckReport {
        config: shown,
        ok: false,
        problems: Vec::new(),
        slos: Vec::new(),
        sources: Vec::new(),
        runbooks: None,
        postmortems: None,
        servers: Vec::new(),
        queries: Vec::new(),
    };
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            report.problems = e.problems;
            return (report, None);
        }
    };
    report.problems.extend(config.warnings.iter().cloned());
    let (slos, mut problems) = config.load_slos();
    report.problems.append(&mut problems);
    for s in &slos {
        report.slos.push(CheckedSlo {
            name: s.spec.name.clone(),
            objective: s.spec.objective,
            window: crate::time::format_duration(s.spec.window),
            origin: s.origin.clone(),
            mode: s.query.as_ref().ok().map(|q| {
                match q.mode {
                    crate::sources::SliMode::Counter => "counter",
                    crate::sources::SliMode::Rate => "rate",
                }
                .to_string()
            }),
        });
    }
    let config_path = config.path.display().to_string();
    for (kind, dir) in &config.knowledge {
        if !dir.value.is_dir() {
            let field = match kind {
                DocKind::Runbook => "knowledge.runbooks",
                DocKind::Postmortem => "knowledge.postmortems",
            };
            let message = format!("{} is not a directory", dir.value.display());
            report.problems.push(Problem::error(
                located(config_path.clone(), (dir.line, dir.column), field, message).with_fix(
                    "create it or fix the path (relative paths are against the config file)",
                ),
            ));
        }
    }
    let (kb, doc_errors) = config.load_knowledge();
    report.runbooks = Some(kb.runbooks.len());
    report.postmortems = Some(kb.postmortems.len());
    for e in doc_errors {
        if e.message.starts_with("cannot read directory") {
            continue; // reported above with the config line
        }
        report
            .problems
            .push(Problem::warning(e.with_fix("the document is skipped")));
    }
    if let Some(journal) = &config.journal
        && let Some(parent) = journal.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        let message = format!("{} does not exist yet", parent.display());
        report.problems.push(Problem::warning(
            Diagnostic::new(config_path.clone(), None, "journal.path", message)
                .with_fix("it is created on first use"),
        ));
    }
    if let Some(p) = &config.prometheus {
        report.sources.push(format!(
            "prometheus {} every {}",
            p.url,
            crate::sources::prometheus::humantime(p.interval)
        ));
    }
    if let Some(a) = &config.alertmanager {
        report.sources.push(format!(
            "alertmanager {} every {}",
            a.url,
            crate::sources::prometheus::humantime(a.interval)
        ));
    }
    if let Some(w) = &config.webhook {
        report.sources.push(format!(
            "webhook http://{}/webhook{}",
            w.listen,
            if w.token.is_some() { " (token)" } else { "" }
        ));
    }
    report.settle();
    (report, Some((config, slos)))
}

impl CheckReport {
    /// `ok` from the problems found so far.
    pub fn settle(&mut self) {
        self.ok = !self.problems.iter().any(|p| p.severity == Severity::Error);
    }

    /// The human form.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "config {}", self.config);
        for s in &self.sources {
            let _ = writeln!(out, "  source {s}");
        }
        for s in &self.slos {
            let _ = writeln!(
                out,
                "  slo    {} {}% over {} ({}; {})",
                s.name,
                s.objective * 100.0,
                s.window,
                s.mode.as_deref().unwrap_or("no live queries"),
                s.origin
            );
        }
        if let (Some(runbooks), Some(postmortems)) = (self.runbooks, self.postmortems) {
            let _ = writeln!(
                out,
                "  knowledge {runbooks} runbooks, {postmortems} postmortems"
            );
        }
        for s in &self.servers {
            let _ = writeln!(
                out,
                "  online {} {} {}",
                if s.ok { "ok  " } else { "FAIL" },
                s.url,
                s.message
            );
        }
        for q in &self.queries {
            let result = match q.series {
                Some(0) => "no series".to_string(),
                Some(n) => format!("{n} series"),
                None => format!("error: {}", q.error),
            };
            let _ = writeln!(out, "  query  {} {}: {result}", q.slo, q.part);
        }
        for p in &self.problems {
            let _ = writeln!(out, "{p}");
        }
        let errors = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        let warnings = self.problems.len() - errors;
        let _ = writeln!(
            out,
            "{}: {errors} error(s), {warnings} warning(s)",
            if self.ok { "ok" } else { "FAILED" }
        );
        out
    }
}
