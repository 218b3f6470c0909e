//! Volunteer profiles: a person's skills, domains, languages, times and reach.

use uuid::Uuid;

use super::State;
use super::error::{Error, Result};
use crate::auth::Principal;
use crate::auth::policy::{self, PersonView};
use crate::domain::items::VolunteerFields;
use crate::domain::list::{ListFilter, Page};
use crate::store::audit::{Action, Entry};
pub use crate::store::entities::volunteer::Model as Volunteer;
pub use crate::store::volunteers::VolunteerOnly;
use crate::store::{self, consents, locks, volunteers as rows};

fn entry<'a>(p: &'a Principal, m: &'a Volunteer, action: Action, endpoint: &'static str) -> Entry<'a> {
    Entry {
        actor: p,
        person_id: m.person_id,
        gemeente: Some(&m.gemeente_code),
        action,
        resource: "volunteer",
        resource_id: Some(m.id),
        endpoint,
    }
}

/// Creates the volunteer profile of `person` (one per person), by that person.
pub async fn create(state: &State, p: &Principal, person: Uuid, fields: VolunteerFields) -> Result<Volunteer> {
    policy::write_person(p, person)?;
    let txn = locks::begin_write(&state.db).await?;
    let m = rows::create(&txn, person, &fields).await?;
    store::audit::record(&txn, &[entry(p, &m, Action::Create, "POST /v1/volunteers")]).await?;
    txn.commit().await?;
    Ok(m)
}

/// One page of the profiles in a professional's gemeenten; every profile listed is audited.
pub async fn list(state: &State, p: &Principal, filter: ListFilter, only: VolunteerOnly) -> Result<Page<(Volunteer, Option<f64>)>> {
    policy::read_people(p)?;
    let (found, next) = rows::list(&state.db, &rows::query_in(filter, &only, &p.gemeenten)).await?;
    let reads: Vec<Entry> = found.iter().map(|(m, _)| entry(p, m, Action::Read, "GET /v1/volunteers")).collect();
    store::audit::record(&state.db, &reads).await?;
    Ok(Page { items: found, next: next.map(|c| c.encode()) })
}

/// One profile, to the person, professionals of their gemeente and grantees of a consent
/// with scope `volunteer`; reads by others are audited.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<Volunteer> {
    let m = rows::get(&state.db, id).await?.ok_or(Error::NotFound("volunteer"))?;
    let granted = consents::granted_to(&state.db, m.person_id, p, super::now()).await?;
    match policy::volunteer_view(p, m.person_id, &m.gemeente_code, granted) {
        PersonView::Hidden => return Err(super::people::refuse_hidden(p)),
        PersonView::Own => {}
        PersonView::Other { .. } => store::audit::record(&state.db, &[entry(p, &m, Action::Read, "GET /v1/volunteers/{id}")]).await?,
    }
    Ok(m)
}

/// Changes a profile, by its person: `edit` turns the stored one into the person it belongs
/// to and new contents; the person cannot change.
pub async fn update<E: From<Error>>(
    state: &State,
    p: &Principal,
    id: Uuid,
    edit: impl FnOnce(&Volunteer) -> std::result::Result<(Uuid, VolunteerFields), E>,
) -> std::result::Result<Volunteer, E> {
    let txn = locks::begin_write(&state.db).await.map_err(Error::from)?;
    let current = rows::get(&txn, id).await.map_err(Error::from)?.ok_or(Error::NotFound("volunteer"))?;
    policy::write_person(p, current.person_id).map_err(Error::from)?;
    let (person, fields) = edit(&current)?;
    if person != current.person_id {
        return Err(Error::invalid("person_id", "a profile cannot move to another person").into());
    }
    let m = rows::update(&txn, id, &fields).await.map_err(Error::not_found_as("volunteer"))?;
    store::audit::record(&txn, &[entry(p, &m, Action::Update, "PATCH /v1/volunteers/{id}")]).await.map_err(Error::from)?;
    txn.commit().await.map_err(Error::from)?;
    Ok(m)
}

/// Deletes a profile, by its person (the person stays).
pub async fn delete(state: &State, p: &Principal, id: Uuid) -> Result<()> {
    // Held first, in the order a referral or a proposal takes the profile and then the rest.
    let txn = locks::begin_locked(&state.db, &[locks::Lock::Volunteer(id)]).await?;
    let m = rows::get(&txn, id).await?.ok_or(Error::NotFound("volunteer"))?;
    policy::write_person(p, m.person_id)?;
    super::referrals::end_open(&txn, p, store::referrals::to_helper(id), "helper_removed", "DELETE /v1/volunteers/{id}").await?;
    store::referrals::forget_item(&txn, id).await?;
    rows::delete(&txn, id).await.map_err(Error::not_found_as("volunteer"))?;
    store::audit::record(&txn, &[entry(p, &m, Action::Delete, "DELETE /v1/volunteers/{id}")]).await?;
    txn.commit().await?;
    Ok(())
}
