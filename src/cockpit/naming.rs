//! Names of incidents in the journal: a decision record names the cluster it acts on, and the
//! first record naming an incident names it in every cockpit that reads it (see
//! [`crate::alerts::ClusterName`]).

use super::Cockpit;
use crate::alerts::{Cluster, ClusterName, Fingerprint};
use crate::journal::{JournalRecord, RecordKind, body_field};

impl Cockpit {
    /// The name of alert `fp`'s cluster, as a record writes it.
    pub(super) fn incident_name(&self, fp: Fingerprint) -> Option<String> {
        let t = self.correlator.alert(fp)?;
        Some(self.correlator.name(t.cluster)?.to_string())
    }

    /// A decision record names the incident it acts on (`cluster`, `source`, `source_start`):
    /// the first such name in the journal is the incident's name in every cockpit that reads it
    /// (also one that started late and never saw the alert that founded the cluster).
    pub(super) fn name_from_record(&mut self, record: &JournalRecord) {
        if !matches!(
            record.kind,
            RecordKind::Hypothesis
                | RecordKind::Approval
                | RecordKind::Rejection
                | RecordKind::Execution
                | RecordKind::Edit
                | RecordKind::Proposal
                | RecordKind::Manual
        ) || body_field::<bool>(&record.body, "obsolete") == Some(true)
        {
            return;
        }
        let name = body_field::<String>(&record.body, "cluster")
            .and_then(|n| n.parse::<ClusterName>().ok());
        let source = body_field::<String>(&record.body, "source")
            .and_then(|s| s.parse::<Fingerprint>().ok());
        if let (Some(name), Some(fp)) = (name, source) {
            let start = body_field(&record.body, "source_start");
            self.correlator.name_incident(fp, start, record.seq, name);
        }
    }

    /// The member a note about cluster `c` names it by: its origin while that fires, else a
    /// firing member (one that a cockpit started later still sees), else the origin or the
    /// first member.
    pub(super) fn note_source(&self, c: &Cluster) -> Option<Fingerprint> {
        let firing = |fp: &Fingerprint| {
            self.correlator
                .alert(*fp)
                .is_some_and(|t| t.alert.state == crate::alerts::AlertState::Firing)
        };
        let origin = c.origin.as_ref().map(|o| o.fingerprint);
        origin
            .filter(firing)
            .or_else(|| c.members.iter().copied().find(firing))
            .or(origin)
            .or_else(|| c.members.first().copied())
    }
}
