//! A deleted item, for copies elsewhere to follow.
use sea_orm::entity::prelude::*;

/// A row of `deletions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deletions")]
pub struct Model {
    /// Order of deletion.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// initiative, person, volunteer, listing.
    pub entity: String,
    /// Its id.
    pub entity_id: Uuid,
    /// When.
    pub deleted_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
