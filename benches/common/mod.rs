//! What the benchmark programs share: reading `--name value` arguments, percentiles, and
//! loading a country's worth of listings.
#![allow(dead_code)]

pub mod town;

use std::time::{Duration, Instant};

use buurtkracht::domain::items::{ListingFields, Owner, PersonFields};
use buurtkracht::domain::{ActivityCategory, BoundedText, CellId, Coordinates, ListingKind, ListingStatus, LocationPrecision, ZrmDomain};
use buurtkracht::geo::{AreaIndex, storage_cell};
use buurtkracht::store::listings::{self, ListingPlace};
use buurtkracht::store::people;
use rand::Rng;
use rand::rngs::SmallRng;
use sea_orm::TransactionTrait;

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// The `p` quantile (0 to 1) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

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

pub fn random_point(index: &AreaIndex, rng: &mut SmallRng) -> Coordinates {
    loop {
        let p = Coordinates::parse(rng.random_range(50.75..53.55), rng.random_range(3.35..7.22)).unwrap();
        if index.containing(p).is_some() {
            return p;
        }
    }
}

/// Loads `rows` listings at random places in the country, owned by `person_id`: half at exact
/// points (as an initiative's), half at a person's resolution-8 cell.
pub async fn load(
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
            availability: Vec::new(),
            languages: Vec::new(),
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

/// Makes sure the database holds at least `rows` listings, loading them when it does not: a
/// database kept from an earlier run (the same `--database-url`) is queried as it is, so query
/// changes can be measured without reloading.
pub async fn ensure_listings(db: &sea_orm::DatabaseConnection, index: &AreaIndex, rng: &mut SmallRng, rows: usize) -> anyhow::Result<()> {
    // One owner of each kind satisfies the foreign keys; every listing gets its own place.
    let owner_point = random_point(index, rng);
    let at = index.locate(owner_point).unwrap();
    let person = people::create(
        db,
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
    let existing = buurtkracht::store::entities::listing::Entity::find().count(db).await? as usize;
    if existing >= rows {
        println!("reusing {existing} listings already in the database");
    } else {
        load(db, index, rng, rows, person.id).await?;
    }
    Ok(())
}
