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

mod exec;
mod plan;
mod texts;

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
    let plan = plan::Planner::new(cast, anchor).plan();
    exec::carry_out(state, wijken, cast, plan).await
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

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn days(d: i64) -> Duration {
    Duration::days(d)
}

/// A resident as the executor knows them: key, wijk, name (for one the history adds) and,
/// once they exist, their person id.
type KnownResident = (String, usize, Option<&'static str>, Option<Uuid>);
