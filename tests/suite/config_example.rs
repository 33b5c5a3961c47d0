//! The example configuration in `config/` loads and checks clean (so it never rots),
//! `flightdeck init` writes a config that checks clean, and `check` names every problem with
//! its file, line and field.

use std::path::{Path, PathBuf};

use flightdeck::config::{self, Config, Severity};
use flightdeck::sources::SliMode;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flightdeck.toml")
}

#[test]
fn example_config_loads_and_checks_clean() {
    let c = Config::load(&example()).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert!(c.prometheus.is_some() && c.alertmanager.is_some() && c.webhook.is_some());
    assert_eq!(
        c.webhook.as_ref().unwrap().listen.to_string(),
        "127.0.0.1:9099"
    );
    assert_eq!(c.clustering.topology["checkout"], ["postgres", "payments"]);

    let (slos, problems) = c.load_slos();
    assert!(problems.is_empty(), "{problems:?}");
    let names: Vec<&str> = slos.iter().map(|s| s.spec.name.as_str()).collect();
    assert_eq!(names, ["checkout-availability", "search-latency"]);
    let modes: Vec<SliMode> = slos
        .iter()
        .map(|s| s.query.as_ref().unwrap().mode)
        .collect();
    assert_eq!(modes, [SliMode::Counter, SliMode::Rate]);

    let report = config::check(Some(&example()));
    assert!(report.ok, "{}", report.text());
    assert!(report.problems.is_empty(), "{}", report.text());
    assert_eq!((report.runbooks, report.postmortems), (Some(1), Some(1)));
    assert_eq!(report.sources.len(), 3);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["slos"][1]["mode"], "rate");
}

#[test]
fn init_writes_a_starter_that_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fd/flightdeck.toml");
    let r = config::init(Some(&path), false).unwrap();
    assert_eq!(r.written.len(), 5, "{r:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), config::EXAMPLE);
    let report = config::check(Some(&path));
    assert!(report.ok, "{}", report.text());
    assert_eq!(report.slos.len(), 2);

    let again = config::init(Some(&path), false).unwrap_err();
    assert!(matches!(again, config::InitError::Exists(_)), "{again:?}");
    assert!(again.to_string().contains("--force"), "{again}");
    let forced = config::init(Some(&path), true).unwrap();
    assert_eq!(forced.written, std::slice::from_ref(&path));
    assert_eq!(forced.kept.len(), 4);
}

#[test]
fn check_names_each_problem_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("slos")).unwrap();
    std::fs::write(
        d.join("slos/bad.yaml"),
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: x\nspec:\n  service: s\n  \
         budgetingMethod: Occurrences\n  timeWindow:\n    - duration: 30d\n      isRolling: true\n  \
         objectives:\n    - target: 1.5\n",
    )
    .unwrap();
    std::fs::write(
        d.join("slos/ok.yaml"),
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/slos/checkout-availability.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    let text = r#"[knowledge]
runbooks = ["nowhere"]

[slo]
files = ["slos/ok.yaml", "slos/missing.yaml", "slos/bad.yaml"]

[slo.queries.no-such-slo]
total = "x_total"
good = "y_total"

[slo.queries.checkout-availability]
total = "http_requests_total"

[prometheus]
url = "http://127.0.0.1:9090"
"#;
    let path = d.join("flightdeck.toml");
    std::fs::write(&path, text).unwrap();
    let report = config::check(Some(&path));
    assert!(!report.ok);
    let shown = report.text();
    let has = |needle: &str| {
        assert!(shown.contains(needle), "missing {needle:?} in:\n{shown}");
    };
    let cfg = path.display().to_string();
    has(&format!("{cfg}:2:13: knowledge.runbooks: "));
    has(&format!("{cfg}:5:26: slo.files: "));
    has("missing.yaml: cannot read");
    has("bad.yaml:6:3: spec.indicator: missing `indicator`");
    has(&format!("{cfg}:7:1: slo.queries.no-such-slo: no SLO named"));
    // The override for checkout-availability has no good/bad query: a warning at its line.
    has(&format!(
        "{cfg}:11:1: warning: slo.queries.checkout-availability:"
    ));
    has("no good or bad query");
    assert!(
        report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
            >= 4
    );

    // A config that does not parse is one problem with its line.
    std::fs::write(&path, "[prometheus]\nurl = \"http://x\"\ninterval = 15\n").unwrap();
    let report = config::check(Some(&path));
    assert_eq!(report.problems.len(), 1, "{}", report.text());
    assert_eq!(report.problems[0].diagnostic.line, Some(3));
}
