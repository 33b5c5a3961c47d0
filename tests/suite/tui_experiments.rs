//! The cockpit's experiments view (`x`, issue 21): in a replay of the demo it lists the bundled
//! experiment with every gate check and the allowance left; approving from the view goes
//! through the cockpit's journal (the gate counts the approval once it is journaled, and an
//! unaudited experiment still needs the incident commander's); a run the journal says ended
//! halted shows with its evidence. Snapshots at 100×30 and 80×24.

use crate::common;
use common::tui::{press, replay_app, screen};
use crossterm::event::KeyCode;
use flightdeck::chaos::Experiment;
use flightdeck::cockpit::{CockpitConfig, UserCommand};
use flightdeck::commands::experiment::{BUNDLED, ReplayRuns, catalog_replay};
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::tui::app::Overlay;
use flightdeck::tui::overlays::experiment::{Catalog, Entry, Pending};
use flightdeck::tui::{App, Command};

/// The screen after the app caught up with the session (what the runtime does before a frame).
fn seen(app: &mut App, session: &ReplaySession) -> String {
    flightdeck::tui::refresh(app, session.cockpit());
    screen(app, session)
}

fn app_at(session: &ReplaySession, size: (u16, u16)) -> App {
    let mut app = replay_app(session, size, 10.0);
    app.experiments = catalog_replay(&common::replay::demo());
    app
}

#[test]
fn the_bundled_experiment_may_start_before_the_incident_100x30() {
    let session = common::replay::demo_at(0);
    let mut app = app_at(&session, (100, 30));
    // Without the scenario's own run (shown running from the demo's start: see below), the
    // gate and the allowance fill the view.
    app.experiments.scripted.clear();
    press(&mut app, &session, KeyCode::Char('x'));
    let s = screen(&app, &session);
    assert!(s.contains("may start now"), "{s}");
    assert!(s.contains("the budgets say ADAPTIVE"), "{s}");
    assert!(s.contains("this run may spend"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn in_the_incident_it_may_not_start_80x24() {
    let session = common::replay::demo_at(20);
    let mut app = app_at(&session, (80, 24));
    press(&mut app, &session, KeyCode::Char('x'));
    let s = screen(&app, &session);
    assert!(s.contains("may NOT start now"), "{s}");
    assert!(s.contains("FREEZE"), "{s}");
    insta::assert_snapshot!(s);
    // Esc closes it; the help lists `x`.
    press(&mut app, &session, KeyCode::Esc);
    assert!(!screen(&app, &session).contains("Experiments ·"));
    press(&mut app, &session, KeyCode::Char('?'));
    let help = screen(&app, &session);
    assert!(help.contains("experiments: may start and why"), "{help}");
}

#[test]
fn no_experiments_configured_says_where_to_put_them() {
    let session = common::replay::demo_at(0);
    let mut app = replay_app(&session, (80, 24), 10.0);
    press(&mut app, &session, KeyCode::Char('x'));
    let s = screen(&app, &session);
    assert!(s.contains("[experiments] dir"), "{s}");
}

/// An unaudited experiment needs the incident commander. The on-call engineer's approval from
/// the view is journaled but does not open the gate; the commander's, journaled from their
/// cockpit's view, does — and only once journaled (`y` sends it; `n` journals nothing).
#[test]
fn approving_from_the_view_is_journaled_and_the_gate_counts_it() {
    let text = BUNDLED
        .1
        .replace("    audited: {by: lee, on: 2026-03-01}\n", "");
    let e = Experiment::parse("unaudited.yaml", &text).unwrap();
    let catalog = Catalog {
        source: Some("test".into()),
        files: vec![Entry {
            path: "unaudited.yaml".into(),
            experiment: Ok(e.clone()),
        }],
        ..Catalog::default()
    };
    let decide = |role: flightdeck::actions::Role, actor: &str| {
        let config = CockpitConfig {
            role,
            actor: actor.into(),
            ..CockpitConfig::default()
        };
        let mut session = common::replay::session_with(common::replay::demo(), 2, config);
        let mut app = replay_app(&session, (100, 30), 10.0);
        app.experiments = catalog.clone();
        press(&mut app, &session, KeyCode::Char('x'));
        assert!(press(&mut app, &session, KeyCode::Char('a')).is_empty());
        assert!(screen(&app, &session).contains("y/Enter: journal it"));
        // `n`: nothing is sent.
        assert!(press(&mut app, &session, KeyCode::Char('n')).is_empty());
        press(&mut app, &session, KeyCode::Char('a'));
        let commands = press(&mut app, &session, KeyCode::Char('y'));
        let [Command::Decide(cmd @ UserCommand::ApproveExperiment { digest, .. })] =
            commands.as_slice()
        else {
            panic!("{commands:?}")
        };
        assert_eq!(digest, &e.digest());
        let before = session.records().len();
        let refused = session.command(cmd.clone());
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(session.records().len(), before + 1, "journaled");
        session.records().last().unwrap().clone()
    };
    let oncall = decide(flightdeck::actions::Role::Oncall, "sam");
    assert_eq!(oncall.body["phase"], "approve");
    assert_eq!(oncall.body["mode"], "adaptive");

    // What the gate makes of the journal: sam's approval alone is not enough.
    let session = common::replay::session_with(
        common::replay::demo(),
        3,
        CockpitConfig {
            actor: "sam".into(),
            ..CockpitConfig::default()
        },
    );
    let mut records = vec![oncall];
    let status = |records: &[flightdeck::journal::JournalRecord]| {
        flightdeck::chaos::observe::status(
            session.cockpit(),
            &e,
            records,
            flightdeck::chaos::GateConfig::default(),
        )
    };
    let st = status(&records);
    assert!(!st.decision.may_start, "{}", st.decision.text());
    assert!(
        st.decision.text().contains("incident commander"),
        "{}",
        st.decision.text()
    );
    let commander = decide(flightdeck::actions::Role::Commander, "lee");
    let mut commander = commander;
    commander.seq = 1;
    records.push(commander);
    let st = status(&records);
    assert!(st.decision.may_start, "{}", st.decision.text());
    assert!(st.approvals.iter().any(|a| a.by == "lee"));
}

/// The replayed chaos-halt scenario in the cockpit: in a replay of the demo the bundled
/// experiment's own run starts with the demo, shows RUNNING with its guard (budget spent
/// against the limit, time left, the steady state, the closest boundary) while the budgets say
/// ADAPTIVE, and once the governor moves to FREEZE shows halted, with the breach and its
/// evidence. Seeking back shows it running again.
#[test]
fn the_replayed_chaos_halt_run_shows_running_then_halted_with_its_evidence() {
    let session = common::replay::demo_at(3);
    let mut app = app_at(&session, (100, 30));
    assert!(!app.experiments.scripted.is_empty(), "the scenario's run");
    press(&mut app, &session, KeyCode::Char('x'));
    let s = screen(&app, &session);
    assert!(s.contains("RUNNING (dry run) since 13:55:00"), "{s}");
    assert!(s.contains("of its 6.34% limit"), "{s}");
    assert!(s.contains("closest boundary: time"), "{s}");
    insta::assert_snapshot!(s);
    // H does not pretend to reach the scenario's own run.
    assert!(press(&mut app, &session, KeyCode::Char('H')).is_empty());
    assert!(
        app.status
            .as_ref()
            .is_some_and(|m| m.text.contains("plays as the scenario recorded it"))
    );

    let session = common::replay::demo_at(30);
    let mut app = app_at(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char('x'));
    let mut s = screen(&app, &session);
    assert!(s.contains("halted · blocked"), "{s}");
    assert!(s.contains("last run 13:55:00: halted"), "{s}");
    // The evidence is below the checks: page down to it.
    for _ in 0..3 {
        press(&mut app, &session, KeyCode::PageDown);
        s.push_str(&screen(&app, &session));
    }
    assert!(
        s.contains("halted: the governor tightened from ADAPTIVE to FREEZE"),
        "{s}"
    );
    assert!(s.contains("the budgets said FREEZE"), "{s}");
    assert!(s.contains("boundary reached"), "{s}");
}

/// A run the journal says the governor halted (written by `experiment run --replay demo` into
/// a journal file) shows the same way from the journal's records.
#[test]
fn a_halted_run_in_the_journal_shows_halted_with_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let out = common::cli::flightdeck(&[
        "experiment",
        "run",
        "assets/scenarios/chaos-halt/experiment.yaml",
        "--replay",
        "demo",
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let records = flightdeck::journal_store::read_records(&journal).unwrap();
    let session = common::replay::demo_at(30);
    let mut app = replay_app(&session, (100, 30), 10.0);
    app.experiments = Catalog {
        source: Some("test".into()),
        files: vec![Entry {
            path: BUNDLED.0.into(),
            experiment: Experiment::parse(BUNDLED.0, BUNDLED.1).map_err(Into::into),
        }],
        ..Catalog::default()
    };
    app.experiments.absorb(&records);
    press(&mut app, &session, KeyCode::Char('x'));
    let s = screen(&app, &session);
    assert!(s.contains("halted · blocked"), "{s}");
    assert!(s.contains("last run 13:55:00: halted"), "{s}");
}

/// `r` with the gate closed (the demo in FREEZE) asks nothing and starts nothing: it says which
/// checks fail.
#[test]
fn r_with_the_gate_closed_is_refused_with_the_reason() {
    let session = common::replay::demo_at(20);
    let mut app = app_at(&session, (100, 30));
    press(&mut app, &session, KeyCode::Char('x'));
    assert!(press(&mut app, &session, KeyCode::Char('r')).is_empty());
    let said = app
        .status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("the gate is closed, not started"), "{said}");
    assert!(said.contains("FREEZE"), "{said}");
    let s = screen(&app, &session);
    assert!(!s.contains("y/Enter: start"), "{s}");
    assert!(s.contains("! the gate is closed"), "the view says it: {s}");
    // `y` now is not a confirmation of anything.
    assert!(press(&mut app, &session, KeyCode::Char('y')).is_empty());
}

/// In a replay `r` (then `y`) starts the run `experiment run --replay` would, from the replay's
/// time now, dry-run on its clock (nothing real executes) and part of the replay: its records
/// are journaled in the replay's journal as the clock reaches each. The view shows it running
/// with its guard as the clock moves; `H` (then `y`) halts it: the halt record, then at the
/// guard's next watch the abort with "halted by <person>" as its evidence, the rollbacks
/// dry-run and the end, all in the replay's journal, which verifies. `n` cancels and starts
/// nothing.
#[test]
fn r_in_a_replay_starts_a_dry_run_on_its_clock_100x30() {
    let loaded = common::replay::demo();
    let mut session = common::replay::demo_at(1);
    let mut app = app_at(&session, (100, 30));
    // Without the scenario's own run (which runs from the demo's start).
    app.experiments.scripted.clear();
    press(&mut app, &session, KeyCode::Char('x'));
    assert!(press(&mut app, &session, KeyCode::Char('r')).is_empty());
    assert!(screen(&app, &session).contains("start a dry run on the replay's clock"));
    assert!(press(&mut app, &session, KeyCode::Char('n')).is_empty());
    assert!(press(&mut app, &session, KeyCode::Char('r')).is_empty());
    let commands = press(&mut app, &session, KeyCode::Char('y'));
    let [
        Command::StartExperiment {
            experiment, path, ..
        },
    ] = commands.as_slice()
    else {
        panic!("{commands:?}")
    };
    assert_eq!(path, BUNDLED.0);
    // What the replay's runtime does with it (`runtime::ReplayRun`).
    let mut runs = ReplayRuns::default();
    let before = session.records().len();
    let started = runs
        .start(
            &mut session,
            &loaded.scenario,
            &loaded.knowledge,
            experiment,
        )
        .unwrap();
    let run = started.run.clone().expect("its gate is open");
    assert!(started.notice.contains("H halts it"), "{}", started.notice);
    // What is due now (the start, the method's first action) is in the replay's journal at
    // once; the rest waits for the clock.
    let journaled = &session.records()[before..];
    let phases: Vec<_> = journaled.iter().map(|r| &r.body["phase"]).collect();
    assert_eq!(phases, ["start", "step"], "{journaled:?}");
    assert!(journaled.iter().all(|r| r.ts == session.position()));
    assert!(journaled.iter().all(|r| r.body["dry_run"] == true));
    assert!(session.scheduled(&run).count() > 0);

    session.advance_to(loaded.scenario.start + SignedDuration::from_mins(4));
    let s = seen(&mut app, &session);
    assert!(s.contains("RUNNING (dry run) since 13:56:00"), "{s}");
    assert!(s.contains("closest boundary"), "{s}");
    assert!(s.contains("H halts it (asks first)"), "{s}");
    insta::assert_snapshot!(s);

    // H, then y: the halt is journaled in the replay, and the run stops at its next watch.
    assert!(press(&mut app, &session, KeyCode::Char('H')).is_empty());
    let commands = press(&mut app, &session, KeyCode::Char('y'));
    let [Command::Decide(decision)] = commands.as_slice() else {
        panic!("{commands:?}")
    };
    assert!(session.command(decision.clone()).is_empty());
    let notices = runs
        .halts(&mut session, &loaded.scenario, &loaded.knowledge)
        .unwrap();
    let halted_at = session.position();
    assert!(
        notices.len() == 1 && notices[0].contains("halted by"),
        "{notices:?}"
    );
    session.advance_to(halted_at + SignedDuration::from_secs(30));
    let mine: Vec<_> = session
        .records()
        .iter()
        .filter(|r| r.body["run"] == run.as_str())
        .collect();
    let phases: Vec<&str> = mine
        .iter()
        .map(|r| r.body["phase"].as_str().unwrap())
        .collect();
    let halt = phases
        .iter()
        .position(|p| *p == "halt")
        .expect("{phases:?}");
    assert_eq!(
        &phases[halt..],
        ["halt", "abort", "step", "end"],
        "the halt, then the abort, the rollback and the end: {phases:?}"
    );
    let abort = mine[halt + 1];
    assert!(abort.ts > halted_at && abort.ts <= halted_at + SignedDuration::from_secs(10));
    assert_eq!(abort.body["breach"]["kind"], "stopped");
    let why = abort.body["evidence"]["breach"]["why"].as_str().unwrap();
    assert!(why.starts_with("halted by "), "{why}");
    assert_eq!(mine[halt + 2].body["section"], "rollback");
    assert_eq!(mine[halt + 2].body["exec"]["dry_run"], true);
    assert_eq!(mine[halt + 3].body["halted"], true);
    // Nothing of the computed run is left to play.
    assert_eq!(session.scheduled(&run).count(), 0);
    flightdeck::journal::verify(session.records()).unwrap();
    let s = seen(&mut app, &session);
    assert!(s.contains("last run 13:56:00: halted"), "{s}");

    // The replay's journal on disk: `journal show`, `timeline`, `export` and `experiment
    // report` show the run and its halt.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("replay.jsonl");
    let mut file =
        flightdeck::journal_store::JournalFile::create_new(&path, &session.records()[0]).unwrap();
    file.append_sealed(&session.records()[1..]).unwrap();
    let j = path.to_str().unwrap();
    let out = common::cli::flightdeck(&["experiment", "report", "--journal", j]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 run(s): 0 completed, 1 halted"), "{text}");
    assert!(text.contains("halted: stopped: halted by"), "{text}");
    assert!(text.contains("1 method, 1 rollback"), "{text}");
    for args in [
        &["journal", "show", "--journal", j][..],
        &["journal", "timeline", "--journal", j][..],
    ] {
        let out = common::cli::flightdeck(args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(
            text.contains("asked to halt experiment"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("halted by the guard: stopped: halted by"),
            "{args:?}: {text}"
        );
    }
    let out = common::cli::flightdeck(&["journal", "export", "--journal", j]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("\"stopped\""), "{text}");
}

/// A seek back takes the replay another course: a run started after the point it went back to
/// is gone from its journal, and nothing of it plays when the clock passes there again.
#[test]
fn a_seek_back_forgets_a_run_started_after_it() {
    let loaded = common::replay::demo();
    let mut session = common::replay::demo_at(1);
    let e = Experiment::parse(BUNDLED.0, BUNDLED.1).unwrap();
    let mut runs = ReplayRuns::default();
    let run = runs
        .start(&mut session, &loaded.scenario, &loaded.knowledge, &e)
        .unwrap()
        .run
        .unwrap();
    session.advance_to(loaded.scenario.start + SignedDuration::from_mins(3));
    assert!(
        session
            .records()
            .iter()
            .any(|r| r.body["run"] == run.as_str())
    );
    session.seek(loaded.scenario.start);
    runs.seeked(&session);
    session.advance_to(loaded.scenario.end());
    assert!(
        !session
            .records()
            .iter()
            .any(|r| r.body["run"] == run.as_str()),
        "the run's records are gone with the course it was part of"
    );
    assert!(
        runs.halts(&mut session, &loaded.scenario, &loaded.knowledge)
            .unwrap()
            .is_empty()
    );
}

/// `H` and its `y` ask the journal one question and give one answer: a run that ended between
/// them halts nothing at `y`, said exactly as `H` says it once the run has ended.
#[test]
fn h_and_its_y_give_one_answer_about_the_run() {
    let loaded = common::replay::demo();
    let mut session = common::replay::demo_at(1);
    let e = Experiment::parse(BUNDLED.0, BUNDLED.1).unwrap();
    let mut runs = ReplayRuns::default();
    let run = runs
        .start(&mut session, &loaded.scenario, &loaded.knowledge, &e)
        .unwrap()
        .run
        .unwrap();
    session.advance_to(loaded.scenario.start + SignedDuration::from_mins(4));
    let status = |app: &App| app.status.as_ref().map(|m| m.text.clone());
    let mut asked = app_at(&session, (100, 30));
    asked.experiments.scripted.clear();
    press(&mut asked, &session, KeyCode::Char('x'));
    assert!(seen(&mut asked, &session).contains("RUNNING (dry run)"));
    assert!(press(&mut asked, &session, KeyCode::Char('H')).is_empty());
    assert!(
        matches!(&asked.overlay, Overlay::Experiments(v) if v.pending == Some(Pending::Halt)),
        "the halt waits for y"
    );

    // Someone else halts it meanwhile, and it ends.
    let halt = UserCommand::HaltExperiment {
        run: run.clone(),
        title: e.title.clone(),
    };
    assert!(session.command(halt).is_empty());
    runs.halts(&mut session, &loaded.scenario, &loaded.knowledge)
        .unwrap();
    session.advance_to(session.position() + SignedDuration::from_secs(30));

    // H now, on a fresh view of the same journal.
    let mut fresh = app_at(&session, (100, 30));
    fresh.experiments.scripted.clear();
    flightdeck::tui::refresh(&mut fresh, session.cockpit());
    press(&mut fresh, &session, KeyCode::Char('x'));
    assert!(press(&mut fresh, &session, KeyCode::Char('H')).is_empty());
    let at_h = status(&fresh).expect("H says why nothing is halted");
    assert!(at_h.contains("nothing to halt"), "{at_h}");

    // y to the H asked while it ran.
    flightdeck::tui::refresh(&mut asked, session.cockpit());
    assert!(press(&mut asked, &session, KeyCode::Char('y')).is_empty());
    assert_eq!(status(&asked).as_deref(), Some(at_h.as_str()));
}
