//! The helpers near a need, read from the store as plain values for `matching::rank`.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use uuid::Uuid;

use super::StoreError;
use super::query::{ListQuery, Near};
use crate::domain::schedule::ranges_from_json;
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, CellId, Coordinates, InitiativeKind, LanguageCode, ListingStatus, Radius, ZrmDomain};
use crate::matching::{Feedback, Helper, HelperKind};

/// At most this many helpers of each kind are considered for one need (the nearest).
pub const PER_KIND: u64 = 100;

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
            let centre = $base.near.expect("a need has a place").centre;
            q.near = Some(Near { centre, radius: Radius::parse(r).unwrap_or($radius) });
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
    let mut w: Vec<String> = texts.iter().flat_map(|t| super::query::words(t)).filter(|w| w.chars().count() > 3).collect();
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
    pub names: std::collections::HashMap<Uuid, String>,
}

/// Offers, volunteers and initiatives within `radius` of `centre`, nearest first per kind.
/// `requester` is left out (nobody is their own helper), and the initiatives whose network
/// they joined count as their own network.
pub async fn near(
    db: &impl ConnectionTrait,
    centre: Coordinates,
    radius: Radius,
    requester: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Nearby, StoreError> {
    let network = match requester {
        Some(person) => super::matches::network_of(db, person).await?,
        None => Vec::new(),
    };
    let mut q = ListQuery::new(PER_KIND);
    q.near = Some(Near { centre, radius });
    q.sort = super::query::Sort::Distance;
    let mut out = Vec::new();
    let mut names = std::collections::HashMap::new();

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
    // The three kinds are read side by side, on connections of their own.
    let (offer_rows, volunteer_rows, initiative_rows) = tokio::try_join!(
        async { Ok::<_, StoreError>(nearest!(super::listings::list, db, offers, radius)) },
        async { Ok::<_, StoreError>(nearest!(super::volunteers::list, db, volunteers, radius)) },
        async { Ok::<_, StoreError>(nearest!(super::initiatives::list, db, initiatives, radius)) },
    )?;
    for (m, _) in offer_rows {
        names.insert(m.id, m.title.clone());
        let location = match (m.lat, m.lng) {
            (Some(a), Some(b)) => Coordinates::parse(a, b).unwrap_or(centre),
            _ => CellId::from_db(m.cell).map(|c| Coordinates::of_cell_centre(c.index())).unwrap_or(centre),
        };
        out.push(Helper {
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
            in_network: m.owner_initiative_id.is_some_and(|i| network.contains(&i)),
            members_nearby: 0,
            open: true,
            words: words(&[&m.title, &m.description]),
        });
    }

    for (m, _) in volunteer_rows {
        out.push(Helper {
            id: m.id,
            kind: HelperKind::Volunteer,
            location: CellId::from_db(m.cell).map(|c| Coordinates::of_cell_centre(c.index())).unwrap_or(centre),
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
            in_network: false,
            members_nearby: 0,
            open: true,
            words: Vec::new(),
        });
    }

    for (m, _) in initiative_rows {
        names.insert(m.id, m.name.clone());
        out.push(Helper {
            id: m.id,
            kind: HelperKind::Initiative(InitiativeKind::from_code(&m.kind).unwrap_or(InitiativeKind::ProfessionalService)),
            location: Coordinates::parse(m.lat, m.lng).unwrap_or(centre),
            max_travel_m: None,
            categories: split_codes(&m.categories, ActivityCategory::from_code),
            zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
            availability: ranges_from_json(&m.schedule),
            languages: languages(&m.languages),
            has_vog: false,
            // Its places; what is taken is subtracted below.
            capacity_left: m.capacity.map(|c| u32::try_from(c).unwrap_or(0)),
            open_matches: 0,
            feedback: Feedback::default(),
            confirmed_days_ago: m.last_confirmed_at.map(|t| (now - t).num_seconds() as f64 / 86_400.0),
            in_network: network.contains(&m.id),
            members_nearby: 0,
            open: true,
            words: words(&[&m.name, &m.description]),
        });
    }
    // What earlier matches taught: feedback and no-shows, how busy each helper is, and who
    // from the neighbourhood already joined an initiative.
    let ids: Vec<Uuid> = out.iter().map(|h| h.id).collect();
    let groups: Vec<Uuid> = out.iter().filter(|h| matches!(h.kind, HelperKind::Initiative(_))).map(|h| h.id).collect();
    let ((feedback, open), nearby) = tokio::try_join!(
        super::matches::helper_track_record(db, &ids, now),
        super::matches::members_nearby(db, &groups, centre, requester),
    )?;
    for h in &mut out {
        if let Some(f) = feedback.get(&h.id) {
            h.feedback = *f;
        }
        h.open_matches = open.get(&h.id).copied().unwrap_or(0);
        h.members_nearby = nearby.get(&h.id).copied().unwrap_or(0);
        // Places are taken by matches on their way in; the organiser keeps `capacity` at the
        // places there are now, so finished matches free theirs.
        h.capacity_left = h.capacity_left.map(|c| c.saturating_sub(h.open_matches));
    }
    Ok(Nearby { helpers: out, names })
}

/// The words of a request, as the ranking compares them.
pub fn request_words(title: &str, description: &str) -> Vec<String> {
    words(&[title, description])
}
