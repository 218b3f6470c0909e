//! Radius-query benchmark through the store layer.
//!
//! Loads N listings spread over the Netherlands (inside real CBS wijken; half at exact points as
//! an initiative's, half at a person's resolution-8 cell), then runs radius queries of 500 m,
//! 1 km and 5 km at random points and prints p50/p99 latency, rows returned and load time.
//!
//!     cargo bench --bench geo_query -- [--rows 1000000] [--queries 1000] [--database-url URL]
//!
//! The default database is a fresh SQLite file under target/; pass a postgres:// URL (an empty
//! database) to measure PostgreSQL.

mod common;

use common::{arg, percentile};

use std::time::{Duration, Instant};

use buurtkracht::domain::items::{ListingFields, Owner, PersonFields};
use buurtkracht::domain::{
    ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, LocationPrecision, Radius, ZrmDomain,
};
use buurtkracht::geo::{AreaIndex, storage_cell};
use buurtkracht::store::listings::ListingPlace;
use buurtkracht::store::query::{ListQuery, Near, Sort};
use buurtkracht::store::{self, areas, listings, people};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::TransactionTrait;

const TITLES: &[&str] = &[
    "Boodschappen doen op dinsdag",
    "Wandelmaatje gezocht",
    "Hulp bij formulieren en post",
    "Fietsen repareren",
    "Samen koken en eten",
    "Taalmaatje Nederlands",
    "Hulp met smartphone en DigiD",
    "Tuin bijhouden",
];

fn random_point(index: &AreaIndex, rng: &mut SmallRng) -> Coordinates {
    loop {
        let p = Coordinates::parse(rng.random_range(50.75..53.55), rng.random_range(3.35..7.22)).unwrap();
        if index.containing(p).is_some() {
            return p;
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = arg("--rows").map(|v| v.parse()).transpose()?.unwrap_or(1_000_000);
    let queries: usize = arg("--queries").map(|v| v.parse()).transpose()?.unwrap_or(1_000);
    let url = arg("--database-url").unwrap_or_else(|| {
        let path = std::env::temp_dir().join(format!("buurtkracht-bench-{}.db", std::process::id()));
        format!("sqlite://{}?mode=rwc", path.display())
    });
    let engine = if url.starts_with("postgres") { "postgresql" } else { "sqlite" };
    println!("engine: {engine}; rows: {rows}; queries per radius: {queries}");

    let db = store::connect(&url).await?;
    store::migrate(&db).await?;
    areas::ensure_loaded(&db).await?;
    let index = areas::load_index(&db).await?;
    let mut rng = SmallRng::seed_from_u64(7);

    // One owner of each kind satisfies the foreign keys; every listing gets its own place.
    let owner_point = random_point(&index, &mut rng);
    let at = index.locate(owner_point).unwrap();
    let person = people::create(
        &db,
        &PersonFields {
            display_name: BoundedText::parse("Bench", 100).unwrap(),
            languages: vec![],
            contact: Default::default(),
            home_cell: CellId::new(owner_point.cell(LocationPrecision::DEFAULT.resolution())),
            precision: LocationPrecision::DEFAULT,
        },
        &at,
        None,
    )
    .await?;

    // A database that already holds the rows (from an earlier run with the same --database-url)
    // is queried as it is, so query changes can be measured without reloading.
    use sea_orm::{EntityTrait, PaginatorTrait};
    let existing = buurtkracht::store::entities::listing::Entity::find().count(&db).await? as usize;
    if existing >= rows {
        println!("reusing {existing} listings already in the database");
    } else {
        load(&db, &index, &mut rng, rows, person.id).await?;
    }
    run_queries(&db, &index, &mut rng, queries).await?;
    if let Some(path) = url.strip_prefix("sqlite://").and_then(|p| p.split('?').next())
        && arg("--database-url").is_none()
    {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
    Ok(())
}

async fn load(
    db: &sea_orm::DatabaseConnection,
    index: &AreaIndex,
    rng: &mut SmallRng,
    rows: usize,
    person_id: uuid::Uuid,
) -> anyhow::Result<()> {
    let t_gen = Instant::now();
    let valid_until = chrono::Utc::now() + chrono::Duration::days(30);
    let mut items = Vec::with_capacity(rows);
    for i in 0..rows {
        let p = random_point(index, rng);
        let placed = index.locate(p).unwrap();
        let cell8 = CellId::new(p.cell(LocationPrecision::DEFAULT.resolution()));
        let place = if i % 2 == 0 {
            ListingPlace {
                cell: storage_cell(p).to_db(),
                index_cell: storage_cell(p).to_db(),
                point: Some((p.lat(), p.lng())),
                gemeente_code: placed.gemeente_code,
                wijk_code: placed.wijk_code,
            }
        } else {
            let centre = Coordinates::of_cell_centre(cell8.index());
            ListingPlace {
                cell: cell8.to_db(),
                index_cell: storage_cell(centre).to_db(),
                point: None,
                gemeente_code: placed.gemeente_code,
                wijk_code: placed.wijk_code,
            }
        };
        let title = TITLES[i % TITLES.len()];
        let fields = ListingFields {
            kind: if i % 3 == 0 { ListingKind::Request } else { ListingKind::Offer },
            title: BoundedText::parse(title, 200).unwrap(),
            description: BoundedText::parse(&format!("{title} in de buurt, nummer {i}."), 5000).unwrap(),
            categories: vec![ActivityCategory::ALL[i % ActivityCategory::ALL.len()]],
            zrm_domains: vec![ZrmDomain::ALL[i % ZrmDomain::ALL.len()]],
            owner: Owner::Person(person_id),
            valid_until,
            status: ListingStatus::Open,
        };
        items.push((fields, place));
    }
    println!("generated {rows} listings in {:.1} s", t_gen.elapsed().as_secs_f64());

    let t_load = Instant::now();
    for chunk in items.chunks(20_000) {
        let txn = db.begin().await?;
        listings::bulk_insert(&txn, chunk).await?;
        txn.commit().await?;
    }
    let load = t_load.elapsed();
    println!("bulk load: {rows} listings in {:.1} s ({:.0} rows/s)", load.as_secs_f64(), rows as f64 / load.as_secs_f64());
    // Planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would
    // gather in production; without them PostgreSQL may plan the range query badly.
    // On SQLite the rows sit in the write-ahead log until a checkpoint copies them into the main
    // file; queries are measured after it, as a running service reaches that state on its own.
    let t_after = Instant::now();
    {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("ANALYZE").await?;
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
    }
    println!("analyze (and checkpoint on SQLite): {:.1} s", t_after.elapsed().as_secs_f64());
    Ok(())
}

async fn run_queries(db: &sea_orm::DatabaseConnection, index: &AreaIndex, rng: &mut SmallRng, queries: usize) -> anyhow::Result<()> {
    println!("{:>8} {:>10} {:>10} {:>10} {:>12}", "radius", "p50", "p99", "max", "rows (mean)");
    for radius_m in [500.0, 1_000.0, 5_000.0] {
        let mut times = Vec::with_capacity(queries);
        let mut returned = 0usize;
        let mut q = ListQuery::new(200);
        q.sort = Sort::Distance;
        // Warm-up so the first queries do not measure cold caches only.
        for _ in 0..20 {
            q.near = Some(Near { centre: random_point(index, rng), radius: Radius::parse(radius_m)? });
            listings::list(db, &q).await?;
        }
        for _ in 0..queries {
            q.near = Some(Near { centre: random_point(index, rng), radius: Radius::parse(radius_m)? });
            let t = Instant::now();
            let (page, _) = listings::list(db, &q).await?;
            times.push(t.elapsed());
            returned += page.len();
        }
        times.sort();
        println!(
            "{:>7}m {:>8.2}ms {:>8.2}ms {:>8.2}ms {:>12.1}",
            radius_m,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            returned as f64 / queries as f64
        );
    }
    println!("(queries return at most one page of 200, nearest first, full rows)");

    // Where the 1 km time goes: the cell cover alone, and the id query alone.
    let mut cover = Vec::new();
    let mut ids = Vec::new();
    let mut rows_t = Vec::new();
    let mut q = ListQuery::new(200);
    q.sort = Sort::Distance;
    for _ in 0..queries {
        let centre = random_point(index, rng);
        let radius = Radius::parse(1_000.0)?;
        let t = Instant::now();
        let ranges = buurtkracht::geo::covering_ranges(centre, radius);
        cover.push((t.elapsed(), ranges.len()));
        q.near = Some(Near { centre, radius });
        let t = Instant::now();
        let page = buurtkracht::store::query::find(db, listings::SPEC, &q).await?;
        ids.push(t.elapsed());
        let wanted: Vec<i64> = page.hits.iter().map(|h| h.row).collect();
        let t = Instant::now();
        buurtkracht::store::query::load_page::<buurtkracht::store::entities::listing::Entity>(db, &wanted).await?;
        rows_t.push(t.elapsed());
    }
    // The floor under every query: one round trip through the driver.
    let mut trip = Vec::new();
    for _ in 0..queries {
        use sea_orm::ConnectionTrait;
        let t = Instant::now();
        db.execute_unprepared("SELECT 1").await?;
        trip.push(t.elapsed());
    }
    trip.sort();
    println!("round trip (SELECT 1) p50 {:.3} ms", percentile(&trip, 0.5).as_secs_f64() * 1e3);
    let mut cover_t: Vec<Duration> = cover.iter().map(|c| c.0).collect();
    cover_t.sort();
    ids.sort();
    rows_t.sort();
    let mean_ranges = cover.iter().map(|c| c.1).sum::<usize>() as f64 / cover.len() as f64;
    println!(
        "1 km breakdown: cell cover p50 {:.3} ms ({mean_ranges:.1} ranges), candidate query p50 {:.2} ms, page of full rows p50 {:.2} ms",
        percentile(&cover_t, 0.5).as_secs_f64() * 1e3,
        percentile(&ids, 0.5).as_secs_f64() * 1e3,
        percentile(&rows_t, 0.5).as_secs_f64() * 1e3
    );
    Ok(())
}
