//! Wiring: open the database, migrate, load areas (and demo data), build the routes, serve.

use std::sync::Arc;

use anyhow::Context;
use poem::{EndpointExt, Route};
use sea_orm::DatabaseConnection;

use crate::api::edges;
use crate::api::middleware::{self, Limits};
use crate::auth::jwt::Verifier;
use crate::config::Settings;
use crate::error::problem_from_error;
use crate::rate::RateLimiter;
use crate::service::State;
use crate::store;

/// A built application, ready to serve.
pub struct App {
    /// The shared state (tests reach the database through it).
    pub state: Arc<State>,
    /// Rate limits, per client address and per credential.
    pub limits: Arc<Limits>,
    /// Browser origins allowed to call the API.
    pub cors_origins: Arc<Vec<String>>,
}

impl App {
    /// Connects, migrates, loads the areas and, when asked and the database is empty, the demo town.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::build_with_areas(settings, None).await
    }

    /// As [`App::build`], but with the given gemeente and wijk GeoJSON instead of the bundled
    /// or configured boundaries (tests load a few towns rather than the whole country).
    pub async fn build_with_areas(settings: &Settings, areas: Option<(&str, &str)>) -> anyhow::Result<Self> {
        let db = store::connect(&settings.database_url)
            .await
            .with_context(|| format!("connecting to {}", crate::config::redact_url(&settings.database_url)))?;
        store::migrate(&db).await.context("applying migrations")?;
        match (&areas, &settings.areas_dir) {
            (Some((gemeenten, wijken)), _) => {
                store::areas::import(&db, gemeenten, wijken).await.context("importing areas")?;
            }
            (None, Some(dir)) => import_areas_from(&db, dir).await?,
            (None, None) => store::areas::ensure_loaded(&db).await.context("loading the bundled CBS boundaries")?,
        }
        let areas = store::areas::load_index(&db).await.context("building the wijk index")?;
        let tokens = match &settings.tokens {
            Some(t) => Some(Verifier::new(t).map_err(anyhow::Error::msg).context("reading the token settings")?),
            None => None,
        };
        let delivery = Arc::new(crate::search::outbox::DeliveryStats::default());
        let search = match &settings.meili {
            Some(m) => {
                let index = crate::search::meili::MeiliIndex::new(m).context("reading the Meilisearch settings")?;
                // A Meilisearch that is down must not keep the API from starting: writes still
                // land in the outbox, and the worker applies the settings once it answers.
                match index.apply_settings().await {
                    Ok(()) => delivery.settings_applied.store(true, std::sync::atomic::Ordering::Relaxed),
                    Err(e) => tracing::warn!(error = %e, "could not apply the search index settings; retrying in the background"),
                }
                Some(index)
            }
            None => None,
        };
        let idempotency_lease = chrono::Duration::from_std(settings.idempotency_lease).context("reading IDEMPOTENCY_LEASE_SECS")?;
        let state = Arc::new(State { db, areas, tokens, search, delivery, idempotency_lease });
        if settings.seed_demo {
            crate::seed::seed_if_empty(&state).await.context("loading the demo town")?;
        }
        Ok(Self { state, limits: Arc::new(limits(settings)), cors_origins: Arc::new(settings.cors_origins.clone()) })
    }

    /// The whole HTTP app: API, spec, docs, and problem+json for every error.
    pub fn endpoint(&self) -> poem::endpoint::BoxEndpoint<'static> {
        routes(self.state.clone(), self.limits.clone(), self.cors_origins.clone())
    }

    /// Starts the background workers: the kompas's refresher, and search outbox delivery (or,
    /// without Meilisearch, its trimming). Tests drive delivery themselves instead, with [`crate::search::outbox::deliver_once`].
    pub fn spawn_workers(&self) {
        let db = self.state.db.clone();
        tokio::spawn(crate::service::kompas::run_refresher(db.clone()));
        match &self.state.search {
            Some(index) => {
                let (index, stats) = (index.clone(), self.state.delivery.clone());
                tokio::spawn(async move {
                    let mut wait = std::time::Duration::from_secs(1);
                    // Start-up applied them already unless Meilisearch was down then.
                    while !stats.settings_applied.load(std::sync::atomic::Ordering::Relaxed)
                        && let Err(e) = index.apply_settings().await
                    {
                        tracing::warn!(error = %e, "search index settings not applied yet");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(std::time::Duration::from_secs(60));
                    }
                    stats.settings_applied.store(true, std::sync::atomic::Ordering::Relaxed);
                    crate::search::outbox::run(db, index, stats).await
                });
            }
            None => {
                tokio::spawn(crate::search::outbox::discard_undelivered(db));
            }
        }
    }

    /// Serves until Ctrl-C or SIGTERM, with the background workers, under the `HTTP_*` limits.
    pub async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let listener =
            tokio::net::TcpListener::bind(settings.bind_addr).await.with_context(|| format!("listening on {}", settings.bind_addr))?;
        self.spawn_workers();
        // The bound address, not the configured one: port 0 picks a free port.
        tracing::info!(addr = %listener.local_addr()?, "listening");
        let grace = std::time::Duration::from_secs(10);
        crate::server::serve(listener, self.endpoint(), settings.http, shutdown_signal(), grace).await.context("serving")
    }
}

/// Replaces the stored areas with the GeoJSON files of a folder (`gemeente*.geojson`, `wijk*.geojson`).
async fn import_areas_from(db: &DatabaseConnection, dir: &std::path::Path) -> anyhow::Result<()> {
    let find = |prefix: &str| -> anyhow::Result<String> {
        let entry = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".geojson")))
            .min()
            .with_context(|| format!("no {prefix}*.geojson in {}", dir.display()))?;
        std::fs::read_to_string(&entry).with_context(|| format!("reading {}", entry.display()))
    };
    let n = store::areas::import(db, &find("gemeente")?, &find("wijk")?).await?;
    tracing::info!(areas = n, dir = %dir.display(), "imported areas");
    Ok(())
}

fn limits(settings: &Settings) -> Limits {
    Limits {
        per_ip: RateLimiter::per_minute(settings.rate_limit_per_ip),
        per_credential: RateLimiter::per_minute(settings.rate_limit_per_credential),
    }
}

/// The routes over a state: `/v1/...`, `/healthz`, `/readyz`, `/openapi.json`, `/docs`.
///
/// From the outside in: the access log (and request id), the limits on the request head, the
/// body deadline, `Allow` on a 405, problem+json for every error, CORS, rate limits, the
/// credential check (401 for bad ones, except on the probes), then idempotent POSTs, which keep
/// answers per verified caller, then the check of path and query (`api::input`).
pub fn routes(state: Arc<State>, limits: Arc<Limits>, origins: Arc<Vec<String>>) -> poem::endpoint::BoxEndpoint<'static> {
    let api = crate::api::service(state.clone());
    let table = Arc::new(crate::api::edges::RouteTable::from_spec(&api.spec()));
    let (for_log, for_allow) = (table.clone(), table);
    let spec = crate::api::contract::spec_endpoint(&api);
    let docs = crate::api::contract::docs_endpoint(&api);
    let for_idem = state.clone();
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", api)
        .around(crate::api::input::guard)
        .around(move |ep, req| middleware::idempotency(ep, req, for_idem.clone()))
        .around(crate::api::caller::authenticate)
        .data(state)
        .around(move |ep, req| middleware::rate_limit(ep, req, limits.clone()))
        .around(move |ep, req| middleware::cors(ep, req, origins.clone()))
        .catch_all_error(problem_from_error)
        .around(move |ep, req| edges::allow_header(ep, req, for_allow.clone()))
        .around(edges::body_deadline)
        .around(edges::head_limits)
        .around(move |ep, req| crate::api::access_log::access_log(ep, req, for_log.clone()))
        .boxed()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
