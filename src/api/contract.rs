//! What poem-openapi cannot say by itself, added to the generated spec so that it states the
//! whole contract:
//!
//! - `additionalProperties: false` on every schema a request body is made of: bodies are read
//!   by serde with `deny_unknown_fields` (and merge patches are checked as the whole resource
//!   after merging), so an unknown field is refused with a 400. poem-openapi's schema model has
//!   no way to write `false` there.
//! - 413 and 415 on every operation that reads a body: the body reader answers them before the
//!   handler runs, so no handler's response type lists them.
//! - 400 on every operation: the check of path and query (`api::input`) sits in front of every
//!   route;
//! - 401 and 429 on every operation: the credential check and the rate limits sit in front of
//!   every route, the few routes that never fail otherwise included.
//!
//! The spec's own order (paths, operations, properties as declared) is kept, so the served and
//! committed document reads as poem-openapi wrote it.

use std::collections::BTreeSet;

use poem::endpoint::make_sync;
use poem::web::Html;
use poem::{Endpoint, Response};
use poem_openapi::OpenApiService;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their key order (serde_json's `Value` sorts them).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match self {
            Node::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn entries_mut(&mut self) -> &mut [(String, Node)] {
        match self {
            Node::Object(entries) => entries,
            _ => &mut [],
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    fn string(s: &str) -> Node {
        Node::String(s.to_owned())
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_unit(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Number(n) => n.serialize(s),
            Node::String(v) => s.serialize_str(v),
            Node::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Node::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
                serde_json::Number::from_f64(v).map(Node::Number).ok_or_else(|| E::custom("not a JSON number"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::String(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(i) = seq.next_element()? {
                    items.push(i);
                }
                Ok(Node::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    entries.push((k, v));
                }
                Ok(Node::Object(entries))
            }
        }
        d.deserialize_any(NodeVisitor)
    }
}

/// A response whose body is a problem document.
fn problem_response(description: &str) -> Node {
    Node::Object(vec![
        ("description".into(), Node::string(description)),
        (
            "content".into(),
            Node::Object(vec![(
                crate::error::PROBLEM_JSON.into(),
                Node::Object(vec![("schema".into(), Node::Object(vec![("$ref".into(), Node::string("#/components/schemas/Problem"))]))]),
            )]),
        ),
    ])
}

/// Adds `status` to `responses` unless listed, keeping the statuses in ascending order.
fn add_response(responses: &mut Node, status: u16, description: &str) {
    let Node::Object(entries) = responses else { return };
    let key = status.to_string();
    if entries.iter().any(|(k, _)| *k == key) {
        return;
    }
    let at = entries.iter().position(|(k, _)| k.parse::<u16>().is_ok_and(|s| s > status)).unwrap_or(entries.len());
    entries.insert(at, (key, problem_response(description)));
}

/// Names of the component schemas `node` refers to, directly.
fn refs(node: &Node, out: &mut Vec<String>) {
    match node {
        Node::Object(entries) => {
            for (k, v) in entries {
                match (k.as_str(), v.str()) {
                    ("$ref", Some(r)) => out.extend(r.strip_prefix("#/components/schemas/").map(str::to_owned)),
                    _ => refs(v, out),
                }
            }
        }
        Node::Array(items) => items.iter().for_each(|i| refs(i, out)),
        _ => {}
    }
}

/// `/openapi.json`: the finished spec, the same text as `openapi/openapi.json`.
pub fn spec_endpoint(api: &OpenApiService<super::Apis, ()>) -> impl Endpoint + 'static {
    let spec = finish(&api.spec());
    make_sync(move |_| Response::builder().content_type("application/json").body(spec.clone()))
}

/// `/docs`: Swagger UI over the finished spec (poem-openapi's page embeds the unfinished one).
pub fn docs_endpoint(api: &OpenApiService<super::Apis, ()>) -> impl Endpoint + 'static {
    let raw = api.spec();
    let html = api.swagger_ui_html().replacen(&raw, &finish(&raw), 1);
    make_sync(move |_| Html(html.clone()))
}

/// Adds what poem-openapi cannot say to the spec it generated (see the module docs).
pub fn finish(spec: &str) -> String {
    let mut doc: Node = serde_json::from_str(spec).expect("poem-openapi writes JSON");
    let mut body_schemas = Vec::new();
    if let Some(paths) = doc.get_mut("paths") {
        for (_, ops) in paths.entries_mut() {
            for (_, op) in ops.entries_mut() {
                let body = op.get("requestBody").cloned();
                let Some(responses) = op.get_mut("responses") else { continue };
                add_response(
                    responses,
                    400,
                    "A query parameter or path segment holds a control character, or a cursor belongs to another list (`invalid_parameter`), on every route.",
                );
                add_response(responses, 401, "Invalid, expired or revoked credentials (`unauthorized`), on every route.");
                add_response(responses, 429, "Too many requests from this client or credential (`rate_limited`); see `Retry-After`.");
                if let Some(body) = body {
                    add_response(responses, 413, "The body is larger than 1 MiB (`payload_too_large`).");
                    add_response(
                        responses,
                        415,
                        "The body is not JSON: send the content type this operation lists (`unsupported_media_type`).",
                    );
                    refs(&body, &mut body_schemas);
                }
            }
        }
    }
    // Every schema a body is built from, through properties, items and compositions.
    let schemas = doc.get("components").and_then(|c| c.get("schemas")).cloned().unwrap_or(Node::Null);
    let mut closed = BTreeSet::new();
    while let Some(name) = body_schemas.pop() {
        if closed.insert(name.clone())
            && let Some(s) = schemas.get(&name)
        {
            refs(s, &mut body_schemas);
        }
    }
    if let Some(Node::Object(entries)) = doc.get_mut("components").and_then(|c| c.get_mut("schemas")) {
        for (name, schema) in entries.iter_mut() {
            if closed.contains(name)
                && schema.get("type").and_then(Node::str) == Some("object")
                && schema.get("additionalProperties").is_none()
                && let Node::Object(fields) = schema
            {
                fields.push(("additionalProperties".into(), Node::Bool(false)));
            }
        }
    }
    serde_json::to_string_pretty(&doc).expect("a JSON tree serializes")
}

#[cfg(test)]
mod tests {
    use super::finish;

    #[test]
    fn finishing_keeps_the_order_and_closes_body_schemas_only() {
        let spec = r##"{"paths":{"/a":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/In"}}}},
            "responses":{"201":{"description":""},"500":{"description":""}}},
            "get":{"responses":{"200":{"description":""}}}}},
            "components":{"schemas":{"Out":{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"string"}}},
            "In":{"type":"object","properties":{"p":{"$ref":"#/components/schemas/Inner"}}},
            "Inner":{"type":"object","properties":{"b":{"type":"number"}}}}}}"##;
        let out: serde_json::Value = serde_json::from_str(&finish(spec)).unwrap();
        let post = &out["paths"]["/a"]["post"]["responses"];
        let statuses: Vec<&String> = post.as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["201", "400", "401", "413", "415", "429", "500"]);
        let get = &out["paths"]["/a"]["get"]["responses"];
        assert!(get.get("401").is_some() && get.get("429").is_some() && get.get("415").is_none());
        let schemas = &out["components"]["schemas"];
        assert_eq!(schemas["In"]["additionalProperties"], false);
        assert_eq!(schemas["Inner"]["additionalProperties"], false);
        assert!(schemas["Out"].get("additionalProperties").is_none());
        // Declared order survives (serde_json's Value would sort `a` before `z`).
        let text = finish(spec);
        assert!(text.find("\"z\"").unwrap() < text.find("\"a\"").unwrap());
    }
}
