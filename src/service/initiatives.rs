//! Initiatives on the map: create, list, read, change and delete. Initiatives are public
//! places, so reading them needs nothing and is not audited.

use uuid::Uuid;

use super::State;
use super::error::{Error, Result};
use crate::auth::policy;
use crate::auth::{Principal, Role};
use crate::domain::Coordinates;
use crate::domain::items::InitiativeFields;
use crate::domain::list::{ListFilter, Page};
use crate::geo::{AreaIndex, Placement};
pub use crate::store::entities::initiative::Model as Initiative;
pub use crate::store::initiatives::InitiativeOnly;
use crate::store::{self, initiatives as rows, locks};

/// Places a point in its wijk and gemeente, or refuses it as outside every known wijk.
pub fn place(areas: &AreaIndex, point: Coordinates, field: &str) -> Result<Placement> {
    areas
        .locate(point)
        .ok_or_else(|| Error::unprocessable("outside_service_area", field, "this place lies outside every wijk the service knows"))
}

/// Creates an initiative, by a signed-in resident (who becomes its first organiser) or an
/// admin of its gemeente; its gemeente and wijk follow from its place.
pub async fn create(state: &State, p: &Principal, fields: InitiativeFields) -> Result<Initiative> {
    let at = place(&state.areas, fields.location, "location")?;
    policy::create_initiative(p, &at.gemeente_code)?;
    let organiser = if p.role == Role::Admin { None } else { p.person_id };
    let txn = locks::begin_write(&state.db).await?;
    let m = rows::create(&txn, &fields, &at, organiser).await?;
    txn.commit().await?;
    Ok(m)
}

/// One page of initiatives, with their distances from the filter's point.
pub async fn list(state: &State, filter: ListFilter, only: InitiativeOnly) -> Result<Page<(Initiative, Option<f64>)>> {
    let (found, next) = rows::list(&state.db, &rows::query_for(filter, &only)).await?;
    Ok(Page { items: found, next: next.map(|c| c.encode()) })
}

/// Whether any initiative is stored (the demo town loads only into an empty service).
pub async fn any(state: &State) -> Result<bool> {
    Ok(rows::any(&state.db).await?)
}

/// One initiative.
pub async fn get(state: &State, id: Uuid) -> Result<Initiative> {
    rows::get(&state.db, id).await?.ok_or(Error::NotFound("initiative"))
}

/// Changes an initiative: `edit` turns the stored one into new contents (a merge patch, say)
/// and may refuse with its own error. Its listings move with it; an admin may not move it out
/// of their gemeenten.
pub async fn update<E: From<Error>>(
    state: &State,
    p: &Principal,
    id: Uuid,
    edit: impl FnOnce(&Initiative) -> std::result::Result<InitiativeFields, E>,
) -> std::result::Result<Initiative, E> {
    let txn = locks::begin_write(&state.db).await.map_err(Error::from)?;
    let current = rows::get(&txn, id).await.map_err(Error::from)?.ok_or(Error::NotFound("initiative"))?;
    policy::write_initiative(p, current.id, &current.gemeente_code).map_err(Error::from)?;
    let fields = edit(&current)?;
    let at = place(&state.areas, fields.location, "location")?;
    if at.gemeente_code != current.gemeente_code {
        policy::write_initiative(p, current.id, &at.gemeente_code).map_err(Error::from)?;
    }
    let m = rows::update(&txn, id, &fields, &at).await.map_err(Error::not_found_as("initiative"))?;
    txn.commit().await.map_err(Error::from)?;
    Ok(m)
}

/// Deletes an initiative with its listings.
pub async fn delete(state: &State, p: &Principal, id: Uuid) -> Result<()> {
    // Held first, in the order an acceptance takes the initiative and then its referrals.
    let txn = locks::begin_locked(&state.db, &[locks::Lock::Initiative(id)]).await?;
    let current = rows::get(&txn, id).await?.ok_or(Error::NotFound("initiative"))?;
    policy::write_initiative(p, current.id, &current.gemeente_code)?;
    super::referrals::end_open(&txn, p, store::referrals::to_helper(id), "helper_removed", "DELETE /v1/initiatives/{id}").await?;
    store::referrals::forget_item(&txn, id).await?;
    rows::delete(&txn, id).await.map_err(Error::not_found_as("initiative"))?;
    txn.commit().await?;
    Ok(())
}
