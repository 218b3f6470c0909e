//! What the app checks at its edge before routing, and adds after: the size of the request
//! head (414, 431), the time its body may take (408), and the `Allow` header of a 405. Every
//! refusal is a problem+json like any other error.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::error::Problem;

/// The longest request target (path and query) we read: far above any list query a frontend
/// builds (the longest, a search with every filter, is under 1 KiB) and below the 64 KiB at
/// which hyper would refuse it without a problem document.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header bytes (names and values) a request may carry: room for a large token and
/// cookies a proxy adds, as nginx's default of four 8 KiB buffers.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// The most header fields a request may carry; browsers send twenty or so.
pub const MAX_HEADERS: usize = 100;

/// Refuses a request whose target or headers are too large, before anything reads them: 414
/// for the target, 431 for the headers (naming the largest), both as problem+json. The server
/// lets heads up to [`crate::server::HARD_HEAD_BYTES`] through to here so that these answers
/// are ours and not hyper's bare ones.
pub async fn head_limits<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        let message = format!("the path and query may be at most {MAX_URI_BYTES} bytes; this one has {target}");
        return Ok(Problem::new(StatusCode::URI_TOO_LONG, "uri_too_long", "URI too long", message.clone())
            .with_field("uri", message)
            .into_poem_response());
    }
    let headers = req.headers();
    let bytes: usize = headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        let largest = headers.iter().max_by_key(|(n, v)| n.as_str().len() + v.len()).map(|(n, _)| n.as_str()).unwrap_or("headers");
        let message = format!(
            "the headers may be at most {MAX_HEADERS} fields and {MAX_HEADER_BYTES} bytes; these are {} fields and {bytes} bytes",
            headers.len()
        );
        return Ok(Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_fields_too_large",
            "Request header fields too large",
            message.clone(),
        )
        .with_field(largest, message)
        .into_poem_response());
    }
    Ok(next.call(req).await?.into_response())
}

/// When a request's body must have arrived in full. The server puts it on every request it
/// reads (apps under poem's `TestClient` have none, and no body deadline).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Instant);

/// Ends the reading of a body that does not arrive by its [`BodyDeadline`]: the handler's read
/// fails at the deadline instead of waiting for ever, and whatever it answered becomes a 408
/// problem that closes the connection (the rest of the body may still be on its way).
pub async fn body_deadline<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(BodyDeadline(at)) = req.extensions().get::<BodyDeadline>().copied() else {
        return Ok(next.call(req).await?.into_response());
    };
    let body = req.take_body();
    if body.is_empty() {
        req.set_body(body);
        return Ok(next.call(req).await?.into_response());
    }
    let late = Arc::new(AtomicBool::new(false));
    req.set_body(Body::from_async_read(Deadlined {
        inner: body.into_async_read(),
        deadline: Box::pin(tokio::time::sleep_until(at)),
        late: late.clone(),
    }));
    let answer = next.call(req).await.map(IntoResponse::into_response);
    if !late.load(Ordering::Relaxed) {
        return answer;
    }
    let mut resp = Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "Request timeout",
        "the request body did not arrive in time; send it again",
    )
    .with_field("body", "stopped arriving before its announced length")
    .into_poem_response();
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    Ok(resp)
}

/// A body reader that fails once its deadline has passed.
struct Deadlined<R> {
    inner: R,
    deadline: Pin<Box<Sleep>>,
    late: Arc<AtomicBool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Deadlined<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.late.store(true, Ordering::Relaxed);
            return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time")));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

/// The routes of the API as its spec describes them: the methods of each path, for `Allow`,
/// and the names of its query parameters, which the access log may write (values never).
#[derive(Debug, Default)]
pub struct RouteTable {
    /// Path templates split at `/`; `None` for a `{parameter}` segment.
    paths: Vec<(Vec<Option<String>>, BTreeSet<MethodOrder>)>,
    query_names: BTreeSet<String>,
}

/// Methods in the order `Allow` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum MethodOrder {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl MethodOrder {
    fn parse(m: &str) -> Option<Self> {
        Some(match m {
            "get" => Self::Get,
            "head" => Self::Head,
            "post" => Self::Post,
            "put" => Self::Put,
            "patch" => Self::Patch,
            "delete" => Self::Delete,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

impl RouteTable {
    /// Reads the table from the OpenAPI document the routes are built from, so it cannot
    /// drift from them.
    pub fn from_spec(spec_json: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut table = Self::default();
        let empty = serde_json::Map::new();
        for (path, ops) in spec["paths"].as_object().unwrap_or(&empty) {
            let segments =
                path.split('/').map(|s| if s.starts_with('{') && s.ends_with('}') { None } else { Some(s.to_owned()) }).collect();
            let mut methods = BTreeSet::new();
            for (method, op) in ops.as_object().unwrap_or(&empty) {
                let Some(m) = MethodOrder::parse(method) else { continue };
                methods.insert(m);
                // poem answers HEAD wherever GET is routed.
                if m == MethodOrder::Get {
                    methods.insert(MethodOrder::Head);
                }
                for p in op["parameters"].as_array().into_iter().flatten() {
                    if p["in"] == "query"
                        && let Some(name) = p["name"].as_str()
                    {
                        table.query_names.insert(name.to_owned());
                    }
                }
            }
            table.paths.push((segments, methods));
        }
        table
    }

    /// The `Allow` value of a path, when it is one of the API's.
    pub fn allow(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let (_, methods) = self.paths.iter().find(|(template, _)| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| match t {
                    Some(t) => t == s,
                    None => !s.is_empty(),
                })
        })?;
        Some(methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "))
    }

    /// The names of a query string's parameters, each once, in order; a name the API does not
    /// know is written as `other`, since a client may put anything there (a search word, say).
    pub fn query_names(&self, query: Option<&str>) -> String {
        let mut seen = BTreeMap::new();
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n);
            let name = if self.query_names.contains(name) { name } else { "other" };
            let next = seen.len();
            seen.entry(name).or_insert(next);
        }
        let mut names: Vec<(&str, usize)> = seen.into_iter().collect();
        names.sort_by_key(|(_, order)| *order);
        names.into_iter().map(|(n, _)| n).collect::<Vec<_>>().join(",")
    }
}

/// Adds `Allow` to a 405, listing what the path does accept (RFC 9110 asks for it). Runs
/// outside every nesting, where `uri()` is still the whole path.
pub async fn allow_header<E: Endpoint>(next: E, req: Request, routes: Arc<RouteTable>) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut resp = next.call(req).await?.into_response();
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(v) = routes.allow(&path).and_then(|a| HeaderValue::from_str(&a).ok())
    {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::from_spec(
            r#"{"paths": {
                "/v1/listings": {"get": {"parameters": [{"in": "query", "name": "lat"}, {"in": "query", "name": "q"}]},
                                  "post": {"parameters": [{"in": "header", "name": "Idempotency-Key"}]}},
                "/v1/listings/{id}": {"get": {}, "patch": {}, "delete": {"parameters": [{"in": "path", "name": "id"}]}}
            }}"#,
        )
    }

    #[test]
    fn allow_lists_the_methods_of_the_matching_template() {
        let t = table();
        assert_eq!(t.allow("/v1/listings").as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(t.allow("/v1/listings/0190a7c4-0000-7000-8000-000000000000").as_deref(), Some("GET, HEAD, PATCH, DELETE"));
        assert_eq!(t.allow("/v1/listings/"), None);
        assert_eq!(t.allow("/v1/nope"), None);
    }

    #[test]
    fn query_names_keep_known_names_only() {
        let t = table();
        assert_eq!(t.query_names(Some("lat=52.4376&q=geheim&lat=1&Idempotency-Key=x&52.4=&=v")), "lat,q,other");
        assert_eq!(t.query_names(None), "");
        assert_eq!(t.query_names(Some("&&")), "");
    }
}
