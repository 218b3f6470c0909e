//! Wire types and parsing shared by the resources: points, addresses, contact, time ranges,
//! list parameters, pages and GeoJSON.

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};

use crate::domain::items::{Address, Contact};
use crate::domain::{
    ActivityCategory, BoundedText, CbsCode, CellId, Coordinates, Invalid, LanguageCode, Radius, TimeRange, Weekday, ZrmDomain,
};
use crate::error::ApiError;
use crate::geo::{AreaIndex, Placement};
use crate::store::query::{Cursor, ListQuery, Near, Sort};

/// The GeoJSON media type (RFC 7946).
pub const GEO_JSON: &str = "application/geo+json";

/// Largest page.
pub const MAX_LIMIT: u64 = 200;
/// Default page.
pub const DEFAULT_LIMIT: u64 = 50;

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
        let t = |name: &str, v: &Option<String>, max| field(&format!("{prefix}.{name}"), BoundedText::parse_optional(v.as_deref(), max));
        // The spec's maxLength, counted as sent: spaces inside a postcode are dropped below.
        if self.postcode.as_deref().is_some_and(|p| p.chars().count() > 7) {
            return Err(ApiError::invalid(format!("{prefix}.postcode"), "at most 7 characters"));
        }
        Ok(Address {
            street: t("street", &self.street, 200)?,
            house_number: t("house_number", &self.house_number, 20)?,
            postcode: match self.postcode.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => None,
                Some(p) => Some(parse_postcode(p).ok_or_else(|| {
                    ApiError::invalid(format!("{prefix}.postcode"), "a Dutch postcode is 4 digits and 2 letters, e.g. 1506 AB")
                })?),
            },
            city: t("city", &self.city, 100)?,
        })
    }

    /// The wire form.
    pub fn of(a: &Address) -> Self {
        let s = |t: &Option<BoundedText>| t.as_ref().map(|t| t.as_str().to_owned());
        Self { street: s(&a.street), house_number: s(&a.house_number), postcode: a.postcode.clone(), city: s(&a.city) }
    }
}

fn parse_postcode(p: &str) -> Option<String> {
    let compact: String = p.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let b = compact.as_bytes();
    (b.len() == 6 && b[0] != b'0' && b[..4].iter().all(u8::is_ascii_digit) && b[4..].iter().all(u8::is_ascii_uppercase))
        .then(|| format!("{} {}", &compact[..4], &compact[4..]))
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
        let nonblank = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        for (name, v) in [("email", &self.email), ("phone", &self.phone), ("website", &self.website)] {
            if v.as_deref().is_some_and(|s| s.chars().any(char::is_control)) {
                return Err(ApiError::invalid(format!("{prefix}.{name}"), "must not contain control characters"));
            }
        }
        let email = nonblank(&self.email);
        if let Some(e) = &email {
            let ok = e.chars().count() <= 254
                && e.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !e.contains(char::is_whitespace));
            if !ok {
                return Err(ApiError::invalid(format!("{prefix}.email"), "not an e-mail address"));
            }
        }
        let phone = nonblank(&self.phone);
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            if p.len() > 32 || !(8..=15).contains(&digits) || !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
                return Err(ApiError::invalid(
                    format!("{prefix}.phone"),
                    "a phone number has 8 to 15 digits and only spaces, +, - or parentheses",
                ));
            }
        }
        let website = nonblank(&self.website);
        if let Some(w) = &website
            && (w.chars().count() > 500 || !(w.starts_with("https://") || w.starts_with("http://")) || w.contains(char::is_whitespace))
        {
            return Err(ApiError::invalid(format!("{prefix}.website"), "a website is an http(s) URL"));
        }
        Ok(Contact { email, phone, website })
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

/// Places a point in its wijk and gemeente, or refuses it as outside every known wijk.
pub fn place(areas: &AreaIndex, point: Coordinates, field_name: &str) -> Result<Placement, ApiError> {
    areas
        .locate(point)
        .ok_or_else(|| ApiError::unprocessable("outside_service_area", field_name, "this place lies outside every wijk the service knows"))
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
    /// Parses into a store query; combinations are checked too.
    pub fn parse(self) -> Result<ListQuery, ApiError> {
        self.parse_ranked(false)
    }

    /// As [`Self::parse`], for a list that may rank title matches first
    /// ([`ListQuery::title_first`]), whose cursors say so.
    pub fn parse_ranked(self, title_first: bool) -> Result<ListQuery, ApiError> {
        let mut q = ListQuery::new(self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT));
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
            q.tags.push((crate::store::tags::CATEGORY, self.category.iter().map(|c| c.code()).collect()));
        }
        if !self.zrm.is_empty() {
            q.tags.push((crate::store::tags::ZRM, self.zrm.iter().map(|z| z.code()).collect()));
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

/// The time now, truncated to microseconds so what we store equals what we read back.
pub fn now() -> DateTime<Utc> {
    let n = Utc::now();
    DateTime::from_timestamp_micros(n.timestamp_micros()).unwrap_or(n)
}

/// The wire form of a stored cell.
pub fn cell_out(v: i64) -> String {
    CellId::from_db(v).map(|c| c.to_string()).unwrap_or_default()
}

/// Rounds a distance to whole decimetres.
pub fn distance_out(d: Option<f64>) -> Option<f64> {
    d.map(|d| (d * 10.0).round() / 10.0)
}

/// `column IN (values)` for a resource-specific filter.
pub fn col_in<'a>(column: &'static str, values: impl Iterator<Item = &'a str>) -> sea_orm::Condition {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    sea_orm::Condition::all().add(Expr::col(Alias::new(column)).is_in(values.map(str::to_owned).collect::<Vec<_>>()))
}

/// A store "not found" as a 404 naming the resource.
pub fn not_found_as(e: crate::store::StoreError, what: &str) -> ApiError {
    match e {
        crate::store::StoreError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// Writes one audit entry; a failure to audit fails the request, so no read goes unrecorded.
pub async fn audit(db: &impl crate::store::Conn, entry: crate::store::audit::Entry<'_>) -> Result<(), ApiError> {
    audit_all(db, &[entry]).await
}

/// Writes audit entries together (the reads of one page).
pub async fn audit_all(db: &impl crate::store::Conn, entries: &[crate::store::audit::Entry<'_>]) -> Result<(), ApiError> {
    crate::store::audit::record(db, entries).await.map_err(ApiError::from)
}

/// Only rows in these gemeenten (a professional's scope).
pub fn in_gemeenten(gemeenten: &[String]) -> sea_orm::Condition {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    sea_orm::Condition::all().add(Expr::col(Alias::new("gemeente_code")).is_in(gemeenten.iter().cloned()))
}

/// A page size: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn page_limit(limit: Option<u64>) -> Result<u64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(_) => Err(ApiError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}"))),
    }
}
