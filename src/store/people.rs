//! People (residents). Their home is stored only as a cell at the precision they chose.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::{listing, person, volunteer};
use super::query::{self, ListQuery, TableSpec};
use crate::domain::Coordinates;
use crate::domain::items::PersonFields;
use crate::domain::list::{Cursor, ListFilter};
use crate::geo::{Placement, storage_cell};

/// How the shared list query sees this table.
pub const SPEC: TableSpec =
    TableSpec { table: "people", cell_column: Some("home_cell"), has_point: false, full_text: false, text_columns: &[] };

fn apply(m: &mut person::ActiveModel, f: &PersonFields, at: &Placement) {
    m.display_name = Set(f.display_name.as_str().to_owned());
    m.languages = Set(f.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(","));
    m.contact_email = Set(f.contact.email.clone());
    m.contact_phone = Set(f.contact.phone.clone());
    m.home_cell = Set(f.home_cell.to_db());
    m.location_precision = Set(i16::from(f.precision.value()));
    m.index_cell = Set(storage_cell(Coordinates::of_cell_centre(f.home_cell.index())).to_db());
    m.gemeente_code = Set(at.gemeente_code.clone());
    m.wijk_code = Set(at.wijk_code.clone());
}

/// Stores a new person, inside the caller's transaction.
///
/// `subject` is the token subject the person signs in with; one person per subject.
pub async fn create(db: &impl Conn, f: &PersonFields, at: &Placement, subject: Option<&str>) -> Result<person::Model, StoreError> {
    let now = crate::domain::clock::now();
    if let Some(s) = subject
        && super::accounts::person_by_subject(db, s).await?.is_some()
    {
        return Err(StoreError::Conflict("you already have a person profile; see GET /v1/me".into()));
    }
    let mut m = person::ActiveModel {
        id: Set(Uuid::now_v7()),
        created_at: Set(now),
        updated_at: Set(now),
        subject: Set(subject.map(str::to_owned)),
        ..Default::default()
    };
    apply(&mut m, f, at);
    Ok(m.insert(db).await?)
}

/// Replaces a person's contents, inside the caller's write transaction; their volunteer
/// profile and listings move with their cell.
pub async fn update(txn: &impl Conn, id: Uuid, f: &PersonFields, at: &Placement) -> Result<person::Model, StoreError> {
    let existing = person::Entity::find_by_id(id).one(txn).await?.ok_or(StoreError::NotFound)?;
    let mut m: person::ActiveModel = existing.into();
    apply(&mut m, f, at);
    m.updated_at = Set(crate::domain::clock::now());
    let p = m.update(txn).await?;
    // Listings before the volunteer profile: the order proposals lock them in (a request, then
    // its helper), so two writes never wait on each other.
    listing::Entity::update_many()
        .col_expr(listing::Column::Cell, p.home_cell.into())
        .col_expr(listing::Column::IndexCell, p.index_cell.into())
        .col_expr(listing::Column::GemeenteCode, p.gemeente_code.clone().into())
        .col_expr(listing::Column::WijkCode, p.wijk_code.clone().into())
        .filter(listing::Column::OwnerPersonId.eq(id))
        .exec(txn)
        .await?;
    volunteer::Entity::update_many()
        .col_expr(volunteer::Column::Cell, p.home_cell.into())
        .col_expr(volunteer::Column::IndexCell, p.index_cell.into())
        .col_expr(volunteer::Column::GemeenteCode, p.gemeente_code.clone().into())
        .col_expr(volunteer::Column::WijkCode, p.wijk_code.clone().into())
        .filter(volunteer::Column::PersonId.eq(id))
        .exec(txn)
        .await?;
    Ok(p)
}

/// One person.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<person::Model>, StoreError> {
    Ok(person::Entity::find_by_id(id).one(db).await?)
}

/// The people of these gemeenten (a professional's scope), as a list query.
pub fn query_in(filter: ListFilter, gemeenten: &[String]) -> ListQuery {
    let mut q = ListQuery::new(filter);
    q.condition = q.condition.add(person::Column::GemeenteCode.is_in(gemeenten.to_vec()));
    q
}

/// A page of people with distances to their cell centres.
pub async fn list(db: &impl Conn, q: &ListQuery) -> Result<(Vec<(person::Model, Option<f64>)>, Option<Cursor>), StoreError> {
    Ok(query::list::<person::Entity>(db, SPEC, q, |r| r.id).await?)
}
