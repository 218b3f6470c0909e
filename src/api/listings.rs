//! `/v1/listings`: residents' and initiatives' offers and requests.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;

use poem_openapi::{Enum, Object, OpenApi};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::{JsonBody, MergePatch};
use super::caller::{Caller, SignedIn};
use super::common::{
    ListParams, Point, SortParam, TimeRangeIo, dedup_codes, distance_out, field, now, parse_languages, parse_ranges, ranges_out,
    wants_geojson,
};
use super::initiatives::Deleted;
use crate::auth::policy::ListingView;
use crate::domain::items::{ListingFields, Owner};
use crate::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, ZrmDomain};
use crate::error::ApiError;
use crate::service::State;
use crate::service::listings::{self as service, ShownListing};

/// How long a listing stays open when no `valid_until` is given.
pub const DEFAULT_VALIDITY_DAYS: i64 = 30;
/// The furthest ahead `valid_until` may be.
pub const MAX_VALIDITY_DAYS: i64 = 366;

/// Who owns a listing: exactly one of the two.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[oai(skip_serializing_if_is_none)]
pub struct OwnerIo {
    /// A person: the listing sits in their home cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Uuid>,
    /// An initiative: the listing sits at its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiative_id: Option<Uuid>,
}

/// The statuses a client may set; `expired` follows from `valid_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SettableStatus {
    /// Open for matches.
    Open,
    /// Matched.
    Matched,
    /// Closed.
    Closed,
}

fn default_status() -> SettableStatus {
    SettableStatus::Open
}

/// A listing as a client writes it.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    /// offer or request.
    pub kind: ListingKind,
    /// Short title, e.g. "Boodschappen doen op dinsdag".
    #[oai(validator(max_length = 200, pattern = "\\S"))]
    pub title: String,
    /// What is offered or asked, in the owner's words.
    #[oai(validator(max_length = 5000, pattern = "\\S"))]
    pub description: String,
    /// Activity categories (at least one).
    #[oai(validator(min_items = 1, max_items = 10))]
    pub categories: Vec<ActivityCategory>,
    /// ZRM life domains.
    #[oai(default, validator(max_items = 13))]
    #[serde(default)]
    pub zrm_domains: Vec<ZrmDomain>,
    /// The owner; cannot change after creation.
    pub owner: OwnerIo,
    /// Weekly times: for a request, when the requester is free (a candidate must fit one of
    /// them); for an offer, when the helper can. Empty (the default): any time.
    #[oai(default, validator(max_items = 50))]
    #[serde(default)]
    pub availability: Vec<TimeRangeIo>,
    /// Language codes (ISO 639-1, e.g. `nl`, `ar`): for a request, the languages the requester
    /// can be helped in (a candidate must speak one of them); for an offer, the languages the
    /// helper speaks. Empty (the default): no requirement.
    #[oai(default, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    #[serde(default)]
    pub languages: Vec<String>,
    /// Open until; default 30 days from now, at most 366 days ahead, must be in the future.
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// open (default), matched or closed.
    #[oai(default = "default_status")]
    #[serde(default = "default_status")]
    pub status: SettableStatus,
}

impl ListingInput {
    /// Parses into domain fields, naming the field at fault.
    pub fn parse(&self, now: DateTime<Utc>, created: Option<DateTime<Utc>>) -> Result<ListingFields, ApiError> {
        let owner = match (self.owner.person_id, self.owner.initiative_id) {
            (Some(p), None) => Owner::Person(p),
            (None, Some(i)) => Owner::Initiative(i),
            _ => return Err(ApiError::invalid("owner", "give exactly one of person_id and initiative_id")),
        };
        let valid_until = match self.valid_until {
            None => now + Duration::days(DEFAULT_VALIDITY_DAYS),
            Some(v) => {
                let limit = created.unwrap_or(now).max(now) + Duration::days(MAX_VALIDITY_DAYS);
                if v > limit {
                    return Err(ApiError::invalid("valid_until", format!("may be at most {MAX_VALIDITY_DAYS} days ahead")));
                }
                v
            }
        };
        if self.valid_until.is_some() && valid_until <= now && self.status == SettableStatus::Open && created.is_none() {
            return Err(ApiError::invalid("valid_until", "must be in the future"));
        }
        Ok(ListingFields {
            kind: self.kind,
            title: field("title", BoundedText::title(&self.title, 200))?,
            description: field("description", BoundedText::parse(&self.description, 5000))?,
            categories: dedup_codes("categories", &self.categories, 1, 10)?,
            zrm_domains: dedup_codes("zrm_domains", &self.zrm_domains, 0, 13)?,
            owner,
            availability: parse_ranges("availability", &self.availability)?,
            languages: parse_languages("languages", &self.languages)?,
            valid_until,
            status: match self.status {
                SettableStatus::Open => ListingStatus::Open,
                SettableStatus::Matched => ListingStatus::Matched,
                SettableStatus::Closed => ListingStatus::Closed,
            },
        })
    }

    /// The wire form of stored contents (what a merge patch applies to).
    fn of(f: &ListingFields) -> Self {
        let (person_id, initiative_id) = match f.owner {
            Owner::Person(p) => (Some(p), None),
            Owner::Initiative(i) => (None, Some(i)),
        };
        Self {
            kind: f.kind,
            title: f.title.as_str().to_owned(),
            description: f.description.as_str().to_owned(),
            categories: f.categories.clone(),
            zrm_domains: f.zrm_domains.clone(),
            owner: OwnerIo { person_id, initiative_id },
            availability: ranges_out(&f.availability),
            languages: f.languages.iter().map(|l| l.as_str().to_owned()).collect(),
            valid_until: Some(f.valid_until),
            status: match f.status {
                ListingStatus::Matched => SettableStatus::Matched,
                ListingStatus::Closed => SettableStatus::Closed,
                _ => SettableStatus::Open,
            },
        }
    }
}

/// A JSON Merge Patch of a listing. To reopen an expired listing, send a new `valid_until`.
#[derive(Debug, Clone, Object)]
pub struct ListingPatch {
    /// See ListingInput.
    #[oai(validator(max_length = 200, pattern = "\\S"))]
    pub title: Option<String>,
    /// See ListingInput.
    #[oai(validator(max_length = 5000, pattern = "\\S"))]
    pub description: Option<String>,
    /// See ListingInput.
    #[oai(validator(min_items = 1, max_items = 10))]
    pub categories: Option<Vec<ActivityCategory>>,
    /// See ListingInput; `null` clears.
    #[oai(nullable, validator(max_items = 13))]
    pub zrm_domains: Option<Vec<ZrmDomain>>,
    /// See ListingInput; `null` clears.
    #[oai(nullable, validator(max_items = 50))]
    pub availability: Option<Vec<TimeRangeIo>>,
    /// See ListingInput; `null` clears.
    #[oai(nullable, validator(max_items = 20, pattern = "^[A-Za-z]{2,3}$"))]
    pub languages: Option<Vec<String>>,
    /// See ListingInput; `null` sets the default, 30 days from now.
    #[oai(nullable)]
    pub valid_until: Option<DateTime<Utc>>,
    /// See ListingInput; `null` reopens.
    #[oai(nullable)]
    pub status: Option<SettableStatus>,
}

/// How much of a listing the caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum Visibility {
    /// Everything.
    Full,
    /// Everything but the identity of a resident owner.
    Public,
    /// A resident's request seen by the public: categories, ZRM domains, a resolution-7 cell
    /// and the gemeente; no text, no owner, no wijk.
    Summary,
}

/// A listing as the service returns it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Listing {
    /// Identity.
    pub id: Uuid,
    /// How much of the listing this is.
    pub visibility: Visibility,
    /// offer or request.
    pub kind: ListingKind,
    /// Title (not in a summary).
    #[oai(skip_serializing_if_is_none)]
    pub title: Option<String>,
    /// Description (not in a summary).
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    /// Activity categories.
    pub categories: Vec<ActivityCategory>,
    /// ZRM life domains.
    pub zrm_domains: Vec<ZrmDomain>,
    /// The owner: always for an initiative; for a person only to themself and to
    /// professionals of their gemeente.
    #[oai(skip_serializing_if_is_none)]
    pub owner: Option<OwnerIo>,
    /// Weekly times (see ListingInput; not in a summary).
    #[oai(skip_serializing_if_is_none)]
    pub availability: Option<Vec<TimeRangeIo>>,
    /// Language codes (see ListingInput; not in a summary).
    #[oai(skip_serializing_if_is_none)]
    pub languages: Option<Vec<String>>,
    /// The listing's cell (lower-case hex): a person's home cell at their precision (in a
    /// summary: its resolution-7 parent), or the resolution-9 cell of an initiative's place.
    pub cell: String,
    /// The exact place, only for an initiative's listing (a public place).
    #[oai(skip_serializing_if_is_none)]
    pub location: Option<Point>,
    /// CBS gemeente.
    pub gemeente_code: String,
    /// CBS wijk (not in a summary).
    #[oai(skip_serializing_if_is_none)]
    pub wijk_code: Option<String>,
    /// Open until.
    pub valid_until: DateTime<Utc>,
    /// open, matched, closed, or expired (an open listing past `valid_until`).
    pub status: ListingStatus,
    /// Metres from the query point: to the exact place for an initiative's listing, to the
    /// centre of the cell for a person's (in a summary: of the resolution-7 cell).
    #[oai(skip_serializing_if_is_none)]
    pub distance_m: Option<f64>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Listing {
    /// The wire form of a listing as the service shows it to this caller.
    pub fn of(l: ShownListing) -> Self {
        let visibility = match l.view {
            ListingView::Full | ListingView::Hidden => Visibility::Full,
            ListingView::Public => Visibility::Public,
            ListingView::Summary => Visibility::Summary,
        };
        let shown = l.text.is_some();
        let i = ListingInput::of(&l.fields);
        let (title, description) = l.text.unzip();
        Self {
            id: l.id,
            visibility,
            kind: l.kind,
            title,
            description,
            categories: i.categories,
            zrm_domains: i.zrm_domains,
            owner: l.owner.map(|o| match o {
                Owner::Person(p) => OwnerIo { person_id: Some(p), initiative_id: None },
                Owner::Initiative(i) => OwnerIo { person_id: None, initiative_id: Some(i) },
            }),
            availability: shown.then_some(i.availability),
            languages: shown.then_some(i.languages),
            cell: l.cell.to_string(),
            location: l.location.map(Point::of),
            gemeente_code: l.gemeente_code,
            wijk_code: l.wijk_code,
            valid_until: l.fields.valid_until,
            status: l.status,
            distance_m: distance_out(l.distance_m),
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

super::located::located_answers! {
    item: Listing, page: ListingPage, list: ListingList, one: ListingResponse, many: ListingListResponse,
    page_doc: "A page of listings.", items_doc: "The listings.", one_doc: "One listing.", item_doc: "The listing.",
    many_doc: "A list of listings.", geojson_doc: "`application/geo+json`: points for initiatives' listings, cell hexagons for persons'.",
}

/// The listings resource.
pub struct ListingsApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(prefix_path = "/v1/listings", tag = "ApiTags::Listings")]
impl ListingsApi {
    /// Create a listing
    ///
    /// By the owner: a person for themself, an organiser (or the initiative's key) for an
    /// initiative. The listing takes its place from its owner: a person's home cell or an
    /// initiative's place.
    #[oai(path = "/", method = "post", operation_id = "create_listing")]
    async fn create(&self, caller: SignedIn, body: JsonBody<ListingInput>) -> Result<ListingResponse, ApiError> {
        let fields = body.0.parse(now(), None)?;
        let l = service::create(&self.state, &caller.0, fields).await?;
        Ok(ListingResponse::Created(Json(Listing::of(l))))
    }

    /// List listings
    ///
    /// `status=open` excludes listings past `valid_until`; `status=expired` finds them.
    ///
    /// The public sees open listings only, and residents' requests as summaries: matched by
    /// radius and cell through their resolution-7 cell, never by text (`q`) or wijk, and
    /// without text, owner or wijk. A caller sees their own listings (and professionals those
    /// of their gemeenten) in full, whatever their status.
    #[oai(path = "/", method = "get", operation_id = "list_listings")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &Request,
        caller: Caller,
        /// Latitude of the search centre (-90 to 90); needs `lng` and `radius_m`.
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
        lat: Query<Option<f64>>,
        /// Longitude of the search centre (-180 to 180).
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
        lng: Query<Option<f64>>,
        /// Search radius in metres, more than 0 and at most 50000.
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
        radius_m: Query<Option<f64>>,
        /// Only listings inside this H3 cell (a person's listing only when its cell is at least
        /// as fine as the one asked for).
        #[oai(validator(max_length = 16, pattern = "^0?8[0-9A-Fa-f]{14}$"))]
        cell: Query<Option<String>>,
        /// Only listings in this CBS gemeente or wijk.
        #[oai(validator(max_length = 8, pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        area: Query<Option<String>>,
        /// Activity categories (any of).
        #[oai(default)]
        category: Query<Vec<ActivityCategory>>,
        /// ZRM life domains (any of).
        #[oai(default)]
        zrm: Query<Vec<ZrmDomain>>,
        /// offer or request (any of).
        #[oai(default)]
        kind: Query<Vec<ListingKind>>,
        /// Statuses (any of).
        #[oai(default)]
        status: Query<Vec<ListingStatus>>,
        /// Only listings of this person.
        owner_person_id: Query<Option<Uuid>>,
        /// Only listings of this initiative.
        owner_initiative_id: Query<Option<Uuid>>,
        /// Full text over title and description (prefix matching; accents ignored on SQLite).
        #[oai(validator(max_length = 500))]
        q: Query<Option<String>>,
        /// `newest` (default) or `distance`.
        sort: Query<Option<SortParam>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<ListingListResponse, ApiError> {
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
        let only = service::ListingOnly {
            kinds: kind.0,
            statuses: status.0,
            owner_person: owner_person_id.0,
            owner_initiative: owner_initiative_id.0,
        };
        let page = service::list(&self.state, &caller.0, filter, only).await?.map(Listing::of);
        Ok(ListingListResponse::of(page.items, page.next, wants_geojson(req), |l| {
            (l.id.to_string(), l.location.and_then(|p| Coordinates::parse(p.lat, p.lng).ok()), CellId::parse(&l.cell).ok())
        }))
    }

    /// Get a listing
    ///
    /// As much as the caller may see (see the list); a listing the caller may not see at all
    /// answers 404, as if it did not exist.
    #[oai(path = "/:id", method = "get", operation_id = "get_listing")]
    async fn get(&self, caller: Caller, id: Path<Uuid>) -> Result<ListingResponse, ApiError> {
        Ok(ListingResponse::Ok(Json(Listing::of(service::get(&self.state, &caller.0, id.0).await?))))
    }

    /// Update a listing
    ///
    /// A JSON Merge Patch; `kind` and `owner` cannot change.
    #[oai(path = "/:id", method = "patch", operation_id = "update_listing")]
    async fn update(&self, caller: SignedIn, id: Path<Uuid>, patch: MergePatch<ListingPatch>) -> Result<ListingResponse, ApiError> {
        let now = now();
        let l = service::update(&self.state, &caller.0, id.0, |current, created| -> Result<ListingFields, ApiError> {
            let before = ListingInput::of(current);
            let input = patch.apply(&before)?;
            if input.valid_until != before.valid_until && input.valid_until.is_some_and(|v| v <= now) {
                return Err(ApiError::invalid("valid_until", "must be in the future"));
            }
            input.parse(now, Some(created))
        })
        .await?;
        Ok(ListingResponse::Ok(Json(Listing::of(l))))
    }

    /// Delete a listing
    ///
    /// By its owner: the person, or an organiser (or the key) of the initiative.
    #[oai(path = "/:id", method = "delete", operation_id = "delete_listing")]
    async fn delete(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        service::delete(&self.state, &caller.0, id.0).await?;
        Ok(Deleted::NoContent)
    }
}
