//! An invitation to co-organise an initiative, redeemed with a one-time code.
use sea_orm::entity::prelude::*;

/// A row of `organiser_invitations`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organiser_invitations")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The initiative.
    pub initiative_id: Uuid,
    /// SHA-256 of the code, hex.
    pub code_hash: String,
    /// Who invited.
    pub created_by: String,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Cannot be accepted after.
    pub expires_at: DateTimeUtc,
    /// The person who accepted.
    pub accepted_by: Option<Uuid>,
    /// When.
    pub accepted_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
