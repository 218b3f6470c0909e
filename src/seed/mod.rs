//! The demo town: Zaanstad's initiatives, residents, volunteers and listings from
//! `seed/zaanstad.json`, placed at random but reproducible points inside their real CBS wijken.
//!
//! Items are parsed into the same domain types as API bodies and written through the same use
//! cases, as the residents, organisers and admins they stand for, so the demo data obeys every
//! rule a client's does.

use std::collections::HashMap;

use anyhow::{Context, bail};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{Credential, Principal, Role};
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
    /// People created.
    pub people: usize,
    /// Volunteer profiles created.
    pub volunteers: usize,
    /// Listings created.
    pub listings: usize,
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

/// Loads a town document (the format of `seed/zaanstad.json`).
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
    let as_person = |subject: String, person_id: Option<Uuid>| Principal {
        role: Role::Resident,
        credential: Credential::Token { subject },
        person_id,
        gemeenten: Vec::new(),
        initiatives: Vec::new(),
    };
    // The demo town's initiatives are entered by an admin of its gemeente.
    let admin = Principal {
        role: Role::Admin,
        credential: Credential::Token { subject: "seed".into() },
        person_id: None,
        gemeenten: vec![town.gemeente.clone()],
        initiatives: Vec::new(),
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
        let m = service::initiatives::create(state, &admin, fields).await.with_context(|| format!("initiative {}", s.key))?;
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
        // Demo residents sign in as `demo:<key>` (see the README for minting a token).
        let me = as_person(format!("demo:{}", s.key), None);
        let m = service::people::create(state, &me, fields).await.with_context(|| format!("person {}", s.key))?;
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
        let me = as_person(format!("demo:{}", s.person), Some(person_id));
        service::volunteers::create(state, &me, person_id, fields).await.with_context(|| format!("volunteer {}", s.person))?;
        report.volunteers += 1;
    }

    let now = service::now();
    for (i, s) in town.listings.into_iter().enumerate() {
        let (owner, by) = match (&s.owner.person, &s.owner.initiative) {
            (Some(p), None) => {
                let id = *person_ids.get(p).with_context(|| format!("unknown person {p}"))?;
                (Owner::Person(id), as_person(format!("demo:{p}"), Some(id)))
            }
            (None, Some(k)) => {
                let id = *initiative_ids.get(k).with_context(|| format!("unknown initiative {k}"))?;
                (Owner::Initiative(id), Principal { role: Role::Organiser, initiatives: vec![id], ..admin.clone() })
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
