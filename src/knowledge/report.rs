//! What `flightdeck kb search`, `kb match` and `kb lint` print, as pure functions: each builds
//! a serialisable report (the `--json` shape) that also renders as human text.
//!
//! Document paths are reported as the caller gave them to
//! [`KnowledgeBase::from_documents`](super::KnowledgeBase::from_documents); pass them relative to
//! their `--kb` directory and the JSON has the shape issue 5 §7 asks for:
//! `{"results": [{"alert": <fingerprint>, "matches": [{"path", "title", "score", "why"}],
//! "no_good_match": bool}]}` (each match also carries `kind`, `good`, `confidence` and the
//! calibrated `confidence_score`; an alert without a good match carries `abstention`, the
//! reason).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::doc::{DocError, DocKind};
use super::lint::{self, Finding, PostmortemLint, StalenessInputs};
use super::{DocRef, KnowledgeBase, KnowledgeMatch, MatchQuery};

/// One ranked document in a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportMatch {
    pub path: String,
    pub title: String,
    pub kind: DocKind,
    /// Rounded to three decimals.
    pub score: f64,
    pub why: Vec<String>,
    pub good: bool,
    /// `high`, `medium` or `low` (low = not good: no steps offered).
    pub confidence: super::Confidence,
    /// The calibrated 0–1 confidence (the good floor is 0.60, the strong line 0.85; see
    /// [`super::confidence`]), rounded to two decimals.
    pub confidence_score: f64,
}

fn report_match(kb: &KnowledgeBase, m: &KnowledgeMatch) -> ReportMatch {
    let (path, title) = kb.doc_path_title(m.doc);
    ReportMatch {
        path: path.to_string(),
        title: title.to_string(),
        kind: match m.doc {
            DocRef::Runbook(_) => DocKind::Runbook,
            DocRef::Postmortem(_) => DocKind::Postmortem,
        },
        score: (m.score * 1000.0).round() / 1000.0,
        why: m.why.clone(),
        good: m.good,
        confidence: m.confidence,
        confidence_score: (m.calibrated * 100.0).round() / 100.0,
    }
}

fn match_lines(out: &mut String, matches: &[ReportMatch]) {
    for m in matches {
        let kind = match m.kind {
            DocKind::Runbook => "runbook",
            DocKind::Postmortem => "postmortem",
        };
        let _ = writeln!(
            out,
            "  {:>6.3} {:<6} {:.2} {kind:<10} {}  {}",
            m.score,
            m.confidence.name(),
            m.confidence_score,
            m.path,
            m.title
        );
        for w in &m.why {
            let _ = writeln!(out, "           {w}");
        }
    }
}

/// `kb search QUERY`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchReport {
    pub query: String,
    pub results: Vec<ReportMatch>,
}

/// Ranks all knowledge for a free-text query.
pub fn search_report(kb: &KnowledgeBase, query: &str, limit: usize) -> SearchReport {
    SearchReport {
        query: query.to_string(),
        results: kb
            .search(query, limit)
            .iter()
            .map(|m| report_match(kb, m))
            .collect(),
    }
}

impl SearchReport {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.results.is_empty() {
            let _ = writeln!(out, "nothing matches {:?}", self.query);
        }
        match_lines(&mut out, &self.results);
        out
    }
}

/// One alert to match, as `kb match --alerts FILE` reads it.
#[derive(Clone, Debug)]
pub struct AlertInput<'a> {
    /// The Alertmanager fingerprint (16 hex digits).
    pub fingerprint: String,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
}

/// `kb match --alerts FILE`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchReport {
    pub results: Vec<AlertMatches>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertMatches {
    /// The alert's fingerprint.
    pub alert: String,
    /// Its alertname, for the human output.
    #[serde(skip)]
    pub alertname: String,
    /// The best `top` matches (good or not), best first.
    pub matches: Vec<ReportMatch>,
    /// No match is good: flightdeck treats the alert as novel.
    pub no_good_match: bool,
    /// Why, when no match is good: the best content score, the floor, the nearest document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abstention: Option<String>,
}

/// Matches each alert on its own and keeps the `top` best documents.
pub fn match_report<'a>(
    kb: &KnowledgeBase,
    alerts: impl IntoIterator<Item = AlertInput<'a>>,
    top: usize,
) -> MatchReport {
    let results = alerts
        .into_iter()
        .map(|a| {
            let q = MatchQuery::from_alert(a.labels, a.annotations);
            let all = kb.match_alerts(&q);
            AlertMatches {
                alert: a.fingerprint,
                alertname: a.labels.get("alertname").cloned().unwrap_or_default(),
                no_good_match: !all.iter().any(|m| m.good),
                abstention: kb.abstention(&all),
                matches: all.iter().take(top).map(|m| report_match(kb, m)).collect(),
            }
        })
        .collect();
    MatchReport { results }
}

impl MatchReport {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            let _ = writeln!(
                out,
                "{} {}{}",
                r.alert,
                r.alertname,
                match &r.abstention {
                    Some(why) => format!("  — novel, human judgment: {why}"),
                    None => String::new(),
                }
            );
            match_lines(&mut out, &r.matches);
        }
        out
    }
}

/// A load error in `kb lint --json`: where and what (the shape it always had).
fn doc_errors_json<S: serde::Serializer>(errors: &[DocError], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Json<'a> {
        path: &'a str,
        line: Option<u64>,
        message: &'a str,
    }
    s.collect_seq(errors.iter().map(|e| Json {
        path: &e.path,
        line: e.line,
        message: &e.message,
    }))
}

/// `kb lint`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LintReport {
    pub runbooks: Vec<RunbookLintEntry>,
    pub postmortems: Vec<PostmortemLintEntry>,
    /// Documents that could not be loaded, written as `{path, line, message}`.
    #[serde(serialize_with = "doc_errors_json")]
    pub errors: Vec<DocError>,
    pub summary: LintSummary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunbookLintEntry {
    pub path: String,
    pub id: String,
    pub stale: bool,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PostmortemLintEntry {
    pub path: String,
    pub id: String,
    #[serde(flatten)]
    pub lint: PostmortemLint,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LintSummary {
    pub runbooks: usize,
    pub stale_runbooks: usize,
    pub postmortems: usize,
    pub training_grade_postmortems: usize,
    pub broken_documents: usize,
}

/// Lints everything loaded, as of `today`; `errors` are the load errors to report with it.
pub fn lint_report(
    kb: &KnowledgeBase,
    errors: &[DocError],
    today: jiff::civil::Date,
    inputs: &StalenessInputs,
) -> LintReport {
    let runbooks: Vec<RunbookLintEntry> = kb
        .runbooks
        .iter()
        .map(|rb| {
            let mut findings = lint::runbook_staleness(rb, today, inputs);
            let stale = lint::is_stale(&findings);
            // Not staleness: a step whose argv an alert's values could turn into options.
            findings.extend(rb.steps.iter().flat_map(lint::option_injection));
            RunbookLintEntry {
                path: rb.path.clone(),
                id: rb.id.clone(),
                stale,
                findings,
            }
        })
        .collect();
    let postmortems: Vec<PostmortemLintEntry> = kb
        .postmortems
        .iter()
        .map(|pm| PostmortemLintEntry {
            path: pm.path.clone(),
            id: pm.id.clone(),
            lint: lint::lint_postmortem(pm),
        })
        .collect();
    let summary = LintSummary {
        runbooks: runbooks.len(),
        stale_runbooks: runbooks.iter().filter(|r| r.stale).count(),
        postmortems: postmortems.len(),
        training_grade_postmortems: postmortems.iter().filter(|p| p.lint.score >= 80).count(),
        broken_documents: errors.len(),
    };
    LintReport {
        runbooks,
        postmortems,
        errors: errors.to_vec(),
        summary,
    }
}

impl LintReport {
    /// Something a CI job should fail on: a broken document or an error-level finding.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
            || self.postmortems.iter().any(|p| {
                p.lint
                    .findings
                    .iter()
                    .any(|f| f.level == lint::Level::Error)
            })
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            let _ = writeln!(out, "{e}");
        }
        let finding = |out: &mut String, path: &str, f: &Finding| {
            let level = match f.level {
                lint::Level::Info => "info",
                lint::Level::Warning => "warning",
                lint::Level::Error => "error",
            };
            let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "{path}{at}: {level}[{}]: {}", f.code, f.message);
        };
        for r in &self.runbooks {
            for f in &r.findings {
                finding(&mut out, &r.path, f);
            }
        }
        for p in &self.postmortems {
            let _ = writeln!(out, "{}: score {} ({})", p.path, p.lint.score, p.lint.grade);
            for f in &p.lint.findings {
                finding(&mut out, &p.path, f);
            }
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} runbooks ({} stale), {} postmortems ({} training-grade), {} broken documents",
            s.runbooks,
            s.stale_runbooks,
            s.postmortems,
            s.training_grade_postmortems,
            s.broken_documents
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> (KnowledgeBase, Vec<DocError>) {
        KnowledgeBase::from_documents(vec![
            (
                DocKind::Runbook,
                "kubernetes/KubePodCrashLooping.md".to_string(),
                "# KubePodCrashLooping\n## Meaning\nThe pod restarts.\n".to_string(),
            ),
            (
                DocKind::Postmortem,
                "pm/x.md".to_string(),
                "# Outage\n## Summary\nhuman error\n".to_string(),
            ),
            (
                DocKind::Runbook,
                "bad.md".to_string(),
                "---\nid: [\n---\n".to_string(),
            ),
        ])
    }

    #[test]
    fn match_json_has_the_issue_shape() {
        let (kb, _) = kb();
        let labels: BTreeMap<String, String> =
            [("alertname".to_string(), "KubePodCrashLooping".to_string())].into();
        let annotations = BTreeMap::new();
        let r = match_report(
            &kb,
            [AlertInput {
                fingerprint: "0123456789abcdef".into(),
                labels: &labels,
                annotations: &annotations,
            }],
            3,
        );
        let v = serde_json::to_value(&r).unwrap();
        let first = &v["results"][0];
        assert_eq!(first["alert"], "0123456789abcdef");
        assert_eq!(first["no_good_match"], false);
        let m = &first["matches"][0];
        assert_eq!(m["path"], "kubernetes/KubePodCrashLooping.md");
        assert_eq!(m["title"], "KubePodCrashLooping");
        assert!(m["score"].as_f64().unwrap() > 1.0);
        assert!(!m["why"].as_array().unwrap().is_empty());
        assert_eq!(m["confidence"], "high");
        assert_eq!(m["confidence_score"], 1.0, "linked");
        assert!(first.get("abstention").is_none(), "{first}");
        assert!(r.to_text().contains("KubePodCrashLooping"));
        assert!(
            r.to_text().contains(" high   1.00 runbook "),
            "{}",
            r.to_text()
        );
        // An alert nothing covers: the report says why it abstains.
        let labels: BTreeMap<String, String> =
            [("alertname".to_string(), "VaultSealed".to_string())].into();
        let annotations: BTreeMap<String, String> = [(
            "summary".to_string(),
            "Vault is sealed; the pod restarts".to_string(),
        )]
        .into();
        let r = match_report(
            &kb,
            [AlertInput {
                fingerprint: "fedcba9876543210".into(),
                labels: &labels,
                annotations: &annotations,
            }],
            3,
        );
        let v = serde_json::to_value(&r).unwrap();
        let first = &v["results"][0];
        assert_eq!(first["no_good_match"], true, "{first}");
        let why = first["abstention"].as_str().unwrap();
        let p = kb.match_params();
        assert!(why.contains("below the 0.60 floor (score "), "{why}");
        assert!(
            [p.good_match, p.cut_good_match.max(p.good_match)]
                .iter()
                .any(|f| why.contains(&format!(", floor {f:.2});"))),
            "{why}"
        );
        // The calibrated value: below 0.60 for every abstaining match, and as shown.
        for m in first["matches"].as_array().unwrap() {
            let c = m["confidence_score"].as_f64().unwrap();
            assert!(c < 0.60 && m["confidence"] == "low", "{m}");
        }
        let best = first["matches"][0]["confidence_score"].as_f64().unwrap();
        assert!(why.contains(&format!("best {best:.2} below")), "{why}");
        assert!(r.to_text().contains("novel, human judgment: no good match"));
    }

    #[test]
    fn lint_and_search_reports() {
        let (kb, errors) = kb();
        let r = lint_report(
            &kb,
            &errors,
            "2026-03-12".parse().unwrap(),
            &StalenessInputs::default(),
        );
        assert_eq!(r.summary.broken_documents, 1);
        assert!(r.has_errors());
        let text = r.to_text();
        assert!(text.contains("bad.md"), "{text}");
        assert!(text.contains("blame-language"), "{text}");
        let v = serde_json::to_value(&r).unwrap();
        assert!(v["postmortems"][0]["score"].as_u64().unwrap() < 50);
        let s = search_report(&kb, "pod restarts", 5);
        assert_eq!(s.results[0].path, "kubernetes/KubePodCrashLooping.md");
    }
}
