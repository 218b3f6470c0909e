//! A year of the demo town's history, so that the wijkteam's work list, the support requests
//! and the experience summaries have something to show the day the demo starts: referrals in
//! every state, with every decline reason and every outcome, across the town's wijken and
//! months; support requests of every kind and status; matches; and residents' answers on how
//! it went, many in the two busiest wijken and a few elsewhere, so that some wijken pass the
//! k = 5 rule and some do not.
//!
//! The history is planned first, as a list of dated actions drawn from one generator seeded by
//! a constant, and then carried out in date order, each action through its use case as the
//! principal it stands for, inside [`clock::at`] at its date. So it obeys every rule a client
//! must (consent before a referral, who may take which step, places at initiatives), its dates
//! come through the ordinary code paths, and the UUID v7 ids, which come from the real clock,
//! still run in the order of the dates they stand for.
//!
//! It covers the [`DAYS`] before the [`anchor`], the start of the month the seed runs in: the
//! same history, relative to the anchor, on every run. Nothing of it is open past the anchor
//! except referrals and support requests, whose steps after it simply have not happened yet;
//! its offers and requests have closed or expired by then, so the town's open listings are the
//! town document's alone, whatever day it is seeded.

use std::collections::VecDeque;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::{Wijken, as_resident, organiser_of, stable_seed, text, title};
use crate::auth::{Credential, Principal, Role};
use crate::domain::clock;
use crate::domain::experience::{Answer, MAX_COMMENT, Month, Score, Scores};
use crate::domain::items::{Contact, ListingFields, Owner, PersonFields};
use crate::domain::referral::{ReferralDeclineReason, ReferralHelperKind, ReferralOutcome, ReferralState, Step};
use crate::domain::support::SupportAsk;
use crate::domain::{
    ActivityCategory, BoundedText, CellId, ConsentScope, ExperienceTheme, InitiativeKind, LanguageCode, ListingKind, ListingStatus,
    LocationPrecision, SupportDeclineReason, SupportKind, SupportStatus, ZrmDomain,
};
use crate::service::consents::{Grantee, NewConsent};
use crate::service::experiences::SubjectRef;
use crate::service::matches::{self, HelperRef};
use crate::service::referrals::{NewReferralInput, RequestRef};
use crate::service::support_requests::Decision;
use crate::service::{self, State};

/// How far back the history reaches, in days before the [`anchor`].
pub const DAYS: i64 = 365;

/// How long before the history the town's initiatives, residents and volunteers were entered:
/// they are there when its first referral is made.
const TOWN_LEAD_DAYS: i64 = 30;

/// Residents helped in the year: each is one request followed through one or more referrals,
/// or (for about one in ten) a match the resident made themself.
const CASES: usize = 190;
/// Offers neighbours post in the year, to which the wijkteam also refers.
const OFFERS: usize = 24;
/// Support requests initiatives make in the year.
const SUPPORT_REQUESTS: usize = 45;
/// The wijkteam's professionals; each works a third of the wijken.
const PROFESSIONALS: usize = 3;
/// The most referrals one request gets before the team stops trying.
const MAX_REFERRALS_PER_CASE: usize = 3;
/// How many wijken get most of the answers (and so pass k = 5).
const BUSY_WIJKEN: usize = 2;

/// Where the history ends: the start of the month `now` falls in (UTC). A fixed point the
/// history is drawn relative to, so two seeds in the same month make the same history and any
/// seed makes "the last year".
pub fn anchor(now: DateTime<Utc>) -> DateTime<Utc> {
    Month::of(now).start()
}

/// When the town's standing stock (initiatives, residents, volunteers) was entered.
pub(super) fn town_entered(anchor: DateTime<Utc>) -> DateTime<Utc> {
    anchor - Duration::days(DAYS + TOWN_LEAD_DAYS)
}

/// What the history works with, as the town's seed created it.
pub(super) struct Cast {
    /// The town's gemeente (GM code).
    pub gemeente: String,
    /// The admin who entered the town, who acts for its initiatives.
    pub admin: Principal,
    /// The gemeente's wijken, by code.
    pub wijken: Vec<CastWijk>,
    /// The initiatives, in the document's order.
    pub initiatives: Vec<CastInitiative>,
    /// The residents, in the document's order.
    pub people: Vec<CastPerson>,
    /// The volunteer profiles, in the document's order.
    pub volunteers: Vec<CastVolunteer>,
}

/// A wijk of the town.
pub(super) struct CastWijk {
    /// Its CBS code.
    pub code: String,
    /// Its name, as the town document names it.
    pub name: String,
}

/// An initiative of the town.
pub(super) struct CastInitiative {
    /// Its id.
    pub id: Uuid,
    /// Its kind: a professional service is referred to as one.
    pub kind: InitiativeKind,
    /// What it does.
    pub categories: Vec<ActivityCategory>,
    /// Its wijk (code).
    pub wijk: String,
    /// Its places, if limited.
    pub capacity: Option<u32>,
}

/// A resident of the town.
pub(super) struct CastPerson {
    /// Their key in the document; they sign in as `demo:<key>`.
    pub key: String,
    /// Their person id.
    pub id: Uuid,
    /// Their wijk (code).
    pub wijk: String,
}

/// A volunteer of the town.
pub(super) struct CastVolunteer {
    /// The volunteer profile's id.
    pub id: Uuid,
    /// The person, as an index into [`Cast::people`].
    pub person: usize,
    /// What they do.
    pub skills: Vec<ActivityCategory>,
}

/// What the history made.
#[derive(Debug, Default)]
pub(super) struct Made {
    /// Residents it added.
    pub people: usize,
    /// Offers and requests (all closed or expired by the anchor).
    pub listings: usize,
    /// Referrals.
    pub referrals: usize,
    /// Matches.
    pub matches: usize,
    /// Support requests.
    pub support_requests: usize,
    /// Experience answers.
    pub experiences: usize,
}

/// Plans the year before `anchor` and carries it out, action by action in date order.
pub(super) async fn run(state: &State, wijken: &Wijken, cast: &Cast, anchor: DateTime<Utc>) -> anyhow::Result<Made> {
    let plan = Planner::new(cast, anchor).plan();
    let mut exec = Exec {
        state,
        wijken,
        cast,
        residents: plan.residents.iter().map(|r| (r.key.clone(), r.wijk, r.name, r.town.map(|p| cast.people[p].id))).collect(),
        listings: Vec::new(),
        consents: Vec::new(),
        referrals: Vec::new(),
        matches: Vec::new(),
        support: Vec::new(),
        made: Made::default(),
    };
    for (at, action) in plan.actions {
        clock::at(at, exec.run(&action)).await.with_context(|| format!("{action:?} at {at}"))?;
    }
    Ok(exec.made)
}

// ---------------------------------------------------------------------------------------------
// What residents ask, offer and say, and what initiatives ask of the team.

/// A need a resident brings to the wijkteam.
struct Need {
    categories: &'static [ActivityCategory],
    zrm: &'static [ZrmDomain],
    title: &'static str,
    description: &'static str,
}

use ActivityCategory as C;
use ZrmDomain as Z;

const NEEDS: &[Need] = &[
    Need {
        categories: &[C::Paperwork, C::MoneyMatters],
        zrm: &[Z::Financien],
        title: "Hulp bij het aanvragen van huurtoeslag",
        description: "Ik krijg de aanvraag voor huurtoeslag niet rond en de brieven van de Belastingdienst begrijp ik niet goed. Wie kijkt met mij mee?",
    },
    Need {
        categories: &[C::MoneyMatters, C::Paperwork],
        zrm: &[Z::Financien],
        title: "Overzicht krijgen in rekeningen en schulden",
        description: "Er liggen veel onbetaalde rekeningen en ik weet niet waar ik moet beginnen. Ik wil graag samen een overzicht maken.",
    },
    Need {
        categories: &[C::Companionship, C::Exercise],
        zrm: &[Z::SociaalNetwerk],
        title: "Gezelschap voor een wandeling door de wijk",
        description: "Sinds mijn verhuizing ken ik hier nog weinig mensen. Ik zou graag eens per week met iemand een rondje lopen.",
    },
    Need {
        categories: &[C::MeetingPlace, C::Companionship],
        zrm: &[Z::SociaalNetwerk, Z::Tijdsbesteding],
        title: "Een plek om overdag andere mensen te ontmoeten",
        description: "Ik ben veel alleen thuis en zoek een plek in de buurt waar ik overdag terecht kan voor een kop koffie en een praatje.",
    },
    Need {
        categories: &[C::Language],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Oefenen met Nederlands spreken in het dagelijks leven",
        description: "Ik volg een taalcursus maar heb weinig kans om te oefenen. Ik zoek iemand om mee te praten over gewone dingen.",
    },
    Need {
        categories: &[C::DigitalHelp],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Uitleg over DigiD en de app van de bank",
        description: "Mijn DigiD werkt niet meer op mijn nieuwe telefoon en ik durf de app van de bank niet goed te gebruiken.",
    },
    Need {
        categories: &[C::Groceries, C::Transport],
        zrm: &[Z::InstrumenteleAdl],
        title: "Boodschappen doen na mijn heupoperatie",
        description: "Na mijn operatie kan ik een paar weken niet zelf naar de winkel. Wie helpt mij met de wekelijkse boodschappen?",
    },
    Need {
        categories: &[C::Transport],
        zrm: &[Z::LichamelijkeGezondheid],
        title: "Vervoer naar het ziekenhuis voor mijn controles",
        description: "Ik moet elke maand naar het ziekenhuis en heb geen auto. Met de bus lukt het mij niet meer.",
    },
    Need {
        categories: &[C::Meals, C::FoodAid],
        zrm: &[Z::LichamelijkeGezondheid, Z::Financien],
        title: "Een paar keer per week een warme maaltijd",
        description: "Koken lukt me niet meer zo goed en ik eet vaak alleen een boterham. Ik zou graag een paar keer per week warm eten, liefst samen.",
    },
    Need {
        categories: &[C::OddJobs, C::Repair],
        zrm: &[Z::Huisvesting],
        title: "Klusjes in huis die ik zelf niet meer kan doen",
        description: "Er moet een lamp worden opgehangen en de kraan in de keuken lekt. Ik kan zelf niet meer op een trap staan.",
    },
    Need {
        categories: &[C::Garden],
        zrm: &[Z::Huisvesting],
        title: "Hulp bij het bijhouden van mijn achtertuin",
        description: "Mijn tuin groeit dicht en ik krijg hem niet meer bijgehouden. Wie helpt een paar keer in het seizoen?",
    },
    Need {
        categories: &[C::Children],
        zrm: &[Z::HuiselijkeRelaties],
        title: "Steun bij de opvoeding van mijn zoon",
        description: "Mijn zoon van tien heeft moeite op school en thuis loopt het vaak uit de hand. Ik zoek iemand om mee te praten en tips.",
    },
    Need {
        categories: &[C::CaregiverSupport, C::Companionship],
        zrm: &[Z::GeestelijkeGezondheid],
        title: "Even op adem komen naast de zorg voor mijn man",
        description: "Ik zorg al twee jaar voor mijn man en ben erg moe. Ik zoek iemand die af en toe een middag kan overnemen.",
    },
    Need {
        categories: &[C::Housekeeping],
        zrm: &[Z::BasaleAdl],
        title: "Tijdelijk hulp in het huishouden na ziekte",
        description: "Door mijn ziekte lukt het schoonmaken en de was niet meer. Ik zoek voor een paar maanden hulp.",
    },
    Need {
        categories: &[C::Exercise, C::MeetingPlace],
        zrm: &[Z::LichamelijkeGezondheid, Z::SociaalNetwerk],
        title: "Samen bewegen om fit te blijven",
        description: "De fysiotherapeut zegt dat ik meer moet bewegen, maar alleen kom ik er niet toe. Is er een groep bij mij in de buurt?",
    },
    Need {
        categories: &[C::Paperwork, C::Language],
        zrm: &[Z::WerkOpleiding],
        title: "Een cv schrijven en leren solliciteren",
        description: "Ik zoek werk maar weet niet hoe ik een goede brief en een cv schrijf. Wie helpt mij op weg?",
    },
];

/// An offer a volunteer posts for a while.
struct Gift {
    categories: &'static [ActivityCategory],
    zrm: &'static [ZrmDomain],
    title: &'static str,
    description: &'static str,
}

const GIFTS: &[Gift] = &[
    Gift {
        categories: &[C::Groceries],
        zrm: &[Z::InstrumenteleAdl],
        title: "Ik neem boodschappen mee voor een buur",
        description: "Ik ga toch elke week naar de supermarkt en neem graag iets mee voor iemand die het zelf even niet kan.",
    },
    Gift {
        categories: &[C::Paperwork, C::MoneyMatters],
        zrm: &[Z::Financien],
        title: "Meekijken met post, formulieren en geldzaken",
        description: "Ik heb bij een bank gewerkt en help graag met brieven, formulieren en een huishoudboekje.",
    },
    Gift {
        categories: &[C::Companionship],
        zrm: &[Z::SociaalNetwerk],
        title: "Tijd voor een praatje en een kop koffie bij u thuis",
        description: "Ik ben met pensioen en heb tijd over. Ik kom graag langs voor gezelschap.",
    },
    Gift {
        categories: &[C::DigitalHelp],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Geduldige hulp met telefoon, tablet en computer",
        description: "Ik leg rustig uit hoe apps, DigiD en e-mail werken, zo vaak als nodig is.",
    },
    Gift {
        categories: &[C::OddJobs, C::Repair],
        zrm: &[Z::Huisvesting],
        title: "Kleine klussen in en om het huis",
        description: "Een lamp ophangen, een kraan vervangen of een kastje in elkaar zetten: ik doe het graag.",
    },
    Gift {
        categories: &[C::Transport],
        zrm: &[Z::LichamelijkeGezondheid],
        title: "Rijden naar afspraken bij huisarts of ziekenhuis",
        description: "Ik heb een auto en breng u graag naar uw afspraak en weer terug.",
    },
    Gift {
        categories: &[C::Language],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Samen Nederlands oefenen in een rustig tempo",
        description: "Ik ben docent geweest en oefen graag Nederlands met wie dat wil, bij mij of bij u thuis.",
    },
    Gift {
        categories: &[C::Garden],
        zrm: &[Z::Huisvesting],
        title: "Snoeien, maaien en wieden in uw tuin",
        description: "Ik heb groene vingers en tijd over, en help graag een paar keer in het seizoen.",
    },
];

/// What a professional tells the helper, now and then.
const NOTES: &[&str] = &[
    "Bewoner is het best bereikbaar in de middag.",
    "Spreekt ook Engels; Nederlands gaat wat moeizaam.",
    "Graag kort laten weten of het contact gelukt is.",
    "Bewoner is wat terughoudend; neem gerust de tijd voor het eerste gesprek.",
];

const PRAISE: &[&str] = &[
    "De vrijwilliger nam echt de tijd voor me.",
    "Fijn dat er zo snel iemand langskwam.",
    "Ik ga nu elke week naar de buurtkamer en ken meer mensen.",
    "Eindelijk overzicht in mijn post, dat geeft rust.",
    "Heel vriendelijk en goed geholpen.",
];

const COMPLAINTS: &[&str] = &[
    "Het duurde lang voordat iemand contact opnam.",
    "Het paste niet helemaal bij wat ik zocht.",
    "Ik had gehoopt op meer hulp, maar ze hebben het geprobeerd.",
    "Na het eerste gesprek hoorde ik niets meer.",
];

/// First names for the residents the history adds; all in plain ASCII, so e-mail addresses
/// can be made of them.
const NAMES: &str = "Anouk Bram Chantal Dirk Esra Farid Gerda Hamza Ilse Jeroen Kim Latifa Maarten Nadia Oscar Petra \
     Rachid Sanne Tim Ursula Vincent Wendy Yusuf Zeynep Annelies Bilal Corrie Daan Emine Frank Gulsen \
     Henk Ivana Jan Karin Lotte Mohamed Noor Piet Rosa Said Tineke Wim Yasmina Agnieszka Boris Dewi Fenna";

/// The `n`th of [`NAMES`], round and round.
fn name(n: usize) -> &'static str {
    let count = NAMES.split_whitespace().count();
    NAMES.split_whitespace().nth(n % count).unwrap_or("Buur")
}

fn support_text(kind: SupportKind, variant: usize) -> &'static str {
    let texts: [&str; 2] = match kind {
        SupportKind::Room => [
            "Onze groep groeit; we zoeken een ruimte voor dertig mensen op dinsdagavond.",
            "Het buurthuis gaat verbouwen. Is er een half jaar een andere plek voor onze inloop?",
        ],
        SupportKind::Grant => [
            "Een bijdrage voor koffie, thee en materialen voor het komende half jaar.",
            "We willen een uitje organiseren voor bewoners die er nooit uit komen en vragen een bijdrage in de kosten.",
        ],
        SupportKind::Volunteers => [
            "We zoeken twee vrijwilligers die op zaterdag willen helpen met de inloop.",
            "Onze vaste chauffeur stopt; we zoeken iemand die op woensdag wil rijden.",
        ],
        SupportKind::Training => [
            "Onze vrijwilligers willen een training over omgaan met verward gedrag.",
            "We zoeken iemand die ons leert hoe we signalen van eenzaamheid herkennen.",
        ],
        SupportKind::Publicity => [
            "Kan de gemeente onze activiteiten meenemen in de wijkkrant en op sociale media?",
            "We willen posters ophangen in de wachtkamers van de huisartsen in de wijk.",
        ],
        SupportKind::MunicipalContact => [
            "We zoeken een vast aanspreekpunt bij de gemeente voor vergunningen en de huur.",
            "Wie bij de gemeente kan ons helpen met de regels voor een buurtfeest op straat?",
        ],
    };
    texts[variant % 2]
}

fn grant_note(kind: SupportKind) -> &'static str {
    match kind {
        SupportKind::Room => "Het wijkcentrum heeft op dinsdagavond een zaal beschikbaar; de sleutel ligt bij de beheerder.",
        SupportKind::Grant => "Toegekend uit het wijkbudget van dit jaar.",
        SupportKind::Volunteers => "Via het vrijwilligerssteunpunt zijn twee vrijwilligers voorgesteld.",
        SupportKind::Training => "Jullie kunnen aansluiten bij de training van het wijkteam in het voorjaar.",
        SupportKind::Publicity => "Staat in de volgende wijkkrant en op de website van de gemeente.",
        SupportKind::MunicipalContact => "De wijkmanager is jullie vaste aanspreekpunt.",
    }
}

fn decline_note(reason: SupportDeclineReason) -> &'static str {
    match reason {
        SupportDeclineReason::NoBudget => "Het wijkbudget van dit jaar is op; probeer het na de zomer opnieuw.",
        SupportDeclineReason::NotEligible => "Dit valt buiten wat het wijkbudget mag betalen.",
        SupportDeclineReason::OtherProvision => "Het fonds van de bibliotheek past hier beter; wij helpen met de aanvraag.",
        SupportDeclineReason::Incomplete => "We missen een begroting; een nieuwe aanvraag met begroting is welkom.",
        SupportDeclineReason::Other => "We bespreken dit liever eerst in het wijkoverleg.",
    }
}

// ---------------------------------------------------------------------------------------------
// The plan: dated actions, referring to what earlier actions made by slot number.

/// Who acts.
#[derive(Debug, Clone, Copy)]
enum Actor {
    /// A resident (by index into the plan's residents), as themself.
    Resident(usize),
    /// One of the wijkteam's professionals.
    Pro(usize),
    /// An initiative's side (by index into [`Cast::initiatives`]).
    Organiser(usize),
    /// The admin who entered the town, on an initiative's behalf.
    Admin,
}

/// A helper a referral or match goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Helper {
    /// An offer of the history, by its listing slot, and its owner.
    Offer { listing: usize, owner: usize },
    /// A volunteer (index into [`Cast::volunteers`]).
    Volunteer(usize),
    /// An initiative (index into [`Cast::initiatives`]).
    Initiative(usize),
}

/// The request a referral is about.
#[derive(Debug, Clone, Copy)]
enum Req {
    /// One posted (or recorded) earlier, by listing slot.
    Existing(usize),
    /// One the professional records now, into a new listing slot.
    Recorded { listing: usize, owner: usize, need: usize, valid_until: DateTime<Utc> },
}

/// What an answer is about.
#[derive(Debug, Clone, Copy)]
enum About {
    Referral(usize),
    Match(usize),
}

/// A support request's next step.
#[derive(Debug, Clone, Copy)]
enum Decide {
    Review,
    Grant { amount_cents: Option<i64> },
    Decline(SupportDeclineReason),
    Withdraw,
}

/// One thing that happens. Slots are the positions of what earlier actions made.
#[derive(Debug, Clone)]
enum Action {
    /// A resident the history adds creates their profile.
    Join(usize),
    /// A resident consents to referral by the wijkteam.
    Consent { resident: usize, consent: usize },
    /// A resident withdraws that consent (the service cancels what was referred under it).
    Withdraw { resident: usize, consent: usize },
    /// A resident posts an offer or a request.
    Post { listing: usize, owner: usize, kind: ListingKind, what: usize, valid_until: DateTime<Utc> },
    /// The owner closes it (or marks it matched).
    Close { listing: usize, owner: usize, status: ListingStatus },
    /// A professional refers a request.
    Refer { referral: usize, pro: usize, request: Req, helper: Helper, note: Option<usize> },
    /// Someone takes a referral's next step.
    Step { referral: usize, by: Actor, step: Step },
    /// A resident proposes a match (and so accepts it).
    Propose { m: usize, resident: usize, request: usize, helper: Helper },
    /// The helper accepts the match.
    MatchAccept { m: usize, by: Actor },
    /// The resident completes it.
    MatchComplete { m: usize, resident: usize },
    /// A resident tells how it went.
    Answer { resident: usize, about: About, scores: [u8; 6], comment: Option<(&'static str, bool)> },
    /// An initiative asks for support.
    Submit {
        support: usize,
        initiative: usize,
        by: Actor,
        kind: SupportKind,
        wording: usize,
        amount_cents: Option<i64>,
        wish_in_days: Option<i64>,
    },
    /// The request's next step.
    Decide { support: usize, by: Actor, kind: SupportKind, decision: Decide },
}

/// How a referral goes, decided when it is made.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// Nobody takes the next step: it stays open (and goes stale).
    Stall(ReferralState),
    /// The helper declines.
    Declined(ReferralDeclineReason),
    /// Called off once it reached `stage`.
    Cancelled { stage: ReferralState, by: Canceller },
    /// Closed with an outcome, straight from accepted or after being started.
    Closed { outcome: ReferralOutcome, from_accepted: bool, by_pro: bool },
}

#[derive(Debug, Clone, Copy)]
enum Canceller {
    Professional,
    Resident,
    /// The resident withdraws their consent; the service cancels.
    Withdrawal,
}

/// A resident in the plan: one of the town's, or one the history adds. The town's come first,
/// each at its index in [`Cast::people`], so a volunteer's or an offer owner's person index is
/// also their resident index, and nobody is sent to help themself.
struct PlannedResident {
    key: String,
    wijk: usize,
    /// For one the history adds, their name.
    name: Option<&'static str>,
    /// For one of the town's, their index into [`Cast::people`].
    town: Option<usize>,
    joined: bool,
    /// Until when they are being helped; a resident has one request with the team at a time.
    busy_until: DateTime<Utc>,
    /// The consent (slot) in force, once given.
    consent: Option<usize>,
}

/// An offer of the history: open from `from` until `until`.
struct PlannedOffer {
    listing: usize,
    owner: usize,
    gift: usize,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
}

/// How a referral ended in the plan.
struct Ended {
    at: DateTime<Utc>,
    /// Still open at the anchor.
    open: bool,
    /// How likely the team tries another helper.
    again: f64,
    got_help: bool,
}

struct Plan {
    residents: Vec<PlannedResident>,
    actions: Vec<(DateTime<Utc>, Action)>,
}

struct Planner<'a> {
    cast: &'a Cast,
    rng: SmallRng,
    anchor: DateTime<Utc>,
    start: DateTime<Utc>,
    actions: Vec<(DateTime<Utc>, Action)>,
    residents: Vec<PlannedResident>,
    offers: Vec<PlannedOffer>,
    /// Per initiative, the spans in which a referral or match may hold one of its places.
    held: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>>,
    /// The wijk (index) of each cast person.
    person_wijk: Vec<usize>,
    /// Per wijk: whether it is one of the busiest, and how many answers it got so far.
    busy: Vec<bool>,
    answers: Vec<u32>,
    /// Fates that must occur, taken before any drawn at random.
    must: VecDeque<Fate>,
    listings: usize,
    consents: usize,
    referrals: usize,
    matches: usize,
    support: usize,
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn days(d: i64) -> Duration {
    Duration::days(d)
}

fn pick<T: Copy>(rng: &mut SmallRng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (v, w) in weighted {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

fn overlaps(a: &[ActivityCategory], b: &[ActivityCategory]) -> bool {
    a.iter().any(|x| b.contains(x))
}

impl<'a> Planner<'a> {
    fn new(cast: &'a Cast, anchor: DateTime<Utc>) -> Self {
        let start = anchor - days(DAYS);
        let wijk_of = |code: &str| cast.wijken.iter().position(|w| w.code == code).unwrap_or(0);
        let person_wijk: Vec<usize> = cast.people.iter().map(|p| wijk_of(&p.wijk)).collect();
        // The wijken with the most of the town's residents get most of the answers.
        let mut residents_in = vec![0usize; cast.wijken.len()];
        for w in &person_wijk {
            residents_in[*w] += 1;
        }
        let mut by_size: Vec<usize> = (0..cast.wijken.len()).collect();
        by_size.sort_by_key(|w| (std::cmp::Reverse(residents_in[*w]), *w));
        let mut busy = vec![false; cast.wijken.len()];
        for w in by_size.into_iter().take(BUSY_WIJKEN) {
            busy[w] = true;
        }
        let residents = cast
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| PlannedResident {
                key: p.key.clone(),
                wijk: person_wijk[i],
                name: None,
                town: Some(i),
                joined: true,
                busy_until: start,
                consent: None,
            })
            .collect();
        let mut rng = SmallRng::seed_from_u64(stable_seed("buurtkracht demo history"));
        // Every decline reason, every outcome, every open state left standing and every way of
        // calling a referral off, once each early in the year; the rest is drawn.
        let mut must: Vec<Fate> = ReferralDeclineReason::ALL.iter().map(|r| Fate::Declined(*r)).collect();
        must.extend(ReferralOutcome::ALL.iter().map(|o| Fate::Closed { outcome: *o, from_accepted: false, by_pro: false }));
        must.extend([ReferralState::Sent, ReferralState::Accepted, ReferralState::InProgress].map(Fate::Stall));
        must.extend([
            Fate::Cancelled { stage: ReferralState::Sent, by: Canceller::Professional },
            Fate::Cancelled { stage: ReferralState::Accepted, by: Canceller::Resident },
            Fate::Cancelled { stage: ReferralState::InProgress, by: Canceller::Withdrawal },
        ]);
        must.shuffle(&mut rng);
        Self {
            cast,
            rng,
            anchor,
            start,
            actions: Vec::new(),
            residents,
            offers: Vec::new(),
            held: vec![Vec::new(); cast.initiatives.len()],
            person_wijk,
            answers: vec![0; busy.len()],
            busy,
            must: must.into(),
            listings: 0,
            consents: 0,
            referrals: 0,
            matches: 0,
            support: 0,
        }
    }

    fn plan(mut self) -> Plan {
        self.plan_offers();
        let mut starts: Vec<DateTime<Utc>> =
            (0..CASES).map(|_| self.start + days(self.rng.random_range(3..DAYS - 1)) + hours(self.rng.random_range(8..18))).collect();
        starts.sort();
        for t in starts {
            // Residents find their own match about one time in ten; late in the year there is
            // no time left to finish one, and the team refers instead.
            if t < self.anchor - days(60) && self.rng.random_bool(0.1) {
                self.match_case(t);
            } else {
                self.referral_case(t);
            }
        }
        self.plan_support();
        // A stable sort: what happens at the same moment keeps the order it was planned in.
        self.actions.sort_by_key(|(t, _)| *t);
        Plan { residents: self.residents, actions: self.actions }
    }

    /// Adds an action at `t`, unless `t` is at or past the anchor: what falls after it has
    /// not happened yet. Returns whether it happens.
    fn emit(&mut self, t: DateTime<Utc>, a: Action) -> bool {
        if t >= self.anchor {
            return false;
        }
        self.actions.push((t, a));
        true
    }

    fn slot(counter: &mut usize) -> usize {
        *counter += 1;
        *counter - 1
    }

    fn pro_of(wijk: usize) -> usize {
        wijk % PROFESSIONALS
    }

    fn wijk_weight(&self, w: usize) -> u32 {
        if self.busy[w] { 4 } else { 1 }
    }

    // --- residents -----------------------------------------------------------------------

    /// A resident free at `t`: one of those known, or (often, and always when nobody is free)
    /// a new one, placed in a wijk where the busy ones weigh more.
    fn resident_at(&mut self, t: DateTime<Utc>) -> usize {
        let free: Vec<(usize, u32)> = (0..self.residents.len())
            .filter(|r| self.residents[*r].busy_until + days(14) <= t)
            .map(|r| (r, self.wijk_weight(self.residents[r].wijk)))
            .collect();
        if free.is_empty() || self.rng.random_bool(0.4) {
            let wijken: Vec<(usize, u32)> = (0..self.cast.wijken.len()).map(|w| (w, self.wijk_weight(w))).collect();
            let wijk = pick(&mut self.rng, &wijken);
            let n = self.residents.iter().filter(|r| r.town.is_none()).count();
            self.residents.push(PlannedResident {
                key: format!("h-{:03}", n + 1),
                wijk,
                name: Some(name(n)),
                town: None,
                joined: false,
                busy_until: self.start,
                consent: None,
            });
            return self.residents.len() - 1;
        }
        pick(&mut self.rng, &free)
    }

    /// Has a new resident join a few days before `t`.
    fn join(&mut self, r: usize, t: DateTime<Utc>) {
        if !self.residents[r].joined {
            let at = t - hours(self.rng.random_range(50..120));
            self.emit(at, Action::Join(r));
            self.residents[r].joined = true;
        }
    }

    // --- helpers ---------------------------------------------------------------------------

    fn plan_offers(&mut self) {
        for i in 0..OFFERS {
            let v = self.rng.random_range(0..self.cast.volunteers.len());
            let owner = self.cast.volunteers[v].person;
            let from = self.start + days(self.rng.random_range(0..DAYS - 30)) + hours(self.rng.random_range(7..21));
            let valid_until = (from + days(self.rng.random_range(45..90))).min(self.anchor);
            let listing = Self::slot(&mut self.listings);
            let gift = i % GIFTS.len();
            self.emit(from, Action::Post { listing, owner, kind: ListingKind::Offer, what: gift, valid_until });
            let mut until = valid_until;
            if self.rng.random_bool(0.5) {
                let closing = valid_until - days(self.rng.random_range(1..10));
                if closing > from + days(7) && self.emit(closing, Action::Close { listing, owner, status: ListingStatus::Closed }) {
                    until = closing;
                }
            }
            self.offers.push(PlannedOffer { listing, owner, gift, from, until });
        }
    }

    /// Whether initiative `i` has a place for a referral or match made at `t`, counting every
    /// planned one that may hold a place within the next months as holding one.
    fn has_room(&self, i: usize, t: DateTime<Utc>) -> bool {
        let Some(places) = self.cast.initiatives[i].capacity else { return true };
        let held = self.held[i].iter().filter(|(from, until)| *from < t + days(120) && *until > t).count();
        (held as u32) + 2 <= places
    }

    /// A helper for `need` of resident `r` at `t`, other than `used`: by kind on the
    /// informal-first ladder, then among those that do what is asked, nearby ones first.
    fn helper_for(&mut self, need: usize, r: usize, used: &[Helper], t: DateTime<Utc>, professional: bool) -> Helper {
        let cats = NEEDS[need].categories;
        let wijk = self.residents[r].wijk;
        for _ in 0..20 {
            let kind = if professional {
                pick(
                    &mut self.rng,
                    &[
                        (ReferralHelperKind::Offer, 12),
                        (ReferralHelperKind::Volunteer, 30),
                        (ReferralHelperKind::Initiative, 45),
                        (ReferralHelperKind::ProfessionalService, 13),
                    ],
                )
            } else {
                pick(&mut self.rng, &[(ReferralHelperKind::Volunteer, 1), (ReferralHelperKind::Initiative, 1)])
            };
            let mut pool: Vec<(Helper, usize)> = match kind {
                ReferralHelperKind::Offer => self
                    .offers
                    .iter()
                    .filter(|o| o.from + hours(1) < t && t + hours(1) < o.until && o.owner != r)
                    .filter(|o| overlaps(GIFTS[o.gift].categories, cats))
                    .map(|o| (Helper::Offer { listing: o.listing, owner: o.owner }, self.residents[o.owner].wijk))
                    .collect(),
                ReferralHelperKind::Volunteer => self
                    .cast
                    .volunteers
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.person != r && overlaps(&v.skills, cats))
                    .map(|(i, v)| (Helper::Volunteer(i), self.person_wijk[v.person]))
                    .collect(),
                ReferralHelperKind::Initiative | ReferralHelperKind::ProfessionalService => {
                    let want_professional = kind == ReferralHelperKind::ProfessionalService;
                    let of_kind: Vec<usize> = (0..self.cast.initiatives.len())
                        .filter(|i| (self.cast.initiatives[*i].kind == InitiativeKind::ProfessionalService) == want_professional)
                        .filter(|i| self.has_room(*i, t))
                        .collect();
                    let fitting: Vec<usize> =
                        of_kind.iter().copied().filter(|i| overlaps(&self.cast.initiatives[*i].categories, cats)).collect();
                    // Professional services are few; the team refers to one that does not list
                    // the category when it is the one for the resident's wider problem.
                    let chosen = if fitting.is_empty() && want_professional { of_kind } else { fitting };
                    chosen.into_iter().map(|i| (Helper::Initiative(i), self.wijk_of_initiative(i))).collect()
                }
            };
            pool.retain(|(h, _)| !used.contains(h));
            if pool.is_empty() {
                continue;
            }
            let weighted: Vec<(Helper, u32)> = pool.iter().map(|(h, w)| (*h, if *w == wijk { 4 } else { 1 })).collect();
            return pick(&mut self.rng, &weighted);
        }
        // Someone always helps: any volunteer not yet asked.
        let left: Vec<(Helper, u32)> = (0..self.cast.volunteers.len())
            .filter(|v| self.cast.volunteers[*v].person != r && !used.contains(&Helper::Volunteer(*v)))
            .map(|v| (Helper::Volunteer(v), 1))
            .collect();
        pick(&mut self.rng, &left)
    }

    fn wijk_of_initiative(&self, i: usize) -> usize {
        self.cast.wijken.iter().position(|w| w.code == self.cast.initiatives[i].wijk).unwrap_or(0)
    }

    /// Who takes the helper's steps.
    fn helper_actor(&self, h: Helper) -> Actor {
        match h {
            Helper::Offer { owner, .. } => Actor::Resident(owner),
            Helper::Volunteer(v) => Actor::Resident(self.cast.volunteers[v].person),
            Helper::Initiative(i) => Actor::Organiser(i),
        }
    }

    fn hold(&mut self, h: Helper, from: DateTime<Utc>, until: DateTime<Utc>) {
        if let Helper::Initiative(i) = h {
            self.held[i].push((from, until));
        }
    }

    // --- referrals ---------------------------------------------------------------------------

    fn fate(&mut self) -> Fate {
        if let Some(f) = self.must.pop_front() {
            return f;
        }
        let rng = &mut self.rng;
        match pick(rng, &[(0u8, 66), (1, 18), (2, 12), (3, 4)]) {
            0 => {
                use ReferralOutcome::*;
                let outcome = pick(
                    rng,
                    &[
                        (GotHelp, 48),
                        (CouldNotContact, 9),
                        (NotEligible, 6),
                        (NoCapacity, 6),
                        (CouldNotGetHelp, 10),
                        (NoLongerInterested, 11),
                        (ReferredElsewhere, 10),
                    ],
                );
                // Some end before the help started: nobody was reached, or it turned out not to fit.
                let from_accepted = match outcome {
                    CouldNotContact => rng.random_bool(0.8),
                    NoLongerInterested => rng.random_bool(0.4),
                    NotEligible | NoCapacity => rng.random_bool(0.5),
                    _ => false,
                };
                let by_pro = rng.random_bool(if outcome == CouldNotContact { 0.5 } else { 0.15 });
                Fate::Closed { outcome, from_accepted, by_pro }
            }
            1 => {
                use ReferralDeclineReason::*;
                Fate::Declined(pick(rng, &[(NoCapacity, 35), (NotAFit, 25), (OutsideArea, 10), (CannotMeetConditions, 20), (Other, 10)]))
            }
            2 => {
                let by = pick(rng, &[(Canceller::Professional, 4), (Canceller::Resident, 4), (Canceller::Withdrawal, 2)]);
                let stage = pick(rng, &[(ReferralState::Sent, 5), (ReferralState::Accepted, 3), (ReferralState::InProgress, 2)]);
                Fate::Cancelled { stage, by }
            }
            _ => Fate::Stall(pick(rng, &[(ReferralState::Sent, 4), (ReferralState::Accepted, 3), (ReferralState::InProgress, 3)])),
        }
    }

    /// The step `after` the time in `t`, moving `t` on; false when it falls past the anchor.
    fn step(&mut self, t: &mut DateTime<Utc>, after: Duration, referral: usize, by: Actor, step: Step) -> bool {
        *t += after;
        self.emit(*t, Action::Step { referral, by, step })
    }

    /// The steps of one referral, sent at `sent`, as `fate` has it.
    fn carry_out(&mut self, referral: usize, r: usize, pro: usize, helper: Helper, sent: DateTime<Utc>, fate: Fate) -> Ended {
        let h = self.helper_actor(helper);
        let mut t = sent;
        let open = |t| Ended { at: t, open: true, again: 0.0, got_help: false };
        let answer_after = hours(self.rng.random_range(2..6 * 24));
        let start_after = hours(self.rng.random_range(24..7 * 24));
        match fate {
            Fate::Stall(ReferralState::Sent) => open(t),
            Fate::Stall(stage) => {
                if self.step(&mut t, answer_after, referral, h, Step::Accept) && stage == ReferralState::InProgress {
                    self.step(&mut t, start_after, referral, h, Step::Start);
                }
                open(t)
            }
            Fate::Declined(reason) => {
                if !self.step(&mut t, answer_after, referral, h, Step::Decline(reason)) {
                    return open(t);
                }
                Ended { at: t, open: false, again: 0.75, got_help: false }
            }
            Fate::Cancelled { stage, by } => {
                if stage != ReferralState::Sent && !self.step(&mut t, answer_after, referral, h, Step::Accept) {
                    return open(t);
                }
                if stage == ReferralState::InProgress && !self.step(&mut t, start_after, referral, h, Step::Start) {
                    return open(t);
                }
                let after = hours(self.rng.random_range(24..10 * 24));
                let done = match by {
                    Canceller::Professional => self.step(&mut t, after, referral, Actor::Pro(pro), Step::Cancel),
                    Canceller::Resident => self.step(&mut t, after, referral, Actor::Resident(r), Step::Cancel),
                    Canceller::Withdrawal => {
                        t += after;
                        let consent = self.residents[r].consent;
                        match consent {
                            Some(consent) if self.emit(t, Action::Withdraw { resident: r, consent }) => {
                                self.residents[r].consent = None;
                                true
                            }
                            _ => false,
                        }
                    }
                };
                if !done {
                    return open(t);
                }
                let again = if matches!(by, Canceller::Professional) { 0.3 } else { 0.0 };
                Ended { at: t, open: false, again, got_help: false }
            }
            Fate::Closed { outcome, from_accepted, by_pro } => {
                if !self.step(&mut t, answer_after, referral, h, Step::Accept) {
                    return open(t);
                }
                let after = if from_accepted {
                    days(self.rng.random_range(5..21))
                } else {
                    if !self.step(&mut t, start_after, referral, h, Step::Start) {
                        return open(t);
                    }
                    days(self.rng.random_range(7..60)) + hours(self.rng.random_range(0..9))
                };
                let by = if by_pro { Actor::Pro(pro) } else { h };
                if !self.step(&mut t, after, referral, by, Step::Close(outcome)) {
                    return open(t);
                }
                let tone = match outcome {
                    ReferralOutcome::GotHelp => 4.2,
                    ReferralOutcome::ReferredElsewhere => 3.3,
                    ReferralOutcome::NoLongerInterested => 3.0,
                    _ => 2.4,
                };
                self.maybe_answer(r, About::Referral(referral), t, tone);
                let again = match outcome {
                    ReferralOutcome::ReferredElsewhere => 1.0,
                    ReferralOutcome::NoCapacity => 0.6,
                    ReferralOutcome::CouldNotGetHelp => 0.3,
                    ReferralOutcome::CouldNotContact => 0.2,
                    _ => 0.0,
                };
                Ended { at: t, open: false, again, got_help: outcome == ReferralOutcome::GotHelp }
            }
        }
    }

    /// A resident's request, followed through the team's referrals until it ends or the year
    /// does.
    fn referral_case(&mut self, t0: DateTime<Utc>) {
        let r = self.resident_at(t0);
        self.join(r, t0);
        let pro = Self::pro_of(self.residents[r].wijk);
        let need = self.rng.random_range(0..NEEDS.len());
        // Most residents post their request themself; for the others the professional records it.
        let mut request: Option<(usize, DateTime<Utc>)> = None;
        if self.rng.random_bool(0.65) {
            let posted = t0 - Duration::minutes(self.rng.random_range(60..48 * 60));
            let listing = Self::slot(&mut self.listings);
            let valid_until = (posted + days(30)).min(self.anchor);
            self.emit(posted, Action::Post { listing, owner: r, kind: ListingKind::Request, what: need, valid_until });
            request = Some((listing, valid_until));
        }
        if self.residents[r].consent.is_none() {
            let consent = Self::slot(&mut self.consents);
            self.emit(t0, Action::Consent { resident: r, consent });
            self.residents[r].consent = Some(consent);
        }
        let mut t = t0 + Duration::minutes(self.rng.random_range(10..48 * 60));
        let mut used = Vec::new();
        let mut end = t0;
        let mut got_help = false;
        for k in 0..MAX_REFERRALS_PER_CASE {
            let helper = self.helper_for(need, r, &used, t, true);
            used.push(helper);
            let req = match request {
                Some((listing, valid_until)) if t + hours(1) < valid_until => Req::Existing(listing),
                _ => {
                    let listing = Self::slot(&mut self.listings);
                    let valid_until = (t + days(30)).min(self.anchor);
                    request = Some((listing, valid_until));
                    Req::Recorded { listing, owner: r, need, valid_until }
                }
            };
            let note = self.rng.random_bool(0.3).then(|| self.rng.random_range(0..NOTES.len()));
            let referral = Self::slot(&mut self.referrals);
            if !self.emit(t, Action::Refer { referral, pro, request: req, helper, note }) {
                self.residents[r].busy_until = self.anchor;
                return;
            }
            let fate = self.fate();
            let ended = self.carry_out(referral, r, pro, helper, t, fate);
            self.hold(helper, t, if ended.open { self.anchor } else { ended.at });
            if ended.open {
                self.residents[r].busy_until = self.anchor;
                return;
            }
            end = ended.at;
            got_help = ended.got_help;
            if k + 1 == MAX_REFERRALS_PER_CASE || !self.rng.random_bool(ended.again) {
                break;
            }
            t = ended.at + hours(self.rng.random_range(4..5 * 24));
        }
        // The resident takes their request down once it is over, if it has not expired.
        if let Some((listing, valid_until)) = request {
            let at = end + hours(self.rng.random_range(2..72));
            let status = if got_help { ListingStatus::Matched } else { ListingStatus::Closed };
            if at < valid_until && self.emit(at, Action::Close { listing, owner: r, status }) {
                end = at;
            }
        }
        self.residents[r].busy_until = end;
    }

    // --- matches -----------------------------------------------------------------------------

    /// A resident posts a request and finds a volunteer or an initiative themself.
    fn match_case(&mut self, t0: DateTime<Utc>) {
        let r = self.resident_at(t0);
        self.join(r, t0);
        let need = self.rng.random_range(0..NEEDS.len());
        let listing = Self::slot(&mut self.listings);
        let valid_until = t0 + days(30);
        self.emit(t0, Action::Post { listing, owner: r, kind: ListingKind::Request, what: need, valid_until });
        let mut t = t0 + hours(self.rng.random_range(2..48));
        let helper = self.helper_for(need, r, &[], t, false);
        let m = Self::slot(&mut self.matches);
        self.emit(t, Action::Propose { m, resident: r, request: listing, helper });
        let proposed = t;
        t += hours(self.rng.random_range(3..5 * 24));
        self.emit(t, Action::MatchAccept { m, by: self.helper_actor(helper) });
        t += hours(self.rng.random_range(1..24));
        self.emit(t, Action::Close { listing, owner: r, status: ListingStatus::Matched });
        t += days(self.rng.random_range(7..35));
        self.emit(t, Action::MatchComplete { m, resident: r });
        self.hold(helper, proposed, t);
        self.maybe_answer(r, About::Match(m), t, 4.4);
        self.residents[r].busy_until = t;
    }

    // --- answers -----------------------------------------------------------------------------

    /// The most answers a quiet wijk gets in the year: 1 to 4, by wijk, so that it never
    /// passes k = 5 and (where it gets any) shows its themes suppressed.
    fn quiet_cap(&self, w: usize) -> u32 {
        1 + (stable_seed(&self.cast.wijken[w].code) % 4) as u32
    }

    /// Whether resident `r` answers on what ended at `ended`, and how: scores around `tone`.
    fn maybe_answer(&mut self, r: usize, about: About, ended: DateTime<Utc>, tone: f64) {
        let w = self.residents[r].wijk;
        let p = if self.busy[w] {
            0.75
        } else if self.answers[w] < self.quiet_cap(w) {
            0.45
        } else {
            0.0
        };
        if !self.rng.random_bool(p) {
            return;
        }
        let at = ended + hours(self.rng.random_range(12..14 * 24));
        // Each wijk's answers lean a little its own way, so wijken differ.
        let lean = ((stable_seed(&self.cast.wijken[w].code) >> 8) % 5) as f64 * 0.15 - 0.3;
        let mut scores = [0u8; 6];
        for s in &mut scores {
            let v: f64 = tone + lean + self.rng.random_range(-1.0..1.0);
            *s = v.round().clamp(1.0, 5.0) as u8;
        }
        let comment = self.rng.random_bool(0.35).then(|| {
            let pool = if tone >= 3.5 { PRAISE } else { COMPLAINTS };
            (pool[self.rng.random_range(0..pool.len())], self.rng.random_bool(0.65))
        });
        if self.emit(at, Action::Answer { resident: r, about, scores, comment }) {
            self.answers[w] += 1;
        }
    }

    // --- support requests --------------------------------------------------------------------

    fn plan_support(&mut self) {
        let askers: Vec<usize> =
            (0..self.cast.initiatives.len()).filter(|i| self.cast.initiatives[*i].kind != InitiativeKind::ProfessionalService).collect();
        let mut kinds: VecDeque<SupportKind> = SupportKind::ALL.to_vec().into();
        let mut ends: VecDeque<SupportStatus> =
            [SupportStatus::Granted, SupportStatus::Declined, SupportStatus::Withdrawn, SupportStatus::InReview].into();
        let mut reasons: VecDeque<SupportDeclineReason> = SupportDeclineReason::ALL.to_vec().into();
        for n in 0..SUPPORT_REQUESTS {
            let initiative = askers[self.rng.random_range(0..askers.len())];
            // The last one stays as it came in: nobody has picked it up yet.
            let submitted = if n + 1 == SUPPORT_REQUESTS {
                self.anchor - days(self.rng.random_range(3..12)) + hours(self.rng.random_range(9..17))
            } else {
                self.start + days(self.rng.random_range(5..DAYS - 2)) + hours(self.rng.random_range(8..20))
            };
            let kind = kinds.pop_front().unwrap_or_else(|| SupportKind::ALL[self.rng.random_range(0..SupportKind::ALL.len())]);
            // An admin asks on an initiative's behalf now and then, as the rules allow.
            let by = if self.rng.random_bool(0.2) { Actor::Admin } else { Actor::Organiser(initiative) };
            let amount_cents = (kind == SupportKind::Grant).then(|| self.rng.random_range(10..60) * 2_500);
            let wish_in_days = self.rng.random_bool(0.5).then(|| self.rng.random_range(14..120));
            let support = Self::slot(&mut self.support);
            let wording = self.rng.random_range(0..2);
            self.emit(submitted, Action::Submit { support, initiative, by, kind, wording, amount_cents, wish_in_days });
            if n + 1 == SUPPORT_REQUESTS {
                continue;
            }
            let pro = Actor::Pro(Self::pro_of(self.wijk_of_initiative(initiative)));
            let end = ends.pop_front().unwrap_or_else(|| {
                pick(
                    &mut self.rng,
                    &[
                        (SupportStatus::Granted, 55),
                        (SupportStatus::Declined, 28),
                        (SupportStatus::Withdrawn, 12),
                        (SupportStatus::InReview, 5),
                    ],
                )
            });
            let mut t = submitted;
            if end == SupportStatus::InReview || self.rng.random_bool(0.6) {
                t += hours(self.rng.random_range(20..10 * 24));
                if !self.emit(t, Action::Decide { support, by: pro, kind, decision: Decide::Review }) || end == SupportStatus::InReview {
                    continue;
                }
            }
            t += days(self.rng.random_range(3..25)) + hours(self.rng.random_range(0..8));
            let decision = match end {
                SupportStatus::Granted => {
                    // A grant may be less than was asked.
                    let given = amount_cents.map(|a| if self.rng.random_bool(0.3) { a / 2 } else { a });
                    Decide::Grant { amount_cents: given }
                }
                SupportStatus::Declined => Decide::Decline(reasons.pop_front().unwrap_or_else(|| {
                    use SupportDeclineReason::*;
                    pick(&mut self.rng, &[(NoBudget, 3), (NotEligible, 2), (OtherProvision, 2), (Incomplete, 2), (Other, 1)])
                })),
                _ => Decide::Withdraw,
            };
            let by = if matches!(decision, Decide::Withdraw) { by } else { pro };
            self.emit(t, Action::Decide { support, by, kind, decision });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Carrying the plan out.

/// A resident as the executor knows them: key, wijk, name (for one the history adds) and,
/// once they exist, their person id.
type KnownResident = (String, usize, Option<&'static str>, Option<Uuid>);

struct Exec<'a> {
    state: &'a State,
    wijken: &'a Wijken,
    cast: &'a Cast,
    residents: Vec<KnownResident>,
    listings: Vec<Option<Uuid>>,
    consents: Vec<Option<Uuid>>,
    referrals: Vec<Option<Uuid>>,
    matches: Vec<Option<Uuid>>,
    support: Vec<Option<Uuid>>,
    made: Made,
}

fn put(slots: &mut Vec<Option<Uuid>>, i: usize, id: Uuid) {
    if slots.len() <= i {
        slots.resize(i + 1, None);
    }
    slots[i] = Some(id);
}

fn got(slots: &[Option<Uuid>], i: usize, what: &str) -> anyhow::Result<Uuid> {
    slots.get(i).copied().flatten().with_context(|| format!("{what} {i} was never made"))
}

impl Exec<'_> {
    fn resident(&self, r: usize) -> anyhow::Result<Principal> {
        let (key, _, _, id) = &self.residents[r];
        let id = id.with_context(|| format!("resident {key} has not joined"))?;
        Ok(as_resident(key, Some(id)))
    }

    fn professional(&self, n: usize) -> Principal {
        Principal {
            role: Role::Professional,
            credential: Credential::Token { subject: format!("demo-pro-{}", n + 1) },
            person_id: None,
            gemeenten: vec![self.cast.gemeente.clone()],
            initiatives: Vec::new(),
        }
    }

    fn actor(&self, a: Actor) -> anyhow::Result<Principal> {
        Ok(match a {
            Actor::Resident(r) => self.resident(r)?,
            Actor::Pro(n) => self.professional(n),
            Actor::Organiser(i) => organiser_of(&self.cast.admin, self.cast.initiatives[i].id),
            Actor::Admin => self.cast.admin.clone(),
        })
    }

    fn person(&self, r: usize) -> anyhow::Result<Uuid> {
        self.residents[r].3.with_context(|| format!("resident {} has not joined", self.residents[r].0))
    }

    fn listing_fields(&self, owner: usize, kind: ListingKind, text_of: usize, valid_until: DateTime<Utc>) -> anyhow::Result<ListingFields> {
        let (t, d, categories, zrm) = match kind {
            ListingKind::Request => {
                let n = &NEEDS[text_of];
                (n.title, n.description, n.categories, n.zrm)
            }
            ListingKind::Offer => {
                let g = &GIFTS[text_of];
                (g.title, g.description, g.categories, g.zrm)
            }
        };
        Ok(ListingFields {
            kind,
            title: title(t, 200)?,
            description: text(d, 5000)?,
            categories: categories.to_vec(),
            zrm_domains: zrm.to_vec(),
            owner: Owner::Person(self.person(owner)?),
            availability: Vec::new(),
            languages: Vec::new(),
            valid_until,
            status: ListingStatus::Open,
        })
    }

    async fn run(&mut self, action: &Action) -> anyhow::Result<()> {
        let state = self.state;
        match *action {
            Action::Join(r) => {
                let (key, wijk, name, _) = self.residents[r].clone();
                let name = name.unwrap_or("Buur");
                // A few keep their home coarser, as residents may.
                let precision = if stable_seed(&key).is_multiple_of(6) { LocationPrecision::parse(7)? } else { LocationPrecision::DEFAULT };
                let point = self.wijken.point(state, &self.cast.wijken[wijk].name, &key, Some(precision.resolution()))?;
                let email = format!("{}.{}@mail.example", name.to_lowercase(), key.replace('-', ""));
                let fields = PersonFields {
                    display_name: title(name, 100)?,
                    languages: vec![LanguageCode::parse("nl")?],
                    contact: Contact::parse(Some(&email), None, None).map_err(|(f, e)| anyhow::anyhow!("{f}: {e}"))?,
                    home_cell: CellId::new(point.cell(precision.resolution())),
                    precision,
                };
                let m = service::people::create(state, &as_resident(&key, None), fields).await?;
                self.residents[r].3 = Some(m.id);
                self.made.people += 1;
            }
            Action::Consent { resident, consent } => {
                let c = NewConsent {
                    purpose: "Doorverwijzing door het wijkteam naar hulp in de buurt".into(),
                    grantee: Grantee::Wijkteam(self.cast.gemeente.clone()),
                    scope: vec![ConsentScope::Referral],
                    valid_from: service::now(),
                    valid_until: None,
                };
                let m = service::consents::give(state, &self.resident(resident)?, c).await?;
                put(&mut self.consents, consent, m.id);
            }
            Action::Withdraw { resident, consent } => {
                let id = got(&self.consents, consent, "consent")?;
                service::consents::withdraw(state, &self.resident(resident)?, id).await?;
            }
            Action::Post { listing, owner, kind, what, valid_until } => {
                let fields = self.listing_fields(owner, kind, what, valid_until)?;
                let m = service::listings::create(state, &self.resident(owner)?, fields).await?;
                put(&mut self.listings, listing, m.id);
                self.made.listings += 1;
            }
            Action::Close { listing, owner, status } => {
                let id = got(&self.listings, listing, "listing")?;
                service::listings::update(state, &self.resident(owner)?, id, |f, _| {
                    Ok::<_, service::Error>(ListingFields { status, ..f.clone() })
                })
                .await?;
            }
            Action::Refer { referral, pro, request, helper, note } => {
                let request_ref = match request {
                    Req::Existing(l) => RequestRef::Existing(got(&self.listings, l, "listing")?),
                    Req::Recorded { owner, need, valid_until, .. } => {
                        RequestRef::Recorded(self.listing_fields(owner, ListingKind::Request, need, valid_until)?)
                    }
                };
                let (helper_kind, helper_id) = match helper {
                    Helper::Offer { listing, .. } => (ReferralHelperKind::Offer, got(&self.listings, listing, "offer")?),
                    Helper::Volunteer(v) => (ReferralHelperKind::Volunteer, self.cast.volunteers[v].id),
                    Helper::Initiative(i) => {
                        let ini = &self.cast.initiatives[i];
                        let kind = if ini.kind == InitiativeKind::ProfessionalService {
                            ReferralHelperKind::ProfessionalService
                        } else {
                            ReferralHelperKind::Initiative
                        };
                        (kind, ini.id)
                    }
                };
                let input = NewReferralInput {
                    request: request_ref,
                    helper_kind,
                    helper_id,
                    note: note.map(|n| text(NOTES[n], 2000)).transpose()?,
                };
                let shown = service::referrals::refer(state, &self.professional(pro), input).await?;
                put(&mut self.referrals, referral, shown.record.id);
                if let Req::Recorded { listing, .. } = request {
                    put(&mut self.listings, listing, shown.record.request_id.context("a recorded request")?);
                    self.made.listings += 1;
                }
                self.made.referrals += 1;
            }
            Action::Step { referral, by, step } => {
                let id = got(&self.referrals, referral, "referral")?;
                service::referrals::step(state, &self.actor(by)?, id, step).await?;
            }
            Action::Propose { m, resident, request, helper } => {
                let request_id = got(&self.listings, request, "listing")?;
                let (kind, helper_id) = match helper {
                    Helper::Offer { listing, .. } => (HelperRef::Offer, got(&self.listings, listing, "offer")?),
                    Helper::Volunteer(v) => (HelperRef::Volunteer, self.cast.volunteers[v].id),
                    Helper::Initiative(i) => (HelperRef::Initiative, self.cast.initiatives[i].id),
                };
                let shown = matches::propose(state, &self.resident(resident)?, request_id, kind, helper_id).await?;
                put(&mut self.matches, m, shown.record.id);
                self.made.matches += 1;
            }
            Action::MatchAccept { m, by } => {
                let id = got(&self.matches, m, "match")?;
                matches::step(state, &self.actor(by)?, id, matches::Step::Accept).await?;
            }
            Action::MatchComplete { m, resident } => {
                let id = got(&self.matches, m, "match")?;
                matches::step(state, &self.resident(resident)?, id, matches::Step::Complete { join_network: false }).await?;
            }
            Action::Answer { resident, about, scores, comment } => {
                let subject = match about {
                    About::Referral(r) => SubjectRef::Referral(got(&self.referrals, r, "referral")?),
                    About::Match(m) => SubjectRef::Match(got(&self.matches, m, "match")?),
                };
                let mut given = Scores::default();
                for (theme, v) in ExperienceTheme::ALL.iter().zip(scores) {
                    given.set(*theme, Some(Score::parse(i64::from(v))?));
                }
                let (words, share) = match comment {
                    Some((c, share)) => (Some(BoundedText::parse(c, MAX_COMMENT)?), share),
                    None => (None, false),
                };
                service::experiences::give(state, &self.resident(resident)?, subject, Answer::new(given, words, share)?).await?;
                self.made.experiences += 1;
            }
            Action::Submit { support, initiative, by, kind, wording, amount_cents, wish_in_days } => {
                let today = service::now().date_naive();
                let wished = wish_in_days.map(|d| today + days(d));
                let ask = SupportAsk::parse(kind, support_text(kind, wording), amount_cents, wished, today)
                    .map_err(|(f, e)| anyhow::anyhow!("{f}: {e}"))?;
                let shown = service::support_requests::submit(state, &self.actor(by)?, self.cast.initiatives[initiative].id, ask).await?;
                put(&mut self.support, support, shown.record.id);
                self.made.support_requests += 1;
            }
            Action::Decide { support, by, kind, decision } => {
                let id = got(&self.support, support, "support request")?;
                let decision = match decision {
                    Decide::Review => Decision::Review,
                    Decide::Grant { amount_cents } => Decision::Grant { note: text(grant_note(kind), 2000)?, amount_cents },
                    Decide::Decline(reason) => Decision::Decline { reason, note: Some(text(decline_note(reason), 2000)?) },
                    Decide::Withdraw => Decision::Withdraw,
                };
                service::support_requests::decide(state, &self.actor(by)?, id, decision).await?;
            }
        }
        Ok(())
    }
}
