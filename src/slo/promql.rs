//! PromQL syntax of SLO queries, checked offline (`flightdeck check`, `flightdeck slo check`)
//! with `promql-parser` (GreptimeTeam's parser of Prometheus's grammar), so a query with an
//! unclosed brace is an error before any server is asked. Pure: text in, errors out.

use super::parse::SliQueries;

/// The range put in place of Sloth's `{{.window}}` before parsing (any valid range would do).
const WINDOW_FOR_SYNTAX: &str = "5m";

/// Why a query is not PromQL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromqlError {
    /// A `{{…}}` other than `{{.window}}` (its inside).
    #[error("template placeholder left in the query ({0:?}): only {{{{.window}}}} is filled in")]
    Placeholder(String),
    /// The parser's message.
    #[error("{0}")]
    Syntax(String),
}

/// `Ok` if `query` (with `{{.window}}` filled in) is PromQL; else why not.
pub fn check_syntax(query: &str) -> Result<(), PromqlError> {
    let q = SliQueries::for_window(query, WINDOW_FOR_SYNTAX);
    if q.contains("{{") {
        return Err(PromqlError::Placeholder(
            q.split("{{")
                .nth(1)
                .map_or("", |r| r.split("}}").next().unwrap_or(""))
                .to_string(),
        ));
    }
    promql_parser::parser::parse(&q)
        .map(|_| ())
        .map_err(|e| PromqlError::Syntax(e.trim().to_string()))
}

/// One query of an SLO whose syntax is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// `good`, `bad`, `total` or `error_ratio`.
    pub part: &'static str,
    pub query: String,
    pub message: String,
}

/// The syntax errors among an SLO's queries (empty: every given query parses).
pub fn syntax_errors(q: &SliQueries) -> Vec<SyntaxError> {
    [
        ("good", &q.good),
        ("bad", &q.bad),
        ("total", &q.total),
        ("error_ratio", &q.error_ratio),
    ]
    .into_iter()
    .filter_map(|(part, text)| {
        let text = text.as_deref()?.trim();
        if text.is_empty() {
            return None;
        }
        check_syntax(text).err().map(|e| SyntaxError {
            part,
            query: text.to_string(),
            message: e.to_string(),
        })
    })
    .collect()
}

/// The 1-based line of `text` where `query` is written (its first line), at or after
/// `from_line`; `None` if it is not found verbatim (e.g. a folded YAML scalar).
pub fn line_of(text: &str, query: &str, from_line: u64) -> Option<u64> {
    let first = query.lines().next()?.trim();
    if first.is_empty() {
        return None;
    }
    let skip = from_line.saturating_sub(1) as usize;
    text.lines()
        .enumerate()
        .skip(skip)
        .find(|(_, l)| l.contains(first))
        .map(|(i, _)| i as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_queries_pass_and_broken_ones_say_why() {
        for ok in [
            r#"sum(http_requests_total{job="checkout",code!~"5.."})"#,
            r#"sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))"#,
            r#"sum(rate(x[{{ .window }}])) / sum(rate(y[{{.window}}]))"#,
            "up",
        ] {
            assert_eq!(check_syntax(ok), Ok(()), "{ok}");
        }
        for bad in [
            r#"sum(http_requests_total{job="checkout""#,
            "sum(rate(x[5m])",
            "rate(x[5 minutes])",
            "sum by (code x)",
            r#"sum(rate(x[{{.windw}}]))"#,
            "",
        ] {
            let e = check_syntax(bad).unwrap_err().to_string();
            assert!(!e.is_empty(), "{bad}");
        }
    }

    #[test]
    fn each_part_is_checked_and_named() {
        let q = SliQueries {
            good: Some("sum(a".into()),
            total: Some("sum(b)".into()),
            error_ratio: Some("c{".into()),
            ..SliQueries::default()
        };
        let errors = syntax_errors(&q);
        let parts: Vec<&str> = errors.iter().map(|e| e.part).collect();
        assert_eq!(parts, ["good", "error_ratio"]);
    }

    #[test]
    fn the_line_of_a_query() {
        let text = "a: 1\nq: 'sum(x)'\nr: 'sum(x)'\n";
        assert_eq!(line_of(text, "sum(x)", 0), Some(2));
        assert_eq!(line_of(text, "sum(x)", 3), Some(3));
        assert_eq!(line_of(text, "sum(y)", 0), None);
    }
}
