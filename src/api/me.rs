//! `/v1/me`: the caller's own data: their profile, an export of everything held about them,
//! the audit log of who read or changed it, and erasure.

use std::sync::Arc;

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::caller::SignedIn;
use super::common::{now, page_limit};
use super::consents::Consent;
use super::experiences::Experience;
use super::initiatives::Deleted;
use super::listings::Listing;
use super::people::Person;
use super::referrals::Referral;
use super::volunteers::Volunteer;
use crate::error::ApiError;
use crate::service::State;
use crate::service::listings::ShownListing;
use crate::service::me::{self as service, AuditEvent};

/// Who the caller is, as the service sees them.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Me {
    /// resident, organiser, professional or admin.
    pub role: String,
    /// `token:<sub>` or `key:<id>`.
    pub actor: String,
    /// The caller's person profile, once created.
    pub person: Option<Person>,
    /// Gemeenten a professional or admin works in.
    pub gemeenten: Vec<String>,
    /// Initiatives the caller organises or acts for.
    pub initiatives: Vec<Uuid>,
}

/// One audit entry.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEntry {
    /// Identity.
    pub id: Uuid,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who: `token:<sub>` or `key:<id>`.
    pub actor: String,
    /// Their role.
    pub actor_role: String,
    /// The person the data is about: their id, or `erased:...` after erasure.
    pub person_ref: String,
    /// read, create, update, delete, export or erase.
    pub action: String,
    /// person, volunteer, listing, consent or experience.
    pub resource: String,
    /// Which item.
    pub resource_id: Option<String>,
    /// The operation.
    pub endpoint: String,
}

impl AuditEntry {
    /// The wire form of a stored entry.
    pub fn of(m: AuditEvent) -> Self {
        Self {
            id: m.id,
            at: m.at,
            actor: m.actor,
            actor_role: m.actor_role,
            person_ref: m.person_ref,
            action: m.action,
            resource: m.resource,
            resource_id: m.resource_id,
            endpoint: m.endpoint,
        }
    }
}

/// A page of audit entries, oldest first.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// Reads an audit cursor (the position of the last entry).
pub fn audit_cursor(text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|t| {
        let seq = crate::domain::list_scope::open(t).map_err(|e| ApiError::invalid("cursor", e.0))?;
        seq.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| ApiError::invalid("cursor", "not a cursor this service issued"))
    })
    .transpose()
}

/// Turns entries into a page: a next cursor when the page is full.
pub fn audit_page(rows: Vec<AuditEvent>, limit: u64) -> AuditPage {
    let next_cursor =
        (rows.len() as u64 == limit).then(|| rows.last().map(|r| crate::domain::list_scope::seal(&r.seq.to_string()))).flatten();
    AuditPage { items: rows.into_iter().map(AuditEntry::of).collect(), next_cursor }
}

/// Everything held about the caller.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Export {
    /// When this export was made.
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// The profile, with contact details.
    pub person: Person,
    /// The volunteer profile.
    pub volunteer: Option<Volunteer>,
    /// Offers and requests.
    pub listings: Vec<Listing>,
    /// Consents given.
    pub consents: Vec<Consent>,
    /// Initiatives organised.
    pub organises: Vec<Uuid>,
    /// Answers on how the help went, newest first.
    pub experiences: Vec<Experience>,
    /// Who read or changed this data.
    pub audit: Vec<AuditEntry>,
    /// Referrals of your requests by the wijkteam, with their histories.
    pub referrals: Vec<Referral>,
}

/// The caller.
#[derive(Debug, ApiResponse)]
pub enum MeResponse {
    /// Who you are.
    #[oai(status = 200)]
    Ok(Json<Me>),
}

/// The caller's own data.
pub struct MeApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/me", tag = "ApiTags::Me")]
impl MeApi {
    /// Who am I
    ///
    /// The caller as the service sees them: role, actor, their person (if any), the gemeenten
    /// and initiatives they act for.
    #[oai(path = "/", method = "get", operation_id = "get_me")]
    async fn me(&self, caller: SignedIn) -> Result<MeResponse, ApiError> {
        let p = caller.0;
        let person = service::person(&self.state, &p).await?.map(|m| Person::of(m, None, true));
        Ok(MeResponse::Ok(Json(Me {
            role: p.role.code().to_owned(),
            actor: p.actor(),
            person,
            gemeenten: p.gemeenten.clone(),
            initiatives: p.initiatives.clone(),
        })))
    }

    /// Export my data
    ///
    /// Everything held about the caller's person, as one JSON document (GDPR art. 15 and 20).
    #[oai(path = "/export", method = "get", operation_id = "export_me")]
    async fn export(&self, caller: SignedIn) -> Result<Json<Export>, ApiError> {
        let held = service::export(&self.state, &caller.0).await?;
        let referrals = crate::service::referrals::for_export(&self.state, &caller.0).await?;
        let actor = caller.0.actor();
        let now = now();
        Ok(Json(Export {
            exported_at: now,
            person: Person::of(held.person, None, true),
            volunteer: held.volunteer.map(|v| Volunteer::of(v, None)),
            listings: held
                .listings
                .into_iter()
                .map(|l| ShownListing::full(l, now).map(Listing::of))
                .collect::<Option<Vec<_>>>()
                // An export that leaves a listing out would be worse than none: a stored row
                // without a valid cell is a fault on our side.
                .ok_or_else(|| ApiError::internal(&crate::domain::Invalid::new("a stored listing has no valid cell")))?,
            consents: held.consents.into_iter().map(|c| Consent::of(c, now)).collect(),
            organises: held.organises,
            experiences: held.experiences.into_iter().map(Experience::of).collect(),
            audit: held.audit.into_iter().map(AuditEntry::of).collect(),
            referrals: referrals.into_iter().map(|r| Referral::of(r, &actor)).collect(),
        }))
    }

    /// Who read or changed my data
    ///
    /// The audit log about the caller's person, oldest first.
    #[oai(path = "/audit", method = "get", operation_id = "my_audit")]
    async fn audit(
        &self,
        caller: SignedIn,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<AuditPage>, ApiError> {
        let limit = page_limit(limit.0)?;
        let after = audit_cursor(cursor.0.as_deref())?;
        let rows = service::audit(&self.state, &caller.0, after, limit).await?;
        Ok(Json(audit_page(rows, limit)))
    }

    /// Erase me
    ///
    /// Erases the caller's person, listings, volunteer profile, consents, organiser roles and
    /// answers on how the help went, for good. Audit entries keep only a pseudonym. Copies elsewhere (the search index,
    /// feeds) receive the erasure as deletions.
    #[oai(path = "/", method = "delete", operation_id = "erase_me")]
    async fn erase(&self, caller: SignedIn) -> Result<Deleted, ApiError> {
        service::erase(&self.state, &caller.0).await?;
        Ok(Deleted::NoContent)
    }
}
