//! Listings: offers and requests, located at their owner (a person's cell or an initiative's point).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::Conn;
use super::entities::{initiative, listing, person};
use super::query::{self, Coarse, ListQuery, TableSpec};
use super::{StoreError, tags};
use crate::domain::items::{ListingFields, Owner};
use crate::domain::list::{Cursor, ListFilter};
use crate::domain::schedule::{ranges_from_json, ranges_to_json};
use crate::domain::taxonomy::{join_codes, split_codes};
use crate::domain::{ActivityCategory, BoundedText, ListingKind, ListingStatus, ZrmDomain};

/// How the shared list query sees this table.
pub const SPEC: TableSpec =
    TableSpec { table: "listings", cell_column: Some("cell"), has_point: true, full_text: true, text_columns: &["title", "description"] };

/// Where a listing sits, copied from its owner.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingPlace {
    /// The item's own cell (a person's coarse cell, or the res-9 cell of an initiative's point).
    pub cell: i64,
    /// Storage cell.
    pub index_cell: i64,
    /// Exact point, only for initiatives.
    pub point: Option<(f64, f64)>,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
}

/// Looks up the owner and takes its place.
async fn place_of(db: &impl Conn, owner: Owner) -> Result<ListingPlace, StoreError> {
    match owner {
        Owner::Person(id) => {
            let p = person::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(StoreError::Reference { field: "owner.person_id", message: "no person with this id".into() })?;
            Ok(ListingPlace {
                cell: p.home_cell,
                index_cell: p.index_cell,
                point: None,
                gemeente_code: p.gemeente_code,
                wijk_code: p.wijk_code,
            })
        }
        Owner::Initiative(id) => {
            let i = initiative::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(StoreError::Reference { field: "owner.initiative_id", message: "no initiative with this id".into() })?;
            Ok(ListingPlace {
                cell: i.index_cell,
                index_cell: i.index_cell,
                point: Some((i.lat, i.lng)),
                gemeente_code: i.gemeente_code,
                wijk_code: i.wijk_code,
            })
        }
    }
}

fn active(id: Uuid, f: &ListingFields, place: &ListingPlace, created: DateTime<Utc>, now: DateTime<Utc>) -> listing::ActiveModel {
    let (person, initiative) = match f.owner {
        Owner::Person(p) => (Some(p), None),
        Owner::Initiative(i) => (None, Some(i)),
    };
    listing::ActiveModel {
        id: Set(id),
        kind: Set(f.kind.code().to_owned()),
        title: Set(f.title.as_str().to_owned()),
        description: Set(f.description.as_str().to_owned()),
        categories: Set(join_codes(&f.categories, ActivityCategory::code)),
        zrm_domains: Set(join_codes(&f.zrm_domains, ZrmDomain::code)),
        owner_person_id: Set(person),
        owner_initiative_id: Set(initiative),
        cell: Set(place.cell),
        lat: Set(place.point.map(|p| p.0)),
        lng: Set(place.point.map(|p| p.1)),
        valid_until: Set(f.valid_until),
        status: Set(f.status.code().to_owned()),
        index_cell: Set(place.index_cell),
        gemeente_code: Set(place.gemeente_code.clone()),
        wijk_code: Set(place.wijk_code.clone()),
        availability: Set(ranges_to_json(&f.availability)),
        languages: Set(f.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(",")),
        created_at: Set(created),
        updated_at: Set(now),
    }
}

/// Stores a new listing at its owner's place, inside the caller's write transaction.
pub async fn create(txn: &impl Conn, f: &ListingFields) -> Result<listing::Model, StoreError> {
    let place = place_of(txn, f.owner).await?;
    let now = crate::domain::clock::now();
    let model = active(Uuid::now_v7(), f, &place, now, now).insert(txn).await?;
    tags::insert(txn, model.id, &tags::pairs(&f.categories, &f.zrm_domains)).await?;
    Ok(model)
}

/// Inserts many listings at known places in one transaction (seeding and benchmarks).
pub async fn bulk_insert(db: &impl Conn, items: &[(ListingFields, ListingPlace)]) -> Result<(), StoreError> {
    let now = crate::domain::clock::now();
    // Keep bind parameters under SQLite's limit (32,766): 20 columns a row.
    for chunk in items.chunks(1_000) {
        let mut tag_rows = Vec::new();
        let rows: Vec<listing::ActiveModel> = chunk
            .iter()
            .map(|(f, place)| {
                let id = Uuid::now_v7();
                for (scheme, code) in tags::pairs(&f.categories, &f.zrm_domains) {
                    tag_rows.push((id, scheme, code));
                }
                active(id, f, place, now, now)
            })
            .collect();
        listing::Entity::insert_many(rows).exec_without_returning(db).await?;
        for tchunk in tag_rows.chunks(5_000) {
            let models = tchunk.iter().map(|(id, scheme, code)| super::entities::tag::ActiveModel {
                scheme: Set((*scheme).to_owned()),
                code: Set((*code).to_owned()),
                entity_id: Set(*id),
            });
            super::entities::tag::Entity::insert_many(models).on_conflict_do_nothing().exec_without_returning(db).await?;
        }
    }
    Ok(())
}

/// Replaces a listing's contents, inside the caller's write transaction. The owner cannot
/// change; the place is re-read from it.
pub async fn update(txn: &impl Conn, id: Uuid, f: &ListingFields) -> Result<listing::Model, StoreError> {
    let existing = listing::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    let place = place_of(txn, f.owner).await?;
    let model = active(id, f, &place, existing.created_at, crate::domain::clock::now()).update(txn).await?;
    tags::replace(txn, id, &tags::pairs(&f.categories, &f.zrm_domains)).await?;
    Ok(model)
}

/// Deletes one listing, inside the caller's write transaction.
pub async fn delete(txn: &impl Conn, id: Uuid) -> Result<(), StoreError> {
    listing::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    tags::remove(txn, &[id]).await?;
    listing::Entity::delete_by_id(id).exec(txn).await?;
    Ok(())
}

/// Deletes every listing of one owner, with their tags (inside the caller's transaction).
pub async fn delete_owned(db: &impl Conn, owner_column: listing::Column, owner: Uuid) -> Result<(), StoreError> {
    let ids: Vec<Uuid> =
        listing::Entity::find().select_only().column(listing::Column::Id).filter(owner_column.eq(owner)).into_tuple().all(db).await?;
    tags::remove(db, &ids).await?;
    listing::Entity::delete_many().filter(owner_column.eq(owner)).exec(db).await?;
    Ok(())
}

/// The listings with these ids (those that exist).
pub async fn by_ids(db: &impl Conn, ids: &[Uuid]) -> Result<Vec<listing::Model>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(listing::Entity::find().filter(listing::Column::Id.is_in(ids.to_vec())).all(db).await?)
}

/// One listing.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<listing::Model>, StoreError> {
    Ok(listing::Entity::find_by_id(id).one(db).await?)
}

/// The open requests of a gemeente or wijk, oldest first, at most `limit`: what a matching
/// run takes on.
pub async fn open_requests_in(
    db: &impl Conn,
    area: &crate::domain::CbsCode,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<listing::Model>, StoreError> {
    let in_area = match area {
        crate::domain::CbsCode::Gemeente(c) => listing::Column::GemeenteCode.eq(c.as_str()),
        crate::domain::CbsCode::Wijk(c) => listing::Column::WijkCode.eq(c.as_str()),
    };
    let select = listing::Entity::find()
        .filter(in_area)
        .filter(listing::Column::Kind.eq(ListingKind::Request.code()))
        .filter(status_condition(&[ListingStatus::Open], now))
        .order_by_asc(listing::Column::CreatedAt)
        .order_by_asc(listing::Column::Id)
        .limit(limit);
    Ok(query::load_all(db, select).await?)
}

/// The status a reader sees: an open listing past `valid_until` is expired.
pub fn effective_status(m: &listing::Model, now: DateTime<Utc>) -> ListingStatus {
    let stored = ListingStatus::from_code(&m.status).unwrap_or(ListingStatus::Closed);
    if stored == ListingStatus::Open && m.valid_until <= now { ListingStatus::Expired } else { stored }
}

/// The SQL condition for "effective status is one of `statuses`".
pub fn status_condition(statuses: &[ListingStatus], now: DateTime<Utc>) -> Condition {
    let mut any = Condition::any();
    for s in statuses {
        any = any.add(match s {
            ListingStatus::Open => Condition::all().add(listing::Column::Status.eq("open")).add(listing::Column::ValidUntil.gt(now)),
            ListingStatus::Expired => Condition::any()
                .add(listing::Column::Status.eq("expired"))
                .add(Condition::all().add(listing::Column::Status.eq("open")).add(listing::Column::ValidUntil.lte(now))),
            other => Condition::all().add(Expr::col(listing::Column::Status).eq(other.code())),
        });
    }
    any
}

/// A stored listing's contents, parsed back (what was stored passed parsing on the way in).
pub fn fields_of(m: &listing::Model) -> ListingFields {
    let owner = facts(m, m.valid_until).owner;
    ListingFields {
        kind: ListingKind::from_code(&m.kind).unwrap_or(ListingKind::Request),
        title: BoundedText::stored(m.title.clone()),
        description: BoundedText::stored(m.description.clone()),
        categories: split_codes(&m.categories, ActivityCategory::from_code),
        zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
        owner,
        availability: ranges_from_json(&m.availability),
        languages: super::candidates::languages(&m.languages),
        valid_until: m.valid_until,
        status: ListingStatus::from_code(&m.status).unwrap_or(ListingStatus::Closed),
    }
}

/// One page of the listings `p` may see that match `filter` and `only`: hidden rows never
/// match, and rows `p` sees only as summaries match through their coarse cell alone.
pub fn query_for(p: &crate::auth::Principal, filter: ListFilter, only: &ListingOnly, now: DateTime<Utc>) -> ListQuery {
    let mut q = ListQuery::new(filter);
    if !only.kinds.is_empty() {
        q.condition = q.condition.add(listing::Column::Kind.is_in(only.kinds.iter().map(|k| k.code())));
    }
    if !only.statuses.is_empty() {
        q.condition = q.condition.add(status_condition(&only.statuses, now));
    }
    if let Some(owner) = only.owner_person {
        q.condition = q.condition.add(listing::Column::OwnerPersonId.eq(owner));
        // Who owns what is not public: the filter only finds listings whose owner the caller
        // may see (their own, or a professional's gemeenten).
        if !p.is_person(owner) {
            q.condition = q.condition.add(if p.role == crate::auth::Role::Professional {
                listing::Column::GemeenteCode.is_in(p.gemeenten.clone())
            } else {
                Expr::cust("1 = 0")
            });
        }
    }
    if let Some(i) = only.owner_initiative {
        q.condition = q.condition.add(listing::Column::OwnerInitiativeId.eq(i));
    }
    let (visible, coarse) = reader_conditions(p, now);
    q.condition = q.condition.add(visible);
    q.coarse = Some(coarse);
    q
}

/// The filters only listings have, besides the shared [`ListFilter`].
#[derive(Debug, Clone, Default)]
pub struct ListingOnly {
    /// Offer or request (any of; none: both).
    pub kinds: Vec<ListingKind>,
    /// Effective statuses (any of; none: any the caller may see).
    pub statuses: Vec<ListingStatus>,
    /// Only this person's listings (only found where the caller may know the owner).
    pub owner_person: Option<Uuid>,
    /// Only this initiative's listings.
    pub owner_initiative: Option<Uuid>,
}

/// A page of listings with their distances.
pub async fn list(db: &impl Conn, q: &ListQuery) -> Result<(Vec<(listing::Model, Option<f64>)>, Option<Cursor>), StoreError> {
    Ok(query::list::<listing::Entity>(db, SPEC, q, |r| r.id).await?)
}

/// Rows `p` may see only as summaries, and which rows `p` may see at all, as SQL conditions
/// that mirror [`crate::auth::policy::listing_view`]: the list query applies them so that
/// hidden rows never match and summarised rows match only through their coarse cell.
pub fn reader_conditions(p: &crate::auth::Principal, now: DateTime<Utc>) -> (Condition, Coarse) {
    let mut privileged = Condition::any();
    let mut any_privilege = false;
    if let Some(me) = p.person_id {
        privileged = privileged.add(listing::Column::OwnerPersonId.eq(me));
        any_privilege = true;
    }
    if !p.initiatives.is_empty() {
        privileged = privileged.add(listing::Column::OwnerInitiativeId.is_in(p.initiatives.clone()));
        any_privilege = true;
    }
    if p.role == crate::auth::Role::Professional && !p.gemeenten.is_empty() {
        privileged = privileged.add(listing::Column::GemeenteCode.is_in(p.gemeenten.clone()));
        any_privilege = true;
    }
    let open = status_condition(&[ListingStatus::Open], now);
    // A person's listing is the one without an exact point; `lat` is in the covering cell index
    // and `owner_person_id` is not, so anonymous radius queries stay index-only.
    let mut summarised = Condition::all().add(listing::Column::Kind.eq("request")).add(listing::Column::Lat.is_null());
    let visible = if any_privilege {
        summarised = summarised.add(privileged.clone().not());
        Condition::any().add(open).add(privileged)
    } else {
        open
    };
    (visible, Coarse { rows: summarised, resolution: h3o::Resolution::Seven })
}

/// What the policy needs to know of a listing to decide how much of it a caller sees.
pub fn facts(m: &listing::Model, now: DateTime<Utc>) -> crate::auth::policy::ListingFacts<'_> {
    let owner = match (m.owner_person_id, m.owner_initiative_id) {
        (Some(p), _) => Owner::Person(p),
        (None, Some(i)) => Owner::Initiative(i),
        // Every row has one owner; treat a broken row as a person's, the more private reading.
        (None, None) => Owner::Person(Uuid::nil()),
    };
    crate::auth::policy::ListingFacts {
        kind: ListingKind::from_code(&m.kind).unwrap_or(ListingKind::Request),
        owner,
        gemeente: &m.gemeente_code,
        open: effective_status(m, now) == ListingStatus::Open,
    }
}
