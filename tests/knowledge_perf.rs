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

#[test]
#[ignore]
fn query_phases() {
    use flightdeck::knowledge::{DocKind, KnowledgeBase, MatchQuery};
    let docs: Vec<_> = (0..10_000)
        .map(|i| (DocKind::Runbook, format!("r/{i}.md"), text(i)))
        .collect();
    let (kb, _) = KnowledgeBase::from_documents(docs);
    let q = MatchQuery {
        alertnames: vec!["KubePodCrashLooping".into()],
        texts: vec![
            "pods restart with memory limit errors and timeout requests on disk space".into(),
        ],
        labels: vec![("namespace".into(), "shop".into())],
        ..MatchQuery::default()
    };
    let t = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(kb.match_alerts(&q));
    }
    println!(
        "match_alerts: {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3 / 200.0
    );
    let t = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(kb.search("pods restart memory", 10));
    }
    println!("search: {:.3} ms", t.elapsed().as_secs_f64() * 1e3 / 200.0);
}
