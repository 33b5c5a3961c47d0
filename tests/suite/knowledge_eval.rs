//! Matching quality on the evaluation set in tests/fixtures/knowledge/eval.
//!
//! Prints top-1 / top-3 accuracy and the abstain figures; `FD_EVAL_VERBOSE=1` prints every
//! query's ranking. The asserted floors are below the measured figures so the test catches
//! regressions, not noise.

use crate::common;
use std::collections::BTreeMap;

use common::knowledge::eval_kb;
use flightdeck::actions::StepOrigin;
use flightdeck::knowledge::{DocRef, KnowledgeBase, MatchQuery};
use serde::Deserialize;

#[derive(Clone, Deserialize)]
struct Query {
    name: String,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    expect: Vec<String>,
}

fn queries(file: &str) -> Vec<Query> {
    serde_saphyr::from_str(&common::fixture(&format!("knowledge/eval/{file}"))).unwrap()
}

/// The queries with the alert's name hidden: no `alertname` label and no `runbook_url` (only
/// labels, summary and description are left to match on).
fn names_hidden(qs: &[Query]) -> Vec<Query> {
    qs.iter()
        .map(|q| {
            let mut q = q.clone();
            q.labels.remove("alertname");
            q.annotations.remove("runbook_url");
            q.annotations.remove("runbook");
            q
        })
        .collect()
}

#[derive(Debug, Default)]
struct Figures {
    positives: usize,
    top1: usize,
    top3: usize,
    false_abstain: usize,
    negatives: usize,
    abstained: usize,
    /// Covered alerts whose right runbook is linked (by alert name, file name or runbook_url),
    /// and of those, how many have it as the first good match.
    linked: usize,
    linked_top1: usize,
}

impl Figures {
    fn pct(n: usize, d: usize) -> f64 {
        if d == 0 {
            0.0
        } else {
            100.0 * n as f64 / d as f64
        }
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name}: top-1 {:.0}% ({}/{}), top-3 {:.0}% ({}/{}), false abstain {:.0}% ({}/{}), \
             abstain on unknown alerts {:.0}% ({}/{}), linked first {}/{}",
            Self::pct(self.top1, self.positives),
            self.top1,
            self.positives,
            Self::pct(self.top3, self.positives),
            self.top3,
            self.positives,
            Self::pct(self.false_abstain, self.positives),
            self.false_abstain,
            self.positives,
            Self::pct(self.abstained, self.negatives),
            self.abstained,
            self.negatives,
            self.linked_top1,
            self.linked
        )
    }
}

/// Asserts that `n / d` is at least `floor` percent, showing `figures` (named `name`) if not.
#[track_caller]
fn at_least(floor: f64, n: usize, d: usize, figures: &Figures, name: &str) {
    assert!(Figures::pct(n, d) >= floor, "{}", figures.line(name));
}

/// The evaluation corpus with the default parameters, or those of `FD_EVAL_PARAMS` (JSON, the
/// fields of `MatchParams` to change) while tuning by hand.
fn kb() -> KnowledgeBase {
    let mut kb = eval_kb();
    if let Ok(json) = std::env::var("FD_EVAL_PARAMS") {
        kb.set_match_params(serde_json::from_str(&json).expect("FD_EVAL_PARAMS: MatchParams JSON"));
    }
    kb
}

/// `FD_EVAL_VERBOSE=1` prints the tuning parts' rankings, `FD_EVAL_VERBOSE=all` the held-out
/// parts' too.
fn evaluate(kb: &KnowledgeBase, qs: &[Query]) -> Figures {
    evaluate_with(kb, qs, std::env::var("FD_EVAL_VERBOSE").is_ok())
}

fn evaluate_holdout(kb: &KnowledgeBase, qs: &[Query]) -> Figures {
    evaluate_with(
        kb,
        qs,
        std::env::var("FD_EVAL_VERBOSE").is_ok_and(|v| v == "all"),
    )
}

fn evaluate_with(kb: &KnowledgeBase, qs: &[Query], verbose: bool) -> Figures {
    let mut f = Figures::default();
    for q in qs {
        let mq = MatchQuery::from_alert(&q.labels, &q.annotations);
        let matches = kb.match_alerts(&mq);
        let runbooks: Vec<_> = matches
            .iter()
            .filter_map(|m| match m.doc {
                DocRef::Runbook(i) => Some((&kb.runbooks[i].id, m)),
                DocRef::Postmortem(_) => None,
            })
            .collect();
        let good: Vec<_> = runbooks.iter().filter(|(_, m)| m.good).collect();
        let ok = |id: &String| q.expect.contains(id);
        if q.expect.is_empty() {
            f.negatives += 1;
            if good.is_empty() {
                f.abstained += 1;
            }
        } else {
            f.positives += 1;
            if good.first().is_some_and(|(id, _)| ok(id)) {
                f.top1 += 1;
            }
            if runbooks.iter().take(3).any(|(id, _)| ok(id)) {
                f.top3 += 1;
            }
            if good.is_empty() {
                f.false_abstain += 1;
            }
            // Links score 1 or more; content alone stays below 1.
            if runbooks.iter().any(|(id, m)| ok(id) && m.score >= 1.0) {
                f.linked += 1;
                if good.first().is_some_and(|(id, _)| ok(id)) {
                    f.linked_top1 += 1;
                }
            }
        }
        if verbose {
            let right = if q.expect.is_empty() {
                good.is_empty()
            } else {
                good.first().is_some_and(|(id, _)| ok(id))
            };
            println!(
                "{} {} expect {:?}",
                if right { "  " } else { "XX" },
                q.name,
                q.expect
            );
            for (id, m) in runbooks.iter().take(3) {
                println!(
                    "     {:.3} c={:.2} {} {} {:?}",
                    m.score,
                    m.coverage,
                    if m.good { "good" } else { "    " },
                    id,
                    m.why
                );
            }
        }
    }
    f
}

#[test]
fn evaluation_set_figures() {
    let kb = kb();
    let dev = evaluate(&kb, &queries("queries-dev.yaml"));
    let holdout = evaluate_holdout(&kb, &queries("queries-holdout.yaml"));
    println!("{}", dev.line("dev"));
    println!("{}", holdout.line("holdout"));
    let all = Figures {
        positives: dev.positives + holdout.positives,
        top1: dev.top1 + holdout.top1,
        top3: dev.top3 + holdout.top3,
        false_abstain: dev.false_abstain + holdout.false_abstain,
        negatives: dev.negatives + holdout.negatives,
        abstained: dev.abstained + holdout.abstained,
        linked: dev.linked + holdout.linked,
        linked_top1: dev.linked_top1 + holdout.linked_top1,
    };
    println!("{}", all.line("all"));
    // Floors under the measured figures (quoted in the knowledge module docs).
    at_least(75.0, dev.top1, dev.positives, &dev, "dev");
    at_least(85.0, dev.top3, dev.positives, &dev, "dev");
    at_least(60.0, dev.abstained, dev.negatives, &dev, "dev");
    at_least(70.0, holdout.top3, holdout.positives, &holdout, "holdout");
    // Issue 19's abstention goal on the team-style held-out part too (8/8 since round 6).
    at_least(
        85.0,
        holdout.abstained,
        holdout.negatives,
        &holdout,
        "holdout",
    );
    // Alert name known and linked: the right runbook first, always.
    at_least(100.0, all.linked_top1, all.linked, &all, "all");
    assert!(all.linked >= 15, "{}", all.line("all"));
}

#[test]
fn every_fixture_loads_and_plain_runbooks_have_steps() {
    let kb = eval_kb();
    assert!(kb.runbooks.len() >= 30);
    assert_eq!(kb.postmortems.len(), 4);
    let plain = kb.runbooks.iter().filter(|r| !r.schema).count();
    assert!(plain >= 25, "most runbooks are written without our schema");
    let crash = kb.runbook("KubePodCrashLooping").unwrap();
    assert_eq!(crash.title, "Kube Pod Crash Looping");
    assert_eq!(crash.alerts, ["KubePodCrashLooping"]);
    assert!(crash.steps.len() >= 3);
    assert!(
        crash
            .steps
            .iter()
            .all(|s| s.origin == StepOrigin::CodeBlock && !s.is_novel() && !s.is_pre_audited())
    );
    let etcd = kb.runbook("etcdHighFsyncDurations").unwrap();
    assert_eq!(etcd.alerts, ["etcdHighFsyncDurations"]);
}

/// Grid search over the matching parameters on the tuning parts only (queries-dev.yaml,
/// queries-rules-tune.yaml and, since round 4, queries-rules-holdout.yaml, which three stops
/// had read; the rules parts with names known and names hidden; never the fresh held-out part):
/// `cargo test --test suite knowledge_eval::tune -- --ignored --nocapture`.
#[test]
#[ignore]
fn tune() {
    use flightdeck::knowledge::MatchParams;
    let mut kb = eval_kb();
    let dev = queries("queries-dev.yaml");
    let rules = queries("queries-rules-tune.yaml");
    let old = queries("queries-rules-holdout.yaml");
    let sets = [
        dev.clone(),
        rules.clone(),
        names_hidden(&rules),
        old.clone(),
        names_hidden(&old),
    ];
    let grid = |name: &str, default: &[f64]| -> Vec<f64> {
        std::env::var(name)
            .ok()
            .map(|v| v.split(',').map(|x| x.parse().unwrap()).collect())
            .unwrap_or_else(|| default.to_vec())
    };
    // Every combination of the values of each dimension (`FD_TUNE_…` overrides a dimension's
    // values, comma-separated).
    type Set = fn(&mut MatchParams, f64);
    let floors: Vec<f64> = (0..16).map(|i| 0.1 + 0.01 * i as f64).collect();
    let dims: [(&str, &[f64], Set); 12] = [
        ("FD_TUNE_UT", &[0.5], |p, v| p.unknown_text_share = v),
        ("FD_TUNE_US", &[1.0], |p, v| p.unknown_subject_share = v),
        ("FD_TUNE_WS", &[0.3], |p, v| p.w_subject = v),
        ("FD_TUNE_PW", &[0.5], |p, v| p.problem_weight = v),
        ("FD_TUNE_PF", &[0.2], |p, v| p.problem_full = v),
        ("FD_TUNE_WI", &[0.0], |p, v| p.w_instance = v),
        ("FD_TUNE_HW", &[0.6], |p, v| p.head_weight = v),
        ("FD_TUNE_SC", &[1.0, 0.5, 0.3, 0.15], |p, v| {
            p.symptom_cut = v
        }),
        ("FD_TUNE_KC", &[1.0, 0.3], |p, v| p.kind_cut = v),
        ("FD_TUNE_CC", &[1.0, 0.5, 0.3, 0.15], |p, v| {
            p.subject_cut = v
        }),
        ("FD_TUNE_G", &floors, |p, v| p.good_match = v),
        ("FD_TUNE_CG", &[0.0, 0.2, 0.25, 0.3, 0.35, 0.4], |p, v| {
            p.cut_good_match = v
        }),
    ];
    let mut candidates = vec![MatchParams::default()];
    for (name, default, set) in dims {
        let values = grid(name, default);
        candidates = candidates
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |&v| {
                    let mut p = p.clone();
                    set(&mut p, v);
                    p
                })
            })
            .collect();
    }
    let mut results = Vec::new();
    for p in candidates {
        kb.set_match_params(p.clone());
        let fs: Vec<Figures> = sets.iter().map(|s| evaluate(&kb, s)).collect();
        // Issue 19's goals: covered alerts first right and uncovered ones abstaining, each at
        // least 90% in every set; the sum of the shortfalls below 90 first, then the mean
        // (both weigh alike).
        let pairs = || {
            fs.iter().flat_map(|f| {
                [
                    Figures::pct(f.top1, f.positives),
                    Figures::pct(f.abstained, f.negatives),
                ]
            })
        };
        let shortfall: f64 = pairs().map(|x| (90.0 - x).max(0.0)).sum();
        let mean = pairs().sum::<f64>() / (2 * fs.len()) as f64;
        let lines: Vec<String> = fs.iter().map(|f| f.line("")).collect();
        results.push((shortfall, mean, lines.join("\n     "), p));
    }
    results.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    for (shortfall, mean, line, p) in results.iter().take(12) {
        println!("shortfall {shortfall:.1}, mean {mean:.1}\n     {line}\n     {p:?}");
    }
}

/// kube-prometheus-, node-exporter- and etcd-style rules (queries-rules-*.yaml) with names known
/// and names hidden, and alerts for components no runbook covers. The tuning part was used to
/// place the "good" floor; the held-out part is only reported (figures in the module docs of
/// `flightdeck::knowledge`).
#[test]
fn rule_sets_figures() {
    let kb = kb();
    let tune = queries("queries-rules-tune.yaml");
    let holdout = queries("queries-rules-holdout.yaml");
    let t = evaluate(&kb, &tune);
    let h = evaluate_holdout(&kb, &holdout);
    let th = evaluate(&kb, &names_hidden(&tune));
    let hh = evaluate_holdout(&kb, &names_hidden(&holdout));
    println!("{}", t.line("rules tune, names known"));
    println!("{}", h.line("rules holdout, names known"));
    println!("{}", th.line("rules tune, names hidden"));
    println!("{}", hh.line("rules holdout, names hidden"));
    // Floors under the measured figures (quoted in the module docs of `flightdeck::knowledge`).
    for (f, name) in [
        (&t, "tune"),
        (&h, "holdout"),
        (&th, "tune hidden"),
        (&hh, "holdout hidden"),
    ] {
        at_least(88.0, f.top1, f.positives, f, name);
        at_least(95.0, f.top3, f.positives, f, name);
    }
    // Names known: the right runbook first as often as before issue 19's abstention work.
    at_least(96.0, h.top1, h.positives, &h, "holdout");
    // Names hidden: issue 19's goal, right runbook first for at least 90% (round 6).
    at_least(90.0, th.top1, th.positives, &th, "tune hidden");
    at_least(90.0, hh.top1, hh.positives, &hh, "holdout hidden");
    // Names known and the runbook linked: the right one first, always (the "keep").
    for (f, name) in [(&t, "tune"), (&h, "holdout")] {
        at_least(100.0, f.linked_top1, f.linked, f, name);
        assert!(f.linked >= 10, "{}", f.line(name));
    }
    // Alerts no runbook covers abstain, with the names known and hidden.
    at_least(90.0, t.abstained, t.negatives, &t, "tune");
    at_least(95.0, th.abstained, th.negatives, &th, "tune hidden");
    at_least(90.0, h.abstained, h.negatives, &h, "holdout");
    at_least(95.0, hh.abstained, hh.negatives, &hh, "holdout hidden");
}

/// The fresh held-out part (round 4, queries-fresh-holdout.yaml with the runbooks written for
/// it): covered alerts of new runbooks in two house styles (4-space-indented code blocks) and
/// of earlier ones in new phrasings, uncovered alerts of components no runbook covers and of a
/// different problem of a covered component. Written before the stop's tuning; only reported.
#[test]
fn fresh_holdout_figures() {
    let kb = kb();
    let qs = queries("queries-fresh-holdout.yaml");
    let known = evaluate_holdout(&kb, &qs);
    let hidden = evaluate_holdout(&kb, &names_hidden(&qs));
    println!("{}", known.line("fresh holdout, names known"));
    println!("{}", hidden.line("fresh holdout, names hidden"));
    // Floors under the figures measured after round 4's tuning (module docs of
    // `flightdeck::knowledge`).
    for (f, name) in [(&known, "fresh"), (&hidden, "fresh hidden")] {
        at_least(90.0, f.top1, f.positives, f, name);
        at_least(98.0, f.top3, f.positives, f, name);
        at_least(95.0, f.abstained, f.negatives, f, name);
    }
    at_least(100.0, known.linked_top1, known.linked, &known, "fresh");
    assert!(known.linked >= 10, "{}", known.line("fresh"));
    assert!(known.positives >= 25 && known.negatives >= 20);
}

/// Every query of every part, with names known and hidden.
fn every_case() -> Vec<Query> {
    let mut all = Vec::new();
    for file in [
        "queries-dev.yaml",
        "queries-holdout.yaml",
        "queries-rules-tune.yaml",
        "queries-rules-holdout.yaml",
        "queries-fresh-holdout.yaml",
    ] {
        let qs = queries(file);
        all.extend(names_hidden(&qs));
        all.extend(qs);
    }
    all
}

/// The dangerous half of matching: a match below "good" never offers steps. Each case of the
/// evaluation set fires alone in a cockpit holding the evaluation corpus; whenever the
/// cockpit's matching abstains (no good match, all confidence low) not one step is offered,
/// the cluster is novel and the abstention explains itself. Cases with a good match do offer
/// steps (so the check is not empty), and every uncovered case the evaluation counts as
/// abstaining abstains in the cockpit too.
#[test]
fn abstained_cases_never_offer_steps() {
    use flightdeck::alerts::{Alert, AlertState};
    use flightdeck::cockpit::{Cockpit, CockpitConfig, Event};
    use flightdeck::knowledge::Confidence;
    use flightdeck::time::Timestamp;

    let kb = kb();
    let start: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
    let (mut abstained, mut offered) = (0, 0);
    for q in every_case() {
        let mut labels = q.labels.clone();
        // Names hidden: the cockpit still needs a name; one no document knows.
        labels
            .entry("alertname".into())
            .or_insert_with(|| "Unnamed".into());
        let alert = Alert {
            labels,
            annotations: q.annotations.clone(),
            starts_at: start,
            ends_at: None,
            state: AlertState::Firing,
            generator_url: None,
            detail: Default::default(),
        };
        let mut cockpit = Cockpit::new(CockpitConfig::default(), Vec::new(), kb.clone(), start);
        cockpit.apply(Event::Alert(alert), start);
        cockpit.apply(Event::Tick, start);
        let [cluster] = cockpit.clusters() else {
            panic!("{}: one alert, one cluster", q.name);
        };
        let matches = cockpit.matches(cluster.id);
        let steps = cockpit
            .suggestions()
            .iter()
            .filter(|s| s.step.origin != StepOrigin::Silence)
            .count();
        if matches.iter().all(|m| !m.good) {
            abstained += 1;
            assert!(
                matches.iter().all(|m| m.confidence == Confidence::Low),
                "{}: {matches:?}",
                q.name
            );
            assert_eq!(steps, 0, "{}: steps offered below the good floor", q.name);
            assert!(
                flightdeck::alerts::novelty::novel_by_knowledge(matches),
                "{}",
                q.name
            );
            let why = kb
                .abstention(matches)
                .expect("an abstention explains itself");
            assert!(why.starts_with("no good match"), "{}: {why}", q.name);
        } else if steps > 0 {
            offered += 1;
        }
        if q.expect.is_empty() && q.labels.contains_key("alertname") {
            let mq = MatchQuery::from_alert(&q.labels, &q.annotations);
            if kb.match_alerts(&mq).iter().all(|m| !m.good) {
                assert!(
                    matches.iter().all(|m| !m.good),
                    "{}: abstains in the evaluation, not in the cockpit",
                    q.name
                );
            }
        }
    }
    assert!(abstained >= 50, "{abstained} abstained");
    assert!(offered >= 50, "{offered} offered steps");
}

/// The reasons quote words as the alert and the document wrote them, never the stems the index
/// works with (`never mentions keepalived`, not `keepaliv`): over every query of the evaluation
/// set, with the alert's name and with it hidden, every word a "never mentions" or "named
/// after another component" reason quotes is one the alert (or the document) wrote.
#[test]
fn reasons_quote_words_as_they_were_written() {
    let kb = kb();
    let mut quoted = 0;
    let mut keepalived = false;
    for file in [
        "queries-dev.yaml",
        "queries-holdout.yaml",
        "queries-fresh-holdout.yaml",
        "queries-rules-holdout.yaml",
        "queries-rules-tune.yaml",
    ] {
        let qs = queries(file);
        for q in qs.iter().chain(&names_hidden(&qs)) {
            let alert: String = q
                .labels
                .values()
                .chain(q.annotations.values())
                .map(|v| v.to_lowercase() + " ")
                .collect();
            for m in kb.match_alerts(&MatchQuery::from_alert(&q.labels, &q.annotations)) {
                let (title, alerts, services) = match m.doc {
                    DocRef::Runbook(i) => {
                        let r = &kb.runbooks[i];
                        (&r.title, &r.alerts, &r.services)
                    }
                    DocRef::Postmortem(i) => {
                        let p = &kb.postmortems[i];
                        (&p.title, &p.alerts, &p.services)
                    }
                };
                let doc =
                    format!("{title} {} {}", alerts.join(" "), services.join(" ")).to_lowercase();
                for why in &m.why {
                    let (theirs, ours) = if let Some(ours) = why.strip_prefix("never mentions ") {
                        ("", ours)
                    } else if let Some(rest) = why.strip_prefix("named after another component (") {
                        let (theirs, ours) = rest.split_once("; the alert: ").expect(why);
                        (theirs, ours.trim_end_matches(')'))
                    } else {
                        continue;
                    };
                    quoted += 1;
                    keepalived |= why == "never mentions keepalived";
                    for w in ours.split(", ") {
                        assert!(
                            alert.contains(w),
                            "{}: {why:?}: {w:?} is not in {alert:?}",
                            q.name
                        );
                    }
                    for w in theirs.split(", ").filter(|w| !w.is_empty()) {
                        assert!(
                            doc.contains(w),
                            "{}: {why:?}: {w:?} is not in {doc:?}",
                            q.name
                        );
                    }
                }
            }
        }
    }
    assert!(
        quoted > 0,
        "no reason quoted a word: the test checked nothing"
    );
    assert!(
        keepalived,
        "the keepalived query says what its documents never mention"
    );
}
