//! Data quality: runbook staleness and a postmortem linter for training-grade data.
//!
//! Runbooks are flagged when their `last_reviewed` date is older than a configurable age
//! (default 180 days), when they name alerts that no known rule or alert has, when a step
//! failed the last time it was executed (the journal knows; the caller passes it in), and when
//! the runbook is only a "moved to …" stub.
//!
//! Postmortems get a score out of 100 and findings: missing timeline, no record of hypotheses
//! or false leads, blame language ("human error", "engineer made a typo"), a single root cause,
//! no contributing factors, no (or vague) action items. The score is what a responder-training
//! data set needs, not a judgement of the incident.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::doc::{Postmortem, Runbook};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// One thing the linter found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable machine name: `stale`, `not-reviewed`, `unknown-alert`, `step-failed`,
    /// `missing-timeline`, `no-hypotheses`, `blame-language`, `single-root-cause`,
    /// `no-contributing-factors`, `no-action-items`, `vague-action-item`, `no-summary`,
    /// `missing-metadata`, `no-owner`, `no-steps`, `future-date`, `moved-stub`,
    /// `option-injection`.
    pub code: String,
    pub level: Level,
    pub message: String,
    /// Line in the document, when the finding is about one place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Finding {
    fn new(code: &str, level: Level, message: impl Into<String>) -> Finding {
        Finding {
            code: code.to_string(),
            level,
            message: message.into(),
            line: None,
        }
    }

    fn at(mut self, line: usize) -> Finding {
        self.line = Some(line);
        self
    }
}

/// What the staleness check needs besides the runbook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StalenessInputs {
    /// Runbooks reviewed longer ago than this are stale.
    pub max_age_days: i64,
    /// Alert names defined by the team's rules or seen firing. `None` skips the check.
    pub known_alerts: Option<BTreeSet<String>>,
    /// `runbook-id/step-id` → what happened the last time it ran, for steps whose last real
    /// execution says the runbook no longer works as written (from the journal): the step could
    /// not run (not found, no permission, timed out), or it was a mitigation and failed. A
    /// diagnostic that ran and exited non-zero reported the outage, and is not listed.
    pub failed_steps: BTreeMap<String, String>,
}

impl Default for StalenessInputs {
    fn default() -> Self {
        StalenessInputs {
            max_age_days: DEFAULT_MAX_AGE_DAYS,
            known_alerts: None,
            failed_steps: BTreeMap::new(),
        }
    }
}

/// The default review age limit (issue 5: 180 days).
pub const DEFAULT_MAX_AGE_DAYS: i64 = 180;

/// Staleness findings for one runbook as of `today`. Empty = fresh.
pub fn runbook_staleness(
    rb: &Runbook,
    today: jiff::civil::Date,
    inputs: &StalenessInputs,
) -> Vec<Finding> {
    let mut out = Vec::new();
    match rb.last_reviewed {
        Some(date) => {
            let age = age_days(date, today);
            if age > inputs.max_age_days {
                out.push(Finding::new(
                    "stale",
                    Level::Warning,
                    format!(
                        "last reviewed {date}, {age} days ago (limit {} days)",
                        inputs.max_age_days
                    ),
                ));
            } else if age < 0 {
                out.push(Finding::new(
                    "future-date",
                    Level::Warning,
                    format!("last_reviewed {date} is in the future"),
                ));
            }
        }
        None => out.push(Finding::new(
            "not-reviewed",
            Level::Info,
            "no last_reviewed date: nobody has signed off this runbook",
        )),
    }
    if let Some(known) = &inputs.known_alerts {
        for a in &rb.alerts {
            if !known.contains(a) {
                out.push(Finding::new(
                    "unknown-alert",
                    Level::Warning,
                    format!(
                        "names alert {a}, which no known rule or alert has (renamed or removed?)"
                    ),
                ));
            }
        }
    }
    for s in &rb.steps {
        let key = format!("{}/{}", rb.id, s.id);
        if let Some(what) = inputs.failed_steps.get(&key) {
            out.push(Finding::new(
                "step-failed",
                Level::Warning,
                format!("step {} failed when last executed: {what}", s.id),
            ));
        }
        if let Some(audit) = &s.audited
            && age_days(audit.on, today) > inputs.max_age_days
        {
            out.push(Finding::new(
                "stale",
                Level::Info,
                format!(
                    "step {} was audited {} by {}, {} days ago",
                    s.id,
                    audit.on,
                    audit.by,
                    age_days(audit.on, today)
                ),
            ));
        }
    }
    if let Some(to) = moved_stub(rb) {
        out.push(Finding::new(
            "moved-stub",
            Level::Warning,
            format!(
                "only a \"moved to …\" stub ({to}): nothing here to act on; copy the runbook \
                 here or delete the stub and point the alert's runbook_url at the new place"
            ),
        ));
    } else if rb.steps.is_empty() {
        out.push(Finding::new(
            "no-steps",
            Level::Info,
            "no structured steps and no shell blocks: nothing can be suggested from it",
        ));
    }
    out
}

/// Phrases by which a runbook says it now lives elsewhere.
const MOVED_PHRASES: &[&str] = &[
    "moved to",
    "has moved",
    "have moved",
    "been moved",
    "was moved",
    "now lives",
    "now maintained",
    "relocated to",
    "migrated to",
    "superseded by",
    "replaced by",
];

/// Where a runbook that is only a "moved to …" stub points (the link or text after the
/// phrase), if it is one: a short body (at most 40 words besides its headings, no code) that
/// says it moved.
pub fn moved_stub(rb: &Runbook) -> Option<String> {
    if !rb.steps.is_empty() {
        return None;
    }
    let outline = super::markdown::outline(&rb.body, 1);
    if outline
        .blocks
        .iter()
        .any(|b| matches!(b.kind, super::markdown::BlockKind::Code(_)))
    {
        return None;
    }
    let prose: Vec<&str> = outline.blocks.iter().map(|b| b.text.as_str()).collect();
    let prose = prose.join(" ");
    if prose.split_whitespace().count() > 40 {
        return None;
    }
    let lower = prose.to_lowercase();
    let at = MOVED_PHRASES
        .iter()
        .filter_map(|p| lower.find(p).map(|i| i + p.len()))
        .min()?;
    // The link target, when the stub links (`[new place](https://…)`), else the words after.
    let link = rb
        .body
        .split(['(', '<', ' ', '\n'])
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches([')', '>', '.', ',']).to_string());
    Some(link.unwrap_or_else(|| {
        let rest: String = prose[at..].trim().chars().take(80).collect();
        format!("points at {}", rest.trim_end_matches('.'))
    }))
}

/// Argv elements that begin with a placeholder, before any `--`: the value is filled in from an
/// alert's labels or annotations, and one that starts with `-` (a label value
/// `--kubeconfig=/evil`) becomes an option of the command instead of an argument. A placeholder
/// after `--`, after a flag's `=` (`--namespace={{labels.namespace}}`), or right after an
/// option that takes it as its value (`-n {{labels.namespace}}`: getopt-style parsers take the
/// next element whatever it starts with) cannot.
pub fn option_injection(step: &crate::actions::Step) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, element) in step.argv().iter().enumerate().skip(1) {
        if element == "--" {
            break;
        }
        let Some(rest) = element.trim_start().strip_prefix("{{") else {
            continue;
        };
        let previous = &step.argv()[i - 1];
        if i > 1 && previous.starts_with('-') && previous.len() > 1 && !previous.contains('=') {
            continue;
        }
        let name = rest.split("}}").next().unwrap_or(rest).trim();
        out.push(Finding::new(
            "option-injection",
            Level::Warning,
            format!(
                "step {}: argv element {i} {element:?} begins with {{{{{name}}}}}: a value \
                 starting with `-` (a label `--kubeconfig=/evil`) would become an option; put \
                 \"--\" before it, or write the flag with `=` (e.g. --pod={{{{{name}}}}})",
                step.id
            ),
        ));
    }
    out
}

/// Whole days from `from` to `to` (negative if `from` is later).
pub fn age_days(from: jiff::civil::Date, to: jiff::civil::Date) -> i64 {
    to.duration_since(from).as_secs().div_euclid(86_400)
}

/// `true` if the runbook has a warning-level staleness finding (the pane's stale mark).
pub fn is_stale(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.level >= Level::Warning)
}

/// The postmortem linter's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostmortemLint {
    /// 0–100; 80 and above is training-grade.
    pub score: u8,
    /// `training-grade` (≥ 80), `usable` (≥ 50) or `poor`.
    pub grade: String,
    pub findings: Vec<Finding>,
}

/// Phrases that put the cause on a person instead of the system.
const BLAME: &[&str] = &[
    "human error",
    "operator error",
    "user error",
    "pilot error",
    "made a typo",
    "made a mistake",
    "careless",
    "carelessness",
    "negligence",
    "negligent",
    "should have known",
    "should have noticed",
    "failed to notice",
    "failed to follow",
    "did not follow the procedure",
    "didn't follow the procedure",
    "not paying attention",
    "wasn't paying attention",
    "was not paying attention",
    "incompetent",
    "incompetence",
    "sloppy",
    "lazy",
    "fault of",
    "to blame",
    "blame on",
    "forgot to",
];

/// Action items that ask people to try harder instead of changing the system.
const VAGUE: &[&str] = &[
    "be more careful",
    "be careful",
    "pay more attention",
    "pay attention",
    "try harder",
    "double check",
    "double-check",
    "be more vigilant",
    "remember to",
    "don't forget",
    "do not forget",
];

/// Lints one postmortem.
pub fn lint_postmortem(pm: &Postmortem) -> PostmortemLint {
    let mut l = Lint::default();
    l.sections(pm);
    l.blame(pm);
    l.causes(pm);
    l.action_items(pm);
    l.metadata(pm);
    let score = 100u32.saturating_sub(l.penalty) as u8;
    PostmortemLint {
        score,
        grade: grade(score).to_string(),
        findings: l.findings,
    }
}

/// A postmortem's findings as they are made, and the points they cost.
#[derive(Default)]
struct Lint {
    findings: Vec<Finding>,
    penalty: u32,
}

impl Lint {
    fn add(&mut self, f: Finding, penalty: u32) {
        self.penalty += penalty;
        self.findings.push(f);
    }

    /// The sections a trainee replays from: summary, timeline, what was tried.
    fn sections(&mut self, pm: &Postmortem) {
        if pm.summary.trim().is_empty() {
            self.add(Finding::new("no-summary", Level::Warning, "no summary"), 10);
        }
        if pm.timeline.is_empty() {
            let f = Finding::new(
                "missing-timeline",
                Level::Error,
                "no timeline: a trainee cannot replay when what was known",
            );
            self.add(f, 25);
        }
        if pm.tried.is_empty() {
            let f = Finding::new(
                "no-hypotheses",
                Level::Error,
                "no record of hypotheses tried or false leads (add a \"What we tried\" section)",
            );
            self.add(f, 20);
        }
    }

    /// Blame language, with the line it is on (the points once, every place reported).
    fn blame(&mut self, pm: &Postmortem) {
        let mut blamed = false;
        for (i, line) in pm.body.lines().enumerate() {
            let lower = line.to_lowercase();
            for phrase in BLAME {
                if contains_phrase(&lower, phrase) {
                    let f = Finding::new(
                        "blame-language",
                        Level::Error,
                        format!(
                            "blame language {phrase:?}: describe what made the action possible, \
                             not who took it"
                        ),
                    )
                    .at(pm.body_line + i);
                    self.add(f, if blamed { 0 } else { 20 });
                    blamed = true;
                }
            }
        }
    }

    /// Contributing factors, not a single root cause.
    fn causes(&mut self, pm: &Postmortem) {
        let root_cause_heading = pm.headings.iter().any(|h| {
            let h = h.to_lowercase();
            h.contains("root cause") && !h.contains("causes")
        });
        if pm.contributing_factors.is_empty() {
            let msg = if root_cause_heading {
                "a single root cause and no contributing factors"
            } else {
                "no contributing factors"
            };
            self.add(
                Finding::new("no-contributing-factors", Level::Error, msg),
                20,
            );
        } else if pm.contributing_factors.len() == 1 && root_cause_heading {
            let f = Finding::new(
                "single-root-cause",
                Level::Warning,
                "a single root cause: incidents have several contributing factors",
            );
            self.add(f, 10);
        }
    }

    /// Action items that change the system, with an owner or a ticket.
    fn action_items(&mut self, pm: &Postmortem) {
        if pm.action_items.is_empty() {
            self.add(
                Finding::new("no-action-items", Level::Error, "no action items"),
                20,
            );
            return;
        }
        let mut vague_penalty = 0;
        for item in &pm.action_items {
            let lower = item.to_lowercase();
            if let Some(phrase) = VAGUE.iter().find(|p| contains_phrase(&lower, p)) {
                vague_penalty += 10;
                self.findings.push(Finding::new(
                    "vague-action-item",
                    Level::Warning,
                    format!(
                        "action item {item:?} asks people to {phrase:?}; change the system instead"
                    ),
                ));
            }
        }
        self.penalty += vague_penalty.min(20);
        let owned = pm.action_items.iter().any(|i| {
            let l = i.to_lowercase();
            l.contains("owner") || l.contains('@') || l.contains("assignee") || has_ticket(i)
        });
        if !owned {
            let f = Finding::new(
                "no-owner",
                Level::Info,
                "no action item names an owner or a ticket",
            );
            self.add(f, 5);
        }
    }

    /// The front matter matching and review use.
    fn metadata(&mut self, pm: &Postmortem) {
        if pm.date.is_none() {
            self.add(Finding::new("missing-metadata", Level::Info, "no date"), 5);
        }
        if pm.alerts.is_empty() && pm.services.is_empty() {
            let f = Finding::new(
                "missing-metadata",
                Level::Info,
                "no alerts or services in the front matter: matching falls back to the text",
            );
            self.add(f, 5);
        }
    }
}

/// `training-grade`, `usable` or `poor`.
pub fn grade(score: u8) -> &'static str {
    match score {
        80.. => "training-grade",
        50..=79 => "usable",
        _ => "poor",
    }
}

/// Whole-word phrase search in lower-cased text.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text[from..].find(phrase) {
        let start = from + i;
        let end = start + phrase.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return true;
        }
        from = start + phrase.len().max(1);
    }
    false
}

/// `ABC-123` style ticket references.
fn has_ticket(s: &str) -> bool {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .any(|w| match w.split_once('-') {
            Some((a, b)) => {
                a.len() >= 2
                    && a.chars().all(|c| c.is_ascii_uppercase())
                    && !b.is_empty()
                    && b.chars().all(|c| c.is_ascii_digit())
            }
            None => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::doc::{parse_postmortem, parse_runbook};

    fn date(s: &str) -> jiff::civil::Date {
        s.parse().unwrap()
    }

    #[test]
    fn placeholders_that_begin_an_argv_element_are_option_injection() {
        let rb = parse_runbook(
            "a.md",
            "---\nid: a\nsteps:\n  - id: bad\n    title: Logs\n    kind: diagnostic\n    argv: [kubectl, logs, \"{{labels.pod}}\", \"{{ labels.ns }}-x\"]\n  - id: safe\n    title: Logs\n    kind: diagnostic\n    argv: [kubectl, logs, \"--namespace={{labels.ns}}\", -c, \"{{labels.container}}\", --, \"{{labels.pod}}\"]\n  - id: program\n    title: Program\n    kind: diagnostic\n    argv: [\"{{labels.tool}}\", status]\n---\n# A\n",
        )
        .unwrap();
        let found: Vec<Finding> = rb.steps.iter().flat_map(option_injection).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|f| f.code == "option-injection" && f.level == Level::Warning)
        );
        assert!(
            found[0].message.contains("step bad: argv element 2"),
            "{}",
            found[0].message
        );
        assert!(
            found[1].message.contains("{{labels.ns}}"),
            "{}",
            found[1].message
        );
    }

    #[test]
    fn staleness() {
        let rb = parse_runbook(
            "a.md",
            "---\nalerts: [Foo, BarRenamed]\nlast_reviewed: 2025-01-01\n---\n# A\n```bash\nkubectl get pods\n```\n",
        )
        .unwrap();
        let inputs = StalenessInputs {
            known_alerts: Some(["Foo".to_string()].into()),
            failed_steps: [("a/block-1".to_string(), "exit 1 at 14:02".to_string())].into(),
            ..StalenessInputs::default()
        };
        let f = runbook_staleness(&rb, date("2026-03-12"), &inputs);
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert!(codes.contains(&"stale"), "{f:?}");
        assert!(codes.contains(&"unknown-alert"));
        assert!(codes.contains(&"step-failed"));
        assert!(f[0].message.contains("435 days ago"), "{}", f[0].message);
        assert!(is_stale(&f));
        let fresh = runbook_staleness(&rb, date("2025-03-01"), &StalenessInputs::default());
        assert!(!is_stale(&fresh), "{fresh:?}");
    }

    #[test]
    fn a_moved_to_stub_is_reported() {
        let today = date("2026-03-12");
        let stub = parse_runbook(
            "KubeletDown.md",
            "# KubeletDown\n\nThis runbook has moved to [the platform wiki](https://wiki.example.com/runbooks/kubelet-down).\n",
        )
        .unwrap();
        let f = runbook_staleness(&stub, today, &StalenessInputs::default());
        let moved: Vec<_> = f.iter().filter(|f| f.code == "moved-stub").collect();
        assert_eq!(moved.len(), 1, "{f:?}");
        assert!(
            moved[0]
                .message
                .contains("https://wiki.example.com/runbooks/kubelet-down"),
            "{}",
            moved[0].message
        );
        assert!(!f.iter().any(|f| f.code == "no-steps"), "{f:?}");
        let plain =
            parse_runbook("Moved.md", "# Moved\n\nMoved to runbooks/storage/ceph.md\n").unwrap();
        assert!(
            moved_stub(&plain)
                .unwrap()
                .contains("runbooks/storage/ceph.md")
        );
        // A real runbook that mentions a move in passing is not a stub.
        let real = parse_runbook(
            "PodMoved.md",
            "# PodMoved\n\n## Meaning\n\nThe pod was moved to another node by the descheduler.\n\n## Diagnosis\n\n```shell\nkubectl get pods -o wide\n```\n",
        )
        .unwrap();
        assert_eq!(moved_stub(&real), None);
        let long = parse_runbook(
            "Long.md",
            &format!(
                "# Long\n\nThe queue has moved to a new broker. {}\n",
                "Explain more. ".repeat(20)
            ),
        )
        .unwrap();
        assert_eq!(moved_stub(&long), None);
    }

    #[test]
    fn good_postmortem_scores_high_and_blame_is_found() {
        let good = parse_postmortem(
            "pm.md",
            "---\ndate: 2025-01-01\nservices: [x]\n---\n# X\n## Summary\nS.\n## Timeline\n- 10:00 a\n## What we tried\n- b (false lead)\n## Contributing factors\n- c\n- d\n## Action items\n- e (owner: team-x)\n",
        )
        .unwrap();
        let l = lint_postmortem(&good);
        assert_eq!(l.score, 100, "{l:?}");
        assert_eq!(l.grade, "training-grade");

        let bad = parse_postmortem(
            "bad.md",
            "# Y\n## Summary\nThe root cause was human error: an engineer made a typo.\n## Root cause\n- typo\n## Action items\n- Be more careful\n",
        )
        .unwrap();
        let l = lint_postmortem(&bad);
        let codes: Vec<&str> = l.findings.iter().map(|f| f.code.as_str()).collect();
        for c in [
            "missing-timeline",
            "no-hypotheses",
            "blame-language",
            "single-root-cause",
            "vague-action-item",
        ] {
            assert!(codes.contains(&c), "{c} missing from {codes:?}");
        }
        let blame = l
            .findings
            .iter()
            .find(|f| f.code == "blame-language")
            .unwrap();
        assert_eq!(blame.line, Some(3));
        assert!(l.score < 50, "{l:?}");
        assert_eq!(l.grade, "poor");
    }

    #[test]
    fn phrases_match_whole_words() {
        assert!(contains_phrase("it was human error.", "human error"));
        assert!(!contains_phrase("humane errors", "human error"));
        assert!(has_ticket("fix it (OPS-1234)"));
        assert!(!has_ticket("pre-2024"));
    }
}
