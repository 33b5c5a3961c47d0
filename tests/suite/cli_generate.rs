//! `flightdeck generate man|completions SHELL`: made from the clap definition, so every
//! subcommand (and every nested one) is in the man page and in each shell's completions.

use std::process::Command;

/// Every visible subcommand path, e.g. `["replay", "slo", "slo check", …]`.
fn subcommands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&flightdeck::cli::command(), &[], &mut out);
    out
}

#[test]
fn the_man_page_names_every_subcommand() {
    let subs = subcommands();
    assert!(subs.len() >= 15, "{subs:?}");
    let page = String::from_utf8(flightdeck::cli::man_page().unwrap()).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH flightdeck"),
        "{page}"
    );
    for path in subs.iter().filter(|p| p.len() == 1) {
        assert!(
            page.contains(&format!("flightdeck\\-{}", path[0])) || page.contains(&path[0]),
            "{path:?}"
        );
    }
    // One page a subcommand, nested ones included.
    let dir = tempfile::tempdir().unwrap();
    let pages = flightdeck::cli::man_pages_to(dir.path()).unwrap();
    for path in &subs {
        let name = format!("flightdeck-{}.1", path.join("-"));
        assert!(
            pages
                .iter()
                .any(|p| p.file_name().unwrap() == name.as_str()),
            "no man page {name} in {pages:?}"
        );
    }
    assert!(
        !pages
            .iter()
            .any(|p| p.to_string_lossy().contains("generate")),
        "the hidden generate command gets no page"
    );
}

#[test]
fn completions_name_every_subcommand_in_every_shell() {
    use clap::ValueEnum;
    let subs = subcommands();
    for shell in clap_complete::Shell::value_variants() {
        let script = String::from_utf8(flightdeck::cli::completions(*shell)).unwrap();
        for path in &subs {
            let name = path.last().unwrap();
            assert!(script.contains(name.as_str()), "{shell}: no {path:?}");
        }
        assert!(
            script.contains("--role"),
            "{shell}: global options complete too"
        );
    }
}

/// The binary writes them (the README's install commands use these).
#[test]
fn the_binary_generates_the_man_page_and_completions() {
    let bin = env!("CARGO_BIN_EXE_flightdeck");
    let man = Command::new(bin)
        .args(["generate", "man"])
        .output()
        .unwrap();
    assert!(man.status.success(), "{man:?}");
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(man.contains("replay") && man.contains("journal"), "{man}");
    let bash = Command::new(bin)
        .args(["generate", "completions", "bash"])
        .output()
        .unwrap();
    assert!(bash.status.success(), "{bash:?}");
    assert!(
        String::from_utf8(bash.stdout)
            .unwrap()
            .contains("complete -F")
    );
    let bad = Command::new(bin)
        .args(["generate", "completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("bash"),
        "the error lists the shells"
    );
}
