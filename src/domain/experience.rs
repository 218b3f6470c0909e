//! What a resident answers after a match or a referral is closed: how it went, on the themes
//! Dutch gemeenten ask in the yearly Wmo client-experience survey (and Zaanstad asked of its
//! wijkteams), each on a 1 to 5 scale, plus words of their own. The answer is about the help,
//! not a test of the person, so every theme may be left out.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{BoundedText, Invalid};
use crate::vocabulary;

vocabulary! {
    /// A theme of the residents' experience questionnaire, each answered on a 1 to 5 scale
    /// (1 = not at all, 5 = fully).
    ExperienceTheme {
        /// Ik werd gehoord.
        Listened => ("listened", "Ik werd gehoord", "I was listened to"),
        /// De hulp paste bij mijn vraag.
        Fitted => ("fitted", "De hulp paste bij mijn vraag", "The help fitted my question"),
        /// Het ging snel genoeg.
        Quick => ("quick", "Het ging snel genoeg", "It came quickly enough"),
        /// Ik red me nu beter.
        ManageBetter => ("manage_better", "Ik red me nu beter", "I manage better now"),
        /// Mijn kwaliteit van leven is beter.
        QualityOfLife => ("quality_of_life", "Mijn kwaliteit van leven is beter", "My quality of life is better"),
        /// Ik zou het aanraden.
        Recommend => ("recommend", "Ik zou het aanraden", "I would recommend it"),
    }
}

impl ExperienceTheme {
    /// Its place in [`ExperienceTheme::ALL`], which is also its place in [`Scores`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How many themes there are.
pub const THEMES: usize = 6;

/// The lowest score.
pub const MIN_SCORE: u8 = 1;
/// The highest score.
pub const MAX_SCORE: u8 = 5;
/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 2000;
/// How long after first answering a resident may still change the answer.
pub const CHANGE_WINDOW_DAYS: i64 = 14;

/// A score on one theme, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u8);

impl Score {
    /// Accepts 1 to 5.
    pub fn parse(value: i64) -> Result<Self, Invalid> {
        u8::try_from(value)
            .ok()
            .filter(|v| (MIN_SCORE..=MAX_SCORE).contains(v))
            .map(Self)
            .ok_or_else(|| Invalid::new(format!("must be {MIN_SCORE} to {MAX_SCORE}")))
    }

    /// The score.
    pub fn value(self) -> u8 {
        self.0
    }
}

/// The scores of one answer, one place per theme in the order of [`ExperienceTheme::ALL`];
/// a theme left out has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scores([Option<Score>; THEMES]);

impl Scores {
    /// The score given on `theme`.
    pub fn get(&self, theme: ExperienceTheme) -> Option<Score> {
        self.0[theme.index()]
    }

    /// Gives (or, with `None`, leaves out) the score on `theme`.
    pub fn set(&mut self, theme: ExperienceTheme, score: Option<Score>) {
        self.0[theme.index()] = score;
    }

    /// Every theme with its score, in the order of [`ExperienceTheme::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = (ExperienceTheme, Option<Score>)> + '_ {
        ExperienceTheme::ALL.iter().map(|t| (*t, self.get(*t)))
    }

    /// Whether no theme has a score.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

/// An answer as the resident gives it: at least one score or a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    scores: Scores,
    comment: Option<BoundedText>,
    share_comment: bool,
}

impl Answer {
    /// An answer of `scores` and a `comment`, which the team may read (without a name) only
    /// when `share_comment` is set. Refuses an answer that says nothing.
    pub fn new(scores: Scores, comment: Option<BoundedText>, share_comment: bool) -> Result<Self, Invalid> {
        if scores.is_empty() && comment.is_none() {
            return Err(Invalid::new("give a score on at least one theme, or a comment"));
        }
        Ok(Self { scores, comment, share_comment })
    }

    /// The scores.
    pub fn scores(&self) -> &Scores {
        &self.scores
    }

    /// The comment.
    pub fn comment(&self) -> Option<&BoundedText> {
        self.comment.as_ref()
    }

    /// Whether the comment may reach the team (never with a name).
    pub fn share_comment(&self) -> bool {
        self.share_comment
    }
}

/// A calendar month, `YYYY-MM`, in UTC: the grain in which reports count and show when
/// something happened (never a day, which with few answers can point at one person).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

/// The first year a month may name: reports start with the service.
pub const FIRST_YEAR: i32 = 2000;
/// The last year a month may name.
pub const LAST_YEAR: i32 = 2999;

impl Month {
    /// Parses `YYYY-MM`, years [`FIRST_YEAR`] to [`LAST_YEAR`].
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new(format!("a month is YYYY-MM, from {FIRST_YEAR}-01 to {LAST_YEAR}-12"));
        let t = text.trim();
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The month an instant falls in (UTC).
    pub fn of(at: DateTime<Utc>) -> Self {
        Self { year: at.year(), month: at.month() }
    }

    /// The first instant of the month (UTC).
    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// The month `n` months later (earlier for a negative `n`).
    pub fn plus(self, n: i64) -> Self {
        let index = i64::from(self.year) * 12 + i64::from(self.month - 1) + n;
        Self { year: index.div_euclid(12) as i32, month: index.rem_euclid(12) as u32 + 1 }
    }

    /// How many months from `self` to `other`, both counted: 1 for the same month, 0 or less
    /// when `other` comes first.
    pub fn months_through(self, other: Month) -> i64 {
        (i64::from(other.year) * 12 + i64::from(other.month)) - (i64::from(self.year) * 12 + i64::from(self.month)) + 1
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The longest period a report covers, in months.
pub const MAX_PERIOD_MONTHS: i64 = 36;
/// The period a report covers when none is asked for, in months (up to and including this one).
pub const DEFAULT_PERIOD_MONTHS: i64 = 12;

/// Whole months, from the first through the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first month.
    pub from: Month,
    /// The last month (included).
    pub to: Month,
}

impl Period {
    /// Parses `from` and `to` (`YYYY-MM`, both optional): `to` defaults to the month of `now`,
    /// `from` to [`DEFAULT_PERIOD_MONTHS`] months through `to`. `to` may not come before
    /// `from`, and the period spans at most [`MAX_PERIOD_MONTHS`]. Refusals name the field.
    pub fn parse(from: Option<&str>, to: Option<&str>, now: DateTime<Utc>) -> Result<Self, (&'static str, Invalid)> {
        let from = from.map(Month::parse).transpose().map_err(|e| ("from", e))?;
        let to = to.map(Month::parse).transpose().map_err(|e| ("to", e))?.unwrap_or_else(|| Month::of(now));
        let from = from.unwrap_or_else(|| to.plus(1 - DEFAULT_PERIOD_MONTHS).max(Month { year: FIRST_YEAR, month: 1 }));
        let months = from.months_through(to);
        if months < 1 {
            return Err(("to", Invalid::new("must not come before from (to defaults to this month)")));
        }
        if months > MAX_PERIOD_MONTHS {
            return Err(("from", Invalid::new(format!("a period spans at most {MAX_PERIOD_MONTHS} months; this one spans {months}"))));
        }
        Ok(Self { from, to })
    }

    /// The first instant of the period.
    pub fn start(self) -> DateTime<Utc> {
        self.from.start()
    }

    /// The first instant after the period.
    pub fn end(self) -> DateTime<Utc> {
        self.to.plus(1).start()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_keep_their_places() {
        assert_eq!(ExperienceTheme::ALL.len(), THEMES);
        for (i, t) in ExperienceTheme::ALL.iter().enumerate() {
            assert_eq!(t.index(), i);
            assert_eq!(ExperienceTheme::from_code(t.code()), Some(*t));
        }
        assert_eq!(ExperienceTheme::Listened.label_nl(), "Ik werd gehoord");
    }

    #[test]
    fn scores_run_from_one_to_five() {
        for bad in [-1, 0, 6, 255, 256, i64::MAX] {
            assert!(Score::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Score::parse(1).map(Score::value), Ok(1));
        assert_eq!(Score::parse(5).map(Score::value), Ok(5));
    }

    #[test]
    fn an_answer_says_something() {
        assert!(Answer::new(Scores::default(), None, true).is_err());
        let mut s = Scores::default();
        s.set(ExperienceTheme::Quick, Score::parse(3).ok());
        let a = Answer::new(s, None, false).unwrap();
        assert_eq!(a.scores().get(ExperienceTheme::Quick).map(Score::value), Some(3));
        assert_eq!(a.scores().get(ExperienceTheme::Listened), None);
        let words = BoundedText::parse("Fijn geholpen", MAX_COMMENT).unwrap();
        assert!(Answer::new(Scores::default(), Some(words), true).is_ok());
    }

    #[test]
    fn months_parse_and_count() {
        let m = Month::parse("2026-03").unwrap();
        assert_eq!(m.to_string(), "2026-03");
        assert_eq!(m.plus(-3).to_string(), "2025-12");
        assert_eq!(m.plus(10).to_string(), "2027-01");
        assert_eq!(m.months_through(m), 1);
        assert_eq!(m.months_through(Month::parse("2027-02").unwrap()), 12);
        assert_eq!(m.start().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        for bad in ["2026-13", "2026-00", "2026-3", "26-03", "1999-12", "3000-01", "2026/03", "", "2026-0a", "+026-03"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn periods_default_to_the_last_twelve_months_and_span_at_most_36() {
        let now = Utc.with_ymd_and_hms(2026, 5, 17, 12, 0, 0).unwrap();
        let p = Period::parse(None, None, now).unwrap();
        assert_eq!((p.from.to_string(), p.to.to_string()), ("2025-06".into(), "2026-05".into()));
        assert_eq!(p.end().to_rfc3339(), "2026-06-01T00:00:00+00:00");
        let p = Period::parse(Some("2024-01"), Some("2026-12"), now).unwrap();
        assert_eq!(p.from.months_through(p.to), 36);
        assert_eq!(Period::parse(Some("2024-01"), Some("2027-01"), now).unwrap_err().0, "from");
        assert_eq!(Period::parse(Some("2026-05"), Some("2026-04"), now).unwrap_err().0, "to");
        assert_eq!(Period::parse(Some("2026-13"), None, now).unwrap_err().0, "from");
        assert_eq!(Period::parse(None, Some("x"), now).unwrap_err().0, "to");
        // Only `to`: the twelve months through it.
        let p = Period::parse(None, Some("2020-12"), now).unwrap();
        assert_eq!(p.from.to_string(), "2020-01");
        let p = Period::parse(None, Some("2000-03"), now).unwrap();
        assert_eq!(p.from.to_string(), "2000-01", "never before the first year");
    }
}
