//! POSTing notification bodies to a webhook over several connections, as Alertmanager does
//! (shared by the keys and speed benchmarks: include it with `#[path = "post/mod.rs"] mod post;`).

use std::sync::Arc;
use std::time::Duration;

/// POSTs `bodies` to `url` over `connections` connections (body `i` on connection
/// `i % connections`, each connection in order); a 503 is retried after 2 ms, anything else
/// but success fails the benchmark. Returns how many retries there were.
pub async fn post_spread(url: &str, bodies: Arc<Vec<String>>, connections: usize) -> u64 {
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (url, bodies) = (url.to_string(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut retries = 0u64;
            for b in bodies.iter().skip(c).step_by(connections) {
                loop {
                    let r = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(b.clone())
                        .send()
                        .await
                        .expect("post");
                    if r.status().is_success() {
                        break;
                    }
                    assert_eq!(r.status().as_u16(), 503, "the webhook refused a body");
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            retries
        }));
    }
    let mut retries = 0;
    for t in tasks {
        retries += t.await.unwrap();
    }
    retries
}
