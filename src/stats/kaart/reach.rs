//! Who reaches where: volunteers grouped by home, a coarse planar grid to find the supply near
//! a place without comparing every pair, and the distance from a point to a wijk's outline.

use std::collections::HashMap;

use ::geo::{Contains, Coord, MultiPolygon, Point};
use h3o::CellIndex;

use super::{Tags, Volunteer, centre};
use crate::domain::Coordinates;

/// The mean earth radius the service's haversine uses (metres).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Metres per degree of latitude on that sphere.
const M_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// Side of a grid bucket: the candidate radius plus room for the flat projection's error over
/// a gemeente (well under 100 m at Dutch latitudes), so the 3 × 3 buckets around a place
/// hold everything within the radius.
const BUCKET_M: f64 = 2_000.0;

/// The distance from `at` to the outline `area`, 0 inside it; in metres, measured in a flat
/// projection centred on `at` (true to a fraction of a percent over tens of kilometres).
pub fn distance_to_area_m(at: Coordinates, area: &MultiPolygon<f64>) -> f64 {
    if area.contains(&Point::new(at.lng(), at.lat())) {
        return 0.0;
    }
    let k = at.lat().to_radians().cos();
    let flat = |c: &Coord<f64>| ((c.x - at.lng()) * k * M_PER_DEGREE, (c.y - at.lat()) * M_PER_DEGREE);
    let mut best = f64::INFINITY;
    for polygon in area {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for w in ring.0.windows(2) {
                best = best.min(to_segment(flat(&w[0]), flat(&w[1])));
            }
        }
    }
    best
}

/// The distance from the origin to the segment `a`–`b`.
fn to_segment(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    (x * x + y * y).sqrt()
}

/// What a feature is, for a distance.
pub(super) enum Target<'a> {
    /// A cell centre.
    Point(Coordinates),
    /// A wijk's outline.
    Area(&'a MultiPolygon<f64>),
}

impl Target<'_> {
    pub(super) fn distance_m(&self, from: Coordinates) -> f64 {
        match self {
            Self::Point(p) => p.distance_m(from),
            Self::Area(a) => distance_to_area_m(from, a),
        }
    }
}

/// Volunteers who live in the same home cell, farthest travellers first.
pub(super) struct Group {
    /// The home cell's centre.
    pub at: Coordinates,
    /// Travel distances, longest first.
    travel: Vec<f64>,
    /// `masks[i]`: the tags of the first `i + 1` volunteers together.
    masks: Vec<Tags>,
}

impl Group {
    /// How many of them travel at least `d` metres.
    pub fn reaching(&self, d: f64) -> usize {
        self.travel.partition_point(|t| *t >= d)
    }

    /// The tags of those who travel at least `d` metres.
    fn tags_reaching(&self, d: f64) -> Tags {
        match self.reaching(d) {
            0 => Tags::default(),
            n => self.masks[n - 1],
        }
    }
}

/// Volunteers grouped by home cell: distances are per home, not per person.
pub(super) struct VolunteerGroups(Vec<Group>);

impl VolunteerGroups {
    pub fn new(volunteers: &[Volunteer]) -> Self {
        let mut by_home: HashMap<CellIndex, Vec<&Volunteer>> = HashMap::new();
        for v in volunteers {
            by_home.entry(v.home).or_default().push(v);
        }
        let mut homes: Vec<_> = by_home.into_iter().collect();
        homes.sort_by_key(|(c, _)| *c);
        Self(
            homes
                .into_iter()
                .map(|(home, mut vs)| {
                    vs.sort_by(|a, b| b.travel_m.total_cmp(&a.travel_m));
                    let mut acc = Tags::default();
                    let masks = vs
                        .iter()
                        .map(|v| {
                            acc = acc.or(v.tags);
                            acc
                        })
                        .collect();
                    Group { at: centre(home), travel: vs.iter().map(|v| v.travel_m).collect(), masks }
                })
                .collect(),
        )
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Group> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Places bucketed on a flat grid of [`BUCKET_M`] squares.
pub(super) struct Grid {
    /// Metres per degree of longitude at the reference latitude.
    x_scale: f64,
    points: HashMap<(i64, i64), Vec<(Coordinates, Tags)>>,
    groups: HashMap<(i64, i64), Vec<usize>>,
}

impl Grid {
    pub fn new(reference_lat: f64) -> Self {
        Self { x_scale: reference_lat.to_radians().cos() * M_PER_DEGREE, points: HashMap::new(), groups: HashMap::new() }
    }

    fn bucket(&self, at: Coordinates) -> (i64, i64) {
        ((at.lng() * self.x_scale / BUCKET_M).floor() as i64, (at.lat() * M_PER_DEGREE / BUCKET_M).floor() as i64)
    }

    pub fn add_point(&mut self, at: Coordinates, tags: Tags) {
        self.points.entry(self.bucket(at)).or_default().push((at, tags));
    }

    pub fn add_group(&mut self, at: Coordinates, group: usize) {
        self.groups.entry(self.bucket(at)).or_default().push(group);
    }

    /// The tags of all supply within `radius` (at most [`BUCKET_M`]) of `at`: places within
    /// it, and volunteers within it who also travel that far.
    pub fn reach(&self, at: Coordinates, radius: f64, groups: &VolunteerGroups) -> Tags {
        debug_assert!(radius <= BUCKET_M);
        let (bx, by) = self.bucket(at);
        let mut out = Tags::default();
        for dx in -1..=1 {
            for dy in -1..=1 {
                let b = (bx + dx, by + dy);
                for (p, tags) in self.points.get(&b).into_iter().flatten() {
                    if at.distance_m(*p) <= radius {
                        out = out.or(*tags);
                    }
                }
                for g in self.groups.get(&b).into_iter().flatten() {
                    let group = &groups.0[*g];
                    let d = at.distance_m(group.at);
                    if d <= radius {
                        out = out.or(group.tags_reaching(d));
                    }
                }
            }
        }
        out
    }
}
