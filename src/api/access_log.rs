//! One log line per request: method, path, the NAMES of the query parameters, status,
//! duration and a request id. Query values never reach the log: they hold residents'
//! coordinates and search words.

use std::sync::Arc;
use std::time::Instant;

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

use super::edges::RouteTable;

/// The header that carries the request id in and out.
pub const REQUEST_ID: &str = "x-request-id";
/// How much of a path the log keeps; paths are ids and fixed words, and a longer one is junk.
const MAX_LOGGED_PATH: usize = 200;

/// The id of the request being answered, for handlers that want to name it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A caller's id is kept when it is plain: up to 128 letters, digits and `-_.:`; otherwise (or
/// without one) the request gets a fresh UUID, so that a log line cannot be forged through it.
fn request_id(req: &Request) -> String {
    match req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(id) if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) => {
            id.to_owned()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// Logs the request once answered and echoes its id in `X-Request-Id`; everything logged while
/// answering it carries the id too (the `request` span).
pub async fn access_log<E: Endpoint>(next: E, mut req: Request, routes: Arc<RouteTable>) -> poem::Result<Response> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let uri = req.uri();
    let mut path = uri.path().to_owned();
    if path.len() > MAX_LOGGED_PATH {
        let mut cut = MAX_LOGGED_PATH;
        while !path.is_char_boundary(cut) {
            cut -= 1;
        }
        path.truncate(cut);
        path.push('…');
    }
    let query = routes.query_names(uri.query());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.get_response(req).instrument(tracing::info_span!("request", request_id = %id)).await.into_response();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        query = %query,
        status = resp.status().as_u16(),
        duration_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
        "request"
    );
    Ok(resp)
}
