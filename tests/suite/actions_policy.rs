//! Walks the whole input space of the policy and checks the design brief §1 invariants.
//!
//! Inputs: every mode × overlay combination × step class × approval list of up to two approvals,
//! each by one of {on-call a, on-call b, commander c, trainee t} given in any of the three modes.

use flightdeck::actions::{Approval, Overlays, Role, StepClass, StepKind, Verdict, policy};
use flightdeck::knowledge::parse_runbook;
use flightdeck::slo::Mode;

fn people() -> Vec<(&'static str, Role)> {
    vec![
        ("a", Role::Oncall),
        ("b", Role::Oncall),
        ("c", Role::Commander),
        ("t", Role::Trainee),
    ]
}

fn single_approvals() -> Vec<Approval> {
    let mut out = Vec::new();
    for (by, role) in people() {
        for mode in Mode::ALL {
            out.push(Approval {
                by: by.into(),
                role,
                mode,
            });
        }
    }
    out
}

fn approval_sets() -> Vec<Vec<Approval>> {
    let singles = single_approvals();
    let mut out = vec![vec![]];
    for x in &singles {
        out.push(vec![x.clone()]);
    }
    for x in &singles {
        for y in &singles {
            out.push(vec![x.clone(), y.clone()]);
        }
    }
    out
}

fn overlays() -> Vec<Overlays> {
    let mut out = Vec::new();
    for novel in [false, true] {
        for drift in [false, true] {
            out.push(Overlays { novel, drift });
        }
    }
    out
}

fn effective(mode: Mode, o: Overlays) -> Mode {
    if o.drift { mode.stricter() } else { mode }
}

/// Approvals that count in `eff`: not trainees, not given in a looser mode.
fn valid(approvals: &[Approval], eff: Mode) -> Vec<&Approval> {
    approvals
        .iter()
        .filter(|a| a.role != Role::Trainee && a.mode >= eff)
        .collect()
}

fn distinct_people(approvals: &[&Approval]) -> usize {
    let mut names: Vec<&str> = approvals.iter().map(|a| a.by.as_str()).collect();
    names.sort();
    names.dedup();
    names.len()
}

struct Case {
    mode: Mode,
    overlays: Overlays,
    step: StepClass,
    approvals: Vec<Approval>,
    verdict: Verdict,
}

fn all_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for mode in Mode::ALL {
        for o in overlays() {
            for step in StepClass::all() {
                for approvals in approval_sets() {
                    let verdict = policy(mode, o, &step, &approvals);
                    out.push(Case {
                        mode,
                        overlays: o,
                        step,
                        approvals,
                        verdict,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn input_space_size() {
    // 3 modes × 4 overlays × 12 step classes (3 kinds × audited × novel) × (1 + 12 + 144)
    // approval lists.
    assert_eq!(all_cases().len(), 3 * 4 * 12 * 157);
}

#[test]
fn nothing_is_allowed_without_a_counted_approval() {
    for c in all_cases() {
        if c.verdict.is_allowed() {
            let eff = effective(c.mode, c.overlays);
            assert!(
                !valid(&c.approvals, eff).is_empty(),
                "{:?} {:?} {:?} {:?}",
                c.mode,
                c.overlays,
                c.step,
                c.approvals
            );
        }
    }
}

#[test]
fn nothing_novel_in_freeze_or_redesign() {
    for c in all_cases() {
        if c.step.novel && effective(c.mode, c.overlays) >= Mode::Freeze {
            assert!(c.verdict.is_refused(), "{:?} {:?}", c.mode, c.step);
        }
    }
}

#[test]
fn freeze_and_redesign_refuse_unaudited_mitigations() {
    for c in all_cases() {
        if c.step.kind == StepKind::Mitigation
            && !c.step.pre_audited
            && effective(c.mode, c.overlays) >= Mode::Freeze
        {
            assert!(c.verdict.is_refused());
        }
    }
}

#[test]
fn novel_overlay_allows_nothing_beyond_known_diagnostics() {
    for c in all_cases() {
        if c.overlays.novel && (c.step.kind != StepKind::Diagnostic || c.step.novel) {
            assert!(c.verdict.is_refused(), "{:?}", c.step);
        }
    }
}

#[test]
fn chaos_experiments_run_only_in_adaptive_and_like_mitigations_there() {
    for c in all_cases() {
        if c.step.kind != StepKind::Experiment {
            continue;
        }
        let eff = effective(c.mode, c.overlays);
        if eff >= Mode::Freeze {
            assert!(c.verdict.is_refused(), "{:?} {:?}", c.mode, c.overlays);
            continue;
        }
        // In Adaptive an experiment gets exactly what the same mitigation would get.
        let as_mitigation = StepClass {
            kind: StepKind::Mitigation,
            ..c.step
        };
        assert_eq!(
            c.verdict.permissiveness(),
            policy(c.mode, c.overlays, &as_mitigation, &c.approvals).permissiveness(),
            "{:?} {:?} {:?}",
            c.overlays,
            c.step,
            c.approvals
        );
    }
}

#[test]
fn mitigations_outside_adaptive_need_the_commander() {
    for c in all_cases() {
        let eff = effective(c.mode, c.overlays);
        if c.step.kind == StepKind::Mitigation && eff >= Mode::Freeze && c.verdict.is_allowed() {
            let v = valid(&c.approvals, eff);
            assert!(v.iter().any(|a| a.role == Role::Commander));
        }
    }
}

#[test]
fn redesign_mitigations_need_two_different_people_one_the_commander() {
    for c in all_cases() {
        let eff = effective(c.mode, c.overlays);
        if c.step.kind == StepKind::Mitigation && eff == Mode::Redesign && c.verdict.is_allowed() {
            let v = valid(&c.approvals, eff);
            assert!(distinct_people(&v) >= 2, "{:?}", c.approvals);
            assert!(v.iter().any(|a| a.role == Role::Commander));
        }
    }
}

#[test]
fn novel_steps_in_adaptive_need_the_commander() {
    for c in all_cases() {
        if c.step.novel && c.verdict.is_allowed() {
            let eff = effective(c.mode, c.overlays);
            assert_eq!(eff, Mode::Adaptive);
            assert!(
                valid(&c.approvals, eff)
                    .iter()
                    .any(|a| a.role == Role::Commander)
            );
        }
    }
}

#[test]
fn overlays_never_loosen() {
    for c in all_cases() {
        let bare = policy(c.mode, Overlays::default(), &c.step, &c.approvals);
        assert!(
            c.verdict.permissiveness() <= bare.permissiveness(),
            "{:?} {:?} {:?}: {:?} vs {:?}",
            c.mode,
            c.overlays,
            c.step,
            c.verdict,
            bare
        );
        // Adding an overlay to any overlay set never loosens either.
        for more in [
            Overlays {
                novel: true,
                ..c.overlays
            },
            Overlays {
                drift: true,
                ..c.overlays
            },
        ] {
            let tighter = policy(c.mode, more, &c.step, &c.approvals);
            assert!(tighter.permissiveness() <= c.verdict.permissiveness());
        }
    }
}

#[test]
fn stricter_modes_never_loosen() {
    for c in all_cases() {
        for stricter in Mode::ALL.into_iter().filter(|m| *m > c.mode) {
            let v = policy(stricter, c.overlays, &c.step, &c.approvals);
            assert!(v.permissiveness() <= c.verdict.permissiveness());
        }
    }
}

#[test]
fn more_approvals_never_hurt_and_trainees_never_count() {
    let singles = single_approvals();
    for c in all_cases() {
        if c.approvals.len() < 2 {
            for extra in &singles {
                let mut more = c.approvals.clone();
                more.push(extra.clone());
                let v = policy(c.mode, c.overlays, &c.step, &more);
                assert!(v.permissiveness() >= c.verdict.permissiveness());
                if extra.role == Role::Trainee {
                    assert_eq!(v.permissiveness(), c.verdict.permissiveness());
                }
            }
        }
        let without_trainees: Vec<Approval> = c
            .approvals
            .iter()
            .filter(|a| a.role != Role::Trainee)
            .cloned()
            .collect();
        let v = policy(c.mode, c.overlays, &c.step, &without_trainees);
        assert_eq!(v, c.verdict);
    }
}

#[test]
fn approvals_from_a_looser_mode_are_void() {
    for c in all_cases() {
        let eff = effective(c.mode, c.overlays);
        let stale: Vec<Approval> = c
            .approvals
            .iter()
            .filter(|a| a.mode < eff)
            .cloned()
            .collect();
        if !stale.is_empty() && stale.len() == c.approvals.len() {
            assert!(!c.verdict.is_allowed());
        }
    }
}

#[test]
fn refusals_do_not_depend_on_approvals_and_needs_can_be_met() {
    for c in all_cases() {
        let eff = effective(c.mode, c.overlays);
        let none = policy(c.mode, c.overlays, &c.step, &[]);
        assert_eq!(c.verdict.is_refused(), none.is_refused());
        if let Verdict::NeedsApproval { missing } = &c.verdict {
            assert!(!missing.is_empty());
            let full = vec![
                Approval {
                    by: "a".into(),
                    role: Role::Oncall,
                    mode: eff,
                },
                Approval {
                    by: "c".into(),
                    role: Role::Commander,
                    mode: eff,
                },
            ];
            assert!(policy(c.mode, c.overlays, &c.step, &full).is_allowed());
        }
    }
}

#[test]
fn the_table_as_written() {
    use Mode::*;
    let one = |by: &str, role, mode| {
        vec![Approval {
            by: String::from(by),
            role,
            mode,
        }]
    };
    let diag = StepClass {
        kind: StepKind::Diagnostic,
        pre_audited: false,
        novel: false,
    };
    let audited = StepClass {
        kind: StepKind::Mitigation,
        pre_audited: true,
        novel: false,
    };
    let novel = StepClass {
        kind: StepKind::Diagnostic,
        pre_audited: false,
        novel: true,
    };
    let none = Overlays::default();
    // Adaptive: one on-call approval for diagnostics and audited mitigations, commander for novel.
    assert!(policy(Adaptive, none, &diag, &one("a", Role::Oncall, Adaptive)).is_allowed());
    assert!(policy(Adaptive, none, &audited, &one("a", Role::Oncall, Adaptive)).is_allowed());
    assert!(matches!(
        policy(Adaptive, none, &novel, &one("a", Role::Oncall, Adaptive)),
        Verdict::NeedsApproval { missing } if missing.contains("incident commander")
    ));
    assert!(policy(Adaptive, none, &novel, &one("c", Role::Commander, Adaptive)).is_allowed());
    // Freeze.
    assert!(policy(Freeze, none, &diag, &one("a", Role::Oncall, Freeze)).is_allowed());
    assert!(!policy(Freeze, none, &audited, &one("a", Role::Oncall, Freeze)).is_allowed());
    assert!(policy(Freeze, none, &audited, &one("c", Role::Commander, Freeze)).is_allowed());
    assert!(policy(Freeze, none, &novel, &one("c", Role::Commander, Freeze)).is_refused());
    // Redesign.
    let two = vec![
        Approval {
            by: "b".into(),
            role: Role::Oncall,
            mode: Redesign,
        },
        Approval {
            by: "c".into(),
            role: Role::Commander,
            mode: Redesign,
        },
    ];
    assert!(policy(Redesign, none, &audited, &two).is_allowed());
    assert!(!policy(Redesign, none, &audited, &two[1..]).is_allowed());
    // A trainee never counts, even as the only approver.
    assert!(!policy(Adaptive, none, &diag, &one("t", Role::Trainee, Adaptive)).is_allowed());
}

/// A runbook written without front matter: its code blocks, each with the kind the read-only
/// classifier should give it.
const PLAIN_RUNBOOK: &str = "# Prometheus down

Is it up?

```sh
curl -fsS http://prometheus:9090/-/healthy
```

Its pods:

```sh
kubectl -n monitoring get pods -l app=prometheus
```

The logs, filtered:

```sh
kubectl -n monitoring logs prometheus-0 | grep -i error
```

Reload the config:

```sh
curl -X POST http://prometheus:9090/-/reload
```

Restart it:

```sh
kubectl -n monitoring rollout restart statefulset/prometheus
```

What a substitution hides:

```sh
kubectl get pods $(kubectl delete ns monitoring)
```
";

const PLAIN_KINDS: [StepKind; 6] = [
    StepKind::Diagnostic,
    StepKind::Diagnostic,
    StepKind::Diagnostic,
    StepKind::Mitigation,
    StepKind::Mitigation,
    StepKind::Mitigation,
];

/// Issue 13, item 6: a code block the read-only classifier recognises is an unaudited
/// diagnostic (one approval in every mode), any other an unaudited mitigation; only an edited
/// argv is novel. Walks every mode, overlay and approval list for each block and its edit.
#[test]
fn plain_runbook_blocks_are_unaudited_diagnostics_or_mitigations_and_only_edits_are_novel() {
    let rb = parse_runbook("PrometheusDown.md", PLAIN_RUNBOOK).unwrap();
    let kinds: Vec<StepKind> = rb.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, PLAIN_KINDS, "{:#?}", rb.steps);
    for step in &rb.steps {
        let class = StepClass::from(step);
        assert!(!class.novel && !class.pre_audited, "{step:?}");
        let edited = StepClass::from(&step.edited(vec!["curl".into(), "-fsS".into()]));
        assert!(edited.novel && !edited.pre_audited);
        for mode in Mode::ALL {
            for o in overlays() {
                let eff = effective(mode, o);
                for approvals in approval_sets() {
                    let v = policy(mode, o, &class, &approvals);
                    // The same as a structured step of that kind without an audit record.
                    let unaudited = StepClass {
                        kind: step.kind,
                        pre_audited: false,
                        novel: false,
                    };
                    assert_eq!(v, policy(mode, o, &unaudited, &approvals));
                    // Editing never loosens.
                    let e = policy(mode, o, &edited, &approvals);
                    assert!(e.permissiveness() <= v.permissiveness(), "{step:?}");
                    if eff >= Mode::Freeze {
                        assert!(e.is_refused(), "edited {step:?} in {eff}");
                    }
                }
                let one = [Approval {
                    by: "a".into(),
                    role: Role::Oncall,
                    mode: eff,
                }];
                match step.kind {
                    // Diagnostics after one approval, in every mode.
                    StepKind::Diagnostic if !o.novel => {
                        assert!(
                            policy(mode, o, &class, &one).is_allowed(),
                            "{step:?} {mode}"
                        )
                    }
                    StepKind::Mitigation if eff >= Mode::Freeze => {
                        assert!(policy(mode, o, &class, &[]).is_refused())
                    }
                    StepKind::Mitigation if !o.novel => assert!(matches!(
                        policy(mode, o, &class, &one),
                        Verdict::NeedsApproval { missing } if missing.contains("incident commander")
                    )),
                    _ => {}
                }
            }
        }
    }
}
