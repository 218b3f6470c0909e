//! A matching run over an area: the candidate graph of many needs at once, drawn from one pool
//! of helpers held in memory instead of one database search per need.
//!
//! Each need gets the same helpers `store::candidates::near` would read for it (the nearest
//! [`PER_KIND`] of each kind within its radius, nearest first, ties by id), so a run proposes
//! what the candidates endpoint shows.

use std::collections::HashMap;

use h3o::CellIndex;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use uuid::Uuid;

use super::rank::{self, Candidate, Helper, HelperKind, Need};
use crate::domain::Coordinates;

/// The helpers of each kind considered for one need: the nearest this many.
pub const PER_KIND: usize = 100;

/// The mean earth radius `geo`'s haversine uses, in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

type Entry = GeomWithData<[f64; 3], usize>;

/// A point on the unit sphere. Straight-line (chord) distance between two such points grows
/// with the great-circle distance, so nearest by chord is nearest by haversine, exactly.
fn unit(c: Coordinates) -> [f64; 3] {
    let (lat, lng) = (c.lat().to_radians(), c.lng().to_radians());
    [lat.cos() * lng.cos(), lat.cos() * lng.sin(), lat.sin()]
}

/// The chord on the unit sphere of an arc of `metres`.
fn chord(metres: f64) -> f64 {
    2.0 * (metres / (2.0 * EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2).sin()
}

/// The helpers of a pool by kind, for nearest-neighbour search.
pub struct HelperIndex {
    trees: [RTree<Entry>; 3],
}

fn slot(kind: HelperKind) -> usize {
    match kind {
        HelperKind::Offer => 0,
        HelperKind::Volunteer => 1,
        HelperKind::Initiative(_) => 2,
    }
}

impl HelperIndex {
    /// Indexes `helpers` (positions in the slice are what searches return).
    pub fn new(helpers: &[Helper]) -> Self {
        let mut by_kind: [Vec<Entry>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for (i, h) in helpers.iter().enumerate() {
            by_kind[slot(h.kind)].push(GeomWithData::new(unit(h.location), i));
        }
        let [a, b, c] = by_kind;
        Self { trees: [RTree::bulk_load(a), RTree::bulk_load(b), RTree::bulk_load(c)] }
    }

    /// Positions of the nearest `per_kind` helpers of each kind within `radius_m` of `centre`,
    /// with their distances; each kind nearest first (equal distances by id).
    pub fn nearest(&self, helpers: &[Helper], centre: Coordinates, radius_m: f64, per_kind: usize) -> Vec<(usize, f64)> {
        let q = unit(centre);
        let mut out = Vec::new();
        for tree in &self.trees {
            // (distance, id, position), kept sorted and at most `per_kind` long once full.
            let mut got: Vec<(f64, Uuid, usize)> = Vec::new();
            for (e, d2) in tree.nearest_neighbor_iter_with_distance_2(&q) {
                let bound = if got.len() >= per_kind { got[per_kind - 1].0 } else { radius_m };
                // A hair of slack so that rounding between chord and haversine never stops
                // the walk before an item at exactly the bound.
                if d2.sqrt() > chord(bound) * (1.0 + 1e-9) + 1e-12 {
                    break;
                }
                let h = &helpers[e.data];
                let d = centre.distance_m(h.location);
                if d > radius_m {
                    continue;
                }
                let item = (d, h.id, e.data);
                let at = got.partition_point(|x| (x.0, x.1) < (item.0, item.1));
                got.insert(at, item);
                got.truncate(per_kind);
            }
            out.extend(got.into_iter().map(|(d, _, i)| (i, d)));
        }
        out
    }
}

/// The members of each initiative's network (by initiative id): each person with their home cell.
pub type Homes = HashMap<Uuid, Vec<(Uuid, CellIndex)>>;

/// For each of `initiatives`, how many of its network members live in the neighbourhood of
/// `centre` (see [`crate::geo::in_neighbourhood`]), the requester not counted; only those with any.
pub fn members_nearby(
    centre: Coordinates,
    requester: Option<Uuid>,
    homes: &Homes,
    initiatives: impl IntoIterator<Item = Uuid>,
) -> Vec<(Uuid, u32)> {
    let mut out = Vec::new();
    for i in initiatives {
        let Some(members) = homes.get(&i) else { continue };
        let n = members.iter().filter(|(p, c)| Some(*p) != requester && crate::geo::in_neighbourhood(centre, *c)).count() as u32;
        if n > 0 {
            out.push((i, n));
        }
    }
    out
}

/// The candidate graph of a run: for each need (by position), its `k` best candidates among
/// `helpers`, in need order. `homes` are the home cells of each initiative's network members,
/// for the members-nearby factor; needs keep their own network and requester.
///
/// Needs are independent of each other, so they are ranked on all cores.
pub fn candidate_graph(needs: &mut [Need], helpers: &[Helper], index: &HelperIndex, homes: &Homes, k: usize) -> Vec<(usize, Candidate)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(needs.len().div_ceil(256)).max(1);
    let per_thread = needs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = needs
            .chunks_mut(per_thread)
            .enumerate()
            .map(|(part, chunk)| scope.spawn(move || graph_part(part * per_thread, chunk, helpers, index, homes, k)))
            .collect();
        parts.into_iter().flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

fn graph_part(
    first: usize,
    needs: &mut [Need],
    helpers: &[Helper],
    index: &HelperIndex,
    homes: &Homes,
    k: usize,
) -> Vec<(usize, Candidate)> {
    // Residents' requests sit at their home cell's centre, so many share a place: visited
    // place by place, each place's neighbours are looked up once and only the last is kept
    // (a map of every place's neighbours took up to 48 MB for 10,000 places).
    type Place = (u64, u64, u64);
    let key = |need: &Need| -> Place { (need.location.lat().to_bits(), need.location.lng().to_bits(), need.radius_m.to_bits()) };
    let mut order: Vec<usize> = (0..needs.len()).collect();
    order.sort_by_key(|&n| key(&needs[n]));
    let mut out = Vec::new();
    let mut last: Option<(Place, Vec<(usize, f64)>)> = None;
    for n in order {
        let need = &mut needs[n];
        let at = key(need);
        if last.as_ref().is_none_or(|(k, _)| *k != at) {
            last = Some((at, index.nearest(helpers, need.location, need.radius_m, PER_KIND)));
        }
        let near = last.as_ref().map(|(_, near)| near.as_slice()).unwrap_or_default();
        let groups =
            near.iter().map(|&(i, _)| &helpers[i]).filter(|h| matches!(h.kind, HelperKind::Initiative(_))).filter_map(|h| h.initiative);
        need.members_nearby = members_nearby(need.location, need.requester, homes, groups);
        out.extend(rank::rank_measured(need, near.iter().map(|&(i, d)| (&helpers[i], d)), k).into_iter().map(|c| (first + n, c)));
    }
    // In need order, as the caller expects; each need's candidates keep their rank order.
    out.sort_by_key(|(n, _)| *n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::InitiativeKind;
    use crate::geo::cover::tests::destination;
    use proptest::prelude::*;

    fn helper(i: usize, kind: HelperKind, at: Coordinates) -> Helper {
        Helper { id: Uuid::from_u128(i as u128 + 1), location: at, zrm_domains: vec![], initiative: None, ..rank::tests::helper(kind, 0.0) }
    }

    /// The nearest `per_kind` of each kind within the radius, by brute force.
    fn brute(helpers: &[Helper], centre: Coordinates, r: f64, per_kind: usize) -> Vec<(usize, f64)> {
        let mut out = Vec::new();
        for s in 0..3 {
            let mut v: Vec<(f64, Uuid, usize)> = helpers
                .iter()
                .enumerate()
                .filter(|(_, h)| slot(h.kind) == s)
                .map(|(i, h)| (centre.distance_m(h.location), h.id, i))
                .filter(|x| x.0 <= r)
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            out.extend(v.into_iter().take(per_kind).map(|x| (x.2, x.0)));
        }
        out
    }

    fn kind(i: u8) -> HelperKind {
        match i % 3 {
            0 => HelperKind::Offer,
            1 => HelperKind::Volunteer,
            _ => HelperKind::Initiative(InitiativeKind::InformalGroup),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The index finds exactly the helpers a full scan finds, in the same order.
        #[test]
        fn nearest_equals_a_full_scan(
            lat in 50.8f64..53.5, lng in 3.4f64..7.2,
            spots in proptest::collection::vec((0.0f64..360.0, 0.0f64..20_000.0, 0u8..3), 0..300),
            probes in proptest::collection::vec((0.0f64..360.0, 0.0f64..10_000.0, 1.0f64..15_000.0), 5),
            per_kind in 1usize..40,
        ) {
            let origin = Coordinates::parse(lat, lng).unwrap();
            let helpers: Vec<Helper> = spots.iter().enumerate().map(|(i, (b, d, k))| helper(i, kind(*k), destination(origin, *b, *d))).collect();
            let index = HelperIndex::new(&helpers);
            for (b, d, r) in probes {
                let centre = destination(origin, b, d);
                prop_assert_eq!(index.nearest(&helpers, centre, r, per_kind), brute(&helpers, centre, r, per_kind));
            }
        }

        /// The graph holds, in need order, what ranking each need alone among its own nearest
        /// helpers gives, also where needs share a place (and so one lookup).
        #[test]
        fn the_graph_is_each_need_ranked_alone(
            spots in proptest::collection::vec((0.0f64..360.0, 0.0f64..6_000.0, 0u8..3), 0..120),
            places in proptest::collection::vec((0.0f64..360.0, 0.0f64..5_000.0), 1..6),
            needs_at in proptest::collection::vec((0usize..6, 500.0f64..4_000.0), 1..700),
            k in 1usize..6,
        ) {
            let origin = Coordinates::parse(52.4376, 4.8476).unwrap();
            let helpers: Vec<Helper> = spots.iter().enumerate().map(|(i, (b, d, k))| helper(i, kind(*k), destination(origin, *b, *d))).collect();
            let index = HelperIndex::new(&helpers);
            // Few places and two radii each, so that many needs share a place and some a place but not a radius.
            let mut needs: Vec<Need> = needs_at
                .iter()
                .map(|&(p, r)| {
                    let (b, d) = places[p % places.len()];
                    Need { location: destination(origin, b, d), radius_m: if r < 2_000.0 { 1_500.0 } else { 3_000.0 }, zrm_domains: vec![], ..rank::tests::need() }
                })
                .collect();
            let homes = Homes::new();
            let graph = candidate_graph(&mut needs, &helpers, &index, &homes, k);
            let mut alone = Vec::new();
            for (n, need) in needs.iter().enumerate() {
                let near = index.nearest(&helpers, need.location, need.radius_m, PER_KIND);
                alone.extend(rank::rank_measured(need, near.iter().map(|&(i, d)| (&helpers[i], d)), k).into_iter().map(|c| (n, c)));
            }
            prop_assert_eq!(graph, alone);
        }
    }

    #[test]
    fn helpers_at_the_same_place_are_taken_by_id() {
        let here = Coordinates::parse(52.4376, 4.8476).unwrap();
        let helpers: Vec<Helper> = (0..10).rev().map(|i| helper(i, HelperKind::Offer, here)).collect();
        let index = HelperIndex::new(&helpers);
        let got: Vec<Uuid> = index.nearest(&helpers, here, 100.0, 3).into_iter().map(|(i, _)| helpers[i].id).collect();
        assert_eq!(got, vec![Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)]);
    }

    #[test]
    fn the_graph_ranks_each_need_among_its_own_neighbours() {
        let here = Coordinates::parse(52.4376, 4.8476).unwrap();
        let far = destination(here, 0.0, 20_000.0);
        let mut helpers =
            vec![helper(0, HelperKind::Offer, destination(here, 90.0, 300.0)), helper(1, HelperKind::Offer, destination(far, 90.0, 300.0))];
        helpers.push(Helper {
            initiative: Some(Uuid::from_u128(50)),
            ..helper(2, HelperKind::Initiative(InitiativeKind::InformalGroup), here)
        });
        let index = HelperIndex::new(&helpers);
        let need = |at: Coordinates| Need { location: at, zrm_domains: vec![], ..rank::tests::need() };
        let mut needs = vec![need(here), need(far)];
        // Five members of the group live next door to the first need.
        let next_door = here.cell(h3o::Resolution::Nine);
        let homes: Homes = [(Uuid::from_u128(50), (0..5).map(|p| (Uuid::from_u128(900 + p), next_door)).collect())].into();
        let graph = candidate_graph(&mut needs, &helpers, &index, &homes, 10);
        let of = |n: usize| graph.iter().filter(|(i, _)| *i == n).map(|(_, c)| c.helper_id).collect::<Vec<_>>();
        assert_eq!(of(0).len(), 2);
        assert!(of(0).contains(&helpers[0].id) && of(0).contains(&helpers[2].id));
        assert_eq!(of(1), vec![helpers[1].id]);
        assert_eq!(needs[0].members_nearby, vec![(Uuid::from_u128(50), 5)]);
        let group = graph.iter().find(|(i, c)| *i == 0 && c.helper_id == helpers[2].id).unwrap();
        assert!(group.1.reasons.iter().any(|r| r.code == "members_nearby"));
    }
}
