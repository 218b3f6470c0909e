//! What of a kaart may be shown (k = 5, see [`crate::stats`]).
//!
//! Every count here is over people (an initiative's offer is counted like a resident's: simpler
//! and safer), except the initiatives with places, which are public organisations. Per feature:
//! - a count is shown when it is 0 or at least [`K`];
//! - the unmet requests and the requests with a candidate are parts of the open requests: each
//!   is hidden also when what it leaves of them (open − part) is 1 to 4, which one subtraction
//!   would find; the candidate share follows the requests with a candidate;
//! - the gap only when every count in it is shown.
//!
//! For the area as a whole the open requests and offers are partitions of the features'
//! counts ([`partition_total`]); the unmet requests and those with a candidate are partitions
//! too, but their hidden parts may be hidden for what they leave, so they have a check of their
//! own ([`part_of_open_total`]); volunteers reach several features at once, so their total is
//! no partition and is checked against what the features' counts bound ([`reach_total`]).

use super::Counts;
use crate::stats::{K, Shown, counted, partition_total, rounded};

/// How many decimals a shown share keeps.
pub const SHARE_DECIMALS: i32 = 3;

/// A feature's (or the area's) counts as shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownCounts {
    /// Open requests.
    pub requests_open: Shown<u64>,
    /// Unmet requests.
    pub requests_unmet: Shown<u64>,
    /// Open requests with a candidate within 1.5 km.
    pub requests_with_candidate: Shown<u64>,
    /// Their share of the open requests; `None` without open requests.
    pub candidate_share: Shown<Option<f64>>,
    /// Open offers.
    pub offers_open: Shown<u64>,
    /// Volunteers reaching.
    pub volunteers_reaching: Shown<u64>,
    /// Initiatives with places left: organisations, never suppressed.
    pub initiatives_with_places: u64,
    /// Demand minus supply.
    pub gap: Shown<i64>,
}

fn small(n: u64) -> bool {
    counted(n).is_suppressed()
}

/// A part of the open requests of one feature, shown when neither it nor what it leaves of
/// them is 1 to 4.
fn part_of_open(part: u64, open: u64) -> Shown<u64> {
    if small(part) || small(open.saturating_sub(part)) || part > open { Shown::Suppressed } else { Shown::Value(part) }
}

fn gap_of(open: Shown<u64>, offers: Shown<u64>, volunteers: Shown<u64>, initiatives: u64) -> Shown<i64> {
    match (open, offers, volunteers) {
        (Shown::Value(r), Shown::Value(o), Shown::Value(v)) => {
            let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            Shown::Value(signed(r).saturating_sub(signed(o)).saturating_sub(signed(v)).saturating_sub(signed(initiatives)))
        }
        _ => Shown::Suppressed,
    }
}

fn share_of(part: Shown<u64>, open: Shown<u64>) -> Shown<Option<f64>> {
    match (part, open) {
        (Shown::Value(p), Shown::Value(o)) => Shown::Value((o > 0).then(|| rounded(p as f64 / o as f64, SHARE_DECIMALS))),
        _ => Shown::Suppressed,
    }
}

fn feature(c: &Counts) -> ShownCounts {
    let requests_open = counted(c.requests_open);
    let requests_with_candidate = part_of_open(c.requests_with_candidate, c.requests_open);
    let offers_open = counted(c.offers_open);
    let volunteers_reaching = counted(c.volunteers_reaching);
    ShownCounts {
        requests_open,
        requests_unmet: part_of_open(c.requests_unmet, c.requests_open),
        requests_with_candidate,
        candidate_share: share_of(requests_with_candidate, requests_open),
        offers_open,
        volunteers_reaching,
        initiatives_with_places: c.initiatives_with_places,
        gap: gap_of(requests_open, offers_open, volunteers_reaching, c.initiatives_with_places),
    }
}

/// The area's total of a part of the open requests (unmet, with a candidate), next to the
/// features' shown parts.
///
/// Subtracting the shown parts from the total leaves the sum of the hidden ones. It is shown
/// only when the open total is, when neither it nor what it leaves of the open total is 1 to
/// 4, and when the hidden parts keep at least two values each under that sum. A hidden part
/// is 0 to 4 where the feature's open requests are hidden, 1 to 4 where they are shown and the
/// part is small, and (open − 4) to (open − 1) where what it leaves is small: the last kind
/// could be pinned down by the sum and so withholds the total.
pub fn part_of_open_total(total: u64, open_total: Shown<u64>, parts: &[(u64, u64)]) -> Shown<u64> {
    let Shown::Value(open) = open_total else { return Shown::Suppressed };
    if part_of_open(total, open).is_suppressed() || parts.iter().map(|(p, _)| *p).sum::<u64>() != total {
        return Shown::Suppressed;
    }
    // (lowest, highest) value each hidden part could take.
    let mut hidden: Vec<(u64, u64, u64)> = Vec::new();
    for (part, open) in parts {
        if !part_of_open(*part, *open).is_suppressed() {
            continue;
        }
        if *part >= K {
            return Shown::Suppressed;
        }
        let lo = if small(*open) { 0 } else { 1 };
        hidden.push((*part, lo, K - 1));
    }
    if interval_parts_stay_open(&hidden) { Shown::Value(total) } else { Shown::Suppressed }
}

/// Whether, knowing only the sum of hidden parts (each `(value, lowest, highest)`), every
/// part keeps at least two possible values, and the sum is no small group of its own.
fn interval_parts_stay_open(hidden: &[(u64, u64, u64)]) -> bool {
    if hidden.is_empty() {
        return true;
    }
    let sum: u64 = hidden.iter().map(|h| h.0).sum();
    if hidden.len() < 2 || sum < K {
        return false;
    }
    let (lo_all, hi_all): (u64, u64) = hidden.iter().fold((0, 0), |(a, b), h| (a + h.1, b + h.2));
    hidden.iter().all(|(_, lo, hi)| {
        let (others_lo, others_hi) = (lo_all - lo, hi_all - hi);
        (*lo..=*hi).filter(|v| sum >= *v && (others_lo..=others_hi).contains(&(sum - v))).count() >= 2
    })
}

/// The area's count of volunteers (each once, however many features they reach), next to the
/// features' shown counts. Not a partition: it is at least the largest feature's count and at
/// most their sum. With hidden features (1 to 4 each), the total minus the shown counts is a
/// floor for the hidden ones together; it is shown only while that floor leaves each hidden
/// feature at least three values, so that neither showing nor holding it back pins one down.
pub fn reach_total(total: u64, parts: &[u64]) -> Shown<u64> {
    if small(total) || parts.iter().any(|p| *p > total) || parts.iter().sum::<u64>() < total {
        return Shown::Suppressed;
    }
    let shown: u64 = parts.iter().filter(|p| !small(**p)).sum();
    let m = parts.iter().filter(|p| small(**p)).count() as u64;
    let floor = total.saturating_sub(shown);
    // Each hidden part is at least floor − (K − 1)(m − 1): at K − 1 it would be pinned. The
    // total is held back from one below that, so that holding it back leaves each hidden part
    // two values (K − 2 or K − 1) instead of telling that all are K − 1.
    if m > 0 && floor + 1 >= (K - 1) * m {
        return Shown::Suppressed;
    }
    Shown::Value(total)
}

/// Every feature's counts as shown, and the area's.
pub fn shown(features: &[Counts], total: &Counts) -> (Vec<ShownCounts>, ShownCounts) {
    let each: Vec<ShownCounts> = features.iter().map(feature).collect();
    let open: Vec<u64> = features.iter().map(|c| c.requests_open).collect();
    let requests_open = partition_total(total.requests_open, &open);
    let pairs = |f: fn(&Counts) -> u64| features.iter().map(|c| (f(c), c.requests_open)).collect::<Vec<_>>();
    let requests_unmet = part_of_open_total(total.requests_unmet, requests_open, &pairs(|c| c.requests_unmet));
    let requests_with_candidate = part_of_open_total(total.requests_with_candidate, requests_open, &pairs(|c| c.requests_with_candidate));
    let offers_open = partition_total(total.offers_open, &features.iter().map(|c| c.offers_open).collect::<Vec<_>>());
    let volunteers_reaching = reach_total(total.volunteers_reaching, &features.iter().map(|c| c.volunteers_reaching).collect::<Vec<_>>());
    let area = ShownCounts {
        requests_open,
        requests_unmet,
        requests_with_candidate,
        candidate_share: share_of(requests_with_candidate, requests_open),
        offers_open,
        volunteers_reaching,
        initiatives_with_places: total.initiatives_with_places,
        gap: gap_of(requests_open, offers_open, volunteers_reaching, total.initiatives_with_places),
    };
    (each, area)
}
