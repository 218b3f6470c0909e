//! Wire types and parsing shared by the resources: points, addresses, contact, time ranges,
//! list parameters, pages and GeoJSON.

use poem::Request;
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

use crate::domain::items::{Address, Contact};
use crate::domain::list::{Cursor, ListFilter, Near, Sort};
pub use crate::domain::list::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::domain::{
    ActivityCategory, BoundedText, CbsCode, CellId, Coordinates, Invalid, LanguageCode, Radius, TimeRange, Weekday, ZrmDomain,
};
use crate::error::ApiError;

/// The GeoJSON media type (RFC 7946).
pub const GEO_JSON: &str = "application/geo+json";

/// Turns a domain refusal into a 400 naming the field.
pub fn field<T>(name: &str, r: Result<T, Invalid>) -> Result<T, ApiError> {
    r.map_err(|e| ApiError::invalid(name, e.0))
}

/// A WGS84 point.
#[derive(Debug, Clone, Copy, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Latitude in degrees, -90 to 90.
    #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
    pub lng: f64,
}

impl Point {
    /// Parses the point, naming `prefix.lat` or `prefix.lng` when out of range.
    pub fn parse(self, prefix: &str) -> Result<Coordinates, ApiError> {
        Coordinates::parse(self.lat, self.lng).map_err(|(f, e)| ApiError::invalid(format!("{prefix}.{f}"), e.0))
    }

    /// The wire form of coordinates.
    pub fn of(c: Coordinates) -> Self {
        Self { lat: c.lat(), lng: c.lng() }
    }
}

/// A postal address; every part optional.
#[derive(Debug, Clone, Default, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct AddressIo {
    /// Street name.
    #[oai(validator(max_length = 200))]
    pub street: Option<String>,
    /// House number with any addition, e.g. `12a`.
    #[oai(validator(max_length = 20))]
    pub house_number: Option<String>,
    /// Dutch postcode, `1234 AB` (a missing space or lower case is accepted).
    #[oai(validator(max_length = 7))]
    pub postcode: Option<String>,
    /// Place (woonplaats).
    #[oai(validator(max_length = 100))]
    pub city: Option<String>,
}

impl AddressIo {
    /// Parses every part.
    pub fn parse(&self, prefix: &str) -> Result<Address, ApiError> {
        Address::parse(self.street.as_deref(), self.house_number.as_deref(), self.postcode.as_deref(), self.city.as_deref())
            .map_err(|(f, e)| ApiError::invalid(format!("{prefix}.{f}"), e.0))
    }

    /// The wire form.
    pub fn of(a: &Address) -> Self {
        let s = |t: &Option<BoundedText>| t.as_ref().map(|t| t.as_str().to_owned());
        Self { street: s(&a.street), house_number: s(&a.house_number), postcode: a.postcode.clone(), city: s(&a.city) }
    }
}

/// How to reach someone; every part optional.
#[derive(Debug, Clone, Default, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct ContactIo {
    /// E-mail address.
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    /// Phone number.
    #[oai(validator(max_length = 32))]
    pub phone: Option<String>,
    /// Website, `http://` or `https://`.
    #[oai(validator(max_length = 500))]
    pub website: Option<String>,
}

impl ContactIo {
    /// Parses every part.
    pub fn parse(&self, prefix: &str) -> Result<Contact, ApiError> {
        Contact::parse(self.email.as_deref(), self.phone.as_deref(), self.website.as_deref())
            .map_err(|(f, e)| ApiError::invalid(format!("{prefix}.{f}"), e.0))
    }

    /// The wire form.
    pub fn of(c: &Contact) -> Self {
        Self { email: c.email.clone(), phone: c.phone.clone(), website: c.website.clone() }
    }
}

/// A weekly time range on one day.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRangeIo {
    /// The day.
    pub weekday: Weekday,
    /// From, `HH:MM` (24-hour clock).
    #[oai(validator(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub start: String,
    /// Until, `HH:MM`, later than `start`; `24:00` is the end of the day.
    #[oai(validator(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub end: String,
}

/// Parses a list of ranges, naming `prefix[i].start` or `.end` at fault.
pub fn parse_ranges(prefix: &str, items: &[TimeRangeIo]) -> Result<Vec<TimeRange>, ApiError> {
    if items.len() > 50 {
        return Err(ApiError::invalid(prefix, "at most 50 time ranges"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, r) in items.iter().enumerate() {
        out.push(TimeRange::parse(r.weekday, &r.start, &r.end).map_err(|(f, e)| ApiError::invalid(format!("{prefix}[{i}].{f}"), e.0))?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The wire form of ranges.
pub fn ranges_out(ranges: &[TimeRange]) -> Vec<TimeRangeIo> {
    ranges.iter().map(|r| TimeRangeIo { weekday: r.weekday, start: r.start.to_string(), end: r.end.to_string() }).collect()
}

/// Parses language codes, deduplicated, order kept.
pub fn parse_languages(name: &str, items: &[String]) -> Result<Vec<LanguageCode>, ApiError> {
    if items.len() > 20 {
        return Err(ApiError::invalid(name, "at most 20 languages"));
    }
    let mut out: Vec<LanguageCode> = Vec::new();
    for (i, l) in items.iter().enumerate() {
        let code = field(&format!("{name}[{i}]"), LanguageCode::parse(l))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// Stored comma-joined languages back to the wire.
pub fn languages_out(stored: &str) -> Vec<String> {
    stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Deduplicates codes keeping the first occurrence, and bounds the list: at most `max` as sent
/// (the spec's `maxItems`, duplicates included), at least `min` once deduplicated.
pub fn dedup_codes<T: PartialEq + Copy>(name: &str, items: &[T], min: usize, max: usize) -> Result<Vec<T>, ApiError> {
    if items.len() > max {
        return Err(ApiError::invalid(name, format!("at most {max} values")));
    }
    let mut out = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(*i);
        }
    }
    if out.len() < min {
        return Err(ApiError::invalid(name, format!("needs at least {min} value(s)")));
    }
    Ok(out)
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SortParam {
    /// Newest first (the default).
    Newest,
    /// Nearest first; needs `lat`, `lng` and `radius_m`.
    Distance,
}

/// The list parameters every located resource accepts, as they arrive.
#[derive(Debug, Default)]
pub struct ListParams {
    /// `lat`
    pub lat: Option<f64>,
    /// `lng`
    pub lng: Option<f64>,
    /// `radius_m`
    pub radius_m: Option<f64>,
    /// `cell`
    pub cell: Option<String>,
    /// `area`
    pub area: Option<String>,
    /// `category`
    pub category: Vec<ActivityCategory>,
    /// `zrm`
    pub zrm: Vec<ZrmDomain>,
    /// `q`
    pub q: Option<String>,
    /// `sort`
    pub sort: Option<SortParam>,
    /// `limit`
    pub limit: Option<u64>,
    /// `cursor`
    pub cursor: Option<String>,
}

impl ListParams {
    /// Parses into the shared list filter; combinations are checked too.
    pub fn parse(self) -> Result<ListFilter, ApiError> {
        self.parse_ranked(false)
    }

    /// As [`Self::parse`], for a list that may rank title matches first
    /// ([`ListFilter::title_first`]), whose cursors say so.
    pub fn parse_ranked(self, title_first: bool) -> Result<ListFilter, ApiError> {
        let mut q = ListFilter::new(self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT));
        q.title_first = title_first;
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        q.near = match (self.lat, self.lng, self.radius_m) {
            (None, None, None) => None,
            (Some(lat), Some(lng), Some(r)) => {
                let centre = Coordinates::parse(lat, lng).map_err(|(f, e)| ApiError::invalid(f, e.0))?;
                Some(Near { centre, radius: field("radius_m", Radius::parse(r))? })
            }
            (Some(lat), Some(lng), None) => {
                Coordinates::parse(lat, lng).map_err(|(f, e)| ApiError::invalid(f, e.0))?;
                return Err(ApiError::invalid("radius_m", "a point needs a radius_m"));
            }
            (lat, _, r) => {
                let missing = if lat.is_none() { "lat" } else { "lng" };
                if let Some(r) = r {
                    field("radius_m", Radius::parse(r))?;
                }
                return Err(ApiError::invalid(missing, "lat, lng and radius_m go together"));
            }
        };
        q.cell = self.cell.as_deref().map(|c| field("cell", CellId::parse(c))).transpose()?;
        q.area = self.area.as_deref().map(|a| field("area", CbsCode::parse(a))).transpose()?;
        if !self.category.is_empty() {
            q.tags.push((crate::domain::taxonomy::CATEGORY, self.category.iter().map(|c| c.code()).collect()));
        }
        if !self.zrm.is_empty() {
            q.tags.push((crate::domain::taxonomy::ZRM, self.zrm.iter().map(|z| z.code()).collect()));
        }
        if let Some(text) = self.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if text.chars().count() > 500 {
                return Err(ApiError::invalid("q", "at most 500 characters"));
            }
            if text.chars().any(char::is_control) {
                return Err(ApiError::invalid("q", "must not contain control characters"));
            }
            q.text = Some(text.to_owned());
        }
        q.sort = match self.sort {
            Some(SortParam::Distance) => Sort::Distance,
            _ => Sort::Newest,
        };
        q.after = self.cursor.as_deref().map(|c| field("cursor", Cursor::decode(c))).transpose()?;
        q.check().map_err(|(f, e)| ApiError::invalid(f, e.0))?;
        Ok(q)
    }
}

/// True when the client asked for GeoJSON (`Accept: application/geo+json`).
pub fn wants_geojson(req: &Request) -> bool {
    req.headers()
        .get(poem::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|part| part.trim().split(';').next() == Some(GEO_JSON)))
}

/// A GeoJSON Feature.
#[derive(Debug, Clone, Object)]
pub struct Feature {
    /// Always `Feature`.
    #[oai(rename = "type")]
    pub feature_type: String,
    /// The item's id.
    pub id: String,
    /// A Point for exactly-located items; the cell's Polygon for cell-located items.
    pub geometry: serde_json::Value,
    /// The item as in the JSON list, without its location fields.
    pub properties: serde_json::Value,
}

/// A GeoJSON FeatureCollection (RFC 7946).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FeatureCollection {
    /// Always `FeatureCollection`.
    #[oai(rename = "type")]
    pub collection_type: String,
    /// The features.
    pub features: Vec<Feature>,
    /// Cursor for the next page (a foreign member, allowed by RFC 7946 §6.1).
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

impl FeatureCollection {
    /// A collection of features.
    pub fn new(features: Vec<Feature>, next_cursor: Option<String>) -> Self {
        Self { collection_type: "FeatureCollection".into(), features, next_cursor }
    }
}

/// Builds a feature from an item's JSON: geometry from `location` (a point) or else `cell`.
pub fn feature(id: String, mut properties: serde_json::Value, point: Option<Coordinates>, cell: Option<CellId>) -> Feature {
    let geometry = match (point, cell) {
        (Some(p), _) => crate::geo::geojson::point(p.lat(), p.lng()),
        (None, Some(c)) => crate::geo::geojson::cell_polygon(c.index()),
        (None, None) => serde_json::Value::Null,
    };
    if let Some(obj) = properties.as_object_mut() {
        obj.remove("location");
    }
    Feature { feature_type: "Feature".into(), id, geometry, properties }
}

/// Labels in both languages.
#[derive(Debug, Clone, Object)]
pub struct Label {
    /// Dutch.
    pub nl: String,
    /// English.
    pub en: String,
}

pub use crate::service::now;

/// The wire form of a stored cell.
pub fn cell_out(v: i64) -> String {
    CellId::from_db(v).map(|c| c.to_string()).unwrap_or_default()
}

/// Rounds a distance to whole decimetres.
pub fn distance_out(d: Option<f64>) -> Option<f64> {
    d.map(|d| (d * 10.0).round() / 10.0)
}

/// A page size: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn page_limit(limit: Option<u64>) -> Result<u64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(_) => Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}"))),
    }
}
