//! The briefing a trainee reads when a drill starts (issue 20.13): the story so far (the
//! scenario's `briefing:`, then what is firing when the clock starts and the SLOs watched), the
//! role, and what the debrief scores. Nothing of the ending: a scenario's title and summary
//! usually name the cause, so neither is shown. Pure: the scenario in, text out.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::scenario::{Scenario, ScenarioEvent};
use crate::alerts::AlertState;
use crate::time::format_duration;

/// The most alerts the briefing names one by one.
const NAMED: usize = 8;

/// The briefing of `scenario` for the trainee `actor`, as plain text (lines at the margin are
/// headings, as reports read them).
pub fn briefing(scenario: &Scenario, actor: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "The story so far");
    match &scenario.briefing {
        // One line a paragraph: the report wraps it to the box's width.
        Some(text) => {
            for paragraph in text.trim().split("\n\n") {
                let joined: Vec<&str> = paragraph.lines().map(str::trim).collect();
                let _ = writeln!(out, "  {}", joined.join(" "));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  {} UTC. You are on call; the cockpit shows what you would see.",
                scenario.start.strftime("%A %Y-%m-%d %H:%M")
            );
        }
    }
    let firing = firing_at_start(scenario);
    let _ = writeln!(out);
    let _ = writeln!(out, "Firing when the clock starts");
    if firing.is_empty() {
        let _ = writeln!(out, "  nothing yet: alerts arrive as the clock runs");
    }
    for (name, services) in firing.iter().take(NAMED) {
        let services: Vec<&str> = services.iter().map(String::as_str).collect();
        let _ = if services.is_empty() {
            writeln!(out, "  {name}")
        } else {
            writeln!(out, "  {name} ({})", services.join(", "))
        };
    }
    if firing.len() > NAMED {
        let _ = writeln!(out, "  and {} more", firing.len() - NAMED);
    }
    if !scenario.slos.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "The SLOs the governor watches");
        for slo in &scenario.slos {
            let _ = writeln!(
                out,
                "  {}: {}% over {}",
                slo.name,
                (slo.objective * 100_000.0).round() / 1000.0,
                format_duration(slo.window)
            );
        }
    }
    let _ = write!(
        out,
        "
Your role
  You are {actor}, on call, in a drill: the responders' decisions stay hidden until the debrief. Approve, reject, edit or do by hand the steps the runbooks offer (the approvals pane, 4); write notes and hypotheses (n; Tab switches).
  Nothing runs: your approvals are your decisions, scored in the debrief. A diagnostic you approve shows what it printed when the responders ran it, where the scenario recorded it.
  In FREEZE and REDESIGN the policy wants the incident commander too: the debrief counts your fix from when the responders' commander approved it.

What the debrief scores (100 points)
  diagnostic  20  your first useful diagnostic, against the responders' first
  mitigation  40  the mitigation that fixed it, and how soon; less for each other one
  safety      20  approvals the policy refused, steps the responders rejected, steps not needed
  budget      10  error budget burned until your fix could run, against the responders'
  hypotheses  10  a hypothesis noted before you reach for a mitigation

Keys
  R  your decisions so far (no spoilers)   n  note or hypothesis   Space  pause   ?  help

Enter, Esc or Space starts the clock.
"
    );
    out
}

/// The alerts firing (not silenced, not resolved) at the scenario's start: name → services.
fn firing_at_start(scenario: &Scenario) -> BTreeMap<String, Vec<String>> {
    let mut state: BTreeMap<&BTreeMap<String, String>, AlertState> = BTreeMap::new();
    for e in scenario
        .events
        .iter()
        .take_while(|e| e.at <= scenario.start)
    {
        if let ScenarioEvent::Alert(a) = &e.event {
            state.insert(&a.labels, a.state);
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (labels, s) in state {
        if s != AlertState::Firing {
            continue;
        }
        let name = labels.get("alertname").cloned().unwrap_or_default();
        let services = out.entry(name).or_default();
        if let Some(service) = labels.get("service").or(labels.get("job"))
            && !services.contains(service)
        {
            services.push(service.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Scenario {
        let text = include_str!("../../assets/demo/scenario.yaml");
        Scenario::parse("assets/demo/scenario.yaml", text).expect("the demo scenario parses")
    }

    #[test]
    fn the_demo_briefing_tells_the_story_so_far_without_the_ending() {
        let scenario = demo();
        let text = briefing(&scenario, "sam");
        let story = scenario
            .briefing
            .as_deref()
            .expect("the demo has a briefing");
        assert!(
            text.contains(story.lines().next().unwrap().trim()),
            "{text}"
        );
        for heading in [
            "The story so far",
            "Firing when the clock starts",
            "Your role",
            "What the debrief scores (100 points)",
        ] {
            assert!(text.lines().any(|l| l == heading), "{heading}: {text}");
        }
        assert!(text.contains("You are sam, on call"), "{text}");
        assert!(
            text.contains("checkout-availability: 99.9% over 30d"),
            "{text}"
        );
        // The demo's first alert fires 90 s in.
        assert!(
            text.contains("Firing when the clock starts\n  nothing yet"),
            "{text}"
        );
        for spoiler in [
            scenario.title.as_str(),
            "rolled back",
            "v2.41.0",
            "transaction per cart line",
            "CheckoutHigh5xxRate",
        ] {
            assert!(!text.contains(spoiler), "gives away {spoiler:?}: {text}");
        }
        let points: u32 = text
            .lines()
            .skip_while(|l| !l.starts_with("What the debrief scores"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u32>().ok())
            .sum();
        assert_eq!(points, 100, "the sections add up");
    }

    #[test]
    fn without_a_briefing_the_start_and_what_fires_are_the_story() {
        let mut scenario = demo();
        scenario.briefing = None;
        // Two alerts already firing at the start (history), one resolved before it.
        let alert = |name: &str, service: &str, state| crate::alerts::Alert {
            labels: [("alertname", name), ("service", service)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: Default::default(),
            starts_at: scenario.start,
            ends_at: None,
            state,
            generator_url: None,
            detail: Default::default(),
        };
        let at = scenario.start - crate::time::SignedDuration::from_mins(10);
        for (name, state) in [
            ("DiskFilling", AlertState::Firing),
            ("Gone", AlertState::Firing),
            ("Gone", AlertState::Resolved),
        ] {
            scenario.events.insert(
                0,
                super::super::scenario::TimedEvent {
                    at,
                    event: ScenarioEvent::Alert(alert(name, "node", state)),
                },
            );
        }
        // Inserted newest first: the resolution came last.
        scenario.events.swap(0, 2);
        let text = briefing(&scenario, "sam");
        assert!(text.contains("Thursday 2026-03-12 13:55 UTC"), "{text}");
        assert!(!text.contains(&scenario.summary[..40]), "{text}");
        assert!(text.contains("  DiskFilling (node)\n"), "{text}");
        assert!(!text.contains("Gone"), "{text}");
    }
}
