//! The demo town: Zaanstad's initiatives, residents, volunteers and listings from
//! `seed/zaanstad.json`, placed at random but reproducible points inside their real CBS wijken.
//!
//! Items are parsed into the same domain types as API bodies and written through the same use
//! cases, as the residents, organisers and admins they stand for, so the demo data obeys every
//! rule a client's does.
//!
//! The town's initiatives, residents and volunteers are entered a month before the year of
//! [`history`] begins, since that year's referrals and support requests are about them; the
//! town's offers and requests are entered last, at the real time, so they are today's open
//! ones and come first in every newest-first list (ids are UUID v7 from the real clock).

pub mod history;

use std::collections::HashMap;

use anyhow::{Context, bail};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{Credential, Principal, Role};
use crate::domain::clock;
use crate::domain::items::{Address, Contact, InitiativeFields, ListingFields, Owner, PersonFields, VolunteerFields};
use crate::domain::{
    ActivityCategory, BoundedText, CellId, Coordinates, CostKind, InitiativeKind, InitiativeStatus, LanguageCode, ListingKind,
    ListingStatus, LocationPrecision, TimeRange, VolunteerStatus, Weekday, ZrmDomain,
};
use crate::geo::geojson::parse_area_geometry;
use crate::service::areas::{AreaFilter, WIJK};
use crate::service::{self, State};

/// The bundled demo town.
pub const DEMO_TOWN: &str = include_str!("../../seed/zaanstad.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Town {
    gemeente: String,
    initiatives: Vec<SeedInitiative>,
    people: Vec<SeedPerson>,
    volunteers: Vec<SeedVolunteer>,
    listings: Vec<SeedListing>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedInitiative {
    key: String,
    name: String,
    description: String,
    kind: InitiativeKind,
    categories: Vec<ActivityCategory>,
    zrm_domains: Vec<ZrmDomain>,
    wijk: String,
    address: SeedAddress,
    schedule: Vec<SeedOpening>,
    contact: SeedContact,
    languages: Vec<String>,
    #[serde(default)]
    accessibility: Option<String>,
    cost: SeedCost,
    #[serde(default)]
    capacity: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAddress {
    street: Option<String>,
    house_number: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedContact {
    email: Option<String>,
    phone: Option<String>,
    website: Option<String>,
}

impl SeedContact {
    fn parse(&self) -> anyhow::Result<Contact> {
        Contact::parse(self.email.as_deref(), self.phone.as_deref(), self.website.as_deref())
            .map_err(|(f, e)| anyhow::anyhow!("contact.{f}: {e}"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedCost {
    kind: CostKind,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedRange {
    weekday: Weekday,
    start: String,
    end: String,
}

fn ranges(items: &[SeedRange]) -> anyhow::Result<Vec<TimeRange>> {
    items.iter().map(|r| TimeRange::parse(r.weekday, &r.start, &r.end).map_err(|(f, e)| anyhow::anyhow!("{f}: {e}"))).collect()
}

fn languages(items: &[String]) -> anyhow::Result<Vec<LanguageCode>> {
    items.iter().map(|l| LanguageCode::parse(l).map_err(|e| anyhow::anyhow!("language {l:?}: {e}"))).collect()
}

fn text(v: &str, max: usize) -> anyhow::Result<BoundedText> {
    BoundedText::parse(v, max).map_err(|e| anyhow::anyhow!("{v:?}: {e}"))
}

fn title(v: &str, max: usize) -> anyhow::Result<BoundedText> {
    BoundedText::title(v, max).map_err(|e| anyhow::anyhow!("{v:?}: {e}"))
}

fn optional_text(v: Option<&str>, max: usize) -> anyhow::Result<Option<BoundedText>> {
    BoundedText::parse_optional(v, max).map_err(|e| anyhow::anyhow!("{v:?}: {e}"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedOpening {
    weekday: Weekday,
    opens: String,
    closes: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedPerson {
    key: String,
    display_name: String,
    languages: Vec<String>,
    wijk: String,
    precision: i64,
    #[serde(default)]
    contact: SeedContact,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedVolunteer {
    person: String,
    skills: Vec<ActivityCategory>,
    zrm_domains: Vec<ZrmDomain>,
    languages: Vec<String>,
    availability: Vec<SeedRange>,
    max_travel_m: u32,
    has_vog: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedListing {
    kind: ListingKind,
    title: String,
    description: String,
    categories: Vec<ActivityCategory>,
    zrm_domains: Vec<ZrmDomain>,
    owner: SeedOwner,
    #[serde(default)]
    availability: Vec<SeedRange>,
    #[serde(default)]
    languages: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedOwner {
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    initiative: Option<String>,
}

/// What a seeding run created.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Initiatives created.
    pub initiatives: usize,
    /// People created: the town's residents and those the history adds.
    pub people: usize,
    /// Volunteer profiles created.
    pub volunteers: usize,
    /// Listings created: the town's open offers and requests, and the history's (closed or
    /// expired by now).
    pub listings: usize,
    /// Referrals the history made.
    pub referrals: usize,
    /// Matches the history made.
    pub matches: usize,
    /// Support requests the history made.
    pub support_requests: usize,
    /// Experience answers the history gave.
    pub experiences: usize,
}

/// Loads the demo town unless the database already holds initiatives.
pub async fn seed_if_empty(state: &State) -> anyhow::Result<Option<SeedReport>> {
    if service::initiatives::any(state).await? {
        return Ok(None);
    }
    let report = seed(state, DEMO_TOWN).await?;
    tracing::info!(?report, "loaded the demo town");
    Ok(Some(report))
}

/// A stable 64-bit seed from a key (FNV-1a), so each item lands at the same place every run.
fn stable_seed(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Wijk outlines of one gemeente by name.
struct Wijken {
    by_name: HashMap<String, (String, ::geo::MultiPolygon<f64>, [f64; 4])>,
}

impl Wijken {
    /// A reproducible random point inside the named wijk that the locator also places there;
    /// with a resolution, the centre of the point's cell must lie in the wijk too, because a
    /// person is placed by their cell's centre.
    fn point(&self, state: &State, wijk: &str, key: &str, cell_res: Option<h3o::Resolution>) -> anyhow::Result<Coordinates> {
        let (code, _, bbox) = self.by_name.get(wijk).with_context(|| format!("unknown wijk {wijk:?}"))?;
        // First ask that the cell's centre lie in the wijk; a coarse cell may have no centre in a
        // small wijk, so then settle for its gemeente.
        for strict in [true, false] {
            let mut rng = SmallRng::seed_from_u64(stable_seed(key));
            for _ in 0..5_000 {
                let lat = rng.random_range(bbox[1]..bbox[3]);
                let lng = rng.random_range(bbox[0]..bbox[2]);
                let p = Coordinates::parse(lat, lng).map_err(|(_, e)| anyhow::anyhow!(e.0))?;
                let placed = |c: Coordinates| state.areas.containing(c);
                if placed(p).is_none_or(|pl| &pl.wijk_code != code) {
                    continue;
                }
                let Some(res) = cell_res else { return Ok(p) };
                let centre = placed(Coordinates::of_cell_centre(p.cell(res)));
                let ok = if strict {
                    centre.is_some_and(|pl| &pl.wijk_code == code)
                } else {
                    centre.is_some_and(|pl| pl.gemeente_code == code_gemeente(code))
                };
                if ok {
                    return Ok(p);
                }
            }
        }
        bail!("no point found inside wijk {wijk}")
    }
}

fn code_gemeente(wijk_code: &str) -> String {
    format!("GM{}", &wijk_code[2..6])
}

/// A demo resident as the principal they sign in as (`demo:<key>`, see the README).
fn as_resident(key: &str, person_id: Option<Uuid>) -> Principal {
    Principal {
        role: Role::Resident,
        credential: Credential::Token { subject: format!("demo:{key}") },
        person_id,
        gemeenten: Vec::new(),
        initiatives: Vec::new(),
    }
}

/// The side of initiative `id` as the seed stands for it: the seeded initiatives have no
/// organiser records, so the admin who entered them acts for each one.
fn organiser_of(admin: &Principal, id: Uuid) -> Principal {
    Principal { role: Role::Organiser, initiatives: vec![id], ..admin.clone() }
}

/// Loads a town document (the format of `seed/zaanstad.json`) with a year of history.
pub async fn seed(state: &State, document: &str) -> anyhow::Result<SeedReport> {
    let town: Town = serde_json::from_str(document).context("reading the demo town")?;
    let filter = AreaFilter { level: Some(WIJK), gemeente: Some(town.gemeente.clone()), name: None, after: None, limit: 10_000 };
    let (rows, _) = service::areas::list(state, &filter).await?;
    let mut by_name = HashMap::new();
    for r in rows {
        let geometry = parse_area_geometry(&serde_json::from_str(&r.geometry)?)?;
        by_name.insert(r.name.clone(), (r.code.clone(), geometry, [r.min_lng, r.min_lat, r.max_lng, r.max_lat]));
    }
    let wijken = Wijken { by_name };
    let mut report = SeedReport::default();
    // The demo town's initiatives are entered by an admin of its gemeente.
    let admin = Principal {
        role: Role::Admin,
        credential: Credential::Token { subject: "seed".into() },
        person_id: None,
        gemeenten: vec![town.gemeente.clone()],
        initiatives: Vec::new(),
    };
    let anchor = history::anchor(service::now());
    // One item every few minutes, so that creation times follow the order of the ids.
    let mut entered = history::town_entered(anchor);
    let mut next_moment = || {
        entered += chrono::Duration::minutes(3);
        entered
    };
    let mut cast = history::Cast {
        gemeente: town.gemeente.clone(),
        admin: admin.clone(),
        wijken: Vec::new(),
        initiatives: Vec::new(),
        people: Vec::new(),
        volunteers: Vec::new(),
    };

    let mut initiative_ids: HashMap<String, Uuid> = HashMap::new();
    for s in town.initiatives {
        let location = wijken.point(state, &s.wijk, &s.key, None)?;
        let bad = |e: anyhow::Error| e.context(format!("initiative {}", s.key));
        let a = &s.address;
        let fields = InitiativeFields {
            name: title(&s.name, 200).map_err(bad)?,
            description: text(&s.description, 5000).map_err(bad)?,
            kind: s.kind,
            categories: s.categories,
            zrm_domains: s.zrm_domains,
            location,
            address: Address::parse(a.street.as_deref(), a.house_number.as_deref(), a.postcode.as_deref(), a.city.as_deref())
                .map_err(|(f, e)| anyhow::anyhow!("initiative {} address.{f}: {e}", s.key))?,
            schedule: s
                .schedule
                .iter()
                .map(|o| {
                    TimeRange::parse(o.weekday, &o.opens, &o.closes)
                        .map_err(|(f, e)| anyhow::anyhow!("initiative {} schedule {f}: {e}", s.key))
                })
                .collect::<anyhow::Result<_>>()?,
            schedule_note: None,
            contact: s.contact.parse().map_err(bad)?,
            languages: languages(&s.languages).map_err(bad)?,
            accessibility: optional_text(s.accessibility.as_deref(), 500).map_err(bad)?,
            cost_kind: s.cost.kind,
            cost_note: optional_text(s.cost.note.as_deref(), 500).map_err(bad)?,
            capacity: s.capacity,
            status: InitiativeStatus::Active,
            last_confirmed_at: Some(chrono::Utc::now() - chrono::Duration::days((stable_seed(&s.key) % 200) as i64)),
        };
        let (kind, categories) = (fields.kind, fields.categories.clone());
        let m = clock::at(next_moment(), service::initiatives::create(state, &admin, fields))
            .await
            .with_context(|| format!("initiative {}", s.key))?;
        cast.initiatives.push(history::CastInitiative { id: m.id, kind, categories, wijk: m.wijk_code.clone(), capacity: s.capacity });
        initiative_ids.insert(s.key, m.id);
        report.initiatives += 1;
    }

    let mut person_ids: HashMap<String, Uuid> = HashMap::new();
    for s in town.people {
        let precision = LocationPrecision::parse(s.precision).map_err(|e| anyhow::anyhow!("person {}: {e}", s.key))?;
        let point = wijken.point(state, &s.wijk, &s.key, Some(precision.resolution()))?;
        let bad = |e: anyhow::Error| e.context(format!("person {}", s.key));
        let fields = PersonFields {
            display_name: title(&s.display_name, 100).map_err(bad)?,
            languages: languages(&s.languages).map_err(bad)?,
            contact: s.contact.parse().map_err(bad)?,
            home_cell: CellId::new(point.cell(precision.resolution())),
            precision,
        };
        let m = clock::at(next_moment(), service::people::create(state, &as_resident(&s.key, None), fields))
            .await
            .with_context(|| format!("person {}", s.key))?;
        cast.people.push(history::CastPerson { key: s.key.clone(), id: m.id, wijk: m.wijk_code.clone() });
        person_ids.insert(s.key, m.id);
        report.people += 1;
    }

    for s in town.volunteers {
        let person_id = *person_ids.get(&s.person).with_context(|| format!("volunteer for unknown person {}", s.person))?;
        let bad = |e: anyhow::Error| e.context(format!("volunteer {}", s.person));
        let fields = VolunteerFields {
            skills: s.skills,
            zrm_domains: s.zrm_domains,
            languages: languages(&s.languages).map_err(bad)?,
            availability: ranges(&s.availability).map_err(bad)?,
            max_travel_m: s.max_travel_m,
            has_vog: s.has_vog,
            status: VolunteerStatus::Active,
        };
        let skills = fields.skills.clone();
        let me = as_resident(&s.person, Some(person_id));
        let m = clock::at(next_moment(), service::volunteers::create(state, &me, person_id, fields))
            .await
            .with_context(|| format!("volunteer {}", s.person))?;
        let person = cast.people.iter().position(|p| p.id == person_id).with_context(|| format!("volunteer {}", s.person))?;
        cast.volunteers.push(history::CastVolunteer { id: m.id, person, skills });
        report.volunteers += 1;
    }

    // By code: a stable order, whatever order the areas come back in.
    let mut codes: Vec<(String, String)> = wijken.by_name.iter().map(|(name, (code, ..))| (code.clone(), name.clone())).collect();
    codes.sort();
    cast.wijken = codes.into_iter().map(|(code, name)| history::CastWijk { code, name }).collect();
    let made = history::run(state, &wijken, &cast, anchor).await.context("the demo town's year of history")?;
    report.people += made.people;
    report.listings += made.listings;
    report.referrals = made.referrals;
    report.matches = made.matches;
    report.support_requests = made.support_requests;
    report.experiences = made.experiences;

    let now = service::now();
    for (i, s) in town.listings.into_iter().enumerate() {
        let (owner, by) = match (&s.owner.person, &s.owner.initiative) {
            (Some(p), None) => {
                let id = *person_ids.get(p).with_context(|| format!("unknown person {p}"))?;
                (Owner::Person(id), as_resident(p, Some(id)))
            }
            (None, Some(k)) => {
                let id = *initiative_ids.get(k).with_context(|| format!("unknown initiative {k}"))?;
                (Owner::Initiative(id), organiser_of(&admin, id))
            }
            _ => bail!("listing {i} needs exactly one owner"),
        };
        let bad = |e: anyhow::Error| e.context(format!("listing {i}"));
        let fields = ListingFields {
            kind: s.kind,
            title: title(&s.title, 200).map_err(bad)?,
            description: text(&s.description, 5000).map_err(bad)?,
            categories: s.categories,
            zrm_domains: s.zrm_domains,
            owner,
            availability: ranges(&s.availability).map_err(bad)?,
            languages: languages(&s.languages).map_err(bad)?,
            valid_until: now + chrono::Duration::days(30),
            status: ListingStatus::Open,
        };
        service::listings::create(state, &by, fields).await.with_context(|| format!("listing {i}"))?;
        report.listings += 1;
    }
    Ok(report)
}
