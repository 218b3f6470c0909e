//! One error envelope for the whole API: RFC 9457 problem details (`application/problem+json`)
//! with a stable snake_case `code` and, for bad input, the fields at fault.
//!
//! Handler errors are [`ApiError`]; everything poem or poem-openapi rejects before a handler
//! runs (bad parameters, unknown routes, wrong methods, oversized bodies) is turned into the
//! same envelope by [`problem_from_error`], installed as the app's catch-all.

use poem::Response;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// The problem+json media type.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field the caller got wrong.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct FieldProblem {
    /// The field, as a dotted path into the body (`location.lat`, `schedule[1].end`) or the
    /// name of a query or path parameter.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    /// A URI naming the problem type; `about:blank` plus `code` for ours.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary, the same for every occurrence of this code.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code, e.g. `invalid_parameter`, `not_found`.
    pub code: String,
    /// The fields at fault: for bad input at least one, otherwise empty. Always present, so
    /// that clients can read it without checking for it first.
    pub errors: Vec<FieldProblem>,
    /// For a step the resource's state does not allow (409): the state it is in now, e.g.
    /// `granted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
}

impl Problem {
    /// A problem with a code and detail.
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("https://buurtkracht.nl/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            code: code.to_owned(),
            errors: Vec::new(),
            current_status: None,
        }
    }

    /// Adds a field at fault.
    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldProblem { field: field.into(), message: message.into() });
        self
    }

    /// The problem as a plain poem response.
    pub fn into_poem_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        Response::builder().status(status).content_type(PROBLEM_JSON).body(body)
    }
}

/// Every error a handler can answer with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed: a parameter or body field is missing, of the wrong type or
    /// out of range (`invalid_parameter`, `invalid_body`, `invalid_cursor`).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// Credentials are missing where they are needed, or they are invalid, expired or revoked
    /// (`unauthorized`). Comes with `WWW-Authenticate`.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The credentials are valid but do not allow this (`forbidden`).
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// No such resource (`not_found`).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state (`conflict`).
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The body is well-formed but cannot be carried out: an unknown reference, a place outside
    /// every known wijk, a state that does not allow it, a helper with no places left
    /// (`unknown_reference`, `outside_service_area`, `invalid_state`, `not_a_request`,
    /// `not_an_offer`, `no_capacity`).
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too many requests from this client or credential (`rate_limited`); see `Retry-After`.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
    /// Something broke on our side; the cause is logged, never returned (`internal`).
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Problem>),
    /// A server this answer needs is down for now (`search_unavailable`); try again later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
}

impl ApiError {
    /// A bad query, path or body field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self::BadRequest(Json(
            Problem::new(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid input", format!("`{field}`: {message}"))
                .with_field(field, message),
        ))
    }

    /// The problem document inside.
    pub fn problem(&self) -> &Problem {
        match self {
            Self::BadRequest(p)
            | Self::Unauthorized(p)
            | Self::Forbidden(p)
            | Self::NotFound(p)
            | Self::Conflict(p)
            | Self::Unprocessable(p)
            | Self::TooManyRequests(p)
            | Self::Internal(p)
            | Self::Unavailable(p) => &p.0,
        }
    }

    /// The caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(Json(Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)))
    }

    /// A resource that does not exist.
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(Json(Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found", format!("no {what} with this id"))))
    }

    /// A write that conflicts with existing data.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(Json(Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)))
    }

    /// A server the answer needs is down.
    pub fn unavailable(code: &str, detail: impl Into<String>) -> Self {
        Self::Unavailable(Json(Problem::new(StatusCode::SERVICE_UNAVAILABLE, code, "Service unavailable", detail)))
    }

    /// Well-formed input that cannot be carried out.
    pub fn unprocessable(code: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self::Unprocessable(Json(
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Cannot process", format!("`{field}`: {message}"))
                .with_field(field, message),
        ))
    }

    /// An unexpected failure: logs the whole cause chain, answers an opaque 500.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        Self::Internal(Json(internal_problem(err)))
    }
}

/// Logs the cause chain of an unexpected failure and returns the opaque 500 problem.
pub fn internal_problem(err: &(dyn std::error::Error + 'static)) -> Problem {
    {
        let mut chain = vec![err.to_string()];
        let mut source = err.source();
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        tracing::error!(cause = %chain.join(": "), "request failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl From<crate::auth::policy::Denied> for ApiError {
    fn from(d: crate::auth::policy::Denied) -> Self {
        use crate::auth::policy::Denied;
        match d {
            // Handlers only see anonymous callers through `Caller`; the 401 tells them to sign in.
            Denied::SignIn => ApiError::Unauthorized(Json(Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                "this needs a bearer token or an API key",
            ))),
            Denied::Forbidden(why) => ApiError::forbidden(why),
        }
    }
}

/// A JSON body that failed to parse, with the path of the offending field.
#[derive(Debug, thiserror::Error)]
#[error("invalid body at `{field}`: {message}")]
pub struct BodyError {
    /// Dotted path into the body, or `body` for the whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// 400 for bad JSON, 413 for too large, 415 for a wrong content type.
    pub status: StatusCode,
}

/// Turns any error that reached the top of the app into a problem+json response.
pub async fn problem_from_error(err: poem::Error) -> Response {
    use poem_openapi::error::{ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError};
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let problem = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid input", format!("`{}`: {}", e.name, e.reason))
            .with_field(e.name, e.reason.clone())
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        // poem-openapi reports path parameters by position (`param0`). Every route has at most
        // one path parameter and only `id` can fail to parse (`code` is a string); the spec test
        // `path_parameters_are_single_and_named_id_or_code` keeps it that way.
        let name = if e.name == "param0" { "id" } else { e.name };
        Problem::new(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid input", format!("`{name}`: {}", e.reason))
            .with_field(name, e.reason.clone())
    } else if let Some(e) = err.downcast_ref::<BodyError>() {
        let code = match e.status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            _ => "invalid_body",
        };
        Problem::new(e.status, code, "Invalid body", format!("`{}`: {}", e.field, e.message)).with_field(e.field.clone(), e.message.clone())
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_body", "Invalid body", e.reason.clone()).with_field("body", e.reason.clone())
    } else if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            format!("{e}; send application/json"),
        )
    } else {
        match status {
            StatusCode::NOT_FOUND => Problem::new(status, "not_found", "Not found", "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => {
                Problem::new(status, "method_not_allowed", "Method not allowed", "this route does not accept this method")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                Problem::new(status, "payload_too_large", "Payload too large", "the body may be at most 1 MiB")
            }
            s if s.is_client_error() => Problem::new(s, "bad_request", "Bad request", err.to_string()),
            _ => {
                tracing::error!(error = %err, "unhandled error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; it has been logged",
                )
            }
        }
    };
    problem.into_poem_response()
}

impl poem::error::ResponseError for BodyError {
    fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<crate::service::Error> for ApiError {
    fn from(err: crate::service::Error) -> Self {
        use crate::service::Error as E;
        match err {
            E::Invalid { field, message } => ApiError::invalid(field, message),
            E::SignIn => crate::auth::policy::Denied::SignIn.into(),
            E::Forbidden { code, detail } => ApiError::Forbidden(Json(Problem::new(StatusCode::FORBIDDEN, code, "Forbidden", detail))),
            E::NotFound(what) => ApiError::not_found(what),
            E::Conflict(detail) => ApiError::conflict(detail),
            E::WrongState { current, detail } => {
                let mut problem = Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail);
                problem.current_status = Some(current.to_owned());
                ApiError::Conflict(Json(problem))
            }
            E::Unprocessable { code, field, message } => ApiError::unprocessable(code, field, message),
            E::Unavailable { code, detail } => ApiError::unavailable(code, detail),
            E::Store(e) => ApiError::internal(&e),
            E::Internal(e) => ApiError::internal(e.as_ref()),
        }
    }
}
