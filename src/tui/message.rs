//! What reaches [`crate::tui::update::handle`], the only writer of the [`App`](super::App):
//! a key's [`Action`], and what the runtime's loop reports (time passed, a frame is due, the
//! terminal changed size, a notice, an error, a debrief to show, step output it loaded). The
//! loop never touches the `App` itself; it turns what happens into messages.

use super::action::Action;
use super::app::{Level, ReplayStatus};
use crate::cockpit::OutputObject;
use crate::time::Timestamp;

#[derive(Debug, Clone)]
pub enum Msg {
    /// A key (or a palette entry) asked for this.
    Action(Action),
    /// Time passed: the replay's clock as it stands now (`None` live, where the cockpit runs on
    /// the wall clock).
    Tick(Option<ReplayStatus>),
    /// A frame is about to be drawn: what the UI derives from the cockpit is brought up to date
    /// ([`crate::tui::refresh`]); `update` answers with `Command::Draw`.
    Render,
    /// The terminal changed size.
    Resize { width: u16, height: u16 },
    /// Something for the person at the cockpit (a refusal, a reload, a journal failure): every
    /// one goes to the status line and the message log (`M`), none is dropped.
    Notice(Level, String),
    /// Something went wrong at the edge (shown as an error, kept in the log).
    Error(String),
    /// The debrief the session scored: shown as a report (`trainee`: no spoilers before the
    /// drill's end).
    Debrief {
        debrief: Box<crate::training::Debrief>,
        at: Timestamp,
        trainee: bool,
    },
    /// Step output the runtime read for the open output viewer.
    Output(OutputObject, Result<Vec<u8>, String>),
    /// A drill starts: its briefing (the story so far, the role, what is scored), shown over
    /// the paused clock until a key starts it.
    Briefing(String),
    /// The live cockpit read the experiments' Prometheus probe queries (each query's value or
    /// why none) at this time, for the experiments view.
    ProbeReadings(Vec<(String, Result<f64, String>)>, Timestamp),
    /// A click or the wheel ([`super::mouse`]; capture off with `[ui] mouse = false`).
    Mouse(super::mouse::Mouse),
}

impl Msg {
    pub fn info(text: impl Into<String>) -> Msg {
        Msg::Notice(Level::Info, text.into())
    }

    pub fn warn(text: impl Into<String>) -> Msg {
        Msg::Notice(Level::Warn, text.into())
    }
}

impl From<Action> for Msg {
    fn from(action: Action) -> Msg {
        Msg::Action(action)
    }
}
