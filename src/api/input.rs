//! What every request's target is checked for before it is routed: the control-character rule
//! (README, "Control characters") on each path segment and each query parameter's name and
//! value, as the handlers will decode them; and the list its cursors belong to
//! ([`crate::domain::list_scope`]). Bodies are checked where they are read (`api::body`).
//!
//! In one place rather than in each handler, so that no parameter can be forgotten: a NUL that
//! slipped through reached PostgreSQL, which refuses it in text and failed the request with 500.

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::domain::list_scope::{self, ListScope};
use crate::domain::text::refuse_controls;
use crate::error::Problem;

fn refused(field: &str, message: &str) -> Response {
    Problem::new(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid input", format!("`{field}`: {message}"))
        .with_field(field, message)
        .into_poem_response()
}

/// The first fault of the request's target, as (field, message): a path segment (field
/// `path`) or a query parameter (named by itself) holding a control character.
pub fn fault(path: &str, query: &[(String, String)]) -> Option<(String, String)> {
    for segment in path.split('/') {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        if let Err(e) = refuse_controls(&decoded, false) {
            return Some(("path".to_owned(), e.0));
        }
    }
    for (name, value) in query {
        if let Err(e) = refuse_controls(name, false) {
            return Some((name.clone(), format!("the parameter's name {}", e.0)));
        }
        if let Err(e) = refuse_controls(value, false) {
            return Some((name.clone(), e.0));
        }
    }
    None
}

/// Refuses a request whose path or query breaks the control-character rule (400 naming the
/// parameter), and runs the others within the list their cursors belong to.
pub async fn guard<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    // Decoded as poem-openapi decodes query parameters (form encoding: `+` is a space).
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if let Some((field, message)) = fault(req.uri().path(), &query) {
        return Ok(refused(&field, &message));
    }
    let scope = ListScope::of(req.method().as_str(), req.uri().path(), query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(list_scope::within(scope, next.call(req)).await?.into_response())
}

#[cfg(test)]
mod tests {
    use super::fault;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn names_the_parameter_or_the_path() {
        assert_eq!(fault("/v1/professionals", &q(&[("subject", "\u{0}"), ("gemeente", "GM0479")])).unwrap().0, "subject");
        assert_eq!(fault("/v1/x", &q(&[("q", "a\tb")])).unwrap().0, "q");
        assert_eq!(fault("/v1/x", &q(&[("q", "a\u{85}")])).unwrap().0, "q");
        assert_eq!(fault("/v1/x", &q(&[("a\u{1}", "b")])).unwrap().0, "a\u{1}");
        assert_eq!(fault("/v1/areas/GM0479%00", &[]).unwrap().0, "path");
        assert_eq!(fault("/v1/areas/GM%7F", &[]).unwrap().0, "path");
        assert_eq!(fault("/v1/areas/GM%C2%85", &[]).unwrap().0, "path");
        assert_eq!(fault("/v1/areas/GM0479", &q(&[("q", "Zaandam Oost"), ("x", "é\u{200B}")])), None);
        // Bytes that are no UTF-8 are not control characters (they decode to U+FFFD).
        assert_eq!(fault("/v1/areas/%FF", &q(&[("q", "\u{FFFD}")])), None);
    }
}
