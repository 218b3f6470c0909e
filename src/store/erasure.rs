//! Export and erasure of everything held about a person.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::{consent, deletion, experience, listing, organiser, organiser_invitation, person, volunteer};
use super::{audit, idempotency, tags};

/// Everything held about one person, as stored.
#[derive(Debug, Clone)]
pub struct Held {
    /// The profile.
    pub person: person::Model,
    /// The volunteer profile.
    pub volunteer: Option<volunteer::Model>,
    /// Their listings.
    pub listings: Vec<listing::Model>,
    /// Consents they gave.
    pub consents: Vec<consent::Model>,
    /// Initiatives they organise.
    pub organises: Vec<Uuid>,
    /// Their answers on how the help went, newest first.
    pub experiences: Vec<experience::Model>,
    /// Audit entries about them.
    pub audit: Vec<super::entities::audit_event::Model>,
}

/// Collects everything held about `person_id`.
pub async fn collect(db: &impl Conn, person_id: Uuid) -> Result<Held, StoreError> {
    let person = person::Entity::find_by_id(person_id).one(db).await?.ok_or(StoreError::NotFound)?;
    Ok(Held {
        volunteer: volunteer::Entity::find().filter(volunteer::Column::PersonId.eq(person_id)).one(db).await?,
        listings: listing::Entity::find().filter(listing::Column::OwnerPersonId.eq(person_id)).all(db).await?,
        consents: super::consents::of_person(db, person_id).await?,
        organises: super::accounts::organised_by(db, person_id).await?,
        experiences: super::experiences::of_person(db, person_id, None).await?,
        audit: audit::about(db, person_id).await?,
        person,
    })
}

/// What an erasure removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// Listings removed.
    pub listings: usize,
    /// Whether a volunteer profile was removed.
    pub volunteer: bool,
    /// Consents removed.
    pub consents: usize,
    /// The pseudonym the audit log now uses.
    pub pseudonym: String,
}

/// Erases a person: profile, volunteer profile, listings, matches, network
/// memberships, what referrals hold about them, consents given and received, organiser roles,
/// answers on how the help went, kept idempotent answers; audit entries keep only a pseudonym.
/// Every removed item is recorded in `deletions`, which downstream copies (search index,
/// feeds) follow and a reindex consults.
///
/// Runs inside the caller's write transaction.
pub async fn erase(txn: &impl Conn, person_id: Uuid) -> Result<Erased, StoreError> {
    let held = collect(txn, person_id).await?;
    let now = crate::domain::clock::now();
    let mut gone: Vec<(&'static str, Uuid)> = Vec::new();
    gone.extend(held.listings.iter().map(|l| ("listing", l.id)));
    if let Some(v) = &held.volunteer {
        gone.push(("volunteer", v.id));
    }
    gone.push(("person", person_id));

    super::listings::delete_owned(txn, listing::Column::OwnerPersonId, person_id).await?;
    if let Some(v) = &held.volunteer {
        tags::remove(txn, &[v.id]).await?;
        volunteer::Entity::delete_by_id(v.id).exec(txn).await?;
    }
    super::matches::forget_person(txn, person_id).await?;
    consent::Entity::delete_many().filter(consent::Column::PersonId.eq(person_id)).exec(txn).await?;
    consent::Entity::delete_many().filter(consent::Column::GranteePersonId.eq(person_id)).exec(txn).await?;
    organiser::Entity::delete_many().filter(organiser::Column::PersonId.eq(person_id)).exec(txn).await?;
    super::experiences::forget_person(txn, person_id).await?;
    organiser_invitation::Entity::update_many()
        .col_expr(organiser_invitation::Column::AcceptedBy, Expr::value(Option::<Uuid>::None))
        .filter(organiser_invitation::Column::AcceptedBy.eq(person_id))
        .exec(txn)
        .await?;
    if let Some(subject) = &held.person.subject {
        idempotency::forget_scope(txn, &idempotency::scope_of(&format!("token:{subject}"))).await?;
    }
    person::Entity::delete_by_id(person_id).exec(txn).await?;
    let own_actor = held.person.subject.as_ref().map(|s| format!("token:{s}"));
    let pseudonym = audit::pseudonymise(txn, person_id, own_actor.clone()).await?;
    // Referrals keep their anonymous facts (state, codes, dates, wijk) for the kompas.
    super::referrals::forget_person(txn, person_id, own_actor.as_deref(), &pseudonym).await?;
    // Their support requests stay with the initiative (the column naming them empties with the
    // person's row); the histories name them by the audit log's pseudonym from now on.
    if let Some(actor) = &own_actor {
        super::support_requests::pseudonymise_actor(txn, actor, &pseudonym).await?;
    }
    for (entity, id) in gone {
        deletion::ActiveModel {
            seq: sea_orm::ActiveValue::NotSet,
            entity: Set(entity.to_owned()),
            entity_id: Set(id),
            deleted_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    Ok(Erased { listings: held.listings.len(), volunteer: held.volunteer.is_some(), consents: held.consents.len(), pseudonym })
}
