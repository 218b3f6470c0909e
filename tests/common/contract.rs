//! The contract check: every answer the API tests receive is held against the committed
//! `openapi/openapi.json`, so no answer can drift from the spec that clients generate code from.
//!
//! The test app's endpoint is wrapped ([`checked`]): each response is matched to its operation
//! (method and path template), its status and media type must be listed there, and its body must
//! validate against the schema listed for them. Answers the HTTP layer gives before any
//! operation is chosen (an unknown route, a method the route does not take, a URI or headers
//! too large) must be problem+json documents valid against the `Problem` schema.
//!
//! OpenAPI 3.0 schemas are not quite JSON Schema: `nullable` and the boolean
//! `exclusiveMinimum`/`exclusiveMaximum` are translated ([`to_json_schema`]) once per test
//! binary, and each validator is compiled once, when first needed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use serde_json::{Map, Value, json};

/// The committed spec and its component schemas translated to JSON Schema 2020-12.
struct Contract {
    spec: Value,
    defs: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        let text = std::fs::read_to_string(path).expect("openapi/openapi.json exists");
        let spec: Value = serde_json::from_str(&text).expect("openapi/openapi.json is JSON");
        let schemas = spec["components"]["schemas"].as_object().expect("components.schemas");
        let defs = Value::Object(schemas.iter().map(|(k, v)| (k.clone(), to_json_schema(v))).collect());
        Contract { spec, defs, validators: Mutex::new(HashMap::new()) }
    })
}

/// Translates an OpenAPI 3.0 schema object into JSON Schema 2020-12: `nullable: true` becomes
/// "or null", boolean exclusive bounds become numeric ones, component references point into
/// `$defs`, and keywords JSON Schema does not know (`example`, `discriminator`, `xml`) go.
/// Only schema positions are rewritten, so a property that happens to be called `nullable`
/// or `type` is left alone.
pub fn to_json_schema(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else { return schema.clone() };
    let mut out = Map::new();
    for (k, v) in obj {
        let v = match k.as_str() {
            "properties" | "patternProperties" => {
                Value::Object(v.as_object().map(|m| m.iter().map(|(n, s)| (n.clone(), to_json_schema(s))).collect()).unwrap_or_default())
            }
            "items" | "additionalProperties" | "not" => to_json_schema(v),
            "allOf" | "anyOf" | "oneOf" => Value::Array(v.as_array().map(|a| a.iter().map(to_json_schema).collect()).unwrap_or_default()),
            "$ref" => Value::String(v.as_str().unwrap_or_default().replace("#/components/schemas/", "#/$defs/")),
            "nullable" | "example" | "discriminator" | "xml" | "externalDocs" | "exclusiveMinimum" | "exclusiveMaximum" => continue,
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if obj.get(flag) == Some(&Value::Bool(true))
            && let Some(b) = out.remove(bound)
        {
            out.insert(flag.to_owned(), b);
        }
    }
    if obj.get("nullable") == Some(&Value::Bool(true)) {
        return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
    }
    Value::Object(out)
}

/// A validator for the schema at `pointer` in the spec, compiled once.
fn validator(pointer: &str) -> Arc<jsonschema::Validator> {
    let c = contract();
    if let Some(v) = c.validators.lock().unwrap().get(pointer) {
        return v.clone();
    }
    let schema = c.spec.pointer(pointer).unwrap_or_else(|| panic!("no schema at {pointer}"));
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": c.defs,
        "allOf": [to_json_schema(schema)],
    });
    let v = Arc::new(
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema at {pointer} does not compile: {e}")),
    );
    c.validators.lock().unwrap().insert(pointer.to_owned(), v.clone());
    v
}

/// `~` and `/` escaped for a JSON pointer segment.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The media type without parameters, lower case.
fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The spec's path template for a request path, if any: `{...}` matches one segment, and of
/// several matches the one with a literal segment earliest wins (`/v1/areas/locate` over
/// `/v1/areas/{code}`).
fn template_of(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = contract().spec["paths"].as_object().expect("paths");
    paths
        .keys()
        .filter(|t| {
            let ts: Vec<&str> = t.trim_end_matches('/').split('/').collect();
            ts.len() == segments.len() && ts.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
        })
        .max_by_key(|t| t.split('/').map(|s| !s.starts_with('{')).collect::<Vec<bool>>())
        .map(String::as_str)
}

/// Statuses the HTTP layer answers before an operation is chosen; they cannot be listed per
/// operation, and must be problem+json like every other error.
const TRANSPORT_STATUSES: &[u16] = &[405, 414, 431];

/// Checks one answer against the spec; `Err` says what drifted.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &[u8]) -> Result<(), String> {
    let ct = essence(content_type);
    // HEAD is GET without a body: its status and media type must be ones GET lists.
    let head = method == "HEAD";
    let problem = || -> Result<(), String> {
        if ct != "application/problem+json" {
            return Err(format!("error {status} as {content_type:?}, not application/problem+json"));
        }
        if head { Ok(()) } else { validate("/components/schemas/Problem", body) }
    };
    // Served beside the API and not part of it.
    if path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/") {
        return Ok(());
    }
    // CORS preflights are answered by the CORS layer for every route.
    if method == "OPTIONS" {
        return if status >= 400 { problem() } else { Ok(()) };
    }
    let (method, body) = if head { ("GET", None) } else { (method, Some(body)) };
    let op = template_of(path).and_then(|t| contract().spec["paths"][t].get(method.to_ascii_lowercase()).map(|op| (t, op)));
    let Some((template, op)) = op else {
        if status == 404 || TRANSPORT_STATUSES.contains(&status) {
            return problem();
        }
        return Err(format!("{status} for a route the spec does not have"));
    };
    if TRANSPORT_STATUSES.contains(&status) {
        return problem();
    }
    let Some(response) = op["responses"].get(status.to_string()) else {
        let listed: Vec<&String> = op["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
        return Err(format!("status {status} is not documented for {method} {template} (documented: {listed:?})"));
    };
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return if body.is_none_or(<[u8]>::is_empty) {
            Ok(())
        } else {
            Err(format!("{status} documented without a body, but one came: {content_type:?}"))
        };
    };
    let Some(listed) = content.keys().find(|k| essence(k) == ct) else {
        return Err(format!("{status} as {content_type:?}, documented: {:?}", content.keys().collect::<Vec<_>>()));
    };
    let Some(body) = body.filter(|_| ct.ends_with("json")) else {
        return Ok(());
    };
    let pointer =
        format!("/paths/{}/{}/responses/{status}/content/{}/schema", escape(template), method.to_ascii_lowercase(), escape(listed));
    validate(&pointer, body).map_err(|e| format!("{method} {template} {status} {ct}: {e}"))
}

fn validate(pointer: &str, body: &[u8]) -> Result<(), String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(body)))?;
    let v = validator(pointer);
    let errors: Vec<String> = v.iter_errors(&value).map(|e| format!("at `{}`: {e}", e.instance_path())).collect();
    if errors.is_empty() {
        return Ok(());
    }
    let mut text = value.to_string();
    if text.len() > 2000 {
        text.truncate(2000);
        text.push_str("...");
    }
    Err(format!("the body breaks its schema:\n  {}\nbody: {text}", errors.join("\n  ")))
}

/// The app's endpoint with every answer checked against the spec; a drift panics in the test
/// that met it, naming the operation, the status and the schema error.
pub fn checked(ep: BoxEndpoint<'static>) -> BoxEndpoint<'static> {
    ep.around(|ep, req: Request| async move {
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let resp: Response = match ep.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let (parts, body) = resp.into_parts();
        let bytes = body.into_bytes().await.expect("response body");
        let ct = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if let Err(drift) = check(&method, &path, parts.status.as_u16(), ct, &bytes) {
            panic!("answer breaks openapi/openapi.json: {method} {path}: {drift}");
        }
        Ok(Response::from_parts(parts, poem::Body::from(bytes)))
    })
    .boxed()
}
