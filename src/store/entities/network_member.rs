//! A resident who joined an initiative's network after a match.
use sea_orm::entity::prelude::*;

/// A row of `network_members`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "network_members")]
pub struct Model {
    /// The person.
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    /// The initiative.
    #[sea_orm(primary_key, auto_increment = false)]
    pub initiative_id: Uuid,
    /// Since.
    pub joined_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
