//! A match between a request and a helper.
use sea_orm::entity::prelude::*;

/// A row of `matches`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "matches")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The request (a listing).
    pub request_id: Uuid,
    /// offer, volunteer or initiative.
    pub helper_kind: String,
    /// The offer, volunteer profile or initiative.
    pub helper_id: Uuid,
    /// The requesting person.
    pub requester_person_id: Option<Uuid>,
    /// The requesting initiative.
    pub requester_initiative_id: Option<Uuid>,
    /// The helping person (an offer's owner, a volunteer).
    pub helper_person_id: Option<Uuid>,
    /// The helping initiative.
    pub helper_initiative_id: Option<Uuid>,
    /// The request's gemeente.
    pub gemeente_code: String,
    /// proposed, accepted, completed, declined, cancelled (expired is derived).
    pub status: String,
    /// When the requester accepted.
    pub requester_accepted_at: Option<DateTimeUtc>,
    /// When the helper accepted.
    pub helper_accepted_at: Option<DateTimeUtc>,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub proposed_at: DateTimeUtc,
    /// Why it was declined.
    pub decline_reason: Option<String>,
    /// requester or helper.
    pub declined_by: Option<String>,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
