//! Confirmations (gitui's confirm → confirmed): approving a step shows the exact argv, the
//! verdict now and what the policy says after this approval; acknowledging drift shows the
//! signal. Only `y` or Enter turns the decision into `Command::Decide`; Esc or `n` drops it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::step::{command_lines, field, labelled};
use super::wrap;
use crate::actions::{Role, Verdict};
use crate::cockpit::{Cockpit, SuggestionStatus, UserCommand};
use crate::tui::action::Action;
use crate::tui::app::{App, Confirm, Overlay};
use crate::tui::command::Command;
use crate::tui::panes::Move;
use crate::tui::panes::approvals::{self, verdict_label, verdict_style};
use crate::tui::theme;

/// `a`: checks that approving the target step can mean something, then asks.
pub fn approve(app: &mut App, view: &Cockpit) {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return;
    }
    let Some(s) = approvals::target(app, view).and_then(|id| view.suggestion(id)) else {
        app.info("no step selected: the approvals queue is empty");
        return;
    };
    let me = &view.config().actor;
    let refusal = if let SuggestionStatus::Obsolete { reason } = &s.status {
        Some(format!("{} is obsolete: {reason}", s.id))
    } else if s.status == SuggestionStatus::Running {
        Some(format!("{} is already running", s.id))
    } else if s.status != SuggestionStatus::Pending {
        Some(format!("{} is decided already", s.id))
    } else if let Verdict::Refused { reason } = &s.verdict {
        Some(format!("{} is refused by policy: {reason}", s.id))
    } else if let Err(why) = &s.argv {
        // "no target yet: …" for a step no covered alert has filled.
        Some(format!("{} cannot be approved: {why}", s.id))
    } else if s.approvals.iter().any(|a| &a.by == me) {
        Some(format!(
            "you already approved {}; it needs someone else",
            s.id
        ))
    } else {
        None
    };
    match refusal {
        Some(why) => app.warn(why),
        None => {
            app.overlay = Overlay::Confirm {
                what: Confirm::Approve(s.id),
                scroll: 0,
            }
        }
    }
}

/// `D`: only the commander acknowledges, and only a drift that is there.
pub fn acknowledge_drift(app: &mut App, view: &Cockpit) {
    if view.config().role != Role::Commander {
        app.warn("only the incident commander can acknowledge drift (--role commander)");
    } else if view.governor().drift().is_none() {
        app.info("no drift signal to acknowledge");
    } else {
        app.overlay = Overlay::Confirm {
            what: Confirm::AcknowledgeDrift,
            scroll: 0,
        };
    }
}

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    let Overlay::Confirm { what, scroll } = app.overlay else {
        return Vec::new();
    };
    match action {
        Action::Confirm => {
            app.overlay = Overlay::None;
            let command = match what {
                Confirm::Approve(id) => {
                    app.info(format!("approval of {id} sent to the journal"));
                    recorded_output(app, view, id);
                    UserCommand::Approve(id)
                }
                Confirm::AcknowledgeDrift => {
                    app.info("drift acknowledgement sent to the journal");
                    UserCommand::AcknowledgeDrift
                }
            };
            return vec![Command::Decide(command)];
        }
        Action::Back => {
            app.overlay = Overlay::None;
            app.info("cancelled: nothing was sent");
        }
        Action::Quit => return vec![Command::Quit],
        _ => {
            if let Some(movement) = Move::from_action(action) {
                let screen = Rect::new(0, 0, app.size.0, app.size.1);
                let (box_area, content) = layout(view, what, screen);
                let visible = usize::from(box_area.height.saturating_sub(2));
                let max = content.len().saturating_sub(visible);
                app.overlay = Overlay::Confirm {
                    what,
                    scroll: movement.apply(scroll.min(max), max + 1, visible.max(1)),
                };
            }
        }
    }
    Vec::new()
}

/// A drill: a trainee's approval runs nothing, so a diagnostic approved shows what it printed
/// when the responders ran it, if the scenario recorded that (`outputs:`, [`App::recorded`]).
fn recorded_output(app: &mut App, view: &Cockpit, id: crate::cockpit::SuggestionId) {
    let Some(s) = view.suggestion(id) else {
        return;
    };
    if s.step.kind != crate::actions::StepKind::Diagnostic {
        return;
    }
    let Some(text) = app.recorded.get(s.step_ref.as_str()) else {
        return;
    };
    let mut body = String::from(
        "Nothing ran here: this is what the step printed when the responders ran it, as the\n\
         scenario recorded it.\n\n",
    );
    for line in text.lines() {
        body.push_str("  ");
        body.push_str(line);
        body.push('\n');
    }
    let mut report = super::report::Report::from_text(
        format!("Recorded output of {id} · {} · Esc closes", s.step_ref),
        &body,
    );
    report.preformatted = true;
    super::report::open(app, report);
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let Overlay::Confirm { what, scroll } = app.overlay else {
        return;
    };
    let (area, content) = layout(view, what, frame.area());
    let visible = usize::from(area.height.saturating_sub(2));
    let scroll = scroll.min(content.len().saturating_sub(visible));
    let (title, yes) = match what {
        Confirm::Approve(id) => (format!(" Approve {id}? "), "approve"),
        Confirm::AcknowledgeDrift => (" Acknowledge drift? ".to_string(), "acknowledge"),
    };
    let more = if scroll + visible < content.len() {
        " · ↓ more (j/k)"
    } else {
        ""
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(title).style(theme::title()))
        .title_bottom(Line::from(vec![
            Span::styled(" y/Enter ", theme::key()),
            Span::raw(format!("{yes} · ")),
            Span::styled("Esc ", theme::key()),
            Span::raw(format!("cancel{more} ")),
        ]));
    let inner = block.inner(area);
    let text = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let lines: Vec<Line> = content.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), text);
}

/// The quit confirmation ([`App::quit_asked`]), drawn over whatever is open: what would be
/// lost, and the one key that quits.
pub fn render_quit(app: &App, frame: &mut Frame) {
    let Some(why) = &app.quit_asked else {
        return;
    };
    let text = format!("Quit? {why}.");
    let width = u16::try_from(text.chars().count() + 4)
        .unwrap_or(u16::MAX)
        .clamp(40, frame.area().width.saturating_sub(4).max(20));
    let inner_width = usize::from(width.saturating_sub(4)).max(1);
    let lines = wrap::words(
        &[(text.clone(), ratatui::style::Style::default())],
        inner_width,
        &[],
        &[],
    );
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let area = super::centered(frame.area(), width, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(" Quit? ").style(theme::title()))
        .title_bottom(Line::from(vec![
            Span::styled(" y ", theme::key()),
            Span::raw("quit · "),
            Span::styled("any other key ", theme::key()),
            Span::raw("stay "),
        ]));
    let inner = block.inner(area);
    let text = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), text);
}

/// The box and its lines. The argv is one element per line when that fits the screen, else
/// the quoted elements follow each other (still exact, boundaries still visible).
fn layout(view: &Cockpit, what: Confirm, screen: Rect) -> (Rect, Vec<Line<'static>>) {
    let width = screen.width.saturating_sub(4).min(100);
    let text_width = usize::from(width.saturating_sub(4)).max(10);
    let max_rows = usize::from(screen.height.saturating_sub(4).max(6));
    let mut content = lines(view, what, text_width, false);
    if content.len() + 2 > max_rows {
        content = lines(view, what, text_width, true);
    }
    let height = u16::try_from(content.len() + 2)
        .unwrap_or(u16::MAX)
        .min(screen.height.saturating_sub(4).max(6));
    (super::centered(screen, width, height), content)
}

fn lines(view: &Cockpit, what: Confirm, width: usize, compact: bool) -> Vec<Line<'static>> {
    let config = view.config();
    let me = format!("{} ({})", config.actor, config.role.as_str());
    let mut out = Vec::new();
    match what {
        Confirm::Approve(id) => {
            let Some(s) = view.suggestion(id) else {
                out.push(Line::from(format!("{id} no longer exists")));
                return out;
            };
            out.extend(wrap::words(
                &[(format!("{} — {}", s.step_ref, s.step.title), theme::title())],
                width,
                &[],
                &[],
            ));
            let audited = if s.step.is_pre_audited() {
                "pre-audited"
            } else {
                "NOT audited"
            };
            out.extend(field(
                "kind",
                &format!("{} · {audited} · approving as {me}", s.step.kind),
                width,
            ));
            let (label, detail) = verdict_label(&s.verdict);
            out.extend(labelled(
                "now",
                &[
                    (format!("{label} "), verdict_style(&s.verdict)),
                    (detail, theme::text()),
                ],
                width,
            ));
            let after = view.verdict_after_my_approval(s);
            let then = match &after {
                Verdict::Allowed if config.dry_run => {
                    "ALLOWED: it runs at once, as a dry run".to_string()
                }
                Verdict::Allowed => "ALLOWED: it runs at once".to_string(),
                Verdict::NeedsApproval { missing } => format!("still needs {missing}"),
                Verdict::Refused { reason } => format!("refused: {reason}"),
            };
            out.extend(labelled("after", &[(then, verdict_style(&after))], width));
            out.push(Line::default());
            out.extend(command_lines(s, width, compact));
        }
        Confirm::AcknowledgeDrift => {
            let signal = view
                .governor()
                .drift()
                .map(|d| d.explain())
                .unwrap_or_else(|| "no drift signal any more".into());
            out.extend(field("signal", &signal, width));
            out.extend(field(
                "effect",
                "the drift overlay ends: steps are judged in the governor's mode again",
                width,
            ));
            out.extend(field("as", &me, width));
        }
    }
    out
}
