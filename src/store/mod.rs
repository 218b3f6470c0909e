//! Persistence: sea-orm entities and the queries per aggregate. Functions take
//! `&impl Conn` so they run on a connection or inside a transaction alike.

pub mod accounts;
pub mod areas;
pub mod audit;
pub mod candidates;
pub mod consents;
pub mod entities;
pub mod erasure;
pub mod experiences;
pub mod idempotency;
pub mod initiatives;
pub mod kaart;
pub mod kompas;
pub mod listings;
pub mod locks;
pub mod matches;
pub mod people;
pub mod query;
pub mod reader;
pub mod referrals;
pub mod support_requests;
pub mod tags;
pub mod volunteers;

pub use reader::Conn;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// What can go wrong in the store that a caller must tell apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// The write conflicts with existing data (e.g. a second volunteer profile for a person).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A reference in the input names something that does not exist or does not fit.
    #[error("invalid reference in `{field}`: {message}")]
    Reference {
        /// The field holding the reference.
        field: &'static str,
        /// Why it does not fit.
        message: String,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Opens the database named by `url`: `sqlite://path?mode=rwc` (WAL, foreign keys on) or
/// `postgres://...`.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let file = path.split('?').next().unwrap_or_default();
        if !in_memory
            && let Some(dir) = std::path::Path::new(file).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    // Connections are replaced every half hour, so statistics follow the data (see
    // STATISTICS_REFRESH).
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .max_lifetime(STATISTICS_REFRESH);
    if in_memory {
        // Each SQLite memory connection is its own empty database: keep exactly one.
        opts.max_connections(1).min_connections(1);
    } else if url.starts_with("sqlite") {
        opts.max_connections(8);
    } else {
        opts.max_connections(16);
    }
    if url.starts_with("sqlite") {
        // Pragmas are per connection, so they go into the connect options of every pooled
        // connection. WAL with synchronous=NORMAL is durable across crashes of the process and
        // loses at most the last commits on power loss; the 64 MiB page cache and a memory map of
        // up to 1 GiB keep the cell index hot without copying pages out of the OS cache.
        opts.map_sqlx_sqlite_opts(move |o| {
            let o = o
                .pragma("foreign_keys", "ON")
                .pragma("busy_timeout", "5000")
                .pragma("synchronous", "NORMAL")
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "MEMORY")
                .pragma("mmap_size", "1073741824");
            let o = if in_memory { o } else { o.pragma("journal_mode", "WAL") };
            // Gathers statistics for tables that have none or have grown much since, as
            // SQLite advises for each new connection; cheap when they are current.
            o.pragma("optimize", "0x10002")
        });
    }
    let db = Database::connect(opts).await?;
    if !in_memory {
        reader::register(&db);
    }
    Ok(db)
}

/// How often connections are replaced. SQLite reads planner statistics when a connection
/// opens, and each new one refreshes them (`PRAGMA optimize`) where the data outgrew them.
/// Without statistics SQLite plans the cell-range queries by guesswork: on 100,000 listings a
/// search took 100-140 ms instead of 4-6 ms. PostgreSQL's autovacuum analyses by itself.
pub const STATISTICS_REFRESH: Duration = Duration::from_secs(30 * 60);

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// True when every migration known to this build has been applied.
pub async fn migrations_applied(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}
