//! `/v1/areas`: CBS gemeenten and wijken, and which of them a point lies in.

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, ResponseContent};

use super::ApiTags;
use super::caller::Caller;
use super::common::{DEFAULT_LIMIT, Feature, FeatureCollection, MAX_LIMIT, field, wants_geojson};
use crate::domain::{CbsCode, Coordinates};
use crate::error::ApiError;
use crate::service::State;
use crate::service::areas::{self as service, Area as Model};

/// The level of a CBS area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AreaLevel {
    /// Municipality.
    Gemeente,
    /// District.
    Wijk,
}

/// A CBS area without its boundary.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AreaSummary {
    /// CBS code (GM.... or WK......).
    pub code: String,
    /// gemeente or wijk.
    pub level: AreaLevel,
    /// CBS name.
    pub name: String,
    /// For a wijk, its gemeente.
    pub gemeente_code: Option<String>,
    /// Bounding box `[min_lng, min_lat, max_lng, max_lat]` (RFC 7946 order).
    pub bbox: Vec<f64>,
}

/// A CBS area with its boundary.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Area {
    /// CBS code.
    pub code: String,
    /// gemeente or wijk.
    pub level: AreaLevel,
    /// CBS name.
    pub name: String,
    /// For a wijk, its gemeente.
    pub gemeente_code: Option<String>,
    /// Bounding box `[min_lng, min_lat, max_lng, max_lat]`.
    pub bbox: Vec<f64>,
    /// The boundary: a GeoJSON Polygon or MultiPolygon (WGS84; CBS / Kadaster, CC BY 4.0).
    pub geometry: serde_json::Value,
}

fn level(m: &Model) -> AreaLevel {
    if m.level == service::WIJK { AreaLevel::Wijk } else { AreaLevel::Gemeente }
}

fn summary(m: &Model) -> AreaSummary {
    AreaSummary {
        code: m.code.clone(),
        level: level(m),
        name: m.name.clone(),
        gemeente_code: m.gemeente_code.clone(),
        bbox: vec![m.min_lng, m.min_lat, m.max_lng, m.max_lat],
    }
}

/// A page of areas.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AreaPage {
    /// The areas, in code order.
    pub items: Vec<AreaSummary>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// A list as JSON or GeoJSON.
#[derive(Debug, ResponseContent)]
pub enum AreaList {
    /// `application/json`: without boundaries.
    Json(Json<AreaPage>),
    /// `application/geo+json`: with boundaries.
    #[oai(content_type = "application/geo+json")]
    GeoJson(Json<FeatureCollection>),
}

/// A list of areas.
#[derive(Debug, ApiResponse)]
pub enum AreaListResponse {
    /// A page.
    #[oai(status = 200)]
    Ok(AreaList),
}

/// One area.
#[derive(Debug, ApiResponse)]
pub enum AreaResponse {
    /// The area.
    #[oai(status = 200)]
    Ok(Json<Area>),
}

/// A named area.
#[derive(Debug, Clone, Object)]
pub struct AreaRef {
    /// CBS code.
    pub code: String,
    /// CBS name.
    pub name: String,
}

/// Where a point lies.
#[derive(Debug, Clone, Object)]
pub struct Location {
    /// The gemeente, taken from the wijk so that the two always agree.
    pub gemeente: AreaRef,
    /// The wijk containing the point (or the nearest within 2 km, where simplified outlines leave gaps along water).
    pub wijk: AreaRef,
}

/// The answer to locate.
#[derive(Debug, ApiResponse)]
pub enum LocateResponse {
    /// The areas of the point.
    #[oai(status = 200)]
    Ok(Json<Location>),
}

/// The areas resource.
pub struct AreasApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/areas", tag = "ApiTags::Areas")]
impl AreasApi {
    /// List areas
    ///
    /// CBS gemeenten and wijken (2025 boundaries by default), in code order. With
    /// `Accept: application/geo+json` the boundaries come along.
    #[oai(path = "/", method = "get", operation_id = "list_areas")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &Request,
        _caller: Caller,
        /// gemeente or wijk.
        level: Query<Option<AreaLevel>>,
        /// Only the wijken of this gemeente (GM....).
        #[oai(validator(max_length = 6, pattern = "^[Gg][Mm][0-9]{4}$"))]
        gemeente: Query<Option<String>>,
        /// Name contains (case-insensitive).
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<AreaListResponse, ApiError> {
        let limit = limit.0.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let gemeente = match gemeente.0.as_deref().map(CbsCode::parse) {
            None => None,
            Some(Ok(CbsCode::Gemeente(c))) => Some(c),
            Some(_) => return Err(ApiError::invalid("gemeente", "a gemeente code is GM followed by 4 digits")),
        };
        let after = match cursor.0.as_deref() {
            None => None,
            Some(c) => Some(
                field(
                    "cursor",
                    crate::domain::list_scope::open(c)
                        .and_then(|c| CbsCode::parse(c).map_err(|_| crate::domain::Invalid::new("not a cursor this service issued"))),
                )?
                .to_string(),
            ),
        };
        if q.0.as_deref().is_some_and(|t| t.chars().any(char::is_control)) {
            return Err(ApiError::invalid("q", "must not contain control characters"));
        }
        let filter = service::AreaFilter {
            level: level.0.map(|l| if l == AreaLevel::Wijk { service::WIJK } else { service::GEMEENTE }),
            gemeente,
            name: q.0.filter(|s| !s.trim().is_empty()),
            after,
            limit,
        };
        let (rows, more) = service::list(&self.state, &filter).await?;
        let next_cursor = if more { rows.last().map(|r| crate::domain::list_scope::seal(&r.code)) } else { None };
        if wants_geojson(req) {
            let features = rows
                .iter()
                .map(|m| {
                    let mut properties = serde_json::json!({"code": m.code, "level": m.level, "name": m.name});
                    // Absent fields are omitted, never null, here as in every JSON answer.
                    if let Some(g) = &m.gemeente_code {
                        properties["gemeente_code"] = g.clone().into();
                    }
                    Feature {
                        feature_type: "Feature".into(),
                        id: m.code.clone(),
                        geometry: serde_json::from_str(&m.geometry).unwrap_or(serde_json::Value::Null),
                        properties,
                    }
                })
                .collect();
            return Ok(AreaListResponse::Ok(AreaList::GeoJson(Json(FeatureCollection::new(features, next_cursor)))));
        }
        Ok(AreaListResponse::Ok(AreaList::Json(Json(AreaPage { items: rows.iter().map(summary).collect(), next_cursor }))))
    }

    /// Locate a point
    ///
    /// The gemeente and wijk of a point: the wijk by point-in-polygon, the gemeente from that wijk.
    #[oai(path = "/locate", method = "get", operation_id = "locate_point")]
    async fn locate(
        &self,
        _caller: Caller,
        /// Latitude (-90 to 90).
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
        lat: Query<f64>,
        /// Longitude (-180 to 180).
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
        lng: Query<f64>,
    ) -> Result<LocateResponse, ApiError> {
        let point = Coordinates::parse(lat.0, lng.0).map_err(|(f, e)| ApiError::invalid(f, e.0))?;
        let (placed, names) = service::locate(&self.state, point).await.map_err(|e| match e {
            // A point outside every wijk is a resource that does not exist here, not bad input.
            crate::service::Error::Unprocessable { code, message, .. } => {
                ApiError::NotFound(Json(crate::error::Problem::new(poem::http::StatusCode::NOT_FOUND, code, "Not found", message)))
            }
            other => other.into(),
        })?;
        let name = |c: &str| names.get(c).cloned().unwrap_or_else(|| c.to_owned());
        Ok(LocateResponse::Ok(Json(Location {
            gemeente: AreaRef { name: name(&placed.gemeente_code), code: placed.gemeente_code.clone() },
            wijk: AreaRef { name: name(&placed.wijk_code), code: placed.wijk_code.clone() },
        })))
    }

    /// Get an area
    ///
    /// One gemeente or wijk with its boundary.
    #[oai(path = "/:code", method = "get", operation_id = "get_area")]
    async fn get(
        &self,
        _caller: Caller,
        /// CBS code (GM.... or WK......).
        #[oai(validator(pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        code: Path<String>,
    ) -> Result<AreaResponse, ApiError> {
        let code = field("code", CbsCode::parse(&code.0))?;
        let m = service::get(&self.state, &code).await?;
        let s = summary(&m);
        Ok(AreaResponse::Ok(Json(Area {
            code: s.code,
            level: s.level,
            name: s.name,
            gemeente_code: s.gemeente_code,
            bbox: s.bbox,
            geometry: serde_json::from_str(&m.geometry).unwrap_or(serde_json::Value::Null),
        })))
    }
}
