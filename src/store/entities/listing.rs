//! An offer or a request.
use sea_orm::entity::prelude::*;

/// A row of `listings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "listings")]
pub struct Model {
    /// Identity.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// offer | request.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Description.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Comma-joined activity category codes.
    #[sea_orm(column_type = "Text")]
    pub categories: String,
    /// Comma-joined ZRM codes.
    #[sea_orm(column_type = "Text")]
    pub zrm_domains: String,
    /// Owner when a person.
    pub owner_person_id: Option<Uuid>,
    /// Owner when an initiative.
    pub owner_initiative_id: Option<Uuid>,
    /// The item's cell: a person's coarse cell, or the res-9 cell of an initiative's point.
    pub cell: i64,
    /// Exact point, only for an initiative's listing.
    pub lat: Option<f64>,
    /// Exact point, only for an initiative's listing.
    pub lng: Option<f64>,
    /// Until when the listing is open.
    pub valid_until: DateTimeUtc,
    /// open | matched | closed | expired (stored; expiry is also derived from valid_until).
    pub status: String,
    /// Storage cell (res 9).
    pub index_cell: i64,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
    /// JSON array of weekly time ranges: a request's free times, an offer's times.
    #[sea_orm(column_type = "Text")]
    pub availability: String,
    /// Comma-joined language codes: a request's languages, an offer's helper's.
    #[sea_orm(column_type = "Text")]
    pub languages: String,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
