//! `/v1/keys` and `/v1/audit`: what admins of a gemeente manage and read.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::{field, page_limit};
use super::initiatives::Deleted;
use super::me::{AuditPage, audit_cursor, audit_page};
use crate::auth::Role;
use crate::domain::{BoundedText, CbsCode};
use crate::error::ApiError;
use crate::service::State;
use crate::service::accounts::{self, ApiKey, Grant, KeySpec};

/// The roles a key can have; residents sign in with tokens, never with keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// Acts for one initiative (its own website, say).
    Organiser,
    /// A wijkteam integration, scoped to gemeenten.
    Professional,
    /// Administration of gemeenten (an import job, say).
    Admin,
}

impl KeyRole {
    fn role(self) -> Role {
        match self {
            Self::Organiser => Role::Organiser,
            Self::Professional => Role::Professional,
            Self::Admin => Role::Admin,
        }
    }
}

/// A key to create.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// What the key is for, e.g. "Website Repair Café Poelenburg".
    #[oai(validator(max_length = 200, pattern = "\\S"))]
    pub label: String,
    /// organiser, professional or admin.
    pub role: KeyRole,
    /// For professional and admin keys: the gemeenten (GM codes) it covers.
    #[oai(default, validator(max_items = 50, pattern = "^[Gg][Mm][0-9]{4}$"))]
    #[serde(default)]
    pub gemeenten: Vec<String>,
    /// For organiser keys: the initiative it acts for.
    #[serde(default)]
    pub initiative_id: Option<Uuid>,
    /// When it stops working (optional, in the future).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KeyInfo {
    /// Identity.
    pub id: Uuid,
    /// Label.
    pub label: String,
    /// Role.
    pub role: String,
    /// Gemeenten covered.
    pub gemeenten: Vec<String>,
    /// The initiative an organiser key acts for.
    pub initiative_id: Option<Uuid>,
    /// Who created it.
    pub created_by: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyInfo {
    fn of(m: ApiKey) -> Self {
        Self {
            id: m.id,
            label: m.label,
            role: m.role,
            gemeenten: accounts::split_list(&m.gemeenten),
            initiative_id: m.initiative_id,
            created_by: m.created_by,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
        }
    }
}

/// A new key, shown this once.
#[derive(Debug, Clone, Object)]
pub struct CreatedKey {
    /// The key: send it as `X-API-Key`. It is stored only as a hash and cannot be shown again.
    pub key: String,
    /// What was stored.
    pub info: KeyInfo,
}

/// Keys an admin may manage.
#[derive(Debug, Clone, Object)]
pub struct KeyList {
    /// Newest first.
    pub items: Vec<KeyInfo>,
}

/// A created key.
#[derive(Debug, ApiResponse)]
pub enum CreatedKeyResponse {
    /// Created; the key is in the body and nowhere else.
    #[oai(status = 201)]
    Created(Json<CreatedKey>),
}

/// A grant of a gemeente to a professional.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeInput {
    /// The professional's `sub` at the token issuer.
    #[oai(validator(max_length = 200, pattern = "\\S"))]
    pub subject: String,
    /// The gemeente (GM code) they may work in from now on.
    #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
    pub gemeente: String,
}

/// A granted gemeente.
#[derive(Debug, Clone, Object)]
pub struct Scope {
    /// The professional's subject.
    pub subject: String,
    /// The gemeente.
    pub gemeente: String,
    /// Who granted it.
    pub granted_by: String,
    /// When.
    pub granted_at: DateTime<Utc>,
}

impl Scope {
    fn of(m: Grant) -> Self {
        Self { subject: m.subject, gemeente: m.gemeente_code, granted_by: m.granted_by, granted_at: m.granted_at }
    }
}

/// Grants in the admin's gemeenten.
#[derive(Debug, Clone, Object)]
pub struct ScopeList {
    /// By subject.
    pub items: Vec<Scope>,
}

/// A created grant.
#[derive(Debug, ApiResponse)]
pub enum ScopeResponse {
    /// Granted (or already granted).
    #[oai(status = 201)]
    Created(Json<Scope>),
}

/// Keys and the audit log.
pub struct AdminApi {
    /// Shared state.
    pub state: Arc<State>,
}

/// Checks the shape of gemeente codes.
pub fn gemeente_codes(name: &str, codes: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        match CbsCode::parse(c) {
            Ok(CbsCode::Gemeente(g)) if !out.contains(&g) => out.push(g),
            Ok(CbsCode::Gemeente(_)) => {}
            _ => return Err(ApiError::invalid(format!("{name}[{i}]"), "must be a gemeente code such as GM0479")),
        }
    }
    Ok(out)
}

/// Checks the shape of one gemeente code, naming the field itself (not `name[0]`).
fn one_gemeente(name: &str, code: &str) -> Result<String, ApiError> {
    match CbsCode::parse(code) {
        Ok(CbsCode::Gemeente(g)) => Ok(g),
        _ => Err(ApiError::invalid(name, "must be a gemeente code such as GM0479")),
    }
}

impl KeyInput {
    /// Parses the request into a key spec, naming the field at fault.
    pub fn parse(&self) -> Result<KeySpec, ApiError> {
        let label = field("label", BoundedText::title(&self.label, 200))?;
        if self.gemeenten.len() > 50 {
            return Err(ApiError::invalid("gemeenten", "at most 50 values"));
        }
        let gemeenten = match self.role {
            KeyRole::Organiser => self.gemeenten.clone(),
            KeyRole::Professional | KeyRole::Admin => gemeente_codes("gemeenten", &self.gemeenten)?,
        };
        Ok(KeySpec {
            label: label.into_string(),
            role: self.role.role(),
            gemeenten,
            initiative_id: self.initiative_id,
            expires_at: self.expires_at,
        })
    }
}

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminApi {
    /// Create an API key
    ///
    /// By an admin of every gemeente the key covers. The key is returned once and stored only
    /// as a hash.
    #[oai(path = "/v1/keys", method = "post", operation_id = "create_key")]
    async fn create_key(&self, caller: SignedIn, body: JsonBody<KeyInput>) -> Result<CreatedKeyResponse, ApiError> {
        let (m, key) = accounts::create_key(&self.state, &caller.0, body.0.parse()?).await?;
        Ok(CreatedKeyResponse::Created(Json(CreatedKey { key, info: KeyInfo::of(m) })))
    }

    /// List API keys
    ///
    /// The keys whose gemeenten the admin administers, revoked ones included.
    #[oai(path = "/v1/keys", method = "get", operation_id = "list_keys")]
    async fn list_keys(&self, caller: SignedIn) -> Result<Json<KeyList>, ApiError> {
        let items = accounts::keys(&self.state, &caller.0).await?.into_iter().map(KeyInfo::of).collect();
        Ok(Json(KeyList { items }))
    }

    /// Revoke an API key
    ///
    /// It stops working at once; its record stays for the audit trail.
    #[oai(path = "/v1/keys/:id", method = "delete", operation_id = "revoke_key")]
    async fn revoke_key(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        accounts::revoke_key(&self.state, &caller.0, id.0).await?;
        Ok(Deleted::NoContent)
    }

    /// Grant a professional a gemeente
    ///
    /// By an admin of the gemeente. A professional works in the gemeenten their token names and
    /// in those granted here; a grant takes effect at their next request.
    #[oai(path = "/v1/professionals", method = "post", operation_id = "grant_professional")]
    async fn grant(&self, caller: SignedIn, body: JsonBody<ScopeInput>) -> Result<ScopeResponse, ApiError> {
        let subject = field("subject", BoundedText::parse(&body.0.subject, 200))?;
        let gemeente = one_gemeente("gemeente", &body.0.gemeente)?;
        let m = accounts::grant(&self.state, &caller.0, subject.as_str(), &gemeente).await?;
        Ok(ScopeResponse::Created(Json(Scope::of(m))))
    }

    /// List granted gemeenten
    ///
    /// The grants in the admin's gemeenten.
    #[oai(path = "/v1/professionals", method = "get", operation_id = "list_professionals")]
    async fn grants(&self, caller: SignedIn) -> Result<Json<ScopeList>, ApiError> {
        let items = accounts::grants(&self.state, &caller.0).await?.into_iter().map(Scope::of).collect();
        Ok(Json(ScopeList { items }))
    }

    /// Withdraw a granted gemeente
    ///
    /// From the professional's next request on.
    #[oai(path = "/v1/professionals", method = "delete", operation_id = "revoke_professional")]
    async fn revoke(
        &self,
        caller: SignedIn,
        /// The professional's subject.
        #[oai(validator(max_length = 200))]
        subject: Query<String>,
        /// The gemeente.
        #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
        gemeente: Query<String>,
    ) -> Result<Deleted, ApiError> {
        let gemeente = one_gemeente("gemeente", &gemeente.0)?;
        accounts::revoke_grant(&self.state, &caller.0, &subject.0, &gemeente).await?;
        Ok(Deleted::NoContent)
    }

    /// Read the audit log
    ///
    /// Who read or changed people's data in the admin's gemeenten, oldest first.
    #[oai(path = "/v1/audit", method = "get", operation_id = "list_audit")]
    async fn audit(
        &self,
        caller: SignedIn,
        /// One of the admin's gemeenten (default: all of them).
        #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
        gemeente: Query<Option<String>>,
        /// Only entries about this person.
        person_id: Query<Option<Uuid>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<AuditPage>, ApiError> {
        let gemeenten = gemeente.0.map(|g| one_gemeente("gemeente", &g).map(|g| vec![g])).transpose()?;
        let limit = page_limit(limit.0)?;
        let after = audit_cursor(cursor.0.as_deref())?;
        let rows = accounts::audit_log(&self.state, &caller.0, gemeenten, person_id.0, after, limit).await?;
        Ok(Json(audit_page(rows, limit)))
    }
}
