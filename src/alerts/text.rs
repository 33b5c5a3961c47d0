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

fn is_stop(w: &[u8]) -> bool {
    matches!(
        w,
        b"a" | b"an"
            | b"and"
            | b"any"
            | b"are"
            | b"as"
            | b"at"
            | b"be"
            | b"been"
            | b"being"
            | b"by"
            | b"can"
            | b"could"
            | b"did"
            | b"do"
            | b"does"
            | b"for"
            | b"from"
            | b"has"
            | b"have"
            | b"had"
            | b"in"
            | b"into"
            | b"is"
            | b"it"
            | b"its"
            | b"may"
            | b"of"
            | b"on"
            | b"or"
            | b"our"
            | b"than"
            | b"that"
            | b"the"
            | b"their"
            | b"then"
            | b"there"
            | b"these"
            | b"this"
            | b"those"
            | b"to"
            | b"was"
            | b"were"
            | b"which"
            | b"will"
            | b"with"
            | b"within"
            | b"please"
            | b"check"
            | b"see"
            | b"more"
            | b"less"
            | b"over"
            | b"under"
            | b"last"
            | b"past"
            | b"minute"
            | b"minutes"
            | b"second"
            | b"seconds"
            | b"hour"
            | b"hours"
            | b"value"
            | b"currently"
            | b"now"
            | b"also"
            | b"alert"
            | b"alerts"
            | b"alerting"
            | b"instance"
            | b"job"
            | b"http"
            | b"https"
            | b"www"
            | b"com"
    )
}

/// The words of a text, lower-cased, one after the other in one buffer: finding the words of
/// an alert allocates nothing once the buffers have grown (most texts repeat a known word set).
#[derive(Debug, Default)]
pub(crate) struct Words {
    /// The words, UTF-8 (each word is the lower-cased form of a `&str`).
    buf: Vec<u8>,
    /// (start, end) of each word in `buf`.
    spans: Vec<(u32, u32)>,
    /// `hash_str` of each word.
    hashes: Vec<u64>,
    /// The text being split (`split_alert` joins the alert's strings here).
    text: String,
}

impl Words {
    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// [`hash_str`] of each word, in order.
    pub(crate) fn hashes(&self) -> &[u64] {
        &self.hashes
    }

    pub(crate) fn to_vec(&self) -> Vec<String> {
        self.spans
            .iter()
            .map(|&(a, b)| String::from_utf8_lossy(&self.buf[a as usize..b as usize]).into_owned())
            .collect()
    }

    /// Keeps the word just written at `buf[start..]`, with its [`hash_str`] `h`, unless it is
    /// a stop word or already there.
    fn keep_last(&mut self, start: usize, h: u64) {
        let w = &self.buf[start..];
        let dup = || {
            self.hashes
                .iter()
                .zip(&self.spans)
                .any(|(&x, &(a, b))| x == h && &self.buf[a as usize..b as usize] == w)
        };
        if is_stop(w) || dup() {
            self.buf.truncate(start);
        } else {
            self.spans.push((start as u32, self.buf.len() as u32));
            self.hashes.push(h);
        }
    }

    /// Adds one word (lower-cased) unless it is short, a stop word or already there.
    fn push_word(&mut self, w: &str) {
        if w.len() < 2 {
            return;
        }
        let start = self.buf.len();
        if w.is_ascii() {
            self.buf.extend_from_slice(w.as_bytes());
            self.buf[start..].make_ascii_lowercase();
        } else {
            // Not `char::to_lowercase`: a final sigma lower-cases differently.
            self.buf.extend_from_slice(w.to_lowercase().as_bytes());
        }
        let mut fnv = FNV_OFFSET;
        for &b in &self.buf[start..] {
            fnv = (fnv ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.keep_last(start, Fnv(fnv).finish());
    }

    /// Splits one chunk (no separators, no digits) at its case changes.
    fn push_chunk(&mut self, chunk: &str) {
        let mut start = 0;
        if chunk.is_ascii() {
            let b = chunk.as_bytes();
            for i in 1..b.len() {
                let (p, cur) = (b[i - 1], b[i]);
                // fooBar | HTTPServer (split before the S of Server)
                if cur.is_ascii_uppercase()
                    && (p.is_ascii_lowercase()
                        || (p.is_ascii_uppercase()
                            && b.get(i + 1).is_some_and(u8::is_ascii_lowercase)))
                {
                    self.push_word(&chunk[start..i]);
                    start = i;
                }
            }
        } else {
            let mut prev: Option<char> = None;
            let mut chars = chunk.char_indices().peekable();
            while let Some((i, cur)) = chars.next() {
                if let Some(p) = prev {
                    let next_lower = chars.peek().is_some_and(|(_, c)| c.is_lowercase());
                    if (p.is_lowercase() && cur.is_uppercase())
                        || (p.is_uppercase() && cur.is_uppercase() && next_lower)
                    {
                        self.push_word(&chunk[start..i]);
                        start = i;
                    }
                }
                prev = Some(cur);
            }
        }
        self.push_word(&chunk[start..]);
    }

    /// The words of `text` (see [`words`]), replacing what was here.
    pub(crate) fn split(&mut self, text: &str) {
        self.buf.clear();
        self.spans.clear();
        self.hashes.clear();
        // A chunk is what lies between separators; one with a digit (`checkout7d9f`, `p99`,
        // `10.0.0.1`) is an identifier or a value, not words.
        if text.is_ascii() {
            // The runs of letters and digits, without decoding characters.
            let b = text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let start = i;
                let mut digit = false;
                while let Some(c) = b.get(i).filter(|c| c.is_ascii_alphanumeric()) {
                    digit |= c.is_ascii_digit();
                    i += 1;
                }
                if i - start >= 2 && !digit {
                    self.push_chunk(&text[start..i]);
                    if self.spans.len() >= MAX_WORDS {
                        break;
                    }
                }
                i += 1;
            }
        } else {
            for chunk in text.split(|c: char| !c.is_alphanumeric()) {
                if chunk.len() < 2 || chunk.bytes().any(|b| b.is_ascii_digit()) {
                    continue;
                }
                self.push_chunk(chunk);
                if self.spans.len() >= MAX_WORDS {
                    break;
                }
            }
        }
        if let Some(&(_, end)) = self.spans.get(MAX_WORDS.saturating_sub(1)) {
            self.spans.truncate(MAX_WORDS);
            self.hashes.truncate(MAX_WORDS);
            self.buf.truncate(end as usize);
        }
    }

    /// The words of an alert (see [`alert_words`]), replacing what was here.
    pub(crate) fn split_alert(&mut self, alert: &Alert) {
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        text.push_str(alert.name());
        for key in ["summary", "description", "message"] {
            if let Some(v) = alert.annotation(key) {
                text.push(' ');
                text.push_str(v);
            }
        }
        self.split(&text);
        self.text = text;
    }
}

/// Identifies what the words of an alert (see [`alert_words`]) are made from: the chunks of its
/// texts that can hold words (between separators, two bytes or more, no digit), in order. Alerts
/// whose texts differ only in identifiers and values (`checkout-7d9f8b6c5-x2x4z`, `p99`) have
/// the same key, and the same words.
pub(crate) fn words_key(alert: &Alert) -> u64 {
    let mut h = 0x776f_7264_735f_6b65u64;
    let mut chunk = |c: &[u8]| {
        // Eight bytes at a time. A chunk has no zero byte: its last, partial block (maybe
        // empty) ends it.
        let mut words = c.chunks_exact(8);
        for w in &mut words {
            h = mix(h ^ u64::from_le_bytes(w.try_into().unwrap_or_default()));
        }
        let mut last = 0u64;
        for (i, &b) in words.remainder().iter().enumerate() {
            last |= u64::from(b) << (8 * i);
        }
        h = mix(h ^ last);
    };
    let mut part = |text: &str| {
        if text.is_ascii() {
            // As `Words::split` finds the chunks.
            let b = text.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let start = i;
                let mut class = 0;
                while let Some(&c) = b.get(i) {
                    let k = ASCII_CLASS[usize::from(c)];
                    if k == 0 {
                        break;
                    }
                    class |= k;
                    i += 1;
                }
                if i - start >= 2 && class & DIGIT == 0 {
                    chunk(&b[start..i]);
                }
                i += 1;
            }
        } else {
            for c in text.split(|c: char| !c.is_alphanumeric()) {
                if c.len() >= 2 && !c.bytes().any(|b| b.is_ascii_digit()) {
                    chunk(c.as_bytes());
                }
            }
        }
    };
    // The strings `Words::split_alert` joins, in the same order.
    part(alert.name());
    for key in ["summary", "description", "message"] {
        if let Some(v) = alert.annotation(key) {
            part(v);
        }
    }
    h
}

const LETTER: u8 = 1;
const DIGIT: u8 = 2;

/// `LETTER` or `DIGIT` for ASCII letters and digits, 0 for the rest.
const ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        i += 1;
    }
    t
};

/// Splits `KubePodCrashLooping`, `node_filesystem_full`, `HTTPServerDown` and prose into
/// lower-case words, in order of first appearance, without duplicates, stop words or digits.
pub fn words(text: &str) -> Vec<String> {
    let mut w = Words::default();
    w.split(text);
    w.to_vec()
}

/// The words of an alert: alertname, then summary, description and message annotations.
pub fn alert_words(alert: &Alert) -> Vec<String> {
    let mut w = Words::default();
    w.split_alert(alert);
    w.to_vec()
}

#[inline]
fn mix(mut x: u64) -> u64 {
    // splitmix64 finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h = Fnv::default();
    h.write(s);
    h.finish()
}

/// [`hash_str`] of strings written one after the other, without joining them.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(FNV_OFFSET)
    }
}

impl Fnv {
    pub(crate) fn write(&mut self, s: &str) {
        for b in s.bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }

    pub(crate) fn finish(&self) -> u64 {
        mix(self.0)
    }
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

    #[test]
    fn words_key_covers_exactly_what_the_words_come_from() {
        use std::collections::BTreeMap;
        let alert = |name: &str, summary: &str, description: Option<&str>| Alert {
            labels: BTreeMap::from([("alertname".to_string(), name.to_string())]),
            annotations: [("summary", Some(summary)), ("description", description)]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?.to_string())))
                .collect(),
            starts_at: "2026-11-25T00:00:00Z".parse().unwrap(),
            ends_at: None,
            state: super::super::model::AlertState::Firing,
            generator_url: None,
            detail: Default::default(),
        };
        let a = alert(
            "KubePodNotReady",
            "Pod ns-3/cart-api-3fa2b-17 is not ready",
            None,
        );
        // Identifiers and values (chunks with digits) and one-letter chunks make no words.
        for same in [
            alert(
                "KubePodNotReady",
                "Pod ns-9/cart-api-7e1d0-4242 is not ready x",
                None,
            ),
            alert(
                "KubePodNotReady",
                "Pod ns-3/cart-api-3fa2b-17 is not",
                Some("ready"),
            ),
            alert(
                "KubePodNotReady",
                "Pod ns-3/cart-api-3fa2b-17 is not ready",
                Some(""),
            ),
        ] {
            assert_eq!(words_key(&a), words_key(&same));
            assert_eq!(alert_words(&a), alert_words(&same));
        }
        for other in [
            alert(
                "KubePodNotReady",
                "Pod ns-3/cart-api-fbeac-17 is not ready",
                None,
            ),
            alert(
                "KubePodNotReady",
                "Pod ns-3/cartapi-3fa2b-17 is not ready",
                None,
            ),
            alert(
                "KubePod",
                "NotReady Pod ns-3/cart-api-3fa2b-17 is not ready",
                None,
            ),
            alert(
                "KubePodNotReady",
                "Pod ns-3/cart-api-3fa2b-17 is not ready",
                Some("now"),
            ),
        ] {
            assert_ne!(words_key(&a), words_key(&other));
        }
        let c = alert("ΣΑΣ", "déjà vu 10.0.0.1 Ωmega", None);
        let d = alert("ΣΑΣ", "déjà vu 10.0.0.2 Ωmega", None);
        assert_eq!(words_key(&c), words_key(&d));
        assert_eq!(alert_words(&c), ["σας", "déjà", "vu", "ωmega"]);
    }
}
