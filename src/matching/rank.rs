//! Ranking helpers for one need, informal help first, with reasons a person can read.
//!
//! Hard constraints decide who may appear at all; soft factors order those who do. Every
//! factor that moved a score is kept as a [`Reason`] in Dutch and English, so the order can be
//! explained to the resident it is about.

use uuid::Uuid;

use crate::domain::{ActivityCategory, Coordinates, InitiativeKind, LanguageCode, TimeRange, Weekday, ZrmDomain};

/// The informal-first ladder, most informal first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rung {
    /// A group or person the requester already belongs to.
    OwnNetwork,
    /// Neighbours: residents' offers and volunteers.
    Neighbours,
    /// Informal groups and resident initiatives.
    ResidentInitiative,
    /// Volunteer organisations.
    VolunteerOrganisation,
    /// General, open-access provisions.
    GeneralProvision,
    /// Professional, individual services.
    ProfessionalService,
}

impl Rung {
    /// The stored and wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::OwnNetwork => "own_network",
            Self::Neighbours => "neighbours",
            Self::ResidentInitiative => "resident_initiative",
            Self::VolunteerOrganisation => "volunteer_organisation",
            Self::GeneralProvision => "general_provision",
            Self::ProfessionalService => "professional_service",
        }
    }

    fn index(self) -> f64 {
        self as u8 as f64
    }
}

/// What kind of helper a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelperKind {
    /// A resident's offer.
    Offer,
    /// A volunteer profile.
    Volunteer,
    /// An initiative of this kind.
    Initiative(InitiativeKind),
}

/// What is asked: a stored request or an ad-hoc need.
#[derive(Debug, Clone)]
pub struct Need {
    /// Activity categories asked for.
    pub categories: Vec<ActivityCategory>,
    /// ZRM domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// Where (a person's cell centre).
    pub location: Coordinates,
    /// How far the requester can go or have someone come from.
    pub radius_m: f64,
    /// When the requester is free; empty means any time.
    pub availability: Vec<TimeRange>,
    /// Languages the requester speaks; when not empty, a helper must share one.
    pub languages: Vec<LanguageCode>,
    /// Help at home, with children or with vulnerable people: a person helping needs a VOG.
    pub needs_vog: bool,
    /// Words of the request's text (lower case).
    pub words: Vec<String>,
    /// The person asking, who is never their own helper.
    pub requester: Option<Uuid>,
    /// The initiatives whose network the requester belongs to: their own network.
    pub network: Vec<Uuid>,
    /// For initiatives, how many members of their network live near the requester (only
    /// those with any).
    pub members_nearby: Vec<(Uuid, u32)>,
}

impl Need {
    fn members_nearby_of(&self, h: &Helper) -> u32 {
        // An initiative's own members; an offer an initiative makes is not the group itself.
        let (HelperKind::Initiative(_), Some(i)) = (h.kind, h.initiative) else { return 0 };
        self.members_nearby.iter().find(|(id, _)| *id == i).map_or(0, |(_, n)| *n)
    }

    fn in_network(&self, h: &Helper) -> bool {
        h.initiative.is_some_and(|i| self.network.contains(&i))
    }
}

/// Requests in these categories are help at home, with children or with vulnerable people:
/// a person helping needs a VOG.
pub const VOG_CATEGORIES: [ActivityCategory; 4] =
    [ActivityCategory::Children, ActivityCategory::Housekeeping, ActivityCategory::CaregiverSupport, ActivityCategory::OddJobs];

/// Whether help in these categories needs a VOG.
pub fn needs_vog(categories: &[ActivityCategory]) -> bool {
    categories.iter().any(|c| VOG_CATEGORIES.contains(c))
}

/// Feedback a helper collected.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Feedback {
    /// Number of ratings.
    pub count: u32,
    /// Their mean, 1 to 5.
    pub mean: f64,
    /// Matches they did not show up for.
    pub no_shows: u32,
}

/// One possible helper.
#[derive(Debug, Clone)]
pub struct Helper {
    /// The offer, volunteer profile or initiative.
    pub id: Uuid,
    /// What it is.
    pub kind: HelperKind,
    /// Where it is (a place, or a person's cell centre).
    pub location: Coordinates,
    /// How far a volunteer travels; `None` for places people come to.
    pub max_travel_m: Option<f64>,
    /// Categories offered.
    pub categories: Vec<ActivityCategory>,
    /// ZRM domains helped with.
    pub zrm_domains: Vec<ZrmDomain>,
    /// When available (opening hours, a volunteer's times); empty means not given.
    pub availability: Vec<TimeRange>,
    /// Languages spoken; empty means not given.
    pub languages: Vec<LanguageCode>,
    /// Whether a person helping has a VOG.
    pub has_vog: bool,
    /// Places or matches left; `None` for no limit.
    pub capacity_left: Option<u32>,
    /// Matches currently open.
    pub open_matches: u32,
    /// Feedback so far.
    pub feedback: Feedback,
    /// Days since its details were last confirmed, for initiatives.
    pub confirmed_days_ago: Option<f64>,
    /// The person behind an offer or volunteer profile.
    pub person: Option<Uuid>,
    /// The initiative it is, or that offers it: a network a requester may belong to.
    pub initiative: Option<Uuid>,
    /// Open and not expired.
    pub open: bool,
    /// Words of its text (lower case).
    pub words: Vec<String>,
}

/// One factor that moved a candidate's score, for people to read.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// Stable code, e.g. `distance`, `category`, `ladder`.
    pub code: &'static str,
    /// How much it added (negative: took away).
    pub effect: f64,
    /// In Dutch.
    pub nl: String,
    /// In English.
    pub en: String,
}

/// A helper that passed every hard constraint, with its score and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The helper.
    pub helper_id: Uuid,
    /// What it is.
    pub kind: HelperKind,
    /// Higher is better.
    pub score: f64,
    /// Its rung on the ladder.
    pub rung: Rung,
    /// Metres from the need.
    pub distance_m: f64,
    /// Why, largest effect first.
    pub reasons: Vec<Reason>,
}

/// The weights of the soft factors. Distance and fit dominate; the ladder breaks near-ties in
/// favour of informal help; the rest nudge.
pub mod weights {
    /// At distance 0; halves every [`DISTANCE_HALF_M`] metres.
    pub const DISTANCE: f64 = 0.30;
    /// Distance at which the distance factor is halved.
    pub const DISTANCE_HALF_M: f64 = 1_000.0;
    /// All asked categories offered.
    pub const CATEGORY: f64 = 0.25;
    /// All asked ZRM domains covered.
    pub const ZRM: f64 = 0.10;
    /// The most informal rung; falls linearly to 0 at professional services.
    pub const LADDER: f64 = 0.20;
    /// A group for a social need (sociaal netwerk, tijdsbesteding).
    pub const GROUP: f64 = 0.05;
    /// Available when the requester is free.
    pub const AVAILABILITY: f64 = 0.05;
    /// Word overlap of the texts (Jaccard).
    pub const TEXT: f64 = 0.05;
    /// Per open match, up to [`LOAD_MAX`].
    pub const LOAD: f64 = 0.03;
    /// The most load can take away.
    pub const LOAD_MAX: f64 = 0.15;
    /// A mean rating of 5 (1 takes as much away); needs at least one rating.
    pub const FEEDBACK: f64 = 0.05;
    /// Per no-show, up to [`NO_SHOW_MAX`].
    pub const NO_SHOW: f64 = 0.05;
    /// The most no-shows can take away.
    pub const NO_SHOW_MAX: f64 = 0.15;
    /// Enough neighbours of the requester already go there (at least
    /// [`MIN_GROUP_SIZE`](crate::auth::policy::MIN_GROUP_SIZE), so that nobody is singled out).
    pub const MEMBERS_NEARBY: f64 = 0.04;
    /// Details not confirmed for more than [`STALE_DAYS`].
    pub const STALE: f64 = 0.05;
    /// When details count as stale.
    pub const STALE_DAYS: f64 = 180.0;
}

/// The rung of a helper for this need.
pub fn rung(need: &Need, h: &Helper) -> Rung {
    if need.in_network(h) {
        return Rung::OwnNetwork;
    }
    match h.kind {
        HelperKind::Offer | HelperKind::Volunteer => Rung::Neighbours,
        HelperKind::Initiative(InitiativeKind::InformalGroup | InitiativeKind::ResidentInitiative) => Rung::ResidentInitiative,
        HelperKind::Initiative(InitiativeKind::VolunteerOrganisation) => Rung::VolunteerOrganisation,
        HelperKind::Initiative(InitiativeKind::GeneralProvision) => Rung::GeneralProvision,
        HelperKind::Initiative(InitiativeKind::ProfessionalService) => Rung::ProfessionalService,
    }
}

/// Why a helper is left out, or `None` when it may be proposed.
pub fn excluded(need: &Need, h: &Helper) -> Option<&'static str> {
    excluded_at(need, h, need.location.distance_m(h.location))
}

/// [`excluded`] for a helper `d` metres from the need.
fn excluded_at(need: &Need, h: &Helper, d: f64) -> Option<&'static str> {
    if !h.open {
        return Some("not_open");
    }
    if need.requester.is_some() && h.person == need.requester {
        return Some("own_offer");
    }
    if d > need.radius_m || h.max_travel_m.is_some_and(|t| d > t) {
        return Some("out_of_reach");
    }
    let category = need.categories.iter().any(|c| h.categories.contains(c));
    let zrm = need.zrm_domains.iter().any(|z| h.zrm_domains.contains(z));
    if !category && !zrm {
        return Some("no_fit");
    }
    if !need.availability.is_empty() && !h.availability.is_empty() && !overlap(&need.availability, &h.availability) {
        return Some("not_available");
    }
    if !need.languages.is_empty() && !h.languages.is_empty() && !need.languages.iter().any(|l| h.languages.contains(l)) {
        return Some("no_shared_language");
    }
    if need.needs_vog && matches!(h.kind, HelperKind::Offer | HelperKind::Volunteer) && !h.has_vog {
        return Some("needs_vog");
    }
    if h.capacity_left == Some(0) {
        return Some("no_capacity");
    }
    None
}

fn overlap(a: &[TimeRange], b: &[TimeRange]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.overlaps(y)))
}

/// Distance for people to read. `step` is the rounding: 10 m for places, 100 m for people,
/// whose home is only known as a cell and must not be pinned down by repeated queries.
fn metres(d: f64, step: f64) -> (String, String) {
    if d < 1_000.0 {
        let m = (d / step).round() * step;
        (format!("{m:.0} m hiervandaan"), format!("{m:.0} m away"))
    } else {
        let km = d / 1_000.0;
        (format!("{km:.1} km hiervandaan").replace('.', ","), format!("{km:.1} km away"))
    }
}

fn day(w: Weekday) -> (&'static str, &'static str) {
    match w {
        Weekday::Mon => ("maandag", "Monday"),
        Weekday::Tue => ("dinsdag", "Tuesday"),
        Weekday::Wed => ("woensdag", "Wednesday"),
        Weekday::Thu => ("donderdag", "Thursday"),
        Weekday::Fri => ("vrijdag", "Friday"),
        Weekday::Sat => ("zaterdag", "Saturday"),
        Weekday::Sun => ("zondag", "Sunday"),
    }
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.iter().filter(|w| b.contains(w)).count() as f64;
    let union = (a.len() + b.len()) as f64 - shared;
    if union == 0.0 { 0.0 } else { shared / union }
}

/// The rounding of distances shown for a kind of helper (see [`metres`]).
pub fn display_step(kind: HelperKind) -> f64 {
    match kind {
        HelperKind::Offer | HelperKind::Volunteer => 100.0,
        HelperKind::Initiative(_) => 10.0,
    }
}

/// Adds up the factors of one candidate; writes their texts only when asked, since a run
/// scores hundreds of helpers per request and explains ten.
struct Tally {
    explain: bool,
    score: f64,
    reasons: Vec<Reason>,
}

impl Tally {
    fn add(&mut self, code: &'static str, effect: f64, text: impl FnOnce() -> (String, String)) {
        self.score += effect;
        if self.explain {
            let (nl, en) = text();
            self.reasons.push(Reason { code, effect, nl, en });
        }
    }
}

/// The score of a helper that passed the hard constraints, with every factor that moved it.
pub fn score(need: &Need, h: &Helper) -> Candidate {
    evaluate(need, h, need.location.distance_m(h.location), true)
}

fn labels<T: Copy>(items: &[T], label: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|i| label(*i)).collect::<Vec<_>>().join(", ").to_lowercase()
}

fn evaluate(need: &Need, h: &Helper, d: f64, explain: bool) -> Candidate {
    use weights::*;
    let mut t = Tally { explain, score: 0.0, reasons: Vec::new() };
    t.add("distance", DISTANCE * 0.5f64.powf(d / DISTANCE_HALF_M), || metres(d, display_step(h.kind)));

    let shared = need.categories.iter().filter(|c| h.categories.contains(c)).count();
    if !need.categories.is_empty() && shared > 0 {
        t.add("category", CATEGORY * shared as f64 / need.categories.len() as f64, || {
            let both: Vec<ActivityCategory> = need.categories.iter().copied().filter(|c| h.categories.contains(c)).collect();
            (
                format!("biedt {}, waar je om vroeg", labels(&both, ActivityCategory::label_nl)),
                format!("offers {}, which you asked for", labels(&both, ActivityCategory::label_en)),
            )
        });
    }
    let zrm = need.zrm_domains.iter().filter(|z| h.zrm_domains.contains(z)).count();
    if !need.zrm_domains.is_empty() && zrm > 0 {
        t.add("zrm", ZRM * zrm as f64 / need.zrm_domains.len() as f64, || {
            let both: Vec<ZrmDomain> = need.zrm_domains.iter().copied().filter(|z| h.zrm_domains.contains(z)).collect();
            (format!("helpt bij {}", labels(&both, ZrmDomain::label_nl)), format!("helps with {}", labels(&both, ZrmDomain::label_en)))
        });
    }
    let r = rung(need, h);
    t.add("ladder", LADDER * (5.0 - r.index()) / 5.0, || {
        let (nl, en) = match r {
            Rung::OwnNetwork => ("je bent hier al bij aangesloten", "you already belong to this network"),
            Rung::Neighbours => ("een buurtgenoot: informele hulp eerst", "a neighbour: informal help first"),
            Rung::ResidentInitiative => ("een bewonersinitiatief: informele hulp eerst", "a resident initiative: informal help first"),
            Rung::VolunteerOrganisation => ("een vrijwilligersorganisatie", "a volunteer organisation"),
            Rung::GeneralProvision => ("een algemene voorziening", "a general provision"),
            Rung::ProfessionalService => ("professionele hulp", "professional help"),
        };
        (nl.into(), en.into())
    });

    let social = need.zrm_domains.iter().any(|z| matches!(z, ZrmDomain::SociaalNetwerk | ZrmDomain::Tijdsbesteding));
    if social && matches!(h.kind, HelperKind::Initiative(_)) {
        t.add("group", GROUP, || ("een groep: samen met anderen".into(), "a group: together with others".into()));
    }
    if let Some(slot) = need.availability.iter().find_map(|a| h.availability.iter().find(|b| a.overlaps(b))) {
        t.add("availability", AVAILABILITY, || {
            let (dnl, den) = day(slot.weekday);
            (
                format!("op {dnl} {}–{}, wanneer je kunt", slot.start, slot.end),
                format!("on {den} {}–{}, when you are free", slot.start, slot.end),
            )
        });
    }
    // A count of people is only told, or let move a score, from k = 5 up: below that it could
    // point at one neighbour.
    let members = need.members_nearby_of(h);
    if u64::from(members) >= crate::auth::policy::MIN_GROUP_SIZE {
        t.add("members_nearby", MEMBERS_NEARBY, || {
            (format!("{members} mensen uit je buurt gaan hierheen"), format!("{members} people from your neighbourhood go there"))
        });
    }
    let text = jaccard(&need.words, &h.words);
    if text > 0.0 {
        t.add("text", TEXT * text, || ("de beschrijving lijkt op je vraag".into(), "the description resembles your request".into()));
    }
    let open = h.open_matches;
    if open > 0 {
        t.add("load", -(LOAD * open as f64).min(LOAD_MAX), || {
            (
                format!("helpt nu al {open} {}", if open == 1 { "persoon" } else { "personen" }),
                format!("already helps {open} {}", if open == 1 { "person" } else { "people" }),
            )
        });
    }
    let f = h.feedback;
    if f.count > 0 {
        t.add("feedback", FEEDBACK * (f.mean.clamp(1.0, 5.0) - 3.0) / 2.0, || {
            (
                format!("waardering {:.1} van 5 ({}×)", f.mean, f.count).replace('.', ","),
                format!("rated {:.1} of 5 ({} times)", f.mean, f.count),
            )
        });
    }
    if f.no_shows > 0 {
        t.add("no_show", -(NO_SHOW * f.no_shows as f64).min(NO_SHOW_MAX), || {
            (format!("{}× niet komen opdagen", f.no_shows), format!("did not show up {} times", f.no_shows))
        });
    }
    if let Some(days) = h.confirmed_days_ago
        && days > STALE_DAYS
    {
        let months = (days / 30.0).floor();
        t.add("stale", -STALE, || {
            (format!("gegevens {months:.0} maanden niet bevestigd"), format!("details not confirmed for {months:.0} months"))
        });
    }
    let mut reasons = t.reasons;
    reasons.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()).then(a.code.cmp(b.code)));
    Candidate { helper_id: h.id, kind: h.kind, score: t.score, rung: r, distance_m: d, reasons }
}

/// The best `limit` helpers that may be proposed for `need`, best first, with their reasons.
/// Deterministic: equal scores order by rung, then distance, then id.
pub fn rank<'a>(need: &Need, helpers: impl IntoIterator<Item = &'a Helper>, limit: usize) -> Vec<Candidate> {
    rank_measured(need, helpers.into_iter().map(|h| (h, need.location.distance_m(h.location))), limit)
}

/// [`rank`] for helpers whose distance to the need is known already.
pub fn rank_measured<'a>(need: &Need, helpers: impl IntoIterator<Item = (&'a Helper, f64)>, limit: usize) -> Vec<Candidate> {
    let mut out: Vec<(Candidate, &Helper)> =
        helpers.into_iter().filter(|(h, d)| excluded_at(need, h, *d).is_none()).map(|(h, d)| (evaluate(need, h, d, false), h)).collect();
    out.sort_by(|(a, _), (b, _)| {
        b.score
            .total_cmp(&a.score)
            .then(a.rung.cmp(&b.rung))
            .then(a.distance_m.total_cmp(&b.distance_m))
            .then(a.helper_id.cmp(&b.helper_id))
    });
    // Only those shown are explained; the same arithmetic gives the same score.
    out.into_iter().take(limit).map(|(c, h)| evaluate(need, h, c.distance_m, true)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::geo::cover::tests::destination;
    use proptest::prelude::*;

    const HOME: (f64, f64) = (52.4376, 4.8476);

    fn home() -> Coordinates {
        Coordinates::parse(HOME.0, HOME.1).unwrap()
    }

    /// A need for company at HOME within 3 km.
    pub(crate) fn need() -> Need {
        Need {
            categories: vec![ActivityCategory::Companionship],
            zrm_domains: vec![ZrmDomain::SociaalNetwerk],
            location: home(),
            radius_m: 3_000.0,
            availability: vec![],
            languages: vec![],
            needs_vog: false,
            words: vec![],
            requester: None,
            network: vec![],
            members_nearby: vec![],
        }
    }

    /// A companionship helper `metres` east of HOME.
    pub(crate) fn helper(kind: HelperKind, metres: f64) -> Helper {
        Helper {
            id: Uuid::from_u128(metres as u128 + 1),
            kind,
            location: destination(home(), 90.0, metres),
            max_travel_m: None,
            categories: vec![ActivityCategory::Companionship],
            zrm_domains: vec![ZrmDomain::SociaalNetwerk],
            availability: vec![],
            languages: vec![],
            has_vog: false,
            capacity_left: None,
            open_matches: 0,
            feedback: Feedback::default(),
            confirmed_days_ago: None,
            person: None,
            initiative: matches!(kind, HelperKind::Initiative(_)).then(|| Uuid::from_u128(metres as u128 + 1)),
            open: true,
            words: vec![],
        }
    }

    #[test]
    fn a_buurtkamer_comes_before_a_professional_service_and_says_why() {
        let n = need();
        let kamer = helper(HelperKind::Initiative(InitiativeKind::ResidentInitiative), 400.0);
        let pro = Helper { id: Uuid::from_u128(99), ..helper(HelperKind::Initiative(InitiativeKind::ProfessionalService), 200.0) };
        let ranked = rank(&n, &[pro.clone(), kamer.clone()], usize::MAX);
        assert_eq!(ranked[0].helper_id, kamer.id, "{ranked:#?}");
        assert_eq!(ranked[0].rung, Rung::ResidentInitiative);
        let codes: Vec<&str> = ranked[0].reasons.iter().map(|r| r.code).collect();
        assert!(codes.contains(&"distance") && codes.contains(&"category") && codes.contains(&"ladder") && codes.contains(&"group"));
        let en: Vec<&str> = ranked[0].reasons.iter().map(|r| r.en.as_str()).collect();
        assert!(en.contains(&"400 m away"), "{en:?}");
        assert!(en.contains(&"offers companionship, which you asked for"), "{en:?}");
        assert!(ranked[0].reasons.iter().any(|r| r.nl == "400 m hiervandaan"));
    }

    #[test]
    fn every_hard_constraint_excludes() {
        let n = Need { needs_vog: true, languages: vec![LanguageCode::parse("ar").unwrap()], ..need() };
        let tue = TimeRange::parse(Weekday::Tue, "09:00", "12:00").unwrap();
        let wed = TimeRange::parse(Weekday::Wed, "09:00", "12:00").unwrap();
        let base = Helper { has_vog: true, ..helper(HelperKind::Volunteer, 500.0) };
        assert_eq!(excluded(&n, &base), None);
        let cases = [
            (Helper { open: false, ..base.clone() }, "not_open"),
            (Helper { location: destination(home(), 0.0, 3_100.0), ..base.clone() }, "out_of_reach"),
            (Helper { max_travel_m: Some(400.0), ..base.clone() }, "out_of_reach"),
            (Helper { categories: vec![ActivityCategory::Repair], zrm_domains: vec![], ..base.clone() }, "no_fit"),
            (Helper { languages: vec![LanguageCode::parse("tr").unwrap()], ..base.clone() }, "no_shared_language"),
            (Helper { has_vog: false, ..base.clone() }, "needs_vog"),
            (Helper { capacity_left: Some(0), ..base.clone() }, "no_capacity"),
        ];
        for (h, why) in cases {
            assert_eq!(excluded(&n, &h), Some(why));
        }
        let at_tue = Need { availability: vec![tue], ..n.clone() };
        assert_eq!(excluded(&at_tue, &Helper { availability: vec![wed], ..base.clone() }), Some("not_available"));
        assert_eq!(excluded(&at_tue, &Helper { availability: vec![tue], ..base.clone() }), None);
        // An initiative needs no VOG of its own: it answers for its volunteers.
        assert_eq!(
            excluded(&n, &Helper { has_vog: false, ..helper(HelperKind::Initiative(InitiativeKind::VolunteerOrganisation), 500.0) }),
            None
        );
    }

    #[test]
    fn load_feedback_and_staleness_lower_the_score() {
        let n = need();
        let fresh = helper(HelperKind::Volunteer, 500.0);
        let base = score(&n, &fresh).score;
        assert!(score(&n, &Helper { open_matches: 3, ..fresh.clone() }).score < base);
        assert!(score(&n, &Helper { feedback: Feedback { count: 4, mean: 1.5, no_shows: 0 }, ..fresh.clone() }).score < base);
        assert!(score(&n, &Helper { feedback: Feedback { count: 4, mean: 4.8, no_shows: 0 }, ..fresh.clone() }).score > base);
        assert!(score(&n, &Helper { feedback: Feedback { count: 0, mean: 0.0, no_shows: 2 }, ..fresh.clone() }).score < base);
        assert!(score(&n, &Helper { confirmed_days_ago: Some(400.0), ..fresh.clone() }).score < base);
        let group = helper(HelperKind::Initiative(InitiativeKind::ResidentInitiative), 500.0);
        let member = Need { network: vec![group.initiative.unwrap()], ..need() };
        assert!(score(&member, &group).score > score(&n, &group).score);
        assert_eq!(rung(&member, &group), Rung::OwnNetwork);
    }

    #[test]
    fn neighbours_who_go_there_count_from_five() {
        let n = need();
        let group = helper(HelperKind::Initiative(InitiativeKind::ResidentInitiative), 500.0);
        let base = score(&n, &group);
        let id = group.initiative.unwrap();
        let four = score(&Need { members_nearby: vec![(id, 4)], ..need() }, &group);
        let five = score(&Need { members_nearby: vec![(id, 5)], ..need() }, &group);
        // Four could point at a neighbour: no effect at all, and nothing said.
        assert_eq!(four, base);
        assert!(five.score > base.score);
        let told = five.reasons.iter().find(|r| r.code == "members_nearby").expect("the reason is given");
        assert_eq!(told.en, "5 people from your neighbourhood go there");
        assert_eq!(told.nl, "5 mensen uit je buurt gaan hierheen");
    }

    fn arb_kind() -> impl Strategy<Value = HelperKind> {
        prop_oneof![
            Just(HelperKind::Offer),
            Just(HelperKind::Volunteer),
            Just(HelperKind::Initiative(InitiativeKind::InformalGroup)),
            Just(HelperKind::Initiative(InitiativeKind::ResidentInitiative)),
            Just(HelperKind::Initiative(InitiativeKind::VolunteerOrganisation)),
            Just(HelperKind::Initiative(InitiativeKind::GeneralProvision)),
            Just(HelperKind::Initiative(InitiativeKind::ProfessionalService)),
        ]
    }

    proptest! {
        /// Further away never scores higher, all else equal.
        #[test]
        fn score_falls_with_distance(kind in arb_kind(), a in 0.0f64..5_000.0, b in 0.0f64..5_000.0) {
            let n = Need { radius_m: 10_000.0, ..need() };
            let (near, far) = if a <= b { (a, b) } else { (b, a) };
            let s_near = score(&n, &helper(kind, near)).score;
            let s_far = score(&n, &helper(kind, far)).score;
            prop_assert!(s_near >= s_far, "{s_near} < {s_far} at {near} vs {far} m");
        }

        /// At equal fit and distance, the more informal helper ranks first.
        #[test]
        fn the_ladder_holds_for_equal_fit(a in arb_kind(), b in arb_kind(), d in 0.0f64..2_500.0) {
            let n = Need { zrm_domains: vec![ZrmDomain::Financien], ..need() };
            let ha = Helper { id: Uuid::from_u128(1), ..helper(a, d) };
            let hb = Helper { id: Uuid::from_u128(2), ..helper(b, d) };
            let ranked = rank(&n, &[ha.clone(), hb.clone()], usize::MAX);
            let (ra, rb) = (rung(&n, &ha), rung(&n, &hb));
            if ra != rb {
                let first = if ra < rb { ha.id } else { hb.id };
                prop_assert_eq!(ranked[0].helper_id, first);
            }
        }

        /// Nothing that breaks a hard constraint is ever proposed, and the order is the same
        /// whatever order the helpers come in.
        #[test]
        fn hard_constraints_hold_and_the_order_is_deterministic(
            specs in proptest::collection::vec((arb_kind(), 0.0f64..6_000.0, 0.0f64..360.0, any::<bool>(), any::<bool>(), 0u32..3, proptest::option::of(100.0f64..5_000.0)), 1..40),
            needs_vog in any::<bool>(),
            radius in 200.0f64..5_000.0,
        ) {
            let me = Uuid::from_u128(7_777);
            let n = Need { needs_vog, radius_m: radius, requester: Some(me), ..need() };
            let helpers: Vec<Helper> = specs.iter().enumerate().map(|(i, (kind, d, bearing, vog, open, cap, travel))| Helper {
                id: Uuid::from_u128(i as u128),
                person: (i % 5 == 0 && !matches!(kind, HelperKind::Initiative(_))).then_some(me),
                location: destination(home(), *bearing, *d),
                has_vog: *vog,
                open: *open,
                capacity_left: Some(*cap),
                max_travel_m: *travel,
                categories: if i % 3 == 0 { vec![ActivityCategory::Repair] } else { vec![ActivityCategory::Companionship] },
                zrm_domains: vec![],
                ..helper(*kind, 0.0)
            }).collect();
            let ranked = rank(&n, &helpers, usize::MAX);
            for c in &ranked {
                let h = helpers.iter().find(|h| h.id == c.helper_id).unwrap();
                prop_assert!(h.open && h.capacity_left != Some(0));
                prop_assert!(h.person != Some(me), "nobody is their own helper");
                prop_assert!(c.distance_m <= radius && h.max_travel_m.is_none_or(|t| c.distance_m <= t));
                prop_assert!(h.categories.contains(&ActivityCategory::Companionship));
                prop_assert!(!needs_vog || h.has_vog || matches!(h.kind, HelperKind::Initiative(_)));
            }
            let mut reversed = helpers.clone();
            reversed.reverse();
            prop_assert_eq!(&rank(&n, &reversed, usize::MAX), &ranked);
            // A short list is the head of the long one, reasons and all.
            prop_assert_eq!(rank(&n, &helpers, 3), ranked.iter().take(3).cloned().collect::<Vec<_>>());
        }
    }
}
