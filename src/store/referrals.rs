//! Referrals and their history. Every write runs inside the caller's transaction; a change of
//! state and its history entry are written together.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::entities::{referral, referral_event};
use super::{Conn, StoreError};
use crate::domain::list::ChangeCursor;
use crate::domain::referral::{self as rules, Party, ReferralHelperKind, ReferralState};

/// A referral as the service makes it.
#[derive(Debug, Clone)]
pub struct NewReferral {
    /// The request.
    pub request_id: Uuid,
    /// Its resident.
    pub resident_person_id: Uuid,
    /// What the helper is.
    pub helper_kind: ReferralHelperKind,
    /// The offer, volunteer profile or initiative.
    pub helper_id: Uuid,
    /// The helping person.
    pub helper_person_id: Option<Uuid>,
    /// The helping initiative.
    pub helper_initiative_id: Option<Uuid>,
    /// The request's gemeente.
    pub gemeente_code: String,
    /// The request's wijk.
    pub wijk_code: String,
    /// The referrer's note.
    pub note: Option<String>,
    /// Whether the professional recorded the request.
    pub request_recorded: bool,
    /// The consent it is made under.
    pub consent_id: Uuid,
    /// The professional's actor code.
    pub referred_by: String,
}

/// Stores a new referral, sent, with the first entry of its history.
pub async fn create(db: &impl Conn, r: &NewReferral, now: DateTime<Utc>) -> Result<referral::Model, StoreError> {
    let m = referral::ActiveModel {
        id: Set(Uuid::now_v7()),
        request_id: Set(Some(r.request_id)),
        resident_person_id: Set(Some(r.resident_person_id)),
        helper_kind: Set(r.helper_kind.code().to_owned()),
        helper_id: Set(Some(r.helper_id)),
        helper_person_id: Set(r.helper_person_id),
        helper_initiative_id: Set(r.helper_initiative_id),
        gemeente_code: Set(r.gemeente_code.clone()),
        wijk_code: Set(r.wijk_code.clone()),
        state: Set(ReferralState::Sent.code().to_owned()),
        decline_reason: Set(None),
        outcome: Set(None),
        note: Set(r.note.clone()),
        request_recorded: Set(r.request_recorded),
        consent_id: Set(Some(r.consent_id)),
        referred_by: Set(r.referred_by.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
    }
    .insert(db)
    .await?;
    append(db, m.id, 0, ReferralState::Sent, Party::Professional, &r.referred_by, None, now).await?;
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
async fn append(
    db: &impl Conn,
    id: Uuid,
    seq: i32,
    state: ReferralState,
    party: Party,
    actor: &str,
    code: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    referral_event::ActiveModel {
        referral_id: Set(id),
        seq: Set(seq),
        state: Set(state.code().to_owned()),
        party: Set(party.code().to_owned()),
        actor: Set(actor.to_owned()),
        code: Set(code.map(str::to_owned)),
        at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One referral.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<referral::Model>, StoreError> {
    Ok(referral::Entity::find_by_id(id).one(db).await?)
}

/// The stored state of a referral; a row the code cannot read is reported, not guessed.
pub fn state_of(m: &referral::Model) -> Result<ReferralState, StoreError> {
    ReferralState::from_code(&m.state)
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::Custom(format!("referral {} in state {:?}", m.id, m.state))))
}

/// The histories of `ids`, oldest entry first.
pub async fn histories(db: &impl Conn, ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<referral_event::Model>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<referral_event::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = referral_event::Entity::find()
        .filter(referral_event::Column::ReferralId.is_in(ids.to_vec()))
        .order_by_asc(referral_event::Column::ReferralId)
        .order_by_asc(referral_event::Column::Seq)
        .all(db)
        .await?;
    for e in rows {
        out.entry(e.referral_id).or_default().push(e);
    }
    Ok(out)
}

/// Moves a referral to `next`, recording who did it and the reason or outcome code (or, for a
/// step without one, `why`).
#[allow(clippy::too_many_arguments)]
pub async fn save_step(
    db: &impl Conn,
    m: referral::Model,
    next: ReferralState,
    party: Party,
    actor: &str,
    step: rules::Step,
    why: Option<&str>,
    now: DateTime<Utc>,
) -> Result<referral::Model, StoreError> {
    let seq = referral_event::Entity::find().filter(referral_event::Column::ReferralId.eq(m.id)).count(db).await?;
    let id = m.id;
    let mut a: referral::ActiveModel = m.into();
    a.state = Set(next.code().to_owned());
    a.updated_at = Set(now);
    match step {
        rules::Step::Decline(r) => a.decline_reason = Set(Some(r.code().to_owned())),
        rules::Step::Close(o) => {
            a.outcome = Set(Some(o.code().to_owned()));
            a.closed_at = Set(Some(now));
        }
        _ => {}
    }
    let saved = a.update(db).await?;
    append(db, id, i32::try_from(seq).unwrap_or(i32::MAX), next, party, actor, step.code().or(why), now).await?;
    Ok(saved)
}

/// The open referrals that one of `filter` names, held (on PostgreSQL) until the transaction
/// ends, so a concurrent step waits and then sees what this transaction did to them.
pub async fn open_where(db: &impl Conn, filter: Condition) -> Result<Vec<referral::Model>, StoreError> {
    let open: Vec<&str> = ReferralState::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    Ok(referral::Entity::find()
        .filter(filter)
        .filter(referral::Column::State.is_in(open))
        .order_by_asc(referral::Column::Id)
        .lock_exclusive()
        .all(db)
        .await?)
}

/// Open referrals made under consent `id`.
pub fn under_consent(id: Uuid) -> Condition {
    Condition::all().add(referral::Column::ConsentId.eq(id))
}

/// Referrals that name `person` as resident or as helper.
pub fn naming_person(person: Uuid) -> Condition {
    Condition::any().add(referral::Column::ResidentPersonId.eq(person)).add(referral::Column::HelperPersonId.eq(person))
}

/// Referrals of request `id`.
pub fn of_request(id: Uuid) -> Condition {
    Condition::all().add(referral::Column::RequestId.eq(id))
}

/// Referrals to helper `id` (an offer, volunteer profile or initiative).
pub fn to_helper(id: Uuid) -> Condition {
    Condition::any().add(referral::Column::HelperId.eq(id)).add(referral::Column::HelperInitiativeId.eq(id))
}

/// Removes what a referral holds about `person`: as the resident, the request, the note and
/// the reference to them; as the helper, the reference to them and their offer or profile.
/// Their own entries in the histories take `pseudonym`. The anonymous facts stay.
pub async fn forget_person(db: &impl Conn, person: Uuid, own_actor: Option<&str>, pseudonym: &str) -> Result<(), StoreError> {
    referral::Entity::update_many()
        .col_expr(referral::Column::ResidentPersonId, Expr::value(Option::<Uuid>::None))
        .col_expr(referral::Column::RequestId, Expr::value(Option::<Uuid>::None))
        .col_expr(referral::Column::Note, Expr::value(Option::<String>::None))
        .filter(referral::Column::ResidentPersonId.eq(person))
        .exec(db)
        .await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::HelperPersonId, Expr::value(Option::<Uuid>::None))
        .col_expr(referral::Column::HelperId, Expr::value(Option::<Uuid>::None))
        .filter(referral::Column::HelperPersonId.eq(person))
        .exec(db)
        .await?;
    if let Some(actor) = own_actor {
        referral_event::Entity::update_many()
            .col_expr(referral_event::Column::Actor, Expr::value(pseudonym.to_owned()))
            .filter(referral_event::Column::Actor.eq(actor))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Forgets a removed listing or helper: the references to it are nulled.
pub async fn forget_item(db: &impl Conn, id: Uuid) -> Result<(), StoreError> {
    referral::Entity::update_many()
        .col_expr(referral::Column::RequestId, Expr::value(Option::<Uuid>::None))
        .filter(referral::Column::RequestId.eq(id))
        .exec(db)
        .await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::HelperId, Expr::value(Option::<Uuid>::None))
        .filter(referral::Column::HelperId.eq(id))
        .exec(db)
        .await?;
    referral::Entity::update_many()
        .col_expr(referral::Column::HelperInitiativeId, Expr::value(Option::<Uuid>::None))
        .filter(referral::Column::HelperInitiativeId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Places taken at each of `initiatives` by accepted referrals and referrals in progress.
pub async fn places_taken(db: &impl Conn, initiatives: &[Uuid]) -> Result<HashMap<Uuid, u32>, StoreError> {
    let mut out = HashMap::new();
    if initiatives.is_empty() {
        return Ok(out);
    }
    let taking: Vec<&str> = ReferralState::ALL.iter().filter(|s| s.takes_a_place()).map(|s| s.code()).collect();
    let rows: Vec<(Option<Uuid>, i64)> = referral::Entity::find()
        .select_only()
        .column(referral::Column::HelperInitiativeId)
        .column_as(referral::Column::Id.count(), "n")
        .filter(referral::Column::HelperInitiativeId.is_in(initiatives.to_vec()))
        .filter(referral::Column::State.is_in(taking))
        .group_by(referral::Column::HelperInitiativeId)
        .into_tuple()
        .all(db)
        .await?;
    for (id, n) in rows {
        if let Some(id) = id {
            out.insert(id, u32::try_from(n).unwrap_or(u32::MAX));
        }
    }
    Ok(out)
}

/// The filters of the team's work list.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    /// The gemeente.
    pub gemeente: String,
    /// Only these states (any of them).
    pub states: Vec<ReferralState>,
    /// Only stale referrals (`Some(true)`), or only those that are not (`Some(false)`).
    pub stale: Option<bool>,
    /// Only this wijk.
    pub wijk: Option<String>,
    /// Only helpers of these kinds.
    pub helper_kinds: Vec<ReferralHelperKind>,
    /// Only referrals by this professional.
    pub referred_by: Option<String>,
    /// After this position.
    pub after: Option<ChangeCursor>,
    /// Page size.
    pub limit: u64,
}

/// Rows after `after`, newest change first.
fn after_cursor(after: Option<ChangeCursor>) -> Condition {
    match after {
        None => Condition::all(),
        // `updated_at <= t` on its own gives both engines a range on the index; the rest only
        // sorts out the rows changed at the same instant.
        Some(c) => Condition::all()
            .add(referral::Column::UpdatedAt.lte(c.at()))
            .add(Condition::any().add(referral::Column::UpdatedAt.lt(c.at())).add(referral::Column::Id.lt(c.id))),
    }
}

/// One page of a gemeente's referrals, newest change first, and the next position when the
/// page is full.
pub async fn work_list(
    db: &impl Conn,
    f: &WorkFilter,
    now: DateTime<Utc>,
) -> Result<(Vec<referral::Model>, Option<ChangeCursor>), StoreError> {
    let mut cond = Condition::all().add(referral::Column::GemeenteCode.eq(f.gemeente.clone())).add(after_cursor(f.after));
    let open: Vec<ReferralState> = ReferralState::ALL.iter().copied().filter(|s| s.is_open()).collect();
    let cutoff = now - Duration::days(rules::STALE_AFTER_DAYS);
    let mut states: Vec<ReferralState> = if f.states.is_empty() { ReferralState::ALL.to_vec() } else { f.states.clone() };
    match f.stale {
        // Stale: open and untouched since the cutoff.
        Some(true) => {
            states.retain(|s| open.contains(s));
            cond = cond.add(referral::Column::UpdatedAt.lte(cutoff));
        }
        // Not stale: closed, or touched since.
        Some(false) => {
            cond = cond.add(
                Condition::any()
                    .add(referral::Column::State.is_not_in(open.iter().map(|s| s.code())))
                    .add(referral::Column::UpdatedAt.gt(cutoff)),
            );
        }
        None => {}
    }
    if states.len() < ReferralState::ALL.len() {
        cond = cond.add(referral::Column::State.is_in(states.iter().map(|s| s.code())));
    }
    if let Some(w) = &f.wijk {
        cond = cond.add(referral::Column::WijkCode.eq(w.clone()));
    }
    if !f.helper_kinds.is_empty() {
        cond = cond.add(referral::Column::HelperKind.is_in(f.helper_kinds.iter().map(|k| k.code())));
    }
    if let Some(by) = &f.referred_by {
        cond = cond.add(referral::Column::ReferredBy.eq(by.clone()));
    }
    let rows = referral::Entity::find()
        .filter(cond)
        .order_by_desc(referral::Column::UpdatedAt)
        .order_by_desc(referral::Column::Id)
        .limit(f.limit)
        .all(db)
        .await?;
    let next = (rows.len() as u64 == f.limit).then(|| rows.last().map(|r| ChangeCursor::after(r.updated_at, r.id))).flatten();
    Ok((rows, next))
}

/// Whose referrals: the resident's, or a helper's (a person, or the initiatives they act for).
#[derive(Debug, Clone)]
pub enum Whose {
    /// Referrals about this resident.
    Resident(Uuid),
    /// Referrals to this person or these initiatives.
    Helper(Option<Uuid>, Vec<Uuid>),
}

/// One page of a resident's or a helper's referrals, newest change first.
pub async fn of(
    db: &impl Conn,
    whose: &Whose,
    after: Option<ChangeCursor>,
    limit: u64,
) -> Result<(Vec<referral::Model>, Option<ChangeCursor>), StoreError> {
    let who = match whose {
        Whose::Resident(p) => Condition::all().add(referral::Column::ResidentPersonId.eq(*p)),
        Whose::Helper(person, initiatives) => {
            let mut c = Condition::any();
            if let Some(p) = person {
                c = c.add(referral::Column::HelperPersonId.eq(*p));
            }
            if !initiatives.is_empty() {
                c = c.add(referral::Column::HelperInitiativeId.is_in(initiatives.clone()));
            }
            if person.is_none() && initiatives.is_empty() {
                return Ok((Vec::new(), None));
            }
            c
        }
    };
    let rows = referral::Entity::find()
        .filter(Condition::all().add(who).add(after_cursor(after)))
        .order_by_desc(referral::Column::UpdatedAt)
        .order_by_desc(referral::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let next = (rows.len() as u64 == limit).then(|| rows.last().map(|r| ChangeCursor::after(r.updated_at, r.id))).flatten();
    Ok((rows, next))
}

/// Every referral about a resident, for their export.
pub async fn about_resident(db: &impl Conn, person: Uuid) -> Result<Vec<referral::Model>, StoreError> {
    Ok(referral::Entity::find().filter(referral::Column::ResidentPersonId.eq(person)).order_by_asc(referral::Column::Id).all(db).await?)
}
