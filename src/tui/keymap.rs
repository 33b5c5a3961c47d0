//! The one table of key bindings. It drives input (`handle_key`), the `?` help overlay, the
//! status-line hints and the command palette, so what the screen documents is what the keys do.
//! Key names parse from text (`ctrl-c`, `shift-tab`, `G`) so a config file can rebind them later.

use crossterm::event::{KeyCode, KeyModifiers};

use super::action::Action;
use super::app::{Draft, Pane};
pub use super::key::{Key, UnknownKey};
use super::line_input::LineEdit;

/// Where a binding applies. A pane binding wins over a global one while that pane has focus;
/// while a prompt (palette, filter) is open only prompt bindings apply and other printable
/// keys are typed into it; a text editor (reason, argv, note) likewise takes every key its
/// bindings do not claim; a confirmation knows only its own keys. The note and the override
/// editor each add their own bindings to the editor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Pane(Pane),
    Prompt,
    Editor,
    NoteEditor,
    OverrideEditor,
    Confirm,
}

impl Context {
    /// The editor contexts: every editor's, and one editor's own.
    pub fn is_editor(self) -> bool {
        matches!(
            self,
            Context::Editor | Context::NoteEditor | Context::OverrideEditor
        )
    }

    fn overlaps(self, other: Context) -> bool {
        let modal = |c: Context| c.is_editor() || matches!(c, Context::Prompt | Context::Confirm);
        match (self, other) {
            (a, b) if a.is_editor() && b.is_editor() => {
                a == b || a == Context::Editor || b == Context::Editor
            }
            (a, b) if modal(a) || modal(b) => a == b,
            (Context::Global, _) | (_, Context::Global) => true,
            (a, b) => a == b,
        }
    }
}

/// One row of the table: the keys, what they do, and the words that document it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub description: String,
    pub context: Context,
}

/// The default table: `(keys, action, description, context)`, as operators know them from k9s,
/// lazygit and vim.
const DEFAULTS: &[(&[&str], Action, &str, Context)] = {
    use Action as A;
    use Context::{Confirm as C, Editor as T, Global as G, Prompt as P};
    use LineEdit as E;
    const APPROVALS: Context = Context::Pane(Pane::Approvals);
    &[
        (&["?"], A::Help, "help: every key, from this table", G),
        (
            &["b"],
            A::BudgetChart,
            "budget chart: remaining error budget over the SLO window",
            G,
        ),
        (
            &["K"],
            A::SearchKnowledge,
            "search all knowledge: fuzzy titles, ranked content",
            G,
        ),
        (
            &["N"],
            A::StaleAlerts,
            "noise: stale alert candidates, with the evidence",
            G,
        ),
        (
            &["x"],
            A::Experiments,
            "experiments: may start and why, budget to spend, guard",
            G,
        ),
        (
            &["M"],
            A::Messages,
            "messages: every message of this session, in full",
            G,
        ),
        (
            &[":"],
            A::Palette,
            "command palette: run any action by name",
            G,
        ),
        (
            &["/"],
            A::Filter,
            "filter clusters (in the knowledge pane: search it)",
            G,
        ),
        (&["q", "ctrl-c"], A::Quit, "quit", G),
        (
            &["ctrl-z"],
            A::Suspend,
            "suspend to the shell (fg resumes)",
            G,
        ),
        (&["tab"], A::FocusNext, "focus the next pane", G),
        (&["shift-tab"], A::FocusPrev, "focus the previous pane", G),
        (&["1"], A::FocusPane(Pane::Clusters), "focus clusters", G),
        (
            &["2"],
            A::FocusPane(Pane::Detail),
            "focus cluster detail",
            G,
        ),
        (
            &["3"],
            A::FocusPane(Pane::Knowledge),
            "focus knowledge: runbooks, postmortems",
            G,
        ),
        (
            &["4"],
            A::FocusPane(Pane::Approvals),
            "focus the approvals queue",
            G,
        ),
        (&["5"], A::FocusPane(Pane::Journal), "focus the journal", G),
        (
            &["z"],
            A::Zoom,
            "zoom: the focused pane full screen (z or Esc returns)",
            G,
        ),
        (
            &["c"],
            A::ApprovalsClusterOnly,
            "approvals: only the focused cluster's steps (or all)",
            G,
        ),
        (
            &["S"],
            A::SortClusters,
            "sort clusters: severity, newest, size, name",
            G,
        ),
        (&["k", "up"], A::Up, "move up", G),
        (&["j", "down"], A::Down, "move down", G),
        (&["pgup", "ctrl-b"], A::PageUp, "page up", G),
        (&["pgdn", "ctrl-f"], A::PageDown, "page down", G),
        (&["g", "home"], A::Top, "go to the top", G),
        (&["G", "end"], A::Bottom, "go to the bottom", G),
        (
            &["enter"],
            A::Open,
            "open the selection; apply in a prompt",
            G,
        ),
        (
            &["esc"],
            A::Back,
            "back: close, cancel, clear the filter",
            G,
        ),
        (&["space"], A::Pause, "replay: pause or resume", G),
        (&["+", "="], A::SpeedUp, "replay: faster (1× … 600×)", G),
        (&["-"], A::SpeedDown, "replay: slower", G),
        (&["["], A::SeekBack, "replay: back 5 minutes", G),
        (&["]"], A::SeekForward, "replay: forward 5 minutes", G),
        (
            &["R"],
            A::Debrief,
            "replay: debrief, your decisions against the responders'",
            G,
        ),
        (
            &["n"],
            A::Note,
            "write a note or hypothesis into the journal",
            G,
        ),
        (
            &["s"],
            A::Silence,
            "silence the focused cluster (approve it like a step)",
            G,
        ),
        (
            &["D"],
            A::AcknowledgeDrift,
            "commander: acknowledge the drift signal (asks first)",
            G,
        ),
        (
            &["O"],
            A::OverrideMode,
            "commander: override the mode for 1h, with a reason",
            G,
        ),
        (
            &["y"],
            A::CopyCommand,
            "copy the step's command line (OSC 52: the terminal's clipboard)",
            G,
        ),
        (
            &["Y"],
            A::CopyArgv,
            "copy the step's argv, one element a line",
            G,
        ),
        (
            &["o"],
            A::OpenRunbook,
            "open the alert's runbook_url (no display: shown and copied)",
            G,
        ),
        (
            &["p"],
            A::OpenGraph,
            "open the alert's Prometheus graph (generatorURL)",
            G,
        ),
        (
            &["A"],
            A::OpenAlertmanager,
            "open the alert's Alertmanager page (live)",
            G,
        ),
        (
            &["enter"],
            A::Open,
            "open the selected alert: every label and annotation",
            Context::Pane(Pane::Detail),
        ),
        (
            &["enter"],
            A::Open,
            "read the runbook or postmortem (j/k scroll, Esc closes)",
            Context::Pane(Pane::Knowledge),
        ),
        (
            &["enter"],
            A::Open,
            "open the step: exact argv, audit, verdict; one that ran: its output",
            APPROVALS,
        ),
        (
            &["a"],
            A::Approve,
            "approve the selected step (shows the argv, asks first)",
            APPROVALS,
        ),
        (
            &["r"],
            A::Reject,
            "reject the selected step, with a written reason",
            APPROVALS,
        ),
        (
            &["e"],
            A::EditArgv,
            "edit the step's argv: the result is a new, novel step",
            APPROVALS,
        ),
        (
            &["m"],
            A::DoneByHand,
            "record the step as done by hand (what, and the result)",
            APPROVALS,
        ),
        (
            &["enter"],
            A::Open,
            "open the record: body, hash, prev; an execution's: Enter again for its output",
            Context::Pane(Pane::Journal),
        ),
        (
            &["enter"],
            A::Open,
            "apply: run the action, keep the filter",
            P,
        ),
        (&["esc"], A::Back, "cancel", P),
        (&["up", "ctrl-p"], A::Up, "previous entry", P),
        (&["down", "ctrl-n"], A::Down, "next entry", P),
        (&["ctrl-c"], A::Quit, "quit", P),
        (
            &["backspace"],
            A::Edit(E::DeleteBack),
            "delete before the cursor",
            P,
        ),
        (
            &["delete"],
            A::Edit(E::DeleteForward),
            "delete under the cursor",
            P,
        ),
        (&["left"], A::Edit(E::Left), "cursor left", P),
        (&["right"], A::Edit(E::Right), "cursor right", P),
        (&["home", "ctrl-a"], A::Edit(E::Home), "cursor to start", P),
        (&["end", "ctrl-e"], A::Edit(E::End), "cursor to end", P),
        (&["ctrl-u"], A::Edit(E::ClearToStart), "delete to start", P),
        (
            &["ctrl-w"],
            A::Edit(E::DeleteWord),
            "delete the word before the cursor",
            P,
        ),
        (&["ctrl-s"], A::Submit, "send it to the journal", T),
        (
            &["enter"],
            A::Open,
            "send (argv editor: a new line, one element per line)",
            T,
        ),
        (
            &["tab"],
            A::ToggleHypothesis,
            "note editor: note ↔ hypothesis",
            Context::NoteEditor,
        ),
        (
            &["tab"],
            A::CycleOverrideMode,
            "override editor: the next mode (or end the override)",
            Context::OverrideEditor,
        ),
        (&["esc"], A::Back, "cancel: nothing is written", T),
        (&["ctrl-c"], A::Quit, "quit", T),
        (
            &["y", "enter"],
            A::Confirm,
            "yes: send the decision to the journal",
            C,
        ),
        (&["n", "esc"], A::Back, "no: cancel", C),
        (&["j", "down"], A::Down, "scroll down (a long argv)", C),
        (&["k", "up"], A::Up, "scroll up", C),
        (&["pgdn"], A::PageDown, "page down", C),
        (&["pgup"], A::PageUp, "page up", C),
        (&["ctrl-c"], A::Quit, "quit", C),
    ]
};

/// The bindings in force, in table order (the order help and the palette show).
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|(keys, action, description, context)| Binding {
                keys: keys
                    .iter()
                    .map(|k| k.parse().unwrap_or_else(|e| panic!("default keymap: {e}")))
                    .collect(),
                action: *action,
                description: (*description).to_owned(),
                context: *context,
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    pub fn new(bindings: Vec<Binding>) -> Self {
        Keymap { bindings }
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action a key means while `focus` has focus: a binding for that pane first, then a
    /// global one.
    pub fn action_for(&self, key: Key, focus: Pane) -> Option<Action> {
        self.find(key, Context::Pane(focus))
            .or_else(|| self.find(key, Context::Global))
    }

    /// Is `key` the suspend key? It suspends whatever is open (a prompt or an editor does not
    /// take it as text).
    pub fn is_suspend(&self, key: Key) -> bool {
        self.find(key, Context::Global) == Some(Action::Suspend)
    }

    /// The action a key means in the text editor of `draft`: that editor's own binding, then
    /// every editor's, else the key is typed (the editor handles its own cursor keys, Backspace
    /// and the like) unless another editor binds it (Tab types nothing in a reason).
    pub fn editor_action_for(&self, key: Key, draft: Draft) -> Option<Action> {
        let own = match draft {
            Draft::Note(..) => Some(Context::NoteEditor),
            Draft::Override(_) => Some(Context::OverrideEditor),
            Draft::Reject(_) | Draft::EditArgv(_) | Draft::Manual(_) | Draft::Silence(_) => None,
        };
        if let Some(action) = own
            .and_then(|c| self.find(key, c))
            .or_else(|| self.find(key, Context::Editor))
        {
            return Some(action);
        }
        let elsewhere = self
            .bindings
            .iter()
            .any(|b| b.context.is_editor() && b.keys.contains(&key));
        (!elsewhere).then_some(Action::Type(key))
    }

    /// The action a key means in a confirmation: only its own bindings.
    pub fn confirm_action_for(&self, key: Key) -> Option<Action> {
        self.find(key, Context::Confirm)
    }

    /// The action a key means in a prompt: a prompt binding, else a printable character is
    /// typed.
    pub fn prompt_action_for(&self, key: Key) -> Option<Action> {
        self.find(key, Context::Prompt).or(match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(Action::Edit(LineEdit::Insert(c)))
            }
            _ => None,
        })
    }

    fn find(&self, key: Key, context: Context) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.context == context && b.keys.contains(&key))
            .map(|b| b.action)
    }

    /// The first binding for an action (for hints such as `? help`).
    pub fn binding_for(&self, action: Action) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.action == action)
    }

    /// Keys bound more than once where the contexts overlap: each such key with the actions
    /// competing for it. Empty for a sound keymap. A pane row that repeats a global key for the
    /// same action only says what that action does there, so it competes with nothing.
    pub fn find_duplicates(&self) -> Vec<(Key, Vec<Action>)> {
        let mut seen: Vec<(Key, Context, Action)> = Vec::new();
        let mut duplicates: Vec<(Key, Vec<Action>)> = Vec::new();
        for binding in &self.bindings {
            for &key in &binding.keys {
                for &(k, context, action) in &seen {
                    if k == key && context.overlaps(binding.context) && action != binding.action {
                        match duplicates.iter_mut().find(|(d, _)| *d == key) {
                            Some((_, actions)) => actions.push(binding.action),
                            None => duplicates.push((key, vec![action, binding.action])),
                        }
                    }
                }
                seen.push((key, binding.context, binding.action));
            }
        }
        duplicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    #[test]
    fn default_keymap_has_no_duplicate_bindings() {
        assert_eq!(Keymap::default().find_duplicates(), vec![]);
    }

    #[test]
    fn duplicates_are_found_across_global_and_pane_contexts() {
        let mut keymap = Keymap::default();
        keymap.bindings.push(Binding {
            keys: vec!["j".parse().unwrap()],
            action: Action::Quit,
            description: "oops".into(),
            context: Context::Pane(Pane::Journal),
        });
        let dups = keymap.find_duplicates();
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].1, vec![Action::Down, Action::Quit]);
    }

    #[test]
    fn every_bindable_action_has_a_key() {
        let keymap = Keymap::default();
        let mut actions = vec![
            Action::FocusNext,
            Action::FocusPrev,
            Action::Zoom,
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::Open,
            Action::Back,
            Action::Help,
            Action::Palette,
            Action::Filter,
            Action::Quit,
            Action::Pause,
            Action::SpeedUp,
            Action::SpeedDown,
            Action::SeekBack,
            Action::SeekForward,
            Action::Approve,
            Action::Reject,
            Action::EditArgv,
            Action::DoneByHand,
            Action::Note,
            Action::AcknowledgeDrift,
            Action::OverrideMode,
            Action::Confirm,
            Action::Submit,
            Action::ToggleHypothesis,
            Action::CycleOverrideMode,
            Action::ApprovalsClusterOnly,
            Action::SortClusters,
            Action::CopyCommand,
            Action::CopyArgv,
            Action::OpenRunbook,
            Action::OpenGraph,
            Action::OpenAlertmanager,
        ];
        actions.extend(Pane::ALL.map(Action::FocusPane));
        for action in actions {
            assert!(
                keymap.binding_for(action).is_some(),
                "{action:?} has no key"
            );
        }
    }

    #[test]
    fn terminal_variants_of_a_key_match_the_same_row() {
        let keymap = Keymap::default();
        let ev = |code, mods| Key::from_event(&KeyEvent::new(code, mods));
        let shift = KeyModifiers::SHIFT;
        let focus = Pane::Clusters;
        assert_eq!(
            keymap.action_for(ev(KeyCode::Char('G'), shift), focus),
            Some(Action::Bottom)
        );
        assert_eq!(
            keymap.action_for(ev(KeyCode::Char('?'), shift), focus),
            Some(Action::Help)
        );
        assert_eq!(
            keymap.action_for(ev(KeyCode::BackTab, shift), focus),
            Some(Action::FocusPrev)
        );
        assert_eq!(
            keymap.action_for(ev(KeyCode::Tab, shift), focus),
            Some(Action::FocusPrev)
        );
        assert_eq!(
            keymap.action_for(ev(KeyCode::Char('c'), KeyModifiers::CONTROL), focus),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.action_for(ev(KeyCode::Char('X'), KeyModifiers::NONE), focus),
            None
        );
    }

    #[test]
    fn prompts_type_printable_keys_and_keep_their_own_bindings() {
        let keymap = Keymap::default();
        let key = |s: &str| s.parse::<Key>().unwrap();
        assert_eq!(
            keymap.prompt_action_for(key("q")),
            Some(Action::Edit(LineEdit::Insert('q')))
        );
        assert_eq!(
            keymap.prompt_action_for(key("G")),
            Some(Action::Edit(LineEdit::Insert('G')))
        );
        assert_eq!(keymap.prompt_action_for(key("esc")), Some(Action::Back));
        assert_eq!(keymap.prompt_action_for(key("ctrl-c")), Some(Action::Quit));
        assert_eq!(keymap.prompt_action_for(key("ctrl-x")), None);
        assert_eq!(keymap.prompt_action_for(key("tab")), None);
    }

    #[test]
    fn editors_type_every_key_they_do_not_bind_and_confirmations_nothing_else() {
        let keymap = Keymap::default();
        let key = |s: &str| s.parse::<Key>().unwrap();
        let note = Draft::Note(crate::cockpit::NoteKind::Note, None);
        assert_eq!(
            keymap.editor_action_for(key("q"), note),
            Some(Action::Type(key("q")))
        );
        assert_eq!(
            keymap.editor_action_for(key("a"), note),
            Some(Action::Type(key("a")))
        );
        assert_eq!(
            keymap.editor_action_for(key("backspace"), note),
            Some(Action::Type(key("backspace")))
        );
        assert_eq!(
            keymap.editor_action_for(key("ctrl-s"), note),
            Some(Action::Submit)
        );
        assert_eq!(
            keymap.editor_action_for(key("esc"), note),
            Some(Action::Back)
        );
        assert_eq!(
            keymap.editor_action_for(key("tab"), note),
            Some(Action::ToggleHypothesis)
        );
        // Tab is each editor's own: the override's mode, and nothing (not a tab) in a reason.
        assert_eq!(
            keymap.editor_action_for(key("tab"), Draft::Override(None)),
            Some(Action::CycleOverrideMode)
        );
        assert_eq!(
            keymap.editor_action_for(key("tab"), Draft::Reject(crate::cockpit::SuggestionId(0))),
            None
        );
        assert_eq!(
            keymap.editor_action_for(key("ctrl-s"), Draft::Override(None)),
            Some(Action::Submit)
        );
        assert_eq!(keymap.confirm_action_for(key("y")), Some(Action::Confirm));
        assert_eq!(
            keymap.confirm_action_for(key("enter")),
            Some(Action::Confirm)
        );
        assert_eq!(keymap.confirm_action_for(key("n")), Some(Action::Back));
        assert_eq!(keymap.confirm_action_for(key("a")), None);
    }

    #[test]
    fn decision_keys_belong_to_the_approvals_pane() {
        let keymap = Keymap::default();
        let key = |s: &str| s.parse::<Key>().unwrap();
        assert_eq!(
            keymap.action_for(key("a"), Pane::Approvals),
            Some(Action::Approve)
        );
        assert_eq!(keymap.action_for(key("a"), Pane::Clusters), None);
        assert_eq!(
            keymap.action_for(key("n"), Pane::Clusters),
            Some(Action::Note)
        );
        assert_eq!(
            keymap.action_for(key("D"), Pane::Journal),
            Some(Action::AcknowledgeDrift)
        );
        assert_eq!(
            keymap.action_for(key("enter"), Pane::Journal),
            Some(Action::Open)
        );
    }

    #[test]
    fn keys_print_the_way_help_shows_them() {
        let shown: Vec<String> = ["ctrl-c", "shift-tab", "space", "G", "up", "pgdn", "f1"]
            .iter()
            .map(|k| k.parse::<Key>().unwrap().to_string())
            .collect();
        assert_eq!(
            shown,
            ["Ctrl-C", "Shift-Tab", "Space", "G", "↑", "PgDn", "F1"]
        );
        assert_eq!(
            "hyper-x".parse::<Key>().unwrap_err().to_string(),
            "unknown key \"hyper-x\""
        );
    }
}
