//! Residents tell how it went. After a match is completed (or a referral closed) its resident
//! answers once, may change the answer for 14 days, and reads it back; nobody else ever reads
//! an answer tied to a person, not the helper, a professional or an admin. The wijkteam and the
//! gemeente see answers only added up per area and period, under the k = 5 rule ([`crate::stats`]).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::consents::own_person_id;
use super::error::{Error, Result};
use super::{State, now};
use crate::auth::{Principal, Role};
use crate::domain::experience::{Answer, CHANGE_WINDOW_DAYS, Month, Period, THEMES};
use crate::domain::{CbsCode, ExperienceTheme};
use crate::matching::lifecycle::{self, Status};
use crate::stats::{self, Averaged, Shown, Tally};
use crate::store::audit::{Action, Entry};
pub use crate::store::entities::experience::Model as Experience;
use crate::store::experiences::{self as rows, NewExperience, Window};
pub use crate::store::experiences::{SubjectKind, scores_of};
use crate::store::locks::{self, Lock};
use crate::store::{self, Conn, areas, listings, matches};

/// What an answer is about, as the resident names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectRef {
    /// A match the resident asked for.
    Match(Uuid),
    /// A referral a professional made for the resident.
    Referral(Uuid),
}

/// What the service must know of a subject before its resident may answer about it.
#[derive(Debug, Clone)]
struct Subject {
    kind: SubjectKind,
    id: Uuid,
    /// The resident it was for; `None` when nobody can answer (a match an initiative asked for).
    person: Option<Uuid>,
    /// Whether it is over (a completed match, a closed referral): answers come after.
    closed: bool,
    /// The request's gemeente.
    gemeente_code: String,
    /// The request's wijk.
    wijk_code: String,
}

/// Until when an answer can be changed.
pub fn changeable_until(m: &Experience) -> DateTime<Utc> {
    m.created_at + Duration::days(CHANGE_WINDOW_DAYS)
}

fn entry<'a>(p: &'a Principal, m: &'a Experience, action: Action, endpoint: &'static str) -> Entry<'a> {
    Entry {
        actor: p,
        person_id: m.person_id,
        gemeente: Some(&m.gemeente_code),
        action,
        resource: "experience",
        resource_id: Some(m.id),
        endpoint,
    }
}

/// The facts of match `id`; an unknown match is an unknown reference in the body.
async fn match_subject(db: &impl Conn, id: Uuid, now: DateTime<Utc>) -> Result<Subject> {
    let unknown = || Error::unprocessable("unknown_reference", "match_id", "no match with this id");
    let m = matches::get(db, id).await?.ok_or_else(unknown)?;
    // A match disappears with its request (they go together), so this finds it.
    let request = listings::get(db, m.request_id).await?.ok_or_else(unknown)?;
    Ok(Subject {
        kind: SubjectKind::Match,
        id,
        person: m.requester_person_id,
        closed: lifecycle::effective(&matches::state_of(&m), now) == Status::Completed,
        gemeente_code: request.gemeente_code,
        wijk_code: request.wijk_code,
    })
}

/// The facts of referral `referral_id`, or `None` when there is no such referral: its
/// resident, whether it is closed (whatever the outcome), and where its request was.
async fn referral_subject(txn: &impl Conn, referral_id: Uuid) -> Result<Option<Subject>> {
    let Some(r) = store::referrals::get(txn, referral_id).await? else { return Ok(None) };
    Ok(Some(Subject {
        kind: SubjectKind::Referral,
        id: r.id,
        person: r.resident_person_id,
        closed: store::referrals::state_of(&r)? == crate::domain::referral::ReferralState::Closed,
        gemeente_code: r.gemeente_code,
        wijk_code: r.wijk_code,
    }))
}

/// Records the caller's answer about a subject: only its resident answers, only once it is
/// closed, and only once (a second answer is a conflict; change the first instead). Audited as
/// the resident's own write.
pub async fn give(state: &State, p: &Principal, subject: SubjectRef, answer: Answer) -> Result<Experience> {
    let me = own_person_id(p)?;
    let now = now();
    let (txn, s) = match subject {
        SubjectRef::Match(id) => {
            // Held until the answer is stored: two answers at once find each other, and an
            // erasure of the match's sides waits or comes first.
            let txn = locks::begin_locked(&state.db, &[Lock::Match(id)]).await?;
            let s = match_subject(&txn, id, now).await?;
            (txn, s)
        }
        SubjectRef::Referral(id) => {
            let txn = locks::begin_locked(&state.db, &[Lock::Referral(id)]).await?;
            let s = referral_subject(&txn, id)
                .await?
                .ok_or_else(|| Error::unprocessable("unknown_reference", "referral_id", "no referral with this id"))?;
            (txn, s)
        }
    };
    let field = match s.kind {
        SubjectKind::Match => "match_id",
        SubjectKind::Referral => "referral_id",
    };
    if s.person != Some(me) {
        return Err(Error::forbidden("only the resident the help was for answers how it went"));
    }
    if !s.closed {
        let what = match s.kind {
            SubjectKind::Match => "the match is not completed yet",
            SubjectKind::Referral => "the referral is not closed yet",
        };
        return Err(Error::unprocessable("not_closed", field, format!("{what}; tell how it went once it is")));
    }
    let new = NewExperience {
        person_id: me,
        subject_kind: s.kind,
        subject_id: s.id,
        gemeente_code: &s.gemeente_code,
        wijk_code: &s.wijk_code,
        answer: &answer,
    };
    let m = rows::create(&txn, &new).await?;
    store::audit::record(&txn, &[entry(p, &m, Action::Create, "POST /v1/experiences")]).await?;
    txn.commit().await?;
    Ok(m)
}

/// The caller's own answers, newest first, at most `limit`; none for a caller without a
/// person profile (a professional, an admin, a key), since nobody reads another's answers.
pub async fn list(state: &State, p: &Principal, limit: u64) -> Result<Vec<Experience>> {
    match p.person_id {
        Some(me) => Ok(rows::of_person(&state.db, me, Some(limit)).await?),
        None => Ok(Vec::new()),
    }
}

async fn own(db: &impl Conn, p: &Principal, id: Uuid) -> Result<Experience> {
    let m = rows::get(db, id).await?.ok_or(Error::NotFound("experience"))?;
    if !p.is_person(m.person_id) {
        return Err(Error::forbidden("an answer on how the help went is read by the resident who gave it, and by nobody else"));
    }
    Ok(m)
}

/// One of the caller's answers.
pub async fn get(state: &State, p: &Principal, id: Uuid) -> Result<Experience> {
    own(&state.db, p, id).await
}

/// Changes one of the caller's answers within [`CHANGE_WINDOW_DAYS`] of first answering:
/// `edit` turns the stored answer into the new one. Audited as the resident's own write.
pub async fn change<E: From<Error>>(
    state: &State,
    p: &Principal,
    id: Uuid,
    edit: impl FnOnce(&Experience) -> std::result::Result<Answer, E>,
) -> std::result::Result<Experience, E> {
    let now = now();
    let txn = locks::begin_write(&state.db).await.map_err(Error::from)?;
    let current = own(&txn, p, id).await?;
    let until = changeable_until(&current);
    if now >= until {
        return Err(Error::unprocessable(
            "answer_closed",
            "created_at",
            format!(
                "an answer can be changed for {CHANGE_WINDOW_DAYS} days after it was first given; this one closed at {}",
                until.to_rfc3339()
            ),
        )
        .into());
    }
    let answer = edit(&current)?;
    let m = rows::update(&txn, current, &answer).await.map_err(Error::from)?;
    store::audit::record(&txn, &[entry(p, &m, Action::Update, "PATCH /v1/experiences/{id}")]).await.map_err(Error::from)?;
    txn.commit().await.map_err(Error::from)?;
    Ok(m)
}

/// The most shared comments a summary lists.
pub const MAX_SHARED_COMMENTS: u64 = 500;

/// The answers of an area and period added up, as professionals and admins may see them.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The gemeente or wijk.
    pub area: CbsCode,
    /// Its name.
    pub area_name: String,
    /// The months.
    pub period: Period,
    /// How many answers in all: suppressed when 1 to 4, and when, next to a theme's shown
    /// count, it would show how many left that theme out while that is 1 to 4.
    pub answers: Shown<u64>,
    /// Per theme (in the questionnaire's order): the count and mean, under the k = 5 rule.
    pub themes: Vec<(ExperienceTheme, Averaged)>,
    /// Comments residents let reach the team, each with only the month it was given, newest
    /// month first and by text within a month; none below [`stats::K`] answers in all, and
    /// none from a wijk with fewer.
    pub shared_comments: Vec<(Month, String)>,
    /// Whether more comments were shared than [`MAX_SHARED_COMMENTS`].
    pub more_comments: bool,
}

/// The gemeente a summary is about when the caller names no area: theirs, when they work in
/// exactly one.
fn default_area(p: &Principal) -> Result<CbsCode> {
    match p.gemeenten.as_slice() {
        [one] => CbsCode::parse(one).map_err(|e| Error::invalid("area", e.0)),
        [] => Err(Error::invalid("area", "name a gemeente or wijk (GM... or WK...)")),
        _ => Err(Error::invalid("area", "you work in several gemeenten; name one, or one of its wijken")),
    }
}

/// How the answers of `area` (default: the caller's one gemeente) in `period` went, for
/// professionals and admins of its gemeente. Counts of 1 to 4 people are never shown
/// ([`crate::stats`]); an aggregate names nobody, so the read is not audited.
pub async fn summary(state: &State, p: &Principal, area: Option<CbsCode>, period: Period) -> Result<Summary> {
    let reader = matches!(p.role, Role::Professional | Role::Admin);
    if !reader {
        return Err(Error::forbidden("experience summaries are for the professionals and admins of the gemeente"));
    }
    let area = match area {
        Some(a) => a,
        None => default_area(p)?,
    };
    let gemeente = area.gemeente();
    if !(p.professional_in(&gemeente) || p.admin_of(&gemeente)) {
        return Err(Error::forbidden("experience summaries of a gemeente are for its own professionals and admins"));
    }
    let area_name = areas::names(&state.db, &[area.as_str()]).await?.remove(area.as_str()).ok_or(Error::NotFound("area"))?;
    let window = Window { area: &area, from: period.start(), until: period.end() };
    // Summaries of overlapping areas and periods could be subtracted from each other (a
    // gemeente minus its wijken, a year minus its last month). Each is a sum over one grid, a
    // wijk in a month, and takes in only the cells of none or at least K: no difference of
    // two summaries ever comes to fewer than K residents.
    let mut cells: std::collections::HashMap<(String, Month), (Tally, [Tally; THEMES])> = Default::default();
    for (wijk, at, scores) in rows::scored_themes(&state.db, &window).await? {
        let cell = cells.entry((wijk, Month::of(at))).or_default();
        cell.0.add(0);
        for (t, score) in cell.1.iter_mut().zip(scores) {
            if let Some(v) = score {
                t.add(u64::try_from(v).unwrap_or(0));
            }
        }
    }
    // Where every cell was left out the figure is not 0 but unknown: shown as suppressed.
    let figure = |cells: Vec<Tally>| {
        let counted = stats::over_publishable_cells(cells.iter().copied());
        let any = cells.iter().any(|c| c.count > 0);
        if counted.count == 0 && any { Averaged { count: Shown::Suppressed, mean: None } } else { stats::averaged(counted) }
    };
    let themes: Vec<(ExperienceTheme, Averaged)> =
        ExperienceTheme::ALL.iter().map(|t| (*t, figure(cells.values().map(|c| c.1[t.index()]).collect()))).collect();
    let counts: Vec<u64> = themes.iter().filter_map(|(_, a)| a.count.value()).collect();
    let answers = match figure(cells.values().map(|c| c.0).collect()).count {
        Shown::Value(n) => stats::subsets_total(n, &counts),
        Shown::Suppressed => Shown::Suppressed,
    };
    // Comments come only from the wijken-in-a-month that pass on their own, with only their
    // month: a comment from a wijk's month of one answer would point at its writer.
    let passing: std::collections::HashSet<(String, Month)> =
        cells.iter().filter(|(_, c)| c.0.count >= stats::K).map(|(k, _)| k.clone()).collect();
    let (mut shared_comments, mut more_comments) = (Vec::new(), false);
    if !passing.is_empty() {
        let wijken: Vec<String> = passing.iter().map(|(w, _)| w.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let found: Vec<(Month, String)> = rows::shared_comments(&state.db, &window, &wijken, u64::MAX / 2)
            .await?
            .into_iter()
            .filter(|(_, at, wijk)| passing.contains(&(wijk.clone(), Month::of(*at))))
            .map(|(text, at, _)| (Month::of(at), text))
            .collect();
        more_comments = found.len() as u64 > MAX_SHARED_COMMENTS;
        shared_comments = found.into_iter().take(MAX_SHARED_COMMENTS as usize).collect();
        // The order of answering, within a month, could point at who wrote which.
        shared_comments.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    }
    Ok(Summary { area, area_name, period, answers, themes, shared_comments, more_comments })
}
