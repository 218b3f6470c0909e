//! A JSON request body parsed by serde with the path of any failing field, so that a problem
//! names `schedule[2].start` rather than just the type that failed.

use poem::http::StatusCode;
use poem::{Request, RequestBody, Result};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;

use crate::error::BodyError;

pub mod check;

/// The largest body we read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body of type `T`; the schema in the spec comes from `T`'s poem-openapi derive and the
/// parsing from its serde derive, with unknown fields rejected.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(m) if m.type_() == "application"
            && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Send> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> Result<Self> {
        read_json(body, false).await.map(Self)
    }
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`], walks it ([`check::check`]: duplicate
/// keys, control characters, and `null` unless `allow_null`) and parses it as `T`, naming the
/// field at fault.
async fn read_json<T: DeserializeOwned>(body: &mut RequestBody, allow_null: bool) -> Result<T> {
    let bytes = body.take()?.into_bytes_limit(MAX_BODY_BYTES).await.map_err(|e| {
        let too_large = matches!(e, poem::error::ReadBodyError::PayloadTooLarge);
        BodyError {
            field: "body".into(),
            message: if too_large { "the body may be at most 1 MiB".into() } else { e.to_string() },
            status: if too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST },
        }
    })?;
    if bytes.is_empty() {
        return Err(BodyError { field: "body".into(), message: "a JSON body is required".into(), status: StatusCode::BAD_REQUEST }.into());
    }
    check::check(&bytes, allow_null).map_err(|f| BodyError { field: f.field, message: f.message, status: StatusCode::BAD_REQUEST })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| {
        let (field, message) = locate(&err.path().to_string(), err.into_inner().to_string());
        BodyError { field, message, status: StatusCode::BAD_REQUEST }.into()
    })
}

impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned + Send);

/// A JSON Merge Patch (RFC 7396) body; the schema shown is `P`, an all-optional view of the
/// resource. Handlers merge it into the current state and parse the result as a whole, so a
/// patch passes exactly the checks a create does.
#[derive(Debug)]
pub struct MergePatch<P>(pub serde_json::Map<String, serde_json::Value>, std::marker::PhantomData<P>);

impl<P: Type> Payload for MergePatch<P> {
    const CONTENT_TYPE: &'static str = "application/merge-patch+json";

    fn check_content_type(content_type: &str) -> bool {
        JsonBody::<P>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        P::schema_ref()
    }

    fn register(registry: &mut Registry) {
        P::register(registry);
    }
}

impl<P: Type + Send> ParsePayload for MergePatch<P> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> Result<Self> {
        // `null` is how a merge patch removes a field.
        match read_json::<serde_json::Value>(body, true).await? {
            serde_json::Value::Object(map) => Ok(Self(map, std::marker::PhantomData)),
            _ => Err(BodyError { field: "body".into(), message: "a merge patch is a JSON object".into(), status: StatusCode::BAD_REQUEST }
                .into()),
        }
    }
}

impl_apirequest_for_payload!(MergePatch<P>, P: Type + Send);

impl<P> MergePatch<P> {
    /// Applies the patch to `current` (RFC 7396) and parses the result as `T`, naming any
    /// field that fails.
    pub fn apply<T: serde::Serialize + DeserializeOwned>(self, current: &T) -> std::result::Result<T, crate::error::ApiError> {
        let mut doc = serde_json::to_value(current).map_err(|e| crate::error::ApiError::internal(&e))?;
        merge(&mut doc, serde_json::Value::Object(self.0));
        serde_path_to_error::deserialize::<_, T>(doc).map_err(|err| {
            let (field, message) = locate(&err.path().to_string(), err.into_inner().to_string());
            crate::error::ApiError::invalid(field, message)
        })
    }
}

/// The field a serde error is about: its path, with a missing field's name appended (serde
/// reports those at the parent), and `body` for the document as a whole or broken syntax.
fn locate(path: &str, message: String) -> (String, String) {
    let parent = if matches!(path, "." | "?" | "") { None } else { Some(path) };
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        let field = match parent {
            Some(p) => format!("{p}.{name}"),
            None => name.to_owned(),
        };
        return (field, "is required".to_owned());
    }
    (parent.unwrap_or("body").to_owned(), message)
}

fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    match patch {
        serde_json::Value::Object(map) => {
            if !target.is_object() {
                *target = serde_json::Value::Object(Default::default());
            }
            let obj = target.as_object_mut().expect("object");
            for (k, v) in map {
                if v.is_null() {
                    obj.remove(&k);
                } else {
                    merge(obj.entry(k).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        other => *target = other,
    }
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]});
        merge(&mut doc, json!({"a": "z", "c": {"f": null}, "list": [3], "new": {"x": 1}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "list": [3], "new": {"x": 1}}));
    }
}
