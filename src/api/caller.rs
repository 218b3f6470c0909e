//! Reading credentials off a request: a bearer JWT or an API key, checked and turned into a
//! [`Principal`]. Handlers take [`Caller`] where anonymous callers are welcome and [`SignedIn`]
//! where they are not; both show their security schemes in the spec.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::{Request, RequestBody};
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, SecurityScheme};

use crate::auth::{Principal, Role, keys};
use crate::error::Problem;
use crate::service::State;
use crate::service::accounts::{self, Refused};

// The schemes only describe credentials in the spec; `resolve` reads the headers itself.
/// A JWT from the trusted issuer: `Authorization: Bearer <token>`. An API key may also be sent
/// this way.
#[derive(SecurityScheme)]
#[oai(rename = "bearer", ty = "bearer", bearer_format = "JWT")]
#[allow(dead_code)]
pub struct BearerToken(Bearer);

/// An API key for an integration: `X-API-Key: bk_...`.
#[derive(SecurityScheme)]
#[oai(rename = "api_key", ty = "api_key", key_name = "X-API-Key", key_in = "header")]
#[allow(dead_code)]
pub struct ApiKeyHeader(ApiKey);

/// Either credential, or none.
#[derive(SecurityScheme)]
#[allow(dead_code)] // only its spec registration is used; credentials are read in `resolve`
enum OptionalCredentials {
    Bearer(BearerToken),
    Key(ApiKeyHeader),
    #[oai(fallback)]
    Anonymous,
}

/// Either credential.
#[derive(SecurityScheme)]
#[allow(dead_code)]
enum RequiredCredentials {
    Bearer(BearerToken),
    Key(ApiKeyHeader),
}

/// The checked caller of an operation open to anonymous callers.
pub struct Caller(pub Principal);

/// The checked caller of an operation that needs credentials.
pub struct SignedIn(pub Principal);

fn unauthorized(detail: impl Into<String>) -> poem::Error {
    let mut resp = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail).into_poem_response();
    resp.headers_mut().insert("WWW-Authenticate", poem::http::HeaderValue::from_static("Bearer, ApiKey header=\"X-API-Key\""));
    poem::Error::from_response(resp)
}

fn internal(err: &(dyn std::error::Error + 'static)) -> poem::Error {
    poem::Error::from_response(crate::error::internal_problem(err).into_poem_response())
}

/// The credential a request carries, unchecked: what the rate limiter and the idempotency
/// store key on.
pub fn presented(req: &Request) -> Option<String> {
    if let Some(v) = req.headers().get("X-API-Key") {
        return Some(format!("key:{}", v.to_str().unwrap_or_default()));
    }
    req.headers().get(poem::http::header::AUTHORIZATION).map(|v| format!("auth:{}", v.to_str().unwrap_or_default()))
}

/// The principal the `authenticate` middleware found, or a fresh check where it did not run.
async fn checked(req: &Request) -> poem::Result<Principal> {
    match req.extensions().get::<Principal>() {
        Some(p) => Ok(p.clone()),
        None => resolve(req).await,
    }
}

/// Checks the credentials of every request before any route: bad ones are refused with 401
/// even where an anonymous caller would be welcome, so a broken token never silently reads as
/// anonymous. The principal rides along in the request for the handlers' extractors.
///
/// Probes are the exception: `/healthz` and `/readyz` answer whoever asks, so that a load
/// balancer or a client with a stale token never sees a healthy service as down.
pub async fn authenticate<E: poem::Endpoint>(next: E, mut req: Request) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    if matches!(req.uri().path(), "/healthz" | "/readyz") {
        return Ok(next.call(req).await?.into_response());
    }
    let p = match resolve(&req).await {
        Ok(p) => p,
        Err(e) => return Ok(e.into_response()),
    };
    req.extensions_mut().insert(p);
    Ok(next.call(req).await?.into_response())
}

/// Checks the request's credentials: anonymous when there are none, 401 when they are bad.
pub async fn resolve(req: &Request) -> poem::Result<Principal> {
    let state = req.data::<Arc<State>>().ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let key_header = req.headers().get("X-API-Key");
    let auth_header = req.headers().get(poem::http::header::AUTHORIZATION);
    if key_header.is_some() && auth_header.is_some() {
        return Err(unauthorized("send either an Authorization header or an X-API-Key header, not both"));
    }
    if let Some(v) = key_header {
        let key = v.to_str().map_err(|_| unauthorized("the API key is not valid text"))?.trim();
        return key_principal(state, key).await;
    }
    let Some(v) = auth_header else { return Ok(Principal::anonymous()) };
    let text = v.to_str().map_err(|_| unauthorized("the Authorization header is not valid text"))?.trim();
    let token = match text.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => return Err(unauthorized("the Authorization header must read `Bearer <token>`")),
    };
    if keys::looks_like_key(token) {
        return key_principal(state, token).await;
    }
    let Some(verifier) = &state.tokens else {
        return Err(unauthorized("this server accepts API keys only: no token issuer is configured"));
    };
    let verified = verifier.verify(token).map_err(|e| unauthorized(e.0))?;
    accounts::principal_for_token(state, verified).await.map_err(refused)
}

async fn key_principal(state: &State, key: &str) -> poem::Result<Principal> {
    if !keys::looks_like_key(key) {
        return Err(unauthorized("the API key is malformed"));
    }
    accounts::principal_for_key(state, key).await.map_err(refused)
}

fn refused(r: Refused) -> poem::Error {
    match r {
        Refused::Credential(why) => unauthorized(why),
        Refused::Failed(e) => internal(&e),
    }
}

impl<'a> ApiExtractor<'a> for Caller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        OptionalCredentials::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        OptionalCredentials::security_schemes()
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(req: &'a Request, _body: &mut RequestBody, _opts: ExtractParamOptions<()>) -> poem::Result<Self> {
        Ok(Self(checked(req).await?))
    }
}

impl<'a> ApiExtractor<'a> for SignedIn {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        RequiredCredentials::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        RequiredCredentials::security_schemes()
    }

    async fn from_request(req: &'a Request, _body: &mut RequestBody, _opts: ExtractParamOptions<()>) -> poem::Result<Self> {
        let p = checked(req).await?;
        if p.role == Role::Anonymous {
            return Err(unauthorized("this operation needs a bearer token or an API key"));
        }
        Ok(Self(p))
    }
}
