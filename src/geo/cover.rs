//! Covering a circle with H3 descendant ranges, so that a radius query becomes a handful of
//! `index_cell BETWEEN lo AND hi` lookups on one indexed BIGINT column.
//!
//! Every item stores the resolution-9 cell of its distance point (an exact point, or a
//! person's cell centre). The cover must contain every resolution-9 cell whose items could lie
//! within the radius; items found are then filtered by exact haversine distance, so the cover
//! may over-fetch but must never miss.

use h3o::{CellIndex, Resolution};

use crate::domain::{CellId, Coordinates, Radius};

/// The resolution at which every item's `index_cell` is stored (edge about 200 m).
pub const STORAGE_RESOLUTION: Resolution = Resolution::Nine;

/// The widest grid disk we compute before stepping to a coarser resolution.
const MAX_RING: u32 = 12;

/// H3 descendants are not geometrically inside their ancestor (aperture 7 rotates each level),
/// so the points of a cell's storage-resolution descendants reach further from its centre than
/// its own vertices. The series 1 + 1/√7 + 1/7 + ... < 1.61 bounds that reach in edge lengths.
const DESCENDANT_REACH: f64 = 1.65;

/// An inclusive range of storage-resolution cell values, as stored in the BIGINT column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellRange {
    /// Lowest value (inclusive).
    pub lo: i64,
    /// Highest value (inclusive).
    pub hi: i64,
}

impl CellRange {
    /// True when `value` lies in the range.
    pub fn contains(&self, value: i64) -> bool {
        self.lo <= value && value <= self.hi
    }
}

/// The storage cell of a point.
pub fn storage_cell(point: Coordinates) -> CellId {
    CellId::new(point.cell(STORAGE_RESOLUTION))
}

/// The ranges of storage cells that together hold every point within `radius` of `centre`.
///
/// Sorted, non-overlapping and merged wherever no valid cell lies between two ranges.
pub fn covering_ranges(centre: Coordinates, radius: Radius) -> Vec<CellRange> {
    let r = radius.metres();
    let (origin, k, reach) = choose_grid(centre, r);
    let cells: Vec<CellIndex> =
        origin.grid_disk::<Vec<_>>(k).into_iter().filter(|c| centre.distance_m(Coordinates::of_cell_centre(*c)) <= r + reach).collect();
    ranges_of(cells)
}

/// Storage ranges covering every point within `r` metres of any of `points`: the region a
/// matching run over many needs draws its helpers from, in one read.
///
/// Points are grouped by their resolution-7 cell; each group is covered as one circle around
/// the cell centre, widened by the group's own spread, so the cover stays a few dozen ranges
/// for a whole gemeente.
pub fn region_ranges(points: &[Coordinates], r: f64) -> Vec<CellRange> {
    let mut groups: std::collections::BTreeMap<CellIndex, f64> = std::collections::BTreeMap::new();
    for p in points {
        let cell = p.cell(Resolution::Seven);
        let spread = p.distance_m(Coordinates::of_cell_centre(cell));
        let e = groups.entry(cell).or_insert(0.0);
        *e = e.max(spread);
    }
    let mut cells = Vec::new();
    for (cell, spread) in groups {
        let centre = Coordinates::of_cell_centre(cell);
        // A metre more than the spread: the farthest point of the group must not be lost to rounding.
        let wide = r + spread + 1.0;
        let (origin, k, reach) = choose_grid(centre, wide);
        cells.extend(
            origin.grid_disk::<Vec<_>>(k).into_iter().filter(|c| centre.distance_m(Coordinates::of_cell_centre(*c)) <= wide + reach),
        );
    }
    cells.sort_unstable();
    cells.dedup();
    ranges_of(cells)
}

/// The storage ranges of the descendants of `cells`, as few as possible.
fn ranges_of(mut cells: Vec<CellIndex>) -> Vec<CellRange> {
    // Compaction replaces full sibling sets by their parent: fewer, wider ranges.
    if CellIndex::compact(&mut cells).is_err() {
        cells.sort_unstable();
        cells.dedup();
    }
    let mut ranges: Vec<CellRange> = cells.into_iter().map(descendant_range).collect();
    ranges.sort_unstable();
    merge(ranges)
}

/// Storage ranges of the items shown at `res` within `radius` of `centre`: the descendants
/// of every cell at `res` whose centre lies within the radius.
///
/// This is how a coarsened item is found: it is as near as the centre of its coarse cell, and
/// nothing finer about it may decide whether it matches.
pub fn coarse_ranges(centre: Coordinates, radius: Radius, res: Resolution) -> Vec<CellRange> {
    let r = radius.metres();
    let origin = centre.cell(res);
    let (e_min, _) = edge_bounds(origin);
    // Centres of cells k rings out are at least 1.5 * k * edge away (the bound `choose_grid`
    // uses); one ring more for the origin's own offset.
    let k = (r / (1.5 * e_min * 0.95)).ceil() as u32 + 1;
    ranges_of(origin.grid_disk::<Vec<_>>(k).into_iter().filter(|c| centre.distance_m(Coordinates::of_cell_centre(*c)) <= r).collect())
}

/// Picks the finest resolution at which the disk stays small, and its ring count.
///
/// Returns the origin cell, the ring count k and the pruning reach (metres added to the radius).
fn choose_grid(centre: Coordinates, r: f64) -> (CellIndex, u32, f64) {
    let mut res = STORAGE_RESOLUTION;
    loop {
        let origin = centre.cell(res);
        let (e_min, e_max) = edge_bounds(origin);
        // A storage cell holding a point within r has an ancestor whose centre is within
        // r + reach of the centre; the origin's centre is within e_max of the point asked for.
        let reach = DESCENDANT_REACH * e_max * 1.05;
        // Cells k+1 rings out have centres at least 1.5 * (k + 1) * edge from the origin's.
        let spacing = 1.5 * e_min * 0.95;
        let needed = ((r + reach + e_max * 1.05) / spacing).ceil();
        let k = needed.max(1.0) as u32;
        if k <= MAX_RING || res == Resolution::Zero {
            return (origin, k, reach);
        }
        res = res.pred().unwrap_or(Resolution::Zero);
    }
}

/// The shortest and longest edge of a cell, in metres.
fn edge_bounds(cell: CellIndex) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = 0.0_f64;
    for edge in cell.edges() {
        let l = edge.length_m();
        lo = lo.min(l);
        hi = hi.max(l);
    }
    (lo, hi)
}

/// All storage-resolution descendants of `cell` as one contiguous range.
fn descendant_range(cell: CellIndex) -> CellRange {
    if cell.resolution() >= STORAGE_RESOLUTION {
        let v = u64::from(cell) as i64;
        return CellRange { lo: v, hi: v };
    }
    let lo = cell.center_child(STORAGE_RESOLUTION).expect("finer resolution");
    let last = cell.children_count(STORAGE_RESOLUTION) - 1;
    let hi = cell.child_at(last, STORAGE_RESOLUTION).expect("last child exists");
    CellRange { lo: u64::from(lo) as i64, hi: u64::from(hi) as i64 }
}

/// The next storage-resolution index value after `value` in digit order, or `None` when the
/// base cell would change. The value may name a deleted pentagon child, which never occurs in
/// storage, so merging up to it stays exact.
fn successor(value: i64) -> Option<i64> {
    let mut v = value as u64;
    let storage = u8::from(STORAGE_RESOLUTION) as u32;
    for level in (1..=storage).rev() {
        let shift = 3 * (15 - level);
        let digit = (v >> shift) & 0b111;
        if digit < 6 {
            v = (v & !(0b111 << shift)) | ((digit + 1) << shift);
            return Some(v as i64);
        }
        v &= !(0b111 << shift);
    }
    None
}

/// Merges sorted ranges that touch, i.e. with no valid storage cell between them.
fn merge(ranges: Vec<CellRange>) -> Vec<CellRange> {
    let mut out: Vec<CellRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        if let Some(last) = out.last_mut()
            && (r.lo <= last.hi || successor(last.hi).is_some_and(|next| next >= r.lo))
        {
            last.hi = last.hi.max(r.hi);
            continue;
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A storage cell is in the coarse ranges exactly when the centre of its ancestor at the
        /// coarse resolution is within the radius.
        #[test]
        fn coarse_ranges_follow_the_coarse_centre(lat in 50.5f64..53.5, lng in 3.5f64..7.0, r in 100.0f64..8_000.0, offsets in proptest::collection::vec((0.0f64..360.0, 0.0f64..12_000.0), 40)) {
            let centre = pt(lat, lng);
            let radius = Radius::parse(r).unwrap();
            let ranges = coarse_ranges(centre, radius, Resolution::Seven);
            for (bearing, d) in offsets {
                let p = destination(centre, bearing, d);
                let cell = storage_cell(p);
                let coarse = cell.index().parent(Resolution::Seven).unwrap();
                let want = centre.distance_m(Coordinates::of_cell_centre(coarse)) <= radius.metres();
                let got = ranges.iter().any(|x| x.contains(cell.to_db()));
                prop_assert_eq!(got, want, "centre {:?} r {} point {:?} coarse centre at {} m", centre, r, p, centre.distance_m(Coordinates::of_cell_centre(coarse)));
            }
        }
    }

    fn pt(lat: f64, lng: f64) -> Coordinates {
        Coordinates::parse(lat, lng).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// A region around many needs holds every point within the radius of any of them.
        #[test]
        fn a_region_holds_everything_near_any_need(
            lat in 51.0f64..53.3, lng in 4.0f64..6.8,
            r in 100.0f64..10_000.0,
            needs in proptest::collection::vec((0.0f64..360.0, 0.0f64..15_000.0), 1..30),
            probes in proptest::collection::vec((0.0f64..360.0, 0.0f64..1.2), 30),
        ) {
            let origin = pt(lat, lng);
            let points: Vec<Coordinates> = needs.iter().map(|(b, d)| destination(origin, *b, *d)).collect();
            let ranges = region_ranges(&points, r);
            for w in ranges.windows(2) {
                prop_assert!(w[0].hi < w[1].lo, "ranges overlap or are unsorted: {:?}", w);
            }
            for (i, (bearing, f)) in probes.iter().enumerate() {
                let need = points[i % points.len()];
                let p = destination(need, *bearing, r * f);
                if need.distance_m(p) <= r {
                    prop_assert!(ranges.iter().any(|x| x.contains(storage_cell(p).to_db())), "{:?} within {} m of {:?} is missed", p, r, need);
                }
            }
        }
    }

    /// Brute force: every storage cell of a point within the radius must fall in a range.
    fn assert_covers(centre: Coordinates, radius: Radius, points: &[Coordinates]) {
        let ranges = covering_ranges(centre, radius);
        for w in ranges.windows(2) {
            assert!(w[0].hi < w[1].lo, "ranges overlap or are unsorted: {w:?}");
        }
        for p in points {
            let inside = centre.distance_m(*p) <= radius.metres();
            let cell = storage_cell(*p).to_db();
            let covered = ranges.iter().any(|r| r.contains(cell));
            if inside {
                assert!(covered, "point {p:?} at {} m of {centre:?} (r={}) missed", centre.distance_m(*p), radius.metres());
            }
        }
    }

    #[test]
    fn ranges_are_few_for_typical_radii() {
        let c = pt(52.4386, 4.8263); // Zaandam
        for (r, max) in [(500.0, 40), (1_000.0, 60), (5_000.0, 120)] {
            let n = covering_ranges(c, Radius::parse(r).unwrap()).len();
            assert!(n <= max, "{r} m gave {n} ranges");
        }
    }

    #[test]
    fn successor_steps_digits_and_carries() {
        let c = pt(52.0, 5.0).cell(STORAGE_RESOLUTION);
        let v = u64::from(c) as i64;
        let next = successor(v).unwrap();
        assert!(next > v);
        // The successor is a valid res-9 cell (or a deleted pentagon child) with trailing 7s.
        assert_eq!((next as u64) & ((1 << 18) - 1), (1 << 18) - 1);
    }

    #[test]
    fn merging_keeps_membership() {
        let c = pt(52.37, 4.89);
        let r = Radius::parse(3_000.0).unwrap();
        let ranges = covering_ranges(c, r);
        // Every cell in every range that is a real cell lies within reach of the centre.
        for range in &ranges {
            let lo = CellIndex::try_from(range.lo as u64).unwrap();
            let hi = CellIndex::try_from(range.hi as u64).unwrap();
            assert!(c.distance_m(Coordinates::of_cell_centre(lo)) < 3_000.0 + 3_000.0);
            assert!(c.distance_m(Coordinates::of_cell_centre(hi)) < 3_000.0 + 3_000.0);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Random centres over the Netherlands, random radii, random points around them.
        #[test]
        fn cover_never_misses_in_the_netherlands(
            lat in 50.7f64..53.6, lng in 3.3f64..7.3,
            r in 1.0f64..50_000.0,
            offsets in proptest::collection::vec((0.0f64..1.0, 0.0f64..360.0), 60),
        ) {
            let centre = pt(lat, lng);
            let radius = Radius::parse(r).unwrap();
            let points: Vec<_> = offsets.iter().map(|(f, bearing)| {
                // Points from the centre out to 1.3 r, denser near the rim where misses happen.
                let d = radius.metres() * (0.7 + 0.6 * f);
                destination(centre, *bearing, d)
            }).collect();
            assert_covers(centre, radius, &points);
        }

        /// The same anywhere on earth away from the poles, including near pentagons.
        #[test]
        fn cover_never_misses_worldwide(
            lat in -80.0f64..80.0, lng in -179.0f64..179.0,
            r in 1.0f64..20_000.0,
            offsets in proptest::collection::vec((0.9f64..1.0, 0.0f64..360.0), 30),
        ) {
            let centre = pt(lat, lng);
            let radius = Radius::parse(r).unwrap();
            let points: Vec<_> = offsets.iter().map(|(f, b)| destination(centre, *b, radius.metres() * f)).collect();
            assert_covers(centre, radius, &points);
        }
    }

    /// The point `d` metres from `c` along `bearing` degrees (spherical earth).
    pub(crate) fn destination(c: Coordinates, bearing: f64, d: f64) -> Coordinates {
        let r = 6_371_008.8;
        let (lat1, lng1, b) = (c.lat().to_radians(), c.lng().to_radians(), bearing.to_radians());
        let ad = d / r;
        let lat2 = (lat1.sin() * ad.cos() + lat1.cos() * ad.sin() * b.cos()).asin();
        let lng2 = lng1 + (b.sin() * ad.sin() * lat1.cos()).atan2(ad.cos() - lat1.sin() * lat2.sin());
        let lng2 = (lng2.to_degrees() + 540.0) % 360.0 - 180.0;
        pt(lat2.to_degrees(), lng2)
    }
}
