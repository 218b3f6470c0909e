//! `/v1/experiences`: residents tell how the help went, after a match is completed or a
//! referral closed; the wijkteam sees the answers only added up per area and period.

use std::sync::Arc;

use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::{JsonBody, MergePatch};
use super::caller::SignedIn;
use super::common::{Label, field, now, page_limit};
use crate::domain::experience::{Answer, MAX_COMMENT, Period, Score, Scores};
use crate::domain::{BoundedText, CbsCode, ExperienceTheme};
use crate::error::{ApiError, Problem};
use crate::service::State;
use crate::service::experiences::{self as service, Experience as Model, SubjectKind, SubjectRef, Summary};
use crate::stats::Shown;

/// Scores from 1 (not at all) to 5 (fully), per theme; leave a theme out to skip it. The
/// themes and their labels are in `/v1/taxonomy` (`experience_themes`).
#[derive(Debug, Clone, Default, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct ThemeScores {
    /// Ik werd gehoord (I was listened to).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listened: Option<i64>,
    /// De hulp paste bij mijn vraag (the help fitted my question).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fitted: Option<i64>,
    /// Het ging snel genoeg (it came quickly enough).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick: Option<i64>,
    /// Ik red me nu beter (I manage better now).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_better: Option<i64>,
    /// Mijn kwaliteit van leven is beter (my quality of life is better).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_of_life: Option<i64>,
    /// Ik zou het aanraden (I would recommend it).
    #[oai(validator(minimum(value = "1"), maximum(value = "5")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommend: Option<i64>,
}

impl ThemeScores {
    fn get(&self, theme: ExperienceTheme) -> Option<i64> {
        match theme {
            ExperienceTheme::Listened => self.listened,
            ExperienceTheme::Fitted => self.fitted,
            ExperienceTheme::Quick => self.quick,
            ExperienceTheme::ManageBetter => self.manage_better,
            ExperienceTheme::QualityOfLife => self.quality_of_life,
            ExperienceTheme::Recommend => self.recommend,
        }
    }

    /// Parses every score, naming `themes.<theme>` at fault.
    pub fn parse(&self) -> Result<Scores, ApiError> {
        let mut out = Scores::default();
        for theme in ExperienceTheme::ALL {
            let score = self.get(*theme).map(|v| field(&format!("themes.{}", theme.code()), Score::parse(v))).transpose()?;
            out.set(*theme, score);
        }
        Ok(out)
    }

    /// The wire form of scores.
    pub fn of(s: &Scores) -> Self {
        let v = |t| s.get(t).map(|x| i64::from(x.value()));
        Self {
            listened: v(ExperienceTheme::Listened),
            fitted: v(ExperienceTheme::Fitted),
            quick: v(ExperienceTheme::Quick),
            manage_better: v(ExperienceTheme::ManageBetter),
            quality_of_life: v(ExperienceTheme::QualityOfLife),
            recommend: v(ExperienceTheme::Recommend),
        }
    }
}

/// An answer on how the help went, about exactly one completed match or closed referral.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperienceInput {
    /// The completed match you asked for; give this or `referral_id`.
    #[serde(default)]
    pub match_id: Option<Uuid>,
    /// The closed referral made for you; give this or `match_id`.
    #[serde(default)]
    pub referral_id: Option<Uuid>,
    /// Scores per theme, each optional; give at least one, or a comment.
    #[oai(default)]
    #[serde(default)]
    pub themes: ThemeScores,
    /// In your own words (optional); may span lines.
    #[oai(validator(max_length = 2000))]
    #[serde(default)]
    pub comment: Option<String>,
    /// Whether the wijkteam may read the comment, without your name and with only the month
    /// it was given, in its reports (default: no).
    #[oai(default)]
    #[serde(default)]
    pub share_comment: bool,
}

/// What a change starts from and turns into: the answer without its subject, which stays.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFields {
    #[serde(default)]
    themes: ThemeScores,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(default)]
    share_comment: bool,
}

impl AnswerFields {
    fn parse(&self) -> Result<Answer, ApiError> {
        let scores = self.themes.parse()?;
        let comment = field("comment", BoundedText::parse_optional(self.comment.as_deref(), MAX_COMMENT))?;
        field("themes", Answer::new(scores, comment, self.share_comment))
    }

    fn of(m: &Model) -> Self {
        Self { themes: ThemeScores::of(&service::scores_of(m)), comment: m.comment.clone(), share_comment: m.share_comment }
    }
}

/// Scores to change; `null` on a theme removes its score.
#[derive(Debug, Clone, Object)]
pub struct ThemeScoresPatch {
    /// See ThemeScores.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "5")))]
    pub listened: Option<i64>,
    /// See ThemeScores.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "5")))]
    pub fitted: Option<i64>,
    /// See ThemeScores.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "5")))]
    pub quick: Option<i64>,
    /// See ThemeScores.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "5")))]
    pub manage_better: Option<i64>,
    /// See ThemeScores.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "5")))]
    pub quality_of_life: Option<i64>,
    /// See ThemeScores.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "5")))]
    pub recommend: Option<i64>,
}

/// A JSON Merge Patch of an answer; its subject cannot change.
#[derive(Debug, Clone, Object)]
pub struct ExperiencePatch {
    /// Scores to change; `null` removes every score.
    #[oai(nullable)]
    pub themes: Option<ThemeScoresPatch>,
    /// See ExperienceInput; `null` removes the comment.
    #[oai(nullable, validator(max_length = 2000))]
    pub comment: Option<String>,
    /// See ExperienceInput; `null` takes the default (no).
    #[oai(nullable)]
    pub share_comment: Option<bool>,
}

/// An answer on how the help went, as its resident reads it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Experience {
    /// Identity.
    pub id: Uuid,
    /// The match it is about.
    pub match_id: Option<Uuid>,
    /// The referral it is about.
    pub referral_id: Option<Uuid>,
    /// Scores per theme.
    pub themes: ThemeScores,
    /// In the resident's own words.
    pub comment: Option<String>,
    /// Whether the comment may reach the team, without a name.
    pub share_comment: bool,
    /// The gemeente of the request, for reports.
    pub gemeente_code: String,
    /// The wijk of the request, for reports.
    pub wijk_code: String,
    /// First given.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Until when it can be changed: 14 days after it was first given.
    pub changeable_until: chrono::DateTime<chrono::Utc>,
}

impl Experience {
    /// The wire form of a stored answer.
    pub fn of(m: Model) -> Self {
        let kind = SubjectKind::from_code(&m.subject_kind);
        Self {
            id: m.id,
            match_id: (kind == Some(SubjectKind::Match)).then_some(m.subject_id),
            referral_id: (kind == Some(SubjectKind::Referral)).then_some(m.subject_id),
            themes: ThemeScores::of(&service::scores_of(&m)),
            changeable_until: service::changeable_until(&m),
            comment: m.comment,
            share_comment: m.share_comment,
            gemeente_code: m.gemeente_code,
            wijk_code: m.wijk_code,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The caller's own answers.
#[derive(Debug, Clone, Object)]
pub struct ExperienceList {
    /// Newest first.
    pub items: Vec<Experience>,
}

/// One answer.
#[derive(Debug, ApiResponse)]
pub enum ExperienceResponse {
    /// The answer.
    #[oai(status = 200)]
    Ok(Json<Experience>),
    /// Recorded.
    #[oai(status = 201)]
    Created(Json<Experience>),
}

/// A count of people as shown to the team: absent and marked suppressed when it is 1 to 4.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ShownCount {
    /// The count; absent when suppressed.
    pub count: Option<u64>,
    /// Whether the count is held back (k = 5).
    pub suppressed: bool,
}

/// One theme of a summary.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ThemeSummary {
    /// The theme.
    pub theme: ExperienceTheme,
    /// Its labels.
    pub label: Label,
    /// How many answers scored it; absent when 1 to 4 (suppressed).
    pub count: Option<u64>,
    /// Their mean score (1 to 5, two decimals); absent when the count is 0 or suppressed.
    pub mean: Option<f64>,
    /// Whether count and mean are held back because 1 to 4 answers scored it.
    pub suppressed: bool,
}

/// A comment a resident let reach the team: the words and the month, nothing else.
#[derive(Debug, Clone, Object)]
pub struct SharedComment {
    /// The month it was given, `YYYY-MM`.
    pub month: String,
    /// The words.
    pub comment: String,
}

/// How the help went in an area and period, added up.
#[derive(Debug, Clone, Object)]
pub struct ExperienceSummary {
    /// The gemeente or wijk (CBS code).
    pub area: String,
    /// Its name.
    pub area_name: String,
    /// The first month, `YYYY-MM`.
    pub from: String,
    /// The last month (included), `YYYY-MM`.
    pub to: String,
    /// How many answers in all. Suppressed when 1 to 4, and also when it would show, next to
    /// a theme's count, that 1 to 4 answers left that theme out.
    pub answers: ShownCount,
    /// Per theme, in the questionnaire's order.
    pub themes: Vec<ThemeSummary>,
    /// Comments residents let reach the team, with only their month; newest month first, by
    /// text within a month. Empty unless the area and period have at least 5 answers in all;
    /// in a gemeente, only from its wijken that have at least 5 answers in the period.
    pub shared_comments: Vec<SharedComment>,
    /// Whether more comments were shared than listed (at most 500, the newest).
    pub more_comments: bool,
}

fn shown_count(c: Shown<u64>) -> ShownCount {
    ShownCount { count: c.value(), suppressed: c.is_suppressed() }
}

impl ExperienceSummary {
    /// The wire form of a summary.
    pub fn of(s: Summary) -> Self {
        Self {
            area: s.area.as_str().to_owned(),
            area_name: s.area_name,
            from: s.period.from.to_string(),
            to: s.period.to.to_string(),
            answers: shown_count(s.answers),
            themes: s
                .themes
                .into_iter()
                .map(|(t, a)| ThemeSummary {
                    theme: t,
                    label: Label { nl: t.label_nl().into(), en: t.label_en().into() },
                    count: a.count.value(),
                    mean: a.mean,
                    suppressed: a.is_suppressed(),
                })
                .collect(),
            shared_comments: s.shared_comments.into_iter().map(|(m, c)| SharedComment { month: m.to_string(), comment: c }).collect(),
            more_comments: s.more_comments,
        }
    }
}

/// The subject a body names: exactly one of `match_id` and `referral_id`.
fn subject(b: &ExperienceInput) -> Result<SubjectRef, ApiError> {
    match (b.match_id, b.referral_id) {
        (Some(m), None) => Ok(SubjectRef::Match(m)),
        (None, Some(r)) => Ok(SubjectRef::Referral(r)),
        (None, None) => Err(ApiError::invalid("match_id", "give the match_id (or the referral_id) this answer is about")),
        (Some(_), Some(_)) => {
            let why = "give match_id or referral_id, not both";
            Err(ApiError::BadRequest(Json(
                Problem::new(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid input", why)
                    .with_field("match_id", why)
                    .with_field("referral_id", why),
            )))
        }
    }
}

/// The experiences resource.
pub struct ExperiencesApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/experiences", tag = "ApiTags::Wijkteam")]
impl ExperiencesApi {
    /// Tell how it went
    ///
    /// By the resident the help was for (the requesting person of a match), once the match is
    /// completed or the referral closed (otherwise 422 `not_closed`); anyone else gets 403.
    /// Once per match or referral: a second answer is 409, change the first instead. Scores
    /// 1 to 5 on any of the themes, and an optional comment that reaches the wijkteam only
    /// when `share_comment` is set, without a name. The answer is about the help, not a test
    /// of the person; nobody but the resident ever reads it as theirs.
    #[oai(path = "/", method = "post", operation_id = "give_experience")]
    async fn give(&self, caller: SignedIn, body: JsonBody<ExperienceInput>) -> Result<ExperienceResponse, ApiError> {
        let b = body.0;
        let subject = subject(&b)?;
        let answer = AnswerFields { themes: b.themes, comment: b.comment, share_comment: b.share_comment }.parse()?;
        let m = service::give(&self.state, &caller.0, subject, answer).await?;
        Ok(ExperienceResponse::Created(Json(Experience::of(m))))
    }

    /// List my answers
    ///
    /// The caller's own answers, newest first. Nobody sees another's: for a professional, an
    /// admin or a key, the list is empty.
    #[oai(path = "/", method = "get", operation_id = "list_experiences")]
    async fn list(
        &self,
        caller: SignedIn,
        /// At most this many (1 to 200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<ExperienceList>, ApiError> {
        let items = service::list(&self.state, &caller.0, page_limit(limit.0)?).await?.into_iter().map(Experience::of).collect();
        Ok(Json(ExperienceList { items }))
    }

    /// How it went, per area
    ///
    /// For the professionals and admins of the area's gemeente (others 403): the answers of a
    /// gemeente or one of its wijken over whole months (UTC), added up. Per theme the number of
    /// answers that scored it and their mean; counts of 1 to 4 people are never shown (k = 5:
    /// `suppressed`, with neither count nor mean), and the total is held back too where it
    /// would show that 1 to 4 answers left a theme out. Comments residents chose to share are
    /// listed only from 5 answers in all (in a gemeente: from 5 in the comment's own wijk),
    /// each with only its month. No id, day or name of an answer ever appears. Reading a
    /// summary is not audited: it names nobody.
    ///
    /// Summaries that overlap (a gemeente and its wijken, periods that share months) could be
    /// subtracted from each other; so every figure adds up only the wijken-in-a-month with none
    /// or at least 5 answers (for a theme: 5 that scored it) and leaves the others out, and no
    /// difference of two summaries ever comes to fewer than 5 residents.
    #[oai(path = "/summary", method = "get", operation_id = "experience_summary")]
    async fn summary(
        &self,
        caller: SignedIn,
        /// A CBS gemeente (GM) or wijk (WK) code; default the caller's gemeente when they work
        /// in exactly one.
        #[oai(validator(max_length = 8, pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        area: Query<Option<String>>,
        /// The first month, `YYYY-MM` (default: 11 months before `to`).
        #[oai(validator(max_length = 7, pattern = "^2[0-9]{3}-(0[1-9]|1[0-2])$"))]
        from: Query<Option<String>>,
        /// The last month, included, `YYYY-MM` (default: this month); at most 36 months after `from`.
        #[oai(validator(max_length = 7, pattern = "^2[0-9]{3}-(0[1-9]|1[0-2])$"))]
        to: Query<Option<String>>,
    ) -> Result<Json<ExperienceSummary>, ApiError> {
        let area = area.0.as_deref().map(|a| field("area", CbsCode::parse(a))).transpose()?;
        let period = Period::parse(from.0.as_deref(), to.0.as_deref(), now()).map_err(|(f, e)| ApiError::invalid(f, e.0))?;
        let s = service::summary(&self.state, &caller.0, area, period).await?;
        Ok(Json(ExperienceSummary::of(s)))
    }

    /// Read my answer
    ///
    /// Only by the resident who gave it; everyone else, the helper, professionals and admins
    /// included, gets 403.
    #[oai(path = "/:id", method = "get", operation_id = "get_experience")]
    async fn get(&self, caller: SignedIn, id: Path<Uuid>) -> Result<ExperienceResponse, ApiError> {
        Ok(ExperienceResponse::Ok(Json(Experience::of(service::get(&self.state, &caller.0, id.0).await?))))
    }

    /// Change my answer
    ///
    /// A JSON Merge Patch of scores, comment and `share_comment`, by the resident, within 14
    /// days of first answering (later: 422 `answer_closed`). `null` removes a score or the
    /// comment; at least one score or a comment must remain.
    #[oai(path = "/:id", method = "patch", operation_id = "update_experience")]
    async fn update(&self, caller: SignedIn, id: Path<Uuid>, patch: MergePatch<ExperiencePatch>) -> Result<ExperienceResponse, ApiError> {
        let m = service::change(&self.state, &caller.0, id.0, |current| -> Result<_, ApiError> {
            patch.apply(&AnswerFields::of(current))?.parse()
        })
        .await?;
        Ok(ExperienceResponse::Ok(Json(Experience::of(m))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_has_its_field() {
        let mut all = Scores::default();
        for t in ExperienceTheme::ALL {
            all.set(*t, Score::parse(t.index() as i64 % 5 + 1).ok());
        }
        let wire = serde_json::to_value(ThemeScores::of(&all)).unwrap();
        for t in ExperienceTheme::ALL {
            assert_eq!(wire[t.code()], t.index() as i64 % 5 + 1, "{}", t.code());
        }
        assert_eq!(wire.as_object().unwrap().len(), ExperienceTheme::ALL.len());
        assert_eq!(ThemeScores::of(&all).parse().unwrap(), all);
    }
}
