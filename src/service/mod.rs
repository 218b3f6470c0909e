//! Use cases: what a caller may ask of the service, whoever asks (a handler, the seed, the CLI,
//! a benchmark). A use case takes the caller (a [`Principal`](crate::auth::Principal)), domain
//! input and the [`State`]; a write loads, checks the policy, writes and appends its audit
//! rows in one transaction (the search outbox rows come with it, written by the database's
//! triggers), and returns domain values or the records it read. Handlers only parse the wire
//! into domain types, call one use case and convert the answer. Some account writes (inviting,
//! redeeming, removing an organiser, keys and grants) are single statements or take their own
//! lock in the store.
//!
//! Arrows point down: this module uses `store`, `search`, `matching`, `geo`, `auth`, `stats`
//! and `domain`, never `api` or `startup`.

pub mod accounts;
pub mod areas;
pub mod consents;
pub mod error;
pub mod experiences;
pub mod health;
pub mod idempotency;
pub mod initiatives;
pub mod kaart;
pub mod kompas;
pub mod listings;
pub mod matches;
pub mod matching;
pub mod matching_run;
pub mod me;
pub mod people;
pub mod referrals;
pub mod search;
pub mod support_requests;
pub mod volunteers;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

pub use error::Error;

use crate::auth::jwt::Verifier;
use crate::geo::AreaIndex;
use crate::search::meili::MeiliIndex;
use crate::search::outbox::DeliveryStats;

/// What every use case shares: the database, the wijk locator, the token verifier and the
/// search engine.
pub struct State {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The wijk locator, built from the stored areas at start-up.
    pub areas: AreaIndex,
    /// Checks bearer tokens; `None` when no issuer is configured (API keys only).
    pub tokens: Option<Verifier>,
    /// The Meilisearch index, when configured; search runs on the embedded engine otherwise.
    pub search: Option<MeiliIndex>,
    /// Search outbox delivery figures.
    pub delivery: Arc<DeliveryStats>,
    /// How long a claimed `Idempotency-Key` holds without renewal.
    pub idempotency_lease: chrono::Duration,
}

impl State {
    /// A state with no database, for generating the spec: nothing is ever asked of it.
    pub fn placeholder() -> Self {
        Self {
            db: DatabaseConnection::default(),
            areas: AreaIndex::default(),
            tokens: None,
            search: None,
            delivery: Default::default(),
            idempotency_lease: chrono::Duration::seconds(60),
        }
    }
}

/// The current time, read once per use case so every rule in it sees the same instant;
/// truncated to microseconds so that what is stored equals what is read back.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    crate::domain::clock::now()
}
