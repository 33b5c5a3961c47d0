//! Copy and open (issue 20.5) on the bundled demo: which step `y`/`Y` copy and in what form,
//! which URL `o`, `p` and `A` open, and what is said when there is nothing to copy or open.
//! The terminal side (OSC 52 reaching tmux's buffer, the opener's argv) is `e2e_share`.

use crate::common;
use common::replay::demo_at;
use common::tui::{press, replay_app};
use crossterm::event::KeyCode;
use flightdeck::tui::{self, Command, Overlay};

fn status(app: &tui::App) -> String {
    app.status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn y_copies_the_selected_step_s_command_line_and_capital_y_its_argv() {
    let session = demo_at(40);
    let view = session.cockpit();
    let mut app = replay_app(&session, (100, 30), 60.0);
    // Not from the clusters: a step must be chosen.
    assert!(press(&mut app, &session, KeyCode::Char('y')).is_empty());
    assert!(status(&app).contains("approvals pane"), "{}", status(&app));

    press(&mut app, &session, KeyCode::Char('4'));
    press(&mut app, &session, KeyCode::Char('j'));
    let id = tui::panes::approvals::target(&app, view).unwrap();
    let argv = view.suggestion(id).unwrap().argv.clone().unwrap();
    let commands = press(&mut app, &session, KeyCode::Char('y'));
    assert_eq!(
        commands,
        vec![Command::Copy {
            text: flightdeck::actions::shell_display(&argv),
            what: format!("{id}'s command line"),
        }]
    );
    let commands = press(&mut app, &session, KeyCode::Char('Y'));
    assert_eq!(
        commands,
        vec![Command::Copy {
            text: argv.join("\n"),
            what: format!("{id}'s argv (one element a line)"),
        }]
    );
    // From the step view too.
    press(&mut app, &session, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::Read { .. }));
    let commands = press(&mut app, &session, KeyCode::Char('y'));
    assert!(
        matches!(&commands[..], [Command::Copy { what, .. }] if what.starts_with(&id.to_string())),
        "{commands:?}"
    );
    assert!(
        matches!(app.overlay, Overlay::Read { .. }),
        "the view stays open"
    );
}

#[test]
fn o_opens_the_alert_s_runbook_url_and_the_runbook_s_from_the_knowledge_pane() {
    let session = demo_at(40);
    let mut app = replay_app(&session, (100, 30), 60.0);
    // The detail pane's selected alert.
    press(&mut app, &session, KeyCode::Char('2'));
    let commands = press(&mut app, &session, KeyCode::Char('o'));
    let [Command::Open { url, what }] = &commands[..] else {
        panic!("{commands:?} {}", status(&app));
    };
    assert!(
        url.starts_with("https://runbooks.internal.example/") && url.ends_with(".md"),
        "{url}"
    );
    assert!(what.ends_with("'s runbook_url"), "{what}");
    // The knowledge pane: the selected runbook's own link.
    press(&mut app, &session, KeyCode::Char('3'));
    let doc = tui::panes::knowledge::selected(&app, session.cockpit()).unwrap();
    let (path, _) = session.cockpit().knowledge().doc_path_title(doc);
    let stem = std::path::Path::new(path)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let commands = press(&mut app, &session, KeyCode::Char('o'));
    assert_eq!(
        commands,
        vec![Command::Open {
            url: format!("https://runbooks.internal.example/{stem}.md"),
            what: format!(
                "the runbook_url of {:?}",
                session.cockpit().knowledge().doc_path_title(doc).1
            ),
        }]
    );
}

#[test]
fn without_a_url_or_an_alertmanager_nothing_opens_and_it_says_why() {
    let session = demo_at(40);
    let mut app = replay_app(&session, (100, 30), 60.0);
    press(&mut app, &session, KeyCode::Char('2'));
    // The demo's alerts carry no generatorURL.
    assert!(press(&mut app, &session, KeyCode::Char('p')).is_empty());
    assert!(
        status(&app).contains("has no Prometheus graph"),
        "{}",
        status(&app)
    );
    // A replay has no Alertmanager to show.
    assert!(press(&mut app, &session, KeyCode::Char('A')).is_empty());
    assert!(
        status(&app).contains("[alertmanager] url"),
        "{}",
        status(&app)
    );
    // Live, with one: its page of the alert's name.
    app.alertmanager = Some("http://127.0.0.1:9093".into());
    let commands = press(&mut app, &session, KeyCode::Char('A'));
    let [Command::Open { url, .. }] = &commands[..] else {
        panic!("{commands:?}");
    };
    let fp = tui::panes::detail::selected(&app, session.cockpit()).unwrap();
    let name = session
        .cockpit()
        .alert(fp)
        .unwrap()
        .alert
        .name()
        .to_string();
    assert_eq!(
        *url,
        flightdeck::tui::share::alertmanager_page("http://127.0.0.1:9093", &name)
    );
}
