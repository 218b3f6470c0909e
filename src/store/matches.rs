//! Matches, their feedback, and the networks residents join through them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::{match_feedback, match_row, network_member, person};
use crate::matching::Feedback;
use crate::matching::lifecycle::{State, Status};

/// A match about to be stored.
#[derive(Debug, Clone)]
pub struct NewMatch {
    /// The request.
    pub request_id: Uuid,
    /// offer, volunteer or initiative.
    pub helper_kind: &'static str,
    /// The helper.
    pub helper_id: Uuid,
    /// The requesting person or initiative.
    pub requester: (Option<Uuid>, Option<Uuid>),
    /// The helping person or initiative.
    pub helper: (Option<Uuid>, Option<Uuid>),
    /// The request's gemeente.
    pub gemeente_code: String,
    /// Who proposed.
    pub proposed_by: String,
    /// The state to start in (the proposer's own side may already accept).
    pub state: State,
}

/// Stores a new match.
pub async fn create(db: &impl Conn, m: &NewMatch) -> Result<match_row::Model, StoreError> {
    let now = crate::domain::clock::now();
    let at = |yes: bool| yes.then_some(now);
    Ok(match_row::ActiveModel {
        id: Set(Uuid::now_v7()),
        request_id: Set(m.request_id),
        helper_kind: Set(m.helper_kind.to_owned()),
        helper_id: Set(m.helper_id),
        requester_person_id: Set(m.requester.0),
        requester_initiative_id: Set(m.requester.1),
        helper_person_id: Set(m.helper.0),
        helper_initiative_id: Set(m.helper.1),
        gemeente_code: Set(m.gemeente_code.clone()),
        status: Set(m.state.status.code().to_owned()),
        requester_accepted_at: Set(at(m.state.requester_accepted)),
        helper_accepted_at: Set(at(m.state.helper_accepted)),
        proposed_by: Set(m.proposed_by.clone()),
        proposed_at: Set(now),
        decline_reason: Set(None),
        declined_by: Set(None),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// One match.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<match_row::Model>, StoreError> {
    Ok(match_row::Entity::find_by_id(id).one(db).await?)
}

/// The machine's view of a stored match.
pub fn state_of(m: &match_row::Model) -> State {
    State {
        status: Status::from_code(&m.status).unwrap_or(Status::Cancelled),
        requester_accepted: m.requester_accepted_at.is_some(),
        helper_accepted: m.helper_accepted_at.is_some(),
        proposed_at: m.proposed_at,
    }
}

/// Stores a new state (and, for a decline, who and why).
pub async fn save(db: &impl Conn, m: match_row::Model, s: State, declined: Option<(&str, &str)>) -> Result<match_row::Model, StoreError> {
    let now = crate::domain::clock::now();
    let mut a: match_row::ActiveModel = m.clone().into();
    a.status = Set(s.status.code().to_owned());
    if s.requester_accepted && m.requester_accepted_at.is_none() {
        a.requester_accepted_at = Set(Some(now));
    }
    if s.helper_accepted && m.helper_accepted_at.is_none() {
        a.helper_accepted_at = Set(Some(now));
    }
    if let Some((side, reason)) = declined {
        a.declined_by = Set(Some(side.to_owned()));
        a.decline_reason = Set(Some(reason.to_owned()));
    }
    a.updated_at = Set(now);
    Ok(a.update(db).await?)
}

/// Matches where the caller is a side (as `person` or acting for `initiatives`) or, for a
/// professional, in `gemeenten`; newest first.
pub async fn list_for(
    db: &impl Conn,
    person: Option<Uuid>,
    initiatives: &[Uuid],
    gemeenten: &[String],
    limit: u64,
) -> Result<Vec<match_row::Model>, StoreError> {
    let mut any = Condition::any();
    if let Some(p) = person {
        any = any.add(match_row::Column::RequesterPersonId.eq(p)).add(match_row::Column::HelperPersonId.eq(p));
    }
    if !initiatives.is_empty() {
        any = any
            .add(match_row::Column::RequesterInitiativeId.is_in(initiatives.to_vec()))
            .add(match_row::Column::HelperInitiativeId.is_in(initiatives.to_vec()));
    }
    if !gemeenten.is_empty() {
        any = any.add(match_row::Column::GemeenteCode.is_in(gemeenten.to_vec()));
    }
    if person.is_none() && initiatives.is_empty() && gemeenten.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match_row::Entity::find().filter(any).order_by_desc(match_row::Column::Id).limit(limit).all(db).await?)
}

/// Whether an unfinished match already joins this request and helper.
pub async fn open_between(db: &impl Conn, request: Uuid, helper: Uuid) -> Result<bool, StoreError> {
    let rows = match_row::Entity::find()
        .filter(match_row::Column::RequestId.eq(request))
        .filter(match_row::Column::HelperId.eq(helper))
        .filter(match_row::Column::Status.is_in(["proposed", "accepted"]))
        .all(db)
        .await?;
    Ok(!rows.is_empty())
}

/// Stores one side's feedback; a second one from the same side is a conflict.
pub async fn add_feedback(
    db: &impl Conn,
    match_id: Uuid,
    side: &str,
    rating: i16,
    comment: Option<String>,
    no_show: bool,
) -> Result<match_feedback::Model, StoreError> {
    if match_feedback::Entity::find_by_id((match_id, side.to_owned())).one(db).await?.is_some() {
        return Err(StoreError::Conflict("this side has already given feedback on this match".into()));
    }
    Ok(match_feedback::ActiveModel {
        match_id: Set(match_id),
        side: Set(side.to_owned()),
        rating: Set(rating),
        comment: Set(comment),
        no_show: Set(no_show),
        created_at: Set(crate::domain::clock::now()),
    }
    .insert(db)
    .await?)
}

/// What requesters said about these helpers, and how many matches each has open.
pub async fn helper_track_record(
    db: &impl Conn,
    helpers: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(HashMap<Uuid, Feedback>, HashMap<Uuid, u32>), StoreError> {
    let mut feedback: HashMap<Uuid, Feedback> = HashMap::new();
    let mut open: HashMap<Uuid, u32> = HashMap::new();
    if helpers.is_empty() {
        return Ok((feedback, open));
    }
    let rows = match_row::Entity::find().filter(match_row::Column::HelperId.is_in(helpers.to_vec())).all(db).await?;
    let mut by_match: HashMap<Uuid, Uuid> = HashMap::new();
    for m in &rows {
        let status = crate::matching::lifecycle::effective(&state_of(m), now);
        if matches!(status, Status::Proposed | Status::Accepted) {
            *open.entry(m.helper_id).or_default() += 1;
        }
        by_match.insert(m.id, m.helper_id);
    }
    // Accepted referrals take an initiative's places too.
    for (id, n) in super::referrals::places_taken(db, helpers).await? {
        *open.entry(id).or_default() += n;
    }
    let ids: Vec<Uuid> = by_match.keys().copied().collect();
    if ids.is_empty() {
        return Ok((feedback, open));
    }
    let given = match_feedback::Entity::find()
        .filter(match_feedback::Column::MatchId.is_in(ids))
        .filter(match_feedback::Column::Side.eq("requester"))
        .all(db)
        .await?;
    for f in given {
        let Some(helper) = by_match.get(&f.match_id) else { continue };
        let e = feedback.entry(*helper).or_default();
        e.mean = (e.mean * f64::from(e.count) + f64::from(f.rating)) / f64::from(e.count + 1);
        e.count += 1;
        if f.no_show {
            e.no_shows += 1;
        }
    }
    Ok((feedback, open))
}

/// Makes a person a member of an initiative's network (nothing changes if they are).
pub async fn join_network(db: &impl Conn, person: Uuid, initiative: Uuid) -> Result<(), StoreError> {
    // Two matches with the same initiative may complete at once: the key keeps one membership.
    let member =
        network_member::ActiveModel { person_id: Set(person), initiative_id: Set(initiative), joined_at: Set(crate::domain::clock::now()) };
    network_member::Entity::insert(member).on_conflict_do_nothing().exec_without_returning(db).await?;
    Ok(())
}

/// The initiatives whose network each of `people` belongs to (only those in any).
pub async fn networks_of(db: &impl Conn, people: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in people.chunks(5_000) {
        for m in network_member::Entity::find().filter(network_member::Column::PersonId.is_in(chunk.to_vec())).all(db).await? {
            out.entry(m.person_id).or_default().push(m.initiative_id);
        }
    }
    Ok(out)
}

/// The initiatives whose network a person belongs to.
pub async fn network_of(db: &impl Conn, person: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(network_member::Entity::find()
        .filter(network_member::Column::PersonId.eq(person))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.initiative_id)
        .collect())
}

/// The members of each initiative's network with their home cells.
pub async fn member_homes(db: &impl Conn, initiatives: &[Uuid]) -> Result<crate::matching::area::Homes, StoreError> {
    let mut out: crate::matching::area::Homes = HashMap::new();
    for chunk in initiatives.chunks(5_000) {
        let members = network_member::Entity::find().filter(network_member::Column::InitiativeId.is_in(chunk.to_vec())).all(db).await?;
        let people: Vec<Uuid> = members.iter().map(|m| m.person_id).collect();
        let mut homes: HashMap<Uuid, i64> = HashMap::new();
        for part in people.chunks(5_000) {
            homes.extend(
                person::Entity::find()
                    .select_only()
                    .column(person::Column::Id)
                    .column(person::Column::HomeCell)
                    .filter(person::Column::Id.is_in(part.to_vec()))
                    .into_tuple::<(Uuid, i64)>()
                    .all(db)
                    .await?,
            );
        }
        for m in members {
            if let Some(cell) = homes.get(&m.person_id).and_then(|c| crate::domain::CellId::from_db(*c)) {
                out.entry(m.initiative_id).or_default().push((m.person_id, cell.index()));
            }
        }
    }
    Ok(out)
}

/// Removes every match a person is a side of (on erasure).
pub async fn forget_person(db: &impl Conn, person: Uuid) -> Result<(), StoreError> {
    match_row::Entity::delete_many()
        .filter(Condition::any().add(match_row::Column::RequesterPersonId.eq(person)).add(match_row::Column::HelperPersonId.eq(person)))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores a matching run with its proposals (JSON).
pub async fn save_run(
    db: &impl Conn,
    area: &str,
    gemeente: &str,
    by: &str,
    proposals: String,
) -> Result<super::entities::matching_run::Model, StoreError> {
    use super::entities::matching_run;
    Ok(matching_run::ActiveModel {
        id: Set(Uuid::now_v7()),
        area_code: Set(area.to_owned()),
        gemeente_code: Set(gemeente.to_owned()),
        created_by: Set(by.to_owned()),
        created_at: Set(crate::domain::clock::now()),
        proposals: Set(proposals),
    }
    .insert(db)
    .await?)
}

/// One matching run.
pub async fn get_run(db: &impl Conn, id: Uuid) -> Result<Option<super::entities::matching_run::Model>, StoreError> {
    Ok(super::entities::matching_run::Entity::find_by_id(id).one(db).await?)
}
