//! The demo town: Zaanstad's initiatives, residents, volunteers and listings from
//! `seed/zaanstad.json`, placed at random but reproducible points inside their real CBS wijken.
//!
//! Items go through the same parsing as API bodies, so the demo data obeys every rule a client's does.

use std::collections::HashMap;

use anyhow::{Context, bail};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use crate::api::common::{AddressIo, ContactIo, Point, TimeRangeIo};
use crate::api::initiatives::{CostIo, InitiativeInput};
use crate::api::listings::{ListingInput, OwnerIo, SettableStatus};
use crate::api::people::PersonInput;
use crate::api::volunteers::VolunteerInput;
use crate::domain::{
    ActivityCategory, Coordinates, CostKind, InitiativeKind, InitiativeStatus, ListingKind, VolunteerStatus, Weekday, ZrmDomain,
};
use crate::geo::geojson::parse_area_geometry;
use crate::startup::AppState;
use crate::store::entities::{area, initiative};
use crate::store::{areas, initiatives, listings, people, volunteers};

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
    address: AddressIo,
    schedule: Vec<SeedOpening>,
    contact: ContactIo,
    languages: Vec<String>,
    #[serde(default)]
    accessibility: Option<String>,
    cost: CostIo,
    #[serde(default)]
    capacity: Option<i64>,
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
    contact: ContactIo,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedVolunteer {
    person: String,
    skills: Vec<ActivityCategory>,
    zrm_domains: Vec<ZrmDomain>,
    languages: Vec<String>,
    availability: Vec<TimeRangeIo>,
    max_travel_m: i64,
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
    availability: Vec<TimeRangeIo>,
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
pub async fn seed_if_empty(state: &AppState) -> anyhow::Result<Option<SeedReport>> {
    if initiative::Entity::find().count(&state.db).await? > 0 {
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
    fn point(&self, state: &AppState, wijk: &str, key: &str, cell_res: Option<h3o::Resolution>) -> anyhow::Result<Coordinates> {
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
pub async fn seed(state: &AppState, document: &str) -> anyhow::Result<SeedReport> {
    let town: Town = serde_json::from_str(document).context("reading the demo town")?;
    let rows = area::Entity::find()
        .filter(area::Column::Level.eq(areas::WIJK))
        .filter(area::Column::GemeenteCode.eq(town.gemeente.as_str()))
        .all(&state.db)
        .await?;
    let mut by_name = HashMap::new();
    for r in rows {
        let geometry = parse_area_geometry(&serde_json::from_str(&r.geometry)?)?;
        by_name.insert(r.name.clone(), (r.code.clone(), geometry, [r.min_lng, r.min_lat, r.max_lng, r.max_lat]));
    }
    let wijken = Wijken { by_name };
    let bad = |what: &str, key: &str, e: crate::error::ApiError| anyhow::anyhow!("{what} {key}: {e:?}");
    let mut report = SeedReport::default();

    let mut initiative_ids: HashMap<String, Uuid> = HashMap::new();
    for s in town.initiatives {
        let point = wijken.point(state, &s.wijk, &s.key, None)?;
        let input = InitiativeInput {
            name: s.name,
            description: s.description,
            kind: s.kind,
            categories: s.categories,
            zrm_domains: s.zrm_domains,
            location: Point::of(point),
            address: s.address,
            schedule: s.schedule.into_iter().map(|o| TimeRangeIo { weekday: o.weekday, start: o.opens, end: o.closes }).collect(),
            schedule_note: None,
            contact: s.contact,
            languages: s.languages,
            accessibility: s.accessibility,
            cost: CostIo { kind: s.cost.kind, note: s.cost.note },
            capacity: s.capacity,
            status: InitiativeStatus::Active,
            last_confirmed_at: Some(chrono::Utc::now() - chrono::Duration::days((stable_seed(&s.key) % 200) as i64)),
        };
        let fields = input.parse().map_err(|e| bad("initiative", &s.key, e))?;
        let at = state.areas.locate(fields.location).context("placing an initiative")?;
        let m = initiatives::create(&state.db, &fields, &at, None).await?;
        initiative_ids.insert(s.key, m.id);
        report.initiatives += 1;
    }

    let mut person_ids: HashMap<String, Uuid> = HashMap::new();
    for s in town.people {
        let res = crate::domain::LocationPrecision::parse(s.precision).map_err(|e| anyhow::anyhow!("person {}: {e}", s.key))?.resolution();
        let point = wijken.point(state, &s.wijk, &s.key, Some(res))?;
        let input = PersonInput {
            display_name: s.display_name,
            languages: s.languages,
            contact: s.contact,
            home_cell: None,
            home_point: Some(Point::of(point)),
            precision: Some(s.precision),
        };
        let fields = input.parse().map_err(|e| bad("person", &s.key, e))?;
        let centre = Coordinates::of_cell_centre(fields.home_cell.index());
        let at = state.areas.locate(centre).context("placing a person")?;
        // Demo residents sign in as `demo:<key>` (see the README for minting a token).
        let m = people::create(&state.db, &fields, &at, Some(&format!("demo:{}", s.key))).await?;
        person_ids.insert(s.key, m.id);
        report.people += 1;
    }

    for s in town.volunteers {
        let person_id = *person_ids.get(&s.person).with_context(|| format!("volunteer for unknown person {}", s.person))?;
        let input = VolunteerInput {
            person_id,
            skills: s.skills,
            zrm_domains: s.zrm_domains,
            languages: s.languages,
            availability: s.availability,
            max_travel_m: s.max_travel_m,
            has_vog: s.has_vog,
            status: VolunteerStatus::Active,
        };
        let fields = input.parse().map_err(|e| bad("volunteer", &s.person, e))?;
        volunteers::create(&state.db, person_id, &fields).await?;
        report.volunteers += 1;
    }

    let now = chrono::Utc::now();
    for (i, s) in town.listings.into_iter().enumerate() {
        let owner = match (&s.owner.person, &s.owner.initiative) {
            (Some(p), None) => {
                OwnerIo { person_id: Some(*person_ids.get(p).with_context(|| format!("unknown person {p}"))?), initiative_id: None }
            }
            (None, Some(k)) => {
                OwnerIo { person_id: None, initiative_id: Some(*initiative_ids.get(k).with_context(|| format!("unknown initiative {k}"))?) }
            }
            _ => bail!("listing {i} needs exactly one owner"),
        };
        let input = ListingInput {
            kind: s.kind,
            title: s.title,
            description: s.description,
            categories: s.categories,
            zrm_domains: s.zrm_domains,
            owner,
            availability: s.availability,
            languages: s.languages,
            valid_until: None,
            status: SettableStatus::Open,
        };
        let fields = input.parse(now, None).map_err(|e| bad("listing", &i.to_string(), e))?;
        listings::create(&state.db, &fields).await?;
        report.listings += 1;
    }
    let _ = CostKind::Free;
    Ok(report)
}
