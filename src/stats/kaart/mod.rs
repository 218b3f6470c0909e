//! The kaart's counting: demand and supply per map feature (an H3 cell or a wijk), the gap,
//! and the share of requests with a candidate nearby; then what of it may be shown ([`shown`]).
//!
//! Plain Rust over plain values: the service reads the rows, this module counts them, so the
//! definitions live in one place and are tested (and benchmarked) without a database.

mod reach;
pub mod shown;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use h3o::{CellIndex, Resolution};

use crate::domain::{ActivityCategory, Coordinates, ZrmDomain};
pub use reach::distance_to_area_m;
use reach::{Grid, VolunteerGroups};
pub use shown::{ShownCounts, shown};

/// A request still open this long after it was posted, with no accepted match or referral,
/// is unmet.
pub const UNMET_AFTER_DAYS: i64 = 14;

/// How near a candidate must be for a request to count as having one.
pub const CANDIDATE_RADIUS_M: f64 = 1_500.0;

/// Activity categories and ZRM domains as bit masks (bit = position in the vocabulary), so
/// that "shares at least one" is one AND.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tags {
    /// Activity categories.
    pub categories: u64,
    /// ZRM life domains.
    pub zrm: u64,
}

impl Tags {
    /// The masks of these codes.
    pub fn of(categories: &[ActivityCategory], zrm: &[ZrmDomain]) -> Self {
        let mut t = Self::default();
        for c in categories {
            t.categories |= category_bit(*c);
        }
        for z in zrm {
            t.zrm |= zrm_bit(*z);
        }
        t
    }

    /// Whether the two share a category or a domain.
    pub fn meets(self, other: Tags) -> bool {
        self.categories & other.categories != 0 || self.zrm & other.zrm != 0
    }

    /// Both masks together.
    fn or(self, other: Tags) -> Tags {
        Tags { categories: self.categories | other.categories, zrm: self.zrm | other.zrm }
    }
}

/// The bit of a category.
pub fn category_bit(c: ActivityCategory) -> u64 {
    ActivityCategory::ALL.iter().position(|x| *x == c).map_or(0, |i| 1 << i)
}

/// The bit of a ZRM domain.
pub fn zrm_bit(z: ZrmDomain) -> u64 {
    ZrmDomain::ALL.iter().position(|x| *x == z).map_or(0, |i| 1 << i)
}

/// Whether a request is unmet at `now`: posted at least [`UNMET_AFTER_DAYS`] ago and not
/// helped so far (`helped_at` is the first acceptance of a match or referral, if any).
pub fn is_unmet(posted: DateTime<Utc>, helped_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    posted <= now - Duration::days(UNMET_AFTER_DAYS) && helped_at.is_none_or(|h| h > now)
}

/// Where an item of the area is counted: its storage cell (resolution 9) and, for the wijk
/// map, the index of its wijk in [`Grouping::Wijken`] (`None` outside them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spot {
    /// The storage cell.
    pub cell: CellIndex,
    /// The wijk's position in the map's list.
    pub wijk: Option<usize>,
}

/// An open request of the area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    /// Where it is counted; distances go from its storage cell's centre.
    pub spot: Spot,
    /// Its categories and domains.
    pub tags: Tags,
    /// See [`is_unmet`].
    pub unmet: bool,
}

/// An open offer, or an active initiative with places left: supply at a place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Supply {
    /// Where it is counted, when it is of the area; `None` for one just over the border,
    /// which is only a candidate.
    pub spot: Option<Spot>,
    /// Its place for distances: an offer's storage-cell centre, an initiative's own point.
    pub at: Coordinates,
    /// What it helps with.
    pub tags: Tags,
}

/// An active volunteer, wherever they live.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Volunteer {
    /// Their home cell (at the precision they chose); distances go from its centre.
    pub home: CellIndex,
    /// How far they will travel, in metres.
    pub travel_m: f64,
    /// Skills and domains.
    pub tags: Tags,
}

/// What the features of a map are.
#[derive(Debug, Clone)]
pub enum Grouping {
    /// H3 cells at `resolution`: `area_cells` (those whose centre lies in the area) and any
    /// other cell holding a counted item.
    Cells {
        /// The map's resolution.
        resolution: Resolution,
        /// The cells whose centre lies in the area.
        area_cells: Vec<CellIndex>,
    },
    /// Wijken, each with its outline (lng/lat, as GeoJSON has it).
    Wijken(Vec<::geo::MultiPolygon<f64>>),
}

/// Where a feature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeatureKey {
    /// A cell at the map's resolution.
    Cell(CellIndex),
    /// The wijk at this position of [`Grouping::Wijken`].
    Wijk(usize),
}

/// The counts of one feature or of the whole area, before k = 5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Open requests.
    pub requests_open: u64,
    /// Of those, unmet.
    pub requests_unmet: u64,
    /// Of the open requests, those with a candidate within [`CANDIDATE_RADIUS_M`].
    pub requests_with_candidate: u64,
    /// Open offers.
    pub offers_open: u64,
    /// Active volunteers who reach the feature (for the area: reach any of its features).
    pub volunteers_reaching: u64,
    /// Active initiatives with places left.
    pub initiatives_with_places: u64,
}

/// Every feature's counts, in key order, and the area's.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    /// Per feature.
    pub features: Vec<(FeatureKey, Counts)>,
    /// The area: sums of the features, except volunteers, counted once each.
    pub total: Counts,
}

/// The input of one kaart.
#[derive(Debug, Clone, Default)]
pub struct Items {
    /// Open requests of the area.
    pub requests: Vec<Request>,
    /// Open offers, of the area and just over its border.
    pub offers: Vec<Supply>,
    /// Active initiatives with places left, of the area and just over its border.
    pub initiatives: Vec<Supply>,
    /// Active volunteers of the region.
    pub volunteers: Vec<Volunteer>,
}

/// The features of a grouping and where each item of the area falls.
struct Features {
    keys: Vec<FeatureKey>,
    index: HashMap<FeatureKey, usize>,
    resolution: Option<Resolution>,
}

impl Features {
    fn new(grouping: &Grouping) -> Self {
        let keys: Vec<FeatureKey> = match grouping {
            Grouping::Cells { area_cells, .. } => area_cells.iter().map(|c| FeatureKey::Cell(*c)).collect(),
            Grouping::Wijken(w) => (0..w.len()).map(FeatureKey::Wijk).collect(),
        };
        let resolution = match grouping {
            Grouping::Cells { resolution, .. } => Some(*resolution),
            Grouping::Wijken(_) => None,
        };
        let mut f = Self { keys: Vec::new(), index: HashMap::new(), resolution };
        for k in keys {
            f.add(k);
        }
        f
    }

    fn add(&mut self, k: FeatureKey) -> usize {
        *self.index.entry(k).or_insert_with(|| {
            self.keys.push(k);
            self.keys.len() - 1
        })
    }

    /// The feature an item at `spot` is counted in, added when it is a cell not listed yet.
    fn of(&mut self, spot: Spot) -> Option<usize> {
        match self.resolution {
            Some(res) => spot.cell.parent(res).map(|c| self.add(FeatureKey::Cell(c))),
            None => spot.wijk.filter(|w| self.index.contains_key(&FeatureKey::Wijk(*w))),
        }
    }
}

/// The centre of a storage cell.
pub fn centre(cell: CellIndex) -> Coordinates {
    Coordinates::of_cell_centre(cell)
}

/// Counts every feature of `grouping` from `items`.
///
/// The candidate share is worked out per distinct storage cell of the requests, not per
/// request: the categories and domains of all the supply within reach of that cell are ORed
/// together, and a request is covered when its own masks meet them.
pub fn count(grouping: &Grouping, items: &Items) -> Counted {
    let mut features = Features::new(grouping);
    let mut counts: Vec<Counts> = vec![Counts::default(); features.keys.len()];
    fn bump(features: &mut Features, counts: &mut Vec<Counts>, spot: Spot, f: &dyn Fn(&mut Counts)) {
        if let Some(i) = features.of(spot) {
            if counts.len() <= i {
                counts.resize(i + 1, Counts::default());
            }
            f(&mut counts[i]);
        }
    }

    // Supply near each storage cell that holds a request.
    let reference = items.requests.first().map(|r| centre(r.spot.cell).lat()).unwrap_or(52.0);
    let mut grid = Grid::new(reference);
    for s in items.offers.iter().chain(&items.initiatives) {
        grid.add_point(s.at, s.tags);
    }
    let groups = VolunteerGroups::new(&items.volunteers);
    for (g, group) in groups.iter().enumerate() {
        grid.add_group(group.at, g);
    }
    let mut reached: HashMap<CellIndex, Tags> = HashMap::new();
    for r in &items.requests {
        reached.entry(r.spot.cell).or_insert_with(|| grid.reach(centre(r.spot.cell), CANDIDATE_RADIUS_M, &groups));
    }

    for r in &items.requests {
        let covered = reached.get(&r.spot.cell).is_some_and(|t| r.tags.meets(*t));
        bump(&mut features, &mut counts, r.spot, &|c| {
            c.requests_open += 1;
            c.requests_unmet += u64::from(r.unmet);
            c.requests_with_candidate += u64::from(covered);
        });
    }
    for s in &items.offers {
        if let Some(spot) = s.spot {
            bump(&mut features, &mut counts, spot, &|c| c.offers_open += 1);
        }
    }
    for s in &items.initiatives {
        if let Some(spot) = s.spot {
            bump(&mut features, &mut counts, spot, &|c| c.initiatives_with_places += 1);
        }
    }
    counts.resize(features.keys.len(), Counts::default());

    // Volunteers, per group of the same home: how many of them reach each feature, and how
    // near the group's home the nearest feature is (for the area's total, once each).
    let mut nearest = vec![f64::INFINITY; groups.len()];
    for (i, key) in features.keys.iter().enumerate() {
        let target = match (key, grouping) {
            (FeatureKey::Cell(c), _) => reach::Target::Point(centre(*c)),
            (FeatureKey::Wijk(w), Grouping::Wijken(shapes)) => reach::Target::Area(&shapes[*w]),
            (FeatureKey::Wijk(_), Grouping::Cells { .. }) => continue,
        };
        for (g, group) in groups.iter().enumerate() {
            let d = target.distance_m(group.at);
            nearest[g] = nearest[g].min(d);
            counts[i].volunteers_reaching += group.reaching(d) as u64;
        }
    }
    let volunteers_total: u64 = groups.iter().zip(&nearest).map(|(g, d)| g.reaching(*d) as u64).sum();

    let mut features: Vec<(FeatureKey, Counts)> = features.keys.into_iter().zip(counts).collect();
    features.sort_by_key(|(k, _)| *k);
    let mut total = features.iter().fold(Counts::default(), |a, (_, c)| Counts {
        requests_open: a.requests_open + c.requests_open,
        requests_unmet: a.requests_unmet + c.requests_unmet,
        requests_with_candidate: a.requests_with_candidate + c.requests_with_candidate,
        offers_open: a.offers_open + c.offers_open,
        volunteers_reaching: 0,
        initiatives_with_places: a.initiatives_with_places + c.initiatives_with_places,
    });
    total.volunteers_reaching = volunteers_total;
    Counted { features, total }
}

#[cfg(test)]
mod tests;
