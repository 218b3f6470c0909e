//! The kompas in plain Rust: from the facts of one slice (a wijk in a month) to its counters,
//! and from the counters of many slices to the rows the kompas shows, with their derived
//! figures (shares, medians, means) and the k = 5 suppression ([`suppress`]).
//!
//! Counters are what the store keeps per slice (`kompas_cells`): small integers under codes
//! such as `posted`, `rung.neighbours`, `ttm.3` (a day histogram, so medians add up across
//! wijken) or `ref_sent.17` (referrals still sent, by the day they were sent, so "stale" can be
//! worked out at read time). Rows are what a caller sees: one figure per [`Indicator`].

pub mod suppress;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

use crate::domain::experience::{Month, THEMES};
use crate::domain::referral::{ReferralOutcome, ReferralState, STALE_AFTER_DAYS};
use crate::domain::{ExperienceTheme, SupportKind, SupportStatus};

/// The rungs of the ladder of help, in order (`matching::Rung` codes); the first three are
/// informal.
pub const RUNGS: [&str; 6] =
    ["own_network", "neighbours", "resident_initiative", "volunteer_organisation", "general_provision", "professional_service"];

/// How many of [`RUNGS`] count as informal help.
pub const INFORMAL_RUNGS: usize = 3;

/// Why a side declined a match (the codes of `POST /v1/matches/{id}/decline`); any other code
/// counts as `other`.
pub const MATCH_DECLINE_REASONS: [&str; 6] = ["not_available", "too_far", "not_a_fit", "no_capacity", "no_longer_needed", "other"];

/// Days to a first match are counted up to this; longer waits count as this many.
pub const MAX_DAYS: u64 = 365;

/// Within how many days of posting a request counts as matched or referred in time.
pub const IN_TIME_DAYS: i64 = 14;

/// The counters of one slice, by code; a missing code is 0.
pub type Counters = BTreeMap<String, i64>;

/// One fact of a slice, as the store reads it from the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// A request posted in the month.
    Posted {
        /// Whether a match was accepted by both sides, or a referral sent, within 14 days.
        in_time: bool,
        /// Whole days from posting to its first match accepted by both sides, if any.
        days_to_first_match: Option<u64>,
    },
    /// A match accepted by both sides, or a referral accepted by its helper, in the month; the
    /// index of the helper's rung in [`RUNGS`].
    HelpAccepted(usize),
    /// A match completed in the month.
    MatchCompleted,
    /// A match declined in the month, with its reason code.
    MatchDeclined(String),
    /// Feedback marking a no-show, given in the month.
    NoShow,
    /// A referral made in the month: its state now, and the day of the month it was sent.
    ReferralMade {
        /// Its current state code.
        state: String,
        /// The day of the month (1 to 31).
        day: u32,
    },
    /// A referral closed in the month, with its outcome code.
    ReferralClosed(String),
    /// A support request submitted in the month: its kind and current status codes.
    SupportRequest {
        /// Kind code.
        kind: String,
        /// Status code.
        status: String,
    },
    /// An answer on how the help went, given in the month: its score per theme.
    Answer([Option<u8>; THEMES]),
    /// Someone joined an initiative's network in the month.
    Joined,
}

/// The counters of a slice's facts.
pub fn tally<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Counters {
    let mut c = Counters::new();
    let mut add = |code: String, n: i64| *c.entry(code).or_insert(0) += n;
    for f in facts {
        match f {
            Fact::Posted { in_time, days_to_first_match } => {
                add("posted".into(), 1);
                if *in_time {
                    add("in_time".into(), 1);
                }
                if let Some(d) = days_to_first_match {
                    add(format!("ttm.{}", (*d).min(MAX_DAYS)), 1);
                }
            }
            Fact::HelpAccepted(r) => add(format!("rung.{}", RUNGS[(*r).min(RUNGS.len() - 1)]), 1),
            Fact::MatchCompleted => add("completed".into(), 1),
            Fact::MatchDeclined(reason) => {
                let r = if MATCH_DECLINE_REASONS.contains(&reason.as_str()) { reason.as_str() } else { "other" };
                add(format!("declined.{r}"), 1)
            }
            Fact::NoShow => add("no_show".into(), 1),
            Fact::ReferralMade { state, day } => {
                add(format!("ref_state.{state}"), 1);
                if state == ReferralState::Sent.code() {
                    add(format!("ref_sent.{day}"), 1);
                }
            }
            Fact::ReferralClosed(outcome) => add(format!("ref_outcome.{outcome}"), 1),
            Fact::SupportRequest { kind, status } => {
                add(format!("sr_kind.{kind}"), 1);
                add(format!("sr_status.{status}"), 1);
            }
            Fact::Answer(scores) => {
                for (t, s) in ExperienceTheme::ALL.iter().zip(scores) {
                    if let Some(s) = s {
                        add(format!("exp.{}.n", t.code()), 1);
                        add(format!("exp.{}.sum", t.code()), i64::from(*s));
                    }
                }
            }
            Fact::Joined => add("members".into(), 1),
        }
    }
    c.retain(|_, v| *v != 0);
    c
}

/// Adds the counters of `b` to `a`.
pub fn add_counters(a: &mut Counters, b: &Counters) {
    for (k, v) in b {
        *a.entry(k.clone()).or_insert(0) += v;
    }
}

/// What a figure measures, and so how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of people or things; a whole number.
    Count,
    /// A share from 0 to 1.
    Share,
    /// Whole days.
    Days,
    /// A mean score from 1 to 5.
    Score,
}

/// One figure of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// The code: the figure's path in the JSON row and its `indicator` in the CSV.
    pub code: String,
    /// What it measures.
    pub unit: Unit,
}

/// The counts of a row, in a fixed order; the positions below name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Every count's code, by position.
    pub counts: Vec<String>,
    /// Partitions within a row: a total and the counts that split it.
    pub partitions: Vec<(usize, Vec<usize>)>,
    /// Counts that take part of another (`sub`, `of`): the rest is a count of people too.
    pub subsets: Vec<(usize, usize)>,
}

/// Positions of the counts the derived figures use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Positions {
    pub posted: usize,
    pub in_time: usize,
    pub matched: usize,
    pub accepted: usize,
    pub rungs: Vec<usize>,
    pub sent: usize,
    pub stale: usize,
    pub answers: Vec<usize>,
}

fn build() -> (Layout, Positions) {
    let mut counts: Vec<String> = Vec::new();
    let mut at = |code: String| {
        counts.push(code);
        counts.len() - 1
    };
    let posted = at("requests_posted".into());
    let in_time = at("within_14_days.count".into());
    let matched = at("days_to_first_match.requests".into());
    let accepted = at("help.accepted".into());
    let rungs: Vec<usize> = RUNGS.iter().map(|r| at(format!("help.by_rung.{r}.count"))).collect();
    at("matches.completed".into());
    let declined = at("matches.declined.total".into());
    let reasons: Vec<usize> = MATCH_DECLINE_REASONS.iter().map(|r| at(format!("matches.declined.by_reason.{r}"))).collect();
    at("matches.no_shows".into());
    let made = at("referrals.made".into());
    let states: Vec<usize> = ReferralState::ALL.iter().map(|s| at(format!("referrals.by_state.{}", s.code()))).collect();
    let sent = states[ReferralState::ALL.iter().position(|s| *s == ReferralState::Sent).unwrap_or(0)];
    let stale = at("referrals.stale".into());
    let closed = at("referrals.closed".into());
    let outcomes: Vec<usize> = ReferralOutcome::ALL.iter().map(|o| at(format!("referrals.by_outcome.{}", o.code()))).collect();
    let support = at("support_requests.total".into());
    let kinds: Vec<usize> = SupportKind::ALL.iter().map(|k| at(format!("support_requests.by_kind.{}", k.code()))).collect();
    let statuses: Vec<usize> = SupportStatus::ALL.iter().map(|s| at(format!("support_requests.by_status.{}", s.code()))).collect();
    let answers: Vec<usize> = ExperienceTheme::ALL.iter().map(|t| at(format!("experience.{}.answers", t.code()))).collect();
    at("new_network_members".into());
    let layout = Layout {
        counts,
        partitions: vec![
            (accepted, rungs.clone()),
            (declined, reasons),
            (made, states),
            (closed, outcomes),
            (support, kinds),
            (support, statuses),
        ],
        subsets: vec![(in_time, posted), (matched, posted), (stale, sent)],
    };
    (layout, Positions { posted, in_time, matched, accepted, rungs, sent, stale, answers })
}

static LAYOUT: LazyLock<(Layout, Positions)> = LazyLock::new(build);

/// The counts of a row and how they relate.
pub fn layout() -> &'static Layout {
    &LAYOUT.0
}

pub(crate) fn positions() -> &'static Positions {
    &LAYOUT.1
}

/// Every figure of a row, in the order rows list them (the CSV's order within a row).
pub fn indicators() -> &'static [Indicator] {
    static ALL: LazyLock<Vec<Indicator>> = LazyLock::new(|| {
        let count = |c: &str| Indicator { code: c.to_owned(), unit: Unit::Count };
        let mut out = Vec::new();
        for c in &layout().counts {
            out.push(count(c));
            // Each derived figure right after the count it is about.
            if c == "within_14_days.count" {
                out.push(Indicator { code: "within_14_days.share".into(), unit: Unit::Share });
            } else if c == "days_to_first_match.requests" {
                out.push(Indicator { code: "days_to_first_match.median".into(), unit: Unit::Days });
            } else if let Some(r) = c.strip_prefix("help.by_rung.").and_then(|r| r.strip_suffix(".count")) {
                out.push(Indicator { code: format!("help.by_rung.{r}.share"), unit: Unit::Share });
                if r == RUNGS[RUNGS.len() - 1] {
                    out.push(Indicator { code: "help.informal_share".into(), unit: Unit::Share });
                }
            } else if let Some(t) = c.strip_prefix("experience.").and_then(|t| t.strip_suffix(".answers")) {
                out.push(Indicator { code: format!("experience.{t}.mean"), unit: Unit::Score });
            }
        }
        out
    });
    &ALL
}

/// What a row's figures are made of, before suppression: its counts (in [`Layout`] order),
/// the day histogram of its first matches and the score sums per theme.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raw {
    /// The counts, by position.
    pub counts: Vec<u64>,
    /// Requests by whole days to their first match.
    pub days: BTreeMap<u64, u64>,
    /// Sum of the scores per theme.
    pub score_sums: [u64; THEMES],
}

impl Raw {
    /// The raw figures of counters that cover `month`, on `today` (stale referrals are those
    /// still sent on a day at least [`STALE_AFTER_DAYS`] before today).
    pub fn of(c: &Counters, month: Month, today: NaiveDate) -> Self {
        let get = |code: &str| u64::try_from(c.get(code).copied().unwrap_or(0)).unwrap_or(0);
        let stale_before = today - chrono::Duration::days(STALE_AFTER_DAYS);
        let first = month.start().date_naive();
        let stale: u64 = c
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("ref_sent.")?.parse::<u32>().ok()?, *v)))
            .filter(|(day, _)| first.with_day(*day).is_some_and(|d| d <= stale_before))
            .map(|(_, v)| u64::try_from(v).unwrap_or(0))
            .sum();
        let mut counts = Vec::with_capacity(layout().counts.len());
        let rungs: Vec<u64> = RUNGS.iter().map(|r| get(&format!("rung.{r}"))).collect();
        let reasons: Vec<u64> = MATCH_DECLINE_REASONS.iter().map(|r| get(&format!("declined.{r}"))).collect();
        let states: Vec<u64> = ReferralState::ALL.iter().map(|s| get(&format!("ref_state.{}", s.code()))).collect();
        let outcomes: Vec<u64> = ReferralOutcome::ALL.iter().map(|o| get(&format!("ref_outcome.{}", o.code()))).collect();
        let kinds: Vec<u64> = SupportKind::ALL.iter().map(|k| get(&format!("sr_kind.{}", k.code()))).collect();
        let statuses: Vec<u64> = SupportStatus::ALL.iter().map(|s| get(&format!("sr_status.{}", s.code()))).collect();
        let days: BTreeMap<u64, u64> = c
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("ttm.")?.parse::<u64>().ok()?, u64::try_from(*v).ok()?)))
            .filter(|(_, n)| *n > 0)
            .collect();
        counts.push(get("posted"));
        counts.push(get("in_time"));
        counts.push(days.values().sum());
        counts.push(rungs.iter().sum());
        counts.extend(&rungs);
        counts.push(get("completed"));
        counts.push(reasons.iter().sum());
        counts.extend(&reasons);
        counts.push(get("no_show"));
        counts.push(states.iter().sum());
        counts.extend(&states);
        counts.push(stale);
        counts.push(outcomes.iter().sum());
        counts.extend(&outcomes);
        counts.push(kinds.iter().sum());
        counts.extend(&kinds);
        counts.extend(&statuses);
        let mut score_sums = [0; THEMES];
        for t in ExperienceTheme::ALL {
            counts.push(get(&format!("exp.{}.n", t.code())));
            score_sums[t.index()] = get(&format!("exp.{}.sum", t.code()));
        }
        counts.push(get("members"));
        debug_assert_eq!(counts.len(), layout().counts.len());
        Self { counts, days, score_sums }
    }

    /// The sum of rows (a gemeente of its wijken).
    pub fn sum<'a>(rows: impl IntoIterator<Item = &'a Raw>) -> Self {
        let mut out = Self { counts: vec![0; layout().counts.len()], ..Self::default() };
        for r in rows {
            for (a, b) in out.counts.iter_mut().zip(&r.counts) {
                *a += b;
            }
            for (d, n) in &r.days {
                *out.days.entry(*d).or_insert(0) += n;
            }
            for (a, b) in out.score_sums.iter_mut().zip(&r.score_sums) {
                *a += b;
            }
        }
        out
    }
}

/// The median of a day histogram (the lower middle value for an even count); `None` when empty.
pub fn median(days: &BTreeMap<u64, u64>) -> Option<u64> {
    let n: u64 = days.values().sum();
    if n == 0 {
        return None;
    }
    let middle = (n - 1) / 2;
    let mut seen = 0;
    for (d, k) in days {
        seen += k;
        if seen > middle {
            return Some(*d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(in_time: bool, days: Option<u64>) -> Fact {
        Fact::Posted { in_time, days_to_first_match: days }
    }

    #[test]
    fn facts_add_up_to_counters() {
        let facts = vec![
            posted(true, Some(2)),
            posted(false, None),
            posted(true, Some(400)),
            Fact::HelpAccepted(1),
            Fact::HelpAccepted(1),
            Fact::MatchDeclined("too_far".into()),
            Fact::MatchDeclined("made_up".into()),
            Fact::ReferralMade { state: "sent".into(), day: 3 },
            Fact::ReferralMade { state: "accepted".into(), day: 3 },
            Fact::Answer([Some(4), None, Some(2), None, None, None]),
            Fact::Answer([Some(5), None, None, None, None, None]),
        ];
        let c = tally(&facts);
        assert_eq!(c["posted"], 3);
        assert_eq!(c["in_time"], 2);
        assert_eq!(c["ttm.2"], 1);
        assert_eq!(c[&format!("ttm.{MAX_DAYS}")], 1, "long waits are capped");
        assert_eq!(c["rung.neighbours"], 2);
        assert_eq!(c["declined.other"], 1, "an unknown reason counts as other");
        assert_eq!(c["ref_sent.3"], 1, "only referrals still sent are kept by day");
        assert_eq!((c["exp.listened.n"], c["exp.listened.sum"]), (2, 9));
        assert!(!c.contains_key("exp.fitted.n"));
    }

    #[test]
    fn raw_figures_follow_the_layout() {
        let month = Month::parse("2026-03").unwrap();
        let mut c = Counters::new();
        c.insert("rung.own_network".into(), 2);
        c.insert("rung.professional_service".into(), 3);
        c.insert("ref_state.sent".into(), 4);
        c.insert("ref_sent.1".into(), 1);
        c.insert("ref_sent.20".into(), 3);
        c.insert("ttm.1".into(), 2);
        c.insert("ttm.9".into(), 1);
        // On 27 March, 7 days after the 20th: both days are stale.
        let today = NaiveDate::from_ymd_opt(2026, 3, 27).unwrap();
        let r = Raw::of(&c, month, today);
        let at = |code: &str| r.counts[layout().counts.iter().position(|c| c == code).unwrap()];
        assert_eq!(at("help.accepted"), 5);
        assert_eq!(at("help.by_rung.professional_service.count"), 3);
        assert_eq!(at("referrals.made"), 4);
        assert_eq!(at("referrals.stale"), 4);
        assert_eq!(at("days_to_first_match.requests"), 3);
        // A day earlier the 20th is not stale yet.
        let r = Raw::of(&c, month, today.pred_opt().unwrap());
        assert_eq!(r.counts[positions().stale], 1);
        assert_eq!(median(&r.days), Some(1));
        assert_eq!(Raw::sum([&r, &r]).counts[positions().accepted], 10);
    }

    #[test]
    fn medians_of_histograms() {
        let h = |pairs: &[(u64, u64)]| pairs.iter().copied().collect::<BTreeMap<_, _>>();
        assert_eq!(median(&h(&[])), None);
        assert_eq!(median(&h(&[(4, 1)])), Some(4));
        assert_eq!(median(&h(&[(1, 1), (3, 1)])), Some(1));
        assert_eq!(median(&h(&[(1, 1), (3, 1), (10, 1)])), Some(3));
        assert_eq!(median(&h(&[(0, 5), (30, 4)])), Some(0));
    }

    #[test]
    fn every_count_has_its_figure_and_codes_are_unique() {
        let codes: std::collections::BTreeSet<&str> = indicators().iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes.len(), indicators().len());
        for c in &layout().counts {
            assert!(codes.contains(c.as_str()), "{c}");
        }
        assert!(codes.contains("help.informal_share"));
        assert_eq!(indicators().iter().filter(|i| i.unit == Unit::Score).count(), THEMES);
    }
}
