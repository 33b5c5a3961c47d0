//! The fuzz targets (`flightdeck::fuzz`, the same functions the libFuzzer binaries in `fuzz/`
//! run) under `cargo test`: each target gets its seeds (`fuzz/seeds.txt`), any inputs kept in
//! `fuzz/regressions/TARGET/`, and then mutations of them for a time budget. A short run in
//! every CI run; the long, coverage-guided run is documented in docs/FUZZING.md.
//!
//! `FLIGHTDECK_FUZZ_SECS` sets the budget a target (default 5 s, so the eleven targets take
//! about a minute of CPU); `FLIGHTDECK_FUZZ_SEED` replays a run (the seed is printed on a
//! failure). A failing input is written to `target/fuzz-smoke/TARGET-crash.bin`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common;

/// The seed files of `target`, from `fuzz/seeds.txt`, plus its kept regressions.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let root = common::root();
    let manifest = std::fs::read_to_string(root.join("fuzz/seeds.txt")).unwrap();
    let mut paths: Vec<PathBuf> = manifest
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .filter(|(t, _)| *t == target)
        .map(|(_, p)| root.join(p.trim()))
        .collect();
    paths.push(root.join("fuzz/regressions").join(target));
    let mut files = Vec::new();
    let mut stack = paths;
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.is_file() {
            files.push(p);
        } else {
            assert!(
                p.ends_with(Path::new("fuzz/regressions").join(target)),
                "fuzz/seeds.txt names {} which does not exist",
                p.display()
            );
        }
    }
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// Tokens worth splicing in: the edges of numbers, times and durations, YAML and Markdown
/// structure, escapes.
const TOKENS: &[&str] = &[
    "-",
    "--",
    "0",
    "-1",
    "1e309",
    "NaN",
    "+Inf",
    "9223372036854775807",
    "-9223372036854775808",
    "1000000000w",
    "15653w",
    "-30d",
    "0s",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:01Z",
    "10000-01-01T00:00:00Z",
    "2199-12-31T23:59:59Z",
    "\u{1b}]52;c;",
    "\u{7}",
    "\u{202e}",
    "\n---\n",
    "---\n",
    ": ",
    "- ",
    "{{labels.x}}",
    "{{",
    "}}",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\u0000",
    "\\ud800",
    "&a",
    "*a",
    "!!binary",
    "<<: *a",
    "# ",
    "```bash\n",
    "```\n",
    "\t",
    "\r\n",
    "\u{0}",
    "\u{fffd}",
    "null",
    "true",
    "[]",
    "{}",
    "\"alerts\":",
    "\"labels\":",
    "\"startsAt\":",
    "\"status\":",
    "at: ",
    "duration: ",
    "window: ",
    "steps:",
    "argv: ",
];

fn mutate(rng: &mut fastrand::Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.usize(1..=4) {
        let len = out.len();
        match rng.u8(0..8) {
            0 if len > 0 => {
                let i = rng.usize(0..len);
                out[i] ^= 1 << rng.u8(0..8);
            }
            1 if len > 0 => {
                let i = rng.usize(0..len);
                out[i] = [0, 0x7f, 0xff, b'-', b'9', b'\n', b' ', b':'][rng.usize(0..8)];
            }
            2 if len > 0 => {
                let a = rng.usize(0..len);
                let b = (a + rng.usize(1..=64)).min(len);
                out.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.usize(0..len);
                let b = (a + rng.usize(1..=64)).min(len);
                let chunk = out[a..b].to_vec();
                let at = rng.usize(0..=out.len());
                out.splice(at..at, chunk);
            }
            4 | 5 => {
                let token = TOKENS[rng.usize(0..TOKENS.len())].as_bytes();
                let at = rng.usize(0..=out.len());
                out.splice(at..at, token.iter().copied());
            }
            6 if !corpus.is_empty() => {
                let other = &corpus[rng.usize(0..corpus.len())];
                if !other.is_empty() {
                    let a = rng.usize(0..other.len());
                    let b = (a + rng.usize(1..=256)).min(other.len());
                    let at = rng.usize(0..=out.len());
                    out.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ => {
                // Replace a number-looking run of digits with an extreme.
                if let Some(i) = out.iter().position(|c| c.is_ascii_digit()) {
                    let end = out[i..]
                        .iter()
                        .position(|c| !c.is_ascii_digit())
                        .map_or(out.len(), |e| i + e);
                    let n = ["0", "99999999999999999999", "9999", "1"][rng.usize(0..4)];
                    out.splice(i..end, n.bytes());
                }
            }
        }
    }
    out.truncate(flightdeck::fuzz::MAX_INPUT);
    out
}

fn smoke(target: &str) {
    let run = flightdeck::fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target {target}"));
    let budget = Duration::from_secs_f64(
        std::env::var("FLIGHTDECK_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5.0),
    );
    let seed = std::env::var("FLIGHTDECK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut corpus = seeds(target);
    assert!(!corpus.is_empty(), "{target} has no seeds");
    let try_one = |input: &[u8]| {
        if std::panic::catch_unwind(|| run(input)).is_err() {
            let dir = common::root().join("target/fuzz-smoke");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{target}-crash.bin"));
            let _ = std::fs::write(&file, input);
            panic!(
                "fuzz target {target} panicked (FLIGHTDECK_FUZZ_SEED={seed}); input in {}: {:?}",
                file.display(),
                String::from_utf8_lossy(input)
            );
        }
    };
    for s in &corpus {
        try_one(s);
    }
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < budget {
        let base = corpus[rng.usize(0..corpus.len())].clone();
        let input = mutate(&mut rng, &base, &corpus);
        try_one(&input);
        runs += 1;
        // Keep a few mutants as bases: deeper mutations of inputs that still parse partly.
        if runs.is_multiple_of(64) && corpus.len() < 256 {
            corpus.push(input);
        }
    }
    eprintln!("fuzz smoke {target}: {runs} mutated inputs in {budget:?}, no panic");
}

#[test]
fn fuzz_alerts_api() {
    smoke("alerts_api");
}

#[test]
fn fuzz_webhook_body() {
    smoke("webhook_body");
}

#[test]
fn fuzz_prometheus_answer() {
    smoke("prometheus_answer");
}

#[test]
fn fuzz_markdown() {
    smoke("markdown");
}

#[test]
fn fuzz_knowledge_index() {
    smoke("knowledge_index");
}

#[test]
fn fuzz_slo_spec() {
    smoke("slo_spec");
}

#[test]
fn fuzz_slo_samples() {
    smoke("slo_samples");
}

#[test]
fn fuzz_scenario() {
    smoke("scenario");
}

#[test]
fn fuzz_drill_script() {
    smoke("drill_script");
}

#[test]
fn fuzz_config() {
    smoke("config");
}

#[test]
fn fuzz_journal_lines() {
    smoke("journal_lines");
}

#[test]
fn fuzz_durations() {
    smoke("durations");
}

/// Every target in `flightdeck::fuzz::TARGETS` has a smoke test above, seeds, and a libFuzzer
/// binary in `fuzz/`.
#[test]
fn every_target_is_smoked_seeded_and_built() {
    let this = std::fs::read_to_string(common::root().join("tests/suite/fuzz_smoke.rs")).unwrap();
    let cargo = std::fs::read_to_string(common::root().join("fuzz/Cargo.toml")).unwrap();
    for (name, _) in flightdeck::fuzz::TARGETS {
        assert!(
            this.contains(&format!("smoke(\"{name}\")")),
            "{name} has no smoke test"
        );
        assert!(!seeds(name).is_empty(), "{name} has no seeds");
        assert!(
            cargo.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml lacks {name}"
        );
        assert!(
            common::root()
                .join(format!("fuzz/fuzz_targets/{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
    }
}
