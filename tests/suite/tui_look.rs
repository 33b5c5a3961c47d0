//! What the terminal can show: without colour (`NO_COLOR`) a redraw leaves no stray reverse or
//! bold behind, and with ASCII glyphs (`TERM=linux`, a non-UTF-8 locale) every cell is ASCII.
//! Also: a paused replay's clock stands still while a form is typed.

use crate::common;
use common::replay::{demo, demo_at, session_with};
use common::tui::{press, replay_app};
use crossterm::event::KeyCode;
use flightdeck::clock::VirtualClock;
use flightdeck::cockpit::CockpitConfig;
use flightdeck::replay::ReplaySession;
use flightdeck::tui::theme::{self, Colors, Glyphs, Look};
use flightdeck::tui::{self, App, Command};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::{Terminal, TerminalOptions, Viewport};

const MONO: Look = Look {
    colors: Colors::None,
    glyphs: Glyphs::Unicode,
};

/// The cells a real terminal shows after reading `bytes`: what ratatui's crossterm backend
/// wrote, interpreted as a terminal does (cursor moves and SGR attributes; colours ignored, as
/// `NO_COLOR` has them). Each cell: its text and its modifiers.
struct Screen {
    width: u16,
    cells: Vec<(String, Modifier)>,
}

impl Screen {
    fn new(width: u16, height: u16) -> Screen {
        Screen {
            width,
            cells: vec![(" ".to_string(), Modifier::empty()); usize::from(width * height)],
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let text = std::str::from_utf8(bytes).expect("the backend writes UTF-8");
        let mut chars = text.chars().peekable();
        let (mut x, mut y) = (0u16, 0u16);
        let mut attrs = Modifier::empty();
        let mut grapheme = String::new();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                assert_eq!(chars.next(), Some('['), "only CSI sequences are expected");
                let mut params = String::new();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        last = c;
                        break;
                    }
                    params.push(c);
                }
                match last {
                    'H' => {
                        let mut it = params.split(';').map(|p| p.parse::<u16>().unwrap_or(1));
                        y = it.next().unwrap_or(1) - 1;
                        x = it.next().unwrap_or(1) - 1;
                    }
                    'm' => sgr(&params, &mut attrs),
                    _ => {} // cursor visibility and the like
                }
                continue;
            }
            // A printed grapheme: the char and any zero-width ones that follow it.
            grapheme.clear();
            grapheme.push(c);
            while let Some(&next) = chars.peek() {
                if next != '\x1b' && Span::raw(next.to_string()).width() == 0 {
                    grapheme.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            let i = usize::from(y * self.width + x);
            self.cells[i] = (grapheme.clone(), attrs);
            x += Span::raw(grapheme.as_str()).width().max(1) as u16;
        }
    }
}

/// Select Graphic Rendition: the attributes ratatui uses; an empty parameter list resets all.
fn sgr(params: &str, attrs: &mut Modifier) {
    let codes: Vec<u16> = params
        .split(';')
        .map(|p| if p.is_empty() { 0 } else { p.parse().unwrap() })
        .collect();
    let mut i = 0;
    while i < codes.len() {
        match codes[i] {
            0 => *attrs = Modifier::empty(),
            1 => *attrs |= Modifier::BOLD,
            2 => *attrs |= Modifier::DIM,
            3 => *attrs |= Modifier::ITALIC,
            4 => *attrs |= Modifier::UNDERLINED,
            5 => *attrs |= Modifier::SLOW_BLINK,
            6 => *attrs |= Modifier::RAPID_BLINK,
            7 => *attrs |= Modifier::REVERSED,
            8 => *attrs |= Modifier::HIDDEN,
            9 => *attrs |= Modifier::CROSSED_OUT,
            21 | 22 => attrs.remove(Modifier::BOLD | Modifier::DIM),
            23 => attrs.remove(Modifier::ITALIC),
            24 => attrs.remove(Modifier::UNDERLINED),
            25 => attrs.remove(Modifier::SLOW_BLINK | Modifier::RAPID_BLINK),
            27 => attrs.remove(Modifier::REVERSED),
            28 => attrs.remove(Modifier::HIDDEN),
            29 => attrs.remove(Modifier::CROSSED_OUT),
            38 | 48 | 58 => {
                // 5;n or 2;r;g;b
                i += if codes.get(i + 1) == Some(&5) { 2 } else { 4 };
            }
            _ => {} // colours
        }
        i += 1;
    }
}

/// The bytes the backend writes, kept where the test can read them.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A fresh render of the app: what the screen must show.
fn fresh(app: &App, session: &ReplaySession) -> Buffer {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| tui::render(app, session.cockpit(), f))
        .unwrap();
    terminal.backend().buffer().clone()
}

fn assert_same(screen: &Screen, want: &Buffer, what: &str) {
    for (i, (cell, (symbol, attrs))) in want.content.iter().zip(&screen.cells).enumerate() {
        let (x, y) = (i as u16 % want.area.width, i as u16 / want.area.width);
        if cell.symbol().trim().is_empty() && symbol.trim().is_empty() {
            // Blank cells: only reverse video shows.
            assert_eq!(
                cell.modifier.contains(Modifier::REVERSED),
                attrs.contains(Modifier::REVERSED),
                "{what}: reverse video at ({x},{y}) on a blank cell"
            );
            continue;
        }
        assert_eq!(cell.symbol(), symbol, "{what}: text at ({x},{y})");
        assert_eq!(
            cell.modifier, *attrs,
            "{what}: attributes at ({x},{y}) {symbol:?} (a redraw left stray styling)"
        );
    }
}

/// Under `NO_COLOR` (crossterm then drops colour codes) a redraw after ordinary keys shows
/// exactly what a fresh render of the new frame shows: no reverse or bold left on the wrong
/// cells. Checked over several key sequences in the demo, through the real crossterm backend.
#[test]
fn redraws_without_colour_leave_no_stray_styling() {
    // What NO_COLOR does to crossterm (a process-wide switch; no other test writes ANSI).
    crossterm::style::force_color_output(false);
    let sequences: [&[KeyCode]; 6] = [
        &[KeyCode::Char('j'), KeyCode::Char('j'), KeyCode::Char('k')],
        &[KeyCode::Tab, KeyCode::Char('j'), KeyCode::Tab],
        &[KeyCode::Char('4'), KeyCode::Char('j'), KeyCode::Char('1')],
        &[KeyCode::Char('b'), KeyCode::Esc, KeyCode::Char('j')],
        &[KeyCode::Char('?'), KeyCode::Esc],
        &[
            KeyCode::Char('3'),
            KeyCode::Char('j'),
            KeyCode::Enter,
            KeyCode::Esc,
        ],
    ];
    theme::with_look(MONO, || {
        for minutes in [12, 25, 40] {
            let mut session = demo_at(minutes);
            for keys in sequences {
                for size in [(100u16, 30u16), (200, 60)] {
                    let mut app = replay_app(&session, size, 60.0);
                    let area = Rect::new(0, 0, size.0, size.1);
                    let bytes = Shared::default();
                    let mut terminal = Terminal::with_options(
                        CrosstermBackend::new(bytes.clone()),
                        TerminalOptions {
                            viewport: Viewport::Fixed(area),
                        },
                    )
                    .unwrap();
                    let mut screen = Screen::new(size.0, size.1);
                    terminal
                        .draw(|f| tui::render(&app, session.cockpit(), f))
                        .unwrap();
                    for key in keys {
                        press(&mut app, &session, *key);
                        tui::refresh(&mut app, session.cockpit());
                        terminal
                            .draw(|f| tui::render(&app, session.cockpit(), f))
                            .unwrap();
                    }
                    screen.feed(&bytes.0.borrow());
                    let what = format!("{minutes} min, keys {keys:?}, {size:?}");
                    assert_same(&screen, &fresh(&app, &session), &what);
                }
            }
            session.advance_to(
                session.scenario().start + flightdeck::time::SignedDuration::from_mins(minutes + 1),
            );
        }
    });
}

/// Without colour, what colour told must still stand out: the selected row is reversed, the
/// mode badge reversed and bold, and no cell carries a colour.
#[test]
fn without_colour_the_selection_and_the_mode_badge_still_stand_out() {
    theme::with_look(MONO, || {
        let session = demo_at(25);
        let app = replay_app(&session, (100, 30), 60.0);
        let buffer = fresh(&app, &session);
        assert!(
            buffer
                .content
                .iter()
                .all(|c| c.fg == ratatui::style::Color::Reset
                    && c.bg == ratatui::style::Color::Reset),
            "a colour cell under NO_COLOR"
        );
        let badge = session.cockpit().mode().label();
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, 0)].symbol().to_string())
            .collect();
        let at = row.find(badge).expect("the badge is on the first row") as u16;
        let cell = &buffer[(at, 0)];
        assert!(
            cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD),
            "the badge stands out: {:?}",
            cell.modifier
        );
        assert!(
            buffer
                .content
                .iter()
                .any(|c| c.modifier.contains(Modifier::REVERSED) && c.symbol() == "›"),
            "the selected row is reversed and marked"
        );
    });
}

/// The budget chart without colour: each line has its own marker, named in the legend.
#[test]
fn without_colour_the_budget_chart_lines_have_their_own_markers() {
    theme::with_look(MONO, || {
        let session = demo_at(40);
        let mut app = replay_app(&session, (120, 40), 60.0);
        press(&mut app, &session, KeyCode::Char('b'));
        let buffer = fresh(&app, &session);
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        let slos = session.cockpit().slo_specs().count();
        assert!(slos >= 2, "the demo has several SLOs");
        for (i, marker) in theme::CHART_MARKERS.iter().take(slos).enumerate() {
            assert!(
                text.contains(&format!("{marker} ")),
                "line {i}: no legend entry with marker {marker:?}"
            );
        }
        assert!(
            !text.chars().any(|c| ('\u{2800}'..='\u{28ff}').contains(&c)),
            "braille dots cannot be told apart without colour"
        );
    });
}

/// With ASCII glyphs (a Linux console, a non-UTF-8 locale) every cell of every screen is
/// ASCII: borders, markers, arrows, the pause sign, the chart, the help.
#[test]
fn ascii_glyphs_leave_no_cell_outside_ascii() {
    let look = Look {
        colors: Colors::Ansi16,
        glyphs: Glyphs::Ascii,
    };
    theme::with_look(look, || {
        for minutes in [5, 25, 40] {
            let session = demo_at(minutes);
            for size in [(80u16, 24u16), (100, 30), (200, 60)] {
                let mut app = replay_app(&session, size, 60.0);
                if let Some(r) = app.replay.as_mut() {
                    r.paused = minutes == 25;
                }
                for keys in [
                    &[][..],
                    &[KeyCode::Char('b')][..],
                    &[KeyCode::Char('?')][..],
                    &[KeyCode::Char('4'), KeyCode::Enter][..],
                    &[KeyCode::Char('3'), KeyCode::Enter][..],
                ] {
                    let mut app = app.clone();
                    for key in keys {
                        press(&mut app, &session, *key);
                    }
                    tui::refresh(&mut app, session.cockpit());
                    let buffer = fresh(&app, &session);
                    for (i, cell) in buffer.content.iter().enumerate() {
                        assert!(
                            cell.symbol().is_ascii(),
                            "{minutes} min {size:?} {keys:?}: {:?} at cell {i}",
                            cell.symbol()
                        );
                    }
                }
                app.size = (50, 10);
                assert!(
                    fresh(&app, &session)
                        .content
                        .iter()
                        .all(|c| c.symbol().is_ascii())
                );
            }
        }
    });
}

/// Paused means paused: with the replay paused at an instant between two budget ticks, the
/// header's clock shows the same time before, while and after an override is typed and
/// submitted, and the override is journaled at that time.
#[tokio::test(start_paused = true)]
async fn a_paused_replay_keeps_its_time_while_an_override_is_typed() {
    let config = CockpitConfig {
        role: flightdeck::actions::Role::Commander,
        actor: "lee".into(),
        ..CockpitConfig::default()
    };
    let mut session = session_with(demo(), 30, config);
    let mut clock = VirtualClock::new(session.position(), 60.0);
    // A frame tick 133 ms later: 7.98 virtual seconds, off the 10-second grid.
    tokio::time::advance(std::time::Duration::from_millis(133)).await;
    session.advance_to(clock.now());
    // Space: the runtime pauses the clock and the session catches up with it.
    clock.set_paused(true);
    session.advance_to(clock.now());
    let paused_at = clock.now();
    let mut app = replay_app(&session, (120, 40), 60.0);
    app.replay.as_mut().unwrap().paused = true;
    let clock_text = flightdeck::time::clock_hms(paused_at);
    let header = |app: &App, session: &ReplaySession| {
        let buffer = fresh(app, session);
        (0..buffer.area.width)
            .map(|x| buffer[(x, 0)].symbol().to_string())
            .collect::<String>()
    };
    assert!(
        header(&app, &session).contains(&clock_text),
        "the header shows the paused time {clock_text}: {}",
        header(&app, &session)
    );

    press(&mut app, &session, KeyCode::Char('O'));
    for c in "shedding load by hand".chars() {
        // Real time passes while typing; each frame tick advances the session to the clock.
        tokio::time::advance(std::time::Duration::from_millis(400)).await;
        session.advance_to(clock.now());
        app.replay.as_mut().unwrap().at = session.position();
        press(&mut app, &session, KeyCode::Char(c));
        assert!(header(&app, &session).contains(&clock_text));
    }
    let commands = press(&mut app, &session, KeyCode::Enter);
    let decided = commands
        .into_iter()
        .filter_map(|c| match c {
            Command::Decide(d) => Some(d),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(decided.len(), 1, "Enter submits the override");
    for d in decided {
        session.advance_to(clock.now());
        session.command(d);
    }
    app.replay.as_mut().unwrap().at = session.position();
    assert_eq!(clock.now(), paused_at, "the clock did not move");
    assert_eq!(session.position(), paused_at);
    assert!(
        header(&app, &session).contains(&clock_text),
        "after the override the header still says {clock_text}: {}",
        header(&app, &session)
    );
    let last = session.records().last().expect("the override is journaled");
    assert_eq!(last.ts, paused_at, "journaled at the paused time");
}

/// README, the help's legend and the policy say the same about REDESIGN: pre-audited
/// mitigations run with two different approvers, one the commander (not "humans only").
#[test]
fn readme_help_and_policy_agree_on_redesign() {
    use flightdeck::actions::{Approval, Role, StepKind};
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .split("*Redesign*")
        .nth(1)
        .expect("README names the Redesign mode")
        .split(';')
        .next()
        .unwrap()
        .replace('\n', " ");
    assert!(!line.contains("humans only"), "{line}");
    for words in [
        "pre-audited mitigations",
        "two different approvers",
        "commander",
    ] {
        assert!(
            line.contains(words),
            "README's Redesign says no {words:?}: {line}"
        );
    }
    let session = demo_at(5);
    // Tall enough for the whole help, legend included.
    let mut app = replay_app(&session, (160, 250), 60.0);
    press(&mut app, &session, KeyCode::Char('?'));
    let buffer = fresh(&app, &session);
    let help: String = buffer.content.iter().map(|c| c.symbol()).collect();
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("REDESIGN spent: pre-audited fixes, 2 approvers, one the commander"),
        "{help}"
    );
    // And the policy does what they say.
    use flightdeck::actions::{Overlays, StepClass, policy};
    use flightdeck::slo::Mode;
    let ap = |by: &str, role| Approval {
        by: by.into(),
        role,
        mode: Mode::Redesign,
    };
    let none = Overlays {
        novel: false,
        drift: false,
    };
    let fix = StepClass {
        kind: StepKind::Mitigation,
        pre_audited: true,
        novel: false,
    };
    let (oncall, commander) = (ap("ana", Role::Oncall), ap("lee", Role::Commander));
    assert!(
        policy(
            Mode::Redesign,
            none,
            &fix,
            &[oncall.clone(), commander.clone()]
        )
        .is_allowed()
    );
    assert!(!policy(Mode::Redesign, none, &fix, std::slice::from_ref(&commander)).is_allowed());
    let edited = StepClass {
        pre_audited: false,
        novel: true,
        ..fix
    };
    assert!(policy(Mode::Redesign, none, &edited, &[oncall, commander]).is_refused());
}

/// The step view puts the decision first: the verdict and the whole command line on one line
/// come before the argv, which follows one element a line.
#[test]
fn the_step_view_shows_the_verdict_and_command_line_before_the_argv() {
    let session = demo_at(12);
    let mut app = replay_app(&session, (120, 60), 60.0);
    press(&mut app, &session, KeyCode::Char('4'));
    press(&mut app, &session, KeyCode::Enter);
    let buffer = fresh(&app, &session);
    let rows: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    let queue = session.cockpit().approval_queue();
    let shown = queue
        .iter()
        .find(|s| {
            rows.iter()
                .any(|r| r.contains(&format!("{} · {}", s.id, s.step_ref)))
        })
        .expect("the step view names a queued step");
    let argv = shown.argv.as_ref().expect("a step with a target");
    let row_of = |needle: &str| {
        rows.iter()
            .position(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} on screen:\n{}", rows.join("\n")))
    };
    let policy = row_of("policy");
    let command = row_of(&format!("command   {}", argv[0]));
    let first_element = row_of(&format!("0 {:?}", argv[0]));
    assert!(
        policy < first_element && command < first_element,
        "{}",
        rows.join("\n")
    );
    let joined = flightdeck::actions::shell_display(argv);
    let words: Vec<&str> = joined.split_whitespace().take(3).collect();
    assert!(
        rows[command].contains(&words.join(" ")),
        "the command line is joined: {:?} in {:?}",
        words,
        rows[command]
    );
    for (i, a) in argv.iter().enumerate() {
        assert!(
            row_of(&format!("{i} {a:?}")) > command,
            "argv[{i}] follows, one a line"
        );
    }
}

/// Messages are never cut: a long one wraps above the key hints (the hints stay), and `M`
/// shows every message of the session in full.
#[test]
fn long_messages_wrap_and_the_log_keeps_them_all() {
    let session = demo_at(12);
    for size in [(80u16, 24u16), (100, 30), (200, 60)] {
        let mut app = replay_app(&session, size, 60.0);
        let long = "the journal could not be written to /var/lib/flightdeck/journal.jsonl: \
                    No space left on device (os error 28); free some space or start with \
                    --journal PATH on another disk, then retry this mitigation";
        app.warn("first message");
        app.warn(long);
        let buffer = fresh(&app, &session);
        let text: String = (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + " "
            })
            .collect();
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = words.join(" ");
        let want = long.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            joined.contains(&want),
            "{size:?}: the message is cut:\n{joined}"
        );
        assert!(
            joined.contains("? help"),
            "{size:?}: the hints stay:\n{joined}"
        );

        press(&mut app, &session, KeyCode::Char('M'));
        let buffer = fresh(&app, &session);
        let text: String = buffer.content.iter().map(|c| c.symbol()).collect();
        let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(joined.contains("Messages (2"), "{size:?}: {joined}");
        assert!(joined.contains("first message"), "{size:?}: {joined}");
        assert!(
            joined.contains("--journal PATH on another disk"),
            "{size:?}: {joined}"
        );
    }
}
