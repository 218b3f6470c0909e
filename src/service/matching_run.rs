//! Planning a matching run over a gemeente or wijk: every open request, one pool of helpers
//! read once, the candidate graph and the assignment.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{CbsCode, Coordinates, Radius};
use crate::matching::{self, HelperKind, Need};
use crate::store::Conn;
use crate::store::{StoreError, candidates, listings, matches};

/// How a run is made.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How far around each request to look.
    pub radius: Radius,
    /// New matches a volunteer may take in this run.
    pub volunteer_capacity: u32,
    /// Candidates considered per request.
    pub candidates_per_request: usize,
    /// The most open requests one run takes on (oldest first).
    pub max_requests: u64,
}

/// One proposal: a helper for a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The request.
    pub request_id: Uuid,
    /// The helper's kind.
    pub helper_kind: HelperKind,
    /// The helper.
    pub helper_id: Uuid,
    /// Its candidate score.
    pub score: f64,
}

/// A planned run, not yet stored.
#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    /// The open requests considered.
    pub requests: Vec<Uuid>,
    /// At most one per request; no helper over its capacity; the highest total score.
    pub proposals: Vec<Proposal>,
    /// Helpers in the pool the requests were matched from.
    pub pool_size: usize,
    /// Edges of the candidate graph.
    pub pairs: usize,
    /// Where the time went.
    pub timings: RunTimings,
}

/// Where a run's time went.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunTimings {
    /// Reading the requests, the pool of helpers and the requesters' networks.
    pub read: std::time::Duration,
    /// Finding and ranking each request's candidates.
    pub rank: std::time::Duration,
    /// The assignment.
    pub assign: std::time::Duration,
}

/// Plans a run over `area`: reads its open requests and every helper within reach of any of
/// them, ranks each request's nearest helpers as the candidates endpoint does, and assigns by
/// min-cost flow under the capacities (a volunteer `volunteer_capacity`, an offer one, an
/// initiative its places left).
pub async fn plan(db: &impl Conn, area: &CbsCode, options: &RunOptions, now: DateTime<Utc>) -> Result<RunPlan, StoreError> {
    let started = std::time::Instant::now();
    let requests = listings::open_requests_in(db, area, now, options.max_requests).await?;
    let r = options.radius.metres();
    let (request_ids, mut needs): (Vec<Uuid>, Vec<Need>) =
        requests.iter().filter_map(|m| candidates::need_of_request(m, r).map(|n| (m.id, n))).unzip();
    if needs.is_empty() {
        return Ok(RunPlan::default());
    }
    // One pool of helpers for the whole area, read once, instead of a search per request.
    let points: Vec<Coordinates> = needs.iter().map(|n| n.location).collect();
    let pool = candidates::in_region(db, &crate::geo::region_ranges(&points, r), now).await?;
    let mut people: Vec<Uuid> = needs.iter().filter_map(|n| n.requester).collect();
    people.sort_unstable();
    people.dedup();
    let groups: Vec<Uuid> = pool.helpers.iter().filter(|h| matches!(h.kind, HelperKind::Initiative(_))).map(|h| h.id).collect();
    let (networks, homes) = tokio::try_join!(matches::networks_of(db, &people), matches::member_homes(db, &groups))?;
    for n in &mut needs {
        n.network = n.requester.and_then(|p| networks.get(&p).cloned()).unwrap_or_default();
    }
    let (k, volunteer_capacity) = (options.candidates_per_request, options.volunteer_capacity);
    let mut timings = RunTimings { read: started.elapsed(), ..RunTimings::default() };
    // Ranking and assignment are CPU work of up to a second or so: off the async workers.
    let work = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let helpers = pool.helpers;
        let index = matching::area::HelperIndex::new(&helpers);
        let graph = matching::area::candidate_graph(&mut needs, &helpers, &index, &homes, k);
        let ranked = started.elapsed();
        let requests = needs.len();
        let capacities: Vec<u32> = helpers
            .iter()
            .map(|h| match h.kind {
                HelperKind::Volunteer => volunteer_capacity,
                HelperKind::Offer => u32::from(h.open_matches == 0),
                // Its places left; without a stated capacity, room for every request.
                HelperKind::Initiative(_) => h.capacity_left.unwrap_or(requests as u32),
            })
            .collect();
        let position: std::collections::HashMap<Uuid, usize> = helpers.iter().enumerate().map(|(i, h)| (h.id, i)).collect();
        let pairings: Vec<matching::Pairing> =
            graph.iter().map(|(n, c)| matching::Pairing { request: *n, helper: position[&c.helper_id], score: c.score }).collect();
        let chosen = matching::assign(requests, &capacities, &pairings);
        let proposals: Vec<(usize, usize, f64)> = chosen.iter().map(|c| (c.request, c.helper, c.score)).collect();
        (proposals, helpers, pairings.len(), ranked, started.elapsed() - ranked)
    });
    let (chosen, helpers, pairs, ranked, assigned) = match work.await {
        Ok(done) => done,
        // A panic in the core is a bug: let it surface as one.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let proposals = chosen
        .into_iter()
        .map(|(request, helper, score)| Proposal {
            request_id: request_ids[request],
            helper_kind: helpers[helper].kind,
            helper_id: helpers[helper].id,
            score,
        })
        .collect();
    timings.rank = ranked;
    timings.assign = assigned;
    tracing::info!(requests = request_ids.len(), pool = helpers.len(), pairs, ?timings, "matching run planned");
    Ok(RunPlan { requests: request_ids, proposals, pool_size: helpers.len(), pairs, timings })
}
