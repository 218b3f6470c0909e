//! Support an initiative asks of its gemeente's wijkteam.
use sea_orm::entity::prelude::*;

/// A row of `support_requests`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "support_requests")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The initiative that asks.
    pub initiative_id: Uuid,
    /// The initiative's gemeente when it asked: whose wijkteam works the request.
    pub gemeente_code: String,
    /// The initiative's wijk when it asked.
    pub wijk_code: String,
    /// A support kind code.
    pub kind: String,
    /// What is asked, in the organisers' words.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// For a grant: the amount asked, in euro cents.
    pub amount_cents: Option<i64>,
    /// When the initiative would like it.
    pub wished_date: Option<Date>,
    /// A support status code.
    pub status: String,
    /// The organiser who wrote it, while they exist (a key or an admin names nobody).
    pub submitted_by_person_id: Option<Uuid>,
    /// Once granted: what was given.
    #[sea_orm(column_type = "Text", nullable)]
    pub granted_note: Option<String>,
    /// Once a grant is granted: the amount given, in euro cents.
    pub granted_amount_cents: Option<i64>,
    /// Once declined: a decline reason code.
    pub decline_reason: Option<String>,
    /// Once declined: the team's words.
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_note: Option<String>,
    /// The id of the latest event: orders lists by last change.
    pub change_id: Uuid,
    /// Submitted.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
