//! How a cluster becomes a query and when a content match counts as good: the matching
//! parameters ([`MatchParams`]), tuned on the evaluation set's tuning part
//! (`knowledge_eval::tune`).

use serde::{Deserialize, Serialize};

/// How a cluster becomes a query and when a content match counts as good.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatchParams {
    /// Normalised content score from which a match without an explicit link is "good"
    /// (confidence medium): below it, matching abstains ("no good match").
    pub good_match: f64,
    /// The floor for a match whose content score was cut for being named after another
    /// problem or another kind of object ([`MatchParams::symptom_cut`],
    /// [`MatchParams::kind_cut`]): evidence that the runbook is about something else raises
    /// the bar (never below `good_match`).
    pub cut_good_match: f64,
    /// Normalised content score from which a content-only match has high confidence.
    pub high_match: f64,
    /// Query term weights by where the term came from.
    pub w_alertname: f64,
    pub w_service: f64,
    pub w_text: f64,
    pub w_label_value: f64,
    pub w_label_name: f64,
    /// Weight of words that only name the scrape target (`job`, `container`, `endpoint`,
    /// `namespace`, a `service` that is the job's): they say where the metric came from, not
    /// what is wrong, and must not outweigh a short summary.
    pub w_target: f64,
    /// How much of its weight an alert-name word, or a summary/description word, that no
    /// document contains counts against every match (it is evidence of a topic nobody wrote
    /// about).
    pub unknown_alertname_share: f64,
    pub unknown_text_share: f64,
    /// The same for the words of a service no document mentions (`vault`, `harbor`).
    pub unknown_service_share: f64,
    /// Scrape-target words no document mentions (`harbor-exporter`, `rook-ceph-mgr`), as a
    /// share of `w_text`: the target does not describe the problem, but a component nobody
    /// wrote about is evidence that nothing here covers it.
    pub unknown_target_share: f64,
    /// Weight of the alert's subject: a word naming a component (service or scrape target)
    /// that the alert's name or summary/description repeats (`etcd`, `grafana`).
    pub w_subject: f64,
    /// How much of `w_subject` a subject no document mentions counts against every match.
    pub unknown_subject_share: f64,
    /// How much it matters where a document has the query's problem words: a content score
    /// is multiplied by `(1 - focus_weight) + focus_weight × focus`, with `focus` the share of
    /// those words (by weight and rarity) found in its title, alert names, headings, tags or
    /// lead (opening paragraph, Meaning / Impact / Summary sections).
    pub focus_weight: f64,
    /// How much it matters that a document says it is about the alert's *problem*: a content
    /// score is multiplied by `(1 - problem_weight) + problem_weight × about`, with `about` the
    /// share of the problem words (alert-name and summary/description words that name no
    /// component and no scrape target: `down`, `lag`, `expiring`) found in the document's
    /// title, alert names, tags or lead. A runbook about "Postgres replication lag" then no
    /// longer matches "Postgres down" on the component's words alone.
    pub problem_weight: f64,
    /// The `about` share from which a document counts as fully about the problem (shares
    /// are scaled by it and capped at 1): a verbose description brings many words no
    /// document's lead has, so a right runbook rarely has all of them.
    pub problem_full: f64,
    /// Weight of the values of labels that name one instance of a thing (`pod`, `container`,
    /// `namespace`, `deployment`, `mountpoint`, …), and of summary/description words that only
    /// repeat such a value ("Pod batch/worker-6f8c9 (worker) is restarting"): `worker` and
    /// `batch` say where, not what is wrong. Words of the alert's name or of a component keep
    /// their weight.
    pub w_instance: f64,
    /// How much it matters that the alert has the words a document is named after (its title
    /// and alert names, by idf): a content score is multiplied by `(1 - head_weight) +
    /// head_weight × coverage`.
    pub head_weight: f64,
    /// What is left of a content score when the runbook is named after symptoms of which the
    /// alert names none ([`super::problem`]: "Redis memory near maxmemory" for "Redis rejected
    /// connections"). 1 turns the rule off.
    pub symptom_cut: f64,
    /// The same when the runbook is named after kinds of object of which the alert names none
    /// (a Deployment's runbook for a StatefulSet's alert).
    pub kind_cut: f64,
    /// The same when the alert's name names a distinctive component (one at most
    /// `subject_df` of the documents mention; `coredns`, `grafana`) that the document never
    /// mentions.
    pub subject_cut: f64,
    pub subject_df: f64,
    /// The same when the runbook's title and alert names name resources (memory, CPU, disk,
    /// connections, file descriptors) of which the alert names none.
    pub resource_cut: f64,
    /// The same when the runbook is named after a component and never mentions the one the
    /// alert's name is named after ([`super::problem::name_subject`]: `PostgresqlDown` and
    /// the Kube Scheduler Down runbook).
    pub component_cut: f64,
}

impl Default for MatchParams {
    fn default() -> Self {
        MatchParams {
            good_match: 0.16,
            cut_good_match: 0.24,
            high_match: 0.6,
            w_alertname: 1.0,
            w_service: 0.6,
            w_text: 0.3,
            w_label_value: 0.3,
            w_label_name: 0.15,
            w_target: 0.0,
            unknown_alertname_share: 0.75,
            unknown_text_share: 0.5,
            unknown_service_share: 0.5,
            unknown_target_share: 0.0,
            w_subject: 0.3,
            unknown_subject_share: 1.0,
            focus_weight: 0.0,
            problem_weight: 0.5,
            problem_full: 0.2,
            w_instance: 0.0,
            head_weight: 0.6,
            symptom_cut: 0.5,
            kind_cut: 0.3,
            subject_cut: 0.5,
            subject_df: 0.2,
            resource_cut: 0.5,
            component_cut: 0.5,
        }
    }
}
