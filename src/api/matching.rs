//! Candidates for a need: `GET /v1/listings/{id}/candidates` for a stored request and
//! `POST /v1/match` for an ad-hoc one. Informal help first, with reasons a person can read.

use std::sync::Arc;

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::*;
use crate::auth::policy::{self, ListingFacts, ListingView};
use crate::auth::{Principal, Role};
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, CellId, Coordinates, ListingKind, ListingStatus, Radius, ZrmDomain};
use crate::error::ApiError;
use crate::matching::{self, HelperKind, Need, Rung};
use crate::startup::AppState;
use crate::store::{candidates, initiatives, listings};

/// Requests in these categories are help at home, with children or with vulnerable people:
/// a person helping needs a VOG.
const VOG_CATEGORIES: [ActivityCategory; 4] =
    [ActivityCategory::Children, ActivityCategory::Housekeeping, ActivityCategory::CaregiverSupport, ActivityCategory::OddJobs];

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
    #[oai(validator(max_length = 16))]
    pub cell: String,
    /// How far to look, in metres (default 3000, at most 50000).
    #[serde(default)]
    pub radius_m: Option<f64>,
    /// When the resident is free.
    #[oai(default, validator(max_items = 50))]
    #[serde(default)]
    pub availability: Vec<TimeRangeIo>,
    /// Languages the resident speaks; when given, a helper must share one.
    #[oai(default, validator(max_items = 20))]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Help at home, with children or with vulnerable people (a person helping needs a VOG);
    /// default: from the categories.
    #[serde(default)]
    pub needs_vog: Option<bool>,
    /// At most this many candidates (1 to 100, default 20).
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

async fn ranked(state: &AppState, need: &Need, requester: Option<Uuid>, limit: usize) -> Result<Vec<CandidateIo>, ApiError> {
    let now = now();
    let radius = Radius::parse(need.radius_m).map_err(|e| ApiError::invalid("radius_m", e.0))?;
    let network = match requester {
        Some(person) => crate::store::matches::network_of(&state.db, person).await?,
        None => Vec::new(),
    };
    let helpers = candidates::near(&state.db, need.location, radius, requester, &network, now).await?;
    let mut out = Vec::new();
    for c in matching::rank::rank(need, &helpers).into_iter().take(limit) {
        let (kind, name) = match c.kind {
            HelperKind::Offer => (CandidateKind::Offer, listings::get(&state.db, c.helper_id).await?.map(|l| l.title)),
            HelperKind::Volunteer => (CandidateKind::Volunteer, None),
            HelperKind::Initiative(_) => (CandidateKind::Initiative, initiatives::get(&state.db, c.helper_id).await?.map(|i| i.name)),
        };
        let step = matching::rank::display_step(c.kind);
        out.push(CandidateIo {
            kind,
            id: c.helper_id,
            name,
            score: round(c.score, 4),
            rung: c.rung.into(),
            distance_m: (c.distance_m / step).round() * step,
            reasons: c
                .reasons
                .into_iter()
                .map(|r| ReasonIo { code: r.code.to_owned(), effect: round(r.effect, 4), nl: r.nl, en: r.en })
                .collect(),
        });
    }
    Ok(out)
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
        radius_m: Query<Option<f64>>,
        /// At most this many candidates (1 to 100, default 20).
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
        let location = match (m.lat, m.lng) {
            (Some(a), Some(b)) => Coordinates::parse(a, b).map_err(|(_, e)| ApiError::invalid("id", e.0))?,
            _ => CellId::from_db(m.cell).map(|c| Coordinates::of_cell_centre(c.index())).ok_or_else(|| ApiError::not_found("listing"))?,
        };
        let categories = split_codes(&m.categories, ActivityCategory::from_code);
        let need = Need {
            needs_vog: categories.iter().any(|c| VOG_CATEGORIES.contains(c)),
            categories,
            zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
            location,
            radius_m: radius(radius_m.0)?.metres(),
            availability: Vec::new(),
            languages: Vec::new(),
            words: candidates::request_words(&m.title, &m.description),
        };
        let items = ranked(&self.state, &need, m.owner_person_id, limit).await?;
        Ok(Json(CandidateList { items }))
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
            needs_vog: b.needs_vog.unwrap_or_else(|| b.categories.iter().any(|c| VOG_CATEGORIES.contains(c))),
            categories: dedup_codes("categories", &b.categories, 0)?,
            zrm_domains: dedup_codes("zrm_domains", &b.zrm_domains, 0)?,
            location,
            radius_m: radius(b.radius_m)?.metres(),
            availability: parse_ranges("availability", &b.availability)?,
            languages: parse_languages("languages", &b.languages)?,
            words: Vec::new(),
        };
        let items = ranked(&self.state, &need, None, candidate_limit(b.limit)?).await?;
        Ok(Json(CandidateList { items }))
    }
}
