//! A neighbourhood initiative at a public place.
use sea_orm::entity::prelude::*;

/// A row of `initiatives`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "initiatives")]
pub struct Model {
    /// Identity (UUID v7, so ids sort by creation time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Kind code.
    pub kind: String,
    /// Comma-joined activity category codes.
    #[sea_orm(column_type = "Text")]
    pub categories: String,
    /// Comma-joined ZRM codes.
    #[sea_orm(column_type = "Text")]
    pub zrm_domains: String,
    /// Exact latitude (a public place).
    pub lat: f64,
    /// Exact longitude.
    pub lng: f64,
    /// Address.
    pub address_street: Option<String>,
    /// Address.
    pub address_house_number: Option<String>,
    /// Address.
    pub address_postcode: Option<String>,
    /// Address.
    pub address_city: Option<String>,
    /// JSON array of opening ranges.
    #[sea_orm(column_type = "Text")]
    pub schedule: String,
    /// Free text about the schedule.
    pub schedule_note: Option<String>,
    /// Contact.
    pub contact_email: Option<String>,
    /// Contact.
    pub contact_phone: Option<String>,
    /// Contact.
    pub contact_website: Option<String>,
    /// Comma-joined language codes.
    #[sea_orm(column_type = "Text")]
    pub languages: String,
    /// Accessibility notes.
    pub accessibility: Option<String>,
    /// free | contribution | paid.
    pub cost_kind: String,
    /// Cost note.
    pub cost_note: Option<String>,
    /// Places available, when limited.
    pub capacity: Option<i32>,
    /// active | paused | ended.
    pub status: String,
    /// When the organiser last confirmed the details.
    pub last_confirmed_at: Option<DateTimeUtc>,
    /// Storage cell (res 9) of the point.
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
