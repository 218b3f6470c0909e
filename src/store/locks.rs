//! Write transactions that decide on what they read: a proposal that takes an initiative's last
//! place, two sides accepting the same match at once.
//!
//! Such a transaction must hold what it reads until it commits, or two requests both see one
//! place left and both take it. The two engines get there differently:
//! - SQLite has one writer at a time. A transaction that begins with a write holds the write lock
//!   from its first statement, so its reads see the latest commit and no other write comes
//!   between them and its own (the others wait, up to the busy timeout). One that read first
//!   and wrote later would instead fail when another write committed in between.
//! - PostgreSQL locks rows: `SELECT ... FOR UPDATE` on the rows the decision is about makes the
//!   next transaction on the same rows wait for this one, and read what it wrote.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, Statement, TransactionTrait};
use uuid::Uuid;

/// A row a transaction holds while it decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
///
/// Locks are taken in the order of this enum (then by id), the order in which other writes
/// touch these rows too (an initiative's update changes the initiative, then its listings), so
/// that two transactions never wait on each other.
pub enum Lock {
    /// An initiative (its places, its organisers).
    Initiative(Uuid),
    /// A listing (a request: every proposal for it; an offer: that it still exists).
    Listing(Uuid),
    /// A volunteer profile (that it still exists).
    Volunteer(Uuid),
    /// A match (its state).
    Match(Uuid),
    /// A referral (its state).
    Referral(Uuid),
    /// A support request (its state: two decisions at once, one wins).
    SupportRequest(Uuid),
}

impl Lock {
    fn table_and_id(self) -> (&'static str, Uuid) {
        match self {
            Lock::Initiative(id) => ("initiatives", id),
            Lock::Listing(id) => ("listings", id),
            Lock::Volunteer(id) => ("volunteers", id),
            Lock::Match(id) => ("matches", id),
            Lock::Referral(id) => ("referrals", id),
            Lock::SupportRequest(id) => ("support_requests", id),
        }
    }
}

/// Begins a write transaction. On SQLite it holds the write lock from the start, so that what it
/// reads before it writes cannot go stale under it (see the module); on PostgreSQL it is a
/// plain transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    begin_locked(db, &[]).await
}

/// Begins a transaction that holds `locks` until it commits or is dropped.
///
/// Rows that do not exist lock nothing; the transaction then finds them missing itself.
pub async fn begin_locked(db: &DatabaseConnection, locks: &[Lock]) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            // One order for every transaction, so two that lock the same rows never wait on each other.
            let mut locks = locks.to_vec();
            locks.sort();
            locks.dedup();
            for lock in locks {
                let (table, id) = lock.table_and_id();
                let sql = format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE");
                txn.query_all_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [id.into()])).await?;
            }
        }
        _ => {
            // A write that changes nothing (and fires no row trigger) takes the write lock now.
            txn.execute_unprepared("DELETE FROM matches WHERE 0").await?;
        }
    }
    Ok(txn)
}
