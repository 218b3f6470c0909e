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
use super::candidates::CandidateKind;
use super::common::page_limit;
use crate::domain::BoundedText;
use crate::error::ApiError;
use crate::matching::lifecycle::Status;
use crate::service::State;
use crate::service::matches::{self as service, HelperRef, ShownMatch, Step};

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
    pub state: Arc<State>,
}

impl Match {
    /// The wire form of a match as the service shows it to this caller.
    pub fn of(m: ShownMatch) -> Self {
        let r = m.record;
        Self {
            id: r.id,
            request_id: r.request_id,
            helper_kind: match r.helper_kind.as_str() {
                "offer" => CandidateKind::Offer,
                "volunteer" => CandidateKind::Volunteer,
                _ => CandidateKind::Initiative,
            },
            helper_id: r.helper_id,
            status: m.status.into(),
            requester_accepted: m.requester_accepted,
            helper_accepted: m.helper_accepted,
            your_side: m.side.map(|s| service::side_code(s).to_owned()),
            decline_reason: r.decline_reason,
            other_side_contact: m.contact.map(|c| MatchContact { name: c.name, email: c.email, phone: c.phone }),
            proposed_at: r.proposed_at,
            updated_at: r.updated_at,
        }
    }
}

impl MatchInput {
    /// The kind of helper named.
    pub fn helper(&self) -> HelperRef {
        match self.helper_kind {
            HelperKindIo::Offer => HelperRef::Offer,
            HelperKindIo::Volunteer => HelperRef::Volunteer,
            HelperKindIo::Initiative => HelperRef::Initiative,
        }
    }
}

#[OpenApi(prefix_path = "/v1/matches", tag = "ApiTags::Matching")]
impl MatchesApi {
    /// Propose a match
    ///
    /// By the requester, the helper, or a professional of the request's gemeente. A side that
    /// proposes has accepted; the other side still has to.
    #[oai(path = "/", method = "post", operation_id = "propose_match")]
    async fn propose(&self, caller: SignedIn, body: JsonBody<MatchInput>) -> Result<MatchResponse, ApiError> {
        let b = body.0;
        let m = service::propose(&self.state, &caller.0, b.request_id, b.helper(), b.helper_id).await?;
        Ok(MatchResponse::Created(Json(Match::of(m))))
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
        let items = service::list(&self.state, &caller.0, page_limit(limit.0)?).await?.into_iter().map(Match::of).collect();
        Ok(Json(MatchList { items }))
    }

    /// Get a match
    ///
    /// With the other side's contact details once both sides accepted.
    #[oai(path = "/:id", method = "get", operation_id = "get_match")]
    async fn get(&self, caller: SignedIn, id: Path<Uuid>) -> Result<MatchResponse, ApiError> {
        Ok(MatchResponse::Ok(Json(Match::of(service::get(&self.state, &caller.0, id.0).await?))))
    }

    /// Accept a match
    ///
    /// By one side; when both have, contact details are exchanged.
    #[oai(path = "/:id/accept", method = "post", operation_id = "accept_match")]
    async fn accept(&self, caller: SignedIn, id: Path<Uuid>) -> Result<MatchResponse, ApiError> {
        self.step(caller, id, Step::Accept).await
    }

    /// Decline a match
    ///
    /// By either side, while the match is proposed, with a reason; a declined match stays
    /// declined.
    #[oai(path = "/:id/decline", method = "post", operation_id = "decline_match")]
    async fn decline(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<DeclineInput>) -> Result<MatchResponse, ApiError> {
        self.step(caller, id, Step::Decline(body.0.reason.code())).await
    }

    /// Cancel a match
    ///
    /// By either side or a professional of the gemeente, before it is completed.
    #[oai(path = "/:id/cancel", method = "post", operation_id = "cancel_match")]
    async fn cancel(&self, caller: SignedIn, id: Path<Uuid>) -> Result<MatchResponse, ApiError> {
        self.step(caller, id, Step::Cancel).await
    }

    /// Complete a match
    ///
    /// By either side, once both accepted. The requester may join an initiative's network.
    #[oai(path = "/:id/complete", method = "post", operation_id = "complete_match")]
    async fn complete(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<CompleteInput>) -> Result<MatchResponse, ApiError> {
        self.step(caller, id, Step::Complete { join_network: body.0.join_network }).await
    }

    /// Give feedback
    ///
    /// Once per side, after completion: 1 to 5, optional words, and whether the other side did
    /// not show up. A helper's feedback from requesters feeds its later rankings.
    #[oai(path = "/:id/feedback", method = "post", operation_id = "match_feedback")]
    async fn feedback(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<FeedbackInput>) -> Result<MatchResponse, ApiError> {
        let b = body.0;
        let rating =
            u8::try_from(b.rating).ok().filter(|r| (1..=5).contains(r)).ok_or_else(|| ApiError::invalid("rating", "must be 1 to 5"))?;
        let comment =
            b.comment.as_deref().map(|c| BoundedText::parse(c, 2000)).transpose().map_err(|e| ApiError::invalid("comment", e.0))?;
        let m = service::feedback(&self.state, &caller.0, id.0, rating, comment, b.no_show).await?;
        Ok(MatchResponse::Ok(Json(Match::of(m))))
    }
}

impl MatchesApi {
    async fn step(&self, caller: SignedIn, id: Path<Uuid>, step: Step<'_>) -> Result<MatchResponse, ApiError> {
        Ok(MatchResponse::Ok(Json(Match::of(service::step(&self.state, &caller.0, id.0, step).await?))))
    }
}
