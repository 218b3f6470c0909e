//! Idempotent POSTs: a request with an `Idempotency-Key` runs once per caller and key, and a
//! retry gets the first answer. A claim on a key is leased and renewed while its request runs,
//! so a claim whose process died runs out and the next retry takes it over.

use chrono::Duration;
use sea_orm::DatabaseConnection;

use super::State;
use super::error::Result;
use crate::store::idempotency as rows;
pub use crate::store::idempotency::{Claim, fingerprint};

/// One caller's use of one key.
#[derive(Debug, Clone)]
pub struct Attempt {
    scope: String,
    key: String,
    owner: String,
    lease: Duration,
}

impl Attempt {
    /// The attempt of the caller named `actor` (a verified credential, or an anonymous
    /// client's address) with `key`, under the configured lease; this process owns it.
    pub fn new(state: &State, actor: &str, key: String) -> Self {
        Self { scope: rows::scope_of(actor), key, owner: rows::new_owner(), lease: state.idempotency_lease }
    }

    /// Claims the key for a request with this fingerprint, or tells why not.
    pub async fn claim(&self, state: &State, request_hash: &str) -> Result<Claim> {
        Ok(rows::claim(&state.db, &self.scope, &self.key, request_hash, &self.owner, self.lease).await?)
    }

    /// Keeps the answer for retries; false when another retry took the claim over meanwhile.
    pub async fn complete(&self, state: &State, status: u16, content_type: Option<String>, body: String) -> Result<bool> {
        Ok(rows::complete(&state.db, &self.scope, &self.key, &self.owner, status, content_type, body).await?)
    }

    /// Lets the key go after a failure on our side, so a retry runs the request again.
    pub async fn release(&self, state: &State) -> Result<()> {
        Ok(rows::release(&state.db, &self.scope, &self.key, &self.owner).await?)
    }

    /// Renews the lease every third of it while the request runs; stops when the returned
    /// guard is dropped, so a request that ends or is abandoned lets its claim run out.
    pub fn keep_alive(&self, state: &State) -> Renewal {
        let (db, me) = (state.db.clone(), self.clone());
        Renewal(tokio::spawn(async move { me.renew_forever(db).await }))
    }

    async fn renew_forever(self, db: DatabaseConnection) {
        let every = (self.lease / 3).to_std().unwrap_or(std::time::Duration::from_secs(1));
        loop {
            tokio::time::sleep(every).await;
            match rows::renew(&db, &self.scope, &self.key, &self.owner, self.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("an idempotency claim was lost while its request ran");
                    return;
                }
                Err(e) => tracing::warn!(cause = %e, "renewing an idempotency claim failed; retrying"),
            }
        }
    }
}

/// Renews a claim while alive (see [`Attempt::keep_alive`]).
pub struct Renewal(tokio::task::JoinHandle<()>);

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}
