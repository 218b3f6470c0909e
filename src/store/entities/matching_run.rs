//! A matching run over an area.
use sea_orm::entity::prelude::*;

/// A row of `matching_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "matching_runs")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The gemeente or wijk.
    pub area_code: String,
    /// Its gemeente.
    pub gemeente_code: String,
    /// Who ran it.
    pub created_by: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// The proposals as JSON.
    #[sea_orm(column_type = "Text")]
    pub proposals: String,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
