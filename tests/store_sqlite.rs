//! The embedded SQLite store: settings that must hold on every pooled connection.

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// Pragmas are per connection; checking many concurrent queries reaches several pooled
/// connections, and every one must run in WAL mode with foreign keys enforced.
#[tokio::test]
async fn every_pooled_connection_has_wal_and_foreign_keys() {
    let dir = std::env::temp_dir().join("buurtkracht-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", uuid::Uuid::new_v4())).display());
    let db = buurtkracht::store::connect(&url).await.unwrap();
    buurtkracht::store::migrate(&db).await.unwrap();
    // Each open transaction holds its own pooled connection.
    let mut txns = Vec::new();
    for _ in 0..4 {
        txns.push(db.begin().await.unwrap());
    }
    for txn in &txns {
        let backend = txn.get_database_backend();
        let one = |sql: &'static str| txn.query_one_raw(Statement::from_string(backend, sql));
        let fk = one("PRAGMA foreign_keys").await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap();
        let mode = one("PRAGMA journal_mode").await.unwrap().unwrap().try_get_by_index::<String>(0).unwrap();
        let sync = one("PRAGMA synchronous").await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap();
        assert_eq!(fk, 1, "foreign keys off on a pooled connection");
        assert_eq!(mode.to_lowercase(), "wal");
        assert_eq!(sync, 1, "synchronous should be NORMAL (1) on every connection");
    }
}
