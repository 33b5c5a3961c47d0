//! Suggested actions: the steps of the runbook that best matches a cluster, filled from the
//! cluster's alerts, each with the policy verdict of this moment.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Cockpit;
use crate::actions::{Approval, Overlays, Step, StepClass, Verdict, policy, render_argv};
use crate::alerts::{Cluster, ClusterId, Fingerprint};
use crate::knowledge::{DocRef, Runbook};

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
}

/// A runbook step offered for an incident, waiting for a human decision.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: SuggestionId,
    /// The alert whose labels filled the placeholders; its cluster is the suggestion's cluster.
    #[serde(serialize_with = "ser_display")]
    pub source: Fingerprint,
    pub runbook: String,
    pub step: Step,
    /// `runbook-id/step-id`.
    pub step_ref: String,
    /// The exact argv that would run, or why it cannot be built.
    pub argv: Result<Vec<String>, String>,
    pub approvals: Vec<Approval>,
    /// Hashes of the journal records of those approvals.
    pub approval_records: Vec<String>,
    pub verdict: Verdict,
    pub status: SuggestionStatus,
}

impl Suggestion {
    /// What identifies this suggestion across cockpits sharing a journal: the step and the
    /// exact argv (an approval binds to both).
    pub fn key(&self) -> (String, Option<String>) {
        (
            self.step_ref.clone(),
            self.argv.as_ref().ok().map(|a| argv_hash(a)),
        )
    }
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
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

    /// The member alert whose labels best fill a runbook's placeholders.
    pub(super) fn source_alert(&self, cluster: &Cluster, runbook: &Runbook) -> Option<Fingerprint> {
        let members = || {
            cluster
                .members
                .iter()
                .filter_map(|fp| self.correlator.alert(*fp))
        };
        members()
            .find(|t| runbook.alerts.iter().any(|a| a == t.alert.name()))
            .or_else(|| {
                members().find(|t| {
                    t.alert
                        .service()
                        .is_some_and(|s| runbook.services.iter().any(|r| r == s))
                })
            })
            .or_else(|| {
                cluster
                    .origin
                    .as_ref()
                    .and_then(|o| self.correlator.alert(o.fingerprint))
            })
            .or_else(|| members().next())
            .map(|t| t.fingerprint)
    }

    /// Offers the steps of the runbooks that match a cluster well (the best few, best first;
    /// once per step and cluster), so the right mitigation is on offer even before its runbook
    /// becomes the top match.
    pub(super) fn offer_steps(&mut self, id: ClusterId) {
        const RUNBOOKS_OFFERED: usize = 3;
        let Some(cluster) = self.correlator.cluster(id) else {
            return;
        };
        // Resolved or silenced-only clusters need nobody's decision.
        if cluster.firing == 0 {
            return;
        }
        let runbooks: Vec<usize> = self
            .matches(id)
            .iter()
            .filter(|m| m.good)
            .filter_map(|m| match m.doc {
                DocRef::Runbook(i) => Some(i),
                DocRef::Postmortem(_) => None,
            })
            .take(RUNBOOKS_OFFERED)
            .collect();
        let offered: BTreeSet<String> = self
            .suggestions
            .iter()
            .filter(|s| self.suggestion_cluster(s) == Some(id))
            .map(|s| s.step_ref.clone())
            .collect();
        let plans: Vec<(Fingerprint, String, Vec<Step>)> = runbooks
            .into_iter()
            .filter_map(|i| {
                let runbook = &self.knowledge.runbooks[i];
                let source = self.source_alert(cluster, runbook)?;
                Some((source, runbook.id.clone(), runbook.steps.clone()))
            })
            .collect();
        for (source, runbook_id, steps) in plans {
            for step in steps {
                if !offered.contains(&format!("{runbook_id}/{}", step.id)) {
                    self.push_suggestion(source, &runbook_id, step, None);
                }
            }
        }
    }

    /// Adds a suggestion; `argv` overrides the templated one (edited steps).
    pub(super) fn push_suggestion(
        &mut self,
        source: Fingerprint,
        runbook: &str,
        step: Step,
        argv: Option<Vec<String>>,
    ) -> usize {
        let argv = match (argv, self.correlator.alert(source)) {
            (Some(argv), _) => Ok(argv),
            (None, Some(t)) => render_argv(&step.argv, &t.alert.labels, &t.alert.annotations)
                .map_err(|e| e.to_string()),
            (None, None) => Err("the alert that filled this step is gone".to_string()),
        };
        let id = SuggestionId(self.suggestions.len() as u32 + 1);
        self.suggestions.push(Suggestion {
            id,
            source,
            runbook: runbook.to_string(),
            step_ref: format!("{runbook}/{}", step.id),
            step,
            argv,
            approvals: Vec::new(),
            approval_records: Vec::new(),
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
    /// offered here, creates it from the runbook (filled from the firing cluster it serves).
    pub(super) fn find_or_offer(
        &mut self,
        step_ref: &str,
        argv: Option<&[String]>,
    ) -> Option<usize> {
        let matches = |s: &Suggestion| {
            s.step_ref == step_ref && argv.is_none_or(|a| s.argv.as_deref().ok() == Some(a))
        };
        let firing = |s: &Suggestion| {
            self.suggestion_cluster(s)
                .and_then(|c| self.correlator.cluster(c))
                .is_some_and(|c| c.firing > 0)
        };
        let pending = |s: &Suggestion| s.status == SuggestionStatus::Pending;
        if let Some(i) = self
            .suggestions
            .iter()
            .position(|s| matches(s) && pending(s) && firing(s))
            .or_else(|| {
                self.suggestions
                    .iter()
                    .position(|s| matches(s) && pending(s))
            })
            .or_else(|| self.suggestions.iter().position(matches))
        {
            return Some(i);
        }
        let (runbook_id, step_id) = step_ref.split_once('/')?;
        let runbook = self.knowledge.runbook(runbook_id)?;
        let step = runbook.steps.iter().find(|s| s.id == step_id)?.clone();
        let source = self
            .correlator
            .clusters()
            .iter()
            .filter(|c| c.firing > 0)
            .find_map(|c| self.source_alert(c, runbook))?;
        let runbook_id = runbook_id.to_string();
        Some(self.push_suggestion(source, &runbook_id, step, argv.map(<[String]>::to_vec)))
    }

    /// The overlays in force for a suggestion: its cluster's novelty and the governor's drift.
    pub(super) fn overlays_for(&self, s: &Suggestion) -> Overlays {
        let novel = match self.suggestion_cluster(s) {
            Some(c) => self.is_novel(c),
            None => true,
        };
        Overlays {
            novel,
            drift: self.governor.drift().is_some(),
        }
    }

    pub(super) fn refresh_verdict(&mut self, i: usize) {
        // The drift overlay tightens by one mode inside the policy, so the policy gets the
        // governor's mode before drift.
        let mode = self.governor.base_mode();
        let overlays = self.overlays_for(&self.suggestions[i]);
        let s = &mut self.suggestions[i];
        s.verdict = policy(mode, overlays, &StepClass::from(&s.step), &s.approvals);
    }

    /// The policy verdict of every suggestion at this moment (mode and overlays may have
    /// tightened since an approval was given).
    pub(super) fn refresh_verdicts(&mut self) {
        for i in 0..self.suggestions.len() {
            self.refresh_verdict(i);
        }
    }
}
