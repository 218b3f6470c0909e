//! Who a credential is: people by token subject, API keys, organisers and their invitations.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::{api_key, organiser, organiser_invitation, person, professional_scope};
use crate::auth::{Role, keys};

/// The person a token subject is, if they have created a profile.
pub async fn person_by_subject(db: &impl Conn, subject: &str) -> Result<Option<person::Model>, StoreError> {
    Ok(person::Entity::find().filter(person::Column::Subject.eq(subject)).one(db).await?)
}

/// The initiatives a person organises.
pub async fn organised_by(db: &impl Conn, person_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let rows = organiser::Entity::find().filter(organiser::Column::PersonId.eq(person_id)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.initiative_id).collect())
}

/// The organisers of an initiative, oldest first.
pub async fn organisers_of(db: &impl Conn, initiative_id: Uuid) -> Result<Vec<organiser::Model>, StoreError> {
    Ok(organiser::Entity::find()
        .filter(organiser::Column::InitiativeId.eq(initiative_id))
        .order_by_asc(organiser::Column::AddedAt)
        .all(db)
        .await?)
}

/// Records `person_id` as an organiser of `initiative_id` (nothing changes if they already are).
pub async fn add_organiser(db: &impl Conn, initiative_id: Uuid, person_id: Uuid) -> Result<(), StoreError> {
    // The key decides between two at once.
    let row =
        organiser::ActiveModel { initiative_id: Set(initiative_id), person_id: Set(person_id), added_at: Set(crate::domain::clock::now()) };
    organiser::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(db).await?;
    Ok(())
}

/// Removes an organiser; an initiative keeps at least one.
pub async fn remove_organiser(db: &DatabaseConnection, initiative_id: Uuid, person_id: Uuid) -> Result<(), StoreError> {
    // Held so that two organisers leaving at once cannot both see the other stay.
    let txn = super::locks::begin_locked(db, &[super::locks::Lock::Initiative(initiative_id)]).await?;
    organiser::Entity::find_by_id((initiative_id, person_id)).one(&txn).await?.ok_or(StoreError::NotFound)?;
    if organisers_of(&txn, initiative_id).await?.len() <= 1 {
        return Err(StoreError::Conflict("an initiative keeps at least one organiser; invite another before leaving".into()));
    }
    organiser::Entity::delete_by_id((initiative_id, person_id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// How long an invitation code can be redeemed.
pub const INVITATION_DAYS: i64 = 14;

/// A new invitation to co-organise; returns the row and the one-time code (shown once).
pub async fn invite(db: &impl Conn, initiative_id: Uuid, created_by: &str) -> Result<(organiser_invitation::Model, String), StoreError> {
    let (code, hash) = keys::generate();
    let now = Utc::now();
    let m = organiser_invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        initiative_id: Set(initiative_id),
        code_hash: Set(hash),
        created_by: Set(created_by.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITATION_DAYS)),
        accepted_by: Set(None),
        accepted_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((m, code))
}

/// Redeems an invitation code for `person_id`: they become an organiser. A code works once.
pub async fn accept_invitation(db: &DatabaseConnection, code: &str, person_id: Uuid) -> Result<Uuid, StoreError> {
    let txn = super::locks::begin_write(db).await?;
    let invitation = organiser_invitation::Entity::find()
        .filter(organiser_invitation::Column::CodeHash.eq(keys::hash(code)))
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    if invitation.accepted_at.is_some() {
        return Err(StoreError::Conflict("this invitation has already been used".into()));
    }
    if invitation.expires_at <= Utc::now() {
        return Err(StoreError::Conflict("this invitation has expired; ask for a new one".into()));
    }
    let initiative_id = invitation.initiative_id;
    // Redeemed only if still unused when written: of two at once, one wins.
    let redeemed = organiser_invitation::Entity::update_many()
        .col_expr(organiser_invitation::Column::AcceptedBy, Expr::value(person_id))
        .col_expr(organiser_invitation::Column::AcceptedAt, Expr::value(Utc::now()))
        .filter(organiser_invitation::Column::Id.eq(invitation.id))
        .filter(organiser_invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?;
    if redeemed.rows_affected != 1 {
        return Err(StoreError::Conflict("this invitation has already been used".into()));
    }
    add_organiser(&txn, initiative_id, person_id).await?;
    txn.commit().await?;
    Ok(initiative_id)
}

/// What a new API key is for.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// A label for people managing keys.
    pub label: String,
    /// organiser, professional or admin.
    pub role: Role,
    /// The gemeenten it covers (for an organiser key: the initiative's).
    pub gemeenten: Vec<String>,
    /// The initiative an organiser key acts for.
    pub initiative_id: Option<Uuid>,
    /// Who created it.
    pub created_by: String,
    /// Optional expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Stores a new key; returns the row and the key itself, which is never stored or shown again.
pub async fn create_key(db: &impl Conn, k: &NewKey) -> Result<(api_key::Model, String), StoreError> {
    let (secret, hash) = keys::generate();
    let m = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        hash: Set(hash),
        label: Set(k.label.clone()),
        role: Set(k.role.code().to_owned()),
        gemeenten: Set(k.gemeenten.join(",")),
        initiative_id: Set(k.initiative_id),
        created_by: Set(k.created_by.clone()),
        created_at: Set(Utc::now()),
        expires_at: Set(k.expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
            StoreError::Reference { field: "initiative_id", message: "no initiative with this id".into() }
        }
        _ => StoreError::Db(e),
    })?;
    Ok((m, secret))
}

/// The live key with this secret: not revoked, not expired.
pub async fn key_by_secret(db: &impl Conn, secret: &str, now: DateTime<Utc>) -> Result<Option<api_key::Model>, StoreError> {
    let found = api_key::Entity::find().filter(api_key::Column::Hash.eq(keys::hash(secret))).one(db).await?;
    Ok(found.filter(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|e| e > now)))
}

/// Every key, newest first (the caller filters by scope).
pub async fn list_keys(db: &impl Conn) -> Result<Vec<api_key::Model>, StoreError> {
    Ok(api_key::Entity::find().order_by_desc(api_key::Column::Id).all(db).await?)
}

/// One key.
pub async fn get_key(db: &impl Conn, id: Uuid) -> Result<Option<api_key::Model>, StoreError> {
    Ok(api_key::Entity::find_by_id(id).one(db).await?)
}

/// Revokes a key from now on; revoking twice keeps the first time.
pub async fn revoke_key(db: &impl Conn, id: Uuid) -> Result<api_key::Model, StoreError> {
    let k = get_key(db, id).await?.ok_or(StoreError::NotFound)?;
    if k.revoked_at.is_some() {
        return Ok(k);
    }
    let mut m: api_key::ActiveModel = k.into();
    m.revoked_at = Set(Some(Utc::now()));
    Ok(m.update(db).await?)
}

/// Splits a stored comma-joined list.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The gemeenten admins have granted to a professional's subject.
pub async fn granted_scopes(db: &impl Conn, subject: &str) -> Result<Vec<String>, StoreError> {
    let rows = professional_scope::Entity::find().filter(professional_scope::Column::Subject.eq(subject)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.gemeente_code).collect())
}

/// Grants `gemeente` to `subject` (nothing changes if it already has it).
pub async fn grant_scope(db: &impl Conn, subject: &str, gemeente: &str, by: &str) -> Result<professional_scope::Model, StoreError> {
    let key = (subject.to_owned(), gemeente.to_owned());
    if let Some(existing) = professional_scope::Entity::find_by_id(key.clone()).one(db).await? {
        return Ok(existing);
    }
    let row = professional_scope::ActiveModel {
        subject: Set(subject.to_owned()),
        gemeente_code: Set(gemeente.to_owned()),
        granted_by: Set(by.to_owned()),
        granted_at: Set(Utc::now()),
    };
    // Two grants at once: the key keeps one, and both answer with it.
    professional_scope::Entity::insert(row).on_conflict_do_nothing().exec_without_returning(db).await?;
    professional_scope::Entity::find_by_id(key).one(db).await?.ok_or(StoreError::NotFound)
}

/// Withdraws a grant.
pub async fn revoke_scope(db: &impl Conn, subject: &str, gemeente: &str) -> Result<(), StoreError> {
    let r = professional_scope::Entity::delete_by_id((subject.to_owned(), gemeente.to_owned())).exec(db).await?;
    if r.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The grants in these gemeenten, by subject.
pub async fn scopes_in(db: &impl Conn, gemeenten: &[String]) -> Result<Vec<professional_scope::Model>, StoreError> {
    Ok(professional_scope::Entity::find()
        .filter(professional_scope::Column::GemeenteCode.is_in(gemeenten.to_vec()))
        .order_by_asc(professional_scope::Column::Subject)
        .all(db)
        .await?)
}
