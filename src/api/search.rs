//! `/v1/search`: one search over initiatives, offers, requests and volunteer profiles, with
//! facet counts, for wijkteam professionals and residents' apps alike.

use std::sync::Arc;

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::caller::Caller;
use super::common::{ListParams, SortParam, distance_out, field};
use crate::domain::{ActivityCategory, InitiativeKind, ListingKind, ZrmDomain};
use crate::error::ApiError;
use crate::service::State;
use crate::service::search::{self as service, DocType, Facet, FacetValue, NextPage, SearchHit, SearchRequest, SearchSort};

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SearchType {
    /// An initiative (`/v1/initiatives/{id}`).
    Initiative,
    /// An offer (`/v1/listings/{id}`).
    Offer,
    /// A request (`/v1/listings/{id}`).
    Request,
    /// A volunteer profile (`/v1/volunteers/{id}`).
    Volunteer,
}

impl SearchType {
    fn of(t: DocType) -> Self {
        match t {
            DocType::Initiative => SearchType::Initiative,
            DocType::Offer => SearchType::Offer,
            DocType::Request => SearchType::Request,
            DocType::Volunteer => SearchType::Volunteer,
        }
    }

    fn doc_type(self) -> DocType {
        match self {
            SearchType::Initiative => DocType::Initiative,
            SearchType::Offer => DocType::Offer,
            SearchType::Request => DocType::Request,
            SearchType::Volunteer => DocType::Volunteer,
        }
    }
}

/// The order of search results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SearchSortParam {
    /// Best match first (the default).
    Relevance,
    /// Nearest first; needs `lat`, `lng` and `radius_m`.
    Distance,
}

/// One search result.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchHitOut {
    /// The item's id in its own resource.
    pub id: uuid::Uuid,
    /// What it is.
    #[oai(rename = "type")]
    pub doc_type: SearchType,
    /// Its title (a volunteer's: their skills); absent where the caller sees only a summary
    /// (a resident's request, to the public).
    pub title: Option<String>,
    /// HTML-escaped text around the matched words, each match in `<mark>`; absent for summaries.
    pub snippet: Option<String>,
    /// Metres from the query point (to an exact point, or to the centre of the cell shown).
    pub distance_m: Option<f64>,
    /// The H3 cell the caller may see the item in: resolution 7 for a summary.
    pub cell: String,
    /// The kind: offer, request, volunteer, or the initiative's kind.
    pub kind: String,
    /// Its CBS gemeente.
    pub gemeente_code: String,
}

/// One value of a facet.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FacetCount {
    /// The code.
    pub value: String,
    /// Dutch label (for a wijk: its CBS name).
    pub label_nl: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// How many matches have it; absent when fewer than 5 people would be counted.
    pub count: Option<u64>,
}

/// Counts of the asked facets over all matches, not only this page.
#[derive(Debug, Clone, Default, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchFacets {
    /// By activity category.
    pub category: Option<Vec<FacetCount>>,
    /// By ZRM life domain.
    pub zrm: Option<Vec<FacetCount>>,
    /// By kind.
    pub kind: Option<Vec<FacetCount>>,
    /// By CBS wijk (a summary, whose wijk is not public, is not counted).
    pub area: Option<Vec<FacetCount>>,
}

/// A page of search results.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchPage {
    /// The hits, in order.
    pub hits: Vec<SearchHitOut>,
    /// Facet counts, when asked for with `facets`.
    pub facets: SearchFacets,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
    /// The engine that answered: `meilisearch`, or `embedded` (also while Meilisearch is down).
    pub engine: String,
}

/// Search results.
#[derive(Debug, ApiResponse)]
pub enum SearchResponse {
    /// One page.
    #[oai(status = 200)]
    Ok(Json<SearchPage>),
}

/// The search resource.
pub struct SearchApi {
    /// Shared state.
    pub state: Arc<State>,
}

fn labels(facet: Facet, value: &str) -> (Option<String>, Option<String>) {
    let pair = |nl: &str, en: &str| (Some(nl.to_owned()), Some(en.to_owned()));
    match facet {
        Facet::Category => ActivityCategory::from_code(value).map_or((None, None), |c| pair(c.label_nl(), c.label_en())),
        Facet::Zrm => ZrmDomain::from_code(value).map_or((None, None), |z| pair(z.label_nl(), z.label_en())),
        Facet::Kind if value == "volunteer" => pair("Vrijwilliger", "Volunteer"),
        Facet::Kind => ListingKind::from_code(value)
            .map(|k| pair(k.label_nl(), k.label_en()))
            .or_else(|| InitiativeKind::from_code(value).map(|k| pair(k.label_nl(), k.label_en())))
            .unwrap_or((None, None)),
        Facet::Area => (None, None),
    }
}

fn counts(facet: Facet, values: Vec<FacetValue>) -> Vec<FacetCount> {
    values
        .into_iter()
        .map(|v| {
            let (label_nl, label_en) = labels(facet, &v.value);
            FacetCount { label_nl, label_en, count: v.count, value: v.value }
        })
        .collect()
}

fn hit_out(h: SearchHit) -> SearchHitOut {
    SearchHitOut {
        id: h.id,
        doc_type: SearchType::of(h.doc_type),
        title: h.title,
        snippet: h.snippet,
        distance_m: distance_out(h.distance_m),
        cell: h.cell.to_string(),
        kind: h.kind,
        gemeente_code: h.gemeente_code,
    }
}

/// Reads `facets`: names separated by commas, the parameter given once or repeated.
fn parse_facets(given: &[String]) -> Result<Vec<Facet>, ApiError> {
    let mut out = Vec::new();
    for name in given.iter().flat_map(|g| g.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
        let f = Facet::from_code(name)
            .ok_or_else(|| ApiError::invalid("facets", format!("unknown facet `{name}`; known: category, zrm, kind, area")))?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

#[OpenApi(prefix_path = "/v1/search", tag = "ApiTags::Search")]
impl SearchApi {
    /// Search the social map
    ///
    /// Initiatives, offers, requests and volunteer profiles in one list. `q` matches words by
    /// prefix, accents and case ignored (on Meilisearch typos too, and Dutch synonyms for common
    /// help words); an empty `q` browses everything the filters match, nearest first where a
    /// point is given, else newest first. With `q`, `relevance` on Meilisearch ranks by its
    /// ranking rules; the embedded engine puts the matches with every word in their title (an
    /// initiative's name, a listing's title, a volunteer's skills) first and the others after,
    /// each group nearest first where a point is given, else newest first; `distance` orders
    /// all matches nearest first. Meilisearch measures a resident's request from the centre of its
    /// resolution-7 cell for every caller. Only open listings, running
    /// initiatives and active volunteers are found.
    ///
    /// Nothing is found here that the caller could not read through its own endpoint, nor shown
    /// more fully: a resident's request is, to the public, a summary (no title or text, a
    /// resolution-7 cell) that `q` never matches; volunteer profiles are found only by
    /// professionals of their gemeente and by the volunteer; facet counts that would single out
    /// fewer than 5 people are left out. Reads of a person's data are audited.
    #[oai(path = "/", method = "get", operation_id = "search")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        caller: Caller,
        /// Words to find, at most 500 characters.
        #[oai(validator(max_length = 500))]
        q: Query<Option<String>>,
        /// Latitude of the search centre (-90 to 90); needs `lng` and `radius_m`.
        #[oai(validator(minimum(value = "-90"), maximum(value = "90")))]
        lat: Query<Option<f64>>,
        /// Longitude of the search centre (-180 to 180).
        #[oai(validator(minimum(value = "-180"), maximum(value = "180")))]
        lng: Query<Option<f64>>,
        /// Search radius in metres, more than 0 and at most 50000.
        #[oai(validator(minimum(value = "0", exclusive), maximum(value = "50000")))]
        radius_m: Query<Option<f64>>,
        /// Types to find (any of; all by default).
        #[oai(name = "type", default)]
        doc_type: Query<Vec<SearchType>>,
        /// Activity categories (any of).
        #[oai(default)]
        category: Query<Vec<ActivityCategory>>,
        /// ZRM life domains (any of).
        #[oai(default)]
        zrm: Query<Vec<ZrmDomain>>,
        /// Only in this CBS gemeente or wijk.
        #[oai(validator(max_length = 8, pattern = "^([Gg][Mm][0-9]{4}|[Ww][Kk][0-9]{4}[0-9A-Za-z]{2})$"))]
        area: Query<Option<String>>,
        /// Facets to count: `category`, `zrm`, `kind`, `area`, separated by commas.
        #[oai(default)]
        facets: Query<Vec<String>>,
        /// `relevance` (default) or `distance`.
        sort: Query<Option<SearchSortParam>>,
        /// Page size, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// The `next_cursor` of the previous page.
        #[oai(validator(max_length = 200))]
        cursor: Query<Option<String>>,
    ) -> Result<SearchResponse, ApiError> {
        let p = caller.0;
        let facets = parse_facets(&facets.0)?;
        let sort = match sort.0 {
            Some(SearchSortParam::Distance) => SearchSort::Distance,
            _ => SearchSort::Relevance,
        };
        // Relevance with a point pages nearest first, like a distance order.
        let by_distance = sort == SearchSort::Distance || (sort == SearchSort::Relevance && lat.0.is_some() && radius_m.0.is_some());
        // Meilisearch pages by offset, the embedded engine by keyset: each reads its own cursor.
        let (keyset_cursor, offset) = match (service::pages_by_offset(&self.state), cursor.0) {
            (true, Some(c)) => (None, Some(field("cursor", service::decode_offset(&c))?)),
            (_, c) => (c, None),
        };
        let list = ListParams {
            lat: lat.0,
            lng: lng.0,
            radius_m: radius_m.0,
            cell: None,
            area: area.0,
            category: category.0.clone(),
            zrm: zrm.0.clone(),
            q: q.0,
            sort: Some(if by_distance { SortParam::Distance } else { SortParam::Newest }),
            limit: limit.0,
            cursor: keyset_cursor,
        }
        .parse_ranked(sort == SearchSort::Relevance)?;
        let request = SearchRequest {
            text: list.text,
            near: list.near,
            types: doc_type.0.iter().map(|t| t.doc_type()).collect(),
            categories: category.0,
            zrm: zrm.0,
            area: list.area,
            facets,
            sort,
            limit: list.limit,
            after: list.after,
        };
        let found = service::search(&self.state, &p, &request, offset).await?;
        let (results, engine_name, names) = (found.results, found.engine, found.area_names);
        let next_cursor = results.next.as_ref().map(NextPage::encode);
        let mut out = SearchFacets::default();
        for (facet, values) in results.facets {
            let mut list = counts(facet, values);
            if facet == Facet::Area {
                // CBS names are Dutch names in both languages.
                for c in &mut list {
                    c.label_nl = names.get(&c.value).cloned();
                    c.label_en = c.label_nl.clone();
                }
            }
            let list = Some(list);
            match facet {
                Facet::Category => out.category = list,
                Facet::Zrm => out.zrm = list,
                Facet::Kind => out.kind = list,
                Facet::Area => out.area = list,
            }
        }
        Ok(SearchResponse::Ok(Json(SearchPage {
            hits: results.hits.into_iter().map(hit_out).collect(),
            facets: out,
            next_cursor,
            engine: engine_name.into(),
        })))
    }
}
