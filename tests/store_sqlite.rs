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

/// Bulk-loaded rows are in the full-text index, and so are rows created after them.
#[tokio::test]
async fn bulk_insert_indexes_full_text_and_restores_the_trigger() {
    use buurtkracht::domain::items::{ListingFields, Owner, PersonFields};
    use buurtkracht::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, LocationPrecision};
    use buurtkracht::geo::{Placement, storage_cell};
    use buurtkracht::store::listings::{self, ListingPlace};
    use buurtkracht::store::query::ListQuery;

    let dir = std::env::temp_dir().join("buurtkracht-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", uuid::Uuid::new_v4())).display());
    let db = buurtkracht::store::connect(&url).await.unwrap();
    buurtkracht::store::migrate(&db).await.unwrap();
    let at = Placement { wijk_code: "WK047912".into(), gemeente_code: "GM0479".into() };
    let p = Coordinates::parse(52.4376, 4.8476).unwrap();
    let home = CellId::new(p.cell(LocationPrecision::DEFAULT.resolution()));
    let person = buurtkracht::store::people::create(
        &db,
        &PersonFields {
            display_name: BoundedText::parse("Noor", 100).unwrap(),
            languages: vec![],
            contact: Default::default(),
            home_cell: home,
            precision: LocationPrecision::DEFAULT,
        },
        &at,
        None,
    )
    .await
    .unwrap();
    let fields = |title: &str| ListingFields {
        kind: ListingKind::Offer,
        title: BoundedText::parse(title, 200).unwrap(),
        description: BoundedText::parse("In de buurt", 5000).unwrap(),
        categories: vec![ActivityCategory::Repair],
        zrm_domains: vec![],
        owner: Owner::Person(person.id),
        availability: Vec::new(),
        languages: Vec::new(),
        valid_until: chrono::Utc::now() + chrono::Duration::days(30),
        status: ListingStatus::Open,
    };
    let place = ListingPlace {
        cell: home.to_db(),
        index_cell: storage_cell(Coordinates::of_cell_centre(home.index())).to_db(),
        point: None,
        gemeente_code: at.gemeente_code.clone(),
        wijk_code: at.wijk_code.clone(),
    };
    let txn = db.begin().await.unwrap();
    listings::bulk_insert(&txn, &[(fields("Fietsenmaker"), place.clone()), (fields("Naaimachine"), place.clone())]).await.unwrap();
    txn.commit().await.unwrap();

    let search = |text: &str| {
        let mut q = ListQuery::new(50);
        q.text = Some(text.to_owned());
        q
    };
    let (found, _) = listings::list(&db, &search("fietsen")).await.unwrap();
    assert_eq!(found.len(), 1, "bulk rows are in the full-text index");
    listings::create(&db, &fields("Fietsbel")).await.unwrap();
    let (found, _) = listings::list(&db, &search("fiets")).await.unwrap();
    assert_eq!(found.len(), 2, "the insert trigger is back: a later create is indexed too");
}

/// The service gathers planner statistics itself: without them SQLite plans the cell-range
/// queries by guesswork (20-30x slower searches at 100,000 listings, see BENCHMARKS.md).
#[tokio::test]
async fn planner_statistics_follow_the_data() {
    let dir = std::env::temp_dir().join("buurtkracht-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", uuid::Uuid::new_v4())).display());
    let db = buurtkracht::store::connect(&url).await.unwrap();
    buurtkracht::store::migrate(&db).await.unwrap();
    let stat = |table: &'static str| {
        let db = db.clone();
        async move {
            let sql = format!("SELECT count(*) FROM sqlite_stat1 WHERE tbl = '{table}'");
            match db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await {
                Ok(Some(row)) => row.try_get_by_index::<i64>(0).unwrap(),
                // No sqlite_stat1 at all: nothing analysed yet.
                _ => 0,
            }
        }
    };
    // A table that grows after the connections opened: 2,000 matching runs.
    db.execute_unprepared(
        "INSERT INTO matching_runs (id, area_code, gemeente_code, created_by, created_at, proposals) \
         WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000) \
         SELECT randomblob(16), 'GM0479', 'GM0479', 'test', CURRENT_TIMESTAMP, '{}' FROM n",
    )
    .await
    .unwrap();
    assert_eq!(stat("matching_runs").await, 0, "no statistics while only connections older than the rows exist");
    // A connection opened now, as the pool opens one every STATISTICS_REFRESH, gathers them.
    let fresh = buurtkracht::store::connect(&url).await.unwrap();
    fresh.execute_unprepared("SELECT 1").await.unwrap();
    drop(fresh);
    assert!(stat("matching_runs").await > 0, "a new connection gathered statistics for the grown table");
}
