//! The tokenizer shared by the index and the queries.
//!
//! Splits on anything that is not a letter or digit, then splits CamelCase
//! (`KubePodCrashLooping` → kube pod crash looping, `KubeCPUOvercommit` → kube cpu overcommit)
//! and letter/digit boundaries in long words, folds case, drops English stop words and applies a
//! small conservative suffix stemmer (`looping` → `loop`, `connections` → `connect`), so
//! alert names, prose and label values meet on the same terms.

/// Tokens of `text`, stemmed and lower-case, in order (with repetitions).
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t.to_string()));
    out
}

/// Like [`tokens`] but also returns, for each token, the word as written (lower-case, unstemmed),
/// for showing matched terms the way the user wrote them.
pub fn tokens_with_surface(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for_each_word(text, |w| {
        if normalize_into(w, &mut buf) {
            out.push((buf.clone(), w.to_string()));
        }
    });
    out
}

/// `term` (a token) as `texts` wrote it, for reasons a person reads: the first word of the
/// texts whose token it is (`keepalived` for `keepaliv`), else `term` itself.
pub fn as_written<'a>(term: &str, texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut buf = String::new();
    for text in texts {
        let mut found = None;
        for_each_word(text, |w| {
            if found.is_none() && normalize_into(w, &mut buf) && buf == term {
                found = Some(w.to_string());
            }
        });
        if let Some(w) = found {
            return w;
        }
    }
    term.to_string()
}

/// Calls `f` with every token of `text` (without allocating per token).
pub fn for_each_token(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for_each_word(text, |w| {
        if normalize_into(w, &mut buf) {
            f(&buf)
        }
    });
}

/// Splits into lower-case words (CamelCase and separators split), before stop words and stems.
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut chars: Vec<char> = Vec::new();
    for chunk in text.split(|c: char| !c.is_alphanumeric()) {
        if chunk.is_empty() {
            continue;
        }
        if chunk.is_ascii() {
            split_ascii(chunk, &mut word, &mut f);
        } else {
            chars.clear();
            chars.extend(chunk.chars());
            split_chars(&chars, &mut word, &mut f);
        }
    }
}

/// The CamelCase splitting of one ASCII alphanumeric chunk (the fast path).
fn split_ascii(chunk: &str, word: &mut String, f: &mut impl FnMut(&str)) {
    let b = chunk.as_bytes();
    let n = b.len();
    let mut emit = |from: usize, to: usize| {
        word.clear();
        word.push_str(&chunk[from..to]);
        word.make_ascii_lowercase();
        f(word);
    };
    let mut start = 0;
    let mut i = 1;
    while i <= n {
        if i - 1 == start
            && b[start].is_ascii_alphabetic()
            && let Some(len) = protected_at_ascii(b, start)
        {
            emit(start, start + len);
            start += len;
            i = start + 1;
            continue;
        }
        if i == n {
            break;
        }
        let (p, c) = (b[i - 1], b[i]);
        let next_lower = || b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
        let boundary = if p.is_ascii_lowercase() {
            c.is_ascii_uppercase()
                || (c.is_ascii_digit()
                    && i - start >= 3
                    && n - i <= 2
                    && b[i..].iter().all(u8::is_ascii_digit))
        } else {
            // After a capital (`CPUOvercommit`) or a digit (`5xxErrors`): split before the
            // capital that starts a lower-case word.
            c.is_ascii_uppercase() && next_lower()
        };
        if boundary {
            emit(start, i);
            start = i;
        }
        i += 1;
    }
    if start < n {
        emit(start, n);
    }
}

fn protected_at_ascii(b: &[u8], start: usize) -> Option<usize> {
    let first = b[start].to_ascii_lowercase();
    PROTECTED.iter().find_map(|w| {
        let w = w.as_bytes();
        let end = start + w.len();
        (w[0] == first
            && end <= b.len()
            && b[start..end].eq_ignore_ascii_case(w)
            && b.get(end).is_none_or(|c| !c.is_ascii_lowercase()))
        .then_some(w.len())
    })
}

/// The same splitting for chunks with non-ASCII letters.
fn split_chars(chars: &[char], word: &mut String, f: &mut impl FnMut(&str)) {
    let mut emit = |from: usize, to: usize| {
        word.clear();
        for c in &chars[from..to] {
            word.extend(c.to_lowercase());
        }
        f(word);
    };
    let mut start = 0;
    let mut i = 1;
    while i <= chars.len() {
        // A product name with internal capitals (`PostgreSQL`, `RabbitMQ`) stays one word.
        if i - 1 == start
            && chars[start].is_ascii_alphabetic()
            && let Some(len) = protected_at(chars, start)
        {
            emit(start, start + len);
            start += len;
            i = start + 1;
            continue;
        }
        if i == chars.len() {
            break;
        }
        let (p, c) = (chars[i - 1], chars[i]);
        let boundary = if p.is_lowercase() {
            c.is_uppercase() || (c.is_ascii_digit() && i - start >= 3 && digits_end(chars, i))
        } else if p.is_uppercase() {
            c.is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase())
        } else {
            p.is_ascii_digit()
                && c.is_uppercase()
                && chars.get(i + 1).is_some_and(|n| n.is_lowercase())
        };
        if boundary {
            emit(start, i);
            start = i;
        }
        i += 1;
    }
    if start < chars.len() {
        emit(start, chars.len());
    }
}

/// Product names written with inner capitals that CamelCase splitting would tear apart.
const PROTECTED: &[&str] = &[
    "postgresql",
    "pgbouncer",
    "mysql",
    "mariadb",
    "mongodb",
    "rabbitmq",
    "coredns",
    "graphql",
    "oauth",
    "nodejs",
    "clickhouse",
    "elasticsearch",
    "opensearch",
    "dynamodb",
    "cockroachdb",
    "influxdb",
    "minio",
    "haproxy",
    "ipv4",
    "ipv6",
    "iops",
    "xfs",
    "zfs",
    "etcd",
];

/// Length of the protected word starting at `start`, if one does and is not followed by more
/// lower-case letters of the same word.
fn protected_at(chars: &[char], start: usize) -> Option<usize> {
    let first = chars[start].to_ascii_lowercase();
    PROTECTED.iter().find_map(|w| {
        let n = w.len();
        let end = start + n;
        if end > chars.len() || w.as_bytes()[0] != first as u8 {
            return None;
        }
        let same = chars[start..end]
            .iter()
            .zip(w.chars())
            .all(|(a, b)| a.to_ascii_lowercase() == b);
        let cut = chars.get(end).is_none_or(|c| !c.is_lowercase());
        (same && cut).then_some(n)
    })
}

/// `true` if from `i` on the rest of the chunk is one or two digits (`node1` → node 1).
fn digits_end(chars: &[char], i: usize) -> bool {
    chars[i..].iter().all(|c| c.is_ascii_digit()) && chars.len() - i <= 2
}

/// Stop word removal, synonyms and stemming into `out`; `false` drops the word.
fn normalize_into(word: &str, out: &mut String) -> bool {
    out.clear();
    if word.len() > 40 || is_stop(word) {
        return false;
    }
    if word.bytes().all(|c| c.is_ascii_digit()) {
        // HTTP status codes mean something; other numbers (ports, ids, counts) do not.
        match (word.len(), word.as_bytes()[0]) {
            (3, b'5') => out.push_str("5xx"),
            (3, b'4') => out.push_str("4xx"),
            _ => return false,
        }
        return true;
    }
    // Hex-looking ids carry no meaning.
    if word.len() >= 8
        && word.bytes().all(|c| c.is_ascii_hexdigit())
        && word.bytes().any(|c| c.is_ascii_digit())
    {
        return false;
    }
    out.push_str(synonym(word));
    stem_in_place(out);
    true
}

/// Spellings of one thing that operators use interchangeably.
fn synonym(word: &str) -> &str {
    match word {
        "postgresql" | "pg" | "postgre" | "pgsql" => "postgres",
        "mysqld" => "mysql",
        "db" | "dbs" => "database",
        "k8s" => "kubernetes",
        "ssl" => "tls",
        "cert" | "certs" => "certificate",
        "horizontalpodautoscaler" | "hpas" => "hpa",
        "persistentvolumeclaim" => "pvc",
        "p50" | "p75" | "p90" | "p95" | "p99" | "p999" => "percentile",
        "mem" => "memory",
        "cpus" => "cpu",
        "conn" | "conns" => "connection",
        _ => word,
    }
}

fn is_stop(w: &str) -> bool {
    w.len() <= 6
        && matches!(
            w,
            "a" | "an"
                | "and"
                | "are"
                | "as"
                | "at"
                | "be"
                | "been"
                | "being"
                | "but"
                | "by"
                | "can"
                | "could"
                | "did"
                | "do"
                | "does"
                | "for"
                | "from"
                | "had"
                | "has"
                | "have"
                | "he"
                | "her"
                | "his"
                | "how"
                | "i"
                | "if"
                | "in"
                | "into"
                | "is"
                | "it"
                | "its"
                | "may"
                | "me"
                | "might"
                | "more"
                | "most"
                | "must"
                | "my"
                | "of"
                | "on"
                | "or"
                | "our"
                | "s"
                | "shall"
                | "she"
                | "should"
                | "so"
                | "some"
                | "such"
                | "than"
                | "that"
                | "the"
                | "their"
                | "them"
                | "then"
                | "there"
                | "these"
                | "they"
                | "this"
                | "those"
                | "to"
                | "too"
                | "us"
                | "very"
                | "was"
                | "we"
                | "were"
                | "what"
                | "when"
                | "where"
                | "which"
                | "while"
                | "who"
                | "why"
                | "will"
                | "with"
                | "would"
                | "you"
                | "your"
                | "e"
                | "g"
                | "eg"
                | "ie"
                | "etc"
                | "also"
                | "about"
                | "any"
                | "all"
                | "each"
                | "other"
                | "only"
                | "over"
                | "under"
                | "up"
                | "out"
                | "not"
                | "no"
                | "yes"
                | "just"
                | "via"
                | "per"
                | "here"
                | "after"
                | "before"
                | "during"
        )
}

/// A small suffix stemmer: plurals, -ing, -ed, -ion(s), -ly, -ness, -ment; conservative enough
/// that `status`, `redis`, `kubernetes`, `process` survive.
pub fn stem(w: &str) -> String {
    let mut s = w.to_string();
    stem_in_place(&mut s);
    s
}

/// [`stem`] without allocating.
fn stem_in_place(s: &mut String) {
    let n = s.len();
    if n <= 3 || !s.is_ascii() {
        return;
    }
    // Plurals.
    if s.ends_with("ies") && n > 4 {
        s.truncate(n - 3);
        s.push('y');
    } else if s.ends_with("sses")
        || s.ends_with("xes")
        || s.ends_with("ches")
        || s.ends_with("shes")
    {
        s.truncate(s.len() - 2);
    } else if s.ends_with('s')
        && !s.ends_with("ss")
        && !s.ends_with("us")
        && !s.ends_with("is")
        && !s.ends_with("os")
        && !s.ends_with("as")
        && n >= 4
    {
        s.truncate(n - 1);
    }
    let strip = |s: &mut String, suffix: &str, min_stem: usize| -> bool {
        if s.ends_with(suffix) && s.len() - suffix.len() >= min_stem {
            let base = &s[..s.len() - suffix.len()];
            if base.chars().any(|c| "aeiouy".contains(c)) {
                s.truncate(s.len() - suffix.len());
                return true;
            }
        }
        false
    };
    let stripped = strip(s, "ing", 3) || strip(s, "ed", 3);
    if stripped {
        undouble(s);
        return;
    }
    if strip(s, "ation", 4) {
        // `exhaust-ion`, `connect-ion` are caught below; `saturation` → `satur`.
        return;
    }
    if s.ends_with("ion") && s.len() > 6 {
        let base = &s[..s.len() - 3];
        if base.ends_with('t') || base.ends_with('s') {
            s.truncate(s.len() - 3);
            return;
        }
    }
    let _ = strip(s, "ness", 3) || strip(s, "ment", 4) || strip(s, "ly", 4);
    // A final silent `e` (`disable`/`disabled`, `cache`/`cached`, `database`/`databases`).
    if s.len() > 4 && s.ends_with('e') && !s.ends_with("ee") {
        s.pop();
    }
}

/// `runn` → `run`, `stopp` → `stop`; keeps `ll`, `ss`, `zz` (`fill`, `pass`).
fn undouble(s: &mut String) {
    let b = s.as_bytes();
    let n = b.len();
    if n >= 3 && b[n - 1] == b[n - 2] && !matches!(b[n - 1], b'l' | b's' | b'z') {
        let c = b[n - 1];
        if !b"aeiou".contains(&c) {
            s.truncate(n - 1);
        }
    }
}

/// Words of a CamelCase identifier, lower-case, unstemmed (`KubePodCrashLooping` → kube pod
/// crash looping). Used for showing and for matching alert names by their words.
pub fn split_identifier(ident: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(ident, |w| out.push(w.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_snake_case_split_and_fold() {
        assert_eq!(
            tokens("KubePodCrashLooping"),
            ["kube", "pod", "crash", "loop"]
        );
        assert_eq!(tokens("KubeCPUOvercommit"), ["kube", "cpu", "overcommit"]);
        assert_eq!(
            tokens("node_filesystem_avail_bytes"),
            ["node", "filesystem", "avail", "byte"]
        );
        assert_eq!(
            tokens("PostgresConnectionPoolExhausted"),
            tokens("postgres connection pools exhaustion")
        );
        assert_eq!(tokens("HTTP 5xx errors"), ["http", "5xx", "error"]);
        assert_eq!(tokens("The pods are restarting"), ["pod", "restart"]);
        assert_eq!(
            tokens("PostgresqlTooManyConnections"),
            tokens("postgres many connections")
        );
        assert_eq!(tokens("MySQL RabbitMQ"), ["mysql", "rabbitmq"]);
        assert_eq!(tokens("MysqlDown"), ["mysql", "down"]);
        assert_eq!(
            tokens("PgBouncerClientsWaiting"),
            ["pgbouncer", "client", "wait"]
        );
        assert_eq!(tokens("returns 502"), ["return", "5xx"]);
    }

    #[test]
    fn stems_meet() {
        assert_eq!(stem("connections"), stem("connection"));
        assert_eq!(stem("exhausted"), stem("exhaustion"));
        assert_eq!(stem("running"), "run");
        assert_eq!(stem("filling"), "fill");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("redis"), "redis");
        assert_eq!(stem("disabled"), stem("disable"));
        assert_eq!(stem("databases"), stem("database"));
        assert_eq!(stem("latencies"), stem("latency"));
    }
}
