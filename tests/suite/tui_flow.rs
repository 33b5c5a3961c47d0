//! The approval flow driven like a person would: scripted keys through `handle_key` and
//! `update` on the bundled demo, the commands they produce applied to the replay session, and
//! the screen (TestBackend) checked for what the person must see before deciding.

use crate::common;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::actions::{StepOrigin, Verdict};
use flightdeck::cockpit::{CockpitConfig, SuggestionStatus, UserCommand};
use flightdeck::journal::RecordKind;
use flightdeck::load;
use flightdeck::replay::ReplaySession;
use flightdeck::time::SignedDuration;
use flightdeck::tui::{self, App, Command, Draft, NoteKind, Overlay, Page, Pane};

use common::tui::{press, screen};

fn demo_at(minutes: i64, config: CockpitConfig) -> ReplaySession {
    common::replay::session_with(common::replay::demo(), minutes, config)
}

/// The app at 120×40 on a paused replay.
fn app(session: &ReplaySession) -> App {
    let mut app = common::tui::replay_app(session, (120, 40), 60.0);
    if let Some(replay) = app.replay.as_mut() {
        replay.paused = true;
    }
    app
}

fn typed(app: &mut App, session: &ReplaySession, text: &str) {
    for c in text.chars() {
        assert_eq!(
            press(app, session, KeyCode::Char(c)),
            vec![],
            "typing {c:?}"
        );
    }
}

fn ctrl(app: &mut App, session: &ReplaySession, c: char) -> Vec<Command> {
    tui::handle_key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
        .map(|action| tui::update(app, action, session.cockpit()))
        .unwrap_or_default()
}

/// Applies what the UI decided, as the runtime does, and reports the notices like it does.
fn run(app: &mut App, session: &mut ReplaySession, commands: Vec<Command>) {
    for command in commands {
        if let Command::Decide(cmd) = command {
            for notice in session.command(cmd) {
                app.warn(notice);
            }
        }
    }
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// The step view opened from deep in the queue (readonly, 100×30) names the selected step and
/// shows its exact argv one element a line and its policy; `G` keeps it on screen.
/// `SHOW_SCREENS=1 cargo test --test suite tui_flow::step_view -- --nocapture` prints the screens.
#[test]
fn step_view_from_deep_in_the_queue_shows_the_argv_and_policy() {
    let session = demo_at(
        12,
        CockpitConfig {
            readonly: true,
            ..CockpitConfig::default()
        },
    );
    let mut app = App {
        size: (100, 30),
        ..app(&session)
    };
    press(&mut app, &session, KeyCode::Char('4'));
    for _ in 0..10 {
        press(&mut app, &session, KeyCode::Char('j'));
    }
    press(&mut app, &session, KeyCode::Enter);
    for text in [screen(&app, &session), {
        press(&mut app, &session, KeyCode::Char('G'));
        screen(&app, &session)
    }] {
        let queue = session.cockpit().approval_queue();
        let shown = queue
            .iter()
            .find(|s| text.contains(&format!("{} · {}", s.id, s.step_ref)))
            .unwrap_or_else(|| panic!("the step view names a queued step:\n{text}"));
        let argv = shown.argv.as_ref().expect("a step with a target");
        for (i, a) in argv.iter().enumerate() {
            // Each element starts its own line; a long one wraps onto the next.
            let start: String = format!("{i} {a:?}").chars().take(60).collect();
            assert!(text.contains(&start), "argv[{i}] on its own line:\n{text}");
        }
        assert!(text.contains("policy"), "{text}");
    }
}

/// The first step of the approvals queue at +12m: a pre-audited diagnostic of the pool runbook.
fn first_step(session: &ReplaySession) -> flightdeck::cockpit::SuggestionId {
    let queue = session.cockpit().approval_queue();
    let s = queue.first().expect("steps wait for approval at +12m");
    assert_eq!(s.step.kind, flightdeck::actions::StepKind::Diagnostic);
    assert!(s.step.is_pre_audited());
    s.id
}

#[test]
fn approving_shows_the_argv_first_and_a_diagnostic_then_dry_runs() {
    let mut session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    let id = first_step(&session);
    press(&mut app, &session, KeyCode::Char('4'));
    assert!(
        press(&mut app, &session, KeyCode::Char('a')).is_empty(),
        "nothing is sent yet"
    );
    assert!(matches!(app.overlay, Overlay::Confirm { .. }));
    let s = screen(&app, &session);
    for needle in [
        &format!("Approve {id}?"),
        "\"kubectl\"",
        "\"deploy/pgbouncer\"",
        "\"SHOW POOLS;\"",
        "NEEDS approval by the on-call engineer",
        "ALLOWED: it runs at once, as a dry run",
        "y/Enter approve",
        "Esc cancel",
    ] {
        assert!(s.contains(needle), "confirmation lacks {needle:?}\n{s}");
    }

    let commands = press(&mut app, &session, KeyCode::Char('y'));
    assert_eq!(commands, vec![Command::Decide(UserCommand::Approve(id))]);
    assert_eq!(app.overlay, Overlay::None);
    let before = session.records().len();
    run(&mut app, &mut session, commands);

    let kinds: Vec<RecordKind> = session.records()[before..].iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RecordKind::Approval, RecordKind::Execution]);
    let execution = session.records().last().unwrap();
    assert_eq!(execution.body["exec"]["dry_run"], true);
    assert_eq!(execution.actor, "you");
    assert!(matches!(
        session.cockpit().suggestion(id).unwrap().status,
        SuggestionStatus::Executed {
            dry_run: true,
            ok: true,
            ..
        }
    ));
    let s = screen(&app, &session);
    assert!(
        s.contains("approve") && s.contains("dry-ran"),
        "journal pane shows both\n{s}"
    );
}

#[test]
fn esc_and_n_cancel_a_confirmation_and_nothing_is_sent() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('4'));
    for cancel in [KeyCode::Esc, KeyCode::Char('n')] {
        press(&mut app, &session, KeyCode::Char('a'));
        // Keys that mean something elsewhere do nothing inside the confirmation.
        assert!(press(&mut app, &session, KeyCode::Char('q')).is_empty());
        assert!(press(&mut app, &session, KeyCode::Char('a')).is_empty());
        assert!(press(&mut app, &session, cancel).is_empty());
        assert_eq!(app.overlay, Overlay::None);
        assert!(status(&app).contains("nothing was sent"));
    }
}

#[test]
fn the_step_view_shows_everything_and_decides_from_there() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    let id = first_step(&session);
    press(&mut app, &session, KeyCode::Char('4'));
    press(&mut app, &session, KeyCode::Enter);
    assert_eq!(
        app.overlay,
        Overlay::Read {
            page: Page::Step(id),
            scroll: 0
        }
    );
    let s = screen(&app, &session);
    for needle in [
        "postgres-connection-pool/show-pools",
        "diagnostic",
        "pre-audited by maria on 2026-01-15",
        "structured runbook step",
        "20 elements",
        r#"0 "kubectl""#,
        "NEEDS approval",
        "approvals none yet",
    ] {
        assert!(s.contains(needle), "step view lacks {needle:?}\n{s}");
    }
    // The verdict and the command line come first; the argv's tail is further down.
    press(&mut app, &session, KeyCode::Char('G'));
    let end = screen(&app, &session);
    assert!(end.contains(r#"19 "SHOW POOLS;""#), "{end}");
    // `a` from the step view asks about the step on view.
    press(&mut app, &session, KeyCode::Char('a'));
    assert!(matches!(
        app.overlay,
        Overlay::Confirm {
            what: tui::Confirm::Approve(x),
            ..
        } if x == id
    ));
}

#[test]
fn rejecting_needs_a_written_reason() {
    let mut session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    let id = first_step(&session);
    press(&mut app, &session, KeyCode::Char('4'));
    press(&mut app, &session, KeyCode::Char('r'));
    assert!(matches!(
        app.overlay,
        Overlay::Write {
            draft: Draft::Reject(x),
            ..
        } if x == id
    ));
    assert!(screen(&app, &session).contains(&format!("Reject {id}")));

    assert!(
        press(&mut app, &session, KeyCode::Enter).is_empty(),
        "an empty reason is refused"
    );
    assert!(status(&app).contains("needs a reason"), "{}", status(&app));
    assert!(
        matches!(app.overlay, Overlay::Write { .. }),
        "the editor stays open"
    );
    assert!(ctrl(&mut app, &session, 's').is_empty());

    // Printable keys, keymap keys included (q quits, a approves elsewhere), go into the text.
    typed(&mut app, &session, "pool is fine; a query");
    let commands = press(&mut app, &session, KeyCode::Enter);
    assert_eq!(
        commands,
        vec![Command::Decide(UserCommand::Reject {
            id,
            reason: "pool is fine; a query".into()
        })]
    );
    run(&mut app, &mut session, commands);
    let last = session.records().last().unwrap();
    assert_eq!(last.kind, RecordKind::Rejection);
    assert_eq!(last.body["reason"], "pool is fine; a query");
    assert!(matches!(
        &session.cockpit().suggestion(id).unwrap().status,
        SuggestionStatus::Rejected { reason, .. } if reason == "pool is fine; a query"
    ));
}

#[test]
fn editing_the_argv_makes_a_novel_step() {
    let mut session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    let id = first_step(&session);
    press(&mut app, &session, KeyCode::Char('4'));
    press(&mut app, &session, KeyCode::Char('e'));
    let s = screen(&app, &session);
    assert!(s.contains(&format!("Edit {id}'s argv")), "{s}");
    assert!(
        s.contains("NOVEL"),
        "the dialog says the result is novel\n{s}"
    );
    assert!(
        s.contains("approval by the incident commander"),
        "and what the policy will require\n{s}"
    );

    assert!(ctrl(&mut app, &session, 's').is_empty());
    assert!(status(&app).contains("unchanged"), "{}", status(&app));

    // The cursor starts after the last element: replace "SHOW POOLS;" by "SHOW CLIENTS;".
    for _ in "POOLS;".chars() {
        press(&mut app, &session, KeyCode::Backspace);
    }
    typed(&mut app, &session, "CLIENTS;");
    // Enter adds an element (one per line); a trailing empty line is dropped.
    press(&mut app, &session, KeyCode::Enter);
    let commands = ctrl(&mut app, &session, 's');
    let Some(Command::Decide(UserCommand::Edit { id: edited, argv })) = commands.first() else {
        panic!("no edit command: {commands:?}");
    };
    assert_eq!(*edited, id);
    assert_eq!(argv.len(), 20);
    assert_eq!(argv.last().unwrap(), "SHOW CLIENTS;");
    assert!(status(&app).contains("novel"), "{}", status(&app));

    let before = session.cockpit().suggestions().len();
    run(&mut app, &mut session, commands);
    assert_eq!(session.records().last().unwrap().kind, RecordKind::Edit);
    let new = &session.cockpit().suggestions()[before];
    assert_eq!(new.step.origin, StepOrigin::Edited);
    assert!(new.step.is_novel() && !new.step.is_pre_audited());
    assert_eq!(new.argv.as_ref().unwrap().last().unwrap(), "SHOW CLIENTS;");
    assert_eq!(
        new.verdict,
        Verdict::NeedsApproval {
            missing: "approval by the incident commander".into()
        }
    );
}

#[test]
fn a_read_only_cockpit_refuses_decisions_and_says_so() {
    let config = CockpitConfig {
        readonly: true,
        ..CockpitConfig::default()
    };
    let session = demo_at(12, config);
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('4'));
    for k in ['a', 'r', 'e', 'm', 's'] {
        assert!(press(&mut app, &session, KeyCode::Char(k)).is_empty());
        assert_eq!(app.overlay, Overlay::None, "{k} opened something");
        assert!(
            status(&app).contains("read-only cockpit"),
            "{k}: {}",
            status(&app)
        );
    }
    let s = screen(&app, &session);
    assert!(s.contains("READ-ONLY"), "{s}");
    assert!(s.contains("you/oncall"), "{s}");
    // Reading still works.
    press(&mut app, &session, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::Read { .. }));
}

#[test]
fn notes_and_hypotheses_go_to_the_journal() {
    let mut session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('n'));
    assert!(matches!(
        app.overlay,
        Overlay::Write {
            draft: Draft::Note(NoteKind::Note, Some(_)),
            ..
        }
    ));
    assert!(
        press(&mut app, &session, KeyCode::Enter).is_empty(),
        "empty note"
    );
    typed(
        &mut app,
        &session,
        "checkout deploy at 14:03 raised the pool size",
    );
    press(&mut app, &session, KeyCode::Tab);
    assert!(screen(&app, &session).contains("● hypothesis"));
    // The editor says which incident the hypothesis is about: the focused cluster.
    assert!(
        screen(&app, &session).contains("about"),
        "{}",
        screen(&app, &session)
    );
    let commands = press(&mut app, &session, KeyCode::Enter);
    let [
        Command::Decide(UserCommand::Note {
            text,
            kind: flightdeck::cockpit::NoteKind::Hypothesis,
            about: Some(about),
        }),
    ] = commands.as_slice()
    else {
        panic!("{commands:?}");
    };
    assert_eq!(text, "checkout deploy at 14:03 raised the pool size");
    let about = session.cockpit().cluster_name(*about);
    run(&mut app, &mut session, commands);
    let record = session.records().last().unwrap();
    assert_eq!(record.kind, RecordKind::Hypothesis);
    // The record names the incident in terms another cockpit can resolve: alert names and a
    // member fingerprint, besides the cluster's name (the same in every cockpit).
    assert_eq!(record.body["cluster"], about);
    assert!(record.summary.starts_with(&format!("{about}: ")));
    assert!(
        !record.body["alertnames"].as_array().unwrap().is_empty(),
        "{}",
        record.body
    );
    assert!(record.body["source"].is_string());
}

#[test]
fn drift_acknowledgement_is_for_the_commander() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    assert!(press(&mut app, &session, KeyCode::Char('D')).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    assert!(status(&app).contains("commander"), "{}", status(&app));
}

#[test]
fn the_palette_runs_a_pane_action_in_its_pane() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    assert_eq!(app.focus, Pane::Clusters);
    press(&mut app, &session, KeyCode::Char(':'));
    typed(&mut app, &session, "approve the selected");
    press(&mut app, &session, KeyCode::Enter);
    assert_eq!(app.focus, Pane::Approvals);
    assert!(matches!(app.overlay, Overlay::Confirm { .. }));
}

#[test]
fn the_reader_renders_the_runbook_and_scrolls() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('3'));
    press(&mut app, &session, KeyCode::Enter);
    let Overlay::Read {
        page: Page::Document(doc),
        ..
    } = app.overlay
    else {
        panic!("no reader: {:?}", app.overlay);
    };
    let s = screen(&app, &session);
    let focused = tui::panes::clusters::focused(&app, session.cockpit()).unwrap();
    let matched = format!("matched {}", focused.name);
    // The match's score, level and calibrated value, in the form the knowledge pane shows.
    let m = session
        .cockpit()
        .matches(focused.id)
        .iter()
        .find(|m| m.doc == doc)
        .unwrap();
    let confidence = format!(
        "{:.2} {} {:.2} confidence",
        m.score,
        m.confidence.name(),
        m.calibrated
    );
    for needle in [
        "runbooks/postgres-connection-pool.md",
        "last reviewed 2026-01-15",
        &matched,
        &confidence,
        "Meaning",
        "• PgBouncerClientsWaiting",
        "lines 1–",
    ] {
        assert!(s.contains(needle), "reader lacks {needle:?}\n{s}");
    }
    assert!(
        !s.contains("## "),
        "headings are styled, not shown as Markdown\n{s}"
    );
    press(&mut app, &session, KeyCode::Char('G'));
    let s = screen(&app, &session);
    assert!(!s.contains("Meaning"), "G scrolls to the end\n{s}");
    assert!(s.contains("│ "), "code blocks sit behind a gutter\n{s}");
    press(&mut app, &session, KeyCode::Char('g'));
    assert!(matches!(app.overlay, Overlay::Read { scroll: 0, .. }));
    press(&mut app, &session, KeyCode::PageDown);
    assert!(matches!(app.overlay, Overlay::Read { scroll, .. } if scroll > 0));
    press(&mut app, &session, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn journal_records_and_alerts_open_in_full() {
    let mut session = demo_at(12, CockpitConfig::default());
    let mut app = App {
        size: (120, 100),
        ..app(&session)
    };
    let id = first_step(&session);
    run(
        &mut app,
        &mut session,
        vec![Command::Decide(UserCommand::Approve(id))],
    );
    press(&mut app, &session, KeyCode::Char('5'));
    press(&mut app, &session, KeyCode::Enter);
    let s = screen(&app, &session);
    let last = session.records().last().unwrap();
    for needle in [
        format!("Journal record #{}", last.seq),
        "\"dry_run\": true".to_string(),
        format!("hash      {}", last.hash),
        format!("prev      {}", last.prev),
    ] {
        assert!(s.contains(&needle), "record view lacks {needle:?}\n{s}");
    }
    press(&mut app, &session, KeyCode::Esc);

    press(&mut app, &session, KeyCode::Char('2'));
    press(&mut app, &session, KeyCode::Enter);
    let s = screen(&app, &session);
    for needle in [
        "labels (",
        "annotations (",
        "cluster=\"prod-eu-1\"",
        "summary: \"",
    ] {
        assert!(s.contains(needle), "alert view lacks {needle:?}\n{s}");
    }
}

#[test]
fn member_rows_show_the_labels_that_tell_members_apart() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('2'));
    let s = screen(&app, &session);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("FIRING")).collect();
    assert!(!rows.is_empty(), "{s}");
    for row in &rows {
        assert!(
            !row.contains("cluster=prod-eu-1"),
            "common label repeated: {row}"
        );
    }
    assert!(rows.iter().any(|r| r.contains("pod=")), "{s}");
}

#[test]
fn help_lists_the_decision_keys() {
    let session = demo_at(12, CockpitConfig::default());
    let mut app = App {
        size: (120, 200),
        ..app(&session)
    };
    press(&mut app, &session, KeyCode::Char('?'));
    let s = screen(&app, &session);
    for needle in [
        "In 4 Approvals",
        "approve the selected step",
        "reject the selected step",
        "edit the step's argv",
        "write a note or hypothesis",
        "In a text editor",
        "In a confirmation",
    ] {
        assert!(s.contains(needle), "help lacks {needle:?}\n{s}");
    }
}

#[test]
fn every_overlay_renders_at_every_size() {
    let session = demo_at(12, CockpitConfig::default());
    let scripts: &[&[KeyCode]] = &[
        &[KeyCode::Char('4'), KeyCode::Enter],
        &[KeyCode::Char('4'), KeyCode::Char('a')],
        &[KeyCode::Char('4'), KeyCode::Char('r')],
        &[KeyCode::Char('4'), KeyCode::Char('e')],
        &[KeyCode::Char('n')],
        &[KeyCode::Char('3'), KeyCode::Enter, KeyCode::Char('G')],
        &[KeyCode::Char('5'), KeyCode::Enter],
        &[KeyCode::Char('2'), KeyCode::Enter],
    ];
    for script in scripts {
        for (w, h) in [(60, 16), (80, 24), (100, 30), (131, 41), (220, 70), (20, 5)] {
            let mut app = App {
                size: (w, h),
                ..app(&session)
            };
            for code in *script {
                press(&mut app, &session, *code);
            }
            assert_ne!(app.overlay, Overlay::None, "{script:?} opened nothing");
            screen(&app, &session);
        }
    }
}

#[test]
fn the_budget_chart_shows_every_slo_with_its_value() {
    let loaded = flightdeck::load::demo().unwrap();
    let mut session = flightdeck::replay::ReplaySession::new(
        loaded.scenario,
        loaded.knowledge,
        flightdeck::cockpit::CockpitConfig::default(),
    );
    let to = session.scenario().start + flightdeck::time::SignedDuration::from_mins(40);
    session.advance_to(to);
    let mut app = flightdeck::tui::App {
        size: (120, 40),
        ..flightdeck::tui::App::default()
    };
    let key = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('b'),
        crossterm::event::KeyModifiers::NONE,
    );
    let action = flightdeck::tui::handle_key(&app, key).expect("b is bound");
    flightdeck::tui::update(&mut app, action, session.cockpit());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| flightdeck::tui::render(&app, session.cockpit(), f))
        .unwrap();
    let s = format!("{}", terminal.backend());
    assert!(s.contains("Error budget left over the SLO window"), "{s}");
    assert!(
        s.contains("checkout-latency") && s.contains("EXHAUSTED"),
        "{s}"
    );
    assert!(s.contains("payments-availability"), "{s}");
    assert!(s.contains("% left"), "{s}");
}

/// The focused cluster's silence: `s` opens a form from its common labels; a comment and Ctrl-S
/// propose it; the proposal waits in the approvals queue and is approved like any step; replay
/// dry-runs it.
#[test]
fn a_silence_is_proposed_then_approved_like_a_step() {
    let mut session = demo_at(8, CockpitConfig::default());
    let mut app = app(&session);
    assert!(press(&mut app, &session, KeyCode::Char('s')).is_empty());
    let Overlay::Write {
        draft: Draft::Silence(cluster),
        input,
    } = &app.overlay
    else {
        panic!("s opens the silence form: {:?}", app.overlay)
    };
    let cluster = session.cockpit().cluster_name(*cluster);
    assert!(
        input.lines().iter().any(|l| l.starts_with("alertname=")),
        "{:?}",
        input.lines()
    );
    let s = screen(&app, &session);
    for needle in [
        &format!("Silence {cluster}"),
        "--duration=2h",
        "not ready: --comment= is empty",
        "Ctrl-S propose",
    ] {
        assert!(s.contains(needle), "form lacks {needle:?}\n{s}");
    }
    // Without a comment nothing is sent.
    assert!(ctrl(&mut app, &session, 's').is_empty());
    assert!(status(&app).contains("say why"), "{}", status(&app));
    typed(&mut app, &session, "pool exhausted after the deploy");
    let s = screen(&app, &session);
    assert!(s.contains("and nothing else"), "reach is shown\n{s}");
    assert!(s.contains("policy will require"), "{s}");
    let commands = ctrl(&mut app, &session, 's');
    assert!(
        matches!(
            commands.as_slice(),
            [Command::Decide(UserCommand::ProposeSilence { .. })]
        ),
        "{commands:?}"
    );
    let before = session.records().len();
    run(&mut app, &mut session, commands);
    let proposal = &session.records()[before];
    assert_eq!(proposal.kind, RecordKind::Proposal);
    assert!(proposal.summary.contains("pool exhausted after the deploy"));

    let silence = session
        .cockpit()
        .approval_queue()
        .into_iter()
        .find(|s| s.step.origin == StepOrigin::Silence)
        .expect("the silence waits in the approvals queue")
        .clone();
    assert!(silence.step.is_pre_audited(), "{:?}", silence.step.audited);
    assert!(matches!(silence.verdict, Verdict::NeedsApproval { .. }));
    assert_eq!(
        silence.argv.as_ref().unwrap()[..3],
        ["amtool", "silence", "add"]
    );

    // Approve it from the approvals pane: the confirmation shows the amtool argv.
    press(&mut app, &session, KeyCode::Char('4'));
    for _ in 0..50 {
        press(&mut app, &session, KeyCode::Enter);
        if app.overlay
            == (Overlay::Read {
                page: Page::Step(silence.id),
                scroll: 0,
            })
        {
            break;
        }
        press(&mut app, &session, KeyCode::Esc);
        press(&mut app, &session, KeyCode::Char('4'));
        press(&mut app, &session, KeyCode::Char('j'));
    }
    assert!(matches!(app.overlay, Overlay::Read { page: Page::Step(id), .. } if id == silence.id));
    press(&mut app, &session, KeyCode::Char('a'));
    let s = screen(&app, &session);
    assert!(s.contains("\"amtool\""), "{s}");
    let commands = press(&mut app, &session, KeyCode::Char('y'));
    assert_eq!(
        commands,
        vec![Command::Decide(UserCommand::Approve(silence.id))]
    );
    let before = session.records().len();
    run(&mut app, &mut session, commands);
    let kinds: Vec<RecordKind> = session.records()[before..].iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RecordKind::Approval, RecordKind::Execution]);
    let execution = session.records().last().unwrap();
    assert!(
        execution.summary.contains("would create the silence"),
        "{}",
        execution.summary
    );
}

/// `R` asks the runtime for the debrief in replay (live, it explains itself); the debrief is a
/// scrollable report that scores the trainee's decisions against the responders'.
#[test]
fn the_debrief_opens_in_the_cockpit() {
    let loaded = load::demo().unwrap();
    let scenario = loaded.scenario.clone();
    let mut session = flightdeck::training::training_session(
        &scenario,
        loaded.knowledge.clone(),
        flightdeck::training::trainee_config("trainee-ada"),
    );
    session.advance_to(scenario.start + SignedDuration::from_mins(20));
    let mut app = app(&session);
    assert_eq!(
        press(&mut app, &session, KeyCode::Char('R')),
        vec![Command::Debrief]
    );
    let id = first_step(&session);
    run(
        &mut app,
        &mut session,
        vec![Command::Decide(UserCommand::Approve(id))],
    );
    flightdeck::runtime::show_debrief(&mut app, &scenario, &loaded.knowledge, &session);
    assert!(matches!(app.overlay, Overlay::Report { .. }));
    // In the middle of the drill: the trainee's own decisions, no spoilers, until Enter.
    let s = screen(&app, &session);
    for needle in [
        "Debrief at",
        "trainee trainee-ada",
        "Your decisions",
        "Enter reveals",
    ] {
        assert!(s.contains(needle), "debrief lacks {needle:?}\n{s}");
    }
    assert!(!s.contains("First useful diagnostic"), "{s}");
    press(&mut app, &session, KeyCode::Enter);
    let s = screen(&app, &session);
    for needle in [
        "Debrief at",
        "trainee trainee-ada",
        "First useful diagnostic",
        "Mitigation",
        "Esc closes",
    ] {
        assert!(s.contains(needle), "debrief lacks {needle:?}\n{s}");
    }
    press(&mut app, &session, KeyCode::Char('G'));
    let s = screen(&app, &session);
    assert!(s.contains("Hypotheses"), "scrolls to the end\n{s}");
    press(&mut app, &session, KeyCode::Esc);
    assert_eq!(app.overlay, Overlay::None);

    let mut live = App::default();
    assert!(press(&mut live, &session, KeyCode::Char('R')).is_empty());
    assert!(
        status(&live).contains("--role trainee"),
        "{}",
        status(&live)
    );
}

/// `N` lists the alerts that are probably noise, one entry per rule, with the evidence.
#[test]
fn stale_alert_candidates_are_listed_with_evidence() {
    let session = demo_at(40, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('N'));
    let s = screen(&app, &session);
    for needle in [
        "Stale alert candidates",
        "NodeFilesystemSpaceFillingUp (node-exporter)",
        "flapping",
        "transitions since",
    ] {
        assert!(s.contains(needle), "report lacks {needle:?}\n{s}");
    }
}

/// `/` in the knowledge pane searches every document (fuzzy titles, ranked content), whatever
/// cluster is focused; Enter reads the chosen one. Elsewhere `/` still filters the clusters.
#[test]
fn knowledge_search_finds_by_fuzzy_title_and_by_content() {
    let session = demo_at(10, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('/'));
    assert!(matches!(app.overlay, Overlay::Filter { .. }));
    press(&mut app, &session, KeyCode::Esc);

    press(&mut app, &session, KeyCode::Char('3'));
    press(&mut app, &session, KeyCode::Char('/'));
    assert!(matches!(app.overlay, Overlay::Search(_)));
    let s = screen(&app, &session);
    assert!(s.contains("Search knowledge · 11 of 11 documents"), "{s}");
    typed(&mut app, &session, "pgbnc");
    let s = screen(&app, &session);
    assert!(
        s.contains("Postgres connection pool exhausted (PgBouncer)"),
        "{s}"
    );
    assert!(s.contains("title ~ 'pgbnc'"), "{s}");
    for _ in 0..5 {
        press(&mut app, &session, KeyCode::Backspace);
    }
    typed(&mut app, &session, "evictions");
    let s = screen(&app, &session);
    assert!(
        s.contains("Redis eviction storm"),
        "found through content\n{s}"
    );
    press(&mut app, &session, KeyCode::Enter);
    let Overlay::Read {
        page: Page::Document(doc),
        ..
    } = app.overlay
    else {
        panic!("Enter reads the document: {:?}", app.overlay)
    };
    let (path, _) = session.cockpit().knowledge().doc_path_title(doc);
    assert!(path.contains("redis-evictions"), "{path}");
    press(&mut app, &session, KeyCode::Esc);
    press(&mut app, &session, KeyCode::Char('K'));
    typed(&mut app, &session, "zzzzqqq");
    assert!(screen(&app, &session).contains("nothing found"));
}

#[test]
fn a_step_the_policy_refuses_is_recorded_as_done_by_hand() {
    // +30m: the fast burn has put the governor in Freeze, where unaudited mitigations are
    // refused ("do it by hand and record it").
    let mut session = demo_at(30, CockpitConfig::default());
    let mut app = app(&session);
    let queue = session.cockpit().approval_queue();
    let (index, id) = queue
        .iter()
        .enumerate()
        .find(|(_, s)| s.verdict.is_refused())
        .map(|(i, s)| (i, s.id))
        .expect("a refused step waits in the queue in Freeze");
    press(&mut app, &session, KeyCode::Char('4'));
    for _ in 0..index {
        press(&mut app, &session, KeyCode::Char('j'));
    }
    press(&mut app, &session, KeyCode::Char('m'));
    assert!(matches!(
        app.overlay,
        Overlay::Write {
            draft: Draft::Manual(x),
            ..
        } if x == id
    ));
    let s = screen(&app, &session);
    assert!(s.contains(&format!("Done by hand: {id}")), "{s}");
    assert!(s.contains("flightdeck runs nothing"), "{s}");
    assert!(
        s.contains("refused"),
        "the box shows the policy's verdict\n{s}"
    );

    assert!(
        press(&mut app, &session, KeyCode::Enter).is_empty(),
        "an empty record is refused"
    );
    assert!(status(&app).contains("what you did"), "{}", status(&app));
    typed(
        &mut app,
        &session,
        "ran it from the bastion; pool recovered",
    );
    let commands = press(&mut app, &session, KeyCode::Enter);
    assert_eq!(
        commands,
        vec![Command::Decide(UserCommand::RecordManual {
            id,
            what: "ran it from the bastion; pool recovered".into()
        })]
    );
    let executions = session
        .records()
        .iter()
        .filter(|r| r.kind == RecordKind::Execution)
        .count();
    run(&mut app, &mut session, commands);
    let last = session.records().last().unwrap();
    assert_eq!(last.kind, RecordKind::Manual);
    assert_eq!(
        last.body["outcome"],
        "ran it from the bastion; pool recovered"
    );
    assert_eq!(
        last.body["policy"]["verdict"], "refused",
        "the record keeps what the policy said"
    );
    assert!(matches!(
        &session.cockpit().suggestion(id).unwrap().status,
        SuggestionStatus::DoneByHand { what, .. } if what == "ran it from the bastion; pool recovered"
    ));
    assert!(
        !session
            .cockpit()
            .approval_queue()
            .iter()
            .any(|s| s.id == id),
        "it leaves the queue"
    );
    assert_eq!(
        session
            .records()
            .iter()
            .filter(|r| r.kind == RecordKind::Execution)
            .count(),
        executions,
        "nothing ran"
    );
    // Recording it twice is refused.
    assert!(
        session
            .command(UserCommand::RecordManual {
                id,
                what: "again".into()
            })
            .iter()
            .any(|n| n.contains("already")),
    );
}

/// The silence form's preview follows the incident while the form is open: alerts that arrive
/// after it opened are counted before anyone proposes the silence.
#[test]
fn the_silence_preview_follows_alerts_that_arrive_while_the_form_is_open() {
    let mut session = demo_at(10, CockpitConfig::default());
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('s'));
    typed(&mut app, &session, "pool exhausted");
    let inside = |app: &App| match &app.silence_preview {
        Some(Ok(p)) => p.inside + p.outside,
        other => panic!("no preview: {other:?}"),
    };
    let before = inside(&app);
    tui::refresh(&mut app, session.cockpit());
    assert_eq!(inside(&app), before, "nothing moved, nothing changes");
    let revision = app.silence_preview_at;

    session.advance_to(session.scenario().start + SignedDuration::from_mins(20));
    assert_ne!(session.cockpit().revision(), revision);
    tui::refresh(&mut app, session.cockpit());
    assert_eq!(app.silence_preview_at, session.cockpit().revision());
    let after = inside(&app);
    assert!(after > before, "the storm grew: {before} → {after}");
    let s = screen(&app, &session);
    assert!(s.contains(&after.to_string()), "{s}");
}

/// `O`: the commander overrides the governor's mode with a written reason; Tab picks the mode.
#[test]
fn the_commander_overrides_the_mode_from_the_keyboard() {
    let oncall = demo_at(30, CockpitConfig::default());
    let mut oncall_app = app(&oncall);
    press(&mut oncall_app, &oncall, KeyCode::Char('O'));
    assert_eq!(oncall_app.overlay, Overlay::None);
    assert!(
        status(&oncall_app).contains("only the incident commander"),
        "{}",
        status(&oncall_app)
    );

    let mut session = demo_at(
        30,
        CockpitConfig {
            role: flightdeck::actions::Role::Commander,
            actor: "lee".into(),
            ..CockpitConfig::default()
        },
    );
    let mut app = app(&session);
    press(&mut app, &session, KeyCode::Char('O'));
    let s = screen(&app, &session);
    assert!(
        s.contains("Override the mode: REDESIGN"),
        "the stricter choice is preselected: loosening takes a deliberate Tab\n{s}"
    );
    assert!(s.contains("budgets"), "{s}");
    press(&mut app, &session, KeyCode::Tab);
    assert!(screen(&app, &session).contains("Override the mode: ADAPTIVE"));
    press(&mut app, &session, KeyCode::Tab);
    assert!(screen(&app, &session).contains("Override the mode: FREEZE"));
    press(&mut app, &session, KeyCode::Tab);
    assert!(screen(&app, &session).contains("Override the mode: REDESIGN"));
    press(&mut app, &session, KeyCode::Tab);
    assert!(
        screen(&app, &session).contains("Override the mode: ADAPTIVE"),
        "no override to end: back round"
    );
    assert!(
        press(&mut app, &session, KeyCode::Enter).is_empty(),
        "a reason is required"
    );
    assert!(status(&app).contains("needs a reason"), "{}", status(&app));
    typed(&mut app, &session, "synthetic probes broke the SLI");
    let commands = press(&mut app, &session, KeyCode::Enter);
    assert_eq!(
        commands,
        vec![Command::Decide(UserCommand::OverrideMode {
            to: Some(flightdeck::slo::Mode::Adaptive),
            reason: "synthetic probes broke the SLI".into(),
            duration: flightdeck::cockpit::DEFAULT_OVERRIDE,
        })]
    );
    run(&mut app, &mut session, commands);
    assert_eq!(session.cockpit().mode(), flightdeck::slo::Mode::Adaptive);
    let s = screen(&app, &session);
    assert!(
        s.contains("OVERRIDE to ADAPTIVE by lee"),
        "the header says so\n{s}"
    );
    // Now the form offers to end it.
    press(&mut app, &session, KeyCode::Char('O'));
    assert!(screen(&app, &session).contains("End the mode override"));
}
