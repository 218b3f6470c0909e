//! `/v1/people`: residents. Everyone can both ask and offer; a home is only ever a cell.

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
    ContactIo, ListParams, Point, SortParam, cell_out, distance_out, field, languages_out, parse_languages, wants_geojson,
};
use super::initiatives::Deleted;
use crate::domain::items::PersonFields;
use crate::domain::{BoundedText, CellId, LocationPrecision};
use crate::error::ApiError;
use crate::service::State;
use crate::service::people::{self as service, Person as Model};

/// A person as a client writes it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// The name others see, e.g. "Fatima" or "Jan V.".
    #[oai(validator(max_length = 100, pattern = "\\S"))]
    pub display_name: String,
    /// Languages spoken, ISO 639 codes.
    #[oai(default, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Contact details; never public, never in lists.
    #[oai(default)]
    #[serde(default)]
    pub contact: ContactIo,
    /// The home as an H3 cell (hex). A finer cell is coarsened to `precision`.
    /// Give this or `home_point`.
    #[oai(validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_cell: Option<String>,
    /// The home as a point, turned into its cell at `precision` on arrival and never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_point: Option<Point>,
    /// The H3 resolution the person chose for their home: 7 (about 5 km²), 8 (0.74 km², the
    /// default) or 9 (0.1 km²). With a `home_cell` of resolution 7 to 9 and no precision, the
    /// cell's own resolution.
    #[oai(validator(minimum(value = "7"), maximum(value = "9")))]
    #[serde(default)]
    pub precision: Option<i64>,
}

impl PersonInput {
    /// Parses into domain fields, naming the field at fault.
    pub fn parse(&self) -> Result<PersonFields, ApiError> {
        let precision = self.precision.map(|p| field("precision", LocationPrecision::parse(p))).transpose()?;
        let (home_cell, precision) = match (&self.home_cell, &self.home_point) {
            (Some(_), Some(_)) => return Err(ApiError::invalid("home_point", "give home_cell or home_point, not both")),
            (None, None) => return Err(ApiError::invalid("home_cell", "a home_cell or home_point is required")),
            (None, Some(p)) => {
                let precision = precision.unwrap_or(LocationPrecision::DEFAULT);
                (CellId::new(p.parse("home_point")?.cell(precision.resolution())), precision)
            }
            (Some(c), None) => {
                let cell = field("home_cell", CellId::parse(c))?;
                let own = LocationPrecision::parse(i64::from(cell.resolution())).ok();
                let precision = match (precision, own) {
                    (Some(p), _) => p,
                    (None, Some(own)) => own,
                    (None, None) => LocationPrecision::DEFAULT,
                };
                if cell.resolution() < precision.value() {
                    return Err(ApiError::invalid("home_cell", format!("the cell is coarser than resolution {}", precision.value())));
                }
                let coarse = cell.index().parent(precision.resolution()).expect("coarser or equal");
                (CellId::new(coarse), precision)
            }
        };
        Ok(PersonFields {
            display_name: field("display_name", BoundedText::title(&self.display_name, 100))?,
            languages: parse_languages("languages", &self.languages)?,
            contact: self.contact.parse("contact")?,
            home_cell,
            precision,
        })
    }

    fn of(m: &Model) -> Self {
        Self {
            display_name: m.display_name.clone(),
            languages: languages_out(&m.languages),
            contact: ContactIo { email: m.contact_email.clone(), phone: m.contact_phone.clone(), website: None },
            home_cell: Some(cell_out(m.home_cell)),
            home_point: None,
            precision: Some(i64::from(m.location_precision)),
        }
    }
}

/// A JSON Merge Patch of a person. Sending `home_point` replaces the cell.
#[derive(Debug, Clone, Object)]
pub struct PersonPatch {
    /// See PersonInput.
    #[oai(validator(max_length = 100, pattern = "\\S"))]
    pub display_name: Option<String>,
    /// See PersonInput; `null` clears.
    #[oai(nullable, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    pub languages: Option<Vec<String>>,
    /// See PersonInput; `null` clears.
    #[oai(nullable)]
    pub contact: Option<ContactIo>,
    /// See PersonInput; `null` drops it, for a `home_point` instead.
    #[oai(nullable, validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
    pub home_cell: Option<String>,
    /// See PersonInput.
    #[oai(nullable)]
    pub home_point: Option<Point>,
    /// See PersonInput; `null` takes the default.
    #[oai(nullable, validator(minimum(value = "7"), maximum(value = "9")))]
    pub precision: Option<i64>,
}

/// A person as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Person {
    /// Identity.
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Languages.
    pub languages: Vec<String>,
    /// The home cell (lower-case hex) at the chosen precision; never a point.
    pub home_cell: String,
    /// The chosen precision (H3 resolution 7, 8 or 9).
    pub precision: i64,
    /// CBS gemeente of the cell's centre.
    pub gemeente_code: String,
    /// CBS wijk of the cell's centre.
    pub wijk_code: String,
    /// Contact details: only when reading one person, never in lists.
    #[oai(skip_serializing_if_is_none)]
    pub contact: Option<ContactIo>,
    /// Metres from the query point to the centre of the home cell.
    #[oai(skip_serializing_if_is_none)]
    pub distance_m: Option<f64>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Person {
    pub fn of(m: Model, distance_m: Option<f64>, with_contact: bool) -> Self {
        let contact = with_contact.then(|| ContactIo { email: m.contact_email.clone(), phone: m.contact_phone.clone(), website: None });
        Self {
            id: m.id,
            display_name: m.display_name,
            languages: languages_out(&m.languages),
            home_cell: cell_out(m.home_cell),
            precision: i64::from(m.location_precision),
            gemeente_code: m.gemeente_code,
            wijk_code: m.wijk_code,
            contact,
            distance_m: distance_out(distance_m),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

super::located::located_answers! {
    item: Person, page: PersonPage, list: PersonList, one: PersonResponse, many: PersonListResponse,
    page_doc: "A page of people.", items_doc: "The people.", one_doc: "One person.", item_doc: "The person.",
    many_doc: "A list of people.", geojson_doc: "`application/geo+json`: each person's cell as a hexagon, never a point.",
}

/// The people resource.
pub struct PeopleApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/people", tag = "ApiTags::People")]
impl PeopleApi {
    /// Create your person profile
    ///
    /// For a signed-in resident (bearer token): binds the profile to the token's subject, one
    /// per subject. The home is stored only as a cell at the chosen precision (default
    /// resolution 8).
    #[oai(path = "/", method = "post", operation_id = "create_person")]
    async fn create(&self, caller: SignedIn, body: JsonBody<PersonInput>) -> Result<PersonResponse, ApiError> {
        let m = service::create(&self.state, &caller.0, body.0.parse()?).await?;
        Ok(PersonResponse::Created(Json(Person::of(m, None, true))))
    }

    /// List people
    ///
    /// For professionals, within the gemeenten they work in; every person listed is written to
    /// the audit log. Distances are measured to the centre of each home cell. Contact details
    /// are never listed.
    #[oai(path = "/", method = "get", operation_id = "list_people")]
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
        /// Only people whose home cell lies inside this H3 cell.
        #[oai(validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
        cell: Query<Option<String>>,
        /// Only people in this CBS gemeente or wijk.
        #[oai(validator(max_length = 8, pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        area: Query<Option<String>>,
        /// `newest` (default) or `distance`.
        sort: Query<Option<SortParam>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<PersonListResponse, ApiError> {
        let filter = ListParams {
            lat: lat.0,
            lng: lng.0,
            radius_m: radius_m.0,
            cell: cell.0,
            area: area.0,
            sort: sort.0,
            limit: limit.0,
            cursor: cursor.0,
            ..Default::default()
        }
        .parse()?;
        let page = service::list(&self.state, &caller.0, filter).await?;
        let items: Vec<Person> = page.items.into_iter().map(|(m, d)| Person::of(m, d, false)).collect();
        let next_cursor = page.next;
        Ok(PersonListResponse::of(items, next_cursor, wants_geojson(req), |p| (p.id.to_string(), None, CellId::parse(&p.home_cell).ok())))
    }

    /// Get a person
    ///
    /// To the person themself, with contact details; to a professional of the person's
    /// gemeente, with contact details only under a consent for the wijkteam that covers them;
    /// to a person or an initiative's organisers the person gave a consent, what it covers.
    /// Reads by anyone but the person are audited. Anyone else: 403.
    #[oai(path = "/:id", method = "get", operation_id = "get_person")]
    async fn get(&self, caller: Caller, id: Path<Uuid>) -> Result<PersonResponse, ApiError> {
        let shown = service::get(&self.state, &caller.0, id.0).await?;
        Ok(PersonResponse::Ok(Json(Person::of(shown.person, None, shown.contact))))
    }

    /// Update your person profile
    ///
    /// A JSON Merge Patch, by the person themself. A new home moves their volunteer profile and
    /// listings too.
    #[oai(path = "/:id", method = "patch", operation_id = "update_person")]
    async fn update(&self, caller: SignedIn, id: Path<Uuid>, patch: MergePatch<PersonPatch>) -> Result<PersonResponse, ApiError> {
        let m = service::update(&self.state, &caller.0, id.0, |current| {
            let mut base = PersonInput::of(current);
            // A new point replaces the stored cell rather than clashing with it.
            if patch.0.contains_key("home_point") {
                base.home_cell = None;
            }
            patch.apply(&base)?.parse()
        })
        .await?;
        Ok(PersonResponse::Ok(Json(Person::of(m, None, true))))
    }

    /// Erase your person profile
    ///
    /// The same as `DELETE /v1/me`: erases the person, their listings, volunteer profile and
    /// consents, for good.
    #[oai(path = "/:id", method = "delete", operation_id = "delete_person")]
    async fn delete(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        service::erase(&self.state, &caller.0, id.0, "DELETE /v1/people/{id}").await?;
        Ok(Deleted::NoContent)
    }
}
