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
    for_each_token(text, |t| out.push(t));
    out
}

/// Like [`tokens`] but also returns, for each token, the word as written (lower-case, unstemmed),
/// for showing matched terms the way the user wrote them.
pub fn tokens_with_surface(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for_each_word(text, |w| {
        if let Some(t) = normalize(&w) {
            out.push((t, w));
        }
    });
    out
}

/// Calls `f` with every token of `text`.
pub fn for_each_token(text: &str, mut f: impl FnMut(String)) {
    for_each_word(text, |w| {
        if let Some(t) = normalize(&w) {
            f(t)
        }
    });
}

/// Splits into lower-case words (CamelCase and separators split), before stop words and stems.
fn for_each_word(text: &str, mut f: impl FnMut(String)) {
    for chunk in text.split(|c: char| !c.is_alphanumeric()) {
        if chunk.is_empty() {
            continue;
        }
        let chars: Vec<char> = chunk.chars().collect();
        let mut start = 0;
        let mut i = 1;
        while i <= chars.len() {
            // A product name with internal capitals (`PostgreSQL`, `RabbitMQ`) stays one word.
            if i - 1 == start
                && let Some(len) = protected_at(&chars, start)
            {
                f(chars[start..start + len]
                    .iter()
                    .collect::<String>()
                    .to_lowercase());
                start += len;
                i = start + 1;
                continue;
            }
            if i == chars.len() {
                break;
            }
            let (p, c) = (chars[i - 1], chars[i]);
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (p.is_lowercase() && c.is_uppercase())
                || (p.is_uppercase() && c.is_uppercase() && next_lower)
                || (p.is_ascii_digit() && c.is_uppercase() && next_lower)
                || (p.is_lowercase()
                    && c.is_ascii_digit()
                    && i - start >= 3
                    && digits_end(&chars, i));
            if boundary {
                f(chars[start..i].iter().collect::<String>().to_lowercase());
                start = i;
            }
            i += 1;
        }
        if start < chars.len() {
            f(chars[start..].iter().collect::<String>().to_lowercase());
        }
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
    PROTECTED.iter().find_map(|w| {
        let n = w.len();
        let end = start + n;
        if end > chars.len() {
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

/// Stop word removal, synonyms and stemming; `None` drops the word.
fn normalize(word: &str) -> Option<String> {
    if word.len() > 40 || is_stop(word) {
        return None;
    }
    if word.chars().all(|c| c.is_ascii_digit()) {
        // HTTP status codes mean something; other numbers (ports, ids, counts) do not.
        return match (word.len(), word.as_bytes()[0]) {
            (3, b'5') => Some("5xx".into()),
            (3, b'4') => Some("4xx".into()),
            _ => None,
        };
    }
    // Hex-looking ids carry no meaning.
    if word.len() >= 8
        && word.chars().all(|c| c.is_ascii_hexdigit())
        && word.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some(stem(synonym(word)))
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
    matches!(
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
    let n = w.len();
    if n <= 3 || !w.is_ascii() {
        return w.to_string();
    }
    let mut s = w.to_string();
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
    let stripped = strip(&mut s, "ing", 3) || strip(&mut s, "ed", 3);
    if stripped {
        undouble(&mut s);
        return s;
    }
    if strip(&mut s, "ation", 4) {
        // `exhaust-ion`, `connect-ion` are caught below; `saturation` → `satur`.
        return s;
    }
    if s.ends_with("ion") && s.len() > 6 {
        let base = &s[..s.len() - 3];
        if base.ends_with('t') || base.ends_with('s') {
            s.truncate(s.len() - 3);
            return s;
        }
    }
    let _ = strip(&mut s, "ness", 3) || strip(&mut s, "ment", 4) || strip(&mut s, "ly", 4);
    // A final silent `e` (`disable`/`disabled`, `cache`/`cached`, `database`/`databases`).
    if s.len() > 4 && s.ends_with('e') && !s.ends_with("ee") {
        s.pop();
    }
    s
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
    for_each_word(ident, |w| out.push(w));
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
