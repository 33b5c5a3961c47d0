//! Terminal escapes in what the commands print (issue 16, item 8): a label value, a note, a
//! document or a file name carrying OSC 52 (clipboard write), OSC 0 (window title) and CSI 2J
//! (clear screen) reaches the human output as visible escapes, never as an ESC or BEL byte;
//! `--json` keeps the exact value.

use std::path::Path;

use crate::common::cli::flightdeck;

/// OSC 52 writing `rm -rf ~` to the clipboard, CSI 2J, OSC 0 retitling the window, and a C1 CSI.
const HOSTILE: &str = "x\u{1b}]52;c;cm0gLXJmIH4=\u{7}y\u{1b}[2Jz\u{1b}]0;pwned\u{7}\u{9b}2Jw";

fn run(args: &[&str]) -> (String, String) {
    let out = flightdeck(args);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Human output: the hostile value is there, visibly escaped, and no byte of it acts on a
/// terminal.
fn assert_safe(what: &str, out: &str) {
    for bad in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(
            !out.contains(bad),
            "{what}: {:?} printed raw in:\n{out}",
            bad
        );
    }
    assert!(
        out.contains(r"\u{001b}]52;c;cm0gLXJmIH4=\u{0007}y\u{001b}[2Jz"),
        "{what}: the value is not shown escaped:\n{out}"
    );
}

/// The escapes themselves, exact (the journal keeps text without C1 controls, so the last
/// part of [`HOSTILE`] is left out).
const EXACT: &str = "x\u{1b}]52;c;cm0gLXJmIH4=\u{7}y\u{1b}[2Jz\u{1b}]0;pwned\u{7}";

/// JSON output (one document or JSON Lines): the exact value survives a round trip.
fn assert_exact(what: &str, out: &str) {
    let docs: Vec<serde_json::Value> = match serde_json::from_str(out.trim_end()) {
        Ok(v) => vec![v],
        Err(_) => out
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{out}"))
            })
            .collect(),
    };
    fn find(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains(EXACT),
            serde_json::Value::Array(a) => a.iter().any(find),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains(EXACT) || find(v)),
            _ => false,
        }
    }
    assert!(
        docs.iter().any(find),
        "{what}: the exact value is not in the JSON:\n{out}"
    );
}

fn alerts_file(dir: &Path) -> String {
    let alerts = dir.join("alerts.json");
    let value = serde_json::to_string(HOSTILE).unwrap();
    std::fs::write(
        &alerts,
        format!(
            r#"[{{"labels": {{"alertname": "PostgresConnectionPoolExhausted", "service": {value}}},
                 "annotations": {{"summary": {value}}},
                 "startsAt": "2026-03-12T14:04:10Z", "status": {{"state": "active"}}}},
                {{"labels": {{"alertname": "CheckoutHighErrorRate", "service": {value}}},
                 "startsAt": "2026-03-12T14:05:10Z", "status": {{"state": "active"}}}}]"#
        ),
    )
    .unwrap();
    alerts.to_str().unwrap().to_string()
}

#[test]
fn alerts_cluster_and_kb_match_escape_label_values_and_documents() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = alerts_file(dir.path());
    let kb = dir.path().join("runbooks");
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(
        kb.join("pool.md"),
        format!(
            "---\nid: pool\nalerts: [PostgresConnectionPoolExhausted]\n---\n# Pool {HOSTILE}\n\nCheck the pool {HOSTILE}.\n"
        ),
    )
    .unwrap();
    let kb = kb.to_str().unwrap();

    let (out, err) = run(&["alerts", "cluster", &alerts, "--kb", kb]);
    assert_safe("alerts cluster", &out);
    assert!(!err.contains('\u{1b}'), "alerts cluster stderr: {err}");
    let (out, _) = run(&["alerts", "cluster", &alerts, "--kb", kb, "--json"]);
    assert_exact("alerts cluster --json", &out);

    let (out, err) = run(&["kb", "match", "--alerts", &alerts, "--kb", kb, "--top", "3"]);
    assert_safe("kb match", &out);
    assert!(!err.contains('\u{1b}'), "kb match stderr: {err}");
    let (out, _) = run(&["kb", "match", "--alerts", &alerts, "--kb", kb, "--json"]);
    assert_exact("kb match --json", &out);

    let (out, _) = run(&["kb", "search", "pool", "--kb", kb]);
    assert_safe("kb search", &out);
}

#[test]
fn journal_show_and_timeline_escape_notes() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let journal = journal.to_str().unwrap();
    for hypothesis in [false, true] {
        let mut args = vec!["journal", "note", "--journal", journal, HOSTILE];
        if hypothesis {
            args.push("--hypothesis");
        }
        run(&args);
    }
    let (out, _) = run(&["journal", "show", "--journal", journal]);
    assert_safe("journal show", &out);
    let (out, _) = run(&["journal", "show", "--journal", journal, "--json"]);
    assert_exact("journal show --json", &out);
    let (out, _) = run(&["journal", "timeline", "--journal", journal]);
    assert_safe("journal timeline", &out);
}

#[test]
fn slo_check_escapes_file_names_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let spec = crate::common::fixture("slo/checkout-availability.yaml");
    let good = dir.path().join(format!("{HOSTILE}.yaml"));
    std::fs::write(&good, &spec).unwrap();
    let bad = dir.path().join(format!("bad-{HOSTILE}.yaml"));
    std::fs::write(&bad, spec.replace("duration: 28d", "duration: 28x")).unwrap();
    let (out, _) = run(&[
        "slo",
        "check",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_safe("slo check", &out);
    assert!(out.contains("ok ") && out.contains("error "), "{out}");
    let (out, _) = run(&[
        "slo",
        "check",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert_exact("slo check --json", &out);
}
