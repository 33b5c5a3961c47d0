//! A cluster's knowledge query (`MatchQuery`) and what it is built from, kept per cluster so a
//! refresh builds and ranks it again only when its inputs moved.
//!
//! The inputs are the cluster's alertnames, services and common labels, and the summary,
//! description and `runbook_url` of one member per alertname (its [`Speakers`]). Most alerts
//! joining a big incident change none of them: the check compares in place, without copying a
//! string, and the cluster keeps its ranked matches.

use std::collections::BTreeMap;

use crate::alerts::{Cluster, Correlator, Fingerprint};
use crate::knowledge::MatchQuery;

/// How many member alerts feed the text of a knowledge query.
const QUERY_MEMBERS: usize = 20;

/// What one cluster's query was last built from, its speakers and the query itself.
#[derive(Default)]
pub(super) struct ClusterQuery {
    speakers: Speakers,
    /// The inputs as read (the query before `split_targets`); `None` until built.
    inputs: Option<MatchQuery>,
    query: MatchQuery,
}

impl ClusterQuery {
    /// Brings the query up to date with `cluster`; true when it changed (or was never built),
    /// i.e. when the cluster's matches must be ranked again.
    pub(super) fn update(&mut self, correlator: &Correlator, cluster: &Cluster) -> bool {
        self.speakers.update(correlator, cluster);
        if self
            .inputs
            .as_ref()
            .is_some_and(|i| same_inputs(i, correlator, cluster, &self.speakers))
        {
            return false;
        }
        let inputs = inputs_of(correlator, cluster, &self.speakers);
        let mut query = inputs.clone();
        query.split_targets();
        self.inputs = Some(inputs);
        let changed = query != self.query;
        self.query = query;
        // Inputs that moved but give the same query (a label split off as a target either
        // way) keep the matches.
        changed
    }

    pub(super) fn query(&self) -> &MatchQuery {
        &self.query
    }
}

/// The query of a cluster as it was written before the cache: a fresh build, for tests that
/// compare the cache with recomputing.
#[cfg(test)]
pub(super) fn query_of(correlator: &Correlator, cluster: &Cluster) -> MatchQuery {
    let mut speakers = Speakers::default();
    speakers.update(correlator, cluster);
    let mut q = inputs_of(correlator, cluster, &speakers);
    q.split_targets();
    q
}

/// The texts and `runbook_url`s the speakers give, in query order (summary then description
/// of each speaker, by alertname; each URL once).
fn speaker_texts<'a>(
    correlator: &'a Correlator,
    speakers: &'a Speakers,
    mut text: impl FnMut(&'a str),
    mut url: impl FnMut(&'a str),
) {
    // One alert per alertname is enough text (pods of one alert repeat themselves): the one
    // with the smallest fingerprint, so the query — and the scores — do not depend on the
    // order the alerts arrived in.
    let speaking = speakers
        .by_name
        .values()
        .filter_map(|fp| correlator.alert(*fp));
    for t in speaking.take(QUERY_MEMBERS) {
        for key in ["summary", "description"] {
            if let Some(v) = t.alert.annotation(key) {
                text(v);
            }
        }
        if let Some(u) = t.alert.annotation("runbook_url") {
            url(u);
        }
    }
}

fn inputs_of(correlator: &Correlator, cluster: &Cluster, speakers: &Speakers) -> MatchQuery {
    let mut q = MatchQuery {
        alertnames: cluster.alertnames.iter().cloned().collect(),
        services: cluster.services.iter().cloned().collect(),
        texts: Vec::new(),
        labels: cluster
            .common_labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        runbook_urls: Vec::new(),
        targets: Vec::new(),
    };
    let mut urls: Vec<&str> = Vec::new();
    speaker_texts(
        correlator,
        speakers,
        |t| q.texts.push(t.to_string()),
        |u| {
            if !urls.contains(&u) {
                urls.push(u);
            }
        },
    );
    q.runbook_urls = urls.into_iter().map(str::to_string).collect();
    q
}

/// Would [`inputs_of`] give `inputs` again? Compared in place: no string is copied.
fn same_inputs(
    inputs: &MatchQuery,
    correlator: &Correlator,
    cluster: &Cluster,
    speakers: &Speakers,
) -> bool {
    if !(inputs.alertnames.iter().eq(cluster.alertnames.iter())
        && inputs.services.iter().eq(cluster.services.iter())
        && inputs
            .labels
            .iter()
            .map(|(k, v)| (k, v))
            .eq(cluster.common_labels.iter()))
    {
        return false;
    }
    let (mut texts, mut urls) = (0usize, Vec::new());
    let mut same = true;
    speaker_texts(
        correlator,
        speakers,
        |t| {
            same &= inputs.texts.get(texts).is_some_and(|x| x == t);
            texts += 1;
        },
        |u| {
            if !urls.contains(&u) {
                urls.push(u);
            }
        },
    );
    same && texts == inputs.texts.len()
        && urls
            .iter()
            .copied()
            .eq(inputs.runbook_urls.iter().map(String::as_str))
}

/// Which member speaks for each alertname of a cluster in its match query: the smallest
/// fingerprint, so the text does not depend on arrival order. Kept as members join (they are
/// appended), so a refresh reads only the new members; rebuilt from all members when a speaker
/// left or the part already read changed.
#[derive(Default)]
struct Speakers {
    by_name: BTreeMap<String, Fingerprint>,
    /// How many of the cluster's members were read, and the last of them.
    read: usize,
    last: Option<Fingerprint>,
}

impl Speakers {
    fn update(&mut self, correlator: &Correlator, cluster: &Cluster) {
        let members = &cluster.members;
        // A speaker that left, or a member taken from the part already read, means reading
        // all of them again; other departures leave each name's smallest fingerprint as it was.
        let intact = self.read <= members.len()
            && (self.read == 0 || members.get(self.read - 1).copied() == self.last)
            && self.by_name.values().all(|fp| {
                correlator
                    .alert(*fp)
                    .is_some_and(|t| t.cluster == cluster.id)
            });
        if !intact {
            *self = Speakers::default();
        }
        for fp in &members[self.read..] {
            let Some(t) = correlator.alert(*fp) else {
                continue;
            };
            let name = t.alert.name();
            match self.by_name.get_mut(name) {
                Some(best) if *best <= *fp => {}
                Some(best) => *best = *fp,
                None => {
                    self.by_name.insert(name.to_string(), *fp);
                }
            }
        }
        self.read = members.len();
        self.last = members.last().copied();
    }
}
