//! Matches between a request and a helper: proposed, accepted by both sides (contact details
//! exchanged), completed with feedback, or declined, cancelled or expired.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::{Error, Result};
use super::{State, now};
use crate::auth::{Principal, Role};
use crate::domain::{BoundedText, ListingKind, ListingStatus};
use crate::matching::lifecycle::{self, Event, Side, Status};
use crate::store::audit::{Action, Entry};
pub use crate::store::entities::match_row::Model as MatchRecord;
use crate::store::locks::{self, Lock};
use crate::store::{self, Conn, candidates, initiatives, listings, matches as rows, people, volunteers};

/// Which kind of helper a match names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelperRef {
    /// An open offer.
    Offer,
    /// An active volunteer profile.
    Volunteer,
    /// An active initiative with places left.
    Initiative,
}

impl HelperRef {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Volunteer => "volunteer",
            Self::Initiative => "initiative",
        }
    }
}

/// How the other side can be reached, once both sides accepted.
#[derive(Debug, Clone)]
pub struct Contact {
    /// The person's display name or the initiative's name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// A match as one caller sees it.
#[derive(Debug, Clone)]
pub struct ShownMatch {
    /// The stored match.
    pub record: MatchRecord,
    /// Its status now (an old proposal has expired).
    pub status: Status,
    /// Whether the requester accepted.
    pub requester_accepted: bool,
    /// Whether the helper accepted.
    pub helper_accepted: bool,
    /// The caller's side, if they are one.
    pub side: Option<Side>,
    /// The other side's contact, once released.
    pub contact: Option<Contact>,
}

/// A side of a match: the person, or the initiative, on it.
type Party = (Option<Uuid>, Option<Uuid>);

fn side_in(p: &Principal, requester: Party, helper: Party) -> Option<Side> {
    let is = |(person, initiative): Party| person.is_some_and(|x| p.is_person(x)) || initiative.is_some_and(|i| p.acts_for(i));
    if is(requester) {
        Some(Side::Requester)
    } else if is(helper) {
        Some(Side::Helper)
    } else {
        None
    }
}

fn side_of(p: &Principal, m: &MatchRecord) -> Option<Side> {
    side_in(p, (m.requester_person_id, m.requester_initiative_id), (m.helper_person_id, m.helper_initiative_id))
}

/// The stored code of a side.
pub fn side_code(s: Side) -> &'static str {
    match s {
        Side::Requester => "requester",
        Side::Helper => "helper",
    }
}

fn need_side(side: Option<Side>) -> Result<Side> {
    side.ok_or_else(|| Error::forbidden("only the two sides of a match may do this"))
}

/// The match `id` where `p` may see it: a side, or a professional of its gemeente.
async fn visible_in(db: &impl Conn, p: &Principal, id: Uuid) -> Result<MatchRecord> {
    let m = rows::get(db, id).await?.ok_or(Error::NotFound("match"))?;
    if side_of(p, &m).is_none() && !p.professional_in(&m.gemeente_code) {
        return Err(Error::forbidden("a match is seen by its two sides and the professionals of its gemeente"));
    }
    Ok(m)
}

/// The other side's contact, once released, with an audit entry when it is a person's.
async fn contact_for(db: &impl Conn, p: &Principal, m: &MatchRecord, status: Status) -> Result<Option<Contact>> {
    let Some(side) = side_of(p, m) else { return Ok(None) };
    if !lifecycle::contacts_released(status) {
        return Ok(None);
    }
    let (person, initiative) = match side {
        Side::Requester => (m.helper_person_id, m.helper_initiative_id),
        Side::Helper => (m.requester_person_id, m.requester_initiative_id),
    };
    if let Some(pid) = person {
        let Some(other) = people::get(db, pid).await? else { return Ok(None) };
        let entry = Entry {
            actor: p,
            person_id: pid,
            gemeente: Some(&other.gemeente_code),
            action: Action::Read,
            resource: "person",
            resource_id: Some(pid),
            endpoint: "GET /v1/matches/{id}",
        };
        store::audit::record(db, &[entry]).await?;
        return Ok(Some(Contact { name: other.display_name, email: other.contact_email, phone: other.contact_phone }));
    }
    if let Some(iid) = initiative {
        let Some(i) = initiatives::get(db, iid).await? else { return Ok(None) };
        return Ok(Some(Contact { name: i.name, email: i.contact_email, phone: i.contact_phone }));
    }
    Ok(None)
}

/// A match as `p` sees it.
pub async fn shown(db: &impl Conn, p: &Principal, m: MatchRecord, now: DateTime<Utc>) -> Result<ShownMatch> {
    let state = rows::state_of(&m);
    let status = lifecycle::effective(&state, now);
    let contact = contact_for(db, p, &m, status).await?;
    Ok(ShownMatch {
        side: side_of(p, &m),
        status,
        requester_accepted: state.requester_accepted,
        helper_accepted: state.helper_accepted,
        contact,
        record: m,
    })
}

/// Proposes a match after every check: the request is an open request, the helper an open
/// offer, an active volunteer or an active initiative with places left, and the caller a side
/// or a professional of the gemeente. A side that proposes has accepted.
pub async fn propose(state: &State, p: &Principal, request_id: Uuid, kind: HelperRef, helper_id: Uuid) -> Result<ShownMatch> {
    let now = now();
    // Held until the match is stored: every proposal for this request (one match per pair),
    // the initiative's places, and the helper itself (an erasure waits, or comes first and the
    // helper is found gone).
    let helper_lock = match kind {
        HelperRef::Offer => Lock::Listing(helper_id),
        HelperRef::Volunteer => Lock::Volunteer(helper_id),
        HelperRef::Initiative => Lock::Initiative(helper_id),
    };
    let txn = locks::begin_locked(&state.db, &[Lock::Listing(request_id), helper_lock]).await?;
    let unknown = |f: &str, what: &str| Error::unprocessable("unknown_reference", f, format!("no {what} with this id"));
    let request = listings::get(&txn, request_id).await?.ok_or_else(|| unknown("request_id", "listing"))?;
    if ListingKind::from_code(&request.kind) != Some(ListingKind::Request) {
        return Err(Error::unprocessable("not_a_request", "request_id", "a match joins a request to a helper; this listing is an offer"));
    }
    if listings::effective_status(&request, now) != ListingStatus::Open {
        return Err(Error::unprocessable("invalid_state", "request_id", "the request is not open"));
    }
    let helper = match kind {
        HelperRef::Offer => {
            let o = listings::get(&txn, helper_id).await?.ok_or_else(|| unknown("helper_id", "offer"))?;
            if ListingKind::from_code(&o.kind) != Some(ListingKind::Offer) {
                return Err(Error::unprocessable("not_an_offer", "helper_id", "the helper must be an offer, not a request"));
            }
            if listings::effective_status(&o, now) != ListingStatus::Open {
                return Err(Error::unprocessable("invalid_state", "helper_id", "the offer is not open"));
            }
            (o.owner_person_id, o.owner_initiative_id)
        }
        HelperRef::Volunteer => {
            let v = volunteers::get(&txn, helper_id).await?.ok_or_else(|| unknown("helper_id", "volunteer"))?;
            if v.status != "active" {
                return Err(Error::unprocessable("invalid_state", "helper_id", "the volunteer is not active"));
            }
            (Some(v.person_id), None)
        }
        HelperRef::Initiative => {
            let i = initiatives::get(&txn, helper_id).await?.ok_or_else(|| unknown("helper_id", "initiative"))?;
            if i.status != "active" {
                return Err(Error::unprocessable("invalid_state", "helper_id", "the initiative is not active"));
            }
            if let Some(places) = i.capacity {
                let (_, open) = rows::helper_track_record(&txn, &[i.id], now).await?;
                let places = u32::try_from(places).unwrap_or(0);
                if candidates::places_left(places, open.get(&i.id).copied().unwrap_or(0)) == 0 {
                    return Err(Error::unprocessable(
                        "no_capacity",
                        "helper_id",
                        "the initiative has no places left: every place is taken by a match in progress",
                    ));
                }
            }
            (None, Some(i.id))
        }
    };
    let requester = (request.owner_person_id, request.owner_initiative_id);
    if requester.0.is_some() && requester.0 == helper.0 {
        return Err(Error::unprocessable("invalid_state", "helper_id", "nobody is matched with themself"));
    }
    let side = side_in(p, requester, helper);
    if side.is_none() && !p.professional_in(&request.gemeente_code) {
        return Err(Error::forbidden("a match is proposed by the requester, the helper, or a professional of the gemeente"));
    }
    if rows::open_between(&txn, request.id, helper_id).await? {
        return Err(Error::conflict("this request and helper already have a match in progress"));
    }
    let new = rows::NewMatch {
        request_id: request.id,
        helper_kind: kind.code(),
        helper_id,
        requester,
        helper,
        gemeente_code: request.gemeente_code,
        proposed_by: p.actor(),
        state: lifecycle::State {
            status: Status::Proposed,
            requester_accepted: side == Some(Side::Requester),
            helper_accepted: side == Some(Side::Helper),
            proposed_at: now,
        },
    };
    let created = rows::create(&txn, &new).await?;
    let out = shown(&txn, p, created, now).await?;
    txn.commit().await?;
    Ok(out)
}

/// The caller's matches (where they are a side; for a professional, also those in their
/// gemeenten), at most `limit`.
pub async fn list(state: &State, p: &Principal, limit: u64) -> Result<Vec<ShownMatch>> {
    let now = now();
    let gemeenten = if p.role == Role::Professional { p.gemeenten.clone() } else { Vec::new() };
    let found = rows::list_for(&state.db, p.person_id, &p.initiatives, &gemeenten, limit).await?;
    let mut out = Vec::with_capacity(found.len());
    for m in found {
        out.push(shown(&state.db, p, m, now).await?);
    }
    Ok(out)
}

/// One match, with the other side's contact once both accepted.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<ShownMatch> {
    let m = visible_in(&state.db, p, id).await?;
    shown(&state.db, p, m, now()).await
}

/// What a side or a professional does to a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// A side accepts.
    Accept,
    /// A side declines, with a reason code.
    Decline(&'a str),
    /// Either side or a professional of the gemeente cancels.
    Cancel,
    /// A side completes; with `join_network` the requesting resident joins the helping
    /// initiative's network.
    Complete {
        /// Join the initiative's network too.
        join_network: bool,
    },
}

/// Moves a match on, holding it until the new state is stored, so that two requests at once
/// (both sides accepting, completing twice) each see the other's result. Joining a network
/// happens in the same transaction: both happen or neither.
pub async fn step(state: &State, p: &Principal, id: Uuid, step: Step<'_>) -> Result<ShownMatch> {
    let now = now();
    let txn = locks::begin_locked(&state.db, &[Lock::Match(id)]).await?;
    let m = visible_in(&txn, p, id).await?;
    let side = side_of(p, &m);
    let join_network = matches!(step, Step::Complete { join_network: true });
    // Checked before anything changes, so a refused request changes nothing.
    let join = match (join_network, side, m.requester_person_id, m.helper_initiative_id) {
        (false, ..) => None,
        (true, Some(Side::Requester), Some(person), Some(initiative)) => Some((person, initiative)),
        (true, ..) => return Err(Error::invalid("join_network", "only the requesting resident joins, and only an initiative's network")),
    };
    let (event, declined) = match step {
        Step::Accept => (Event::Accept(need_side(side)?), None),
        Step::Decline(reason) => (Event::Decline(need_side(side)?), Some(reason)),
        Step::Cancel => (Event::Cancel, None),
        Step::Complete { .. } => (need_side(side).map(|_| Event::Complete)?, None),
    };
    let next =
        lifecycle::apply(rows::state_of(&m), event, now).map_err(|err| Error::unprocessable("invalid_transition", "status", err.0))?;
    let decline = declined.zip(side).map(|(reason, s)| (side_code(s), reason));
    let becomes_accepted =
        next.requester_accepted && next.helper_accepted && !(m.requester_accepted_at.is_some() && m.helper_accepted_at.is_some());
    let saved = rows::save(&txn, m, next, decline).await?;
    if becomes_accepted {
        // The kaart counts a request as helped from its first accepted match (or referral).
        store::kaart::mark_helped(&txn, saved.request_id, now).await?;
    }
    if let Some((person, initiative)) = join {
        rows::join_network(&txn, person, initiative).await?;
    }
    let out = shown(&txn, p, saved, now).await?;
    txn.commit().await?;
    Ok(out)
}

/// A side's feedback once the match is completed: 1 to 5, optional words, and whether the
/// other side did not show up. Once per side.
pub async fn feedback(
    state: &State,
    p: &Principal,
    id: Uuid,
    rating: u8,
    comment: Option<BoundedText>,
    no_show: bool,
) -> Result<ShownMatch> {
    let now = now();
    let txn = locks::begin_locked(&state.db, &[Lock::Match(id)]).await?;
    let m = visible_in(&txn, p, id).await?;
    let side = need_side(side_of(p, &m))?;
    if lifecycle::effective(&rows::state_of(&m), now) != Status::Completed {
        return Err(Error::unprocessable("invalid_transition", "status", "feedback comes after the match is completed"));
    }
    rows::add_feedback(&txn, m.id, side_code(side), i16::from(rating), comment.map(BoundedText::into_string), no_show).await?;
    let out = shown(&txn, p, m, now).await?;
    txn.commit().await?;
    Ok(out)
}
