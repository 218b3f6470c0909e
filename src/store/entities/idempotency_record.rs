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
    /// Created.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
