//! The HTTP surface: one poem-openapi `#[OpenApi]` impl per resource, wire types apart from
//! the store's entities. Handlers extract, parse into domain types, call the store or the core,
//! and convert.

pub mod access_log;
pub mod admin;
pub mod areas;
pub mod body;
pub mod caller;
pub mod candidates;
pub mod common;
pub mod consents;
pub mod contract;
pub mod edges;
pub mod experiences;
pub mod health;
pub mod initiatives;
pub mod input;
pub mod kaart;
pub mod kompas;
pub mod listings;
mod located;
pub mod matches;
pub mod me;
pub mod middleware;
pub mod organisers;
pub mod people;
pub mod referrals;
pub mod search;
pub mod support_requests;
pub mod taxonomy;
pub mod volunteers;
pub mod wire;

use std::sync::Arc;

use poem_openapi::{OpenApiService, Tags};

use crate::service::State;

/// Operation groups in the spec.
#[derive(Tags)]
pub enum ApiTags {
    /// Neighbourhood initiatives: buurtkamers, repair cafés, taalcafés, voedselbanken ...
    Initiatives,
    /// Residents. Everyone can both ask and offer.
    People,
    /// Volunteer profiles of people.
    Volunteers,
    /// Offers and requests.
    Listings,
    /// CBS gemeenten and wijken.
    Areas,
    /// ZRM life domains and activity categories.
    Taxonomy,
    /// Who could help: candidates for a request, informal help first.
    Matching,
    /// The caller's own data: profile, export, audit, erasure.
    Me,
    /// Consents a person gives: who may see what of them.
    Consents,
    /// API keys and the audit log, for admins of a gemeente.
    Admin,
    /// One search over initiatives, offers, requests and volunteers, with facets.
    Search,
    /// Liveness and readiness.
    Health,
    /// The wijkteam's work: referrals, support requests, experiences.
    Wijkteam,
}

/// The wijkteam's tools, nested: poem-openapi takes at most 16 resources in one tuple.
pub type WijkteamApis =
    (referrals::ReferralsApi, support_requests::SupportRequestsApi, experiences::ExperiencesApi, kaart::KaartApi, kompas::KompasApi);

/// All resources together, as one service.
pub type Apis = (
    initiatives::InitiativesApi,
    people::PeopleApi,
    volunteers::VolunteersApi,
    listings::ListingsApi,
    organisers::OrganisersApi,
    candidates::MatchingApi,
    matches::MatchesApi,
    me::MeApi,
    consents::ConsentsApi,
    WijkteamApis,
    admin::AdminApi,
    areas::AreasApi,
    taxonomy::TaxonomyApi,
    search::SearchApi,
    health::HealthApi,
);

/// Builds the OpenAPI service over the shared state.
pub fn service(state: Arc<State>) -> OpenApiService<Apis, ()> {
    let apis = (
        initiatives::InitiativesApi { state: state.clone() },
        people::PeopleApi { state: state.clone() },
        volunteers::VolunteersApi { state: state.clone() },
        listings::ListingsApi { state: state.clone() },
        organisers::OrganisersApi { state: state.clone() },
        candidates::MatchingApi { state: state.clone() },
        matches::MatchesApi { state: state.clone() },
        me::MeApi { state: state.clone() },
        consents::ConsentsApi { state: state.clone() },
        (
            referrals::ReferralsApi { state: state.clone() },
            support_requests::SupportRequestsApi { state: state.clone() },
            experiences::ExperiencesApi { state: state.clone() },
            kaart::KaartApi { state: state.clone() },
            kompas::KompasApi { state: state.clone() },
        ),
        admin::AdminApi { state: state.clone() },
        areas::AreasApi { state: state.clone() },
        taxonomy::TaxonomyApi,
        search::SearchApi { state: state.clone() },
        health::HealthApi { state },
    );
    OpenApiService::new(apis, "Buurtkracht", env!("CARGO_PKG_VERSION"))
        .description(
            "The open service behind Dutch sociale wijkteams: neighbourhood initiatives, volunteers, \
             and residents' offers and requests, geo-indexed by H3 cell and placed in CBS gemeenten and wijken. \
             Errors are RFC 9457 problem+json with a stable `code`. H3 cells are lower-case hex strings. \
             A person's home is only ever a cell, never a point.",
        )
        .license("EUPL-1.2")
}

/// The spec as JSON, exactly as served at `/openapi.json` and committed under `openapi/`.
pub fn spec_json() -> String {
    // The spec does not depend on state; an unconnected placeholder never runs a query.
    contract::finish(&service(Arc::new(State::placeholder())).spec())
}
