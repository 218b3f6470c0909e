//! What wraps every request: CORS for browser frontends, rate limits, and idempotent POSTs.

use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use super::caller::presented;
use crate::auth::keys;
use crate::error::Problem;
use crate::rate::RateLimiter;
use crate::service::State;
use crate::service::idempotency::{Attempt, Claim, fingerprint};

/// The headers a frontend may send.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Accept, Idempotency-Key, If-Match, X-API-Key";
/// The headers a frontend may read.
const EXPOSED_HEADERS: &str = "Retry-After, Idempotent-Replayed, WWW-Authenticate";
/// The largest body an idempotent POST may have (the same limit as every body).
const MAX_BODY: usize = 1024 * 1024;

/// Answers CORS for the configured origins only; with none configured, browsers on other
/// origins cannot call the API, and their preflights are refused with a problem.
pub async fn cors<E: Endpoint>(next: E, req: Request, allowed: Arc<Vec<String>>) -> poem::Result<Response> {
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    let Some(origin) = origin else { return Ok(next.call(req).await?.into_response()) };
    let listed = allowed.iter().any(|a| a == &origin);
    let preflight = req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if !listed {
            return Ok(Problem::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "Origin not allowed",
                format!("{origin} may not call this API from a browser"),
            )
            .into_poem_response());
        }
        return Ok(Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin)
            .header(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
            .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PATCH, DELETE")
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS)
            .header(header::ACCESS_CONTROL_MAX_AGE, "600")
            .header(header::VARY, "Origin")
            .finish());
    }
    let mut resp = next.get_response(req).await;
    let h = resp.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if listed && let Ok(v) = HeaderValue::from_str(&origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
    }
    Ok(resp)
}

/// The two limiters: per client address and per presented credential.
pub struct Limits {
    /// Per address.
    pub per_ip: RateLimiter,
    /// Per credential.
    pub per_credential: RateLimiter,
}

fn too_many(wait: std::time::Duration, what: &str) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many requests",
        format!("too many requests {what}; retry in {secs} s"),
    )
    .into_poem_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    resp
}

/// Counts the request against its address and its credential; 429 with `Retry-After` over
/// either limit. Health checks are not counted.
pub async fn rate_limit<E: Endpoint>(next: E, req: Request, limits: Arc<Limits>) -> poem::Result<Response> {
    let path = req.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return Ok(next.call(req).await?.into_response());
    }
    let now = Instant::now();
    // The address is the peer's: behind a proxy, configure the proxy to limit, or all clients share one.
    let ip = req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    if let Err(wait) = limits.per_ip.check(&ip, now) {
        return Ok(too_many(wait, "from this address"));
    }
    if let Some(cred) = presented(&req)
        && let Err(wait) = limits.per_credential.check(&keys::hash(&cred), now)
    {
        return Ok(too_many(wait, "with this credential"));
    }
    Ok(next.call(req).await?.into_response())
}

fn problem(status: StatusCode, code: &str, title: &str, detail: &str, field: Option<&str>) -> Response {
    let mut p = Problem::new(status, code, title, detail);
    if let Some(f) = field {
        p = p.with_field(f, detail);
    }
    p.into_poem_response()
}

/// A POST with an `Idempotency-Key` header runs once per caller and key; retries get the
/// first answer again (with `Idempotent-Replayed: true`) and never create a second row.
/// Runs after `authenticate`, so answers are kept per verified caller only.
///
/// The claim on a key is leased and renewed while the request runs; a retry while it runs is
/// answered 409 with `Retry-After`, and a claim whose process died runs out and is taken over
/// by the next retry (see `store::idempotency`).
pub async fn idempotency<E: Endpoint>(next: E, mut req: Request, state: Arc<State>) -> poem::Result<Response> {
    if req.method() != Method::POST {
        return Ok(next.call(req).await?.into_response());
    }
    let Some(raw) = req.headers().get("Idempotency-Key").cloned() else { return Ok(next.call(req).await?.into_response()) };
    let key = match raw.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()) => k.to_owned(),
        _ => {
            return Ok(problem(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                "Invalid input",
                "Idempotency-Key must be 1 to 200 visible ASCII characters",
                Some("Idempotency-Key"),
            ));
        }
    };
    let body = req.take_body();
    let bytes = match body.into_bytes_limit(MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                "the body may be at most 1 MiB",
                Some("body"),
            ));
        }
    };
    // Answers are kept per verified caller: never under a credential that did not check out.
    let who = match req.extensions().get::<crate::auth::Principal>() {
        Some(p) if p.role != crate::auth::Role::Anonymous => p.actor(),
        _ => format!("anonymous:{}", req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_default()),
    };
    let attempt = Attempt::new(&state, &who, key);
    let request_hash = fingerprint(req.method().as_str(), &req.uri().to_string(), &bytes);
    let internal = |e: &dyn std::error::Error| {
        tracing::error!(cause = %e, "idempotency store failed");
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side; it has been logged",
            None,
        )
    };
    match attempt.claim(&state, &request_hash).await {
        Err(e) => return Ok(internal(&e)),
        Ok(Claim::Replay { status, content_type, body }) => {
            let mut b =
                Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK)).header("Idempotent-Replayed", "true");
            if let Some(ct) = content_type {
                b = b.content_type(ct);
            }
            return Ok(b.body(body));
        }
        Ok(Claim::InProgress { retry_after }) => {
            let mut resp = problem(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "Request in progress",
                "a request with this Idempotency-Key is still being handled; retry shortly",
                Some("Idempotency-Key"),
            );
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            return Ok(resp);
        }
        Ok(Claim::Mismatch) => {
            return Ok(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency-Key reused",
                "this Idempotency-Key was used for a different request",
                Some("Idempotency-Key"),
            ));
        }
        Ok(Claim::Fresh) => {}
    }
    req.set_body(Body::from(bytes));
    let renewal = attempt.keep_alive(&state);
    let resp = next.get_response(req).await;
    drop(renewal);
    let status = resp.status();
    if status.is_server_error() {
        if let Err(e) = attempt.release(&state).await {
            tracing::error!(cause = %e, "releasing an idempotency key failed");
        }
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let bytes = body.into_bytes().await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    match attempt.complete(&state, status.as_u16(), ct, text).await {
        Ok(true) => {}
        // Only when this request's renewals failed for a whole lease: a retry ran it again.
        Ok(false) => tracing::warn!("an idempotency claim was taken over before its answer was kept"),
        Err(e) => tracing::error!(cause = %e, "keeping an idempotent answer failed"),
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
