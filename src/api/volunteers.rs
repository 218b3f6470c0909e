//! `/v1/volunteers`: the volunteer profile of a person.

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use poem_openapi::{Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::{JsonBody, MergePatch};
use super::caller::{Caller, SignedIn};
use super::common::{
    ListParams, SortParam, TimeRangeIo, cell_out, dedup_codes, distance_out, languages_out, parse_languages, parse_ranges, ranges_out,
    wants_geojson,
};
use super::initiatives::Deleted;
use crate::domain::items::VolunteerFields;
use crate::domain::schedule::ranges_from_json;
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, CellId, VolunteerStatus, ZrmDomain};
use crate::error::ApiError;
use crate::service::State;
use crate::service::volunteers::{self as service, Volunteer as Model, VolunteerOnly};

fn default_travel() -> i64 {
    2_000
}

fn default_status() -> VolunteerStatus {
    VolunteerStatus::Active
}

/// A volunteer profile as a client writes it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolunteerInput {
    /// The person this profile belongs to (one profile per person; cannot change).
    pub person_id: Uuid,
    /// What the volunteer can help with (activity categories, at least one).
    #[oai(validator(min_items = 1, max_items = 19))]
    pub skills: Vec<ActivityCategory>,
    /// ZRM life domains the volunteer can help with.
    #[oai(default, validator(max_items = 13))]
    #[serde(default)]
    pub zrm_domains: Vec<ZrmDomain>,
    /// Languages, ISO 639 codes.
    #[oai(default, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Weekly availability.
    #[oai(default, validator(max_items = 50))]
    #[serde(default)]
    pub availability: Vec<TimeRangeIo>,
    /// How far the volunteer will travel, 100 to 50000 metres (default 2000).
    #[oai(default = "default_travel", validator(minimum(value = "100"), maximum(value = "50000")))]
    #[serde(default = "default_travel")]
    pub max_travel_m: i64,
    /// Holds a VOG (Verklaring Omtrent het Gedrag).
    #[oai(default)]
    #[serde(default)]
    pub has_vog: bool,
    /// active (default) or paused.
    #[oai(default = "default_status")]
    #[serde(default = "default_status")]
    pub status: VolunteerStatus,
}

impl VolunteerInput {
    /// Parses into domain fields, naming the field at fault.
    pub fn parse(&self) -> Result<VolunteerFields, ApiError> {
        if !(100..=50_000).contains(&self.max_travel_m) {
            return Err(ApiError::invalid("max_travel_m", "must be between 100 and 50000"));
        }
        Ok(VolunteerFields {
            skills: dedup_codes("skills", &self.skills, 1, 19)?,
            zrm_domains: dedup_codes("zrm_domains", &self.zrm_domains, 0, 13)?,
            languages: parse_languages("languages", &self.languages)?,
            availability: parse_ranges("availability", &self.availability)?,
            max_travel_m: self.max_travel_m as u32,
            has_vog: self.has_vog,
            status: self.status,
        })
    }

    fn of(m: &Model) -> Self {
        Self {
            person_id: m.person_id,
            skills: split_codes(&m.skills, ActivityCategory::from_code),
            zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
            languages: languages_out(&m.languages),
            availability: ranges_out(&ranges_from_json(&m.availability)),
            max_travel_m: i64::from(m.max_travel_m),
            has_vog: m.has_vog,
            status: VolunteerStatus::from_code(&m.status).unwrap_or(VolunteerStatus::Active),
        }
    }
}

/// A JSON Merge Patch of a volunteer profile.
#[derive(Debug, Clone, Object)]
pub struct VolunteerPatch {
    /// See VolunteerInput.
    #[oai(validator(min_items = 1, max_items = 19))]
    pub skills: Option<Vec<ActivityCategory>>,
    /// See VolunteerInput; `null` clears.
    #[oai(nullable, validator(max_items = 13))]
    pub zrm_domains: Option<Vec<ZrmDomain>>,
    /// See VolunteerInput; `null` clears.
    #[oai(nullable, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    pub languages: Option<Vec<String>>,
    /// See VolunteerInput; `null` clears.
    #[oai(nullable, validator(max_items = 50))]
    pub availability: Option<Vec<TimeRangeIo>>,
    /// See VolunteerInput; `null` takes the default.
    #[oai(nullable, validator(minimum(value = "100"), maximum(value = "50000")))]
    pub max_travel_m: Option<i64>,
    /// See VolunteerInput; `null` takes the default.
    #[oai(nullable)]
    pub has_vog: Option<bool>,
    /// See VolunteerInput; `null` takes the default.
    #[oai(nullable)]
    pub status: Option<VolunteerStatus>,
}

/// A volunteer profile as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Volunteer {
    /// Identity.
    pub id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// Skills.
    pub skills: Vec<ActivityCategory>,
    /// ZRM life domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// Languages.
    pub languages: Vec<String>,
    /// Weekly availability.
    pub availability: Vec<TimeRangeIo>,
    /// Maximum travel distance in metres.
    pub max_travel_m: i64,
    /// Holds a VOG.
    pub has_vog: bool,
    /// Status.
    pub status: VolunteerStatus,
    /// The person's home cell (lower-case hex); never a point.
    pub cell: String,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk.
    pub wijk_code: String,
    /// Metres from the query point to the centre of the cell.
    #[oai(skip_serializing_if_is_none)]
    pub distance_m: Option<f64>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Volunteer {
    pub fn of(m: Model, distance_m: Option<f64>) -> Self {
        let i = VolunteerInput::of(&m);
        Self {
            id: m.id,
            person_id: m.person_id,
            skills: i.skills,
            zrm_domains: i.zrm_domains,
            languages: i.languages,
            availability: i.availability,
            max_travel_m: i.max_travel_m,
            has_vog: i.has_vog,
            status: i.status,
            cell: cell_out(m.cell),
            gemeente_code: m.gemeente_code,
            wijk_code: m.wijk_code,
            distance_m: distance_out(distance_m),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

super::located::located_answers! {
    item: Volunteer, page: VolunteerPage, list: VolunteerList, one: VolunteerResponse, many: VolunteerListResponse,
    page_doc: "A page of volunteer profiles.", items_doc: "The profiles.", one_doc: "One profile.", item_doc: "The profile.",
    many_doc: "A list of volunteer profiles.", geojson_doc: "`application/geo+json`: cells as hexagons.",
}

/// The volunteers resource.
pub struct VolunteersApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/volunteers", tag = "ApiTags::Volunteers")]
impl VolunteersApi {
    /// Create a volunteer profile
    ///
    /// One per person (409 for a second); located at the person's home cell.
    #[oai(path = "/", method = "post", operation_id = "create_volunteer")]
    async fn create(&self, caller: SignedIn, body: JsonBody<VolunteerInput>) -> Result<VolunteerResponse, ApiError> {
        let m = service::create(&self.state, &caller.0, body.0.person_id, body.0.parse()?).await?;
        Ok(VolunteerResponse::Created(Json(Volunteer::of(m, None))))
    }

    /// List volunteer profiles
    ///
    /// For professionals, within the gemeenten they work in; every profile listed is written to
    /// the audit log. `category` filters on skills. Distances are to the centre of the
    /// person's cell.
    #[oai(path = "/", method = "get", operation_id = "list_volunteers")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &Request,
        caller: SignedIn,
        /// Latitude of the search centre (-90 to 90); needs `lng` and `radius_m`.
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
        lat: Query<Option<f64>>,
        /// Longitude of the search centre (-180 to 180).
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
        lng: Query<Option<f64>>,
        /// Search radius in metres, more than 0 and at most 50000.
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
        radius_m: Query<Option<f64>>,
        /// Only profiles whose cell lies inside this H3 cell.
        #[oai(validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
        cell: Query<Option<String>>,
        /// Only profiles in this CBS gemeente or wijk.
        #[oai(validator(max_length = 8, pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        area: Query<Option<String>>,
        /// Skills (any of).
        #[oai(default)]
        category: Query<Vec<ActivityCategory>>,
        /// ZRM life domains (any of).
        #[oai(default)]
        zrm: Query<Vec<ZrmDomain>>,
        /// Statuses (any of).
        #[oai(default)]
        status: Query<Vec<VolunteerStatus>>,
        /// Only profiles with (true) or without (false) a VOG.
        has_vog: Query<Option<bool>>,
        /// `newest` (default) or `distance`.
        sort: Query<Option<SortParam>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<VolunteerListResponse, ApiError> {
        let filter = ListParams {
            lat: lat.0,
            lng: lng.0,
            radius_m: radius_m.0,
            cell: cell.0,
            area: area.0,
            category: category.0,
            zrm: zrm.0,
            sort: sort.0,
            limit: limit.0,
            cursor: cursor.0,
            ..Default::default()
        }
        .parse()?;
        let page = service::list(&self.state, &caller.0, filter, VolunteerOnly { statuses: status.0, has_vog: has_vog.0 }).await?;
        let items: Vec<Volunteer> = page.items.into_iter().map(|(m, d)| Volunteer::of(m, d)).collect();
        let next_cursor = page.next;
        Ok(VolunteerListResponse::of(items, next_cursor, wants_geojson(req), |v| (v.id.to_string(), None, CellId::parse(&v.cell).ok())))
    }

    /// Get a volunteer profile
    ///
    /// To the person themself, to professionals of their gemeente, and to grantees of a
    /// consent with scope `volunteer` (reads by others are audited). A profile holds no
    /// contact details; those stay with the person.
    #[oai(path = "/:id", method = "get", operation_id = "get_volunteer")]
    async fn get(&self, caller: Caller, id: Path<Uuid>) -> Result<VolunteerResponse, ApiError> {
        Ok(VolunteerResponse::Ok(Json(Volunteer::of(service::get(&self.state, &caller.0, id.0).await?, None))))
    }

    /// Update a volunteer profile
    ///
    /// A JSON Merge Patch; `person_id` cannot change.
    #[oai(path = "/:id", method = "patch", operation_id = "update_volunteer")]
    async fn update(&self, caller: SignedIn, id: Path<Uuid>, patch: MergePatch<VolunteerPatch>) -> Result<VolunteerResponse, ApiError> {
        let m = service::update(&self.state, &caller.0, id.0, |current| -> Result<_, ApiError> {
            let input = patch.apply(&VolunteerInput::of(current))?;
            Ok((input.person_id, input.parse()?))
        })
        .await?;
        Ok(VolunteerResponse::Ok(Json(Volunteer::of(m, None))))
    }

    /// Delete a volunteer profile
    ///
    /// The person stays.
    #[oai(path = "/:id", method = "delete", operation_id = "delete_volunteer")]
    async fn delete(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        service::delete(&self.state, &caller.0, id.0).await?;
        Ok(Deleted::NoContent)
    }
}
