//! The caller's own data: who they are, an export of everything held about them, who read
//! or changed it, and erasure.

use super::State;
use super::consents::own_person_id;
use super::error::{Error, Result};
use crate::auth::Principal;
use crate::store::audit::{Action, Entry};
pub use crate::store::entities::audit_event::Model as AuditEvent;
pub use crate::store::erasure::Held;
use crate::store::{self, erasure, people};

/// The caller's person profile, when they have one.
pub async fn person(state: &State, p: &Principal) -> Result<Option<super::people::Person>> {
    match p.person_id {
        Some(id) => Ok(people::get(&state.db, id).await?),
        None => Ok(None),
    }
}

/// Everything held about the caller's person (GDPR art. 15 and 20); the export is audited.
pub async fn export(state: &State, p: &Principal) -> Result<Held> {
    let me = own_person_id(p)?;
    let held = erasure::collect(&state.db, me).await.map_err(Error::not_found_as("person"))?;
    let entry = Entry {
        actor: p,
        person_id: me,
        gemeente: Some(&held.person.gemeente_code),
        action: Action::Export,
        resource: "person",
        resource_id: Some(me),
        endpoint: "GET /v1/me/export",
    };
    store::audit::record(&state.db, &[entry]).await?;
    Ok(held)
}

/// The audit log about the caller's person, oldest first, after position `after`.
pub async fn audit(state: &State, p: &Principal, after: Option<i64>, limit: u64) -> Result<Vec<AuditEvent>> {
    let me = own_person_id(p)?;
    Ok(store::audit::list(&state.db, &store::audit::Filter { person_id: Some(me), gemeenten: None, after, limit }).await?)
}

/// Erases the caller's person for good.
pub async fn erase(state: &State, p: &Principal) -> Result<()> {
    let me = own_person_id(p)?;
    super::people::erase(state, p, me, "DELETE /v1/me").await
}
