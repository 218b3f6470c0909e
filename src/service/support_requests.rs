//! Support an initiative asks of its gemeente's wijkteam (a room, a small grant, volunteers,
//! training, publicity, a contact at the municipality). The initiative's organisers submit and
//! withdraw; the professionals of the gemeente review, grant and decline; both read the
//! requests with their history. Each change is one transaction: the request, its history event
//! and its audit entry, or nothing.

use uuid::Uuid;

use super::error::{Error, Result};
use super::{State, now};
use crate::auth::{Principal, Role, policy};
use crate::domain::list::Page;
use crate::domain::support::{SupportAsk, SupportCursor, SupportStep, amount_for};
use crate::domain::{BoundedText, SupportDeclineReason, SupportKind, SupportStatus};
use crate::store::audit::{Action, Entry};
pub use crate::store::entities::support_request::Model as SupportRecord;
pub use crate::store::entities::support_request_event::Model as SupportEvent;
use crate::store::locks::{self, Lock};
use crate::store::{self, Conn, initiatives, support_requests as rows};

/// A support request with its history, oldest step first.
#[derive(Debug, Clone)]
pub struct ShownSupportRequest {
    /// The stored request.
    pub record: SupportRecord,
    /// Every state it entered: by whom, when, with what code and note.
    pub history: Vec<SupportEvent>,
}

/// What someone does to a support request, with what goes with it.
#[derive(Debug, Clone)]
pub enum Decision {
    /// A professional of the gemeente takes it into review.
    Review,
    /// A professional grants it: what is given and, for a grant, how much.
    Grant {
        /// What the wijkteam gives, in words.
        note: BoundedText,
        /// For a grant: the amount given, in euro cents.
        amount_cents: Option<i64>,
    },
    /// A professional declines it, with a reason.
    Decline {
        /// Why not.
        reason: SupportDeclineReason,
        /// More words, if any.
        note: Option<BoundedText>,
    },
    /// The initiative withdraws it.
    Withdraw,
}

impl Decision {
    fn step(&self) -> SupportStep {
        match self {
            Self::Review => SupportStep::Review,
            Self::Grant { .. } => SupportStep::Grant,
            Self::Decline { .. } => SupportStep::Decline,
            Self::Withdraw => SupportStep::Withdraw,
        }
    }
}

/// The team's work list: one gemeente's requests, narrowed.
#[derive(Debug, Clone)]
pub struct WorkList {
    /// The gemeente (GM code).
    pub gemeente: String,
    /// One wijk of it (WK code).
    pub wijk: Option<String>,
    /// In any of these states (any when empty).
    pub statuses: Vec<SupportStatus>,
    /// Of any of these kinds (any when empty).
    pub kinds: Vec<SupportKind>,
    /// Continue after this position.
    pub after: Option<SupportCursor>,
    /// Page size.
    pub limit: u64,
}

/// Whether `p` stands for the initiative: its organisers and its keys, and an admin of its
/// gemeente, who may change the initiative itself (`PATCH /v1/initiatives/{id}`) and so may
/// ask on its behalf too.
fn for_initiative(p: &Principal, initiative: Uuid, gemeente: &str) -> bool {
    policy::write_initiative(p, initiative, gemeente).is_ok()
}

fn refuse(p: &Principal, why: &str) -> Error {
    if p.role == Role::Anonymous { Error::SignIn } else { Error::forbidden(why) }
}

/// The request `id` where `p` may see it: its initiative's side, or a professional of its
/// gemeente. Anyone else learns that it exists (403), as with matches, but nothing of it.
async fn visible(db: &impl Conn, p: &Principal, id: Uuid) -> Result<SupportRecord> {
    let m = rows::get(db, id).await?.ok_or(Error::NotFound("support request"))?;
    if !for_initiative(p, m.initiative_id, &m.gemeente_code) && !p.professional_in(&m.gemeente_code) {
        return Err(refuse(p, "a support request is seen by its initiative's organisers and the professionals of its gemeente"));
    }
    Ok(m)
}

async fn with_history(db: &impl Conn, records: Vec<SupportRecord>) -> Result<Vec<ShownSupportRequest>> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let mut history = rows::history(db, &ids).await?;
    Ok(records.into_iter().map(|record| ShownSupportRequest { history: history.remove(&record.id).unwrap_or_default(), record }).collect())
}

async fn one_with_history(db: &impl Conn, record: SupportRecord) -> Result<ShownSupportRequest> {
    with_history(db, vec![record]).await?.pop().ok_or_else(|| Error::Internal(anyhow::anyhow!("a support request went missing")))
}

/// Audits a change. The request is the initiative's, but its text is written by an organiser,
/// so the entry is about that organiser; one written by a key or an admin names no person and
/// is filed under the initiative's id.
async fn audit(db: &impl Conn, p: &Principal, m: &SupportRecord, action: Action, endpoint: &'static str) -> Result<()> {
    let entry = Entry {
        actor: p,
        person_id: m.submitted_by_person_id.unwrap_or(m.initiative_id),
        gemeente: Some(&m.gemeente_code),
        action,
        resource: "support_request",
        resource_id: Some(m.id),
        endpoint,
    };
    store::audit::record(db, &[entry]).await?;
    Ok(())
}

/// Submits a request for initiative `initiative_id`, by its organisers (or an admin of its
/// gemeente); it is addressed to the wijkteam of the initiative's gemeente and wijk now.
pub async fn submit(state: &State, p: &Principal, initiative_id: Uuid, ask: SupportAsk) -> Result<ShownSupportRequest> {
    let at = now();
    // Held until the request is stored, so that an initiative deleted at the same moment
    // takes the request with it or is found gone, never leaves a request pointing nowhere.
    let txn = locks::begin_locked(&state.db, &[Lock::Initiative(initiative_id)]).await?;
    let i = initiatives::get(&txn, initiative_id).await?.ok_or(Error::NotFound("initiative"))?;
    if !for_initiative(p, i.id, &i.gemeente_code) {
        return Err(refuse(p, "support is asked by the initiative's organisers (or an admin of its gemeente)"));
    }
    let new = rows::NewRequest {
        initiative_id: i.id,
        gemeente_code: &i.gemeente_code,
        wijk_code: &i.wijk_code,
        ask: &ask,
        // An admin acting for the initiative is no organiser of it and writes as nobody in particular.
        submitted_by_person_id: p.person_id.filter(|_| p.acts_for(i.id)),
    };
    let submitted = rows::Change { status: SupportStatus::Submitted, actor: p, code: None, note: None, amount_cents: None, at };
    let m = rows::create(&txn, &new, &submitted).await?;
    audit(&txn, p, &m, Action::Create, "POST /v1/initiatives/{id}/support-requests").await?;
    let out = one_with_history(&txn, m).await?;
    txn.commit().await?;
    Ok(out)
}

/// One request, with its history.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<ShownSupportRequest> {
    let m = visible(&state.db, p, id).await?;
    one_with_history(&state.db, m).await
}

/// The requests of one initiative, by last change, newest first: for its side all of them, for
/// a professional of its gemeente those addressed to their gemeenten.
pub async fn of_initiative(
    state: &State,
    p: &Principal,
    initiative_id: Uuid,
    after: Option<SupportCursor>,
    limit: u64,
) -> Result<Page<ShownSupportRequest>> {
    let i = initiatives::get(&state.db, initiative_id).await?.ok_or(Error::NotFound("initiative"))?;
    let side = for_initiative(p, i.id, &i.gemeente_code);
    if !side && !p.professional_in(&i.gemeente_code) {
        return Err(refuse(p, "an initiative's support requests are seen by its organisers and the professionals of its gemeente"));
    }
    let filter = rows::Filter {
        initiative: Some(i.id),
        within: (!side).then(|| p.gemeenten.clone()),
        after: after.map(|c| c.0),
        limit,
        ..Default::default()
    };
    page(state, &filter).await
}

/// The work list of a gemeente's professionals: its requests, filtered, by last change, newest
/// first.
pub async fn work_list(state: &State, p: &Principal, q: WorkList) -> Result<Page<ShownSupportRequest>> {
    if !p.professional_in(&q.gemeente) {
        return Err(refuse(p, "a gemeente's support requests are worked by its professionals"));
    }
    let filter = rows::Filter {
        gemeente: Some(q.gemeente),
        wijk: q.wijk,
        statuses: q.statuses,
        kinds: q.kinds,
        after: q.after.map(|c| c.0),
        limit: q.limit,
        ..Default::default()
    };
    page(state, &filter).await
}

async fn page(state: &State, filter: &rows::Filter) -> Result<Page<ShownSupportRequest>> {
    let (found, next) = rows::list(&state.db, filter).await?;
    Ok(Page { items: with_history(&state.db, found).await?, next: next.map(|c| SupportCursor(c).encode()) })
}

fn endpoint(step: SupportStep) -> &'static str {
    match step {
        SupportStep::Review => "POST /v1/support-requests/{id}/review",
        SupportStep::Grant => "POST /v1/support-requests/{id}/grant",
        SupportStep::Decline => "POST /v1/support-requests/{id}/decline",
        SupportStep::Withdraw => "POST /v1/support-requests/{id}/withdraw",
    }
}

fn refused_step(current: SupportStatus, step: SupportStep) -> Error {
    let allowed = match step {
        SupportStep::Review => "only a submitted request can be taken into review",
        SupportStep::Grant => "only a submitted or in-review request can be granted",
        SupportStep::Decline => "only a submitted or in-review request can be declined",
        SupportStep::Withdraw => "only a request not yet decided can be withdrawn",
    };
    Error::wrong_state(current.code(), format!("the support request is `{}`; {allowed}", current.code()))
}

/// Moves a request on: review, grant or decline by a professional of its gemeente, withdraw
/// by its initiative's side. The request is held until the step is stored, so of two
/// decisions at once the second sees the first and is refused (409, naming the state).
pub async fn decide(state: &State, p: &Principal, id: Uuid, decision: Decision) -> Result<ShownSupportRequest> {
    let at = now();
    let step = decision.step();
    let txn = locks::begin_locked(&state.db, &[Lock::SupportRequest(id)]).await?;
    let m = visible(&txn, p, id).await?;
    let allowed = match step {
        SupportStep::Withdraw => for_initiative(p, m.initiative_id, &m.gemeente_code),
        _ => p.professional_in(&m.gemeente_code),
    };
    if !allowed {
        return Err(Error::forbidden(match step {
            SupportStep::Withdraw => "a support request is withdrawn by its initiative's organisers",
            _ => "a support request is reviewed, granted or declined by the professionals of its gemeente",
        }));
    }
    let stored = |what: &str| Error::Internal(anyhow::anyhow!("support request {id} holds an unknown {what}"));
    let current = SupportStatus::from_code(&m.status).ok_or_else(|| stored("status"))?;
    let kind = SupportKind::from_code(&m.kind).ok_or_else(|| stored("kind"))?;
    let (code, note, amount_cents) = match decision {
        Decision::Grant { note, amount_cents } => {
            (None, Some(note.into_string()), amount_for(kind, amount_cents).map_err(|e| Error::invalid("amount_cents", e.0))?)
        }
        Decision::Decline { reason, note } => (Some(reason.code()), note.map(BoundedText::into_string), None),
        Decision::Review | Decision::Withdraw => (None, None, None),
    };
    let next = current.after(step).ok_or_else(|| refused_step(current, step))?;
    let change = rows::Change { status: next, actor: p, code, note, amount_cents, at };
    let saved = rows::change(&txn, &m, &change).await?;
    audit(&txn, p, &saved, Action::Update, endpoint(step)).await?;
    let out = one_with_history(&txn, saved).await?;
    txn.commit().await?;
    Ok(out)
}
