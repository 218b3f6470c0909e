//! Benchmarks of the matching core (plain Rust, no database):
//!
//! - ranking: candidates for one need among the helpers near it, drawn from a town of N helpers;
//! - the candidate graph of a run: R needs at distinct points (the worst case: residents'
//!   requests share their home cell's centre, and share its neighbours) among H helpers;
//! - assignment: a matching run over R requests and H helpers with capacities, each request
//!   with its K best candidates as the sparse graph.
//!
//!     cargo bench --bench matching -- --helpers 100000 --requests 10000 --assign-helpers 50000 --k 20

mod common;

use common::{arg, percentile};

use std::time::Instant;

use buurtkracht::domain::{ActivityCategory, Coordinates, InitiativeKind, ZrmDomain};
use buurtkracht::matching::{Feedback, Helper, HelperKind, Need, Pairing, area, assign, rank};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const CATEGORIES: [ActivityCategory; 8] = [
    ActivityCategory::Groceries,
    ActivityCategory::Companionship,
    ActivityCategory::Transport,
    ActivityCategory::Repair,
    ActivityCategory::Language,
    ActivityCategory::Paperwork,
    ActivityCategory::Meals,
    ActivityCategory::Exercise,
];

/// A point in a town of 10 x 10 km around Zaandam.
fn point(rng: &mut SmallRng) -> Coordinates {
    Coordinates::parse(52.39 + rng.random_range(0.0..0.09), 4.75 + rng.random_range(0.0..0.147)).unwrap()
}

fn helper(i: usize, rng: &mut SmallRng) -> Helper {
    let kind = match i % 10 {
        0..=4 => HelperKind::Offer,
        5..=7 => HelperKind::Volunteer,
        8 => HelperKind::Initiative(InitiativeKind::ResidentInitiative),
        _ => HelperKind::Initiative(InitiativeKind::VolunteerOrganisation),
    };
    Helper {
        id: Uuid::from_u128(i as u128),
        kind,
        location: point(rng),
        max_travel_m: matches!(kind, HelperKind::Volunteer).then(|| rng.random_range(500.0..5_000.0)),
        categories: vec![CATEGORIES[rng.random_range(0..CATEGORIES.len())], CATEGORIES[rng.random_range(0..CATEGORIES.len())]],
        zrm_domains: vec![ZrmDomain::SociaalNetwerk],
        availability: Vec::new(),
        languages: Vec::new(),
        has_vog: rng.random_bool(0.5),
        capacity_left: None,
        open_matches: rng.random_range(0..3),
        feedback: Feedback { count: rng.random_range(0..5), mean: rng.random_range(1.0..5.0), no_shows: 0 },
        confirmed_days_ago: Some(rng.random_range(0.0..400.0)),
        person: None,
        initiative: None,
        open: true,
        words: vec!["koffie".into(), "samen".into()],
    }
}

fn need(rng: &mut SmallRng) -> Need {
    Need {
        categories: vec![CATEGORIES[rng.random_range(0..CATEGORIES.len())]],
        zrm_domains: vec![],
        location: point(rng),
        radius_m: 3_000.0,
        availability: Vec::new(),
        languages: Vec::new(),
        needs_vog: rng.random_bool(0.2),
        words: vec!["koffie".into()],
        requester: None,
        network: vec![],
        members_nearby: vec![],
    }
}

fn main() {
    let n: usize = arg("--helpers").map(|v| v.parse().unwrap()).unwrap_or(100_000);
    let requests: usize = arg("--requests").map(|v| v.parse().unwrap()).unwrap_or(10_000);
    let assign_helpers: usize = arg("--assign-helpers").map(|v| v.parse().unwrap()).unwrap_or(50_000);
    let k: usize = arg("--k").map(|v| v.parse().unwrap()).unwrap_or(20);
    let mut rng = SmallRng::seed_from_u64(11);

    // Ranking: the store hands the core the nearest helpers of each kind (at most 100 each,
    // see store::candidates::PER_KIND); here the helpers within 3 km of the need.
    let town: Vec<Helper> = (0..n).map(|i| helper(i, &mut rng)).collect();
    let mut times = Vec::new();
    let mut sizes = 0usize;
    for _ in 0..1_000 {
        let nd = need(&mut rng);
        let near: Vec<Helper> = town.iter().filter(|h| nd.location.distance_m(h.location) <= nd.radius_m).take(300).cloned().collect();
        let t = Instant::now();
        let ranked = rank::rank(&nd, &near, 20);
        times.push(t.elapsed());
        sizes += near.len();
        std::hint::black_box(ranked);
    }
    times.sort();
    println!(
        "rank: {n} helpers in town, {:.0} near each need: p50 {:.3} ms, p99 {:.3} ms",
        sizes as f64 / 1_000.0,
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );

    // The candidate graph: every need at a point of its own.
    let pool: Vec<Helper> = (0..assign_helpers).map(|i| helper(i, &mut rng)).collect();
    let mut needs: Vec<Need> = (0..requests).map(|_| need(&mut rng)).collect();
    let t = Instant::now();
    let index = area::HelperIndex::new(&pool);
    let graph = area::candidate_graph(&mut needs, &pool, &index, &Default::default(), 10);
    println!(
        "candidate graph: {requests} needs at distinct points, {assign_helpers} helpers, 10 candidates each: {:.3} s, {} pairs",
        t.elapsed().as_secs_f64(),
        graph.len()
    );

    // Assignment: each request with its k best candidates among helpers with capacity 1 or 2.
    let capacities: Vec<u32> = (0..assign_helpers).map(|_| rng.random_range(1..=2)).collect();
    let mut pairings = Vec::with_capacity(requests * k);
    for r in 0..requests {
        // Candidates cluster: a request's helpers are near each other in index order, as
        // neighbours are, so that popular helpers are shared between requests.
        let base = rng.random_range(0..assign_helpers);
        for _ in 0..k {
            let h = (base + rng.random_range(0..200)) % assign_helpers;
            pairings.push(Pairing { request: r, helper: h, score: rng.random_range(0.05..1.0) });
        }
    }
    pairings.sort_by_key(|p| (p.request, p.helper));
    pairings.dedup_by(|a, b| a.request == b.request && a.helper == b.helper);
    let t = Instant::now();
    let chosen = assign(requests, &capacities, &pairings);
    let took = t.elapsed();
    let total: f64 = chosen.iter().map(|p| p.score).sum();
    println!(
        "assign: {requests} requests, {assign_helpers} helpers, {} candidate pairs: {:.3} s, {} matched, total score {total:.1}",
        pairings.len(),
        took.as_secs_f64(),
        chosen.len()
    );
}
