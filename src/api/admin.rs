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
use super::common::*;
use super::initiatives::Deleted;
use super::me::{AuditPage, audit_cursor, audit_page};
use crate::auth::{Role, policy};
use crate::domain::{BoundedText, CbsCode};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::accounts::{self, NewKey, split_list};
use crate::store::entities::api_key;
use crate::store::{audit, initiatives};

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
    #[oai(validator(max_length = 200))]
    pub label: String,
    /// organiser, professional or admin.
    pub role: KeyRole,
    /// For professional and admin keys: the gemeenten (GM codes) it covers.
    #[oai(default, validator(max_items = 50))]
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
    fn of(m: api_key::Model) -> Self {
        Self {
            id: m.id,
            label: m.label,
            role: m.role,
            gemeenten: split_list(&m.gemeenten),
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
    #[oai(validator(max_length = 200))]
    pub subject: String,
    /// The gemeente (GM code) they may work in from now on.
    #[oai(validator(max_length = 6))]
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
    fn of(m: crate::store::entities::professional_scope::Model) -> Self {
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
    pub state: Arc<AppState>,
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

/// Validates a key request and resolves the gemeenten it covers.
pub async fn resolve_key(state: &AppState, input: &KeyInput, created_by: String) -> Result<NewKey, ApiError> {
    let label = field("label", BoundedText::title(&input.label, 200))?;
    if let Some(e) = input.expires_at
        && e <= Utc::now()
    {
        return Err(ApiError::invalid("expires_at", "must be in the future"));
    }
    let (gemeenten, initiative_id) = match input.role {
        KeyRole::Organiser => {
            if !input.gemeenten.is_empty() {
                return Err(ApiError::invalid("gemeenten", "an organiser key takes its gemeente from its initiative"));
            }
            let id = input.initiative_id.ok_or_else(|| ApiError::invalid("initiative_id", "an organiser key needs an initiative"))?;
            let ini = initiatives::get(&state.db, id)
                .await?
                .ok_or_else(|| ApiError::unprocessable("unknown_reference", "initiative_id", "no initiative with this id"))?;
            (vec![ini.gemeente_code], Some(id))
        }
        KeyRole::Professional | KeyRole::Admin => {
            if input.initiative_id.is_some() {
                return Err(ApiError::invalid("initiative_id", "only organiser keys act for an initiative"));
            }
            let g = gemeente_codes("gemeenten", &input.gemeenten)?;
            if g.is_empty() {
                return Err(ApiError::invalid("gemeenten", "a professional or admin key needs at least one gemeente"));
            }
            (g, None)
        }
    };
    Ok(NewKey {
        label: label.as_str().to_owned(),
        role: input.role.role(),
        gemeenten,
        initiative_id,
        created_by,
        expires_at: input.expires_at,
    })
}

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminApi {
    /// Create an API key
    ///
    /// By an admin of every gemeente the key covers. The key is returned once and stored only
    /// as a hash.
    #[oai(path = "/v1/keys", method = "post", operation_id = "create_key")]
    async fn create_key(&self, caller: SignedIn, body: JsonBody<KeyInput>) -> Result<CreatedKeyResponse, ApiError> {
        let p = caller.0;
        let k = resolve_key(&self.state, &body.0, p.actor()).await?;
        policy::manage_keys(&p, &k.gemeenten)?;
        let (m, key) = accounts::create_key(&self.state.db, &k).await?;
        Ok(CreatedKeyResponse::Created(Json(CreatedKey { key, info: KeyInfo::of(m) })))
    }

    /// List API keys
    ///
    /// The keys whose gemeenten the admin administers, revoked ones included.
    #[oai(path = "/v1/keys", method = "get", operation_id = "list_keys")]
    async fn list_keys(&self, caller: SignedIn) -> Result<Json<KeyList>, ApiError> {
        let p = caller.0;
        policy::manage_keys(&p, &p.gemeenten)?;
        let items = accounts::list_keys(&self.state.db)
            .await?
            .into_iter()
            .filter(|k| policy::manage_keys(&p, &split_list(&k.gemeenten)).is_ok())
            .map(KeyInfo::of)
            .collect();
        Ok(Json(KeyList { items }))
    }

    /// Revoke an API key
    ///
    /// It stops working at once; its record stays for the audit trail.
    #[oai(path = "/v1/keys/:id", method = "delete", operation_id = "revoke_key")]
    async fn revoke_key(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        let p = caller.0;
        let k = accounts::get_key(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("key"))?;
        policy::manage_keys(&p, &split_list(&k.gemeenten))?;
        accounts::revoke_key(&self.state.db, id.0).await.map_err(|e| not_found_as(e, "key"))?;
        Ok(Deleted::NoContent)
    }

    /// Grant a professional a gemeente
    ///
    /// By an admin of the gemeente. A professional works in the gemeenten their token names and
    /// in those granted here; a grant takes effect at their next request.
    #[oai(path = "/v1/professionals", method = "post", operation_id = "grant_professional")]
    async fn grant(&self, caller: SignedIn, body: JsonBody<ScopeInput>) -> Result<ScopeResponse, ApiError> {
        let p = caller.0;
        let subject = field("subject", BoundedText::parse(&body.0.subject, 200))?;
        let gemeente = gemeente_codes("gemeente", std::slice::from_ref(&body.0.gemeente))?.remove(0);
        policy::manage_professionals(&p, &gemeente)?;
        let m = accounts::grant_scope(&self.state.db, subject.as_str(), &gemeente, &p.actor()).await?;
        Ok(ScopeResponse::Created(Json(Scope::of(m))))
    }

    /// List granted gemeenten
    ///
    /// The grants in the admin's gemeenten.
    #[oai(path = "/v1/professionals", method = "get", operation_id = "list_professionals")]
    async fn grants(&self, caller: SignedIn) -> Result<Json<ScopeList>, ApiError> {
        let p = caller.0;
        let Some(first) = p.gemeenten.first() else {
            return Err(policy::Denied::Forbidden("only an admin of a gemeente may grant professionals access to it").into());
        };
        policy::manage_professionals(&p, first)?;
        let items = accounts::scopes_in(&self.state.db, &p.gemeenten).await?.into_iter().map(Scope::of).collect();
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
        #[oai(validator(max_length = 6))]
        gemeente: Query<String>,
    ) -> Result<Deleted, ApiError> {
        let p = caller.0;
        let gemeente = gemeente_codes("gemeente", std::slice::from_ref(&gemeente.0))?.remove(0);
        policy::manage_professionals(&p, &gemeente)?;
        accounts::revoke_scope(&self.state.db, &subject.0, &gemeente).await.map_err(|e| not_found_as(e, "grant"))?;
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
        #[oai(validator(max_length = 6))]
        gemeente: Query<Option<String>>,
        /// Only entries about this person.
        person_id: Query<Option<Uuid>>,
        /// Page size, 1 to 200 (default 50).
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<AuditPage>, ApiError> {
        let p = caller.0;
        let gemeenten = match gemeente.0 {
            Some(g) => gemeente_codes("gemeente", &[g])?,
            None => p.gemeenten.clone(),
        };
        if gemeenten.is_empty() {
            return Err(policy::Denied::Forbidden("only an admin of a gemeente may read its audit log").into());
        }
        for g in &gemeenten {
            policy::read_audit(&p, g)?;
        }
        let limit = page_limit(limit.0)?;
        let after = audit_cursor(cursor.0.as_deref())?;
        let rows = audit::list(&self.state.db, &audit::Filter { person_id: person_id.0, gemeenten: Some(gemeenten), after, limit }).await?;
        Ok(Json(audit_page(rows, limit)))
    }
}
