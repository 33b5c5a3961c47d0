//! What a key (or a palette entry) asks the UI to do. Bindable actions are serde `snake_case`
//! names so a config file can bind them; internal ones are `#[serde(skip)]` so nobody can.

use serde::{Deserialize, Serialize};

use super::app::Pane;
use super::keymap::Key;
use super::line_input::LineEdit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Focus the next pane (Tab).
    FocusNext,
    /// Focus the previous pane (Shift-Tab).
    FocusPrev,
    /// Jump to a pane (`1`–`5`).
    FocusPane(Pane),
    /// Show the focused pane full screen, header and footer kept; again (or Esc) returns
    /// to the layout (`z`).
    Zoom,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selection (Enter); in an overlay, apply it.
    Open,
    /// Close the overlay, clear the filter, or step back to the clusters list (Esc).
    Back,
    Help,
    Palette,
    Filter,
    Quit,
    /// Suspend to the shell, the terminal restored (Ctrl-Z; `fg` resumes). Works whatever is
    /// open, as in any terminal program.
    Suspend,
    /// Replay: pause or resume the virtual clock.
    Pause,
    /// Replay: next speed step (1× … 600×).
    SpeedUp,
    SpeedDown,
    /// Replay: jump five minutes back.
    SeekBack,
    SeekForward,

    /// The approvals pane lists only the focused cluster's steps, or (again) every step (`c`).
    ApprovalsClusterOnly,
    /// The clusters list's next order: severity, start, size, name (`S`).
    SortClusters,

    /// Copy the step's command line to the clipboard (OSC 52) (`y`).
    CopyCommand,
    /// Copy the step's argv, one element a line (`Y`).
    CopyArgv,
    /// Open the alert's `runbook_url` in the browser (`o`).
    OpenRunbook,
    /// Open the alert's Prometheus graph, its `generatorURL` (`p`).
    OpenGraph,
    /// Open the Alertmanager's page of the alert (`A`, live).
    OpenAlertmanager,

    /// Remaining error budget of every SLO over its window, as a chart (`b`).
    BudgetChart,

    /// Approve the selected step: opens a confirmation that shows the exact argv (`a`).
    Approve,
    /// Reject the selected step with a written reason (`r`).
    Reject,
    /// Edit the selected step's argv into a new, novel step (`e`).
    EditArgv,
    /// Record the selected step as done by hand, outside flightdeck: what was done and what
    /// happened (`m`). What the policy asks for a step it refuses.
    DoneByHand,
    /// Write a note or a hypothesis into the journal (`n`).
    Note,
    /// Commander: acknowledge the drift signal, after a confirmation (`D`).
    AcknowledgeDrift,
    /// Commander: override the governor's mode for an hour, or end the override, with a
    /// written reason (`O`).
    OverrideMode,
    /// Propose an Alertmanager silence for the focused cluster (`s`).
    Silence,
    /// Replay: the debrief, the scorecard against the responders' decisions (`R`).
    Debrief,
    /// Alerts that are probably noise, with the evidence (`N`).
    StaleAlerts,
    /// The chaos experiments: may each start and why, what is left to spend, a run's guard
    /// (`x`).
    Experiments,
    /// In the experiments view: ask a running experiment's guard to halt it (`H` there).
    #[serde(skip)]
    HaltExperiment,
    /// In the experiments view: start a run of the selected experiment (`r` there).
    #[serde(skip)]
    StartExperiment,
    /// Every message of this session, in full (`M`, `:messages`).
    Messages,
    /// Search all runbooks and postmortems (`/` in the knowledge pane, `K`).
    SearchKnowledge,
    /// In a confirmation: yes, send the decision (`y`, Enter).
    Confirm,
    /// In a text editor: send what is written (Ctrl-S).
    Submit,
    /// In the note editor: switch between note and hypothesis (Tab).
    ToggleHypothesis,
    /// In the override editor: the next mode to hold, or ending the override in force (Tab).
    CycleOverrideMode,

    /// A keystroke for the text input of the open overlay.
    #[serde(skip)]
    Edit(LineEdit),
    /// A keystroke for the multi-line text editor of the open overlay.
    #[serde(skip)]
    Type(Key),
    /// The terminal changed size; paging uses the height.
    #[serde(skip)]
    Resize {
        width: u16,
        height: u16,
    },
}

impl Action {
    /// Does the action mean something in this cockpit? The replay controls (pause, speed, seek,
    /// the debrief) do not live, where the cockpit runs on the wall clock.
    pub fn in_force(self, mode: super::app::CockpitMode) -> bool {
        mode != super::app::CockpitMode::Live || self.section() != Section::Replay
    }

    /// The heading the help overlay lists the action under.
    pub fn section(self) -> Section {
        match self {
            Action::FocusNext
            | Action::FocusPrev
            | Action::FocusPane(_)
            | Action::Zoom
            | Action::ApprovalsClusterOnly
            | Action::SortClusters => Section::Panes,
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Open
            | Action::Back => Section::Move,
            Action::Help
            | Action::Palette
            | Action::Filter
            | Action::BudgetChart
            | Action::StaleAlerts
            | Action::Experiments
            | Action::Messages
            | Action::SearchKnowledge
            | Action::Suspend
            | Action::Quit => Section::General,
            Action::Pause
            | Action::SpeedUp
            | Action::SpeedDown
            | Action::SeekBack
            | Action::SeekForward
            | Action::Debrief => Section::Replay,
            Action::Approve
            | Action::Reject
            | Action::EditArgv
            | Action::DoneByHand
            | Action::Note
            | Action::Silence
            | Action::AcknowledgeDrift
            | Action::OverrideMode => Section::Decide,
            Action::Confirm
            | Action::Submit
            | Action::ToggleHypothesis
            | Action::CycleOverrideMode => Section::Dialog,
            Action::CopyCommand
            | Action::CopyArgv
            | Action::OpenRunbook
            | Action::OpenGraph
            | Action::OpenAlertmanager => Section::Share,
            Action::Edit(_)
            | Action::Type(_)
            | Action::Resize { .. }
            | Action::HaltExperiment
            | Action::StartExperiment => Section::Internal,
        }
    }
}

/// Help overlay headings, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    General,
    Panes,
    Move,
    Replay,
    /// Decisions that end up in the journal.
    Decide,
    /// Copy to the clipboard, open in the browser.
    Share,
    /// Keys that only mean something inside a confirmation or a text editor.
    Dialog,
    Internal,
}

impl Section {
    pub const SHOWN: [Section; 6] = [
        Section::General,
        Section::Panes,
        Section::Move,
        Section::Decide,
        Section::Share,
        Section::Replay,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::General => "General",
            Section::Panes => "Panes",
            Section::Move => "Move",
            Section::Replay => "Replay",
            Section::Decide => "Decide (written to the journal)",
            Section::Share => "Copy and open",
            Section::Dialog => "Dialogs",
            Section::Internal => "Internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindable_actions_use_snake_case_names() {
        assert_eq!(
            serde_json::to_string(&Action::SpeedUp).unwrap(),
            "\"speed_up\""
        );
        let focus: Action = serde_json::from_str(r#"{"focus_pane":"approvals"}"#).unwrap();
        assert_eq!(focus, Action::FocusPane(Pane::Approvals));
        assert!(serde_json::from_str::<Action>("\"edit\"").is_err());
        assert!(serde_json::from_str::<Action>("\"type\"").is_err());
        let edit: Action = serde_json::from_str("\"edit_argv\"").unwrap();
        assert_eq!(edit, Action::EditArgv);
    }
}
