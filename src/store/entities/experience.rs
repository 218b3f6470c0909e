//! A resident's answer on how the help went, after a match or a referral was closed.
use sea_orm::entity::prelude::*;

/// A row of `experiences`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "experiences")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The resident who answered.
    pub person_id: Uuid,
    /// What the answer is about: `match` or `referral`.
    pub subject_kind: String,
    /// The match or referral.
    pub subject_id: Uuid,
    /// The request's gemeente, copied in when answered.
    pub gemeente_code: String,
    /// The request's wijk, copied in when answered.
    pub wijk_code: String,
    /// Ik werd gehoord, 1 to 5.
    pub listened: Option<i16>,
    /// De hulp paste bij mijn vraag, 1 to 5.
    pub fitted: Option<i16>,
    /// Het ging snel genoeg, 1 to 5.
    pub quick: Option<i16>,
    /// Ik red me nu beter, 1 to 5.
    pub manage_better: Option<i16>,
    /// Mijn kwaliteit van leven is beter, 1 to 5.
    pub quality_of_life: Option<i16>,
    /// Ik zou het aanraden, 1 to 5.
    pub recommend: Option<i16>,
    /// Words of the resident's own.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// Whether the comment may reach the team, without a name.
    pub share_comment: bool,
    /// First answered; the answer may change for 14 days from then.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
