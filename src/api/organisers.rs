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
use super::initiatives::Deleted;
use crate::error::ApiError;
use crate::service::State;
use crate::service::accounts;

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
    pub state: Arc<State>,
}

#[OpenApi(tag = "ApiTags::Initiatives")]
impl OrganisersApi {
    /// List an initiative's organisers
    ///
    /// For its organisers and admins of its gemeente.
    #[oai(path = "/v1/initiatives/:id/organisers", method = "get", operation_id = "list_organisers")]
    async fn list(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Json<OrganiserList>, ApiError> {
        let items = accounts::organisers(&self.state, &caller.0, id.0)
            .await?
            .into_iter()
            .map(|o| Organiser { person_id: o.person_id, display_name: o.display_name, added_at: o.added_at })
            .collect();
        Ok(Json(OrganiserList { items }))
    }

    /// Invite a co-organiser
    ///
    /// Returns a one-time code, valid for 14 days, that a signed-in resident redeems with
    /// `POST /v1/invitations/accept`.
    #[oai(path = "/v1/initiatives/:id/invitations", method = "post", operation_id = "invite_organiser")]
    async fn invite(&self, caller: SignedIn, id: Path<Uuid>) -> Result<InvitationResponse, ApiError> {
        let (code, expires_at) = accounts::invite(&self.state, &caller.0, id.0).await?;
        Ok(InvitationResponse::Created(Json(Invitation { code, initiative_id: id.0, expires_at })))
    }

    /// Accept an invitation
    ///
    /// The caller (a resident with a person profile) becomes an organiser of the initiative.
    #[oai(path = "/v1/invitations/accept", method = "post", operation_id = "accept_invitation")]
    async fn accept(&self, caller: SignedIn, body: JsonBody<AcceptInvitation>) -> Result<Json<Accepted>, ApiError> {
        if body.0.code.chars().count() > 100 {
            return Err(ApiError::invalid("code", "at most 100 characters"));
        }
        let initiative_id = accounts::accept_invitation(&self.state, &caller.0, &body.0.code).await?;
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
        accounts::remove_organiser(&self.state, &caller.0, id.0, person_id.0).await?;
        Ok(Deleted::NoContent)
    }
}
