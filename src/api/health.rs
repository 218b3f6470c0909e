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

/// The health endpoints.
pub struct HealthApi {
    /// Shared state.
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
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
        let health = Health { status: if ok { "ok" } else { "unavailable" }.into(), checks };
        if ok { HealthResponse::Ok(Json(health)) } else { HealthResponse::Unavailable(Json(health)) }
    }
}
