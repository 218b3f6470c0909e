//! Delivery of the search outbox to Meilisearch, and full reindexing.
//!
//! Triggers write one outbox row per change (migration `m20261201_000008`), in the writing
//! transaction. Delivery reads a batch in order, loads the current rows those entries name,
//! replaces their documents (or deletes them, when the row is gone or no longer searchable),
//! waits until Meilisearch reports both tasks succeeded, and only then deletes the entries.
//! A crash at any point repeats work but loses none, and replacing by id makes repeats harmless.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::document::{self, SearchDocument};
use super::meili::{MeiliError, MeiliIndex};
use crate::store::Conn;
use crate::store::entities::{initiative, listing, volunteer};

/// Entries delivered per batch.
pub const BATCH: u64 = 2_000;

/// Rows read per page by [`reindex`].
const REINDEX_PAGE: u64 = 10_000;

/// What delivery could not do.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    /// Meilisearch failed.
    #[error(transparent)]
    Meili(#[from] MeiliError),
}

/// Delivery figures, for `/metrics` and `/readyz`.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    /// Unix seconds of the last successful delivery (0: none yet).
    pub last_delivery: AtomicI64,
    /// Entries delivered since start.
    pub delivered: AtomicU64,
    /// Failed delivery attempts since start.
    pub failures: AtomicU64,
    /// Whether the index settings have been applied since start (delivery waits for them).
    pub settings_applied: std::sync::atomic::AtomicBool,
}

/// How many entries wait, and the age in seconds of the oldest.
pub async fn depth(db: &impl Conn) -> Result<(u64, Option<i64>), sea_orm::DbErr> {
    let age = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "CAST(EXTRACT(EPOCH FROM (now() - min(created_at))) AS BIGINT)",
        _ => "CAST((julianday('now') - julianday(min(created_at))) * 86400 AS INTEGER)",
    };
    let q = Query::select()
        .expr_as(Expr::cust("count(*)"), Alias::new("n"))
        .expr_as(Expr::cust(age), Alias::new("age"))
        .from(Alias::new("search_outbox"))
        .to_owned();
    let Some(row) = db.query_one(&q).await? else { return Ok((0, None)) };
    let n: i64 = row.try_get("", "n")?;
    let age: Option<i64> = row.try_get("", "age")?;
    Ok((n as u64, age.map(|a| Ord::max(a, 0))))
}

/// The current documents of the named rows: `Some` to replace, `None` to delete.
async fn documents(db: &impl Conn, table: &str, ids: Vec<Uuid>) -> Result<Vec<(String, Option<SearchDocument>)>, sea_orm::DbErr> {
    let mut out: Vec<(String, Option<SearchDocument>)> = Vec::new();
    let mut found = std::collections::HashSet::new();
    match table {
        "listings" => {
            for m in listing::Entity::find().filter(listing::Column::Id.is_in(ids.clone())).all(db).await? {
                found.insert(m.id);
                out.push((document::doc_id(table, m.id), document::of_listing(&m)));
            }
        }
        "initiatives" => {
            for m in initiative::Entity::find().filter(initiative::Column::Id.is_in(ids.clone())).all(db).await? {
                found.insert(m.id);
                out.push((document::doc_id(table, m.id), document::of_initiative(&m)));
            }
        }
        _ => {
            for m in volunteer::Entity::find().filter(volunteer::Column::Id.is_in(ids.clone())).all(db).await? {
                found.insert(m.id);
                out.push((document::doc_id(table, m.id), document::of_volunteer(&m)));
            }
        }
    }
    out.extend(ids.into_iter().filter(|id| !found.contains(id)).map(|id| (document::doc_id(table, id), None)));
    Ok(out)
}

/// Delivers up to `batch` entries; returns how many it delivered (0: the outbox is empty).
pub async fn deliver_once(db: &DatabaseConnection, index: &MeiliIndex, batch: u64) -> Result<usize, DeliveryError> {
    let q = Query::select()
        .columns([Alias::new("seq"), Alias::new("doc_table"), Alias::new("doc_id")])
        .from(Alias::new("search_outbox"))
        .order_by(Alias::new("seq"), Order::Asc)
        .limit(batch)
        .to_owned();
    let rows = db.query_all(&q).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut seqs = Vec::with_capacity(rows.len());
    let mut by_table: std::collections::BTreeMap<String, Vec<Uuid>> = Default::default();
    for r in &rows {
        seqs.push(r.try_get::<i64>("", "seq")?);
        let ids = by_table.entry(r.try_get("", "doc_table")?).or_default();
        let id: Uuid = r.try_get("", "doc_id")?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut replace = Vec::new();
    let mut delete = Vec::new();
    for (table, ids) in by_table {
        for (doc_id, doc) in documents(db, &table, ids).await? {
            match doc {
                Some(d) => replace.push(d),
                None => delete.push(doc_id),
            }
        }
    }
    index.replace(&replace).await?;
    index.delete(&delete).await?;
    let done = Query::delete().from_table(Alias::new("search_outbox")).and_where(Expr::col(Alias::new("seq")).is_in(seqs)).to_owned();
    db.execute(&done).await?;
    Ok(rows.len())
}

/// How long a rebuild marker holds delivery back; one older than this was left by a rebuild
/// that died, and delivery goes on.
const REBUILD_MARKER_TTL: Duration = Duration::from_secs(2 * 3600);

/// Entries older than this before a rebuild began are covered by it: no writing transaction
/// stays open that long, so their rows were committed before the rebuild read them.
const COVERED_AGE: Duration = Duration::from_secs(300);

/// Whether a rebuild of `index` is under way (delivery then waits for it).
pub async fn rebuilding(db: &impl Conn, index: &MeiliIndex) -> Result<bool, sea_orm::DbErr> {
    let since = chrono::Utc::now() - REBUILD_MARKER_TTL;
    let q = Query::select()
        .expr_as(Expr::cust("count(*)"), Alias::new("n"))
        .from(Alias::new("search_rebuilds"))
        .and_where(Expr::col(Alias::new("index_uid")).eq(index.uid()))
        .and_where(Expr::col(Alias::new("started_at")).gt(since))
        .to_owned();
    let n: i64 = match db.query_one(&q).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(n > 0)
}

/// Sets the rebuild marker of `index` (started at `started`), or with `None` removes it: what
/// `reindex` does around a rebuild, and how an operator clears one a dead rebuild left.
pub async fn mark_rebuild(
    db: &impl Conn,
    index: &MeiliIndex,
    started: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), sea_orm::DbErr> {
    let uid = index.uid().to_owned();
    db.execute(
        &Query::delete().from_table(Alias::new("search_rebuilds")).and_where(Expr::col(Alias::new("index_uid")).eq(uid.clone())).to_owned(),
    )
    .await?;
    if let Some(at) = started {
        db.execute(
            &Query::insert()
                .into_table(Alias::new("search_rebuilds"))
                .columns([Alias::new("index_uid"), Alias::new("started_at")])
                .values_panic([uid.into(), at.into()])
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Rebuilds the index from the database without taking search away: every searchable row
/// goes into a staging index with the current settings, which then replaces the live one in
/// one swap. Delivery waits meanwhile (see [`rebuilding`]); changes made during the rebuild,
/// erasures included, stay in the outbox and reach the new index after the swap. Nothing
/// erased can come back: only rows that exist are read. Returns the documents indexed.
pub async fn reindex(db: &DatabaseConnection, index: &MeiliIndex) -> Result<usize, DeliveryError> {
    let started = chrono::Utc::now();
    mark_rebuild(db, index, Some(started)).await?;
    let result = rebuild(db, index).await;
    // Delivery resumes whatever happened; after a failure the live index is untouched.
    mark_rebuild(db, index, None).await?;
    result
}

/// `created_at` older than `age` by the database's clock, which wrote it (on SQLite as
/// `CURRENT_TIMESTAMP` text, which only compares with text of its own shape).
fn older_than(db: &impl Conn, age: Duration) -> String {
    let s = age.as_secs();
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => format!("created_at < now() - interval '{s} seconds'"),
        _ => format!("created_at < datetime('now', '-{s} seconds')"),
    }
}

async fn rebuild(db: &DatabaseConnection, index: &MeiliIndex) -> Result<usize, DeliveryError> {
    let covered: Option<i64> = db
        .query_one(
            &Query::select()
                .expr_as(Expr::cust("max(seq)"), Alias::new("m"))
                .from(Alias::new("search_outbox"))
                .and_where(Expr::cust(older_than(db, COVERED_AGE)))
                .to_owned(),
        )
        .await?
        .and_then(|r| r.try_get("", "m").ok().flatten());
    let staging = index.staging();
    if staging.exists().await {
        staging.drop_index().await?;
    }
    // Settings on an empty index cost nothing; on a full one they re-index every document.
    staging.apply_settings().await?;
    let mut total = 0;
    let mut tasks = Vec::new();
    macro_rules! pages {
        ($entity:ident, $doc:path) => {{
            let mut after: Option<Uuid> = None;
            loop {
                let mut q = $entity::Entity::find().order_by_asc($entity::Column::Id).limit(REINDEX_PAGE);
                if let Some(a) = after {
                    q = q.filter($entity::Column::Id.gt(a));
                }
                // Through the lean reader on SQLite: it takes less of the cores Meilisearch
                // indexes on.
                let rows = crate::store::query::load_all(db, q).await?;
                let Some(last) = rows.last() else { break };
                after = Some(last.id);
                let docs: Vec<SearchDocument> = rows.iter().filter_map($doc).collect();
                total += docs.len();
                if !docs.is_empty() {
                    tasks.push(staging.enqueue_replace(&docs).await?);
                }
            }
        }};
    }
    pages!(initiative, document::of_initiative);
    pages!(listing, document::of_listing);
    pages!(volunteer, document::of_volunteer);
    staging.wait_all(tasks).await?;
    if !index.exists().await {
        index.apply_settings().await?;
    }
    index.swap_with(&staging).await?;
    // The staging index now holds the old documents.
    staging.drop_index().await?;
    if let Some(m) = covered {
        db.execute(&Query::delete().from_table(Alias::new("search_outbox")).and_where(Expr::col(Alias::new("seq")).lte(m)).to_owned())
            .await?;
    }
    Ok(total)
}

/// Runs delivery until the process ends: at once while entries wait, every half second when
/// idle, with exponential backoff (up to a minute) while Meilisearch or the database fail.
pub async fn run(db: DatabaseConnection, index: MeiliIndex, stats: Arc<DeliveryStats>) {
    let mut backoff = Duration::from_millis(500);
    loop {
        // A rebuild delivers everything up to its swap; what changes meanwhile waits for it.
        if matches!(rebuilding(&db, &index).await, Ok(true)) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        match deliver_once(&db, &index, BATCH).await {
            Ok(0) => {
                backoff = Duration::from_millis(500);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(n) => {
                backoff = Duration::from_millis(500);
                stats.delivered.fetch_add(n as u64, Ordering::Relaxed);
                stats.last_delivery.store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
            }
            Err(e) => {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "search outbox delivery failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// Without Meilisearch nothing reads the outbox: every minute the entries that were there a
/// minute before are dropped, so it stays small. Switching to Meilisearch starts with
/// `reindex`, which needs none of them.
pub async fn discard_undelivered(db: DatabaseConnection) {
    let max_seq = Query::select().expr_as(Expr::cust("max(seq)"), Alias::new("m")).from(Alias::new("search_outbox")).to_owned();
    loop {
        let seen: Option<i64> = match db.query_one(&max_seq).await {
            Ok(row) => row.and_then(|r| r.try_get("", "m").ok().flatten()),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the search outbox");
                None
            }
        };
        tokio::time::sleep(Duration::from_secs(60)).await;
        if let Some(m) = seen {
            let q = Query::delete().from_table(Alias::new("search_outbox")).and_where(Expr::col(Alias::new("seq")).lte(m)).to_owned();
            if let Err(e) = db.execute(&q).await {
                tracing::warn!(error = %e, "could not trim the search outbox");
            }
        }
    }
}
