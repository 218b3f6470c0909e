//! The kaart: supply and demand per place (docs/wijkteam.md, section 4), computed from what the
//! service holds. This use case decides who sees what, reads the rows around the area, and
//! leaves the counting and the k = 5 rule to [`crate::stats::kaart`].

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use h3o::{CellIndex, Resolution};

use super::error::{Error, Result};
use super::{State, now};
use crate::auth::{Principal, Role};
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, CbsCode, Coordinates, ZrmDomain};
use crate::geo::geojson::parse_area_geometry;
use crate::stats::Shown;
use crate::stats::kaart::{self as counting, FeatureKey, Grouping, Items, ShownCounts, Spot, Supply, Tags};
use crate::store::areas::{self, AreaFilter};
use crate::store::kaart::{self as rows, OpenListing, OpenListings};

/// The longest period a kaart counts postings over.
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;

/// The farthest the kaart looks for volunteers around an area, whatever they say they travel.
pub const MAX_REACH_M: f64 = 50_000.0;

/// What the features of a kaart are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// H3 cells.
    Cell,
    /// Wijken.
    Wijk,
}

/// The map's resolution: 7 for everyone, 8 for the professionals of the gemeente.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapResolution {
    /// About 5 km² a cell.
    Seven,
    /// About 0.7 km² a cell.
    Eight,
}

impl MapResolution {
    /// 7 or 8; anything else is refused.
    pub fn parse(n: i64) -> std::result::Result<Self, crate::domain::Invalid> {
        match n {
            7 => Ok(Self::Seven),
            8 => Ok(Self::Eight),
            _ => Err(crate::domain::Invalid::new("the kaart has resolution 7 (everyone) or 8 (the gemeente's professionals)")),
        }
    }

    /// The number.
    pub fn number(self) -> u8 {
        match self {
            Self::Seven => 7,
            Self::Eight => 8,
        }
    }

    fn h3(self) -> Resolution {
        match self {
            Self::Seven => Resolution::Seven,
            Self::Eight => Resolution::Eight,
        }
    }
}

/// The days whose postings are counted, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

impl Days {
    /// `from` on or before `to`, at most [`MAX_PERIOD_DAYS`] apart; the field at fault on refusal.
    pub fn new(from: NaiveDate, to: NaiveDate) -> std::result::Result<Self, (&'static str, crate::domain::Invalid)> {
        if from > to {
            return Err(("from", crate::domain::Invalid::new("must be on or before `to`")));
        }
        if (to - from).num_days() > MAX_PERIOD_DAYS {
            return Err(("to", crate::domain::Invalid::new("at most 3 years after `from`")));
        }
        Ok(Self { from, to })
    }

    fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(DateTime::<Utc>::MIN_UTC);
        (start(self.from), start(self.to) + Duration::days(1))
    }
}

/// What a kaart is asked for.
#[derive(Debug, Clone)]
pub struct KaartQuery {
    /// The gemeente or wijk.
    pub area: CbsCode,
    /// The map's resolution (for cells).
    pub resolution: MapResolution,
    /// Cells or wijken.
    pub by: By,
    /// Only what has this activity category.
    pub category: Option<ActivityCategory>,
    /// Only what has this ZRM domain.
    pub zrm: Option<ZrmDomain>,
    /// Only requests and offers posted in these days; `None`: every open one.
    pub period: Option<Days>,
}

/// What a caller sees of a kaart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only public things: open offers and initiatives with places.
    Public,
    /// Everything, added up under k = 5: the gemeente's professionals and admins.
    Professional,
}

/// A feature's (or the area's) counts as one caller sees them: `None` where the caller's
/// scope leaves a figure out, `Some(Suppressed)` where k = 5 holds it back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Open requests.
    pub requests_open: Option<Shown<u64>>,
    /// Open requests posted 14 days ago or more and not helped so far.
    pub requests_unmet: Option<Shown<u64>>,
    /// Open requests with a candidate within 1.5 km.
    pub requests_with_candidate: Option<Shown<u64>>,
    /// Their share of the open requests (`Value(None)` without open requests).
    pub candidate_share: Option<Shown<Option<f64>>>,
    /// Open offers.
    pub offers_open: Shown<u64>,
    /// Volunteers reaching.
    pub volunteers_reaching: Option<Shown<u64>>,
    /// Initiatives with places left.
    pub initiatives_with_places: u64,
    /// Demand minus supply.
    pub gap: Option<Shown<i64>>,
}

fn view(s: ShownCounts, scope: Scope) -> View {
    let pro = scope == Scope::Professional;
    View {
        requests_open: pro.then_some(s.requests_open),
        requests_unmet: pro.then_some(s.requests_unmet),
        requests_with_candidate: pro.then_some(s.requests_with_candidate),
        candidate_share: pro.then_some(s.candidate_share),
        offers_open: s.offers_open,
        volunteers_reaching: pro.then_some(s.volunteers_reaching),
        initiatives_with_places: s.initiatives_with_places,
        gap: pro.then_some(s.gap),
    }
}

/// Where a feature is.
#[derive(Debug, Clone)]
pub enum Place {
    /// An H3 cell at the map's resolution.
    Cell(CellIndex),
    /// A wijk, with its outline (a GeoJSON geometry).
    Wijk {
        /// CBS code.
        code: String,
        /// CBS name.
        name: String,
        /// Its outline.
        geometry: serde_json::Value,
    },
}

/// One feature of a kaart.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Where.
    pub place: Place,
    /// Its counts.
    pub counts: View,
}

/// A kaart as one caller sees it.
#[derive(Debug, Clone)]
pub struct Kaart {
    /// What was asked.
    pub query: KaartQuery,
    /// The area's name.
    pub area_name: String,
    /// What the caller sees.
    pub scope: Scope,
    /// The features: cells in index order, or wijken in code order.
    pub features: Vec<Feature>,
    /// The whole area.
    pub total: View,
}

/// The scope of `p` for the kaart of `gemeente`, and whether it may ask for resolution 8.
///
/// Professionals of the gemeente see everything and may zoom in to resolution 8; admins of
/// the gemeente see the same figures (they read the team's other reports too) but stay at
/// resolution 7: they manage, they do not work cases. Everyone else sees the public kaart.
fn scope_of(p: &Principal, gemeente: &str, resolution: MapResolution) -> Result<Scope> {
    if resolution == MapResolution::Eight && !p.professional_in(gemeente) {
        return Err(match p.role {
            Role::Anonymous => Error::SignIn,
            _ => Error::forbidden("resolution 8 is for the professionals of the gemeente; everyone may ask for 7"),
        });
    }
    Ok(if p.professional_in(gemeente) || p.admin_of(gemeente) { Scope::Professional } else { Scope::Public })
}

/// The kaart of an area (see [`crate::stats::kaart`] for every count and the k = 5 rule).
/// Reading it names nobody, so it is not audited.
pub async fn kaart(state: &State, p: &Principal, q: KaartQuery) -> Result<Kaart> {
    let now = now();
    let gemeente = q.area.gemeente();
    // An unknown area is 404 for everyone, before who may see what of it.
    let area = areas::get(&state.db, q.area.as_str()).await?.ok_or(Error::NotFound("area"))?;
    let scope = scope_of(p, &gemeente, q.resolution)?;
    let outline = parse_area_geometry(&serde_json::from_str(&area.geometry).map_err(|e| anyhow::anyhow!("{}: {e}", area.code))?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", area.code))?;
    let bbox = [area.min_lng, area.min_lat, area.max_lng, area.max_lat];
    let wijk = match &q.area {
        CbsCode::Wijk(w) => Some(w.clone()),
        CbsCode::Gemeente(_) => None,
    };

    // The wijken (for `by=wijk`, and to place items in them).
    let wijk_rows = match &wijk {
        Some(_) => vec![area.clone()],
        None => {
            let filter = AreaFilter { level: Some(areas::WIJK), gemeente: Some(gemeente.clone()), limit: 10_000, ..AreaFilter::default() };
            areas::list(&state.db, &filter).await?.0
        }
    };
    let wijk_index: HashMap<&str, usize> = wijk_rows.iter().enumerate().map(|(i, w)| (w.code.as_str(), i)).collect();
    let grouping = match q.by {
        By::Wijk => {
            let mut shapes = Vec::with_capacity(wijk_rows.len());
            for w in &wijk_rows {
                let g = serde_json::from_str(&w.geometry).map_err(|e| anyhow::anyhow!("{}: {e}", w.code))?;
                shapes.push(parse_area_geometry(&g).map_err(|e| anyhow::anyhow!("{}: {e}", w.code))?);
            }
            Grouping::Wijken(shapes)
        }
        By::Cell => Grouping::Cells { resolution: q.resolution.h3(), area_cells: cells_in(&outline, q.resolution.h3()) },
    };

    // What is read: the area's open listings; the offers and initiatives within reach of its
    // requests, over the border too; the volunteers who could reach it from where they live.
    let (posted_from, posted_before) = q.period.map(Days::bounds).unzip();
    let near = grown(bbox, counting::CANDIDATE_RADIUS_M);
    let around = rows::gemeenten_meeting(&state.db, near).await?;
    // The public kaart counts offers and initiatives only. Requests and volunteers are not even
    // read for it: a cell that held nothing but a request would still become a feature, and so
    // tell the public that someone there asked for help.
    let public = scope == Scope::Public;
    let mine = OpenListings {
        gemeenten: vec![gemeente.clone()],
        wijk: wijk.clone(),
        kind: public.then_some("offer"),
        posted_from,
        posted_before,
        ..OpenListings::default()
    };
    let border = OpenListings {
        gemeenten: around.iter().filter(|g| wijk.is_some() || **g != gemeente).cloned().collect(),
        kind: Some("offer"),
        ranges: Some(crate::geo::region_ranges(&lattice(near), 1_000.0)),
        posted_from,
        posted_before,
        ..OpenListings::default()
    };
    let reach = rows::longest_travel_m(&state.db).await?.map_or(0.0, |m| f64::from(m).clamp(0.0, MAX_REACH_M));
    let listed = rows::open_listings(&state.db, &mine, now).await?;
    let over_border = rows::open_listings(&state.db, &border, now).await?;
    let initiatives = rows::active_initiatives(&state.db, &around, now).await?;
    let volunteers = if public {
        Vec::new()
    } else {
        rows::active_volunteers(&state.db, &crate::geo::region_ranges(&lattice(bbox), reach + 5_000.0)).await?
    };

    let wanted = |categories: &str, zrm: &str| -> Option<Tags> {
        let cats = split_codes(categories, ActivityCategory::from_code);
        let zrms = split_codes(zrm, ZrmDomain::from_code);
        let fits = q.category.is_none_or(|c| cats.contains(&c)) && q.zrm.is_none_or(|z| zrms.contains(&z));
        fits.then(|| Tags::of(&cats, &zrms))
    };
    let in_area = |g: &str, w: &str| match &wijk {
        Some(mine) => w == mine,
        None => g == gemeente,
    };
    let spot = |cell: CellIndex, w: &str| Spot { cell, wijk: wijk_index.get(w).copied() };
    let storage = |v: i64| u64::try_from(v).ok().and_then(|v| CellIndex::try_from(v).ok());

    let mut items = Items::default();
    let listing = |l: &OpenListing, items: &mut Items, counted: bool| {
        let (Some(tags), Some(cell)) = (wanted(&l.categories, &l.zrm_domains), storage(l.index_cell)) else { return };
        let place = spot(cell, &l.wijk_code);
        if l.offer {
            items.offers.push(Supply { spot: counted.then_some(place), at: counting::centre(cell), tags });
        } else if counted {
            items.requests.push(counting::Request { spot: place, tags, unmet: counting::is_unmet(l.created_at, l.helped_at, now) });
        }
    };
    for l in &listed {
        listing(l, &mut items, true);
    }
    for l in over_border.iter().filter(|l| !in_area(&l.gemeente_code, &l.wijk_code)) {
        listing(l, &mut items, false);
    }
    for i in initiatives.iter().filter(|i| i.has_places) {
        let (Some(tags), Some(cell), Ok(at)) =
            (wanted(&i.categories, &i.zrm_domains), storage(i.index_cell), Coordinates::parse(i.lat, i.lng))
        else {
            continue;
        };
        let counted = in_area(&i.gemeente_code, &i.wijk_code);
        items.initiatives.push(Supply { spot: counted.then(|| spot(cell, &i.wijk_code)), at, tags });
    }
    for v in &volunteers {
        let (Some(tags), Some(home)) = (wanted(&v.skills, &v.zrm_domains), storage(v.cell)) else { continue };
        items.volunteers.push(counting::Volunteer { home, travel_m: f64::from(v.max_travel_m), tags });
    }

    // The counting takes milliseconds at a large gemeente's size: off the async threads.
    let (counted, (each, total)) = tokio::task::spawn_blocking(move || {
        let counted = counting::count(&grouping, &items);
        let counts: Vec<counting::Counts> = counted.features.iter().map(|(_, c)| *c).collect();
        let shown = counting::shown(&counts, &counted.total);
        (counted, shown)
    })
    .await
    .map_err(|e| anyhow::anyhow!("counting the kaart: {e}"))?;

    let features = counted
        .features
        .iter()
        .zip(each)
        .filter_map(|((key, _), s)| {
            let place = match key {
                FeatureKey::Cell(c) => Place::Cell(*c),
                FeatureKey::Wijk(i) => {
                    let w = wijk_rows.get(*i)?;
                    Place::Wijk {
                        code: w.code.clone(),
                        name: w.name.clone(),
                        geometry: serde_json::from_str(&w.geometry).unwrap_or(serde_json::Value::Null),
                    }
                }
            };
            Some(Feature { place, counts: view(s, scope) })
        })
        .collect();
    Ok(Kaart { query: q, area_name: area.name, scope, features, total: view(total, scope) })
}

/// The cells at `res` whose centre lies in `outline`.
fn cells_in(outline: &::geo::MultiPolygon<f64>, res: Resolution) -> Vec<CellIndex> {
    let mut tiler = h3o::geom::TilerBuilder::new(res).containment_mode(h3o::geom::ContainmentMode::ContainsCentroid).build();
    for polygon in outline {
        if tiler.add(polygon.clone()).is_err() {
            tracing::warn!("an area outline the tiler refuses; its cells come from its items only");
        }
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// Metres per degree of latitude.
const M_PER_DEGREE: f64 = 111_195.0;

/// `bbox` grown by `m` metres on every side.
fn grown(bbox: [f64; 4], m: f64) -> [f64; 4] {
    let dlat = m / M_PER_DEGREE;
    let widest = bbox[1].abs().max(bbox[3].abs()).min(85.0);
    let dlng = m / (M_PER_DEGREE * widest.to_radians().cos());
    [bbox[0] - dlng, bbox[1] - dlat, bbox[2] + dlng, bbox[3] + dlat]
}

/// Points over `bbox` no more than about 700 m from any point in it: the centres of the
/// storage-range cover of the box grown by a distance (each covered with 1 km to spare).
fn lattice(bbox: [f64; 4]) -> Vec<Coordinates> {
    let step_lat = 1_000.0 / M_PER_DEGREE;
    let mid = ((bbox[1] + bbox[3]) / 2.0).clamp(-85.0, 85.0);
    let step_lng = 1_000.0 / (M_PER_DEGREE * mid.to_radians().cos().max(0.05));
    let rows = (((bbox[3] - bbox[1]) / step_lat).ceil() as usize).min(2_000);
    let cols = (((bbox[2] - bbox[0]) / step_lng).ceil() as usize).min(2_000);
    let mut out = Vec::with_capacity((rows + 1) * (cols + 1));
    for i in 0..=rows {
        for j in 0..=cols {
            let lat = (bbox[1] + i as f64 * step_lat).min(bbox[3]);
            let lng = (bbox[0] + j as f64 * step_lng).min(bbox[2]);
            if let Ok(p) = Coordinates::parse(lat, lng) {
                out.push(p);
            }
        }
    }
    out
}
