//! Small numbers (k = 5): what of a count over people may be shown to anyone but those people.
//!
//! The rule (docs/wijkteam.md, section 6): a count of 1 to 4 is not shown (it is marked
//! suppressed), and a total is not given where subtracting shown counts would reveal a
//! suppressed one. A count of 0 is shown: it singles out nobody. Statistics Netherlands
//! publishes its 100 m squares only from 5 inhabitants, in the same spirit.
//!
//! Plain Rust, no web and no database, so that every report (the residents' experience, the
//! kaart, the kompas) decides with the same functions:
//! - [`counted`] for one count on its own;
//! - [`Tally`] and [`averaged`] for a mean with its count (a mean over fewer than 5 people is
//!   as telling as their answers);
//! - [`partition_total`] for a total over parts that split it (every item in exactly one);
//! - [`subsets_total`] for a total over counts that each take some of it (an answer that
//!   scores several themes is in several), where what is left out of each is a count too.
//!
//! Each function guards one table. Two tables that overlap (a gemeente and its wijken, two
//! periods that share months) can still be subtracted from each other; callers that publish
//! such pairs must keep that in mind.

pub mod kaart;

/// The smallest group of people a shown number may count.
pub const K: u64 = 5;

/// How many decimals a shown mean keeps.
pub const MEAN_DECIMALS: i32 = 2;

/// A number as shown to someone other than the people it counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown<T> {
    /// It may be shown.
    Value(T),
    /// It is not shown: it counts 1 to `K - 1` people, or shown numbers would give it away.
    Suppressed,
}

impl<T> Shown<T> {
    /// The value, unless suppressed.
    pub fn value(self) -> Option<T> {
        match self {
            Self::Value(v) => Some(v),
            Self::Suppressed => None,
        }
    }

    /// Whether it is suppressed.
    pub fn is_suppressed(&self) -> bool {
        matches!(self, Self::Suppressed)
    }

    /// The shown value turned by `f`; suppressed stays suppressed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Shown<U> {
        match self {
            Self::Value(v) => Shown::Value(f(v)),
            Self::Suppressed => Shown::Suppressed,
        }
    }
}

/// Whether a count of people may stand on its own: from `K` up, or 0; never 1 to `K - 1`.
pub fn counted(n: u64) -> Shown<u64> {
    if n == 0 || n >= K { Shown::Value(n) } else { Shown::Suppressed }
}

/// Whether `n` would be hidden if shown on its own.
fn small(n: u64) -> bool {
    counted(n).is_suppressed()
}

/// Scores on one scale: how many people gave one, and their sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many scores.
    pub count: u64,
    /// Their sum.
    pub sum: u64,
}

impl Tally {
    /// Counts one more score.
    pub fn add(&mut self, score: u64) {
        self.count += 1;
        self.sum += score;
    }
}

/// A mean with its count, as shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Averaged {
    /// How many scores: shown as [`counted`] says.
    pub count: Shown<u64>,
    /// Their mean, to [`MEAN_DECIMALS`] decimals; none when the count is 0 or suppressed.
    pub mean: Option<f64>,
}

impl Averaged {
    /// Whether count and mean are suppressed.
    pub fn is_suppressed(&self) -> bool {
        self.count.is_suppressed()
    }
}

/// The mean of a tally with its count; both hidden when the count is 1 to `K - 1`, since a
/// mean over so few says what each of them answered.
pub fn averaged(t: Tally) -> Averaged {
    match counted(t.count) {
        Shown::Value(n) if n > 0 => Averaged { count: Shown::Value(n), mean: Some(rounded(t.sum as f64 / n as f64, MEAN_DECIMALS)) },
        count => Averaged { count, mean: None },
    }
}

/// `x` rounded half away from zero to `decimals` decimals.
pub fn rounded(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// Whether the total of `parts` may be shown next to the parts, each shown as [`counted`]
/// says. `parts` must split `total` (every item in exactly one part); otherwise the total is
/// suppressed, the safe answer.
///
/// Subtracting the shown parts from the total leaves the sum of the suppressed ones. With one
/// suppressed part that is the part itself. With several, the sum is a count of people of its
/// own (not shown below `K`), and it must leave every part open: all of them 1, or all of them
/// `K - 1`, would be given away by the sum alone.
pub fn partition_total(total: u64, parts: &[u64]) -> Shown<u64> {
    if parts.iter().try_fold(0u64, |acc, p| acc.checked_add(*p)) != Some(total) || small(total) {
        return Shown::Suppressed;
    }
    let hidden: Vec<u64> = parts.iter().copied().filter(|p| small(*p)).collect();
    if hidden.is_empty() {
        return Shown::Value(total);
    }
    let m = hidden.len() as u64;
    let rest: u64 = hidden.iter().sum();
    if m >= 2 && rest >= K && rest > m && rest < (K - 1) * m { Shown::Value(total) } else { Shown::Suppressed }
}

/// Whether a total may be shown next to counts that each take a subset of it (an item may be
/// in several subsets or in none), each shown as [`counted`] says. A subset larger than the
/// total suppresses it, the safe answer.
///
/// What a shown subset leaves out (the total minus that subset: the answers that skipped a
/// theme) is a count of people too, found by one subtraction; it must be 0 or at least `K`.
/// A suppressed subset leaves `K - 1` possible values, so nothing exact follows from it.
pub fn subsets_total(total: u64, subsets: &[u64]) -> Shown<u64> {
    if small(total) || subsets.iter().any(|n| *n > total) {
        return Shown::Suppressed;
    }
    let gives_away = subsets.iter().any(|n| !small(*n) && small(total - n));
    if gives_away { Shown::Suppressed } else { Shown::Value(total) }
}

/// Adds up the cells of a fixed grid (a wijk in a month, say) that may be shown, leaving out
/// every cell of 1 to `K - 1` people. Figures of overlapping areas and periods are sums over
/// the same grid, so the difference of any two is again a sum of whole cells of none or at
/// least [`K`], and never pins down fewer than [`K`] people.
pub fn over_publishable_cells(cells: impl IntoIterator<Item = Tally>) -> Tally {
    cells.into_iter().filter(|c| !small(c.count)).fold(Tally::default(), |a, c| Tally { count: a.count + c.count, sum: a.sum + c.sum })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn one_four_and_five() {
        assert_eq!(counted(0), Shown::Value(0), "nobody is singled out by zero");
        assert_eq!(counted(1), Shown::Suppressed);
        assert_eq!(counted(4), Shown::Suppressed);
        assert_eq!(counted(5), Shown::Value(5));
        assert_eq!(counted(1_000), Shown::Value(1_000));
    }

    #[test]
    fn means_need_five_scores() {
        let tally = |scores: &[u64]| {
            let mut t = Tally::default();
            scores.iter().for_each(|s| t.add(*s));
            t
        };
        assert_eq!(averaged(tally(&[])), Averaged { count: Shown::Value(0), mean: None });
        assert_eq!(averaged(tally(&[5])), Averaged { count: Shown::Suppressed, mean: None });
        assert_eq!(averaged(tally(&[5, 4, 4, 1])), Averaged { count: Shown::Suppressed, mean: None });
        assert_eq!(averaged(tally(&[5, 4, 4, 1, 3])), Averaged { count: Shown::Value(5), mean: Some(3.4) });
        // 13 / 6 = 2.1666...
        assert_eq!(averaged(tally(&[1, 2, 2, 3, 3, 2])).mean, Some(2.17));
        assert!(averaged(tally(&[1])).is_suppressed());
    }

    #[test]
    fn a_partition_total_does_not_give_a_part_away() {
        assert_eq!(partition_total(0, &[0, 0]), Shown::Value(0));
        assert_eq!(partition_total(10, &[5, 5]), Shown::Value(10));
        // One small part: the total minus the shown one is that part.
        assert_eq!(partition_total(9, &[5, 4]), Shown::Suppressed);
        assert_eq!(partition_total(6, &[5, 1, 0]), Shown::Suppressed);
        // Two small parts of 3 + 3: the rest (6) leaves each of them 2, 3 or 4.
        assert_eq!(partition_total(11, &[5, 3, 3]), Shown::Value(11));
        // 4 + 4: the rest (8) can only be 4 + 4.
        assert_eq!(partition_total(13, &[5, 4, 4]), Shown::Suppressed);
        // 1 + 2: the rest (3) is a small group of its own.
        assert_eq!(partition_total(8, &[5, 1, 2]), Shown::Suppressed);
        // The total is a count of people too.
        assert_eq!(partition_total(3, &[3]), Shown::Suppressed);
        // Parts that do not add up: the safe answer.
        assert_eq!(partition_total(10, &[5, 6]), Shown::Suppressed);
        assert_eq!(partition_total(u64::MAX, &[u64::MAX, 1]), Shown::Suppressed);
    }

    #[test]
    fn a_subsets_total_does_not_give_a_complement_away() {
        assert_eq!(subsets_total(0, &[0, 0]), Shown::Value(0));
        assert_eq!(subsets_total(4, &[4, 0]), Shown::Suppressed, "four answers in all");
        assert_eq!(subsets_total(5, &[5, 5, 0]), Shown::Value(5));
        // Five scored this theme, one did not: showing 6 shows that one.
        assert_eq!(subsets_total(6, &[5, 0]), Shown::Suppressed);
        // A suppressed theme leaves the rest open.
        assert_eq!(subsets_total(6, &[2, 6]), Shown::Value(6));
        assert_eq!(subsets_total(10, &[5, 3]), Shown::Value(10));
        assert_eq!(subsets_total(5, &[6]), Shown::Suppressed);
    }

    /// Every value each suppressed part could have, given what is shown: the shown parts and,
    /// when shown, the total. Brute force over every combination.
    fn partition_candidates(parts: &[u64], total: Shown<u64>) -> Vec<BTreeSet<u64>> {
        let hidden: Vec<usize> = (0..parts.len()).filter(|i| small(parts[*i])).collect();
        let shown_sum: u64 = parts.iter().filter(|p| !small(**p)).sum();
        let mut out = vec![BTreeSet::new(); hidden.len()];
        let combos = (K - 1).pow(hidden.len() as u32);
        for mut c in 0..combos {
            let guess: Vec<u64> = hidden
                .iter()
                .map(|_| {
                    let v = c % (K - 1) + 1;
                    c /= K - 1;
                    v
                })
                .collect();
            let fits = match total {
                Shown::Value(t) => shown_sum + guess.iter().sum::<u64>() == t,
                Shown::Suppressed => true,
            };
            if fits {
                for (j, v) in guess.iter().enumerate() {
                    out[j].insert(*v);
                }
            }
        }
        out
    }

    proptest! {
        /// A count is shown exactly when it is 0 or at least K, and then as itself.
        #[test]
        fn counted_hides_exactly_one_to_four(n in 0u64..10_000) {
            match counted(n) {
                Shown::Value(v) => prop_assert!(v == n && (n == 0 || n >= K)),
                Shown::Suppressed => prop_assert!((1..K).contains(&n)),
            }
        }

        /// A mean is shown exactly when its count is, lies on the scale and is the rounded mean.
        #[test]
        fn means_stay_on_the_scale(scores in proptest::collection::vec(1u64..=5, 0..40)) {
            let mut t = Tally::default();
            scores.iter().for_each(|s| t.add(*s));
            let a = averaged(t);
            prop_assert_eq!(a.count, counted(scores.len() as u64));
            match a.mean {
                Some(m) => {
                    prop_assert!(scores.len() as u64 >= K);
                    prop_assert!((1.0..=5.0).contains(&m));
                    let exact = scores.iter().sum::<u64>() as f64 / scores.len() as f64;
                    prop_assert!((m - exact).abs() <= 0.005 + 1e-9);
                }
                None => prop_assert!(scores.is_empty() || (scores.len() as u64) < K),
            }
        }

        /// No shown number of a partition lets one derive a suppressed part: every suppressed
        /// part keeps at least two possible values, and the sum of the suppressed parts (the
        /// total minus the shown ones) is never a small group of its own.
        #[test]
        fn partition_totals_never_give_a_part_away(parts in proptest::collection::vec(0u64..12, 0..6)) {
            let total: u64 = parts.iter().sum();
            let shown = partition_total(total, &parts);
            if let Shown::Value(t) = shown {
                prop_assert_eq!(t, total);
                let rest: u64 = parts.iter().filter(|p| small(**p)).sum();
                prop_assert!(!small(rest), "the suppressed parts add up to {}", rest);
            }
            for (i, possible) in partition_candidates(&parts, shown).iter().enumerate() {
                prop_assert!(possible.len() >= 2, "suppressed part {} of {:?} can only be {:?}", i, parts, possible);
            }
        }

        /// No shown number of a subsets table lets one derive a small count: neither a
        /// suppressed subset (it keeps K - 1 possible values whatever the total) nor what a
        /// shown subset leaves out of a shown total.
        #[test]
        fn subsets_totals_never_give_a_count_away(total in 0u64..15, picks in proptest::collection::vec(0u64..16, 0..7)) {
            let subsets: Vec<u64> = picks.iter().map(|p| p % (total + 1)).collect();
            if let Shown::Value(t) = subsets_total(total, &subsets) {
                prop_assert_eq!(t, total);
                prop_assert!(!small(total));
                for n in subsets.iter().filter(|n| !small(**n)) {
                    prop_assert!(!small(total - n), "{} of {} left out {}", n, total, total - n);
                }
                for n in subsets.iter().filter(|n| small(**n)) {
                    // What a suppressed subset could be, given the shown total: 1 to K - 1,
                    // capped by the total.
                    let possible = (1..K).filter(|v| *v <= total).count();
                    prop_assert!(possible >= 2, "{} of {}", n, total);
                }
            }
        }

        /// Inconsistent input never shows a total.
        #[test]
        fn inconsistent_input_is_suppressed(total in 0u64..20, parts in proptest::collection::vec(0u64..12, 1..5)) {
            if parts.iter().sum::<u64>() != total {
                prop_assert_eq!(partition_total(total, &parts), Shown::Suppressed);
            }
            if parts.iter().any(|p| *p > total) {
                prop_assert_eq!(subsets_total(total, &parts), Shown::Suppressed);
            }
        }
    }
}

/// The kompas: counters per wijk and month, and what of them may be shown.
pub mod kompas;
