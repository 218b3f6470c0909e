//! Why a use case refused or failed, in the service's own words. The API turns each kind into
//! its problem+json answer with a stable code; the CLI and the seed print it.

use crate::auth::policy::Denied;
use crate::store::StoreError;

/// A refusal or failure of a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the input is wrong (400 `invalid_parameter`).
    #[error("`{field}`: {message}")]
    Invalid {
        /// The field, as a dotted path or a parameter name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The caller must sign in (401).
    #[error("this needs a bearer token or an API key")]
    SignIn,
    /// The caller may not do this (403 `forbidden`, or a more precise code).
    #[error("{detail}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Why not.
        detail: String,
    },
    /// No such thing, or the caller may not know it exists (404).
    #[error("no {0} with this id")]
    NotFound(&'static str),
    /// The request conflicts with the current state (409 `conflict`).
    #[error("{0}")]
    Conflict(String),
    /// The helper has no places left (409 `no_capacity`).
    #[error("{0}")]
    NoCapacity(String),
    /// A step the item's current state does not allow (409 `wrong_state`).
    #[error("{detail}")]
    WrongState {
        /// The state the item is in.
        current: &'static str,
        /// Why not.
        detail: String,
    },
    /// Well-formed input that cannot be carried out (422 with `code`).
    #[error("`{field}`: {message}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// The field at fault.
        field: String,
        /// Why.
        message: String,
    },
    /// A server the answer needs is down (503 with `code`).
    #[error("{detail}")]
    Unavailable {
        /// Stable code.
        code: &'static str,
        /// What is down.
        detail: String,
    },
    /// The store failed in a way the caller cannot mend.
    #[error(transparent)]
    Store(StoreError),
    /// Something else broke; logged, answered opaquely.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A bad field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    /// The caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden { code: "forbidden", detail: detail.into() }
    }

    /// A conflict with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(detail.into())
    }

    /// A step the item's current state does not allow.
    pub fn wrong_state(current: &'static str, detail: impl Into<String>) -> Self {
        Self::WrongState { current, detail: detail.into() }
    }

    /// Input that cannot be carried out.
    pub fn unprocessable(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, field: field.into(), message: message.into() }
    }

    /// A server the answer needs is down.
    pub fn unavailable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unavailable { code, detail: detail.into() }
    }

    /// A store "not found" as the named resource.
    pub fn not_found_as(what: &'static str) -> impl Fn(StoreError) -> Self {
        move |e| match e {
            StoreError::NotFound => Self::NotFound(what),
            other => other.into(),
        }
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound("resource"),
            StoreError::Conflict(detail) => Self::Conflict(detail),
            StoreError::Reference { field, message } => Self::Unprocessable { code: "unknown_reference", field: field.into(), message },
            StoreError::Db(db) => db.into(),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        // A unique key the write met: two requests at once created the same thing (the store
        // checks before it writes, but only the key decides between two at the same moment).
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(key)) = err.sql_err() {
            // Logged, so that a key broken by a bug rather than by a race is seen.
            tracing::warn!(key = %key, "a write met a unique key; answered 409");
            return Self::Conflict("this already exists".into());
        }
        Self::Store(StoreError::Db(err))
    }
}

impl From<Denied> for Error {
    fn from(d: Denied) -> Self {
        match d {
            Denied::SignIn => Self::SignIn,
            Denied::Forbidden(why) => Self::forbidden(why),
        }
    }
}

/// Shorthand for a use case's answer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
