//! Geo index maths, free of web and database types: distances, the cell cover of a radius,
//! and placing a point in its CBS wijk and gemeente.

pub mod areas;
pub mod cover;
pub mod geojson;

use crate::domain::Coordinates;

pub use areas::{AreaIndex, AreaShape, Placement};
pub use cover::{CellRange, STORAGE_RESOLUTION, coarse_ranges, covering_ranges, region_ranges, storage_cell};

/// Great-circle distance in metres between two points.
pub fn haversine_m(a: Coordinates, b: Coordinates) -> f64 {
    a.distance_m(b)
}

/// The resolution at which "your neighbourhood" is told: a default home cell.
pub const NEIGHBOURHOOD_RESOLUTION: h3o::Resolution = h3o::Resolution::Eight;

/// Whether a home cell lies in the neighbourhood of `centre`: the resolution-8 cell around it
/// or one of the six next to it (about 2 km across). A home cell coarser than resolution 8
/// cannot be placed that close, so it never counts.
pub fn in_neighbourhood(centre: Coordinates, home: h3o::CellIndex) -> bool {
    let Some(home) = home.parent(NEIGHBOURHOOD_RESOLUTION) else { return false };
    let here = centre.cell(NEIGHBOURHOOD_RESOLUTION);
    here.grid_distance(home).is_ok_and(|d| d <= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_neighbourhood_is_a_cell_and_its_ring() {
        let centre = Coordinates::parse(52.4376, 4.8476).unwrap();
        let here = centre.cell(NEIGHBOURHOOD_RESOLUTION);
        for finer in [h3o::Resolution::Eight, h3o::Resolution::Nine, h3o::Resolution::Ten] {
            let home = Coordinates::of_cell_centre(here).cell(finer);
            assert!(in_neighbourhood(centre, home), "{finer:?}");
        }
        let ring: Vec<_> = here.grid_disk::<Vec<_>>(1);
        assert_eq!(ring.len(), 7);
        assert!(ring.iter().all(|c| in_neighbourhood(centre, *c)));
        let further: Vec<_> = here.grid_ring_fast(2).flatten().collect();
        assert!(!further.is_empty() && further.iter().all(|c| !in_neighbourhood(centre, *c)));
        // A resolution-7 home is too coarse to say it is near.
        assert!(!in_neighbourhood(centre, here.parent(h3o::Resolution::Seven).unwrap()));
    }
}
