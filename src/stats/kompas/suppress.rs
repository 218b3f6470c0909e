//! k = 5 for the kompas. The grid is a wijk in a month; no figure adds up months, so periods
//! that overlap or are shifted by a month cannot be subtracted from each other.
//!
//! - Within a row each count is shown as [`counted`] says; a total that other counts of the
//!   row split (referrals by state, ...) follows [`partition_total`]; a count that takes part
//!   of another (requests helped in time of those posted) is hidden when the rest is 1 to 4.
//!   Shares, medians and means are shown only where the counts under them are.
//! - A gemeente's row adds up ALL its wijken, whichever a caller lists, so no query parameter
//!   changes what is suppressed; each of its counts follows [`partition_total_hidden`] against
//!   the wijken's parts, hidden where the wijk's row hides them.
//! - Professionals see each row with the rules above ([`Audience::Team`]); everyone else sees
//!   a row only when nothing in it is hidden, and otherwise nothing of it ([`Audience::Public`]).

use super::{INFORMAL_RUNGS, Raw, layout, median, positions};
use crate::stats::{K, MEAN_DECIMALS, Shown, counted, partition_total, rounded};

/// Who reads the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The gemeente's professionals and admins: each count on its own.
    Team,
    /// Everyone else: a row whole or not at all.
    Public,
}

fn small(n: u64) -> bool {
    counted(n).is_suppressed()
}

/// Whether a total may be shown next to its parts, where `parts` says of each part its value
/// and whether it is hidden (small in its own row, hidden there by another rule, or in a row
/// not shown at all). Like [`partition_total`], the parts must add up to the total.
///
/// The total minus the shown parts is the sum of the hidden ones. It must not be 1 to 4, and
/// it must not pin a part down: one hidden part is given away by it (unless it is 0, which
/// singles out nobody), and where every hidden part is 1 to 4 the rule of
/// [`partition_total`] applies (all of them 1, or all of them 4, would be found). Hidden parts
/// that may be 0 or any number from 5 up leave each other open.
pub fn partition_total_hidden(total: u64, parts: &[(u64, bool)]) -> Shown<u64> {
    if parts.iter().try_fold(0u64, |acc, (p, _)| acc.checked_add(*p)) != Some(total) || small(total) {
        return Shown::Suppressed;
    }
    let hidden: Vec<u64> = parts.iter().filter(|(_, h)| *h).map(|(p, _)| *p).collect();
    let rest: u64 = hidden.iter().sum();
    if hidden.is_empty() || rest == 0 {
        return Shown::Value(total);
    }
    if hidden.len() < 2 || small(rest) {
        return Shown::Suppressed;
    }
    if hidden.iter().all(|p| small(*p)) {
        let values: Vec<u64> = parts.iter().map(|(p, _)| *p).collect();
        return partition_total(total, &values);
    }
    Shown::Value(total)
}

/// A row as shown: each count's fate (by [`super::Layout`] position) and every figure in
/// [`super::indicators`] order (`Value(None)`: nothing to show, such as a share of none).
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// Whether each count is shown.
    pub shown: Vec<bool>,
    /// Every figure.
    pub figures: Vec<Shown<Option<f64>>>,
}

impl Judged {
    /// Whether nothing in the row is hidden.
    pub fn whole(&self) -> bool {
        self.shown.iter().all(|s| *s) && self.figures.iter().all(|f| !f.is_suppressed())
    }

    /// A row of which nothing is shown.
    pub fn hidden() -> Self {
        Self { shown: vec![false; layout().counts.len()], figures: vec![Shown::Suppressed; super::indicators().len()] }
    }
}

fn share(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| rounded(num as f64 / den as f64, 4))
}

/// The team's view of a row; `forced[i]` hides count `i` whatever its value (a gemeente's
/// total that its wijken's parts would give away).
pub fn judge(raw: &Raw, forced: &[bool]) -> Judged {
    let l = layout();
    let v = &raw.counts;
    let mut shown: Vec<bool> = v.iter().enumerate().map(|(i, n)| !small(*n) && !forced.get(i).copied().unwrap_or(false)).collect();
    for (total, parts) in &l.partitions {
        let p: Vec<(u64, bool)> = parts.iter().map(|i| (v[*i], !shown[*i])).collect();
        if shown[*total] && partition_total_hidden(v[*total], &p).is_suppressed() {
            shown[*total] = false;
        }
    }
    for (sub, of) in &l.subsets {
        if shown[*sub] && shown[*of] && small(v[*of].saturating_sub(v[*sub])) {
            shown[*sub] = false;
        }
    }
    let pos = positions();
    let count_figure = |i: usize| if shown[i] { Shown::Value(Some(v[i] as f64)) } else { Shown::Suppressed };
    let mut figures = Vec::with_capacity(super::indicators().len());
    let mut next_count = 0;
    for ind in super::indicators() {
        let code = ind.code.as_str();
        let figure = if ind.unit == super::Unit::Count {
            let i = next_count;
            next_count += 1;
            count_figure(i)
        } else if code == "within_14_days.share" {
            if shown[pos.in_time] && shown[pos.posted] { Shown::Value(share(v[pos.in_time], v[pos.posted])) } else { Shown::Suppressed }
        } else if code == "days_to_first_match.median" {
            if shown[pos.matched] { Shown::Value(median(&raw.days).map(|d| d as f64)) } else { Shown::Suppressed }
        } else if code == "help.informal_share" {
            let (a, rungs) = (v[pos.accepted], &pos.rungs);
            let informal: Vec<(u64, bool)> = rungs[..INFORMAL_RUNGS].iter().map(|i| (v[*i], !shown[*i])).collect();
            let formal: Vec<(u64, bool)> = rungs[INFORMAL_RUNGS..].iter().map(|i| (v[*i], !shown[*i])).collect();
            let i_sum: u64 = informal.iter().map(|p| p.0).sum();
            let ok = shown[pos.accepted]
                && !partition_total_hidden(i_sum, &informal).is_suppressed()
                && !partition_total_hidden(a - i_sum.min(a), &formal).is_suppressed();
            if ok { Shown::Value(share(i_sum, a)) } else { Shown::Suppressed }
        } else if let Some(r) = code.strip_prefix("help.by_rung.").and_then(|r| r.strip_suffix(".share")) {
            let i = pos.rungs[super::RUNGS.iter().position(|x| *x == r).unwrap_or(0)];
            let a = v[pos.accepted];
            if shown[i] && shown[pos.accepted] && !small(a - v[i].min(a)) { Shown::Value(share(v[i], a)) } else { Shown::Suppressed }
        } else if let Some(t) = code.strip_prefix("experience.").and_then(|t| t.strip_suffix(".mean")) {
            let k = crate::domain::ExperienceTheme::from_code(t).map_or(0, |t| t.index());
            let n = v[pos.answers[k]];
            if shown[pos.answers[k]] {
                Shown::Value((n > 0).then(|| rounded(raw.score_sums[k] as f64 / n as f64, MEAN_DECIMALS)))
            } else {
                Shown::Suppressed
            }
        } else {
            Shown::Suppressed
        };
        figures.push(figure);
    }
    Judged { shown, figures }
}

/// The rows of one month as `audience` sees them: each wijk of the gemeente (all of them,
/// listed or not) and the gemeente as their sum.
pub fn month(wijken: &[Raw], audience: Audience) -> (Vec<Judged>, Judged) {
    let rows: Vec<Judged> = wijken
        .iter()
        .map(|r| {
            let j = judge(r, &[]);
            if audience == Audience::Public && !j.whole() { Judged::hidden() } else { j }
        })
        .collect();
    let total = Raw::sum(wijken);
    let forced: Vec<bool> = (0..layout().counts.len())
        .map(|i| {
            let parts: Vec<(u64, bool)> = wijken.iter().zip(&rows).map(|(r, j)| (r.counts[i], !j.shown[i])).collect();
            // The team sees the rest of a wijk's row, which bounds a count it hides for another
            // reason than its own size (8 helped in time of 9 posted is hidden for the 1 left
            // over, and so lies between 5 and 8): the gemeente's sum would pin such counts
            // down. Only counts hidden for being 1 to 4 leave each other open, as
            // `partition_total` proves. The public sees no part of a hidden row, so for it
            // every hidden part may be 0, 1 to 4 or 5 and up.
            let bounded = audience == Audience::Team && parts.iter().any(|(p, hidden)| *hidden && !small(*p));
            bounded || partition_total_hidden(total.counts[i], &parts).is_suppressed()
        })
        .collect();
    let g = judge(&total, &forced);
    let g = if audience == Audience::Public && !g.whole() { Judged::hidden() } else { g };
    (rows, g)
}

/// The smallest group a shown count may be: re-exported for the rows' documentation.
pub const SMALLEST: u64 = K;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::stats::kompas::{Counters, Fact, indicators, tally};

    fn figure(j: &Judged, code: &str) -> Shown<Option<f64>> {
        j.figures[indicators().iter().position(|i| i.code == code).unwrap()]
    }

    fn requests(n: usize, in_time: usize) -> Raw {
        let facts: Vec<Fact> = (0..n).map(|i| Fact::Posted { in_time: i < in_time, days_to_first_match: None }).collect();
        let month = crate::domain::experience::Month::parse("2026-01").unwrap();
        Raw::of(&tally(&facts), month, chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap())
    }

    #[test]
    fn one_four_and_five_requests() {
        for (n, shown) in [(0, true), (1, false), (4, false), (5, true)] {
            let j = judge(&requests(n, 0), &[]);
            assert_eq!(!figure(&j, "requests_posted").is_suppressed(), shown, "{n}");
            let (rows, _) = month(&[requests(n, 0)], Audience::Public);
            assert_eq!(rows[0].whole(), shown, "the public sees a row of {n} only when nothing is hidden");
        }
        assert_eq!(figure(&judge(&requests(0, 0), &[]), "within_14_days.share"), Shown::Value(None), "a share of none");
    }

    #[test]
    fn the_team_cannot_subtract_a_count_hidden_for_its_rest() {
        // In wijken A and C 8 of 9 requests were helped in time: hidden, as 1 was not. Wijk B
        // helped none of its 10 in time. A gemeente total of 16 would show 8 and 8, and so
        // the one request in each that was not helped in time.
        let (rows, g) = month(&[requests(9, 8), requests(10, 0), requests(9, 8)], Audience::Team);
        assert!(figure(&rows[0], "within_14_days.count").is_suppressed());
        assert_eq!(figure(&rows[1], "within_14_days.count"), Shown::Value(Some(0.0)));
        assert!(figure(&g, "within_14_days.count").is_suppressed(), "the gemeente's sum pins the hidden counts down");
        assert_eq!(figure(&g, "requests_posted"), Shown::Value(Some(28.0)));
        // Counts hidden for being small leave each other open: 3 and 3 of 6 possible pairs.
        let (_, g) = month(&[requests(3, 0), requests(10, 0), requests(3, 0)], Audience::Team);
        assert_eq!(figure(&g, "requests_posted"), Shown::Value(Some(16.0)));
    }

    #[test]
    fn a_share_hides_a_small_rest() {
        // 9 posted, 5 in time: the 4 that were not would follow from the share.
        let j = judge(&requests(9, 5), &[]);
        assert_eq!(figure(&j, "requests_posted"), Shown::Value(Some(9.0)));
        assert!(figure(&j, "within_14_days.count").is_suppressed());
        assert!(figure(&j, "within_14_days.share").is_suppressed());
        let j = judge(&requests(10, 5), &[]);
        assert_eq!(figure(&j, "within_14_days.share"), Shown::Value(Some(0.5)));
        assert!(!j.whole() || j.shown.iter().all(|s| *s));
    }

    #[test]
    fn a_gemeente_total_does_not_give_a_wijk_away() {
        // Wijken of 5 and 3 requests: the gemeente's 8 minus 5 is the 3.
        let (rows, g) = month(&[requests(5, 0), requests(3, 0)], Audience::Team);
        assert!(figure(&rows[1], "requests_posted").is_suppressed());
        assert!(figure(&g, "requests_posted").is_suppressed());
        // 5, 3 and 3: the 6 left leaves each of the two open.
        let (_, g) = month(&[requests(5, 0), requests(3, 0), requests(3, 0)], Audience::Team);
        assert_eq!(figure(&g, "requests_posted"), Shown::Value(Some(11.0)));
    }

    #[test]
    fn the_public_sees_whole_rows_only() {
        let mut c = Counters::new();
        c.insert("posted".into(), 6);
        c.insert("rung.neighbours".into(), 2);
        let m = crate::domain::experience::Month::parse("2026-01").unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let raw = Raw::of(&c, m, today);
        let (team, _) = month(std::slice::from_ref(&raw), Audience::Team);
        assert_eq!(figure(&team[0], "requests_posted"), Shown::Value(Some(6.0)));
        let (public, g) = month(&[raw], Audience::Public);
        assert!(public[0].figures.iter().all(|f| f.is_suppressed()));
        assert!(g.figures.iter().all(|f| f.is_suppressed()), "one wijk: the gemeente would be that wijk");
    }

    /// Every value each hidden part could have, given the shown parts and, when shown, the
    /// total. A viewer who sees only that parts are hidden knows each is 0 or more; where
    /// every hidden part is 1 to 4, they may know that too (the rule of `partition_total`).
    fn candidates(parts: &[(u64, bool)], total: Shown<u64>) -> Vec<BTreeSet<u64>> {
        let hidden: Vec<u64> = parts.iter().filter(|p| p.1).map(|p| p.0).collect();
        let rest: u64 = hidden.iter().sum();
        let all_small = hidden.iter().all(|p| small(*p));
        let allowed: Vec<u64> = if all_small { (1..K).collect() } else { (0..=rest).collect() };
        let Shown::Value(_) = total else {
            return hidden.iter().map(|_| allowed.iter().copied().collect()).collect();
        };
        (0..hidden.len())
            .map(|i| {
                // The sums the other hidden parts can make, up to `rest`.
                let mut reach = vec![false; rest as usize + 1];
                reach[0] = true;
                for _ in (0..hidden.len()).filter(|j| *j != i) {
                    let mut next = vec![false; rest as usize + 1];
                    for s in (0..reach.len()).filter(|s| reach[*s]) {
                        for v in &allowed {
                            if s as u64 + v <= rest {
                                next[s + *v as usize] = true;
                            }
                        }
                    }
                    reach = next;
                }
                allowed.iter().copied().filter(|v| *v <= rest && reach[(rest - v) as usize]).collect()
            })
            .collect()
    }

    proptest! {
        /// Where only the small parts are hidden, the generalised rule is the plain one.
        #[test]
        fn small_hidden_parts_follow_partition_total(parts in proptest::collection::vec(0u64..12, 0..6)) {
            let total: u64 = parts.iter().sum();
            let flagged: Vec<(u64, bool)> = parts.iter().map(|p| (*p, small(*p))).collect();
            prop_assert_eq!(partition_total_hidden(total, &flagged), partition_total(total, &parts));
        }

        /// Whichever parts are hidden, a shown total never pins one down: each keeps at least
        /// two possible values, and the hidden parts never add up to 1 to 4.
        #[test]
        fn hidden_parts_stay_open(parts in proptest::collection::vec((0u64..15, any::<bool>()), 0..5)) {
            let total: u64 = parts.iter().map(|p| p.0).sum();
            let parts: Vec<(u64, bool)> = parts.iter().map(|(v, h)| (*v, *h || small(*v))).collect();
            let shown = partition_total_hidden(total, &parts);
            if let Shown::Value(t) = shown {
                prop_assert_eq!(t, total);
                let rest: u64 = parts.iter().filter(|p| p.1).map(|p| p.0).sum();
                prop_assert!(!small(rest));
                if rest > 0 {
                    for (i, possible) in candidates(&parts, shown).iter().enumerate() {
                        prop_assert!(possible.len() >= 2, "hidden part {} of {:?} can only be {:?}", i, parts, possible);
                    }
                }
            }
        }

        /// No figure of one month's answer gives a hidden count of a wijk away: a gemeente
        /// count is shown only where the wijken's hidden parts stay open, and the public sees
        /// rows whole or not at all.
        #[test]
        fn no_small_count_is_shown(cells in proptest::collection::vec(proptest::collection::vec(0u64..9, 4), 1..5), public in any::<bool>()) {
            let m = crate::domain::experience::Month::parse("2026-01").unwrap();
            let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
            let raws: Vec<Raw> = cells.iter().map(|c| {
                let mut k = Counters::new();
                k.insert("posted".into(), (c[0] + c[1]) as i64);
                k.insert("in_time".into(), c[1] as i64);
                k.insert("rung.neighbours".into(), c[2] as i64);
                k.insert("rung.volunteer_organisation".into(), c[3] as i64);
                Raw::of(&k, m, today)
            }).collect();
            let audience = if public { Audience::Public } else { Audience::Team };
            let (rows, g) = month(&raws, audience);
            for j in rows.iter().chain(std::iter::once(&g)) {
                for (f, ind) in j.figures.iter().zip(indicators()) {
                    if let (Shown::Value(Some(v)), super::super::Unit::Count) = (f, ind.unit) {
                        prop_assert!(!small(*v as u64), "{} shown as {}", ind.code, v);
                    }
                }
                if public {
                    prop_assert!(j.whole() || j.figures.iter().all(|f| f.is_suppressed()));
                }
            }
            let pos = positions();
            for i in [pos.posted, pos.accepted] {
                if g.shown[i] {
                    let parts: Vec<(u64, bool)> = raws.iter().zip(&rows).map(|(r, j)| (r.counts[i], !j.shown[i])).collect();
                    let rest: u64 = parts.iter().filter(|p| p.1).map(|p| p.0).sum();
                    if rest > 0 {
                        for possible in candidates(&parts, Shown::Value(Raw::sum(&raws).counts[i])) {
                            prop_assert!(possible.len() >= 2);
                        }
                    }
                }
            }
        }
    }
}
