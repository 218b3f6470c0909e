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
use super::common::{TimeRangeIo, dedup_codes, field, parse_languages, parse_ranges};
use crate::domain::{ActivityCategory, CbsCode, CellId, Coordinates, Radius, ZrmDomain};
use crate::error::ApiError;
use crate::matching::{self, HelperKind, Need, Rung};
use crate::service::State;
use crate::service::matching::{self as service, Named, Run};
use crate::service::matching_run::RunOptions;

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
    pub state: Arc<State>,
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

fn candidate_out(n: Named) -> CandidateIo {
    let c = n.candidate;
    let kind = match c.kind {
        HelperKind::Offer => CandidateKind::Offer,
        HelperKind::Volunteer => CandidateKind::Volunteer,
        HelperKind::Initiative(_) => CandidateKind::Initiative,
    };
    let step = matching::rank::display_step(c.kind);
    CandidateIo {
        kind,
        id: c.helper_id,
        name: n.name,
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

impl MatchingRun {
    fn of(r: Run) -> Self {
        Self {
            id: r.id,
            area_code: r.area_code,
            requests: r.requests.len() as u32,
            proposals: r
                .proposals
                .into_iter()
                .map(|x| RunProposal { request_id: x.request_id, helper_kind: x.helper_kind, helper_id: x.helper_id, score: x.score })
                .collect(),
            unmatched: r.unmatched,
            created_at: r.created_at,
        }
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
        let limit = candidate_limit(limit.0)?;
        let found = service::for_request(&self.state, &caller.0, id.0, radius(radius_m.0)?, limit).await?;
        Ok(Json(CandidateList { items: found.into_iter().map(candidate_out).collect() }))
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
        let area = field("code", CbsCode::parse(&code.0))?;
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
        let options = RunOptions { radius: r, volunteer_capacity, candidates_per_request: k, max_requests: service::RUN_MAX_REQUESTS };
        Ok(RunResponse::Created(Json(MatchingRun::of(service::run(&self.state, &caller.0, &area, options).await?))))
    }

    /// Get a matching run
    ///
    /// Its proposals and the requests left unmatched. For professionals and admins of the
    /// gemeente.
    #[oai(path = "/v1/matching-runs/:id", method = "get", operation_id = "get_matching_run")]
    async fn get_run(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Json<MatchingRun>, ApiError> {
        Ok(Json(MatchingRun::of(service::get_run(&self.state, &caller.0, id.0).await?)))
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
        let m = service::accept_proposal(&self.state, &caller.0, id.0, body.0.request_id).await?;
        Ok(Json(super::matches::Match::of(m)))
    }

    /// Candidates for an ad-hoc need
    ///
    /// For a professional exploring options with a resident: nothing is stored. The cell must
    /// lie in one of the professional's gemeenten.
    #[oai(path = "/v1/match", method = "post", operation_id = "match_need")]
    async fn ad_hoc(&self, caller: SignedIn, body: JsonBody<AdHocNeed>) -> Result<Json<CandidateList>, ApiError> {
        let b = body.0;
        let cell = field("cell", CellId::parse(&b.cell))?;
        if !(7..=9).contains(&cell.resolution()) {
            return Err(ApiError::invalid("cell", "must be an H3 cell of resolution 7, 8 or 9"));
        }
        if b.categories.is_empty() && b.zrm_domains.is_empty() {
            return Err(ApiError::invalid("categories", "give at least one category or ZRM domain"));
        }
        let need = Need {
            needs_vog: b.needs_vog.unwrap_or_else(|| matching::rank::needs_vog(&b.categories)),
            categories: dedup_codes("categories", &b.categories, 0, 10)?,
            zrm_domains: dedup_codes("zrm_domains", &b.zrm_domains, 0, 13)?,
            location: Coordinates::of_cell_centre(cell.index()),
            radius_m: radius(b.radius_m)?.metres(),
            availability: parse_ranges("availability", &b.availability)?,
            languages: parse_languages("languages", &b.languages)?,
            words: Vec::new(),
            requester: None,
            network: Vec::new(),
            members_nearby: Vec::new(),
        };
        let found = service::for_need(&self.state, &caller.0, cell, need, candidate_limit(b.limit)?).await?;
        Ok(Json(CandidateList { items: found.into_iter().map(candidate_out).collect() }))
    }
}
