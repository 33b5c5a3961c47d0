//! What a run's records become for people: `experiment report`'s text and `experiment draft`'s
//! Markdown (a postmortem or a runbook of the rollbacks).

use std::fmt::Write as _;

use super::{Hypothesis, Refusal, RunSummary};
use crate::chaos::experiment::Action;
use crate::chaos::gate::pct;

/// `experiment report` as text.
pub fn report_text(runs: &[RunSummary], refused: &[Refusal]) -> String {
    let mut o = String::new();
    if runs.is_empty() && refused.is_empty() {
        o.push_str("no experiment runs in this journal\n");
        return o;
    }
    let halted = runs.iter().filter(|r| r.halted).count();
    let failed = refused.iter().filter(|f| f.failed_start).count();
    let _ = writeln!(
        o,
        "{} run(s): {} completed, {} halted by the guard, {} without an end; {} refused by the gate{}",
        runs.len(),
        runs.iter()
            .filter(|r| r.ended.is_some() && !r.halted)
            .count(),
        halted,
        runs.iter().filter(|r| r.ended.is_none()).count(),
        refused.len() - failed,
        if failed > 0 {
            format!("; {failed} ended before their gate")
        } else {
            String::new()
        }
    );
    for r in runs {
        let _ = writeln!(
            o,
            "\n{} {}{}\n  run {} (records #{})",
            r.started,
            r.title,
            if r.dry_run { " [dry run]" } else { "" },
            r.run,
            r.seqs
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", #")
        );
        let _ = writeln!(o, "  hypothesis: {}", r.hypothesis);
        let _ = writeln!(
            o,
            "  outcome:    {}; hypothesis {}",
            r.outcome,
            r.hypothesis_result.map_or("unknown", Hypothesis::label)
        );
        for (slo, x) in &r.spent {
            let _ = writeln!(
                o,
                "  spent:      {slo} {} of a limit of {}",
                pct(*x),
                r.limits.get(slo).map_or("?".to_string(), |l| pct(*l))
            );
        }
        for b in r.boundary.iter().take(3) {
            let _ = writeln!(
                o,
                "  boundary:   {} at {:.0}% ({})",
                b.what,
                b.used.min(9.99) * 100.0,
                b.detail
            );
        }
        let method = r.steps.iter().filter(|s| s.section == "method").count();
        let rollbacks = r.steps.iter().filter(|s| s.section == "rollback").count();
        let _ = writeln!(
            o,
            "  actions:    {method} method, {rollbacks} rollback{}",
            match r.rollbacks_ok {
                Some(true) => " (all succeeded)",
                Some(false) => " (NOT all succeeded)",
                None => "",
            }
        );
    }
    for f in refused {
        let _ = writeln!(
            o,
            "\n{} #{} {} {}: {}",
            if f.failed_start {
                "did not start"
            } else {
                "refused"
            },
            f.seq,
            f.at,
            f.title,
            f.reason
        );
    }
    o
}

/// The kind of draft `experiment draft` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftKind {
    Postmortem,
    Runbook,
}

/// A Markdown draft of what a finished run taught: a postmortem (with front matter the
/// knowledge base reads) or a runbook whose steps are the experiment's rollbacks (unaudited,
/// so the policy treats them as such until someone reviews them).
pub fn draft_markdown(r: &RunSummary, kind: DraftKind) -> String {
    let mut o = String::new();
    let draft = Draft::of(r);
    match kind {
        DraftKind::Postmortem => draft.postmortem_head(&mut o),
        DraftKind::Runbook => draft.runbook_head(&mut o),
    }
    let _ = writeln!(o, "## Hypothesis\n\n{}\n", r.hypothesis);
    what_happened(&mut o, r);
    timeline(&mut o, r);
    boundary(&mut o, r);
    if let Some(b) = &r.breach {
        let _ = writeln!(
            o,
            "\n## Why the guard halted it\n\n```json\n{}\n```",
            serde_json::to_string_pretty(b).unwrap_or_default()
        );
    }
    let _ = writeln!(
        o,
        "\n## What we learned\n\n- (Write what the run showed about the system, and what to \
         change.)\n\n## Action items\n\n- [ ] (owner) …"
    );
    o
}

/// What a draft's front matter is made of.
struct Draft<'a> {
    r: &'a RunSummary,
    /// The run's start day, `YYYY-MM-DD`.
    date: String,
    /// The title in lower case, words joined by `-`.
    slug: String,
    /// The label values of the blast radius.
    services: Vec<String>,
}

/// Text as a quoted YAML (JSON) string.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

impl Draft<'_> {
    fn of(r: &RunSummary) -> Draft<'_> {
        let slug: String = r
            .title
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let services: Vec<String> = r
            .experiment
            .as_ref()
            .map(|e| e.blast_radius.labels.values().flatten().cloned().collect())
            .unwrap_or_default();
        Draft {
            r,
            date: r.started.strftime("%Y-%m-%d").to_string(),
            slug,
            services,
        }
    }

    fn services_line(&self, o: &mut String) {
        let _ = writeln!(
            o,
            "services: [{}]",
            self.services
                .iter()
                .map(|s| q(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    /// A postmortem's front matter and title.
    fn postmortem_head(&self, o: &mut String) {
        let (r, slug, date) = (self.r, &self.slug, &self.date);
        let _ = writeln!(o, "---");
        let _ = writeln!(o, "id: chaos-{slug}-{date}");
        let _ = writeln!(o, "title: {}", q(&format!("Chaos experiment: {}", r.title)));
        let _ = writeln!(o, "date: {date}");
        self.services_line(o);
        let _ = writeln!(o, "---\n");
        let _ = writeln!(o, "# Chaos experiment: {}\n", r.title);
    }

    /// A runbook's front matter (its steps the rollbacks), title and provenance.
    fn runbook_head(&self, o: &mut String) {
        let r = self.r;
        let _ = writeln!(o, "---");
        let _ = writeln!(o, "id: {}", self.slug);
        let _ = writeln!(o, "title: {}", q(&format!("Recover from: {}", r.title)));
        self.services_line(o);
        let rollbacks: Vec<&Action> = r
            .experiment
            .iter()
            .flat_map(|e| e.rollbacks.iter())
            .collect();
        if !rollbacks.is_empty() {
            let _ = writeln!(o, "steps:");
            for (i, a) in rollbacks.iter().enumerate() {
                let _ = writeln!(o, "  - id: rollback-{}", i + 1);
                let _ = writeln!(o, "    title: {}", q(&a.name));
                let _ = writeln!(o, "    kind: mitigation");
                let _ = writeln!(
                    o,
                    "    argv: [{}]",
                    a.argv.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
                );
            }
        }
        let _ = writeln!(o, "---\n");
        let _ = writeln!(o, "# Recover from: {}\n", r.title);
        let _ = writeln!(
            o,
            "Drafted from chaos experiment run `{}`; the steps are its rollbacks, not yet \
             audited — review them and add `audited:` before they count as pre-audited.\n",
            r.run
        );
    }
}

/// `## What happened`: the start, the outcome, the hypothesis, the budget spent.
fn what_happened(o: &mut String, r: &RunSummary) {
    let _ = writeln!(
        o,
        "## What happened\n\n- Started {} (run `{}`){}.\n- Outcome: {}.",
        r.started,
        r.run,
        if r.dry_run { ", as a dry run" } else { "" },
        r.outcome
    );
    if let Some(h) = r.hypothesis_result {
        let _ = writeln!(
            o,
            "- The hypothesis {}.",
            match h {
                Hypothesis::Held => "held",
                Hypothesis::Deviated => "did not hold: the steady state deviated",
                Hypothesis::Undecided =>
                    "was not decided: the run stopped before the method finished",
            }
        );
    }
    for (slo, x) in &r.spent {
        let _ = writeln!(
            o,
            "- Budget spent on {slo}: {} (limit {}).",
            pct(*x),
            r.limits.get(slo).map_or("?".into(), |l| pct(*l))
        );
    }
}

/// `## Timeline`: each step run and its result.
fn timeline(o: &mut String, r: &RunSummary) {
    let _ = writeln!(o, "\n## Timeline\n");
    for s in &r.steps {
        let _ = writeln!(
            o,
            "- {} `{}` — {}",
            s.section,
            crate::actions::shell_display(&s.argv),
            s.result
                .as_ref()
                .map_or("no result".to_string(), |x| x.summary.clone())
        );
    }
}

/// `## Boundary reached`: how close the run came to each limit.
fn boundary(o: &mut String, r: &RunSummary) {
    let _ = writeln!(o, "\n## Boundary reached (what almost broke)\n");
    for b in &r.boundary {
        let _ = writeln!(
            o,
            "- {}: {:.0}% of its limit ({})",
            b.what,
            b.used.min(9.99) * 100.0,
            b.detail
        );
    }
}
