use std::collections::BTreeSet;

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::shown::{part_of_open_total, reach_total};
use super::*;
use crate::stats::{Shown, partition_total};

fn counts(ro: u64, ru: u64, rc: u64, oo: u64, vr: u64, ip: u64) -> Counts {
    Counts {
        requests_open: ro,
        requests_unmet: ru,
        requests_with_candidate: rc,
        offers_open: oo,
        volunteers_reaching: vr,
        initiatives_with_places: ip,
    }
}

fn one_feature(c: Counts) -> (ShownCounts, ShownCounts) {
    let (f, t) = shown(&[c], &c);
    (f[0], t)
}

#[test]
fn one_person_is_never_shown() {
    let (f, t) = one_feature(counts(1, 1, 1, 1, 1, 1));
    for s in [f, t] {
        assert!(s.requests_open.is_suppressed());
        assert!(s.requests_unmet.is_suppressed());
        assert!(s.requests_with_candidate.is_suppressed());
        assert!(s.candidate_share.is_suppressed());
        assert!(s.offers_open.is_suppressed());
        assert!(s.volunteers_reaching.is_suppressed());
        assert!(s.gap.is_suppressed());
        assert_eq!(s.initiatives_with_places, 1, "an initiative is an organisation, not a person");
    }
}

#[test]
fn four_people_are_never_shown() {
    let (f, t) = one_feature(counts(4, 0, 4, 4, 4, 0));
    for s in [f, t] {
        assert!(s.requests_open.is_suppressed());
        // 0 unmet of 4 open would show that all 4 were helped: the 4 are the count.
        assert!(s.requests_unmet.is_suppressed());
        assert!(s.requests_with_candidate.is_suppressed());
        assert!(s.offers_open.is_suppressed());
        assert!(s.volunteers_reaching.is_suppressed());
        assert!(s.gap.is_suppressed());
    }
}

#[test]
fn five_people_are_shown() {
    let (f, t) = one_feature(counts(5, 5, 0, 5, 5, 2));
    for s in [f, t] {
        assert_eq!(s.requests_open, Shown::Value(5));
        assert_eq!(s.requests_unmet, Shown::Value(5));
        assert_eq!(s.requests_with_candidate, Shown::Value(0));
        assert_eq!(s.candidate_share, Shown::Value(Some(0.0)));
        assert_eq!(s.offers_open, Shown::Value(5));
        assert_eq!(s.volunteers_reaching, Shown::Value(5));
        assert_eq!(s.gap, Shown::Value(5 - 5 - 5 - 2));
    }
    // Four of five unmet leaves one helped: hidden, as is one of five.
    let (f, _) = one_feature(counts(5, 4, 1, 0, 0, 0));
    assert!(f.requests_unmet.is_suppressed());
    assert!(f.requests_with_candidate.is_suppressed());
    assert!(f.candidate_share.is_suppressed());
    assert_eq!(f.requests_open, Shown::Value(5));
    assert_eq!(f.gap, Shown::Value(5));
    // Nothing at all: zeros, and no share of nothing.
    let (f, _) = one_feature(Counts::default());
    assert_eq!(f.requests_open, Shown::Value(0));
    assert_eq!(f.candidate_share, Shown::Value(None));
}

#[test]
fn totals_do_not_give_a_feature_away() {
    // 5 open here and 1 there: the total 6 minus 5 would be the 1.
    let (_, t) = shown(&[counts(5, 0, 0, 0, 0, 0), counts(1, 0, 0, 0, 0, 0)], &counts(6, 0, 0, 0, 0, 0));
    assert!(t.requests_open.is_suppressed());
    // Volunteers: 4 and 4 hidden, 8 in all: both must be 4.
    assert_eq!(reach_total(8, &[4, 4]), Shown::Suppressed);
    assert_eq!(reach_total(7, &[4, 4]), Shown::Suppressed, "held back for 7 too, or holding back 8 would tell");
    assert_eq!(reach_total(6, &[4, 4]), Shown::Value(6));
    assert_eq!(reach_total(9, &[4, 5]), Shown::Suppressed);
    assert_eq!(reach_total(8, &[4, 5]), Shown::Suppressed);
    assert_eq!(reach_total(7, &[4, 5]), Shown::Value(7));
    // 1 of 5 unmet here, 7 of 12 there: 8 unmet in all would give the 1 away.
    let (_, t) = shown(&[counts(5, 1, 1, 0, 0, 0), counts(12, 7, 7, 0, 0, 0)], &counts(17, 8, 8, 0, 0, 0));
    assert!(t.requests_unmet.is_suppressed() && t.requests_with_candidate.is_suppressed());
    assert_eq!(t.requests_open, Shown::Value(17));
    // An unmet part hidden for what it leaves (6 of 7) cannot be left to the sum.
    assert_eq!(part_of_open_total(11, Shown::Value(12), &[(6, 7), (5, 5)]), Shown::Suppressed);
}

#[test]
fn unmet_after_fourteen_days_without_help() {
    let now = Utc.with_ymd_and_hms(2026, 12, 15, 12, 0, 0).unwrap();
    let old = now - Duration::days(UNMET_AFTER_DAYS);
    assert!(is_unmet(old, None, now));
    assert!(!is_unmet(old + Duration::seconds(1), None, now));
    assert!(!is_unmet(old, Some(now - Duration::days(1)), now), "helped once is met, whatever came after");
    assert!(is_unmet(old, Some(now + Duration::days(1)), now), "help that comes later has not come yet");
}

fn at(lat: f64, lng: f64) -> Coordinates {
    Coordinates::parse(lat, lng).unwrap()
}

fn storage(lat: f64, lng: f64) -> CellIndex {
    at(lat, lng).cell(Resolution::Nine)
}

fn tags(categories: &[ActivityCategory]) -> Tags {
    Tags::of(categories, &[])
}

#[test]
fn candidates_must_be_near_and_fit() {
    use ActivityCategory as A;
    let here = storage(52.4376, 4.8476);
    let grouping = Grouping::Cells { resolution: Resolution::Seven, area_cells: vec![] };
    let request = |c: &[A]| Request { spot: Spot { cell: here, wijk: None }, tags: tags(c), unmet: false };
    let offer_at = |lat: f64, c: &[A]| {
        let cell = storage(lat, 4.8476);
        Supply { spot: Some(Spot { cell, wijk: None }), at: centre(cell), tags: tags(c) }
    };
    let near = 52.4376 + 1_000.0 / 111_195.0;
    let far = 52.4376 + 2_500.0 / 111_195.0;
    let items = Items {
        requests: vec![request(&[A::Groceries]), request(&[A::Paperwork]), request(&[A::Transport])],
        offers: vec![offer_at(near, &[A::Groceries]), offer_at(far, &[A::Paperwork])],
        initiatives: vec![],
        volunteers: vec![
            // Lives 1 km away but travels 800 m: not a candidate, and does not reach the
            // request's cell centre either.
            Volunteer { home: storage(near, 4.8476), travel_m: 800.0, tags: tags(&[A::Transport]) },
        ],
    };
    let c = count(&grouping, &items);
    assert_eq!(c.total.requests_open, 3);
    assert_eq!(c.total.requests_with_candidate, 1, "only groceries has a fitting candidate within 1.5 km");
    assert_eq!(c.total.offers_open, 2);
    let mut more = items.clone();
    more.volunteers[0].travel_m = 1_200.0;
    assert_eq!(count(&grouping, &more).total.requests_with_candidate, 2, "now the volunteer travels far enough");
}

#[test]
fn a_volunteer_reaches_a_wijk_from_outside() {
    // A square wijk of about 1.1 km × 1.4 km, and a volunteer 2 km east of its edge.
    let (w, s, e, n) = (4.80, 52.40, 4.82, 52.41);
    let square =
        ::geo::MultiPolygon(vec![::geo::Polygon::new(::geo::LineString::from(vec![(w, s), (e, s), (e, n), (w, n), (w, s)]), vec![])]);
    let home = storage(52.405, e + 2_000.0 / (111_195.0 * 52.405f64.to_radians().cos()));
    let d = distance_to_area_m(centre(home), &square);
    assert!((d - 2_000.0).abs() < 150.0, "{d}");
    assert_eq!(distance_to_area_m(at(52.405, 4.81), &square), 0.0);
    let grouping = Grouping::Wijken(vec![square]);
    let v = |travel_m: f64| Volunteer { home, travel_m, tags: Tags::default() };
    let items = Items { volunteers: vec![v(d - 1.0), v(d), v(d + 500.0)], ..Items::default() };
    let c = count(&grouping, &items);
    assert_eq!(c.features[0].1.volunteers_reaching, 2);
    assert_eq!(c.total.volunteers_reaching, 2);
}

#[test]
fn cells_with_items_outside_the_listed_ones_are_added() {
    let here = storage(52.4376, 4.8476);
    let listed = at(52.3, 4.7).cell(Resolution::Seven);
    let grouping = Grouping::Cells { resolution: Resolution::Seven, area_cells: vec![listed] };
    let items =
        Items { requests: vec![Request { spot: Spot { cell: here, wijk: None }, tags: Tags::default(), unmet: true }], ..Items::default() };
    let c = count(&grouping, &items);
    assert_eq!(c.features.len(), 2);
    let mine = c.features.iter().find(|(k, _)| *k == FeatureKey::Cell(here.parent(Resolution::Seven).unwrap())).unwrap();
    assert_eq!((mine.1.requests_open, mine.1.requests_unmet), (1, 1));
    assert_eq!(c.features.iter().find(|(k, _)| *k == FeatureKey::Cell(listed)).unwrap().1, Counts::default());
}

/// Per feature the possible open counts and parts, then those of the two totals.
type Possible = (Vec<BTreeSet<u64>>, Vec<BTreeSet<u64>>, BTreeSet<u64>, BTreeSet<u64>);

/// Every combination of the requests' counts of the features (open, and one part of them) that
/// gives the same shown answer, found by brute force; the possible values of each hidden
/// number are then read off.
fn requests_candidates(features: &[(u64, u64)]) -> Possible {
    let to_counts = |f: &[(u64, u64)]| -> (Vec<Counts>, Counts) {
        let cs: Vec<Counts> = f.iter().map(|(o, u)| counts(*o, *u, *u, 0, 0, 0)).collect();
        let t = counts(f.iter().map(|x| x.0).sum(), f.iter().map(|x| x.1).sum(), f.iter().map(|x| x.1).sum(), 0, 0, 0);
        (cs, t)
    };
    let (cs, t) = to_counts(features);
    let observed = shown(&cs, &t);
    // Per feature, the (open, part) pairs that show as observed.
    let per_feature: Vec<Vec<(u64, u64)>> = observed
        .0
        .iter()
        .map(|o| {
            let mut out = Vec::new();
            for open in 0..=20u64 {
                for part in 0..=open {
                    let (f, _) = shown(&[counts(open, part, part, 0, 0, 0)], &counts(open, part, part, 0, 0, 0));
                    let f = f[0];
                    if f.requests_open == o.requests_open && f.requests_unmet == o.requests_unmet && f.candidate_share == o.candidate_share
                    {
                        out.push((open, part));
                    }
                }
            }
            out
        })
        .collect();
    let n = features.len();
    let (mut opens, mut parts) = (vec![BTreeSet::new(); n], vec![BTreeSet::new(); n]);
    let (mut open_totals, mut part_totals) = (BTreeSet::new(), BTreeSet::new());
    let mut pick = vec![0usize; n];
    loop {
        let guess: Vec<(u64, u64)> = (0..n).map(|i| per_feature[i][pick[i]]).collect();
        let (gc, gt) = to_counts(&guess);
        if shown(&gc, &gt) == observed {
            for (i, (o, p)) in guess.iter().enumerate() {
                opens[i].insert(*o);
                parts[i].insert(*p);
            }
            open_totals.insert(gt.requests_open);
            part_totals.insert(gt.requests_unmet);
        }
        // Next combination.
        let mut i = 0;
        while i < n {
            pick[i] += 1;
            if pick[i] < per_feature[i].len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
        if i == n {
            break;
        }
    }
    (opens, parts, open_totals, part_totals)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For random small counts, every hidden number of an answer (a feature's open requests,
    /// its unmet or candidate part, the area's totals) keeps at least two possible values given
    /// everything the answer shows and the relations between them (the totals are the sums of
    /// the features, a part is at most the open requests, the share is part / open).
    #[test]
    fn no_hidden_request_count_can_be_worked_out(features in proptest::collection::vec((0u64..=14).prop_flat_map(|o| (Just(o), 0..=o)), 1..=3)) {
        let cs: Vec<Counts> = features.iter().map(|(o, u)| counts(*o, *u, *u, 0, 0, 0)).collect();
        let t = counts(features.iter().map(|x| x.0).sum(), features.iter().map(|x| x.1).sum(), features.iter().map(|x| x.1).sum(), 0, 0, 0);
        let (each, area) = shown(&cs, &t);
        let (opens, parts, open_totals, part_totals) = requests_candidates(&features);
        for (i, s) in each.iter().enumerate() {
            prop_assert!(opens[i].contains(&features[i].0) && parts[i].contains(&features[i].1));
            if s.requests_open.is_suppressed() {
                prop_assert!(opens[i].len() >= 2, "open of feature {} in {:?}: {:?}", i, features, opens[i]);
            }
            if s.requests_unmet.is_suppressed() {
                prop_assert!(parts[i].len() >= 2, "part of feature {} in {:?}: {:?}", i, features, parts[i]);
            }
        }
        if area.requests_open.is_suppressed() {
            prop_assert!(open_totals.len() >= 2, "open total of {:?}: {:?}", features, open_totals);
        }
        if area.requests_unmet.is_suppressed() {
            prop_assert!(part_totals.len() >= 2, "part total of {:?}: {:?}", features, part_totals);
        }
    }

    /// The same for volunteers: each feature's count, and the area's count of distinct
    /// volunteers, which lies between the largest feature's and their sum.
    #[test]
    fn no_hidden_volunteer_count_can_be_worked_out(parts in proptest::collection::vec(0u64..=10, 1..=3), pick in 0u64..1000) {
        let max = parts.iter().copied().max().unwrap_or(0);
        let sum: u64 = parts.iter().sum();
        let total = max + pick % (sum - max + 1);
        let observe = |parts: &[u64], total: u64| -> (Vec<Shown<u64>>, Shown<u64>) {
            (parts.iter().map(|p| crate::stats::counted(*p)).collect(), reach_total(total, parts))
        };
        let observed = observe(&parts, total);
        let n = parts.len();
        let mut possible = vec![BTreeSet::new(); n];
        let mut totals = BTreeSet::new();
        let mut guess = vec![0u64; n];
        loop {
            let gmax = guess.iter().copied().max().unwrap_or(0);
            let gsum: u64 = guess.iter().sum();
            for t in gmax..=gsum {
                if observe(&guess, t) == observed {
                    for (i, g) in guess.iter().enumerate() {
                        possible[i].insert(*g);
                    }
                    totals.insert(t);
                }
            }
            let mut i = 0;
            while i < n {
                guess[i] += 1;
                if guess[i] <= 14 {
                    break;
                }
                guess[i] = 0;
                i += 1;
            }
            if i == n {
                break;
            }
        }
        for (i, s) in observed.0.iter().enumerate() {
            prop_assert!(possible[i].contains(&parts[i]));
            if s.is_suppressed() {
                prop_assert!(possible[i].len() >= 2, "feature {} of {:?} (total {}): {:?}", i, parts, total, possible[i]);
            }
        }
        if observed.1.is_suppressed() {
            prop_assert!(totals.len() >= 2, "total {} of {:?}: {:?}", total, parts, totals);
        }
    }

    /// Offers are a plain partition: the shared rule, as the area's total sees it.
    #[test]
    fn offers_total_is_the_partition_rule(parts in proptest::collection::vec(0u64..=12, 1..=4)) {
        let cs: Vec<Counts> = parts.iter().map(|p| counts(0, 0, 0, *p, 0, 0)).collect();
        let t = counts(0, 0, 0, parts.iter().sum(), 0, 0);
        prop_assert_eq!(shown(&cs, &t).1.offers_open, partition_total(t.offers_open, &parts));
    }
}
