//! Offers and requests: create, list, read, change and delete, each as much as the caller may.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::{Error, Result};
use super::{State, now};
use crate::auth::Principal;
use crate::auth::policy::{self, ListingView};
use crate::domain::items::{ListingFields, Owner};
use crate::domain::list::{Cursor, ListFilter, Page};
use crate::domain::{CellId, Coordinates, ListingKind, ListingStatus};
use crate::store::audit::{Action, Entry};
use crate::store::entities::listing::Model;
pub use crate::store::listings::ListingOnly;
use crate::store::{self, Conn, listings as rows, locks};

/// A listing as one caller sees it: what the view hides is `None`.
#[derive(Debug, Clone)]
pub struct ShownListing {
    /// Identity.
    pub id: Uuid,
    /// How much of it the caller sees (never [`ListingView::Hidden`]).
    pub view: ListingView,
    /// Offer or request.
    pub kind: ListingKind,
    /// Title and description; `None` in a summary.
    pub text: Option<(String, String)>,
    /// The stored contents (categories, domains, times, languages ...), parsed back.
    pub fields: ListingFields,
    /// The owner, where the caller may know it.
    pub owner: Option<Owner>,
    /// The cell: the owner's home cell, a summary's resolution-7 parent, or an initiative's
    /// resolution-9 cell.
    pub cell: CellId,
    /// The exact place, for an initiative's listing.
    pub location: Option<Coordinates>,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk; `None` in a summary.
    pub wijk_code: Option<String>,
    /// Effective status (`expired` past `valid_until`).
    pub status: ListingStatus,
    /// Metres from the query point (to a summary's coarse cell).
    pub distance_m: Option<f64>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl ShownListing {
    /// The listing as `view` shows it; `None` when hidden or the stored row is broken. A
    /// summary's distance is measured from `centre` to its coarse cell, whatever the store
    /// measured to the finer one.
    pub fn of(m: Model, distance_m: Option<f64>, now: DateTime<Utc>, view: ListingView, centre: Option<Coordinates>) -> Option<Self> {
        let status = rows::effective_status(&m, now);
        let fields = rows::fields_of(&m);
        let own_cell = CellId::from_db(m.cell)?;
        let (text, owner, cell, wijk, distance_m) = match view {
            ListingView::Hidden => return None,
            ListingView::Full => (true, Some(fields.owner), own_cell, Some(m.wijk_code), distance_m),
            ListingView::Public => {
                let owner = matches!(fields.owner, Owner::Initiative(_)).then_some(fields.owner);
                (true, owner, own_cell, Some(m.wijk_code), distance_m)
            }
            ListingView::Summary => {
                let coarse = policy::summary_cell(own_cell)?;
                let d = centre.zip(distance_m).map(|(c, _)| c.distance_m(Coordinates::of_cell_centre(coarse.index())));
                (false, None, coarse, None, d)
            }
        };
        let location = if text && m.owner_initiative_id.is_some() {
            m.lat.zip(m.lng).and_then(|(lat, lng)| Coordinates::parse(lat, lng).ok())
        } else {
            None
        };
        Some(Self {
            id: m.id,
            view,
            kind: fields.kind,
            text: text.then_some((m.title, m.description)),
            fields,
            owner,
            cell,
            location,
            gemeente_code: m.gemeente_code,
            wijk_code: wijk,
            status,
            distance_m,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    /// Everything, as the owner sees it.
    pub fn full(m: Model, now: DateTime<Utc>) -> Option<Self> {
        Self::of(m, None, now, ListingView::Full, None)
    }
}

/// The audit entry for a full read of a person's listing by someone else, if it needs one.
fn read_entry<'a>(p: &'a Principal, m: &'a Model, endpoint: &'static str) -> Option<Entry<'a>> {
    let person = m.owner_person_id.filter(|person| policy::audited_read(p, *person))?;
    Some(Entry {
        actor: p,
        person_id: person,
        gemeente: Some(&m.gemeente_code),
        action: Action::Read,
        resource: "listing",
        resource_id: Some(m.id),
        endpoint,
    })
}

/// Audits a change to a person's listing (an initiative's is public and not audited).
async fn audit_change(db: &impl Conn, p: &Principal, m: &Model, action: Action, endpoint: &'static str) -> Result<()> {
    if let Some(person) = m.owner_person_id {
        let entry = Entry {
            actor: p,
            person_id: person,
            gemeente: Some(&m.gemeente_code),
            action,
            resource: "listing",
            resource_id: Some(m.id),
            endpoint,
        };
        store::audit::record(db, &[entry]).await?;
    }
    Ok(())
}

fn shown_full(m: Model, now: DateTime<Utc>) -> Result<ShownListing> {
    ShownListing::full(m, now).ok_or_else(|| Error::Internal(anyhow::anyhow!("a stored listing has no valid cell")))
}

/// Creates a listing for its owner: a person for themself, an organiser (or the initiative's
/// key) for an initiative. It takes its place from its owner.
pub async fn create(state: &State, p: &Principal, fields: ListingFields) -> Result<ShownListing> {
    policy::write_listing(p, fields.owner)?;
    let now = now();
    let txn = locks::begin_write(&state.db).await?;
    let m = rows::create(&txn, &fields).await?;
    audit_change(&txn, p, &m, Action::Create, "POST /v1/listings").await?;
    txn.commit().await?;
    shown_full(m, now)
}

/// One page of the listings `p` may see, each as much as `p` may see of it; full reads of
/// other people's listings are audited.
pub async fn list(state: &State, p: &Principal, filter: ListFilter, only: ListingOnly) -> Result<Page<ShownListing>> {
    let now = now();
    let centre = filter.near.map(|n| n.centre);
    let (found, next) = rows::list(&state.db, &rows::query_for(p, filter, &only, now)).await?;
    let views: Vec<ListingView> = found.iter().map(|(m, _)| policy::listing_view(p, &rows::facts(m, now))).collect();
    let reads: Vec<Entry> = found
        .iter()
        .zip(&views)
        .filter(|(_, v)| **v == ListingView::Full)
        .filter_map(|((m, _), _)| read_entry(p, m, "GET /v1/listings"))
        .collect();
    store::audit::record(&state.db, &reads).await?;
    let items = found.into_iter().zip(views).filter_map(|((m, d), view)| ShownListing::of(m, d, now, view, centre)).collect();
    Ok(Page { items, next: next.map(|c: Cursor| c.encode()) })
}

/// One listing, as much as `p` may see; one `p` may not see at all is not found.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<ShownListing> {
    let now = now();
    let m = rows::get(&state.db, id).await?.ok_or(Error::NotFound("listing"))?;
    let view = policy::listing_view(p, &rows::facts(&m, now));
    if view == ListingView::Full
        && let Some(e) = read_entry(p, &m, "GET /v1/listings/{id}")
    {
        store::audit::record(&state.db, &[e]).await?;
    }
    ShownListing::of(m, None, now, view, None).ok_or(Error::NotFound("listing"))
}

/// Changes a listing: `edit` turns its current contents into the new ones (a merge patch, say)
/// and may refuse with its own error. The kind and the owner cannot change.
pub async fn update<E: From<Error>>(
    state: &State,
    p: &Principal,
    id: Uuid,
    edit: impl FnOnce(&ListingFields, DateTime<Utc>) -> std::result::Result<ListingFields, E>,
) -> std::result::Result<ShownListing, E> {
    let now = now();
    let txn = locks::begin_write(&state.db).await.map_err(Error::from)?;
    let current = rows::get(&txn, id).await.map_err(Error::from)?.ok_or(Error::NotFound("listing"))?;
    policy::write_listing(p, rows::facts(&current, now).owner).map_err(Error::from)?;
    let before = rows::fields_of(&current);
    let after = edit(&before, current.created_at)?;
    if after.kind != before.kind {
        return Err(Error::invalid("kind", "an offer cannot become a request or the other way round").into());
    }
    if after.owner != before.owner {
        return Err(Error::invalid("owner", "the owner of a listing cannot change").into());
    }
    let m = rows::update(&txn, id, &after).await.map_err(Error::not_found_as("listing"))?;
    audit_change(&txn, p, &m, Action::Update, "PATCH /v1/listings/{id}").await?;
    txn.commit().await.map_err(Error::from)?;
    Ok(shown_full(m, now)?)
}

/// Deletes a listing, by its owner.
pub async fn delete(state: &State, p: &Principal, id: Uuid) -> Result<()> {
    // Held first, in the order a referral or a proposal takes the listing and then the rest.
    let txn = locks::begin_locked(&state.db, &[locks::Lock::Listing(id)]).await?;
    let current = rows::get(&txn, id).await?.ok_or(Error::NotFound("listing"))?;
    policy::write_listing(p, rows::facts(&current, now()).owner)?;
    let which = store::referrals::of_request(id).add(store::referrals::to_helper(id));
    let why = if current.kind == ListingKind::Request.code() { "request_removed" } else { "helper_removed" };
    super::referrals::end_open(&txn, p, which, why, "DELETE /v1/listings/{id}").await?;
    store::referrals::forget_item(&txn, id).await?;
    rows::delete(&txn, id).await.map_err(Error::not_found_as("listing"))?;
    audit_change(&txn, p, &current, Action::Delete, "DELETE /v1/listings/{id}").await?;
    txn.commit().await?;
    Ok(())
}
