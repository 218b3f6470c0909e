//! Initiatives: public places with an exact point.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Conn;
use super::entities::{initiative, listing};
use super::query::{self, ListQuery, TableSpec};
use super::{StoreError, tags};
use crate::domain::items::InitiativeFields;
use crate::domain::list::{Cursor, ListFilter};
use crate::domain::schedule::ranges_to_json;
use crate::domain::taxonomy::join_codes;
use crate::domain::{ActivityCategory, ZrmDomain};
use crate::domain::{InitiativeKind, InitiativeStatus};
use crate::geo::{Placement, storage_cell};

/// How the shared list query sees this table.
pub const SPEC: TableSpec =
    TableSpec { table: "initiatives", cell_column: None, has_point: true, full_text: true, text_columns: &["name", "description"] };

fn opt(t: &Option<crate::domain::BoundedText>) -> Option<String> {
    t.as_ref().map(|t| t.as_str().to_owned())
}

fn apply(m: &mut initiative::ActiveModel, f: &InitiativeFields, at: &Placement) {
    m.name = Set(f.name.as_str().to_owned());
    m.description = Set(f.description.as_str().to_owned());
    m.kind = Set(f.kind.code().to_owned());
    m.categories = Set(join_codes(&f.categories, ActivityCategory::code));
    m.zrm_domains = Set(join_codes(&f.zrm_domains, ZrmDomain::code));
    m.lat = Set(f.location.lat());
    m.lng = Set(f.location.lng());
    m.address_street = Set(opt(&f.address.street));
    m.address_house_number = Set(opt(&f.address.house_number));
    m.address_postcode = Set(f.address.postcode.clone());
    m.address_city = Set(opt(&f.address.city));
    m.schedule = Set(ranges_to_json(&f.schedule));
    m.schedule_note = Set(opt(&f.schedule_note));
    m.contact_email = Set(f.contact.email.clone());
    m.contact_phone = Set(f.contact.phone.clone());
    m.contact_website = Set(f.contact.website.clone());
    m.languages = Set(f.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(","));
    m.accessibility = Set(opt(&f.accessibility));
    m.cost_kind = Set(f.cost_kind.code().to_owned());
    m.cost_note = Set(opt(&f.cost_note));
    m.capacity = Set(f.capacity.map(|c| c as i32));
    m.status = Set(f.status.code().to_owned());
    m.last_confirmed_at = Set(f.last_confirmed_at);
    m.index_cell = Set(storage_cell(f.location).to_db());
    m.gemeente_code = Set(at.gemeente_code.clone());
    m.wijk_code = Set(at.wijk_code.clone());
}

/// Stores a new initiative with its tags, inside the caller's write transaction.
///
/// `organiser` becomes its first organiser.
pub async fn create(
    txn: &impl Conn,
    f: &InitiativeFields,
    at: &Placement,
    organiser: Option<Uuid>,
) -> Result<initiative::Model, StoreError> {
    let now = crate::domain::clock::now();
    let mut m = initiative::ActiveModel { id: Set(Uuid::now_v7()), created_at: Set(now), updated_at: Set(now), ..Default::default() };
    apply(&mut m, f, at);
    let model = m.insert(txn).await?;
    tags::insert(txn, model.id, &tags::pairs(&f.categories, &f.zrm_domains)).await?;
    if let Some(person) = organiser {
        super::accounts::add_organiser(txn, model.id, person).await?;
    }
    Ok(model)
}

/// Replaces an initiative's contents, inside the caller's write transaction; its listings move
/// with it.
pub async fn update(txn: &impl Conn, id: Uuid, f: &InitiativeFields, at: &Placement) -> Result<initiative::Model, StoreError> {
    let existing = initiative::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    let mut m: initiative::ActiveModel = existing.into();
    apply(&mut m, f, at);
    m.updated_at = Set(crate::domain::clock::now());
    let model = m.update(txn).await?;
    tags::replace(txn, id, &tags::pairs(&f.categories, &f.zrm_domains)).await?;
    listing::Entity::update_many()
        .col_expr(listing::Column::Lat, model.lat.into())
        .col_expr(listing::Column::Lng, model.lng.into())
        .col_expr(listing::Column::Cell, model.index_cell.into())
        .col_expr(listing::Column::IndexCell, model.index_cell.into())
        .col_expr(listing::Column::GemeenteCode, model.gemeente_code.clone().into())
        .col_expr(listing::Column::WijkCode, model.wijk_code.clone().into())
        .filter(listing::Column::OwnerInitiativeId.eq(id))
        .exec(txn)
        .await?;
    Ok(model)
}

/// Deletes an initiative and the listings it owns, inside the caller's write transaction.
pub async fn delete(txn: &impl Conn, id: Uuid) -> Result<(), StoreError> {
    initiative::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    super::listings::delete_owned(txn, listing::Column::OwnerInitiativeId, id).await?;
    tags::remove(txn, &[id]).await?;
    initiative::Entity::delete_by_id(id).exec(txn).await?;
    Ok(())
}

/// Whether any initiative is stored.
pub async fn any(db: &impl Conn) -> Result<bool, StoreError> {
    Ok(initiative::Entity::find().one(db).await?.is_some())
}

/// The initiatives with these ids (those that exist).
pub async fn by_ids(db: &impl Conn, ids: &[Uuid]) -> Result<Vec<initiative::Model>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(initiative::Entity::find().filter(initiative::Column::Id.is_in(ids.to_vec())).all(db).await?)
}

/// One initiative.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<initiative::Model>, StoreError> {
    Ok(initiative::Entity::find_by_id(id).one(db).await?)
}

/// The filters only initiatives have, besides the shared [`ListFilter`].
#[derive(Debug, Clone, Default)]
pub struct InitiativeOnly {
    /// Kinds (any of).
    pub kinds: Vec<InitiativeKind>,
    /// Statuses (any of).
    pub statuses: Vec<InitiativeStatus>,
}

/// The list query for `filter` and `only`.
pub fn query_for(filter: ListFilter, only: &InitiativeOnly) -> ListQuery {
    let mut q = ListQuery::new(filter);
    if !only.kinds.is_empty() {
        q.condition = q.condition.add(initiative::Column::Kind.is_in(only.kinds.iter().map(|k| k.code())));
    }
    if !only.statuses.is_empty() {
        q.condition = q.condition.add(initiative::Column::Status.is_in(only.statuses.iter().map(|s| s.code())));
    }
    q
}

/// A page of initiatives with their distances, and the cursor for the next page.
pub async fn list(db: &impl Conn, q: &ListQuery) -> Result<(Vec<(initiative::Model, Option<f64>)>, Option<Cursor>), StoreError> {
    Ok(query::list::<initiative::Entity>(db, SPEC, q, |r| r.id).await?)
}
