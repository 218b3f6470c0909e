//! Referrals: a professional refers a resident's request to a helper under the resident's
//! consent, and the helper, the professional and the resident follow it to the end. Who may
//! take which step is the domain's table ([`crate::domain::referral`]); what each side sees is
//! decided here, in one place.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::{Error, Result};
use super::matches::Contact;
use super::{State, now};
use crate::auth::{Principal, Role};
use crate::domain::items::{ListingFields, Owner};
use crate::domain::list::{ChangeCursor, Page};
use crate::domain::referral::{self as rules, Party, ReferralHelperKind, ReferralState, Refused, Step};
use crate::domain::{BoundedText, ConsentScope, InitiativeKind, ListingKind, ListingStatus};
use crate::store::audit::{Action, Entry};
use crate::store::entities::listing::Model as ListingRecord;
pub use crate::store::entities::referral::Model as ReferralRecord;
pub use crate::store::entities::referral_event::Model as ReferralEvent;
use crate::store::locks::{self, Lock};
use crate::store::referrals::{self as rows, NewReferral, Whose, WorkFilter};
use crate::store::{self, Conn, candidates, consents, initiatives, listings, matches, people, volunteers};

/// The request a referral is about: one the resident posted, or one the professional records
/// for them (owned by the resident, written by the professional).
#[derive(Debug, Clone)]
pub enum RequestRef {
    /// An open request of the resident's.
    Existing(Uuid),
    /// A new request, owned by the resident, recorded by the professional.
    Recorded(ListingFields),
}

/// A referral to make.
#[derive(Debug, Clone)]
pub struct NewReferralInput {
    /// The request.
    pub request: RequestRef,
    /// What the helper is.
    pub helper_kind: ReferralHelperKind,
    /// The offer, volunteer profile or initiative.
    pub helper_id: Uuid,
    /// A short note for the helper.
    pub note: Option<BoundedText>,
}

/// The request's words, as a side may read them.
#[derive(Debug, Clone)]
pub struct RequestText {
    /// The listing.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: String,
}

/// A referral as one caller sees it.
#[derive(Debug, Clone)]
pub struct ShownReferral {
    /// The stored referral.
    pub record: ReferralRecord,
    /// Its state.
    pub state: ReferralState,
    /// Open and untouched for seven days.
    pub stale: bool,
    /// The caller's parties to it.
    pub parties: Vec<Party>,
    /// The request's words, to whoever may read them now.
    pub request: Option<RequestText>,
    /// The referrer's note, to whoever may read it now.
    pub note: Option<String>,
    /// The resident, to a professional of the gemeente or (once released) the helper.
    pub resident: Option<Contact>,
    /// The helper's name: an initiative's always, a person's once they accepted.
    pub helper_name: Option<String>,
    /// Its history, oldest first.
    pub history: Vec<ReferralEvent>,
}

/// The caller's parties to a referral.
fn parties_of(p: &Principal, m: &ReferralRecord) -> Vec<Party> {
    let mut out = Vec::new();
    if p.professional_in(&m.gemeente_code) {
        out.push(Party::Professional);
    }
    if m.helper_person_id.is_some_and(|x| p.is_person(x)) || m.helper_initiative_id.is_some_and(|i| p.acts_for(i)) {
        out.push(Party::Helper);
    }
    if m.resident_person_id.is_some_and(|x| p.is_person(x)) {
        out.push(Party::Resident);
    }
    out
}

/// Whether the helper has access at all now: from sent while open, and for a while after
/// closing; a withdrawn or lapsed consent ends it at once.
async fn helper_access(db: &impl Conn, m: &ReferralRecord, state: ReferralState, now: DateTime<Utc>) -> Result<bool> {
    let window = state.is_open() || rules::helper_sees_contact(state, m.closed_at, now);
    Ok(window && consent_in_force(db, m, now).await?)
}

async fn consent_in_force(db: &impl Conn, m: &ReferralRecord, now: DateTime<Utc>) -> Result<bool> {
    let Some(id) = m.consent_id else { return Ok(false) };
    Ok(consents::get(db, id).await?.is_some_and(|c| consents::in_force(&c, now)))
}

/// Referrals as `p` sees them, for `endpoint`. `detail` adds what costs a read per referral:
/// the resident's contact and a person helper's name; lists leave it out. Every read of a
/// resident's request or contact by someone else is audited.
async fn shown(
    db: &impl Conn,
    p: &Principal,
    found: Vec<ReferralRecord>,
    now: DateTime<Utc>,
    endpoint: &'static str,
    detail: bool,
) -> Result<Vec<ShownReferral>> {
    let ids: Vec<Uuid> = found.iter().map(|m| m.id).collect();
    let request_ids: Vec<Uuid> = found.iter().filter_map(|m| m.request_id).collect();
    let initiative_ids: Vec<Uuid> = found.iter().filter_map(|m| m.helper_initiative_id).collect();
    // Three reads that do not depend on each other, at once: a page of the work list waits
    // for the slowest, not for the sum.
    let (histories, requests, names) =
        tokio::try_join!(rows::histories(db, &ids), listings::by_ids(db, &request_ids), initiatives::by_ids(db, &initiative_ids))?;
    let mut histories = histories;
    let requests: HashMap<Uuid, ListingRecord> = requests.into_iter().map(|l| (l.id, l)).collect();
    let names: HashMap<Uuid, String> = names.into_iter().map(|i| (i.id, i.name)).collect();
    let mut out = Vec::with_capacity(found.len());
    let mut reads = Vec::new();
    for m in found {
        let state = rows::state_of(&m)?;
        let parties = parties_of(p, &m);
        let is = |x: Party| parties.contains(&x);
        let helper_in = is(Party::Helper) && helper_access(db, &m, state, now).await?;
        let reads_text = is(Party::Professional) || is(Party::Resident) || helper_in;
        let request = m.request_id.and_then(|id| requests.get(&id)).filter(|_| reads_text).map(|l| RequestText {
            id: l.id,
            title: l.title.clone(),
            description: l.description.clone(),
        });
        if let (Some(q), Some(rid)) = (&request, m.resident_person_id.filter(|_| !is(Party::Resident))) {
            reads.push((rid, "listing", q.id, m.gemeente_code.clone()));
        }
        let mut resident = None;
        let mut helper_name = m.helper_initiative_id.and_then(|i| names.get(&i).cloned());
        if detail {
            let released = helper_in && rules::helper_sees_contact(state, m.closed_at, now);
            let pro_sees = is(Party::Professional) && consent_in_force(db, &m, now).await?;
            if let Some(rid) = m.resident_person_id.filter(|_| (released || pro_sees) && !is(Party::Resident))
                && let Some(person) = people::get(db, rid).await?
            {
                reads.push((rid, "person", rid, m.gemeente_code.clone()));
                resident = Some(Contact { name: person.display_name, email: person.contact_email, phone: person.contact_phone });
            }
            let accepted_once = histories.get(&m.id).is_some_and(|h| h.iter().any(|e| e.state == ReferralState::Accepted.code()));
            if helper_name.is_none()
                && (accepted_once || is(Party::Professional))
                && let Some(hp) = m.helper_person_id
                && let Some(person) = people::get(db, hp).await?
            {
                helper_name = Some(person.display_name);
            }
        }
        out.push(ShownReferral {
            stale: rules::is_stale(state, m.updated_at, now),
            state,
            note: m.note.clone().filter(|_| reads_text),
            request,
            resident,
            helper_name,
            history: histories.remove(&m.id).unwrap_or_default(),
            parties,
            record: m,
        });
    }
    let entries: Vec<Entry> = reads
        .iter()
        .map(|(person, resource, id, gemeente)| Entry {
            actor: p,
            person_id: *person,
            gemeente: Some(gemeente),
            action: Action::Read,
            resource,
            resource_id: Some(*id),
            endpoint,
        })
        .collect();
    store::audit::record(db, &entries).await?;
    Ok(out)
}

async fn one(db: &impl Conn, p: &Principal, m: ReferralRecord, now: DateTime<Utc>, endpoint: &'static str) -> Result<ShownReferral> {
    shown(db, p, vec![m], now, endpoint, true).await?.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("a referral went missing")))
}

fn audit_change<'a>(p: &'a Principal, m: &'a ReferralRecord, action: Action, endpoint: &'static str) -> Option<Entry<'a>> {
    m.resident_person_id.map(|person| Entry {
        actor: p,
        person_id: person,
        gemeente: Some(&m.gemeente_code),
        action,
        resource: "referral",
        resource_id: Some(m.id),
        endpoint,
    })
}

/// Who helps, as found in the store.
struct Helper {
    kind: ReferralHelperKind,
    person: Option<Uuid>,
    initiative: Option<Uuid>,
}

async fn find_helper(db: &impl Conn, kind: ReferralHelperKind, id: Uuid, now: DateTime<Utc>) -> Result<Helper> {
    let unknown = |what: &str| Error::unprocessable("unknown_reference", "helper_id", format!("no {what} with this id"));
    match kind {
        ReferralHelperKind::Offer => {
            let o = listings::get(db, id).await?.ok_or_else(|| unknown("offer"))?;
            if ListingKind::from_code(&o.kind) != Some(ListingKind::Offer) {
                return Err(Error::unprocessable("not_an_offer", "helper_id", "the helper must be an offer, not a request"));
            }
            if listings::effective_status(&o, now) != ListingStatus::Open {
                return Err(Error::unprocessable("invalid_state", "helper_id", "the offer is not open"));
            }
            Ok(Helper { kind, person: o.owner_person_id, initiative: o.owner_initiative_id })
        }
        ReferralHelperKind::Volunteer => {
            let v = volunteers::get(db, id).await?.ok_or_else(|| unknown("volunteer"))?;
            if v.status != "active" {
                return Err(Error::unprocessable("invalid_state", "helper_id", "the volunteer is not active"));
            }
            Ok(Helper { kind, person: Some(v.person_id), initiative: None })
        }
        ReferralHelperKind::Initiative | ReferralHelperKind::ProfessionalService => {
            let i = initiatives::get(db, id).await?.ok_or_else(|| unknown("initiative"))?;
            if i.status != "active" {
                return Err(Error::unprocessable("invalid_state", "helper_id", "the initiative is not active"));
            }
            let professional = InitiativeKind::from_code(&i.kind) == Some(InitiativeKind::ProfessionalService);
            if kind == ReferralHelperKind::ProfessionalService && !professional {
                return Err(Error::unprocessable(
                    "invalid_state",
                    "helper_kind",
                    "this initiative is not a professional service; refer to it as an initiative",
                ));
            }
            // What the helper is, is a fact of the initiative, whatever the caller called it.
            let kind = if professional { ReferralHelperKind::ProfessionalService } else { ReferralHelperKind::Initiative };
            Ok(Helper { kind, person: None, initiative: Some(i.id) })
        }
    }
}

/// Refuses when an initiative with a capacity has no places left.
async fn check_places(db: &impl Conn, initiative: Option<Uuid>, now: DateTime<Utc>) -> Result<()> {
    let Some(id) = initiative else { return Ok(()) };
    let Some(i) = initiatives::get(db, id).await? else { return Ok(()) };
    let Some(places) = i.capacity else { return Ok(()) };
    let (_, open) = matches::helper_track_record(db, &[id], now).await?;
    let places = u32::try_from(places).unwrap_or(0);
    if candidates::places_left(places, open.get(&id).copied().unwrap_or(0)) == 0 {
        return Err(Error::NoCapacity(format!("{} has no places left; its organisers can raise the capacity, or refer elsewhere", i.name)));
    }
    Ok(())
}

/// Refers a resident's request to a helper: only a professional of the request's gemeente,
/// only under the resident's consent to that gemeente's wijkteam with scope `referral`. A
/// recorded request is written in the same transaction, so a refused referral leaves none.
pub async fn refer(state: &State, p: &Principal, input: NewReferralInput) -> Result<ShownReferral> {
    const ENDPOINT: &str = "POST /v1/referrals";
    let now = now();
    if p.role != Role::Professional {
        return Err(Error::forbidden("referrals are made by the wijkteam's professionals"));
    }
    let recorded = matches!(input.request, RequestRef::Recorded(_));
    let request_lock = match &input.request {
        RequestRef::Existing(id) => vec![Lock::Listing(*id)],
        RequestRef::Recorded(_) => Vec::new(),
    };
    let helper_lock = match input.helper_kind {
        ReferralHelperKind::Offer => Lock::Listing(input.helper_id),
        ReferralHelperKind::Volunteer => Lock::Volunteer(input.helper_id),
        ReferralHelperKind::Initiative | ReferralHelperKind::ProfessionalService => Lock::Initiative(input.helper_id),
    };
    let txn = locks::begin_locked(&state.db, &[request_lock, vec![helper_lock]].concat()).await?;
    // The resident and their gemeente, from the request or the person it is recorded for.
    let (resident, gemeente) = match &input.request {
        RequestRef::Existing(id) => {
            let r = listings::get(&txn, *id)
                .await?
                .ok_or_else(|| Error::unprocessable("unknown_reference", "request_id", "no listing with this id"))?;
            if ListingKind::from_code(&r.kind) != Some(ListingKind::Request) {
                return Err(Error::unprocessable("not_a_request", "request_id", "a referral is about a request; this listing is an offer"));
            }
            let person = r.owner_person_id.ok_or_else(|| {
                Error::unprocessable(
                    "not_a_resident",
                    "request_id",
                    "a referral is about a resident's request; this one is an initiative's",
                )
            })?;
            (person, r.gemeente_code)
        }
        RequestRef::Recorded(fields) => {
            let Owner::Person(person) = fields.owner else {
                return Err(Error::invalid("request.owner", "a recorded request belongs to the resident: give owner.person_id"));
            };
            if fields.kind != ListingKind::Request {
                return Err(Error::invalid("request.kind", "a recorded need is a request"));
            }
            let r = people::get(&txn, person)
                .await?
                .ok_or_else(|| Error::unprocessable("unknown_reference", "request.owner.person_id", "no person with this id"))?;
            (person, r.gemeente_code)
        }
    };
    if !p.professional_in(&gemeente) {
        return Err(Error::forbidden(format!("only professionals of {gemeente} refer this resident")));
    }
    let missing = || Error::Forbidden {
        code: "consent_required",
        detail: format!(
            "the resident has no consent in force for the wijkteam of {gemeente} with scope `referral` \
             (share the request and contact with the helper the wijkteam chooses); ask them to give one"
        ),
    };
    let found = consents::wijkteam_consent(&txn, resident, &gemeente, ConsentScope::Referral, now).await?.ok_or_else(missing)?;
    // Held until the referral is stored, so a withdrawal at the same moment either comes first
    // (and the referral is refused) or after (and cancels it).
    let consent = consents::hold(&txn, found.id).await?.filter(|c| consents::in_force(c, now)).ok_or_else(missing)?;
    let helper = find_helper(&txn, input.helper_kind, input.helper_id, now).await?;
    if helper.person == Some(resident) {
        return Err(Error::unprocessable("invalid_state", "helper_id", "nobody is referred to themself"));
    }
    check_places(&txn, helper.initiative, now).await?;
    let request = match input.request {
        RequestRef::Existing(id) => {
            let r = listings::get(&txn, id).await?.ok_or(Error::NotFound("listing"))?;
            // Matched counts as still wanted: a need recorded for the resident is kept matched
            // (unpublished), and a declined referral is sent on to the next helper.
            if !matches!(listings::effective_status(&r, now), ListingStatus::Open | ListingStatus::Matched) {
                return Err(Error::unprocessable("invalid_state", "request_id", "the request is closed or expired"));
            }
            r
        }
        RequestRef::Recorded(mut fields) => {
            // Recorded, not published: the consent shares the need with the chosen helper, not
            // with the neighbourhood. The resident sees it and may open it themself.
            fields.status = ListingStatus::Matched;
            let r = listings::create(&txn, &fields).await?;
            let entry = Entry {
                actor: p,
                person_id: resident,
                gemeente: Some(&r.gemeente_code),
                action: Action::Create,
                resource: "listing",
                resource_id: Some(r.id),
                endpoint: ENDPOINT,
            };
            store::audit::record(&txn, &[entry]).await?;
            r
        }
    };
    if !rows::open_where(&txn, rows::of_request(request.id).add(rows::to_helper(input.helper_id))).await?.is_empty() {
        return Err(Error::conflict("this request already has an open referral to this helper"));
    }
    let new = NewReferral {
        request_id: request.id,
        resident_person_id: resident,
        helper_kind: helper.kind,
        helper_id: input.helper_id,
        helper_person_id: helper.person,
        helper_initiative_id: helper.initiative,
        gemeente_code: request.gemeente_code.clone(),
        wijk_code: request.wijk_code.clone(),
        note: input.note.map(BoundedText::into_string),
        request_recorded: recorded,
        consent_id: consent.id,
        referred_by: p.actor(),
    };
    let m = rows::create(&txn, &new, now).await?;
    store::audit::record(&txn, &audit_change(p, &m, Action::Create, ENDPOINT).into_iter().collect::<Vec<_>>()).await?;
    let out = one(&txn, p, m, now, ENDPOINT).await?;
    txn.commit().await?;
    Ok(out)
}

/// One referral, to its resident, its helper and the professionals of its gemeente; reads are
/// audited under `endpoint`.
pub async fn get(state: &State, p: &Principal, id: Uuid, endpoint: &'static str) -> Result<ShownReferral> {
    let m = rows::get(&state.db, id).await?.ok_or(Error::NotFound("referral"))?;
    if parties_of(p, &m).is_empty() {
        return Err(Error::forbidden("a referral is seen by its resident, its helper and the professionals of its gemeente"));
    }
    one(&state.db, p, m, now(), endpoint).await
}

/// The operation's endpoint, for the audit log.
fn endpoint_of(step: Step) -> &'static str {
    match step {
        Step::Accept => "POST /v1/referrals/{id}/accept",
        Step::Decline(_) => "POST /v1/referrals/{id}/decline",
        Step::Start => "POST /v1/referrals/{id}/start",
        Step::Close(_) => "POST /v1/referrals/{id}/close",
        Step::Cancel => "POST /v1/referrals/{id}/cancel",
    }
}

/// Takes a step, holding the referral (and, for an acceptance, the helping initiative's
/// places) until the new state is stored: of two steps at once, the second sees the first's
/// result and is refused when it no longer fits.
pub async fn step(state: &State, p: &Principal, id: Uuid, step: Step) -> Result<ShownReferral> {
    let now = now();
    let endpoint = endpoint_of(step);
    // The initiative is locked before the referral, in the order every write takes them.
    let peek = rows::get(&state.db, id).await?.ok_or(Error::NotFound("referral"))?;
    let mut held = vec![Lock::Referral(id)];
    if let Some(i) = peek.helper_initiative_id.filter(|_| step == Step::Accept) {
        held.push(Lock::Initiative(i));
    }
    let txn = locks::begin_locked(&state.db, &held).await?;
    let m = rows::get(&txn, id).await?.ok_or(Error::NotFound("referral"))?;
    let parties = parties_of(p, &m);
    if parties.is_empty() {
        return Err(Error::forbidden("a referral is seen by its resident, its helper and the professionals of its gemeente"));
    }
    let current = rows::state_of(&m)?;
    let next = match rules::apply(current, step, &parties) {
        Ok(next) => next,
        Err(Refused::NotYours) => {
            let who: Vec<&str> = step.allowed().iter().filter(|a| **a != Party::System).map(|a| a.code()).collect();
            return Err(Error::forbidden(format!("only the {} may {} a referral", who.join(" or the "), step.name())));
        }
        Err(Refused::WrongState(s)) => {
            return Err(Error::WrongState {
                current: s.code(),
                detail: format!("a referral that is {} cannot be {}ed", s.code(), step.name()),
            });
        }
    };
    if step == Step::Accept {
        if !consent_in_force(&txn, &m, now).await? {
            return Err(Error::conflict("the resident's consent for this referral has ended; it can no longer be accepted"));
        }
        check_places(&txn, m.helper_initiative_id, now).await?;
    }
    // The party the step is recorded as: the one the table allows, the helper first.
    let party = [Party::Helper, Party::Professional, Party::Resident]
        .into_iter()
        .find(|x| parties.contains(x) && step.allowed().contains(x))
        .unwrap_or(Party::System);
    let saved = rows::save_step(&txn, m, next, party, &p.actor(), step, None, now).await?;
    if let (ReferralState::Accepted, Some(request)) = (next, saved.request_id) {
        // The kaart counts a request as helped from its first accepted referral (or match).
        store::kaart::mark_helped(&txn, request, now).await?;
    }
    store::audit::record(&txn, &audit_change(p, &saved, Action::Update, endpoint).into_iter().collect::<Vec<_>>()).await?;
    let out = one(&txn, p, saved, now, endpoint).await?;
    txn.commit().await?;
    Ok(out)
}

/// Cancels the open referrals `which` names, as the service (a consent withdrawn, a person
/// erased, a request or helper removed), with `why` in their history; runs in the caller's
/// transaction. `p` is who set it off, for the audit log.
pub async fn end_open(db: &impl Conn, p: &Principal, which: sea_orm::Condition, why: &'static str, endpoint: &'static str) -> Result<()> {
    let now = now();
    for m in rows::open_where(db, which).await? {
        let saved = rows::save_step(db, m, ReferralState::Cancelled, Party::System, "system", Step::Cancel, Some(why), now).await?;
        store::audit::record(db, &audit_change(p, &saved, Action::Update, endpoint).into_iter().collect::<Vec<_>>()).await?;
    }
    Ok(())
}

/// The filters of the team's work list, as the caller asks.
#[derive(Debug, Clone, Default)]
pub struct WorkListQuery {
    /// The gemeente (GM code).
    pub gemeente: String,
    /// Only these states.
    pub states: Vec<ReferralState>,
    /// Only stale ones, or only fresh ones.
    pub stale: Option<bool>,
    /// Only this wijk (in the gemeente).
    pub wijk: Option<String>,
    /// Only these kinds of helper.
    pub helper_kinds: Vec<ReferralHelperKind>,
    /// Only the caller's own referrals.
    pub mine: bool,
    /// After this position.
    pub after: Option<ChangeCursor>,
    /// Page size.
    pub limit: u64,
}

/// The team's work list: a gemeente's referrals, newest change first, for its professionals.
pub async fn work_list(state: &State, p: &Principal, q: WorkListQuery) -> Result<Page<ShownReferral>> {
    if !p.professional_in(&q.gemeente) {
        return Err(Error::forbidden(format!("the work list of {} is for its professionals", q.gemeente)));
    }
    if let Some(w) = &q.wijk
        && !w.starts_with(&format!("WK{}", q.gemeente.get(2..).unwrap_or_default()))
    {
        return Err(Error::invalid("wijk", format!("{w} is not a wijk of {}", q.gemeente)));
    }
    let now = now();
    let f = WorkFilter {
        gemeente: q.gemeente,
        states: q.states,
        stale: q.stale,
        wijk: q.wijk,
        helper_kinds: q.helper_kinds,
        referred_by: q.mine.then(|| p.actor()),
        after: q.after,
        limit: q.limit,
    };
    let (found, next) = rows::work_list(&state.db, &f, now).await?;
    let items = shown(&state.db, p, found, now, "GET /v1/referrals", false).await?;
    Ok(Page { items, next: next.map(|c| c.encode()) })
}

/// Which of the caller's referrals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MySide {
    /// Those about them.
    Resident,
    /// Those to them as a helper (a volunteer, an offer's owner, an initiative's organiser).
    Helper,
}

/// The caller's own referrals: about them, or to them as a helper.
pub async fn mine(state: &State, p: &Principal, side: MySide, after: Option<ChangeCursor>, limit: u64) -> Result<Page<ShownReferral>> {
    let whose = match side {
        MySide::Resident => Whose::Resident(super::consents::own_person_id(p)?),
        MySide::Helper => Whose::Helper(p.person_id, p.initiatives.clone()),
    };
    let now = now();
    let (found, next) = rows::of(&state.db, &whose, after, limit).await?;
    let items = shown(&state.db, p, found, now, "GET /v1/me/referrals", false).await?;
    Ok(Page { items, next: next.map(|c| c.encode()) })
}

/// Every referral of the caller's requests, with their histories, for their export.
pub async fn for_export(state: &State, p: &Principal) -> Result<Vec<ShownReferral>> {
    let me = super::consents::own_person_id(p)?;
    let found = rows::about_resident(&state.db, me).await?;
    shown(&state.db, p, found, now(), "GET /v1/me/export", false).await
}
