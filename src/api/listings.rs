//! `/v1/listings`: residents' and initiatives' offers and requests.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, ResponseContent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ApiTags;
use super::body::{JsonBody, MergePatch};
use super::caller::{Caller, SignedIn};
use super::common::*;
use super::initiatives::Deleted;
use crate::auth::Principal;
use crate::auth::policy::{self, ListingView};
use crate::domain::items::{ListingFields, Owner};
use crate::domain::schedule::ranges_from_json;
use crate::domain::taxonomy::split_codes;
use crate::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, ZrmDomain};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::audit::{Action, Entry};
use crate::store::entities::listing::Model;
use crate::store::listings as store;

/// How long a listing stays open when no `valid_until` is given.
pub const DEFAULT_VALIDITY_DAYS: i64 = 30;
/// The furthest ahead `valid_until` may be.
pub const MAX_VALIDITY_DAYS: i64 = 366;

/// Who owns a listing: exactly one of the two.
#[derive(Debug, Clone, Object, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    #[oai(validator(max_length = 200))]
    pub title: String,
    /// What is offered or asked, in the owner's words.
    #[oai(validator(max_length = 5000))]
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
    #[oai(default, validator(max_items = 20))]
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
            categories: dedup_codes("categories", &self.categories, 1)?,
            zrm_domains: dedup_codes("zrm_domains", &self.zrm_domains, 0)?,
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

    fn of(m: &Model) -> Self {
        Self {
            kind: ListingKind::from_code(&m.kind).unwrap_or(ListingKind::Offer),
            title: m.title.clone(),
            description: m.description.clone(),
            categories: split_codes(&m.categories, ActivityCategory::from_code),
            zrm_domains: split_codes(&m.zrm_domains, ZrmDomain::from_code),
            owner: OwnerIo { person_id: m.owner_person_id, initiative_id: m.owner_initiative_id },
            availability: ranges_out(&ranges_from_json(&m.availability)),
            languages: languages_out(&m.languages),
            valid_until: Some(m.valid_until),
            status: match m.status.as_str() {
                "matched" => SettableStatus::Matched,
                "closed" => SettableStatus::Closed,
                _ => SettableStatus::Open,
            },
        }
    }
}

/// A JSON Merge Patch of a listing. To reopen an expired listing, send a new `valid_until`.
#[derive(Debug, Clone, Object)]
pub struct ListingPatch {
    /// See ListingInput.
    pub title: Option<String>,
    /// See ListingInput.
    pub description: Option<String>,
    /// See ListingInput.
    pub categories: Option<Vec<ActivityCategory>>,
    /// See ListingInput.
    pub zrm_domains: Option<Vec<ZrmDomain>>,
    /// See ListingInput.
    pub availability: Option<Vec<TimeRangeIo>>,
    /// See ListingInput.
    pub languages: Option<Vec<String>>,
    /// See ListingInput.
    pub valid_until: Option<DateTime<Utc>>,
    /// See ListingInput.
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

/// The facts the policy decides a listing's view on.
impl Listing {
    /// The listing as `view` shows it; `None` when hidden. `centre` is the query point, so a
    /// summary's distance is measured here to its coarse cell whatever the store computed.
    fn of(m: Model, distance_m: Option<f64>, now: DateTime<Utc>, view: ListingView, centre: Option<Coordinates>) -> Option<Self> {
        let status = store::effective_status(&m, now);
        let i = ListingInput::of(&m);
        let (visibility, text, owner, cell, wijk, distance_m) = match view {
            ListingView::Hidden => return None,
            ListingView::Full => (Visibility::Full, true, Some(i.owner), m.cell, Some(m.wijk_code), distance_m),
            ListingView::Public => {
                let owner = i.owner.initiative_id.is_some().then_some(i.owner);
                (Visibility::Public, true, owner, m.cell, Some(m.wijk_code), distance_m)
            }
            ListingView::Summary => {
                let res = h3o::Resolution::try_from(policy::PUBLIC_REQUEST_RESOLUTION).ok()?;
                let coarse = CellId::from_db(m.cell)?.index().parent(res)?;
                let d = centre.zip(distance_m).map(|(c, _)| c.distance_m(Coordinates::of_cell_centre(coarse)));
                (Visibility::Summary, false, None, u64::from(coarse) as i64, None, d)
            }
        };
        let location = if text && m.owner_initiative_id.is_some() { m.lat.zip(m.lng).map(|(lat, lng)| Point { lat, lng }) } else { None };
        Some(Self {
            id: m.id,
            visibility,
            kind: i.kind,
            title: text.then_some(i.title),
            description: text.then_some(i.description),
            categories: i.categories,
            zrm_domains: i.zrm_domains,
            owner,
            availability: text.then_some(i.availability),
            languages: text.then_some(i.languages),
            cell: cell_out(cell),
            location,
            gemeente_code: m.gemeente_code,
            wijk_code: wijk,
            valid_until: m.valid_until,
            status,
            distance_m: distance_out(distance_m),
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    /// Everything, as the owner sees it.
    pub fn full(m: Model, now: DateTime<Utc>) -> Self {
        Self::of(m, None, now, ListingView::Full, None).expect("a full view is never hidden")
    }
}

/// The audit entry for a full read of a person's listing by someone else, if it needs one.
fn read_entry<'a>(p: &'a Principal, m: &'a Model, endpoint: &'static str) -> Option<Entry<'a>> {
    let person = m.owner_person_id.filter(|person| policy::audited_read(p, *person))?;
    Some(Entry {
        actor: p,
        person_id: person,
        gemeente: Some(&m.gemeente_code),
        action: Action::Read,
        resource: "listing",
        resource_id: Some(m.id),
        endpoint,
    })
}

/// Audits a change to a person's listing.
async fn audit_change(state: &AppState, p: &Principal, m: &Model, action: Action, endpoint: &'static str) -> Result<(), ApiError> {
    if let Some(person) = m.owner_person_id {
        let entry = Entry {
            actor: p,
            person_id: person,
            gemeente: Some(&m.gemeente_code),
            action,
            resource: "listing",
            resource_id: Some(m.id),
            endpoint,
        };
        audit(&state.db, entry).await?;
    }
    Ok(())
}

/// A page of listings.
#[derive(Debug, Clone, Object)]
pub struct ListingPage {
    /// The listings.
    pub items: Vec<Listing>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// A list as JSON or GeoJSON.
#[derive(Debug, ResponseContent)]
pub enum ListingList {
    /// `application/json`
    Json(Json<ListingPage>),
    /// `application/geo+json`: points for initiatives' listings, cell hexagons for persons'.
    #[oai(content_type = "application/geo+json")]
    GeoJson(Json<FeatureCollection>),
}

/// One listing.
#[derive(Debug, ApiResponse)]
pub enum ListingResponse {
    /// The listing.
    #[oai(status = 200)]
    Ok(Json<Listing>),
    /// Created.
    #[oai(status = 201)]
    Created(Json<Listing>),
}

/// A list of listings.
#[derive(Debug, ApiResponse)]
pub enum ListingListResponse {
    /// A page.
    #[oai(status = 200)]
    Ok(ListingList),
}

/// The listings resource.
pub struct ListingsApi {
    /// Shared state.
    pub state: Arc<AppState>,
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
        let p = caller.0;
        let now = now();
        let fields = body.0.parse(now, None)?;
        policy::write_listing(&p, fields.owner)?;
        let m = store::create(&self.state.db, &fields).await?;
        audit_change(&self.state, &p, &m, Action::Create, "POST /v1/listings").await?;
        Ok(ListingResponse::Created(Json(Listing::full(m, now))))
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
        radius_m: Query<Option<f64>>,
        /// Only listings inside this H3 cell (a person's listing only when its cell is at least
        /// as fine as the one asked for).
        #[oai(validator(max_length = 16))]
        cell: Query<Option<String>>,
        /// Only listings in this CBS gemeente or wijk.
        #[oai(validator(max_length = 8))]
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
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<ListingListResponse, ApiError> {
        let p = caller.0;
        let now = now();
        let mut query = ListParams {
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
        use sea_orm::sea_query::{Alias, Expr, ExprTrait};
        if !kind.0.is_empty() {
            query.condition = query.condition.add(col_in("kind", kind.0.iter().map(|k| k.code())));
        }
        if !status.0.is_empty() {
            query.condition = query.condition.add(store::status_condition(&status.0, now));
        }
        if let Some(owner) = owner_person_id.0 {
            query.condition = query.condition.add(Expr::col(Alias::new("owner_person_id")).eq(owner));
            // Who owns what is not public: the filter only finds listings whose owner the caller
            // may see (their own, or a professional's gemeenten).
            if !p.is_person(owner) {
                query.condition = query.condition.add(if p.role == crate::auth::Role::Professional {
                    in_gemeenten(&p.gemeenten)
                } else {
                    sea_orm::Condition::all().add(Expr::cust("1 = 0"))
                });
            }
        }
        if let Some(i) = owner_initiative_id.0 {
            query.condition = query.condition.add(Expr::col(Alias::new("owner_initiative_id")).eq(i));
        }
        let (visible, coarse) = store::reader_conditions(&p, now);
        query.condition = query.condition.add(visible);
        query.coarse = Some(coarse);
        let centre = query.near.map(|n| n.centre);
        let (rows, next) = store::list(&self.state.db, &query).await?;
        let views: Vec<ListingView> = rows.iter().map(|(m, _)| policy::listing_view(&p, &store::facts(m, now))).collect();
        let reads: Vec<Entry> = rows
            .iter()
            .zip(&views)
            .filter(|(_, v)| **v == ListingView::Full)
            .filter_map(|((m, _), _)| read_entry(&p, m, "GET /v1/listings"))
            .collect();
        audit_all(&self.state.db, &reads).await?;
        let items: Vec<Listing> = rows.into_iter().zip(views).filter_map(|((m, d), view)| Listing::of(m, d, now, view, centre)).collect();
        let next_cursor = next.map(|c| c.encode());
        if wants_geojson(req) {
            let features = items
                .iter()
                .map(|l| {
                    let point = l.location.and_then(|p| Coordinates::parse(p.lat, p.lng).ok());
                    feature(l.id.to_string(), l.to_json().unwrap_or_default(), point, CellId::parse(&l.cell).ok())
                })
                .collect();
            return Ok(ListingListResponse::Ok(ListingList::GeoJson(Json(FeatureCollection::new(features, next_cursor)))));
        }
        Ok(ListingListResponse::Ok(ListingList::Json(Json(ListingPage { items, next_cursor }))))
    }

    /// Get a listing
    ///
    /// As much as the caller may see (see the list); a listing the caller may not see at all
    /// answers 404, as if it did not exist.
    #[oai(path = "/:id", method = "get", operation_id = "get_listing")]
    async fn get(&self, caller: Caller, id: Path<Uuid>) -> Result<ListingResponse, ApiError> {
        let p = caller.0;
        let now = now();
        let m = store::get(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("listing"))?;
        let view = policy::listing_view(&p, &store::facts(&m, now));
        if view == ListingView::Full
            && let Some(e) = read_entry(&p, &m, "GET /v1/listings/{id}")
        {
            audit(&self.state.db, e).await?;
        }
        Listing::of(m, None, now, view, None).map(|l| ListingResponse::Ok(Json(l))).ok_or_else(|| ApiError::not_found("listing"))
    }

    /// Update a listing
    ///
    /// A JSON Merge Patch; `kind` and `owner` cannot change.
    #[oai(path = "/:id", method = "patch", operation_id = "update_listing")]
    async fn update(&self, caller: SignedIn, id: Path<Uuid>, patch: MergePatch<ListingPatch>) -> Result<ListingResponse, ApiError> {
        let p = caller.0;
        let now = now();
        let current = store::get(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("listing"))?;
        policy::write_listing(&p, store::facts(&current, now).owner)?;
        let before = ListingInput::of(&current);
        let input = patch.apply(&before)?;
        if input.kind != before.kind {
            return Err(ApiError::invalid("kind", "an offer cannot become a request or the other way round"));
        }
        if input.owner.person_id != before.owner.person_id || input.owner.initiative_id != before.owner.initiative_id {
            return Err(ApiError::invalid("owner", "the owner of a listing cannot change"));
        }
        if input.valid_until != before.valid_until && input.valid_until.is_some_and(|v| v <= now) {
            return Err(ApiError::invalid("valid_until", "must be in the future"));
        }
        let fields = input.parse(now, Some(current.created_at))?;
        let m = store::update(&self.state.db, id.0, &fields).await.map_err(|e| not_found_as(e, "listing"))?;
        audit_change(&self.state, &p, &m, Action::Update, "PATCH /v1/listings/{id}").await?;
        Ok(ListingResponse::Ok(Json(Listing::full(m, now))))
    }

    /// Delete a listing
    #[oai(path = "/:id", method = "delete", operation_id = "delete_listing")]
    async fn delete(&self, caller: SignedIn, id: Path<Uuid>) -> Result<Deleted, ApiError> {
        let p = caller.0;
        let current = store::get(&self.state.db, id.0).await?.ok_or_else(|| ApiError::not_found("listing"))?;
        policy::write_listing(&p, store::facts(&current, now()).owner)?;
        store::delete(&self.state.db, id.0).await.map_err(|e| not_found_as(e, "listing"))?;
        audit_change(&self.state, &p, &current, Action::Delete, "DELETE /v1/listings/{id}").await?;
        Ok(Deleted::NoContent)
    }
}
