//! Support requests of initiatives to their wijkteam, and each request's history: one event
//! per state it entered, written with the change itself.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::{support_request, support_request_event};
use crate::auth::Principal;
use crate::domain::support::SupportAsk;
use crate::domain::{SupportKind, SupportStatus};

/// A request about to be stored.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// The initiative that asks.
    pub initiative_id: Uuid,
    /// Its gemeente.
    pub gemeente_code: &'a str,
    /// Its wijk.
    pub wijk_code: &'a str,
    /// What it asks.
    pub ask: &'a SupportAsk,
    /// The organiser who writes it, if a person.
    pub submitted_by_person_id: Option<Uuid>,
}

/// A state a request enters, with what goes with it; stored on the request and as an event.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// The new state.
    pub status: SupportStatus,
    /// Who.
    pub actor: &'a Principal,
    /// A decline reason code.
    pub code: Option<&'static str>,
    /// What was given, or why not.
    pub note: Option<String>,
    /// A grant's amount given.
    pub amount_cents: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
}

async fn append(db: &impl Conn, id: Uuid, request_id: Uuid, c: &Change<'_>) -> Result<(), StoreError> {
    support_request_event::Entity::insert(support_request_event::ActiveModel {
        id: Set(id),
        request_id: Set(request_id),
        status: Set(c.status.code().to_owned()),
        actor: Set(c.actor.actor()),
        actor_role: Set(c.actor.role.code().to_owned()),
        at: Set(c.at),
        code: Set(c.code.map(str::to_owned)),
        note: Set(c.note.clone()),
        amount_cents: Set(c.amount_cents),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Stores a new request in `submitted` with its first event.
pub async fn create(db: &impl Conn, r: &NewRequest<'_>, submitted: &Change<'_>) -> Result<support_request::Model, StoreError> {
    let id = Uuid::now_v7();
    let event = Uuid::now_v7();
    let m = support_request::ActiveModel {
        id: Set(id),
        initiative_id: Set(r.initiative_id),
        gemeente_code: Set(r.gemeente_code.to_owned()),
        wijk_code: Set(r.wijk_code.to_owned()),
        kind: Set(r.ask.kind.code().to_owned()),
        description: Set(r.ask.description.as_str().to_owned()),
        amount_cents: Set(r.ask.amount_cents),
        wished_date: Set(r.ask.wished_date),
        status: Set(submitted.status.code().to_owned()),
        submitted_by_person_id: Set(r.submitted_by_person_id),
        granted_note: Set(None),
        granted_amount_cents: Set(None),
        decline_reason: Set(None),
        decline_note: Set(None),
        change_id: Set(event),
        created_at: Set(submitted.at),
        updated_at: Set(submitted.at),
    }
    .insert(db)
    .await?;
    append(db, event, id, submitted).await?;
    Ok(m)
}

/// One request.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<support_request::Model>, StoreError> {
    Ok(support_request::Entity::find_by_id(id).one(db).await?)
}

/// Moves request `m` from the state it was read in to `c.status`, recording the decision and
/// the event. The update holds only if the request is still in that state, so a second
/// decision that slipped past the lock finds it changed and is refused, never stored twice.
pub async fn change(db: &impl Conn, m: &support_request::Model, c: &Change<'_>) -> Result<support_request::Model, StoreError> {
    let event = Uuid::now_v7();
    let mut update = support_request::Entity::update_many()
        .col_expr(support_request::Column::Status, Expr::value(c.status.code()))
        .col_expr(support_request::Column::ChangeId, Expr::value(event))
        .col_expr(support_request::Column::UpdatedAt, Expr::value(c.at));
    match c.status {
        SupportStatus::Granted => {
            update = update
                .col_expr(support_request::Column::GrantedNote, Expr::value(c.note.clone()))
                .col_expr(support_request::Column::GrantedAmountCents, Expr::value(c.amount_cents));
        }
        SupportStatus::Declined => {
            update = update
                .col_expr(support_request::Column::DeclineReason, Expr::value(c.code.map(str::to_owned)))
                .col_expr(support_request::Column::DeclineNote, Expr::value(c.note.clone()));
        }
        _ => {}
    }
    let done =
        update.filter(support_request::Column::Id.eq(m.id)).filter(support_request::Column::Status.eq(m.status.as_str())).exec(db).await?;
    if done.rows_affected != 1 {
        return Err(StoreError::Conflict(format!("the support request changed while this {} was decided", c.status.code())));
    }
    append(db, event, m.id, c).await?;
    get(db, m.id).await?.ok_or(StoreError::NotFound)
}

/// The history of each of `requests`, oldest event first.
pub async fn history(db: &impl Conn, requests: &[Uuid]) -> Result<HashMap<Uuid, Vec<support_request_event::Model>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<support_request_event::Model>> = HashMap::new();
    for chunk in requests.chunks(1_000) {
        let events = support_request_event::Entity::find()
            .filter(support_request_event::Column::RequestId.is_in(chunk.to_vec()))
            .order_by_asc(support_request_event::Column::Id)
            .all(db)
            .await?;
        for e in events {
            out.entry(e.request_id).or_default().push(e);
        }
    }
    Ok(out)
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// In this gemeente.
    pub gemeente: Option<String>,
    /// Of this initiative.
    pub initiative: Option<Uuid>,
    /// Only in these gemeenten (a professional's, on an initiative's list).
    pub within: Option<Vec<String>>,
    /// In this wijk.
    pub wijk: Option<String>,
    /// In any of these states (any state when empty).
    pub statuses: Vec<SupportStatus>,
    /// Of any of these kinds (any kind when empty).
    pub kinds: Vec<SupportKind>,
    /// Changed before the request with this change id (the cursor).
    pub after: Option<Uuid>,
    /// At most this many.
    pub limit: u64,
}

/// A page of requests by last change, newest first, and the change id the next page starts
/// after, when there is a next page.
pub async fn list(db: &impl Conn, f: &Filter) -> Result<(Vec<support_request::Model>, Option<Uuid>), StoreError> {
    use support_request::Column as C;
    let mut cond = Condition::all();
    if let Some(g) = &f.gemeente {
        cond = cond.add(C::GemeenteCode.eq(g.clone()));
    }
    if let Some(i) = f.initiative {
        cond = cond.add(C::InitiativeId.eq(i));
    }
    if let Some(within) = &f.within {
        cond = cond.add(C::GemeenteCode.is_in(within.clone()));
    }
    if let Some(w) = &f.wijk {
        cond = cond.add(C::WijkCode.eq(w.clone()));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(C::Status.is_in(f.statuses.iter().map(|s| s.code())));
    }
    if !f.kinds.is_empty() {
        cond = cond.add(C::Kind.is_in(f.kinds.iter().map(|k| k.code())));
    }
    if let Some(after) = f.after {
        cond = cond.add(C::ChangeId.lt(after));
    }
    // One more than asked: whether it comes back says whether there is a next page.
    let mut rows = support_request::Entity::find().filter(cond).order_by_desc(C::ChangeId).limit(f.limit + 1).all(db).await?;
    let more = rows.len() as u64 > f.limit;
    rows.truncate(f.limit as usize);
    let next = if more { rows.last().map(|r| r.change_id) } else { None };
    Ok((rows, next))
}

/// Replaces an erased person's actor code in every history by the audit log's pseudonym for
/// them, so histories keep their shape (a step, by the same someone) without naming them.
pub async fn pseudonymise_actor(db: &impl Conn, actor: &str, pseudonym: &str) -> Result<(), StoreError> {
    support_request_event::Entity::update_many()
        .col_expr(support_request_event::Column::Actor, Expr::value(pseudonym.to_owned()))
        .filter(support_request_event::Column::Actor.eq(actor))
        .exec(db)
        .await?;
    Ok(())
}
