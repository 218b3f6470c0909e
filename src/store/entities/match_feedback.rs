//! One side's feedback on a completed match.
use sea_orm::entity::prelude::*;

/// A row of `match_feedback`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_feedback")]
pub struct Model {
    /// The match.
    #[sea_orm(primary_key, auto_increment = false)]
    pub match_id: Uuid,
    /// requester or helper: who gives it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub side: String,
    /// 1 to 5.
    pub rating: i16,
    /// Optional words.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// The other side did not show up.
    pub no_show: bool,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
