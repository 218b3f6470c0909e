//! The stored answer to a POST made with an `Idempotency-Key`.
use sea_orm::entity::prelude::*;

/// A row of `idempotency_records`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_records")]
pub struct Model {
    /// Hash of the caller's credentials, so keys of different callers never meet.
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    /// The client's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Hash of method, path and body: the same key with another request is refused.
    pub request_hash: String,
    /// The answer's status; absent while the first request is still running.
    pub status: Option<i32>,
    /// The answer's content type.
    pub content_type: Option<String>,
    /// The answer's body.
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    /// Created, or taken over by a retry.
    pub created_at: DateTimeUtc,
    /// The process holding the claim while its request runs (`idempotency::new_owner`).
    pub owner: Option<String>,
    /// Until when the claim holds unless its owner renews it; past it, a retry takes the claim
    /// over. Absent on claims made before leases existed, which are taken over at once.
    pub lease_until: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
