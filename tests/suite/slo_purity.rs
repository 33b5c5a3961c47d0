//! The `slo` module is pure (design brief §4): no async runtime, terminal, network, files or
//! wall clock. This test reads its sources and refuses the tell-tale names.

#[test]
fn slo_module_is_pure() {
    let dir = format!("{}/src/slo", env!("CARGO_MANIFEST_DIR"));
    let forbidden = [
        "tokio",
        "ratatui",
        "crossterm",
        "reqwest",
        "axum",
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "Timestamp::now",
        "SystemTime",
        "Instant",
        "Zoned::now",
        "thread::sleep",
    ];
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for f in forbidden {
                assert!(
                    !code.contains(f),
                    "{}:{}: `{f}` in the pure slo module: {line}",
                    path.display(),
                    n + 1
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files checked");
}
