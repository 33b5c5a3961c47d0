//! The one event loop (`runtime::run_in`) on ratatui's TestBackend with scripted terminal
//! events and a scripted session: every message reaches `update` in order (no notice is
//! dropped), a resize reaches the app as a message, commands go to the session, `q` ends it,
//! and a signal ends it the same way.

use std::collections::VecDeque;
use std::io;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use flightdeck::cockpit::Cockpit;
use flightdeck::runtime::{Ended, Session, run_in};
use flightdeck::tui::{App, Command, Msg};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::{Terminal, backend::TestBackend};

use crate::common;

/// A session that delivers batches of notices through `wait`, then (from `settle`, once they
/// are all out) types the keys it was given.
struct Scripted {
    replay: flightdeck::replay::ReplaySession,
    batches: VecDeque<Vec<Msg>>,
    then: Vec<TermEvent>,
    keys: UnboundedSender<io::Result<TermEvent>>,
    commands: Vec<Command>,
    frames: usize,
}

impl Session for Scripted {
    fn cockpit(&self) -> &Cockpit {
        self.replay.cockpit()
    }

    async fn wait(&mut self) -> Vec<Msg> {
        match self.batches.pop_front() {
            Some(batch) => batch,
            None => std::future::pending().await,
        }
    }

    fn frame(&mut self) -> (Vec<Msg>, bool) {
        self.frames += 1;
        (Vec::new(), false)
    }

    fn command(&mut self, command: Command) -> Vec<Msg> {
        self.commands.push(command);
        vec![Msg::warn("live: pause, speed and seek are for replay")]
    }

    fn settle(&mut self) -> Vec<Msg> {
        if self.batches.is_empty() {
            for event in self.then.drain(..) {
                self.keys.unbounded_send(Ok(event)).unwrap();
            }
        }
        Vec::new()
    }
}

fn key(c: char) -> TermEvent {
    TermEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn scripted(
    batches: Vec<Vec<Msg>>,
    then: Vec<TermEvent>,
) -> (
    Scripted,
    impl futures::Stream<Item = io::Result<TermEvent>> + Unpin,
) {
    let (tx, rx) = unbounded();
    let session = Scripted {
        replay: common::replay::demo_at(10),
        batches: batches.into(),
        then,
        keys: tx,
        commands: Vec::new(),
        frames: 0,
    };
    (session, rx)
}

#[tokio::test]
async fn every_notice_reaches_the_log_in_order_and_a_resize_is_a_message() {
    let notices: Vec<String> = (0..7).map(|i| format!("notice {i}")).collect();
    let batches = vec![
        notices[..3].iter().cloned().map(Msg::info).collect(),
        notices[3..].iter().cloned().map(Msg::warn).collect(),
    ];
    let (mut session, keys) = scripted(
        batches,
        vec![TermEvent::Resize(123, 45), key(' '), key('q')],
    );
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut app = App::default();
    let never = std::pin::pin!(std::future::pending::<Ended>());
    let ended = run_in(
        &mut terminal,
        keys,
        never,
        &mut session,
        &mut app,
        vec![Msg::warn("1 warning(s) at start")],
    )
    .await
    .unwrap();
    assert_eq!(ended, Ended::Quit);
    let log: Vec<&str> = app.messages.iter().map(|m| m.text.as_str()).collect();
    let mut expected = vec!["1 warning(s) at start"];
    expected.extend(notices.iter().map(String::as_str));
    expected.push("replay controls work only in replay");
    assert_eq!(log, expected, "every notice, in order, none dropped");
    assert_eq!(app.size, (123, 45), "the resize reached the app");
    // Space live is answered by update itself: nothing reached the session.
    assert!(session.commands.is_empty(), "{:?}", session.commands);
    // What was drawn is the app's last frame.
    let screen = format!("{}", terminal.backend());
    assert!(
        screen.contains("ADAPTIVE") || screen.contains("FREEZE") || screen.contains("REDESIGN"),
        "{screen}"
    );
}

#[tokio::test]
async fn replay_commands_go_to_the_session_and_what_it_says_comes_back() {
    let (mut session, keys) = scripted(Vec::new(), vec![key('+'), key('q')]);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut app = common::tui::replay_app(&session.replay, (100, 30), 10.0);
    let never = std::pin::pin!(std::future::pending::<Ended>());
    let ended = run_in(
        &mut terminal,
        keys,
        never,
        &mut session,
        &mut app,
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(ended, Ended::Quit);
    assert_eq!(session.commands, vec![Command::SetSpeed(30.0)]);
    assert_eq!(
        app.messages.back().map(|m| m.text.as_str()),
        Some("live: pause, speed and seek are for replay")
    );
}

#[tokio::test]
async fn a_signal_ends_the_loop() {
    let (mut session, keys) = scripted(Vec::new(), Vec::new());
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut app = App::default();
    let hangup = std::pin::pin!(async { Ended::HungUp });
    let ended = run_in(
        &mut terminal,
        keys,
        hangup,
        &mut session,
        &mut app,
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(ended, Ended::HungUp);
    assert!(!ended.terminal_left());
}

#[tokio::test]
async fn a_terminal_whose_input_fails_counts_as_gone() {
    let (mut session, _) = scripted(Vec::new(), Vec::new());
    let keys = futures::stream::iter(vec![Err(io::Error::from_raw_os_error(libc::EIO))]);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut app = App::default();
    let never = std::pin::pin!(std::future::pending::<Ended>());
    let ended = run_in(
        &mut terminal,
        keys,
        never,
        &mut session,
        &mut app,
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(ended, Ended::HungUp);
}

/// A click arrives as a terminal event and reaches `update` through the loop, like a key: it
/// focuses the pane under the pointer. Moves and releases are not messages.
#[tokio::test]
async fn a_click_goes_through_the_loop() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let at = |kind, column, row| {
        TermEvent::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // 100×30: the journal's first row, a line above the footer's block.
    let (mut session, keys) = scripted(
        Vec::new(),
        vec![
            at(MouseEventKind::Moved, 5, 25),
            at(MouseEventKind::Down(MouseButton::Left), 5, 25),
            at(MouseEventKind::Up(MouseButton::Left), 5, 25),
            key('q'),
        ],
    );
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut app = App::default();
    let never = std::pin::pin!(std::future::pending::<Ended>());
    let ended = run_in(
        &mut terminal,
        keys,
        never,
        &mut session,
        &mut app,
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(ended, Ended::Quit);
    assert_eq!(app.focus, flightdeck::tui::Pane::Journal);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("▶5 Journal"), "{screen}");
}
