//! Reading alerts as real systems send them: Alertmanager API v2 `GET /api/v2/alerts` objects
//! (and `/api/v2/alerts/groups`), Alertmanager webhook payloads (version "4"), flightdeck's own
//! serialized [`Alert`]s, and JSON Lines of any of these. A bad alert is rejected alone, with a
//! message that says what is wrong; the others still load.
//!
//! **Size caps.** A label or annotation value longer than [`MAX_LABEL_BYTES`] or
//! [`MAX_ANNOTATION_BYTES`] (names: [`MAX_NAME_BYTES`], the generator URL: [`MAX_LABEL_BYTES`])
//! is cut at a character boundary and ends with `…[truncated 1.0 MB]` (the size it had), so
//! one hostile alert cannot hold megabytes and the cut is visible. A label cut this way no
//! longer gives Alertmanager's fingerprint (nor matches in a silence); real labels are far
//! shorter.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::model::{Alert, AlertState};
use crate::time::Timestamp;

/// The longest label value (and generator URL) kept whole, in bytes.
pub const MAX_LABEL_BYTES: usize = 4096;
/// The longest annotation value kept whole, in bytes.
pub const MAX_ANNOTATION_BYTES: usize = 32 * 1024;
/// The longest label or annotation name kept whole, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// `text` cut to at most `max` bytes (at a character boundary) followed by
/// `…[truncated 1.0 MB]`, naming the size it had; unchanged when it fits.
pub fn truncate_value(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…[truncated {}]", &text[..cut], size(text.len()))
}

/// `512 B`, `3.9 kB`, `1.0 MB` (decimal units).
fn size(bytes: usize) -> String {
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", b / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} GB", b / 1e9)
    }
}

/// What [`parse_alerts`] read: the alerts, and the items it could not use.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ParsedAlerts {
    pub alerts: Vec<Alert>,
    pub rejected: Vec<Rejected>,
}

/// One item that was not an alert. `index` counts items (alert objects, or unreadable JSON Lines)
/// from 0 in input order, whether they loaded or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub index: usize,
    pub error: String,
}

/// Parses any of the supported shapes. A whole document (array or object, possibly pretty
/// printed) or JSON Lines (one value per line) are both accepted.
pub fn parse_alerts(text: &str) -> ParsedAlerts {
    let mut out = Reader::default();
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return out.parsed;
    }
    // Well-formed input is read straight into alerts; anything the typed reader does not take
    // (a bad alert, an unusual shape) is read again below, which says what is wrong.
    if let Some(alerts) = typed::parse(trimmed) {
        out.parsed.alerts = alerts;
        return out.parsed;
    }
    parse_values(text)
}

/// [`parse_alerts`] through a `Value` tree: every shape, every problem explained.
fn parse_values(text: &str) -> ParsedAlerts {
    let mut out = Reader::default();
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return out.parsed;
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => out.value(value, ""),
        Err(whole_err) => {
            let first = trimmed.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if serde_json::from_str::<Value>(first.trim()).is_ok() {
                // JSON Lines: every line stands alone.
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim().trim_start_matches('\u{feff}');
                    if line.is_empty() {
                        continue;
                    }
                    let at = format!("line {}: ", n + 1);
                    match serde_json::from_str::<Value>(line) {
                        Ok(v) => out.value(v, &at),
                        Err(e) => out.reject(format!("{at}not JSON: {e}")),
                    }
                }
            } else {
                out.reject(format!("not JSON: {whole_err}"));
            }
        }
    }
    out.parsed
}

/// The alerts of a well-formed Alertmanager webhook notification (version "4" or none, an
/// `alerts` array of valid alerts), read in one pass without a `Value` tree. `None` for
/// anything else: the caller checks and explains it the slow way.
pub fn webhook_alerts(body: &[u8]) -> Option<Vec<Alert>> {
    typed::webhook(body)
}

#[derive(Default)]
struct Reader {
    parsed: ParsedAlerts,
    next: usize,
}

impl Reader {
    fn reject(&mut self, error: String) {
        self.parsed.rejected.push(Rejected {
            index: self.next,
            error,
        });
        self.next += 1;
    }

    fn value(&mut self, value: Value, at: &str) {
        match value {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    self.item(item, &format!("{at}[{i}] "));
                }
            }
            other => self.item(other, at),
        }
    }

    /// One element: an alert, or a container (webhook payload, alert group) of alerts.
    fn item(&mut self, value: Value, at: &str) {
        let Value::Object(obj) = value else {
            return self.reject(format!(
                "{at}expected an alert object, found {}",
                kind(&value)
            ));
        };
        if let Some(alerts) = obj.get("alerts") {
            let what = if obj.contains_key("version") || obj.contains_key("groupKey") {
                "webhook"
            } else {
                "group"
            };
            let Value::Array(alerts) = alerts else {
                return self.reject(format!(
                    "{at}{what} \"alerts\" must be an array, found {}",
                    kind(alerts)
                ));
            };
            for (i, a) in alerts.iter().enumerate() {
                let where_ = format!("{at}{what} alerts[{i}]: ");
                match a {
                    Value::Object(a) => self.alert(a, &where_),
                    other => self.reject(format!(
                        "{where_}expected an alert object, found {}",
                        kind(other)
                    )),
                }
            }
            return;
        }
        let where_ = if at.is_empty() {
            String::new()
        } else {
            format!("{}: ", at.trim_end())
        };
        self.alert(&obj, &where_);
    }

    fn alert(&mut self, obj: &Map<String, Value>, at: &str) {
        match alert_from(obj) {
            Ok(a) => {
                self.parsed.alerts.push(a);
                self.next += 1;
            }
            Err(e) => self.reject(format!("{at}{e}")),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why one alert object was rejected; each message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("missing \"labels\" (an alert needs at least one label, e.g. alertname)")]
    MissingLabels,
    #[error("\"labels\" is empty (an alert needs at least one label)")]
    EmptyLabels,
    #[error("label {0:?} must be a string, found {1}")]
    LabelNotString(String, &'static str),
    /// A field of the wrong JSON type (`found` is `kind` of the value).
    #[error("\"{field}\" must be {expected}, found {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("missing \"startsAt\"")]
    MissingStart,
    #[error("\"startsAt\" is the zero time 0001-01-01T00:00:00Z")]
    ZeroStart,
    #[error("{field} {word:?} is not one of firing, resolved, active, suppressed, unprocessed")]
    UnknownState { field: &'static str, word: String },
    #[error("\"{field}\": {why}")]
    Time {
        field: &'static str,
        why: crate::time::TimeError,
    },
}

fn wrong_type(field: &'static str, expected: &'static str, v: &Value) -> AlertError {
    AlertError::WrongType {
        field,
        expected,
        found: kind(v),
    }
}

fn alert_from(obj: &Map<String, Value>) -> Result<Alert, AlertError> {
    let labels = match obj.get("labels") {
        None | Some(Value::Null) => return Err(AlertError::MissingLabels),
        Some(Value::Object(m)) => {
            let mut labels = BTreeMap::new();
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        labels.insert(
                            truncate_value(k, MAX_NAME_BYTES),
                            truncate_value(s, MAX_LABEL_BYTES),
                        );
                    }
                    other => return Err(AlertError::LabelNotString(k.clone(), kind(other))),
                }
            }
            if labels.is_empty() {
                return Err(AlertError::EmptyLabels);
            }
            labels
        }
        Some(other) => return Err(wrong_type("labels", "an object", other)),
    };
    let annotations = match obj.get("annotations") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| {
                let s = match v {
                    Value::String(s) => truncate_value(s, MAX_ANNOTATION_BYTES),
                    Value::Null => return None,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => truncate_value(&other.to_string(), MAX_ANNOTATION_BYTES),
                };
                Some((truncate_value(k, MAX_NAME_BYTES), s))
            })
            .collect(),
        Some(other) => return Err(wrong_type("annotations", "an object", other)),
    };
    let starts_at = match obj.get("startsAt") {
        None | Some(Value::Null) => return Err(AlertError::MissingStart),
        Some(v) => match timestamp(v, "startsAt")? {
            Some(t) => t,
            None => return Err(AlertError::ZeroStart),
        },
    };
    let ends_at = match obj.get("endsAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => timestamp(v, "endsAt")?,
    };
    let state = state_of(obj)?;
    let generator_url = match obj.get("generatorURL") {
        Some(Value::String(s)) if !s.is_empty() => Some(truncate_value(s, MAX_LABEL_BYTES)),
        _ => None,
    };
    let ids = |key: &str| -> Vec<String> {
        match obj.get("status") {
            Some(Value::Object(st)) => match st.get(key) {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    };
    Ok(Alert {
        labels,
        annotations,
        starts_at,
        ends_at,
        state,
        generator_url,
        detail: crate::alerts::StateDetail {
            silenced_by: ids("silencedBy"),
            inhibited_by: ids("inhibitedBy"),
            lost_at: None,
        },
    })
}

/// API v2: `status: {state: active|suppressed|unprocessed}`; webhook: `status: firing|resolved`;
/// flightdeck's own: `state: firing|resolved|suppressed`. Nothing given: firing.
fn state_word(s: &str, field: &'static str) -> Result<AlertState, AlertError> {
    match s.to_ascii_lowercase().as_str() {
        "firing" | "active" | "unprocessed" => Ok(AlertState::Firing),
        "resolved" => Ok(AlertState::Resolved),
        "suppressed" => Ok(AlertState::Suppressed),
        _ => Err(AlertError::UnknownState {
            field,
            word: s.to_string(),
        }),
    }
}

fn state_of(obj: &Map<String, Value>) -> Result<AlertState, AlertError> {
    let word = state_word;
    match obj.get("status") {
        Some(Value::Object(st)) => match st.get("state") {
            Some(Value::String(s)) => word(s, "status.state"),
            None | Some(Value::Null) => Ok(AlertState::Firing),
            Some(other) => Err(wrong_type("status.state", "a string", other)),
        },
        Some(Value::String(s)) => word(s, "status"),
        Some(Value::Null) | None => match obj.get("state") {
            Some(Value::String(s)) => word(s, "state"),
            None | Some(Value::Null) => Ok(AlertState::Firing),
            Some(other) => Err(wrong_type("state", "a string", other)),
        },
        Some(other) => Err(wrong_type("status", "an object or a string", other)),
    }
}

/// An RFC 3339 timestamp with any number of fractional digits (beyond nanoseconds is
/// truncated), within the years flightdeck accepts ([`crate::time::EARLIEST`] to
/// [`crate::time::LATEST`]). Go's zero time, `0001-01-01T00:00:00Z` exactly (any zero fraction),
/// means "not set"; any other instant of year 1 is out of range like the rest.
fn timestamp(v: &Value, field: &'static str) -> Result<Option<Timestamp>, AlertError> {
    let Value::String(s) = v else {
        return Err(wrong_type(field, "an RFC 3339 string", v));
    };
    timestamp_text(s, field)
}

/// [`timestamp`] of a string.
fn timestamp_text(s: &str, field: &'static str) -> Result<Option<Timestamp>, AlertError> {
    let t = s.trim();
    if is_go_zero_time(t) {
        return Ok(None);
    }
    let truncated = truncate_fraction(t);
    crate::time::parse_timestamp(truncated.as_deref().unwrap_or(t))
        .map(Some)
        .map_err(|why| AlertError::Time { field, why })
}

/// `0001-01-01T00:00:00Z`, `0001-01-01T00:00:00.000Z`, `0001-01-01T00:00:00+00:00`: what Go's
/// zero `time.Time` marshals to, Alertmanager's "no end time".
fn is_go_zero_time(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("0001-01-01T00:00:00") else {
        return false;
    };
    let rest = match rest.strip_prefix('.') {
        Some(f) => f.trim_start_matches('0'),
        None => rest,
    };
    matches!(rest, "Z" | "z" | "+00:00" | "-00:00")
}

/// `…:05.1234567891234Z` → `…:05.123456789Z` (jiff reads at most nine digits).
fn truncate_fraction(t: &str) -> Option<String> {
    let dot = t.find('.')?;
    let digits = t[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return None;
    }
    Some(format!("{}{}", &t[..dot + 10], &t[dot + 1 + digits..]))
}

/// The typed reader: serde straight into borrowed strings (no `Value` tree), for input in one of
/// the usual shapes with every alert well-formed. `None` sends the input to the `Value` reader,
/// which takes everything it takes and explains what it does not; both give the same alerts.
mod typed;

#[cfg(test)]
mod typed_tests {
    //! The typed reader gives exactly what the `Value` reader gives, or leaves the input to it.

    use proptest::prelude::*;

    use super::*;

    fn agree(text: &str) {
        let slow = parse_values(text);
        let trimmed = text.trim_start_matches('\u{feff}').trim();
        if let Some(alerts) = typed::parse(trimmed) {
            assert!(
                slow.rejected.is_empty(),
                "typed took what is rejected: {text}"
            );
            assert_eq!(alerts, slow.alerts, "{text}");
        }
        assert_eq!(parse_alerts(text), slow, "{text}");
    }

    #[test]
    fn fixtures_read_alike_and_typed() {
        macro_rules! fixture {
            ($f:literal) => {
                ($f, include_str!(concat!("../../tests/fixtures/", $f)))
            };
        }
        for (f, text) in [
            fixture!("alerts/database-cascade.jsonl"),
            fixture!("alerts/flapping.jsonl"),
            fixture!("alerts/node-failure.json"),
            fixture!("alertmanager/get-alerts.json"),
            fixture!("alertmanager/webhook-resolved.json"),
        ] {
            agree(text);
            assert!(
                typed::parse(text.trim()).is_some(),
                "{f}: well-formed, so the typed reader takes it"
            );
        }
        let hook = include_str!("../../tests/fixtures/alertmanager/webhook-resolved.json");
        assert_eq!(
            webhook_alerts(hook.as_bytes()),
            Some(parse_values(hook).alerts)
        );
    }

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}",
            Just("with \"quote\" and \\ and \u{e9}".to_string()),
            Just("x".repeat(MAX_LABEL_BYTES + 3)),
            Just(String::new()),
        ]
    }

    fn time() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::json!("2026-03-12T13:55:00Z")),
            Just(serde_json::json!("2026-03-12T13:55:00.123456789123Z")),
            Just(serde_json::json!("0001-01-01T00:00:00Z")),
            Just(serde_json::json!("9999-01-01T00:00:00Z")),
            Just(serde_json::json!("")),
            Just(serde_json::json!("soon")),
            Just(serde_json::json!(null)),
            Just(serde_json::json!(12)),
        ]
    }

    fn value() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            4 => string().prop_map(serde_json::Value::String),
            1 => Just(serde_json::json!(null)),
            1 => Just(serde_json::json!(3)),
            1 => Just(serde_json::json!(true)),
            1 => Just(serde_json::json!(["a"])),
        ]
    }

    fn alert() -> impl Strategy<Value = serde_json::Value> {
        (
            proptest::collection::btree_map("[a-z]{1,5}", value(), 0..4),
            proptest::collection::btree_map("[a-z]{1,5}", value(), 0..3),
            time(),
            proptest::option::of(time()),
            prop_oneof![
                Just(None),
                Just(Some(serde_json::json!("firing"))),
                Just(Some(serde_json::json!("Resolved"))),
                Just(Some(serde_json::json!("bogus"))),
                Just(Some(
                    serde_json::json!({"state": "suppressed", "silencedBy": ["s1"]})
                )),
                Just(Some(
                    serde_json::json!({"state": "active", "inhibitedBy": ["x", 3]})
                )),
                Just(Some(serde_json::json!({"state": 5}))),
                Just(Some(serde_json::json!(null))),
            ],
            proptest::option::of(value()),
        )
            .prop_map(|(labels, annotations, starts, ends, status, url)| {
                let mut a = serde_json::json!({"labels": labels, "startsAt": starts});
                if !annotations.is_empty() {
                    a["annotations"] = serde_json::json!(annotations);
                }
                if let Some(e) = ends {
                    a["endsAt"] = e;
                }
                if let Some(s) = status {
                    a["status"] = s;
                }
                if let Some(u) = url {
                    a["generatorURL"] = u;
                }
                a
            })
    }

    proptest! {
        #[test]
        fn typed_and_value_readers_agree(
            alerts in proptest::collection::vec(alert(), 0..5),
            shape in 0..4u8,
        ) {
            let text = match shape {
                0 => serde_json::Value::Array(alerts).to_string(),
                1 => serde_json::json!({"version": "4", "alerts": alerts}).to_string(),
                2 => alerts.iter().map(|a| a.to_string()).collect::<Vec<_>>().join("\n"),
                _ => serde_json::to_string_pretty(&alerts).unwrap(),
            };
            agree(&text);
            if shape == 1 {
                let slow = parse_values(&text);
                // The receiver falls back to the `Value` reader when this says `None`.
                if let Some(a) = webhook_alerts(text.as_bytes()) {
                    prop_assert!(slow.rejected.is_empty());
                    prop_assert_eq!(a, slow.alerts);
                }
            }
        }
    }

    #[test]
    fn json_lines_need_one_value_a_line() {
        let a = r#"{"labels":{"alertname":"A"},"startsAt":"2026-03-12T13:55:00Z"}"#;
        agree(&format!("{a}\n{a}"));
        agree(&format!("{a} {a}"));
        agree(&format!(
            "{{\n\"labels\":{{\"alertname\":\"A\"}},\"startsAt\":\"2026-03-12T13:55:00Z\"}}\n{a}"
        ));
        agree(&format!("\u{feff}{a}\n\n{a}\n"));
        assert!(typed::parse(&format!("{a} {a}")).is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_api_v2_object_with_zero_end_and_long_fraction() {
        let p = parse_alerts(
            r#"[{"labels":{"alertname":"A"},"startsAt":"2026-11-25T23:00:58.609463328123Z",
                "endsAt":"0001-01-01T00:00:00Z","status":{"state":"suppressed"},"extra":1}]"#,
        );
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let a = &p.alerts[0];
        assert_eq!(a.ends_at, None);
        assert_eq!(a.state, AlertState::Suppressed);
        assert_eq!(a.starts_at.subsec_nanosecond(), 609_463_328);
    }

    #[test]
    fn bad_alert_is_rejected_alone() {
        let p = parse_alerts(
            r#"[{"labels":{"alertname":"A"},"startsAt":"2026-11-25T23:00:00Z"},
                {"labels":{"alertname":"B"}},
                {"labels":{"alertname":"C"},"startsAt":"yesterday"},
                {"labels":{"alertname":"D"},"startsAt":"2026-11-25T23:00:00+01:00","status":{"state":"active"}}]"#,
        );
        assert_eq!(p.alerts.len(), 2);
        assert_eq!(p.rejected.len(), 2);
        assert_eq!(p.rejected[0].index, 1);
        assert!(p.rejected[0].error.contains("missing \"startsAt\""));
        assert_eq!(p.rejected[1].index, 2);
        assert!(p.rejected[1].error.contains("not an RFC 3339"));
    }

    #[test]
    fn out_of_range_times_say_so_and_only_go_zero_time_is_unset() {
        let p = parse_alerts(
            r#"[{"labels":{"alertname":"A"},"startsAt":"10000-01-01T00:00:00Z"},
                {"labels":{"alertname":"B"},"startsAt":"0001-01-01T00:00:01Z"},
                {"labels":{"alertname":"C"},"startsAt":"2026-11-25T23:00:00Z","endsAt":"0001-01-01T00:00:00.000Z"},
                {"labels":{"alertname":"D"},"startsAt":"2026-11-25T23:00:00Z","endsAt":"9999-12-31T23:59:59Z"}]"#,
        );
        assert_eq!(p.alerts.len(), 1, "{:?}", p.rejected);
        assert_eq!(p.alerts[0].ends_at, None);
        let errors: Vec<&str> = p.rejected.iter().map(|r| r.error.as_str()).collect();
        assert_eq!(errors.len(), 3);
        for e in &errors {
            assert!(e.contains("out of range"), "{e}");
            assert!(
                !e.contains("not an RFC 3339") && !e.contains("zero time"),
                "{e}"
            );
        }
        assert!(errors[2].contains("\"endsAt\""), "{}", errors[2]);
    }

    #[test]
    fn json_lines_of_mixed_shapes() {
        let text = concat!(
            r#"{"labels":{"alertname":"A"},"startsAt":"2026-11-25T23:00:00Z"}"#,
            "\n\n{not json\n",
            r#"{"version":"4","status":"firing","alerts":[{"status":"resolved","labels":{"alertname":"B"},"startsAt":"2026-11-25T23:00:00Z","endsAt":"2026-11-25T23:05:00Z"}]}"#,
            "\n"
        );
        let p = parse_alerts(text);
        assert_eq!(p.alerts.len(), 2);
        assert_eq!(p.alerts[1].state, AlertState::Resolved);
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].index, 1);
        assert!(p.rejected[0].error.starts_with("line 3: not JSON"));
    }

    #[test]
    fn long_values_are_cut_visibly() {
        assert_eq!(truncate_value("short", 10), "short");
        let big = "é".repeat(500_000); // 1,000,000 bytes
        let cut = truncate_value(&big, MAX_LABEL_BYTES);
        assert!(cut.len() < MAX_LABEL_BYTES + 40, "{}", cut.len());
        assert!(
            cut.ends_with("…[truncated 1.0 MB]"),
            "{}",
            &cut[cut.len() - 40..]
        );
        assert_eq!(truncate_value("abcdef", 3), "abc…[truncated 6 B]");
        let text = format!(
            r#"[{{"labels":{{"alertname":"A","pod":"{v}","{k}":"x"}},"annotations":{{"description":"{v}{v}{v}{v}{v}{v}{v}{v}{v}{v}"}},
               "startsAt":"2026-11-25T23:00:00Z","generatorURL":"http://p/{v}"}}]"#,
            v = "x".repeat(10_000),
            k = "k".repeat(1_000)
        );
        let p = parse_alerts(&text);
        let a = &p.alerts[0];
        assert!(
            a.labels["pod"].ends_with("…[truncated 10.0 kB]"),
            "{}",
            a.labels["pod"]
        );
        assert!(a.labels.keys().all(|k| k.len() < MAX_NAME_BYTES + 40));
        assert!(a.annotations["description"].len() < MAX_ANNOTATION_BYTES + 40);
        assert!(a.generator_url.as_ref().unwrap().len() < MAX_LABEL_BYTES + 40);
        assert_eq!(a.labels["alertname"], "A");
    }

    #[test]
    fn broken_document_is_one_clear_rejection() {
        let p = parse_alerts("[{\"labels\": {\"alertname\": \"A\"},\n \"startsAt\": ");
        assert!(p.alerts.is_empty());
        assert_eq!(p.rejected.len(), 1);
        assert!(p.rejected[0].error.starts_with("not JSON"));
    }
}
