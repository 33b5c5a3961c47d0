//! `flightdeck slo check` / `slo status` through the real binary.

use crate::common;
use common::cli::{flightdeck, json};

#[test]
fn check_passes_valid_specs_and_fails_on_one_bad_file() {
    let ok = flightdeck(&[
        "slo",
        "check",
        "tests/fixtures/slo/checkout-availability.yaml",
        "tests/fixtures/slo/sloth-checkout.yaml",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(out.contains("checkout-availability"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n  budgetingMethod: Occurrences\n").unwrap();
    let out = flightdeck(&[
        "slo",
        "check",
        "tests/fixtures/slo/checkout-availability.yaml",
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["files"][0]["ok"], true);
    let err = v["files"][1]["error"].as_str().unwrap();
    assert!(err.contains("bad.yaml:"), "names the file and line: {err}");
}

#[test]
fn status_prints_the_documented_json() {
    let v = json(&flightdeck(&[
        "slo",
        "status",
        "--slo",
        "tests/fixtures/slo/checkout-availability.yaml",
        "--samples",
        "tests/fixtures/slo/samples-checkout.jsonl",
        "--at",
        "2026-01-01T12:00:00Z",
        "--json",
    ]));
    assert_eq!(v["at"], "2026-01-01T12:00:00Z");
    let slo = &v["slos"][0];
    assert_eq!(slo["name"], "checkout-availability");
    for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
        assert!(slo["burn_rates"].get(w).is_some(), "burn rate {w}: {slo}");
    }
    assert!(slo.get("time_to_exhaustion_s").is_some());
}
