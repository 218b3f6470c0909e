//! The audit log: who read or changed which person's data, when, through which endpoint.
//! Rows are only ever appended; erasure replaces the person's id by a pseudonym.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::audit_event;
use crate::auth::Principal;

/// What happened to a person's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read by someone else.
    Read,
    /// Created.
    Create,
    /// Changed.
    Update,
    /// Deleted.
    Delete,
    /// Exported by the person.
    Export,
    /// Erased by the person.
    Erase,
}

impl Action {
    fn code(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Export => "export",
            Self::Erase => "erase",
        }
    }
}

/// One entry to write.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who.
    pub actor: &'a Principal,
    /// About whom.
    pub person_id: Uuid,
    /// Their gemeente, when known.
    pub gemeente: Option<&'a str>,
    /// What.
    pub action: Action,
    /// Which kind of data: person, volunteer, listing, consent.
    pub resource: &'static str,
    /// Which item.
    pub resource_id: Option<Uuid>,
    /// The operation, e.g. `GET /v1/people/{id}`.
    pub endpoint: &'static str,
}

/// Appends entries, in one statement per thousand: a professional's page of 200 people is one
/// write, not 200.
pub async fn record(db: &impl Conn, entries: &[Entry<'_>]) -> Result<(), StoreError> {
    let at = crate::domain::clock::now();
    for chunk in entries.chunks(1_000) {
        audit_event::Entity::insert_many(chunk.iter().map(|e| row(e, at))).exec_without_returning(db).await?;
    }
    Ok(())
}

fn row(e: &Entry<'_>, at: chrono::DateTime<Utc>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        id: Set(Uuid::now_v7()),
        at: Set(at),
        actor: Set(e.actor.actor()),
        actor_role: Set(e.actor.role.code().to_owned()),
        person_ref: Set(e.person_id.to_string()),
        gemeente_code: Set(e.gemeente.map(str::to_owned)),
        action: Set(e.action.code().to_owned()),
        resource: Set(e.resource.to_owned()),
        resource_id: Set(e.resource_id.map(|i| i.to_string())),
        endpoint: Set(e.endpoint.to_owned()),
    }
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// About this person only.
    pub person_id: Option<Uuid>,
    /// In these gemeenten only (an admin's scope).
    pub gemeenten: Option<Vec<String>>,
    /// Written after this position (the `seq` of the last entry of the previous page).
    pub after: Option<i64>,
    /// At most this many.
    pub limit: u64,
}

/// A page of entries, oldest first.
pub async fn list(db: &impl Conn, f: &Filter) -> Result<Vec<audit_event::Model>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = f.person_id {
        cond = cond.add(audit_event::Column::PersonRef.eq(p.to_string()));
    }
    if let Some(g) = &f.gemeenten {
        cond = cond.add(audit_event::Column::GemeenteCode.is_in(g.clone()));
    }
    if let Some(after) = f.after {
        cond = cond.add(audit_event::Column::Seq.gt(after));
    }
    Ok(audit_event::Entity::find().filter(cond).order_by_asc(audit_event::Column::Seq).limit(f.limit).all(db).await?)
}

/// Replaces the person's id in every entry by a fresh pseudonym, so the log keeps its shape
/// (how many reads, by whom, when) without pointing at an erased person. Returns the pseudonym.
///
/// The ids of the erased items go too, and so does the person's own sign-in name where they
/// were the actor (`actor` is the token's subject, which can name them).
pub async fn pseudonymise(db: &impl Conn, person_id: Uuid, own_actor: Option<String>) -> Result<String, StoreError> {
    let pseudonym = format!("erased:{}", Uuid::new_v4().simple());
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::PersonRef, Expr::value(pseudonym.clone()))
        .col_expr(audit_event::Column::ResourceId, Expr::value(Option::<String>::None))
        .filter(audit_event::Column::PersonRef.eq(person_id.to_string()))
        .exec(db)
        .await?;
    if let Some(actor) = own_actor {
        audit_event::Entity::update_many()
            .col_expr(audit_event::Column::Actor, Expr::value(pseudonym.clone()))
            .filter(audit_event::Column::Actor.eq(actor))
            .exec(db)
            .await?;
    }
    Ok(pseudonym)
}

/// Every entry about a person (for their export), oldest first.
pub async fn about(db: &impl Conn, person_id: Uuid) -> Result<Vec<audit_event::Model>, StoreError> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::PersonRef.eq(person_id.to_string()))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await?)
}
