//! Residents: their profile, who may see it, and erasure.

use uuid::Uuid;

use super::State;
use super::error::{Error, Result};
use crate::auth::policy::{self, PersonView};
use crate::auth::{Credential, Principal, Role};
use crate::domain::Coordinates;
use crate::domain::items::PersonFields;
use crate::domain::list::{ListFilter, Page};
use crate::store::audit::{Action, Entry};
pub use crate::store::entities::person::Model as Person;
use crate::store::{self, Conn, consents, erasure, locks, people as rows};

/// A person as one caller sees them: with contact details or without.
#[derive(Debug, Clone)]
pub struct ShownPerson {
    /// The stored person.
    pub person: Person,
    /// Whether the caller may see their contact details.
    pub contact: bool,
}

fn entry<'a>(p: &'a Principal, m: &'a Person, action: Action, endpoint: &'static str) -> Entry<'a> {
    let resource_id = (action != Action::Erase).then_some(m.id);
    Entry { actor: p, person_id: m.id, gemeente: Some(&m.gemeente_code), action, resource: "person", resource_id, endpoint }
}

async fn audit(db: &impl Conn, e: Entry<'_>) -> Result<()> {
    store::audit::record(db, &[e]).await?;
    Ok(())
}

/// What `p` may see of person `m`, after checking the person's consents.
pub async fn view_of(db: &impl Conn, p: &Principal, m: &Person) -> Result<PersonView> {
    let granted = consents::granted_to(db, m.id, p, chrono::Utc::now()).await?;
    Ok(policy::person_view(p, m.id, &m.gemeente_code, granted))
}

/// Refuses a hidden person: sign in when anonymous, forbidden otherwise.
pub fn refuse_hidden(p: &Principal) -> Error {
    if p.role == Role::Anonymous {
        Error::SignIn
    } else {
        Error::forbidden("a person's profile is visible to themself and to professionals of their gemeente")
    }
}

/// Creates the caller's own person profile, bound to their token's subject (one per subject).
pub async fn create(state: &State, p: &Principal, fields: PersonFields) -> Result<Person> {
    policy::create_person(p)?;
    let at = super::initiatives::place(&state.areas, Coordinates::of_cell_centre(fields.home_cell.index()), "home_cell")?;
    let Credential::Token { subject } = &p.credential else {
        return Err(Error::forbidden("a person profile belongs to a signed-in user"));
    };
    let txn = locks::begin_write(&state.db).await?;
    let m = rows::create(&txn, &fields, &at, Some(subject)).await?;
    let actor = Principal { person_id: Some(m.id), ..p.clone() };
    audit(&txn, entry(&actor, &m, Action::Create, "POST /v1/people")).await?;
    txn.commit().await?;
    Ok(m)
}

/// One page of the people of a professional's gemeenten; every person listed is audited.
pub async fn list(state: &State, p: &Principal, filter: ListFilter) -> Result<Page<(Person, Option<f64>)>> {
    policy::read_people(p)?;
    let (found, next) = rows::list(&state.db, &rows::query_in(filter, &p.gemeenten)).await?;
    let reads: Vec<Entry> = found.iter().map(|(m, _)| entry(p, m, Action::Read, "GET /v1/people")).collect();
    store::audit::record(&state.db, &reads).await?;
    Ok(Page { items: found, next: next.map(|c| c.encode()) })
}

/// One person, as much as `p` may see; reads by anyone but the person are audited.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<ShownPerson> {
    let m = rows::get(&state.db, id).await?.ok_or(Error::NotFound("person"))?;
    match view_of(&state.db, p, &m).await? {
        PersonView::Hidden => Err(refuse_hidden(p)),
        PersonView::Own => Ok(ShownPerson { person: m, contact: true }),
        PersonView::Other { contact } => {
            audit(&state.db, entry(p, &m, Action::Read, "GET /v1/people/{id}")).await?;
            Ok(ShownPerson { person: m, contact })
        }
    }
}

/// Changes the caller's own profile: `edit` turns the stored one into new contents. A new
/// home moves their volunteer profile and listings too.
pub async fn update<E: From<Error>>(
    state: &State,
    p: &Principal,
    id: Uuid,
    edit: impl FnOnce(&Person) -> std::result::Result<PersonFields, E>,
) -> std::result::Result<Person, E> {
    let txn = locks::begin_write(&state.db).await.map_err(Error::from)?;
    let current = rows::get(&txn, id).await.map_err(Error::from)?.ok_or(Error::NotFound("person"))?;
    policy::write_person(p, id).map_err(Error::from)?;
    let fields = edit(&current)?;
    let at = super::initiatives::place(&state.areas, Coordinates::of_cell_centre(fields.home_cell.index()), "home_cell")?;
    let m = rows::update(&txn, id, &fields, &at).await.map_err(Error::not_found_as("person"))?;
    audit(&txn, entry(p, &m, Action::Update, "PATCH /v1/people/{id}")).await?;
    txn.commit().await.map_err(Error::from)?;
    Ok(m)
}

/// Erases a person for good, by the person themself: profile, listings, volunteer profile,
/// consents. The erasure is the last audit entry under their (then pseudonymous) id.
pub async fn erase(state: &State, p: &Principal, id: Uuid, endpoint: &'static str) -> Result<()> {
    let txn = locks::begin_write(&state.db).await?;
    let m = rows::get(&txn, id).await?.ok_or(Error::NotFound("person"))?;
    policy::write_person(p, id)?;
    audit(&txn, entry(p, &m, Action::Erase, endpoint)).await?;
    // The person's consents are held before their referrals, in the order a withdrawal and a
    // new referral take them: a referral made at the same moment waits and finds no consent.
    consents::hold_all_of(&txn, id).await?;
    super::referrals::end_open(&txn, p, store::referrals::naming_person(id), "person_erased", endpoint).await?;
    erasure::erase(&txn, m.id).await.map_err(Error::not_found_as("person"))?;
    txn.commit().await?;
    Ok(())
}
