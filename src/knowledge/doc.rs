//! Runbook and postmortem documents: parsing Markdown with optional YAML front matter.
//!
//! Our schema (docs/FORMATS.md) is optional. A runbook written without it still loads: its title
//! is the first heading (or a front matter `title`), its alert names come from the file name
//! (`KubePodCrashLooping.md`) and its headings, and its shell blocks (fenced or 4-space indented) become candidate
//! steps (`origin: CodeBlock`, never pre-audited, not novel): an unaudited diagnostic when the
//! read-only classifier recognises the command, else an unaudited mitigation. A document that cannot be read is a
//! [`DocError`] naming the path, the line and the reason.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::markdown;
pub use super::postmortem::{Section, parse_postmortem, section_of};
use super::runbook_steps::{RawStep, code_block_steps, structured_steps};
use crate::actions::step::Step;
use crate::diagnostic::Diagnostic;

/// A runbook, from our schema or from a plain Markdown file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    /// As given by the caller (usually relative to its knowledge directory).
    pub path: String,
    /// Alert names this runbook serves: the front matter `alerts:`, or (without it) the file
    /// name and CamelCase identifiers in headings.
    pub alerts: Vec<String>,
    pub services: Vec<String>,
    pub tags: Vec<String>,
    pub owner: Option<String>,
    pub last_reviewed: Option<jiff::civil::Date>,
    /// Structured steps, or candidate steps from code blocks when there are none.
    pub steps: Vec<Step>,
    pub headings: Vec<String>,
    /// The Markdown after the front matter.
    pub body: String,
    /// The line of the file on which `body` starts (1 without front matter).
    pub body_line: usize,
    /// The document had our front matter (any of `id, alerts, services, steps, owner,
    /// last_reviewed`), not just a title.
    pub schema: bool,
}

/// A past incident's write-up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Postmortem {
    pub id: String,
    pub title: String,
    pub path: String,
    pub date: Option<jiff::civil::Date>,
    pub services: Vec<String>,
    pub alerts: Vec<String>,
    pub severity: Option<String>,
    /// The Summary section (or the first paragraph).
    pub summary: String,
    /// Items of "What we tried" / "Hypotheses" / "False leads".
    pub tried: Vec<String>,
    pub contributing_factors: Vec<String>,
    pub action_items: Vec<String>,
    /// Items (or paragraphs) of the Timeline section; empty when there is none.
    pub timeline: Vec<String>,
    pub headings: Vec<String>,
    pub body: String,
    /// The line of the file on which `body` starts (1 without front matter).
    pub body_line: usize,
}

/// A document that could not be loaded: the located [`Diagnostic`] (path, line, message;
/// written `path:line: message`), serialised as `{"path", "line", "message"}`.
pub type DocError = Diagnostic;

/// A [`DocError`] at `path`, line `line` when known.
pub fn doc_error(
    path: impl Into<String>,
    line: Option<usize>,
    message: impl Into<String>,
) -> DocError {
    Diagnostic::new(path, line.map(|l| l as u64), "", message)
}

/// Which kind of document a file holds (decided by the directory it was loaded from).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Runbook,
    Postmortem,
}

// ---------------------------------------------------------------------------------------------
// Front matter types (lenient about shapes, strict about what our schema defines).

/// A scalar read as text whatever its YAML type (`id: 42`, `last_reviewed: 2026-01-15`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Text(pub(super) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `alerts: Foo` or `alerts: [Foo, Bar]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct List(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = List;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings or one string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<List, E> {
                Ok(List(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                ))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<List, E> {
                Ok(List(Vec::new()))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<List, E> {
                Ok(List(Vec::new()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<List, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(t)) = seq.next_element::<Text>()? {
                    out.push(t);
                }
                Ok(List(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl List {
    /// A front-matter list as runbooks and postmortems read it (`alerts`, `services`, `tags`):
    /// trimmed, blanks dropped, each item once in first order; absent is empty.
    pub(super) fn read(list: Option<List>) -> Vec<String> {
        let items = list.map(|l| l.0).unwrap_or_default();
        dedup(
            items
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }
}

/// A document's id: its front matter's `id`, else its file name without extension.
pub(super) fn doc_id(id: Option<Text>, stem: &str) -> String {
    id.map(|t| t.0.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| stem.to_string())
}

/// A document's title: its front matter's `title` (YAML, else TOML), else its first heading,
/// else its file name made readable.
pub(super) fn doc_title(
    title: Option<Text>,
    split: &markdown::Split<'_>,
    outline: &markdown::Outline,
    stem: &str,
) -> String {
    title
        .map(|t| t.0.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| split.toml.and_then(markdown::toml_title))
        .or_else(|| outline.headings.first().map(|h| h.text.clone()))
        .unwrap_or_else(|| humanize(stem))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RunbookMeta {
    id: Option<Text>,
    title: Option<Text>,
    alerts: Option<List>,
    services: Option<List>,
    tags: Option<List>,
    owner: Option<Text>,
    last_reviewed: Option<Text>,
    steps: Option<Vec<serde_saphyr::Spanned<RawStep>>>,
}

pub(super) fn parse_yaml<T: for<'de> Deserialize<'de> + Default>(
    path: &str,
    yaml: &str,
    first_line: usize,
) -> Result<T, DocError> {
    if yaml.trim().is_empty() {
        return Ok(T::default());
    }
    serde_saphyr::from_str::<T>(yaml).map_err(|e| {
        let line = e
            .location()
            .map(|l| l.line() as usize)
            .filter(|l| *l > 0)
            .map(|l| l + first_line - 1);
        let message = e.without_snippet().to_string();
        // The message may repeat the position; keep the first line only.
        let message = message.lines().next().unwrap_or("").to_string();
        doc_error(path, line, format!("front matter: {message}"))
    })
}

pub(super) fn parse_date(
    path: &str,
    line: Option<usize>,
    field: &str,
    text: &str,
) -> Result<jiff::civil::Date, DocError> {
    text.trim().parse::<jiff::civil::Date>().map_err(|_| {
        doc_error(
            path,
            line,
            format!("{field}: {text:?} is not a date (use YYYY-MM-DD)"),
        )
    })
}

/// Line of `key:` at the top level of the front matter, for field errors.
pub(super) fn key_line(yaml: &str, first_line: usize, key: &str) -> Option<usize> {
    yaml.lines()
        .position(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
        .map(|i| i + first_line)
}

/// The file name without directories and extension.
pub fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

/// Does `s` look like a Prometheus alert name written as an identifier (`KubePodCrashLooping`,
/// `TargetDown`, `etcdHighFsyncDurations`)? Requires a CamelCase hump and no spaces or dashes.
pub fn looks_like_alertname(s: &str) -> bool {
    let s = s.trim();
    if s.len() < 5 || s.len() > 100 || !s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return false;
    }
    if NOT_ALERTS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    let b = s.as_bytes();
    let hump = b
        .windows(2)
        .any(|w| (w[0].is_ascii_lowercase() || w[0].is_ascii_digit()) && w[1].is_ascii_uppercase())
        || b.windows(3).any(|w| {
            w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase() && w[2].is_ascii_lowercase()
        });
    let has_lower = b.iter().any(u8::is_ascii_lowercase);
    // `etcdHighFsyncDurations` starts lower-case but has its humps; a plain word does not.
    hump && has_lower
}

/// CamelCase words that are products or Kubernetes kinds, not alert names.
const NOT_ALERTS: &[&str] = &[
    "PostgreSQL",
    "MySQL",
    "MariaDB",
    "MongoDB",
    "RabbitMQ",
    "CoreDNS",
    "PgBouncer",
    "ClickHouse",
    "ElasticSearch",
    "OpenSearch",
    "OpenShift",
    "CloudWatch",
    "CloudFlare",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "ConfigMap",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
    "VerticalPodAutoscaler",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "AlertManager",
    "GitHub",
    "GitLab",
    "PagerDuty",
    "OpsGenie",
    "JavaScript",
    "TypeScript",
    "NodeJS",
    "DynamoDB",
    "CockroachDB",
    "InfluxDB",
    "VictoriaMetrics",
    "ArgoCD",
    "CronJob",
    "NetworkPolicy",
    "ClusterRole",
    "ClusterRoleBinding",
    "RoleBinding",
    "ServiceAccount",
    "CustomResourceDefinition",
    "IngressClass",
    "StorageClass",
    "PodDisruptionBudget",
    "LimitRange",
    "ResourceQuota",
    "EndpointSlice",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "OOMKilled",
    "ContainerCreating",
    "CreateContainerConfigError",
    "NodeJs",
    "GraphQL",
    "OAuth",
    "WebSocket",
    "YugabyteDB",
    "TiDB",
    "ScyllaDB",
    "FoundationDB",
    "KeyDB",
    "DragonflyDB",
    "MinIO",
    "CephFS",
    "GlusterFS",
    "NetApp",
    "PowerShell",
    "SQLite",
    "README",
    "LoadBalancer",
    "NodePort",
    "ClusterIP",
    "ExternalName",
    "KubeProxy",
    "KubeletConfig",
];

/// Alert names named by a heading: `# KubePodCrashLooping`, `## Alert: NodeDiskFull`.
fn alertnames_in(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .map(|w| w.trim_matches(':'))
        .filter(|w| looks_like_alertname(w))
        .map(String::from)
        .collect()
}

pub(super) fn dedup(v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.into_iter()
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Runbooks.

/// Parses one runbook. `path` is used for the default id, alert names and errors.
pub fn parse_runbook(path: &str, text: &str) -> Result<Runbook, DocError> {
    let err = |line: Option<usize>, message: String| doc_error(path, line, message);
    let split = markdown::split_front_matter(text).map_err(|e| err(Some(e.line), e.message))?;
    let yaml = split.yaml.unwrap_or("");
    let meta: RunbookMeta = match split.yaml {
        Some(y) => parse_yaml(path, y, split.yaml_line)?,
        None => RunbookMeta::default(),
    };
    let schema = meta.id.is_some()
        || meta.alerts.is_some()
        || meta.services.is_some()
        || meta.steps.is_some()
        || meta.owner.is_some()
        || meta.last_reviewed.is_some();
    let outline = markdown::outline(split.body, split.body_line);
    let headings: Vec<String> = outline.headings.iter().map(|h| h.text.clone()).collect();

    let stem = file_stem(path);
    let id = doc_id(meta.id, stem);
    if !valid_id(&id) {
        return Err(err(
            key_line(yaml, split.yaml_line, "id"),
            format!("id: {id:?} may only hold letters, digits, '-', '_' and '.'"),
        ));
    }
    let title = doc_title(meta.title, &split, &outline, stem);

    let alerts = match meta.alerts {
        Some(list) => List::read(Some(list)),
        None => {
            let mut v = Vec::new();
            if looks_like_alertname(stem) {
                v.push(stem.to_string());
            }
            for h in &outline.headings {
                v.extend(alertnames_in(&h.text));
            }
            dedup(v)
        }
    };
    let last_reviewed = match &meta.last_reviewed {
        Some(Text(t)) => Some(parse_date(
            path,
            key_line(yaml, split.yaml_line, "last_reviewed"),
            "last_reviewed",
            t,
        )?),
        None => None,
    };

    let steps = match meta.steps {
        Some(raw) => structured_steps(path, raw, split.yaml_line)?,
        None => code_block_steps(&outline),
    };

    Ok(Runbook {
        id,
        title,
        path: path.to_string(),
        alerts,
        services: List::read(meta.services),
        tags: List::read(meta.tags),
        owner: meta.owner.map(|t| t.0),
        last_reviewed,
        steps,
        headings,
        body: split.body.to_string(),
        body_line: split.body_line,
        schema,
    })
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `node-disk-full` → `node disk full`.
pub(super) fn humanize(stem: &str) -> String {
    stem.replace(['-', '_'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::step::{StepKind, StepOrigin};

    const SCHEMA: &str = r#"---
id: postgres-connection-pool
title: Postgres connection pool exhausted
alerts: [PostgresConnectionPoolExhausted, PgBouncerClientsWaiting]
services: [postgres, checkout]
tags: [database, connections]
owner: team-data
last_reviewed: 2026-01-15
steps:
  - id: show-pools
    title: Show PgBouncer pool usage
    kind: diagnostic
    argv: [kubectl, -n, "{{labels.namespace}}", exec, deploy/pgbouncer, --, psql, -c, "SHOW POOLS"]
    timeout: 30s
    audited: {by: maria, on: 2026-01-15}
  - id: rollback
    kind: mitigation
    argv: [kubectl, rollout, undo, "deployment/{{labels.service}}"]
---
# Postgres connection pool exhausted
## Meaning
Clients wait for a server connection.
```bash
kubectl get pods
```
"#;

    #[test]
    fn schema_runbook_loads() {
        let rb = parse_runbook("db/postgres-connection-pool.md", SCHEMA).unwrap();
        assert!(rb.schema);
        assert_eq!(rb.id, "postgres-connection-pool");
        assert_eq!(rb.alerts.len(), 2);
        assert_eq!(rb.steps.len(), 2, "structured steps only");
        assert_eq!(
            rb.steps[0].timeout,
            Some(crate::time::SignedDuration::from_secs(30))
        );
        assert!(rb.steps[0].is_pre_audited());
        assert!(!rb.steps[1].is_pre_audited());
        assert_eq!(rb.last_reviewed.unwrap().to_string(), "2026-01-15");
        assert_eq!(
            rb.headings,
            ["Postgres connection pool exhausted", "Meaning"]
        );
    }

    #[test]
    fn plain_runbook_loads() {
        let text = "---\ntitle: Kube Pod Crash Looping\n---\n# KubePodCrashLooping\n\n## Meaning\n\nA pod restarts.\n\n## Diagnosis\n\nCheck the logs:\n\n```shell\nkubectl -n $NAMESPACE logs $POD --previous\n```\n\n```\nkubectl get events | grep x\n```\n\n```yaml\na: b\n```\n";
        let rb = parse_runbook("kubernetes/KubePodCrashLooping.md", text).unwrap();
        assert!(!rb.schema);
        assert_eq!(rb.title, "Kube Pod Crash Looping");
        assert_eq!(rb.alerts, ["KubePodCrashLooping"]);
        assert_eq!(rb.steps.len(), 2);
        assert_eq!(rb.steps[0].title, "Check the logs");
        assert_eq!(rb.steps[0].origin, StepOrigin::CodeBlock);
        assert_eq!(rb.steps[0].kind, StepKind::Diagnostic);
        assert!(rb.steps[1].script().is_some());
    }

    #[test]
    fn indented_code_blocks_are_read_like_fenced_ones() {
        // Older Markdown: commands in 4-space-indented blocks; output and YAML are not steps.
        let text = "# KubeSchedulerDown\n\n## Diagnosis\n\nCheck the scheduler pods:\n\n    kubectl -n kube-system get pods -l component=kube-scheduler\n\nIts logs:\n\n    $ kubectl -n kube-system logs -l component=kube-scheduler\n    E0101 leader election lost\n\nThe manifest looks like:\n\n    apiVersion: v1\n    kind: Pod\n";
        let rb = parse_runbook("kubernetes/KubeSchedulerDown.md", text).unwrap();
        let argvs: Vec<String> = rb.steps.iter().map(|s| s.argv().join(" ")).collect();
        assert_eq!(
            argvs,
            [
                "kubectl -n kube-system get pods -l component=kube-scheduler",
                "kubectl -n kube-system logs -l component=kube-scheduler"
            ],
            "{:?}",
            rb.steps
        );
        assert_eq!(rb.steps[0].title, "Check the scheduler pods");
        assert!(rb.steps.iter().all(|s| s.origin == StepOrigin::CodeBlock));
        assert!(rb.steps.iter().all(|s| s.kind == StepKind::Diagnostic));
    }

    #[test]
    fn plain_code_blocks_are_unaudited_not_novel() {
        let text = "# Prometheus down\n\nIs it healthy?\n\n```sh\ncurl -fsS http://prometheus:9090/-/healthy\n```\n\nRestart it:\n\n```sh\nkubectl -n monitoring rollout restart statefulset/prometheus\n```\n";
        let rb = parse_runbook("PrometheusDown.md", text).unwrap();
        assert_eq!(rb.steps.len(), 2);
        for s in &rb.steps {
            assert_eq!(s.origin, StepOrigin::CodeBlock);
            assert!(!s.is_novel() && !s.is_pre_audited(), "{s:?}");
        }
        assert_eq!(rb.steps[0].kind, StepKind::Diagnostic);
        assert_eq!(rb.steps[1].kind, StepKind::Mitigation);
        // Only an edited argv is novel.
        let edited = rb.steps[0].edited(vec!["curl".into(), "-X".into(), "POST".into()]);
        assert!(edited.is_novel());
    }

    #[test]
    fn a_chaos_experiment_step_loads() {
        let text = "---\nid: failover-drill\nsteps:\n  - id: kill-primary\n    kind: experiment\n    argv: [kubectl, delete, pod, pg-main-0]\n    audited: {by: maria, on: 2026-01-15}\n---\n# Failover drill\n";
        let rb = parse_runbook("db/failover-drill.md", text).unwrap();
        assert_eq!(rb.steps[0].kind, StepKind::Experiment);
        assert!(rb.steps[0].is_pre_audited());
    }

    #[test]
    fn broken_front_matter_names_the_line() {
        let text = "---\ntitle: x\nsteps:\n  - id: a\n    kind: fix\n    argv: [ls]\n---\n# x\n";
        let e = parse_runbook("rb/x.md", text).unwrap_err();
        assert!(e.message.contains("steps[0].kind"), "{e}");
        assert_eq!(e.line, Some(4), "{e}");
        let e = parse_runbook("rb/y.md", "---\ntitle: [unclosed\n---\n# y\n").unwrap_err();
        assert!(e.line.is_some(), "{e}");
        assert!(e.to_string().starts_with("rb/y.md:"), "{e}");
        let e = parse_runbook("rb/z.md", "---\nlast_reviewed: soon\n---\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse_runbook(
            "rb/w.md",
            "---\nsteps:\n  - id: a\n    kind: diagnostic\n    argv: [\"{{env.HOME}}\"]\n---\n",
        )
        .unwrap_err();
        assert!(e.message.contains("{{env.HOME}}"), "{e}");
    }

    #[test]
    fn inline_commands_become_steps_without_blocks() {
        let text = "# KubePodCrashLooping\n## Diagnosis\n- Check pod events via `kubectl -n $NAMESPACE describe pod $POD`.\n- Check the `restartPolicy` field.\n";
        let rb = parse_runbook("KubePodCrashLooping.md", text).unwrap();
        assert_eq!(rb.steps.len(), 1, "{:?}", rb.steps);
        assert_eq!(rb.steps[0].title, "Check pod events");
        assert_eq!(
            rb.steps[0].argv(),
            [
                "kubectl",
                "-n",
                "{{labels.namespace}}",
                "describe",
                "pod",
                "{{labels.pod}}"
            ]
        );
        assert_eq!(rb.steps[0].origin, StepOrigin::CodeBlock);
    }

    #[test]
    fn alertname_heuristic() {
        assert!(looks_like_alertname("KubePodCrashLooping"));
        assert!(looks_like_alertname("TargetDown"));
        assert!(!looks_like_alertname("PostgreSQL"));
        assert!(!looks_like_alertname("README"));
        assert!(!looks_like_alertname("Meaning"));
        assert!(!looks_like_alertname("node-disk-full"));
        assert!(looks_like_alertname("etcdHighFsyncDurations"));
        assert!(looks_like_alertname("KubeCPUOvercommit"));
        assert!(!looks_like_alertname("kubectl"));
    }

    #[test]
    fn runbooks_and_postmortems_read_front_matter_lists_alike() {
        let front =
            "---\nalerts: [\" PgDown \", PgDown, \"\"]\nservices: \"db, db ,api\"\n---\n# X\n";
        let rb = parse_runbook("x.md", front).unwrap();
        let pm = parse_postmortem("x.md", front).unwrap();
        assert_eq!(rb.alerts, ["PgDown"]);
        assert_eq!(pm.alerts, rb.alerts);
        assert_eq!(rb.services, ["db", "api"]);
        assert_eq!(pm.services, rb.services);
        assert_eq!((rb.id.as_str(), rb.title.as_str()), ("x", "X"));
        assert_eq!((pm.id.as_str(), pm.title.as_str()), ("x", "X"));
    }

    #[test]
    fn postmortem_sections() {
        let text = "---\nid: PM-1\ntitle: Orders outage\ndate: 2025-09-03\nalerts: [OrdersHigh5xxRate]\nseverity: SEV2\n---\n# Orders outage\n## Summary\nOrders failed for 40 minutes.\n## Timeline\n- 14:02 deploy\n- 14:05 page\n## What we tried\n- restarted pods (no effect)\n## Contributing factors\n- pool size too small\n## Action items\n- [ ] alert on pool usage\n";
        let pm = parse_postmortem("pm/PM-1.md", text).unwrap();
        assert_eq!(pm.summary, "Orders failed for 40 minutes.");
        assert_eq!(pm.timeline.len(), 2);
        assert_eq!(pm.tried, ["restarted pods (no effect)"]);
        assert_eq!(pm.contributing_factors, ["pool size too small"]);
        assert_eq!(pm.action_items, ["alert on pool usage"]);
        assert_eq!(pm.date.unwrap().to_string(), "2025-09-03");
    }
}
