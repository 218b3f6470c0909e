//! `/v1/initiatives`: buurtkamers, repair cafés, taalcafés and every other initiative on the map.

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::{JsonBody, MergePatch};
use super::caller::{Caller, SignedIn};
use super::common::{
    AddressIo, ContactIo, ListParams, Point, SortParam, TimeRangeIo, cell_out, dedup_codes, distance_out, field, languages_out,
    parse_languages, parse_ranges, ranges_out, wants_geojson,
};
use crate::domain::items::InitiativeFields;
use crate::domain::schedule::ranges_from_json;
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, BoundedText, CellId, Coordinates, CostKind, InitiativeKind, InitiativeStatus, ZrmDomain};
use crate::error::ApiError;
use crate::service::State;
use crate::service::initiatives::{self as service, Initiative as Model, InitiativeOnly};

/// What taking part costs.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct CostIo {
    /// free, contribution or paid.
    pub kind: CostKind,
    /// E.g. "Vrijwillige bijdrage voor koffie".
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
}

fn default_cost() -> CostIo {
    CostIo { kind: CostKind::Free, note: None }
}

fn default_status() -> InitiativeStatus {
    InitiativeStatus::Active
}

/// An initiative as a client writes it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitiativeInput {
    /// Name, e.g. "Buurtkamer Poelenburg".
    #[oai(validator(max_length = 200, pattern = "\\S"))]
    pub name: String,
    /// What happens there, for whom.
    #[oai(validator(max_length = 5000, pattern = "\\S"))]
    pub description: String,
    /// The kind of initiative; it sets its rung on the informal-first ladder.
    pub kind: InitiativeKind,
    /// Activity categories (at least one, at most 10).
    #[oai(validator(min_items = 1, max_items = 10))]
    pub categories: Vec<ActivityCategory>,
    /// ZRM life domains it helps with.
    #[oai(default, validator(max_items = 13))]
    #[serde(default)]
    pub zrm_domains: Vec<ZrmDomain>,
    /// The exact place (a public place, stored as given).
    pub location: Point,
    /// Postal address.
    #[oai(default)]
    #[serde(default)]
    pub address: AddressIo,
    /// Weekly opening times; empty for "by appointment".
    #[oai(default, validator(max_items = 50))]
    #[serde(default)]
    pub schedule: Vec<TimeRangeIo>,
    /// Free text about the schedule, e.g. "eerste dinsdag van de maand".
    #[oai(validator(max_length = 500))]
    #[serde(default)]
    pub schedule_note: Option<String>,
    /// Public contact details of the initiative.
    #[oai(default)]
    #[serde(default)]
    pub contact: ContactIo,
    /// Languages spoken, ISO 639 codes.
    #[oai(default, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Accessibility notes (wheelchair access, hearing loop ...).
    #[oai(validator(max_length = 500))]
    #[serde(default)]
    pub accessibility: Option<String>,
    /// Cost; free when absent.
    #[oai(default = "default_cost")]
    #[serde(default = "default_cost")]
    pub cost: CostIo,
    /// Places available, when limited (1 to 100000).
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    #[serde(default)]
    pub capacity: Option<i64>,
    /// active (default), paused or ended.
    #[oai(default = "default_status")]
    #[serde(default = "default_status")]
    pub status: InitiativeStatus,
    /// When the organiser last confirmed these details.
    #[serde(default)]
    pub last_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A JSON Merge Patch of an initiative: send only what changes; `null` clears an optional field.
#[derive(Debug, Clone, Object)]
pub struct InitiativePatch {
    /// See InitiativeInput.
    #[oai(validator(max_length = 200, pattern = "\\S"))]
    pub name: Option<String>,
    /// See InitiativeInput.
    #[oai(validator(max_length = 5000, pattern = "\\S"))]
    pub description: Option<String>,
    /// See InitiativeInput.
    pub kind: Option<InitiativeKind>,
    /// See InitiativeInput.
    #[oai(validator(min_items = 1, max_items = 10))]
    pub categories: Option<Vec<ActivityCategory>>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable, validator(max_items = 13))]
    pub zrm_domains: Option<Vec<ZrmDomain>>,
    /// See InitiativeInput.
    pub location: Option<Point>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable)]
    pub address: Option<AddressIo>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable, validator(max_items = 50))]
    pub schedule: Option<Vec<TimeRangeIo>>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable, validator(max_length = 500))]
    pub schedule_note: Option<String>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable)]
    pub contact: Option<ContactIo>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    pub languages: Option<Vec<String>>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable, validator(max_length = 500))]
    pub accessibility: Option<String>,
    /// See InitiativeInput; `null` makes it free.
    #[oai(nullable)]
    pub cost: Option<CostIo>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "100000")))]
    pub capacity: Option<i64>,
    /// See InitiativeInput; `null` makes it active.
    #[oai(nullable)]
    pub status: Option<InitiativeStatus>,
    /// See InitiativeInput; `null` clears.
    #[oai(nullable)]
    pub last_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl InitiativeInput {
    /// Parses into domain fields, naming the field at fault.
    pub fn parse(&self) -> Result<InitiativeFields, ApiError> {
        Ok(InitiativeFields {
            name: field("name", BoundedText::title(&self.name, 200))?,
            description: field("description", BoundedText::parse(&self.description, 5000))?,
            kind: self.kind,
            categories: dedup_codes("categories", &self.categories, 1, 10)?,
            zrm_domains: dedup_codes("zrm_domains", &self.zrm_domains, 0, 13)?,
            location: self.location.parse("location")?,
            address: self.address.parse("address")?,
            schedule: parse_ranges("schedule", &self.schedule)?,
            schedule_note: field("schedule_note", BoundedText::parse_optional(self.schedule_note.as_deref(), 500))?,
            contact: self.contact.parse("contact")?,
            languages: parse_languages("languages", &self.languages)?,
            accessibility: field("accessibility", BoundedText::parse_optional(self.accessibility.as_deref(), 500))?,
            cost_kind: self.cost.kind,
            cost_note: field("cost.note", BoundedText::parse_optional(self.cost.note.as_deref(), 500))?,
            capacity: match self.capacity {
                None => None,
                Some(c) if (1..=100_000).contains(&c) => Some(c as u32),
                Some(_) => return Err(ApiError::invalid("capacity", "must be between 1 and 100000")),
            },
            status: self.status,
            last_confirmed_at: self.last_confirmed_at,
        })
    }

    fn of(m: &Model) -> Self {
        Self {
            name: m.name.clone(),
            description: m.description.clone(),
            kind: InitiativeKind::from_code(&m.kind).unwrap_or(InitiativeKind::ResidentInitiative),
            categories: split_codes(&m.categories, ActivityCategory::from_code),
            zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
            location: Point { lat: m.lat, lng: m.lng },
            address: AddressIo {
                street: m.address_street.clone(),
                house_number: m.address_house_number.clone(),
                postcode: m.address_postcode.clone(),
                city: m.address_city.clone(),
            },
            schedule: ranges_out(&ranges_from_json(&m.schedule)),
            schedule_note: m.schedule_note.clone(),
            contact: ContactIo { email: m.contact_email.clone(), phone: m.contact_phone.clone(), website: m.contact_website.clone() },
            languages: languages_out(&m.languages),
            accessibility: m.accessibility.clone(),
            cost: CostIo { kind: CostKind::from_code(&m.cost_kind).unwrap_or(CostKind::Free), note: m.cost_note.clone() },
            capacity: m.capacity.map(i64::from),
            status: InitiativeStatus::from_code(&m.status).unwrap_or(InitiativeStatus::Active),
            last_confirmed_at: m.last_confirmed_at,
        }
    }
}

/// An initiative as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Initiative {
    /// Identity.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: InitiativeKind,
    /// Activity categories.
    pub categories: Vec<ActivityCategory>,
    /// ZRM life domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// The exact place.
    pub location: Point,
    /// The storage cell (H3 resolution 9) of the place, lower-case hex.
    pub cell: String,
    /// CBS gemeente code, computed from the place.
    pub gemeente_code: String,
    /// CBS wijk code, computed from the place.
    pub wijk_code: String,
    /// Postal address.
    pub address: AddressIo,
    /// Weekly opening times.
    pub schedule: Vec<TimeRangeIo>,
    /// About the schedule.
    pub schedule_note: Option<String>,
    /// Public contact details.
    pub contact: ContactIo,
    /// Languages spoken.
    pub languages: Vec<String>,
    /// Accessibility notes.
    pub accessibility: Option<String>,
    /// Cost.
    pub cost: CostIo,
    /// Places, when limited.
    pub capacity: Option<i64>,
    /// Status.
    pub status: InitiativeStatus,
    /// When the organiser last confirmed these details.
    pub last_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Metres from the query point, when the list was asked with `lat`/`lng`.
    #[oai(skip_serializing_if_is_none)]
    pub distance_m: Option<f64>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Initiative {
    fn of(m: Model, distance_m: Option<f64>) -> Self {
        let i = InitiativeInput::of(&m);
        Self {
            id: m.id,
            name: i.name,
            description: i.description,
            kind: i.kind,
            categories: i.categories,
            zrm_domains: i.zrm_domains,
            location: i.location,
            cell: cell_out(m.index_cell),
            gemeente_code: m.gemeente_code,
            wijk_code: m.wijk_code,
            address: i.address,
            schedule: i.schedule,
            schedule_note: i.schedule_note,
            contact: i.contact,
            languages: i.languages,
            accessibility: i.accessibility,
            cost: i.cost,
            capacity: i.capacity,
            status: i.status,
            last_confirmed_at: i.last_confirmed_at,
            distance_m: distance_out(distance_m),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

super::located::located_answers! {
    item: Initiative, page: InitiativePage, list: InitiativeList, one: InitiativeResponse, many: InitiativeListResponse,
    page_doc: "A page of initiatives.", items_doc: "The initiatives.", one_doc: "One initiative.", item_doc: "The initiative.",
    many_doc: "A list of initiatives.", geojson_doc: "`application/geo+json`: points.",
}

/// Nothing to return.
#[derive(Debug, ApiResponse)]
pub enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    NoContent,
}

/// The initiatives resource.
pub struct InitiativesApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/initiatives", tag = "ApiTags::Initiatives")]
impl InitiativesApi {
    /// Create an initiative
    ///
    /// By a signed-in resident, who becomes its first organiser, or by an admin of the
    /// gemeente. The gemeente and wijk are computed from `location`; a place outside every
    /// known wijk is refused.
    #[oai(path = "/", method = "post", operation_id = "create_initiative")]
    async fn create(&self, caller: SignedIn, body: JsonBody<InitiativeInput>) -> Result<InitiativeResponse, ApiError> {
        let m = service::create(&self.state, &caller.0, body.0.parse()?).await?;
        Ok(InitiativeResponse::Created(Json(Initiative::of(m, None))))
    }

    /// List initiatives
    ///
    /// Filters combine with AND; repeated `category` or `zrm` values combine with OR.
    /// With `lat`, `lng` and `radius_m` every item carries `distance_m` (to its exact place).
    /// Send `Accept: application/geo+json` for a GeoJSON FeatureCollection.
    #[oai(path = "/", method = "get", operation_id = "list_initiatives")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &Request,
        _caller: Caller,
        /// Latitude of the search centre (-90 to 90); needs `lng` and `radius_m`.
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
        lat: Query<Option<f64>>,
        /// Longitude of the search centre (-180 to 180).
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
        lng: Query<Option<f64>>,
        /// Search radius in metres, more than 0 and at most 50000.
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
        radius_m: Query<Option<f64>>,
        /// Only items inside this H3 cell (any resolution, lower-case hex).
        #[oai(validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
        cell: Query<Option<String>>,
        /// Only items in this CBS gemeente (GM....) or wijk (WK......).
        #[oai(validator(max_length = 8, pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        area: Query<Option<String>>,
        /// Activity categories (any of).
        #[oai(default)]
        category: Query<Vec<ActivityCategory>>,
        /// ZRM life domains (any of).
        #[oai(default)]
        zrm: Query<Vec<ZrmDomain>>,
        /// Kinds (any of).
        #[oai(default)]
        kind: Query<Vec<InitiativeKind>>,
        /// Statuses (any of).
        #[oai(default)]
        status: Query<Vec<InitiativeStatus>>,
        /// Full text over name and description (prefix matching; accents ignored on SQLite).
        #[oai(validator(max_length = 500))]
        q: Query<Option<String>>,
        /// `newest` (default) or `distance` (needs a point).
        sort: Query<Option<SortParam>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<InitiativeListResponse, ApiError> {
        let filter = ListParams {
            lat: lat.0,
            lng: lng.0,
            radius_m: radius_m.0,
            cell: cell.0,
            area: area.0,
            category: category.0,
            zrm: zrm.0,
            q: q.0,
            sort: sort.0,
            limit: limit.0,
            cursor: cursor.0,
        }
        .parse()?;
        let page = service::list(&self.state, filter, InitiativeOnly { kinds: kind.0, statuses: status.0 }).await?;
        let items: Vec<Initiative> = page.items.into_iter().map(|(m, d)| Initiative::of(m, d)).collect();
        let next_cursor = page.next;
        Ok(InitiativeListResponse::of(items, next_cursor, wants_geojson(req), |i| {
            (i.id.to_string(), Coordinates::parse(i.location.lat, i.location.lng).ok(), CellId::parse(&i.cell).ok())
        }))
    }

    /// Get an initiative
    ///
    /// Public: initiatives are public places, read without credentials.
    #[oai(path = "/:id", method = "get", operation_id = "get_initiative")]
    async fn get(&self, _caller: Caller, id: Path<Uuid>) -> Result<InitiativeResponse, ApiError> {
        Ok(InitiativeResponse::Ok(Json(Initiative::of(service::get(&self.state, id.0).await?, None))))
    }

    /// Update an initiative
    ///
    /// A JSON Merge Patch (RFC 7396): only the fields sent change; `null` clears an optional
    /// field. Listings of the initiative move with its location. By its organisers, a key of
    /// the initiative, or an admin of its gemeente.
    #[oai(path = "/:id", method = "patch", operation_id = "update_initiative")]
    async fn update(&self, caller: SignedIn, id: Path<Uuid>, patch: MergePatch<InitiativePatch>) -> Result<InitiativeResponse, ApiError> {
        let m = service::update(&self.state, &caller.0, id.0, |current| patch.apply(&InitiativeInput::of(current))?.parse()).await?;
        Ok(InitiativeResponse::Ok(Json(Initiative::of(m, None))))
    }

    /// Delete an initiative
    ///
    /// Its listings are deleted with it. By its organisers, a key of the initiative, or an admin
    /// of its gemeente.
    #[oai(path = "/:id", method = "delete", operation_id = "delete_initiative")]
    async fn delete(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        service::delete(&self.state, &caller.0, id.0).await?;
        Ok(Deleted::NoContent)
    }
}
