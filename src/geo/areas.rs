//! Placing a point in its CBS wijk, and through the wijk in its gemeente.
//!
//! We take the gemeente from the wijk rather than from the gemeente outlines because the
//! wijken tile the country while separately simplified gemeente outlines do not agree with them.

use std::collections::HashMap;

use ::geo::{BoundingRect, Closest, ClosestPoint, Intersects, MultiPolygon, Point, Rect};

use crate::domain::Coordinates;

/// How far from every wijk a point may be and still be placed in the nearest one. The bundled
/// CBS outlines are generalised by hundreds of metres along coasts and rivers.
pub const NEAREST_WIJK_MAX_M: f64 = 2_000.0;

/// Size of a grid bucket in degrees; a wijk is a few km across.
const BUCKET_DEG: f64 = 0.02;

/// One wijk's outline with the codes it carries.
#[derive(Debug, Clone)]
pub struct AreaShape {
    /// The wijk code (WK...).
    pub code: String,
    /// The gemeente code (GM...) the wijk belongs to.
    pub gemeente_code: String,
    /// The outline, longitude as x and latitude as y.
    pub geometry: MultiPolygon<f64>,
}

/// Where a point lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The wijk code.
    pub wijk_code: String,
    /// The gemeente code, from the wijk.
    pub gemeente_code: String,
}

/// An in-memory index over wijk outlines: a uniform grid of bounding boxes, then exact
/// point-in-polygon. Self-intersecting rings are tolerated (the crossing test still answers).
#[derive(Debug, Default)]
pub struct AreaIndex {
    wijken: Vec<AreaShape>,
    bounds: Vec<Rect<f64>>,
    buckets: HashMap<(i32, i32), Vec<u32>>,
}

fn bucket(x: f64, y: f64) -> (i32, i32) {
    ((x / BUCKET_DEG).floor() as i32, (y / BUCKET_DEG).floor() as i32)
}

impl AreaIndex {
    /// Builds the index; wijken are kept in code order so ties resolve the same way every time.
    pub fn new(mut wijken: Vec<AreaShape>) -> Self {
        wijken.sort_by(|a, b| a.code.cmp(&b.code));
        let mut index = Self { wijken: Vec::new(), bounds: Vec::new(), buckets: HashMap::new() };
        for shape in wijken {
            let Some(rect) = shape.geometry.bounding_rect() else { continue };
            let i = index.wijken.len() as u32;
            let (x0, y0) = bucket(rect.min().x, rect.min().y);
            let (x1, y1) = bucket(rect.max().x, rect.max().y);
            for bx in x0..=x1 {
                for by in y0..=y1 {
                    index.buckets.entry((bx, by)).or_default().push(i);
                }
            }
            index.bounds.push(rect);
            index.wijken.push(shape);
        }
        index
    }

    /// Number of wijken indexed.
    pub fn len(&self) -> usize {
        self.wijken.len()
    }

    /// True when no wijk is indexed.
    pub fn is_empty(&self) -> bool {
        self.wijken.is_empty()
    }

    /// The wijk containing the point (boundary included), else the nearest wijk within
    /// [`NEAREST_WIJK_MAX_M`], else `None`.
    pub fn locate(&self, point: Coordinates) -> Option<Placement> {
        self.containing(point).or_else(|| self.nearest(point, NEAREST_WIJK_MAX_M))
    }

    /// Only exact containment.
    pub fn containing(&self, point: Coordinates) -> Option<Placement> {
        let p = Point::new(point.lng(), point.lat());
        let candidates = self.buckets.get(&bucket(p.x(), p.y()))?;
        candidates
            .iter()
            .map(|&i| i as usize)
            .find(|&i| self.bounds[i].intersects(&p) && self.wijken[i].geometry.intersects(&p))
            .map(|i| self.placement(i))
    }

    fn nearest(&self, point: Coordinates, max_m: f64) -> Option<Placement> {
        let p = Point::new(point.lng(), point.lat());
        // Degrees of latitude per metre, generously rounded so the search box is never short.
        let span = max_m / 100_000.0 / point.lat().to_radians().cos().max(0.1);
        let (x0, y0) = bucket(p.x() - span, p.y() - span);
        let (x1, y1) = bucket(p.x() + span, p.y() + span);
        let mut seen = std::collections::BTreeSet::new();
        for bx in x0..=x1 {
            for by in y0..=y1 {
                if let Some(list) = self.buckets.get(&(bx, by)) {
                    seen.extend(list.iter().copied());
                }
            }
        }
        let mut best: Option<(f64, usize)> = None;
        for i in seen {
            let i = i as usize;
            let closest = match self.wijken[i].geometry.closest_point(&p) {
                Closest::Intersection(c) | Closest::SinglePoint(c) => c,
                Closest::Indeterminate => continue,
            };
            let d = point.distance_m(Coordinates::parse(closest.y(), closest.x()).ok()?);
            if d <= max_m && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, i));
            }
        }
        best.map(|(_, i)| self.placement(i))
    }

    fn placement(&self, i: usize) -> Placement {
        let w = &self.wijken[i];
        Placement { wijk_code: w.code.clone(), gemeente_code: w.gemeente_code.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::geo::{LineString, Polygon};

    fn square(code: &str, gm: &str, x: f64, y: f64, size: f64) -> AreaShape {
        let ring = LineString::from(vec![(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]);
        AreaShape { code: code.into(), gemeente_code: gm.into(), geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]) }
    }

    fn pt(lat: f64, lng: f64) -> Coordinates {
        Coordinates::parse(lat, lng).unwrap()
    }

    #[test]
    fn locates_inside_on_boundary_and_near() {
        let index = AreaIndex::new(vec![square("WK000101", "GM0001", 4.00, 52.00, 0.05), square("WK000201", "GM0002", 4.05, 52.00, 0.05)]);
        assert_eq!(index.locate(pt(52.01, 4.01)).unwrap().wijk_code, "WK000101");
        assert_eq!(index.locate(pt(52.01, 4.06)).unwrap().gemeente_code, "GM0002");
        // On the shared edge: one of the two, the same every time.
        let edge = index.locate(pt(52.02, 4.05)).unwrap();
        assert_eq!(edge, index.locate(pt(52.02, 4.05)).unwrap());
        // 500 m south of the squares: nearest; 5 km south: nothing.
        assert_eq!(index.locate(pt(51.9955, 4.01)).unwrap().wijk_code, "WK000101");
        assert!(index.containing(pt(51.9955, 4.01)).is_none());
        assert!(index.locate(pt(51.95, 4.01)).is_none());
    }

    #[test]
    fn self_intersecting_ring_does_not_panic() {
        let bow = LineString::from(vec![(4.0, 52.0), (4.1, 52.1), (4.1, 52.0), (4.0, 52.1), (4.0, 52.0)]);
        let index = AreaIndex::new(vec![AreaShape {
            code: "WK000301".into(),
            gemeente_code: "GM0003".into(),
            geometry: MultiPolygon(vec![Polygon::new(bow, vec![])]),
        }]);
        let _ = index.locate(pt(52.05, 4.05));
        assert!(index.locate(pt(52.05, 4.02)).is_some());
    }
}
