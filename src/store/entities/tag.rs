//! One code attached to one item, for indexed filtering.
use sea_orm::entity::prelude::*;

/// A row of `tags`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tags")]
pub struct Model {
    /// `category` or `zrm`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub scheme: String,
    /// The code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// The tagged item.
    #[sea_orm(primary_key, auto_increment = false)]
    pub entity_id: Uuid,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
