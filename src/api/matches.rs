//! `/v1/matches`: a request and a helper agree. Proposed by either side or a professional,
//! accepted by both, completed, and rated; contact details only once both accepted.

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
use super::matching::CandidateKind;
use crate::auth::Principal;
use crate::domain::{BoundedText, ListingKind, ListingStatus};
use crate::error::ApiError;
use crate::matching::lifecycle::{self, Event, Side, State, Status};
use crate::startup::AppState;
use crate::store::audit::{Action, Entry};
use crate::store::entities::match_row::Model;
use crate::store::locks::{self, Lock};
use crate::store::{Conn, initiatives, listings, matches as store, people, volunteers};

/// Why a side says no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    /// Not available at the times needed.
    NotAvailable,
    /// Too far.
    TooFar,
    /// Not a good fit.
    NotAFit,
    /// No places or time left.
    NoCapacity,
    /// The help is no longer needed.
    NoLongerNeeded,
    /// Something else.
    Other,
}

impl DeclineReason {
    fn code(self) -> &'static str {
        match self {
            Self::NotAvailable => "not_available",
            Self::TooFar => "too_far",
            Self::NotAFit => "not_a_fit",
            Self::NoCapacity => "no_capacity",
            Self::NoLongerNeeded => "no_longer_needed",
            Self::Other => "other",
        }
    }
}

/// Where a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MatchStatus {
    /// Waiting for one or both sides.
    Proposed,
    /// Both accepted: contact details are exchanged.
    Accepted,
    /// The help happened.
    Completed,
    /// A side said no.
    Declined,
    /// Called off.
    Cancelled,
    /// Not answered within 14 days.
    Expired,
}

impl From<Status> for MatchStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Proposed => Self::Proposed,
            Status::Accepted => Self::Accepted,
            Status::Completed => Self::Completed,
            Status::Declined => Self::Declined,
            Status::Cancelled => Self::Cancelled,
            Status::Expired => Self::Expired,
        }
    }
}

/// A match to propose.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchInput {
    /// The request (a listing of kind request).
    pub request_id: Uuid,
    /// What the helper is.
    pub helper_kind: HelperKindIo,
    /// The offer, volunteer profile or initiative.
    pub helper_id: Uuid,
}

/// What kind of helper (as in candidates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum HelperKindIo {
    /// A neighbour's offer.
    Offer,
    /// A volunteer profile.
    Volunteer,
    /// An initiative.
    Initiative,
}

/// Declining.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineInput {
    /// Why.
    pub reason: DeclineReason,
}

/// Completing.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    /// For a match with an initiative: the requester joins its network, so that their next
    /// request finds it first (opt-in; only the requester may set it).
    #[serde(default)]
    pub join_network: bool,
}

/// Feedback after completion.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    /// 1 (poor) to 5 (very good).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    pub rating: i64,
    /// In your own words (optional).
    #[oai(validator(max_length = 2000))]
    #[serde(default)]
    pub comment: Option<String>,
    /// The other side did not show up.
    #[serde(default)]
    pub no_show: bool,
}

/// The other side's contact details, once both accepted.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MatchContact {
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// A match as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Match {
    /// Identity.
    pub id: Uuid,
    /// The request.
    pub request_id: Uuid,
    /// What the helper is.
    pub helper_kind: CandidateKind,
    /// The helper.
    pub helper_id: Uuid,
    /// Where it is (expired when a proposal waited 14 days).
    pub status: MatchStatus,
    /// Whether the requester accepted.
    pub requester_accepted: bool,
    /// Whether the helper accepted.
    pub helper_accepted: bool,
    /// The caller's side, if they are one.
    #[oai(skip_serializing_if_is_none)]
    pub your_side: Option<String>,
    /// Why it was declined.
    #[oai(skip_serializing_if_is_none)]
    pub decline_reason: Option<String>,
    /// The other side's contact details: only to a side, only once both accepted.
    #[oai(skip_serializing_if_is_none)]
    pub other_side_contact: Option<MatchContact>,
    /// Proposed.
    pub proposed_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Matches the caller sees.
#[derive(Debug, Clone, Object)]
pub struct MatchList {
    /// Newest first.
    pub items: Vec<Match>,
}

/// One match.
#[derive(Debug, ApiResponse)]
pub enum MatchResponse {
    /// The match.
    #[oai(status = 200)]
    Ok(Json<Match>),
    /// Proposed.
    #[oai(status = 201)]
    Created(Json<Match>),
}

/// The matches resource.
pub struct MatchesApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

/// A side of a match: the person, or the initiative, on it.
type Party = (Option<Uuid>, Option<Uuid>);

/// The caller's side of a match between `requester` and `helper`, if any.
fn side_in(p: &Principal, requester: Party, helper: Party) -> Option<Side> {
    let is = |(person, initiative): Party| person.is_some_and(|x| p.is_person(x)) || initiative.is_some_and(|i| p.acts_for(i));
    if is(requester) {
        Some(Side::Requester)
    } else if is(helper) {
        Some(Side::Helper)
    } else {
        None
    }
}

/// The caller's side of a stored match, if any.
fn side_of(p: &Principal, m: &Model) -> Option<Side> {
    side_in(p, (m.requester_person_id, m.requester_initiative_id), (m.helper_person_id, m.helper_initiative_id))
}

fn side_code(s: Side) -> &'static str {
    match s {
        Side::Requester => "requester",
        Side::Helper => "helper",
    }
}

impl MatchesApi {
    async fn visible(&self, p: &Principal, id: Uuid) -> Result<Model, ApiError> {
        visible_in(&self.state.db, p, id).await
    }

    /// The other side's contact, once released, with an audit entry when it is a person's.
    async fn contact_for(&self, p: &Principal, m: &Model, status: Status) -> Result<Option<MatchContact>, ApiError> {
        let Some(side) = side_of(p, m) else { return Ok(None) };
        if !lifecycle::contacts_released(status) {
            return Ok(None);
        }
        let (person, initiative) = match side {
            Side::Requester => (m.helper_person_id, m.helper_initiative_id),
            Side::Helper => (m.requester_person_id, m.requester_initiative_id),
        };
        if let Some(pid) = person {
            let Some(other) = people::get(&self.state.db, pid).await? else { return Ok(None) };
            let entry = Entry {
                actor: p,
                person_id: pid,
                gemeente: Some(&other.gemeente_code),
                action: Action::Read,
                resource: "person",
                resource_id: Some(pid),
                endpoint: "GET /v1/matches/{id}",
            };
            audit(&self.state.db, entry).await?;
            return Ok(Some(MatchContact { name: other.display_name, email: other.contact_email, phone: other.contact_phone }));
        }
        if let Some(iid) = initiative {
            let Some(i) = initiatives::get(&self.state.db, iid).await? else { return Ok(None) };
            return Ok(Some(MatchContact { name: i.name, email: i.contact_email, phone: i.contact_phone }));
        }
        Ok(None)
    }

    /// The wire form of a match as `p` sees it.
    pub async fn view(&self, p: &Principal, m: Model) -> Result<Match, ApiError> {
        self.out(p, m).await
    }

    async fn out(&self, p: &Principal, m: Model) -> Result<Match, ApiError> {
        let state = store::state_of(&m);
        let status = lifecycle::effective(&state, now());
        let contact = self.contact_for(p, &m, status).await?;
        Ok(Match {
            id: m.id,
            request_id: m.request_id,
            helper_kind: match m.helper_kind.as_str() {
                "offer" => CandidateKind::Offer,
                "volunteer" => CandidateKind::Volunteer,
                _ => CandidateKind::Initiative,
            },
            helper_id: m.helper_id,
            status: status.into(),
            requester_accepted: state.requester_accepted,
            helper_accepted: state.helper_accepted,
            your_side: side_of(p, &m).map(|s| side_code(s).to_owned()),
            decline_reason: m.decline_reason.clone(),
            other_side_contact: contact,
            proposed_at: m.proposed_at,
            updated_at: m.updated_at,
        })
    }

    /// Moves a match on by `event`, holding it until the new state is stored, so that two
    /// requests at once (both sides accepting, completing twice) each see the other's result.
    /// With `join_network`, the requester also joins the helping initiative's network, in the
    /// same transaction: both happen or neither.
    async fn transition(
        &self,
        p: &Principal,
        id: Uuid,
        event: impl Fn(Option<Side>) -> Result<Event, ApiError>,
        declined: Option<&str>,
        join_network: bool,
    ) -> Result<Model, ApiError> {
        let txn = locks::begin_locked(&self.state.db, &[Lock::Match(id)]).await?;
        let m = visible_in(&txn, p, id).await?;
        let side = side_of(p, &m);
        // Checked before anything changes, so a refused request changes nothing.
        let join = match (join_network, side, m.requester_person_id, m.helper_initiative_id) {
            (false, ..) => None,
            (true, Some(Side::Requester), Some(person), Some(initiative)) => Some((person, initiative)),
            (true, ..) => {
                return Err(ApiError::invalid("join_network", "only the requesting resident joins, and only an initiative's network"));
            }
        };
        let e = event(side)?;
        let next = lifecycle::apply(store::state_of(&m), e, now())
            .map_err(|err| ApiError::unprocessable("invalid_transition", "status", err.0))?;
        let decline = declined.zip(side).map(|(reason, s)| (side_code(s), reason));
        let saved = store::save(&txn, m, next, decline).await?;
        if let Some((person, initiative)) = join {
            store::join_network(&txn, person, initiative).await?;
        }
        txn.commit().await?;
        Ok(saved)
    }
}

/// The match `id` where `p` may see it: a side, or a professional of its gemeente.
async fn visible_in(db: &impl Conn, p: &Principal, id: Uuid) -> Result<Model, ApiError> {
    let m = store::get(db, id).await?.ok_or_else(|| ApiError::not_found("match"))?;
    if side_of(p, &m).is_none() && !p.professional_in(&m.gemeente_code) {
        return Err(ApiError::forbidden("a match is seen by its two sides and the professionals of its gemeente"));
    }
    Ok(m)
}

fn need_side(side: Option<Side>) -> Result<Side, ApiError> {
    side.ok_or_else(|| ApiError::forbidden("only the two sides of a match may do this"))
}

#[OpenApi(prefix_path = "/v1/matches", tag = "ApiTags::Matching")]
impl MatchesApi {
    /// Propose a match
    ///
    /// By the requester, the helper, or a professional of the request's gemeente. A side that
    /// proposes has accepted; the other side still has to.
    #[oai(path = "/", method = "post", operation_id = "propose_match")]
    async fn propose(&self, caller: SignedIn, body: JsonBody<MatchInput>) -> Result<MatchResponse, ApiError> {
        let p = caller.0;
        let m = propose_match(&self.state, &p, &body.0).await?;
        Ok(MatchResponse::Created(Json(self.out(&p, m).await?)))
    }

    /// List your matches
    ///
    /// Where the caller is a side; for a professional, also those in their gemeenten.
    #[oai(path = "/", method = "get", operation_id = "list_matches")]
    async fn list(
        &self,
        caller: SignedIn,
        /// At most this many (1 to 200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<MatchList>, ApiError> {
        let p = caller.0;
        let gemeenten = if p.role == crate::auth::Role::Professional { p.gemeenten.clone() } else { Vec::new() };
        let rows = store::list_for(&self.state.db, p.person_id, &p.initiatives, &gemeenten, page_limit(limit.0)?).await?;
        let mut items = Vec::with_capacity(rows.len());
        for m in rows {
            items.push(self.out(&p, m).await?);
        }
        Ok(Json(MatchList { items }))
    }

    /// Get a match
    ///
    /// With the other side's contact details once both sides accepted.
    #[oai(path = "/:id", method = "get", operation_id = "get_match")]
    async fn get(&self, caller: SignedIn, id: Path<Uuid>) -> Result<MatchResponse, ApiError> {
        let m = self.visible(&caller.0, id.0).await?;
        Ok(MatchResponse::Ok(Json(self.out(&caller.0, m).await?)))
    }

    /// Accept a match
    ///
    /// By one side; when both have, contact details are exchanged.
    #[oai(path = "/:id/accept", method = "post", operation_id = "accept_match")]
    async fn accept(&self, caller: SignedIn, id: Path<Uuid>) -> Result<MatchResponse, ApiError> {
        let m = self.transition(&caller.0, id.0, |s| Ok(Event::Accept(need_side(s)?)), None, false).await?;
        Ok(MatchResponse::Ok(Json(self.out(&caller.0, m).await?)))
    }

    /// Decline a match
    ///
    /// By either side, while the match is proposed, with a reason; a declined match stays
    /// declined.
    #[oai(path = "/:id/decline", method = "post", operation_id = "decline_match")]
    async fn decline(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<DeclineInput>) -> Result<MatchResponse, ApiError> {
        let reason = body.0.reason.code();
        let m = self.transition(&caller.0, id.0, |s| Ok(Event::Decline(need_side(s)?)), Some(reason), false).await?;
        Ok(MatchResponse::Ok(Json(self.out(&caller.0, m).await?)))
    }

    /// Cancel a match
    ///
    /// By either side or a professional of the gemeente, before it is completed.
    #[oai(path = "/:id/cancel", method = "post", operation_id = "cancel_match")]
    async fn cancel(&self, caller: SignedIn, id: Path<Uuid>) -> Result<MatchResponse, ApiError> {
        let m = self.transition(&caller.0, id.0, |_| Ok(Event::Cancel), None, false).await?;
        Ok(MatchResponse::Ok(Json(self.out(&caller.0, m).await?)))
    }

    /// Complete a match
    ///
    /// By either side, once both accepted. The requester may join an initiative's network.
    #[oai(path = "/:id/complete", method = "post", operation_id = "complete_match")]
    async fn complete(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<CompleteInput>) -> Result<MatchResponse, ApiError> {
        let p = caller.0;
        let m = self.transition(&p, id.0, |s| need_side(s).map(|_| Event::Complete), None, body.0.join_network).await?;
        Ok(MatchResponse::Ok(Json(self.out(&p, m).await?)))
    }

    /// Give feedback
    ///
    /// Once per side, after completion: 1 to 5, optional words, and whether the other side did
    /// not show up. A helper's feedback from requesters feeds its later rankings.
    #[oai(path = "/:id/feedback", method = "post", operation_id = "match_feedback")]
    async fn feedback(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<FeedbackInput>) -> Result<MatchResponse, ApiError> {
        let p = caller.0;
        let m = self.visible(&p, id.0).await?;
        let side = need_side(side_of(&p, &m))?;
        let b = body.0;
        if !(1..=5).contains(&b.rating) {
            return Err(ApiError::invalid("rating", "must be 1 to 5"));
        }
        let comment =
            b.comment.as_deref().map(|c| BoundedText::parse(c, 2000)).transpose().map_err(|e| ApiError::invalid("comment", e.0))?;
        if lifecycle::effective(&store::state_of(&m), now()) != Status::Completed {
            return Err(ApiError::unprocessable("invalid_transition", "status", "feedback comes after the match is completed"));
        }
        store::add_feedback(&self.state.db, m.id, side_code(side), b.rating as i16, comment.map(|c| c.as_str().to_owned()), b.no_show)
            .await?;
        Ok(MatchResponse::Ok(Json(self.out(&p, m).await?)))
    }
}

/// Proposes a match after every check: the request is an open request, the helper an open
/// offer, a volunteer or an initiative, and the caller a side or a professional of the gemeente.
pub async fn propose_match(app: &AppState, p: &Principal, b: &MatchInput) -> Result<Model, ApiError> {
    let now = now();
    // Held until the match is stored: every proposal for this request (one match per pair),
    // the initiative's places, and the helper itself (an erasure waits, or comes first and the
    // helper is found gone).
    let helper_lock = match b.helper_kind {
        HelperKindIo::Offer => Lock::Listing(b.helper_id),
        HelperKindIo::Volunteer => Lock::Volunteer(b.helper_id),
        HelperKindIo::Initiative => Lock::Initiative(b.helper_id),
    };
    let held = [Lock::Listing(b.request_id), helper_lock];
    let txn = locks::begin_locked(&app.db, &held).await?;
    let unknown = |f: &str, what: &str| ApiError::unprocessable("unknown_reference", f, format!("no {what} with this id"));
    let request = listings::get(&txn, b.request_id).await?.ok_or_else(|| unknown("request_id", "listing"))?;
    if ListingKind::from_code(&request.kind) != Some(ListingKind::Request) {
        return Err(ApiError::unprocessable(
            "not_a_request",
            "request_id",
            "a match joins a request to a helper; this listing is an offer",
        ));
    }
    if listings::effective_status(&request, now) != ListingStatus::Open {
        return Err(ApiError::unprocessable("invalid_state", "request_id", "the request is not open"));
    }
    let (kind, helper) = match b.helper_kind {
        HelperKindIo::Offer => {
            let o = listings::get(&txn, b.helper_id).await?.ok_or_else(|| unknown("helper_id", "offer"))?;
            if ListingKind::from_code(&o.kind) != Some(ListingKind::Offer) {
                return Err(ApiError::unprocessable("not_an_offer", "helper_id", "the helper must be an offer, not a request"));
            }
            if listings::effective_status(&o, now) != ListingStatus::Open {
                return Err(ApiError::unprocessable("invalid_state", "helper_id", "the offer is not open"));
            }
            ("offer", (o.owner_person_id, o.owner_initiative_id))
        }
        HelperKindIo::Volunteer => {
            let v = volunteers::get(&txn, b.helper_id).await?.ok_or_else(|| unknown("helper_id", "volunteer"))?;
            if v.status != "active" {
                return Err(ApiError::unprocessable("invalid_state", "helper_id", "the volunteer is not active"));
            }
            ("volunteer", (Some(v.person_id), None))
        }
        HelperKindIo::Initiative => {
            let i = initiatives::get(&txn, b.helper_id).await?.ok_or_else(|| unknown("helper_id", "initiative"))?;
            if i.status != "active" {
                return Err(ApiError::unprocessable("invalid_state", "helper_id", "the initiative is not active"));
            }
            if let Some(places) = i.capacity {
                let (_, open) = store::helper_track_record(&txn, &[i.id], now).await?;
                let places = u32::try_from(places).unwrap_or(0);
                if crate::store::candidates::places_left(places, open.get(&i.id).copied().unwrap_or(0)) == 0 {
                    return Err(ApiError::unprocessable(
                        "no_capacity",
                        "helper_id",
                        "the initiative has no places left: every place is taken by a match in progress",
                    ));
                }
            }
            ("initiative", (None, Some(i.id)))
        }
    };
    let requester = (request.owner_person_id, request.owner_initiative_id);
    if requester.0.is_some() && requester.0 == helper.0 {
        return Err(ApiError::unprocessable("invalid_state", "helper_id", "nobody is matched with themself"));
    }
    let side = side_in(p, requester, helper);
    if side.is_none() && !p.professional_in(&request.gemeente_code) {
        return Err(ApiError::forbidden("a match is proposed by the requester, the helper, or a professional of the gemeente"));
    }
    if store::open_between(&txn, request.id, b.helper_id).await? {
        return Err(ApiError::conflict("this request and helper already have a match in progress"));
    }
    let state = State {
        status: Status::Proposed,
        requester_accepted: side == Some(Side::Requester),
        helper_accepted: side == Some(Side::Helper),
        proposed_at: now,
    };
    let new = store::NewMatch {
        request_id: request.id,
        helper_kind: kind,
        helper_id: b.helper_id,
        requester,
        helper,
        gemeente_code: request.gemeente_code,
        proposed_by: p.actor(),
        state,
    };
    let created = store::create(&txn, &new).await?;
    txn.commit().await?;
    Ok(created)
}
