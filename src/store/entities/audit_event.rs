//! One read or change of a person's data. Append-only.
use sea_orm::entity::prelude::*;

/// A row of `audit_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Order of writing.
    #[sea_orm(primary_key)]
    #[serde(skip)]
    pub seq: i64,
    /// Identity.
    pub id: Uuid,
    /// When.
    pub at: DateTimeUtc,
    /// Who: `token:<sub>`, `key:<id>`.
    pub actor: String,
    /// The actor's role.
    pub actor_role: String,
    /// The person the data is about: their id, or a pseudonym after erasure.
    pub person_ref: String,
    /// The person's gemeente, for admins' scope.
    pub gemeente_code: Option<String>,
    /// read, create, update, delete, export, erase.
    pub action: String,
    /// person, volunteer, listing, consent.
    pub resource: String,
    /// Its id.
    pub resource_id: Option<String>,
    /// The operation, e.g. `GET /v1/people/{id}`.
    pub endpoint: String,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
