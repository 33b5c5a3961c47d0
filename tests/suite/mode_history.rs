//! The mode history in the journal is the governor's real history: a start records the mode it
//! starts in as a state (`from: null`, with its evidence), never as a transition from ADAPTIVE;
//! a change is journaled once, however many cockpits on the journal observe it; a replay's mode
//! records are exactly the changes of the mode it ran in.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::live::{evaluation_ms, load_config};
use flightdeck::actions::Role;
use flightdeck::cockpit::{CockpitConfig, Event, UserCommand};
use flightdeck::journal::{JournalRecord, RecordKind};
use flightdeck::journal_store::JournalFile;
use flightdeck::knowledge::KnowledgeBase;
use flightdeck::live::{Live, LiveOptions, LiveSession};
use flightdeck::replay::ReplaySession;
use flightdeck::slo::{Mode, ModeChange, SloSpec};
use flightdeck::sources::{Origin, SourceMsg};
use flightdeck::time::{SignedDuration, Timestamp};

/// The mode records of a journal, decoded.
fn mode_records(records: &[JournalRecord]) -> Vec<ModeChange> {
    records
        .iter()
        .filter(|r| r.kind == RecordKind::ModeChange)
        .map(|r| serde_json::from_value(r.body.clone()).expect("a mode record decodes"))
        .collect()
}

/// What a journal's mode records must be whatever wrote them: each transition starts from the
/// mode the journal said before it and changes it; a state (a start) may repeat the mode.
fn assert_a_history(modes: &[ModeChange]) {
    let mut said: Option<Mode> = None;
    for (i, c) in modes.iter().enumerate() {
        if let Some(from) = c.from {
            assert_eq!(
                Some(from),
                said,
                "record {i} starts from a mode never recorded: {modes:#?}"
            );
            assert_ne!(from, c.to, "record {i} changes nothing: {modes:#?}");
        }
        said = Some(c.to);
    }
}

fn describe(modes: &[ModeChange]) -> Vec<String> {
    modes
        .iter()
        .map(|c| c.describe().split(':').next().unwrap().to_string())
        .collect()
}

// ---- several cockpits on one journal file ----------------------------------------------------

/// One SLO, `checkout`, 99.9% over 30 days.
fn slo() -> SloSpec {
    SloSpec::new(
        "checkout",
        "checkout",
        0.999,
        SignedDuration::from_hours(720),
    )
}

/// Two days of `checkout` counters up to `until`, half of the requests failing: the budget is
/// long gone (REDESIGN), and every cockpit that reads them knows it at its first evaluation.
fn burning_history(until: Timestamp) -> SourceMsg {
    let mut events = Vec::new();
    let (mut good, mut total) = (0.0, 0.0);
    for m in (0..=48 * 60).rev().step_by(5) {
        total += 1000.0;
        good += 500.0;
        let at = until - SignedDuration::from_mins(m);
        events.push((
            at,
            Event::Sample {
                slo: "checkout".into(),
                good,
                total,
            },
        ));
    }
    SourceMsg::Events {
        origin: Origin::Prometheus,
        events,
        permit: None,
    }
}

fn cockpit(path: &Path, actor: &str, role: Role, at: Timestamp) -> LiveSession {
    let mut s = LiveSession::new(
        CockpitConfig {
            actor: actor.into(),
            role,
            session: format!("{actor}-session"),
            ..CockpitConfig::default()
        },
        vec![slo()],
        KnowledgeBase::default(),
        at,
        Some(JournalFile::open(path).expect("the journal file opens")),
    );
    s.handle(burning_history(at), at);
    s
}

/// Three people on one bastion, one journal file, the budget already burnt when they start.
/// The journal says REDESIGN once (the first start), each real change once (the commander's
/// override, its end by time), and nothing else: no ADAPTIVE → REDESIGN at any start, no
/// second record of a change another cockpit already journaled.
#[test]
fn cockpits_sharing_a_journal_record_each_real_change_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let t0: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let at = |secs: i64| t0 + SignedDuration::from_secs(secs);

    let mut lee = cockpit(&path, "lee", Role::Commander, at(0));
    let mut dana = cockpit(&path, "dana", Role::Oncall, at(0));
    lee.tick(at(1));
    dana.tick(at(1));
    assert_eq!(lee.cockpit().mode(), Mode::Redesign);
    assert_eq!(dana.cockpit().mode(), Mode::Redesign);
    // Sam starts two minutes later: the journal already says REDESIGN.
    let mut sam = cockpit(&path, "sam", Role::Oncall, at(120));
    sam.tick(at(121));
    assert_eq!(sam.cockpit().mode(), Mode::Redesign);

    // The SLI is broken (the burn is not real): the commander loosens the mode for ten minutes.
    lee.command(
        UserCommand::OverrideMode {
            to: Some(Mode::Adaptive),
            reason: "the 5xx SLI counts health-check probes".into(),
            duration: SignedDuration::from_mins(10),
        },
        at(200),
    );
    assert_eq!(lee.cockpit().mode(), Mode::Adaptive);
    for secs in 201..215 {
        dana.tick(at(secs));
        sam.tick(at(secs));
        lee.tick(at(secs));
    }
    assert_eq!(dana.cockpit().mode(), Mode::Adaptive);
    assert_eq!(sam.cockpit().mode(), Mode::Adaptive);
    // The override runs out at 800 s; each cockpit notices at its own tick.
    for secs in (790..830).step_by(3) {
        sam.tick(at(secs));
        dana.tick(at(secs + 1));
        lee.tick(at(secs + 2));
    }
    for c in [&lee, &dana, &sam] {
        assert_eq!(c.cockpit().mode(), Mode::Redesign);
    }

    let records = JournalFile::open(&path).unwrap().records().unwrap();
    let modes = mode_records(&records);
    assert_a_history(&modes);
    assert_eq!(
        describe(&modes),
        [
            "started in REDESIGN",
            "REDESIGN → ADAPTIVE",
            "ADAPTIVE → REDESIGN"
        ],
        "{modes:#?}"
    );
    let start = &modes[0];
    assert_eq!(start.slo.as_deref(), Some("checkout"));
    assert!(
        start.reason.contains("error budget exhausted"),
        "{}",
        start.reason
    );
    let summaries: Vec<&str> = records
        .iter()
        .filter(|r| r.kind == RecordKind::ModeChange)
        .map(|r| r.summary.as_str())
        .collect();
    assert!(
        summaries[0].starts_with("started in REDESIGN: checkout: error budget exhausted"),
        "{summaries:?}"
    );
}

/// A cockpit that starts long after the last mode record says the mode it finds (a state, so a
/// reader of that stretch of the journal knows it), and still no transition.
#[test]
fn a_start_long_after_the_last_mode_record_records_its_state_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let t0: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let mut first = cockpit(&path, "lee", Role::Oncall, t0);
    first.tick(t0);
    drop(first);
    let later = t0 + SignedDuration::from_hours(5);
    let mut second = cockpit(&path, "dana", Role::Oncall, later);
    second.tick(later);
    let modes = mode_records(&JournalFile::open(&path).unwrap().records().unwrap());
    assert_a_history(&modes);
    assert_eq!(
        describe(&modes),
        ["started in REDESIGN", "started in REDESIGN"]
    );
}

// ---- headless live starts on the same journal, against a Prometheus ---------------------------

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn vector(value: u64) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"code":"200"}},"value":[1800000000.123,"{value}"]}}]}}}}"#
        ),
    )
        .into_response()
}

/// A Prometheus whose `checkout` counters grow by 100 requests a second, half of them failing,
/// answered as of each query's evaluation time (as a real one does). Every other good query is
/// answered 100 ms late, so a poll's answers reach the cockpit in either order: the mode must
/// not depend on it.
async fn burning_prometheus() -> SocketAddr {
    let good_queries = Arc::new(AtomicU64::new(0));
    let prom = move |uri: Uri| {
        let good_queries = good_queries.clone();
        async move {
            let total = evaluation_ms(&uri) / 10;
            if uri.query().unwrap_or_default().contains("good_total") {
                if good_queries.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                vector(total / 2)
            } else {
                vector(total)
            }
        }
    };
    serve(Router::new().route("/api/v1/query", get(prom))).await
}

const OPENSLO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  service: shop
  indicator:
    metadata: {name: checkout-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'good_total'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'all_total'}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"#;

/// Ends a wait that hangs, never a wait that is only slow. Under the governor's one-minute
/// [`flightdeck::slo::SETTLE`], so a Prometheus never heard from fails the test rather than
/// letting the governor settle on no data.
const HANG: Duration = Duration::from_secs(45);

/// When the cockpit last applied a `checkout` sample.
fn last_sample(c: &flightdeck::cockpit::Cockpit) -> Option<Timestamp> {
    c.budgets().first().and_then(|b| b.last_sample)
}

/// `flightdeck --headless` as the CLI runs it (`Live::start`, then the loop), until the
/// governor has settled on the burning budget and two more polls have been applied (a start
/// that settled on the wrong mode would change it there).
async fn headless_start(dir: &Path, prometheus: SocketAddr, journal: &Path) {
    std::fs::write(dir.join("checkout.yaml"), OPENSLO).unwrap();
    let config = load_config(
        dir,
        &format!(
            "[slo]\nfiles = [\"checkout.yaml\"]\n\
             [prometheus]\nurl = \"http://{prometheus}\"\ninterval = \"1s\"\ntimeout = \"1s\"\nbackfill = false\n"
        ),
    );
    let options = LiveOptions {
        user: Some("tester".into()),
        journal: Some(journal.to_path_buf()),
        ..LiveOptions::default()
    };
    let mut live = Live::start(&config, &options).await.unwrap();
    let settled = live
        .run_until(tokio::time::Instant::now() + HANG, |c| {
            c.governor().settled()
        })
        .await;
    assert!(settled, "{}", live.cockpit().mode_reason());
    for _ in 0..2 {
        let seen = last_sample(live.cockpit());
        let polled = live
            .run_until(tokio::time::Instant::now() + HANG, |c| {
                last_sample(c) > seen
            })
            .await;
        assert!(polled, "no new sample: {:?}", live.cockpit().sources());
    }
    assert_eq!(
        live.cockpit().mode(),
        Mode::Redesign,
        "{}",
        live.cockpit().mode_reason()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_headless_starts_on_one_journal_record_no_phantom_transition() {
    let prometheus = burning_prometheus().await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("team.jsonl");
    headless_start(dir.path(), prometheus, &journal).await;
    headless_start(dir.path(), prometheus, &journal).await;

    let file = JournalFile::open(&journal).unwrap();
    let records = file.records().unwrap();
    let starts = records
        .iter()
        .filter(|r| r.summary.starts_with("live session of tester"))
        .count();
    assert_eq!(starts, 2, "two sessions wrote to the journal");
    let modes = mode_records(&records);
    assert_a_history(&modes);
    // The first start found REDESIGN and said so; the second found the journal saying it.
    assert_eq!(describe(&modes), ["started in REDESIGN"], "{modes:#?}");
    assert!(!modes[0].evidence.is_empty(), "{modes:#?}");
}

// ---- replay: the journal's mode records are the changes of the mode it ran in ------------------

#[test]
fn a_replay_journals_exactly_the_changes_of_its_mode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut scenarios = vec![flightdeck::load::demo().unwrap()];
    for s in ["noisy-storm", "novel-clock-step"] {
        let path = root.join("assets/scenarios").join(s).join("scenario.yaml");
        scenarios.push(flightdeck::load::scenario_file(&path).unwrap());
    }
    for loaded in scenarios {
        let id = loaded.scenario.id.clone();
        let mut session = ReplaySession::new(
            loaded.scenario.clone(),
            loaded.knowledge,
            CockpitConfig::default(),
        );
        // The mode after every virtual second, from the moment the governor settled.
        let mut seen: Vec<Mode> = Vec::new();
        let mut t = loaded.scenario.start;
        while t <= loaded.scenario.end() {
            session.advance_to(t);
            let c = session.cockpit();
            if c.governor().settled() && seen.last() != Some(&c.mode()) {
                seen.push(c.mode());
            }
            t += SignedDuration::from_secs(1);
        }
        let modes = mode_records(session.records());
        assert_a_history(&modes);
        assert!(
            modes.first().is_some_and(ModeChange::is_state),
            "{id}: the first mode record is the state at start: {modes:#?}"
        );
        assert_eq!(
            modes.iter().filter(|c| c.is_state()).count(),
            1,
            "{id}: one start, one state"
        );
        let journaled: Vec<Mode> = modes.iter().map(|c| c.to).collect();
        assert_eq!(journaled, seen, "{id}: {modes:#?}");
    }
}

// ---- reading the history: timeline and export ------------------------------------------------

/// A journal as two cockpits on a burning budget leave it: sessions, the state at the first
/// start, a second start that added nothing, the commander's override and its end.
fn a_team_journal() -> Vec<JournalRecord> {
    use flightdeck::journal::{Chain, JournalEntry};
    let t0: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let at = |mins: i64| t0 + SignedDuration::from_mins(mins);
    let mut chain = Chain::default();
    let mut records = Vec::new();
    let mut seal = |entry: JournalEntry, ts: Timestamp| records.push(chain.seal(entry, ts));
    let note = |actor: &str, text: &str| JournalEntry {
        actor: actor.into(),
        role: flightdeck::actions::Role::Oncall.into(),
        kind: RecordKind::Note,
        summary: text.into(),
        body: serde_json::json!({"text": text}),
    };
    let mode = |change: ModeChange| JournalEntry {
        actor: "governor".into(),
        role: flightdeck::journal::RecordRole::System,
        kind: RecordKind::ModeChange,
        summary: change.describe(),
        body: serde_json::to_value(&change).unwrap(),
    };
    let change = |mins: i64, from: Option<Mode>, to: Mode, reason: &str| ModeChange {
        at: at(mins),
        from,
        to,
        reason: reason.into(),
        slo: Some("checkout".into()),
        evidence: Vec::new(),
        budget_remaining: None,
        drift: None,
    };
    seal(
        JournalEntry {
            kind: RecordKind::Genesis,
            body: serde_json::json!({"journal_id": "team"}),
            ..note("lee", "journal started")
        },
        at(0),
    );
    seal(
        note("lee", "live session of lee (commander) started"),
        at(0),
    );
    seal(
        mode(change(
            0,
            None,
            Mode::Redesign,
            "checkout: error budget exhausted (-4.0% left over the SLO window)",
        )),
        at(0),
    );
    seal(note("dana", "live session of dana (oncall) started"), at(2));
    seal(
        mode(change(
            10,
            Some(Mode::Redesign),
            Mode::Adaptive,
            "OVERRIDE to ADAPTIVE by lee",
        )),
        at(10),
    );
    seal(
        mode(change(
            20,
            Some(Mode::Adaptive),
            Mode::Redesign,
            "override ended",
        )),
        at(20),
    );
    records
}

#[test]
fn the_timeline_shows_the_start_as_a_state_and_only_real_changes() {
    let records = a_team_journal();
    let md = flightdeck::journal::timeline_markdown(&records, None, None);
    assert!(
        md.contains("**mode** started in REDESIGN (governor): checkout: error budget exhausted"),
        "{md}"
    );
    assert!(md.contains("- mode at the start: REDESIGN"), "{md}");
    assert!(
        md.contains("The governor went REDESIGN → ADAPTIVE at 03:10:00 → REDESIGN at 03:20:00."),
        "{md}"
    );
    assert!(
        !md.contains("ADAPTIVE → REDESIGN (governor): checkout: error budget"),
        "{md}"
    );
    assert_eq!(
        md.matches("started in REDESIGN").count(),
        2,
        "timeline and mode section: {md}"
    );

    // Only the start in the range: the governor stayed where it started.
    let start_only = flightdeck::journal::timeline_markdown(
        &records,
        None,
        Some("2026-11-26T03:05:00Z".parse().unwrap()),
    );
    assert!(
        start_only.contains("The governor was in REDESIGN throughout."),
        "{start_only}"
    );
}

#[test]
fn the_export_calls_the_start_a_mode_state_not_a_mode_change() {
    let records = a_team_journal();
    let lines: Vec<serde_json::Value> = flightdeck::journal::export_jsonl(&records)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let modes: Vec<(&str, &serde_json::Value, &str)> = lines
        .iter()
        .filter(|v| v["kind"].as_str().unwrap().starts_with("mode_"))
        .map(|v| {
            (
                v["kind"].as_str().unwrap(),
                &v["decision"]["from"],
                v["decision"]["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        modes,
        [
            ("mode_state", &serde_json::Value::Null, "redesign"),
            ("mode_change", &serde_json::json!("redesign"), "adaptive"),
            ("mode_change", &serde_json::json!("adaptive"), "redesign"),
        ]
    );
    let state = lines.iter().find(|v| v["kind"] == "mode_state").unwrap();
    assert_eq!(state["mode"], "redesign");
    assert!(
        state["decision"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("started in REDESIGN: checkout: error budget exhausted")
    );
    // The notes written while REDESIGN held say so.
    let dana = lines
        .iter()
        .find(|v| v["decision"]["summary"] == "live session of dana (oncall) started")
        .unwrap();
    assert_eq!(dana["mode"], "redesign");
}
