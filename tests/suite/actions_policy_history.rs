//! Property test (issue 6 §2): random sequences of approvals, mode changes, overlay changes,
//! edits and execution attempts, run through the live path's one policy function the way the
//! cockpit does (approvals carry the effective mode they were given in; an edit is a new,
//! novel step with no approvals). A step executes exactly when an independent model of the
//! design brief §1 rules allows it *at that moment*; in particular an approval given in a looser
//! mode is void once the mode tightened, and an approval only counts for the exact command it
//! was given for (an edit to another command leaves it behind).

use flightdeck::actions::step::Command;
use flightdeck::actions::{
    Approval, Audit, Overlays, Role, Step, StepClass, StepKind, StepOrigin, Verdict, policy,
};
use flightdeck::slo::Mode;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Event {
    Approve(usize),
    SetMode(Mode),
    SetDrift(bool),
    SetNovel(bool),
    Edit(u8),
    Execute,
}

const PEOPLE: [(&str, Role); 4] = [
    ("a", Role::Oncall),
    ("b", Role::Oncall),
    ("c", Role::Commander),
    ("t", Role::Trainee),
];

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Adaptive),
        Just(Mode::Freeze),
        Just(Mode::Redesign)
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => (0usize..4).prop_map(Event::Approve),
        2 => mode().prop_map(Event::SetMode),
        1 => any::<bool>().prop_map(Event::SetDrift),
        1 => any::<bool>().prop_map(Event::SetNovel),
        1 => any::<u8>().prop_map(Event::Edit),
        3 => Just(Event::Execute),
    ]
}

fn step(variant: usize) -> Step {
    let (kind, audited, origin) = match variant {
        0 => (StepKind::Diagnostic, false, StepOrigin::Structured),
        1 => (StepKind::Mitigation, true, StepOrigin::Structured),
        2 => (StepKind::Mitigation, false, StepOrigin::Structured),
        _ => (StepKind::Diagnostic, false, StepOrigin::CodeBlock),
    };
    Step {
        id: "s".into(),
        title: "s".into(),
        kind,
        command: Command::Argv(vec!["kubectl".into(), "get".into(), "pods".into()]),
        timeout: None,
        audited: audited.then(|| Audit {
            by: "maria".into(),
            on: "2026-01-15".parse().unwrap(),
        }),
        origin,
    }
}

/// The model: what the design brief allows, computed from the history.
struct Model {
    kind: StepKind,
    audited: bool,
    /// Not edited: a structured step or a runbook code block (unaudited, not novel).
    structured: bool,
    /// The command as it is now.
    argv: Vec<String>,
    /// Every approval: (person, role, mode given in, command approved).
    approvals: Vec<(&'static str, Role, Mode, Vec<String>)>,
}

impl Model {
    fn allows(&self, mode: Mode, drift: bool, novel_cluster: bool) -> bool {
        let eff = if drift { mode.stricter() } else { mode };
        let valid: Vec<_> = self
            .approvals
            .iter()
            .filter(|(_, role, given, argv)| {
                *role != Role::Trainee && *given >= eff && *argv == self.argv
            })
            .collect();
        let mut people: Vec<&str> = valid.iter().map(|(p, _, _, _)| *p).collect();
        people.sort();
        people.dedup();
        let commander = valid.iter().any(|(_, r, _, _)| *r == Role::Commander);
        let known_diag = self.kind == StepKind::Diagnostic && self.structured;
        let audited_mit = self.kind == StepKind::Mitigation && self.audited && self.structured;
        if novel_cluster && !known_diag {
            return false;
        }
        if known_diag {
            return !people.is_empty();
        }
        match eff {
            Mode::Adaptive if audited_mit => !people.is_empty(),
            Mode::Adaptive => commander,
            Mode::Freeze => audited_mit && commander,
            Mode::Redesign => audited_mit && commander && people.len() >= 2,
        }
    }
}

/// A step and the approvals it collected, as the cockpit keeps suggestions: one per step and
/// exact command (`Suggestion::key`), so an edit back to a command already approved finds
/// that suggestion and its approvals again.
struct Pending {
    step: Step,
    approvals: Vec<Approval>,
    /// The suggestions edited so far, by command.
    others: std::collections::BTreeMap<Vec<String>, (Step, Vec<Approval>)>,
}

impl Pending {
    fn new(step: Step) -> Pending {
        Pending {
            step,
            approvals: Vec::new(),
            others: Default::default(),
        }
    }

    fn verdict(&self, mode: Mode, overlays: Overlays) -> Verdict {
        policy(
            mode,
            overlays,
            &StepClass::from(&self.step),
            &self.approvals,
        )
    }

    /// An approval as the cockpit takes one: one per person; refused outright when no approval
    /// can make the step run; recorded with the effective mode the approver saw.
    fn approve(&mut self, by: &str, role: Role, mode: Mode, overlays: Overlays) -> bool {
        if self.approvals.iter().any(|a| a.by == by) {
            return false;
        }
        if matches!(self.verdict(mode, overlays), Verdict::Refused { .. }) {
            return false;
        }
        let eff = if overlays.drift {
            mode.stricter()
        } else {
            mode
        };
        self.approvals.push(Approval {
            by: by.into(),
            role,
            mode: eff,
        });
        true
    }

    /// An edit: a new, novel step for the edited command (or the one edited to that command
    /// before); approvals of other commands stay behind.
    fn edit(&mut self, argv: Vec<String>) {
        if argv == self.step.argv() {
            // The same command: the same suggestion.
            return;
        }
        let (step, approvals) = self
            .others
            .remove(&argv)
            .unwrap_or_else(|| (self.step.edited(argv), Vec::new()));
        let old_step = std::mem::replace(&mut self.step, step);
        let old = std::mem::replace(&mut self.approvals, approvals);
        self.others
            .insert(old_step.argv().to_vec(), (old_step, old));
    }

    fn may_execute(&self, mode: Mode, overlays: Overlays) -> bool {
        self.verdict(mode, overlays) == Verdict::Allowed
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn nothing_executes_unless_the_policy_allows_it_at_that_moment(
        variant in 0usize..4,
        start in mode(),
        events in proptest::collection::vec(event(), 0..40),
    ) {
        let s = step(variant);
        let mut pending = Pending::new(s.clone());
        let mut model = Model {
            kind: s.kind,
            audited: s.audited.is_some(),
            structured: s.origin != StepOrigin::Edited,
            argv: s.argv().to_vec(),
            approvals: Vec::new(),
        };
        let (mut mode, mut drift, mut novel) = (start, false, false);
        let mut executed_in_tightened_mode = 0;
        for e in events {
            let overlays = Overlays { novel, drift };
            let eff = if drift { mode.stricter() } else { mode };
            match e {
                Event::Approve(i) => {
                    let (by, role) = PEOPLE[i];
                    if pending.approve(by, role, mode, overlays) {
                        model.approvals.push((by, role, eff, model.argv.clone()));
                    }
                }
                Event::SetMode(m) => mode = m,
                Event::SetDrift(d) => drift = d,
                Event::SetNovel(n) => novel = n,
                Event::Edit(x) => {
                    // Few distinct commands, so edits back to an approved command happen too.
                    let argv = vec!["kubectl".into(), "delete".into(), format!("pod-{}", x % 3)];
                    pending.edit(argv.clone());
                    model.structured = false;
                    model.audited = false;
                    model.argv = argv;
                }
                Event::Execute => {
                    let ran = pending.may_execute(mode, overlays);
                    prop_assert_eq!(ran, model.allows(mode, drift, novel),
                        "mode {:?} drift {} novel {} approvals {:?}", mode, drift, novel, model.approvals);
                    if ran && model.approvals.iter().all(|(_, _, given, _)| *given < eff) {
                        executed_in_tightened_mode += 1;
                    }
                }
            }
        }
        // No execution ever rested only on approvals from a looser mode.
        prop_assert_eq!(executed_in_tightened_mode, 0);
    }
}

#[test]
fn adaptive_approval_is_void_after_freeze() {
    let s = step(1);
    let mut p = Pending::new(s);
    let none = Overlays::default();
    assert!(p.approve("a", Role::Oncall, Mode::Adaptive, none));
    assert!(p.may_execute(Mode::Adaptive, none));
    assert!(!p.may_execute(Mode::Freeze, none));
    // Drift: the same Adaptive mode evaluated as Freeze.
    let drift = Overlays {
        novel: false,
        drift: true,
    };
    assert!(!p.may_execute(Mode::Adaptive, drift));
}
