//! Volunteer profiles: one per person, located at the person's home cell.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Conn;
use super::entities::{person, volunteer};
use super::query::{self, Cursor, ListQuery, TableSpec};
use super::{StoreError, tags};
use crate::domain::items::VolunteerFields;
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

/// Creates the volunteer profile of a person; a person has at most one.
pub async fn create(db: &DatabaseConnection, person_id: Uuid, f: &VolunteerFields) -> Result<volunteer::Model, StoreError> {
    let txn = super::locks::begin_write(db).await?;
    let p = person::Entity::find_by_id(person_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::Reference { field: "person_id", message: "no person with this id".into() })?;
    if volunteer::Entity::find().filter(volunteer::Column::PersonId.eq(person_id)).one(&txn).await?.is_some() {
        return Err(StoreError::Conflict("this person already has a volunteer profile".into()));
    }
    let now = Utc::now();
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
    let model = m.insert(&txn).await?;
    tags::insert(&txn, model.id, &tags::pairs(&f.skills, &f.zrm_domains)).await?;
    txn.commit().await?;
    Ok(model)
}

/// Replaces a profile's contents.
pub async fn update(db: &DatabaseConnection, id: Uuid, f: &VolunteerFields) -> Result<volunteer::Model, StoreError> {
    let txn = super::locks::begin_write(db).await?;
    let existing = volunteer::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    let mut m: volunteer::ActiveModel = existing.into();
    apply(&mut m, f);
    m.updated_at = Set(Utc::now());
    let model = m.update(&txn).await?;
    tags::replace(&txn, id, &tags::pairs(&f.skills, &f.zrm_domains)).await?;
    txn.commit().await?;
    Ok(model)
}

/// Deletes a profile (the person stays).
pub async fn delete(db: &DatabaseConnection, id: Uuid) -> Result<(), StoreError> {
    let txn = super::locks::begin_write(db).await?;
    volunteer::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    tags::remove(&txn, &[id]).await?;
    volunteer::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// One profile.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<volunteer::Model>, StoreError> {
    Ok(volunteer::Entity::find_by_id(id).one(db).await?)
}

/// A page of profiles with distances to their cell centres.
pub async fn list(db: &impl Conn, q: &ListQuery) -> Result<(Vec<(volunteer::Model, Option<f64>)>, Option<Cursor>), StoreError> {
    Ok(query::list::<volunteer::Entity>(db, SPEC, q, |r| r.id).await?)
}
