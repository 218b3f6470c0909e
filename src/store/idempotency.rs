//! Idempotent POSTs: the first request with a key runs and its answer is kept; a retry with the
//! same key and the same request gets that answer again instead of making a second row.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Conn;
use super::StoreError;
use super::entities::idempotency_record;

/// How long answers are kept.
pub const KEEP_HOURS: i64 = 24;

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
    /// First time: run it, then [`complete`].
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
    /// The first request with this key is still running.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for a request with `request_hash`, within the caller's `scope`.
pub async fn claim(db: &impl Conn, scope: &str, key: &str, request_hash: &str) -> Result<Claim, StoreError> {
    let now = Utc::now();
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
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(Claim::Fresh),
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            let Some(existing) = idempotency_record::Entity::find_by_id((scope.to_owned(), key.to_owned())).one(db).await? else {
                // Removed between the insert and the read (its first request failed): retry once.
                return Box::pin(claim(db, scope, key, request_hash)).await;
            };
            if existing.request_hash != request_hash {
                return Ok(Claim::Mismatch);
            }
            Ok(match (existing.status, existing.body) {
                (Some(status), Some(body)) => Claim::Replay { status: status as u16, content_type: existing.content_type, body },
                _ => Claim::InProgress,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Keeps the answer to a claimed key.
pub async fn complete(
    db: &impl Conn,
    scope: &str,
    key: &str,
    status: u16,
    content_type: Option<String>,
    body: String,
) -> Result<(), StoreError> {
    let Some(row) = idempotency_record::Entity::find_by_id((scope.to_owned(), key.to_owned())).one(db).await? else { return Ok(()) };
    let mut m: idempotency_record::ActiveModel = row.into();
    m.status = Set(Some(i32::from(status)));
    m.content_type = Set(content_type);
    m.body = Set(Some(body));
    m.update(db).await?;
    Ok(())
}

/// Forgets a claimed key whose request failed on our side, so a retry runs again.
pub async fn release(db: &impl Conn, scope: &str, key: &str) -> Result<(), StoreError> {
    idempotency_record::Entity::delete_by_id((scope.to_owned(), key.to_owned())).exec(db).await?;
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
