//! The lean SQLite read path: the store's hot reads (radius candidates, pages of rows, facet
//! rows) run on plain SQLite connections in the calling thread instead of through the driver.
//!
//! Why a second way in: sqlx runs each SQLite connection on a worker thread and hands every
//! statement and every result over a channel, waking a thread each way. For the sub-millisecond
//! statements behind a radius query those hand-overs cost more than SQLite's own work: the 1 km
//! candidate statement took 0.45-0.58 ms through the driver and 0.25 ms on a plain connection
//! (BENCHMARKS.md). Writes and everything inside a transaction stay on the driver, which owns
//! the schema, the pragmas and the transactions; these connections only read, in WAL mode, so
//! they see every committed write and block no writer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::Value as Sql;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, Statement, Value};

use super::STATISTICS_REFRESH;

/// A connection or a transaction the store reads through.
///
/// The store's functions take `&impl Conn` where they read, so that the same code runs on the
/// pool, inside a transaction (which must read through the transaction to see its own writes)
/// and on PostgreSQL.
pub trait Conn: ConnectionTrait + Sync {
    /// The lean readers for this connection's database, where reads may go around the driver.
    fn readers(&self) -> Option<Arc<Readers>> {
        None
    }

    /// The pool itself, for reads that may run in tasks of their own; `None` inside a
    /// transaction, whose reads must stay on it.
    fn pool(&self) -> Option<DatabaseConnection> {
        None
    }
}

impl Conn for DatabaseConnection {
    fn readers(&self) -> Option<Arc<Readers>> {
        if self.get_database_backend() != DatabaseBackend::Sqlite {
            return None;
        }
        let options = self.get_sqlite_connection_pool().connect_options();
        REGISTRY.lock().ok()?.get(options.get_filename()).cloned()
    }

    fn pool(&self) -> Option<DatabaseConnection> {
        Some(self.clone())
    }
}

impl Conn for DatabaseTransaction {}

/// The readers of each SQLite file the process has opened through [`super::connect`], by the
/// file name the driver's pool holds (the lookup key a [`DatabaseConnection`] can give).
static REGISTRY: LazyLock<Mutex<HashMap<PathBuf, Arc<Readers>>>> = LazyLock::new(Default::default);

/// Makes lean reads available for the SQLite file `db` was opened on. A database in memory has
/// no file another connection could open, so it keeps reading through the driver.
pub(crate) fn register(db: &DatabaseConnection) {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return;
    }
    let file = db.get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    if let Ok(mut registry) = REGISTRY.lock() {
        // Readers of other files close when they are next used; close the idle ones of files
        // nobody reads any more here, where a process opens a new database.
        for readers in registry.values() {
            readers.close_idle();
        }
        registry.entry(file.clone()).or_insert_with(|| Arc::new(Readers::new(file)));
    }
}

/// How long an unused reader stays open: long enough to serve a burst of requests, short enough
/// that a process touching many databases (the test suite) does not keep them all open.
const IDLE: Duration = Duration::from_secs(30);

/// At most this many readers wait idle per file; more are opened under load and closed after.
const MAX_IDLE: usize = 8;

/// A small pool of read-only SQLite connections on one file.
pub struct Readers {
    file: PathBuf,
    idle: Mutex<Vec<Reader>>,
}

struct Reader {
    conn: rusqlite::Connection,
    opened: Instant,
    used: Instant,
}

impl Readers {
    fn new(file: PathBuf) -> Self {
        Self { file, idle: Mutex::new(Vec::new()) }
    }

    /// Every row `stmt` returns, read by `row`. `Ok(None)` when a value cannot be bound here;
    /// the caller then asks the driver.
    pub fn rows<T>(
        &self,
        stmt: &Statement,
        mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<Vec<T>>, DbErr> {
        let Some(params) = params(stmt) else { return Ok(None) };
        self.with(|conn| {
            let mut s = conn.prepare_cached(&stmt.sql)?;
            let mut rows = s.query(rusqlite::params_from_iter(params.iter()))?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(row(r)?);
            }
            Ok(out)
        })
        .map(Some)
    }

    /// Runs `f` on an idle reader or a new one, and gives it back.
    ///
    /// The statement runs in the calling thread: these reads take well under a millisecond at
    /// the sizes the API allows (a page is at most 200 rows), less than a hand-over to another
    /// thread would cost.
    fn with<R>(&self, f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R>) -> Result<R, DbErr> {
        let taken = self.idle.lock().map_err(|_| poisoned())?.pop();
        let mut reader = match taken {
            // A reader reads planner statistics when it opens; replacing old ones lets them
            // follow the data, as the driver's pool does.
            Some(r) if r.opened.elapsed() < STATISTICS_REFRESH => r,
            _ => open(&self.file).map_err(|e| failed(&self.file, &e))?,
        };
        let result = f(&reader.conn).map_err(|e| failed(&self.file, &e));
        reader.used = Instant::now();
        let mut idle = self.idle.lock().map_err(|_| poisoned())?;
        idle.retain(|r| r.used.elapsed() < IDLE);
        if idle.len() < MAX_IDLE {
            idle.push(reader);
        }
        result
    }

    /// Closes the readers unused for longer than [`IDLE`].
    fn close_idle(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.retain(|r| r.used.elapsed() < IDLE);
        }
    }
}

fn open(file: &Path) -> rusqlite::Result<Reader> {
    use rusqlite::OpenFlags;
    // Opened for writing only so that `optimize` below can store statistics; `query_only` then
    // makes every write on it fail.
    let conn = rusqlite::Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    // The same read settings as the driver's connections (see `store::connect`).
    conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824;")?;
    // Gathering statistics writes, so it needs the write lock: while a long write holds it
    // (an area import, an erasure), the reader opens without waiting and a later one gathers.
    conn.busy_timeout(Duration::ZERO)?;
    if let Err(e) = conn.execute_batch("PRAGMA optimize = 0x10002;") {
        tracing::debug!(error = %e, "planner statistics left for a later reader");
    }
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA query_only = 1;")?;
    conn.set_prepared_statement_cache_capacity(64);
    let now = Instant::now();
    Ok(Reader { conn, opened: now, used: now })
}

fn failed(file: &Path, e: &rusqlite::Error) -> DbErr {
    DbErr::Custom(format!("reading {}: {e}", file.display()))
}

fn poisoned() -> DbErr {
    DbErr::Custom("the SQLite readers' lock is poisoned".into())
}

/// The statement's values as SQLite values, encoded exactly as the driver encodes them (so a
/// comparison with a stored value means the same on both paths); `None` for a kind of value
/// this path does not bind.
fn params(stmt: &Statement) -> Option<Vec<Sql>> {
    let Some(values) = &stmt.values else { return Some(Vec::new()) };
    values.0.iter().map(param).collect()
}

fn param(v: &Value) -> Option<Sql> {
    fn int<T: Into<i64> + Copy>(v: &Option<T>) -> Sql {
        v.map_or(Sql::Null, |i| Sql::Integer(i.into()))
    }
    Some(match v {
        Value::Bool(b) => b.map_or(Sql::Null, |b| Sql::Integer(i64::from(b))),
        Value::TinyInt(i) => int(i),
        Value::SmallInt(i) => int(i),
        Value::Int(i) => int(i),
        Value::BigInt(i) => int(i),
        Value::TinyUnsigned(i) => int(i),
        Value::SmallUnsigned(i) => int(i),
        Value::Unsigned(i) => int(i),
        Value::BigUnsigned(i) => match i {
            None => Sql::Null,
            Some(i) => Sql::Integer(i64::try_from(*i).ok()?),
        },
        Value::Float(f) => f.map_or(Sql::Null, |f| Sql::Real(f64::from(f))),
        Value::Double(f) => f.map_or(Sql::Null, Sql::Real),
        Value::String(s) => s.clone().map_or(Sql::Null, Sql::Text),
        Value::Char(c) => c.map_or(Sql::Null, |c| Sql::Text(c.to_string())),
        Value::Bytes(b) => b.clone().map_or(Sql::Null, Sql::Blob),
        Value::Uuid(u) => u.map_or(Sql::Null, |u| Sql::Blob(u.as_bytes().to_vec())),
        Value::Json(j) => j.as_ref().map_or(Sql::Null, |j| Sql::Text(j.to_string())),
        Value::ChronoDateTimeUtc(t) => t.map_or(Sql::Null, |t| Sql::Text(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))),
        Value::ChronoDateTime(t) => t.map_or(Sql::Null, |t| Sql::Text(t.format("%F %T%.f").to_string())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn values_are_encoded_as_the_driver_encodes_them() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
        assert_eq!(param(&Value::from(t)), Some(Sql::Text("2026-12-01T09:30:00+00:00".into())));
        let id = uuid::Uuid::from_u128(1);
        assert_eq!(param(&Value::from(id)), Some(Sql::Blob(id.as_bytes().to_vec())));
        assert_eq!(param(&Value::from(true)), Some(Sql::Integer(1)));
        assert_eq!(param(&Value::BigUnsigned(Some(u64::MAX))), None, "out of SQLite's range: left to the driver");
        assert_eq!(param(&Value::String(None)), Some(Sql::Null));
    }
}
