//! The embedded SQLite store: settings that must hold on every pooled connection.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

/// A migrated SQLite file of its own, and its URL.
async fn fresh_database() -> (DatabaseConnection, String) {
    let dir = std::env::temp_dir().join("buurtkracht-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{}.db", uuid::Uuid::new_v4())).display());
    let db = buurtkracht::store::connect(&url).await.unwrap();
    buurtkracht::store::migrate(&db).await.unwrap();
    (db, url)
}

/// Pragmas are per connection; checking many concurrent queries reaches several pooled
/// connections, and every one must run in WAL mode with foreign keys enforced.
#[tokio::test]
async fn every_pooled_connection_has_wal_and_foreign_keys() {
    let (db, _) = fresh_database().await;
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
    use buurtkracht::domain::list::ListFilter;
    use buurtkracht::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, LocationPrecision};
    use buurtkracht::geo::{Placement, storage_cell};
    use buurtkracht::store::listings::{self, ListingPlace};
    use buurtkracht::store::query::ListQuery;

    let (db, _) = fresh_database().await;
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
        let mut q = ListQuery::new(ListFilter::new(50));
        q.filter.text = Some(text.to_owned());
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
    let (db, url) = fresh_database().await;
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

/// Outside transactions the store reads SQLite files on its own plain connections (the lean
/// read path) instead of through the driver. Both ways must read the same rows in the same
/// order; inside a transaction reads go through the driver, which sees the transaction's own
/// writes.
#[tokio::test]
async fn the_lean_reader_and_the_driver_read_the_same_rows() {
    use buurtkracht::domain::items::{ListingFields, Owner};
    use buurtkracht::domain::list::{ListFilter, Near, Sort};
    use buurtkracht::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, Radius};
    use buurtkracht::geo::storage_cell;
    use buurtkracht::store::Conn;
    use buurtkracht::store::listings::{self, ListingPlace};
    use buurtkracht::store::query::ListQuery;

    let (db, _) = fresh_database().await;
    assert!(db.readers().is_some(), "a SQLite file gets lean readers");

    let at = buurtkracht::geo::Placement { wijk_code: "WK047912".into(), gemeente_code: "GM0479".into() };
    let home = CellId::new(Coordinates::parse(52.4376, 4.8476).unwrap().cell(h3o::Resolution::Eight));
    let owner = buurtkracht::store::people::create(
        &db,
        &buurtkracht::domain::items::PersonFields {
            display_name: BoundedText::parse("Noor", 100).unwrap(),
            languages: vec![],
            contact: Default::default(),
            home_cell: home,
            precision: buurtkracht::domain::LocationPrecision::DEFAULT,
        },
        &at,
        None,
    )
    .await
    .unwrap();
    // 400 listings around Zaandam, half at exact points, half at a person's resolution-8 cell,
    // some expired, some with a word the text query looks for.
    let centre = (52.4376, 4.8476);
    let now = chrono::Utc::now();
    let items: Vec<(ListingFields, ListingPlace)> = (0..400)
        .map(|i| {
            let f = f64::from(i);
            let p =
                Coordinates::parse(centre.0 + 0.03 * (f * 0.618).fract() - 0.015, centre.1 + 0.05 * (f * 0.377).fract() - 0.025).unwrap();
            let cell = CellId::new(p.cell(h3o::Resolution::Eight));
            let exact = i % 2 == 0;
            let fields = ListingFields {
                kind: if i % 3 == 0 { ListingKind::Request } else { ListingKind::Offer },
                title: BoundedText::parse(if i % 5 == 0 { "Fietsenmaker in de wijk" } else { "Boodschappen samen" }, 200).unwrap(),
                description: BoundedText::parse("Bij mij om de hoek", 5000).unwrap(),
                categories: vec![if i % 4 == 0 { ActivityCategory::Repair } else { ActivityCategory::Groceries }],
                zrm_domains: vec![],
                owner: Owner::Person(owner.id),
                availability: Vec::new(),
                languages: Vec::new(),
                valid_until: now + chrono::Duration::days(if i % 7 == 0 { -1 } else { 30 }),
                status: ListingStatus::Open,
            };
            let place = ListingPlace {
                cell: cell.to_db(),
                index_cell: storage_cell(if exact { p } else { Coordinates::of_cell_centre(cell.index()) }).to_db(),
                point: exact.then_some((p.lat(), p.lng())),
                gemeente_code: "GM0479".into(),
                wijk_code: "WK047912".into(),
            };
            (fields, place)
        })
        .collect();
    let txn = db.begin().await.unwrap();
    listings::bulk_insert(&txn, &items).await.unwrap();
    txn.commit().await.unwrap();

    let mut queries = Vec::new();
    for (radius, sort) in [(300.0, Sort::Distance), (1_000.0, Sort::Distance), (3_000.0, Sort::Newest), (3_000.0, Sort::Distance)] {
        let mut q = ListQuery::new(ListFilter::new(200));
        q.filter.near = Some(Near { centre: Coordinates::parse(centre.0, centre.1).unwrap(), radius: Radius::parse(radius).unwrap() });
        q.filter.sort = sort;
        queries.push(q);
    }
    // Open and not expired: binds the current time, compared with the stored text.
    let mut open_only = ListQuery::new(ListFilter::new(200));
    open_only.filter.near = queries[1].filter.near;
    open_only.condition = open_only.condition.add(listings::status_condition(&[ListingStatus::Open], now));
    queries.push(open_only);
    let mut text = ListQuery::new(ListFilter::new(50));
    text.filter.text = Some("fiets".into());
    queries.push(text);
    let mut small_pages = ListQuery::new(ListFilter::new(7));
    small_pages.filter.near = queries[2].filter.near;
    queries.push(small_pages);
    // Words checked against the candidates' own text, ranked by title (the title group and
    // the rest): the texts are read by the lean reader too.
    let mut ranked_words = ListQuery::new(ListFilter::new(20));
    ranked_words.filter.near = queries[2].filter.near;
    ranked_words.filter.text = Some("de".into());
    ranked_words.filter.title_first = true;
    queries.push(ranked_words);

    let mut compared = 0;
    for q in &queries {
        let (lean, lean_next) = listings::list(&db, q).await.unwrap();
        let txn = db.begin().await.unwrap();
        assert!(txn.readers().is_none(), "a transaction reads through the driver");
        let (driver, driver_next) = listings::list(&txn, q).await.unwrap();
        txn.commit().await.unwrap();
        let key = |rows: &[(buurtkracht::store::entities::listing::Model, Option<f64>)]| {
            rows.iter().map(|(m, d)| (m.clone(), d.map(f64::to_bits))).collect::<Vec<_>>()
        };
        assert_eq!(key(&lean), key(&driver), "the same rows, fields and distances, in the same order");
        assert_eq!(lean_next, driver_next);
        compared += lean.len();
    }
    assert!(compared > 300, "the queries found enough rows to compare ({compared})");
    // Facet rows of every hit of a radius: read by the lean reader and by the driver alike.
    {
        use buurtkracht::store::query::{RowFacet, count_rows, find};
        let mut all = queries[2].clone();
        all.filter.limit = 1_000;
        let hits = find(&db, listings::SPEC, &all).await.unwrap().hits;
        let by = [RowFacet::Codes("categories"), RowFacet::Column("wijk_code"), RowFacet::Column("kind")];
        let lean = count_rows(&db, listings::SPEC, &hits, &by, Some("owner_person_id"), &[false; 3]).await.unwrap();
        let txn = db.begin().await.unwrap();
        let driver = count_rows(&txn, listings::SPEC, &hits, &by, Some("owner_person_id"), &[false; 3]).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(lean, driver);
        assert_eq!(lean[1].iter().map(|b| b.count).sum::<u64>(), hits.len() as u64, "every hit counted once by wijk");
        assert!(lean[1].iter().all(|b| b.personal == b.count), "all are a person's");
    }
    let all_within = listings::list(&db, &queries[1]).await.unwrap().0.len();
    let open_within = listings::list(&db, &queries[4]).await.unwrap().0.len();
    assert!(open_within < all_within && open_within > 0, "the time condition drops the expired ({open_within} of {all_within})");

    // A committed write is visible to the next lean read at once (WAL readers see every commit).
    let mut fresh = items[0].clone();
    fresh.0.title = BoundedText::parse("Taalmaatje gezocht", 200).unwrap();
    let txn = db.begin().await.unwrap();
    listings::bulk_insert(&txn, &[fresh]).await.unwrap();
    txn.commit().await.unwrap();
    let mut q = ListQuery::new(ListFilter::new(10));
    q.filter.text = Some("taalmaatje".into());
    assert_eq!(listings::list(&db, &q).await.unwrap().0.len(), 1);
}

/// A query word is folded before it reaches FTS5 (`domain::text::fold`), so folding must never
/// go further than the index's tokenizer does: for every letter of the Latin blocks that
/// `fold_char` changes, FTS5 with the tokenizer the migrations give `listings_fts` finds a word
/// with that letter by its folded form.
#[tokio::test]
async fn folding_never_goes_further_than_the_full_text_index() {
    let (db, _) = fresh_database().await;
    let schema: String = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT sql FROM sqlite_master WHERE name = 'listings_fts'"))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "sql")
        .unwrap();
    let tokenize = &schema[schema.find("tokenize").expect("the migration names a tokenizer")..schema.rfind(')').unwrap()];
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!("CREATE VIRTUAL TABLE t USING fts5(w, {tokenize});")).unwrap();
    let mut checked = 0;
    for c in ('\u{00C0}'..='\u{024F}').filter(|c| c.is_alphabetic()) {
        let folded = buurtkracht::domain::text::fold_char(c);
        if folded == c.to_lowercase().next().unwrap() {
            continue;
        }
        conn.execute("DELETE FROM t", []).unwrap();
        conn.execute("INSERT INTO t (w) VALUES (?1)", [format!("x{c}x")]).unwrap();
        let found: i64 = conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [format!("\"x{folded}x\"")], |r| r.get(0)).unwrap();
        assert_eq!(found, 1, "{c:?} folds to {folded:?}, which the index does not match");
        checked += 1;
    }
    assert!(checked > 30, "only {checked} letters checked");
}
