//! `/healthz` and `/readyz`, for orchestrators and load balancers.

use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::startup::AppState;

/// A health report.
#[derive(Debug, Clone, Object)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: String,
    /// Per check: `ok` or what failed.
    pub checks: std::collections::BTreeMap<String, String>,
}

/// Health answers.
#[derive(Debug, ApiResponse)]
pub enum HealthResponse {
    /// Healthy.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// Not ready.
    #[oai(status = 503)]
    Unavailable(Json<Health>),
}

/// How old the oldest undelivered search change may be before the index counts as lagging.
const LAG_SECONDS: i64 = 30;

/// The health endpoints.
pub struct HealthApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Metrics
    ///
    /// Prometheus text: the search outbox depth and age, and its deliveries.
    #[oai(path = "/metrics", method = "get", operation_id = "get_metrics")]
    async fn metrics(&self) -> poem_openapi::payload::PlainText<String> {
        use std::sync::atomic::Ordering;
        let (depth, oldest) = crate::search::outbox::depth(&self.state.db).await.unwrap_or((0, None));
        let d = &self.state.delivery;
        let lines = [
            ("buurtkracht_search_outbox_depth", "gauge", "Search changes waiting for delivery.", depth as i64),
            ("buurtkracht_search_outbox_oldest_seconds", "gauge", "Age of the oldest waiting change.", oldest.unwrap_or(0)),
            (
                "buurtkracht_search_last_delivery_timestamp_seconds",
                "gauge",
                "Unix time of the last delivery to Meilisearch (0: none).",
                d.last_delivery.load(Ordering::Relaxed),
            ),
            ("buurtkracht_search_delivered_total", "counter", "Changes delivered since start.", d.delivered.load(Ordering::Relaxed) as i64),
            (
                "buurtkracht_search_delivery_failures_total",
                "counter",
                "Failed delivery attempts since start.",
                d.failures.load(Ordering::Relaxed) as i64,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in lines {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
        }
        poem_openapi::payload::PlainText(out)
    }

    /// Liveness
    ///
    /// The process is up. Touches nothing else.
    #[oai(path = "/healthz", method = "get", operation_id = "get_health")]
    async fn healthz(&self) -> HealthResponse {
        HealthResponse::Ok(Json(Health { status: "ok".into(), checks: Default::default() }))
    }

    /// Readiness
    ///
    /// The database answers, every migration is applied and the wijk boundaries are loaded.
    /// `search` tells the search engine's state (`embedded`, `ok`, `lagging` or `unreachable`,
    /// with the outbox depth); a lagging index does not make the service unready.
    #[oai(path = "/readyz", method = "get", operation_id = "get_readiness")]
    async fn readyz(&self) -> HealthResponse {
        let mut checks = std::collections::BTreeMap::new();
        let mut ok = true;
        match self.state.db.ping().await {
            Ok(()) => {
                checks.insert("database".into(), "ok".into());
                match crate::store::migrations_applied(&self.state.db).await {
                    Ok(true) => {
                        checks.insert("migrations".into(), "ok".into());
                    }
                    Ok(false) => {
                        ok = false;
                        checks.insert("migrations".into(), "pending".into());
                    }
                    Err(e) => {
                        ok = false;
                        tracing::warn!(error = %e, "readiness: migrations check failed");
                        checks.insert("migrations".into(), "unknown".into());
                    }
                }
            }
            Err(e) => {
                ok = false;
                tracing::warn!(error = %e, "readiness: database unreachable");
                checks.insert("database".into(), "unreachable".into());
            }
        }
        if self.state.areas.is_empty() {
            ok = false;
            checks.insert("areas".into(), "none loaded".into());
        } else {
            checks.insert("areas".into(), "ok".into());
        }
        // The search index may lag without making the API unready: writes and every other read
        // go on, and delivery catches up by itself.
        if let Some(index) = &self.state.search {
            let (depth, oldest) = crate::search::outbox::depth(&self.state.db).await.unwrap_or((0, None));
            checks.insert("search_outbox_depth".into(), depth.to_string());
            let state = if !index.reachable().await {
                format!("unreachable ({depth} changes waiting)")
            } else if oldest.is_some_and(|age| age >= LAG_SECONDS) {
                format!("lagging ({depth} changes waiting, oldest {}s)", oldest.unwrap_or(0))
            } else {
                "ok".into()
            };
            checks.insert("search".into(), state);
        } else {
            checks.insert("search".into(), "embedded".into());
        }
        let health = Health { status: if ok { "ok" } else { "unavailable" }.into(), checks };
        if ok { HealthResponse::Ok(Json(health)) } else { HealthResponse::Unavailable(Json(health)) }
    }
}
