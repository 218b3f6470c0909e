//! Residents' answers on how the help went, and their sums per area and period.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use super::Conn;
use super::StoreError;
use super::entities::experience;
use crate::domain::experience::{Answer, Score, Scores, THEMES};
use crate::domain::{CbsCode, ExperienceTheme};

/// What an answer is about, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// A match between a request and a helper.
    Match,
    /// A professional's referral.
    Referral,
}

impl SubjectKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Referral => "referral",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "match" => Some(Self::Match),
            "referral" => Some(Self::Referral),
            _ => None,
        }
    }
}

/// An answer about to be stored.
#[derive(Debug, Clone)]
pub struct NewExperience<'a> {
    /// The resident who answers.
    pub person_id: Uuid,
    /// What about.
    pub subject_kind: SubjectKind,
    /// The match or referral.
    pub subject_id: Uuid,
    /// The request's gemeente.
    pub gemeente_code: &'a str,
    /// The request's wijk.
    pub wijk_code: &'a str,
    /// The answer.
    pub answer: &'a Answer,
}

fn column(theme: ExperienceTheme) -> experience::Column {
    match theme {
        ExperienceTheme::Listened => experience::Column::Listened,
        ExperienceTheme::Fitted => experience::Column::Fitted,
        ExperienceTheme::Quick => experience::Column::Quick,
        ExperienceTheme::ManageBetter => experience::Column::ManageBetter,
        ExperienceTheme::QualityOfLife => experience::Column::QualityOfLife,
        ExperienceTheme::Recommend => experience::Column::Recommend,
    }
}

fn stored(score: Option<Score>) -> Option<i16> {
    score.map(|s| i16::from(s.value()))
}

/// Puts the answer's scores, comment and share flag into `a`.
fn fill(a: &mut experience::ActiveModel, answer: &Answer) {
    let s = answer.scores();
    a.listened = Set(stored(s.get(ExperienceTheme::Listened)));
    a.fitted = Set(stored(s.get(ExperienceTheme::Fitted)));
    a.quick = Set(stored(s.get(ExperienceTheme::Quick)));
    a.manage_better = Set(stored(s.get(ExperienceTheme::ManageBetter)));
    a.quality_of_life = Set(stored(s.get(ExperienceTheme::QualityOfLife)));
    a.recommend = Set(stored(s.get(ExperienceTheme::Recommend)));
    a.comment = Set(answer.comment().map(|c| c.as_str().to_owned()));
    a.share_comment = Set(answer.share_comment());
}

/// The scores of a stored answer.
pub fn scores_of(m: &experience::Model) -> Scores {
    let mut out = Scores::default();
    for theme in ExperienceTheme::ALL {
        let value = match theme {
            ExperienceTheme::Listened => m.listened,
            ExperienceTheme::Fitted => m.fitted,
            ExperienceTheme::Quick => m.quick,
            ExperienceTheme::ManageBetter => m.manage_better,
            ExperienceTheme::QualityOfLife => m.quality_of_life,
            ExperienceTheme::Recommend => m.recommend,
        };
        out.set(*theme, value.and_then(|v| Score::parse(i64::from(v)).ok()));
    }
    out
}

/// Stores a new answer; a second one about the same subject is a conflict.
pub async fn create(db: &impl Conn, n: &NewExperience<'_>) -> Result<experience::Model, StoreError> {
    if for_subject(db, n.subject_kind, n.subject_id).await?.is_some() {
        return Err(StoreError::Conflict(format!("this {} has already been answered; change that answer instead", n.subject_kind.code())));
    }
    let now = crate::domain::clock::now();
    let mut a = experience::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(n.person_id),
        subject_kind: Set(n.subject_kind.code().to_owned()),
        subject_id: Set(n.subject_id),
        gemeente_code: Set(n.gemeente_code.to_owned()),
        wijk_code: Set(n.wijk_code.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    fill(&mut a, n.answer);
    Ok(a.insert(db).await?)
}

/// One answer.
pub async fn get(db: &impl Conn, id: Uuid) -> Result<Option<experience::Model>, StoreError> {
    Ok(experience::Entity::find_by_id(id).one(db).await?)
}

/// The answer about a subject, if given.
pub async fn for_subject(db: &impl Conn, kind: SubjectKind, id: Uuid) -> Result<Option<experience::Model>, StoreError> {
    Ok(experience::Entity::find()
        .filter(experience::Column::SubjectKind.eq(kind.code()))
        .filter(experience::Column::SubjectId.eq(id))
        .one(db)
        .await?)
}

/// A person's answers, newest first; at most `limit` when given (an export takes them all).
pub async fn of_person(db: &impl Conn, person: Uuid, limit: Option<u64>) -> Result<Vec<experience::Model>, StoreError> {
    let mut q = experience::Entity::find().filter(experience::Column::PersonId.eq(person)).order_by_desc(experience::Column::Id);
    if let Some(l) = limit {
        q = q.limit(l);
    }
    Ok(q.all(db).await?)
}

/// Replaces the answer of a stored row; its subject, person and area stay.
pub async fn update(db: &impl Conn, current: experience::Model, answer: &Answer) -> Result<experience::Model, StoreError> {
    let mut a: experience::ActiveModel = current.into();
    fill(&mut a, answer);
    a.updated_at = Set(crate::domain::clock::now());
    Ok(a.update(db).await?)
}

/// Removes every answer of a person (on erasure).
pub async fn forget_person(db: &impl Conn, person: Uuid) -> Result<u64, StoreError> {
    Ok(experience::Entity::delete_many().filter(experience::Column::PersonId.eq(person)).exec(db).await?.rows_affected)
}

/// Answers given in an area (a gemeente or one of its wijken) from `from` until before `until`.
#[derive(Debug, Clone)]
pub struct Window<'a> {
    /// The gemeente or wijk.
    pub area: &'a CbsCode,
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// Until (exclusive).
    pub until: DateTime<Utc>,
}

impl Window<'_> {
    fn condition(&self) -> Condition {
        let area = match self.area {
            CbsCode::Gemeente(c) => experience::Column::GemeenteCode.eq(c.as_str()),
            CbsCode::Wijk(c) => experience::Column::WijkCode.eq(c.as_str()),
        };
        Condition::all().add(area).add(experience::Column::CreatedAt.gte(self.from)).add(experience::Column::CreatedAt.lt(self.until))
    }
}

/// Per answer of a window: its wijk, when it was given, and its scores. Nothing else of the
/// row is read; the service adds them up per wijk and month.
pub async fn scored_themes(db: &impl Conn, w: &Window<'_>) -> Result<Vec<(String, DateTime<Utc>, [Option<i16>; THEMES])>, StoreError> {
    let mut q = experience::Entity::find().select_only().column(experience::Column::WijkCode).column(experience::Column::CreatedAt);
    for theme in ExperienceTheme::ALL {
        q = q.column(column(*theme));
    }
    let rows = q
        .filter(w.condition())
        .into_tuple::<(String, DateTime<Utc>, Option<i16>, Option<i16>, Option<i16>, Option<i16>, Option<i16>, Option<i16>)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(wijk, at, a, b, c, d, e, f)| (wijk, at, [a, b, c, d, e, f])).collect())
}

/// The comments of a window from `wijken` their residents let reach the team, with when each
/// was first given and its wijk: the newest `limit`, newest first. Nothing else of the row is
/// read.
pub async fn shared_comments(
    db: &impl Conn,
    w: &Window<'_>,
    wijken: &[String],
    limit: u64,
) -> Result<Vec<(String, DateTime<Utc>, String)>, StoreError> {
    if wijken.is_empty() {
        return Ok(Vec::new());
    }
    Ok(experience::Entity::find()
        .select_only()
        .column(experience::Column::Comment)
        .column(experience::Column::CreatedAt)
        .column(experience::Column::WijkCode)
        .filter(w.condition())
        .filter(experience::Column::WijkCode.is_in(wijken.to_vec()))
        .filter(experience::Column::ShareComment.eq(true))
        .filter(experience::Column::Comment.is_not_null())
        .order_by_desc(experience::Column::CreatedAt)
        .limit(limit)
        .into_tuple::<(String, DateTime<Utc>, String)>()
        .all(db)
        .await?)
}
