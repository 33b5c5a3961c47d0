//! Suggested actions: the steps of the runbooks that best match a cluster, each filled only
//! from an alert of that cluster the step's runbook covers (its `alerts:`, its `services:`, a
//! `runbook_url` pointing at it), with the policy verdict of this moment.
//!
//! Matching by content decides which runbooks are offered; it never decides whom a step acts
//! on. Covered alerts that give a step different values (three pods) give one suggestion per
//! distinct set of values, never a silent pick. A step whose runbook covers no alert of the
//! cluster yet waits with "no target yet" and cannot be approved; the first covered alert that
//! arrives fills it. Adding an alert costs what its runbooks cover: [`Targets`] indexes the
//! covered alerts per runbook as they arrive, so nothing scans a cluster's members.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Cockpit;
use crate::actions::{
    Approval, Filled, Overlays, Role, Step, StepClass, StepRef, Verdict, policy_with_headroom,
};
use crate::alerts::{ClusterId, Fingerprint};
use crate::knowledge::DocRef;
use crate::slo::Mode;
pub(super) use coverage::Targets;

mod coverage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SuggestionId(pub u32);

impl std::fmt::Display for SuggestionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SuggestionStatus {
    Pending,
    /// Approved enough and handed to the executor; waiting for the result.
    Running,
    Rejected {
        by: String,
        reason: String,
    },
    Executed {
        by: String,
        outcome: Option<String>,
        dry_run: bool,
        ok: bool,
        /// The seq of the execution record.
        record: u64,
        /// Where its captured output is kept (real runs only).
        output: Option<super::StepOutput>,
    },
    /// Somebody did it by hand, outside flightdeck, and recorded what they did.
    DoneByHand {
        by: String,
        what: String,
    },
    /// It waited while its cluster stopped firing (`reason`: "C3 resolved at 15:09"): it can no
    /// longer be approved. If the cluster fires again its steps are offered again, as new
    /// suggestions.
    Obsolete {
        reason: String,
    },
}

/// A runbook step offered for an incident, waiting for a human decision.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: SuggestionId,
    /// The alert whose labels filled the placeholders (one its runbook covers); its cluster is
    /// the suggestion's cluster. Without a target yet, a member that only places the step in
    /// its cluster.
    #[serde(serialize_with = "ser_display")]
    pub source: Fingerprint,
    /// `false`: no alert the runbook covers has filled the step yet ("no target yet"; `argv`
    /// says why); it cannot be approved until one does.
    pub targeted: bool,
    /// The values that went into the argv (`labels.pod` → `checkout-7d9f-x2k4p`): what tells
    /// suggestions of one step apart.
    pub values: BTreeMap<String, String>,
    pub runbook: String,
    pub step: Step,
    pub step_ref: StepRef,
    /// The exact argv that would run, or why it cannot be built.
    pub argv: Result<Vec<String>, String>,
    pub approvals: Vec<Approval>,
    /// Hashes of the journal records of those approvals.
    pub approval_records: Vec<String>,
    /// Approvals voided while the step waited (the mode tightened past the one they were given
    /// in): they stay void when the mode loosens again, and their approvers may approve anew.
    pub void_approvals: Vec<Approval>,
    /// Hashes of the journal records of the void approvals.
    pub void_records: Vec<String>,
    /// The hash of the latest approval this cockpit journaled for the step: the cockpit that
    /// starts it if the mode loosens until its approvals suffice.
    #[serde(skip)]
    pub approved_here: Option<String>,
    pub verdict: Verdict,
    pub status: SuggestionStatus,
}

impl Suggestion {
    /// What identifies this suggestion across cockpits sharing a journal: the step and the
    /// exact argv (an approval binds to both).
    pub fn key(&self) -> (StepRef, Option<String>) {
        (
            self.step_ref.clone(),
            self.argv.as_ref().ok().map(|a| argv_hash(a)),
        )
    }
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// How a new suggestion gets its argv.
pub(super) enum Fill {
    /// From a covered alert.
    From(Filled),
    /// As given: an edited step, a proposed silence, a step another cockpit journaled.
    Given(Vec<String>),
    /// No covered alert gives it one yet: why.
    Waiting(String),
}

/// BLAKE3 of the argv as a JSON array: what an approval and an execution record bind to.
pub fn argv_hash(argv: &[String]) -> String {
    let bytes = serde_json::to_vec(argv).unwrap_or_default();
    blake3::hash(&bytes).to_hex().to_string()
}

impl Cockpit {
    pub fn suggestions(&self) -> &[Suggestion] {
        &self.suggestions
    }

    pub fn suggestion(&self, id: SuggestionId) -> Option<&Suggestion> {
        self.suggestions.iter().find(|s| s.id == id)
    }

    /// The cluster a suggestion belongs to now (clusters merge as alerts arrive).
    pub fn suggestion_cluster(&self, s: &Suggestion) -> Option<ClusterId> {
        self.correlator.alert(s.source).map(|a| a.cluster)
    }

    /// What waits for a decision: pending suggestions of clusters that still fire, in the
    /// order of the clusters list (most urgent incident first), then in the runbook's order.
    pub fn approval_queue(&self) -> Vec<&Suggestion> {
        let rank: BTreeMap<ClusterId, usize> = self
            .correlator
            .clusters()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.firing > 0)
            .map(|(i, c)| (c.id, i))
            .collect();
        let mut queue: Vec<(usize, &Suggestion)> = self
            .suggestions
            .iter()
            .filter(|s| {
                matches!(
                    s.status,
                    SuggestionStatus::Pending | SuggestionStatus::Running
                )
            })
            .filter_map(|s| {
                let cluster = self.suggestion_cluster(s)?;
                rank.get(&cluster).map(|r| (*r, s))
            })
            .collect();
        queue.sort_by_key(|(rank, s)| (*rank, s.id));
        queue.into_iter().map(|(_, s)| s).collect()
    }

    /// Offers the steps of the runbooks that match a cluster well (the best few, best first),
    /// each filled from the covered alerts of the cluster: once per distinct set of values,
    /// or once without a target while the runbook covers none of them.
    pub(super) fn offer_steps(&mut self, id: ClusterId) {
        let Some(cluster) = self.correlator.cluster(id) else {
            return;
        };
        // Resolved or silenced-only clusters need nobody's decision.
        if cluster.firing == 0 {
            return;
        }
        for r in self.offered_runbooks(id) {
            self.offer_runbook(id, r);
        }
    }

    /// The runbooks whose steps cluster `id` is offered: those that match it well, the best
    /// few, best first.
    pub(super) fn offered_runbooks(&self, id: ClusterId) -> Vec<usize> {
        const RUNBOOKS_OFFERED: usize = 3;
        self.matches(id)
            .iter()
            .filter(|m| m.good)
            .filter_map(|m| match m.doc {
                DocRef::Runbook(i) => Some(i),
                DocRef::Postmortem(_) => None,
            })
            .take(RUNBOOKS_OFFERED)
            .collect()
    }

    /// Suggestions of step `step_ref` in cluster `id` that still count (not obsolete).
    fn live_suggestions(
        &self,
        id: ClusterId,
        step_ref: &StepRef,
    ) -> impl Iterator<Item = usize> + '_ {
        self.targets
            .live(step_ref)
            .iter()
            .copied()
            .filter(move |&i| {
                let s = &self.suggestions[i];
                !matches!(s.status, SuggestionStatus::Obsolete { .. })
                    && self.suggestion_cluster(s) == Some(id)
            })
    }

    fn offer_runbook(&mut self, id: ClusterId, r: usize) {
        // The active alerts of the cluster whose values `r` has not offered yet: an index
        // (`Targets`), so this costs what is open, not every alert `r` ever covered.
        let fresh: Vec<Fingerprint> = self.open_in(id, r).collect();
        // Nothing open, and every step already on offer here: nothing to do (the common case
        // of an alert joining a big incident).
        if fresh.is_empty()
            && (0..self.targets.step_refs(r).len()).all(|k| {
                self.live_suggestions(id, &self.targets.step_refs(r)[k])
                    .next()
                    .is_some()
            })
        {
            return;
        }
        // Obsolete suggestions leave the steps' live lists before they are asked.
        for k in 0..self.targets.step_refs(r).len() {
            let step_ref = self.targets.step_refs(r)[k].clone();
            self.targets.live_of(&step_ref, &self.suggestions);
        }
        // Only a step shown without a target asks for it (rarely): found when asked.
        let first_covered = std::cell::OnceCell::new();
        let runbook = &self.knowledge.runbooks[r];
        // (step, alert, filled) to offer, and steps to show without a target (and why).
        let mut offers: Vec<(usize, Fingerprint, Filled)> = Vec::new();
        let mut waiting: Vec<(usize, String)> = Vec::new();
        // Suggestions rebuilt from the journal that an alert now gives their values.
        let mut valued: Vec<(usize, BTreeMap<String, String>)> = Vec::new();
        // Steps waiting for a target that now wait for another reason.
        let mut reasons: Vec<(usize, String)> = Vec::new();
        for (k, step) in runbook.steps.iter().enumerate() {
            let step_ref = &self.targets.step_refs(r)[k];
            let existing: Vec<usize> = self.live_suggestions(id, step_ref).collect();
            let mut why: Option<String> = None;
            for fp in &fresh {
                let Some(t) = self.correlator.alert(*fp) else {
                    continue;
                };
                match step.fill(&t.alert.labels, &t.alert.annotations) {
                    Ok(f) => {
                        // Known here already: offered before, or rebuilt from a decision in
                        // the journal (by step and exact argv; its values come with the alert).
                        let same = existing.iter().copied().find(|&i| {
                            let s = &self.suggestions[i];
                            s.targeted
                                && (s.values == f.values || s.argv.as_ref().ok() == Some(&f.argv))
                        });
                        if let Some(i) = same {
                            if self.suggestions[i].values.is_empty() {
                                valued.push((i, f.values.clone()));
                            }
                        } else if !offers
                            .iter()
                            .any(|(j, _, o)| *j == k && o.values == f.values)
                        {
                            offers.push((k, *fp, f));
                        }
                    }
                    Err(e) => {
                        why.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            // A step still waiting for a target says why in the newest words: an alert its
            // runbook covers arrived, and cannot fill it.
            if let Some(why) = &why
                && !offers.iter().any(|(j, _, _)| *j == k)
            {
                for &i in &existing {
                    if !self.suggestions[i].targeted {
                        reasons.push((i, format!("no target yet: {why}")));
                    }
                }
            }
            if existing.is_empty() && !offers.iter().any(|(j, _, _)| *j == k) {
                let why = why
                    .or_else(|| {
                        let first = *first_covered.get_or_init(|| self.covered_in(id, r).next());
                        let t = self.correlator.alert(first?)?;
                        step.fill(&t.alert.labels, &t.alert.annotations)
                            .err()
                            .map(|e| e.to_string())
                    })
                    // (Not the cluster's name: it may change as the incident grows, and the
                    // step is shown in its cluster.)
                    .unwrap_or_else(|| {
                        format!(
                            "no alert of this incident is one {} covers (by its alerts:, its services: or a runbook_url)",
                            runbook.id
                        )
                    });
                waiting.push((k, why));
            }
        }
        for fp in fresh {
            self.targets.fill(fp, r);
        }
        for (i, values) in valued {
            self.suggestions[i].values = values;
        }
        for (i, why) in reasons {
            self.suggestions[i].argv = Err(why);
        }
        if offers.is_empty() && waiting.is_empty() {
            return;
        }
        let runbook_id = runbook.id.clone();
        let steps = runbook.steps.clone();
        for (k, source, filled) in offers {
            let step = &steps[k];
            let step_ref = StepRef::new(&runbook_id, &step.id);
            // The first target of a step that waited for one fills it, under its id.
            let untargeted = self.live_suggestions(id, &step_ref).find(|&i| {
                !self.suggestions[i].targeted
                    && self.suggestions[i].status == SuggestionStatus::Pending
            });
            match untargeted {
                Some(i) => {
                    let s = &mut self.suggestions[i];
                    s.source = source;
                    self.targets.by_source.entry(source).or_default().push(i);
                    s.targeted = true;
                    s.argv = Ok(filled.argv);
                    s.values = filled.values;
                    self.refresh_verdict(i);
                }
                None => {
                    self.push_suggestion(source, &runbook_id, step.clone(), Fill::From(filled));
                }
            }
        }
        if waiting.is_empty() {
            return;
        }
        // Without a target the step still belongs to its cluster: a member places it there.
        let Some(place) = self.correlator.cluster(id).and_then(|c| {
            c.origin
                .as_ref()
                .map(|o| o.fingerprint)
                .or_else(|| c.members.first().copied())
        }) else {
            return;
        };
        for (k, why) in waiting {
            self.push_suggestion(place, &runbook_id, steps[k].clone(), Fill::Waiting(why));
        }
    }

    /// Adds a suggestion with its argv filled, given, or waiting for a target.
    pub(super) fn push_suggestion(
        &mut self,
        source: Fingerprint,
        runbook: &str,
        step: Step,
        fill: Fill,
    ) -> usize {
        let (targeted, argv, values) = match fill {
            Fill::From(f) => (true, Ok(f.argv), f.values),
            Fill::Given(argv) => (true, Ok(argv), BTreeMap::new()),
            Fill::Waiting(why) => (false, Err(format!("no target yet: {why}")), BTreeMap::new()),
        };
        let id = SuggestionId(self.suggestions.len() as u32 + 1);
        let step_ref = StepRef::new(runbook, &step.id);
        self.targets
            .by_source
            .entry(source)
            .or_default()
            .push(self.suggestions.len());
        self.targets
            .add_suggestion(&step_ref, self.suggestions.len());
        self.suggestions.push(Suggestion {
            id,
            source,
            targeted,
            values,
            runbook: runbook.to_string(),
            step_ref,
            step,
            argv,
            approvals: Vec::new(),
            approval_records: Vec::new(),
            void_approvals: Vec::new(),
            void_records: Vec::new(),
            approved_here: None,
            verdict: Verdict::NeedsApproval {
                missing: String::new(),
            },
            status: SuggestionStatus::Pending,
        });
        let i = self.suggestions.len() - 1;
        self.refresh_verdict(i);
        i
    }

    /// Finds the suggestion a decision is about by step and argv; for a step that was never
    /// offered here, creates it from the runbook, filled from a covered alert of a firing
    /// cluster (with that argv, when one is given). `None` when no covered alert gives it.
    pub(super) fn find_or_offer(
        &mut self,
        step_ref: &StepRef,
        argv: Option<&[String]>,
    ) -> Option<usize> {
        let matches = |s: &Suggestion| {
            s.step_ref == *step_ref && argv.is_none_or(|a| s.argv.as_deref().ok() == Some(a))
        };
        let firing = |s: &Suggestion| {
            self.suggestion_cluster(s)
                .and_then(|c| self.correlator.cluster(c))
                .is_some_and(|c| c.firing > 0)
        };
        let pending = |s: &Suggestion| s.status == SuggestionStatus::Pending;
        let candidates = || {
            self.targets
                .by_step
                .get(step_ref)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .copied()
                .filter(|&i| matches(&self.suggestions[i]))
        };
        let found = candidates()
            .find(|&i| {
                let s = &self.suggestions[i];
                s.targeted && pending(s) && firing(s)
            })
            .or_else(|| candidates().find(|&i| pending(&self.suggestions[i])))
            .or_else(|| candidates().next());
        if let Some(i) = found {
            // The decision about to be applied may take it out of obsolete.
            self.targets.revive(step_ref, i);
            return found;
        }
        let step = self.knowledge.step(step_ref)?.clone();
        let runbook_id = step_ref.runbook();
        let r = self
            .knowledge
            .runbooks
            .iter()
            .position(|rb| rb.id == runbook_id)?;
        let firing: Vec<ClusterId> = self
            .correlator
            .clusters()
            .iter()
            .filter(|c| c.firing > 0)
            .map(|c| c.id)
            .collect();
        let (source, filled) = firing.into_iter().find_map(|c| {
            self.covered_in(c, r).find_map(|fp| {
                let t = self.correlator.alert(fp)?;
                let f = step.fill(&t.alert.labels, &t.alert.annotations).ok()?;
                argv.is_none_or(|a| a == f.argv.as_slice())
                    .then_some((fp, f))
            })
        })?;
        let runbook_id = runbook_id.to_string();
        Some(self.push_suggestion(source, &runbook_id, step, Fill::From(filled)))
    }

    /// The overlays in force for a step of `cluster` (`None`: its cluster is gone, which counts
    /// as novel): the cluster's novelty and the governor's drift. The one place they are
    /// computed.
    pub fn overlays_in(&self, cluster: Option<ClusterId>) -> Overlays {
        Overlays {
            novel: cluster.is_none_or(|c| self.is_novel(c)),
            drift: self.governor.drift().is_some(),
        }
    }

    /// The policy's verdict, at this moment, on `step` for `cluster` with these approvals. The
    /// drift overlay tightens by one mode inside the policy, so the policy gets the governor's
    /// mode before drift. The one place the cockpit asks the policy.
    pub fn verdict_of(
        &self,
        step: &Step,
        cluster: Option<ClusterId>,
        approvals: &[Approval],
    ) -> Verdict {
        // An override is not headroom: experiments also answer to the budgets' own mode.
        policy_with_headroom(
            self.governor.base_mode(),
            self.governor.budget_mode(),
            self.overlays_in(cluster),
            &StepClass::from(step),
            approvals,
        )
    }

    /// What the policy would say once the person at this cockpit has approved `s` too.
    pub fn verdict_after_my_approval(&self, s: &Suggestion) -> Verdict {
        let mut approvals = s.approvals.clone();
        if !approvals.iter().any(|a| a.by == self.config.actor) {
            approvals.push(Approval {
                by: self.config.actor.clone(),
                role: self.config.role,
                mode: self.mode(),
            });
        }
        self.verdict_of(&s.step, self.suggestion_cluster(s), &approvals)
    }

    /// What the policy will require of `s` edited to `argv` (a novel step, no approvals yet).
    pub fn verdict_if_edited(&self, s: &Suggestion, argv: Vec<String>) -> Verdict {
        self.verdict_of(&s.step.edited(argv), self.suggestion_cluster(s), &[])
    }

    pub(super) fn refresh_verdict(&mut self, i: usize) {
        // Approvals given in a looser mode than the effective one (drift tightens by one)
        // are void before the policy is asked.
        let mode = self.governor.base_mode();
        let effective = if self.governor.drift().is_some() {
            mode.stricter()
        } else {
            mode
        };
        self.void_looser(i, effective);
        let s = &self.suggestions[i];
        let verdict = self.verdict_of(&s.step, self.suggestion_cluster(s), &s.approvals);
        let s = &mut self.suggestions[i];
        s.verdict = verdict;
        if let Verdict::NeedsApproval { missing } = &mut s.verdict
            && !s.void_approvals.is_empty()
            && s.status == SuggestionStatus::Pending
        {
            let voided: Vec<String> = s
                .void_approvals
                .iter()
                .map(|a| format!("{} in {}", a.by, a.mode))
                .collect();
            missing.push_str(&format!(
                " (void since the mode tightened: {}; they may approve again)",
                voided.join(", ")
            ));
        }
    }

    /// The team's mode was `mode` (a mode record on the journal, this cockpit's or another's):
    /// approvals given in a looser one are void from now on.
    pub(super) fn void_below(&mut self, mode: Mode) {
        for i in 0..self.suggestions.len() {
            self.void_looser(i, mode);
        }
        self.refresh_verdicts();
    }

    /// Moves the approvals of a pending step given in a mode looser than `effective` to its
    /// void ones.
    fn void_looser(&mut self, i: usize, effective: Mode) {
        let s = &mut self.suggestions[i];
        if s.status == SuggestionStatus::Pending {
            // An approval given in a looser mode than this one is void, and stays void: a mode
            // that loosens again does not revive it (its approver may approve anew).
            let mut k = 0;
            while k < s.approvals.len() {
                let a = &s.approvals[k];
                if a.role != Role::Trainee && a.mode < effective {
                    s.void_approvals.push(s.approvals.remove(k));
                    if k < s.approval_records.len() {
                        let hash = s.approval_records.remove(k);
                        if s.approved_here.as_ref() == Some(&hash) {
                            s.approved_here = None;
                        }
                        s.void_records.push(hash);
                    }
                } else {
                    k += 1;
                }
            }
        }
    }

    /// The hashes of the approval records that count for the step now (not a trainee's, not
    /// a void one): what its execution record lists.
    pub(super) fn counted_records(&self, i: usize) -> Vec<String> {
        let s = &self.suggestions[i];
        s.approvals
            .iter()
            .zip(&s.approval_records)
            .filter(|(a, _)| a.role != Role::Trainee)
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// The policy verdict of every suggestion at this moment (mode and overlays may have
    /// tightened since an approval was given).
    /// The suggestions whose source is `fp` now.
    pub(super) fn suggestions_from(&self, fp: Fingerprint) -> impl Iterator<Item = usize> + '_ {
        self.targets
            .by_source
            .get(&fp)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(move |&i| self.suggestions[i].source == fp)
    }

    pub(super) fn refresh_verdicts(&mut self) {
        for i in 0..self.suggestions.len() {
            self.refresh_verdict(i);
        }
        self.verdicts_key = Some(self.verdict_inputs());
    }
}
