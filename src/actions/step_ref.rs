//! A reference to one step of one runbook: `runbook-id/step-id`, as journal records, drills,
//! scenarios and the panes write it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `runbook-id/step-id`. Serialized as that one string, so records written before this type
/// existed read back unchanged; a string without a `/` (written by hand, or by another tool)
/// is kept as it is and names no step ([`StepRef::parts`] is `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StepRef(String);

impl StepRef {
    /// The step `step` of the runbook `runbook`.
    pub fn new(runbook: &str, step: &str) -> StepRef {
        StepRef(format!("{runbook}/{step}"))
    }

    /// `text` (trimmed) if it is `runbook-id/step-id` with both parts non-empty.
    pub fn parse(text: &str) -> Option<StepRef> {
        let text = text.trim();
        match text.split_once('/') {
            Some((rb, id)) if !rb.is_empty() && !id.is_empty() => Some(StepRef(text.to_string())),
            _ => None,
        }
    }

    /// The runbook id and the step id; `None` for a reference without a `/`.
    pub fn parts(&self) -> Option<(&str, &str)> {
        self.0.split_once('/')
    }

    /// The runbook id (the whole text for a reference without a `/`).
    pub fn runbook(&self) -> &str {
        self.parts().map_or(self.0.as_str(), |(rb, _)| rb)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for StepRef {
    /// A reference as written somewhere (a record, a scenario), kept as it is.
    fn from(text: String) -> StepRef {
        StepRef(text)
    }
}

impl From<&str> for StepRef {
    fn from(text: &str) -> StepRef {
        StepRef(text.to_string())
    }
}

impl std::ops::Deref for StepRef {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for StepRef {
    /// Maps keyed by reference are looked up by `&str` (same `Hash` and `Eq` as the text).
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for StepRef {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for StepRef {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for StepRef {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for StepRef {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn built_references_split_back_and_serialize_as_one_string(
            rb in "[a-z0-9-]{1,20}",
            id in "[a-z0-9/-]{1,20}",
        ) {
            let r = StepRef::new(&rb, &id);
            prop_assert_eq!(r.parts(), Some((rb.as_str(), id.as_str())));
            prop_assert_eq!(r.runbook(), rb.as_str());
            prop_assert_eq!(StepRef::parse(&format!(" {r} ")), Some(r.clone()));
            let json = serde_json::to_string(&r).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&format!("{rb}/{id}")).unwrap());
            prop_assert_eq!(serde_json::from_str::<StepRef>(&json).unwrap(), r);
        }
    }

    #[test]
    fn a_reference_without_a_slash_names_no_step_but_is_kept() {
        let r: StepRef = serde_json::from_str("\"loose\"").unwrap();
        assert_eq!(r.parts(), None);
        assert_eq!(r.runbook(), "loose");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"loose\"");
        assert_eq!(StepRef::parse("loose"), None);
        assert_eq!(StepRef::parse("rb/"), None);
        assert_eq!(StepRef::parse("/s"), None);
    }
}
