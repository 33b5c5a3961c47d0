//! `flightdeck experiment check` and the gate from the command line: located errors for bad
//! files, and why an experiment may or may not start.

use crate::common;
use common::cli::flightdeck;

const BUNDLED: &str = "assets/scenarios/chaos-halt/experiment.yaml";

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn check_names_the_place_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(common::root().join(BUNDLED)).unwrap();
    let out = flightdeck(&["experiment", "check", BUNDLED]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("blast radius: SLOs checkout-availability"));

    let cases = [
        (
            "arguments: [--namespace, shop, rollout, restart, deployment/checkout]",
            "arguments: \"--namespace shop rollout restart deployment/checkout\"",
            "rollbacks[0].provider.arguments: is shell text",
        ),
        (
            "budget_limit: 0.1",
            "budget_limit: 10",
            "extensions[0].budget_limit: 10 is not a share",
        ),
        (
            "    max_duration: 45m\n",
            "",
            "extensions[0].max_duration: missing",
        ),
        (
            "type: slo,",
            "type: http,",
            "steady-state-hypothesis.probes[0].provider.type",
        ),
        (
            "title: Checkout survives losing one pod",
            "title: [",
            "bad.yaml:",
        ),
    ];
    for (from, to, expect) in cases {
        let bad = good.replace(from, to);
        assert_ne!(bad, good, "{from}");
        let path = dir.path().join("bad.yaml");
        std::fs::write(&path, &bad).unwrap();
        let out = flightdeck(&["experiment", "check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{expect}: {}", text(&out));
        assert!(text(&out).contains(expect), "{expect}: {}", text(&out));
    }
}

#[test]
fn the_gate_says_why_not_in_redesign_and_why_yes_before_the_incident() {
    let out = flightdeck(&[
        "experiment",
        "run",
        BUNDLED,
        "--replay",
        "demo",
        "--at",
        "40m",
        "--gate-only",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("may NOT start"), "{t}");
    assert!(
        t.contains("[no] mode         the budgets say REDESIGN"),
        "{t}"
    );
    assert!(
        t.contains("[no] steady state checkout availability burn (1h)"),
        "{t}"
    );
    assert!(
        t.contains("allowance checkout-availability: 5.60% left"),
        "{t}"
    );

    let out = flightdeck(&[
        "experiment",
        "run",
        BUNDLED,
        "--replay",
        "demo",
        "--gate-only",
        "--json",
    ]);
    let d: serde_json::Value = common::cli::json(&out);
    assert_eq!(d["may_start"], true);
    let a = &d["allowances"][0];
    assert_eq!(a["slo"], "checkout-availability");
    // The allowance rule: half of the headroom above the floor; this run: 10% of what is left.
    let (remaining, floor) = (
        a["remaining"].as_f64().unwrap(),
        a["floor"].as_f64().unwrap(),
    );
    assert!((a["allowance"].as_f64().unwrap() - (remaining - floor) / 2.0).abs() < 1e-9);
    assert!((a["limit"].as_f64().unwrap() - 0.1 * remaining).abs() < 1e-9);
}

/// An unaudited experiment needs the incident commander: the on-call engineer's own approval
/// (running it) is not enough until the commander approves it with `experiment approve`, which
/// binds to the file's digest — an edited file needs approving again.
#[test]
fn an_unaudited_experiment_needs_the_commanders_approval_bound_to_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::root().join(BUNDLED))
        .unwrap()
        .replace("    audited: {by: lee, on: 2026-03-01}\n", "");
    let file = dir.path().join("unaudited.yaml");
    std::fs::write(&file, &text).unwrap();
    let (f, j) = (
        file.to_str().unwrap().to_string(),
        dir.path().join("j.jsonl").to_str().unwrap().to_string(),
    );
    let gate = |role: &str| {
        flightdeck(&[
            "--role",
            role,
            "experiment",
            "run",
            &f,
            "--replay",
            "demo",
            "--journal",
            &j,
            "--gate-only",
        ])
    };
    let out = gate("oncall");
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    assert!(
        text_of(&out).contains("[no] approvals    needs approval by the incident commander"),
        "{}",
        text_of(&out)
    );
    // Approved for runs replayed in the demo, on its virtual clock (at the scenario start, where
    // the gated run starts too).
    let out = flightdeck(&[
        "--role",
        "commander",
        "experiment",
        "approve",
        &f,
        "--journal",
        &j,
        "--replay",
        "demo",
    ]);
    assert!(out.status.success(), "{}", text_of(&out));
    let out = gate("oncall");
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));

    // Edited after the approval: the approval no longer counts.
    std::fs::write(
        &file,
        text.replace("budget_limit: 0.1", "budget_limit: 0.2"),
    )
    .unwrap();
    let out = gate("oncall");
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    // A trainee's approval never counts.
    let out = flightdeck(&[
        "--role",
        "trainee",
        "experiment",
        "approve",
        &f,
        "--journal",
        &j,
        "--replay",
        "demo",
    ]);
    assert!(out.status.success(), "{}", text_of(&out));
    assert_eq!(gate("oncall").status.code(), Some(1));
}

/// Issue 21: a replayed run counts approvals by the session's virtual clock. An approval stamped
/// in real time (today) is long after the demo incident's virtual time, so it does not count for
/// a run replayed there; nor does an approval stamped later on the virtual clock than the run
/// starts, nor one given in another scenario; one given in the demo before the run does, for an
/// hour of virtual time.
#[test]
fn a_replayed_run_counts_approvals_by_its_virtual_clock() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::root().join(BUNDLED))
        .unwrap()
        .replace("    audited: {by: lee, on: 2026-03-01}\n", "");
    let file = dir.path().join("unaudited.yaml");
    std::fs::write(&file, &text).unwrap();
    let (f, j) = (
        file.to_str().unwrap().to_string(),
        dir.path().join("j.jsonl").to_str().unwrap().to_string(),
    );
    let gate_at = |at: &str| {
        flightdeck(&[
            "--role",
            "oncall",
            "experiment",
            "run",
            &f,
            "--replay",
            "demo",
            "--at",
            at,
            "--journal",
            &j,
            "--gate-only",
        ])
    };
    let approve = |extra: &[&str]| {
        let mut args = vec![
            "--role",
            "commander",
            "experiment",
            "approve",
            &f,
            "--journal",
            &j,
        ];
        args.extend_from_slice(extra);
        let out = flightdeck(&args);
        assert!(out.status.success(), "{}", text_of(&out));
        text_of(&out)
    };
    // In real time: not for the replay.
    approve(&[]);
    let out = gate_at("10m");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a real-time approval counted in the replay: {}",
        text_of(&out)
    );
    assert!(
        text_of(&out).contains("needs approval by the incident commander"),
        "{}",
        text_of(&out)
    );
    // On the virtual clock, but after the run's start: not yet. (The demo's budgets say
    // ADAPTIVE for its first twelve minutes only.)
    let said = approve(&["--replay", "demo", "--at", "8m"]);
    assert!(said.contains("for runs replayed in"), "{said}");
    assert_eq!(
        gate_at("5m").status.code(),
        Some(1),
        "an approval from the future"
    );
    // From its virtual time on, it counts.
    let out = gate_at("10m");
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert_eq!(gate_at("8m").status.code(), Some(0));
}

fn text_of(out: &std::process::Output) -> String {
    text(out)
}
