//! Notes and hypotheses (`n`, Tab switches) about the focused cluster.

use ratatui::text::{Line, Span};

use super::super::step::field;
use super::Parts;
use crate::alerts::ClusterId;
use crate::cockpit::{Cockpit, UserCommand};
use crate::tui::app::{App, Draft, NoteKind, Overlay};
use crate::tui::text_input::TextInput;
use crate::tui::theme;

/// `n`: a note for the journal (Tab makes it a hypothesis), about the focused cluster.
pub fn open(app: &mut App, view: &Cockpit) {
    let about = crate::tui::panes::clusters::focused(app, view).map(|c| c.id);
    app.overlay = Overlay::Write {
        draft: Draft::Note(NoteKind::Note, about),
        input: TextInput::default().with_placeholder("what you see, did or suspect"),
    };
}

/// The note to journal, or `None` (and a warning) when it is empty.
pub(super) fn submit(
    app: &mut App,
    kind: NoteKind,
    about: Option<ClusterId>,
    text: String,
) -> Option<UserCommand> {
    if text.is_empty() {
        app.warn(format!(
            "empty {}: nothing written (Esc cancels)",
            kind.label()
        ));
        return None;
    }
    app.info(format!("{} sent to the journal", kind.label()));
    Some(UserCommand::Note { text, kind, about })
}

/// The kind switch and the cluster the note is about.
pub(super) fn parts(
    view: &Cockpit,
    kind: NoteKind,
    about: Option<ClusterId>,
    width: usize,
) -> Parts {
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
                c.name,
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
