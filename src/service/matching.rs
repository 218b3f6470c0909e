//! Who could help: candidates for a stored request or an ad-hoc need, and matching runs over
//! a gemeente or wijk whose proposals a professional turns into matches one by one.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{Error, Result};
use super::matches::{HelperRef, ShownMatch};
use super::matching_run::{self, RunOptions};
use super::{State, now};
use crate::auth::policy::{self, ListingView};
use crate::auth::{Principal, Role};
use crate::domain::items::Owner;
use crate::domain::{CbsCode, CellId, Coordinates, ListingKind, ListingStatus, Radius};
use crate::matching::{self, Candidate, HelperKind, Need};
use crate::store::{areas, candidates, listings, matches as rows};

/// The most open requests one run takes on.
pub const RUN_MAX_REQUESTS: u64 = 20_000;

/// A ranked candidate with the name it shows (a volunteer's or a resident's display name, an
/// initiative's name), where it has one.
#[derive(Debug, Clone)]
pub struct Named {
    /// The candidate with its score, rung, distance and reasons.
    pub candidate: Candidate,
    /// Its name.
    pub name: Option<String>,
}

async fn ranked(state: &State, mut need: Need, limit: usize) -> Result<Vec<Named>> {
    let mut nearby = candidates::near(&state.db, &mut need, now()).await?;
    Ok(matching::rank::rank(&need, &nearby.helpers, limit)
        .into_iter()
        .map(|c| Named { name: nearby.names.remove(&c.helper_id), candidate: c })
        .collect())
}

/// Candidates for an open request, for the requester (or the organisers of a requesting
/// initiative) and the professionals of its gemeente.
pub async fn for_request(state: &State, p: &Principal, id: Uuid, radius: Radius, limit: usize) -> Result<Vec<Named>> {
    let now = now();
    let m = listings::get(&state.db, id).await?.ok_or(Error::NotFound("listing"))?;
    let facts = listings::facts(&m, now);
    if policy::listing_view(p, &facts) == ListingView::Hidden {
        return Err(Error::NotFound("listing"));
    }
    if p.role == Role::Anonymous {
        return Err(Error::SignIn);
    }
    let own = match facts.owner {
        Owner::Person(id) => p.is_person(id),
        Owner::Initiative(id) => p.acts_for(id),
    };
    if !(own || p.professional_in(facts.gemeente)) {
        return Err(Error::forbidden("candidates are for the requester and the professionals of their gemeente"));
    }
    if facts.kind != ListingKind::Request {
        return Err(Error::unprocessable("not_a_request", "id", "candidates are found for requests, not for offers"));
    }
    let status = listings::effective_status(&m, now);
    if status != ListingStatus::Open {
        return Err(Error::unprocessable(
            "invalid_state",
            "id",
            format!("the request is {}; only open requests get candidates", status.code()),
        ));
    }
    let need = candidates::need_of_request(&m, radius.metres()).ok_or(Error::NotFound("listing"))?;
    ranked(state, need, limit).await
}

/// Candidates for an ad-hoc need, for professionals of the cell's gemeente.
pub async fn for_need(state: &State, p: &Principal, cell: CellId, mut need: Need, limit: usize) -> Result<Vec<Named>> {
    if p.role != Role::Professional {
        return Err(Error::forbidden("ad-hoc matching is for professionals; residents ask with a request"));
    }
    let location = Coordinates::of_cell_centre(cell.index());
    let at = super::initiatives::place(&state.areas, location, "cell")?;
    if !p.professional_in(&at.gemeente_code) {
        return Err(Error::forbidden("the cell lies outside the gemeenten you work in"));
    }
    need.location = location;
    ranked(state, need, limit).await
}

/// One proposal of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunProposal {
    /// The request.
    pub request_id: Uuid,
    /// `offer`, `volunteer` or `initiative`.
    pub helper_kind: String,
    /// The helper.
    pub helper_id: Uuid,
    /// The candidate score.
    pub score: f64,
}

/// A stored matching run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Identity.
    pub id: Uuid,
    /// The gemeente or wijk.
    pub area_code: String,
    /// The open requests considered.
    pub requests: Vec<Uuid>,
    /// The assignment.
    pub proposals: Vec<RunProposal>,
    /// The requests without a proposal.
    pub unmatched: Vec<Uuid>,
    /// When it ran.
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct StoredRun {
    requests: Vec<Uuid>,
    proposals: Vec<RunProposal>,
}

fn run_of(m: crate::store::entities::matching_run::Model) -> Result<Run> {
    let stored: StoredRun = serde_json::from_str(&m.proposals).map_err(|e| Error::Internal(e.into()))?;
    let matched: HashSet<Uuid> = stored.proposals.iter().map(|p| p.request_id).collect();
    Ok(Run {
        id: m.id,
        area_code: m.area_code,
        unmatched: stored.requests.iter().copied().filter(|r| !matched.contains(r)).collect(),
        requests: stored.requests,
        proposals: stored.proposals,
        created_at: m.created_at,
    })
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// Runs matching over all open requests of a gemeente or wijk and stores the assignment, for
/// its professionals and admins.
pub async fn run(state: &State, p: &Principal, area: &CbsCode, options: RunOptions) -> Result<Run> {
    let stored_area = areas::get(&state.db, area.as_str()).await?.ok_or(Error::NotFound("area"))?;
    let gemeente = stored_area.gemeente_code.clone().unwrap_or_else(|| stored_area.code.clone());
    if !(p.professional_in(&gemeente) || p.admin_of(&gemeente)) {
        return Err(Error::forbidden("matching runs are for the professionals and admins of the gemeente"));
    }
    let plan = matching_run::plan(&state.db, area, &options, now()).await?;
    let proposals = plan
        .proposals
        .iter()
        .map(|x| RunProposal {
            request_id: x.request_id,
            helper_kind: match x.helper_kind {
                HelperKind::Offer => "offer",
                HelperKind::Volunteer => "volunteer",
                HelperKind::Initiative(_) => "initiative",
            }
            .to_owned(),
            helper_id: x.helper_id,
            score: round(x.score, 4),
        })
        .collect();
    let text = serde_json::to_string(&StoredRun { requests: plan.requests, proposals }).map_err(|e| Error::Internal(e.into()))?;
    run_of(rows::save_run(&state.db, area.as_str(), &gemeente, &p.actor(), text).await?)
}

/// A stored run, for the professionals and admins of its gemeente.
pub async fn get_run(state: &State, p: &Principal, id: Uuid) -> Result<Run> {
    let row = rows::get_run(&state.db, id).await?.ok_or(Error::NotFound("matching run"))?;
    if !(p.professional_in(&row.gemeente_code) || p.admin_of(&row.gemeente_code)) {
        return Err(Error::forbidden("matching runs are for the professionals and admins of the gemeente"));
    }
    run_of(row)
}

/// Turns a run's proposal for one request into a match proposed by the caller, a
/// professional of the gemeente; both sides still accept it themselves.
pub async fn accept_proposal(state: &State, p: &Principal, id: Uuid, request_id: Uuid) -> Result<ShownMatch> {
    let row = rows::get_run(&state.db, id).await?.ok_or(Error::NotFound("matching run"))?;
    if !p.professional_in(&row.gemeente_code) {
        return Err(Error::forbidden("proposals are accepted by the professionals of the gemeente"));
    }
    let run = run_of(row)?;
    let proposal = run
        .proposals
        .iter()
        .find(|x| x.request_id == request_id)
        .ok_or_else(|| Error::unprocessable("unknown_reference", "request_id", "this run has no proposal for that request"))?;
    let kind = match proposal.helper_kind.as_str() {
        "offer" => HelperRef::Offer,
        "volunteer" => HelperRef::Volunteer,
        _ => HelperRef::Initiative,
    };
    super::matches::propose(state, p, proposal.request_id, kind, proposal.helper_id).await
}
