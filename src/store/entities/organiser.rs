//! A person who organises an initiative.
use sea_orm::entity::prelude::*;

/// A row of `organisers`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organisers")]
pub struct Model {
    /// The initiative.
    #[sea_orm(primary_key, auto_increment = false)]
    pub initiative_id: Uuid,
    /// The person.
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    /// Since.
    pub added_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
