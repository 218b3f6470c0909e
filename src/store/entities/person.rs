//! A resident. The home location is only ever a cell.
use sea_orm::entity::prelude::*;

/// A row of `people`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "people")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Comma-joined language codes.
    #[sea_orm(column_type = "Text")]
    pub languages: String,
    /// Contact.
    pub contact_email: Option<String>,
    /// Contact.
    pub contact_phone: Option<String>,
    /// The home cell at the chosen precision.
    pub home_cell: i64,
    /// 7, 8 or 9.
    pub location_precision: i16,
    /// Storage cell (res 9) of the home cell's centre.
    pub index_cell: i64,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
    /// The user at the token issuer this person is.
    pub subject: Option<String>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
