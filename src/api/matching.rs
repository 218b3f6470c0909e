//! Candidates for a need: `GET /v1/listings/{id}/candidates` for a stored request and
//! `POST /v1/match` for an ad-hoc one. Informal help first, with reasons a person can read.

use std::sync::Arc;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::*;
use crate::auth::policy::{self, ListingFacts, ListingView};
use crate::auth::{Principal, Role};
use crate::domain::{ActivityCategory, CellId, Coordinates, ListingKind, ListingStatus, Radius, ZrmDomain};
use crate::error::ApiError;
use crate::matching::{self, HelperKind, Need, Rung};
use crate::service::matching_run::{self, RunOptions};
use crate::startup::AppState;
use crate::store::{candidates, listings};

/// How far to look when the caller gives no radius.
pub const DEFAULT_RADIUS_M: f64 = 3_000.0;

/// What kind of helper a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CandidateKind {
    /// A neighbour's offer (a listing).
    Offer,
    /// A volunteer profile.
    Volunteer,
    /// An initiative: a group, an activity, a service.
    Initiative,
}

/// The informal-first ladder, most informal first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum LadderRung {
    /// A network the requester already belongs to.
    OwnNetwork,
    /// Neighbours: residents' offers and volunteers.
    Neighbours,
    /// Informal groups and resident initiatives.
    ResidentInitiative,
    /// Volunteer organisations.
    VolunteerOrganisation,
    /// General provisions.
    GeneralProvision,
    /// Professional services.
    ProfessionalService,
}

impl From<Rung> for LadderRung {
    fn from(r: Rung) -> Self {
        match r {
            Rung::OwnNetwork => Self::OwnNetwork,
            Rung::Neighbours => Self::Neighbours,
            Rung::ResidentInitiative => Self::ResidentInitiative,
            Rung::VolunteerOrganisation => Self::VolunteerOrganisation,
            Rung::GeneralProvision => Self::GeneralProvision,
            Rung::ProfessionalService => Self::ProfessionalService,
        }
    }
}

/// One factor that raised or lowered a candidate.
#[derive(Debug, Clone, Object)]
pub struct ReasonIo {
    /// Stable code: distance, category, zrm, ladder, group, availability, text, load,
    /// feedback, no_show, stale.
    pub code: String,
    /// What it added to the score (negative: took away).
    pub effect: f64,
    /// In Dutch.
    pub nl: String,
    /// In English.
    pub en: String,
}

/// One candidate helper.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CandidateIo {
    /// Offer, volunteer or initiative.
    pub kind: CandidateKind,
    /// The listing, volunteer profile or initiative id.
    pub id: Uuid,
    /// The initiative's name or the offer's title; nothing for a volunteer, whose profile
    /// stays private until a match.
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    /// Higher is better; comparable within one answer.
    pub score: f64,
    /// Its rung on the informal-first ladder.
    pub rung: LadderRung,
    /// Metres away: to a place, or to a person's cell centre rounded to 100 m.
    pub distance_m: f64,
    /// Why, the largest effect first.
    pub reasons: Vec<ReasonIo>,
}

/// Ranked candidates.
#[derive(Debug, Clone, Object)]
pub struct CandidateList {
    /// Best first; the same data always gives the same order.
    pub items: Vec<CandidateIo>,
}

/// An ad-hoc need, not stored.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdHocNeed {
    /// Activity categories asked for.
    #[oai(default, validator(max_items = 10))]
    #[serde(default)]
    pub categories: Vec<ActivityCategory>,
    /// ZRM life domains.
    #[oai(default, validator(max_items = 13))]
    #[serde(default)]
    pub zrm_domains: Vec<ZrmDomain>,
    /// Where, as an H3 cell (resolution 7 to 9) of the resident's home.
    #[oai(validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
    pub cell: String,
    /// How far to look, in metres (default 3000, at most 50000).
    #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// When the resident is free.
    #[oai(default, validator(max_items = 50))]
    #[serde(default)]
    pub availability: Vec<TimeRangeIo>,
    /// Languages the resident speaks; when given, a helper must share one.
    #[oai(default, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Help at home, with children or with vulnerable people (a person helping needs a VOG);
    /// default: from the categories.
    #[serde(default)]
    pub needs_vog: Option<bool>,
    /// At most this many candidates (1 to 100, default 20).
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    #[serde(default)]
    pub limit: Option<u64>,
}

/// Candidates for needs.
pub struct MatchingApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

fn radius(value: Option<f64>) -> Result<Radius, ApiError> {
    field("radius_m", Radius::parse(value.unwrap_or(DEFAULT_RADIUS_M)))
}

fn candidate_limit(limit: Option<u64>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(20),
        Some(l) if (1..=100).contains(&l) => Ok(l as usize),
        Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 100")),
    }
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

async fn ranked(state: &AppState, mut need: Need, limit: usize) -> Result<Vec<CandidateIo>, ApiError> {
    let mut nearby = candidates::near(&state.db, &mut need, now()).await?;
    Ok(matching::rank::rank(&need, &nearby.helpers, limit).into_iter().map(|c| candidate_out(c, &mut nearby.names)).collect())
}

fn candidate_out(c: matching::Candidate, names: &mut std::collections::HashMap<Uuid, String>) -> CandidateIo {
    let kind = match c.kind {
        HelperKind::Offer => CandidateKind::Offer,
        HelperKind::Volunteer => CandidateKind::Volunteer,
        HelperKind::Initiative(_) => CandidateKind::Initiative,
    };
    let step = matching::rank::display_step(c.kind);
    CandidateIo {
        kind,
        id: c.helper_id,
        name: names.remove(&c.helper_id),
        score: round(c.score, 4),
        rung: c.rung.into(),
        distance_m: (c.distance_m / step).round() * step,
        reasons: c
            .reasons
            .into_iter()
            .map(|r| ReasonIo { code: r.code.to_owned(), effect: round(r.effect, 4), nl: r.nl, en: r.en })
            .collect(),
    }
}

/// A matching run to make.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// How far to look around each request, in metres (default 3000, at most 50000).
    #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// New matches a volunteer may take in this run (0 to 20, default 2).
    #[oai(validator(maximum(value = "20")))]
    #[serde(default)]
    pub volunteer_capacity: Option<u32>,
    /// Candidates considered per request (1 to 50, default 10).
    #[oai(validator(minimum(value = "1"), maximum(value = "50")))]
    #[serde(default)]
    pub candidates_per_request: Option<u32>,
}

/// One proposal of a run.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
pub struct RunProposal {
    /// The request.
    pub request_id: Uuid,
    /// offer, volunteer or initiative.
    pub helper_kind: String,
    /// The helper.
    pub helper_id: Uuid,
    /// The candidate score.
    pub score: f64,
}

/// A stored matching run.
#[derive(Debug, Clone, Object)]
pub struct MatchingRun {
    /// Identity.
    pub id: Uuid,
    /// The gemeente or wijk.
    pub area_code: String,
    /// Open requests considered.
    pub requests: u32,
    /// The assignment: at most one helper per request, no helper over its capacity, the
    /// highest total score.
    pub proposals: Vec<RunProposal>,
    /// Requests without a proposal (no candidate, or every candidate taken).
    pub unmatched: Vec<Uuid>,
    /// When it ran.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A run made.
#[derive(Debug, ApiResponse)]
pub enum RunResponse {
    /// Stored with its proposals.
    #[oai(status = 201)]
    Created(Json<MatchingRun>),
}

/// Accepting one proposal of a run.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptProposal {
    /// The request whose proposal becomes a match.
    pub request_id: Uuid,
}

#[derive(Serialize, Deserialize)]
struct StoredRun {
    requests: Vec<Uuid>,
    proposals: Vec<RunProposal>,
}

/// The most open requests one run takes on.
pub const RUN_MAX_REQUESTS: u64 = 20_000;

fn run_out(m: crate::store::entities::matching_run::Model) -> Result<MatchingRun, ApiError> {
    let stored: StoredRun = serde_json::from_str(&m.proposals).map_err(|e| ApiError::internal(&e))?;
    let matched: std::collections::HashSet<Uuid> = stored.proposals.iter().map(|p| p.request_id).collect();
    Ok(MatchingRun {
        id: m.id,
        area_code: m.area_code,
        requests: stored.requests.len() as u32,
        unmatched: stored.requests.iter().copied().filter(|r| !matched.contains(r)).collect(),
        proposals: stored.proposals,
        created_at: m.created_at,
    })
}

/// Only the requester, the organisers of a requesting initiative and the professionals of
/// the gemeente see who could help.
fn may_see_candidates(p: &Principal, facts: &ListingFacts) -> Result<(), ApiError> {
    if p.role == Role::Anonymous {
        return Err(policy::Denied::SignIn.into());
    }
    let full = policy::listing_view(p, facts) == ListingView::Full;
    let own_or_pro = match facts.owner {
        crate::domain::items::Owner::Person(id) => p.is_person(id),
        crate::domain::items::Owner::Initiative(id) => p.acts_for(id),
    } || p.professional_in(facts.gemeente);
    if full && own_or_pro {
        Ok(())
    } else {
        Err(ApiError::forbidden("candidates are for the requester and the professionals of their gemeente"))
    }
}

#[OpenApi(tag = "ApiTags::Matching")]
impl MatchingApi {
    /// Candidates for a request
    ///
    /// Neighbours' offers, volunteers and initiatives that can help with an open request,
    /// informal help first, each with its score, rung, distance and the reasons in Dutch and
    /// English. For the requester and the professionals of their gemeente.
    #[oai(path = "/v1/listings/:id/candidates", method = "get", operation_id = "listing_candidates")]
    async fn candidates(
        &self,
        caller: SignedIn,
        id: Path<Uuid>,
        /// How far to look, in metres (default 3000, at most 50000).
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
        radius_m: Query<Option<f64>>,
        /// At most this many candidates (1 to 100, default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<CandidateList>, ApiError> {
        let p = caller.0;
        let now = now();
        let m = listings::get(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("listing"))?;
        let owner = match (m.owner_person_id, m.owner_initiative_id) {
            (Some(person), _) => crate::domain::items::Owner::Person(person),
            (None, Some(i)) => crate::domain::items::Owner::Initiative(i),
            _ => return Err(ApiError::not_found("listing")),
        };
        let kind = ListingKind::from_code(&m.kind).unwrap_or(ListingKind::Offer);
        let status = listings::effective_status(&m, now);
        let facts = ListingFacts { kind, owner, gemeente: &m.gemeente_code, open: status == ListingStatus::Open };
        if policy::listing_view(&p, &facts) == ListingView::Hidden {
            return Err(ApiError::not_found("listing"));
        }
        may_see_candidates(&p, &facts)?;
        if kind != ListingKind::Request {
            return Err(ApiError::unprocessable("not_a_request", "id", "candidates are found for requests, not for offers"));
        }
        if status != ListingStatus::Open {
            return Err(ApiError::unprocessable(
                "invalid_state",
                "id",
                format!("the request is {}; only open requests get candidates", status.code()),
            ));
        }
        let limit = candidate_limit(limit.0)?;
        let need = candidates::need_of_request(&m, radius(radius_m.0)?.metres()).ok_or_else(|| ApiError::not_found("listing"))?;
        let items = ranked(&self.state, need, limit).await?;
        Ok(Json(CandidateList { items }))
    }

    /// Run matching over an area
    ///
    /// For all open requests in a gemeente or wijk: the assignment of helpers that maximises
    /// the total score while no volunteer gets more than `volunteer_capacity` new matches, no
    /// offer more than one and no initiative more than its places left (min-cost flow, not
    /// greedy). Stored; accept proposals one by one
    /// with `POST /v1/matching-runs/{id}/accept`. For professionals and admins of the gemeente.
    #[oai(path = "/v1/areas/:code/matching-runs", method = "post", operation_id = "run_matching")]
    async fn run(
        &self,
        caller: SignedIn,
        /// The gemeente or wijk (GM.... or WK......).
        #[oai(validator(pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        code: Path<String>,
        body: JsonBody<RunInput>,
    ) -> Result<RunResponse, ApiError> {
        let p = caller.0;
        let area = crate::domain::CbsCode::parse(&code.0).map_err(|e| ApiError::invalid("code", e.0))?;
        let stored_area = crate::store::areas::get(&self.state.db, &code.0).await?.ok_or_else(|| ApiError::not_found("area"))?;
        let gemeente = stored_area.gemeente_code.clone().unwrap_or_else(|| stored_area.code.clone());
        if !(p.professional_in(&gemeente) || p.admin_of(&gemeente)) {
            return Err(ApiError::forbidden("matching runs are for the professionals and admins of the gemeente"));
        }
        let b = body.0;
        let r = radius(b.radius_m)?;
        let k = match b.candidates_per_request {
            None => 10,
            Some(v) if (1..=50).contains(&v) => v as usize,
            Some(_) => return Err(ApiError::invalid("candidates_per_request", "must be between 1 and 50")),
        };
        let volunteer_capacity = match b.volunteer_capacity {
            None => 2,
            Some(v) if v <= 20 => v,
            Some(_) => return Err(ApiError::invalid("volunteer_capacity", "at most 20")),
        };
        let options = RunOptions { radius: r, volunteer_capacity, candidates_per_request: k, max_requests: RUN_MAX_REQUESTS };
        let plan = matching_run::plan(&self.state.db, &area, &options, now()).await?;
        let proposals: Vec<RunProposal> = plan
            .proposals
            .iter()
            .map(|p| RunProposal {
                request_id: p.request_id,
                helper_kind: match p.helper_kind {
                    HelperKind::Offer => "offer",
                    HelperKind::Volunteer => "volunteer",
                    HelperKind::Initiative(_) => "initiative",
                }
                .to_owned(),
                helper_id: p.helper_id,
                score: round(p.score, 4),
            })
            .collect();
        let stored = StoredRun { requests: plan.requests, proposals };
        let text = serde_json::to_string(&stored).map_err(|e| ApiError::internal(&e))?;
        let row = crate::store::matches::save_run(&self.state.db, &code.0, &gemeente, &p.actor(), text).await?;
        Ok(RunResponse::Created(Json(run_out(row)?)))
    }

    /// Get a matching run
    ///
    /// Its proposals and the requests left unmatched. For professionals and admins of the
    /// gemeente.
    #[oai(path = "/v1/matching-runs/:id", method = "get", operation_id = "get_matching_run")]
    async fn get_run(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Json<MatchingRun>, ApiError> {
        let p = caller.0;
        let row = crate::store::matches::get_run(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("matching run"))?;
        if !(p.professional_in(&row.gemeente_code) || p.admin_of(&row.gemeente_code)) {
            return Err(ApiError::forbidden("matching runs are for the professionals and admins of the gemeente"));
        }
        Ok(Json(run_out(row)?))
    }

    /// Accept a proposal of a run
    ///
    /// Turns the run's proposal for one request into a match proposed by the caller; both
    /// sides still accept it themselves.
    #[oai(path = "/v1/matching-runs/:id/accept", method = "post", operation_id = "accept_run_proposal")]
    async fn accept_proposal(
        &self,
        caller: SignedIn,
        id: Path<Uuid>,
        body: JsonBody<AcceptProposal>,
    ) -> Result<Json<super::matches::Match>, ApiError> {
        let p = caller.0;
        let row = crate::store::matches::get_run(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("matching run"))?;
        if !p.professional_in(&row.gemeente_code) {
            return Err(ApiError::forbidden("proposals are accepted by the professionals of the gemeente"));
        }
        let run = run_out(row)?;
        let proposal = run
            .proposals
            .iter()
            .find(|x| x.request_id == body.0.request_id)
            .ok_or_else(|| ApiError::unprocessable("unknown_reference", "request_id", "this run has no proposal for that request"))?;
        let kind = match proposal.helper_kind.as_str() {
            "offer" => super::matches::HelperKindIo::Offer,
            "volunteer" => super::matches::HelperKindIo::Volunteer,
            _ => super::matches::HelperKindIo::Initiative,
        };
        let input = super::matches::MatchInput { request_id: proposal.request_id, helper_kind: kind, helper_id: proposal.helper_id };
        let m = super::matches::propose_match(&self.state, &p, &input).await?;
        Ok(Json(super::matches::MatchesApi { state: self.state.clone() }.view(&p, m).await?))
    }

    /// Candidates for an ad-hoc need
    ///
    /// For a professional exploring options with a resident: nothing is stored. The cell must
    /// lie in one of the professional's gemeenten.
    #[oai(path = "/v1/match", method = "post", operation_id = "match_need")]
    async fn ad_hoc(&self, caller: SignedIn, body: JsonBody<AdHocNeed>) -> Result<Json<CandidateList>, ApiError> {
        let p = caller.0;
        if p.role != Role::Professional {
            return Err(ApiError::forbidden("ad-hoc matching is for professionals; residents ask with a request"));
        }
        let b = body.0;
        let cell = field("cell", CellId::parse(&b.cell))?;
        if !(7..=9).contains(&cell.resolution()) {
            return Err(ApiError::invalid("cell", "must be an H3 cell of resolution 7, 8 or 9"));
        }
        if b.categories.is_empty() && b.zrm_domains.is_empty() {
            return Err(ApiError::invalid("categories", "give at least one category or ZRM domain"));
        }
        let location = Coordinates::of_cell_centre(cell.index());
        let at = place(&self.state.areas, location, "cell")?;
        if !p.professional_in(&at.gemeente_code) {
            return Err(ApiError::forbidden("the cell lies outside the gemeenten you work in"));
        }
        let need = Need {
            needs_vog: b.needs_vog.unwrap_or_else(|| matching::rank::needs_vog(&b.categories)),
            categories: dedup_codes("categories", &b.categories, 0, 10)?,
            zrm_domains: dedup_codes("zrm_domains", &b.zrm_domains, 0, 13)?,
            location,
            radius_m: radius(b.radius_m)?.metres(),
            availability: parse_ranges("availability", &b.availability)?,
            languages: parse_languages("languages", &b.languages)?,
            words: Vec::new(),
            requester: None,
            network: Vec::new(),
            members_nearby: Vec::new(),
        };
        let items = ranked(&self.state, need, candidate_limit(b.limit)?).await?;
        Ok(Json(CandidateList { items }))
    }
}
