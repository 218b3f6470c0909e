//! Idempotent POSTs: the first request with a key runs and its answer is kept; a retry with the
//! same key and the same request gets that answer again instead of making a second row.
//!
//! While the first request runs, its claim is held under a lease: the claiming process renews
//! it ([`renew`]) and a retry meanwhile is told to wait (409 with `Retry-After`). A process that
//! dies mid-request stops renewing, and once the lease has run out the next retry takes the claim
//! over and runs the request itself. What a client can rely on is written in the README
//! ("Idempotent retries").

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Conn;
use super::StoreError;
use super::entities::idempotency_record;

/// How long answers are kept.
pub const KEEP_HOURS: i64 = 24;

/// A fresh holder's name for one claim: this process (a random id, since process ids repeat
/// across restarts and hosts) and a counter, so that renewing, completing or releasing touches
/// only the claim this request made, never one a retry has taken over since.
pub fn new_owner() -> String {
    static PROCESS: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let process = PROCESS.get_or_init(|| uuid::Uuid::new_v4().simple().to_string());
    format!("{process}:{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The scope kept answers live under: the verified caller (`Principal::actor`), hashed so
/// that no credential or subject is stored in the clear. Erasure recomputes it to forget them.
pub fn scope_of(actor: &str) -> String {
    crate::auth::keys::hash(actor)
}

/// What identifies a request: method, path with query, and the exact body bytes.
pub fn fingerprint(method: &str, uri: &str, body: &[u8]) -> String {
    let mut bytes = format!("{method} {uri}\n").into_bytes();
    bytes.extend_from_slice(body);
    crate::auth::keys::hash_bytes(&bytes)
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// First time, or the first request's claim ran out: run it, then [`complete`].
    Fresh,
    /// Seen and answered: send this again.
    Replay {
        /// Status.
        status: u16,
        /// Content type.
        content_type: Option<String>,
        /// Body.
        body: String,
    },
    /// The first request with this key is still running (its claim is renewed).
    InProgress {
        /// When its lease runs out at the latest, should its process be gone.
        retry_after: std::time::Duration,
    },
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for a request with `request_hash`, within the caller's `scope`, as `owner`
/// ([`new_owner`]) for `lease`.
pub async fn claim(db: &impl Conn, scope: &str, key: &str, request_hash: &str, owner: &str, lease: Duration) -> Result<Claim, StoreError> {
    claim_at(db, scope, key, request_hash, owner, lease, Utc::now(), 0).await
}

#[allow(clippy::too_many_arguments)]
async fn claim_at(
    db: &impl Conn,
    scope: &str,
    key: &str,
    request_hash: &str,
    owner: &str,
    lease: Duration,
    now: DateTime<Utc>,
    attempt: u8,
) -> Result<Claim, StoreError> {
    // Expired answers go first, so an old key can be used afresh.
    idempotency_record::Entity::delete_many()
        .filter(idempotency_record::Column::CreatedAt.lt(now - Duration::hours(KEEP_HOURS)))
        .exec(db)
        .await?;
    let inserted = idempotency_record::ActiveModel {
        scope: Set(scope.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(None),
        content_type: Set(None),
        body: Set(None),
        created_at: Set(now),
        owner: Set(Some(owner.to_owned())),
        lease_until: Set(Some(now + lease)),
    }
    .insert(db)
    .await;
    let e = match inserted {
        Ok(_) => return Ok(Claim::Fresh),
        Err(e) => e,
    };
    if !matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) {
        return Err(e.into());
    }
    let existing = idempotency_record::Entity::find_by_id((scope.to_owned(), key.to_owned())).one(db).await?;
    let Some(existing) = existing else {
        // Removed between the insert and the read (its first request failed): try again, once.
        return if attempt == 0 {
            Box::pin(claim_at(db, scope, key, request_hash, owner, lease, now, 1)).await
        } else {
            Ok(Claim::InProgress { retry_after: std::time::Duration::from_secs(1) })
        };
    };
    if existing.request_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    if let (Some(status), Some(body)) = (existing.status, existing.body) {
        return Ok(Claim::Replay { status: status as u16, content_type: existing.content_type, body });
    }
    if let Some(until) = existing.lease_until
        && until > now
    {
        return Ok(Claim::InProgress { retry_after: (until - now).to_std().unwrap_or_default() });
    }
    // The claim ran out: its process died or lost the database. Take it over, unless another
    // retry just did (the condition is checked again under the row's lock).
    let taken = idempotency_record::Entity::update_many()
        .col_expr(idempotency_record::Column::Owner, owner.into())
        .col_expr(idempotency_record::Column::LeaseUntil, (now + lease).into())
        .col_expr(idempotency_record::Column::CreatedAt, now.into())
        .filter(idempotency_record::Column::Scope.eq(scope))
        .filter(idempotency_record::Column::Key.eq(key))
        .filter(idempotency_record::Column::RequestHash.eq(request_hash))
        .filter(idempotency_record::Column::Status.is_null())
        .filter(Condition::any().add(idempotency_record::Column::LeaseUntil.is_null()).add(idempotency_record::Column::LeaseUntil.lte(now)))
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        tracing::warn!(previous_owner = ?existing.owner, "took over an idempotency claim whose lease ran out");
        return Ok(Claim::Fresh);
    }
    Ok(Claim::InProgress { retry_after: lease.to_std().unwrap_or_default() })
}

/// Moves the lease of `owner`'s claim on; false when the claim is no longer theirs (answered,
/// released, or taken over after it ran out).
pub async fn renew(db: &impl Conn, scope: &str, key: &str, owner: &str, lease: Duration) -> Result<bool, StoreError> {
    let r = idempotency_record::Entity::update_many()
        .col_expr(idempotency_record::Column::LeaseUntil, (Utc::now() + lease).into())
        .filter(open_claim(scope, key, owner))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Keeps the answer to `owner`'s claimed key; false when the claim was taken over meanwhile
/// (the answer of the request that took it over is the one kept).
pub async fn complete(
    db: &impl Conn,
    scope: &str,
    key: &str,
    owner: &str,
    status: u16,
    content_type: Option<String>,
    body: String,
) -> Result<bool, StoreError> {
    let r = idempotency_record::Entity::update_many()
        .col_expr(idempotency_record::Column::Status, Some(i32::from(status)).into())
        .col_expr(idempotency_record::Column::ContentType, content_type.into())
        .col_expr(idempotency_record::Column::Body, Some(body).into())
        .col_expr(idempotency_record::Column::LeaseUntil, Option::<DateTime<Utc>>::None.into())
        .filter(open_claim(scope, key, owner))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// `owner`'s claim on a key, while it is still open (not answered).
fn open_claim(scope: &str, key: &str, owner: &str) -> Condition {
    Condition::all()
        .add(idempotency_record::Column::Scope.eq(scope))
        .add(idempotency_record::Column::Key.eq(key))
        .add(idempotency_record::Column::Owner.eq(owner))
        .add(idempotency_record::Column::Status.is_null())
}

/// Forgets `owner`'s claim on a key whose request failed on our side, so a retry runs again.
pub async fn release(db: &impl Conn, scope: &str, key: &str, owner: &str) -> Result<(), StoreError> {
    idempotency_record::Entity::delete_many().filter(open_claim(scope, key, owner)).exec(db).await?;
    Ok(())
}

/// Forgets every kept answer of a caller (on erasure: the answers may hold their data).
pub async fn forget_scope(db: &impl Conn, scope: &str) -> Result<(), StoreError> {
    idempotency_record::Entity::delete_many().filter(idempotency_record::Column::Scope.eq(scope)).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_every_body_apart() {
        // Bodies that are not UTF-8 must not collapse into one (a lossy conversion would make
        // both of these "\u{fffd}").
        assert_ne!(fingerprint("POST", "/v1/x", &[0xff]), fingerprint("POST", "/v1/x", &[0xfe]));
        assert_ne!(fingerprint("POST", "/v1/x", b"{}"), fingerprint("POST", "/v1/y", b"{}"));
        assert_eq!(fingerprint("POST", "/v1/x", b"{}"), fingerprint("POST", "/v1/x", b"{}"));
        assert_ne!(scope_of("token:a"), scope_of("token:b"));
    }
}
