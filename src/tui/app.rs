//! The UI state: which pane has focus, each pane's cursor, the open overlay, the active filter,
//! a transient status message, and the replay status the runtime reports. Domain state is not
//! here: it lives in the `Cockpit`, which the UI only reads.

use serde::{Deserialize, Serialize};

use super::keymap::Keymap;
use super::line_input::LineInput;
use super::panes::{
    approvals::ApprovalsPane, clusters::ClustersPane, detail::DetailPane, journal::JournalPane,
    knowledge::KnowledgePane,
};
use super::text_input::TextInput;
use crate::alerts::{ClusterId, Fingerprint};
use crate::cockpit::SuggestionId;
use crate::knowledge::DocRef;
use crate::time::Timestamp;

/// The five panes, in Tab order; `1`–`5` jump to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    Clusters,
    Detail,
    Knowledge,
    Approvals,
    Journal,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Clusters,
        Pane::Detail,
        Pane::Knowledge,
        Pane::Approvals,
        Pane::Journal,
    ];

    /// 1-based, as the jump keys and pane titles show it.
    pub fn number(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Clusters => "Clusters",
            Pane::Detail => "Detail",
            Pane::Knowledge => "Knowledge",
            Pane::Approvals => "Approvals",
            Pane::Journal => "Journal",
        }
    }

    pub fn next(self) -> Pane {
        Pane::ALL[self.number() % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        Pane::ALL[(self.number() + Pane::ALL.len() - 2) % Pane::ALL.len()]
    }
}

/// What covers the panes, if anything. One at a time, so an enum rather than flags.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Overlay {
    #[default]
    None,
    /// The key table, scrolled by `scroll` rows.
    Help { scroll: usize },
    /// The remaining-budget chart of every SLO.
    BudgetChart,
    /// Run an action by name: `input` narrows the list, `selected` indexes the narrowed list.
    Palette { input: LineInput, selected: usize },
    /// Edit the cluster filter; the list narrows live, Enter keeps it, Esc restores the old one.
    Filter { input: LineInput },
    /// Search every runbook and postmortem; Enter reads the chosen one.
    Search(Box<super::overlays::search::Search>),
    /// Something to read, scrolled by `scroll` lines: a step, a document, a record, an alert.
    Read { page: Page, scroll: usize },
    /// A decision shown in full before it is sent (gitui's confirm → confirmed): `y` turns it
    /// into `Command::Decide`, Esc drops it; j/k scroll a long argv.
    Confirm { what: Confirm, scroll: usize },
    /// A decision that needs words: the editor has the keyboard until Ctrl-S, Enter or Esc.
    Write { draft: Draft, input: TextInput },
    /// The chaos experiments: may each start, what is left to spend, a run's guard (`x`).
    Experiments(Box<super::overlays::experiment::View>),
    /// A page of text made when asked for (the debrief, the stale alert candidates).
    Report {
        report: Box<super::overlays::report::Report>,
        scroll: usize,
    },
}

/// What a reading overlay shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// A suggested step in full; `a`, `r`, `e` decide about it from here.
    Step(SuggestionId),
    /// A runbook or postmortem, Markdown rendered.
    Document(DocRef),
    /// A journal record by sequence number.
    Record(u64),
    Alert(Fingerprint),
    /// What an executed step printed (the output viewer).
    Output(super::overlays::output::OutputOf),
}

/// A decision waiting for its confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Approve(SuggestionId),
    AcknowledgeDrift,
}

/// What the text being written becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draft {
    /// The reason for rejecting a step (required).
    Reject(SuggestionId),
    /// A step's argv, one element per line: becomes a new, novel step.
    EditArgv(SuggestionId),
    /// The commander's override of the governor's mode: the mode to hold for an hour (`None`:
    /// end the override in force); the text is the reason (required).
    Override(Option<crate::slo::Mode>),
    /// What was done by hand instead of running a step, and what happened (required).
    Manual(SuggestionId),
    /// A journal entry; Tab switches the kind. It is about the cluster that had the focus when
    /// the editor opened, if any.
    Note(NoteKind, Option<ClusterId>),
    /// An Alertmanager silence for a cluster: matchers, `--duration=`, `--comment=`, one per
    /// line. Sent, it becomes a proposed step in the approvals queue.
    Silence(ClusterId),
}

pub use crate::cockpit::NoteKind;

/// Which cockpit this is: live, a replay, or a trainee's drill. The keys in force differ (live
/// has no replay controls), and help, the palette and the key hints show only those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CockpitMode {
    Live,
    Replay,
    /// A replay played by a trainee (`--role trainee`): the debrief is the point.
    Drill,
}

impl CockpitMode {
    /// The mode of a cockpit: replaying when the runtime reports a replay clock, a drill when
    /// the person is a trainee.
    pub fn of(app: &App, view: &crate::cockpit::Cockpit) -> CockpitMode {
        match app.replay {
            None => CockpitMode::Live,
            Some(_) if view.config().role == crate::actions::Role::Trainee => CockpitMode::Drill,
            Some(_) => CockpitMode::Replay,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CockpitMode::Live => "live",
            CockpitMode::Replay => "replay",
            CockpitMode::Drill => "drill (trainee)",
        }
    }
}

/// Replay progress, set by the runtime (absent live).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayStatus {
    /// Virtual seconds per wall second.
    pub speed: f64,
    pub paused: bool,
    /// When the scenario's timeline ends.
    pub ends_at: Timestamp,
    /// The timeline has been played to its end.
    pub finished: bool,
    /// Where the replay's clock stands (the header's time): it stops while paused, whatever is
    /// open. The cockpit's own `now` is the last event it applied (budgets run on a 10-second
    /// grid), so showing that would make a paused clock jump when a decision lands.
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// How many messages the log keeps.
pub const MESSAGES: usize = 500;

/// A message in the status bar (wrapped, never cut), gone with the next key; the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub level: Level,
    pub text: String,
}

/// Everything the UI remembers between frames.
#[derive(Debug, Clone)]
pub struct App {
    pub keymap: Keymap,
    pub focus: Pane,
    pub overlay: Overlay,
    /// The filter in force on the clusters list (empty: none).
    pub filter: String,
    pub clusters: ClustersPane,
    pub detail: DetailPane,
    pub knowledge: KnowledgePane,
    pub approvals: ApprovalsPane,
    pub journal: JournalPane,
    pub status: Option<StatusMessage>,
    /// Every message of this session, oldest first (`M` shows them; the newest [`MESSAGES`]).
    pub messages: std::collections::VecDeque<StatusMessage>,
    /// `None` live; the runtime keeps it current in replay.
    pub replay: Option<ReplayStatus>,
    /// Terminal size as last reported, for paging.
    pub size: (u16, u16),
    /// What the open silence form would propose (or why it cannot yet), made when the form
    /// changes so that drawing does not scan every alert.
    pub silence_preview:
        Option<Result<crate::cockpit::SilencePreview, crate::actions::SilenceError>>,
    /// The cockpit revision the preview was made at ([`crate::tui::refresh`] remakes it when
    /// alerts, mode or knowledge moved on while the form is open).
    pub silence_preview_at: u64,
    /// Step output the runtime loaded for the output viewer (the UI reads no files).
    pub outputs: super::overlays::output::OutputCache,
    /// What the panes list, made once per cockpit revision and filter ([`super::view`]).
    pub view: super::view::ViewData,
    /// The focused pane fills the body (`z`); header and footer stay.
    pub zoomed: bool,
    /// Mode changes and new critical clusters: the bell and the header's flash.
    pub attention: super::attention::Attention,
    /// `q` or Ctrl-C asked to quit while something would be lost (a half-written form, a
    /// running step): why, shown in a confirmation over whatever is open. `y` quits; any other
    /// key closes it and leaves everything as it was.
    pub quit_asked: Option<String>,
    /// The experiment files and the journal's experiment records (`x`), given by the edge.
    pub experiments: super::overlays::experiment::Catalog,
    /// The Alertmanager's URL (live, `[alertmanager] url`): `A` opens its page of an alert.
    pub alertmanager: Option<String>,
    /// What steps printed when the responders ran them, by `runbook/step` (a drill's scenario,
    /// `outputs:`): the output viewer shows it for a dry run of that step.
    pub recorded: std::collections::BTreeMap<String, String>,
}

impl Default for App {
    fn default() -> Self {
        App::new(Keymap::default())
    }
}

impl App {
    pub fn new(keymap: Keymap) -> Self {
        App {
            keymap,
            focus: Pane::Clusters,
            overlay: Overlay::None,
            filter: String::new(),
            clusters: ClustersPane::default(),
            detail: DetailPane::default(),
            knowledge: KnowledgePane::default(),
            approvals: ApprovalsPane::default(),
            journal: JournalPane::default(),
            status: None,
            messages: Default::default(),
            replay: None,
            size: (100, 30),
            silence_preview: None,
            silence_preview_at: 0,
            outputs: Default::default(),
            view: Default::default(),
            zoomed: false,
            attention: super::attention::Attention::new(super::theme::bell()),
            quit_asked: None,
            experiments: Default::default(),
            alertmanager: None,
            recorded: Default::default(),
        }
    }

    /// The filter the clusters list shows: the one being typed while the filter prompt is open,
    /// so the list narrows as you type.
    pub fn live_filter(&self) -> &str {
        match &self.overlay {
            Overlay::Filter { input } => input.text().trim(),
            _ => self.filter.trim(),
        }
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.say(Level::Info, text.into());
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.say(Level::Warn, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.say(Level::Error, text.into());
    }

    /// Shows `text` in the status bar and keeps it in the message log.
    pub(crate) fn say(&mut self, level: Level, text: String) {
        let message = StatusMessage { level, text };
        if self.messages.len() == MESSAGES {
            self.messages.pop_front();
        }
        self.messages.push_back(message.clone());
        self.status = Some(message);
    }

    /// Live or replaying, as far as the keys in force go (a drill has a replay's keys).
    pub fn keys_mode(&self) -> CockpitMode {
        if self.replay.is_some() {
            CockpitMode::Replay
        } else {
            CockpitMode::Live
        }
    }

    /// Rows a page-up/down moves: about a third of the screen, at least five.
    pub fn page_rows(&self) -> usize {
        usize::from(self.size.1 / 3).max(5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_cycle_both_ways() {
        assert_eq!(Pane::Journal.next(), Pane::Clusters);
        assert_eq!(Pane::Clusters.prev(), Pane::Journal);
        assert_eq!(Pane::Detail.prev(), Pane::Clusters);
        assert_eq!(Pane::ALL.map(Pane::number), [1, 2, 3, 4, 5]);
    }
}
