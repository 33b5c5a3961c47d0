//! A cluster's knowledge query (`MatchQuery`) and what it is built from, kept per cluster so a
//! refresh builds and ranks it again only when its inputs moved.
//!
//! The inputs are the cluster's alertnames, services and common labels, and the summary,
//! description and `runbook_url` of one member per alertname (its [`Speakers`]). Most alerts
//! joining a big incident change none of them: while the cluster's labels revision
//! ([`Correlator::labels_revision`]) and its speakers stand still, and no speaker was delivered
//! again, nothing is compared at all; otherwise the check compares in place, without copying a
//! string, and the cluster keeps its ranked matches when they are the same.

use std::collections::BTreeMap;

use crate::alerts::{Cluster, Correlator, Fingerprint};
use crate::knowledge::MatchQuery;

/// How many member alerts feed the text of a knowledge query.
const QUERY_MEMBERS: usize = 20;

/// What one cluster's query was last built from, its speakers and the query itself.
#[derive(Default)]
pub(super) struct ClusterQuery {
    speakers: Speakers,
    /// The cluster's labels revision when the inputs were last read.
    labels_rev: Option<u64>,
    /// The inputs as read (the query before `split_targets`); `None` until built.
    inputs: Option<MatchQuery>,
    query: MatchQuery,
}

impl ClusterQuery {
    /// Brings the query up to date with `cluster`; true when it changed (or was never built),
    /// i.e. when the cluster's matches must be ranked again. `spoke`: a speaker of the
    /// cluster ([`ClusterQuery::speaks`]) was delivered again since the last update (its
    /// texts may have changed).
    pub(super) fn update(
        &mut self,
        correlator: &Correlator,
        cluster: &Cluster,
        spoke: bool,
    ) -> bool {
        let new_speakers = self.speakers.update(correlator, cluster);
        let labels_rev = correlator.labels_revision(cluster.id);
        if self.inputs.is_some()
            && !new_speakers
            && !spoke
            && labels_rev.is_some()
            && labels_rev == self.labels_rev
        {
            return false;
        }
        self.labels_rev = labels_rev;
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

    /// Does alert `fp` (named `name`) give its texts to this query?
    pub(super) fn speaks(&self, name: &str, fp: Fingerprint) -> bool {
        self.speakers.by_name.get(name) == Some(&fp)
    }
}

/// The query of a cluster as it was written before the cache: a fresh build, for tests that
/// compare the cache with recomputing.
#[cfg(test)]
pub(super) fn query_of(correlator: &Correlator, cluster: &Cluster) -> MatchQuery {
    let mut speakers = Speakers::default();
    let _ = speakers.update(correlator, cluster);
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
/// fingerprint, so the text does not depend on arrival order. Kept as members join, so a
/// refresh reads only the new members; read again from all members when a speaker left.
///
/// Members are appended as they join and leave without reordering the others, so those after
/// the last one read are the new ones; a departure that is not a speaker leaves each name's
/// smallest fingerprint as it was.
#[derive(Default)]
struct Speakers {
    by_name: BTreeMap<String, Fingerprint>,
    /// How many of the cluster's members were read, and the last of them.
    read: usize,
    last: Option<Fingerprint>,
}

impl Speakers {
    /// Reads the members that joined since the last update; true when a speaker changed.
    fn update(&mut self, correlator: &Correlator, cluster: &Cluster) -> bool {
        let members = &cluster.members;
        let speakers_stay = self.by_name.values().all(|fp| {
            correlator
                .alert(*fp)
                .is_some_and(|t| t.cluster == cluster.id)
        });
        // Where the unread members begin: after the last member read, which departures can
        // only have moved towards the front.
        let resume = match self.last {
            _ if !speakers_stay => None,
            None => Some(0),
            Some(last) => members[..self.read.min(members.len())]
                .iter()
                .rposition(|fp| *fp == last)
                .map(|p| p + 1),
        };
        let mut changed = false;
        let from = match resume {
            Some(from) => from,
            None => {
                *self = Speakers::default();
                changed = true;
                0
            }
        };
        for fp in &members[from..] {
            let Some(t) = correlator.alert(*fp) else {
                continue;
            };
            let name = t.alert.name();
            match self.by_name.get_mut(name) {
                Some(best) if *best <= *fp => {}
                Some(best) => {
                    *best = *fp;
                    changed = true;
                }
                None => {
                    self.by_name.insert(name.to_string(), *fp);
                    changed = true;
                }
            }
        }
        self.read = members.len();
        self.last = members.last().copied();
        changed
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::query_of;
    use crate::alerts::{Alert, AlertState};
    use crate::cockpit::{Cockpit, CockpitConfig, Event};
    use crate::time::{SignedDuration, Timestamp};

    /// Alertnames the demo runbooks cover, with the services they name, and one they do not.
    const NAMES: [(&str, &str); 6] = [
        ("PostgresConnectionPoolExhausted", "postgres"),
        ("CheckoutHigh5xxRate", "checkout"),
        ("PaymentsUpstreamTimeouts", "payments"),
        ("FrontendRoute5xx", "frontend"),
        ("NodeFilesystemSpaceFillingUp", "node-exporter"),
        ("SomethingNobodyWrote", "ledger"),
    ];

    fn next(rng: &mut u64) -> usize {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        (*rng % 1_000_003) as usize
    }

    /// Every cluster's cached query equals one built afresh, and its matches equal ranking
    /// that query again: over storms that grow clusters, merge them, redeliver alerts with
    /// other summaries and runbook URLs, change common labels and resolve alerts.
    #[test]
    fn cached_queries_and_matches_equal_recomputed_ones() {
        let kb = crate::load::demo().unwrap().knowledge;
        let t0: Timestamp = "2026-11-25T00:00:00Z".parse().unwrap();
        let mut checked = 0usize;
        for seed in [1u64, 7, 99, 1234] {
            let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let mut cockpit = Cockpit::new(CockpitConfig::default(), Vec::new(), kb.clone(), t0);
            let mut fired: Vec<Alert> = Vec::new();
            for step in 0..400i64 {
                let at = t0 + SignedDuration::from_secs(step * 7);
                let mut batch = Vec::new();
                for _ in 0..1 + next(&mut rng) % 4 {
                    let a = match next(&mut rng) % 5 {
                        // Redelivered with another summary, URL or state.
                        0 | 1 if !fired.is_empty() => {
                            let i = next(&mut rng) % fired.len();
                            let mut a = fired[i].clone();
                            match next(&mut rng) % 3 {
                                0 => {
                                    a.annotations.insert(
                                        "summary".into(),
                                        format!("pool exhausted again ({})", next(&mut rng) % 3),
                                    );
                                }
                                1 => {
                                    a.annotations.insert(
                                        "runbook_url".into(),
                                        format!("https://wiki/rb/{}", next(&mut rng) % 2),
                                    );
                                }
                                _ => {
                                    a.state = AlertState::Resolved;
                                    a.ends_at = Some(at);
                                }
                            }
                            fired[i] = a.clone();
                            a
                        }
                        _ => {
                            let (name, service) = NAMES[next(&mut rng) % NAMES.len()];
                            let labels = BTreeMap::from([
                                ("alertname".to_string(), name.to_string()),
                                ("service".to_string(), service.to_string()),
                                ("namespace".to_string(), "shop".to_string()),
                                (
                                    "job".to_string(),
                                    ["shop", service][next(&mut rng) % 2].into(),
                                ),
                                ("cluster".to_string(), format!("k8s-{}", next(&mut rng) % 2)),
                                (
                                    "pod".to_string(),
                                    format!("{service}-{}", next(&mut rng) % 9),
                                ),
                            ]);
                            let a = Alert {
                                labels,
                                annotations: BTreeMap::from([(
                                    "summary".to_string(),
                                    format!("{name} on {service}"),
                                )]),
                                starts_at: at,
                                ends_at: None,
                                state: AlertState::Firing,
                                generator_url: None,
                                detail: Default::default(),
                            };
                            fired.push(a.clone());
                            a
                        }
                    };
                    batch.push((at, Event::Alert(a)));
                }
                if step % 9 == 0 {
                    batch.push((at, Event::Tick));
                }
                cockpit.apply_batch(batch);
                for (id, matches) in &cockpit.matches {
                    let cluster = cockpit
                        .correlator
                        .cluster(*id)
                        .expect("matched clusters exist");
                    let fresh = query_of(&cockpit.correlator, cluster);
                    let cached = cockpit
                        .queries
                        .get(id)
                        .expect("a matched cluster has a query");
                    assert_eq!(
                        cached.query(),
                        &fresh,
                        "seed {seed} step {step}: query of {id:?}"
                    );
                    assert_eq!(
                        matches,
                        &cockpit.knowledge.match_alerts(&fresh),
                        "seed {seed} step {step}: matches of {id:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "clusters checked: {checked}");
    }
}
