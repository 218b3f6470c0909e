//! Geo index maths, free of web and database types: distances, the cell cover of a radius,
//! and placing a point in its CBS wijk and gemeente.

pub mod areas;
pub mod cover;
pub mod geojson;

use ::geo::{Distance, Haversine, Point};

use crate::domain::Coordinates;

pub use areas::{AreaIndex, AreaShape, Placement};
pub use cover::{CellRange, STORAGE_RESOLUTION, coarse_ranges, covering_ranges, storage_cell};

/// Great-circle distance in metres between two points.
pub fn haversine_m(a: Coordinates, b: Coordinates) -> f64 {
    Haversine.distance(Point::new(a.lng(), a.lat()), Point::new(b.lng(), b.lat()))
}
