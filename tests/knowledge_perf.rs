//! Phase timings behind the knowledge benchmark (ignored; run with
//! `cargo test --release --test knowledge_perf -- --ignored --nocapture`).

use std::time::Instant;

use flightdeck::knowledge::{parse_runbook, tokenize};

fn text(i: usize) -> String {
    let words = [
        "check",
        "the",
        "pods",
        "logs",
        "KubePodCrashLooping",
        "restart",
        "deploy",
        "connections",
        "database",
        "replica",
        "latency",
        "errors",
        "requests",
        "timeout",
        "memory",
        "limit",
        "usage",
        "disk",
        "space",
        "PostgreSQL",
        "node_filesystem_avail_bytes",
        "kubectl",
    ];
    let mut s = format!("# Runbook {i}\n\n## Meaning\n\n");
    for j in 0..300 {
        s.push_str(words[(i * 7 + j * 13) % words.len()]);
        s.push(if j % 17 == 16 { '\n' } else { ' ' });
    }
    s.push_str("\n\n## Diagnosis\n\n```bash\nkubectl -n $NAMESPACE get pods\n```\n");
    s
}

#[test]
#[ignore]
fn phases() {
    let docs: Vec<String> = (0..2_000).map(text).collect();
    let bytes: usize = docs.iter().map(String::len).sum();
    let t = Instant::now();
    let mut n = 0usize;
    for d in &docs {
        tokenize::for_each_token(d, |_| n += 1);
    }
    let tok = t.elapsed();
    let t = Instant::now();
    for (i, d) in docs.iter().enumerate() {
        std::hint::black_box(parse_runbook(&format!("{i}.md"), d).unwrap());
    }
    let parse = t.elapsed();
    println!(
        "{:.1} MB, {n} tokens: tokenize {:.1} MB/s ({:.0} ns/token), parse {:.1} MB/s",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / tok.as_secs_f64(),
        tok.as_nanos() as f64 / n as f64,
        bytes as f64 / 1e6 / parse.as_secs_f64()
    );
}
