//! One walk over a JSON body before it is parsed into its type: what serde's derive cannot see
//! or does not refuse. Duplicate keys (serde_json keeps the last, so `{"role":"organiser",
//! "role":"admin"}` would mean whatever the last one says), control characters in any string or
//! key (the rule of [`crate::domain::text::refuse_controls`]), and `null`, which the spec never
//! allows outside a merge patch: an optional field is left out, not sent as `null`.
//!
//! The walk reads the document without building it, and stops at the first fault with its
//! path (`schedule[2].start`), written as serde_path_to_error writes paths.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::domain::text::refuse_controls;

/// Body fields that hold free text, which may span lines: tab, CR and LF are allowed in them
/// (README, "Control characters"). Named by their last key, wherever they sit.
const FREE_TEXT: &[&str] = &["description", "schedule_note", "accessibility", "note", "comment", "purpose"];

/// A fault found in a body: the path of the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The JSON path, or `body` for the document as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Walks `bytes` as JSON. `null` is allowed only when `allow_null` (a merge patch, where it
/// removes a field). Broken JSON is not reported here: the typed parse that follows says
/// where it breaks.
pub fn check(bytes: &[u8], allow_null: bool) -> Result<(), Fault> {
    let mut walk = Walk { path: Vec::new(), allow_null, fault: None };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // A syntax error ends the walk without a fault; the typed parse reports it.
    let _syntax = Node { walk: &mut walk, free_text: false }.deserialize(&mut de).and_then(|()| de.end());
    walk.fault.map_or(Ok(()), Err)
}

enum Seg {
    Key(String),
    Index(usize),
}

struct Walk {
    path: Vec<Seg>,
    allow_null: bool,
    fault: Option<Fault>,
}

impl Walk {
    fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        if out.is_empty() { "body".to_owned() } else { out }
    }

    /// Records the fault at the current path and stops the walk.
    fn fail<E: de::Error>(&mut self, message: impl Into<String>) -> E {
        self.fault = Some(Fault { field: self.path(), message: message.into() });
        E::custom("stopped at the first fault")
    }
}

/// One value of the document, at the walk's current path.
struct Node<'a> {
    walk: &'a mut Walk,
    /// Whether a string here is free text.
    free_text: bool,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        refuse_controls(v, self.free_text).map_err(|e| self.walk.fail(e.0))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.walk.allow_null { Ok(()) } else { Err(self.walk.fail("must not be null: leave an optional field out instead")) }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.walk.path.push(Seg::Index(i));
            let more = seq.next_element_seed(Node { walk: self.walk, free_text: self.free_text })?;
            self.walk.path.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            self.walk.path.push(Seg::Key(key.clone()));
            // A key is a name, never free text.
            if let Err(e) = refuse_controls(&key, false) {
                return Err(self.walk.fail(format!("this key {}", e.0)));
            }
            if !seen.insert(key.clone()) {
                return Err(self.walk.fail("appears more than once in its object; send each key once"));
            }
            map.next_value_seed(Node { walk: self.walk, free_text: FREE_TEXT.contains(&key.as_str()) })?;
            self.walk.path.pop();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(doc: &str) -> Option<(String, String)> {
        check(doc.as_bytes(), false).err().map(|f| (f.field, f.message))
    }

    #[test]
    fn duplicate_keys_are_named_at_any_depth() {
        assert_eq!(fault(r#"{"a": 1, "a": 2}"#).unwrap().0, "a");
        assert_eq!(fault(r#"{"a": {"b": [{"c": 1}, {"c": 1, "d": 2, "c": 3}]}}"#).unwrap().0, "a.b[1].c");
        // The same key in sibling objects is no duplicate.
        assert_eq!(fault(r#"{"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]}"#), None);
        // Keys equal only after unescaping are the same key.
        assert_eq!(fault(r#"{"role": 1, "rol\u0065": 2}"#).unwrap().0, "role");
    }

    #[test]
    fn control_characters_follow_the_one_rule() {
        assert_eq!(fault(r#"{"title": "a\u0000b"}"#).unwrap().0, "title");
        assert_eq!(fault(r#"{"title": "a\nb"}"#).unwrap().0, "title");
        assert_eq!(fault(r#"{"description": "a\nb\tc\r\n"}"#), None);
        assert_eq!(fault(r#"{"description": "a\u0000b"}"#).unwrap().0, "description");
        assert_eq!(fault(r#"{"cost": {"note": "a\u007f"}}"#).unwrap().0, "cost.note");
        assert_eq!(fault(r#"{"contact": {"email": "a\u0085@x.nl"}}"#).unwrap().0, "contact.email");
        assert_eq!(fault(r#"{"languages": ["nl", "e\u001bn"]}"#).unwrap().0, "languages[1]");
        assert_eq!(fault(r#"{"ke\ty": 1}"#).unwrap().0, "ke\ty");
        assert_eq!(fault("\"a\\u0000\"").unwrap().0, "body");
    }

    #[test]
    fn null_only_in_a_merge_patch() {
        assert_eq!(fault(r#"{"expires_at": null}"#).unwrap().0, "expires_at");
        assert_eq!(fault(r#"{"a": [1, null]}"#).unwrap().0, "a[1]");
        assert_eq!(fault("null").unwrap().0, "body");
        assert_eq!(check(br#"{"address": {"city": null}}"#, true), Ok(()));
    }

    #[test]
    fn broken_json_is_left_to_the_typed_parse() {
        for doc in ["{not json", "{\"a\": 1,", "", "[1, 2"] {
            assert_eq!(check(doc.as_bytes(), false), Ok(()), "{doc}");
        }
    }
}
