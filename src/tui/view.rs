//! View data: what the panes list, derived from the cockpit once per change rather than on
//! every frame and every key. The cluster filter scans every member's labels, and the approvals
//! queue ranks every suggestion by its cluster; both are made here, keyed on the cockpit's
//! [`revision`](crate::cockpit::Cockpit::revision) and the filter in force, and the panes draw
//! from this owned snapshot. Made by [`crate::tui::refresh`] (before a frame) and at the start
//! of `update` (before a key); a pane that finds it stale (a test that moved the cockpit on
//! without a refresh) computes the answer directly, so a stale snapshot is never shown.

use std::collections::HashMap;

use crate::cockpit::{Cockpit, SuggestionId, SuggestionStatus};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewData {
    /// The cockpit revision and the filter this was made for.
    made_for: Option<(u64, String)>,
    /// Indices into `Cockpit::clusters()` of the clusters the filter lets through (empty
    /// without a filter: the list is then the correlator's own).
    shown: Vec<usize>,
    /// Indices into `Cockpit::suggestions()`: the waiting steps in queue order, then the
    /// decided ones, newest first.
    listed: Vec<usize>,
    /// How many of `listed` are waiting.
    waiting: usize,
    /// Steps made obsolete (counted, not listed).
    obsolete: usize,
}

impl ViewData {
    /// Made from `view` with `filter` in force.
    pub fn make(view: &Cockpit, filter: &str) -> ViewData {
        let shown = if filter.is_empty() {
            Vec::new()
        } else {
            view.clusters()
                .iter()
                .enumerate()
                .filter(|(_, c)| super::panes::clusters::matches_filter(view, c, filter))
                .map(|(i, _)| i)
                .collect()
        };
        let index: HashMap<SuggestionId, usize> = view
            .suggestions()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let mut listed: Vec<usize> = view
            .approval_queue()
            .iter()
            .filter_map(|s| index.get(&s.id).copied())
            .collect();
        let waiting = listed.len();
        listed.extend(
            super::panes::approvals::done(view)
                .iter()
                .filter_map(|s| index.get(&s.id).copied()),
        );
        let obsolete = view
            .suggestions()
            .iter()
            .filter(|s| matches!(s.status, SuggestionStatus::Obsolete { .. }))
            .count();
        ViewData {
            made_for: Some((view.revision(), filter.to_string())),
            shown,
            listed,
            waiting,
            obsolete,
        }
    }

    /// Was this made for the cockpit as it is and this filter?
    pub fn fresh(&self, view: &Cockpit, filter: &str) -> bool {
        self.made_for
            .as_ref()
            .is_some_and(|(rev, f)| *rev == view.revision() && f == filter)
    }

    /// The indices of the clusters the filter lets through (with a filter in force).
    pub fn shown(&self) -> &[usize] {
        &self.shown
    }

    /// The approvals pane's list as indices into `Cockpit::suggestions()`, and how many of
    /// them are waiting.
    pub fn listed(&self) -> (&[usize], usize) {
        (&self.listed, self.waiting)
    }

    pub fn obsolete(&self) -> usize {
        self.obsolete
    }
}

/// Remakes the view data if the cockpit or the filter moved (cheap otherwise).
pub fn refresh(app: &mut super::App, view: &Cockpit) {
    let filter = app.live_filter();
    if !app.view.fresh(view, filter) {
        app.view = ViewData::make(view, filter);
    }
}
