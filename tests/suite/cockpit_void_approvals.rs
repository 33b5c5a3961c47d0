//! Void approvals (issue 17 §11), in the replayed demo incident with two people on one journal:
//! an approval given in a looser mode is void once the mode tightens, and stays void when it
//! loosens again (its approver may approve anew); an execution record lists only the approvals
//! that counted (the void ones apart); a step that is allowed on approvals it has runs.

use crate::common;
use flightdeck::actions::{Role, StepKind, Verdict};
use flightdeck::cockpit::{
    Cockpit, CockpitConfig, Effect, Event, ExecOutcome, ExecRequest, SuggestionId,
    SuggestionStatus, UserCommand,
};
use flightdeck::journal::{Chain, JournalRecord, RecordKind};
use flightdeck::slo::Mode;
use flightdeck::time::{SignedDuration, Timestamp};
use flightdeck::training::Player;
use flightdeck::training::player::Played;
use flightdeck::training::scenario::{Scenario, ScenarioEvent};

const LEE: usize = 0;
const DANA: usize = 1;

/// Two cockpits (lee the commander, dana on call) fed the same replayed scenario, sharing one
/// journal chain: every sealed record reaches both, as on a shared journal file.
struct Team {
    scenario: Scenario,
    player: Player,
    chain: Chain,
    records: Vec<JournalRecord>,
    cockpits: Vec<Cockpit>,
    notices: Vec<Vec<String>>,
    executed: Vec<(usize, ExecRequest)>,
}

impl Team {
    fn new() -> Team {
        let loaded = common::replay::demo();
        let scenario = loaded.scenario;
        let cockpits = [("lee", Role::Commander), ("dana", Role::Oncall)]
            .into_iter()
            .map(|(actor, role)| {
                let mut config = CockpitConfig {
                    actor: actor.into(),
                    role,
                    session: format!("{actor}-session"),
                    dry_run: true,
                    ..CockpitConfig::default()
                };
                if let Some(g) = &scenario.group_by {
                    config.clustering.group_by = g.clone();
                }
                config.clustering.topology = scenario.topology.clone();
                Cockpit::new(
                    config,
                    scenario.slos.clone(),
                    loaded.knowledge.clone(),
                    scenario.start,
                )
            })
            .collect();
        Team {
            player: Player::new(&scenario),
            scenario,
            chain: Chain::default(),
            records: Vec::new(),
            cockpits,
            notices: vec![Vec::new(), Vec::new()],
            executed: Vec::new(),
        }
    }

    fn now(&self) -> Timestamp {
        self.player.position()
    }

    fn advance_to(&mut self, minutes: i64) {
        let to = self.scenario.start + SignedDuration::from_mins(minutes);
        for (at, played) in self.player.advance_to(&self.scenario, to) {
            let event = match played {
                Played::Tick => Event::Tick,
                Played::Event(ScenarioEvent::Sample { slo, good, total }) => {
                    Event::Sample { slo, good, total }
                }
                Played::Event(ScenarioEvent::Alert(a)) => Event::Alert(a),
                // The responders' recorded decisions are not ours to replay here.
                Played::Event(ScenarioEvent::Decision(_)) => continue,
            };
            for who in [LEE, DANA] {
                let effects = self.cockpits[who].apply(event.clone(), at);
                self.run(who, effects, at);
            }
        }
    }

    fn command(&mut self, who: usize, command: UserCommand) -> Vec<String> {
        let at = self.now();
        let before = self.notices[who].len();
        let effects = self.cockpits[who].apply(Event::User(command), at);
        self.run(who, effects, at);
        self.notices[who][before..].to_vec()
    }

    fn run(&mut self, who: usize, effects: Vec<Effect>, at: Timestamp) {
        for effect in effects {
            match effect {
                Effect::Journal(entry) => {
                    let record = self.chain.seal(entry, at);
                    self.records.push(record.clone());
                    for c in [LEE, DANA] {
                        let more = self.cockpits[c].apply(Event::Journaled(record.clone()), at);
                        self.run(c, more, at);
                    }
                }
                Effect::Execute(request) => {
                    let outcome = ExecOutcome {
                        ok: true,
                        failure: None,
                        exit_code: None,
                        summary: "dry run (test)".into(),
                        duration_ms: 0,
                        dry_run: true,
                        output: None,
                    };
                    let id = request.suggestion;
                    self.executed.push((who, request));
                    let more = self.cockpits[who].apply(
                        Event::Executed {
                            suggestion: id,
                            outcome,
                        },
                        at,
                    );
                    self.run(who, more, at);
                }
                Effect::Notice(text) => self.notices[who].push(text),
            }
        }
    }

    fn set_mode(&mut self, to: Option<Mode>) {
        let notices = self.command(
            LEE,
            UserCommand::OverrideMode {
                to,
                reason: "test: the mode moves on purpose".into(),
                duration: SignedDuration::from_mins(60),
            },
        );
        assert!(
            notices.iter().all(|n| !n.contains("only")),
            "override refused: {notices:?}"
        );
    }

    fn mode(&self, who: usize) -> Mode {
        self.cockpits[who].mode()
    }

    /// A pending, pre-audited mitigation both cockpits offer, not novel, for a firing cluster.
    fn audited_mitigation(&self) -> SuggestionId {
        self.cockpits[LEE]
            .approval_queue()
            .iter()
            .find(|s| {
                s.step.kind == StepKind::Mitigation
                    && s.step.is_pre_audited()
                    && !s.step.is_novel()
                    && s.targeted
                    && s.status == SuggestionStatus::Pending
                    && !s.verdict.is_refused()
            })
            .map(|s| s.id)
            .expect("the demo offers a pre-audited mitigation")
    }

    fn verdict(&self, who: usize, id: SuggestionId) -> Verdict {
        self.cockpits[who].suggestion(id).unwrap().verdict.clone()
    }

    fn approval_hashes(&self, actor: &str) -> Vec<String> {
        self.records
            .iter()
            .filter(|r| r.kind == RecordKind::Approval && r.actor == actor)
            .map(|r| r.hash.clone())
            .collect()
    }

    fn execution(&self) -> &JournalRecord {
        self.records
            .iter()
            .rev()
            .find(|r| r.kind == RecordKind::Execution)
            .expect("an execution record")
    }
}

fn hashes(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|h| h.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Dana approves a pre-audited mitigation in FREEZE (where it needs the commander); the mode
/// tightens to REDESIGN and her approval is void; lee approves there (REDESIGN wants two
/// people: not enough); the mode loosens to FREEZE, where lee's approval suffices: the step
/// runs, in lee's cockpit, and its execution record credits lee alone.
#[test]
fn an_execution_record_lists_only_the_approvals_that_counted() {
    let mut team = Team::new();
    team.advance_to(30);
    team.set_mode(Some(Mode::Freeze));
    assert_eq!(team.mode(LEE), Mode::Freeze);
    let s = team.audited_mitigation();
    // FREEZE: a pre-audited mitigation needs the commander; dana's approval is on record.
    assert!(team.command(DANA, UserCommand::Approve(s)).is_empty());
    assert!(matches!(
        team.verdict(DANA, s),
        Verdict::NeedsApproval { .. }
    ));
    assert!(team.executed.is_empty());
    // The mode tightens: dana's FREEZE approval is void in REDESIGN.
    team.set_mode(Some(Mode::Redesign));
    let Verdict::NeedsApproval { missing } = team.verdict(LEE, s) else {
        panic!("{:?}", team.verdict(LEE, s))
    };
    assert!(
        missing.contains("void") && missing.contains("dana"),
        "{missing}"
    );
    // Lee approves in REDESIGN: two different approvers are needed, dana's does not count.
    team.command(LEE, UserCommand::Approve(s));
    assert!(team.executed.is_empty(), "one counted approval is not two");
    // The mode loosens to FREEZE again: dana's approval stays void, lee's (given in REDESIGN)
    // suffices in FREEZE, so the step runs — in lee's cockpit, whose approval it rests on.
    team.set_mode(Some(Mode::Freeze));
    assert_eq!(team.executed.len(), 1, "{:?}", team.notices);
    assert_eq!(team.executed[0].0, LEE);
    let exec = team.execution();
    assert_eq!(
        hashes(&exec.body["approvals"]),
        team.approval_hashes("lee"),
        "only lee's approval counted: {}",
        exec.body
    );
    assert_eq!(
        hashes(&exec.body["void_approvals"]),
        team.approval_hashes("dana"),
        "dana's void approval is on record, not credited"
    );
}

/// A void approval does not revive when the mode loosens (no "ALLOWED" resting on it), and its
/// approver is not told "you already approved": she approves again, that approval counts, and
/// with the commander's the step runs. (First, the plain case: one ADAPTIVE approval runs a
/// pre-audited mitigation, and its record has no void approvals.)
#[test]
fn a_void_approval_stays_void_and_its_approver_may_approve_again() {
    let mut team = Team::new();
    team.advance_to(30);
    team.set_mode(Some(Mode::Adaptive));
    let s = team.audited_mitigation();
    team.command(DANA, UserCommand::Approve(s));
    assert_eq!(team.executed.len(), 1);
    let exec = team.execution();
    assert_eq!(
        hashes(&exec.body["approvals"]),
        team.approval_hashes("dana")
    );
    assert!(exec.body.get("void_approvals").is_none(), "{}", exec.body);

    let mut team = Team::new();
    team.advance_to(30);
    team.set_mode(Some(Mode::Freeze));
    let s = team.audited_mitigation();
    team.command(DANA, UserCommand::Approve(s));
    team.set_mode(Some(Mode::Redesign));
    team.set_mode(Some(Mode::Freeze));
    // Back in FREEZE: dana's approval (given in FREEZE) was voided in REDESIGN and stays void.
    let v = team.verdict(DANA, s);
    assert!(
        matches!(&v, Verdict::NeedsApproval { missing } if missing.contains("void")),
        "a void approval does not revive: {v:?}"
    );
    assert!(team.executed.is_empty());
    // Dana may approve again: no "you already approved".
    let notices = team.command(DANA, UserCommand::Approve(s));
    assert!(
        notices.iter().all(|n| !n.contains("already approved")),
        "{notices:?}"
    );
    assert!(matches!(
        team.verdict(LEE, s),
        Verdict::NeedsApproval { .. }
    ));
    // Lee's approval completes it in FREEZE and runs it.
    team.command(LEE, UserCommand::Approve(s));
    assert_eq!(team.executed.len(), 1, "{:?}", team.notices);
    let exec = team.execution();
    let dana = team.approval_hashes("dana");
    assert_eq!(dana.len(), 2);
    let mut counted = hashes(&exec.body["approvals"]);
    counted.sort();
    let mut want = vec![dana[1].clone(), team.approval_hashes("lee")[0].clone()];
    want.sort();
    assert_eq!(counted, want, "{}", exec.body);
    assert_eq!(hashes(&exec.body["void_approvals"]), vec![dana[0].clone()]);
}

/// A cockpit that starts later and folds the journal (its mode records and approvals, as a
/// live start does) shows the same void approval as the cockpits that saw the mode tighten.
#[test]
fn a_cockpit_started_later_folds_the_void_from_the_mode_records() {
    let mut team = Team::new();
    team.advance_to(30);
    team.set_mode(Some(Mode::Freeze));
    let s = team.audited_mitigation();
    team.command(DANA, UserCommand::Approve(s));
    team.set_mode(Some(Mode::Redesign));
    team.set_mode(None); // the override ends: the budgets' FREEZE again
    let lee = team.cockpits[LEE].suggestion(s).unwrap().clone();
    assert!(lee.approvals.is_empty() && lee.void_approvals.len() == 1);

    // Sam starts now: the same scenario data, then the journal's mode records and approvals.
    let loaded = common::replay::demo();
    let mut sam = Cockpit::new(
        CockpitConfig {
            actor: "sam".into(),
            role: Role::Oncall,
            session: "sam-session".into(),
            clustering: team.cockpits[LEE].config().clustering.clone(),
            ..CockpitConfig::default()
        },
        team.scenario.slos.clone(),
        loaded.knowledge,
        team.scenario.start,
    );
    let mut player = Player::new(&team.scenario);
    for (at, played) in player.advance_to(&team.scenario, team.now()) {
        let event = match played {
            Played::Tick => Event::Tick,
            Played::Event(ScenarioEvent::Sample { slo, good, total }) => {
                Event::Sample { slo, good, total }
            }
            Played::Event(ScenarioEvent::Alert(a)) => Event::Alert(a),
            Played::Event(ScenarioEvent::Decision(_)) => continue,
        };
        sam.apply(event, at);
    }
    assert_eq!(
        sam.mode(),
        Mode::Freeze,
        "the budgets' mode, no override in force"
    );
    for r in team
        .records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::ModeChange | RecordKind::Approval))
    {
        sam.apply(Event::Journaled(r.clone()), team.now());
    }
    let seen = sam.suggestion(s).expect("the same step");
    assert!(seen.approvals.is_empty(), "{:?}", seen.approvals);
    assert_eq!(seen.void_approvals, lee.void_approvals);
    assert!(
        matches!(&seen.verdict, Verdict::NeedsApproval { missing } if missing.contains("void")),
        "{:?}",
        seen.verdict
    );
}
