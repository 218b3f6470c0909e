//! A person's consent: who may see what of them, for what purpose, for how long.
use sea_orm::entity::prelude::*;

/// A row of `consents`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The person who gives it.
    pub person_id: Uuid,
    /// Why, in words.
    pub purpose: String,
    /// person, initiative or wijkteam.
    pub grantee_kind: String,
    /// A person grantee.
    pub grantee_person_id: Option<Uuid>,
    /// An initiative grantee.
    pub grantee_initiative_id: Option<Uuid>,
    /// A wijkteam grantee: the professionals of this gemeente.
    pub grantee_gemeente: Option<String>,
    /// Comma-joined scope codes.
    #[sea_orm(column_type = "Text")]
    pub scope: String,
    /// From.
    pub valid_from: DateTimeUtc,
    /// Until (open-ended when absent).
    pub valid_until: Option<DateTimeUtc>,
    /// Withdrawn at; no effect from then on.
    pub withdrawn_at: Option<DateTimeUtc>,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
