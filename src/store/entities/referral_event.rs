//! One step in a referral's history.
use sea_orm::entity::prelude::*;

/// A row of `referral_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_events")]
pub struct Model {
    /// The referral.
    #[sea_orm(primary_key, auto_increment = false)]
    pub referral_id: Uuid,
    /// Its position in the history, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i32,
    /// The state it went to.
    pub state: String,
    /// professional, helper, resident or system.
    pub party: String,
    /// Who: an actor code, pseudonymised when that person is erased.
    pub actor: String,
    /// The decline reason or outcome code.
    pub code: Option<String>,
    /// When.
    pub at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
