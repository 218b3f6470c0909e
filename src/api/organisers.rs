//! Organisers of initiatives: who they are, invitations for co-organisers, and leaving.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::JsonBody;
use super::caller::SignedIn;
use super::common::*;
use super::consents::own_person_id;
use super::initiatives::Deleted;
use crate::auth::{Principal, policy};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::entities::initiative;
use crate::store::{accounts, initiatives, people};

/// One organiser.
#[derive(Debug, Clone, Object)]
pub struct Organiser {
    /// The person.
    pub person_id: Uuid,
    /// Their display name.
    pub display_name: String,
    /// Since.
    pub added_at: DateTime<Utc>,
}

/// The organisers of an initiative.
#[derive(Debug, Clone, Object)]
pub struct OrganiserList {
    /// Oldest first.
    pub items: Vec<Organiser>,
}

/// A new invitation.
#[derive(Debug, Clone, Object)]
pub struct Invitation {
    /// The one-time code; hand it to the person you invite. Shown only now.
    pub code: String,
    /// The initiative.
    pub initiative_id: Uuid,
    /// It cannot be used after this.
    pub expires_at: DateTime<Utc>,
}

/// Redeeming an invitation.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The code from the invitation.
    #[oai(validator(max_length = 100))]
    pub code: String,
}

/// The result of accepting.
#[derive(Debug, Clone, Object)]
pub struct Accepted {
    /// The initiative you now organise.
    pub initiative_id: Uuid,
}

/// A created invitation.
#[derive(Debug, ApiResponse)]
pub enum InvitationResponse {
    /// Created.
    #[oai(status = 201)]
    Created(Json<Invitation>),
}

/// Organisers and invitations.
pub struct OrganisersApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

impl OrganisersApi {
    async fn managed(&self, p: &Principal, id: Uuid) -> Result<initiative::Model, ApiError> {
        let ini = initiatives::get(&self.state.db, id).await?.ok_or_else(|| ApiError::not_found("initiative"))?;
        policy::manage_organisers(p, ini.id, &ini.gemeente_code)?;
        Ok(ini)
    }
}

#[OpenApi(tag = "ApiTags::Initiatives")]
impl OrganisersApi {
    /// List an initiative's organisers
    ///
    /// For its organisers and admins of its gemeente.
    #[oai(path = "/v1/initiatives/:id/organisers", method = "get", operation_id = "list_organisers")]
    async fn list(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Json<OrganiserList>, ApiError> {
        self.managed(&caller.0, id.0).await?;
        let mut items = Vec::new();
        for o in accounts::organisers_of(&self.state.db, id.0).await? {
            let name = people::get(&self.state.db, o.person_id).await?.map(|p| p.display_name).unwrap_or_default();
            items.push(Organiser { person_id: o.person_id, display_name: name, added_at: o.added_at });
        }
        Ok(Json(OrganiserList { items }))
    }

    /// Invite a co-organiser
    ///
    /// Returns a one-time code, valid for 14 days, that a signed-in resident redeems with
    /// `POST /v1/invitations/accept`.
    #[oai(path = "/v1/initiatives/:id/invitations", method = "post", operation_id = "invite_organiser")]
    async fn invite(&self, caller: SignedIn, id: Path<Uuid>) -> Result<InvitationResponse, ApiError> {
        let p = caller.0;
        self.managed(&p, id.0).await?;
        let (m, code) = accounts::invite(&self.state.db, id.0, &p.actor()).await?;
        Ok(InvitationResponse::Created(Json(Invitation { code, initiative_id: m.initiative_id, expires_at: m.expires_at })))
    }

    /// Accept an invitation
    ///
    /// The caller (a resident with a person profile) becomes an organiser of the initiative.
    #[oai(path = "/v1/invitations/accept", method = "post", operation_id = "accept_invitation")]
    async fn accept(&self, caller: SignedIn, body: JsonBody<AcceptInvitation>) -> Result<Json<Accepted>, ApiError> {
        let me = own_person_id(&caller.0)?;
        if body.0.code.chars().count() > 100 {
            return Err(ApiError::invalid("code", "at most 100 characters"));
        }
        let initiative_id = accounts::accept_invitation(&self.state.db, body.0.code.trim(), me).await.map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::unprocessable("unknown_reference", "code", "no invitation with this code"),
            other => other.into(),
        })?;
        Ok(Json(Accepted { initiative_id }))
    }

    /// Remove an organiser
    ///
    /// An organiser may step down or remove another; an admin of the gemeente may remove
    /// anyone. The last organiser stays (409).
    #[oai(path = "/v1/initiatives/:id/organisers", method = "delete", operation_id = "remove_organiser")]
    async fn remove(
        &self,
        caller: SignedIn,
        id: Path<Uuid>,
        /// The organiser to remove.
        person_id: Query<Uuid>,
    ) -> Result<Deleted, ApiError> {
        self.managed(&caller.0, id.0).await?;
        accounts::remove_organiser(&self.state.db, id.0, person_id.0).await.map_err(|e| not_found_as(e, "organiser"))?;
        Ok(Deleted::NoContent)
    }
}
