//! The helpers near a need, read from the store as plain values for `matching::rank`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use uuid::Uuid;

use std::collections::HashMap;

use sea_orm::{EntityTrait, QueryFilter};

use super::Conn;
use super::StoreError;
use super::entities::{initiative, listing, volunteer};
use super::query::{ListQuery, in_ranges, load_all};
use crate::domain::list::{ListFilter, Near};
use crate::domain::schedule::ranges_from_json;
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, CellId, Coordinates, InitiativeKind, LanguageCode, ListingStatus, Radius, ZrmDomain};
use crate::geo::CellRange;
use crate::matching::{Feedback, Helper, HelperKind, Need};

/// At most this many helpers of each kind are considered for one need (the nearest).
pub const PER_KIND: u64 = crate::matching::area::PER_KIND as u64;

/// The first radius searched; it doubles until a kind has [`PER_KIND`] helpers or the
/// need's own radius is reached. In a dense town the nearest 100 are close by, and a query
/// over the whole radius would read (and sort) tens of thousands of rows to find them.
const FIRST_RADIUS_M: f64 = 250.0;

/// The nearest [`PER_KIND`] rows of one kind within `radius`, searching outwards with the
/// store's `list` function of that kind (a macro: async closures here would not be `Send`).
macro_rules! nearest {
    ($list:path, $db:expr, $base:expr, $radius:expr) => {{
        let full = $radius.metres();
        let mut r = FIRST_RADIUS_M.min(full);
        loop {
            let mut q = $base.clone();
            let centre = $base.filter.near.expect("a need has a place").centre;
            q.filter.near = Some(Near { centre, radius: Radius::parse(r).unwrap_or($radius) });
            let rows = $list($db, &q).await?.0;
            // Enough already, or nothing further out to look at: these are the nearest.
            if rows.len() as u64 >= PER_KIND || r >= full {
                break rows;
            }
            r = (r * 2.0).min(full);
        }
    }};
}

/// Stored comma-joined language codes, parsed.
pub fn languages(stored: &str) -> Vec<LanguageCode> {
    stored.split(',').filter_map(|l| LanguageCode::parse(l).ok()).collect()
}

fn words(texts: &[&str]) -> Vec<String> {
    let mut w: Vec<String> = texts.iter().flat_map(|t| crate::domain::text::words(t)).filter(|w| w.chars().count() > 3).collect();
    w.sort();
    w.dedup();
    w
}

/// The helpers near a need, and the names people may see of them.
#[derive(Debug, Clone, Default)]
pub struct Nearby {
    /// For the ranking.
    pub helpers: Vec<Helper>,
    /// An offer's title or an initiative's name; volunteers stay nameless until a match.
    pub names: HashMap<Uuid, String>,
}

fn cell_centre(cell: i64, fallback: Coordinates) -> Coordinates {
    CellId::from_db(cell).map(|c| Coordinates::of_cell_centre(c.index())).unwrap_or(fallback)
}

/// An open offer as the ranking sees it.
pub fn offer(m: &listing::Model, fallback: Coordinates) -> Helper {
    let location = match (m.lat, m.lng) {
        (Some(a), Some(b)) => Coordinates::parse(a, b).unwrap_or(fallback),
        _ => cell_centre(m.cell, fallback),
    };
    Helper {
        id: m.id,
        kind: HelperKind::Offer,
        location,
        max_travel_m: None,
        categories: split_codes(&m.categories, ActivityCategory::from_code),
        zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
        availability: ranges_from_json(&m.availability),
        languages: languages(&m.languages),
        has_vog: false,
        capacity_left: None,
        open_matches: 0,
        feedback: Feedback::default(),
        confirmed_days_ago: None,
        person: m.owner_person_id,
        initiative: m.owner_initiative_id,
        open: true,
        words: words(&[&m.title, &m.description]),
    }
}

/// An active volunteer profile as the ranking sees it.
pub fn volunteer(m: &volunteer::Model, fallback: Coordinates) -> Helper {
    Helper {
        id: m.id,
        kind: HelperKind::Volunteer,
        location: cell_centre(m.cell, fallback),
        max_travel_m: Some(f64::from(m.max_travel_m)),
        categories: split_codes(&m.skills, ActivityCategory::from_code),
        zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
        availability: ranges_from_json(&m.availability),
        languages: languages(&m.languages),
        has_vog: m.has_vog,
        capacity_left: None,
        open_matches: 0,
        feedback: Feedback::default(),
        confirmed_days_ago: None,
        person: Some(m.person_id),
        initiative: None,
        open: true,
        words: Vec::new(),
    }
}

/// An active initiative as the ranking sees it; its places left follow from its track record.
pub fn initiative(m: &initiative::Model, now: DateTime<Utc>, fallback: Coordinates) -> Helper {
    Helper {
        id: m.id,
        kind: HelperKind::Initiative(InitiativeKind::from_code(&m.kind).unwrap_or(InitiativeKind::ProfessionalService)),
        location: Coordinates::parse(m.lat, m.lng).unwrap_or(fallback),
        max_travel_m: None,
        categories: split_codes(&m.categories, ActivityCategory::from_code),
        zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
        availability: ranges_from_json(&m.schedule),
        languages: languages(&m.languages),
        has_vog: false,
        // Its places; what is taken is subtracted with the track record.
        capacity_left: m.capacity.map(|c| u32::try_from(c).unwrap_or(0)),
        open_matches: 0,
        feedback: Feedback::default(),
        confirmed_days_ago: m.last_confirmed_at.map(|t| (now - t).num_seconds() as f64 / 86_400.0),
        person: None,
        initiative: Some(m.id),
        open: true,
        words: words(&[&m.name, &m.description]),
    }
}

/// An initiative's places left: places are taken by matches on their way in (proposed or
/// accepted); the organiser keeps `capacity` at the places there are now, so finished
/// matches free theirs.
pub fn places_left(capacity: u32, open_matches: u32) -> u32 {
    capacity.saturating_sub(open_matches)
}

/// Adds what earlier matches taught to `helpers`: feedback and no-shows, how busy each is,
/// and so an initiative's places left.
pub async fn add_track_records(db: &impl Conn, helpers: &mut [Helper], now: DateTime<Utc>) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = helpers.iter().map(|h| h.id).collect();
    let mut feedback = HashMap::new();
    let mut open = HashMap::new();
    // Bounded lists: SQLite takes at most 32,766 bound values in one statement.
    for chunk in ids.chunks(ID_CHUNK) {
        let (f, o) = super::matches::helper_track_record(db, chunk, now).await?;
        feedback.extend(f);
        open.extend(o);
    }
    for h in helpers {
        if let Some(f) = feedback.get(&h.id) {
            h.feedback = *f;
        }
        h.open_matches = open.get(&h.id).copied().unwrap_or(0);
        h.capacity_left = h.capacity_left.map(|c| places_left(c, h.open_matches));
    }
    Ok(())
}

/// The most ids bound in one `IN (...)` list.
const ID_CHUNK: usize = 5_000;

/// Offers, volunteers and initiatives within the need's radius, nearest first per kind, and
/// the requester's context filled into `need`: their network (the initiatives they joined
/// count as their own network) and who from their neighbourhood joined which initiative.
/// The requester is left out: nobody is their own helper.
pub async fn near(db: &impl Conn, need: &mut Need, now: DateTime<Utc>) -> Result<Nearby, StoreError> {
    let centre = need.location;
    let radius = Radius::parse(need.radius_m).map_err(|e| StoreError::Reference { field: "radius_m", message: e.0 })?;
    let requester = need.requester;
    need.network = match requester {
        Some(person) => super::matches::network_of(db, person).await?,
        None => Vec::new(),
    };
    let mut q = ListQuery::new(ListFilter::new(PER_KIND));
    q.filter.near = Some(Near { centre, radius });
    q.filter.sort = crate::domain::list::Sort::Distance;

    let mut offers = q.clone();
    offers.condition =
        offers.condition.add(Expr::col(Alias::new("kind")).eq("offer")).add(super::listings::status_condition(&[ListingStatus::Open], now));
    if let Some(me) = requester {
        offers.condition = offers.condition.add(
            sea_orm::Condition::any()
                .add(Expr::col(Alias::new("owner_person_id")).is_null())
                .add(Expr::col(Alias::new("owner_person_id")).ne(me)),
        );
    }
    let mut volunteers = q.clone();
    volunteers.condition = volunteers.condition.add(Expr::col(Alias::new("status")).eq("active"));
    if let Some(me) = requester {
        volunteers.condition = volunteers.condition.add(Expr::col(Alias::new("person_id")).ne(me));
    }
    let mut initiatives = q.clone();
    initiatives.condition = initiatives.condition.add(Expr::col(Alias::new("status")).eq("active"));
    // The three kinds are read side by side. SQLite's lean reads run in the calling task, so
    // on the pool two kinds go to tasks of their own, which the runtime runs on its other
    // threads; inside a transaction they share it.
    let (offer_rows, volunteer_rows, initiative_rows) = match db.pool() {
        Some(pool) => {
            let failed = |e: tokio::task::JoinError| StoreError::Db(sea_orm::DbErr::Custom(format!("candidate read task: {e}")));
            let volunteer_task = tokio::spawn({
                let pool = pool.clone();
                async move { Ok::<_, StoreError>(nearest!(super::volunteers::list, &pool, volunteers, radius)) }
            });
            let initiative_task =
                tokio::spawn(async move { Ok::<_, StoreError>(nearest!(super::initiatives::list, &pool, initiatives, radius)) });
            let offer_rows = nearest!(super::listings::list, db, offers, radius);
            (offer_rows, volunteer_task.await.map_err(failed)??, initiative_task.await.map_err(failed)??)
        }
        None => tokio::try_join!(
            async { Ok::<_, StoreError>(nearest!(super::listings::list, db, offers, radius)) },
            async { Ok::<_, StoreError>(nearest!(super::volunteers::list, db, volunteers, radius)) },
            async { Ok::<_, StoreError>(nearest!(super::initiatives::list, db, initiatives, radius)) },
        )?,
    };
    let mut out = Nearby::default();
    for (m, _) in &offer_rows {
        out.names.insert(m.id, m.title.clone());
        out.helpers.push(offer(m, centre));
    }
    out.helpers.extend(volunteer_rows.iter().map(|(m, _)| volunteer(m, centre)));
    for (m, _) in &initiative_rows {
        out.names.insert(m.id, m.name.clone());
        out.helpers.push(initiative(m, now, centre));
    }
    let groups: Vec<Uuid> = initiative_rows.iter().map(|(m, _)| m.id).collect();
    let ((), homes) = tokio::try_join!(add_track_records(db, &mut out.helpers, now), super::matches::member_homes(db, &groups))?;
    need.members_nearby = crate::matching::area::members_nearby(centre, requester, &homes, groups);
    Ok(out)
}

/// Every open offer, active volunteer and active initiative whose place lies in `ranges`
/// (storage-cell ranges, see [`crate::geo::region_ranges`]): the pool of a matching run.
pub async fn in_region(db: &impl Conn, ranges: &[CellRange], now: DateTime<Utc>) -> Result<Nearby, StoreError> {
    let mut out = Nearby::default();
    if ranges.is_empty() {
        return Ok(out);
    }
    let fallback = Coordinates::parse(0.0, 0.0).expect("a valid point");
    let (offers, volunteers, initiatives) = tokio::try_join!(
        load_all(
            db,
            listing::Entity::find()
                .filter(in_ranges(ranges.to_vec()))
                .filter(Expr::col(Alias::new("kind")).eq("offer"))
                .filter(super::listings::status_condition(&[ListingStatus::Open], now)),
        ),
        load_all(db, volunteer::Entity::find().filter(in_ranges(ranges.to_vec())).filter(Expr::col(Alias::new("status")).eq("active"))),
        load_all(db, initiative::Entity::find().filter(in_ranges(ranges.to_vec())).filter(Expr::col(Alias::new("status")).eq("active"))),
    )?;
    out.helpers.reserve(offers.len() + volunteers.len() + initiatives.len());
    for m in &offers {
        out.names.insert(m.id, m.title.clone());
        out.helpers.push(offer(m, fallback));
    }
    out.helpers.extend(volunteers.iter().map(|m| volunteer(m, fallback)));
    for m in &initiatives {
        out.names.insert(m.id, m.name.clone());
        out.helpers.push(initiative(m, now, fallback));
    }
    add_track_records(db, &mut out.helpers, now).await?;
    Ok(out)
}

/// The need a stored request states, searched within `radius_m`; its requester's context
/// (network, neighbours) is filled in by [`near`] or by a run. `None` for a row whose place
/// cannot be read.
pub fn need_of_request(m: &listing::Model, radius_m: f64) -> Option<Need> {
    let location = match (m.lat, m.lng) {
        (Some(a), Some(b)) => Coordinates::parse(a, b).ok()?,
        _ => Coordinates::of_cell_centre(CellId::from_db(m.cell)?.index()),
    };
    let categories = split_codes(&m.categories, ActivityCategory::from_code);
    Some(Need {
        needs_vog: crate::matching::rank::needs_vog(&categories),
        categories,
        zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
        location,
        radius_m,
        availability: ranges_from_json(&m.availability),
        languages: languages(&m.languages),
        words: request_words(&m.title, &m.description),
        requester: m.owner_person_id,
        network: Vec::new(),
        members_nearby: Vec::new(),
    })
}

/// The words of a request, as the ranking compares them.
pub fn request_words(title: &str, description: &str) -> Vec<String> {
    words(&[title, description])
}
