//! `/v1/initiatives/{id}/support-requests` and `/v1/support-requests`: an initiative asks its
//! gemeente's wijkteam for what it needs to keep going; the team's professionals review, grant
//! or decline, and the organisers may withdraw while nothing is decided.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::{field, now, page_limit};
use crate::domain::support::{MAX_NOTE, SupportAsk, SupportCursor};
use crate::domain::{BoundedText, CbsCode, SupportDeclineReason, SupportKind, SupportStatus};
use crate::error::ApiError;
use crate::service::State;
use crate::service::support_requests::{self as service, Decision, ShownSupportRequest, SupportEvent, WorkList};

/// A calendar day, `YYYY-MM-DD`. poem-openapi writes its own format name (`naive-date`) for
/// chrono's dates; clients' generators know the standard `date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CalendarDate(pub NaiveDate);

impl Type for CalendarDate {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for CalendarDate {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        let value = value.unwrap_or_default();
        match value.as_str().map(str::parse::<NaiveDate>) {
            Some(Ok(d)) => Ok(Self(d)),
            _ => Err(ParseError::expected_type(value)),
        }
    }
}

impl ToJSON for CalendarDate {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.0.format("%Y-%m-%d").to_string()))
    }
}

/// A request for support, as the initiative's organisers write it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportRequestInput {
    /// What the initiative asks for.
    pub kind: SupportKind,
    /// What exactly, for what and for whom, e.g. "Een zaal voor 30 mensen op dinsdagavond".
    #[oai(validator(max_length = 5000, pattern = "\\S"))]
    pub description: String,
    /// For a `grant` (and only then, where it is required): the amount asked, in euro cents
    /// (1 to 10000000).
    #[oai(validator(minimum(value = "1"), maximum(value = "10000000")))]
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// When the initiative would like it: today or later, at most five years ahead.
    #[serde(default)]
    pub wished_date: Option<CalendarDate>,
}

/// Granting a request.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportGrantInput {
    /// What the wijkteam gives, in words the organisers read, e.g. "De buurtkamer, elke
    /// dinsdagavond tot de zomer".
    #[oai(validator(max_length = 2000, pattern = "\\S"))]
    pub note: String,
    /// For a request of kind `grant` (and only then, where it is required): the amount given,
    /// in euro cents (1 to 10000000); it may differ from the amount asked.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000000")))]
    #[serde(default)]
    pub amount_cents: Option<i64>,
}

/// Declining a request.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportDeclineInput {
    /// Why not.
    pub reason: SupportDeclineReason,
    /// More words for the organisers, e.g. where else to ask.
    #[oai(validator(max_length = 2000))]
    #[serde(default)]
    pub note: Option<String>,
}

/// What the wijkteam gave.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportGrant {
    /// In words.
    pub note: String,
    /// For a grant: the amount given, in euro cents.
    pub amount_cents: Option<i64>,
}

/// Why the wijkteam declined.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportDecline {
    /// The reason.
    pub reason: SupportDeclineReason,
    /// More words, if any.
    pub note: Option<String>,
}

/// One step in a request's history.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportHistoryEntry {
    /// The state the request entered.
    pub status: SupportStatus,
    /// Who: `token:<subject>` or `key:<id>`; an erased person shows as the audit log's
    /// pseudonym for them (`erased:...`).
    pub actor: String,
    /// Their role then: `organiser`, `resident`, `professional` or `admin`.
    pub actor_role: String,
    /// When.
    pub at: DateTime<Utc>,
    /// For a decline: the reason.
    pub code: Option<SupportDeclineReason>,
    /// For a grant: what was given; for a decline: the team's words.
    pub note: Option<String>,
    /// For a granted grant: the amount given, in euro cents.
    pub amount_cents: Option<i64>,
}

/// A support request as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportRequest {
    /// Identity.
    pub id: Uuid,
    /// The initiative that asks.
    pub initiative_id: Uuid,
    /// The gemeente whose wijkteam works it: the initiative's when it asked.
    pub gemeente_code: String,
    /// The initiative's wijk when it asked.
    pub wijk_code: String,
    /// What is asked for.
    pub kind: SupportKind,
    /// In the organisers' words.
    pub description: String,
    /// For a grant: the amount asked, in euro cents.
    pub amount_cents: Option<i64>,
    /// When the initiative would like it.
    pub wished_date: Option<CalendarDate>,
    /// Where it is.
    pub status: SupportStatus,
    /// Once granted: what was given.
    pub grant: Option<SupportGrant>,
    /// Once declined: why.
    pub decline: Option<SupportDecline>,
    /// Every state it entered, oldest first, starting with `submitted`.
    pub history: Vec<SupportHistoryEntry>,
    /// Submitted.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of support requests.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportRequestPage {
    /// By last change, newest first.
    pub items: Vec<SupportRequest>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// One support request.
#[derive(Debug, ApiResponse)]
pub enum SupportRequestResponse {
    /// The request.
    #[oai(status = 200)]
    Ok(Json<SupportRequest>),
    /// Submitted.
    #[oai(status = 201)]
    Created(Json<SupportRequest>),
}

impl SupportHistoryEntry {
    fn of(e: SupportEvent) -> Self {
        Self {
            status: SupportStatus::from_code(&e.status).unwrap_or(SupportStatus::Submitted),
            actor: e.actor,
            actor_role: e.actor_role,
            at: e.at,
            code: e.code.as_deref().and_then(SupportDeclineReason::from_code),
            note: e.note,
            amount_cents: e.amount_cents,
        }
    }
}

impl SupportRequest {
    /// The wire form of a request with its history.
    pub fn of(s: ShownSupportRequest) -> Self {
        let r = s.record;
        let status = SupportStatus::from_code(&r.status).unwrap_or(SupportStatus::Submitted);
        let grant = match (status, r.granted_note) {
            (SupportStatus::Granted, Some(note)) => Some(SupportGrant { note, amount_cents: r.granted_amount_cents }),
            _ => None,
        };
        let decline = match (status, r.decline_reason.as_deref().and_then(SupportDeclineReason::from_code)) {
            (SupportStatus::Declined, Some(reason)) => Some(SupportDecline { reason, note: r.decline_note }),
            _ => None,
        };
        Self {
            id: r.id,
            initiative_id: r.initiative_id,
            gemeente_code: r.gemeente_code,
            wijk_code: r.wijk_code,
            kind: SupportKind::from_code(&r.kind).unwrap_or(SupportKind::Room),
            description: r.description,
            amount_cents: r.amount_cents,
            wished_date: r.wished_date.map(CalendarDate),
            status,
            grant,
            decline,
            history: s.history.into_iter().map(SupportHistoryEntry::of).collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl SupportRequestInput {
    /// Parses into what the initiative asks, naming the field at fault.
    pub fn parse(&self) -> Result<SupportAsk, ApiError> {
        SupportAsk::parse(self.kind, &self.description, self.amount_cents, self.wished_date.map(|d| d.0), now().date_naive())
            .map_err(|(f, e)| ApiError::invalid(f, e.0))
    }
}

fn cursor_of(text: Option<&str>) -> Result<Option<SupportCursor>, ApiError> {
    text.map(|t| field("cursor", SupportCursor::decode(t))).transpose()
}

fn page_of(page: crate::domain::list::Page<ShownSupportRequest>) -> SupportRequestPage {
    SupportRequestPage { items: page.items.into_iter().map(SupportRequest::of).collect(), next_cursor: page.next }
}

/// The support requests resource.
pub struct SupportRequestsApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(tag = "ApiTags::Wijkteam")]
impl SupportRequestsApi {
    /// Ask the wijkteam for support
    ///
    /// By the initiative's organisers (or a key of the initiative, or an admin of its gemeente,
    /// who may change the initiative too). The request goes to the wijkteam of the initiative's
    /// gemeente and records its gemeente and wijk as they are now. A `grant` names its
    /// `amount_cents`; no other kind has one.
    #[oai(path = "/v1/initiatives/:id/support-requests", method = "post", operation_id = "submit_support_request")]
    async fn submit(
        &self,
        caller: SignedIn,
        id: Path<Uuid>,
        body: JsonBody<SupportRequestInput>,
    ) -> Result<SupportRequestResponse, ApiError> {
        let ask = body.0.parse()?;
        let s = service::submit(&self.state, &caller.0, id.0, ask).await?;
        Ok(SupportRequestResponse::Created(Json(SupportRequest::of(s))))
    }

    /// List an initiative's support requests
    ///
    /// With their answers and history, by last change, newest first. For the initiative's
    /// organisers (and an admin of its gemeente) and the professionals of its gemeente.
    #[oai(path = "/v1/initiatives/:id/support-requests", method = "get", operation_id = "list_initiative_support_requests")]
    async fn of_initiative(
        &self,
        caller: SignedIn,
        id: Path<Uuid>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<SupportRequestPage>, ApiError> {
        let limit = page_limit(limit.0)?;
        let after = cursor_of(cursor.0.as_deref())?;
        Ok(Json(page_of(service::of_initiative(&self.state, &caller.0, id.0, after, limit).await?)))
    }

    /// List a gemeente's support requests
    ///
    /// The wijkteam's work list, for the professionals of the gemeente: by last change, newest
    /// first (a request that changes while you page moves to the top, so it may be missed or
    /// seen twice). Filters combine with AND; repeated `status` or `kind` values with OR.
    #[oai(path = "/v1/support-requests", method = "get", operation_id = "list_support_requests")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        caller: SignedIn,
        /// The gemeente (GM code).
        #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
        gemeente: Query<String>,
        /// States (any of).
        #[oai(default)]
        status: Query<Vec<SupportStatus>>,
        /// Kinds (any of).
        #[oai(default)]
        kind: Query<Vec<SupportKind>>,
        /// One wijk (WK code) of the gemeente.
        #[oai(validator(max_length = 8, pattern = "^[Ww][Kk][0-9]{4}[0-9A-Za-z]{2}$"))]
        wijk: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<SupportRequestPage>, ApiError> {
        let gemeente = match CbsCode::parse(&gemeente.0) {
            Ok(CbsCode::Gemeente(g)) => g,
            _ => return Err(ApiError::invalid("gemeente", "must be a gemeente code such as GM0479")),
        };
        let wijk = match wijk.0.as_deref().map(CbsCode::parse) {
            None => None,
            Some(Ok(w @ CbsCode::Wijk(_))) if w.gemeente() == gemeente => Some(w.as_str().to_owned()),
            Some(Ok(w @ CbsCode::Wijk(_))) => {
                return Err(ApiError::invalid("wijk", format!("{} lies in {}, not in {gemeente}", w.as_str(), w.gemeente())));
            }
            Some(_) => return Err(ApiError::invalid("wijk", "must be a wijk code such as WK047912")),
        };
        let q = WorkList {
            gemeente,
            wijk,
            statuses: status.0,
            kinds: kind.0,
            after: cursor_of(cursor.0.as_deref())?,
            limit: page_limit(limit.0)?,
        };
        Ok(Json(page_of(service::work_list(&self.state, &caller.0, q).await?)))
    }

    /// Get a support request
    ///
    /// With its answer and history. For the initiative's organisers (and an admin of its
    /// gemeente) and the professionals of the request's gemeente.
    #[oai(path = "/v1/support-requests/:id", method = "get", operation_id = "get_support_request")]
    async fn get(&self, caller: SignedIn, id: Path<Uuid>) -> Result<SupportRequestResponse, ApiError> {
        Ok(SupportRequestResponse::Ok(Json(SupportRequest::of(service::get(&self.state, &caller.0, id.0).await?))))
    }

    /// Take a support request into review
    ///
    /// By a professional of its gemeente, while it is `submitted`; from any other state 409,
    /// naming the state in `current_state`.
    #[oai(path = "/v1/support-requests/:id/review", method = "post", operation_id = "review_support_request")]
    async fn review(&self, caller: SignedIn, id: Path<Uuid>) -> Result<SupportRequestResponse, ApiError> {
        self.decide(caller, id, Decision::Review).await
    }

    /// Grant a support request
    ///
    /// By a professional of its gemeente, while it is `submitted` or `in_review`: what is given,
    /// and for a `grant` the amount given (required there, refused for other kinds). From a
    /// final state 409, naming the state in `current_state`.
    #[oai(path = "/v1/support-requests/:id/grant", method = "post", operation_id = "grant_support_request")]
    async fn grant(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<SupportGrantInput>) -> Result<SupportRequestResponse, ApiError> {
        let b = body.0;
        let note = field("note", BoundedText::parse(&b.note, MAX_NOTE))?;
        self.decide(caller, id, Decision::Grant { note, amount_cents: b.amount_cents }).await
    }

    /// Decline a support request
    ///
    /// By a professional of its gemeente, while it is `submitted` or `in_review`, with a reason
    /// and optional words. From a final state 409, naming the state in `current_state`.
    #[oai(path = "/v1/support-requests/:id/decline", method = "post", operation_id = "decline_support_request")]
    async fn decline(
        &self,
        caller: SignedIn,
        id: Path<Uuid>,
        body: JsonBody<SupportDeclineInput>,
    ) -> Result<SupportRequestResponse, ApiError> {
        let b = body.0;
        let note = field("note", BoundedText::parse_optional(b.note.as_deref(), MAX_NOTE))?;
        self.decide(caller, id, Decision::Decline { reason: b.reason, note }).await
    }

    /// Withdraw a support request
    ///
    /// By the initiative's organisers (or an admin of its gemeente), while it is not decided
    /// (`submitted` or `in_review`); after a decision 409, naming the state in `current_state`.
    #[oai(path = "/v1/support-requests/:id/withdraw", method = "post", operation_id = "withdraw_support_request")]
    async fn withdraw(&self, caller: SignedIn, id: Path<Uuid>) -> Result<SupportRequestResponse, ApiError> {
        self.decide(caller, id, Decision::Withdraw).await
    }
}

impl SupportRequestsApi {
    async fn decide(&self, caller: SignedIn, id: Path<Uuid>, decision: Decision) -> Result<SupportRequestResponse, ApiError> {
        Ok(SupportRequestResponse::Ok(Json(SupportRequest::of(service::decide(&self.state, &caller.0, id.0, decision).await?))))
    }
}
