//! The typed reader: serde straight into borrowed strings (no `Value` tree), for input in one of
//! the usual shapes with every alert well-formed. `None` sends the input to the `Value` reader,
//! which takes everything it takes and explains what it does not; both give the same alerts.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{
    MAX_ANNOTATION_BYTES, MAX_LABEL_BYTES, MAX_NAME_BYTES, state_word, timestamp_text,
    truncate_value,
};
use crate::alerts::StateDetail;
use crate::alerts::model::{Alert, AlertState};

/// A string, borrowed from the input when it has no escapes.
#[derive(Deserialize)]
struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

/// A JSON object's entries in input order (later ones win, as in a map).
struct Pairs<'a, V>(Vec<(Str<'a>, V)>);

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Pairs<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<'a, V>(std::marker::PhantomData<(&'a (), V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for Vis<'a, V> {
            type Value = Pairs<'a, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some(entry) = m.next_entry::<Str<'a>, V>()? {
                    v.push(entry);
                }
                Ok(Pairs(v))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}

impl Str<'_> {
    fn cut(self, max: usize) -> String {
        if self.0.len() <= max {
            self.0.into_owned()
        } else {
            truncate_value(&self.0, max)
        }
    }
}

/// A field that is there (even `null` is refused: the `Value` reader explains it).
#[derive(Default)]
enum Present<T> {
    #[default]
    Absent,
    Here(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Present::Here)
    }
}

#[derive(Deserialize)]
struct StatusObj<'a> {
    #[serde(borrow, default)]
    state: Option<Str<'a>>,
    #[serde(borrow, default, rename = "silencedBy")]
    silenced_by: Option<Vec<Str<'a>>>,
    #[serde(borrow, default, rename = "inhibitedBy")]
    inhibited_by: Option<Vec<Str<'a>>>,
}

/// `status`: the webhook's word or the API's object.
enum Status<'a> {
    Word(Str<'a>),
    Obj(StatusObj<'a>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Status<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Status<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status word or object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Status::Word(Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Status::Word(Str(Cow::Owned(v.to_string()))))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Self::Value, M::Error> {
                StatusObj::deserialize(de::value::MapAccessDeserializer::new(m)).map(Status::Obj)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// One object of the input: an alert, or (with `alerts`) a webhook payload or alert group.
#[derive(Deserialize)]
struct Obj<'a> {
    #[serde(borrow, default)]
    labels: Option<Pairs<'a, Str<'a>>>,
    #[serde(borrow, default)]
    annotations: Option<Pairs<'a, Option<Str<'a>>>>,
    #[serde(borrow, default, rename = "startsAt")]
    starts_at: Option<Str<'a>>,
    #[serde(borrow, default, rename = "endsAt")]
    ends_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    status: Option<Status<'a>>,
    #[serde(borrow, default)]
    state: Option<Str<'a>>,
    #[serde(borrow, default, rename = "generatorURL")]
    generator_url: Option<Str<'a>>,
    #[serde(borrow, default)]
    alerts: Present<Vec<Alertish<'a>>>,
}

/// An alert inside a container: its own `alerts` key (if any) means nothing.
#[derive(Deserialize)]
struct Alertish<'a> {
    #[serde(borrow, default)]
    labels: Option<Pairs<'a, Str<'a>>>,
    #[serde(borrow, default)]
    annotations: Option<Pairs<'a, Option<Str<'a>>>>,
    #[serde(borrow, default, rename = "startsAt")]
    starts_at: Option<Str<'a>>,
    #[serde(borrow, default, rename = "endsAt")]
    ends_at: Option<Str<'a>>,
    #[serde(borrow, default)]
    status: Option<Status<'a>>,
    #[serde(borrow, default)]
    state: Option<Str<'a>>,
    #[serde(borrow, default, rename = "generatorURL")]
    generator_url: Option<Str<'a>>,
    #[serde(default)]
    #[allow(dead_code)]
    alerts: Option<IgnoredAny>,
}

impl<'a> From<Obj<'a>> for Alertish<'a> {
    fn from(o: Obj<'a>) -> Self {
        Alertish {
            labels: o.labels,
            annotations: o.annotations,
            starts_at: o.starts_at,
            ends_at: o.ends_at,
            status: o.status,
            state: o.state,
            generator_url: o.generator_url,
            alerts: None,
        }
    }
}

impl Alertish<'_> {
    /// The alert, or `None` when the `Value` reader would refuse it.
    fn alert(self) -> Option<Alert> {
        let labels: BTreeMap<String, String> = self
            .labels?
            .0
            .into_iter()
            .map(|(k, v)| (k.cut(MAX_NAME_BYTES), v.cut(MAX_LABEL_BYTES)))
            .collect();
        if labels.is_empty() {
            return None;
        }
        let annotations = self
            .annotations
            .map(|p| p.0)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| Some((k.cut(MAX_NAME_BYTES), v?.cut(MAX_ANNOTATION_BYTES))))
            .collect();
        let starts_at = timestamp_text(&self.starts_at?.0, "startsAt").ok()??;
        let ends_at = match self.ends_at {
            None => None,
            Some(s) if s.0.trim().is_empty() => None,
            Some(s) => timestamp_text(&s.0, "endsAt").ok()?,
        };
        let mut detail = StateDetail::default();
        let state = match self.status {
            Some(Status::Obj(st)) => {
                let ids = |v: Option<Vec<Str>>| {
                    v.unwrap_or_default()
                        .into_iter()
                        .map(|s| s.0.into_owned())
                        .collect()
                };
                detail.silenced_by = ids(st.silenced_by);
                detail.inhibited_by = ids(st.inhibited_by);
                match st.state {
                    Some(s) => state_word(&s.0, "status.state").ok()?,
                    None => AlertState::Firing,
                }
            }
            Some(Status::Word(s)) => state_word(&s.0, "status").ok()?,
            None => match self.state {
                Some(s) => state_word(&s.0, "state").ok()?,
                None => AlertState::Firing,
            },
        };
        let generator_url = self
            .generator_url
            .filter(|s| !s.0.is_empty())
            .map(|s| s.cut(MAX_LABEL_BYTES));
        Some(Alert {
            labels,
            annotations,
            starts_at,
            ends_at,
            state,
            generator_url,
            detail,
        })
    }
}

/// A whole value of the input: an array of objects, or one object.
struct Top<'a>(Vec<Obj<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Top<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Top<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array or an object")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut s: S) -> Result<Self::Value, S::Error> {
                let mut v = Vec::with_capacity(s.size_hint().unwrap_or(0));
                while let Some(o) = s.next_element::<Obj<'a>>()? {
                    v.push(o);
                }
                Ok(Top(v))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Self::Value, M::Error> {
                Obj::deserialize(de::value::MapAccessDeserializer::new(m)).map(|o| Top(vec![o]))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A webhook notification as the receiver takes it: version "4" (or none), `alerts`.
#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(borrow, default)]
    version: Option<Str<'a>>,
    #[serde(borrow)]
    alerts: Vec<Alertish<'a>>,
}

/// The alerts of a webhook notification, when it is one the receiver accepts and every
/// alert in it is well-formed.
pub(super) fn webhook(body: &[u8]) -> Option<Vec<Alert>> {
    let n: Notification = serde_json::from_slice(body).ok()?;
    if n.version.is_some_and(|v| v.0 != "4") {
        return None;
    }
    n.alerts.into_iter().map(Alertish::alert).collect()
}

/// The alerts of `text` (trimmed, not empty): one JSON document, or JSON Lines (one value
/// a line). `None` when anything in it is not a well-formed alert in a known shape.
pub(super) fn parse(text: &str) -> Option<Vec<Alert>> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Top>();
    let mut values = 0usize;
    let mut multiline = false;
    loop {
        let start = stream.byte_offset();
        let Some(top) = stream.next() else { break };
        let top = top.ok()?;
        values += 1;
        // More than one value: JSON Lines, where each value ends its line.
        let end = stream.byte_offset();
        let rest = text[end..].trim_start_matches([' ', '\t', '\r']);
        if !(rest.is_empty() || rest.starts_with('\n')) {
            return None;
        }
        multiline |= text[start..end].trim_start().contains('\n');
        if values > 1 && multiline {
            // Slow path: JSON Lines hold one value a line.
            return None;
        }
        for obj in top.0 {
            match obj.alerts {
                Present::Here(alerts) => {
                    out.reserve(alerts.len());
                    for a in alerts {
                        out.push(a.alert()?);
                    }
                }
                Present::Absent => out.push(Alertish::from(obj).alert()?),
            }
        }
    }
    Some(out)
}
