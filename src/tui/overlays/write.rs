//! Decisions that need words, in a ratatui-textarea editor that has the keyboard until it is
//! sent or cancelled: a rejection's reason (required), a step's argv edited one element per
//! line (the result is a novel step; the box says what the policy will then require), and a
//! journal note or hypothesis (Tab switches).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::step::{argv_lines, escape, field, titled_argv_lines};
use super::wrap;
use crate::actions::Verdict;
use crate::actions::silence::{self, SilenceRequest};
use crate::cockpit::{Cockpit, DEFAULT_OVERRIDE, Suggestion, SuggestionStatus, UserCommand};
use crate::slo::Mode;
use crate::time::format_duration;
use crate::tui::action::Action;
use crate::tui::app::{App, Draft, NoteKind, Overlay};
use crate::tui::command::Command;
use crate::tui::panes::approvals::{self, verdict_if_edited};
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// The suggestion a reject or edit is about, or why there is none to decide on.
fn decidable<'a>(app: &mut App, view: &'a Cockpit) -> Option<&'a Suggestion> {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return None;
    }
    let found = approvals::target(app, view).and_then(|id| view.suggestion(id));
    if found.is_none() {
        app.info("no step selected: the approvals queue is empty");
    }
    found
}

/// `r`: asks why.
pub fn reject(app: &mut App, view: &Cockpit) {
    let Some(s) = decidable(app, view) else {
        return;
    };
    if !matches!(s.status, SuggestionStatus::Pending) {
        app.warn(format!("{} is not waiting for a decision", s.id));
    } else if let Err(why) = &s.argv {
        app.warn(format!(
            "{} has no argv to reject ({why}); write a note (n) instead",
            s.id
        ));
    } else {
        app.overlay = Overlay::Write {
            draft: Draft::Reject(s.id),
            input: TextInput::default().with_placeholder("why not? (required; it is journaled)"),
        };
    }
}

/// `O`: the commander overrides the governor's mode for an hour, or ends the override.
pub fn override_mode(app: &mut App, view: &Cockpit) {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return;
    }
    if view.config().role != crate::actions::Role::Commander {
        app.warn("only the incident commander can override the mode (--role commander)");
        return;
    }
    // The likely wish: out of a stricter mode the budgets put us in, or into a freeze.
    let to = if view.mode_override().is_some() {
        None
    } else if view.mode() == Mode::Adaptive {
        Some(Mode::Freeze)
    } else {
        Some(Mode::Adaptive)
    };
    app.overlay = Overlay::Write {
        draft: Draft::Override(to),
        input: TextInput::default()
            .with_placeholder("why (required): what the budgets do not know"),
    };
}

/// The override choices Tab steps through: each mode, and ending the override in force.
fn next_override(current: Option<Mode>, view: &Cockpit) -> Option<Mode> {
    let ending = view.mode_override().is_some();
    match current {
        Some(Mode::Adaptive) => Some(Mode::Freeze),
        Some(Mode::Freeze) => Some(Mode::Redesign),
        Some(Mode::Redesign) if ending => None,
        Some(Mode::Redesign) | None => Some(Mode::Adaptive),
    }
}

/// `m`: what was done by hand instead of running the step, and what happened.
pub fn done_by_hand(app: &mut App, view: &Cockpit) {
    let Some(s) = decidable(app, view) else {
        return;
    };
    if !matches!(
        s.status,
        SuggestionStatus::Pending | SuggestionStatus::Rejected { .. }
    ) {
        app.warn(format!(
            "{} was run or recorded already; write a note (n) to add to it",
            s.id
        ));
    } else if let Err(why) = &s.argv {
        app.warn(format!(
            "{} has no argv to record against ({why}); write a note (n) instead",
            s.id
        ));
    } else {
        app.overlay = Overlay::Write {
            draft: Draft::Manual(s.id),
            input: TextInput::default()
                .with_placeholder("what you did, where, and what happened (required)"),
        };
    }
}

/// `e`: the argv, one element per line, in an editor.
pub fn edit_argv(app: &mut App, view: &Cockpit) {
    let Some(s) = decidable(app, view) else {
        return;
    };
    if s.step.shell {
        app.warn(format!(
            "{} runs a shell script, which is not edited here: reject it and write what to run instead (n)",
            s.id
        ));
        return;
    }
    let argv = match &s.argv {
        Ok(argv) => argv.clone(),
        Err(why) => {
            app.warn(format!("{} has no argv to start from: {why}", s.id));
            return;
        }
    };
    // An element with a line break (or another control character) cannot be one line of the
    // editor; refusing beats silently splitting it.
    if let Some(bad) = argv.iter().find(|a| a.chars().any(char::is_control)) {
        app.warn(format!(
            "{} has an argv element with control characters (\"{}\"): it cannot be edited line by line",
            s.id,
            escape(bad)
        ));
        return;
    }
    app.overlay = Overlay::Write {
        draft: Draft::EditArgv(s.id),
        input: TextInput::new(argv).with_placeholder("the command, one argv element per line"),
    };
}

/// `n`: a note for the journal (Tab makes it a hypothesis), about the focused cluster.
pub fn note(app: &mut App, view: &Cockpit) {
    let about = crate::tui::panes::clusters::focused(app, view).map(|c| c.id);
    app.overlay = Overlay::Write {
        draft: Draft::Note(NoteKind::Note, about),
        input: TextInput::default().with_placeholder("what you see, did or suspect"),
    };
}

/// `s`: a silence for the focused cluster, its form filled from the cluster's common labels.
pub fn silence(app: &mut App, view: &Cockpit) {
    if view.config().readonly {
        app.warn(approvals::READ_ONLY);
        return;
    }
    let Some(cluster) = crate::tui::panes::clusters::focused(app, view) else {
        app.info("no cluster to silence");
        return;
    };
    let form = SilenceRequest {
        matchers: silence::default_matchers(&cluster.common_labels, &cluster.alertnames),
        duration: silence::DEFAULT_SILENCE,
        author: view.config().actor.clone(),
        comment: String::new(),
    }
    .form();
    // The cursor waits at the end of the comment, the one thing always left to write.
    let input = TextInput::new(form);
    app.overlay = Overlay::Write {
        draft: Draft::Silence(cluster.id),
        input,
    };
    preview_silence(app, view);
}

/// Remakes the silence form's preview if the cockpit moved on since it was made (new alerts, a
/// mode change): what the silence would mute is what the person reads before proposing it.
pub fn refresh(app: &mut App, view: &Cockpit) {
    if matches!(
        app.overlay,
        Overlay::Write {
            draft: Draft::Silence(_),
            ..
        }
    ) && app.silence_preview_at != view.revision()
    {
        preview_silence(app, view);
    }
}

/// Remakes the silence form's preview (it scans every alert, so not on every frame).
fn preview_silence(app: &mut App, view: &Cockpit) {
    let Overlay::Write {
        draft: Draft::Silence(cluster),
        input,
    } = &app.overlay
    else {
        return;
    };
    app.silence_preview = Some(
        SilenceRequest::from_form(input.lines(), &view.config().actor)
            .map(|req| view.preview_silence(*cluster, &req)),
    );
    app.silence_preview_at = view.revision();
}

/// The argv an editor's lines describe: one element per line, blank lines at the end dropped.
pub fn argv_of(lines: &[String]) -> Vec<String> {
    let mut argv = lines.to_vec();
    while argv.last().is_some_and(String::is_empty) {
        argv.pop();
    }
    argv
}

/// Rows the editor needs to show `lines` wrapped at `width`, plus one to type into.
fn wrapped_rows(lines: &[String], width: usize) -> u16 {
    let width = width.max(1);
    let rows: usize = lines
        .iter()
        .map(|l| Span::raw(l.as_str()).width().div_ceil(width).max(1))
        .sum();
    u16::try_from(rows + 1).unwrap_or(u16::MAX)
}

/// What the policy will ask of an edited step, in words.
fn requirement(v: &Verdict) -> String {
    match v {
        Verdict::Allowed => "nothing more: it may run".to_string(),
        Verdict::NeedsApproval { missing } => missing.clone(),
        Verdict::Refused { reason } => format!("it will be refused: {reason}"),
    }
}

pub fn update(app: &mut App, action: Action, view: &Cockpit) -> Vec<Command> {
    let Overlay::Write { draft, input } = &mut app.overlay else {
        return Vec::new();
    };
    match action {
        Action::Type(key) => {
            input.key(key);
            preview_silence(app, view);
        }
        Action::Open if matches!(draft, Draft::EditArgv(_) | Draft::Silence(_)) => {
            input.newline();
            preview_silence(app, view);
        }
        Action::Open | Action::Submit => return submit(app, view),
        Action::ToggleHypothesis => match draft {
            Draft::Note(kind, _) => *kind = kind.toggled(),
            Draft::Override(to) => *to = next_override(*to, view),
            _ => {}
        },
        Action::Back => {
            app.overlay = Overlay::None;
            app.info("cancelled: nothing was written");
        }
        Action::Quit => return vec![Command::Quit],
        _ => {}
    }
    Vec::new()
}

fn submit(app: &mut App, view: &Cockpit) -> Vec<Command> {
    let Overlay::Write { draft, input } = &app.overlay else {
        return Vec::new();
    };
    let draft = *draft;
    let text = input.text();
    let command = match draft {
        Draft::Reject(id) => {
            if text.is_empty() {
                app.warn("a rejection needs a reason: write why (it is journaled)");
                return Vec::new();
            }
            app.info(format!("rejection of {id} sent to the journal"));
            UserCommand::Reject { id, reason: text }
        }
        Draft::Override(to) => {
            if text.is_empty() {
                app.warn("an override needs a reason: write why (it is journaled)");
                return Vec::new();
            }
            app.info(match to {
                Some(mode) => format!(
                    "override to {} sent to the journal; it ends in {}",
                    mode.label(),
                    format_duration(DEFAULT_OVERRIDE)
                ),
                None => "end of the override sent to the journal".to_string(),
            });
            UserCommand::OverrideMode {
                to,
                reason: text,
                duration: DEFAULT_OVERRIDE,
            }
        }
        Draft::Manual(id) => {
            if text.is_empty() {
                app.warn("write what you did by hand and what happened (it is journaled)");
                return Vec::new();
            }
            app.info(format!(
                "{id} recorded as done by hand: nothing was run by flightdeck"
            ));
            UserCommand::RecordManual { id, what: text }
        }
        Draft::EditArgv(id) => {
            let argv = argv_of(input.lines());
            if argv.first().is_none_or(|a| a.trim().is_empty()) {
                app.warn("an edited step needs its command on the first line");
                return Vec::new();
            }
            let Some(s) = view.suggestion(id) else {
                app.warn(format!("{id} no longer exists"));
                app.overlay = Overlay::None;
                return Vec::new();
            };
            if s.argv.as_ref().is_ok_and(|a| *a == argv) {
                app.warn("the argv is unchanged: nothing to save (Esc cancels)");
                return Vec::new();
            }
            let needs = requirement(&verdict_if_edited(view, s, argv.clone()));
            app.info(format!(
                "edit of {id} sent: the new step is novel (not audited); the policy will require {needs}"
            ));
            UserCommand::Edit { id, argv }
        }
        Draft::Silence(cluster) => {
            let silence = match SilenceRequest::from_form(input.lines(), &view.config().actor) {
                Ok(s) => s,
                Err(e) => {
                    app.warn(format!("silence not proposed: {e}"));
                    return Vec::new();
                }
            };
            // The preview was made from these same lines (the form has not changed since).
            if matches!(&app.silence_preview, Some(Ok(p)) if p.inside == 0) {
                app.warn(format!(
                    "these matchers mute no alert of {cluster}: check them (Esc cancels)"
                ));
                return Vec::new();
            }
            app.info(format!(
                "silence of {cluster} proposed: it waits in the approvals queue (4), approve it with a"
            ));
            UserCommand::ProposeSilence { cluster, silence }
        }
        Draft::Note(kind, about) => {
            if text.is_empty() {
                app.warn(format!(
                    "empty {}: nothing written (Esc cancels)",
                    kind.label()
                ));
                return Vec::new();
            }
            app.info(format!("{} sent to the journal", kind.label()));
            UserCommand::Note {
                text,
                hypothesis: kind == NoteKind::Hypothesis,
                about,
            }
        }
    };
    app.overlay = Overlay::None;
    vec![Command::Decide(command)]
}

/// `runbook/step — title`.
fn step_title(s: &Suggestion) -> String {
    format!("{} — {}", s.step_ref, s.step.title)
}

/// The step a decision is about: its reference and title, then its exact argv.
fn step_lines(s: &Suggestion, width: usize) -> Vec<Line<'static>> {
    let mut lines = field("step", &step_title(s), width);
    if let Ok(argv) = &s.argv {
        lines.extend(argv_lines(argv, width, true));
    }
    lines
}

/// The parts of the box: a title, lines above the editor, the editor's height, lines below,
/// and the keys.
struct Parts {
    title: String,
    above: Vec<Line<'static>>,
    rows: u16,
    below: Vec<Line<'static>>,
    keys: Vec<(&'static str, String)>,
}

fn parts(app: &App, view: &Cockpit, draft: Draft, input: &TextInput, width: usize) -> Parts {
    match draft {
        Draft::Reject(id) => {
            let mut above = Vec::new();
            if let Some(s) = view.suggestion(id) {
                above.extend(step_lines(s, width));
            }
            above.push(Line::from(Span::styled(
                "Why reject it? The reason goes into the journal with your name.",
                theme::text(),
            )));
            Parts {
                title: format!(" Reject {id} "),
                above,
                rows: 3,
                below: Vec::new(),
                keys: vec![("Enter/Ctrl-S", "reject".into()), ("Esc", "cancel".into())],
            }
        }
        Draft::Override(to) => {
            let mut above = Vec::new();
            let choice = |label: String, on: bool| {
                Span::styled(
                    format!("{} {label}   ", if on { "●" } else { "○" }),
                    if on { theme::bold() } else { theme::dim() },
                )
            };
            let mut choices: Vec<Span> = Mode::ALL
                .into_iter()
                .map(|m| choice(m.label().to_string(), to == Some(m)))
                .collect();
            if view.mode_override().is_some() {
                choices.push(choice("end the override".into(), to.is_none()));
            }
            choices.push(Span::styled("(Tab switches)", theme::dim()));
            above.push(Line::from(choices));
            let now = match view.mode_override() {
                Some(o) => format!(
                    "{} by {} until {}: {}",
                    o.mode.label(),
                    o.by,
                    crate::time::clock_hms(o.until),
                    o.reason
                ),
                None => "none".to_string(),
            };
            above.extend(field("budgets", view.mode_reason(), width));
            above.extend(field("override", &now, width));
            above.extend(wrap::words(
                &[(
                    format!(
                        "The mode governs what the policy lets run. An override holds {} (then \
                         the budgets rule again), drift still tightens it, and approvals given \
                         in a looser mode are void once it ends.",
                        format_duration(DEFAULT_OVERRIDE)
                    ),
                    theme::text(),
                )],
                width,
                &[],
                &[],
            ));
            Parts {
                title: match to {
                    Some(m) => format!(" Override the mode: {} ", m.label()),
                    None => " End the mode override ".to_string(),
                },
                above,
                rows: 3,
                below: Vec::new(),
                keys: vec![
                    ("Enter/Ctrl-S", "override".into()),
                    ("Tab", "mode".into()),
                    ("Esc", "cancel".into()),
                ],
            }
        }
        Draft::Manual(id) => {
            let mut above = Vec::new();
            if let Some(s) = view.suggestion(id) {
                above.extend(step_lines(s, width));
                above.extend(field("policy", &s.verdict.to_string(), width));
            }
            above.extend(wrap::words(
                &[(
                    "flightdeck runs nothing: this records, with your name, what you did outside \
                     it (the command as you ran it, where) and what happened."
                        .into(),
                    theme::text(),
                )],
                width,
                &[],
                &[],
            ));
            Parts {
                title: format!(" Done by hand: {id} "),
                above,
                rows: 4,
                below: Vec::new(),
                keys: vec![("Enter/Ctrl-S", "record".into()), ("Esc", "cancel".into())],
            }
        }
        Draft::EditArgv(id) => {
            let mut above = Vec::new();
            let mut below = Vec::new();
            if let Some(s) = view.suggestion(id) {
                above.extend(field("step", &step_title(s), width));
                above.extend(wrap::words(
                    &[(
                        "One argv element per line, exactly as it will run (no shell, no quoting)."
                            .into(),
                        theme::text(),
                    )],
                    width,
                    &[],
                    &[],
                ));
                let argv = argv_of(input.lines());
                below.extend(titled_argv_lines("edited argv", &argv, width, true));
                let verdict = verdict_if_edited(view, s, argv);
                below.extend(wrap::words(
                    &[
                        ("NOVEL ".into(), theme::warn()),
                        (
                            format!(
                                "The edited step is a new step, never reviewed. In {} the policy will then require: {}",
                                view.mode().label(),
                                requirement(&verdict)
                            ),
                            theme::text(),
                        ),
                    ],
                    width,
                    &[],
                    &[],
                ));
            }
            let rows = wrapped_rows(input.lines(), width.saturating_sub(2)).clamp(3, 12);
            Parts {
                title: format!(" Edit {id}'s argv "),
                above,
                rows,
                below,
                keys: vec![
                    ("Ctrl-S", "save as a new step".into()),
                    ("Enter", "new element".into()),
                    ("Esc", "cancel".into()),
                ],
            }
        }
        Draft::Silence(cluster) => {
            let mut above = Vec::new();
            let size = view.cluster(cluster).map_or(0, |c| c.size());
            above.extend(wrap::words(
                &[(
                    format!(
                        "Silence {cluster} ({size} alerts) in Alertmanager. One matcher per line: \
                         name=value, or name=~a|b for one of several values; delete a line to \
                         widen. Then --duration= (at most {}) and --comment= (required).",
                        crate::actions::step::format_duration_exact(silence::MAX_SILENCE)
                    ),
                    theme::text(),
                )],
                width,
                &[],
                &[],
            ));
            let mut below = Vec::new();
            match &app.silence_preview {
                Some(Ok(preview)) => {
                    let (inside, outside) = (preview.inside, preview.outside);
                    let reach = if outside == 0 {
                        (
                            format!("mutes {inside} alert(s) of {cluster} and nothing else. "),
                            theme::good(),
                        )
                    } else {
                        (
                            format!(
                                "mutes {inside} alert(s) of {cluster} and {outside} OUTSIDE it: \
                                 not pre-audited. "
                            ),
                            theme::warn(),
                        )
                    };
                    below.extend(titled_argv_lines("as", &preview.step.argv, width, true));
                    below.extend(wrap::words(
                        &[
                            reach,
                            (
                                format!(
                                    "In {} the policy will require: {}",
                                    view.mode().label(),
                                    requirement(&preview.verdict)
                                ),
                                theme::text(),
                            ),
                        ],
                        width,
                        &[],
                        &[],
                    ));
                }
                Some(Err(e)) => below.extend(wrap::words(
                    &[(format!("not ready: {e}"), theme::warn())],
                    width,
                    &[],
                    &[],
                )),
                // Made when the form opens; absent only for a form made by hand (tests).
                None => {}
            }
            let rows = wrapped_rows(input.lines(), width.saturating_sub(2)).clamp(4, 12);
            Parts {
                title: format!(" Silence {cluster} "),
                above,
                rows,
                below,
                keys: vec![
                    ("Ctrl-S", "propose".into()),
                    ("Enter", "new line".into()),
                    ("Esc", "cancel".into()),
                ],
            }
        }
        Draft::Note(kind, about) => {
            let mark = |k: NoteKind| if k == kind { "●" } else { "○" };
            let mut above = vec![Line::from(vec![
                Span::styled(
                    format!("{} note", mark(NoteKind::Note)),
                    if kind == NoteKind::Note {
                        theme::bold()
                    } else {
                        theme::dim()
                    },
                ),
                Span::raw("   "),
                Span::styled(
                    format!("{} hypothesis", mark(NoteKind::Hypothesis)),
                    if kind == NoteKind::Hypothesis {
                        theme::bold()
                    } else {
                        theme::dim()
                    },
                ),
                Span::styled("   (Tab switches)", theme::dim()),
            ])];
            if let Some(c) = about.and_then(|id| view.cluster(id)) {
                // The incident at a glance: its origin first, then a few of its alert names.
                let origin = c
                    .origin
                    .as_ref()
                    .map(|o| format!("origin {} · ", o.service))
                    .unwrap_or_default();
                above.extend(field(
                    "about",
                    &format!(
                        "{} · {origin}{} alerts · {}",
                        c.id,
                        c.size(),
                        crate::tui::panes::clusters::names(c)
                    ),
                    width,
                ));
            }
            Parts {
                title: format!(" Journal {} ", kind.label()),
                above,
                rows: 4,
                below: Vec::new(),
                keys: vec![
                    ("Enter/Ctrl-S", "write".into()),
                    ("Tab", "note ↔ hypothesis".into()),
                    ("Esc", "cancel".into()),
                ],
            }
        }
    }
}

pub fn render(app: &App, view: &Cockpit, frame: &mut Frame) {
    let Overlay::Write { draft, input } = &app.overlay else {
        return;
    };
    let screen = frame.area();
    let width = screen.width.saturating_sub(4).min(96);
    let text_width = usize::from(width.saturating_sub(4)).max(10);
    let p = parts(app, view, *draft, input, text_width);
    let wanted = p.above.len() + usize::from(p.rows) + 2 + p.below.len() + 2;
    let height = u16::try_from(wanted)
        .unwrap_or(u16::MAX)
        .min(screen.height.saturating_sub(2));
    let area = super::centered(screen, width, height);
    let mut keys = vec![Span::raw(" ")];
    for (i, (key, what)) in p.keys.iter().enumerate() {
        if i > 0 {
            keys.push(Span::styled(" · ", theme::dim()));
        }
        keys.push(Span::styled(*key, theme::key()));
        keys.push(Span::raw(format!(" {what}")));
    }
    keys.push(Span::raw(" "));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::overlay_border())
        .title(Line::from(p.title).style(theme::title()))
        .title_bottom(Line::from(keys));
    let inner = block.inner(area);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    // The editor keeps its rows; what is above and below gives way on a small screen.
    let editor_rows = (p.rows + 2).min(inner.height);
    let rest = inner.height - editor_rows;
    let above_rows = u16::try_from(p.above.len()).unwrap_or(u16::MAX).min(rest);
    let below_rows = rest - above_rows;
    let above = Rect {
        height: above_rows,
        ..inner
    };
    let editor = Rect {
        y: inner.y + above_rows,
        height: editor_rows,
        ..inner
    };
    let below = Rect {
        y: editor.y + editor_rows,
        height: below_rows,
        ..inner
    };
    frame.render_widget(Paragraph::new(p.above), above);
    let mut widget = input.widget().clone();
    widget.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme::border(true)),
    );
    frame.render_widget(&widget, editor);
    frame.render_widget(Paragraph::new(p.below), below);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_is_one_element_per_line_without_trailing_blank_lines() {
        let lines: Vec<String> = ["kubectl", "logs", "a b", "", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(argv_of(&lines), ["kubectl", "logs", "a b"]);
        let lines: Vec<String> = ["echo", "", "x"].map(String::from).to_vec();
        assert_eq!(
            argv_of(&lines),
            ["echo", "", "x"],
            "an empty element inside stays"
        );
    }
}
