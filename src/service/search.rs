//! One search over initiatives, offers, requests and volunteer profiles: on Meilisearch when
//! it is configured (the embedded engine answers a first page while it is down), on the
//! database's own full text otherwise. Reads of people's data are audited.

use std::collections::HashMap;

use super::error::{Error, Result};
use super::{State, now};
use crate::auth::Principal;
pub use crate::search::{DocType, Facet, FacetValue, NextPage, SearchHit, SearchRequest, SearchResults, SearchSort, decode_offset};
use crate::store::audit::{Action, Entry};
use crate::store::{self, areas};

/// A page of search results with the engine that answered and the names of the wijken in the
/// area facet.
#[derive(Debug)]
pub struct Found {
    /// Hits, facets and the next page.
    pub results: SearchResults,
    /// `meilisearch` or `embedded`.
    pub engine: &'static str,
    /// CBS names of the wijken counted in the area facet.
    pub area_names: HashMap<String, String>,
}

/// Whether search pages by offset (Meilisearch) rather than by keyset (embedded).
pub fn pages_by_offset(state: &State) -> bool {
    state.search.is_some()
}

/// Searches as `p`; `offset` continues a Meilisearch list.
pub async fn search(state: &State, p: &Principal, request: &SearchRequest, offset: Option<usize>) -> Result<Found> {
    let (results, engine) = match &state.search {
        Some(index) => match index.search(p, request, offset.unwrap_or(0), now()).await {
            Ok(r) => (r, "meilisearch"),
            // The embedded engine answers a first page while Meilisearch is down; a later page
            // of a Meilisearch list cannot be continued by it.
            Err(e) if offset.is_none() => {
                tracing::warn!(error = %e, "Meilisearch failed; answering from the embedded engine");
                (crate::search::embedded::search(&state.db, p, request, now()).await?, "embedded")
            }
            Err(e) => {
                tracing::warn!(error = %e, "Meilisearch failed");
                return Err(Error::unavailable("search_unavailable", "the search engine is not answering; try again shortly"));
            }
        },
        None => (crate::search::embedded::search(&state.db, p, request, now()).await?, "embedded"),
    };
    let reads: Vec<Entry> = results
        .hits
        .iter()
        .filter_map(|h| {
            h.audited_person.map(|person| Entry {
                actor: p,
                person_id: person,
                gemeente: Some(&h.gemeente_code),
                action: Action::Read,
                resource: if h.doc_type == DocType::Volunteer { "volunteer" } else { "listing" },
                resource_id: Some(h.id),
                endpoint: "GET /v1/search",
            })
        })
        .collect();
    store::audit::record(&state.db, &reads).await?;
    let wijken: Vec<&str> =
        results.facets.iter().filter(|(f, _)| *f == Facet::Area).flat_map(|(_, vs)| vs.iter().map(|v| v.value.as_str())).collect();
    let area_names = if wijken.is_empty() { HashMap::new() } else { areas::names(&state.db, &wijken).await? };
    Ok(Found { results, engine, area_names })
}
