//! A person's volunteer profile; location copied from the person on every write.
use sea_orm::entity::prelude::*;

/// A row of `volunteers`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "volunteers")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The person (one profile per person).
    pub person_id: Uuid,
    /// Comma-joined activity category codes.
    #[sea_orm(column_type = "Text")]
    pub skills: String,
    /// Comma-joined ZRM codes.
    #[sea_orm(column_type = "Text")]
    pub zrm_domains: String,
    /// Comma-joined language codes.
    #[sea_orm(column_type = "Text")]
    pub languages: String,
    /// JSON array of availability ranges.
    #[sea_orm(column_type = "Text")]
    pub availability: String,
    /// How far the volunteer will travel.
    pub max_travel_m: i32,
    /// Holds a VOG.
    pub has_vog: bool,
    /// active | paused.
    pub status: String,
    /// The person's home cell.
    pub cell: i64,
    /// Storage cell (res 9).
    pub index_cell: i64,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
