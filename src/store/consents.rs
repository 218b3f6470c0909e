//! Consent records: a person lets a grantee see part of their data, for a purpose, for a time.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::consent;
use crate::domain::ConsentScope;

/// Who a consent is given to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// One person (for instance a buddy from a match).
    Person(Uuid),
    /// An initiative's organisers.
    Initiative(Uuid),
    /// The wijkteam of a gemeente: its professionals.
    Wijkteam(String),
}

/// A consent as its person gives it.
#[derive(Debug, Clone)]
pub struct NewConsent {
    /// Why.
    pub purpose: String,
    /// To whom.
    pub grantee: Grantee,
    /// What (at least one).
    pub scope: Vec<ConsentScope>,
    /// From.
    pub valid_from: DateTime<Utc>,
    /// Until.
    pub valid_until: Option<DateTime<Utc>>,
}

/// Stores a consent of `person_id`.
pub async fn create(db: &impl Conn, person_id: Uuid, c: &NewConsent) -> Result<consent::Model, StoreError> {
    let (kind, person, initiative, gemeente) = match &c.grantee {
        Grantee::Person(p) => ("person", Some(*p), None, None),
        Grantee::Initiative(i) => ("initiative", None, Some(*i), None),
        Grantee::Wijkteam(g) => ("wijkteam", None, None, Some(g.clone())),
    };
    Ok(consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person_id),
        purpose: Set(c.purpose.clone()),
        grantee_kind: Set(kind.to_owned()),
        grantee_person_id: Set(person),
        grantee_initiative_id: Set(initiative),
        grantee_gemeente: Set(gemeente),
        scope: Set(c.scope.iter().map(|s| s.code()).collect::<Vec<_>>().join(",")),
        valid_from: Set(c.valid_from),
        valid_until: Set(c.valid_until),
        withdrawn_at: Set(None),
        created_at: Set(crate::domain::clock::now()),
    }
    .insert(db)
    .await?)
}

/// A person's consents, newest first.
pub async fn of_person(db: &impl Conn, person_id: Uuid) -> Result<Vec<consent::Model>, StoreError> {
    Ok(consent::Entity::find().filter(consent::Column::PersonId.eq(person_id)).order_by_desc(consent::Column::Id).all(db).await?)
}

/// One consent.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<consent::Model>, StoreError> {
    Ok(consent::Entity::find_by_id(id).one(db).await?)
}

/// Consent `id`, held (on PostgreSQL) until the transaction ends: a withdrawal at the same
/// moment comes wholly before (and is seen) or after (and sees what this transaction wrote).
pub async fn hold(db: &impl Conn, id: Uuid) -> Result<Option<consent::Model>, StoreError> {
    Ok(consent::Entity::find_by_id(id).lock_exclusive().one(db).await?)
}

/// Holds every consent of `person_id` (on PostgreSQL) until the transaction ends.
pub async fn hold_all_of(db: &impl Conn, person_id: Uuid) -> Result<(), StoreError> {
    consent::Entity::find()
        .filter(consent::Column::PersonId.eq(person_id))
        .order_by_asc(consent::Column::Id)
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(())
}

/// Withdraws a consent from now on; withdrawing twice keeps the first time.
pub async fn withdraw(db: &impl Conn, id: Uuid) -> Result<consent::Model, StoreError> {
    let c = get(db, id).await?.ok_or(StoreError::NotFound)?;
    if c.withdrawn_at.is_some() {
        return Ok(c);
    }
    let mut m: consent::ActiveModel = c.into();
    m.withdrawn_at = Set(Some(crate::domain::clock::now()));
    Ok(m.update(db).await?)
}

/// Whether a consent is in force at `now`.
pub fn in_force(c: &consent::Model, now: DateTime<Utc>) -> bool {
    c.withdrawn_at.is_none() && c.valid_from <= now && c.valid_until.is_none_or(|u| u > now)
}

/// What `person_id`'s consents in force grant `p`: as the wijkteam of one of a professional's
/// gemeenten, as the person granted, or as an organiser of the initiative granted.
pub async fn granted_to(
    db: &impl Conn,
    person_id: Uuid,
    p: &crate::auth::Principal,
    now: DateTime<Utc>,
) -> Result<crate::auth::policy::Granted, StoreError> {
    let mut g = crate::auth::policy::Granted::default();
    if p.role == crate::auth::Role::Anonymous {
        return Ok(g);
    }
    let rows = consent::Entity::find()
        .filter(Condition::all().add(consent::Column::PersonId.eq(person_id)).add(consent::Column::WithdrawnAt.is_null()))
        .all(db)
        .await?;
    for c in rows.iter().filter(|c| in_force(c, now)) {
        let to_caller = match c.grantee_kind.as_str() {
            "wijkteam" => {
                p.role == crate::auth::Role::Professional && c.grantee_gemeente.as_ref().is_some_and(|gm| p.gemeenten.contains(gm))
            }
            "person" => c.grantee_person_id.is_some() && c.grantee_person_id == p.person_id,
            "initiative" => c.grantee_initiative_id.is_some_and(|i| p.acts_for(i)),
            _ => false,
        };
        if !to_caller {
            continue;
        }
        for s in c.scope.split(',') {
            match ConsentScope::from_code(s) {
                Some(ConsentScope::Profile) => g.profile = true,
                Some(ConsentScope::Contact) => g.contact = true,
                Some(ConsentScope::Volunteer) => g.volunteer = true,
                Some(ConsentScope::Referral) => g.referral = true,
                Some(ConsentScope::Listings) | None => {}
            }
        }
    }
    Ok(g)
}

/// The newest consent of `person_id` in force at `now` that gives the wijkteam of `gemeente`
/// `scope`.
pub async fn wijkteam_consent(
    db: &impl Conn,
    person_id: Uuid,
    gemeente: &str,
    scope: ConsentScope,
    now: DateTime<Utc>,
) -> Result<Option<consent::Model>, StoreError> {
    let rows = consent::Entity::find()
        .filter(
            Condition::all()
                .add(consent::Column::PersonId.eq(person_id))
                .add(consent::Column::GranteeKind.eq("wijkteam"))
                .add(consent::Column::GranteeGemeente.eq(gemeente))
                .add(consent::Column::WithdrawnAt.is_null()),
        )
        .order_by_desc(consent::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().find(|c| in_force(c, now) && c.scope.split(',').any(|s| s == scope.code())))
}
