//! `/healthz` and `/readyz`, for orchestrators and load balancers.

use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::service::State;
use crate::service::health as service;

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

/// The health endpoints.
pub struct HealthApi {
    /// Shared state.
    pub state: Arc<State>,
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Metrics
    ///
    /// Prometheus text: the search outbox depth and age, and its deliveries.
    #[oai(path = "/metrics", method = "get", operation_id = "get_metrics")]
    async fn metrics(&self) -> poem_openapi::payload::PlainText<String> {
        let lines = service::metrics(&self.state).await;
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
        let (ok, checks) = service::readiness(&self.state).await;
        let health = Health { status: if ok { "ok" } else { "unavailable" }.into(), checks };
        if ok { HealthResponse::Ok(Json(health)) } else { HealthResponse::Unavailable(Json(health)) }
    }
}
