//! One step in the history of a support request.
use sea_orm::entity::prelude::*;

/// A row of `support_request_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "support_request_events")]
pub struct Model {
    /// Identity (UUID v7: events sort by it in the order they happened).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The support request.
    pub request_id: Uuid,
    /// The status the request entered.
    pub status: String,
    /// Who: `token:<sub>`, `key:<id>`, or the audit log's pseudonym once that person is erased.
    pub actor: String,
    /// The actor's role then.
    pub actor_role: String,
    /// When.
    pub at: DateTimeUtc,
    /// A decline reason code.
    pub code: Option<String>,
    /// What was given, or why not.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// A grant's amount given, in euro cents.
    pub amount_cents: Option<i64>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
