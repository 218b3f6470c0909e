//! What probes and metrics read: whether the service can answer, and how far the search
//! index is behind.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::State;

/// How old the oldest undelivered search change may be before the index counts as lagging.
pub const LAG_SECONDS: i64 = 30;

/// One Prometheus metric: name, type, help and value.
pub type Metric = (&'static str, &'static str, &'static str, i64);

/// The search outbox's depth and age, and its deliveries.
pub async fn metrics(state: &State) -> Vec<Metric> {
    let (depth, oldest) = crate::search::outbox::depth(&state.db).await.unwrap_or((0, None));
    let d = &state.delivery;
    vec![
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
    ]
}

/// Whether the service is ready, with each check's state: the database answers, every
/// migration is applied and the wijk boundaries are loaded. The search index may lag without
/// making the service unready: writes and every other read go on, and delivery catches up.
pub async fn readiness(state: &State) -> (bool, BTreeMap<String, String>) {
    let mut checks = BTreeMap::new();
    let mut ok = true;
    match state.db.ping().await {
        Ok(()) => {
            checks.insert("database".into(), "ok".into());
            let migrations = match crate::store::migrations_applied(&state.db).await {
                Ok(true) => "ok",
                Ok(false) => {
                    ok = false;
                    "pending"
                }
                Err(e) => {
                    ok = false;
                    tracing::warn!(error = %e, "readiness: migrations check failed");
                    "unknown"
                }
            };
            checks.insert("migrations".into(), migrations.into());
        }
        Err(e) => {
            ok = false;
            tracing::warn!(error = %e, "readiness: database unreachable");
            checks.insert("database".into(), "unreachable".into());
        }
    }
    if state.areas.is_empty() {
        ok = false;
        checks.insert("areas".into(), "none loaded".into());
    } else {
        checks.insert("areas".into(), "ok".into());
    }
    if let Some(index) = &state.search {
        let (depth, oldest) = crate::search::outbox::depth(&state.db).await.unwrap_or((0, None));
        checks.insert("search_outbox_depth".into(), depth.to_string());
        let search = if !index.reachable().await {
            format!("unreachable ({depth} changes waiting)")
        } else if oldest.is_some_and(|age| age >= LAG_SECONDS) {
            format!("lagging ({depth} changes waiting, oldest {}s)", oldest.unwrap_or(0))
        } else {
            "ok".into()
        };
        checks.insert("search".into(), search);
    } else {
        checks.insert("search".into(), "embedded".into());
    }
    (ok, checks)
}
