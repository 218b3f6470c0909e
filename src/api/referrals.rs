//! `/v1/referrals`: a professional refers a resident's request to a helper under the
//! resident's consent; the helper accepts or declines, starts and closes it; the professional
//! or the resident may cancel. `/v1/me/referrals`: the caller's own, as resident or helper.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::{Label, now, page_limit};
use super::listings::ListingInput;
use crate::domain::list::ChangeCursor;
use crate::domain::referral::{Party, ReferralDeclineReason, ReferralHelperKind, ReferralOutcome, ReferralState, Step};
use crate::domain::{BoundedText, CbsCode};
use crate::error::ApiError;
use crate::service::State;
use crate::service::referrals::{self as service, MySide, NewReferralInput, RequestRef, ShownReferral, WorkListQuery};

/// A referral to make: of an open request of the resident's (`request_id`), or of a request
/// the professional records for them (`request`, owned by the resident). Exactly one of the two.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    /// An open request (a listing of kind request) of the resident's.
    #[serde(default)]
    pub request_id: Option<Uuid>,
    /// A request to record for the resident: kind `request`, `owner.person_id` the resident.
    /// It is theirs: they see it, change it and delete it; the audit log says who wrote it.
    #[serde(default)]
    pub request: Option<ListingInput>,
    /// What the helper is. An initiative of kind professional service is always one.
    pub helper_kind: ReferralHelperKind,
    /// The offer, volunteer profile or initiative.
    pub helper_id: Uuid,
    /// A short note for the helper (at most 2000 characters).
    #[oai(validator(max_length = 2000))]
    #[serde(default)]
    pub note: Option<String>,
}

/// Declining a referral.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralDeclineInput {
    /// Why.
    pub reason: ReferralDeclineReason,
}

/// Closing a referral.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralCloseInput {
    /// How it ended.
    pub outcome: ReferralOutcome,
}

/// The request's words.
#[derive(Debug, Clone, Object)]
pub struct ReferralRequest {
    /// The listing.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

/// The resident, as the helper (once released) or a professional of the gemeente sees them.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReferralResident {
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// Who took a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReferralParty {
    /// A professional of the gemeente.
    Professional,
    /// The helper.
    Helper,
    /// The resident.
    Resident,
    /// The service: the consent was withdrawn, a person erased, the request or helper removed.
    System,
}

impl From<Party> for ReferralParty {
    fn from(p: Party) -> Self {
        match p {
            Party::Professional => Self::Professional,
            Party::Helper => Self::Helper,
            Party::Resident => Self::Resident,
            Party::System => Self::System,
        }
    }
}

/// One step in a referral's history.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReferralStep {
    /// The state it went to.
    pub state: ReferralState,
    /// Who took the step.
    pub by: ReferralParty,
    /// The decline reason or outcome; for a cancellation by the service, why:
    /// `consent_withdrawn`, `person_erased`, `request_removed` or `helper_removed`.
    pub code: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A referral as the caller may see it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Referral {
    /// Identity.
    pub id: Uuid,
    /// Where it is.
    pub state: ReferralState,
    /// The state, as people read it.
    pub state_label: Label,
    /// Open and without a change for 7 days: it needs the team's attention.
    pub stale: bool,
    /// What the helper is.
    pub helper_kind: ReferralHelperKind,
    /// The offer, volunteer profile or initiative; absent once it is removed.
    pub helper_id: Option<Uuid>,
    /// The helper's name: an initiative's always; a person's once they accepted, and to
    /// professionals.
    pub helper_name: Option<String>,
    /// The request; absent once it is removed.
    pub request_id: Option<Uuid>,
    /// The request's words: to the resident, the professionals of the gemeente, and the helper
    /// while the referral is open (and 30 days after closing).
    pub request: Option<ReferralRequest>,
    /// Whether a professional recorded the request for the resident.
    pub request_recorded: bool,
    /// The referrer's note, to the same readers as the request.
    pub note: Option<String>,
    /// The resident's contact: to the helper from acceptance until 30 days after closing
    /// (never after a cancellation or a withdrawn consent); to the professionals of the gemeente
    /// while the consent is in force. Only in single answers, not in lists.
    pub resident: Option<ReferralResident>,
    /// Why the helper declined.
    pub decline_reason: Option<ReferralDeclineReason>,
    /// How it ended.
    pub outcome: Option<ReferralOutcome>,
    /// The request's gemeente.
    pub gemeente_code: String,
    /// The request's wijk.
    pub wijk_code: String,
    /// The caller's parts in it: `professional`, `helper`, `resident`.
    pub your_roles: Vec<ReferralParty>,
    /// Whether the caller made it.
    pub referred_by_you: bool,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Every step, oldest first.
    pub history: Vec<ReferralStep>,
}

impl Referral {
    /// The wire form of a referral as the service shows it to `actor`.
    pub fn of(r: ShownReferral, actor: &str) -> Self {
        let m = r.record;
        Self {
            id: m.id,
            state: r.state,
            state_label: Label { nl: r.state.label_nl().into(), en: r.state.label_en().into() },
            stale: r.stale,
            helper_kind: ReferralHelperKind::from_code(&m.helper_kind).unwrap_or(ReferralHelperKind::Initiative),
            helper_id: m.helper_id,
            helper_name: r.helper_name,
            request_id: m.request_id,
            request: r.request.map(|q| ReferralRequest { id: q.id, title: q.title, description: q.description }),
            request_recorded: m.request_recorded,
            note: r.note,
            resident: r.resident.map(|c| ReferralResident { name: c.name, email: c.email, phone: c.phone }),
            decline_reason: m.decline_reason.as_deref().and_then(ReferralDeclineReason::from_code),
            outcome: m.outcome.as_deref().and_then(ReferralOutcome::from_code),
            gemeente_code: m.gemeente_code,
            wijk_code: m.wijk_code,
            your_roles: r.parties.into_iter().map(Into::into).collect(),
            referred_by_you: m.referred_by == actor,
            created_at: m.created_at,
            updated_at: m.updated_at,
            closed_at: m.closed_at,
            history: r
                .history
                .into_iter()
                .filter_map(|e| {
                    Some(ReferralStep {
                        state: ReferralState::from_code(&e.state)?,
                        by: Party::from_code(&e.party)?.into(),
                        code: e.code,
                        at: e.at,
                    })
                })
                .collect(),
        }
    }
}

/// A page of referrals.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReferralPage {
    /// Newest change first.
    pub items: Vec<Referral>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// One referral.
#[derive(Debug, ApiResponse)]
pub enum ReferralResponse {
    /// The referral.
    #[oai(status = 200)]
    Ok(Json<Referral>),
    /// Sent.
    #[oai(status = 201)]
    Created(Json<Referral>),
}

/// A FHIR R4 Reference.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FhirReference {
    /// A relative reference, `Type/id`.
    pub reference: Option<String>,
    /// Text for people.
    pub display: Option<String>,
}

/// A FHIR R4 Coding.
#[derive(Debug, Clone, Object)]
pub struct FhirCoding {
    /// The code system.
    pub system: String,
    /// The code.
    pub code: String,
    /// Its label.
    pub display: String,
}

/// A FHIR R4 CodeableConcept.
#[derive(Debug, Clone, Object)]
pub struct FhirCodeableConcept {
    /// The codings.
    pub coding: Vec<FhirCoding>,
}

/// A referral as an HL7 FHIR R4 `Task` (the Gravity Project's pattern for social-care
/// referrals): `status` from the state (sent = requested, accepted, declined = rejected,
/// in_progress = in-progress, closed with `got_help` = completed, closed otherwise = failed,
/// cancelled), `businessStatus` the outcome, `statusReason` the decline reason.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FhirTask {
    /// Always `Task`.
    #[oai(rename = "resourceType")]
    pub resource_type: String,
    /// The referral's id.
    pub id: String,
    /// The FHIR task status.
    pub status: String,
    /// Why it was declined.
    #[oai(rename = "statusReason")]
    pub status_reason: Option<FhirCodeableConcept>,
    /// The outcome of a closed referral.
    #[oai(rename = "businessStatus")]
    pub business_status: Option<FhirCodeableConcept>,
    /// Always `order`.
    pub intent: String,
    /// The request the task is about.
    pub focus: Option<FhirReference>,
    /// The resident, to those who may know who it is.
    #[oai(rename = "for")]
    pub for_: Option<FhirReference>,
    /// The wijkteam that referred.
    pub requester: FhirReference,
    /// The helper.
    pub owner: Option<FhirReference>,
    /// When it was sent.
    #[oai(rename = "authoredOn")]
    pub authored_on: String,
    /// Last change.
    #[oai(rename = "lastModified")]
    pub last_modified: String,
}

/// Where our code systems live.
const CODE_SYSTEM: &str = "https://buurtkracht.nl/fhir/CodeSystem";

fn fhir_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl FhirTask {
    /// The FHIR form of a referral as the service shows it.
    pub fn of(r: &ShownReferral) -> Self {
        let m = &r.record;
        let outcome = m.outcome.as_deref().and_then(ReferralOutcome::from_code);
        let coding = |system: &str, code: &str, display: &str| FhirCodeableConcept {
            coding: vec![FhirCoding { system: format!("{CODE_SYSTEM}/{system}"), code: code.into(), display: display.into() }],
        };
        let knows_resident = r.parties.iter().any(|p| matches!(p, Party::Professional | Party::Resident)) || r.resident.is_some();
        Self {
            resource_type: "Task".into(),
            id: m.id.to_string(),
            status: r.state.fhir_status(outcome).into(),
            status_reason: m
                .decline_reason
                .as_deref()
                .and_then(ReferralDeclineReason::from_code)
                .map(|d| coding("referral-decline-reason", d.code(), d.label_en())),
            business_status: outcome.map(|o| coding("referral-outcome", o.code(), o.label_en())),
            intent: "order".into(),
            focus: m.request_id.map(|id| FhirReference {
                reference: Some(format!("ServiceRequest/{id}")),
                display: r.request.as_ref().map(|q| q.title.clone()),
            }),
            for_: m
                .resident_person_id
                .filter(|_| knows_resident)
                .map(|id| FhirReference { reference: Some(format!("Patient/{id}")), display: r.resident.as_ref().map(|c| c.name.clone()) }),
            requester: FhirReference {
                reference: Some(format!("Organization/wijkteam-{}", m.gemeente_code)),
                display: Some(format!("Wijkteam {}", m.gemeente_code)),
            },
            owner: match (m.helper_initiative_id, m.helper_person_id) {
                (Some(i), _) => Some(FhirReference { reference: Some(format!("Organization/{i}")), display: r.helper_name.clone() }),
                (None, Some(p)) => Some(FhirReference { reference: Some(format!("Practitioner/{p}")), display: r.helper_name.clone() }),
                (None, None) => None,
            },
            authored_on: fhir_time(m.created_at),
            last_modified: fhir_time(m.updated_at),
        }
    }
}

/// A referral as FHIR.
#[derive(Debug, ApiResponse)]
pub enum FhirTaskResponse {
    /// The Task.
    #[oai(status = 200, content_type = "application/fhir+json")]
    Ok(Json<FhirTask>),
}

/// Which of your referrals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReferralSide {
    /// Referrals of your requests (the default).
    Resident,
    /// Referrals to you as a helper: as a volunteer, an offer's owner, or an initiative's
    /// organiser.
    Helper,
}

/// Whose referrals, in the work list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReferredBy {
    /// Only the caller's own.
    Me,
}

/// The referrals resource.
pub struct ReferralsApi {
    /// Shared state.
    pub state: Arc<State>,
}

fn cursor(text: Option<String>) -> Result<Option<ChangeCursor>, ApiError> {
    text.map(|t| ChangeCursor::decode(&t).map_err(|e| ApiError::invalid("cursor", e.0))).transpose()
}

fn page(p: crate::domain::list::Page<ShownReferral>, actor: &str) -> ReferralPage {
    ReferralPage { items: p.items.into_iter().map(|r| Referral::of(r, actor)).collect(), next_cursor: p.next }
}

#[OpenApi(tag = "ApiTags::Wijkteam")]
impl ReferralsApi {
    /// Refer a request to a helper
    ///
    /// By a professional of the request's gemeente, only while the resident has a consent in
    /// force for that gemeente's wijkteam with scope `referral` (otherwise 403
    /// `consent_required`). The helper sees the request and the note at once, the resident's
    /// contact only once they accept. Give `request_id` for an open request of the resident's,
    /// or `request` to record their need for them. A full initiative refuses (409
    /// `no_capacity`).
    #[oai(path = "/v1/referrals", method = "post", operation_id = "create_referral")]
    async fn create(&self, caller: SignedIn, body: JsonBody<ReferralInput>) -> Result<ReferralResponse, ApiError> {
        let b = body.0;
        let request = match (b.request_id, &b.request) {
            (Some(id), None) => RequestRef::Existing(id),
            (None, Some(r)) => RequestRef::Recorded(r.parse(now(), None).map_err(|e| e.within("request"))?),
            _ => return Err(ApiError::invalid("request_id", "give either request_id or request, not both or neither")),
        };
        let note = b.note.as_deref().map(|n| BoundedText::parse(n, 2000)).transpose().map_err(|e| ApiError::invalid("note", e.0))?;
        let input = NewReferralInput { request, helper_kind: b.helper_kind, helper_id: b.helper_id, note };
        let r = service::refer(&self.state, &caller.0, input).await?;
        Ok(ReferralResponse::Created(Json(Referral::of(r, &caller.0.actor()))))
    }

    /// The team's work list
    ///
    /// A gemeente's referrals, for its professionals, last changed first. Filters combine with
    /// AND; repeated `state` or `helper_kind` values with OR. `stale=true`: open referrals
    /// without a change for 7 days.
    #[oai(path = "/v1/referrals", method = "get", operation_id = "list_referrals")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        caller: SignedIn,
        /// The gemeente (GM....).
        #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
        gemeente: Query<String>,
        /// States (any of).
        #[oai(default)]
        state: Query<Vec<ReferralState>>,
        /// Only stale referrals (`true`) or only those that are not (`false`).
        stale: Query<Option<bool>>,
        /// Only this wijk (WK......) of the gemeente.
        #[oai(validator(max_length = 8, pattern = "^[Ww][Kk][0-9]{4}[0-9A-Za-z]{2}$"))]
        wijk: Query<Option<String>>,
        /// Helper kinds (any of).
        #[oai(default)]
        helper_kind: Query<Vec<ReferralHelperKind>>,
        /// `me`: only the caller's own referrals.
        referred_by: Query<Option<ReferredBy>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<ReferralPage>, ApiError> {
        let gemeente = match CbsCode::parse(&gemeente.0) {
            Ok(c @ CbsCode::Gemeente(_)) => c.as_str().to_owned(),
            _ => return Err(ApiError::invalid("gemeente", "a CBS gemeente code, GM and four digits")),
        };
        let wijk = match wijk.0.as_deref().map(CbsCode::parse) {
            None => None,
            Some(Ok(c @ CbsCode::Wijk(_))) => Some(c.as_str().to_owned()),
            Some(_) => return Err(ApiError::invalid("wijk", "a CBS wijk code, WK and six characters")),
        };
        let q = WorkListQuery {
            gemeente,
            states: state.0,
            stale: stale.0,
            wijk,
            helper_kinds: helper_kind.0,
            mine: referred_by.0 == Some(ReferredBy::Me),
            after: self::cursor(cursor.0)?,
            limit: page_limit(limit.0)?,
        };
        let p = service::work_list(&self.state, &caller.0, q).await?;
        Ok(Json(page(p, &caller.0.actor())))
    }

    /// Get a referral
    ///
    /// To its resident, its helper and the professionals of its gemeente, each seeing what the
    /// rules give them (see the fields), with its whole history.
    #[oai(path = "/v1/referrals/:id", method = "get", operation_id = "get_referral")]
    async fn get(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ReferralResponse, ApiError> {
        let r = service::get(&self.state, &caller.0, id.0, "GET /v1/referrals/{id}").await?;
        Ok(ReferralResponse::Ok(Json(Referral::of(r, &caller.0.actor()))))
    }

    /// Get a referral as FHIR
    ///
    /// The referral as an HL7 FHIR R4 `Task`, for the gemeente's other systems; to the same
    /// callers as the referral itself.
    #[oai(path = "/v1/referrals/:id/fhir", method = "get", operation_id = "get_referral_fhir")]
    async fn fhir(&self, caller: SignedIn, id: Path<Uuid>) -> Result<FhirTaskResponse, ApiError> {
        let r = service::get(&self.state, &caller.0, id.0, "GET /v1/referrals/{id}/fhir").await?;
        Ok(FhirTaskResponse::Ok(Json(FhirTask::of(&r))))
    }

    /// Accept a referral
    ///
    /// By the helper, while it is sent; the resident's contact is released to them now. Takes
    /// a place at an initiative with a capacity (409 `no_capacity` when none is left).
    #[oai(path = "/v1/referrals/:id/accept", method = "post", operation_id = "accept_referral")]
    async fn accept(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ReferralResponse, ApiError> {
        self.step(caller, id, Step::Accept).await
    }

    /// Decline a referral
    ///
    /// By the helper, while it is sent, with a reason.
    #[oai(path = "/v1/referrals/:id/decline", method = "post", operation_id = "decline_referral")]
    async fn decline(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<ReferralDeclineInput>) -> Result<ReferralResponse, ApiError> {
        self.step(caller, id, Step::Decline(body.0.reason)).await
    }

    /// Start a referral
    ///
    /// By the helper, once accepted: contact made, help going on.
    #[oai(path = "/v1/referrals/:id/start", method = "post", operation_id = "start_referral")]
    async fn start(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ReferralResponse, ApiError> {
        self.step(caller, id, Step::Start).await
    }

    /// Close a referral
    ///
    /// By the helper or a professional of the gemeente, once accepted, with an outcome.
    #[oai(path = "/v1/referrals/:id/close", method = "post", operation_id = "close_referral")]
    async fn close(&self, caller: SignedIn, id: Path<Uuid>, body: JsonBody<ReferralCloseInput>) -> Result<ReferralResponse, ApiError> {
        self.step(caller, id, Step::Close(body.0.outcome)).await
    }

    /// Cancel a referral
    ///
    /// By a professional of the gemeente or the resident, while it is open; the helper's access
    /// ends at once.
    #[oai(path = "/v1/referrals/:id/cancel", method = "post", operation_id = "cancel_referral")]
    async fn cancel(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ReferralResponse, ApiError> {
        self.step(caller, id, Step::Cancel).await
    }

    /// Your referrals
    ///
    /// `side=resident` (the default): every referral of your requests, with their history.
    /// `side=helper`: referrals to you as a volunteer, an offer's owner, or an organiser of an
    /// initiative. Last changed first.
    #[oai(path = "/v1/me/referrals", method = "get", operation_id = "list_my_referrals", tag = "ApiTags::Me")]
    async fn mine(
        &self,
        caller: SignedIn,
        /// Which side you are on.
        side: Query<Option<ReferralSide>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<ReferralPage>, ApiError> {
        let side = match side.0.unwrap_or(ReferralSide::Resident) {
            ReferralSide::Resident => MySide::Resident,
            ReferralSide::Helper => MySide::Helper,
        };
        let p = service::mine(&self.state, &caller.0, side, self::cursor(cursor.0)?, page_limit(limit.0)?).await?;
        Ok(Json(page(p, &caller.0.actor())))
    }
}

impl ReferralsApi {
    async fn step(&self, caller: SignedIn, id: Path<Uuid>, step: Step) -> Result<ReferralResponse, ApiError> {
        let r = service::step(&self.state, &caller.0, id.0, step).await?;
        Ok(ReferralResponse::Ok(Json(Referral::of(r, &caller.0.actor()))))
    }
}
