//! What `update` asks the runtime to do: the UI's only way to reach outside itself.

use crate::cockpit::UserCommand;
use crate::time::SignedDuration;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Leave the cockpit (the runtime restores the terminal).
    Quit,
    /// Stop the process for the shell's job control, the terminal restored; it is set up again
    /// and redrawn on `fg`.
    Suspend,
    /// Replay: pause or resume the virtual clock.
    TogglePause,
    /// Replay: virtual seconds per wall second.
    SetSpeed(f64),
    /// Replay: move the virtual clock by this much (negative: back).
    Seek(SignedDuration),
    /// Replay: score the decisions so far against the reference and show the debrief.
    Debrief,
    /// A decision the person confirmed (or wrote): the runtime applies it to the cockpit, which
    /// journals it; it takes effect once journaled. Notices that come back (a refusal, say) go
    /// to the status line through `App::info` / `App::warn`.
    Decide(UserCommand),
    /// Ring the terminal bell (BEL): the mode changed or a critical cluster appeared
    /// ([`super::attention`]; `[ui] bell = false` turns it off).
    Bell,
    /// Put `text` on the clipboard through the terminal (OSC 52); `what` names it in the
    /// notice ("S13's command line").
    Copy { text: String, what: String },
    /// Open an http(s) URL with the system's opener (an argv, never a shell); with none, show
    /// it and copy it.
    Open { url: String, what: String },
    /// Start a run of the experiment in file `path` (the experiments view's `r`, confirmed):
    /// live, `flightdeck experiment run` as a child process of the cockpit; in a replay, a dry
    /// run on the replay's clock from now, pre-computed, nothing real executed.
    StartExperiment {
        path: String,
        title: String,
        experiment: Box<crate::chaos::Experiment>,
    },
    /// Draw a frame now (the answer to `Msg::Render`, once the view data is fresh).
    Draw,
}
