//! Text of an alert as a set of words, and MinHash signatures over it.
//!
//! Words come from the alertname, `summary`, `description` and `message`; CamelCase and
//! snake_case are split, words with digits (pod hashes, values, IPs) and stop words are dropped.
//! Two alerts are "similar" when their MinHash signatures agree in one LSH band (8 bands of 5
//! rows: pairs with Jaccard 0.8 share a band 96% of the time, 0.7: 77%, 0.5: 22%, 0.3: 2%).
//! Clusters are transitive, so a storm of near-identical alerts still ends up together. This is
//! a pairwise, deterministic relation, so clustering stays independent of arrival order.

use super::model::Alert;

pub(crate) const BANDS: usize = 8;
pub(crate) const ROWS: usize = 5;
const MAX_WORDS: usize = 48;

fn is_stop(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "and"
            | "any"
            | "are"
            | "as"
            | "at"
            | "be"
            | "been"
            | "being"
            | "by"
            | "can"
            | "could"
            | "did"
            | "do"
            | "does"
            | "for"
            | "from"
            | "has"
            | "have"
            | "had"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "may"
            | "of"
            | "on"
            | "or"
            | "our"
            | "than"
            | "that"
            | "the"
            | "their"
            | "then"
            | "there"
            | "these"
            | "this"
            | "those"
            | "to"
            | "was"
            | "were"
            | "which"
            | "will"
            | "with"
            | "within"
            | "please"
            | "check"
            | "see"
            | "more"
            | "less"
            | "over"
            | "under"
            | "last"
            | "past"
            | "minute"
            | "minutes"
            | "second"
            | "seconds"
            | "hour"
            | "hours"
            | "value"
            | "currently"
            | "now"
            | "also"
            | "alert"
            | "alerts"
            | "alerting"
            | "instance"
            | "job"
            | "http"
            | "https"
            | "www"
            | "com"
    )
}

/// Adds one word (lower-cased) unless it is short, a stop word or already there.
fn push_word(w: &str, out: &mut Vec<String>) {
    if w.len() < 2 {
        return;
    }
    if w.is_ascii() && w.len() <= 32 {
        // Lower-case on the stack first: most words are stop words or repeats.
        let mut buf = [0u8; 32];
        let b = &mut buf[..w.len()];
        b.copy_from_slice(w.as_bytes());
        b.make_ascii_lowercase();
        let lw = std::str::from_utf8(b).unwrap_or("");
        if is_stop(lw) || out.iter().any(|o| o == lw) {
            return;
        }
        out.push(lw.to_string());
        return;
    }
    let lw = w.to_lowercase();
    if is_stop(&lw) || out.contains(&lw) {
        return;
    }
    out.push(lw);
}

/// Splits `KubePodCrashLooping`, `node_filesystem_full`, `HTTPServerDown` and prose into
/// lower-case words, in order of first appearance, without duplicates, stop words or digits.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for chunk in text.split(|c: char| !c.is_alphanumeric()) {
        if chunk.len() < 2 || chunk.bytes().any(|b| b.is_ascii_digit()) {
            // `checkout7d9f`, `p99`, `10.0.0.1`: identifiers and values, not words.
            continue;
        }
        let mut start = 0;
        let mut prev: Option<char> = None;
        let mut chars = chunk.char_indices().peekable();
        while let Some((i, cur)) = chars.next() {
            if let Some(p) = prev {
                let next_lower = chars.peek().is_some_and(|(_, c)| c.is_lowercase());
                // fooBar | HTTPServer (split before the S of Server)
                if (p.is_lowercase() && cur.is_uppercase())
                    || (p.is_uppercase() && cur.is_uppercase() && next_lower)
                {
                    push_word(&chunk[start..i], &mut out);
                    start = i;
                }
            }
            prev = Some(cur);
        }
        push_word(&chunk[start..], &mut out);
        if out.len() >= MAX_WORDS {
            break;
        }
    }
    out.truncate(MAX_WORDS);
    out
}

/// The words of an alert: alertname, then summary, description and message annotations.
pub fn alert_words(alert: &Alert) -> Vec<String> {
    let mut text = String::from(alert.name());
    for key in ["summary", "description", "message"] {
        if let Some(v) = alert.annotation(key) {
            text.push(' ');
            text.push_str(v);
        }
    }
    words(&text)
}

#[inline]
fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// LSH band keys of a word set (empty when there are no words).
pub fn band_keys(words: &[String]) -> Vec<u64> {
    if words.is_empty() {
        return Vec::new();
    }
    let hashes: Vec<u64> = words.iter().map(|w| hash_str(w)).collect();
    let mut mins = [u64::MAX; BANDS * ROWS];
    for (i, m) in mins.iter_mut().enumerate() {
        let seed = mix(0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1));
        for &h in &hashes {
            let v = mix(h ^ seed);
            if v < *m {
                *m = v;
            }
        }
    }
    (0..BANDS)
        .map(|b| {
            let mut h = mix(0x5bd1_e995 ^ b as u64);
            for &m in &mins[b * ROWS..(b + 1) * ROWS] {
                h = mix(h ^ m);
            }
            h
        })
        .collect()
}

/// Jaccard similarity of two word lists.
pub fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.iter().filter(|w| b.contains(w)).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Up to `n` words both lists share, in the order of `a`.
pub fn shared_words(a: &[String], b: &[String], n: usize) -> Vec<String> {
    a.iter()
        .filter(|w| b.contains(w))
        .take(n)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_camel_and_snake_case() {
        assert_eq!(
            words("KubePodCrashLooping node_filesystem_full HTTPServerDown"),
            [
                "kube",
                "pod",
                "crash",
                "looping",
                "node",
                "filesystem",
                "full",
                "server",
                "down"
            ]
        );
        assert_eq!(
            words("Pod payments/checkout-7d9f8b6c5-x2x4z has been restarting 5 times"),
            ["pod", "payments", "checkout", "restarting", "times"]
        );
    }

    #[test]
    fn similar_texts_share_a_band_and_different_ones_do_not() {
        let a = words("PostgresConnectionPoolExhausted connection pool exhausted on postgres-0");
        let b = words("PostgresConnectionPoolExhausted connection pool exhausted on postgres-1");
        let c = words("KubeNodeNotReady node is not ready");
        let (ka, kb, kc) = (band_keys(&a), band_keys(&b), band_keys(&c));
        assert!(ka.iter().zip(&kb).any(|(x, y)| x == y));
        assert!(!ka.iter().zip(&kc).any(|(x, y)| x == y));
        assert_eq!(
            shared_words(&a, &b, 4),
            ["postgres", "connection", "pool", "exhausted"]
        );
        assert!(jaccard(&a, &c) < 0.1);
    }
}
