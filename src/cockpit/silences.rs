//! Silences proposed in the cockpit: what one would mute, its preview, the proposal, and the
//! re-check when an approval comes in.

use super::decision::*;

use super::suggestion::argv_hash;
use super::{Cockpit, Effect};
use crate::actions::silence::SilenceRequest;
use crate::actions::{Audit, Step, StepKind, StepOrigin, StepRef};
use crate::alerts::ClusterId;
use crate::journal::RecordKind;

impl Cockpit {
    /// What a proposed silence would mute besides its cluster: `(in the cluster, outside it)`,
    /// counting every alert the cockpit tracks.
    pub fn silence_reach(&self, cluster: ClusterId, silence: &SilenceRequest) -> (usize, usize) {
        let mut inside = 0;
        let mut outside = 0;
        for t in self.correlator.alerts() {
            if silence.matches(&t.alert.labels) {
                if t.cluster == cluster {
                    inside += 1;
                } else {
                    outside += 1;
                }
            }
        }
        (inside, outside)
    }

    /// What a silence proposal would become, with what it mutes and what the policy would say
    /// before anyone approves it: the form's preview, and the proposal itself.
    pub fn preview_silence(&self, cluster: ClusterId, silence: &SilenceRequest) -> SilencePreview {
        let (inside, outside) = self.silence_reach(cluster, silence);
        // Pre-audited when it mutes only alerts of its cluster (flightdeck checked that, and
        // says so); otherwise an unaudited mitigation, which the policy treats accordingly.
        let audited = (inside > 0 && outside == 0).then(|| Audit {
            by: format!("flightdeck: mutes only the {inside} alert(s) of {cluster}"),
            on: self.now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date(),
        });
        let argv = silence.to_argv();
        let step = Step {
            id: format!("silence-{}", &argv_hash(&argv)[..8]),
            title: format!("Silence {cluster}: {}", silence.describe()),
            kind: StepKind::Mitigation,
            command: crate::actions::step::Command::Argv(argv),
            timeout: None,
            audited,
            origin: StepOrigin::Silence,
        };
        let verdict = self.verdict_of(&step, Some(cluster), &[]);
        SilencePreview {
            inside,
            outside,
            step,
            verdict,
        }
    }

    /// A silence was pre-audited because it muted only its cluster; alerts that arrived since
    /// may have changed that. Checked again when an approval comes in, before anything runs.
    pub(super) fn recheck_silence(&mut self, i: usize, effects: &mut Vec<Effect>) {
        let s = &self.suggestions[i];
        if s.step.origin != StepOrigin::Silence || s.step.audited.is_none() {
            return;
        }
        let (Some(cluster), Some(silence)) = (
            self.suggestion_cluster(s),
            s.argv
                .as_ref()
                .ok()
                .and_then(|argv| SilenceRequest::from_argv(argv).ok()),
        ) else {
            return;
        };
        let (_, outside) = self.silence_reach(cluster, &silence);
        if outside > 0 {
            let id = s.id;
            self.suggestions[i].step.audited = None;
            effects.push(Effect::Notice(format!(
                "{id} would now also mute {outside} alert(s) outside {cluster}: it is no longer \
                 pre-audited, and the policy treats it so"
            )));
        }
    }

    pub(super) fn propose_silence(
        &mut self,
        cluster: ClusterId,
        silence: SilenceRequest,
        effects: &mut Vec<Effect>,
    ) {
        let Some(c) = self.correlator.cluster(cluster) else {
            effects.push(Effect::Notice(format!("{cluster} no longer exists")));
            return;
        };
        let SilencePreview {
            inside,
            outside,
            step,
            ..
        } = self.preview_silence(cluster, &silence);
        if inside == 0 {
            effects.push(Effect::Notice(format!(
                "the silence would mute no alert of {cluster}: check the matchers"
            )));
            return;
        }
        // The alert the step is attached to: a member the silence mutes, firing if any.
        let members: Vec<&crate::alerts::TrackedAlert> = c
            .members
            .iter()
            .filter_map(|fp| self.correlator.alert(*fp))
            .filter(|t| silence.matches(&t.alert.labels))
            .collect();
        let Some(source) = members
            .iter()
            .find(|t| t.alert.state == crate::alerts::AlertState::Firing)
            .or(members.first())
            .map(|t| t.fingerprint)
        else {
            return;
        };
        let argv = step.argv().to_vec();
        let body = StepRecord {
            step: StepRef::new("silence", &step.id),
            argv_hash: argv_hash(&argv),
            argv,
            mode: self.governor.mode(),
            session: self.config.session.clone(),
            source: Some(source.to_string()),
            definition: Some(step),
            reason: Some(silence.comment.clone()),
            outcome: None,
            exec: None,
            approvals: Vec::new(),
            void_approvals: Vec::new(),
            policy: None,
            replayed: false,
            obsolete: false,
            context: serde_json::to_value(self.decision_context()).ok(),
        };
        let also = if outside > 0 {
            format!(" (also mutes {outside} alert(s) outside it)")
        } else {
            String::new()
        };
        let summary = format!(
            "proposed silence of {cluster}: {}{also} — {}",
            silence.describe(),
            silence.comment
        );
        let e = self.entry(RecordKind::Proposal, summary, to_value(&body));
        effects.push(Effect::Journal(e));
    }
}
