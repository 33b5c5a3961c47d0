//! One journal record in full (Enter on the journal pane): every field, the body as pretty
//! JSON, and the chain links (`prev`, `hash`) a person can compare with `journal verify`.
//! Enter on an execution record opens what the step printed (`output`).

use ratatui::text::{Line, Span};

use super::read::View;
use super::step::{field, unhidden};
use super::wrap;
use crate::cockpit::Cockpit;
use crate::tui::theme;

const KEYS: &str = "j/k scroll · Esc close";
const EXECUTION_KEYS: &str = "Enter output · j/k scroll · Esc close";

pub fn view(cockpit: &Cockpit, seq: u64, width: usize) -> View {
    let Some(r) = cockpit.journal_tail().find(|r| r.seq == seq) else {
        return View::missing(
            format!(" Journal record #{seq} "),
            format!(
                "record #{seq} is no longer in the cockpit's tail: see `flightdeck journal show`"
            ),
        );
    };
    let mut body = Vec::new();
    body.extend(field("seq", &r.seq.to_string(), width));
    body.extend(field("time", &r.ts.to_string(), width));
    body.extend(field("actor", &r.actor, width));
    body.extend(field("role", r.role.as_str(), width));
    body.extend(field("kind", r.kind.label(), width));
    body.extend(field("summary", &r.summary, width));
    // The chain links first: they are what a person compares with `journal verify`, and the
    // body can be long.
    body.extend(field("prev", &r.prev, width));
    body.extend(field("hash", &r.hash, width));
    body.push(Line::default());
    body.push(Line::from(Span::styled("body", theme::key())));
    let json = serde_json::to_string_pretty(&r.body).unwrap_or_else(|e| e.to_string());
    for l in json.lines() {
        body.extend(wrap::chars(
            &unhidden(l),
            width,
            &[Span::raw("  ")],
            &[Span::styled("  ↪ ", theme::dim())],
        ));
    }
    View {
        title: format!(" Journal record #{} · {} ", r.seq, r.kind.label()),
        header: Vec::new(),
        body,
        keys: if r.kind == crate::journal::RecordKind::Execution {
            EXECUTION_KEYS
        } else {
            KEYS
        },
    }
}
