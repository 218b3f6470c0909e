//! Volunteer profiles: one per person, located at the person's home cell.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Conn;
use super::entities::{person, volunteer};
use super::query::{self, ListQuery, TableSpec};
use super::{StoreError, tags};
use crate::domain::VolunteerStatus;
use crate::domain::items::VolunteerFields;
use crate::domain::list::{Cursor, ListFilter};
use crate::domain::schedule::ranges_to_json;
use crate::domain::taxonomy::join_codes;
use crate::domain::{ActivityCategory, ZrmDomain};

/// How the shared list query sees this table.
pub const SPEC: TableSpec =
    TableSpec { table: "volunteers", cell_column: Some("cell"), has_point: false, full_text: false, text_columns: &[] };

fn apply(m: &mut volunteer::ActiveModel, f: &VolunteerFields) {
    m.skills = Set(join_codes(&f.skills, ActivityCategory::code));
    m.zrm_domains = Set(join_codes(&f.zrm_domains, ZrmDomain::code));
    m.languages = Set(f.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(","));
    m.availability = Set(ranges_to_json(&f.availability));
    m.max_travel_m = Set(f.max_travel_m as i32);
    m.has_vog = Set(f.has_vog);
    m.status = Set(f.status.code().to_owned());
}

/// Creates the volunteer profile of a person, inside the caller's write transaction; a person
/// has at most one.
pub async fn create(txn: &impl Conn, person_id: Uuid, f: &VolunteerFields) -> Result<volunteer::Model, StoreError> {
    let p = person::Entity::find_by_id(person_id)
        .one(txn)
        .await?
        .ok_or(StoreError::Reference { field: "person_id", message: "no person with this id".into() })?;
    if volunteer::Entity::find().filter(volunteer::Column::PersonId.eq(person_id)).one(txn).await?.is_some() {
        return Err(StoreError::Conflict("this person already has a volunteer profile".into()));
    }
    let now = crate::domain::clock::now();
    let mut m = volunteer::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        cell: Set(p.home_cell),
        index_cell: Set(p.index_cell),
        gemeente_code: Set(p.gemeente_code),
        wijk_code: Set(p.wijk_code),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply(&mut m, f);
    let model = m.insert(txn).await?;
    tags::insert(txn, model.id, &tags::pairs(&f.skills, &f.zrm_domains)).await?;
    Ok(model)
}

/// Replaces a profile's contents, inside the caller's write transaction.
pub async fn update(txn: &impl Conn, id: Uuid, f: &VolunteerFields) -> Result<volunteer::Model, StoreError> {
    let existing = volunteer::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    let mut m: volunteer::ActiveModel = existing.into();
    apply(&mut m, f);
    m.updated_at = Set(crate::domain::clock::now());
    let model = m.update(txn).await?;
    tags::replace(txn, id, &tags::pairs(&f.skills, &f.zrm_domains)).await?;
    Ok(model)
}

/// Deletes a profile (the person stays), inside the caller's write transaction.
pub async fn delete(txn: &impl Conn, id: Uuid) -> Result<(), StoreError> {
    volunteer::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    tags::remove(txn, &[id]).await?;
    volunteer::Entity::delete_by_id(id).exec(txn).await?;
    Ok(())
}

/// One profile.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<volunteer::Model>, StoreError> {
    Ok(volunteer::Entity::find_by_id(id).one(db).await?)
}

/// The filters only volunteer profiles have, besides the shared [`ListFilter`].
#[derive(Debug, Clone, Default)]
pub struct VolunteerOnly {
    /// Statuses (any of).
    pub statuses: Vec<VolunteerStatus>,
    /// With (true) or without (false) a VOG.
    pub has_vog: Option<bool>,
}

/// The profiles of these gemeenten (a professional's scope) matching `only`, as a list query.
pub fn query_in(filter: ListFilter, only: &VolunteerOnly, gemeenten: &[String]) -> ListQuery {
    let mut q = ListQuery::new(filter);
    if !only.statuses.is_empty() {
        q.condition = q.condition.add(volunteer::Column::Status.is_in(only.statuses.iter().map(|s| s.code())));
    }
    if let Some(v) = only.has_vog {
        q.condition = q.condition.add(volunteer::Column::HasVog.eq(v));
    }
    q.condition = q.condition.add(volunteer::Column::GemeenteCode.is_in(gemeenten.to_vec()));
    q
}

/// A page of profiles with distances to their cell centres.
pub async fn list(db: &impl Conn, q: &ListQuery) -> Result<(Vec<(volunteer::Model, Option<f64>)>, Option<Cursor>), StoreError> {
    Ok(query::list::<volunteer::Entity>(db, SPEC, q, |r| r.id).await?)
}
