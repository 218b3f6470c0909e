//! A CBS gemeente or wijk with its boundary.
use sea_orm::entity::prelude::*;

/// A row of `areas`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "areas")]
pub struct Model {
    /// GM.... or WK......
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// `gemeente` or `wijk`.
    pub level: String,
    /// The CBS name.
    pub name: String,
    /// For a wijk, its gemeente.
    pub gemeente_code: Option<String>,
    /// GeoJSON geometry (Polygon or MultiPolygon).
    #[sea_orm(column_type = "Text")]
    pub geometry: String,
    /// Bounding box.
    pub min_lat: f64,
    /// Bounding box.
    pub min_lng: f64,
    /// Bounding box.
    pub max_lat: f64,
    /// Bounding box.
    pub max_lng: f64,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
