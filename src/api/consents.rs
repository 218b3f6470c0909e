//! `/v1/consents`: a person's consents, given and withdrawn by the person themself.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::{dedup_codes, field, now};
use crate::domain::taxonomy::split_codes;
use crate::domain::{BoundedText, CbsCode, ConsentScope};
use crate::error::ApiError;
use crate::service::State;
use crate::service::consents::{self as service, Consent as Model, Grantee, NewConsent};

/// Who a consent is given to: exactly one of the three.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct GranteeIo {
    /// A person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Uuid>,
    /// An initiative's organisers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiative_id: Option<Uuid>,
    /// The wijkteam of a gemeente (GM code): its professionals.
    #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wijkteam_gemeente: Option<String>,
}

/// A consent as its person gives it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// Why, in words the person agreed to, e.g. "Hulp bij formulieren via het wijkteam".
    #[oai(validator(max_length = 500, pattern = "\\S"))]
    pub purpose: String,
    /// To whom.
    pub grantee: GranteeIo,
    /// What it covers (at least one).
    #[oai(validator(min_items = 1, max_items = 4))]
    pub scope: Vec<ConsentScope>,
    /// From (default now).
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Until (open-ended when absent); after `valid_from`.
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
}

impl ConsentInput {
    fn parse(&self, now: DateTime<Utc>) -> Result<NewConsent, ApiError> {
        let purpose = field("purpose", BoundedText::parse(&self.purpose, 500))?;
        let g = &self.grantee;
        let grantee = match (g.person_id, g.initiative_id, &g.wijkteam_gemeente) {
            (Some(p), None, None) => Grantee::Person(p),
            (None, Some(i), None) => Grantee::Initiative(i),
            (None, None, Some(code)) => match CbsCode::parse(code) {
                Ok(CbsCode::Gemeente(c)) => Grantee::Wijkteam(c),
                _ => return Err(ApiError::invalid("grantee.wijkteam_gemeente", "must be a gemeente code such as GM0479")),
            },
            _ => return Err(ApiError::invalid("grantee", "give exactly one of person_id, initiative_id and wijkteam_gemeente")),
        };
        let scope = dedup_codes("scope", &self.scope, 1, 4)?;
        let valid_from = self.valid_from.unwrap_or(now);
        if let Some(until) = self.valid_until
            && until <= valid_from
        {
            return Err(ApiError::invalid("valid_until", "must be after valid_from"));
        }
        Ok(NewConsent { purpose: purpose.as_str().to_owned(), grantee, scope, valid_from, valid_until: self.valid_until })
    }
}

/// A consent as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Consent {
    /// Identity.
    pub id: Uuid,
    /// The person who gave it.
    pub person_id: Uuid,
    /// Why.
    pub purpose: String,
    /// To whom.
    pub grantee: GranteeIo,
    /// What it covers.
    pub scope: Vec<ConsentScope>,
    /// From.
    pub valid_from: DateTime<Utc>,
    /// Until.
    pub valid_until: Option<DateTime<Utc>>,
    /// When it was withdrawn; it has no effect from then on.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Whether it is in force now.
    pub in_force: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Consent {
    /// The wire form of a stored consent.
    pub fn of(m: Model, now: DateTime<Utc>) -> Self {
        let in_force = service::in_force(&m, now);
        Self {
            id: m.id,
            person_id: m.person_id,
            purpose: m.purpose,
            grantee: GranteeIo {
                person_id: m.grantee_person_id,
                initiative_id: m.grantee_initiative_id,
                wijkteam_gemeente: m.grantee_gemeente,
            },
            scope: split_codes(&m.scope, ConsentScope::from_code),
            valid_from: m.valid_from,
            valid_until: m.valid_until,
            withdrawn_at: m.withdrawn_at,
            in_force,
            created_at: m.created_at,
        }
    }
}

/// The caller's consents.
#[derive(Debug, Clone, Object)]
pub struct ConsentList {
    /// Newest first.
    pub items: Vec<Consent>,
}

/// One consent.
#[derive(Debug, ApiResponse)]
pub enum ConsentResponse {
    /// The consent.
    #[oai(status = 200)]
    Ok(Json<Consent>),
    /// Created.
    #[oai(status = 201)]
    Created(Json<Consent>),
}

/// The consents resource.
pub struct ConsentsApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/consents", tag = "ApiTags::Consents")]
impl ConsentsApi {
    /// Give a consent
    ///
    /// Only a person for themself. A consent for a wijkteam with scope `contact` lets the
    /// professionals of that gemeente see the person's contact details.
    #[oai(path = "/", method = "post", operation_id = "create_consent")]
    async fn create(&self, caller: SignedIn, body: JsonBody<ConsentInput>) -> Result<ConsentResponse, ApiError> {
        let now = now();
        let m = service::give(&self.state, &caller.0, body.0.parse(now)?).await?;
        Ok(ConsentResponse::Created(Json(Consent::of(m, now))))
    }

    /// List your consents
    ///
    /// Every consent the caller's person gave, withdrawn and expired ones included.
    #[oai(path = "/", method = "get", operation_id = "list_consents")]
    async fn list(&self, caller: SignedIn) -> Result<Json<ConsentList>, ApiError> {
        let now = now();
        let items = service::list(&self.state, &caller.0).await?.into_iter().map(|m| Consent::of(m, now)).collect();
        Ok(Json(ConsentList { items }))
    }

    /// Get one of your consents
    ///
    /// Only the person who gave it reads it here (403 for anyone else).
    #[oai(path = "/:id", method = "get", operation_id = "get_consent")]
    async fn get(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ConsentResponse, ApiError> {
        Ok(ConsentResponse::Ok(Json(Consent::of(service::get(&self.state, &caller.0, id.0).await?, now()))))
    }

    /// Withdraw a consent
    ///
    /// Takes effect at once: the next request of the grantee no longer sees what it covered.
    /// Withdrawing again changes nothing.
    #[oai(path = "/:id/withdraw", method = "post", operation_id = "withdraw_consent")]
    async fn withdraw(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ConsentResponse, ApiError> {
        Ok(ConsentResponse::Ok(Json(Consent::of(service::withdraw(&self.state, &caller.0, id.0).await?, now()))))
    }
}
