//! `GET /v1/areas/{code}/kaart`: supply and demand per place, as JSON or as a GeoJSON
//! FeatureCollection a map colours at once.

use std::sync::Arc;

use chrono::NaiveDate;
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, ResponseContent};
use serde::Serialize;

use super::ApiTags;
use super::caller::Caller;
use super::common::{Feature, field, now, wants_geojson};
use crate::domain::{ActivityCategory, CbsCode, ZrmDomain};
use crate::error::ApiError;
use crate::service::State;
use crate::service::kaart::{self as service, By, Days, Kaart as Model, KaartQuery, MapResolution, Place, Scope, View};
use crate::stats::Shown;

/// What the features of a kaart are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum KaartBy {
    /// H3 cells (the default).
    Cell,
    /// Wijken.
    Wijk,
}

/// What the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum KaartScope {
    /// Only public things: open offers and initiatives with places; the other counts are null.
    Public,
    /// Every count, added up under k = 5: the gemeente's professionals and admins.
    Professional,
}

/// The counts of a feature or of the whole area. A count of people that k = 5 holds back is
/// null and named in `suppressed`; a count the caller's scope leaves out (the public sees no
/// requests, volunteers, gap or share) is null and not named there.
#[derive(Debug, Clone, Object, Serialize)]
pub struct KaartCounts {
    /// Open requests: `status` open and `valid_until` in the future (posted in the period, when
    /// one is given). A listing counts in the cell that is the parent, at the map's resolution,
    /// of its storage cell (resolution 9), or in its wijk.
    #[oai(nullable)]
    pub requests_open: Option<u64>,
    /// Of the open requests, those posted at least 14 days ago that have had no accepted match
    /// (accepted by both sides) or accepted referral so far. Hidden also when the rest of the
    /// open requests (`requests_open − requests_unmet`) is 1 to 4.
    #[oai(nullable)]
    pub requests_unmet: Option<u64>,
    /// Open offers.
    #[oai(nullable)]
    pub offers_open: Option<u64>,
    /// Active volunteers (status `active`, wherever they live) whose travel distance reaches
    /// the feature: for a cell, its centre lies within `max_travel_m` of the centre of the
    /// volunteer's home cell; for a wijk, its outline does (0 inside). For the whole area, each
    /// volunteer who reaches any feature, once.
    #[oai(nullable)]
    pub volunteers_reaching: Option<u64>,
    /// Active initiatives with places left: no capacity set, or a capacity above the places
    /// taken by matches in progress and accepted referrals. Initiatives are public
    /// organisations: never suppressed.
    pub initiatives_with_places: u64,
    /// `requests_open − (offers_open + volunteers_reaching + initiatives_with_places)`; may be
    /// negative; null unless every term is shown.
    #[oai(nullable)]
    pub gap: Option<i64>,
    /// Open requests with at least one candidate within 1.5 km that shares an activity
    /// category or ZRM domain with the request: an open offer or an initiative with places
    /// left (of any gemeente), or an active volunteer whose travel distance also covers that
    /// distance; all passing the query's filters. Distances run between storage-cell centres
    /// (resolution 9), from an initiative's own point and from a volunteer's home-cell centre.
    /// Hidden also when `requests_open − requests_with_candidate` is 1 to 4.
    #[oai(nullable)]
    pub requests_with_candidate: Option<u64>,
    /// `requests_with_candidate / requests_open`, three decimals; null when either is, or
    /// without open requests.
    #[oai(nullable)]
    pub candidate_share: Option<f64>,
    /// The counts held back under k = 5: a count of 1 to 4 people, or one that shown counts
    /// would give away by subtraction.
    pub suppressed: Vec<String>,
}

impl KaartCounts {
    /// The wire form of a view.
    pub fn of(v: &View) -> Self {
        let mut suppressed = Vec::new();
        let mut take = |name: &str, s: Option<Shown<u64>>| -> Option<u64> {
            match s? {
                Shown::Value(n) => Some(n),
                Shown::Suppressed => {
                    suppressed.push(name.to_owned());
                    None
                }
            }
        };
        let requests_open = take("requests_open", v.requests_open);
        let requests_unmet = take("requests_unmet", v.requests_unmet);
        let offers_open = take("offers_open", Some(v.offers_open));
        let volunteers_reaching = take("volunteers_reaching", v.volunteers_reaching);
        let requests_with_candidate = take("requests_with_candidate", v.requests_with_candidate);
        let gap = match v.gap {
            Some(Shown::Value(g)) => Some(g),
            Some(Shown::Suppressed) => {
                suppressed.push("gap".into());
                None
            }
            None => None,
        };
        let candidate_share = match v.candidate_share {
            Some(Shown::Value(s)) => s,
            Some(Shown::Suppressed) => {
                suppressed.push("candidate_share".into());
                None
            }
            None => None,
        };
        Self {
            requests_open,
            requests_unmet,
            offers_open,
            volunteers_reaching,
            initiatives_with_places: v.initiatives_with_places,
            gap,
            requests_with_candidate,
            candidate_share,
            suppressed,
        }
    }
}

/// A wijk of the kaart.
#[derive(Debug, Clone, Object)]
pub struct KaartWijk {
    /// CBS code.
    pub code: String,
    /// CBS name.
    pub name: String,
}

/// One feature: a cell or a wijk, with its counts.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KaartFeature {
    /// The H3 cell at the map's resolution (lower-case hex), for `by=cell`.
    pub cell: Option<String>,
    /// The wijk, for `by=wijk`.
    pub wijk: Option<KaartWijk>,
    /// Its counts.
    pub counts: KaartCounts,
}

/// The filters a kaart was counted with.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KaartFilters {
    /// Only listings, volunteers and initiatives with this activity category.
    pub category: Option<ActivityCategory>,
    /// Only those with this ZRM domain.
    pub zrm: Option<ZrmDomain>,
    /// Only requests and offers posted on or after this day (UTC), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Only requests and offers posted on or before this day (UTC), `YYYY-MM-DD`.
    pub to: Option<String>,
}

/// Supply and demand per place in an area.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Kaart {
    /// The gemeente or wijk (CBS code).
    pub area: String,
    /// Its name.
    pub area_name: String,
    /// The map's H3 resolution, for `by=cell`.
    pub resolution: Option<u8>,
    /// Cells or wijken.
    pub by: KaartBy,
    /// The filters.
    pub filters: KaartFilters,
    /// What the caller sees.
    pub scope: KaartScope,
    /// The features: every cell whose centre lies in the area and every cell holding a counted
    /// item (so cells without supply show as such), in index order; or every wijk of the
    /// gemeente (the one wijk), in code order.
    pub features: Vec<KaartFeature>,
    /// The whole area. Open requests, unmet requests, requests with a candidate and offers
    /// add up the features and are held back where they would give a hidden feature away;
    /// volunteers are counted once each, so they need not add up.
    pub total: KaartCounts,
}

/// The kaart as a GeoJSON FeatureCollection: a hexagon per cell or the outline per wijk, with
/// the counts as properties (the `KaartCounts` fields, and `cell` or `code` and `name`); the
/// rest of the JSON answer as foreign members (RFC 7946 §6.1).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KaartCollection {
    /// Always `FeatureCollection`.
    #[oai(rename = "type")]
    pub collection_type: String,
    /// The features.
    pub features: Vec<Feature>,
    /// See Kaart.
    pub area: String,
    /// See Kaart.
    pub area_name: String,
    /// See Kaart.
    pub resolution: Option<u8>,
    /// See Kaart.
    pub by: KaartBy,
    /// See Kaart.
    pub filters: KaartFilters,
    /// See Kaart.
    pub scope: KaartScope,
    /// The whole area.
    pub total: KaartCounts,
}

/// A kaart as JSON or GeoJSON.
#[derive(Debug, ResponseContent)]
pub enum KaartContent {
    /// `application/json`.
    Json(Json<Kaart>),
    /// `application/geo+json`.
    #[oai(content_type = "application/geo+json")]
    GeoJson(Json<KaartCollection>),
}

/// The kaart.
#[derive(Debug, ApiResponse)]
pub enum KaartResponse {
    /// The kaart.
    #[oai(status = 200)]
    Ok(KaartContent),
}

fn day(name: &str, v: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    v.map(|t| t.parse::<NaiveDate>().map_err(|_| ApiError::invalid(name, "a day is YYYY-MM-DD"))).transpose()
}

/// The days asked for: both, one (the other is today, or three years before `to`), or none.
fn period(from: Option<&str>, to: Option<&str>) -> Result<Option<Days>, ApiError> {
    let (from, to) = (day("from", from)?, day("to", to)?);
    let (from, to) = match (from, to) {
        (None, None) => return Ok(None),
        (Some(f), None) => (f, now().date_naive().max(f)),
        (None, Some(t)) => (t - chrono::Duration::days(service::MAX_PERIOD_DAYS), t),
        (Some(f), Some(t)) => (f, t),
    };
    Days::new(from, to).map(Some).map_err(|(f, e)| ApiError::invalid(f, e.0))
}

fn properties(counts: &KaartCounts, place: serde_json::Value) -> serde_json::Value {
    let mut p = serde_json::to_value(counts).unwrap_or_default();
    if let (Some(obj), Some(extra)) = (p.as_object_mut(), place.as_object()) {
        obj.extend(extra.clone());
    }
    p
}

/// The kaart resource.
pub struct KaartApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/areas", tag = "ApiTags::Wijkteam")]
impl KaartApi {
    /// Supply and demand per place
    ///
    /// The kaart of a gemeente (GM) or wijk (WK) the wijkteam and its gemeente steer by, per
    /// H3 cell (`resolution` 7 for everyone; 8 only for the professionals of the gemeente:
    /// anonymous 401, anyone else 403) or per wijk (`by=wijk`): demand (open and unmet
    /// requests), supply (open offers, volunteers who reach the place, initiatives with places
    /// left), the gap, and the share of requests with a candidate within 1.5 km. Each count is
    /// defined on `KaartCounts`; `category`, `zrm`, `from` and `to` narrow what is counted.
    ///
    /// Computed from what the service holds, never typed in. The public (anonymous callers,
    /// residents, organisers, professionals of other gemeenten) sees only public things: open
    /// offers and initiatives with places (`scope: public`). The gemeente's professionals and
    /// admins see every count (`scope: professional`), still only added up: every count over
    /// people follows k = 5, and a total never lets a held-back count be worked out by
    /// subtraction. Reading it is not audited: it names nobody.
    ///
    /// With `Accept: application/geo+json`: a FeatureCollection of hexagons (or wijk outlines)
    /// with the counts as properties.
    #[oai(path = "/:code/kaart", method = "get", operation_id = "get_kaart")]
    #[allow(clippy::too_many_arguments)]
    async fn kaart(
        &self,
        req: &Request,
        caller: Caller,
        /// A CBS gemeente (GM....) or wijk (WK......) code.
        code: Path<String>,
        /// The H3 resolution of the cells: 7 (default) or 8 (the gemeente's professionals).
        #[oai(validator(minimum(value = "7"), maximum(value = "8")))]
        resolution: Query<Option<i64>>,
        /// `cell` (default) or `wijk`.
        by: Query<Option<KaartBy>>,
        /// Count only listings, volunteers and initiatives with this activity category.
        category: Query<Option<ActivityCategory>>,
        /// Count only those with this ZRM domain.
        zrm: Query<Option<ZrmDomain>>,
        /// Count only requests and offers posted on or after this day (UTC), `YYYY-MM-DD`
        /// (default: three years before `to`, when `to` is given; else every open one).
        #[oai(validator(max_length = 10, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
        from: Query<Option<String>>,
        /// Count only those posted on or before this day, `YYYY-MM-DD` (default: today, when
        /// `from` is given); at most three years after `from`.
        #[oai(validator(max_length = 10, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
        to: Query<Option<String>>,
    ) -> Result<KaartResponse, ApiError> {
        let q = KaartQuery {
            area: field("code", CbsCode::parse(&code.0))?,
            resolution: field("resolution", MapResolution::parse(resolution.0.unwrap_or(7)))?,
            by: match by.0 {
                Some(KaartBy::Wijk) => By::Wijk,
                _ => By::Cell,
            },
            category: category.0,
            zrm: zrm.0,
            period: period(from.0.as_deref(), to.0.as_deref())?,
        };
        // Boxed: the kaart's reads make a large future, too large for a small stack inline.
        let k = Box::pin(service::kaart(&self.state, &caller.0, q)).await?;
        if wants_geojson(req) {
            return Ok(KaartResponse::Ok(KaartContent::GeoJson(Json(collection(k)))));
        }
        Ok(KaartResponse::Ok(KaartContent::Json(Json(json(k)))))
    }
}

struct Head {
    area: String,
    area_name: String,
    resolution: Option<u8>,
    by: KaartBy,
    filters: KaartFilters,
    scope: KaartScope,
    total: KaartCounts,
}

fn head(k: &Model) -> Head {
    let q = &k.query;
    Head {
        area: q.area.as_str().to_owned(),
        area_name: k.area_name.clone(),
        resolution: (q.by == By::Cell).then(|| q.resolution.number()),
        by: if q.by == By::Wijk { KaartBy::Wijk } else { KaartBy::Cell },
        filters: KaartFilters {
            category: q.category,
            zrm: q.zrm,
            from: q.period.map(|p| p.from.to_string()),
            to: q.period.map(|p| p.to.to_string()),
        },
        scope: if k.scope == Scope::Professional { KaartScope::Professional } else { KaartScope::Public },
        total: KaartCounts::of(&k.total),
    }
}

fn json(k: Model) -> Kaart {
    let h = head(&k);
    let features = k
        .features
        .into_iter()
        .map(|f| {
            let counts = KaartCounts::of(&f.counts);
            match f.place {
                Place::Cell(c) => KaartFeature { cell: Some(c.to_string()), wijk: None, counts },
                Place::Wijk { code, name, .. } => KaartFeature { cell: None, wijk: Some(KaartWijk { code, name }), counts },
            }
        })
        .collect();
    Kaart {
        area: h.area,
        area_name: h.area_name,
        resolution: h.resolution,
        by: h.by,
        filters: h.filters,
        scope: h.scope,
        features,
        total: h.total,
    }
}

fn collection(k: Model) -> KaartCollection {
    let h = head(&k);
    let features = k
        .features
        .into_iter()
        .map(|f| {
            let counts = KaartCounts::of(&f.counts);
            let (id, geometry, place) = match f.place {
                Place::Cell(c) => (c.to_string(), crate::geo::geojson::cell_polygon(c), serde_json::json!({"cell": c.to_string()})),
                Place::Wijk { code, name, geometry } => (code.clone(), geometry, serde_json::json!({"code": code, "name": name})),
            };
            Feature { feature_type: "Feature".into(), id, geometry, properties: properties(&counts, place) }
        })
        .collect();
    KaartCollection {
        collection_type: "FeatureCollection".into(),
        features,
        area: h.area,
        area_name: h.area_name,
        resolution: h.resolution,
        by: h.by,
        filters: h.filters,
        scope: h.scope,
        total: h.total,
    }
}
