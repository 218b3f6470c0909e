//! A referral of a resident's request to a helper, by a professional.
use sea_orm::entity::prelude::*;

/// A row of `referrals`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referrals")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The request (a listing of kind request); `None` once it is gone.
    pub request_id: Option<Uuid>,
    /// The resident the request is about; `None` once they are erased.
    pub resident_person_id: Option<Uuid>,
    /// offer, volunteer, initiative or professional_service.
    pub helper_kind: String,
    /// The offer, volunteer profile or initiative; `None` once it is gone.
    pub helper_id: Option<Uuid>,
    /// The helping person (a volunteer, an offer's owner).
    pub helper_person_id: Option<Uuid>,
    /// The helping initiative (an initiative, an initiative's offer).
    pub helper_initiative_id: Option<Uuid>,
    /// The request's gemeente.
    pub gemeente_code: String,
    /// The request's wijk.
    pub wijk_code: String,
    /// sent, accepted, declined, in_progress, closed or cancelled.
    pub state: String,
    /// Why the helper declined.
    pub decline_reason: Option<String>,
    /// How it ended.
    pub outcome: Option<String>,
    /// The referrer's note to the helper; removed on erasure.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// Whether the professional recorded the request for the resident.
    pub request_recorded: bool,
    /// The consent it was made under.
    pub consent_id: Option<Uuid>,
    /// Who referred: the professional's actor code.
    pub referred_by: String,
    /// Sent.
    pub created_at: DateTimeUtc,
    /// Last change of state.
    pub updated_at: DateTimeUtc,
    /// When it was closed.
    pub closed_at: Option<DateTimeUtc>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
