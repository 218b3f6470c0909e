//! An API key for an integration; only its hash is stored.
use sea_orm::entity::prelude::*;

/// A row of `api_keys`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the key, hex.
    pub hash: String,
    /// What the key is for.
    pub label: String,
    /// organiser, professional or admin.
    pub role: String,
    /// Comma-joined gemeente codes.
    #[sea_orm(column_type = "Text")]
    pub gemeenten: String,
    /// The initiative an organiser key acts for.
    pub initiative_id: Option<Uuid>,
    /// Who created it (`token:<sub>`, `key:<id>` or `cli`).
    pub created_by: String,
    /// Created.
    pub created_at: DateTimeUtc,
    /// No longer valid after.
    pub expires_at: Option<DateTimeUtc>,
    /// Revoked at.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
